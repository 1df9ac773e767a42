"""Find a Hub dataset for an objective: search, then rank the candidates by fit and explain the pick.

`rank_candidates` is pure (DatasetSummary in, scored Candidates out); `discover` does the searching through
a `runner.adapters.hub.HubClient` (the real `HfApi` adapter or the fake Hub in tests).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from typing import Any

from runner.adapters.hub import DatasetHub, DatasetSummary
from runner.data.columns import LABEL_NAMES, TEXT_NAMES
from runner.errors import ExternalServiceError
from runner.planning.objective import keywords, search_terms
from runner.planning.plan import Candidate

logger = logging.getLogger(__name__)

TASK_FILTER = "task_categories:text-classification"


PERMISSIVE = ("apache-2.0", "mit", "cc0-1.0", "cc-by-4.0", "cc-by-sa-4.0", "cc-by-3.0", "odc-by", "bsd", "pddl")
GOOD_SIZES = ("1K<n<10K", "10K<n<100K", "100K<n<1M")
DATA_SUFFIXES = (".csv", ".tsv", ".json", ".jsonl", ".parquet")


def _values(card: dict[str, Any], key: str) -> list[str]:
    value = card.get(key)
    if value is None:
        return []
    return [str(value)] if isinstance(value, str) else [str(v) for v in value]


def _tag_values(summary: DatasetSummary, key: str) -> list[str]:
    from_tags = [tag.split(":", 1)[1] for tag in summary.tags if tag.startswith(f"{key}:")]
    return sorted(set(from_tags) | set(_values(summary.card_data, key)))


def _features(card: dict[str, Any]) -> list[dict[str, Any]]:
    infos = card.get("dataset_info")
    infos = infos if isinstance(infos, list) else [infos] if isinstance(infos, dict) else []
    features: list[dict[str, Any]] = []
    for info in infos:
        if isinstance(info, dict):
            features.extend(f for f in info.get("features") or [] if isinstance(f, dict) and "name" in f)
    return features


def card_columns(card: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Feature names in a card's `dataset_info`, and the ones that are ClassLabels."""
    names, class_labels = [], []
    for feature in _features(card):
        names.append(str(feature["name"]))
        dtype = feature.get("dtype")
        if isinstance(dtype, dict) and "class_label" in dtype:
            class_labels.append(str(feature["name"]))
    return names, class_labels


def card_label_names(card: dict[str, Any], column: str) -> list[str]:
    """The ClassLabel names of `column` in a card's `dataset_info` (in id order), or []."""
    for feature in _features(card):
        dtype = feature.get("dtype")
        if feature["name"] == column and isinstance(dtype, dict) and isinstance(dtype.get("class_label"), dict):
            names = dtype["class_label"].get("names") or {}
            if isinstance(names, dict):
                return [str(names[key]) for key in sorted(names, key=lambda k: int(k))]
            return [str(name) for name in names]
    return []


def guess_columns(names: Sequence[str], class_labels: Sequence[str]) -> tuple[str | None, str | None]:
    lowered = {name.lower(): name for name in names}
    text = next((lowered[n] for n in TEXT_NAMES if n in lowered), None)
    label = next((name for name in class_labels if name != text), None)
    label = label or next((lowered[n] for n in LABEL_NAMES if n in lowered and lowered[n] != text), None)
    return text, label


def score_candidate(summary: DatasetSummary, words: Sequence[str], language: str = "en") -> Candidate:
    """How well one dataset fits a text-classification objective; every point comes with a reason."""
    score, reasons = 0.0, []
    tasks = _tag_values(summary, "task_categories")
    if "text-classification" in tasks:
        score += 3
        reasons.append("task category text-classification")
    elif tasks:
        score -= 2
        reasons.append(f"task categories {', '.join(tasks)} (not text classification)")
    haystack = " ".join([summary.id, summary.description or "", " ".join(summary.tags)]).lower()
    matched = [word for word in words if word in haystack]
    if matched:
        score += min(3, len(matched))
        reasons.append(f"matches {', '.join(matched[:3])}")
    licences = _tag_values(summary, "license")
    licence = licences[0] if licences else None
    if licence is None:
        score -= 0.5
        reasons.append("no licence stated")
    elif licence.lower().startswith(PERMISSIVE):
        score += 1
        reasons.append(f"permissive licence {licence}")
    else:
        reasons.append(f"licence {licence} (check its terms)")
    sizes = _tag_values(summary, "size_categories")
    if any(size in GOOD_SIZES for size in sizes):
        score += 1
        reasons.append(f"size {sizes[0]}")
    elif sizes:
        reasons.append(f"size {sizes[0]}")
    languages = _tag_values(summary, "language")
    if language in languages:
        score += 1
        reasons.append(f"language {language}")
    elif languages:
        score -= 1
        reasons.append(f"language {', '.join(languages[:3])}, not {language}")
    text, label = guess_columns(*card_columns(summary.card_data))
    if text and label:
        score += 2
        reasons.append(f"text and label columns ({text}, {label})")
    elif text or label:
        score += 0.5
        reasons.append(f"only a {'text' if text else 'label'} column is described")
    if any(path.lower().endswith(DATA_SUFFIXES) for path in summary.files):
        score += 0.5
        reasons.append("plain data files")
    score += 0.3 * math.log10((summary.downloads or 0) + 1)
    return Candidate(
        id=summary.id,
        score=round(score, 2),
        reasons=reasons,
        text_column=text,
        label_column=label,
        licence=licence,
        downloads=summary.downloads,
    )


def rank_candidates(summaries: Iterable[DatasetSummary], objective: str, language: str = "en") -> list[Candidate]:
    words = keywords(objective)
    unique = {summary.id: summary for summary in summaries}
    scored = [score_candidate(summary, words, language) for summary in unique.values()]
    return sorted(scored, key=lambda c: (-c.score, -(c.downloads or 0), c.id))


def explain(candidate: Candidate) -> str:
    return f"{candidate.id}: best fit (score {candidate.score:g}): " + "; ".join(candidate.reasons)


def discover(hub: DatasetHub, objective: str, language: str = "en", per_query: int = 10) -> list[Candidate]:
    """Search the Hub for each of the objective's terms, text-classification datasets first (untagged ones only
    when a term finds none), and rank everything found."""
    found: list[DatasetSummary] = []
    for term in search_terms(objective):
        for task_filter in (TASK_FILTER, None):
            try:
                hits = hub.list_datasets(search=term, filter=task_filter, sort="downloads", limit=per_query)
            except ExternalServiceError as exc:
                logger.info("dataset search %r failed: %s", term, exc)
                return rank_candidates(found, objective, language)
            found.extend(hits)
            if hits:
                break
    return rank_candidates(found, objective, language)
