"""The data block copied verbatim into every train.py (runner/data/portable.py)."""

from __future__ import annotations

import ast
import math
import random
from collections import Counter
from pathlib import Path

import pytest

from runner.data.portable import (
    clean_rows,
    label_to_str,
    load_splits,
    normalise_text,
    portable_source,
    split_indices,
    stratified_sample,
)
from tests.fakes.datasets import LABELS, Row, make_rows, write_rows

SPLITS = ("train", "validation", "test")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Hello, World!", "hello world"),
        ("  many \t spaces\n here ", "many spaces here"),
        ("I can't log-in...", "i can t log in"),
        ("ＦＵＬＬ width", "full width"),  # NFKC folds full-width letters
        ("ﬁle", "file"),  # NFKC expands the ligature
        ("Café", "café"),
        ("", ""),
        ("!!!", ""),
    ],
)
def test_normalise_text(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected


def test_normalise_text_drops_braces_like_other_punctuation() -> None:
    assert normalise_text("reset {order} now") == normalise_text("reset order now")


def test_normalise_text_makes_variants_equal() -> None:
    variants = ["Where is my PARCEL?", "where is my parcel", "  Where,  is my parcel!! "]
    assert len({normalise_text(text) for text in variants}) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, "1"), (1.0, "1"), ("1", "1"), (" 1 ", "1"), (2.5, "2.5"), ("billing", "billing"), (0, "0"), (-3.0, "-3")],
)
def test_label_to_str(value: object, expected: str) -> None:
    assert label_to_str(value) == expected


def test_one_and_one_point_zero_are_the_same_class() -> None:
    assert len({label_to_str(value) for value in (1, 1.0, "1")}) == 1


def test_clean_rows_drops_empty_none_and_nan() -> None:
    texts: list[object] = ["keep me", None, float("nan"), "", "   ", "keep two", "no label", "nan label", "blank label"]
    labels: list[object] = ["a", "a", "a", "a", "a", 2.0, None, float("nan"), " "]
    kept_texts, kept_labels, kept_rows = clean_rows(texts, labels)
    assert kept_texts == ["keep me", "keep two"]
    assert kept_labels == ["a", "2"]
    assert kept_rows == [0, 5]


def test_clean_rows_strips_text_and_stringifies() -> None:
    kept_texts, kept_labels, kept_rows = clean_rows(["  padded  ", 42], [" x ", 1])
    assert kept_texts == ["padded", "42"]
    assert kept_labels == ["x", "1"]
    assert kept_rows == [0, 1]


def test_clean_rows_rejects_unequal_lengths() -> None:
    with pytest.raises(ValueError):
        clean_rows(["a", "b"], ["x"])


def _dataset(per_class: int, seed: int, duplicate_share: float = 0.0) -> tuple[list[str], list[str]]:
    rows, _ = make_rows(per_class, seed=seed)
    rng = random.Random(seed)
    texts = [row.text for row in rows]
    labels = [row.label for row in rows]
    for _ in range(int(len(rows) * duplicate_share)):  # exact and normalised duplicates, some with another label
        index = rng.randrange(len(rows))
        variant = rng.choice([texts[index], texts[index].upper() + "?", "  " + texts[index] + "!"])
        label = labels[index] if rng.random() < 0.8 else rng.choice(LABELS)
        texts.append(variant)
        labels.append(label)
    return texts, labels


def test_split_is_deterministic_per_seed() -> None:
    texts, labels = _dataset(20, seed=1)
    first = split_indices(texts, labels, 0.2, 0.1, seed=7)
    again = split_indices(texts, labels, 0.2, 0.1, seed=7)
    other = split_indices(texts, labels, 0.2, 0.1, seed=8)
    assert first == again
    assert first != other


def test_split_is_a_partition_of_every_row() -> None:
    texts, labels = _dataset(15, seed=2, duplicate_share=0.3)
    rows = split_indices(texts, labels, 0.1, 0.1, seed=3)
    everything = [index for name in SPLITS for index in rows[name]]
    assert sorted(everything) == list(range(len(texts)))


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("per_class", [3, 4, 9, 30])
def test_split_stratifies_every_class_with_three_groups(seed: int, per_class: int) -> None:
    texts, labels = _dataset(per_class, seed=seed)
    rows = split_indices(texts, labels, 0.1, 0.1, seed=seed)
    for name in SPLITS:
        assert {labels[i] for i in rows[name]} == set(LABELS), name


