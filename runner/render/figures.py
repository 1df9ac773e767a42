"""Saving matplotlib figures for the reports: headless, atomic (a crash never leaves half a PNG), closed after."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


MAX_PIXELS = 2000
"""The longest side of any PNG the reports hold: readable when GitHub shows it in a comment, cheap to draw."""


def save_figure(fig: Any, path: Path, dpi: int = 110) -> Path:
    """Write `fig` to `path` through a temporary file in the same folder, then close it; the resolution is
    lowered when needed so that the PNG's longer side is at most MAX_PIXELS."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    dpi = min(dpi, int(MAX_PIXELS / max(fig.get_size_inches())))
    fig.savefig(tmp, dpi=dpi)
    pyplot().close(fig)
    tmp.replace(path)
    return path
