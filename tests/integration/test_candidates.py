"""`intern run` with a (tiny, self-built) sentence encoder: every candidate trained side by side, the winner chosen on
validation and delivered whatever its kind, a given test split with out-of-scope rows, and the abstain threshold.

The encoder is a 1-layer BERT the test builds and saves in sentence-transformers format (tests/fakes/tiny_encoder.py),
so nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from runner.models.inference import load_classifier
from runner.pipeline import RunOptions, run_pipeline
from runner.schemas import EvalReport, SmokeReport, StressReport, TrainSummary, read_report
from runner.settings import RunnerSettings
from tests.fakes.datasets import LABELS, make_rows, write_rows
from tests.fakes.tiny_encoder import build_tiny_encoder
from tests.integration.test_run_end_to_end import EditingReporter

pytestmark = [pytest.mark.integration, pytest.mark.slow]
OUT_OF_SCOPE = [
    "what is the weather like in lisbon tomorrow",
    "tell me a joke about penguins",
    "how tall is the eiffel tower",
    "play some jazz music please",
    "qwzx plorf vendu kraatm",
    "translate good morning into german",
]

OFFLINE = RunnerSettings.from_mapping({**os.environ, "HF_HUB_OFFLINE": "1"})


def quick(project: Path) -> None:
    """What a user in a hurry edits: a short smoke test and a fine-tuning cap of 2 epochs."""
    path = project / "intern.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    # every candidate, even when TF-IDF is already perfect on this easy synthetic data
    config["training"].update(epochs=2, early_stopping_patience=None, batch_size=16, stop_when_perfect=False)
    config["smoke"].update(max_steps=2, rows_per_class=2)
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


@dataclass(frozen=True)
class Done:
    project: Path


@pytest.fixture(scope="module")
def done(tmp_path_factory: pytest.TempPathFactory) -> Done:
    root = tmp_path_factory.mktemp("candidates")
    rows, _ = make_rows(30, seed=1)
    encoder = build_tiny_encoder(root / "encoder", [row.text for row in rows])
    train = write_rows(root / "data" / "train.csv", rows)
    held_out, _ = make_rows(5, seed=7)
    test = write_rows(root / "data" / "test.csv", [*held_out, *((text, "oos") for text in OUT_OF_SCOPE)])
    project = root / "project"
    options = RunOptions(
        data=str(train), test=str(test), out=project, model=str(encoder), workflow=False, abstain_coverage=0.9
    )
    status = run_pipeline(options, EditingReporter(project, quick), settings=OFFLINE)
    assert status.complete
    return Done(project)


def test_every_candidate_is_reported_and_the_winner_is_best_on_validation(done: Done) -> None:
    summary = read_report(done.project / "reports" / "train.json", TrainSummary)
    by_name = {c.name: c for c in summary.candidates}
    assert set(by_name) == {"tfidf", "encoder", "encoder+tfidf", "fine-tune"}
    trained = [c for c in summary.candidates if c.status == "trained"]
    assert {"tfidf", "encoder", "encoder+tfidf"} <= {c.name for c in trained}
    best = max(c.validation_macro_f1 or 0.0 for c in trained)
    (winner,) = [c for c in summary.candidates if c.winner]
    assert winner.name == summary.winner and winner.validation_macro_f1 == best
    assert all(c.test_macro_f1 is not None for c in trained)  # scored after the choice, for the report
    fine_tune = by_name["fine-tune"]
    assert fine_tune.status == "trained" or fine_tune.reason.startswith("skipped: ")
    assert summary.encoder_source and "local folder" in summary.encoder_source


def test_the_delivered_model_matches_the_winner_and_scores_like_train_py(done: Done) -> None:
    summary = read_report(done.project / "reports" / "train.json", TrainSummary)
    info = json.loads((done.project / "model" / "intern.json").read_text(encoding="utf-8"))
    assert info["candidate"] == summary.winner
    assert info["kind"] == ("transformer" if summary.winner == "fine-tune" else "linear")
    assert info["labels"] == sorted(LABELS) and 0.0 <= info["threshold"] <= 1.0 and info["coverage"] == 0.9
    classifier = load_classifier(done.project / "model")
    texts = ["my invoice payment was overcharged", "the courier lost my parcel"]
    probabilities = classifier.predict_proba(texts)
    assert probabilities.shape == (2, len(LABELS))
    assert abs(float(probabilities.sum(axis=1).min()) - 1.0) < 1e-4
    report = read_report(done.project / "reports" / "eval.json", EvalReport)
    winner = next(c for c in summary.candidates if c.winner)
    assert report.macro_f1 == winner.test_macro_f1  # the saved model scores the test split as train.py did


def test_out_of_scope_rows_are_measured_by_abstention(done: Done) -> None:
    report = read_report(done.project / "reports" / "eval.json", EvalReport)
    assert report.out_of_scope_rows == len(OUT_OF_SCOPE) and report.rows == 5 * len(LABELS)
    assert [c.label for c in report.per_class] == sorted(LABELS)  # `oos` is no class
    abstention = report.abstention
    assert abstention is not None and abstention.coverage_target == 0.9
    assert abstention.out_of_scope_rows == len(OUT_OF_SCOPE) and abstention.out_of_scope_caught is not None
    assert abstention.validation_coverage >= 0.9
    assert 0.0 <= abstention.test_answered_right <= abstention.test_answered <= 1.0
    coverages = [p.coverage for p in abstention.curve]
    assert coverages == sorted(coverages) and coverages[-1] == 1.0
    png = done.project / "reports" / "coverage_curve.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    stress = read_report(done.project / "reports" / "stress.json", StressReport)
    assert stress.threshold == abstention.threshold  # stress tests use the threshold evaluation chose


def test_reports_and_card_show_every_candidate(done: Done) -> None:
    summary = read_report(done.project / "reports" / "train.json", TrainSummary)
    report_md = (done.project / "reports" / "report.md").read_text(encoding="utf-8")
    card = (done.project / "model" / "README.md").read_text(encoding="utf-8")
    for text in (report_md, card):
        assert f"**{summary.winner}** (delivered)" in text
        assert "| tfidf |" in text or "| **tfidf** (delivered)" in text
        assert "out-of-scope" in text.lower() or "Out-of-scope" in text
    assert "![coverage against accuracy](coverage_curve.png)" in report_md
    smoke = read_report(done.project / "reports" / "smoke.json", SmokeReport)
    assert smoke.ok


def test_demo_app_loads_the_delivered_model(done: Done, monkeypatch: pytest.MonkeyPatch) -> None:
    """app.py carries its own copy of the loading code: it scores every kind of winner without the runner."""
    monkeypatch.setenv("INTERN_MODEL", str(done.project / "model"))
    spec = importlib.util.spec_from_file_location("intern_candidates_app", done.project / "app.py")
    assert spec is not None and spec.loader is not None
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    shown, scores = app.predict("my invoice payment was overcharged")  # the answer, then every class's score
    assert set(scores) == set(LABELS)
    assert abs(sum(scores.values()) - 1.0) < 1e-4
    top = max(scores, key=scores.__getitem__)
    assert shown == ("unknown" if scores[top] < app.INFO.get("threshold", 0.0) else top)


def test_costlier_candidates_are_skipped_once_a_cheaper_one_is_perfect(tmp_path: Path) -> None:
    """Nothing beats macro F1 1.0 on validation: with the default `training.stop_when_perfect`, a perfect TF-IDF
    candidate ends the ladder, and the report says why."""
    rows, _ = make_rows(15, seed=3)  # each class has its own vocabulary: TF-IDF separates them perfectly
    data = write_rows(tmp_path / "data" / "train.csv", rows)
    project = tmp_path / "project"

    def short_smoke(folder: Path) -> None:
        path = folder / "intern.yaml"
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        config["smoke"].update(max_steps=2, rows_per_class=2)
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")

    options = RunOptions(data=str(data), out=project, model="scratch:tiny", workflow=False)
    assert run_pipeline(options, EditingReporter(project, short_smoke), settings=OFFLINE).complete
    summary = read_report(project / "reports" / "train.json", TrainSummary)
    by_name = {c.name: c for c in summary.candidates}
    assert by_name["tfidf"].validation_macro_f1 == 1.0 and summary.winner == "tfidf"
    assert by_name["fine-tune"].status == "skipped" and "stop_when_perfect" in by_name["fine-tune"].reason
    assert not (project / "reports" / "train.jsonl").exists()
