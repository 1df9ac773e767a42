"""The rendered train.py, run for real as a subprocess with --smoke on a tiny dataset (scratch:tiny, offline)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from runner.adapters.subprocess_run import child_env
from runner.config import save_config
from runner.stages.scaffold import build_config, write_project
from runner.stages.smoke import SMOKE_MARKER, parse_smoke_line
from runner.tasks.project import render_project
from tests.fakes.datasets import LABELS, write_dataset

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_train_script_smoke_run(tmp_path: Path) -> None:
    write_dataset(tmp_path, "csv", per_class=12, problems=True)
    config = build_config(
        source="data.csv",
        fmt="csv",
        text_column="text",
        label_column="label",
        labels=list(LABELS),
        model="scratch:tiny",
        rows=48,
    )
    config = config.model_copy(update={"smoke": config.smoke.model_copy(update={"max_steps": 3})})
    write_project(render_project(config, None, workflow=False), tmp_path)
    save_config(config, tmp_path)
    result = subprocess.run(
        [sys.executable, "train.py", "--config", "intern.yaml", "--smoke"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=child_env(os.environ, {"HF_HUB_OFFLINE": "1"}),
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = result.stdout.splitlines()
    metrics = parse_smoke_line(lines)
    assert metrics is not None, result.stdout[-2000:]
    assert sum(line.startswith(SMOKE_MARKER) for line in lines) == 1
    assert metrics["steps"] == 3
    assert metrics["examples_per_s"] > 0
    assert metrics["examples"] > 0
    assert 0.0 <= metrics["eval_macro_f1"] <= 1.0
    assert str(metrics["device"]) == "cpu"
    data_line = next(line for line in lines if line.startswith("data: "))
    assert data_line.endswith(f"{len(LABELS)} classes")
    assert not (tmp_path / "model").exists()  # a smoke run never writes a model
    assert not (tmp_path / "reports" / "train.jsonl").exists()
    assert not (tmp_path / ".intern" / "smoke").exists()
