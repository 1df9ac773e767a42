"""When the model should answer `unknown`: the operating point, and the coverage/accuracy curve on validation.

The model abstains when its confidence (the top-class probability; times the similarity to the nearest class
centroid for a model over sentence embeddings) is below the threshold (or when it picks the data's own
out-of-scope class, a label named like `oos`). By default the threshold is chosen for the data
(`choose_operating_point`): from the validation texts (answered right or wrong) and from texts known to be out of
scope (generated off-topic texts and gibberish, the validation rows of an out-of-scope class, a file given with
`--unknown-texts`), the cut that best tells "answer" from "abstain" on both sides, placed in the middle of the gap
it finds, so that nothing abstains on the texts the model gets right unless out-of-scope texts demand it. A fixed
`coverage` (`--abstain-coverage`) keeps the former rule: the cut that keeps that share of validation answered.
The curve shows what every other operating point would cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
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


OUT_OF_SCOPE_NAMES = frozenset({"oos", "out_of_scope", "outofscope", "unknown", "out_of_domain", "ood"})


def out_of_scope_label(labels: list[str]) -> str | None:
    """The data's own out-of-scope class (a label named like `oos`, `out_of_scope`, `unknown`), if it has one."""
    for label in labels:
        if label.strip().lower().replace("-", "_").replace(" ", "_") in OUT_OF_SCOPE_NAMES:
            return label
    return None


def _logit(p: float) -> float:
    p = min(max(p, 1e-7), 1 - 1e-7)
    return math.log(p / (1 - p))


def _between(low: float, high: float) -> float:
    """A cut in the middle of the gap (low, high], measured in log-odds so that 0.99 and 0.9999 are far apart;
    rounded to 6 decimals without leaving the gap."""
    middle = 1 / (1 + math.exp(-(_logit(low) + _logit(high)) / 2))
    cut = round(middle, 6)
    return cut if low < cut <= high else high


@dataclass(frozen=True)
class OperatingPoint:
    threshold: float
    in_scope_right: float  # validation texts answered with the right label
    in_scope_wrong: float  # validation texts answered with a wrong label
    caught: float | None  # texts known to be out of scope that get `unknown`


def measure(threshold: float, confidence: np.ndarray, correct: np.ndarray, outside: np.ndarray) -> OperatingPoint:
    answered = confidence >= threshold
    return OperatingPoint(
        threshold=threshold,
        in_scope_right=round(float((answered & correct).mean()), 4) if len(confidence) else 0.0,
        in_scope_wrong=round(float((answered & ~correct).mean()), 4) if len(confidence) else 0.0,
        caught=round(float((outside < threshold).mean()), 4) if len(outside) else None,
    )


def choose_operating_point(confidence: np.ndarray, correct: np.ndarray, outside: np.ndarray) -> OperatingPoint:
    """The cut with the best balanced accuracy of the decision "answer or abstain": on validation, answering a text
    the model gets right and abstaining on one it gets wrong count as good; on texts known to be out of scope,
    abstaining does. Both sides weigh half. Among equally good cuts the lowest gap wins (abstain least), and the
    cut sits in the middle of that gap. A text scored below 0 is one the model abstains on whatever the cut (its
    top class is the data's out-of-scope class)."""
    correct = correct.astype(bool)
    values = np.unique(np.concatenate([confidence[confidence >= 0], outside[outside >= 0], [0.0]]))
    best: tuple[float, int] | None = None
    for index, value in enumerate(values):
        answered = confidence >= value
        good_in = float(((answered & correct) | (~answered & ~correct)).mean()) if len(confidence) else 1.0
        good_out = float((outside < value).mean()) if len(outside) else None
        utility = good_in if good_out is None else (good_in + good_out) / 2
        if best is None or utility > best[0] + 1e-12:
            best = (utility, index)
    assert best is not None
    index = best[1]
    threshold = 0.0 if index == 0 else _between(float(values[index - 1]), float(values[index]))
    return measure(threshold, confidence, correct, outside)


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
