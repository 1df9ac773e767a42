"""The texts `intern predict --input` classifies, read from a file or stdin, with every other column kept.

A `.csv`, `.tsv`, `.jsonl`/`.ndjson`, `.json` or `.parquet` input is a table: the text column is `--text-column`
or detected as `intern run` detects it, and every other column of a row (ids, a reference label) comes back
with that row's prediction. Anything else (`.txt`, no suffix) is one text per non-empty line. `-` reads stdin:
JSON lines when the first non-blank character is `{`, else a CSV/TSV table when `--text-column` names a column
of its header, else one text per line (the `--format` option forces one).

Pure over its inputs: `read_input_table(path, ...)` or `parse_input_text(text, ...)`; nothing here loads a model.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from runner.data.delimiter import sniff_delimiter
from runner.errors import ColumnError, DataError

InputFormat = Literal["lines", "csv", "tsv", "jsonl", "json", "parquet"]
INPUT_FORMATS: tuple[str, ...] = ("lines", "csv", "tsv", "jsonl", "json", "parquet")
SUFFIX_INPUT_FORMATS: dict[str, InputFormat] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
    ".pq": "parquet",
}
STDIN = "-"


@dataclass(frozen=True)
class InputTable:
    """Texts to classify, and for each the other columns of its row (empty for plain lines)."""

    texts: list[str]
    extras: list[dict[str, Any]]
    text_column: str | None = None
    reason: str = ""
    notes: list[str] = field(default_factory=list)


def input_format(source: str, given: str | None = None) -> InputFormat | None:
    """The format named by `given` or by the file's suffix; None for stdin without `--format` (sniffed)."""
    if given is not None:
        if given not in INPUT_FORMATS:
            raise DataError(f"unknown --format {given!r}: use one of {', '.join(INPUT_FORMATS)}")
        return given  # type: ignore[return-value]
    if source == STDIN:
        return None
    return SUFFIX_INPUT_FORMATS.get(Path(source).suffix.lower(), "lines")


def read_input_table(
    source: str, text_column: str | None = None, fmt: str | None = None, stdin: io.TextIOBase | None = None
) -> InputTable:
    """Read `source` (a path, or `-` for `stdin`) into texts and pass-through columns; DataError on bad input."""
    kind = input_format(source, fmt)
    if kind == "parquet":
        return _from_frame(_read_parquet(source), text_column, source)
    if source == STDIN:
        import sys

        text = (stdin or sys.stdin).read()
        name = "stdin"
    else:
        path = Path(source)
        if not path.is_file():
            raise DataError(f"{source} not found: check the path, or give `-` to read texts from stdin")
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DataError(f"{source} is not valid UTF-8 (offset {exc.start}): re-save it as UTF-8") from exc
        name = source
    return parse_input_text(str(text), kind, text_column, name)


def parse_input_text(text: str, kind: InputFormat | None, text_column: str | None, name: str) -> InputTable:
    """The texts in `text`, read as `kind` (None: sniffed, for stdin)."""
    notes: list[str] = []
    if kind is None:
        kind, why = _sniff_kind(text, text_column)
        notes.append(f"{name}: read as {kind} ({why})")
    if kind == "lines":
        if text_column is not None:
            raise ColumnError(
                f"--text-column {text_column!r} needs a table (.csv, .tsv, .jsonl, .json, .parquet) or --format"
            )
        texts = [line.strip() for line in text.splitlines() if line.strip()]
        return InputTable(texts, [{} for _ in texts], None, "one text per line", notes)
    if kind in ("jsonl", "json"):
        records = _json_records(text, kind, name)
        return _from_records(records, text_column, name, notes)
    delimiter = "\t" if kind == "tsv" else None
    if delimiter is None:
        delimiter, why = sniff_delimiter(text[:65536])
        if delimiter != ",":
            notes.append(f"{name}: {why}")
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    try:
        records = [dict(row) for row in reader]
    except csv.Error as exc:
        raise DataError(f"cannot parse {name} as {kind}: {exc}") from exc
    if reader.fieldnames is None:
        raise DataError(f"{name} is empty: it holds no header and no rows")
    return _from_records(records, text_column, name, notes, columns=list(reader.fieldnames))


def _sniff_kind(text: str, text_column: str | None) -> tuple[InputFormat, str]:
    head = text.lstrip()[:1]
    if head == "{":
        return "jsonl", "it starts with a JSON object"
    if text_column is not None:
        first = text.splitlines()[0] if text.strip() else ""
        delimiter, _ = sniff_delimiter(text[:65536])
        if text_column in next(csv.reader([first], delimiter=delimiter), []):
            return ("tsv" if delimiter == "\t" else "csv"), f"its header names the column {text_column!r}"
    return "lines", "one text per line; use --format csv|tsv|jsonl for a table"


