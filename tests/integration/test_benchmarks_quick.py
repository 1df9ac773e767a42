"""Every benchmark still runs: each one's `--quick` mode (tiny sizes, seconds) as a subprocess.

The figures are printed, not judged (they depend on the machine); a benchmark that no longer starts, crashes or
gets an answer it does not expect fails here, so it cannot rot unseen. The full runs are in the docs they feed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = sorted(path.name for path in (ROOT / "benchmarks").glob("*.py"))


def test_every_benchmark_is_listed() -> None:
    assert BENCHMARKS == [
        "abstention_bench.py",
        "durability_bench.py",
        "finetune_lr.py",
        "image_bench.py",
        "memory_bench.py",
        "models_bench.py",
        "multilabel_bench.py",
        "predict_bench.py",
        "webhook_bench.py",
    ]


@pytest.mark.parametrize("script", BENCHMARKS)
def test_quick_mode_runs(script: str) -> None:
    env = {key: value for key, value in os.environ.items() if key != "INTERN_TEST_POSTGRES_URL"}
    env.update(HF_HUB_OFFLINE="1", PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])))
    result = subprocess.run(
        [sys.executable, f"benchmarks/{script}", "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.strip(), f"{script} --quick printed no figures"
    print(result.stdout[-2000:])
