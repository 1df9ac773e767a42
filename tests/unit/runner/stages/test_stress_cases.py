"""Stress-case generation for the actual label set (runner/stages/stress_cases.py)."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from runner.stages.stress_cases import OFF_TOPIC, UNKNOWN, add_typos, build_cases, class_keywords, gibberish
from tests.fakes.datasets import LABELS, VOCABULARY, make_rows

TEXT = "please refund the recent payment on my account today"


def _data(per_class: int = 8, seed: int = 0) -> tuple[list[str], list[str]]:
    rows, _ = make_rows(per_class, seed=seed)
    return [row.text for row in rows], [row.label for row in rows]


def test_class_keywords_come_from_each_class_vocabulary() -> None:
    texts, labels = _data(12)
    keywords = class_keywords(texts, labels, [*LABELS, "absent"])
    assert set(keywords) == set(LABELS)  # a class with no training text gets no keyword
    for label, word in keywords.items():
        assert word in VOCABULARY[label], (label, word)
        assert len(word) >= 4


def test_class_keywords_prefer_specific_words() -> None:
    texts = ["refund my order please", "refund the order now", "track my order please", "track the order now"]
    labels = ["refund", "refund", "track", "track"]
    assert class_keywords(texts, labels, ["refund", "track"]) == {"refund": "refund", "track": "track"}


@pytest.mark.parametrize("seed", range(5))
def test_add_typos_is_deterministic_per_seed(seed: int) -> None:
    first = add_typos(TEXT, random.Random(seed), rate=0.5)
    assert first == add_typos(TEXT, random.Random(seed), rate=0.5)
    assert len(first.split(" ")) == len(TEXT.split(" "))


def test_add_typos_differs_between_seeds_and_changes_the_text() -> None:
    outputs = {add_typos(TEXT, random.Random(seed), rate=1.0) for seed in range(10)}
    assert len(outputs) >= 8
    assert TEXT not in outputs


def test_add_typos_edits_at_most_one_character_per_word() -> None:
    noisy = add_typos(TEXT, random.Random(3), rate=1.0)
    for before, after in zip(TEXT.split(" "), noisy.split(" "), strict=True):
        assert abs(len(before) - len(after)) <= 1
        assert before[0] == after[0]  # the first letter is never touched


@pytest.mark.parametrize(("text", "rate"), [(TEXT, 0.0), ("a to be or", 1.0)])
def test_add_typos_leaves_text_alone(text: str, rate: float) -> None:
    assert add_typos(text, random.Random(0), rate=rate) == text


def test_gibberish_is_seeded_and_not_empty() -> None:
    made = [gibberish(random.Random(seed)) for seed in range(20)]
    assert made == [gibberish(random.Random(seed)) for seed in range(20)]
    assert all(len(text) >= 5 for text in made)
    assert len(set(made)) == 20


@pytest.mark.parametrize("per_family", [1, 8, 30])
def test_build_cases_family_counts_and_expectations(per_family: int) -> None:
    texts, labels = _data()
    keywords = class_keywords(texts, labels, list(LABELS))
    cases = build_cases(texts, labels, keywords, list(LABELS), per_family=per_family, seed=1)
    counts = Counter(case.family for case in cases)
    assert counts == {"negation": per_family, "ambiguity": per_family, "typos": per_family, "unknown": per_family}
    source_label = dict(zip(texts, labels, strict=True))
    for case in cases:
        if case.family == "unknown":
            assert case.expected == UNKNOWN
        elif case.family == "ambiguity":
            first, second = case.expected.split("|")
            assert first != second and {first, second} <= set(LABELS)
        else:
            assert case.expected in LABELS
        if case.family == "negation":
            negated = next(kw for label, kw in keywords.items() if case.text.endswith(f"{kw}."))
            assert negated != keywords[case.expected]
            original = case.text.split(". ")[0]
            assert source_label[original] == case.expected


def test_build_cases_balance_over_classes() -> None:
    texts, labels = _data()
    cases = build_cases(texts, labels, class_keywords(texts, labels, list(LABELS)), list(LABELS), per_family=20)
    typo_labels = Counter(case.expected for case in cases if case.family == "typos")
    assert typo_labels == {label: 5 for label in LABELS}
    unknown = [case.text for case in cases if case.family == "unknown"]
    assert sum(text in OFF_TOPIC for text in unknown) == 10


def test_build_cases_is_seeded() -> None:
    texts, labels = _data()
    keywords = class_keywords(texts, labels, list(LABELS))
    assert build_cases(texts, labels, keywords, list(LABELS), 10, 5) == build_cases(
        texts, labels, keywords, list(LABELS), 10, 5
    )
    assert build_cases(texts, labels, keywords, list(LABELS), 10, 5) != build_cases(
        texts, labels, keywords, list(LABELS), 10, 6
    )


def test_build_cases_with_one_class_present() -> None:
    texts, labels = _data()
    only = [(t, lab) for t, lab in zip(texts, labels, strict=True) if lab == "billing"]
    cases = build_cases([t for t, _ in only], [lab for _, lab in only], {"billing": "invoice"}, list(LABELS), 6)
    assert Counter(case.family for case in cases) == {"typos": 6, "unknown": 6}


def test_build_cases_with_no_test_text() -> None:
    assert build_cases([], [], {}, list(LABELS)) == []
