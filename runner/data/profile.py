"""Data inspection: what is in the dataset, and what would make test scores dishonest."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence

from runner.data.portable import clean_rows, normalise_text, split_indices
from runner.errors import DataError
from runner.schemas import DuplicateExample, InspectReport, LabelCount, LengthStats, SplitSizes

MAX_CONFLICT_EXAMPLES = 10


class PreparedData:
    """Cleaned texts and labels with their split, as every stage sees them."""

    def __init__(self, texts: list[str], labels: list[str], splits: dict[str, list[int]], dropped: int) -> None:
        self.texts = texts
        self.labels = labels
        self.splits = splits
        self.dropped = dropped

    def part(self, name: str) -> tuple[list[str], list[str]]:
        rows = self.splits[name]
        return [self.texts[i] for i in rows], [self.labels[i] for i in rows]


def length_stats(values: Sequence[int]) -> LengthStats:
    ordered = sorted(values)
    if not ordered:
        return LengthStats(min=0, mean=0.0, p50=0, p95=0, p99=0, max=0)

    def pct(q: float) -> int:
        return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]

    return LengthStats(
        min=ordered[0],
        mean=round(sum(ordered) / len(ordered), 2),
        p50=pct(0.5),
        p95=pct(0.95),
        p99=pct(0.99),
        max=ordered[-1],
    )


def validate_labels(labels: list[str], source: str) -> None:
    """Refuse data that cannot train a classifier, saying what to fix."""
    if not labels:
        raise DataError(f"{source}: every row has an empty text or label: nothing to train on")
    counts = Counter(labels)
    if len(counts) < 2:
        only = next(iter(counts))
        raise DataError(f"{source}: only one class ({only!r}): a classifier needs at least two labels")
    singletons = sorted(label for label, count in counts.items() if count < 2)
    if singletons:
        shown = ", ".join(repr(label) for label in singletons[:5])
        more = f" and {len(singletons) - 5} more" if len(singletons) > 5 else ""
        raise DataError(
            f"{source}: label(s) {shown}{more} have a single example: add examples or drop those rows "
            "(each class needs at least 2 to appear in both train and test)"
        )


def prepare(
    texts_raw: list[object],
    labels_raw: list[object],
    source: str,
    test_size: float,
    validation_size: float,
    seed: int,
) -> PreparedData:
    texts, labels, kept = clean_rows(texts_raw, labels_raw)
    validate_labels(labels, source)
    splits = split_indices(texts, labels, test_size, validation_size, seed)
    return PreparedData(texts, labels, splits, dropped=len(texts_raw) - len(kept))


def leakage_share(train_texts: Sequence[str], test_texts: Sequence[str]) -> tuple[int, float]:
    """How many test texts have a normalised duplicate in train, and their share."""
    seen = {normalise_text(text) for text in train_texts}
    hits = sum(1 for text in test_texts if normalise_text(text) in seen)
    return hits, (hits / len(test_texts) if test_texts else 0.0)


def random_split_leakage(texts: list[str], test_size: float, seed: int) -> float:
    rows = list(range(len(texts)))
    random.Random(seed).shuffle(rows)
    cut = max(1, int(len(rows) * test_size))
    test, train = rows[:cut], rows[cut:]
    return leakage_share([texts[i] for i in train], [texts[i] for i in test])[1]


def conflicting_groups(texts: list[str], labels: list[str]) -> tuple[int, list[DuplicateExample]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for index, text in enumerate(texts):
        groups[normalise_text(text)].append(index)
    conflicts = []
    for members in groups.values():
        member_labels = sorted({labels[i] for i in members})
        if len(member_labels) > 1:
            conflicts.append(DuplicateExample(text=texts[members[0]], labels=member_labels, count=len(members)))
    conflicts.sort(key=lambda example: -example.count)
    return len(conflicts), conflicts[:MAX_CONFLICT_EXAMPLES]


def build_report(
    data: PreparedData,
    *,
    source: str,
    rows: int,
    columns: list[str],
    text_column: str,
    label_column: str,
    column_reason: str,
    test_size: float,
    seed: int,
    given_test: bool = False,
) -> InspectReport:
    texts, labels = data.texts, data.labels
    counts = Counter(labels)
    exact = len(texts) - len(set(texts))
    normalised = len(texts) - len({normalise_text(text) for text in texts})
    n_conflicts, conflict_examples = conflicting_groups(texts, labels)
    train_texts, _ = data.part("train")
    test_texts, _ = data.part("test")
    split_hits, split_share = leakage_share(train_texts, test_texts)
    warnings = []
    imbalance = max(counts.values()) / min(counts.values())
    if imbalance > 10:
        warnings.append(f"classes are imbalanced ({imbalance:.1f}:1): watch macro F1, not accuracy")
    if n_conflicts:
        warnings.append(f"{n_conflicts} texts carry more than one label: no model can get all of them right")
    if data.dropped:
        warnings.append(f"{data.dropped} rows with an empty text or label were dropped")
    small = sorted(label for label, count in counts.items() if count < 10)
    if small:
        warnings.append(f"{len(small)} classes have fewer than 10 examples: their scores will be noisy")
    missing = [name for name in ("validation", "test") if {labels[i] for i in data.splits[name]} != set(counts)]
    if missing:
        warnings.append(f"some classes have too few distinct texts to appear in: {', '.join(missing)}")
    return InspectReport(
        source=source,
        rows=rows,
        columns=columns,
        text_column=text_column,
        label_column=label_column,
        column_reason=column_reason,
        labels=[
            LabelCount(name=name, count=count, share=round(count / len(labels), 4))
            for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        ],
        imbalance_ratio=round(imbalance, 2),
        chars=length_stats([len(text) for text in texts]),
        words=length_stats([len(text.split()) for text in texts]),
        empty_rows=data.dropped,
        exact_duplicates=exact,
        normalised_duplicates=normalised,
        conflicting_groups=n_conflicts,
        conflicting_examples=conflict_examples,
        random_split_leakage=round(random_split_leakage(texts, test_size, seed), 4),
        split=SplitSizes(
            train=len(data.splits["train"]),
            validation=len(data.splits["validation"]),
            test=len(data.splits["test"]),
        ),
        split_leakage=round(split_share, 4) if split_hits else 0.0,
        given_test=given_test,
        warnings=warnings,
    )
