"""train.py's calibration (scikit-learn's CalibratedClassifierCV on the frozen head) and its remedies from the
stress tests (runner/tasks/text_classification/train_script.py), on small TF-IDF data built here."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.svm import LinearSVC

from runner.data.perturb import class_keywords, perturbed_copies
from runner.render.reports import remedies_md
from runner.schemas import RemedyResult
from runner.tasks.text_classification import train_script

WORDS = {
    "billing": ["invoice", "charge", "bill", "payment", "receipt"],
    "delivery": ["parcel", "courier", "package", "shipping", "tracking"],
    "account": ["password", "login", "profile", "username", "signup"],
}


def texts(count: int, seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    rows = [
        (f"my {rng.choice(words)} and the {rng.choice(words)} please help", label)
        for _ in range(count)
        for label, words in WORDS.items()
    ]
    return [t for t, _ in rows], [label for _, label in rows]


def test_separable_validation_falls_back_to_platts_sigmoid_which_never_saturates() -> None:
    train, val = texts(20, 1), texts(10, 2)
    vectorizer = train_script.tfidf_features(len(train[0]))
    head = LinearSVC(random_state=0).fit(vectorizer.fit_transform(train[0]), train[1])
    calibrated, method = train_script.calibrate(head, vectorizer.transform(val[0]), val[1])
    assert method == "sigmoid"  # the temperature fit would round every probability to 1
    top = calibrated.predict_proba(vectorizer.transform(val[0])).max(axis=1)
    assert (top < 1 - 1e-6).all() and (top > 0.5).all()


def test_noisy_validation_keeps_temperature_scaling() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 5))
    y = np.where(x[:, 0] + rng.normal(scale=1.0, size=300) > 0, "a", "b")
    head = LinearSVC(random_state=0).fit(x[:200], y[:200])
    calibrated, method = train_script.calibrate(head, x[200:], list(y[200:]))
    assert method == "temperature" and hasattr(calibrated, "predict_proba")


def test_a_class_missing_from_validation_keeps_the_bare_head() -> None:
    train = texts(10, 1)
    vectorizer = train_script.tfidf_features(len(train[0]))
    head = LinearSVC(random_state=0).fit(vectorizer.fit_transform(train[0]), train[1])
    val = [t for t, label in zip(*texts(5, 2), strict=True) if label != "account"]
    same, method = train_script.calibrate(head, vectorizer.transform(val), ["billing"] * 5 + ["delivery"] * 5)
    assert same is head and method.startswith("none")


def test_perturbed_copies_keep_labels_and_streams_differ() -> None:
    train = texts(10, 1)
    keywords = class_keywords(*train, list(WORDS))
    one = perturbed_copies(*train, keywords, "augment:1", 12)
    other = perturbed_copies(*train, keywords, "remedy-check:1", 12)
    assert len(one["typos"][0]) == 12 and one["typos"] != other["typos"]
    for text, label in zip(*one["negation"], strict=True):
        assert "not" in text.lower() or "nothing" in text.lower()
        assert keywords[label] not in text.split(". ", 1)[1]  # the negated keyword is another class's


def winner_candidate(train: tuple[list[str], list[str]], val: tuple[list[str], list[str]]) -> tuple[dict, dict]:
    vectorizer = train_script.tfidf_features(len(train[0]))
    features = {"tfidf": {"train": vectorizer.fit_transform(train[0]), "validation": vectorizer.transform(val[0])}}
    fitted = train_script.fit_and_score(
        features["tfidf"]["train"], train[1], features["tfidf"]["validation"], val[1], list(WORDS), 0
    )
    winner = {
        "name": "tfidf",
        "title": "TF-IDF",
        "kind": "linear",
        "features": ["tfidf"],
        "weight": 1.0,
        "vectorizer": vectorizer,
        "status": "trained",
        "seconds": 1.0,
        **fitted,
    }
    return winner, features


def test_remedies_are_scored_before_and_after_and_kept_only_when_they_help() -> None:
    train, val = texts(15, 1), texts(8, 2)
    winner, features = winner_candidate(train, val)
    splits = {"train": train, "validation": val}
    remedy, records = train_script.try_remedies(winner, features, splits, list(WORDS), None, 0)
    (record,) = records
    assert set(record["wrong_before"]) == {"typos", "negation"}
    if not record["families"]:
        assert remedy is None and record["kept"] is False and record["reason"].startswith("not needed")
        return
    assert remedy is not None and remedy["name"] == "tfidf+augment" and len(remedy["extra_labels"]) > 0
    assert set(record["wrong_after"]) == set(record["wrong_before"])
    helped = sum(record["wrong_after"][f] for f in record["families"]) < sum(
        record["wrong_before"][f] for f in record["families"]
    )
    no_drop = record["validation_macro_f1_after"] >= record["validation_macro_f1_before"]
    assert record["kept"] == (helped and no_drop)


@pytest.mark.parametrize("kept", [True, False])
def test_the_remedy_table_says_before_after_and_when_nothing_helped(kept: bool) -> None:
    remedy = RemedyResult(
        name="augment",
        families=["typos"],
        candidate="tfidf+augment",
        kept=kept,
        reason="kept: validation macro F1 did not drop and the wrong share fell"
        if kept
        else "not kept: the wrong share did not fall",
        check_cases=600,
        wrong_before={"typos": 0.08, "negation": 0.01},
        wrong_after={"typos": 0.03, "negation": 0.01},
        validation_macro_f1_before=0.98,
        validation_macro_f1_after=0.98,
    )
    text = remedies_md([remedy])
    assert "| check | before | after |" in text
    assert "| typos: top label wrong | 8.0% | 3.0% |" in text
    assert "| validation macro F1 | 0.9800 | 0.9800 |" in text
    assert ("No remedy was kept" in text) is (not kept)
