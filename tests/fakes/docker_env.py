"""`docker run --env-file FILE` as the Docker CLI reads it (opts/envfile.go): one `KEY=VALUE` per line, taken
literally after the first `=` (no quote removal, no escapes, no `${}` expansion), `#` lines and blank lines
skipped, leading whitespace of a line dropped, and a bare `KEY` copied from the caller's environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def read_docker_env_file(path: Path, host_env: Mapping[str, str] | None = None) -> dict[str, str]:
    host = os.environ if host_env is None else host_env
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.lstrip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not key or any(char.isspace() for char in key):
            raise ValueError(f"{path}:{number}: variable {key!r} contains whitespaces")
        if sep:
            values[key] = value
        elif key in host:
            values[key] = host[key]
    return values
