"""The task errors (children of runner.errors.UserInputError: exit 2, one line)."""

from __future__ import annotations

from runner.errors import UserInputError
from runner.task_names import SUPPORTED_TASKS, UNSUPPORTED_TASKS


class UnsupportedTaskError(UserInputError):
    """The objective or `--task` asks for a task the intern cannot train yet."""

    def __init__(self, task: str, evidence: str) -> None:
        self.task = task
        self.evidence = evidence
        what = UNSUPPORTED_TASKS.get(task, task)
        super().__init__(
            f"the objective asks for {what}: Hub task {task!r} ({evidence}), which ML Intern cannot train yet. "
            f"Supported tasks: {', '.join(SUPPORTED_TASKS)}. Rephrase the objective or pass --task if one of those "
            "is what you meant."
        )


class UnknownTaskError(UserInputError):
    """`--task` or `task:` names no task at all."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown task {name!r}: use one of {', '.join(SUPPORTED_TASKS)}")
