from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.compute.local import StageFailed, checkout, run_stage, safe_relative, subprocess_env
from bot.errors import ComputeError
from tests.unit.bot.fake_gateway import FakeGateway


@pytest.mark.parametrize("path", ["/etc/passwd", "../x", "a/../../b", ""])
def test_paths_must_stay_inside_the_checkout(path: str) -> None:
    with pytest.raises(ComputeError):
        safe_relative(path)


def test_checkout_writes_the_files(tmp_path: Path) -> None:
    gateway = FakeGateway()
    gateway.add_repo("o/r", {"intern.yaml": b"a: 1\n", "data/t.csv": b"text,label\n"})
    checkout(gateway, "o/r", "main", ["intern.yaml", "data/t.csv"], tmp_path / "p")
    assert (tmp_path / "p/data/t.csv").read_bytes() == b"text,label\n"
    with pytest.raises(ComputeError, match="missing"):
        checkout(gateway, "o/r", "main", ["gone.py"], tmp_path / "q")


def test_subprocess_env_drops_the_bot_secrets(tmp_path: Path) -> None:
    parent = {"INTERN_WEBHOOK_SECRET": "s3cr3t-value-0123456789", "HF_TOKEN": "hf_parent_token", "LANG": "C.UTF-8"}
    env = subprocess_env(parent, tmp_path, {"HF_ENDPOINT": "http://127.0.0.1:1"})
    assert "INTERN_WEBHOOK_SECRET" not in env and "HF_TOKEN" not in env
    assert env["HF_ENDPOINT"] == "http://127.0.0.1:1" and env["LANG"] == "C.UTF-8" and env["HOME"] == str(tmp_path)


def test_a_failing_stage_reports_its_log_tail(tmp_path: Path) -> None:
    (tmp_path / "intern.yaml").write_text("not: [valid\n", encoding="utf-8")
    with pytest.raises(StageFailed) as info:
        run_stage("train", tmp_path, timeout_s=120, env=subprocess_env(os.environ, tmp_path))
    assert info.value.stage == "train" and info.value.log_tail
