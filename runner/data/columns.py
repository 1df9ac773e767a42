"""Pick the text and label columns of a dataset, and say why."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from runner.errors import ColumnError, DataError

if TYPE_CHECKING:
    import pandas as pd

TEXT_NAMES = (
    "text",
    "instruction",
    "utterance",
    "query",
    "question",
    "sentence",
    "message",
    "content",
    "body",
    "review",
    "ticket",
    "description",
    "input",
    "prompt",
)
LABEL_NAMES = ("label", "labels", "category", "intent", "class", "target", "topic", "tag", "y", "type")
_MAX_LABEL_CARDINALITY = 500


class ColumnChoice(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    label: str
    reason: str


class ColumnStats(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    is_string: bool
    mean_words: float
    distinct: int
    rows: int


def column_stats(frame: pd.DataFrame) -> list[ColumnStats]:
    stats = []
    for name in frame.columns:
        values = frame[name].dropna()
        strings = values.map(lambda value: isinstance(value, str))
        is_string = bool(len(values)) and bool(strings.mean() > 0.9)
        words = values.astype(str).str.split().str.len() if len(values) else values
        distinct = int(values.astype(str).nunique()) if len(values) else 0
        stats.append(
            ColumnStats(
                name=name,
                is_string=is_string,
                mean_words=float(words.mean()) if len(values) else 0.0,
                distinct=distinct,
                rows=len(frame),
            )
        )
    return stats


def _name_rank(name: str, names: tuple[str, ...]) -> int | None:
    lowered = name.lower().strip()
    return names.index(lowered) if lowered in names else None


def _text_score(stat: ColumnStats) -> float:
    if not stat.is_string or stat.distinct < 2:
        return -1.0
    rank = _name_rank(stat.name, TEXT_NAMES)
    return stat.mean_words + (100.0 - rank if rank is not None else 0.0)


def _label_score(stat: ColumnStats) -> float:
    if stat.distinct < 2 or stat.distinct > min(_MAX_LABEL_CARDINALITY, max(2, stat.rows // 2)):
        return -1.0
    if stat.is_string and stat.mean_words > 4:
        return -1.0
    rank = _name_rank(stat.name, LABEL_NAMES)
    name_bonus = 100.0 - rank if rank is not None else 0.0
    return float(name_bonus + 10.0 / float(stat.distinct) ** 0.5)


def detect_columns(frame: pd.DataFrame, text: str | None = None, label: str | None = None) -> ColumnChoice:
    """The text and label columns: given ones are checked, missing ones detected from names and values."""
    columns = [str(column) for column in frame.columns]
    for given, role in ((text, "text"), (label, "label")):
        if given is not None and given not in columns:
            raise ColumnError(
                f"{role} column {given!r} not found; the columns are: {', '.join(columns)} "
                f"(pass --{role} with one of them)"
            )
    if text is not None and text == label:
        raise ColumnError(f"--text and --label are the same column {text!r}: give two different columns")
    stats = {stat.name: stat for stat in column_stats(frame)}
    reasons = []
    if text is None:
        candidates = sorted(
            (s for s in stats.values() if s.name != label and _text_score(s) > 0),
            key=_text_score,
            reverse=True,
        )
        if not candidates:
            raise ColumnError(
                f"no text column found among {', '.join(columns)}: pass --text with the column holding the texts"
            )
        text = candidates[0].name
        why = (
            "its name is a usual text column name"
            if _name_rank(text, TEXT_NAMES) is not None
            else ("it holds the longest free text")
        )
        reasons.append(f"text={text!r} ({why})")  # the lengths are in the report, once
    else:
        reasons.append(f"text={text!r} (given)")
    if label is None:
        candidates = sorted(
            (s for s in stats.values() if s.name != text and _label_score(s) > 0),
            key=_label_score,
            reverse=True,
        )
        if not candidates:
            single = [s.name for s in stats.values() if s.name != text and s.distinct == 1]
            named = [name for name in single if _name_rank(name, LABEL_NAMES) is not None]
            if named:
                raise DataError(f"column {named[0]!r} holds a single class: a classifier needs at least two labels")
            raise ColumnError(
                f"no label column found among {', '.join(columns)}: pass --label with the column holding the classes"
            )
        best = candidates[0]
        label = best.name
        why = (
            "its name is a usual label column name"
            if _name_rank(label, LABEL_NAMES) is not None
            else ("it has few distinct short values")
        )
        others = [c.name for c in candidates[1:3]]
        also = f"; other candidates: {', '.join(others)}" if others else ""
        reasons.append(f"label={label!r} ({why}, {best.distinct} classes{also})")
    else:
        reasons.append(f"label={label!r} (given)")
    return ColumnChoice(text=text, label=label, reason="; ".join(reasons))
