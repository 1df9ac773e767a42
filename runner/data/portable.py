"""Data preparation shared, verbatim, by the runner and every generated `train.py`.

The scaffold copies the block between the BEGIN/END markers into `train.py`, so the split a project trains on
is exactly the split the runner evaluates on, with no import of this package. Keep this block stdlib + pandas,
deterministic, and readable: users read it in their PR.
"""

from __future__ import annotations

# --- BEGIN PORTABLE (copied into train.py by `intern scaffold`; edit runner/data/portable.py, not the copy) ---
import hashlib
import random
import re
import unicodedata
from collections import defaultdict
from typing import Any

_SPACES = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]")


def normalise_text(text: str) -> str:
    """The key under which two texts count as duplicates: NFKC, lowercase, no punctuation, single spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _PUNCT.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def read_table(source: str, fmt: str, hub_split: str = "train", delimiter: str | None = None):  # type: ignore[no-untyped-def]
    """Read a dataset into a pandas DataFrame: csv (`delimiter`: `;`, `|`, tab; default comma), tsv, json, jsonl,
    parquet, or a Hub dataset id."""
    import pandas as pd

    if fmt == "csv":
        sep = delimiter or ","
        return pd.read_csv(source, sep=sep, encoding="utf-8", keep_default_na=False, na_values=[""], dtype=str)
    if fmt == "tsv":
        return pd.read_csv(source, sep="\t", encoding="utf-8", keep_default_na=False, na_values=[""], dtype=str)
    if fmt == "jsonl":
        return pd.read_json(source, lines=True, dtype=False, encoding="utf-8")
    if fmt == "json":
        try:
            return pd.read_json(source, dtype=False, encoding="utf-8")
        except ValueError:
            return pd.read_json(source, lines=True, dtype=False, encoding="utf-8")
    if fmt == "parquet":
        return pd.read_parquet(source)
    if fmt == "hub":
        import datasets

        return datasets.load_dataset(source, split=hub_split).to_pandas()
    raise ValueError(f"unknown data format {fmt!r}: use csv, tsv, json, jsonl, parquet or hub")


def label_to_str(value: object) -> str:
    """Labels are strings everywhere: 1, 1.0 and '1' are the same class."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def clean_rows(texts: list[object], labels: list[object]) -> tuple[list[str], list[str], list[int]]:
    """Drop rows whose text or label is empty or null; return texts, labels and the kept row indices."""
    kept_texts, kept_labels, kept_rows = [], [], []
    for row, (text, label) in enumerate(zip(texts, labels, strict=True)):
        if text is None or label is None or text != text or label != label:  # None or NaN
            continue
        text_str, label_str = str(text).strip(), label_to_str(label)
        if not text_str or not label_str:
            continue
        kept_texts.append(text_str)
        kept_labels.append(label_str)
        kept_rows.append(row)
    return kept_texts, kept_labels, kept_rows


