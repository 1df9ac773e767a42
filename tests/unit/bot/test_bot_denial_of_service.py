"""Issue #9, item 5: what the PR's code or a comment can make the bot's host do: bounded.

Artifact downloads are capped (listed size, bytes read), zips by entry count and decompressed bytes, a Hub
dataset is inspected from a streamed sample, and long local work has its own worker lane.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import queue
from bot.github import GitHubError, _read_capped
from bot.runs.results import MAX_ZIP_ENTRIES, ArtifactRejected, read_zip_reports
from bot.states import RunState
from bot.store import Store
from bot.worker import LONG_LANE, SHORT_LANE, worker_lanes
from runner.data.load import load_table
from runner.planning import plan_command
from runner.workflow_options import WorkflowOptions
from tests.fakes.zips import zip_files
from tests.unit.bot import payloads
from tests.unit.bot.bot_harness import BRANCH, REPO, deliver, make_services, seed_repo, seed_run
from tests.unit.bot.fake_gateway import FakeGateway


def test_a_zip_with_too_many_entries_is_refused_before_reading() -> None:
    many = zip_files({f"r/{i}.json": b"{}" for i in range(MAX_ZIP_ENTRIES + 1)})
    with pytest.raises(ArtifactRejected, match="entries"):
        read_zip_reports(many)


def test_a_zip_bomb_stops_at_the_total_cap() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for i in range(6):  # 6 x 4.9 MB of zeros: ~30 MB unpacked from a ~30 kB zip
            archive.writestr(f"reports/part{i}.json", b"0" * (4_900_000))
    assert len(buffer.getvalue()) < 200_000
    with pytest.raises(ArtifactRejected, match="in all"):
        read_zip_reports(buffer.getvalue())
    with pytest.raises(ArtifactRejected, match="not a readable zip"):
        read_zip_reports(b"PK\x03\x04 not really")


def test_an_oversized_training_artifact_is_not_downloaded(tmp_path: Path) -> None:
    gateway = FakeGateway()
    seed_repo(gateway)
    services = make_services(tmp_path, gateway, max_artifact_bytes=4096)
    run = seed_run(services, gateway, RunState.TRAINING)
    gateway.add_artifact(REPO, 903, f"intern-train-reports-{run.id}", zip_files({"big.md": b"x" * 5000}) + b"x" * 5000)
    data = payloads.workflow_run(REPO, 903, BRANCH, run.head_sha or "", event="workflow_dispatch")
    deliver(services, "workflow_run", data)
    after = services.store.get_run(run.id)
    assert after is not None and after.state == "failed"
    assert not [call for call in gateway.calls if call.startswith("download")]


class _Response:
    def __init__(self, body: bytes, declared: str | None) -> None:
        self._body = io.BytesIO(body)
        self.headers = {"Content-Length": declared} if declared is not None else {}

    def read(self, size: int = -1) -> bytes:
        return self._body.read(size)


def test_the_github_download_reads_at_most_the_cap() -> None:
    assert _read_capped(_Response(b"a" * 10, "10"), "dl", 10) == b"a" * 10
    with pytest.raises(GitHubError, match="over the 10-byte limit"):
        _read_capped(_Response(b"a" * 11, None), "dl", 10)  # no Content-Length: counted while reading
    with pytest.raises(GitHubError, match="over the 10-byte limit"):
        _read_capped(_Response(b"", "999999999"), "dl", 10)  # refused before reading


def test_a_hub_dataset_is_inspected_from_a_streamed_sample() -> None:
    calls: list[dict[str, Any]] = []

    def endless(source: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        calls.append({"source": source, **kwargs})
        return ({"text": f"row {i}", "label": "ab"[i % 2]} for i in itertools.count())

    frame = load_table("owner/huge", "hub", max_rows=500, stream_loader=endless)
    assert len(frame) == 500 and list(frame.columns) == ["text", "label"]
    assert calls == [{"source": "owner/huge", "split": "train", "streaming": True}]


def test_train_with_a_hub_dataset_inspects_a_capped_sample() -> None:
    from bot.runs.project_files import build_project

    def endless(source: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        assert kwargs.get("streaming") is True
        return ({"text": f"ticket number {i} about {'ab'[i % 2]}", "label": "ab"[i % 2]} for i in itertools.count())

    gateway = FakeGateway()
    seed_repo(gateway)
    args = {"dataset": "owner/huge", "text": "text", "label": "label", "model": "scratch:tiny"}
    project = build_project(
        gateway,
        REPO,
        "main",
        "classify",
        args,
        planner=lambda objective, data: plan_command(objective, data, hub=None, llm=None),
        workflow_options=WorkflowOptions(),
        max_rows=300,
        stream_loader=endless,
    )
    assert b"owner/huge" in project.files["intern.yaml"] and "300" in project.inspect_md


def test_long_work_has_its_own_lane(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'q.db'}")
    store.create_all()
    long_job = queue.enqueue(store, "task:local_train", json.dumps({"run_id": 1}))
    cancel = queue.enqueue(store, "issue_comment", "{}")
    # the webhook worker skips the hour-long training and takes the `/intern cancel` behind it
    short = queue.claim(store, "w-short", 60, SHORT_LANE)
    assert short is not None and short.id == cancel
    taken = queue.claim(store, "w-long", 60, LONG_LANE)
    assert taken is not None and taken.id == long_job
    assert worker_lanes(1, 1) == [SHORT_LANE, LONG_LANE]
    assert worker_lanes(2, 0) == [None, None] and worker_lanes(0, 1) == []


def test_a_cancelled_run_stops_its_running_stage(tmp_path: Path) -> None:
    """With its own lane, `/intern cancel` is handled while training runs; the next tick kills the stage."""
    import subprocess
    import sys
    import time

    from bot.compute.local import StageCancelled, run_stage, subprocess_env
    from bot.compute.sandbox import Sandbox, prepare_workdir

    project = tmp_path / "run-1"
    prepare_workdir(tmp_path, project, Sandbox())
    child = project / "child.pid"
    sleeper = (
        "import subprocess, sys, time; "
        "open(sys.argv[1], 'w').write(str(subprocess.Popen(['sleep', '60']).pid)); time.sleep(60)"
    )
    ticks = []

    def cancelled() -> None:
        ticks.append(1)
        if len(ticks) >= 2:
            raise StageCancelled("run #1 is cancelled")

    started = time.monotonic()
    with pytest.raises(StageCancelled):
        run_stage(
            "train",
            project,
            timeout_s=60,
            env=subprocess_env(os.environ, project),
            on_tick=cancelled,
            command=[sys.executable, "-c", sleeper, str(child)],
        )
    assert time.monotonic() - started < 10
    pid = int(child.read_text())
    time.sleep(0.2)
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True).stdout.strip()
    assert state in ("", "Z"), "the stage's child process survived the cancel"
