"""Benchmark: which learning rate fine-tunes a pretrained sentence encoder under a fresh head, measured on CPU.

    python benchmarks/finetune_lr.py                          # TREC coarse, 1,200 training rows, 2 epochs
    python benchmarks/finetune_lr.py --rows 3000 --epochs 3 --rates 5e-5 1e-4 3e-4
    python benchmarks/finetune_lr.py --quick                  # seconds: 48 generated rows, 1 epoch, one rate

Fine-tunes the default encoder (the verified packaged all-MiniLM-L6-v2, offline) with the transformers Trainer at
each learning rate on the same sample and prints validation accuracy and macro F1 after each epoch. The figures
behind the fine-tuning default in runner/models/defaults.py.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load(path: Path, label: str) -> tuple[list[str], list[str]]:
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [row["text"] for row in rows], [row[label] for row in rows]


def tiny_dataset(path: Path) -> Path:
    """Four separable classes of generated text (the tests' fake data), for the quick mode."""
    sys.path.insert(0, str(ROOT))
    from tests.fakes.datasets import make_rows, write_rows

    path.parent.mkdir(parents=True, exist_ok=True)
    write_rows(path, make_rows(16)[0])
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "trec" / "train.csv")
    parser.add_argument("--label", default="coarse")
    parser.add_argument("--rows", type=int, default=1200)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rates", type=float, nargs="+", default=[5e-5, 1e-4, 2e-4])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check that the benchmark still runs")
    args = parser.parse_args()
    if args.quick:
        args.data, args.label = tiny_dataset(Path(tempfile.mkdtemp(prefix="intern-lr-bench-")) / "tiny.csv"), "label"
        args.rows, args.epochs, args.rates = 48, 1, [1e-4]

    import numpy as np
    import torch
    from datasets import ClassLabel, Dataset
    from sklearn.metrics import accuracy_score, f1_score
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
    )
    from transformers.utils import logging as hf_logging

    from runner.models.portable_model import DEFAULT_ENCODER, resolve_encoder

    hf_logging.set_verbosity_error()
    torch.set_num_threads(2)
    where, source = resolve_encoder(DEFAULT_ENCODER)
    print(f"encoder: {DEFAULT_ENCODER} ({source})")
    texts, labels = load(args.data, args.label)
    order = list(range(len(texts)))
    random.Random(0).shuffle(order)
    names = sorted(set(labels))
    train_rows, val_rows = order[: args.rows], order[args.rows : args.rows + 500]
    tokenizer = AutoTokenizer.from_pretrained(where)

    def dataset(rows: list[int]) -> Dataset:
        ds = Dataset.from_dict({"text": [texts[i] for i in rows], "label": [labels[i] for i in rows]})
        ds = ds.cast_column("label", ClassLabel(names=names))
        return ds.map(lambda b: tokenizer(b["text"], truncation=True, max_length=48), batched=True)

    train, val = dataset(train_rows), dataset(val_rows)

    def metrics(prediction: object) -> dict[str, float]:
        predicted = np.argmax(prediction.predictions, axis=-1)  # type: ignore[attr-defined]
        true = prediction.label_ids  # type: ignore[attr-defined]
        every = list(range(len(names)))
        return {
            "accuracy": float(accuracy_score(true, predicted)),
            "macro_f1": float(f1_score(true, predicted, labels=every, average="macro", zero_division=0)),
        }

    print(f"{args.rows} training rows, {len(val_rows)} validation rows, {len(names)} classes, {args.epochs} epochs")
    for rate in args.rates:
        torch.manual_seed(0)
        model = AutoModelForSequenceClassification.from_pretrained(where, num_labels=len(names))
        arguments = TrainingArguments(
            output_dir=str(ROOT / ".intern" / "lr-bench"),
            num_train_epochs=args.epochs,
            learning_rate=rate,
            per_device_train_batch_size=32,
            per_device_eval_batch_size=128,
            warmup_steps=0.1,
            weight_decay=0.01,
            eval_strategy="epoch",
            save_strategy="no",
            logging_strategy="no",
            report_to="none",
            use_cpu=True,
            disable_tqdm=True,
            seed=0,
        )
        trainer = Trainer(
            model=model,
            args=arguments,
            train_dataset=train,
            eval_dataset=val,
            data_collator=DataCollatorWithPadding(tokenizer),
            compute_metrics=metrics,
        )
        started = time.perf_counter()
        trainer.train()
        history = [h for h in trainer.state.log_history if "eval_accuracy" in h]
        curve = ", ".join(
            f"epoch {h['epoch']:g}: acc {h['eval_accuracy']:.3f} F1 {h['eval_macro_f1']:.3f}" for h in history
        )
        print(f"lr {rate:g}: {curve} ({time.perf_counter() - started:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
