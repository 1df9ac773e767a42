"""Checking that generated or edited Python parses, safely from any thread, as Python will read the file.

CPython 3.11's `ast.parse` is not thread-safe: two threads parsing at once can fail with
`SystemError: AST constructor recursion depth mismatch` (python/cpython gh-106905). The bot renders projects
and applies fixes from worker threads, so every parse goes through one lock.
"""

from __future__ import annotations

import ast
import codecs
import re
import threading

_PARSE_LOCK = threading.Lock()
_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


CODING_LINES = 2  # PEP 263: an encoding declaration counts on line 1 or 2 only


def parse_python(text: str, filename: str = "<generated>") -> ast.Module:
    """`ast.parse` then `compile` (which also rejects what parses but cannot run, such as `return` outside a
    function), under a process-wide lock; raises SyntaxError like them.

    The text is parsed as the UTF-8 bytes that get written to the file, not as a `str`: from bytes Python
    honours an encoding declaration (`# coding: raw_unicode_escape`) the way it will when it runs the file,
    while a `str` skips it, so issue text that turns into code once decoded would pass a check of the string
    (issue #17, L1). A declaration other than UTF-8 is refused outright."""
    data = text.encode("utf-8")
    encoding = declared_encoding(data)
    if encoding is not None and _codec_name(encoding) != "utf-8":
        raise SyntaxError(f"{filename}: declares the encoding {encoding!r}; generated files are UTF-8")
    with _PARSE_LOCK:
        tree = ast.parse(data, filename)
        compile(tree, filename, "exec", dont_inherit=True)
        return tree


def _codec_name(encoding: str) -> str | None:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None


def declared_encoding(data: bytes) -> str | None:
    """The encoding a PEP 263 declaration on line 1 or 2 names, None without one (pure)."""
    for line in data.splitlines()[:CODING_LINES]:
        match = _CODING.match(line)
        if match:
            return match.group(1).decode("ascii")
        if line.strip() and not line.lstrip().startswith(b"#"):
            return None  # code on line 1: line 2 is not looked at
    return None
