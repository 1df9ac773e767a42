"""Pure parsing of a free-text objective: `key=value` overrides and search keywords."""

from __future__ import annotations

import itertools
import re
import shlex

from pydantic import BaseModel, ConfigDict

# accepted override keys (the bot's `/intern train key=value ...`) -> canonical name
OVERRIDE_KEYS = {
    "dataset": "dataset",
    "data": "dataset",
    "text": "text",
    "text_column": "text",
    "label": "label",
    "label_column": "label",
    "model": "model",
    "epochs": "epochs",
    "batch_size": "batch_size",
    "batch": "batch_size",
    "lr": "learning_rate",
    "learning_rate": "learning_rate",
    "max_length": "max_length",
    "compute": "compute",
    "language": "language",
    "task": "task",
    "label_sep": "label_sep",
    "sep": "label_sep",
}
_OVERRIDE = re.compile(r"(?<!\S)([A-Za-z_]+)=(\"[^\"]*\"|'[^']*'|\S+)")
_STOP = """a an and are as at be by classify classifier classification dataset data detect for from i in into is it
    label labels model of on or our please predict should text texts that the their them this to train training
    use using want we what which with would build make sort categorise categorize type types issue intern"""
STOP_WORDS = frozenset(_STOP.split())
KEYWORD_TASKS = {
    "sentiment": ("sentiment", "positive/negative opinion"),
    "intent": ("intent", "user intent"),
    "spam": ("spam", "spam detection"),
    "topic": ("topic", "topic classification"),
    "toxic": ("toxicity", "toxicity detection"),
    "emotion": ("emotion", "emotion recognition"),
    "ticket": ("customer-support", "support-ticket routing"),
    "support": ("customer-support", "support-ticket routing"),
    "news": ("news", "news topic classification"),
    "review": ("reviews", "review sentiment"),
}


class Objective(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    overrides: dict[str, str] = {}
    unknown_keys: list[str] = []


def parse_objective(raw: str) -> Objective:
    """Split `raw` into free text and `key=value` overrides (quotes allowed: text="my column")."""
    overrides: dict[str, str] = {}
    unknown: list[str] = []
    for key, value in _OVERRIDE.findall(raw):
        canonical = OVERRIDE_KEYS.get(key.lower())
        if canonical is None:
            unknown.append(key)
            continue
        overrides[canonical] = shlex.split(value)[0] if value[:1] in "\"'" else value
    text = _OVERRIDE.sub(lambda m: "" if m.group(1).lower() in OVERRIDE_KEYS else m.group(0), raw)
    text = re.sub(r"^\s*/intern\s+\w+", "", text)
    return Objective(text=" ".join(text.split()), overrides=overrides, unknown_keys=unknown)


def keywords(text: str, limit: int = 6) -> list[str]:
    """Search words from the objective, most specific first: no stop words, singular, deduplicated."""
    words = [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z0-9-]+", text)]
    seen: list[str] = []
    for word in words:
        if word in STOP_WORDS or len(word) < 3:
            continue
        stem = word[:-1] if word.endswith("s") and not word.endswith("ss") and len(word) > 4 else word
        if stem not in seen:
            seen.append(stem)
    return seen[:limit]


def search_terms(text: str) -> list[str]:
    """Hub search queries (substring matches on dataset ids): domain phrases first, then single keywords."""
    words = keywords(text)
    terms: list[str] = []
    for word in words:
        hint = KEYWORD_TASKS.get(word)
        if hint and hint[0] not in terms:
            terms.append(hint[0])
    for first, second in itertools.pairwise(words):
        terms.append(f"{first}-{second}")
    terms.extend(w for w in words if w not in terms)
    return terms[:8]
