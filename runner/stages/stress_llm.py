"""Hard stress examples written by an LLM (optional), checked against the label set.

The LLM sees the labels and a few real texts per label and returns examples per family through structured
output. Anything whose expected answer is not a known label, `unknown`, or two known labels joined by `|` is
dropped: a generated example never decides its own grading.
"""

from __future__ import annotations

import json
import logging
from typing import Literal

from pydantic import BaseModel, ConfigDict

from runner.adapters.llm import LLMClient, LLMError
from runner.stages.stress_cases import UNKNOWN, Case

log = logging.getLogger(__name__)
MAX_TEXT_CHARS = 500
SYSTEM = (
    "You write hard test inputs for a text classifier. Families: negation (a text of one class that mentions "
    "another class in a negated way; expected: the true class), ambiguity (a text that is about two classes; "
    "expected: 'A|B'), unknown (gibberish or off-topic text no class fits; expected: 'unknown'), typos (a text "
    "of one class with realistic typing errors; expected: the class). Use only the given label names."
)


class HardExample(BaseModel):
    model_config = ConfigDict(frozen=True)

    family: Literal["negation", "ambiguity", "unknown", "typos"]
    text: str
    expected: str


class HardExamples(BaseModel):
    model_config = ConfigDict(frozen=True)

    examples: list[HardExample]


def valid_expected(expected: str, family: str, labels: set[str]) -> bool:
    if family == "unknown":
        return expected == UNKNOWN
    parts = expected.split("|")
    if family == "ambiguity":
        return len(parts) == 2 and parts[0] != parts[1] and all(part in labels for part in parts)
    return len(parts) == 1 and expected in labels


def checked_cases(reply: HardExamples, labels: list[str], per_family: int) -> list[Case]:
    """The examples that can be graded against this label set, at most `per_family` per family."""
    known = set(labels)
    counts: dict[str, int] = {}
    cases = []
    for example in reply.examples:
        text = " ".join(example.text.split())[:MAX_TEXT_CHARS]
        if not text or not valid_expected(example.expected, example.family, known):
            continue
        if counts.get(example.family, 0) >= per_family:
            continue
        counts[example.family] = counts.get(example.family, 0) + 1
        cases.append(Case(family=example.family, text=text, expected=example.expected))
    return cases


def llm_cases(llm: LLMClient, labels: list[str], samples: dict[str, list[str]], per_family: int = 10) -> list[Case]:
    """Generated hard cases; an LLM failure is logged and gives none (the template cases still run)."""
    prompt = json.dumps(
        {
            "labels": labels,
            "examples_per_label": {label: texts[:3] for label, texts in samples.items()},
            "wanted": f"{per_family} examples per family",
        },
        ensure_ascii=False,
    )
    try:
        reply = llm.complete_json(SYSTEM, prompt, HardExamples)
    except LLMError as exc:
        log.warning("LLM stress examples skipped: %s", exc)
        return []
    return checked_cases(reply, labels, per_family)
