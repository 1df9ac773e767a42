"""`intern-bot demo`: the whole journey on this machine, offline, against the fake GitHub and the fake Hub.

issue -> `/intern train` -> PR -> smoke test -> approval -> training -> evaluation -> merge -> publish, with the
real bot (FastAPI app over HTTP, signed webhooks, worker thread, PyGithub) and the real runner (the `local`
compute backend trains on this machine). What GitHub Actions would do on the PR (the smoke workflow) is done
here with `intern smoke` on the PR's files, and its `reports/` handed to the bot as the workflow's artifact.

Every comment is printed as it is posted (an edit of the sticky comment: the lines it adds), and the rendered
HTML of the PR body and of every comment (cmark-gfm, GitHub's renderer; the committed images copied beside it)
is left in a folder to open in a browser.

The fake servers are test code (`tests/fakes`): the demo runs from a source checkout, after `make setup`.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.demo_html import write_pages
from bot.errors import ConfigurationError

REPO = "octo/tickets"
USER = "alice"
REVIEWER = "bob"
SECRET = "demo-webhook-secret-0123456789abcdef"
ISSUE_TITLE = "Classify support tickets"
ISSUE_BODY = "Route each incoming ticket to the team that handles it (account, delivery, refund...)."
SAMPLE = Path("examples/bitext-sample/tickets.csv")
TIMEOUT_S = float(os.environ.get("INTERN_DEMO_TIMEOUT_S", "240"))


def source_root() -> Path:
    """The source checkout this package runs from (the fakes live in its `tests/`), else ConfigurationError."""
    root = Path(__file__).resolve().parents[1]
    if not (root / "tests" / "fakes" / "github_server.py").is_file() or not (root / SAMPLE).is_file():
        raise ConfigurationError(
            "`intern-bot demo` runs from a source checkout (it uses the fake GitHub and Hub in tests/fakes): "
            "git clone the project, `make setup`, then `.venv/bin/intern-bot demo`"
        )
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return root


def sample_csv(root: Path, per_class: int) -> bytes:
    """The first `per_class` rows of each category of the README example (a small, balanced ticket set)."""
    import csv
    import io

    kept: dict[str, int] = {}
    out = io.StringIO()
    with (root / SAMPLE).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        writer = csv.DictWriter(out, fieldnames=["text", "category"], lineterminator="\n")
        writer.writeheader()
        for row in reader:
            if kept.get(row["category"], 0) < per_class:
                kept[row["category"]] = kept.get(row["category"], 0) + 1
                writer.writerow({"text": row["instruction"], "category": row["category"]})
    return out.getvalue().encode("utf-8")


@dataclass
class Watcher:
    """Prints what the bot posted since the last look: new comments whole, edits as the lines they add."""

    fake: Any
    echo: Callable[[str], None]
    seen: dict[int, str] = field(default_factory=dict)
    shown_pulls: set[int] = field(default_factory=set)

    def look(self) -> None:
        for pull in self.fake.pulls(REPO):
            if pull.number not in self.shown_pulls:
                self.shown_pulls.add(pull.number)
                self.echo(f"\n── PR #{pull.number} opened: {pull.title}\n{pull.body}")
        for comment in sorted(self.fake.comments(REPO), key=lambda c: c.id):
            before = self.seen.get(comment.id)
            if before == comment.body:
                continue
            self.seen[comment.id] = comment.body
            where = f"#{comment.issue_number}"
            if before is None:
                self.echo(f"\n── @{comment.user} commented on {where} (comment {comment.id})\n{comment.body}")
                continue
            added = [
                line[1:]
                for line in difflib.unified_diff(before.splitlines(), comment.body.splitlines(), lineterm="", n=0)
                if line.startswith("+") and not line.startswith("+++")
            ]
            self.echo(f"\n── @{comment.user} edited comment {comment.id} on {where}: +{len(added)} lines")
            self.echo("\n".join(added))


@contextmanager
def _fakes() -> Iterator[tuple[Any, Any]]:
    from tests.fakes.github_server import FakeGitHub
    from tests.fakes.hub_server import FakeHub

    github = FakeGitHub().start()
    try:
        with FakeHub() as hub:
            yield github, hub
    finally:
        github.stop()


def _wait(condition: Callable[[], bool], watcher: Watcher, what: str, timeout: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        watcher.look()
        if condition():
            watcher.look()
            return
        time.sleep(0.1)
    raise TimeoutError(f"the demo timed out waiting for {what}")


def _smoke_reports(fake: Any, head_sha: str, workdir: Path, echo: Callable[[str], None]) -> bytes:
    """What the smoke workflow would upload: `intern smoke` on the PR head's files, `reports/` zipped."""
    import io
    import zipfile

    project = workdir / f"smoke-{head_sha[:12]}"
    for path, content in fake.files(REPO, head_sha).items():
        target = project / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    echo(f"\n$ intern smoke   (what the PR's workflow runs in GitHub Actions; here on {head_sha[:12]})")
    started = time.monotonic()
    command = [sys.executable, "-c", "import sys; from runner.cli import main; sys.exit(main())", "smoke", "."]
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
    echo(f"  exit {done.returncode} after {time.monotonic() - started:.1f} s")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for report in sorted((project / "reports").glob("*")):
            if report.is_file():
                archive.writestr(report.name, report.read_bytes())
    return buffer.getvalue()


