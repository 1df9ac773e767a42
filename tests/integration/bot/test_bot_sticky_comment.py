"""The sticky comment under comment spam: its id is remembered on the run and edited directly.

Before, every post listed all of the issue's comments (3 pages of 100 here) to find the marker, so spam
multiplied the bot's API calls. Now only the first post searches; a deleted comment sends it back to the search.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.github import ClientOptions, PyGithubGateway
from bot.github_auth import StaticTokenProvider
from bot.router import Ctx
from bot.run_record import RunRecord
from bot.runs import status_comment
from tests.fakes.github_server import FakeGitHub
from tests.unit.bot.bot_harness import make_services

pytestmark = pytest.mark.integration
REPO = "octo/tickets"
LIST = "/repos/{owner}/{repo}/issues/{issue_number}/comments"
EDIT = "/repos/{owner}/{repo}/issues/comments/{comment_id}"


def test_posts_edit_the_remembered_comment_without_listing(fake_github: FakeGitHub, tmp_path: Path) -> None:
    fake_github.add_repo(REPO)
    number = fake_github.add_issue(REPO, "Classify tickets")
    for index in range(250):
        fake_github.add_comment(REPO, number, "spammer", f"spam {index}")
    gateway = PyGithubGateway(
        StaticTokenProvider(fake_github.token),
        1,
        bot_login=fake_github.bot_login,
        base_url=fake_github.api,
        options=ClientOptions.for_tests(),
    )
    services = make_services(tmp_path, gateway)  # type: ignore[arg-type]
    ctx = Ctx(services, gateway, "d-1")
    run = ctx.store.create_run(
        repo=REPO,
        issue_number=number,
        created_by="alice",
        compute="actions",
        installation_id=1,
        delivery_id="d",
        data=RunRecord(),
    )

    status_comment.refresh(ctx, run.id)
    first_lists = len(fake_github.requests("GET", LIST))
    assert first_lists == 3  # the first post searches once (250 comments, 100 a page), then creates
    for note in ("one", "two", "three"):
        status_comment.advance(ctx, run, notice=note)
    assert len(fake_github.requests("GET", LIST)) == first_lists  # edits go straight to the comment
    assert len(fake_github.requests("PATCH", EDIT)) == 3
    mine = [c for c in fake_github.comments(REPO, number) if c.user == fake_github.bot_login]
    assert len(mine) == 1 and "three" in mine[0].body

    del fake_github.repo(REPO).comments[mine[0].id]  # someone deleted it: search again, then post anew
    status_comment.refresh(ctx, run.id)
    assert len(fake_github.requests("GET", LIST)) == 2 * first_lists
    (again,) = [c for c in fake_github.comments(REPO, number) if c.user == fake_github.bot_login]
    assert again.id != mine[0].id
    stored = ctx.store.get_run(run.id)
    assert stored is not None and list(stored.data.comments.values()) == [again.id]