def _json_records(text: str, kind: InputFormat, name: str) -> list[dict[str, Any]]:
    stripped = text.strip()
    if kind == "json" and stripped.startswith("["):
        try:
            loaded = json.loads(stripped)
        except ValueError as exc:
            raise DataError(f"{name} is not valid JSON: {exc}") from exc
        rows: list[Any] = loaded if isinstance(loaded, list) else []
    else:
        rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except ValueError as exc:
                raise DataError(f"{name}:{number}: not a JSON object ({exc.args[0]})") from exc
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise DataError(f"{name}: record {number} is not a JSON object: give one object per line")
    return rows


def _from_frame(frame: Any, text_column: str | None, name: str) -> InputTable:
    columns = [str(column) for column in frame.columns]
    frame.columns = columns
    records = frame.to_dict(orient="records")
    return _from_records(records, text_column, name, [], columns=columns)


def _read_parquet(source: str) -> Any:
    if source == STDIN:
        import sys

        data = sys.stdin.buffer.read()
        source_arg: Any = io.BytesIO(data)
    else:
        if not Path(source).is_file():
            raise DataError(f"{source} not found: check the path")
        source_arg = source
    try:
        import pandas as pd

        return pd.read_parquet(source_arg)
    except ImportError as exc:
        raise DataError(f"reading parquet needs pandas and pyarrow: {exc}; `pip install ml-intern-bot[train]`") from exc
    except Exception as exc:  # pyarrow's errors have no common base we can name
        raise DataError(f"cannot read {source} as parquet: {type(exc).__name__}: {exc}") from exc


def _from_records(
    records: list[dict[str, Any]],
    text_column: str | None,
    name: str,
    notes: list[str],
    columns: list[str] | None = None,
) -> InputTable:
    if columns is None:
        seen: dict[str, None] = {}
        for record in records:
            seen.update(dict.fromkeys(str(key) for key in record))
        columns = list(seen)
    if not records:
        raise DataError(f"{name} holds no rows")
    if text_column is not None:
        if text_column not in columns:
            raise ColumnError(
                f"--text-column {text_column!r} not found in {name}; the columns are: {', '.join(columns)}"
            )
        column, reason = text_column, f"text column {text_column!r} (given)"
    else:
        column, reason = detect_text_column(records, columns, name)
    texts: list[str] = []
    extras: list[dict[str, Any]] = []
    for record in records:
        value = record.get(column)
        texts.append("" if value is None or value != value else str(value).strip())  # None or NaN
        extras.append({str(key): _plain(item) for key, item in record.items() if key != column})
    return InputTable(texts, extras, column, reason, notes)


def detect_text_column(records: list[dict[str, Any]], columns: list[str], name: str) -> tuple[str, str]:
    """The text column, as `intern run` picks it: a usual text column name (`text`, `instruction`, ...), else the
    column with the longest free text; numbers and ids never count as text."""
    from runner.data.columns import TEXT_NAMES

    sample = records[:2000]
    words: dict[str, float] = {}
    for column in columns:
        values = [record.get(column) for record in sample]
        strings = [value for value in values if isinstance(value, str) and value.strip()]
        if not strings or all(_numeric(value) for value in strings):
            continue
        words[column] = sum(len(value.split()) for value in strings) / len(strings)
    if not words:
        raise ColumnError(f"no text column found in {name} among {', '.join(columns)}: pass --text-column")
    named = [column for column in words if column.lower().strip() in TEXT_NAMES]
    if named:
        best = min(named, key=lambda column: TEXT_NAMES.index(column.lower().strip()))
        why = "its name is a usual text column name"
    else:
        best = max(words, key=lambda column: words[column])
        why = "it holds the longest text"
    return best, f"text column {best!r} ({why}, {words[best]:.1f} words on average)"


def _numeric(value: str) -> bool:
    try:
        float(value.replace(",", ""))
    except ValueError:
        return False
    return True


def _plain(value: Any) -> Any:
    """A JSON-ready copy of one pass-through value (numpy and pandas scalars, NaN as null)."""
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, str | int | float | bool):
        return value
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return _plain(item())
        except (TypeError, ValueError):
            pass
    if isinstance(value, dict):
        return {str(key): _plain(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(inner) for inner in value]
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return _plain(tolist())
    return str(value)
