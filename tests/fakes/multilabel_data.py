"""A small synthetic multi-label dataset the tests write themselves: support tickets tagged with every topic they
mention (billing, delivery, account, refund), some with none. Learnable from the words, so a real run must beat
chance clearly."""

from __future__ import annotations

import json
import random
from pathlib import Path

TOPICS = {
    "billing": ["my invoice is wrong", "I was charged twice", "the bill shows a strange fee"],
    "delivery": ["the parcel never arrived", "the courier lost my package", "shipping is late again"],
    "account": ["I cannot log in", "please reset my password", "my profile page is broken"],
    "refund": ["I want my money back", "please refund the order", "where is my refund"],
}
NEUTRAL = ["hello there", "thanks for your help", "have a nice day", "just checking in"]
LABELS = sorted(TOPICS)


def multilabel_rows(n: int = 120, seed: int = 0) -> list[tuple[str, list[str]]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        count = rng.choice([0, 1, 1, 2, 2, 3])
        chosen = sorted(rng.sample(LABELS, count))
        parts = [rng.choice(TOPICS[label]) for label in chosen] or [rng.choice(NEUTRAL)]
        rng.shuffle(parts)
        rows.append((f"{' and '.join(parts)} (ticket {i})", chosen))
    return rows


def write_joined_csv(path: Path, n: int = 120, sep: str = ";", seed: int = 0) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["message", "tags"])
        for text, labels in multilabel_rows(n, seed):
            writer.writerow([text, sep.join(labels)])
    return path


def write_list_jsonl(path: Path, n: int = 120, seed: int = 0) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for text, labels in multilabel_rows(n, seed):
            handle.write(json.dumps({"text": text, "labels": labels}) + "\n")
    return path


def write_binary_csv(path: Path, n: int = 120, seed: int = 0) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", *LABELS])
        for i, (text, labels) in enumerate(multilabel_rows(n, seed)):
            writer.writerow([i, text, *(int(label in labels) for label in LABELS)])
    return path
