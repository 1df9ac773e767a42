"""A Hub dataset that cannot be had fails at once with what to do, instead of after `datasets`' retries."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from huggingface_hub import constants

from runner.data.hub_check import hub_dataset_unavailable
from runner.data.load import load_table
from runner.errors import DataError


def test_offline_and_not_cached_fails_fast(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    started = time.monotonic()
    with pytest.raises(DataError, match="HF_HUB_OFFLINE is set: pass a local file"):
        load_table("owner/tickets")
    assert time.monotonic() - started < 2


def test_a_cached_dataset_may_load_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    (tmp_path / "datasets--owner--tickets" / "snapshots" / "abc").mkdir(parents=True)
    assert hub_dataset_unavailable("owner/tickets") is None


def test_an_unreachable_hub_fails_fast(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")  # discard port: nothing listens
    problem = hub_dataset_unavailable("owner/tickets")
    assert problem is not None and "does not answer" in problem and "HF_HUB_OFFLINE=1" in problem
