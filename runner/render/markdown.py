"""Untrusted text (dataset labels and columns, an issue's objective, logs) made inert in Markdown, pure.

`escape_md` is for prose and table cells: one line, Markdown punctuation backslash-escaped, HTML brackets as
entities (so no `<details>` or hidden `<!-- marker -->` can be opened or closed), `@` mentions defused.
`fence` wraps a block (a log tail, a diff) in a backtick fence longer than any backtick run inside it, so the
text cannot close its own block; `inline_code` does the same for a span.

The other building blocks, with one agreed output for the reports, the model card and the bot's comments:
`cell` (a table cell), `table`, `duration` (`12.3 s`, `4 min 05 s`, `2 h 03 min`), `details` (a folded block),
`tail` / `log_block` (the end of a log, fenced), `read_optional_report` (None when a stage has not written its
report), and the size limits GitHub puts on what the bot posts.

Still to switch (owned by the models work): `runner/stages/card.py` keeps its own `_cell`, `md_table`,
`format_duration` and `_optional_report`; they should become `cell`, `table`, `duration` and
`read_optional_report` from here (note: `duration` prints `12.3 s` where `format_duration` printed `12 s`).
`bot/compute/local.py` keeps its own `LOG_TAIL_CHARS = 6000`: import it from here.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TypeVar

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
ZERO_WIDTH_SPACE = "\u200b"


def escape_md(value: object, limit: int = 300) -> str:
    """`value` as inert Markdown text on one line, at most `limit` characters of it."""
    text = " ".join(str(value).split())
    if len(text) > limit:
        text = text[: max(0, limit - 3)] + "..."
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


def format_threshold(threshold: float) -> str:
    """A threshold with the decimals that matter: at least three, and two significant digits of its distance to 1
    (0.9990, 0.967, 0.785), so that a cut close to 1 never reads as "1.00"."""
    gap = 1.0 - threshold
    decimals = 3 if gap <= 0 or gap >= 0.1 else max(3, math.ceil(-math.log10(gap)) + 1)
    return f"{threshold:.{min(decimals, 6)}f}"
