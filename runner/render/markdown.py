"""Untrusted text (dataset labels and columns, an issue's objective, logs) made inert in Markdown, pure.

`escape_md` is for prose and table cells: one line, Markdown punctuation backslash-escaped, HTML brackets as
entities (so no `<details>` or hidden `<!-- marker -->` can be opened or closed), `@` mentions defused.
`fence` wraps a block (a log tail, a diff) in a backtick fence longer than any backtick run inside it, so the
text cannot close its own block; `inline_code` does the same for a span.
"""

from __future__ import annotations

import re

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
