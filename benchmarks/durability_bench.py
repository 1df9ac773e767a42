"""Durability under faults: kill -9 of the bot mid-job, and GitHub answering 502/429 mid-journey.

    .venv/bin/python benchmarks/durability_bench.py [--jobs 40] [--kills 5] [--fault-every 4] [--latency-ms 20]
    .venv/bin/python benchmarks/durability_bench.py --quick    # 3 jobs, 1 kill, SQLite only (run by the tests)
    INTERN_TEST_POSTGRES_URL=postgresql+psycopg://... .venv/bin/python benchmarks/durability_bench.py

The bot runs as a child process (uvicorn, one worker thread, the real PyGithub gateway with App JWT auth and
its retry policy), talking to the fake GitHub (`tests/fakes`) served from this process. Each job is a real,
signed `issue_comment` with `/intern help` on its own issue; the job adds a reaction and posts the reply.

1. kill -9: deliveries are sent while a killer waits until some job is `running` in the database (between its
   202 and its end), sends SIGKILL to the bot and starts it again on the same database. A delivery the dead bot
   could not take is sent again once it is back (GitHub's "Redeliver"); it counts as sent once, on its 202.
   Repeated on PostgreSQL when `INTERN_TEST_POSTGRES_URL` is set (there a killed job waits for its lease to
   expire, so the bench uses a short `INTERN_JOB_LEASE_S`).
2. faults: no kills; every `--fault-every`-th GitHub API request answers 502 or 429 (`Retry-After: 1`).

For each: jobs sent (answered 202), jobs that survived (their reply is on GitHub), replies posted twice
(duplicates), and the faults GitHub injected. Exit status 1 when a job was lost or a reply duplicated.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from bot import queue  # noqa: E402
from bot.comments import reply_marker  # noqa: E402
from bot.store import Base, Job, Store  # noqa: E402
from bot.webhook import sign  # noqa: E402
from tests.fakes.github_server import FakeGitHub  # noqa: E402
from tests.unit.bot import payloads  # noqa: E402

REPO = "octo/bench"
SECRET = "durability-bench-webhook-secret-0123"

SERVER = """
import os, sys
import uvicorn
from bot.app import create_app
from bot.context import Services
from bot.github import ClientOptions
from bot.settings import Settings
from bot.store import Store
from bot.wiring import make_backends, make_gateway_factory, make_planner
settings = Settings(_env_file=None)
# GitHub's retry policy as shipped (5 retries, backoff, 429/5xx), minus PyGithub's 1 s pause between writes
options = ClientOptions(backoff_factor=0.2, secondary_rate_wait_s=1, max_rate_limit_wait_s=10, throttle=False)
store = Store(settings.database_url)
services = Services(
    settings, store, make_gateway_factory(settings, options), make_backends(settings), make_planner(settings)
)
uvicorn.run(create_app(settings, services), host="127.0.0.1", port=int(sys.argv[1]), log_level="error")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_key() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@dataclass
class Bot:
    """The bot as a child process that can be killed with SIGKILL and started again."""

    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    kills: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(self.port)], cwd=ROOT, env=self.env, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx2.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx2.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("the bot did not start")

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)


@dataclass
class Outcome:
    scenario: str
    sent: int
    survived: int
    duplicates: int
    kills: int
    faults: int
    seconds: float
    failed_jobs: int
    reruns: int


def send_until_accepted(bot: Bot, number: int, comment_id: int, deadline: float) -> None:
    payload = payloads.issue_comment(REPO, number, "/intern help", "alice", comment_id=comment_id)
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": "issue_comment",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(SECRET.encode(), body),
    }
    while time.monotonic() < deadline:
        try:
            response = httpx2.post(f"{bot.url}/webhook", content=body, headers=headers, timeout=5)
            if response.status_code in (200, 202):
                return
        except httpx2.HTTPError:
            pass  # the bot is down: redeliver when it is back
        time.sleep(0.1)
    raise RuntimeError(f"delivery for issue #{number} never accepted")


def jobs_left(store: Store) -> int:
    return queue.count(store, queue.QUEUED) + queue.count(store, queue.RUNNING)


def reruns(store: Store) -> int:
    """Claims beyond the first, over every job: a killed job or one that failed on a GitHub error ran again."""
    with store.session() as session:
        return sum(max(0, attempts - 1) for attempts in session.scalars(select(Job.attempts)))


