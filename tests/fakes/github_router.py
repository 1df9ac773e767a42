"""The fake GitHub's router: `route()` registers handlers under the OpenAPI path templates they implement.

Routes live in `github_routes.py` (repos, issues, comments, pulls), `github_routes_git.py` (git data and
contents) and `github_routes_actions.py` (checks, workflows, artifacts, App tokens). A handler takes the fake,
the path parameters, the query, the JSON body and the caller's login, and returns `Reply(status, body,
headers)`. Validation errors follow GitHub's wording where the bot may see them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from tests.fakes.github_state import FakeGitHubError, Repo

if TYPE_CHECKING:
    from tests.fakes.github_server import FakeGitHub

REACTIONS = {"+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"}
MAX_BODY = 65536


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    paginate: bool = False


Handler = Callable[["FakeGitHub", dict[str, str], dict[str, str], Any, str], Reply]
ROUTES: list[tuple[str, str, re.Pattern[str], Handler]] = []
_GREEDY = {"ref", "path", "workflow_id"}  # workflow_id: so a path-shaped one reaches the 404 GitHub gives


def route(method: str, template: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        pattern = re.sub(
            r"\{(\w+)\}", lambda m: f"(?P<{m[1]}>.+)" if m[1] in _GREEDY else f"(?P<{m[1]}>[^/]+)", template
        )
        ROUTES.append((method, template, re.compile(f"^{pattern}$"), handler))
        return handler

    return register


def repo_of(fake: FakeGitHub, p: dict[str, str]) -> Repo:
    return fake.repo(f"{p['owner']}/{p['repo']}")


def require(body: Any, *names: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise FakeGitHubError(400, "Problems parsing JSON")
    for name in names:
        if body.get(name) in (None, ""):
            raise FakeGitHubError(422, f'Invalid request.\n\n"{name}" wasn\'t supplied.')
    return body


def number_of(text: str) -> int:
    if not text.isdigit():
        raise FakeGitHubError(404, "Not Found")
    return int(text)


Item = TypeVar("Item")


def item_of(items: Mapping[int, Item], text: str) -> Item:
    """The item a path's numeric id names (a comment, a check run, a workflow run, an artifact), else 404."""
    key = number_of(text)
    if key not in items:
        raise FakeGitHubError(404, "Not Found")
    return items[key]