def test_split_class_with_two_groups_reaches_train_and_test() -> None:
    texts, labels = _dataset(10, seed=0)
    texts += ["lonely text one", "lonely text two"]
    labels += ["rare", "rare"]
    rows = split_indices(texts, labels, 0.1, 0.1, seed=0)
    assert "rare" in {labels[i] for i in rows["train"]}
    assert "rare" in {labels[i] for i in rows["test"]}


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("duplicate_share", [0.2, 0.6])
def test_split_never_puts_a_normalised_text_in_two_splits(seed: int, duplicate_share: float) -> None:
    texts, labels = _dataset(12 + seed, seed=seed, duplicate_share=duplicate_share)
    rows = split_indices(texts, labels, 0.15, 0.15, seed=seed)
    owner: dict[str, str] = {}
    for name in SPLITS:
        for index in rows[name]:
            key = normalise_text(texts[index])
            assert owner.setdefault(key, name) == name, f"{texts[index]!r} in {owner[key]} and {name}"


@pytest.mark.parametrize(("test_size", "validation_size"), [(0.1, 0.1), (0.2, 0.1), (0.3, 0.2)])
def test_split_respects_the_shares(test_size: float, validation_size: float) -> None:
    texts, labels = _dataset(100, seed=5)
    rows = split_indices(texts, labels, test_size, validation_size, seed=5)
    n = len(texts)
    for name, share in (("test", test_size), ("validation", validation_size)):
        assert math.isclose(len(rows[name]) / n, share, abs_tol=0.02), (name, len(rows[name]))
    per_class = Counter(labels[i] for i in rows["test"])
    for label in LABELS:
        assert math.isclose(per_class[label] / 100, test_size, abs_tol=0.03), label


def test_split_with_no_test_share_gives_no_test_rows() -> None:
    texts, labels = _dataset(20, seed=0)
    rows = split_indices(texts, labels, 0.0, 0.2, seed=0)
    assert rows["test"] == []
    assert {labels[i] for i in rows["validation"]} == set(LABELS)
    assert len(rows["train"]) + len(rows["validation"]) == len(texts)


@pytest.mark.parametrize("per_class", [1, 2, 5])
def test_stratified_sample_takes_up_to_n_per_class(per_class: int) -> None:
    labels = ["a"] * 10 + ["b"] * 3 + ["c"] * 1
    picked = stratified_sample(labels, per_class, seed=0)
    counts = Counter(labels[i] for i in picked)
    assert counts == {"a": min(per_class, 10), "b": min(per_class, 3), "c": 1}
    assert picked == sorted(picked)
    assert len(set(picked)) == len(picked)


def test_stratified_sample_is_seeded() -> None:
    labels = ["a"] * 50 + ["b"] * 50
    assert stratified_sample(labels, 5, seed=1) == stratified_sample(labels, 5, seed=1)
    assert stratified_sample(labels, 5, seed=1) != stratified_sample(labels, 5, seed=2)


def _config(source: str, test_source: str | None = None) -> dict[str, object]:
    return {
        "data": {
            "source": source,
            "format": "csv",
            "text_column": "text",
            "label_column": "label",
            "test_source": test_source,
            "test_format": None,
        },
        "split": {"seed": 42, "test_size": 0.2, "validation_size": 0.1},
    }


def test_load_splits_carves_a_clean_split(tmp_path: Path) -> None:
    rows, _ = make_rows(10, problems=True)
    write_rows(tmp_path / "data.csv", [*rows, Row("", "billing")])
    parts = load_splits(_config("data.csv"), str(tmp_path))
    assert set(parts) == set(SPLITS)
    total = sum(len(parts[name][0]) for name in SPLITS)
    assert total == len(rows)  # the empty-text row was dropped
    train_keys = {normalise_text(text) for text in parts["train"][0]}
    assert not train_keys & {normalise_text(text) for text in parts["test"][0]}
    for name in SPLITS:
        texts, labels = parts[name]
        assert len(texts) == len(labels)
        assert set(labels) <= set(LABELS)


def test_load_splits_with_a_given_test_file(tmp_path: Path) -> None:
    rows, _ = make_rows(12, seed=1)
    test_rows, _ = make_rows(3, seed=99)
    overlapping = [rows[0], rows[15]]
    write_rows(tmp_path / "train.csv", rows)
    write_rows(tmp_path / "test.csv", [*test_rows, Row(rows[0].text.upper(), rows[0].label), rows[15]])
    parts = load_splits(_config(str(tmp_path / "train.csv"), "test.csv"), str(tmp_path))
    test_texts, test_labels = parts["test"]
    assert len(test_texts) == len(test_rows) + 2
    assert test_labels[: len(test_rows)] == [row.label for row in test_rows]
    kept = parts["train"][0] + parts["validation"][0]
    assert rows[0].text not in kept and rows[15].text not in kept
    assert len(kept) == len(rows) - len(overlapping)


def test_portable_source_is_valid_python_with_load_splits() -> None:
    source = portable_source()
    tree = ast.parse(source)
    names = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert {"load_splits", "split_indices", "clean_rows", "normalise_text", "stratified_sample"} <= names
    assert source.startswith("# --- BEGIN PORTABLE")
    assert source.rstrip().endswith("# --- END PORTABLE ---")
    assert "from runner" not in source and "import runner" not in source
