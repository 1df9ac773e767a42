"""Errors raised by the runner.

Hierarchy::

    InternError                     base; never raised directly
    ├── UserInputError              the user can fix it: the CLI prints one line and exits 2
    │   ├── DataError               unreadable or unusable dataset (missing file, bad encoding, one class...)
    │   ├── ColumnError             a named or detected column is missing or unsuitable
    │   ├── ConfigError             intern.yaml is missing or invalid
    │   ├── ProjectError            a project directory lacks what a stage needs (run the earlier stage)
    │   └── UnsafeModelError        a model file names a type ML Intern never saves: refused before loading
    ├── StageFailedError            a stage ran and failed (smoke test, training subprocess); exit 1
    └── ExternalServiceError        the Hub or another service refused or failed; exit 1

Every message says what happened and what to do about it.
"""

from __future__ import annotations


class InternError(Exception):
    """Base of every error the runner raises on purpose."""

    exit_code = 1


class UserInputError(InternError):
    """Something the user gave us is wrong; the message says how to fix it."""

    exit_code = 2


class DataError(UserInputError):
    """The dataset cannot be read or cannot train a classifier."""


class ColumnError(UserInputError):
    """A text or label column is missing, ambiguous or unsuitable."""


class ConfigError(UserInputError):
    """intern.yaml is missing, malformed or inconsistent."""


class ProjectError(UserInputError):
    """The project directory lacks the files a stage needs."""


class UnsafeModelError(UserInputError):
    """A model file (a .skops head or vectoriser) holds a type outside the allowlist; nothing in it was run."""


class StageFailedError(InternError):
    """A stage ran and failed; `report_path` points at its diagnosis when one was written."""

    def __init__(self, message: str, report_path: str | None = None) -> None:
        super().__init__(message)
        self.report_path = report_path


class ExternalServiceError(InternError):
    """A remote service (the Hub, an LLM endpoint) refused or failed."""
