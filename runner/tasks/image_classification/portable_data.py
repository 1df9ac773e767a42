"""Image data shared, verbatim, by the runner and every generated image `train.py` and `app.py`.

Where the images are (a folder of class folders, optionally under train/validation/test; a table with a path
column; a Hub dataset or Parquet file with an image column), how they are split, and how one image is decoded:
robustly (JPEG, PNG, WebP, GIF's first frame, grayscale, RGBA, CMYK, 16-bit, EXIF rotation) and lazily, a batch at
a time, so that no set is ever held in memory whole. An unreadable, truncated or Git LFS pointer file raises
`UnreadableImage` with the reason; callers list it and skip it.

The block between the markers is pasted into the generated scripts: keep it free of imports from `runner`.
"""

from __future__ import annotations

from runner.data.portable import split_indices

# isort: split

# --- BEGIN PORTABLE: image data (pasted into train.py and app.py; edit the runner's portable_data.py) ---
import contextlib
import hashlib
import io
import os
import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff")
# Folder names people give their splits -> the split they mean.
SPLIT_FOLDERS = {
    "train": "train",
    "training": "train",
    "validation": "validation",
    "valid": "validation",
    "val": "validation",
    "dev": "validation",
    "test": "test",
    "testing": "test",
    "eval": "test",
}
LFS_POINTER = b"version https://git-lfs.github.com/spec/"
# Above this many pixels an image is refused as a decompression bomb (PIL's own guard, made an error).
MAX_PIXELS = 120_000_000
_DATASETS: dict = {}


class UnreadableImage(Exception):
    """An image that cannot be decoded; the message says why (truncated, not an image, a Git LFS pointer...)."""


def is_image_file(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_EXTENSIONS and not path.name.startswith(".")


def scan_folder(root: str) -> tuple[dict[str, list[tuple[str, str]]], str]:
    """Images under `root` as {split or "all": [(path, label)]}, and how the folder is laid out.

    `root/<class>/*.jpg` gives one pool ("all"); `root/train/<class>/...` (with `validation`/`val`, `test`) gives the
    splits the folder names. Images directly in `root` or deeper than a class folder are not labelled and skipped.
    """
    base = Path(root)
    children = sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))
    named = {p: SPLIT_FOLDERS[p.name.lower()] for p in children if p.name.lower() in SPLIT_FOLDERS}
    if named and "train" in named.values():
        splits: dict[str, list[tuple[str, str]]] = {}
        for folder, split in named.items():
            splits.setdefault(split, []).extend(_class_folders(folder))
        layout = "split folders " + ", ".join(f"{p.name}/" for p in named) + " with one sub-folder per class"
        return splits, layout
    return {"all": _class_folders(base)}, "one sub-folder per class"


def _class_folders(folder: Path) -> list[tuple[str, str]]:
    items = []
    for class_dir in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for path in sorted(class_dir.rglob("*")):
            if path.is_file() and is_image_file(path):
                items.append((str(path), class_dir.name))
    return items


def read_image_table(
    source: str,
    fmt: str,
    image_column: str,
    label_column: str,
    split_column: str | None = None,
    hub_split: str = "train",
) -> dict[str, list[tuple[str, str]]]:
    """A table of images as {split or "all": [(reference, label)]}. Paths in a CSV/JSONL/Parquet are relative to
    the file; images stored in the table (a Hub `Image` feature, Parquet bytes) become `ds:` references that
    `read_image_bytes` decodes one at a time."""
    if fmt == "hub" or _has_embedded_images(source, fmt, image_column):
        return _dataset_items(source, fmt, image_column, label_column, hub_split)
    import pandas as pd

    if fmt in ("csv", "tsv"):
        frame = pd.read_csv(source, sep="\t" if fmt == "tsv" else ",", dtype=str, keep_default_na=False)
    elif fmt in ("json", "jsonl"):
        frame = pd.read_json(source, lines=fmt == "jsonl", dtype=False)
    else:
        frame = pd.read_parquet(source, columns=[c for c in (image_column, label_column, split_column) if c])
    base = Path(source).resolve().parent
    result: dict[str, list[tuple[str, str]]] = {}
    splits = list(frame[split_column]) if split_column else ["all"] * len(frame)
    for path, label, split in zip(frame[image_column], frame[label_column], splits, strict=True):
        if path is None or label is None or str(path).strip() == "" or str(label).strip() == "":
            continue
        full = Path(str(path).strip())
        full = full if full.is_absolute() else base / full
        name = SPLIT_FOLDERS.get(str(split).strip().lower(), "all") if split_column else "all"
        result.setdefault(name, []).append((str(full), _label_str(label)))
    return result


