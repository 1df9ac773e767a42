"""The rendered train.py, run for real as a subprocess with --smoke on a tiny dataset (scratch:tiny, offline)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from runner.adapters.subprocess_run import child_env
from runner.config import InternConfig, save_config
from runner.render.progress_eta import is_progress_line
from runner.stages.scaffold import build_config, write_project
from runner.stages.smoke import SMOKE_MARKER, parse_smoke_line
from runner.tasks.project import render_project
from tests.fakes.datasets import LABELS, make_rows, write_dataset, write_rows
from tests.fakes.tiny_encoder import build_tiny_encoder

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def run_smoke(config: InternConfig, project: Path, max_steps: int, timeout: int) -> subprocess.CompletedProcess[str]:
    """Write the project for `config` into `project` and run its train.py --smoke (offline, CI set), which must pass."""
    config = config.model_copy(update={"smoke": config.smoke.model_copy(update={"max_steps": max_steps})})
    write_project(render_project(config, None, workflow=False), project)
    save_config(config, project)
    result = subprocess.run(
        [sys.executable, "train.py", "--config", "intern.yaml", "--smoke"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child_env(os.environ, {"HF_HUB_OFFLINE": "1", "CI": "1"}),
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


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
    result = run_smoke(config, tmp_path, max_steps=3, timeout=120)
    lines = result.stdout.splitlines()
    # The Trainer's steps, with a rate, as a plain line on stderr (CI is set); stdout keeps the lines `intern` reads.
    # (an epoch's note carries the progress line after "; ")
    shown = [line.rsplit("; ", 1)[-1] for line in result.stderr.splitlines()]
    steps = [line for line in shown if line.startswith("fine-tune: 3/3 steps (100%), ")]
    assert steps and is_progress_line(steps[-1]) and "steps/s, done in " in steps[-1], result.stderr[-2000:]
    assert not any(is_progress_line(line) for line in lines)
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


def test_train_script_shows_each_step_with_a_rate_and_an_eta_in_ci_logs(tmp_path: Path) -> None:
    """With a sentence encoder and CI set: the embedding of each split, each candidate's start and time, and the
    fine-tuning steps as plain lines on stderr; stdout's lines (`encoder: embedded ...`, `candidate ...: validation
    macro F1 ...`, INTERN_SMOKE) are as before."""
    rows, _ = make_rows(12, seed=3)
    write_rows(tmp_path / "data.csv", rows)
    encoder = build_tiny_encoder(tmp_path / "encoder", [row.text for row in rows])
    config = build_config(
        source="data.csv",
        fmt="csv",
        text_column="text",
        label_column="label",
        labels=list(LABELS),
        model=str(encoder),
        rows=len(rows),
    )
    result = run_smoke(config, tmp_path, max_steps=2, timeout=180)
    progress = result.stderr.splitlines()
    for split in ("train", "validation"):
        line = next((x for x in progress if x.startswith(f"embedding {split}: ")), "")
        assert is_progress_line(line) and " texts (100%), " in line and " texts/s, done in " in line, progress
    for name in ("tfidf", "encoder", "encoder+tfidf", "fine-tune"):
        assert f"candidate {name}: started" in progress
        assert any(x.startswith(f"candidate {name}: done in ") and x.endswith(" s") for x in progress), progress
    shown = [x.rsplit("; ", 1)[-1] for x in progress]  # an epoch's note carries the progress line after "; "
    assert any(x.startswith("fine-tune: 2/2 steps (100%), ") and is_progress_line(x) for x in shown), progress
    lines = result.stdout.splitlines()
    assert not any(is_progress_line(line) or line.endswith(": started") for line in lines)
    assert any(line.startswith("encoder: embedded ") for line in lines)
    trained = [line.split(":")[0] for line in lines if line.startswith("candidate ")]
    assert trained == ["candidate tfidf", "candidate encoder", "candidate encoder+tfidf", "candidate fine-tune"]
    assert all(" validation macro F1 " in line for line in lines if line.startswith("candidate "))
    assert parse_smoke_line(lines) is not None
