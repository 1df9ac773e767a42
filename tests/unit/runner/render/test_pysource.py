"""Parsing Python from many threads at once never trips CPython 3.11's non-thread-safe AST builder.

The failure needs a thread switch while the AST objects are being built; a garbage-collector callback that
releases the GIL (`time.sleep(0)`), with low collection thresholds, makes that happen on every run.
"""

from __future__ import annotations

import ast
import gc
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from runner.render.pysource import parse_python

SOURCE = "def f(x):\n    return [i for i in range(x) if i % 2]\n" * 300


def _release_gil(phase: str, info: dict[str, Any]) -> None:
    time.sleep(0)


@pytest.fixture
def switching_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    gc.set_threshold(50, 5, 5)
    gc.callbacks.append(_release_gil)
    try:
        yield
    finally:
        gc.callbacks.remove(_release_gil)
        gc.set_threshold(*thresholds)


def _parse_in_threads(parse: Callable[[str], ast.Module]) -> list[ast.Module]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(parse, [SOURCE] * 40))


def test_parses_and_rejects_like_ast_parse() -> None:
    assert len(parse_python("a = 1\n").body) == 1
    with pytest.raises(SyntaxError):
        parse_python("def (:\n")


@pytest.mark.usefixtures("switching_gc")
def test_the_race_is_real_without_the_lock() -> None:
    """The control: on an interpreter with the bug, unguarded parses in threads do fail this way."""
    try:
        _parse_in_threads(ast.parse)
    except SystemError as exc:
        assert "recursion depth mismatch" in str(exc)
    else:
        pytest.skip(f"Python {sys.version.split()[0]} does not show the race; the guarded test still runs")


@pytest.mark.usefixtures("switching_gc")
def test_parallel_parses_all_succeed() -> None:
    modules = _parse_in_threads(parse_python)
    assert all(len(module.body) == 300 for module in modules)


# --- issue #17, L1: the bytes, as Python will read the file ----------------------------------------------------

SMUGGLED = "coding: raw_unicode_escape \\u000aimport os; os.system('id')"


def test_a_coding_declaration_is_honoured_as_python_reads_the_file() -> None:
    """As a `str` this is one comment line; as the file's bytes, raw_unicode_escape turns `\\u000a` into a line
    break and the rest into code. The check parses the bytes, and refuses any encoding but UTF-8."""
    text = f"# {SMUGGLED}\nx = 1\n"
    compile(text, "t.py", "exec")  # the string check alone passes it
    with pytest.raises(SyntaxError, match="raw_unicode_escape"):
        parse_python(text, "t.py")
    assert parse_python("# -*- coding: utf-8 -*-\nx = 1\n").body


def test_the_objective_is_never_on_the_first_two_lines_of_generated_files() -> None:
    from runner.config import InternConfig
    from runner.render.pysource import declared_encoding
    from runner.stages.scaffold import render_app
    from runner.tasks.project import render_train_script
    from tests.unit.runner.stages.test_scaffold import config

    script = render_train_script(config(objective=SMUGGLED))
    app = render_app("./model", SMUGGLED, "desc")
    for text in (script, app):
        data = text.encode("utf-8")
        assert "raw_unicode_escape" not in "\n".join(text.splitlines()[:2])
        assert declared_encoding(data) == "utf-8"
        calls = [node for node in ast.walk(ast.parse(data)) if isinstance(node, ast.Call)]
        assert not [c for c in calls if isinstance(c.func, ast.Attribute) and c.func.attr == "system"]
    assert isinstance(config(), InternConfig)
