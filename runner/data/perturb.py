"""Perturbed copies of texts: character typos, a negated mention of another class, gibberish (pure, seeded).

The stress tests build their cases with these (runner/stages/stress_cases.py), and train.py uses the same code
to try remedies (training on perturbed copies) and to check them on cases drawn from another random stream.
Standard library only: the block is pasted into the generated train.py.
"""

from __future__ import annotations

# --- BEGIN PORTABLE PERTURBATIONS (copied into train.py; edit runner/data/perturb.py) ---
import random
import re
import string
from collections import Counter, defaultdict

NEGATIONS = ("This is not about {kw}.", "I am not asking about {kw}.", "Nothing to do with {kw}.")
_WORD = re.compile(r"[a-z]{4,}")
_KEYBOARD = "qwertyuiopasdfghjklzxcvbnm"


def class_keywords(texts: list[str], labels: list[str], label_set: list[str]) -> dict[str, str]:
    """The word most specific to each class (frequent in it, rare elsewhere), from the training texts."""
    per_class: dict[str, Counter[str]] = defaultdict(Counter)
    overall: Counter[str] = Counter()
    for text, label in zip(texts, labels, strict=True):
        words = set(_WORD.findall(text.lower()))
        per_class[label].update(words)
        overall.update(words)
    keywords = {}
    for label in label_set:
        counts = per_class.get(label)
        if not counts:
            continue
        total = sum(1 for lab in labels if lab == label)
        keywords[label] = max(counts, key=lambda word: (counts[word] / total) * (counts[word] / overall[word]))
    return keywords


def add_typos(text: str, rng: random.Random, rate: float = 0.25) -> str:
    """Swap, drop, double or replace one character in about `rate` of the words of 3+ letters."""
    words = text.split(" ")
    for index, word in enumerate(words):
        if len(word) < 3 or rng.random() > rate:
            continue
        position = rng.randrange(1, len(word) - 1)
        action = rng.choice(("swap", "drop", "double", "replace"))
        if action == "swap":
            word = word[: position - 1] + word[position] + word[position - 1] + word[position + 1 :]
        elif action == "drop":
            word = word[:position] + word[position + 1 :]
        elif action == "double":
            word = word[:position] + word[position] + word[position:]
        else:
            word = word[:position] + rng.choice(_KEYBOARD) + word[position + 1 :]
        words[index] = word
    return " ".join(words)


def negated(text: str, label: str, keywords: dict[str, str], rng: random.Random) -> str | None:
    """The text plus a negated mention of another class's keyword (its label must not change), or None."""
    others = [other for other in keywords if other != label]
    if not others:
        return None
    negation = rng.choice(NEGATIONS).format(kw=keywords[rng.choice(others)])
    return f"{text.rstrip('.?! ')}. {negation}"


def gibberish(rng: random.Random) -> str:
    kind = rng.randrange(3)
    if kind == 0:
        return " ".join(
            "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 9)))
            for _ in range(rng.randint(2, 7))
        )
    if kind == 1:
        return "".join(rng.choice(_KEYBOARD[:10]) for _ in range(rng.randint(8, 20)))
    return "".join(rng.choice(string.punctuation + string.digits) for _ in range(rng.randint(5, 15)))


def perturbed_copies(
    texts: list[str], labels: list[str], keywords: dict[str, str], stream: str, per_family: int
) -> dict[str, tuple[list[str], list[str]]]:
    """Up to `per_family` typo copies and negated copies of (text, label) rows, each label kept, from the random
    stream named `stream` (training augmentation and checks use different streams)."""
    rng = random.Random(stream)
    rows = list(range(len(texts)))
    rng.shuffle(rows)
    rows = rows[:per_family]
    typos = ([add_typos(texts[i], rng) for i in rows], [labels[i] for i in rows])
    negations: tuple[list[str], list[str]] = ([], [])
    for i in rows:
        text = negated(texts[i], labels[i], keywords, rng)
        if text is not None:
            negations[0].append(text)
            negations[1].append(labels[i])
    return {"typos": typos, "negation": negations}


# --- END PORTABLE PERTURBATIONS ---
