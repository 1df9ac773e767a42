"""The durability benchmark runs and finds nothing lost or duplicated (a small run; the figures are in docs/bot.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[3]


def test_small_durability_run_loses_and_duplicates_nothing() -> None:
    env = {k: v for k, v in os.environ.items() if k != "INTERN_TEST_POSTGRES_URL"}
    result = subprocess.run(
        [sys.executable, "benchmarks/durability_bench.py", "--jobs", "8", "--kills", "2", "--timeout", "120"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if line.startswith(("kill", "502"))]
    assert len(rows) == 2
    kill_row = rows[0]
    assert kill_row[3:7] == ["8", "8", "0", "2"], result.stdout  # sent, survived, duplicates, kills
