"""The README stays true to the code: its command list is generated from the bot's command table."""

from __future__ import annotations

import re
from pathlib import Path

from bot.command_parser import render_command_list_md

README = Path(__file__).resolve().parents[2] / "README.md"


def _block(text: str) -> str:
    found = re.search(r"<!-- commands:start -->\n(.*?)<!-- commands:end -->", text, re.S)
    assert found, "README.md lost its <!-- commands:start/end --> markers"
    return found.group(1).strip()


def test_readme_command_list_matches_the_command_table() -> None:
    assert _block(README.read_text(encoding="utf-8")) == render_command_list_md().strip(), (
        "README.md's chat command list is stale: paste `python -c 'from bot.command_parser import "
        "render_command_list_md as r; print(r())'` between the markers"
    )


def test_readme_lists_every_intern_cli_command() -> None:
    from runner.cli import app

    text = README.read_text(encoding="utf-8")
    names = [
        command.name or (command.callback.__name__ if command.callback else "") for command in app.registered_commands
    ]
    missing = [name for name in names if name != "version" and f"intern {name}" not in text]
    assert not missing, f"README.md does not document: {missing}"