def _group_rank(key: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()


def split_indices(
    texts: list[str], labels: list[str], test_size: float, validation_size: float, seed: int
) -> dict[str, list[int]]:
    """Stratified, seeded, group-aware split into train / validation / test row indices.

    Rows with the same normalised text form a group, and a group never straddles two splits, so a test text
    never has a duplicate in train. Groups are assigned per majority label, in a seeded order, to the split
    furthest below its target share for that label: every class gets its share in every split when it has
    enough groups (a class with 3+ groups always reaches all three; with 2, train and test).
    """
    groups: dict[str, list[int]] = defaultdict(list)
    for index, text in enumerate(texts):
        groups[normalise_text(text)].append(index)
    by_label: dict[str, list[str]] = defaultdict(list)
    for key, members in groups.items():
        votes: dict[str, int] = defaultdict(int)
        for index in members:
            votes[labels[index]] += 1
        majority = sorted(votes.items(), key=lambda item: (-item[1], item[0]))[0][0]
        by_label[majority].append(key)
    shares = {"test": test_size, "validation": validation_size, "train": 1.0 - test_size - validation_size}
    order = [name for name in ("train", "test", "validation") if shares[name] > 0]
    result: dict[str, list[int]] = {"train": [], "validation": [], "test": []}
    for label in sorted(by_label):
        keys = sorted(by_label[label], key=lambda key: _group_rank(key, seed))
        total = sum(len(groups[key]) for key in keys)
        filled = {"train": 0, "validation": 0, "test": 0}
        for position, key in enumerate(keys):
            if position < len(order):
                target = order[position]
            else:
                target = max(order, key=lambda name: shares[name] * total - filled[name])
            filled[target] += len(groups[key])
            result[target].extend(groups[key])
    rng = random.Random(seed)
    for name in result:
        result[name].sort()
        rng.shuffle(result[name])
    return result


def stratified_sample(labels: list[str], per_class: int, seed: int) -> list[int]:
    """Up to `per_class` row indices of every class, seeded (the smoke test's tiny sample)."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        by_label[label].append(index)
    rng = random.Random(seed)
    picked: list[int] = []
    for label in sorted(by_label):
        members = by_label[label]
        picked.extend(rng.sample(members, min(per_class, len(members))))
    return sorted(picked)


def smoke_splits(
    splits: dict[str, tuple[list[str], list[str]]], config: dict[str, Any]
) -> dict[str, tuple[list[str], list[str]]]:
    """The smoke test's tiny stratified sample of every split (texts or image paths with their labels): every class
    present when the data allows it, `smoke.rows_per_class` per class in train, half that in validation, one in test."""
    per_class, seed = config["smoke"]["rows_per_class"], config["training"]["seed"]
    sampled = dict(splits)
    for name, share in (("train", per_class), ("validation", max(1, per_class // 2)), ("test", 1)):
        items, labels = splits[name]
        rows = stratified_sample(labels, share, seed)
        sampled[name] = ([items[i] for i in rows], [labels[i] for i in rows])
    return sampled


def load_splits(config: dict[str, Any], base_dir: str = ".") -> dict[str, tuple[list[str], list[str]]]:
    """The train / validation / test texts and labels that intern.yaml describes.

    With `data.test_source`, that file is the test split, and training rows whose normalised text occurs in it
    are dropped so that the test stays honest.
    """
    import os

    data, split = config["data"], config["split"]

    def resolve(source: str, fmt: str) -> str:
        return source if fmt == "hub" or os.path.isabs(source) else os.path.join(base_dir, source)

    frame = read_table(
        resolve(data["source"], data["format"]), data["format"], data.get("hub_split", "train"), data.get("delimiter")
    )
    texts, labels, _ = clean_rows(list(frame[data["text_column"]]), list(frame[data["label_column"]]))
    if data.get("test_source"):
        test_format = data.get("test_format") or data["format"]
        test_frame = read_table(
            resolve(data["test_source"], test_format), test_format, "test", data.get("test_delimiter")
        )
        test_texts, test_labels, _ = clean_rows(
            list(test_frame[data["text_column"]]), list(test_frame[data["label_column"]])
        )
        in_test = {normalise_text(text) for text in test_texts}
        keep = [i for i, text in enumerate(texts) if normalise_text(text) not in in_test]
        texts, labels = [texts[i] for i in keep], [labels[i] for i in keep]
        rows = split_indices(texts, labels, 0.0, split["validation_size"], split["seed"])
        parts = {name: ([texts[i] for i in rows[name]], [labels[i] for i in rows[name]]) for name in rows}
        parts["test"] = (test_texts, test_labels)
        return parts
    rows = split_indices(texts, labels, split["test_size"], split["validation_size"], split["seed"])
    return {name: ([texts[i] for i in rows[name]], [labels[i] for i in rows[name]]) for name in rows}


# --- END PORTABLE ---


def portable_source() -> str:
    """The block above, as text, for the train.py template."""
    from runner.render.script import portable_block

    return portable_block(__name__)
