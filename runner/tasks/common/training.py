"""Training pieces every text task's train.py shares: the device, TF-IDF features, scratch models, fine-tuning with
the Trainer under a time budget. Copied verbatim into the generated scripts (between the markers below).
"""

from __future__ import annotations

from runner.models.portable_model import embed  # train.py has it pasted beside this block
from runner.render.progress_eta import map_batches  # likewise

# isort: split

# --- BEGIN PORTABLE TRAINING (copied into train.py; edit runner/tasks/common/training.py, not the copy) ---
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from datasets import Dataset, disable_progress_bars
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    BertConfig,
    BertForSequenceClassification,
    PreTrainedTokenizerFast,
    TrainerCallback,
    TrainingArguments,
    set_seed,
)

# Sizes of `scratch:<size>` models: a small BERT initialised from a config, for when no pretrained
# weights can be had at all. Hidden size, layers, heads, feed-forward size, WordPiece vocabulary.
SCRATCH_SIZES = {
    "tiny": {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 64, "vocab": 2000},
    "small": {"hidden_size": 128, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 256, "vocab": 8000},
    "base": {"hidden_size": 256, "num_hidden_layers": 4, "num_attention_heads": 4, "intermediate_size": 1024, "vocab": 16000},
}
# Fine-tuning time allowed when training.time_budget_s is not set: a GPU fine-tunes; on a CPU only small data does.
DEFAULT_BUDGET_S = {"cuda": 1800, "cpu": 60}
# A full epoch costs more than the timed forward/backward passes: evaluation, padding to longer batches, saving.
EPOCH_OVERHEAD = 1.5
# `auto` fine-tunes only when at least this many epochs fit: a fresh head over a pretrained encoder rarely
# converges in one.
MIN_AUTO_EPOCHS = 2


def pick_device(wanted: str) -> str:
    """'auto' uses a GPU when there is one; 'cuda' insists on one."""
    if wanted == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if wanted == "cuda":
        torch.zeros(1, device="cuda")  # fails here, with torch's own message, when there is no usable GPU
    return wanted


def prepare_run(training: dict) -> tuple[int, str]:
    """Seed everything, set torch's threads and pick the device (intern.yaml's `training`); library progress bars
    off in a log. Returns the threads and the device."""
    set_seed(training["seed"])
    threads = training.get("num_threads") or os.cpu_count() or 1
    torch.set_num_threads(threads)
    device = pick_device(training.get("device", "auto"))
    quiet_progress_bars()
    return threads, device


def tfidf_features(rows: int) -> FeatureUnion:
    """Word 1-2 grams and character 2-5 grams (robust to typos), each L2-normalised."""
    return FeatureUnion([
        ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2 if rows >= 50 else 1,
                                  sublinear_tf=True)),
    ])


