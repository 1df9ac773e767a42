"""Default model and hyperparameters, chosen from the data size and the hardware.

The numbers for `scratch:*` models were tuned on the Bitext customer-support data on a 2-core CPU
(see benchmarks/bitext_run.py); pretrained models get the usual fine-tuning defaults.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request

from pydantic import BaseModel, ConfigDict

PRETRAINED_GPU = "distilbert-base-uncased"
PRETRAINED_CPU = "google/bert_uncased_L-2_H-128_A-2"
SCRATCH_CPU = "scratch:small"
SCRATCH_GPU = "scratch:base"


class ModelChoice(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    reason: str


def hub_reachable(endpoint: str | None = None, timeout_s: float = 3.0) -> bool:
    """Whether the Hugging Face Hub answers (False at once when HF_HUB_OFFLINE is set)."""
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes"}:
        return False
    url = (endpoint or os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/") + "/api/models?limit=1"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def gpu_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def default_model(hub_ok: bool, gpu: bool) -> ModelChoice:
    """The model when none is given: pretrained when the Hub answers, else a scratch model sized for the machine."""
    if hub_ok and gpu:
        return ModelChoice(name=PRETRAINED_GPU, reason="a GPU is available: fine-tune DistilBERT")
    if hub_ok:
        return ModelChoice(
            name=PRETRAINED_CPU,
            reason="no GPU: a 2-layer pretrained BERT (4.4M parameters) trains in minutes on CPU",
        )
    if gpu:
        return ModelChoice(
            name=SCRATCH_GPU,
            reason="the Hugging Face Hub cannot be reached (offline): a 4-layer BERT trained from scratch on the GPU, "
            "with a WordPiece tokenizer learned from the training split",
        )
    return ModelChoice(
        name=SCRATCH_CPU,
        reason="the Hugging Face Hub cannot be reached (offline): a small BERT trained from scratch, "
        "with a WordPiece tokenizer learned from the training split",
    )


def training_defaults(model: str, rows: int, num_labels: int) -> dict[str, float | int | None]:
    """Hyperparameters for `model` on `rows` examples."""
    if model.startswith("scratch:"):
        epochs = 6 if rows >= 5000 else 10 if rows >= 1000 else 20
        return {
            "epochs": epochs,
            "batch_size": 32,
            "eval_batch_size": 256,
            "learning_rate": 1e-3,
            "weight_decay": 0.01,
            "warmup_ratio": 0.06,
            "early_stopping_patience": 3,
        }
    epochs = 3 if rows >= 5000 else 5
    return {
        "epochs": epochs,
        "batch_size": 32,
        "eval_batch_size": 128,
        "learning_rate": 5e-5,
        "weight_decay": 0.01,
        "warmup_ratio": 0.06,
        "early_stopping_patience": 2,
    }
