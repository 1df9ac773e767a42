"""Text and label column detection (runner/data/columns.py)."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from runner.data.columns import column_stats, detect_columns
from runner.errors import ColumnError, DataError
from tests.fakes.datasets import LABELS, make_rows

N = 40


def _rows() -> tuple[list[str], list[str]]:
    rows, _ = make_rows(N // len(LABELS))
    return [row.text for row in rows], [row.label for row in rows]


def bitext_like() -> pd.DataFrame:
    texts, labels = _rows()
    rng = random.Random(0)
    return pd.DataFrame(
        {
            "flags": [rng.choice(["B", "BL", "BQZ", "L"]) for _ in texts],
            "instruction": texts,
            "category": [label.upper() for label in labels],
            "intent": [f"{label}_{i % 3}" for i, label in enumerate(labels)],
            "response": [" ".join(["Thank you for reaching out, we will"] * 6) + f" {i}" for i in range(len(texts))],
        }
    )


def renamed(text: str, label: str, labels: list[object] | None = None) -> pd.DataFrame:
    texts, names = _rows()
    return pd.DataFrame({text: texts, label: labels if labels is not None else names})


def test_bitext_headers() -> None:
    choice = detect_columns(bitext_like())
    assert (choice.text, choice.label) == ("instruction", "category")
    assert "usual text column name" in choice.reason
    assert "other candidates" in choice.reason and "intent" in choice.reason


@pytest.mark.parametrize(
    ("frame", "text", "label"),
    [
        (renamed("utterance", "intent"), "utterance", "intent"),
        (renamed("text", "label", [i % 4 for i in range(N)]), "text", "label"),
        (renamed("review", "stars", [1 + i % 5 for i in range(N)]), "review", "stars"),
        (renamed("Body", "Topic"), "Body", "Topic"),
        (renamed("comment_text", "bucket"), "comment_text", "bucket"),
    ],
    ids=["utterance-intent", "numeric-labels", "review-stars", "capitalised", "unknown-names"],
)
def test_detection_on_other_names(frame: pd.DataFrame, text: str, label: str) -> None:
    choice = detect_columns(frame)
    assert (choice.text, choice.label) == (text, label)
    assert f"text={text!r}" in choice.reason and f"label={label!r}" in choice.reason


def test_unique_id_column_is_not_a_label() -> None:
    frame = renamed("text", "label")
    frame.insert(0, "id", range(N))
    assert detect_columns(frame).label == "label"


def test_given_columns_are_used_as_given() -> None:
    choice = detect_columns(bitext_like(), text="response", label="intent")
    assert (choice.text, choice.label) == ("response", "intent")
    assert choice.reason == "text='response' (given); label='intent' (given)"


def test_only_the_label_given_detects_the_text() -> None:
    choice = detect_columns(bitext_like(), label="intent")
    assert (choice.text, choice.label) == ("instruction", "intent")


@pytest.mark.parametrize(("text", "label", "role"), [("prompt", None, "text"), (None, "klass", "label")])
def test_given_column_that_does_not_exist(text: str | None, label: str | None, role: str) -> None:
    with pytest.raises(ColumnError) as caught:
        detect_columns(bitext_like(), text=text, label=label)
    message = str(caught.value)
    assert f"{role} column" in message and f"--{role}" in message
    for column in ("flags", "instruction", "category", "intent", "response"):
        assert column in message


def test_same_column_for_text_and_label() -> None:
    with pytest.raises(ColumnError, match="same column"):
        detect_columns(bitext_like(), text="instruction", label="instruction")


def test_no_usable_label_column() -> None:
    texts, _ = _rows()
    frame = pd.DataFrame({"text": texts, "id": [f"row-{i}" for i in range(N)]})
    with pytest.raises(ColumnError, match=r"no label column found.*--label"):
        detect_columns(frame)


def test_single_valued_column_is_not_a_label() -> None:
    texts, _ = _rows()
    frame = pd.DataFrame({"text": texts, "label": ["same"] * N, "other": ["x"] * N})
    with pytest.raises(DataError, match="'label' holds a single class"):
        detect_columns(frame)
    with pytest.raises(ColumnError, match="no label column"):
        detect_columns(frame.drop(columns=["label"]))


def test_no_text_column() -> None:
    frame = pd.DataFrame({"a": [1, 2, 3, 4] * 5, "b": [0, 1] * 10})
    with pytest.raises(ColumnError, match=r"no text column found.*--text"):
        detect_columns(frame)


def test_column_stats() -> None:
    frame = pd.DataFrame({"text": ["one two", "three four five", None], "n": [1, 2, 2]})
    stats = {stat.name: stat for stat in column_stats(frame)}
    assert stats["text"].is_string and not stats["n"].is_string
    assert stats["text"].mean_words == 2.5
    assert stats["n"].distinct == 2
    assert stats["text"].rows == 3
