"""The report models and their atomic reading and writing (runner/schemas.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from runner.errors import ProjectError
from runner.schemas import (
    SCHEMA_VERSION,
    EpochRecord,
    EvalReport,
    InspectReport,
    RunStatus,
    SmokeReport,
    StageStatus,
    StressReport,
    TrainSummary,
    json_schemas,
    read_epochs,
    read_report,
    write_report,
    write_text_atomic,
)
from tests.fakes import sample_reports as sample

REPORT_MODELS = {
    "InspectReport",
    "SmokeReport",
    "EpochRecord",
    "TrainSummary",
    "EvalReport",
    "StressReport",
    "RunStatus",
}


@pytest.mark.parametrize(
    "report",
    [
        sample.inspect_report(),
        sample.train_summary(),
        sample.eval_report(),
        sample.stress_report(),
        SmokeReport(ok=False, error_class="oom", seconds=1.0),
        RunStatus(complete=True, stages={"inspect": StageStatus(state="ok", seconds=1.0)}),
    ],
    ids=lambda report: type(report).__name__,
)
def test_reports_round_trip(tmp_path: Path, report: BaseModel) -> None:
    path = write_report(tmp_path / "reports" / "r.json", report)
    assert read_report(path, type(report)) == report
    assert json.loads(path.read_text(encoding="utf-8"))["schema_version"] == SCHEMA_VERSION
    assert [p.name for p in path.parent.iterdir()] == ["r.json"]


def test_reports_are_frozen_and_strict() -> None:
    report = sample.eval_report()
    with pytest.raises(ValidationError):
        report.rows = 3  # type: ignore[misc]
    data = report.model_dump()
    data["surprise"] = 1
    with pytest.raises(ValidationError, match="surprise"):
        EvalReport.model_validate(data)


def test_read_report_missing(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="not found: run the stage"):
        read_report(tmp_path / "eval.json", EvalReport)


def test_read_report_wrong_shape(tmp_path: Path) -> None:
    path = tmp_path / "eval.json"
    path.write_text('{"rows": "many"}', encoding="utf-8")
    with pytest.raises(ProjectError, match="does not match EvalReport"):
        read_report(path, EvalReport)


def test_write_text_atomic_leaves_the_old_file_on_failure(tmp_path: Path) -> None:
    path = write_text_atomic(tmp_path / "a.txt", "old\n")
    with pytest.raises(TypeError):
        write_text_atomic(path, 123)  # type: ignore[arg-type]
    assert path.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_read_epochs(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    assert read_epochs(path) == []
    record = {"epoch": 1, "train_loss": 0.5, "eval_loss": 0.4, "accuracy": 0.9, "macro_f1": 0.88, "seconds": 3}
    path.write_text(json.dumps(record) + "\n\n" + json.dumps({**record, "epoch": 2}) + "\n", encoding="utf-8")
    assert [r.epoch for r in read_epochs(path)] == [1.0, 2.0]
    assert read_epochs(path)[0] == EpochRecord.model_validate(record)
    path.write_text(json.dumps(record) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(ProjectError, match=r"train.jsonl:2: not an epoch record"):
        read_epochs(path)


def test_json_schemas_cover_every_report() -> None:
    schemas = json_schemas()
    assert set(schemas) == REPORT_MODELS
    for name, schema in schemas.items():
        assert schema["title"] == name
        assert schema["type"] == "object"
    for model in (InspectReport, SmokeReport, TrainSummary, EvalReport, StressReport, RunStatus):
        properties = schemas[model.__name__]["properties"]
        assert isinstance(properties, dict) and "schema_version" in properties
