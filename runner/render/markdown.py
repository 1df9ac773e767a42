"""The one Markdown module of runner and bot, pure: escaping, building blocks and one format per kind of number.

Untrusted text (dataset labels and columns, an issue's objective, LLM reasons, smoke diagnoses, logs) is made
inert here and nowhere else. `escape_md` is for prose and table cells: one line, Markdown punctuation
backslash-escaped, HTML brackets as entities (so no `<details>` or hidden `<!-- marker -->` can be opened or
closed), `@` mentions defused.
`fence` wraps a block (a log tail, a diff) in a backtick fence longer than any backtick run inside it, so the
text cannot close its own block; `inline_code` does the same for a span.

The other building blocks, with one agreed output for the reports, the model card and the bot's comments:
`cell` (a table cell), `table`, `duration` (`12.3 s`, `4 min 05 s`, `2 h 03 min`), `details` (a folded block),
`tail` / `log_block` (the end of a log, fenced), `read_optional_report` (None when a stage has not written its
report), and the size limits GitHub puts on what the bot posts.

Numbers: one rule per kind, so that a figure reads the same in every document that shows it: `score`
(a metric in [0, 1], 4 decimals), `threshold` (a probability cut-off, 4 decimals), `percent` (a share, 1
decimal), `duration`, `money` (USD, 2 decimals, `<$0.01` for a positive amount under a cent) and `count`
(thousands separated). `MARKDOWN_FILTERS` hands them all to the Jinja2 templates under the same names.

`shift_headings` moves an embedded document's headings under the heading it is embedded in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from runner.schemas import read_report

M = TypeVar("M", bound=BaseModel)

GITHUB_COMMENT_LIMIT = 65_536
"""GitHub refuses a comment, PR body or check summary longer than this many characters."""
GITHUB_TEXT_BUDGET = 60_000
"""What the bot lets one posted text grow to: under the limit with room for a marker and a header."""
LOG_TAIL_CHARS = 6000
"""How much of the end of a log a report or a comment shows."""
CELL_CHARS = 120

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#!|~])")  # `+`, `-`, `.` only matter at a line start
_BACKTICKS = re.compile(r"`+")
_CODE_SPAN = re.compile(r"`([^`]+)`")
ZERO_WIDTH_SPACE = "\u200b"


def escape_md(value: object, limit: int = 300) -> str:
    """`value` as inert Markdown text on one line, at most `limit` characters of it."""
    return _escape(_one_line(value, limit))


def prose(value: object, limit: int = 1000) -> str:
    """Untrusted prose that quotes code in backticks (a diagnosis, a reason): `escape_md`, except that each
    backtick-quoted span stays a code span (through `inline_code`, so it still cannot break out)."""
    parts = _CODE_SPAN.split(_one_line(value, limit))
    return "".join(inline_code(part) if index % 2 else _escape(part) for index, part in enumerate(parts))


def _one_line(value: object, limit: int) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: max(0, limit - 3)] + "..."


def _escape(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _SPECIAL.sub(r"\\\1", text)
    return text.replace("@", "@" + ZERO_WIDTH_SPACE)


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in _BACKTICKS.findall(text)), default=0)


def fence(text: str, info: str = "") -> str:
    """A fenced code block holding `text` verbatim that `text` cannot close."""
    marks = "`" * max(3, _longest_backtick_run(text) + 1)
    body = text if text.endswith("\n") else text + "\n"
    return f"{marks}{info}\n{body}{marks}"


def inline_code(value: object, limit: int = 200) -> str:
    """`value` as a one-line code span that it cannot close."""
    text = " ".join(str(value).split())[:limit]
    marks = "`" * (_longest_backtick_run(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{marks}{pad}{text}{pad}{marks}"


def cell_code(value: object, limit: int = 200) -> str:
    """`inline_code` inside a table cell: GFM splits cells on `|` even within a code span unless escaped."""
    return inline_code(value, limit).replace("|", "\\|")


def cell(text: object) -> str:
    """Untrusted text safe inside a markdown table cell: one line, escaped (`escape_md`), length capped."""
    return escape_md(text, limit=CELL_CHARS)


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def duration(seconds: float) -> str:
    """12.3 s, 4 min 05 s, 2 h 03 min."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"


