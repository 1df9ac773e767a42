"""Model card and Space files rendered from reports (runner/stages/card.py)."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from runner.config import save_config
from runner.errors import ProjectError
from runner.render.markdown import duration
from runner.schemas import write_report
from runner.stages.card import (
    derive_limitations,
    hub_model_id,
    render_model_card,
    render_space_files,
    write_card,
)
from runner.tasks.choose import task_of_config
from tests.fakes import sample_reports as sample


def front_matter(text: str) -> dict[str, Any]:
    assert text.startswith("---\n")
    meta = yaml.safe_load(text.split("---", 2)[1])
    assert isinstance(meta, dict)
    return meta


def full_card(**stress: float) -> str:
    return render_model_card(
        sample.config(),
        sample.inspect_report(),
        sample.train_summary(),
        sample.eval_report(),
        sample.stress_report(**stress),
        "intern-user/ticket-router",
    )


def test_front_matter_has_a_valid_model_index() -> None:
    meta = front_matter(full_card())
    assert meta["license"] == "apache-2.0"
    assert meta["base_model"] == "distilbert-base-uncased"
    assert meta["pipeline_tag"] == "text-classification"
    assert meta["datasets"] == ["bitext/Bitext-customer-support-llm-chatbot-training-dataset"]
    (entry,) = meta["model-index"]
    assert entry["name"] == "ticket-router"
    (result,) = entry["results"]
    assert result["task"]["type"] == "text-classification"
    assert result["dataset"]["split"] == "test"
    assert result["dataset"]["type"] == "bitext/Bitext-customer-support-llm-chatbot-training-dataset"
    metrics = {m["type"]: m for m in result["metrics"]}
    assert metrics["accuracy"]["value"] == pytest.approx(0.8)
    assert metrics["f1"]["value"] == pytest.approx(0.8)
    assert metrics["f1"]["config"] == "macro"


def test_model_index_round_trips_through_huggingface_hub() -> None:
    from huggingface_hub import ModelCard

    results = ModelCard(full_card()).data.eval_results  # type: ignore[attr-defined]
    assert {(r.metric_type, r.metric_value) for r in results} == {("accuracy", 0.8), ("f1", 0.8)}


def test_per_class_table_confusion_and_training_details() -> None:
    card = full_card()
    assert "| billing | 0.9500 | 0.9500 | 0.9500 | 10 |" in card
    assert "| refund | 0.5500 | 0.5500 | 0.5500 | 10 |" in card
    assert "| refund | 2 | 3 | 5 |" in card  # confusion matrix row
    assert "| tfidf-logreg" not in card and "baseline \\(tfidf-logreg\\)" in card
    assert "12 min 34 s" in card and "2 CPU cores" in card
    assert "| learning\\_rate | 5e-05 |" in card
    assert "Licence: cdla-sharing-1.0" in card and "Attribution: Bitext Innovations" in card
    assert 'MODEL = "intern-user/ticket-router"' in card
    assert 'pipeline("text-classification", model=str(folder))' in card
    assert "| setting | value |" in card  # every table has a header row


def test_limitations_reflect_bad_stress_results() -> None:
    card = full_card(unknown=0.1, typos=0.5)
    limitations = card.split("## Limitations and risks", 1)[1].split("## Intended use", 1)[0]
    assert "Weakest class: `refund` (F1 0.55" in limitations
    assert "Stress test unknown: 10% abstained (right), 90% got a label (wrong) (n=20): it often gives" in limitations
    assert "Stress test typos: 50% right, 25% abstained, 25% wrong (n=20): character noise leads" in limitations
    assert "Stress test negation: 60% right, 20% abstained, 20% wrong (n=20): the label may follow" in limitations


def test_limitations_reflect_good_stress_results() -> None:
    items = derive_limitations(sample.config(), None, sample.eval_report(), sample.stress_report(0.95, 0.79))
    text = "\n".join(items)
    assert "Stress test unknown: 95% abstained (right), 5% got a label (wrong) (n=20): at a threshold of 0.550" in text
    assert "Stress test typos: 79% right, 10% abstained, 10% wrong (n=20)" in text
    assert "often gives" not in text


def test_missing_stress_and_train_reports_say_not_run() -> None:
    card = render_model_card(sample.config(), None, None, sample.eval_report(), None, "intern-user/x")
    assert "Stress tests were not run" in card
    assert "robustness to negation, typos and unrelated inputs is unmeasured" in card
    assert "Training summary not found" in card
    assert "The data report (`intern inspect`) was not run." in card
    assert front_matter(card)["model-index"]


def test_card_without_evaluation_has_no_model_index() -> None:
    card = render_model_card(sample.config(model="scratch:tiny"), None, None, None, None, None)
    meta = front_matter(card)
    assert "model-index" not in meta and "base_model" not in meta
    assert "Evaluation was not run" in card
    assert "trained from scratch" in card


def test_write_card_reads_reports_and_writes_model_readme(tmp_path: Path) -> None:
    save_config(sample.config(), tmp_path)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "intern.json").write_text(json.dumps({"threshold": 0.42, "labels": sample.LABELS}))
    write_report(tmp_path / "reports" / "eval.json", sample.eval_report())
    path = write_card(tmp_path, "intern-user/router")
    card = path.read_text(encoding="utf-8")
    assert path == tmp_path / "model" / "README.md"
    assert front_matter(card)["model-index"][0]["name"] == "router"
    assert "below 0.42" in card  # threshold from model/intern.json
    assert "Stress tests were not run" in card


def test_write_card_without_model_dir_names_the_stage(tmp_path: Path) -> None:
    save_config(sample.config(), tmp_path)
    with pytest.raises(ProjectError, match="intern train"):
        write_card(tmp_path)


def test_space_files(tmp_path: Path) -> None:
    save_config(sample.config(), tmp_path)
    render_app = task_of_config(tmp_path).render_app
    files = render_space_files(tmp_path, "intern-user/router", "intern-user/router-demo", render_app)
    assert set(files) == {"README.md", "app.py", "requirements.txt"}
    meta = front_matter(files["README.md"].decode())
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py"
    assert str(meta["sdk_version"]).startswith("6.")
    assert meta["models"] == ["intern-user/router"]
    assert meta["title"] == "router-demo" and meta["emoji"] and meta["colorFrom"] and meta["colorTo"]
    app = files["app.py"].decode()
    ast.parse(app)
    assert '"intern-user/router"' in app
    requirements = files["requirements.txt"].decode().splitlines()
    assert any(line.startswith("transformers") for line in requirements)
    assert not any(line.startswith("gradio") for line in requirements)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("distilbert-base-uncased", "distilbert-base-uncased"),
        ("google-bert/bert-base-uncased", "google-bert/bert-base-uncased"),
        ("scratch:tiny", None),
        ("./models/local", None),
        ("/abs/path", None),
        ("a/b/c", None),
    ],
)
def test_hub_model_id(name: str, expected: str | None) -> None:
    assert hub_model_id(name) == expected


@pytest.mark.parametrize(("seconds", "text"), [(5.4, "5.4 s"), (754, "12 min 34 s"), (7260, "2 h 01 min")])
def test_the_card_prints_durations_with_the_one_rule(seconds: float, text: str) -> None:
    assert duration(seconds) == text
