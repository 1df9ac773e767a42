"""Comment text, pure: Jinja2 templates, hidden markers, `<details>` folding, the 65,536-character cap, redaction.

Every comment the bot posts carries a hidden marker, so a re-run finds and edits it instead of posting again:
one sticky comment per run (`run_marker`), and one reply per triggering comment (`reply_marker`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from jinja2 import Environment

from runner.render.markdown import GITHUB_COMMENT_LIMIT, details, escape_md, fence
from runner.render.templating import template_environment

SAFETY_MARGIN = 512
REDACTED = "[redacted]"
TRUNCATION_NOTE = "\n\n… truncated ({cut} characters cut: the full text is in `reports/` on the PR branch)"


def inline_code(value: object) -> str:
    """Show untrusted text as inline code that cannot break out (backticks and newlines neutralised)."""
    text = str(value).replace("\r", " ").replace("\n", " ")[:200]
    return "`" + text.replace("`", "ˋ") + "`"


def table_cell(value: object) -> str:
    """Untrusted text inside a table cell (see `runner.render.markdown.escape_md`)."""
    return escape_md(value, limit=120)


@cache
def _environment() -> Environment:
    from runner.render.reports import abstention_md, candidates_table

    filters: dict[str, Callable[..., str]] = {
        "code": inline_code,
        "md": escape_md,
        "cell": table_cell,
        "fenced": fence,
        "candidates_table": candidates_table,
        "abstention_md": abstention_md,
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


def render_sections(header: str, sections: list[Section], limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """Header + sections, long parts in `<details>`, always under `limit` characters."""
    overhead = len(header) + sum(len(s.title) + 80 for s in sections) + SAFETY_MARGIN
    fitted = fit_sections(sections, max(0, limit - overhead))
    parts = [header.rstrip()]
    for section in fitted:
        if section.folded:
            parts.append(details(section.title, section.body))
        else:
            parts.append(f"### {section.title}\n\n{section.body}")
    body = "\n\n".join(parts) + "\n"
    return _truncate(body, limit - 1) if len(body) >= limit else body


def redact(text: str, secrets: list[str]) -> str:
    """`text` with every secret value replaced (longest first, so a secret inside another is covered)."""
    for secret in sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text
