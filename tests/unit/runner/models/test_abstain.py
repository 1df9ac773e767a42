"""The abstain threshold and the coverage/accuracy curve (runner/models/abstain.py)."""

from __future__ import annotations

import numpy as np

from runner.models.abstain import answered_share, choose_threshold, coverage_curve, plot_coverage_curve
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
