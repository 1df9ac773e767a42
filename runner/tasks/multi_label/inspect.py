"""Inspect multi-label data: columns, label shape, labels per row, label pairs, rare labels, duplicates, leakage."""

from __future__ import annotations

from collections import Counter
from itertools import combinations
from pathlib import Path

import pandas as pd

from runner.data.load import detect_format, load_table
from runner.data.portable import normalise_text
from runner.data.profile import leakage_share, length_stats, random_split_leakage
from runner.errors import ColumnError, DataError
from runner.schemas import (
    DuplicateExample,
    InspectReport,
    LabelCount,
    LabelPair,
    MultiLabelProfile,
    SplitSizes,
)
from runner.tasks.base import Inspected, InspectRequest
from runner.tasks.multi_label.columns import MultiLabelColumns, detect_multilabel_columns
from runner.tasks.multi_label.portable_data import clean_multilabel_rows, label_sets_from_frame, split_multilabel

# A label with fewer rows than this cannot be learnt or evaluated reliably: warned about, with its count.
RARE_LABEL_ROWS = 10
TOP_PAIRS = 10
TEST_SIZE, VALIDATION_SIZE, SEED = 0.1, 0.1, 42


def read_rows(
    frame: pd.DataFrame, source: str, columns: MultiLabelColumns
) -> tuple[list[str], list[list[str]], int, list[str]]:
    missing = [c for c in (columns.text, *columns.shape.columns) if c not in frame.columns]
    if missing:
        raise ColumnError(
            f"{source} lacks column(s) {', '.join(missing)}: its columns are {', '.join(map(str, frame.columns))}"
        )
    try:
        label_sets = label_sets_from_frame(frame, columns.shape.columns, columns.shape.sep)
    except ValueError as exc:
        raise DataError(f"{source}: {exc}: label columns must hold 0 or 1") from exc
    texts, sets = clean_multilabel_rows(list(frame[columns.text]), label_sets)
    return texts, sets, len(frame), [str(c) for c in frame.columns]


def profile(label_sets: list[list[str]], columns: MultiLabelColumns) -> MultiLabelProfile:
    per_row = Counter(len(labels) for labels in label_sets)
    pairs = Counter(pair for labels in label_sets for pair in combinations(sorted(labels), 2))
    counts = Counter(label for labels in label_sets for label in labels)
    rare = sorted((n, c) for n, c in counts.items() if c < RARE_LABEL_ROWS)
    return MultiLabelProfile(
        label_shape=columns.shape.kind,
        label_columns=columns.shape.columns,
        label_sep=columns.shape.sep,
        labels_per_row_mean=round(sum(len(s) for s in label_sets) / max(len(label_sets), 1), 3),
        labels_per_row={str(k): per_row[k] for k in sorted(per_row)},
        no_label_rows=per_row.get(0, 0),
        top_pairs=[LabelPair(labels=list(pair), count=n) for pair, n in pairs.most_common(TOP_PAIRS)],
        rare_labels=[LabelCount(name=n, count=c, share=round(c / max(len(label_sets), 1), 4)) for n, c in rare],
    )


def conflicting(texts: list[str], label_sets: list[list[str]]) -> list[DuplicateExample]:
    groups: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        groups.setdefault(normalise_text(text), []).append(i)
    found = []
    for members in groups.values():
        distinct = {";".join(sorted(label_sets[i])) for i in members}
        if len(distinct) > 1:
            found.append(DuplicateExample(text=texts[members[0]], labels=sorted(distinct), count=len(members)))
    return sorted(found, key=lambda example: -example.count)


