"""Run a project's `train.py` in a subprocess: stream its output, keep a log, enforce a time limit.

The child's environment is given (`RunnerSettings.environment`, read at the edge: `runner/cli.py`); this module
never reads the process environment.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict

TAIL_LINES = 60


class ScriptResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    returncode: int
    seconds: float
    timed_out: bool
    log_tail: str
    lines: list[str]


def child_env(base: Mapping[str, str], extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` with unbuffered output and quiet tokenizers (unless `base` says otherwise), then `extra` (pure)."""
    env = dict(base)
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.update(extra or {})
    return env


def run_script(
    args: list[str],
    cwd: Path,
    log_path: Path,
    time_limit_s: float,
    on_line: Callable[[str], None] | None = None,
    python: str = sys.executable,
    *,
    env: Mapping[str, str],
) -> ScriptResult:
    """Run `python args...` in `cwd` with `env` (plus `child_env`'s defaults); every output line goes to
    `log_path` and `on_line`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    kept: list[str] = []
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [python, *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=child_env(env),
        )
        timer = threading.Timer(time_limit_s, process.kill)
        timer.start()
        try:
            assert process.stdout is not None
            for raw in process.stdout:
                log.write(raw)
                log.flush()
                for line in raw.replace("\r", "\n").splitlines():
                    if not line.strip():
                        continue
                    tail.append(line)
                    if line.startswith(("INTERN_", "epoch ", "data: ", "model: ", "best epoch")):
                        kept.append(line)
                    if on_line is not None:
                        on_line(line)
            returncode = process.wait()
        finally:
            timer.cancel()
            if process.poll() is None:
                process.kill()
                process.wait()
    seconds = time.perf_counter() - started
    timed_out = returncode != 0 and seconds >= time_limit_s
    if timed_out:
        tail.append(f"TimeoutError: train.py exceeded its time limit of {time_limit_s:.0f} s and was stopped")
    return ScriptResult(
        returncode=returncode,
        seconds=round(seconds, 2),
        timed_out=timed_out,
        log_tail="\n".join(tail),
        lines=kept,
    )
