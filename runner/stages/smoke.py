"""Smoke test (docs/self-debugging.md): the real train.py, a few steps on a tiny stratified sample, with a time limit.

A failure is not an exception here: it is a SmokeReport with `ok=False`, the error class from the
diagnosis catalogue and the log tail, so the bot and the self-debugging loop can act on it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runner.adapters.subprocess_run import run_script
from runner.config import load_config
from runner.data.portable import load_splits
from runner.errors import ProjectError
from runner.flavours import project_runs
from runner.render.progress_display import Reporter, SilentReporter
from runner.schemas import REPORTS_DIR, SmokeReport, write_report
from runner.selfheal.diagnose import classify_failure

SMOKE_MARKER = "INTERN_SMOKE "


def check_project(project_dir: Path) -> None:
    for name in ("intern.yaml", "train.py"):
        if not (project_dir / name).is_file():
            raise ProjectError(f"{project_dir / name} not found: run `intern scaffold DATA --out {project_dir}` first")


def parse_smoke_line(lines: list[str]) -> dict[str, Any] | None:
    """The metrics train.py prints on its `INTERN_SMOKE {json}` line, or None when it never got there."""
    for line in reversed(lines):
        if line.startswith(SMOKE_MARKER):
            try:
                parsed = json.loads(line[len(SMOKE_MARKER) :])
            except json.JSONDecodeError:
                return None
            return parsed if isinstance(parsed, dict) else None
    return None


def full_train_rows(project_dir: Path) -> int:
    """Rows the full run will train on (0 when the data cannot be read: the smoke log then says why)."""
    config = load_config(project_dir)
    try:
        return len(load_splits(config.model_dump(mode="json"), str(project_dir))["train"][0])
    except Exception:  # the smoke run reports data problems with their real traceback
        return 0


def run_smoke(
    project_dir: Path, *, env: Mapping[str, str], reporter: Reporter | None = None, python: str = sys.executable
) -> SmokeReport:
    """Run the smoke test with the environment `env` and write reports/smoke.json (also on failure)."""
    project_dir = project_dir.resolve()
    check_project(project_dir)
    config = load_config(project_dir)
    reporter = reporter or SilentReporter()
    with reporter.stage(
        "smoke test", f"{config.smoke.max_steps} steps, {config.smoke.rows_per_class} rows/class"
    ) as ctx:
        result = run_script(
            ["train.py", "--config", "intern.yaml", "--smoke"],
            cwd=project_dir,
            log_path=project_dir / REPORTS_DIR / "smoke.log",
            time_limit_s=config.smoke.time_limit_s,
            on_line=lambda line: ctx.update(line) if line.startswith(("data:", "model:")) else None,
            python=python,
            env=env,
        )
    metrics = parse_smoke_line(result.lines)
    if result.returncode == 0 and metrics is not None:
        rate = float(metrics["examples_per_s"])
        # The task's train.py says how many rows the full run trains on when it knows (it read the data its way).
        rows = int(metrics.get("train_rows_full") or 0) or full_train_rows(project_dir)
        report = SmokeReport(
            ok=True,
            seconds=result.seconds,
            steps=int(metrics["steps"]),
            examples=int(metrics["examples"]),
            examples_per_s=rate,
            train_rows_full=rows,
            epochs=config.training.epochs,
            projections=project_runs(rate, os.cpu_count() or 1, rows, config.training.epochs),
            log_tail=result.log_tail,
        )
    else:
        log = result.log_tail if result.returncode != 0 else result.log_tail + "\nINTERN_SMOKE line missing"
        diagnosis = classify_failure(log)
        report = SmokeReport(
            ok=False,
            error_class=diagnosis.error_class,
            diagnosis=diagnosis.summary,
            suggested_fix=diagnosis.suggested_fix,
            seconds=result.seconds,
            log_tail=log,
        )
    write_report(project_dir / REPORTS_DIR / "smoke.json", report)
    return report