def details(summary: str, body: str) -> str:
    return f"<details><summary>{summary}</summary>\n\n{body.strip()}\n\n</details>"


def tail(text: str, limit: int = LOG_TAIL_CHARS) -> str:
    """The last `limit` characters of `text`, marked when cut."""
    return text if len(text) <= limit else "...\n" + text[-limit:]


def log_block(text: str, limit: int = LOG_TAIL_CHARS, info: str = "text") -> str:
    """The end of a log in a fence it cannot close."""
    return fence(tail(text, limit), info)


def read_optional_report(path: Path, model: type[M]) -> M | None:
    """The report at `path` validated into `model`; None when the file does not exist (stage not run)."""
    return read_report(path, model) if path.is_file() else None


def score(value: float | None) -> str:
    """A metric in [0, 1] (accuracy, F1, precision, recall): 4 decimals; empty when there is none."""
    return "" if value is None else f"{value:.4f}"


def threshold(value: float) -> str:
    """A probability cut-off: 4 decimals like the score it is compared with, more when it is close to 1 (two
    significant digits of its distance to 1: 0.99904), so that a cut near 1 never reads as "1.0000"."""
    gap = 1.0 - value
    decimals = 4 if gap <= 0 or gap >= 0.01 else max(4, math.ceil(-math.log10(gap)) + 1)
    return f"{value:.{min(decimals, 6)}f}"


format_threshold = threshold  # the name the card and the reports of the abstention work use


def percent(value: float) -> str:
    """A share in [0, 1] as a percentage with 1 decimal: 0.955 -> 95.5%."""
    return f"{100 * value:.1f}%"


def money(usd: float) -> str:
    """US dollars with 2 decimals; a positive amount under a cent is `<$0.01`, not a misleading `$0.00`."""
    if 0 < usd < 0.005:
        return "<$0.01"
    return f"${usd:,.2f}"


def count(value: int) -> str:
    """A whole number with thousands separated: 26,872."""
    return f"{value:,}"


_HEADING = re.compile(r"^(#{1,6})(?=\s|$)")
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def shift_headings(markdown: str, top: int) -> str:
    """`markdown` with its ATX headings moved so that its highest one is level `top` (at most 6; fenced code
    left alone), so an embedded report nests under the heading it is embedded in."""
    lines = markdown.split("\n")
    levels, fence_mark = [], ""
    for line in lines:
        fence_mark = _fence_state(line, fence_mark)
        match = None if fence_mark else _HEADING.match(line)
        if match:
            levels.append(len(match.group(1)))
    if not levels:
        return markdown
    delta, out, fence_mark = top - min(levels), [], ""
    for line in lines:
        previous, fence_mark = fence_mark, _fence_state(line, fence_mark)
        match = None if (previous or fence_mark) else _HEADING.match(line)
        if match:
            line = "#" * min(6, max(1, len(match.group(1)) + delta)) + line[len(match.group(1)) :]
        out.append(line)
    return "\n".join(out)


def _fence_state(line: str, open_mark: str) -> str:
    """The fence that is open after `line` ("" when none), given the one open before it."""
    match = _FENCE_OPEN.match(line)
    if open_mark:
        closing = match is not None and match.group(1)[0] == open_mark[0] and len(match.group(1)) >= len(open_mark)
        return "" if closing and not line.strip().strip(open_mark[0]) else open_mark
    return match.group(1) if match else ""


MARKDOWN_FILTERS: dict[str, Callable[..., Any]] = {
    "md": escape_md,
    "prose": prose,
    "cell": cell,
    "code": inline_code,
    "cell_code": cell_code,
    "fenced": fence,
    "duration": duration,
    "score": score,
    "threshold": threshold,
    "percent": percent,
    "money": money,
    "count": count,
}
"""Every template's Markdown filters, under one name each."""
