"""Where a table keeps its several labels per text: a list column, a joined column, or one 0/1 column per label.

Pure decisions over a pandas DataFrame; each choice comes with the reason the CLI prints.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd
from pydantic import BaseModel, ConfigDict

from runner.data.columns import LABEL_NAMES, TEXT_NAMES, column_stats
from runner.errors import ColumnError
from runner.tasks.multi_label.portable_data import FALSE_VALUES, TRUE_VALUES

SEPARATORS = (";", "|", ",")
# A joined column: at least this share of labelled rows carries two or more labels...
MIN_MULTI_SHARE = 0.05
# ...and its parts repeat (a label vocabulary, not free text): at most this many distinct parts per row.
MAX_VOCABULARY_PER_ROW = 0.2
MAX_LABELS = 1000
MULTI_LABEL_NAMES = (*LABEL_NAMES, "tags", "topics", "emotions", "categories", "classes", "labels_list")


class LabelShape(BaseModel):
    """How the labels are laid out: `columns` (one list/joined column, or the 0/1 columns) and the separator."""

    model_config = ConfigDict(frozen=True)

    columns: list[str]
    sep: str | None = None
    kind: str  # "list", "joined" or "binary"
    reason: str


class MultiLabelColumns(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    shape: LabelShape
    reason: str


def _cells(frame: pd.DataFrame, column: str) -> list[object]:
    return [value for value in frame[column] if value is not None and not (isinstance(value, float) and value != value)]


def is_list_column(frame: pd.DataFrame, column: str) -> bool:
    cells = _cells(frame, column)
    lists = [cell for cell in cells if hasattr(cell, "__len__") and not isinstance(cell, str)]
    return bool(cells) and len(lists) >= 0.9 * len(cells)


def is_binary_column(frame: pd.DataFrame, column: str) -> bool:
    values = {str(value).strip().lower() for value in frame[column].dropna().unique()[:50]}
    return bool(values) and values <= (TRUE_VALUES | FALSE_VALUES) and bool(values & TRUE_VALUES)


def sniff_separator(values: list[str]) -> tuple[str, float] | None:
    """The separator that splits a column's cells into a small, repeating vocabulary in a fair share of rows."""
    best: tuple[str, float] | None = None
    rows = [value for value in values if value.strip()]
    if not rows:
        return None
    for sep in SEPARATORS:
        parts = [[part.strip() for part in value.split(sep) if part.strip()] for value in rows]
        multi = sum(1 for row in parts if len(row) > 1) / len(rows)
        vocabulary = Counter(part for row in parts for part in row)
        if multi < MIN_MULTI_SHARE or len(vocabulary) > max(MAX_VOCABULARY_PER_ROW * len(rows), 2):
            continue
        if len(vocabulary) > MAX_LABELS or any(len(part.split()) > 6 for part in vocabulary):
            continue
        if best is None or multi > best[1]:
            best = (sep, multi)
    return best


def label_shape(frame: pd.DataFrame, column: str, sep: str | None = None) -> LabelShape | None:
    """The shape of one label column: lists, or labels joined by `sep` (given or sniffed); None when each row has
    a single label."""
    if is_list_column(frame, column):
        return LabelShape(columns=[column], kind="list", reason=f"{column!r} holds a list of labels per row")
    values = [str(value) for value in _cells(frame, column)]
    if sep is not None:
        return LabelShape(columns=[column], sep=sep, kind="joined", reason=f"{column!r} split on {sep!r} (given)")
    found = sniff_separator(values)
    if found is None:
        return None
    found_sep, share = found
    return LabelShape(
        columns=[column],
        sep=found_sep,
        kind="joined",
        reason=f"{column!r} holds labels joined by {found_sep!r} ({share:.0%} of labelled rows have several)",
    )


def _binary_columns(frame: pd.DataFrame, exclude: str | None) -> list[str]:
    return [str(c) for c in frame.columns if str(c) != exclude and is_binary_column(frame, str(c))]


def _text_column(frame: pd.DataFrame, given: str | None, exclude: set[str]) -> tuple[str, str]:
    columns = [str(c) for c in frame.columns]
    if given is not None:
        if given not in columns:
            raise ColumnError(f"text column {given!r} not found; the columns are: {', '.join(columns)}")
        return given, f"text={given!r} (given)"
    stats = [s for s in column_stats(frame) if s.name not in exclude and s.is_string and s.distinct >= 2]
    if not stats:
        raise ColumnError(f"no text column found among {', '.join(columns)}: pass --text with the text column")
    best = max(stats, key=lambda s: s.mean_words + (100 if s.name.lower() in TEXT_NAMES else 0))
    return best.name, f"text={best.name!r} ({best.mean_words:.1f} words on average)"


def detect_multilabel_columns(
    frame: pd.DataFrame,
    text: str | None = None,
    labels: list[str] | None = None,
    sep: str | None = None,
) -> MultiLabelColumns:
    """Text column and label shape: given columns are checked, the rest detected (list column, joined column with
    a sniffed separator, or the 0/1 columns)."""
    columns = [str(c) for c in frame.columns]
    missing = [name for name in (labels or []) if name not in columns]
    if missing:
        raise ColumnError(
            f"label column(s) {', '.join(map(repr, missing))} not found; the columns are: {', '.join(columns)}"
        )
    shape: LabelShape | None = None
    if labels and len(labels) > 1:
        not_binary = [name for name in labels if not is_binary_column(frame, name)]
        if not_binary:
            raise ColumnError(
                f"with several --label columns each must hold 0/1 values; {', '.join(map(repr, not_binary))} does "
                "not: give one column of joined labels with --label-sep instead"
            )
        shape = LabelShape(columns=list(labels), kind="binary", reason=f"{len(labels)} 0/1 label columns (given)")
    elif labels:
        shape = label_shape(frame, labels[0], sep) or LabelShape(
            columns=[labels[0]], kind="joined", sep=sep, reason=f"{labels[0]!r} (given): one label per row"
        )
    else:
        named = [c for c in columns if c.lower() in MULTI_LABEL_NAMES and c != text]
        for column in named + [c for c in columns if c not in named and c != text]:
            found = label_shape(frame, column, sep)
            if found is not None:
                shape = found
                break
        if shape is None:
            binary = _binary_columns(frame, text)
            if len(binary) >= 2:
                shape = LabelShape(
                    columns=binary, kind="binary", reason=f"{len(binary)} columns hold only 0/1: one per label"
                )
    if shape is None:
        raise ColumnError(
            f"no multi-label column found among {', '.join(columns)}: name it with --label (and --label-sep), or "
            "give one 0/1 column per label with --label a --label b ..."
        )
    text_column, text_reason = _text_column(frame, text, set(shape.columns))
    return MultiLabelColumns(text=text_column, shape=shape, reason=f"{text_reason}; labels: {shape.reason}")
