"""A delivered multi-scale image model (frozen features of a convolutional backbone at two scales, joined): every
way of scoring it gives the same probabilities: `predict_references` (intern predict), `probabilities_of_images`
(the demo and the stress tests) and the features cached per scale (intern evaluate)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from PIL import Image
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from runner.tasks.image_classification.evaluate_images import model_probabilities
from runner.tasks.image_classification.portable_backbone import load_backbone
from runner.tasks.image_classification.portable_data import iter_batches
from runner.tasks.image_classification.portable_model import (
    HEAD_FILE,
    MODEL_INFO_FILE,
    ImageModel,
    at_scale,
    cached_features,
)
from tests.unit.runner.tasks.image_classification.images import make_folder, save_tiny_backbone

SCALES = [[32, 36], [48, 54]]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], Path]:
    base = tmp_path_factory.mktemp("multiscale")
    photos = make_folder(base / "photos", per_class=6, splits=())
    refs = sorted(str(p) for p in photos.rglob("*.*"))
    labels = [Path(r).parent.name for r in refs]
    backbone = load_backbone(str(save_tiny_backbone(base / "backbone")))
    assert backbone.any_size  # a ResNet reads any input size
    features = {
        flip: np.concatenate(
            [
                np.concatenate(
                    [at_scale(backbone, s, r).features(px, flip=flip) for _, px, _ in iter_batches(refs, s, r)]
                )
                for s, r in SCALES
            ],
            axis=1,
        )
        for flip in (False, True)
    }
    head = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(
        np.concatenate([features[False], features[True]]), labels * 2
    )
    model = base / "model"
    model.mkdir()
    sio.dump(head, model / HEAD_FILE)
    info = {
        "task": "image-classification",
        "kind": "linear",
        "candidate": "multi-scale",
        "features": "multiscale",
        "labels": sorted(set(labels)),
        "backbone": backbone.name,
        "tta_flip": True,
        "threshold": 0.0,
        "preprocessing": {"size": SCALES[0][0], "resize": SCALES[0][1], "scales": SCALES},
    }
    (model / MODEL_INFO_FILE).write_text(json.dumps(info), encoding="utf-8")
    return model, refs, base


def test_every_way_of_scoring_agrees(setup: tuple[Path, list[str], Path]) -> None:
    model_dir, refs, base = setup
    model = ImageModel(model_dir)
    assert model.scales == [(32, 36), (48, 54)]
    by_reference, failed = model.predict_references(refs, batch_size=5)
    assert not failed and by_reference.shape == (len(refs), 2)
    images = [Image.open(r).convert("RGB") for r in refs]
    assert np.allclose(model.probabilities_of_images(images), by_reference, atol=1e-5)
    project = base / "project"
    (project / ".intern" / "features").mkdir(parents=True)
    cached, _ = model_probabilities(project, model, refs)
    assert np.allclose(cached, by_reference, atol=1e-5)
    for size, resize in SCALES:  # one feature cache per scale
        block = cached_features(at_scale(model.backbone, size, resize), refs, project / ".intern" / "features")
        assert block["computed"] is False
    labels = [model.labels[i] for i in by_reference.argmax(1)]
    assert np.mean([label == Path(r).parent.name for label, r in zip(labels, refs, strict=True)]) >= 0.9


def test_one_scale_is_not_enough_for_it(setup: tuple[Path, list[str], Path]) -> None:
    model = ImageModel(setup[0])
    one = np.zeros((1, 32, 32, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match="2 scales"):
        model.probabilities(one)