def train_wordpiece(texts: list[str], vocab_size: int, max_length: int) -> PreTrainedTokenizerFast:
    """A WordPiece tokenizer trained on the training texts (for scratch models)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=specials))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))],
    )
    tok.decoder = decoders.WordPiece(prefix="##")
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]",
        mask_token="[MASK]", model_max_length=max_length,
    )


def measured_max_length(tokenizer, texts: list[str], configured: int | None, limit: int) -> int:
    """The configured max length, or the 99th percentile of token lengths rounded up to a multiple of 8."""
    if configured:
        return min(configured, limit)
    lengths = sorted(len(ids) for ids in tokenizer(texts[:20000], truncation=False)["input_ids"])
    p99 = lengths[int(0.99 * (len(lengths) - 1))]
    return max(16, min(limit, int(math.ceil(p99 / 8) * 8)))


def build_model(cfg: dict, where: str, train_texts: list[str], labels: list[str]):
    """Tokenizer, model and max length: `scratch:<size>`, or the encoder at `where` with a fresh classification head."""
    name, id2label = cfg["model"]["name"], dict(enumerate(labels))
    label2id = {label: i for i, label in id2label.items()}
    if name.startswith("scratch:"):
        size = SCRATCH_SIZES[name.split(":", 1)[1]]
        # No more word pieces than training texts: on small data a large vocabulary learns pieces seen once.
        tokenizer = train_wordpiece(train_texts, min(size["vocab"], max(1000, len(train_texts))), 512)
        max_length = measured_max_length(tokenizer, train_texts, cfg["model"].get("max_length"), 512)
        tokenizer.model_max_length = max_length
        config = BertConfig(
            vocab_size=len(tokenizer), hidden_size=size["hidden_size"],
            num_hidden_layers=size["num_hidden_layers"], num_attention_heads=size["num_attention_heads"],
            intermediate_size=size["intermediate_size"], max_position_embeddings=max(64, max_length),
            num_labels=len(labels), id2label=id2label, label2id=label2id, pad_token_id=tokenizer.pad_token_id,
        )
        return tokenizer, BertForSequenceClassification(config), max_length
    tokenizer = AutoTokenizer.from_pretrained(where)
    if tokenizer.pad_token is None:  # GPT-style tokenizers have none; padding needs one
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    model = AutoModelForSequenceClassification.from_pretrained(
        where, num_labels=len(labels), id2label=id2label, label2id=label2id, ignore_mismatched_sizes=True
    )
    model.config.pad_token_id = tokenizer.pad_token_id
    limit = getattr(model.config, "max_position_embeddings", 512) or 512
    return tokenizer, model, measured_max_length(tokenizer, train_texts, cfg["model"].get("max_length"), limit)


class EpochReporter(TrainerCallback):
    """Appends one line per epoch to reports/train.jsonl and prints it."""

    def __init__(self, path: Path | None, total_epochs: float) -> None:
        self.path, self.total = path, total_epochs
        self.last_loss: float | None = None
        self.started = time.perf_counter()

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            self.last_loss = float(logs["loss"])

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        metrics = metrics or {}
        record = {
            "epoch": round(float(state.epoch or 0), 3),
            "train_loss": self.last_loss,
            "eval_loss": metrics.get("eval_loss"),
            "accuracy": metrics.get("eval_accuracy", 0.0),
            "macro_f1": metrics.get("eval_macro_f1", 0.0),
            "seconds": round(time.perf_counter() - self.started, 2),
        }
        self.started = time.perf_counter()
        loss = "n/a" if record["train_loss"] is None else f"{record['train_loss']:.4f}"
        print(
            f"epoch {record['epoch']:g}/{self.total:g}: train loss {loss}, eval loss {record['eval_loss']:.4f}, "
            f"accuracy {record['accuracy']:.4f}, macro F1 {record['macro_f1']:.4f} ({record['seconds']:.1f} s)",
            flush=True,
        )
        if self.path is not None:
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")


def measure_throughput(model, collator, dataset: Dataset, batch_size: int, device: str, repeats: int = 3) -> float:
    """Training examples per second at the configured batch size: forward/backward/step passes on one batch,
    timed after a warm-up pass. Runs on a throw-away copy of the weights."""
    rows = [dataset[i % len(dataset)] for i in range(batch_size)]
    batch = {key: value.to(device) for key, value in collator(rows).items()}
    model = model.to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    marks = []
    for _ in range(repeats):
        model(**batch).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        marks.append(time.perf_counter())
    return batch_size * (repeats - 1) / max(marks[-1] - marks[0], 1e-9)


def fine_tune_epochs(cfg: dict, device: str, train_rows: int, rate: float) -> tuple[int, str]:
    """How many epochs fit the time budget (0: skip), and why. The validation plateau may stop training sooner."""
    training, mode = cfg["training"], cfg["model"].get("fine_tune", "auto")
    budget = training.get("time_budget_s") or DEFAULT_BUDGET_S["cuda" if device == "cuda" else "cpu"]
    epoch_s = EPOCH_OVERHEAD * train_rows / max(rate, 1e-9)
    affordable = int(budget // epoch_s)
    cap = math.ceil(training["epochs"])
    if mode == "always":
        epochs = max(1, min(cap, affordable))
        return epochs, f"model.fine_tune is `always`: {epochs} epoch(s) at most (about {epoch_s:.0f} s each)"
    if affordable < MIN_AUTO_EPOCHS:
        return 0, (
            f"skipped: {MIN_AUTO_EPOCHS} epochs are projected at {MIN_AUTO_EPOCHS * epoch_s:.0f} s on this "
            f"{device.upper()} ({rate:.0f} examples/s measured), over the {budget:g} s budget "
            "(training.time_budget_s); a GPU, a larger budget or `model.fine_tune: always` runs it"
        )
    epochs = min(cap, affordable)
    return epochs, f"{epochs} epoch(s) at most fit the {budget:g} s budget (about {epoch_s:.0f} s each)"


def training_arguments(cfg: dict, work: Path, epochs: int, smoke: bool, device: str) -> TrainingArguments:
    training = cfg["training"]
    # warmup_steps takes the warm-up ratio: in transformers 5 a float below 1 is read as a share of all steps.
    return TrainingArguments(
        output_dir=str(work),
        num_train_epochs=1 if smoke else epochs,
        max_steps=cfg["smoke"]["max_steps"] if smoke else -1,
        per_device_train_batch_size=training["batch_size"],
        per_device_eval_batch_size=training["eval_batch_size"],
        gradient_accumulation_steps=training["gradient_accumulation_steps"],
        learning_rate=training["learning_rate"],
        weight_decay=training["weight_decay"],
        warmup_steps=training["warmup_ratio"],
        eval_strategy="no" if smoke else "epoch",
        save_strategy="no" if smoke else "epoch",
        logging_strategy="epoch",
        load_best_model_at_end=not smoke,
        metric_for_best_model="macro_f1",
        greater_is_better=True,
        save_total_limit=1,
        save_only_model=True,
        seed=training["seed"],
        use_cpu=device == "cpu",
        dataloader_num_workers=0,
        disable_tqdm=True,  # train.py's progress callback shows the steps with an ETA (a bar, or lines in CI)
        report_to="none",
        logging_nan_inf_filter=False,  # a diverged run must show its NaN loss, not hide it
    )


def quiet_progress_bars() -> None:
    """In a log (stderr not a terminal), the datasets and transformers bars ("Map", "Loading weights") would print
    a line per update: they are turned off, and train.py's own progress lines (a rate and an ETA) stay."""
    if not sys.stderr.isatty():
        from transformers.utils import logging as hf_logging

        disable_progress_bars()
        hf_logging.disable_progress_bar()


