"""Data inspection: validation, report numbers, leakage, and the inspect stage (runner/data/profile.py,
runner/stages/inspect.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.config import SplitConfig
from runner.data.portable import normalise_text
from runner.data.profile import (
    conflicting_groups,
    leakage_share,
    length_stats,
    prepare,
    random_split_leakage,
    validate_labels,
)
from runner.errors import ColumnError, DataError
from runner.schemas import InspectReport, LengthStats
from runner.stages.inspect import inspect_source
from tests.fakes.datasets import LABELS, Row, make_rows, write_rows


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ([], "every row has an empty text or label"),
        (["a", "a", "a"], "only one class \\('a'\\)"),
        (["a", "a", "b"], "label\\(s\\) 'b' have a single example"),
        (["a", "a", "b", "c"], "'b', 'c' have a single example"),
        (["z", "z", *"abcdefg"], "'a', 'b', 'c', 'd', 'e' and 2 more have a single example"),
    ],
)
def test_validate_labels_refuses(labels: list[str], message: str) -> None:
    with pytest.raises(DataError, match=message) as caught:
        validate_labels(labels, "data.csv")
    assert str(caught.value).startswith("data.csv: ")


def test_validate_labels_accepts_two_classes_with_two_examples() -> None:
    validate_labels(["a", "b", "a", "b"], "data.csv")  # no exception is the assertion; the refusals are above


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], LengthStats(min=0, mean=0.0, p50=0, p95=0, p99=0, max=0)),
        ([5], LengthStats(min=5, mean=5.0, p50=5, p95=5, p99=5, max=5)),
        ([100, 1, 3, 2, 4], LengthStats(min=1, mean=22.0, p50=3, p95=100, p99=100, max=100)),
        (list(range(1, 101)), LengthStats(min=1, mean=50.5, p50=51, p95=95, p99=99, max=100)),
    ],
)
def test_length_stats(values: list[int], expected: LengthStats) -> None:
    assert length_stats(values) == expected


def test_leakage_share_uses_normalised_texts() -> None:
    hits, share = leakage_share(["Where is my parcel?", "refund please"], ["where is my PARCEL", "new text"])
    assert (hits, share) == (1, 0.5)
    assert leakage_share(["a"], []) == (0, 0.0)


def test_conflicting_groups() -> None:
    texts = ["Refund me", "refund me!", "refund me", "track it", "Track it", "alone"]
    labels = ["refund", "refund", "billing", "delivery", "delivery", "billing"]
    count, examples = conflicting_groups(texts, labels)
    assert count == 1
    assert examples[0].labels == ["billing", "refund"]
    assert examples[0].count == 3


def _report(rows: list[Row], *, test_size: float = 0.1, seed: int = 42) -> InspectReport:
    from runner.data.profile import build_report

    texts: list[object] = [row.text for row in rows]
    labels: list[object] = [row.label for row in rows]
    data = prepare(texts, labels, "data.csv", test_size, 0.1, seed)
    return build_report(
        data,
        source="data.csv",
        rows=len(rows),
        columns=["text", "label"],
        text_column="text",
        label_column="label",
        column_reason="given",
        test_size=test_size,
        seed=seed,
    )


def test_report_counts_on_a_crafted_dataset() -> None:
    rows, problems = make_rows(10, problems=True)
    rows = [*rows, Row("", "billing"), Row("orphan text", "")]
    report = _report(rows)
    assert problems.exact_duplicate is not None
    assert report.rows == 45
    assert report.empty_rows == 2
    assert report.exact_duplicates == 2  # the exact copy and the conflicting copy
    assert report.normalised_duplicates == 3  # + the upper-case/punctuation variant
    assert report.conflicting_groups == 1
    assert report.conflicting_examples[0].count == 3
    assert report.split.train + report.split.validation + report.split.test == 43
    assert {label.name for label in report.labels} == set(LABELS)
    assert sum(label.count for label in report.labels) == 43
    assert report.split_leakage == 0.0
    assert any("carry more than one label" in warning for warning in report.warnings)
    assert any("2 rows with an empty text or label were dropped" in warning for warning in report.warnings)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_split_leaks_while_the_split_used_does_not(seed: int) -> None:
    rows, _ = make_rows(15, seed=seed)
    doubled = [*rows, *(Row(row.text.capitalize() + ".", row.label) for row in rows)]
    report = _report(doubled, test_size=0.2, seed=seed)
    assert report.random_split_leakage > 0.3
    assert report.split_leakage == 0.0
    assert random_split_leakage([row.text for row in doubled], 0.2, seed) == pytest.approx(
        report.random_split_leakage, abs=1e-4
    )


def test_report_warns_about_imbalance_and_small_classes() -> None:
    big, _ = make_rows(60, labels=("billing",))
    small, _ = make_rows(4, labels=("refund",), seed=3)
    report = _report([*big, *small])
    assert report.imbalance_ratio == 15.0
    assert any("imbalanced (15.0:1)" in warning for warning in report.warnings)
    assert any("fewer than 10 examples" in warning for warning in report.warnings)
    assert report.labels[0].name == "billing" and report.labels[0].share == round(60 / 64, 4)


def test_report_lengths() -> None:
    rows = [Row("one two", "a"), Row("one two three four", "a"), Row("x y z", "b"), Row("p q", "b")]
    report = _report(rows)
    assert report.words.min == 2 and report.words.max == 4
    assert report.chars.min == 3 and report.chars.max == len("one two three four")


def test_inspect_source_on_a_file(tmp_path: Path) -> None:
    rows, _ = make_rows(10, problems=True)
    path = write_rows(tmp_path / "tickets.jsonl", rows, text_column="utterance", label_column="intent")
    result = inspect_source(str(path))
    assert result.fmt == "jsonl"
    assert result.labels == sorted(LABELS)
    assert result.report.source == "tickets.jsonl"
    assert (result.report.text_column, result.report.label_column) == ("utterance", "intent")
    assert result.report.given_test is False
    assert 1 <= len(result.examples) <= 5


def test_inspect_source_with_a_test_file(tmp_path: Path) -> None:
    rows, _ = make_rows(10)
    test_rows, _ = make_rows(2, seed=7)
    train = write_rows(tmp_path / "train.csv", rows)
    test = write_rows(tmp_path / "test.csv", [*test_rows, rows[0]])
    result = inspect_source(str(train), test_source=str(test), split=SplitConfig(validation_size=0.2))
    assert result.test_format == "csv"
    assert result.report.given_test is True
    assert result.report.split.test == len(test_rows) + 1
    assert result.report.split.train + result.report.split.validation == len(rows) - 1  # overlap dropped
    assert result.report.split_leakage == 0.0
    assert normalise_text(rows[0].text) not in {normalise_text(text) for text in result.examples}


def test_inspect_source_test_file_with_unknown_labels(tmp_path: Path) -> None:
    rows, _ = make_rows(5)
    train = write_rows(tmp_path / "train.csv", rows)
    test = write_rows(tmp_path / "test.csv", [Row("what is my balance", "balance"), rows[0]])
    result = inspect_source(str(train), test_source=str(test))
    assert "balance" not in result.labels  # not a class: an out-of-scope test row the model must abstain on
    assert any("1 test rows carry labels never seen in training ('balance')" in w for w in result.report.warnings)
    only_unknown = write_rows(tmp_path / "unknown.csv", [Row("what is my balance", "balance")])
    with pytest.raises(DataError, match=r"none of its labels .*'balance'.* occurs in the training data"):
        inspect_source(str(train), test_source=str(only_unknown))


def test_inspect_source_test_file_lacking_a_column(tmp_path: Path) -> None:
    rows, _ = make_rows(5)
    train = write_rows(tmp_path / "train.csv", rows)
    test = write_rows(tmp_path / "test.csv", rows[:4], label_column="category")
    with pytest.raises(ColumnError, match=r"lacks column\(s\) label .*columns are text, category"):
        inspect_source(str(train), test_source=str(test))


def test_inspect_source_refuses_one_class(tmp_path: Path) -> None:
    path = write_rows(
        tmp_path / "data.csv", [Row(f"text {i}", "only") for i in range(5)], extra={"kind": ["x", "y", "x", "y", "x"]}
    )
    with pytest.raises(DataError, match="only one class"):
        inspect_source(str(path), label="label")


@pytest.mark.parametrize("given_test", [False, True])
def test_inspection_split_is_the_split_train_py_uses(tmp_path: Path, given_test: bool) -> None:
    from runner.data.portable import load_splits

    rows, _ = make_rows(15, problems=True)
    train = write_rows(tmp_path / "train.csv", [*rows, Row("", "refund")])
    test_rows, _ = make_rows(3, seed=11)
    test = write_rows(tmp_path / "test.csv", [*test_rows, rows[3]]) if given_test else None
    split = SplitConfig(seed=3, test_size=0.2, validation_size=0.15)
    result = inspect_source(str(train), test_source=str(test) if test else None, split=split)
    config = {
        "data": {
            "source": "train.csv",
            "format": "csv",
            "text_column": "text",
            "label_column": "label",
            "test_source": "test.csv" if test else None,
        },
        "split": split.model_dump(),
    }
    parts = load_splits(config, str(tmp_path))
    sizes = result.report.split
    assert (len(parts["train"][0]), len(parts["validation"][0]), len(parts["test"][0])) == (
        sizes.train,
        sizes.validation,
        sizes.test,
    )
