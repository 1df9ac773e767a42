"""A real `intern run` on a small synthetic dataset, offline, with `scratch:tiny`; and one whose train.py breaks.

The run goes through `runner.pipeline.run_pipeline`, so `reports/run.json` is the real one. To keep it fast, an
`EditingReporter` (a hand-written reporter) plays the user who edits the scaffolded project between stages: when
the smoke stage starts it sets `training.epochs: 2` and `smoke.max_steps: 2` in intern.yaml (both are read by
the train.py subprocess, which starts after that), or, for the failure case, breaks train.py's main().
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from runner.errors import StageFailedError
from runner.pipeline import STAGES, RunOptions, run_pipeline
from runner.render.progress_display import SilentReporter, StageContext
from runner.schemas import (
    EvalReport,
    InspectReport,
    RunStatus,
    SmokeReport,
    StressReport,
    TrainSummary,
    read_epochs,
    read_report,
)
from runner.settings import RunnerSettings
from runner.stages.predict import predict_texts
from tests.fakes.datasets import LABELS, write_dataset

pytestmark = [pytest.mark.integration, pytest.mark.slow]


OFFLINE = RunnerSettings.from_mapping({**os.environ, "HF_HUB_OFFLINE": "1"})


class EditingReporter(SilentReporter):
    """Silent, except that it runs `edit(project)` once, when the smoke stage starts."""

    def __init__(self, project: Path, edit: Callable[[Path], None]) -> None:
        self.project, self.edit, self.edited = project, edit, False

    @contextmanager
    def stage(self, name: str, detail: str = "") -> Iterator[StageContext]:
        if name.startswith("smoke") and not self.edited:
            self.edit(self.project)
            self.edited = True
        with super().stage(name, detail) as ctx:
            yield ctx


def shorten(project: Path) -> None:
    path = project / "intern.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["training"].update(epochs=2, early_stopping_patience=None, stop_when_perfect=False)
    config["smoke"].update(max_steps=2, rows_per_class=2)
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def break_train_script(project: Path) -> None:
    shorten(project)
    path = project / "train.py"
    text = path.read_text(encoding="utf-8")
    marker = "def main() -> int:\n"
    assert marker in text
    path.write_text(text.replace(marker, marker + '    raise RuntimeError("boom")\n', 1), encoding="utf-8")


@dataclass(frozen=True)
class Run:
    project: Path
    status: RunStatus


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("e2e")
    data = write_dataset(root / "data", "csv", per_class=40, problems=True)
    project = root / "project"
    options = RunOptions(data=str(data), out=project, model="scratch:tiny", objective="route tickets", workflow=False)
    status = run_pipeline(options, EditingReporter(project, shorten), settings=OFFLINE)
    return Run(project, status)


def test_run_is_complete(finished: Run) -> None:
    assert finished.status.complete is True
    on_disk = read_report(finished.project / "reports" / "run.json", RunStatus)
    assert on_disk.complete is True
    assert list(on_disk.stages) == list(STAGES)
    assert all(stage.state == "ok" for stage in on_disk.stages.values())
    assert (finished.project / "reports" / "report.md").read_text(encoding="utf-8").startswith("# ML Intern run")


def test_every_report_validates(finished: Run) -> None:
    reports = finished.project / "reports"
    inspect = read_report(reports / "inspect.json", InspectReport)
    assert inspect.conflicting_groups == 1 and inspect.split_leakage == 0.0
    smoke = read_report(reports / "smoke.json", SmokeReport)
    assert smoke.ok and smoke.steps == 2 and (smoke.examples_per_s or 0) > 0
    assert len(smoke.projections) > 0
    summary = read_report(reports / "train.json", TrainSummary)
    assert summary.model == "scratch:tiny" and summary.epochs_run == 2.0
    epochs = read_epochs(reports / "train.jsonl")
    assert [record.epoch for record in epochs] == [1.0, 2.0]
    stress = read_report(reports / "stress.json", StressReport)
    assert {family.family for family in stress.families} == {"negation", "ambiguity", "unknown", "typos"}
    assert 0.0 <= stress.threshold <= 1.0
    for family in stress.families:  # right, wrong and abstained apart, and the sentence said from them
        if family.family != "unknown":
            assert family.right + family.abstained + family.wrong == pytest.approx(1.0, abs=2e-4)
        assert family.summary.startswith(f"{family.family}: ")
    abstention = read_report(reports / "eval.json", EvalReport).abstention
    assert abstention is not None and abstention.method == "chosen for the data"
    assert abstention.known_out_of_scope >= 80 and "generated off-topic" in abstention.reason
    assert (reports / "confusion_matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_model_directory(finished: Run) -> None:
    model = finished.project / "model"
    info = json.loads((model / "intern.json").read_text(encoding="utf-8"))
    summary = read_report(finished.project / "reports" / "train.json", TrainSummary)
    assert info["candidate"] == summary.winner in {"tfidf", "fine-tune"}  # scratch: no frozen-encoder candidates
    if info["kind"] == "transformer":
        kind_files: tuple[str, ...] = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")
    else:
        kind_files = ("head.skops", "tfidf.skops")
    for name in (*kind_files, "README.md", "intern.json"):
        assert (model / name).is_file(), name
    card = (model / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\n") and "model-index" in card


def test_evaluation_covers_every_label(finished: Run) -> None:
    report = read_report(finished.project / "reports" / "eval.json", EvalReport)
    assert isinstance(report.macro_f1, float) and 0.0 <= report.macro_f1 <= 1.0
    assert [item.label for item in report.per_class] == sorted(LABELS)
    assert report.confusion.labels == sorted(LABELS)
    assert report.baseline is not None and report.baseline_verdict
    assert report.leakage.with_duplicate_in_train == 0


def test_predict_on_the_trained_model(
    finished: Run, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from runner.cli import main

    monkeypatch.setattr(sys, "argv", ["intern", "predict", str(finished.project / "model"), "my invoice payment"])
    with pytest.raises(SystemExit) as caught:
        main()
    assert caught.value.code == 0
    label, score, text = capsys.readouterr().out.strip().split("\t")
    assert label in (*LABELS, "unknown")
    assert 0.0 <= float(score) <= 1.0
    assert text == "my invoice payment"


def test_broken_train_script_fails_the_smoke_stage(tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "data", "csv", per_class=10)
    project = tmp_path / "project"
    options = RunOptions(data=str(data), out=project, model="scratch:tiny", workflow=False)
    with pytest.raises(StageFailedError, match="smoke test failed"):
        run_pipeline(options, EditingReporter(project, break_train_script), settings=OFFLINE)
    status = read_report(project / "reports" / "run.json", RunStatus)
    assert status.complete is False
    assert status.stages["inspect"].state == "ok" and status.stages["scaffold"].state == "ok"
    assert status.stages["smoke"].state == "failed"
    assert all(status.stages[name].state == "pending" for name in ("train", "evaluate", "stress", "card"))
    smoke = read_report(project / "reports" / "smoke.json", SmokeReport)
    assert smoke.ok is False and smoke.error_class
    assert 'RuntimeError("boom")' in smoke.log_tail or "RuntimeError: boom" in smoke.log_tail
    assert not (project / "model").exists()


def test_demo_serves_the_trained_model(finished: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scaffolded app.py, launched for real on loopback and called through gradio_client."""
    import importlib.util
    import socket

    from gradio_client import Client

    monkeypatch.setenv("INTERN_MODEL", str(finished.project / "model"))
    spec = importlib.util.spec_from_file_location("intern_demo_app", finished.project / "app.py")
    assert spec is not None and spec.loader is not None
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, ssr_mode=False)
    try:
        answer, scores = Client(f"http://127.0.0.1:{port}/", verbose=False).predict(
            "my invoice payment", api_name="/predict"
        )
    finally:
        app.demo.close()
    # The headline is what `intern predict` answers (a label, or `unknown`); every class's score beneath it.
    shown = {item["label"] for item in scores["confidences"]}
    assert scores["label"] in shown and set(LABELS) <= shown <= set(LABELS)
    expected = predict_texts(finished.project / "model", ["my invoice payment"])[0]
    assert answer["label"] == expected.label
    assert scores["label"] == expected.top_label
