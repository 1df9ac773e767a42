"""What a run remembers beyond its table columns: a pydantic model stored as JSON in `runs.data_json`.

Validated on every read (`from_stored`); keys written by an older version and unknown to this one are dropped,
so old rows still load. Writes are typed: `Store.update_run` takes `RunRecord`s and applies the fields each was
built with (`record_changes`); an unknown field is refused (mypy and `extra="forbid"`), a wrong type too.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from runner.schemas import Projection

CheckRef = tuple[int, str]
"""A stage's check run: (check run id, the head SHA it was created on)."""


class HfJobWatch(BaseModel):
    """What the Hugging Face Job watcher (`bot/runs/hf_watch.py`) needs to find a job and its results."""

    model_config = ConfigDict(frozen=True)

    job_id: str
    namespace: str | None = None
    job_url: str | None = None
    results_repo: str
    results_prefix: str


class RunRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    args: dict[str, str] = Field(default_factory=dict, description="the `/intern train` key=value arguments")
    hub_repo_id: str | None = None
    hub_space_id: str | None = None
    model_url: str | None = None
    space_url: str | None = None
    files: list[str] = Field(default_factory=list, description="paths the bot committed (plus a repo dataset)")
    bot_shas: list[str] = Field(default_factory=list, description="commits the bot pushed (not a human's push)")
    pushers: list[str] = Field(
        default_factory=list,
        description="who pushed code to the PR (`synchronize` senders, lower case) since the last approval that "
        "launched training: none of them may approve it",
    )
    pushed_shas: list[str] = Field(default_factory=list, description="heads that humans pushed")
    unseen_heads: list[str] = Field(
        default_factory=list,
        description="a push's `before` that no event has shown: someone pushed it, and the bot does not know who",
    )
    last_push_by: str | None = Field(
        default=None, description="who made the most recent push, or asked the bot for it (`/intern smoke`)"
    )
    sections: dict[str, str] = Field(default_factory=dict, description="sticky comment sections by name")
    notices: list[str] = Field(default_factory=list)
    next_step: str | None = None
    checks: dict[str, CheckRef] = Field(default_factory=dict, description="stage -> its check run")
    failed_stage: str | None = None
    projections: list[Projection] = Field(default_factory=list, description="from the passing smoke report")
    external_job_id: str | None = Field(default=None, description="the compute job training this run")
    hf_job: HfJobWatch | None = Field(default=None, description="what the Hugging Face Job watcher needs")
    train_workflow_run_id: int | None = None
    trained_sha: str | None = Field(default=None, description="the approved commit whose training results came in")
    merged_head_sha: str | None = Field(default=None, description="the PR's head when it was merged")
    comments: dict[str, int] = Field(default_factory=dict, description="'<number> <marker>' -> the comment's id")
    train_dispatched_at: float | None = Field(default=None, description="when the bot dispatched training (epoch s)")
    publish_dispatched_at: float | None = Field(default=None, description="when the bot dispatched publishing")

    def to_json(self) -> str:
        return self.model_dump_json(exclude_defaults=True)

    @classmethod
    def from_stored(cls, text: str) -> RunRecord:
        """The record stored as `text`, without the keys this version no longer knows."""
        stored = json.loads(text or "{}")
        return cls.model_validate({key: value for key, value in stored.items() if key in cls.model_fields})


def record_changes(
    current: RunRecord,
    record: RunRecord | None = None,
    merge: RunRecord | None = None,
    append: RunRecord | None = None,
    keep_last: int = 50,
) -> RunRecord:
    """`current` with the fields set in `record` replaced, those set in `merge` merged into its mappings and
    those set in `append` appended to its lists (the last `keep_last` kept); validated (pure)."""
    changes: dict[str, Any] = {}
    for name in record.model_fields_set if record else ():
        changes[name] = getattr(record, name)
    for name in merge.model_fields_set if merge else ():
        old, new = getattr(current, name), getattr(merge, name)
        if not isinstance(new, dict):
            raise ValueError(f"{name} is not a mapping of the run record: replace it instead of merging")
        changes[name] = {**old, **new}
    for name in append.model_fields_set if append else ():
        old, new = getattr(current, name), getattr(append, name)
        if not isinstance(new, list):
            raise ValueError(f"{name} is not a list of the run record: replace it instead of appending")
        changes[name] = [*old, *new][-keep_last:]
    return RunRecord.model_validate({**current.model_dump(), **changes})
