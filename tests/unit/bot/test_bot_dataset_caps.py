"""Issue #17, L3: one tenant cannot run the shared bot out of memory with `dataset=`: a big repo file is refused
on its reported size before it is downloaded, a Parquet decompression bomb on its footer before it is parsed,
and a Hub sample stops at a byte cap as well as at a row cap."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bot.errors import CommandError
from bot.runs.project_files import build_project
from runner.planning import plan_command
from runner.workflow_options import WorkflowOptions
from tests.unit.bot import payloads
from tests.unit.bot.bot_harness import REPO, deliver, make_services, seed_repo
from tests.unit.bot.fake_gateway import FakeGateway

ARGS = {"text": "text", "label": "label", "model": "scratch:tiny"}


def _planner(objective: str, data: str | None) -> Any:
    return plan_command(objective, data, hub=None, llm=None)


def _build(gateway: FakeGateway, dataset: str, max_bytes: int, loader: Any = None) -> Any:
    return build_project(
        gateway,
        REPO,
        "main",
        "classify tickets",
        {**ARGS, "dataset": dataset},
        planner=_planner,
        workflow_options=WorkflowOptions(),
        max_rows=50_000,
        stream_loader=loader,
        max_bytes=max_bytes,
    )


def _gateway(files: dict[str, bytes]) -> FakeGateway:
    gateway = FakeGateway()
    seed_repo(gateway)
    if files:
        gateway.commit_files(REPO, "main", gateway.branch_sha(REPO, "main") or "", files, "data")
    return gateway


def test_a_repo_file_over_the_cap_is_refused_before_it_is_read(tmp_path: Path) -> None:
    rows = "".join(f"ticket {i} about refunds,{'ab'[i % 2]}\n" for i in range(2000))
    gateway = _gateway({"data/big.csv": ("text,label\n" + rows).encode()})
    services = make_services(tmp_path, gateway, max_dataset_bytes=4096)
    comment = payloads.issue_comment(REPO, 1, "/intern train dataset=data/big.csv text=text label=label", "alice")
    deliver(services, "issue_comment", comment)
    assert "over the 4096-byte limit" in "\n".join(gateway.comments_on(REPO, 1))
    run = services.store.latest_run(REPO, 1)
    assert run is None or run.state == "failed"


def test_a_parquet_decompression_bomb_is_refused_on_its_footer() -> None:
    texts = ["a" * 10_000 + str(i % 2) for i in range(400)]  # 4 MB of text, a few KB compressed
    table = pa.table({"text": texts, "label": ["ab"[i % 2] for i in range(400)]})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    assert len(buffer.getvalue()) < 100_000
    gateway = _gateway({"data/bomb.parquet": buffer.getvalue()})
    with pytest.raises(CommandError, match="more than 1000000 bytes of data once decoded"):
        _build(gateway, "data/bomb.parquet", max_bytes=1_000_000)


def test_a_hub_sample_stops_at_the_byte_cap() -> None:
    served: list[int] = []

    def huge_rows(source: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        assert kwargs.get("streaming") is True
        for i in itertools.count():
            served.append(i)
            yield {"text": f"ticket {i} " + "x" * 2000, "label": "ab"[i % 2]}

    project = _build(_gateway({}), "owner/huge", max_bytes=200_000, loader=huge_rows)
    assert len(served) < 110  # ~2 KB a row: the sample stopped near 100 rows, not at the 50,000-row cap
    assert b"owner/huge" in project.files["intern.yaml"]
