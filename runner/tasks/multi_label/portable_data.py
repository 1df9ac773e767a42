"""Multi-label rows and their split, shared verbatim by the runner and every generated multi-label `train.py`.

Labels come in three shapes: a list column (JSON lists in JSONL or Parquet, `Sequence(ClassLabel)` on the Hub), one
column of labels joined by a separator (`a;b` in a CSV), or one 0/1 column per label. A row with no label is valid:
none applies. The split is iterative stratification (Sechidis et al., 2011, as the `iterative-stratification` package
implements it) over groups of rows whose normalised text is the same, so a test text never has a duplicate in train.
"""

from __future__ import annotations

from runner.data.portable import normalise_text, read_table  # train.py has them pasted before this block

# isort: split

# --- BEGIN PORTABLE MULTI-LABEL (copied into train.py; edit runner/tasks/multi_label/portable_data.py) ---
import os
import random
from collections import defaultdict
from typing import Any

TRUE_VALUES = {"1", "1.0", "true", "yes", "y", "t"}
FALSE_VALUES = {"0", "0.0", "false", "no", "n", "f", ""}


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def parse_label_cell(value: object, sep: str | None) -> list[str]:
    """One cell's labels: a list (or array) as is, a string split on `sep`; missing or empty means none."""
    if _is_missing(value):
        return []
    if hasattr(value, "tolist") and not isinstance(value, str):
        value = value.tolist()
    if isinstance(value, (list, tuple, set)):
        items = [str(item).strip() for item in value if not _is_missing(item)]
    elif sep:
        items = [part.strip() for part in str(value).split(sep)]
    else:
        items = [str(value).strip()]
    seen: list[str] = []
    for item in items:
        if item and item not in seen:
            seen.append(item)
    return seen


def is_true(value: object) -> bool:
    """A 0/1 label cell: 1, 1.0, true, yes count as set; 0, empty or missing as not set."""
    if _is_missing(value):
        return False
    text = str(value).strip().lower()
    if text in TRUE_VALUES:
        return True
    if text in FALSE_VALUES:
        return False
    raise ValueError(f"{value!r} is not a 0/1 label value")


def label_sets_from_frame(frame: Any, label_columns: list[str], sep: str | None) -> list[list[str]]:
    """Every row's labels, from one list/joined column or from one 0/1 column per label."""
    if len(label_columns) > 1:
        columns = {name: list(frame[name]) for name in label_columns}
        return [[name for name in label_columns if is_true(columns[name][row])] for row in range(len(frame))]
    return [parse_label_cell(value, sep) for value in frame[label_columns[0]]]


