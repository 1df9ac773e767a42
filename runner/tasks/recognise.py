"""Which task an objective and its data ask for, and why: a pure decision, table-driven.

Order of precedence: `--task` / `task:` given; an objective that asks for a task the intern cannot train (refused,
never planned as text classification); what the data shows (image files, several labels per row); words of the
objective; text classification by default.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from runner.task_names import ALIASES, DEFAULT_TASK, UNSUPPORTED_TASKS, TaskName
from runner.tasks.errors import UnknownTaskError, UnsupportedTaskError

# (task, pattern) in the order they are tried: the first match wins. Unsupported tasks come first so that
# "detect objects in photos" is refused rather than planned as image classification.
_UNSUPPORTED_PATTERNS: list[tuple[str, str]] = [
    (
        "token-classification",
        r"named[- ]entit|\bner\b|entity (?:extraction|recognition)|\bextract (?:the )?"
        r"(?:person|people|names?|entities|locations?|dates?|organi[sz]ations?)|\bfind (?:the )?(?:person |people )?"
        r"names\b|part[- ]of[- ]speech|\bpos[- ]tag|token classification|slot[- ]filling"
        r"|tag (?:each|every) (?:word|token)"
        r"|\bspans? of text",
    ),
    (
        "object-detection",
        r"object detection|detect(?:ing)? (?:the )?objects|bounding box|\blocate\b.*\b(?:image|photo)"
        r"|\bdraw boxes",
    ),
    ("image-segmentation", r"segmentation|\bsegment (?:the )?(?:image|photo|picture)|pixel[- ]wise|\bmasks? of\b"),
    ("summarization", r"summari[sz]|\btl;?dr\b|\bshorter version"),
    ("translation", r"\btranslat"),
    ("question-answering", r"question[- ]answering|answer (?:the )?questions about|extractive qa"),
    ("automatic-speech-recognition", r"speech[- ]to[- ]text|speech recognition|\btranscri(?:be|ption)"),
    ("audio-classification", r"\baudio\b|\bsound(?:s)? (?:clips?|files?|recordings?)|\bspoken\b|\bvoice recordings?"),
    (
        "text-generation",
        r"text generation|generate (?:text|replies|responses|answers|stories)|\bchat ?bot\b|"
        r"fine[- ]?tun\w* (?:an? )?(?:llm|large language model|gpt|llama|mistral)|\bllm fine|instruction[- ]tun"
        r"|write (?:replies|responses|emails)",
    ),
    ("tabular-regression", r"\bregression\b|predict (?:the |a )?(?:price|number|amount|value|score) of|\bforecast"),
]
_SUPPORTED_PATTERNS: list[tuple[TaskName, str]] = [
    (
        "image-classification",
        r"\b(?:photo|photograph|image|picture|pic|x-ray|xray|scan|jpe?g|png|camera|"
        r"thumbnail|selfie)s?\b",
    ),
    (
        "multi-label-classification",
        r"multi[- ]?label|all (?:the )?(?:labels?|tags?|topics?|emotions?|categories) "
        r"that appl|every (?:label|tag|topic|emotion|category) that appl|\bone or more (?:labels?|tags?|topics?|"
        r"emotions?|categories)|any number of (?:labels?|tags?|topics?|categories)|\btag(?:s|ging)?\b|several labels",
    ),
]


class TaskChoice(BaseModel):
    """The task a run trains, and the one sentence that says why."""

    model_config = ConfigDict(frozen=True)

    task: TaskName
    reason: str


class DataEvidence(BaseModel):
    """What a look at the data showed about the task (filled by the tasks' own detectors)."""

    model_config = ConfigDict(frozen=True)

    task: TaskName | None = None
    reason: str = ""


def canonical_task(name: str) -> TaskName:
    """`--task` or `task:` to the Hub's name; an unsupported known task is refused, anything else unknown."""
    key = name.strip().lower().replace("_", "-").replace(" ", "-")
    if key in ALIASES:
        return ALIASES[key]
    if key in UNSUPPORTED_TASKS:
        raise UnsupportedTaskError(key, "named with --task")
    raise UnknownTaskError(name)


def unsupported_in(objective: str) -> tuple[str, str] | None:
    """The unsupported task an objective asks for, with the words that show it; None when there is none."""
    lowered = objective.lower()
    for task, pattern in _UNSUPPORTED_PATTERNS:
        found = re.search(pattern, lowered)
        if found:
            return task, f"the objective says {found.group(0)!r}"
    return None


def supported_in(objective: str) -> TaskChoice | None:
    lowered = objective.lower()
    for task, pattern in _SUPPORTED_PATTERNS:
        found = re.search(pattern, lowered)
        if found:
            return TaskChoice(task=task, reason=f"the objective says {found.group(0)!r}")
    return None


def recognise_task(
    objective: str | None, *, given: str | None = None, evidence: DataEvidence | None = None
) -> TaskChoice:
    """The task for this objective and data. Raises UnsupportedTaskError rather than guessing a wrong task."""
    if given:
        return TaskChoice(task=canonical_task(given), reason="given with --task")
    text = objective or ""
    refused = unsupported_in(text)
    if refused is not None:
        raise UnsupportedTaskError(*refused)
    if evidence is not None and evidence.task is not None:
        return TaskChoice(task=evidence.task, reason=evidence.reason)
    from_words = supported_in(text)
    if from_words is not None:
        return from_words
    return TaskChoice(task=DEFAULT_TASK, reason="one label per text: no image data, no several labels per row")
