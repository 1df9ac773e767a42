"""The chat commands: one table (usage, who may run it, examples), a pure parser, and help generated from it.

A command is a line starting with `/intern` anywhere in a comment or review body (quoted lines and fenced code
are skipped). The verb is case-insensitive; arguments are `key=value` tokens. An unknown verb or a bad argument
becomes a `Rejection` with a "did you mean" suggestion, which the bot answers with help.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from bot.comments import inline_code, render_template

PREFIX = "/intern"
MAX_COMMANDS_PER_BODY = 5
MAX_VALUE_LENGTH = 300
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_VALUE = re.compile(r"^[\w./:@+-]+$")


@dataclass(frozen=True)
class CommandSpec:
    name: str
    usage: str
    summary: str
    who: str
    where: str
    examples: tuple[str, ...]
    keys: frozenset[str] = field(default_factory=frozenset)


WRITERS = "users with write or admin permission"
TRAIN_KEYS = frozenset({"dataset", "text", "label", "label_sep", "task", "model", "epochs", "compute"})

COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("help", "/intern help", "Show this list of commands.", "anyone", "an issue or PR", ("/intern help",)),
    CommandSpec(
        "train",
        "/intern train [dataset=D] [text=C] [label=C] [label_sep=S] [task=T] [model=M] [epochs=N] [compute=C]",
        "Plan, inspect the data and open a PR with the training project; smoke-test it in Actions.",
        WRITERS,
        "an issue",
        (
            "/intern train",
            "/intern train dataset=data/tickets.csv text=instruction label=category model=distilbert-base-uncased",
        ),
        TRAIN_KEYS,
    ),
    CommandSpec(
        "smoke",
        "/intern smoke",
        "Re-run the smoke test on the PR's current head.",
        WRITERS,
        "a PR",
        ("/intern smoke",),
    ),
    CommandSpec(
        "status",
        "/intern status",
        "Show the run's state and its audit log (who did what, when).",
        "anyone",
        "an issue or PR",
        ("/intern status",),
    ),
    CommandSpec("retry", "/intern retry", "Re-run the stage that failed.", WRITERS, "a PR", ("/intern retry",)),
    CommandSpec(
        "cancel",
        "/intern cancel",
        "Cancel the active run; nothing more is dispatched for it.",
        WRITERS,
        "an issue or PR",
        ("/intern cancel",),
    ),
    CommandSpec(
        "publish",
        "/intern publish",
        "Publish (again) the merged PR's model and demo to the Hub; idempotent.",
        WRITERS,
        "a merged PR",
        ("/intern publish",),
    ),
)
BY_NAME = {spec.name: spec for spec in COMMANDS}
# commands anyone may run: they only read state
READ_ONLY = frozenset({"help", "status"})


@dataclass(frozen=True)
class Command:
    verb: str
    args: dict[str, str]
    line: str


@dataclass(frozen=True)
class Request:
    """Where a command was asked and by whom: the issue or PR, the comment, and the issue's own text."""

    repo: str
    number: int
    is_pr: bool
    author: str
    comment_id: int
    installation_id: int | None
    title: str
    body: str


@dataclass(frozen=True)
class Rejection:
    line: str
    reason: str
    suggestion: str | None = None
    verb: str | None = None


def _lines(body: str) -> list[str]:
    lines, fenced = [], False
    for raw in body.splitlines():
        stripped = raw.strip()
        if stripped.startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced or stripped.startswith(">"):
            continue
        lines.append(stripped)
    return lines


def suggest(verb: str) -> str | None:
    """The closest known verb, for "did you mean"."""
    matches = difflib.get_close_matches(verb.lower(), list(BY_NAME), n=1, cutoff=0.5)
    return matches[0] if matches else None


def parse_line(line: str) -> Command | Rejection | None:
    """One line: a Command, a Rejection, or None when the line is not addressed to the bot."""
    tokens = line.split()
    if not tokens or tokens[0].lower() != PREFIX:
        return None
    if len(tokens) == 1:
        return Command("help", {}, line)
    verb = tokens[1].lower()
    spec = BY_NAME.get(verb)
    if spec is None:
        return Rejection(line, f"unknown command {inline_code(tokens[1][:40])}", suggest(verb))
    args: dict[str, str] = {}
    for token in tokens[2:]:
        key, sep, value = token.partition("=")
        key = key.lower()
        if not sep or not _KEY.match(key):
            return Rejection(line, f"{inline_code(token[:60])} is not a key=value argument", verb=verb)
        if key not in spec.keys:
            close = difflib.get_close_matches(key, sorted(spec.keys), n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            return Rejection(line, f"`{verb}` does not take `{key}`{hint}", verb=verb)
        if not value or len(value) > MAX_VALUE_LENGTH or not _VALUE.match(value):
            return Rejection(
                line,
                f"the value of `{key}` must be 1-{MAX_VALUE_LENGTH} characters of letters, digits and ./:@+-_",
                verb=verb,
            )
        if key in args:
            return Rejection(line, f"`{key}` is given twice", verb=verb)
        args[key] = value
    return Command(verb, args, line)


def parse_commands(body: str | None) -> list[Command | Rejection]:
    """Every command in a comment body, in order (at most MAX_COMMANDS_PER_BODY)."""
    found: list[Command | Rejection] = []
    for line in _lines(body or ""):
        parsed = parse_line(line)
        if parsed is not None:
            found.append(parsed)
        if len(found) >= MAX_COMMANDS_PER_BODY:
            break
    return found


def render_help_md(rejection: Rejection | None = None) -> str:
    """The `/intern help` reply, optionally explaining what was wrong first."""
    return render_template("help.md.j2", commands=COMMANDS, rejection=rejection)


def render_command_list_md() -> str:
    """The README's command list: one line per command, generated from the table."""
    return render_template("command_list.md.j2", commands=COMMANDS)
