"""Tiny image sets the image tests build for themselves: two colour classes, every file format and colour mode the
reader must handle, broken files, and a tiny backbone saved in Hugging Face format."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

CLASSES = {"red": (200, 40, 40), "blue": (40, 60, 200)}


def photo(colour: tuple[int, int, int], seed: int, size: tuple[int, int] = (48, 40)) -> Image.Image:
    """A noisy image of one dominant colour with a lighter square: easy to tell the classes apart."""
    rng = np.random.default_rng(seed)
    pixels = np.clip(np.array(colour)[None, None, :] + rng.normal(0, 25, (size[1], size[0], 3)), 0, 255)
    x, y = int(rng.integers(0, size[0] // 2)), int(rng.integers(0, size[1] // 2))
    pixels[y : y + 10, x : x + 10] += 40
    return Image.fromarray(pixels.clip(0, 255).astype(np.uint8))


def make_folder(root: Path, per_class: int = 12, splits: tuple[str, ...] = ("train", "test")) -> Path:
    """root/<split>/<class>/*.png|jpg (or root/<class>/... when `splits` is empty)."""
    seed = 0
    for split in splits or ("",):
        for name, colour in CLASSES.items():
            folder = root / split / name if split else root / name
            folder.mkdir(parents=True, exist_ok=True)
            count = per_class if split in ("train", "") else max(3, per_class // 3)
            for i in range(count):
                seed += 1
                extension = "png" if i % 2 else "jpg"
                photo(colour, seed).save(folder / f"{name}{i}.{extension}")
    return root


def jpeg_bytes(image: Image.Image, **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", **kwargs)
    return buffer.getvalue()


def save_tiny_backbone(folder: Path) -> Path:
    """A two-stage ResNet with random weights, saved with save_pretrained: loaded by path like a Hub model."""
    from transformers import ResNetConfig, ResNetModel

    config = ResNetConfig(embedding_size=8, hidden_sizes=[8, 16], depths=[1, 1], layer_type="basic")
    ResNetModel(config).save_pretrained(folder)
    return folder
