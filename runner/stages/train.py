"""The training stage: run the project's train.py in full, stream its epochs, check what it wrote."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from runner.adapters.subprocess_run import run_script
from runner.config import load_config
from runner.errors import StageFailedError
from runner.render.figures import pyplot, save_figure
from runner.render.progress_display import Reporter, SilentReporter
from runner.render.progress_eta import is_progress_line
from runner.schemas import REPORTS_DIR, VALIDATION_SCORES, EpochRecord, TrainSummary, read_epochs, read_report
from runner.selfheal.diagnose import classify_failure
from runner.stages.smoke import check_project

TRAIN_TIME_LIMIT_S = 6 * 3600
EPOCHS_PNG = "epochs.png"
PROGRESS_LINES = ("epoch ", "model: ", "data: ", "encoder: ", "candidate ", "fine-tune: ", "winner: ")


def run_training(
    project_dir: Path, *, env: Mapping[str, str], reporter: Reporter | None = None, python: str = sys.executable
) -> TrainSummary:
    """Train with `python train.py --config intern.yaml` in the environment `env`; a failure raises
    StageFailedError with the diagnosis."""
    project_dir = project_dir.resolve()
    check_project(project_dir)
    config = load_config(project_dir)
    reporter = reporter or SilentReporter()
    summary_path = project_dir / REPORTS_DIR / "train.json"
    summary_path.unlink(missing_ok=True)  # a stale summary must never pass for this run's
    (project_dir / VALIDATION_SCORES).unlink(missing_ok=True)  # nor stale validation scores
    log_path = project_dir / REPORTS_DIR / "train.log"
    with reporter.stage("train", f"candidates on {config.model.name}") as ctx:
        result = run_script(
            ["train.py", "--config", "intern.yaml"],
            cwd=project_dir,
            log_path=log_path,
            time_limit_s=TRAIN_TIME_LIMIT_S,
            on_line=lambda line: (
                ctx.update(line)
                if line.startswith(
                    ("epoch ", "model: ", "data: ", "encoder: ", "candidate ", "fine-tune: ", "winner: ")
                )
                or is_progress_line(line)
                else None
            ),
            python=python,
            env=env,
        )
        if result.returncode != 0:
            diagnosis = classify_failure(result.log_tail)
            raise StageFailedError(
                f"train.py failed ({diagnosis.error_class}): {diagnosis.summary} "
                f"{diagnosis.suggested_fix or ''} Full log: {log_path}".strip(),
                report_path=str(log_path),
            )
    model_dir = project_dir / "model"
    if not summary_path.is_file() or not (
        (model_dir / "intern.json").is_file() or (model_dir / "config.json").is_file()
    ):
        raise StageFailedError(f"train.py exited 0 but wrote no model/ or {summary_path}: see {log_path}")
    epochs = read_epochs(project_dir / REPORTS_DIR / "train.jsonl")
    if epochs:
        plot_epochs(epochs, project_dir / REPORTS_DIR / EPOCHS_PNG)
    return read_report(summary_path, TrainSummary)


def plot_epochs(epochs: list[EpochRecord], path: Path) -> Path:
    """Validation macro F1 and the two losses per fine-tuning epoch, as a PNG."""
    plt = pyplot()

    x = [e.epoch for e in epochs]
    fig, left = plt.subplots(figsize=(6, 3.8))
    left.plot(x, [e.macro_f1 for e in epochs], marker="o", color="tab:blue", label="validation macro F1")
    left.set_xlabel("epoch")
    left.set_ylabel("validation macro F1")
    right = left.twinx()
    right.plot(
        x,
        [float("nan") if e.train_loss is None else e.train_loss for e in epochs],
        linestyle="--",
        color="tab:orange",
        label="train loss",
    )
    right.plot(
        x,
        [float("nan") if e.eval_loss is None else e.eval_loss for e in epochs],
        linestyle=":",
        color="tab:red",
        label="validation loss",
    )
    right.set_ylabel("loss")
    lines = left.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    left.legend(lines, [str(line.get_label()) for line in lines], loc="center right", fontsize=8)
    left.set_title("Fine-tuning per epoch")
    fig.tight_layout()
    return save_figure(fig, path)
