"""A real multi-label `intern run` offline: data with labels joined by ';' and no option but the data and a tiny
encoder the test builds; then predict, the demo, the card. And an unsupported objective refused with exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from runner.pipeline import RunOptions, run_pipeline
from runner.render.progress_display import SilentReporter
from runner.schemas import EvalReport, InspectReport, StressReport, TrainSummary, read_report
from runner.settings import RunnerSettings
from runner.tasks.predict_command import predict_command
from tests.fakes.multilabel_data import LABELS, multilabel_rows, write_joined_csv
from tests.fakes.tiny_encoder import build_tiny_encoder
from tests.integration.test_run_end_to_end import EditingReporter

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def shorten(project: Path) -> None:
    path = project / "intern.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["training"].update(epochs=1, early_stopping_patience=None, encoder_weights=[1.0, 2.0])
    config["model"]["fine_tune"] = "always"
    config["smoke"].update(max_steps=2, rows_per_class=2)
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


@dataclass(frozen=True)
class Run:
    project: Path
    complete: bool


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("multilabel")
    data = write_joined_csv(root / "tickets.csv", n=160)
    encoder = build_tiny_encoder(root / "encoder", [text for text, _ in multilabel_rows(160)])
    project = root / "project"
    options = RunOptions(data=str(data), out=project, model=str(encoder), workflow=False)
    reporter: SilentReporter = EditingReporter(project, shorten)
    status = run_pipeline(options, reporter, settings=RunnerSettings(hf_offline=True))
    return Run(project, status.complete)


def test_the_task_is_chosen_from_the_data_and_the_run_completes(finished: Run) -> None:
    assert finished.complete
    inspect = read_report(finished.project / "reports" / "inspect.json", InspectReport)
    assert inspect.task == "multi-label-classification"
    assert inspect.multi_label is not None and inspect.multi_label.label_sep == ";"
    assert inspect.multi_label.no_label_rows > 0 and inspect.multi_label.top_pairs
    config = yaml.safe_load((finished.project / "intern.yaml").read_text(encoding="utf-8"))
    assert config["task"] == "multi-label-classification" and config["data"]["label_sep"] == ";"
    assert sorted(config["labels"]) == LABELS


def test_every_candidate_and_the_winner_are_reported(finished: Run) -> None:
    summary = read_report(finished.project / "reports" / "train.json", TrainSummary)
    assert summary.task == "multi-label-classification"
    names = [c.name for c in summary.candidates]
    assert names == ["tfidf", "encoder", "encoder+tfidf", "fine-tune"]
    assert all(c.status == "trained" for c in summary.candidates)
    assert sum(c.winner for c in summary.candidates) == 1
    info = json.loads((finished.project / "model" / "intern.json").read_text(encoding="utf-8"))
    assert info["task"] == "multi-label-classification" and len(info["thresholds"]) == len(LABELS)


def test_evaluation_has_the_multilabel_figures(finished: Run) -> None:
    report = read_report(finished.project / "reports" / "eval.json", EvalReport)
    assert report.task == "multi-label-classification" and report.micro_f1 is not None
    assert report.multi_label is not None and 0 <= report.multi_label.hamming_loss <= 1
    assert [c.label for c in report.per_class] == sorted(LABELS)
    assert all(c.threshold is not None for c in report.per_class)
    assert report.baseline is not None and report.baseline_verdict
    assert (finished.project / "reports" / "per_label_f1.png").read_bytes()[:4] == b"\x89PNG"
    assert report.macro_f1 > 0.5  # the topics are in the words: far above chance


def test_stress_separates_right_wrong_and_no_label(finished: Run) -> None:
    stress = read_report(finished.project / "reports" / "stress.json", StressReport)
    assert {f.family for f in stress.families} == {"typos", "negation", "unknown", "combined"}
    for family in stress.families:
        assert family.right + family.wrong + family.abstained == pytest.approx(1.0, abs=0.01)
        assert family.summary.startswith(family.family)


def test_predict_card_and_demo(finished: Run) -> None:
    model = finished.project / "model"
    (line,) = predict_command(model, "I was charged twice and the parcel never arrived", None, None, None, False)
    labels, _scores, text = line.split("\t")
    assert text.startswith("I was charged") and (labels == "(none)" or set(labels.split(";")) <= set(LABELS))
    (record,) = predict_command(model, "hello", None, None, None, True)
    parsed = json.loads(record)
    assert set(parsed["scores"]) == set(LABELS) and set(parsed["thresholds"]) == set(LABELS)
    card = (model / "README.md").read_text(encoding="utf-8")
    assert "model-index" in card and "Micro F1" in card and "multi-label-classification" in card
    app = (finished.project / "app.py").read_text(encoding="utf-8")
    compile(app.encode("utf-8"), "app.py", "exec")
    assert "load_multilabel_model" in app and "threshold" in app


def test_an_unsupported_objective_exits_2_naming_the_task(tmp_path: Path) -> None:
    data = write_joined_csv(tmp_path / "t.csv", n=20)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "runner.cli",
            "run",
            str(data),
            "--objective",
            "find person names in contracts",
            "--out",
            str(tmp_path / "out"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "CI": "1", "HF_HUB_OFFLINE": "1"},
    )
    assert result.returncode == 2, result.stderr
    assert "token-classification" in result.stderr and "image-classification" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "train.py").exists()
