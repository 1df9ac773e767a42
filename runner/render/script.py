"""Generated scripts assembled from real modules of the project (pure: module sources in, script text out).

A task's training script is an ordinary module that ruff, mypy and the unit tests see. Where it needs code that the
runner shares with it (the split, model loading), it imports it between paste markers::

    # --- paste: runner.data.portable ---
    from runner.data.portable import load_splits
    # --- end paste ---

`assemble_script` replaces each such block with the named module's portable block (the code between that module's
own BEGIN/END markers), so the generated file is standalone and runs the very code the runner runs.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from runner.render.pysource import parse_python

_PASTE = re.compile(r"^# --- paste: (?P<module>[\w.]+) ---\n.*?^# --- end paste ---\n", re.MULTILINE | re.DOTALL)
# The markers around a module's portable block: (begin, end); the end line is kept in the copy.
_BLOCK_MARKERS = (
    ("# --- BEGIN PORTABLE", "# --- END PORTABLE"),
    ("# --- ML Intern: model loading", "# --- end of ML Intern: model loading ---"),
    ("# --- ML Intern: progress", "# --- end of ML Intern: progress ---"),
)


def module_source(module: str) -> str:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ValueError(f"no module {module!r} to take a script from")
    return Path(spec.origin).read_text(encoding="utf-8")


def portable_block(module: str) -> str:
    """The code between a module's BEGIN/END markers, end line included."""
    text = module_source(module)
    for begin, end in _BLOCK_MARKERS:
        if begin in text:
            start = text.index(begin)
            stop = text.index("\n", text.index(end, start))
            return text[start:stop]
    raise ValueError(f"{module} has no portable block (BEGIN/END markers)")


def assemble_script(module: str, header: str = "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n") -> str:
    """`module`'s source with every paste block replaced by the named module's portable block, under `header`;
    checked to compile, so a broken assembly never reaches a user's PR."""

    def paste(match: re.Match[str]) -> str:
        return portable_block(match.group("module")) + "\n"

    text = header + _PASTE.sub(paste, module_source(module))
    parse_python(text, module.rsplit(".", 1)[-1] + ".py")
    return text
