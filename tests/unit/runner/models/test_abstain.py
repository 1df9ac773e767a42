"""The operating point chosen for the data, the fixed-coverage threshold and the coverage/accuracy curve
(runner/models/abstain.py)."""

from __future__ import annotations

import numpy as np
import pytest

from runner.models.abstain import (
    answered_share,
    choose_operating_point,
    choose_threshold,
    coverage_curve,
    measure,
    out_of_scope_label,
    plot_coverage_curve,
)
from runner.render.markdown import format_threshold
from runner.schemas import CoveragePoint


def test_threshold_keeps_the_coverage_and_never_rounds_up() -> None:
    confidence = np.random.default_rng(0).uniform(0.3, 1.0, 1000)
    for coverage in (0.8, 0.95, 0.99):
        threshold = choose_threshold(confidence, coverage)
        assert coverage - 0.002 <= answered_share(confidence, threshold) <= coverage + 0.01
    saturated = np.array([0.99996] * 10)  # a cut rounded up to 1.0 would abstain on every text
    assert choose_threshold(saturated, 0.95) == 0.9999 and answered_share(saturated, 0.9999) == 1.0
    assert choose_threshold(confidence, 1.0) == 0.0 and choose_threshold(np.zeros(0), 0.9) == 0.0


def test_curve_trades_coverage_for_accuracy() -> None:
    confidence = np.array([0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1])
    correct = np.array([True, True, True, True, True, False, True, False, False, False])
    curve = coverage_curve(confidence, correct, points=10)
    assert [p.coverage for p in curve] == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    assert curve[4].accuracy == 1.0 and curve[-1].accuracy == 0.6
    assert curve[4].threshold == 0.6  # the least confident text still answered at 50% coverage
    assert coverage_curve(np.zeros(0), np.zeros(0, dtype=bool)) == []


def test_plot_marks_the_chosen_point(tmp_path) -> None:  # type: ignore[no-untyped-def]
    curve = [CoveragePoint(threshold=1 - c, coverage=c, accuracy=1 - c / 4) for c in np.linspace(0.1, 1.0, 10)]
    chosen = curve[8]
    path = plot_coverage_curve(curve, chosen, tmp_path / "reports" / "coverage_curve.png", out_of_scope=curve)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and len(path.read_bytes()) > 5000
    assert sorted(p.name for p in path.parent.iterdir()) == ["coverage_curve.png"]


def test_operating_point_sits_in_the_gap_and_abstains_on_no_right_answer() -> None:
    """Right answers at 0.99+, out-of-scope texts at 0.9 at most: the cut falls between, in log-odds."""
    confidence = np.array([0.999, 0.995, 0.99, 0.9999])
    correct = np.ones(4, dtype=bool)
    outside = np.array([0.3, 0.6, 0.9])
    point = choose_operating_point(confidence, correct, outside)
    assert 0.9 < point.threshold < 0.99
    assert point.in_scope_right == 1.0 and point.caught == 1.0 and point.in_scope_wrong == 0.0


def test_nothing_out_of_scope_and_nothing_wrong_means_never_abstain() -> None:
    point = choose_operating_point(np.array([0.4, 0.8, 0.99]), np.ones(3, dtype=bool), np.zeros(0))
    assert point.threshold == 0.0 and point.in_scope_right == 1.0 and point.caught is None


def test_wrong_answers_below_the_right_ones_are_abstained_on() -> None:
    confidence = np.array([0.95, 0.9, 0.85, 0.5, 0.45])
    correct = np.array([True, True, True, False, False])
    point = choose_operating_point(confidence, correct, np.zeros(0))
    assert 0.5 < point.threshold <= 0.85 and point.in_scope_wrong == 0.0 and point.in_scope_right == 0.6


def test_an_out_of_scope_text_above_a_right_answer_is_traded_half_and_half() -> None:
    """One right answer (of 4) is worth less than one out-of-scope text (of 2): the cut goes above it."""
    confidence = np.array([0.99, 0.98, 0.97, 0.7])
    point = choose_operating_point(confidence, np.ones(4, dtype=bool), np.array([0.2, 0.8]))
    assert 0.8 < point.threshold < 0.97 and point.caught == 1.0 and point.in_scope_right == 0.75


def test_rows_scored_below_zero_are_always_abstained() -> None:
    point = choose_operating_point(np.array([0.9, -1.0]), np.array([True, False]), np.array([-1.0, -1.0]))
    assert point.threshold == 0.0 and point.caught == 1.0 and point.in_scope_wrong == 0.0
    assert measure(0.0, np.array([-1.0]), np.array([True]), np.zeros(0)).in_scope_right == 0.0


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["billing", "oos"], "oos"),
        (["Out-of-scope", "a"], "Out-of-scope"),
        (["UNKNOWN"], "UNKNOWN"),
        (["a", "b"], None),
    ],
)
def test_out_of_scope_label(labels: list[str], expected: str | None) -> None:
    assert out_of_scope_label(labels) == expected


@pytest.mark.parametrize(
    ("threshold", "text"),
    [
        (0.999, "0.9990"),
        (0.9673, "0.9673"),
        (0.785276, "0.7853"),
        (0.0, "0.0000"),
        (0.99996, "0.999960"),
        (1.0, "1.0000"),
    ],
)
def test_thresholds_print_with_the_decimals_that_matter(threshold: float, text: str) -> None:
    assert format_threshold(threshold) == text
