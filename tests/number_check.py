"""Every number in a rendered comment traced back to the report it came from, with the one format per kind of
`runner.render.markdown` (score, threshold, percent, duration, money, count).

`unexplained(markdown, reports)` lists the numbers of `markdown` that no field of `reports` (parsed JSON, any
depth) gives under any of those formats, and that are not part of a name (a label, a hash, a URL, a run id).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from runner.render.markdown import count, duration, money, percent, score, threshold

DURATION = re.compile(r"\d+ h \d{2} min|\d+ min \d{2} s|\d+(?:\.\d)? s\b")
MONEY = re.compile(r"<?\$[\d,]+\.\d{2}")
NUMBER = re.compile(r"(?<![\w.#/:,-])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?(?![\w/-])")
NOT_FIGURES = re.compile(
    r"https?://\S+|`[^`]*`|<!--.*?-->|#\d+|\(\d+\.\d+× the projection\)|run #\d+|\bpercentile\b|\d+(?:st|nd|rd|th)\b"
)


def leaves(value: Any) -> Iterable[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item)
    else:
        yield value


def renderings(reports: Iterable[Any]) -> set[str]:
    """Every way the one-rule formats print every number of the reports, and the numbers in their strings."""
    found: set[str] = set()
    for leaf in (leaf for report in reports for leaf in leaves(report)):
        if isinstance(leaf, bool) or leaf is None:
            continue
        if isinstance(leaf, str):
            found.update(NUMBER.findall(leaf))
            continue
        number = float(leaf)
        found.update({score(number), threshold(number), percent(number), duration(number), money(number)})
        found.update({f"{number:g}", str(leaf)})
        if number == int(number):
            found.update({count(int(number)), str(int(number))})
    return found


def unexplained(markdown: str, reports: Iterable[Any], allowed: Iterable[str] = ()) -> list[str]:
    known = renderings(list(reports)) | set(allowed)
    text = NOT_FIGURES.sub(" ", markdown)
    missing = []
    for pattern in (DURATION, MONEY):
        for match in pattern.finditer(text):
            if match.group(0) not in known:
                missing.append(match.group(0))
        text = pattern.sub(" ", text)
    missing += [n for n in NUMBER.findall(text) if n not in known]
    return missing
