"""Pick the task for a run (objective, data, `--task`) and find the task of an existing project or model."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from runner.errors import InternError
from runner.task_names import DEFAULT_TASK
from runner.tasks.errors import UnsupportedTaskError
from runner.tasks.recognise import DataEvidence, TaskChoice, recognise_task, unsupported_in
from runner.tasks.registry import REGISTRY, get_task

if TYPE_CHECKING:
    from runner.tasks.base import Task

log = logging.getLogger(__name__)

# The tasks whose data detectors are asked, in this order; the first that recognises the data decides.
DETECT_ORDER = ("image-classification", "multi-label-classification")


def data_evidence(source: str, label_hints: list[str] | None = None, label_sep: str | None = None) -> DataEvidence:
    """What the data says: image files, or several labels per row; empty when it says nothing decisive."""
    if label_sep or (label_hints and len(label_hints) > 1):
        why = f"--label-sep {label_sep!r}" if label_sep else f"{len(label_hints or [])} label columns given"
        return DataEvidence(task="multi-label-classification", reason=f"several labels per text ({why})")
    for name in DETECT_ORDER:
        if name not in REGISTRY:
            continue
        try:
            evidence = get_task(name).detect(source, label_hints[0] if label_hints else None)
        except (InternError, OSError, ValueError) as exc:
            # Detection only advises: an unreadable source is reported by the inspection, with its own message.
            log.debug("%s detector could not read %s: %s", name, source, exc)
            continue
        if evidence.task is not None:
            return evidence
    return DataEvidence()


def choose_task(
    source: str | None,
    objective: str | None,
    given: str | None = None,
    label_hints: list[str] | None = None,
    label_sep: str | None = None,
) -> TaskChoice:
    """`--task` when given; else refuse an unsupported objective; else what the data shows; else the objective's
    words; else single-label text classification."""
    if given:
        return recognise_task(objective, given=given)
    refused = unsupported_in(objective or "")
    if refused is not None:
        raise UnsupportedTaskError(*refused)
    evidence = data_evidence(source, label_hints, label_sep) if source else None
    return recognise_task(objective, evidence=evidence)


def task_of_config(project_dir: Path) -> Task:
    from runner.config import load_config

    return get_task(load_config(project_dir).task)


def task_of_model(model_dir: Path) -> Task:
    """The task a delivered model was trained for (model/intern.json; older models are text classifiers)."""
    info = model_dir / "intern.json"
    name: str = DEFAULT_TASK
    if info.is_file():
        try:
            name = str(json.loads(info.read_text(encoding="utf-8")).get("task") or DEFAULT_TASK)
        except ValueError:
            name = DEFAULT_TASK
    return get_task(name)