# The candidates of a text task, cheapest first: the cheaper one wins a tie on validation.
COST_ORDER = ["tfidf", "encoder", "encoder+tfidf", "fine-tune"]
# Texts embedded per progress step (the encoder batches within each); progress goes to stderr, with a rate and an ETA.
EMBED_CHUNK = 2048


def embed_texts(encoder, texts: list[str], label: str) -> np.ndarray:
    """`embed`, EMBED_CHUNK texts at a time, with a rate and an ETA on stderr (a bar on a terminal, a line every
    10 s in CI logs)."""
    if not texts:
        return embed(encoder, texts)
    return np.vstack(map_batches(lambda chunk: embed(encoder, chunk), texts, EMBED_CHUNK, label, "texts"))


def choose(candidates: list[dict]) -> tuple[dict, str]:
    """The winner among the trained candidates (best validation macro F1, the cheaper on a tie) and why, in words."""
    trained = [c for c in candidates if c["status"] == "trained"]
    winner = max(trained, key=lambda c: (c["validation"]["macro_f1"], -COST_ORDER.index(c["name"])))
    others = [c for c in trained if c is not winner]
    if not others:
        return winner, f"{winner['name']} is the only candidate trained"
    runner_up = max(others, key=lambda c: c["validation"]["macro_f1"])
    gap = (winner["validation"]["macro_f1"] - runner_up["validation"]["macro_f1"]) * 100
    why = (
        f"best validation macro F1 ({winner['validation']['macro_f1']:.4f}), {gap:.2f} points above "
        f"{runner_up['name']}"
    )
    if gap == 0:
        why = f"ties {runner_up['name']} on validation macro F1 ({winner['validation']['macro_f1']:.4f}) and is cheaper"
    if winner["name"] == "tfidf":
        why += ": the cheapest candidate, the classical baseline, won"
    return winner, why


# --- END PORTABLE TRAINING ---
