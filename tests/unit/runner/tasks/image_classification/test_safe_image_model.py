"""An image model's head is loaded with the same exact allowlist as a text model's: a `.skops` head naming
`builtins.print` is refused before it runs, by `intern predict` (exit 2, one line) and by the generated app.py; the
demo's headline is `unknown` when the model abstains, with the class scores beneath."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from runner.models.portable_safe_load import UnsafeModelFile
from runner.tasks.image_classification.portable_model import (
    HEAD_FILE,
    MODEL_INFO_FILE,
    ImageModel,
    pixel_features,
)
from runner.tasks.registry import get_task
from tests.fakes.linear_model import MARKER, make_malicious
from tests.unit.runner.tasks.image_classification.images import CLASSES, photo

ROOT = Path(__file__).resolve().parents[5]


def save_pixels_model(folder: Path, threshold: float = 0.0) -> Path:
    """A delivered image model of the `pixels` kind (no backbone): what train.py writes when the baseline wins."""
    folder.mkdir(parents=True)
    images = [np.asarray(photo(colour, seed).resize((32, 32))) for colour in CLASSES.values() for seed in range(8)]
    labels = [name for name in CLASSES for _ in range(8)]
    head = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(
        pixel_features(np.stack(images)), labels
    )
    sio.dump(head, folder / HEAD_FILE)
    info = {
        "task": "image-classification",
        "kind": "linear",
        "features": "pixels",
        "labels": list(CLASSES),
        "backbone": "scratch:tiny",
        "tta_flip": False,
        "threshold": threshold,
        "preprocessing": {"size": 32, "resize": 32},
    }
    (folder / MODEL_INFO_FILE).write_text(json.dumps(info), encoding="utf-8")
    return folder


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "CI": "1"}


@pytest.fixture
def photo_file(tmp_path: Path) -> Path:
    path = tmp_path / "red.png"
    photo(CLASSES["red"], 99).save(path)
    return path


def test_our_own_image_head_loads_and_answers(tmp_path: Path, photo_file: Path) -> None:
    model = ImageModel(save_pixels_model(tmp_path / "model"))
    probabilities, failed = model.predict_references([str(photo_file)])
    assert not failed and model.labels[int(probabilities[0].argmax())] == "red"


def test_a_malicious_image_head_is_refused_before_it_runs(
    tmp_path: Path, photo_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_malicious(save_pixels_model(tmp_path / "model"))
    assert "builtins.print" in sio.get_untrusted_types(file=folder / HEAD_FILE)  # the file really carries it
    with pytest.raises(UnsafeModelFile, match=r"builtins\.print"):
        ImageModel(folder)
    assert MARKER not in capsys.readouterr().out
    done = subprocess.run(
        [sys.executable, "-m", "runner.cli", "predict", str(folder), str(photo_file)],
        capture_output=True,
        text=True,
        env=env(),
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert MARKER not in done.stdout + done.stderr and "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: refusing to load") and "builtins.print" in line


def render_image_app(tmp_path: Path) -> Path:
    app = tmp_path / "app.py"
    app.write_text(get_task("image-classification").render_app("./model", "Photos", "", []), encoding="utf-8")
    return app


def test_the_generated_image_app_refuses_it_with_exit_2(tmp_path: Path) -> None:
    folder = make_malicious(save_pixels_model(tmp_path / "model"))
    done = subprocess.run(
        [sys.executable, str(render_image_app(tmp_path))],
        capture_output=True,
        text=True,
        env={**env(), "INTERN_MODEL": str(folder)},
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stderr
    assert MARKER not in done.stdout + done.stderr and "Traceback" not in done.stderr
    assert "error: refusing to load" in done.stderr and "builtins.print" in done.stderr


def test_the_demo_headline_is_unknown_when_the_model_abstains(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = save_pixels_model(tmp_path / "model", threshold=0.999999)
    monkeypatch.setenv("INTERN_MODEL", str(folder))
    spec = importlib.util.spec_from_file_location("image_app", render_image_app(tmp_path))
    assert spec is not None and spec.loader is not None
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    headline, scores = app.predict(photo(CLASSES["red"], 5))
    assert headline == "unknown"
    assert max(scores, key=scores.__getitem__) == "red" and set(scores) == set(CLASSES)
    assert "0.999999" in app.demo.description  # the threshold with the decimals that matter
    app.CLASSIFIER.threshold = 0.0
    assert app.predict(photo(CLASSES["blue"], 6))[0] == "blue"
