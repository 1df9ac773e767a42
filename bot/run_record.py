"""What a run remembers beyond its table columns: a pydantic model stored as JSON in `runs.data_json`.

Validated on every read; keys written by an older version and unknown to this one are dropped, so old rows
still load. `Store.update_run` accepts only these field names, so a misspelt key fails instead of being stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from runner.schemas import Projection

CheckRef = tuple[int, str]
"""A stage's check run: (check run id, the head SHA it was created on)."""


class RunRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")

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
    hf_job: dict[str, Any] | None = Field(default=None, description="what the Hugging Face Job watcher needs")
    train_workflow_run_id: int | None = None
    trained_sha: str | None = Field(default=None, description="the approved commit whose training results came in")
    merged_head_sha: str | None = Field(default=None, description="the PR's head when it was merged")
    comments: dict[str, int] = Field(default_factory=dict, description="'<number> <marker>' -> the comment's id")
    train_dispatched_at: float | None = Field(default=None, description="when the bot dispatched training (epoch s)")
    publish_dispatched_at: float | None = Field(default=None, description="when the bot dispatched publishing")

    def to_json(self) -> str:
        return self.model_dump_json(exclude_defaults=True)


def checked_keys(*changes: Mapping[str, Any] | None) -> None:
    """Refuse a change naming anything that is not a RunRecord field."""
    unknown = sorted({key for change in changes for key in (change or {})} - set(RunRecord.model_fields))
    if unknown:
        raise ValueError(f"not run record fields: {', '.join(unknown)} (see bot/run_record.py)")
