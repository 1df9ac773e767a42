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
