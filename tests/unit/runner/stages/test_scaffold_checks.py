"""What `intern scaffold` says loudly on stderr: a placeholder commit, data outside the project."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from runner.cli import main
from runner.stages.scaffold_checks import outside_project, scaffold_warnings
from runner.workflow_options import WorkflowOptions
from tests.fakes.datasets import make_rows, write_rows

SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("source", "fmt", "outside"),
    [
        ("data/tickets.csv", "csv", False),
        ("tickets.csv", "csv", False),
        ("../tickets.csv", "csv", True),
        ("/abs/tickets.csv", "csv", True),
        ("owner/dataset", "hub", False),
    ],
)
def test_outside_project(source: str, fmt: str, outside: bool) -> None:
    assert outside_project(source, fmt) is outside


def test_warnings_table() -> None:
    assert scaffold_warnings([("d.csv", "csv")], WorkflowOptions(actions_ref=SHA), wrote_workflow=True) == []
    placeholder = scaffold_warnings([("d.csv", "csv")], WorkflowOptions(), wrote_workflow=True)
    assert len(placeholder) == 1 and "INTERN_ACTIONS_REF" in placeholder[0]
    assert scaffold_warnings([("d.csv", "csv")], WorkflowOptions(), wrote_workflow=False) == []
    outside = scaffold_warnings([("../d.csv", "csv")], WorkflowOptions(actions_ref=SHA), wrote_workflow=True)
    assert len(outside) == 1 and "outside the project folder" in outside[0]
    absolute = scaffold_warnings([("/srv/d.csv", "csv")], WorkflowOptions(actions_ref=SHA), wrote_workflow=True)
    assert len(absolute) == 1 and "absolute path" in absolute[0]


def test_scaffold_by_hand_warns_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rows, _ = make_rows(6)
    data = write_rows(tmp_path / "elsewhere" / "d.csv", rows)
    monkeypatch.delenv("INTERN_ACTIONS_REF", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("CI", "1")
    monkeypatch.setattr(
        sys, "argv", ["intern", "scaffold", str(data), "--out", str(tmp_path / "p"), "--model", "scratch:tiny"]
    )
    with pytest.raises(SystemExit) as caught:
        main()
    assert caught.value.code == 0
    captured = capsys.readouterr()
    warnings = [line for line in captured.err.splitlines() if line.startswith("WARNING: ")]
    assert len(warnings) == 2, captured.err
    assert "placeholder commit" in warnings[0] and "outside the project" in warnings[1]
    assert "WARNING" not in captured.out
