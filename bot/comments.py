"""Comment text, pure: Jinja2 templates, hidden markers, `<details>` folding, the 65,536-character cap, redaction.

Escaping and number formats come from `runner.render.markdown` (the one Markdown module), as template filters.

Every comment the bot posts carries a hidden marker, so a re-run finds and edits it instead of posting again:
one sticky comment per run (`run_marker`), and one reply per triggering comment (`reply_marker`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2 import Environment

from runner.render.markdown import GITHUB_COMMENT_LIMIT, MARKDOWN_FILTERS, details, shift_headings
from runner.render.templating import template_environment

SECTION_LEVEL = 3
"""The sticky comment's sections are level-3 headings under the run's level-2 header."""
SAFETY_MARGIN = 512
REDACTED = "[redacted]"
TRUNCATION_NOTE = "\n\n… truncated ({cut} characters cut: the full text is in `reports/` on the PR branch)"


@cache
def _environment() -> Environment:
    from runner.render.reports import abstention_md, candidates_table, confusion_table

    filters: dict[str, Callable[..., str]] = {
        **MARKDOWN_FILTERS,
        "candidates_table": candidates_table,
        "abstention_md": abstention_md,
        "confusion_table": confusion_table,
    }
    return template_environment("bot", trim_blocks=True, filters=filters)


def render_template(name: str, **context: object) -> str:
    return _environment().get_template(name).render(**context)


def marker(kind: str, key: int) -> str:
    """The hidden marker of the bot's one comment of `kind` about `key` (a run, a comment, a review)."""
    return f"<!-- intern-bot:{kind}:{key} -->"


def run_marker(run_id: int) -> str:
    return marker("run", run_id)


def reply_marker(comment_id: int) -> str:
    return marker("reply", comment_id)


@dataclass(frozen=True)
class Section:
    title: str
    body: str
    folded: bool = False


def _truncate(text: str, keep: int) -> str:
    if len(text) <= keep:
        return text
    note = TRUNCATION_NOTE.format(cut=len(text) - keep)
    return text[: max(0, keep - len(note))] + note


def fit_sections(sections: list[Section], budget: int) -> list[Section]:
    """Cut the longest section bodies until all of them together fit `budget` characters."""
    total = sum(len(section.body) for section in sections)
    if total <= budget:
        return sections
    # water-filling: find the largest cap so that sum(min(len, cap)) <= budget
    lengths = sorted(len(section.body) for section in sections)
    remaining, cap = budget, 0
    for index, length in enumerate(lengths):
        share = remaining // (len(lengths) - index)
        if length <= share:
            remaining -= length
            continue
        cap = share
        break
    else:
        return sections
    return [Section(s.title, _truncate(s.body, cap), s.folded) for s in sections]


def embed(title: str, body: str, level: int) -> tuple[str, str]:
    """A report embedded as a section titled `title` at heading `level`: its headings move below that level,
    and a first heading that repeats the title (`## Smoke test: passed` under `Smoke test`) becomes the title."""
    body = shift_headings(body.strip(), level + 1)
    first, _, rest = body.partition("\n")
    match = re.match(r"#{1,6} +(.*)$", first)
    if match and match.group(1).strip().lower().startswith(title.lower()):
        return match.group(1).strip(), shift_headings(rest.strip(), level + 1)
    return title, body


def render_sections(header: str, sections: list[Section], limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """Header + sections, long parts in `<details>`, always under `limit` characters."""
    overhead = len(header) + sum(len(s.title) + 80 for s in sections) + SAFETY_MARGIN
    fitted = fit_sections(sections, max(0, limit - overhead))
    parts = [header.rstrip()]
    for section in fitted:
        title, body = embed(section.title, section.body, SECTION_LEVEL)
        if section.folded:
            parts.append(details(title, body))
        else:
            parts.append(f"{'#' * SECTION_LEVEL} {title}\n\n{body}")
    body = "\n\n".join(parts) + "\n"
    return _truncate(body, limit - 1) if len(body) >= limit else body


HIDDEN_PATH = "<workdir>"


def hide_paths(text: str, folders: list[Path]) -> str:
    """`text` with every mention of `folders` (as given and resolved) replaced by `<workdir>`."""
    names = {str(folder) for folder in folders} | {str(folder.resolve()) for folder in folders}
    for name in sorted((n for n in names if len(n) > 1), key=len, reverse=True):
        text = text.replace(name, HIDDEN_PATH)
    return text


def redact(text: str, secrets: list[str]) -> str:
    """`text` with every secret value replaced (longest first, so a secret inside another is covered)."""
    for secret in sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text
