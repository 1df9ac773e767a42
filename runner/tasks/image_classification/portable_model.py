"""Features, heads and a delivered image model: the same code in the runner, in train.py and in app.py.

The block between the markers is pasted into the generated scripts after the safe loading, image data and
backbone blocks (it uses their functions): keep it free of imports from `runner`.
"""

from __future__ import annotations

from runner.models.portable_safe_load import safe_skops_load
from runner.tasks.image_classification.portable_backbone import load_backbone
from runner.tasks.image_classification.portable_data import iter_batches, resize_and_crop

# isort: split

# --- BEGIN PORTABLE: image model (pasted into train.py and app.py; edit the runner's portable_model.py) ---
import hashlib
import json
from pathlib import Path

import numpy as np

MODEL_INFO_FILE = "intern.json"
HEAD_FILE = "head.skops"
WEIGHTS_FILE = "model.safetensors"
THUMBNAIL = 16  # the baseline's thumbnail side, in pixels
# The trunk maps are written through a memory map, closed and reopened every this many images: the written pages
# then leave the process's resident memory (they stay in the file and the page cache).
MAPS_REMAP_EVERY = 2048
HISTOGRAM_BINS = 16


def pixel_features(pixels: np.ndarray) -> np.ndarray:
    """The cheap baseline's features of uint8 images (n, s, s, 3): a 16-bin histogram per colour channel and a
    16x16 colour thumbnail, scaled to 0-1."""
    n, side = pixels.shape[0], pixels.shape[1]
    histograms = (
        np.stack(
            [
                np.stack(
                    [
                        np.bincount(image[..., c].ravel() // (256 // HISTOGRAM_BINS), minlength=HISTOGRAM_BINS)
                        for c in range(3)
                    ]
                ).ravel()
                / float(side * side)
                for image in pixels
            ]
        )
        if n
        else np.zeros((0, 3 * HISTOGRAM_BINS))
    )
    cell = side // THUMBNAIL
    cropped = pixels[:, : cell * THUMBNAIL, : cell * THUMBNAIL].astype(np.float32)
    thumbs = cropped.reshape(n, THUMBNAIL, cell, THUMBNAIL, cell, 3).mean(axis=(2, 4)).reshape(n, -1) / 255.0
    return np.concatenate([histograms, thumbs], axis=1).astype(np.float32)


def cached_features(
    backbone,
    references: list[str],
    folder: Path,
    flips: bool = True,
    batch_size: int = 64,
    progress=None,
    keep_maps: bool = False,
) -> dict:
    """Backbone features (as is, and of the mirrored image when `flips`) and baseline features of every image,
    computed a batch at a time and cached on disk under a key of the backbone, the preprocessing and the images.
    With `keep_maps` (a backbone that splits), the trunk's output maps are also kept, in float16 files on disk
    (memory-mapped, never all in RAM), for fine-tuning the tail. Rows of unreadable images are zeros and listed in
    "failed" ({row: why}). `progress(done, total)` is called when computing starts (done 0) and after each batch;
    never on a cache hit."""
    keep_maps = keep_maps and getattr(backbone, "can_split", False)
    pooling = getattr(backbone, "pooling", "")
    key = hashlib.sha1(json.dumps([backbone.name, backbone.size, backbone.resize, pooling, flips, references]).encode())
    stem = Path(folder) / key.hexdigest()[:20]
    path = stem.with_suffix(".npz")
    maps_paths = [Path(f"{stem}.maps.npy"), Path(f"{stem}.maps-flip.npy")]
    if path.is_file() and (not keep_maps or all(p.is_file() for p in maps_paths[: 1 + flips])):
        with np.load(path, allow_pickle=False) as cached:
            failed = json.loads(str(cached["failed"]))
            out = {
                "plain": cached["plain"],
                "flip": cached["flip"] if flips else None,
                "pixels": cached["pixels"],
                "failed": {int(k): v for k, v in failed.items()},
                "computed": False,
            }
        if keep_maps:
            out["maps"] = [np.load(p, mmap_mode="r") for p in maps_paths[: 1 + flips]]
        return out
    n = len(references)
    width = getattr(backbone, "feature_dim", backbone.dim)
    plain = np.zeros((n, width), dtype=np.float32)
    flip = np.zeros((n, width), dtype=np.float32) if flips else None
    pixels_out = np.zeros((n, 3 * HISTOGRAM_BINS + 3 * THUMBNAIL * THUMBNAIL), dtype=np.float32)
    maps = None
    failed: dict[int, str] = {}
    done = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    if progress is not None:
        progress(0, n)
    written = 0
    for rows, pixels, bad in iter_batches(references, backbone.size, backbone.resize, batch_size):
        failed.update(bad)
        if rows:
            if keep_maps:
                views = [backbone.features_and_maps(pixels, flip=f) for f in ([False, True] if flips else [False])]
                if maps is None:
                    shape = (n, *views[0][1].shape[1:])
                    maps = [
                        np.lib.format.open_memmap(f"{p}.tmp.npy", mode="w+", dtype=np.float16, shape=shape)
                        for p in maps_paths[: len(views)]
                    ]
                for view, (pooled, trunk_maps) in enumerate(views):
                    (plain if view == 0 else flip)[rows] = pooled
                    maps[view][rows] = trunk_maps
                written += len(rows)
                if written >= MAPS_REMAP_EVERY:  # written pages of a mapping count as this process's memory
                    written = 0
                    for array in maps:
                        array.flush()
                    names = [f"{p}.tmp.npy" for p in maps_paths[: len(maps)]]
                    del array
                    maps = [np.lib.format.open_memmap(name, mode="r+") for name in names]
            else:
                plain[rows] = backbone.features(pixels)
                if flip is not None:
                    flip[rows] = backbone.features(pixels, flip=True)
            pixels_out[rows] = pixel_features(pixels)
        done += len(rows) + len(bad)
        if progress is not None:
            progress(done, n)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(
        tmp,
        plain=plain,
        flip=flip if flip is not None else np.zeros((0,)),
        pixels=pixels_out,
        failed=np.array(json.dumps(failed)),
    )
    out = {"plain": plain, "flip": flip, "pixels": pixels_out, "failed": failed, "computed": True}
    if keep_maps and maps is not None:
        for array, target in zip(maps, maps_paths, strict=False):
            array.flush()
            Path(f"{target}.tmp.npy").replace(target)
        out["maps"] = [np.load(p, mmap_mode="r") for p in maps_paths[: len(maps)]]
    tmp.replace(path)
    return out


def predict_proba(head, features: np.ndarray, labels: list[str]) -> np.ndarray:
    """Class probabilities from a fitted scikit-learn head, one column per label in `labels` order (a label the
    head never saw gets probability 0)."""
    if len(features) == 0:
        return np.zeros((0, len(labels)))
    raw = head.predict_proba(features)
    columns = {str(c): i for i, c in enumerate(head.classes_)}
    out = np.zeros((len(features), len(labels)))
    for j, label in enumerate(labels):
        if label in columns:
            out[:, j] = raw[:, columns[label]]
    return out


def read_model_info(model_dir: Path) -> dict:
    path = Path(model_dir) / MODEL_INFO_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


class ImageModel:
    """A delivered image classifier (model/): its backbone, its head, its labels and abstain threshold."""

    def __init__(self, model_dir: Path, device: str = "cpu") -> None:
        self.info = read_model_info(model_dir)
        self.labels = list(self.info["labels"])
        self.threshold = float(self.info.get("threshold") or 0.0)
        self.kind = self.info["kind"]
        self.device = device
        self.head = None
        self.torch_head = None
        self.backbone = None
        if self.info.get("features") != "pixels" or self.kind != "linear":
            self.backbone = load_backbone(self.info["backbone"], device)
        if self.kind == "linear":
            self.head = safe_skops_load(Path(model_dir) / HEAD_FILE)
        else:
            import torch
            from safetensors.torch import load_file

            state = load_file(str(Path(model_dir) / WEIGHTS_FILE))
            self.backbone.model.load_state_dict({k[9:]: v for k, v in state.items() if k.startswith("backbone.")})
            self.torch_head = torch.nn.Linear(self.backbone.dim, len(self.labels))
            self.torch_head.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith("head.")})
            self.torch_head = self.torch_head.to(device).eval()
        prep = self.info["preprocessing"]
        self.size, self.resize = int(prep["size"]), int(prep["resize"])
        # Every input scale the head reads (a multi-scale head joins the features of each), the first one's first.
        self.scales = [(int(size), int(resize)) for size, resize in prep.get("scales") or [(self.size, self.resize)]]

    def probabilities(self, pixels: np.ndarray, *other_scales: np.ndarray) -> np.ndarray:
        """Class probabilities of uint8 images (n, size, size, 3), preprocessed as in training; a multi-scale model
        also takes the same images at each of its other scales (`inputs_of` makes them)."""
        if len(pixels) == 0:
            return np.zeros((0, len(self.labels)))
        if self.kind == "linear":
            if self.info.get("features") == "pixels":
                return predict_proba(self.head, pixel_features(pixels), self.labels)
            views = [pixels, *other_scales][: len(self.scales)]
            if len(views) != len(self.scales):
                raise ValueError(f"this model reads {len(self.scales)} scales {self.scales}: use inputs_of(images)")
            plain = np.concatenate([self.backbone.features(v) for v in views], axis=1)
            out = predict_proba(self.head, plain, self.labels)
            if self.info.get("tta_flip"):
                flipped = np.concatenate([self.backbone.features(v, flip=True) for v in views], axis=1)
                out = (out + predict_proba(self.head, flipped, self.labels)) / 2
            return out
        import torch

        x = self.backbone.to_tensor(pixels)
        tensors = [x, torch.flip(x, dims=[3])] if self.info.get("tta_flip") else [x]
        with torch.inference_mode():
            out = [torch.softmax(self.torch_head(self.backbone.forward(t)), 1).cpu().numpy() for t in tensors]
        return sum(out) / len(out)

    def pixels_of(self, image) -> np.ndarray:
        """A PIL image (already RGB and upright) as the model's input array (its first scale)."""
        return np.asarray(resize_and_crop(image, self.size, self.resize), dtype=np.uint8)

    def inputs_of(self, images: list) -> list[np.ndarray]:
        """PIL images (RGB, upright) as the model's inputs: one uint8 array (n, size, size, 3) per scale."""
        return [
            np.stack([np.asarray(resize_and_crop(image, size, resize), dtype=np.uint8) for image in images])
            for size, resize in self.scales
        ]

    def probabilities_of_images(self, images: list) -> np.ndarray:
        """Class probabilities of PIL images (RGB, upright), at every scale the model reads."""
        return self.probabilities(*self.inputs_of(images)) if images else np.zeros((0, len(self.labels)))

    def predict_references(self, references: list[str], batch_size: int = 32, progress=None):
        """(probabilities with one row per reference, {row: why unreadable}); unreadable rows are NaN. A
        multi-scale model decodes each batch once per scale (the same rows come out of each pass)."""
        out = np.full((len(references), len(self.labels)), np.nan)
        failed: dict[int, str] = {}
        passes = [iter_batches(references, size, resize, batch_size) for size, resize in self.scales]
        for batches in zip(*passes, strict=True):
            rows, pixels, bad = batches[0]
            failed.update(bad)
            if rows:
                out[rows] = self.probabilities(pixels, *(other for _, other, _ in batches[1:]))
            if progress is not None:
                progress(len(rows) + len(bad))
        return out, failed


def at_scale(backbone, size: int, resize: int):
    """The same network fed images of another size (a convolutional network takes any): a shallow copy whose
    preprocessing, and so whose feature cache key, differs."""
    import copy

    scaled = copy.copy(backbone)
    scaled.size, scaled.resize = size, resize
    return scaled


# --- END PORTABLE ---
