"""Which character separates the fields of a CSV file: `,`, `;`, `|` or a tab, and why (pure).

The candidate that splits the header and the first rows into the same number of fields (more than one), on
every line, wins; a tie goes to the earlier candidate in `CANDIDATES`. Quoted fields are honoured (the csv module
reads each candidate), so a comma inside a quoted `;`-separated text does not count.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

CANDIDATES: tuple[str, ...] = (",", ";", "\t", "|")
NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
SAMPLE_LINES = 50


def sniff_delimiter(sample: str) -> tuple[str, str]:
    """The delimiter of the CSV text `sample` (its first lines are enough) and the reason, in words."""
    lines = [line for line in sample.splitlines() if line.strip()][:SAMPLE_LINES]
    if len(lines) > 1 and not sample.endswith("\n") and len(sample) >= 65536:
        lines = lines[:-1]  # the sample cut the last line
    if not lines:
        return ",", "empty: comma assumed"
    best: tuple[int, int, int] | None = None
    delimiter = ","
    for rank, candidate in enumerate(CANDIDATES):
        try:
            widths = [len(row) for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=candidate)]
        except csv.Error:
            continue
        if not widths or widths[0] < 2:
            continue
        consistent = sum(1 for width in widths if width == widths[0])
        score = (consistent, widths[0], -rank)
        if best is None or score > best:
            best, delimiter = score, candidate
    if best is None:
        return ",", "no separator splits the header into two or more columns: comma assumed (one column)"
    consistent, width, _ = best
    rows = len(lines)
    return delimiter, (
        f"{NAMES[delimiter]}-separated: the {NAMES[delimiter]} splits the header into {width} columns"
        f" and {consistent} of the first {rows} lines alike"
    )


def sniff_file_delimiter(path: str | Path) -> tuple[str, str]:
    """`sniff_delimiter` over the first 64 KiB of the file at `path` (UTF-8, BOM allowed)."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
        return sniff_delimiter(handle.read(65536))
