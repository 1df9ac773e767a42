"""When the model should answer `unknown`: the coverage/accuracy curve on validation and the chosen threshold.

The model abstains when its top-class probability is below the threshold. The threshold is chosen on the
validation split: the confidence that keeps `coverage` of the validation texts answered (default 95%), so that
the least confident texts, where most errors and most out-of-scope inputs land, get `unknown`. The curve shows
what every other operating point would cost.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from runner.render.figures import pyplot, save_figure
from runner.schemas import CoveragePoint as CurvePoint


def coverage_curve(confidence: np.ndarray, correct: np.ndarray, points: int = 100) -> list[CurvePoint]:
    """Coverage (share answered) and accuracy of the answered texts, for thresholds at evenly spaced coverages."""
    if len(confidence) == 0:
        return []
    order = np.argsort(-confidence, kind="stable")
    hits = np.cumsum(correct[order].astype(float))
    curve = []
    for share in np.linspace(0.0, 1.0, points + 1)[1:]:
        keep = max(1, round(float(share) * len(order)))
        curve.append(
            CurvePoint(
                threshold=round(float(confidence[order][keep - 1]), 4),
                coverage=round(keep / len(order), 4),
                accuracy=round(float(hits[keep - 1] / keep), 4),
            )
        )
    return curve


def choose_threshold(confidence: np.ndarray, coverage: float) -> float:
    """The top-probability cut that keeps `coverage` of the validation texts answered."""
    if len(confidence) == 0 or coverage >= 1.0:
        return 0.0
    # Rounded down to 4 decimals, so that the cut never rises above the confidences it should keep.
    return float(np.floor(float(np.quantile(confidence, 1.0 - coverage, method="lower")) * 1e4) / 1e4)


def answered_share(confidence: np.ndarray, threshold: float) -> float:
    return round(float((confidence >= threshold).mean()), 4) if len(confidence) else 0.0


def plot_coverage_curve(
    curve: list[CurvePoint], chosen: CurvePoint, path: Path, out_of_scope: list[CurvePoint] | None = None
) -> Path:
    """Accuracy of answered texts against coverage, with the chosen operating point marked."""
    plt = pyplot()

    fig, ax = plt.subplots(figsize=(6, 4.2))
    ax.plot([p.coverage for p in curve], [p.accuracy for p in curve], label="validation: accuracy when answering")
    if out_of_scope:
        ax.plot(
            [p.coverage for p in out_of_scope],
            [p.accuracy for p in out_of_scope],
            linestyle="--",
            label="test: out-of-scope texts caught",
        )
    ax.scatter([chosen.coverage], [chosen.accuracy], color="crimson", zorder=3)
    ax.annotate(
        f"threshold {chosen.threshold:.4f}\n{chosen.coverage:.1%} answered, {chosen.accuracy:.1%} right",
        (chosen.coverage, chosen.accuracy),
        textcoords="offset points",
        xytext=(-150, -40),
        arrowprops={"arrowstyle": "->"},
    )
    ax.set_xlabel("coverage (share of validation texts answered)")
    ax.set_ylabel("accuracy / share")
    ax.set_title("Abstention: coverage against accuracy")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)
