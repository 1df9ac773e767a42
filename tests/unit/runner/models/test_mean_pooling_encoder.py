"""A mean-pooling sentence-transformers folder runs with transformers alone and gives SentenceTransformer's own
embeddings; any other layout still goes through SentenceTransformer (runner/models/portable_model.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from runner.models.portable_model import (
    MeanPoolingEncoder,
    embed,
    load_encoder,
    mean_pooling_layout,
    packaged_encoder,
)
from tests.fakes.tiny_encoder import build_tiny_encoder

TEXTS = [
    "where is my refund",
    "I want to cancel my order please",
    "ok",
    "the parcel arrived broken and nobody answers the phone " * 30,  # past the position limit: truncated
]


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_encoder(tmp_path_factory.mktemp("encoder") / "tiny", TEXTS * 5)


def reference_embeddings(folder: Path, texts: list[str]) -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(folder), device="cpu")
    return model.encode(texts, batch_size=2, normalize_embeddings=True, convert_to_numpy=True)


def test_the_tiny_encoder_matches_sentence_transformers(tiny_encoder: Path) -> None:
    layout = mean_pooling_layout(str(tiny_encoder))
    assert layout is not None and layout["normalize"] is False
    encoder = MeanPoolingEncoder(str(tiny_encoder), layout)
    ours = embed(encoder, TEXTS, batch_size=2)
    assert ours.shape == (len(TEXTS), 32)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert np.allclose(ours, reference_embeddings(tiny_encoder, TEXTS), atol=1e-5)
    assert embed(encoder, []).shape == (0, 32)


def test_the_packaged_encoder_matches_sentence_transformers() -> None:
    folder, why = packaged_encoder()
    if folder is None:
        pytest.skip(f"packaged encoder not usable: {why}")
    layout = mean_pooling_layout(str(folder))
    assert layout == {"max_seq_length": 256, "normalize": True}
    encoder = load_encoder(str(folder))
    assert isinstance(encoder, MeanPoolingEncoder)
    assert np.allclose(embed(encoder, TEXTS), reference_embeddings(folder, TEXTS), atol=1e-5)


def _copy(folder: Path, target: Path) -> Path:
    shutil.copytree(folder, target)
    return target


@pytest.mark.parametrize(
    "change",
    [
        "cls pooling",
        "a dense layer",
        "lower-casing",
        "no modules.json",
    ],
)
def test_other_layouts_go_through_sentence_transformers(tiny_encoder: Path, tmp_path: Path, change: str) -> None:
    folder = _copy(tiny_encoder, tmp_path / "copy")
    modules = json.loads((folder / "modules.json").read_text())
    if change == "cls pooling":
        pooling = folder / modules[1]["path"] / "config.json"
        pooling.write_text(json.dumps({"embedding_dimension": 32, "pooling_mode": "cls"}))
    elif change == "a dense layer":
        modules.append({"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"})
        (folder / "modules.json").write_text(json.dumps(modules))
    elif change == "lower-casing":
        (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 64, "do_lower_case": True}))
    else:
        (folder / "modules.json").unlink()
    assert mean_pooling_layout(str(folder)) is None


def test_old_style_pooling_settings_are_read(tiny_encoder: Path, tmp_path: Path) -> None:
    """sentence-transformers 5.x wrote pooling flags and `sentence_transformers.models.*` type names."""
    folder = _copy(tiny_encoder, tmp_path / "old")
    modules = json.loads((folder / "modules.json").read_text())
    modules[0]["type"] = "sentence_transformers.models.Transformer"
    modules[1]["type"] = "sentence_transformers.models.Pooling"
    modules.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"})
    (folder / "modules.json").write_text(json.dumps(modules))
    flags = {"word_embedding_dimension": 32, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True}
    (folder / modules[1]["path"] / "config.json").write_text(json.dumps(flags))
    assert mean_pooling_layout(str(folder)) == {"max_seq_length": None, "normalize": True}
    assert mean_pooling_layout("sentence-transformers/all-MiniLM-L6-v2") is None  # a Hub id: not a folder


def test_a_saved_encoder_loads_back_both_ways(tiny_encoder: Path, tmp_path: Path) -> None:
    """train.py saves the winner's encoder into model/encoder: the copy is the same encoder for us and for
    SentenceTransformer (the card's usage snippet)."""
    encoder = MeanPoolingEncoder(str(tiny_encoder), mean_pooling_layout(str(tiny_encoder)) or {})
    encoder.save(str(tmp_path / "model" / "encoder"))
    again = load_encoder(str(tmp_path / "model" / "encoder"))
    assert isinstance(again, MeanPoolingEncoder)
    assert np.allclose(embed(again, TEXTS), embed(encoder, TEXTS), atol=1e-6)
    assert np.allclose(embed(again, TEXTS), reference_embeddings(tmp_path / "model" / "encoder", TEXTS), atol=1e-5)


def test_the_transformers_path_matches_too(tiny_encoder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An architecture the torch-only path does not cover runs with transformers' AutoModel, to the same result."""
    from runner.models import portable_model

    monkeypatch.setattr(portable_model, "plain_bert", lambda folder: None)
    encoder = MeanPoolingEncoder(str(tiny_encoder), mean_pooling_layout(str(tiny_encoder)) or {})
    assert encoder.bert is None and hasattr(encoder, "model")
    assert np.allclose(embed(encoder, TEXTS), reference_embeddings(tiny_encoder, TEXTS), atol=1e-5)


def test_a_plain_bert_never_imports_transformers(tiny_encoder: Path) -> None:
    """The cold start of `intern predict`: the default encoder's layout loads with torch and tokenizers only."""
    import subprocess
    import sys

    code = (
        "import sys; from runner.models.portable_model import load_encoder, embed; "
        f"e = load_encoder({str(tiny_encoder)!r}); embed(e, ['where is my refund']); "
        "print(sorted(m for m in ('transformers', 'sentence_transformers') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[4]
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