def clean_multilabel_rows(texts: list[object], label_sets: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """Drop rows whose text is empty or missing; rows with no label stay (none applies)."""
    kept_texts, kept_sets = [], []
    for text, labels in zip(texts, label_sets, strict=True):
        if _is_missing(text) or not str(text).strip():
            continue
        kept_texts.append(str(text).strip())
        kept_sets.append(labels)
    return kept_texts, kept_sets


def iterative_split(label_sets: list[list[str]], sizes: list[int], shares: list[float], seed: int) -> list[list[int]]:
    """Iterative stratification of weighted items (groups of rows) into folds with the given shares: the rarest
    label's items are dealt first, each to the fold that most lacks that label (then rows, then a seeded draw)."""
    rng = random.Random(seed)
    total = sum(sizes)
    desired_rows = [share * total for share in shares]
    desired_label: list[dict[str, float]] = [defaultdict(float) for _ in shares]
    for labels, size in zip(label_sets, sizes, strict=True):
        for label in labels:
            for fold, share in enumerate(shares):
                desired_label[fold][label] += share * size
    remaining = set(range(len(label_sets)))
    folds: list[list[int]] = [[] for _ in shares]
    by_label: dict[str, set[int]] = defaultdict(set)
    for item, labels in enumerate(label_sets):
        for label in labels:
            by_label[label].add(item)
    order = list(range(len(label_sets)))
    rng.shuffle(order)
    rank = {item: position for position, item in enumerate(order)}

    def deal(item: int, label: str | None) -> None:
        def need(fold: int) -> tuple[float, float, float]:
            wanted = desired_label[fold][label] if label is not None else 0.0
            return (wanted, desired_rows[fold], rng.random())

        fold = max(range(len(shares)), key=need)
        folds[fold].append(item)
        remaining.discard(item)
        desired_rows[fold] -= sizes[item]
        for other in label_sets[item]:
            desired_label[fold][other] -= sizes[item]
            if other in by_label:
                by_label[other].discard(item)

    while by_label:
        label = min(by_label, key=lambda name: (len(by_label[name]), name))
        for item in sorted(by_label.pop(label), key=rank.__getitem__):
            deal(item, label)
        by_label = {name: members for name, members in by_label.items() if members}
    for item in sorted(remaining, key=rank.__getitem__):  # rows with no label at all
        deal(item, None)
    return folds


def split_multilabel(
    texts: list[str], label_sets: list[list[str]], test_size: float, validation_size: float, seed: int
) -> dict[str, list[int]]:
    """Train / validation / test row indices: iterative stratification over groups of duplicate texts."""
    groups: dict[str, list[int]] = defaultdict(list)
    for index, text in enumerate(texts):
        groups[normalise_text(text)].append(index)
    keys = sorted(groups)
    group_labels = [sorted({label for row in groups[key] for label in label_sets[row]}) for key in keys]
    sizes = [len(groups[key]) for key in keys]
    names = [
        name
        for name, share in (
            ("train", 1 - test_size - validation_size),
            ("validation", validation_size),
            ("test", test_size),
        )
        if share > 0
    ]
    shares = {"train": 1 - test_size - validation_size, "validation": validation_size, "test": test_size}
    folds = iterative_split(group_labels, sizes, [shares[name] for name in names], seed)
    result: dict[str, list[int]] = {"train": [], "validation": [], "test": []}
    for name, fold in zip(names, folds, strict=True):
        result[name] = sorted(row for item in fold for row in groups[keys[item]])
    rng = random.Random(seed)
    for name in result:
        rng.shuffle(result[name])
    return result


def multilabel_sample(label_sets: list[list[str]], per_label: int, seed: int) -> list[int]:
    """Up to `per_label` rows carrying each label, plus a few with none (the smoke test's tiny sample)."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for index, labels in enumerate(label_sets):
        for label in labels or ["(none)"]:
            by_label[label].append(index)
    rng = random.Random(seed)
    picked: set[int] = set()
    for label in sorted(by_label):
        members = by_label[label]
        picked.update(rng.sample(members, min(per_label, len(members))))
    return sorted(picked)


def read_multilabel(
    data: dict[str, Any], source: str, fmt: str, hub_split: str = "train", delimiter: str | None = None
) -> tuple[list[str], list[list[str]]]:
    frame = read_table(source, fmt, hub_split, delimiter)
    columns = data.get("label_columns") or [data["label_column"]]
    return clean_multilabel_rows(
        list(frame[data["text_column"]]), label_sets_from_frame(frame, columns, data.get("label_sep"))
    )


def load_multilabel_splits(config: dict[str, Any], base_dir: str = ".") -> dict[str, tuple[list[str], list[list[str]]]]:
    """The train / validation / test texts and label sets that intern.yaml describes (a given test file is the test
    split, and training rows whose normalised text occurs in it are dropped)."""
    data, split = config["data"], config["split"]

    def resolve(source: str, fmt: str) -> str:
        return source if fmt == "hub" or os.path.isabs(source) else os.path.join(base_dir, source)

    texts, label_sets = read_multilabel(
        data,
        resolve(data["source"], data["format"]),
        data["format"],
        data.get("hub_split", "train"),
        data.get("delimiter"),
    )
    test = None
    if data.get("test_source"):
        test_format = data.get("test_format") or data["format"]
        test = read_multilabel(
            data, resolve(data["test_source"], test_format), test_format, "test", data.get("test_delimiter")
        )
        in_test = {normalise_text(text) for text in test[0]}
        keep = [i for i, text in enumerate(texts) if normalise_text(text) not in in_test]
        texts, label_sets = [texts[i] for i in keep], [label_sets[i] for i in keep]
    rows = split_multilabel(
        texts, label_sets, 0.0 if test else split["test_size"], split["validation_size"], split["seed"]
    )
    parts = {name: ([texts[i] for i in rows[name]], [label_sets[i] for i in rows[name]]) for name in rows}
    if test is not None:
        parts["test"] = test
    return parts


# --- END PORTABLE MULTI-LABEL ---
