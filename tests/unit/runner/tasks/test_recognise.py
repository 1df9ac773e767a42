"""Which task an objective asks for: table-driven, refusals included (never planned as text classification)."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.tasks.choose import choose_task, task_of_model
from runner.tasks.errors import UnknownTaskError, UnsupportedTaskError
from runner.tasks.recognise import DataEvidence, canonical_task, recognise_task
from runner.tasks.registry import REGISTRY, get_task
from tests.fakes.multilabel_data import write_binary_csv, write_joined_csv, write_list_jsonl


@pytest.mark.parametrize(
    ("objective", "task"),
    [
        ("classify photos of bean leaves by disease", "image-classification"),
        ("sort these pictures of trash into recycling bins", "image-classification"),
        ("tag each support ticket with every topic that applies", "multi-label-classification"),
        ("multi-label emotion detection for tweets", "multi-label-classification"),
        ("route support tickets by issue type", "text-classification"),
        ("detect spam in comments", "text-classification"),
        ("", "text-classification"),
    ],
)
def test_supported_tasks_from_the_objective(objective: str, task: str) -> None:
    assert recognise_task(objective).task == task


@pytest.mark.parametrize(
    ("objective", "task"),
    [
        ("find person names in contracts", "token-classification"),
        ("named entity recognition on news", "token-classification"),
        ("summarize long support threads", "summarization"),
        ("translate tickets into German", "translation"),
        ("fine-tune llama on our chat logs", "text-generation"),
        ("build a chatbot that answers customers", "text-generation"),
        ("transcribe call recordings", "automatic-speech-recognition"),
        ("detect objects in warehouse photos", "object-detection"),
        ("predict the price of a house", "tabular-regression"),
    ],
)
def test_unsupported_tasks_are_refused_naming_what_was_recognised(objective: str, task: str) -> None:
    with pytest.raises(UnsupportedTaskError) as caught:
        recognise_task(objective)
    message = str(caught.value)
    assert caught.value.task == task and task in message and caught.value.exit_code == 2
    assert "text-classification, multi-label-classification, image-classification" in message


def test_given_task_wins_and_aliases_resolve() -> None:
    assert recognise_task("find person names", given="multilabel").task == "multi-label-classification"
    assert canonical_task("Text Classification") == "text-classification"
    with pytest.raises(UnsupportedTaskError):
        canonical_task("token-classification")
    with pytest.raises(UnknownTaskError, match="use one of"):
        canonical_task("regression-of-things")


def test_data_evidence_beats_the_objective_words() -> None:
    evidence = DataEvidence(task="multi-label-classification", reason="several labels per row")
    assert recognise_task("classify tickets", evidence=evidence).reason == "several labels per row"


@pytest.mark.parametrize("writer", [write_joined_csv, write_list_jsonl, write_binary_csv])
def test_multilabel_data_is_recognised_in_every_shape(tmp_path: Path, writer: object) -> None:
    suffix = ".jsonl" if writer is write_list_jsonl else ".csv"
    path = writer(tmp_path / f"data{suffix}")  # type: ignore[operator]
    choice = choose_task(str(path), "route tickets")
    assert choice.task == "multi-label-classification", choice
    assert "several labels per text" in choice.reason


def test_single_label_data_stays_text_classification(tmp_path: Path) -> None:
    path = tmp_path / "single.csv"
    path.write_text("text,label\n" + "".join(f"ticket {i},{'ab'[i % 2]}\n" for i in range(40)), encoding="utf-8")
    assert choose_task(str(path), None).task == "text-classification"


def test_every_registered_task_implements_the_protocol() -> None:
    for name in REGISTRY:
        task = get_task(name)
        assert task.name == name
        for method in (
            "detect",
            "inspect",
            "config_fields",
            "render_files",
            "render_app",
            "evaluate",
            "stress",
            "write_card",
            "predict",
            "predictor",
            "render_prediction",
        ):
            assert callable(getattr(task, method)), (name, method)


def test_the_model_folder_says_its_task(tmp_path: Path) -> None:
    (tmp_path / "intern.json").write_text('{"task": "multi-label-classification"}', encoding="utf-8")
    assert task_of_model(tmp_path).name == "multi-label-classification"
    assert task_of_model(tmp_path / "missing").name == "text-classification"  # models from before tasks
