"""One contract, two gateways: the in-memory fake the unit tests use and PyGithubGateway on the fake GitHub server.

Every case runs against both, so the fake cannot drift into accepting what GitHub refuses (a non-fast-forward
push, a comment without its marker, editing a human's comment that quotes the marker).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bot.errors import GitHubConflict, GitHubNotFound
from bot.gateway import GitHubGateway
from bot.github import ClientOptions, PyGithubGateway
from bot.github_auth import StaticTokenProvider
from tests.fakes.github_server import FakeGitHub
from tests.unit.bot.fake_gateway import FakeGateway

pytestmark = pytest.mark.integration
REPO = "octo/demo"
MARKER = "<!-- intern-bot:run:7 -->"


@dataclass
class Subject:
    """A gateway plus the arrange/inspect helpers of whatever stands behind it."""

    gateway: GitHubGateway
    add_issue: Callable[[str], int]
    add_comment: Callable[[int, str, str], int]
    comments: Callable[[int], list[tuple[str, str]]]  # (author, body)
    bot_login: str


def _memory() -> Subject:
    fake = FakeGateway()
    data = fake.add_repo(REPO, {"README.md": b"# demo\n"})
    data.permissions["alice"] = "write"

    def comments(number: int) -> list[tuple[str, str]]:
        return [(data.comment_authors[cid], body) for cid, (n, body) in sorted(data.comments.items()) if n == number]

    return Subject(
        fake,
        lambda title: fake.add_issue(REPO, title),
        lambda number, user, body: fake.add_comment(REPO, number, user, body),
        comments,
        fake.bot_login,
    )


def _pygithub(fake: FakeGitHub) -> Subject:
    fake.add_repo(REPO, files={"README.md": b"# demo\n"}, collaborators={"alice": "write"})
    gateway = PyGithubGateway(
        StaticTokenProvider(fake.token),
        1,
        bot_login=fake.bot_login,
        base_url=fake.api,
        options=ClientOptions.for_tests(),
    )
    return Subject(
        gateway,
        lambda title: fake.add_issue(REPO, title),
        lambda number, user, body: fake.add_comment(REPO, number, user, body),
        lambda number: [(c.user, c.body) for c in fake.comments(REPO, number)],
        fake.bot_login,
    )


@pytest.fixture(params=["memory", "pygithub"])
def subject(request: pytest.FixtureRequest) -> Subject:
    if request.param == "memory":
        return _memory()
    fake: FakeGitHub = request.getfixturevalue("fake_github")
    return _pygithub(fake)


def test_branches_only_fast_forward(subject: Subject) -> None:
    gateway = subject.gateway
    base = gateway.branch_sha(REPO, "main")
    assert base is not None
    first = gateway.commit_files(REPO, "intern/1-x", base, {"a.txt": b"a"}, "first")
    second = gateway.commit_files(REPO, "intern/1-x", first, {"b.txt": b"b"}, "second")
    assert gateway.branch_sha(REPO, "intern/1-x") == second
    assert gateway.read_file(REPO, "a.txt", second) == b"a" and gateway.read_file(REPO, "b.txt", second) == b"b"
    with pytest.raises(GitHubConflict, match="fast forward"):
        gateway.commit_files(REPO, "intern/1-x", base, {"c.txt": b"stale"}, "stale")
    assert gateway.branch_sha(REPO, "intern/1-x") == second
    with pytest.raises(GitHubNotFound):
        gateway.commit_files(REPO, "intern/2-y", "0" * 40, {"x.txt": b"x"}, "no base")
    with pytest.raises(ValueError):
        gateway.commit_files(REPO, "intern/1-x", second, {}, "nothing")


def test_missing_things_are_none(subject: Subject) -> None:
    gateway = subject.gateway
    assert gateway.branch_sha(REPO, "no-such-branch") is None
    assert gateway.read_file(REPO, "missing.txt", "main") is None
    assert gateway.read_file(REPO, "README.md", "main") == b"# demo\n"


def test_a_folder_lists_every_file_under_it(subject: Subject) -> None:
    gateway = subject.gateway
    base = gateway.branch_sha(REPO, "main")
    assert base is not None
    files = {"data/photos/red/1.png": b"r1", "data/photos/blue/2.png": b"b22", "data/photos.csv": b"x"}
    head = gateway.commit_files(REPO, "main", base, files, "photos")
    listed = gateway.list_folder(REPO, "data/photos", "main")
    assert [(f.path, f.size) for f in listed] == [("data/photos/blue/2.png", 3), ("data/photos/red/1.png", 2)]
    assert [f.path for f in gateway.list_folder(REPO, "data", head)] == sorted(files)
    assert gateway.list_folder(REPO, "data/photos.csv", "main") == []
    assert gateway.list_folder(REPO, "nothing", "main") == []


def test_upsert_needs_its_marker_and_edits_only_its_own_comment(subject: Subject) -> None:
    gateway = subject.gateway
    number = subject.add_issue("Classify tickets")
    subject.add_comment(number, "mallory", f"{MARKER} a human quoting the marker")
    with pytest.raises(ValueError, match="marker"):
        gateway.upsert_comment(REPO, number, MARKER, "no marker in this body")
    first = gateway.upsert_comment(REPO, number, MARKER, f"{MARKER}\nsmoke: running")
    second = gateway.upsert_comment(REPO, number, MARKER, f"{MARKER}\nsmoke: passed")
    assert first == second
    assert subject.comments(number) == [
        ("mallory", f"{MARKER} a human quoting the marker"),
        (subject.bot_login, f"{MARKER}\nsmoke: passed"),
    ]


def test_permission_of_a_writer_and_a_stranger(subject: Subject) -> None:
    assert subject.gateway.permission(REPO, "alice") == "write"
    assert subject.gateway.permission(REPO, "stranger") == "read"  # a public repository
