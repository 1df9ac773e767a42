"""Small synthetic labelled datasets written into a test's tmp_path, in every format the runner reads.

Each class has its own vocabulary, so a model (or TF-IDF) can separate them. `make_rows` can add the data
problems the inspection must find: an exact duplicate, a normalised duplicate (case and punctuation differ),
and a conflicting-label duplicate (same text, another label).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

VOCABULARY: dict[str, tuple[str, ...]] = {
    "billing": ("invoice", "charge", "payment", "bill", "card", "statement", "overcharged", "receipt"),
    "delivery": ("package", "courier", "parcel", "tracking", "shipped", "arrive", "address", "late"),
    "refund": ("refund", "money", "reimburse", "return", "cancelled", "reversal", "credit", "back"),
    "account": ("password", "login", "profile", "username", "locked", "email", "signin", "settings"),
}
LABELS: tuple[str, ...] = tuple(sorted(VOCABULARY))
FORMATS: tuple[str, ...] = ("csv", "tsv", "json", "jsonl", "parquet")


@dataclass(frozen=True)
class Row:
    text: str
    label: str


@dataclass(frozen=True)
class Problems:
    """Which rows `make_rows` added on purpose (indices into the returned list)."""

    exact_duplicate: int | None = None
    normalised_duplicate: int | None = None
    conflicting: int | None = None


def class_text(label: str, rng: random.Random, words: int = 6) -> str:
    vocabulary = VOCABULARY[label]
    return "my " + " ".join(rng.choice(vocabulary) for _ in range(words))


def make_rows(
    per_class: int = 10,
    *,
    labels: tuple[str, ...] = LABELS,
    seed: int = 0,
    problems: bool = False,
    words: int = 6,
) -> tuple[list[Row], Problems]:
    """`per_class` distinct texts per label; with `problems`, three extra rows: an exact duplicate, a
    normalised duplicate (upper case + punctuation) and a same-text-other-label conflict."""
    rng = random.Random(seed)
    rows: list[Row] = []
    seen: set[str] = set()
    for label in labels:
        made = 0
        while made < per_class:
            text = class_text(label, rng, words)
            if text in seen:
                continue
            seen.add(text)
            rows.append(Row(text, label))
            made += 1
    if not problems:
        return rows, Problems()
    first, second = rows[0], rows[1]
    other = next(label for label in labels if label != second.label)
    rows.append(Row(first.text, first.label))  # exact duplicate
    rows.append(Row(second.text.upper() + "!!", second.label))  # normalised duplicate
    rows.append(Row(second.text, other))  # conflicting label
    n = len(rows)
    return rows, Problems(exact_duplicate=n - 3, normalised_duplicate=n - 2, conflicting=n - 1)


def write_rows(
    path: Path,
    rows: list[Row] | list[tuple[object, object]],
    *,
    text_column: str = "text",
    label_column: str = "label",
    extra: dict[str, list[object]] | None = None,
) -> Path:
    """Write rows in the format that `path`'s suffix names (.csv .tsv .json .jsonl .parquet)."""
    import pandas as pd

    pairs = [(row.text, row.label) if isinstance(row, Row) else row for row in rows]
    columns: dict[str, list[object]] = {
        text_column: [text for text, _ in pairs],
        label_column: [label for _, label in pairs],
    }
    columns.update(extra or {})
    frame = pd.DataFrame(columns)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".tsv":
        frame.to_csv(path, sep="\t", index=False)
    elif suffix == ".json":
        path.write_text(json.dumps(frame.to_dict(orient="records")), encoding="utf-8")
    elif suffix == ".jsonl":
        records = frame.to_dict(orient="records")
        path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    elif suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        raise ValueError(f"no writer for {suffix}")
    return path


def write_dataset(
    directory: Path,
    fmt: str = "csv",
    *,
    per_class: int = 10,
    labels: tuple[str, ...] = LABELS,
    seed: int = 0,
    problems: bool = False,
    name: str = "data",
    text_column: str = "text",
    label_column: str = "label",
) -> Path:
    """A synthetic dataset file `directory/name.fmt`; returns its path."""
    rows, _ = make_rows(per_class, labels=labels, seed=seed, problems=problems)
    return write_rows(directory / f"{name}.{fmt}", rows, text_column=text_column, label_column=label_column)
