"""Checking that generated or edited Python parses, safely from any thread.

CPython 3.11's `ast.parse` is not thread-safe: two threads parsing at once can fail with
`SystemError: AST constructor recursion depth mismatch` (python/cpython gh-106905). The bot renders projects
and applies fixes from worker threads, so every parse goes through one lock.
"""

from __future__ import annotations

import ast
import threading

_PARSE_LOCK = threading.Lock()


def parse_python(text: str, filename: str = "<generated>") -> ast.Module:
    """`ast.parse` then `compile` (which also rejects what parses but cannot run, such as `return` outside a
    function), under a process-wide lock; raises SyntaxError like them."""
    with _PARSE_LOCK:
        tree = ast.parse(text, filename)
        compile(tree, filename, "exec", dont_inherit=True)
        return tree