def _settings(github: Any, hub: Any, workdir: Path) -> Any:
    from bot.settings import Settings

    values: dict[str, Any] = {
        "webhook_secret": SECRET,
        "github_app_id": github.app_id,
        "github_private_key": "unused-pem-key",
        "github_api_url": github.api,
        "github_app_slug": github.app_slug,
        "database_url": f"sqlite:///{workdir / 'bot.db'}",
        "hf_token": hub.token,
        "hf_endpoint": hub.url,
        "hf_namespace": hub.state.user,
        "hf_offline": True,
        "workers": 1,
        "worker_poll_s": 0.05,
        "workdir": workdir / "work",
        "compute": "local",
        "compute_allowed": ["actions", "local"],
        "local_unsandboxed": True,  # the demo trains as you, on this machine
        "local_timeout_s": 600,
    }
    return Settings(_env_file=None, **values)


def _services(settings: Any, github: Any) -> Any:
    from bot.compute.actions import ActionsBackend
    from bot.compute.local import LocalBackend
    from bot.github import ClientOptions, PyGithubGateway
    from bot.github_auth import StaticTokenProvider
    from bot.router import Services
    from bot.store import Store
    from bot.wiring import make_planner

    gateways: dict[int, PyGithubGateway] = {}

    def gateway_for(installation_id: int | None) -> PyGithubGateway:
        key = installation_id or 1
        if key not in gateways:
            gateways[key] = PyGithubGateway(
                StaticTokenProvider(github.token),
                key,
                bot_login=github.bot_login,
                base_url=github.api,
                options=ClientOptions.for_tests(),
            )
        return gateways[key]

    return Services(
        settings=settings,
        planner=make_planner(settings),
        store=Store(settings.database_url),
        gateway_for=gateway_for,
        backends={"actions": ActionsBackend(), "local": LocalBackend()},
        environment=dict(os.environ),  # the local stages get its allowlisted part (HF_HUB_DISABLE_XET, PYTHONPATH)
    )


