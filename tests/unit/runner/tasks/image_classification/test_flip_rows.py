"""Mirrored images are extra training rows for the linear heads only up to FLIP_ROWS_UP_TO training images (past
it they would double the memory of the fit for little gain), and a refit follows what the choice was made with."""

from __future__ import annotations

import numpy as np
import pytest

from runner.tasks.image_classification import train_script


def split(n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    labels = ["a" if i % 2 else "b" for i in range(n)]
    plain = rng.normal(size=(n, 4)).astype(np.float32) + np.array([[2.0 if y == "a" else -2.0] * 4 for y in labels])
    return {"plain": plain, "flip": plain + 0.01, "labels": labels}


class RecordingHead:
    """Counts the rows the head is fitted on."""

    def __init__(self, inner) -> None:
        self.inner, self.rows = inner, []

    def fit(self, x, y):
        self.rows.append(len(x))
        self.inner.fit(x, y)
        return self

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.mark.parametrize(("limit", "with_mirrors"), [(1000, True), (10, False)])
def test_mirrored_rows_stop_past_the_limit(monkeypatch: pytest.MonkeyPatch, limit: int, with_mirrors: bool) -> None:
    monkeypatch.setattr(train_script, "FLIP_ROWS_UP_TO", limit)
    heads: list[RecordingHead] = []
    original = train_script.linear_head

    def recording(c: float, seed: int) -> RecordingHead:
        heads.append(RecordingHead(original(c, seed)))
        return heads[-1]

    monkeypatch.setattr(train_script, "linear_head", recording)
    data = {"train": split(40, 0), "validation": split(60, 1)}
    fitted = train_script.fit_on_validation(data["train"], data["validation"], "plain", ["a", "b"], seed=0)
    assert fitted["flip_rows"] is with_mirrors
    assert heads[0].rows == [80 if with_mirrors else 40]
    candidate = {**fitted, "features": "backbone"}
    train_script.refit(candidate, data)
    assert candidate["head"].rows[-1] == (200 if with_mirrors else 100)
