"""The summary `intern run --json` prints: where things are, the stages' status, the winner and its scores
(pure over the project's report files; a report a failed run did not write is null)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runner.schemas import REPORTS_DIR, EvalReport, RunStatus, StressReport, TrainSummary, read_report


def _optional(path: Path, model: type[Any]) -> Any:
    return read_report(path, model) if path.is_file() else None


def run_summary(project: Path) -> dict[str, Any]:
    reports = project / REPORTS_DIR
    status: RunStatus | None = _optional(reports / "run.json", RunStatus)
    train: TrainSummary | None = _optional(reports / "train.json", TrainSummary)
    evaluation: EvalReport | None = _optional(reports / "eval.json", EvalReport)
    stress: StressReport | None = _optional(reports / "stress.json", StressReport)
    return {
        "project": str(project),
        "model_dir": str(project / "model"),
        "report": str(reports / "report.md"),
        "complete": bool(status and status.complete),
        "stages": {name: stage.state for name, stage in status.stages.items()} if status else {},
        "winner": train.winner if train else None,
        "winner_reason": train.winner_reason if train else None,
        "validation_macro_f1": train.best_macro_f1 if train else None,
        "test": (
            {"accuracy": evaluation.accuracy, "macro_f1": evaluation.macro_f1, "rows": evaluation.rows}
            if evaluation
            else None
        ),
        "stress": {family.family: {"metric": family.metric, "score": family.score} for family in stress.families}
        if stress
        else None,
    }
