"""Abstain threshold, judging and scoring of stress cases (runner/stages/stress.py) with a hand-written classifier."""

from __future__ import annotations

import numpy as np
import pytest

from runner.models.abstain import choose_threshold as calibrate_threshold
from runner.models.inference import Classifier
from runner.stages.stress import WORST, judge, percent, score_cases
from runner.stages.stress_cases import UNKNOWN, Case


class ScriptedClassifier(Classifier):
    """Answers from a table: text -> probabilities (labels order); unknown texts get a flat row."""

    def __init__(self, labels: list[str], answers: dict[str, list[float]]) -> None:
        super().__init__(model=None, labels=labels, threshold=0.0)
        self.answers = answers

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        flat = [1.0 / len(self.labels)] * len(self.labels)
        return np.array([self.answers.get(text, flat) for text in texts], dtype=np.float32)


@pytest.mark.parametrize(
    ("values", "coverage", "expected"),
    [
        (np.linspace(0.5, 1.0, 101), 0.99, 0.505),
        (np.linspace(0.5, 1.0, 101), 0.5, 0.75),
        (np.array([0.9, 0.9, 0.9]), 0.99, 0.9),
        (np.array([], dtype=float), 0.99, 0.0),
    ],
)
def test_calibrate_threshold(values: np.ndarray, coverage: float, expected: float) -> None:
    assert calibrate_threshold(values, coverage) == pytest.approx(expected, abs=1e-4)


def test_calibrated_threshold_keeps_the_coverage() -> None:
    scores = np.random.default_rng(0).uniform(0.3, 1.0, 1000)
    threshold = calibrate_threshold(scores, 0.99)
    answered = float((scores >= threshold).mean())
    assert 0.985 <= answered <= 0.995


@pytest.mark.parametrize(
    ("expected", "predicted", "score", "threshold", "answer", "passed"),
    [
        ("billing", "billing", 0.9, 0.5, "billing", True),
        ("billing", "refund", 0.9, 0.5, "refund", False),
        ("billing", "billing", 0.4, 0.5, UNKNOWN, False),  # right label, but abstained
        (UNKNOWN, "billing", 0.4, 0.5, UNKNOWN, True),  # abstains: right
        (UNKNOWN, "billing", 0.6, 0.5, "billing", False),  # answers gibberish: wrong
        (UNKNOWN, "billing", 0.5, 0.5, "billing", False),  # at the threshold it answers
        ("billing|refund", "refund", 0.8, 0.5, "refund", True),
        ("billing|refund", "billing", 0.8, 0.5, "billing", True),
        ("billing|refund", "delivery", 0.8, 0.5, "delivery", False),
        ("billing|refund", "billing", 0.3, 0.5, UNKNOWN, False),
    ],
)
def test_judge(expected: str, predicted: str, score: float, threshold: float, answer: str, passed: bool) -> None:
    case = Case(family="x", text="t", expected=expected)
    assert judge(case, predicted, score, threshold) == (answer, passed)


def test_score_cases_per_family() -> None:
    labels = ["billing", "refund"]
    answers = {
        "neg ok": [0.9, 0.1],
        "neg bad": [0.2, 0.8],
        "both a": [0.7, 0.3],
        "both b": [0.3, 0.7],
        "both c": [0.6, 0.4],
        "noise": [0.55, 0.45],
        "typo": [0.95, 0.05],
    }
    cases = [
        Case(family="negation", text="neg ok", expected="billing"),
        Case(family="negation", text="neg bad", expected="billing"),
        Case(family="ambiguity", text="both a", expected="billing|refund"),
        Case(family="ambiguity", text="both b", expected="billing|refund"),
        Case(family="ambiguity", text="both c", expected="billing|refund"),
        Case(family="unknown", text="noise", expected=UNKNOWN),
        Case(family="unknown", text="flat", expected=UNKNOWN),
        Case(family="typos", text="typo", expected="billing"),
    ]
    families = {f.family: f for f in score_cases(ScriptedClassifier(labels, answers), cases, threshold=0.52)}
    assert list(families) == ["negation", "ambiguity", "unknown", "typos"]
    assert families["negation"].score == 0.5 and families["negation"].n == 2
    assert [e.text for e in families["negation"].worst] == ["neg bad"]
    assert families["negation"].worst[0].predicted == "refund" and families["negation"].worst[0].score == 0.8
    assert families["ambiguity"].score == 1.0
    assert "first text's label wins in 67%, the second's in 33%" in families["ambiguity"].description
    assert families["unknown"].metric == "abstain rate" and families["unknown"].score == 0.5
    assert families["typos"].metric == "accuracy" and families["typos"].score == 1.0
    assert families["typos"].worst == []