def inspect_multilabel(request: InspectRequest) -> Inspected:
    fmt = detect_format(request.source)
    frame = load_table(
        request.source, fmt, request.hub_split, max_rows=request.max_rows, stream_loader=request.stream_loader
    )
    given = request.labels or ([request.label] if request.label else None)
    columns = detect_multilabel_columns(frame, request.text, given, request.label_sep)
    texts, sets, rows, column_names = read_rows(frame, request.source, columns)
    if not texts:
        raise DataError(f"{request.source}: every row has an empty text")
    dropped = rows - len(texts)
    test_format = None
    if request.test_source is not None:
        test_format = detect_format(request.test_source)
        test_frame = load_table(request.test_source, test_format, "test")
        test_texts, test_sets, _, _ = read_rows(test_frame, request.test_source, columns)
        in_test = {normalise_text(t) for t in test_texts}
        keep = [i for i, t in enumerate(texts) if normalise_text(t) not in in_test]
        texts, sets = [texts[i] for i in keep], [sets[i] for i in keep]
        split = split_multilabel(texts, sets, 0.0, VALIDATION_SIZE, SEED)
        offset = len(texts)
        texts, sets = texts + test_texts, sets + test_sets
        split["test"] = list(range(offset, len(texts)))
    else:
        split = split_multilabel(texts, sets, TEST_SIZE, VALIDATION_SIZE, SEED)
    seen = sorted({label for i in split["train"] + split["validation"] for label in sets[i]})
    if len(seen) < 2:
        raise DataError(
            f"{request.source}: multi-label training needs at least two labels, found {len(seen)} "
            f"({', '.join(seen) or 'none'}): check --label and --label-sep"
        )
    counts = Counter(label for labels in sets for label in labels)
    conflicts = conflicting(texts, sets)
    label_profile = profile(sets, columns)
    warnings = []
    if label_profile.rare_labels:
        listed = ", ".join(f"{c.name} ({c.count})" for c in label_profile.rare_labels[:8])
        warnings.append(
            f"{len(label_profile.rare_labels)} labels have fewer than {RARE_LABEL_ROWS} rows, too few to "
            f"learn or evaluate reliably: {listed}; they share one decision threshold"
        )
    if label_profile.no_label_rows:
        warnings.append(f"{label_profile.no_label_rows} rows have no label: kept, as texts where none applies")
    if dropped:
        warnings.append(f"{dropped} rows with an empty text were dropped")
    if conflicts:
        warnings.append(f"{len(conflicts)} texts appear with different label sets: no model can get all of them right")
    hits, share = leakage_share([texts[i] for i in split["train"]], [texts[i] for i in split["test"]])
    report = InspectReport(
        task="multi-label-classification",
        source=request.source if fmt == "hub" else Path(request.source).name,
        rows=rows,
        columns=column_names,
        text_column=columns.text,
        label_column=columns.shape.columns[0],
        column_reason=columns.reason,
        labels=[LabelCount(name=n, count=c, share=round(c / len(texts), 4)) for n, c in counts.most_common()],
        imbalance_ratio=round(max(counts.values()) / min(counts.values()), 2),
        chars=length_stats([len(t) for t in texts]),
        words=length_stats([len(t.split()) for t in texts]),
        empty_rows=dropped,
        exact_duplicates=len(texts) - len(set(texts)),
        normalised_duplicates=len(texts) - len({normalise_text(t) for t in texts}),
        conflicting_groups=len(conflicts),
        conflicting_examples=conflicts[:5],
        random_split_leakage=round(random_split_leakage(texts, TEST_SIZE, SEED), 4),
        split=SplitSizes(train=len(split["train"]), validation=len(split["validation"]), test=len(split["test"])),
        split_leakage=round(share, 4) if hits else 0.0,
        given_test=request.test_source is not None,
        warnings=warnings,
        multi_label=label_profile,
    )
    examples = [texts[i] for i in split["train"][:5]]
    fields = {
        "label_columns": columns.shape.columns if columns.shape.kind == "binary" else [],
        "label_sep": columns.shape.sep,
    }
    return Inspected(
        report=report,
        fmt=fmt,
        test_format=test_format,
        labels=seen,
        rows=len(texts),
        examples=examples,
        data_fields=fields,
    )