def _label_str(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _has_embedded_images(source: str, fmt: str, image_column: str) -> bool:
    if fmt != "parquet":
        return False
    import pyarrow.parquet as pq

    field = pq.read_schema(source).field(image_column)
    return str(field.type).startswith("struct") or str(field.type) in ("binary", "large_binary")


def _open_dataset(key: str):
    """A Hub dataset split or a Parquet file through `datasets` (memory-mapped Arrow, images left undecoded)."""
    if key not in _DATASETS:
        import datasets

        kind, _, rest = key.partition(":")
        if kind == "parquet":
            ds = datasets.load_dataset("parquet", data_files=rest, split="train")
        else:
            name, _, split = rest.rpartition("@")
            ds = datasets.load_dataset(name, split=split)
        for column, feature in ds.features.items():
            if isinstance(feature, datasets.Image):
                ds = ds.cast_column(column, datasets.Image(decode=False))
        _DATASETS[key] = ds
    return _DATASETS[key]


def _dataset_items(
    source: str, fmt: str, image_column: str, label_column: str, hub_split: str
) -> dict[str, list[tuple[str, str]]]:
    result: dict[str, list[tuple[str, str]]] = {}
    if fmt == "hub":
        import datasets

        names = datasets.get_dataset_split_names(source)
        wanted = {hub_split: "train"}
        for name in names:
            if SPLIT_FOLDERS.get(name.lower()) in ("validation", "test") and name != hub_split:
                wanted[name] = SPLIT_FOLDERS[name.lower()]
        keys = {f"hub:{source}@{name}": split for name, split in wanted.items()}
    else:
        keys = {f"parquet:{Path(source).resolve()}": "all"}
    for key, split in keys.items():
        ds = _open_dataset(key)
        feature = ds.features[label_column]
        names = getattr(feature, "names", None)
        for index, label in enumerate(ds[label_column]):
            if label is None or (names is not None and label < 0):
                continue
            result.setdefault(split, []).append(
                (f"ds:{key}#{index}:{image_column}", names[label] if names else _label_str(label))
            )
    if fmt == "hub" and "train" in result and len(result) == 1:
        result["all"] = result.pop("train")
    return result


def read_image_bytes(reference: str) -> bytes:
    """The encoded bytes of an image: a file path, or a `ds:` reference to a row of a dataset."""
    if reference.startswith("ds:"):
        key_row, _, column = reference[3:].rpartition(":")
        key, _, row = key_row.rpartition("#")
        value = _open_dataset(key)[int(row)][column]
        if isinstance(value, dict):
            if value.get("bytes"):
                return value["bytes"]
            return Path(value["path"]).read_bytes()
        return bytes(value)
    try:
        return Path(reference).read_bytes()
    except OSError as exc:
        raise UnreadableImage(f"cannot read the file: {exc.strerror or exc}") from exc


def open_image(reference: str) -> Image.Image:
    """One image as 8-bit RGB, upright: EXIF rotation applied, the first frame of an animation, transparency over
    white, CMYK/grayscale/16-bit converted. Raises UnreadableImage (never anything else) when it cannot."""
    raw = read_image_bytes(reference)
    if raw.startswith(LFS_POINTER):
        raise UnreadableImage("a Git LFS pointer file, not the image: run `git lfs pull` to fetch the images")
    if not raw:
        raise UnreadableImage("an empty file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image = Image.open(io.BytesIO(raw))
            if image.width * image.height > MAX_PIXELS:
                raise UnreadableImage(f"{image.width}x{image.height} pixels: too large to be a photo")
            image.seek(0)
            image.load()
            with contextlib.suppress(Exception):  # a broken EXIF block: keep the pixels as stored
                image = ImageOps.exif_transpose(image)
            return to_rgb(image)
    except UnreadableImage:
        raise
    except Exception as exc:  # PIL raises OSError, SyntaxError, ValueError... for bad files
        raise UnreadableImage(f"not a decodable image ({type(exc).__name__}: {str(exc)[:120]})") from exc


def to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        pixels = np.asarray(image, dtype=np.float32)
        top = float(pixels.max()) or 1.0
        image = Image.fromarray((pixels * (255.0 / top)).clip(0, 255).astype(np.uint8))
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB") if image.mode != "RGB" else image


def resize_and_crop(image: Image.Image, size: int, resize: int) -> Image.Image:
    """The shorter side to `resize`, then the centre `size` x `size` square (the usual evaluation transform)."""
    width, height = image.size
    scale = resize / min(width, height)
    image = image.resize((max(size, round(width * scale)), max(size, round(height * scale))), Image.Resampling.BILINEAR)
    width, height = image.size
    left, top = (width - size) // 2, (height - size) // 2
    return image.crop((left, top, left + size, top + size))


def load_pixels(reference: str, size: int, resize: int) -> np.ndarray:
    """One image as a uint8 array (size, size, 3); JPEGs are decoded at a reduced scale when that suffices."""
    raw = read_image_bytes(reference) if not reference.startswith("ds:") else None
    if raw is not None and raw[:3] == b"\xff\xd8\xff":  # JPEG: let the decoder skip the detail we would discard
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                image = Image.open(io.BytesIO(raw))
                image.draft("RGB", (resize, resize))
                image.load()
                image = to_rgb(ImageOps.exif_transpose(image) or image)
            return np.asarray(resize_and_crop(image, size, resize), dtype=np.uint8)
        except Exception:  # fall through to the careful path, which says why
            pass
    return np.asarray(resize_and_crop(open_image(reference), size, resize), dtype=np.uint8)


def iter_batches(references: list[str], size: int, resize: int, batch_size: int = 32, workers: int = 2):
    """Yield (row indices, uint8 array (n, size, size, 3), {row: why unreadable}) a batch at a time: decoding runs
    in threads, one batch ahead, and only one or two batches are ever in memory."""

    def load(row: int):
        try:
            return row, load_pixels(references[row], size, resize), None
        except UnreadableImage as exc:
            return row, None, str(exc)

    def batch(start: int):
        return [load(row) for row in range(start, min(start + batch_size, len(references)))]

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        starts = list(range(0, len(references), batch_size))
        pending = pool.submit(batch, starts[0]) if starts else None
        for position in range(len(starts)):
            results = pending.result()
            pending = pool.submit(batch, starts[position + 1]) if position + 1 < len(starts) else None
            rows = [row for row, pixels, _ in results if pixels is not None]
            arrays = [pixels for _, pixels, _ in results if pixels is not None]
            failed = {row: why for row, _, why in results if why is not None}
            stacked = np.stack(arrays) if arrays else np.zeros((0, size, size, 3), dtype=np.uint8)
            yield rows, stacked, failed


def content_hash(reference: str) -> str:
    """The sha1 of an image's bytes: two files with the same one are exact duplicates."""
    try:
        return hashlib.sha1(read_image_bytes(reference)).hexdigest()
    except UnreadableImage:
        return "unreadable:" + reference


def image_items(config: dict, base_dir: str = ".") -> tuple[dict[str, list[tuple[str, str]]], str]:
    """The labelled images intern.yaml describes, by given split ("all" when none is given), and the layout."""
    data = config["data"]
    source = data["source"]
    if data["format"] != "hub" and not os.path.isabs(source):
        source = os.path.join(base_dir, source)
    if data["format"] == "folder":
        return scan_folder(source)
    items = read_image_table(
        source,
        data["format"],
        data["image_column"],
        data["label_column"],
        data.get("split_column"),
        data.get("hub_split", "train"),
    )
    return items, f"{data['format']} table, images in `{data['image_column']}`"


def load_image_splits(config: dict, base_dir: str = ".") -> dict[str, tuple[list[str], list[str]]]:
    """The train / validation / test image references and labels. Given splits are used as they are; a missing
    validation (or test) split is carved from train, stratified, seeded and group-aware: identical files (same
    bytes) never straddle two splits."""
    split_cfg = config["split"]
    items, _ = image_items(config, base_dir)
    pool = items.pop("all", [])
    if "train" in items:
        pool = items.pop("train") + pool
    parts = {name: ([r for r, _ in rows], [label for _, label in rows]) for name, rows in items.items()}
    need_test = "test" not in parts
    need_validation = "validation" not in parts
    references, labels = [r for r, _ in pool], [label for _, label in pool]
    if need_test or need_validation:
        test_size = split_cfg["test_size"] if need_test else 0.0
        validation_size = split_cfg["validation_size"] if need_validation else 0.0
        keys = [content_hash(r) for r in references]
        rows = split_indices(keys, labels, test_size, validation_size, split_cfg["seed"])
        for name in ("validation", "test"):
            if name not in parts:
                parts[name] = ([references[i] for i in rows[name]], [labels[i] for i in rows[name]])
        parts["train"] = ([references[i] for i in rows["train"]], [labels[i] for i in rows["train"]])
    else:
        parts["train"] = (references, labels)
    return {name: parts[name] for name in ("train", "validation", "test")}


def class_counts(labels: list[str]) -> dict[str, int]:
    return dict(sorted(Counter(labels).items()))


# --- END PORTABLE ---