def test_score_cases_keeps_the_worst_most_confident_failures() -> None:
    labels = ["a", "b"]
    answers = {f"t{i}": [0.1 + i * 0.01, 0.9 - i * 0.01] for i in range(10)}
    cases = [Case(family="typos", text=f"t{i}", expected="a") for i in range(10)]
    (family,) = score_cases(ScriptedClassifier(labels, answers), cases, threshold=0.0)
    assert family.score == 0.0
    assert len(family.worst) == WORST
    assert [e.text for e in family.worst] == ["t0", "t1", "t2", "t3", "t4"]


def test_score_cases_skips_absent_families() -> None:
    cases = [Case(family="unknown", text="zzz", expected=UNKNOWN)]
    families = score_cases(ScriptedClassifier(["a", "b"], {}), cases, threshold=0.9)
    assert [f.family for f in families] == ["unknown"]
    assert families[0].score == 1.0


def test_a_refusal_is_not_a_wrong_answer() -> None:
    """The right label below the threshold is abstained, not wrong; each family's three shares and sentence."""
    labels = ["billing", "refund"]
    answers = {
        "sure": [0.99, 0.01],
        "shy": [0.7, 0.3],  # right label, abstained at 0.9
        "fooled": [0.05, 0.95],  # wrong label, answered
        "noise": [0.6, 0.4],  # abstained: right for `unknown`
        "loud": [0.97, 0.03],  # answered: wrong for `unknown`
    }
    cases = [Case(family="typos", text=t, expected="billing") for t in ("sure", "shy", "fooled", "sure")]
    cases += [Case(family="unknown", text=t, expected=UNKNOWN) for t in ("noise", "loud")]
    families = {f.family: f for f in score_cases(ScriptedClassifier(labels, answers), cases, threshold=0.9)}
    typos, unknown = families["typos"], families["unknown"]
    assert (typos.right, typos.abstained, typos.wrong) == (0.5, 0.25, 0.25)
    assert typos.summary == "typos: 50% right, 25% abstained, 25% wrong"
    assert [e.text for e in typos.worst] == ["fooled", "shy"]  # wrong answers first
    assert typos.worst[1].predicted == UNKNOWN and typos.worst[1].top_label == "billing"
    assert [e.outcome for e in typos.worst] == ["wrong", "abstained"]
    assert (unknown.right, unknown.abstained, unknown.wrong) == (0.5, 0.5, 0.5)
    assert unknown.summary == "unknown: 50% abstained (right), 50% got a label (wrong)"


def test_the_datas_own_out_of_scope_class_is_an_abstention() -> None:
    answers = {"weather?": [0.01, 0.99], "refund me": [0.02, 0.98]}
    cases = [Case(family="unknown", text="weather?", expected=UNKNOWN)]
    (family,) = score_cases(ScriptedClassifier(["refund", "oos"], answers), cases, threshold=0.5, abstain_label="oos")
    assert family.right == 1.0 and family.worst == []


@pytest.mark.parametrize(
    ("share", "text"), [(0.0, "0%"), (0.004, "0.4%"), (0.5, "50%"), (0.997, "99.7%"), (1.0, "100%")]
)
def test_percent_never_rounds_something_to_nothing_or_everything(share: float, text: str) -> None:
    assert percent(share) == text
