"""The multi-label model card (model/README.md): model-index with macro, micro and samples F1, per-label results with
thresholds, candidates, stress results, limitations from the measured figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runner.config import load_config
from runner.errors import ProjectError
from runner.render.markdown import cell
from runner.schemas import (
    REPORTS_DIR,
    EvalReport,
    InspectReport,
    StressReport,
    TrainSummary,
    read_report,
    write_text_atomic,
)
from runner.stages.card import dataset_label, hub_licence_id, hub_model_id

TASK = "multi-label-classification"


def _optional(path: Path, model: type[Any]) -> Any:
    return read_report(path, model) if path.is_file() else None


def card_data(config: Any, evaluate: EvalReport | None, model_name: str) -> Any:
    from huggingface_hub import EvalResult, ModelCardData

    dataset_id = config.data.source if config.data.format == "hub" else None
    results = []
    if evaluate is not None:
        common: dict[str, Any] = {
            "task_type": "text-classification",
            "task_name": "Multi-label Text Classification",
            "dataset_type": dataset_id or "custom",
            "dataset_name": dataset_label(config),
            "dataset_split": "test",
        }
        figures: list[tuple[str, str, str | None, float | None]] = [
            ("f1", "Macro F1", "macro", evaluate.macro_f1),
            ("f1", "Micro F1", "micro", evaluate.micro_f1),
        ]
        if evaluate.multi_label is not None:
            figures += [
                ("f1", "Samples F1", "samples", evaluate.multi_label.samples_f1),
                ("accuracy", "Subset accuracy", None, evaluate.multi_label.subset_accuracy),
                ("hamming_loss", "Hamming loss", None, evaluate.multi_label.hamming_loss),
            ]
        for metric, name, average, value in figures:
            if value is not None:
                results.append(
                    EvalResult(
                        **common, metric_type=metric, metric_name=name, metric_value=value, metric_config=average
                    )
                )
    return ModelCardData(
        model_name=model_name,
        base_model=hub_model_id(config.model.name),
        datasets=[dataset_id] if dataset_id else None,
        license=config.hub.license or hub_licence_id(config.data.licence),
        library_name="scikit-learn" if evaluate is None or evaluate.model_kind == "linear" else "transformers",
        pipeline_tag="text-classification",
        tags=["text-classification", "multi-label-classification", "ml-intern"],
        metrics=["f1", "accuracy", "hamming_loss"],
        eval_results=results or None,
    )


def limitations(evaluate: EvalReport | None, stress: StressReport | None, inspect: InspectReport | None) -> list[str]:
    items = []
    if evaluate is not None and evaluate.per_class:
        f1s = {c.f1 for c in evaluate.per_class}
        if len(f1s) > 1:
            worst = sorted(evaluate.per_class, key=lambda c: c.f1)[:3]
            items.append(
                "Weakest labels: "
                + ", ".join(f"`{cell(c.label)}` (F1 {c.f1:.2f}, {c.support} test texts)" for c in worst)
                + "."
            )
        shared = [c.label for c in evaluate.per_class if c.threshold_source == "shared"]
        if shared:
            items.append(
                f"{len(shared)} labels had too few validation examples for a threshold of their own and share "
                "one: expect their precision and recall to be less balanced."
            )
    if inspect is not None and inspect.multi_label is not None and inspect.multi_label.rare_labels:
        items.append(
            f"{len(inspect.multi_label.rare_labels)} labels have fewer than 10 examples in the data: their "
            "test figures rest on a handful of texts."
        )
    if stress is not None:
        items += [f"{cell(f.summary)}." for f in stress.families if f.wrong > 0.1]
    return items or ["No weakness stood out in the measured results; the test split is small evidence."]


def render_card(project_dir: Path, repo_id: str | None) -> str:
    from huggingface_hub import ModelCard

    config = load_config(project_dir)
    reports = project_dir / REPORTS_DIR
    inspect = _optional(reports / "inspect.json", InspectReport)
    summary = _optional(reports / "train.json", TrainSummary)
    evaluate = _optional(reports / "eval.json", EvalReport)
    stress = _optional(reports / "stress.json", StressReport)
    name = repo_id or config.hub.repo_id or f"{config.data.label_column}-multi-label-classifier"
    data = card_data(config, evaluate, name.split("/")[-1])
    lines = [
        f"# {cell(name)}",
        "",
        f"Multi-label text classifier: gives each text every label that applies ({len(config.labels)} labels), "
        "or none. Trained by [ML Intern](https://github.com/) from `intern.yaml`.",
        "",
        f"Data: `{cell(dataset_label(config))}`"
        + (f", licence {cell(config.data.licence)}" if config.data.licence else "")
        + (f"; {cell(config.data.attribution)}" if config.data.attribution else "")
        + ".",
        "",
    ]
    if summary is not None:
        lines += [
            "## Candidates (chosen on validation macro F1)",
            "",
            "| candidate | status | validation macro F1 | test macro F1 | test micro F1 |",
            "|---|---|---:|---:|---:|",
        ]
        for c in summary.candidates:

            def f(v: float | None) -> str:
                return "-" if v is None else f"{v:.4f}"

            mark = " (delivered)" if c.winner else ""
            lines.append(
                f"| {cell(c.name)}{mark} | {c.status} | {f(c.validation_macro_f1)} | {f(c.test_macro_f1)} | "
                f"{f(c.test_micro_f1)} |"
            )
        lines += ["", f"Winner: {cell(summary.winner_reason)}.", ""]
    if evaluate is not None:
        lines += [
            "## Results on the test split",
            "",
            "| label | precision | recall | F1 | support | threshold |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for c in evaluate.per_class:
            lines.append(
                f"| {cell(c.label)} | {c.precision:.4f} | {c.recall:.4f} | {c.f1:.4f} | {c.support} | "
                f"{c.threshold if c.threshold is not None else 0:.4f} |"
            )
        lines += [
            "",
            f"Macro F1 {evaluate.macro_f1:.4f}, micro F1 {evaluate.micro_f1 or 0:.4f}"
            + (
                f", samples F1 {evaluate.multi_label.samples_f1:.4f}, subset accuracy "
                f"{evaluate.multi_label.subset_accuracy:.4f}"
                if evaluate.multi_label
                else ""
            )
            + ".",
            "",
        ]
    if stress is not None:
        lines += ["## Stress tests", "", "| family | right | no label | wrong |", "|---|---:|---:|---:|"]
        lines += [f"| {f.family} | {f.right:.0%} | {f.abstained:.0%} | {f.wrong:.0%} |" for f in stress.families]
        lines.append("")
    lines += ["## Limitations", ""] + [f"- {item}" for item in limitations(evaluate, stress, inspect)] + [""]
    lines += [
        "## Use",
        "",
        "```bash",
        'intern predict ./model "your text here"   # labels over their thresholds',
        'intern predict ./model --json "your text"  # every label\'s score',
        "```",
        "",
    ]
    content = "---\n" + data.to_yaml() + "\n---\n\n" + "\n".join(lines)
    return str(ModelCard(content))


def write_multilabel_card(project_dir: Path, repo_id: str | None) -> Path:
    model_dir = project_dir / "model"
    if not model_dir.is_dir():
        raise ProjectError(f"{model_dir} not found: run `intern train {project_dir}` before `intern card`")
    return write_text_atomic(model_dir / "README.md", render_card(project_dir, repo_id))
