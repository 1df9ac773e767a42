"""Multi-label rows, their shapes, the iterative stratified group-aware split, columns and thresholds."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score

from runner.errors import ColumnError
from runner.tasks.multi_label.columns import detect_multilabel_columns, sniff_separator
from runner.tasks.multi_label.portable_data import (
    label_sets_from_frame,
    multilabel_sample,
    parse_label_cell,
    split_multilabel,
)
from runner.tasks.multi_label.portable_scoring import best_threshold, decide, label_matrix, tune_thresholds
from tests.fakes.multilabel_data import LABELS, multilabel_rows, write_binary_csv


@pytest.mark.parametrize(
    ("cell", "sep", "expected"),
    [
        ("a;b", ";", ["a", "b"]),
        (" a ; b ;a", ";", ["a", "b"]),
        ("", ";", []),
        (None, ";", []),
        (float("nan"), ";", []),
        (["x", "y"], None, ["x", "y"]),
        (np.array(["x", "y"]), None, ["x", "y"]),
        ("single", None, ["single"]),
    ],
)
def test_a_cell_becomes_a_label_list(cell: object, sep: str | None, expected: list[str]) -> None:
    assert parse_label_cell(cell, sep) == expected


def test_binary_columns_become_label_lists_and_bad_values_are_refused() -> None:
    frame = pd.DataFrame({"a": ["1", "0", "true"], "b": [0, 1, 1]})
    assert label_sets_from_frame(frame, ["a", "b"], None) == [["a"], ["b"], ["a", "b"]]
    with pytest.raises(ValueError, match="not a 0/1"):
        label_sets_from_frame(pd.DataFrame({"a": ["maybe"], "b": [1]}), ["a", "b"], None)


def test_the_split_keeps_duplicates_together_and_every_label_in_every_split() -> None:
    rows = multilabel_rows(300, seed=1)
    texts = [text for text, _ in rows] + [rows[0][0]] * 5  # one text six times
    sets = [labels for _, labels in rows] + [rows[0][1]] * 5
    split = split_multilabel(texts, sets, 0.1, 0.1, seed=42)
    assert sorted(itertools.chain(*split.values())) == list(range(len(texts)))
    home = {name for name, members in split.items() for i in members if texts[i] == rows[0][0]}
    assert len(home) == 1
    shares = {name: Counter(label for i in members for label in sets[i]) for name, members in split.items()}
    for label in LABELS:
        for name in ("train", "validation", "test"):
            assert shares[name][label] > 0, (label, name)
    assert abs(len(split["test"]) / len(texts) - 0.1) < 0.03
    assert split == split_multilabel(texts, sets, 0.1, 0.1, seed=42)  # seeded


def test_the_smoke_sample_has_every_label_and_rows_with_none() -> None:
    sets = [labels for _, labels in multilabel_rows(200)]
    picked = multilabel_sample(sets, 3, seed=0)
    assert {label for i in picked for label in sets[i]} == set(LABELS)
    assert any(not sets[i] for i in picked)


def test_separator_sniffing_and_its_refusals() -> None:
    assert sniff_separator(["a;b", "c", "a;c", "b"] * 10) == (";", 0.5)
    assert sniff_separator(["a|b", "c"] * 10)[0] == "|"  # type: ignore[index]
    assert sniff_separator(["hello, how are you today", "fine, thanks a lot my friend"]) is None  # prose
    assert sniff_separator(["x", "y"] * 10) is None


def test_columns_detected_with_reasons(tmp_path: Path) -> None:
    frame = pd.read_csv(write_binary_csv(tmp_path / "b.csv"), dtype=str)
    found = detect_multilabel_columns(frame)
    assert found.text == "text" and found.shape.kind == "binary" and found.shape.columns == LABELS
    with pytest.raises(ColumnError, match="must hold 0/1"):
        detect_multilabel_columns(frame, labels=["text", "billing"])
    with pytest.raises(ColumnError, match="not found"):
        detect_multilabel_columns(frame, labels=["nope"])


def test_best_threshold_matches_a_brute_force_search() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        truth = rng.integers(0, 2, 60)
        scores = np.round(rng.random(60) * 0.5 + truth * rng.random(60) * 0.5, 2)
        threshold, best = best_threshold(scores, truth)
        brute = max(f1_score(truth, scores >= t, zero_division=0) for t in np.unique(scores))
        assert best == pytest.approx(brute)
        assert f1_score(truth, scores >= threshold, zero_division=0) == pytest.approx(brute)


def test_rare_labels_share_one_threshold() -> None:
    truth = label_matrix([["a"], ["a", "b"], [], ["a"], ["a"], ["a"], []], ["a", "b"])
    scores = np.array([[0.9, 0.2], [0.8, 0.7], [0.1, 0.1], [0.7, 0.3], [0.85, 0.2], [0.6, 0.1], [0.3, 0.4]])
    thresholds, how = tune_thresholds(scores, truth, min_positives=3)
    assert how == ["tuned", "shared"]
    assert decide(scores, thresholds)[:, 0].tolist() == [1, 1, 0, 1, 1, 1, 0]
