"""The confusion matrix as a picture that reads in a PR comment, and in full as a CSV beside it.

Up to `MAX_SHOWN` classes the picture shows every class; beyond, it shows the `MAX_SHOWN` classes with the most
errors (as the true or the predicted class), and says so in its title; `confusion_matrix.csv` always holds the
whole matrix. The figure's size is capped so that the PNG stays within `figures.MAX_PIXELS` on its longer side.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from runner.render.figures import MAX_PIXELS, pyplot, save_figure
from runner.schemas import ConfusionMatrix

MAX_SHOWN = 30
"""Classes drawn in the picture (and shown in the Markdown table); the CSV has them all."""
DPI = 110


def most_confused(matrix: ConfusionMatrix, limit: int = MAX_SHOWN) -> list[int]:
    """Indices of the `limit` classes with the most errors (row and column, off the diagonal), in label order."""
    size = len(matrix.labels)
    if size <= limit:
        return list(range(size))
    errors = [
        sum(matrix.matrix[i]) - matrix.matrix[i][i] + sum(row[i] for row in matrix.matrix) - matrix.matrix[i][i]
        for i in range(size)
    ]
    chosen = sorted(range(size), key=lambda i: (-errors[i], i))[:limit]
    return sorted(chosen)


def sub_matrix(matrix: ConfusionMatrix, keep: list[int]) -> ConfusionMatrix:
    return ConfusionMatrix(
        labels=[matrix.labels[i] for i in keep], matrix=[[matrix.matrix[i][j] for j in keep] for i in keep]
    )


def confusion_csv(matrix: ConfusionMatrix) -> str:
    """The whole matrix: a header of predicted labels, one row per true label."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["true \\ predicted", *matrix.labels])
    for label, row in zip(matrix.labels, matrix.matrix, strict=True):
        writer.writerow([label, *row])
    return buffer.getvalue()


def plot_confusion(matrix: ConfusionMatrix, path: Path, title: str) -> Path:
    """Row-normalised confusion matrix as a PNG (counts in the cells), of the most confused classes when there
    are more than MAX_SHOWN; `confusion_matrix.csv` is written beside it with every class."""
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_name("confusion_matrix.csv").write_text(confusion_csv(matrix), encoding="utf-8")
    keep = most_confused(matrix)
    shown = sub_matrix(matrix, keep)
    if len(keep) < len(matrix.labels):
        title = f"{title}\n{len(keep)} most confused of {len(matrix.labels)} classes (all: confusion_matrix.csv)"
    plt = pyplot()
    counts = np.array(shown.matrix, dtype=float).reshape(len(keep), len(keep))
    rows = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)
    size = min(max(5.0, 0.45 * len(keep) + 2), MAX_PIXELS / DPI - 1)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(keep)), shown.labels, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(keep)), shown.labels, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=10)
    for i in range(len(keep)):
        for j in range(len(keep)):
            if counts[i, j]:
                colour = "white" if shares[i, j] > 0.5 else "black"
                ax.text(j, i, f"{int(counts[i, j])}", ha="center", va="center", color=colour, fontsize=7)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the true class")
    fig.tight_layout()
    return save_figure(fig, path, dpi=DPI)
