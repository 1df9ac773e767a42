"""Frozen models of the webhook payloads the bot handles, parsed once at the edge.

Only the fields we read are declared; everything else in GitHub's payloads is ignored. `parse_event` returns
None for events and actions the bot does not handle, so the edge can acknowledge and drop them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.errors import MalformedPayloadError


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Actor(_Payload):
    login: str
    id: int = 0
    type: str = "User"

    def is_bot(self, app_slug: str) -> bool:
        return self.type == "Bot" or self.login.endswith("[bot]") or self.login == app_slug


class Repository(_Payload):
    full_name: str
    default_branch: str = "main"
    fork: bool = False


class Installation(_Payload):
    id: int


class Comment(_Payload):
    id: int
    body: str | None = None
    user: Actor
    author_association: str = "NONE"


class IssueRef(_Payload):
    number: int
    title: str = ""
    body: str | None = None
    pull_request: dict[str, Any] | None = None

    @property
    def is_pull_request(self) -> bool:
        return self.pull_request is not None


class RefRepo(_Payload):
    full_name: str | None = None
    fork: bool = False


class GitRef(_Payload):
    ref: str
    sha: str
    repo: RefRepo | None = None


class PullRequest(_Payload):
    number: int
    state: str = "open"
    merged: bool | None = False
    merge_commit_sha: str | None = None
    head: GitRef
    base: GitRef
    user: Actor
    html_url: str = ""
    updated_at: str | None = None


class Review(_Payload):
    id: int
    state: str
    body: str | None = None
    commit_id: str | None = None
    user: Actor


class WorkflowRunPull(_Payload):
    number: int
    head: GitRef | None = None


class WorkflowRun(_Payload):
    id: int
    name: str | None = None
    path: str = ""
    status: str | None = None
    conclusion: str | None = None
    head_sha: str
    head_branch: str | None = None
    html_url: str = ""
    event: str = ""
    run_attempt: int | None = None
    pull_requests: list[WorkflowRunPull] = []
    actor: Actor | None = None
    triggering_actor: Actor | None = None
    head_repository: Repository | None = None
    created_at: datetime | None = None


class _Event(_Payload):
    action: str = ""
    repository: Repository
    sender: Actor
    installation: Installation | None = None

    @property
    def installation_id(self) -> int | None:
        return self.installation.id if self.installation else None


class IssueCommentEvent(_Event):
    kind: Literal["issue_comment"] = "issue_comment"
    issue: IssueRef
    comment: Comment


class PullRequestEvent(_Event):
    kind: Literal["pull_request"] = "pull_request"
    pull_request: PullRequest
    before: str | None = None  # `synchronize`: the head before the push (its `after` is the PR's head SHA)


class PullRequestReviewEvent(_Event):
    kind: Literal["pull_request_review"] = "pull_request_review"
    review: Review
    pull_request: PullRequest


class WorkflowRunEvent(_Event):
    kind: Literal["workflow_run"] = "workflow_run"
    workflow_run: WorkflowRun


class InstallationEvent(_Payload):
    kind: Literal["installation"] = "installation"
    action: str = ""
    installation: Installation
    sender: Actor
    repositories: list[dict[str, Any]] = Field(default_factory=list)


Event = IssueCommentEvent | PullRequestEvent | PullRequestReviewEvent | WorkflowRunEvent | InstallationEvent

HANDLED: dict[str, tuple[type[BaseModel], frozenset[str]]] = {
    "issue_comment": (IssueCommentEvent, frozenset({"created"})),
    "pull_request": (PullRequestEvent, frozenset({"closed", "synchronize"})),
    "pull_request_review": (PullRequestReviewEvent, frozenset({"submitted"})),
    "workflow_run": (WorkflowRunEvent, frozenset({"completed"})),
    "installation": (InstallationEvent, frozenset({"created", "deleted", "suspend", "unsuspend"})),
}


def parse_event(event: str, payload: dict[str, Any]) -> Event | None:
    """The payload as a frozen model, None when the bot does not handle this event/action."""
    handled = HANDLED.get(event)
    if handled is None:
        return None
    model, actions = handled
    if payload.get("action") not in actions:
        return None
    try:
        parsed = model.model_validate({**payload, "kind": event})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise MalformedPayloadError(f"{event} payload: {where}: {first['msg']}") from exc
    assert isinstance(
        parsed,
        IssueCommentEvent | PullRequestEvent | PullRequestReviewEvent | WorkflowRunEvent | InstallationEvent,
    )
    return parsed


def identity(event: Event) -> str | None:
    """What the event is about, whatever delivery carried it (pure).

    A signed body replayed under a new `X-GitHub-Delivery` id has the same identity, so the edge drops it too:
    one comment id and action, one review id, one workflow run attempt, one pull request change (`updated_at`
    moves on every change, and the head SHA is part of a push). None where no identity is safe to dedupe on
    (installation events repeat legitimately with the same fields, and a pull request without `updated_at`).
    """
    repo = event.repository.full_name if not isinstance(event, InstallationEvent) else ""
    if isinstance(event, IssueCommentEvent):
        return f"issue_comment:{event.action}:{repo}:{event.comment.id}"
    if isinstance(event, PullRequestReviewEvent):
        return f"pull_request_review:{event.action}:{repo}:{event.review.id}"
    if isinstance(event, WorkflowRunEvent):
        run = event.workflow_run
        return f"workflow_run:{event.action}:{repo}:{run.id}:{run.run_attempt or 1}"
    if isinstance(event, PullRequestEvent) and event.pull_request.updated_at:
        pull = event.pull_request
        return f"pull_request:{event.action}:{repo}:{pull.number}:{pull.head.sha}:{pull.updated_at}"
    return None


def load_event(event: str, stored_json: str) -> Event:
    """Rebuild a stored event model from the JSON the edge persisted."""
    model, _ = HANDLED[event]
    parsed = model.model_validate_json(stored_json)
    assert isinstance(
        parsed,
        IssueCommentEvent | PullRequestEvent | PullRequestReviewEvent | WorkflowRunEvent | InstallationEvent,
    )
    return parsed