@contextmanager
def _serve(app: Any) -> Iterator[str]:
    import threading

    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the bot did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def run_demo(out: Path, echo: Callable[[str], None] = print, per_class: int = 40) -> dict[str, Any]:
    """Run the journey; returns what it measured (wall seconds, comments posted, the HTML folder)."""
    root = source_root()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["HF_HUB_DISABLE_XET"] = "1"  # the fake Hub speaks LFS; the training subprocess inherits it
    from bot.app import create_app
    from bot.replay import send_event
    from tests.unit.bot import payloads

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="intern-demo-") as scratch, _fakes() as (github, hub):
        workdir = Path(scratch)
        github.add_repo(
            REPO,
            files={"README.md": b"# tickets\n", "data/tickets.csv": sample_csv(root, per_class)},
            collaborators={USER: "admin", REVIEWER: "write"},
        )
        settings = _settings(github, hub, workdir)
        services = _services(settings, github)
        watcher = Watcher(github, echo)

        def latest() -> Any:
            return services.store.latest_run(REPO, issue)

        def shown() -> Callable[[], bool]:  # the state moves first, then the sticky comment is edited
            return lambda: f"`{latest().state}`" in _sticky(github, latest().id)

        def state_in(*states: str) -> Callable[[], bool]:
            return lambda: (run := latest()) is not None and run.state in states

        with _serve(create_app(settings, services)) as base:
            url = f"{base}/webhook"

            def deliver(event: str, payload: dict[str, Any]) -> None:
                status = send_event(url, SECRET, event, payload, delivery=str(uuid.uuid4()))
                echo(f"\n>> webhook {event}.{payload.get('action')} -> HTTP {status}")

            issue = github.add_issue(REPO, ISSUE_TITLE, ISSUE_BODY, author=USER)
            command = "/intern train dataset=data/tickets.csv text=text label=category"
            echo(f"Issue #{issue} in {REPO}: {ISSUE_TITLE!r}; @{USER} comments {command!r}")
            comment_id = github.add_comment(REPO, issue, USER, command)
            payload = payloads.issue_comment(REPO, issue, command, USER, comment_id=comment_id, title=ISSUE_TITLE)
            payload["issue"]["body"] = ISSUE_BODY
            deliver("issue_comment", payload)
            _wait(state_in("pr_opened", "smoke_running", "failed"), watcher, "the PR")
            _wait(shown(), watcher, "the sticky comment")
            run = latest()
            if run.state == "failed":
                raise RuntimeError(f"planning failed: {services.store.audit_log(run.id)[-1].detail}")
            pull = github.pulls(REPO)[0]

            artifact = _smoke_reports(github, pull.head_sha, workdir, echo)
            github.add_workflow_run(
                REPO, 501, pull.head_sha, "success", {"intern-smoke-reports": artifact}, head_branch=pull.head_ref
            )
            deliver("workflow_run", payloads.workflow_run(REPO, 501, pull.head_ref, pull.head_sha))
            _wait(state_in("awaiting_approval", "smoke_failed", "failed"), watcher, "the smoke report")
            _wait(shown(), watcher, "the sticky comment")

            echo(f"\n@{REVIEWER} approves PR #{pull.number} on {pull.head_sha[:12]}")
            deliver("pull_request_review", payloads.review(REPO, pull.number, pull.head_ref, pull.head_sha, REVIEWER))
            _wait(state_in("evaluated", "failed"), watcher, "training")
            _wait(shown(), watcher, "the sticky comment")
            run = latest()
            if run.state != "evaluated":
                raise RuntimeError(f"training failed: {services.store.audit_log(run.id)[-1].detail}")

            echo(f"\n@{USER} merges PR #{pull.number}")
            github.merge_pull(REPO, pull.number, merged_by=USER)
            deliver(
                "pull_request",
                payloads.pull_request(REPO, pull.number, "closed", pull.head_ref, run.head_sha, USER, merged=True),
            )
            _wait(state_in("published", "failed"), watcher, "publishing")
            _wait(lambda: "`published`" in _sticky(github, latest().id), watcher, "the final comment", 30)
            run = latest()
        seconds = time.monotonic() - started
        pages = write_pages(out, github, REPO)
        echo(f"\nRun #{run.id} is {run.state} after {seconds:.0f} s; model at {run.data.model_url}")
        echo(f"Rendered HTML of the PR body and every comment: {out / 'index.html'}")
        return {"seconds": seconds, "state": run.state, "pages": [str(page) for page in pages]}


def _sticky(github: Any, run_id: int) -> str:
    return "".join(c.body for c in github.comments(REPO) if f"intern-bot:run:{run_id}" in c.body)


def summary_json(result: dict[str, Any]) -> str:
    return json.dumps(result, indent=2)