def run_scenario(
    name: str, fake: FakeGitHub, bot: Bot, store: Store, jobs: int, kills: int, timeout_s: float
) -> Outcome:
    numbers = []
    for _ in range(jobs):
        number = fake.add_issue(REPO, "bench")
        numbers.append((number, fake.add_comment(REPO, number, "alice", "/intern help")))
    start = time.monotonic()
    deadline = start + timeout_s
    kills_before, reruns_before = bot.kills, reruns(store)
    stop_killing = threading.Event()

    def killer() -> None:
        rng = random.Random(7)
        while bot.kills - kills_before < kills and not stop_killing.is_set():
            if queue.count(store, queue.RUNNING) == 0:
                time.sleep(0.005)
                continue
            time.sleep(rng.uniform(0.0, 0.05))  # somewhere inside the job
            bot.kill()
            bot.start()

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    for number, comment_id in numbers:
        send_until_accepted(bot, number, comment_id, deadline)
        time.sleep(0.02)
    while jobs_left(store) and time.monotonic() < deadline:
        time.sleep(0.1)
    stop_killing.set()
    thread.join(timeout=60)  # a kill in progress restarts the bot, which then finishes what it re-queued
    while jobs_left(store) and time.monotonic() < deadline:
        time.sleep(0.1)
    seconds = time.monotonic() - start
    survived = duplicates = 0
    for number, comment_id in numbers:
        marker = reply_marker(comment_id)
        replies = [c for c in fake.comments(REPO, number) if c.user == fake.bot_login and marker in c.body]
        survived += bool(replies)
        duplicates += max(0, len(replies) - 1)
    return Outcome(
        name,
        len(numbers),
        survived,
        duplicates,
        bot.kills - kills_before,
        len(fake.injected_faults),
        seconds,
        queue.count(store, queue.FAILED),
        reruns(store) - reruns_before,
    )


def bench(database_url: str, label: str, args: argparse.Namespace, faults: bool) -> list[Outcome]:
    private, public = app_key()
    fake = FakeGitHub().start()
    fake.trust_app_key(public)
    fake.add_repo(REPO, collaborators={"alice": "write"})
    store = Store(database_url)
    Base.metadata.drop_all(store.engine)
    store.create_all()
    env = {
        **os.environ,
        "INTERN_WEBHOOK_SECRET": SECRET,
        "INTERN_GITHUB_APP_ID": str(fake.app_id),
        "INTERN_GITHUB_APP_SLUG": fake.app_slug,
        "INTERN_GITHUB_PRIVATE_KEY": private,
        "INTERN_GITHUB_API_URL": fake.api,
        "INTERN_DATABASE_URL": database_url,
        "INTERN_WORKERS": "1",
        "INTERN_WORKER_POLL_S": "0.05",
        "INTERN_JOB_LEASE_S": "3" if store.dialect == "postgresql" else "900",
        "PYTHONPATH": str(ROOT),
    }
    bot = Bot(env)
    outcomes = []
    try:
        bot.start()
        fake.inject_faults(0, latency_s=args.latency_ms / 1000)
        outcomes.append(run_scenario(f"kill -9 ({label})", fake, bot, store, args.jobs, args.kills, args.timeout))
        if faults:
            fake.inject_faults(args.fault_every, (502, 429), latency_s=args.latency_ms / 1000)
            outcome = run_scenario(
                f"502/429 every {args.fault_every}th call", fake, bot, store, args.jobs, 0, args.timeout
            )
            outcomes.append(outcome)
    finally:
        bot.stop()
        fake.stop()
        store.dispose()
    return outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--fault-every", type=int, default=4)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--timeout", type=float, default=240.0)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check that the benchmark still runs")
    args = parser.parse_args()
    if args.quick:
        args.jobs, args.kills, args.fault_every, args.latency_ms, args.timeout = 3, 1, 3, 0.0, 90.0
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as tmp:
        outcomes = bench(f"sqlite:///{Path(tmp) / 'bot.db'}", "SQLite", args, faults=True)
    postgres = None if args.quick else os.environ.get("INTERN_TEST_POSTGRES_URL")
    if postgres:
        outcomes += bench(postgres, "PostgreSQL", args, faults=False)
    columns = ("sent", "survived", "duplicates", "kills", "faults", "re-runs", "failed", "s")
    print(f"{'scenario':32} " + " ".join(f"{c:>10}" for c in columns))
    for o in outcomes:
        values = (o.sent, o.survived, o.duplicates, o.kills, o.faults, o.reruns, o.failed_jobs)
        print(f"{o.scenario:32} " + " ".join(f"{v:>10d}" for v in values) + f" {o.seconds:>10.1f}")
    bad = [o for o in outcomes if o.survived != o.sent or o.duplicates or o.failed_jobs]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
