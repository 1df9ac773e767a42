"""The model card (model/README.md) and the Gradio Space files, rendered from the run's reports.

`render_model_card` is pure: config and reports in, card text out, through `huggingface_hub.ModelCard` /
`ModelCardData` so the front matter carries a valid `model-index`. Its limitations section is derived from
the evaluation and stress results (`derive_limitations`). `write_card` reads a project directory and writes
the card atomically; `render_space_files` returns the Space's README.md, app.py (rendered by the project's task,
which the caller gives: a stage never asks the task registry) and requirements.txt.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment

from runner.config import InternConfig, load_config
from runner.errors import ProjectError
from runner.models.inference import read_model_info, read_threshold
from runner.models.portable_safe_load import SKOPS_ALLOWED_TYPES
from runner.render.markdown import MARKDOWN_FILTERS, duration, escape_md, format_threshold, inline_code, table
from runner.render.reports import abstention_md, candidates_table, remedies_md
from runner.render.templating import template_environment
from runner.schemas import (
    MODEL_DIR,
    REPORTS_DIR,
    EvalReport,
    InspectReport,
    StressReport,
    TrainSummary,
    read_report,
    write_text_atomic,
)

CARD_FILENAME = "README.md"
CONFUSION_IMAGE = "confusion_matrix.png"
DEFAULT_GRADIO_VERSION = "6.31.0"
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.\-]*(/[\w.\-]+)?")

AppRenderer = Callable[[str, str, str, list[str]], str]
"""A task's Gradio demo, `Task.render_app`: (model_ref, title, description, examples) -> app.py."""


def _environment() -> Environment:
    return template_environment(filters=MARKDOWN_FILTERS)


HUB_LICENCE_IDS = {
    "community data license agreement – sharing – version 1.0": "cdla-sharing-1.0",
    "community data license agreement - sharing - version 1.0": "cdla-sharing-1.0",
    "cdla-sharing-1.0": "cdla-sharing-1.0",
    "cdla-permissive-2.0": "cdla-permissive-2.0",
    "apache-2.0": "apache-2.0",
    "mit": "mit",
    "cc-by-4.0": "cc-by-4.0",
    "cc-by-sa-4.0": "cc-by-sa-4.0",
    "cc-by-nc-4.0": "cc-by-nc-4.0",
    "cc0-1.0": "cc0-1.0",
}


def hub_licence_id(licence: str | None) -> str | None:
    """The Hub's licence identifier for a dataset licence name, when we know it (else None: no guess)."""
    if not licence:
        return None
    return HUB_LICENCE_IDS.get(licence.strip().lower())


def dataset_label(config: InternConfig) -> str:
    """The dataset as a reader knows it: the Hub id, or the local file's name (not a machine-specific path)."""
    return config.data.source if config.data.format == "hub" else Path(config.data.source).name


def hub_model_id(name: str) -> str | None:
    """`name` when it looks like a Hub model id (not scratch:..., not a local path), else None."""
    if name.startswith(("scratch:", ".", "/", "~")) or not _HUB_ID.fullmatch(name):
        return None
    return name


def derive_limitations(
    config: InternConfig,
    inspect: InspectReport | None,
    evaluate: EvalReport | None,
    stress: StressReport | None,
) -> list[str]:
    """Limitations and risks stated from the measured results, worst first where it matters."""
    items: list[str] = []
    if evaluate is not None and evaluate.per_class:
        worst = min(evaluate.per_class, key=lambda c: c.f1)
        if any(c.f1 != worst.f1 for c in evaluate.per_class):  # a weakest class only when the classes differ
            items.append(
                f"Weakest class: {inline_code(worst.label)} (F1 {worst.f1:.2f}, precision {worst.precision:.2f}, "
                f"recall {worst.recall:.2f} on {worst.support} test rows); expect most of the errors there."
            )
        small = [c.label for c in evaluate.per_class if c.support < 20]
        if small:
            items.append(
                f"Fewer than 20 test rows for {escape_md(', '.join(small))}: their per-class scores are noisy."
            )
        if evaluate.baseline is not None and evaluate.baseline.macro_f1 >= evaluate.macro_f1 - 0.01:
            items.append(
                f"A {escape_md(evaluate.baseline.name)} baseline reaches macro F1 "
                f"{evaluate.baseline.macro_f1:.3f} against "
                f"{evaluate.macro_f1:.3f} here: the transformer adds little over a bag-of-words model "
                "on this data."
            )
        if evaluate.leakage.fraction > 0:
            items.append(
                f"{100 * evaluate.leakage.fraction:.1f}% of test rows have a near-duplicate in "
                "training, which "
                "inflates the test scores somewhat."
            )
    elif evaluate is None:
        items.append("No test evaluation was run: the quality of this model is unmeasured.")
    if stress is None:
        items.append("Stress tests were not run: robustness to negation, typos and unrelated inputs is unmeasured.")
    else:
        items += stress_limitations(stress)
    if inspect is not None:
        if inspect.imbalance_ratio >= 3:
            items.append(
                f"The classes are imbalanced (largest / smallest = {inspect.imbalance_ratio:.1f}): "
                "rare classes are "
                "recalled less often."
            )
        if inspect.conflicting_groups > 0:
            items.append(
                f"{inspect.conflicting_groups} texts appear with more than one label in the data: some label noise."
            )
    items.append(
        f"Trained on one dataset ({escape_md(dataset_label(config))}); texts from another domain, channel or "
        "language may be "
        "labelled with unwarranted confidence. Keep a human in the loop for decisions that matter."
    )
    return items


def stress_limitations(stress: StressReport) -> list[str]:
    """One sentence per stress family, each from its right / wrong / abstained shares (a refusal is not an error)."""
    items = []
    for family in stress.families:
        summary = family.summary or f"{family.family}: {family.right:.0%} right"
        if family.family == "unknown":
            cut = format_threshold(stress.threshold)
            if family.right < 0.8:
                verdict = "it often gives a confident label to text that belongs to no class"
            elif family.wrong > 0:
                verdict = f"at a threshold of {cut}, the rest still get a label"
            else:
                verdict = f"at a threshold of {cut}, none of them got a label"
        elif family.family == "ambiguity":
            verdict = "a text that mentions two classes gets one label only (either counts as right)"
        elif family.wrong >= 0.1:
            verdict = {
                "negation": "the label may follow the keywords rather than the intent",
                "typos": "character noise leads to wrong labels",
            }[family.family]
        elif family.abstained >= 0.1:
            verdict = "the model mostly abstains rather than answering wrong"
        else:
            verdict = "robust"
        items.append(f"Stress test {summary} (n={family.n}): {verdict}.")
    return items


def build_card_data(
    config: InternConfig, evaluate: EvalReport | None, model_name: str, library: str = "transformers"
) -> Any:
    from huggingface_hub import EvalResult, ModelCardData

    dataset_id = config.data.source if config.data.format == "hub" else None
    dataset_name = dataset_id or Path(config.data.source).name
    results = []
    if evaluate is not None:
        common: dict[str, Any] = {
            "task_type": "text-classification",
            "task_name": "Text Classification",
            "dataset_type": dataset_id or "custom",
            "dataset_name": dataset_name,
            "dataset_split": "test",
        }
        results = [
            EvalResult(**common, metric_type="accuracy", metric_name="Accuracy", metric_value=evaluate.accuracy),
            EvalResult(
                **common,
                metric_type="f1",
                metric_name="Macro F1",
                metric_config="macro",
                metric_value=evaluate.macro_f1,
            ),
        ]
    return ModelCardData(
        model_name=model_name,
        base_model=hub_model_id(config.model.name),
        datasets=[dataset_id] if dataset_id else None,
        license=config.hub.license or hub_licence_id(config.data.licence),
        library_name=library,
        pipeline_tag="text-classification",
        tags=["text-classification", "ml-intern", *(["skops"] if library == "sklearn" else [])],
        metrics=["accuracy", "f1"],
        eval_results=results or None,
    )


def model_summary(config: InternConfig, base_text: str, winner: str | None, features: list[str]) -> str:
    """The card's first sentence: what kind of model was delivered, from what."""
    data = escape_md(dataset_label(config))
    if winner == "tfidf":
        return (
            f"A TF-IDF + linear SVM text classifier for {len(config.labels)} labels on {data}, chosen by ML Intern "
            f"over a sentence encoder ({base_text}) because it was the best candidate on validation."
        )
    if winner in {"encoder", "encoder+tfidf"}:
        joined = " joined with TF-IDF features" if "tfidf" in features else ""
        return (
            f"A text classifier for {len(config.labels)} labels on {data}: a linear SVM over frozen sentence "
            f"embeddings of {base_text}{joined}, chosen by ML Intern as the best candidate on validation."
        )
    if config.model.is_scratch:
        return f"A small BERT trained from scratch ({inline_code(config.model.name)}) on {data} by ML Intern."
    return f"A text classifier for {len(config.labels)} labels, fine-tuned from {base_text} on {data} by ML Intern."


def render_model_card(
    config: InternConfig,
    inspect: InspectReport | None,
    train: TrainSummary | None,
    evaluate: EvalReport | None,
    stress: StressReport | None,
    repo_id: str | None,
    *,
    threshold: float | None = None,
    confusion_image: str | None = None,
    model_dir: Path | None = None,
) -> str:
    """The full model card text; reports that were not run are None and the card says so."""
    from huggingface_hub import ModelCard

    model_name = (repo_id or config.hub.repo_id or "text-classifier").split("/")[-1]
    base = hub_model_id(config.model.name)
    base_text = f"[{base}](https://huggingface.co/{base})" if base else inline_code(config.model.name)
    if threshold is None and stress is not None:
        threshold = stress.threshold
    results_table = confusion_table = ""
    if evaluate is not None:
        header = ["metric", model_name] + ([f"baseline ({evaluate.baseline.name})"] if evaluate.baseline else [])
        rows = [
            ["accuracy", f"{evaluate.accuracy:.4f}"]
            + ([f"{evaluate.baseline.accuracy:.4f}"] if evaluate.baseline else []),
            ["macro F1", f"{evaluate.macro_f1:.4f}"]
            + ([f"{evaluate.baseline.macro_f1:.4f}"] if evaluate.baseline else []),
            ["weighted F1", f"{evaluate.weighted_f1:.4f}"] + (["-"] if evaluate.baseline else []),
        ]
        results_table = table(header, rows)
        matrix = evaluate.confusion
        if matrix is not None:
            confusion_table = table(
                ["true / predicted", *matrix.labels],
                [[label, *(str(v) for v in row)] for label, row in zip(matrix.labels, matrix.matrix, strict=False)],
            )
    info = read_model_info(model_dir) if model_dir is not None else {}
    kind, features = str(info.get("kind", "transformer")), [str(f) for f in info.get("features", [])]
    summary = model_summary(config, base_text, train.winner if train else None, features)
    # A linear winner is scikit-learn estimators saved with skops (plus, for embeddings, a sentence-transformers
    # encoder in encoder/): no library loads the folder as a whole, the card's snippet does.
    library = "transformers" if kind == "transformer" else "sklearn"
    card_data = build_card_data(config, evaluate, model_name, library)
    limitations = derive_limitations(config, inspect, evaluate, stress)
    text = (
        _environment()
        .get_template("model_card.md.j2")
        .render(
            card_data=card_data.to_yaml(),
            model_name=model_name,
            model_ref=repo_id or "path/to/model",
            summary=summary,
            objective=config.objective,
            labels=config.labels,
            inspect=inspect,
            train=train,
            evaluate=evaluate,
            stress=stress,
            results_table=results_table,
            confusion_table=confusion_table,
            confusion_image=confusion_image,
            limitations=limitations,
            weakest_named=any(item.startswith("Weakest class") for item in limitations),
            threshold=threshold,
            abstain_label=info.get("abstain_label"),
            allowed_types=sorted(SKOPS_ALLOWED_TYPES),
            kind=kind,
            features=" + ".join(features) or "none",
            candidates_table=candidates_table(train.candidates) if train else "",
            remedies_text=remedies_md(train.remedies) if train else "",
            abstention_text=abstention_md(evaluate.abstention) if evaluate else "",
            usage_example=" ".join(f"Example text about {config.labels[0]}".split())
            .replace('"', "'")
            .replace("`", "'"),
            base_model_text=base_text,
            duration=duration(train.seconds) if train else "",
            hyperparameters=sorted((train.hyperparameters if train else {}).items()),
            data_source=dataset_label(config),
            data_licence=config.data.licence or "not stated: check the dataset's terms before redistributing",
            data_attribution=config.data.attribution or "not stated",
            split_seed=config.split.seed,
        )
    )
    return str(ModelCard(re.sub(r"\n{3,}", "\n\n", text)))


def usage_example(label: str) -> str:
    """A sample input for the card's code snippet: one line, no quote or backtick that could end the string or
    the fenced block (the label is untrusted)."""
    return " ".join(f"Example text about {label}".split()).replace('"', "'").replace("`", "'")


def _optional_report(path: Path, model: type[Any]) -> Any:
    return read_report(path, model) if path.is_file() else None


def write_card(project_dir: Path, repo_id: str | None = None) -> Path:
    """Render the card from `project_dir`'s reports and write model/README.md atomically."""
    config = load_config(project_dir)
    model_dir = project_dir / MODEL_DIR
    if not model_dir.is_dir():
        raise ProjectError(f"{model_dir} not found: run `intern train {project_dir}` before `intern card`")
    reports = project_dir / REPORTS_DIR
    has_image = (reports / CONFUSION_IMAGE).is_file() or (model_dir / CONFUSION_IMAGE).is_file()
    text = render_model_card(
        config,
        _optional_report(reports / "inspect.json", InspectReport),
        _optional_report(reports / "train.json", TrainSummary),
        _optional_report(reports / "eval.json", EvalReport),
        _optional_report(reports / "stress.json", StressReport),
        repo_id or config.hub.repo_id,
        threshold=read_threshold(model_dir),
        confusion_image=CONFUSION_IMAGE if has_image else None,
        model_dir=model_dir,
    )
    return write_text_atomic(model_dir / CARD_FILENAME, text)


def gradio_sdk_version() -> str:
    """The installed gradio version when it is a 6.x, else the version this project was tested with."""
    try:
        version = metadata.version("gradio")
    except metadata.PackageNotFoundError:
        return DEFAULT_GRADIO_VERSION
    return version if version.split(".")[0] == "6" else DEFAULT_GRADIO_VERSION


def render_space_readme(title: str, model_repo_id: str, licence: str | None, description: str) -> str:
    from huggingface_hub import SpaceCardData

    data = SpaceCardData(
        title=title,
        sdk="gradio",
        sdk_version=gradio_sdk_version(),
        app_file="app.py",
        python_version="3.11",
        license=licence,
        models=[model_repo_id],
        emoji="🏷️",
        colorFrom="blue",
        colorTo="green",
        pinned=False,
        short_description=description[:60],
    )
    return (
        _environment()
        .get_template("space_readme.md.j2")
        .render(front_matter=data.to_yaml(), title=title, model_repo_id=model_repo_id, description=description)
    )


def render_space_files(
    project_dir: Path, model_repo_id: str, space_id: str, render_app: AppRenderer
) -> dict[str, bytes]:
    """README.md (Gradio front matter), app.py loading `model_repo_id` (from the project's task: `render_app`),
    requirements.txt (gradio left out)."""
    from runner.stages.scaffold import render_requirements

    config = load_config(project_dir)
    title = space_id.split("/")[-1]
    description = f"{config.task}, {len(config.labels)} labels: {', '.join(config.labels[:8])}" + (
        ", ..." if len(config.labels) > 8 else ""
    )
    # The project's own requirements (its task wrote them: an image task needs pillow, ...), else the default.
    written = project_dir / "requirements.txt"
    base = written.read_text(encoding="utf-8") if written.is_file() else render_requirements()
    requirements = "".join(
        line + "\n"
        for line in base.splitlines()
        if not re.match(r"\s*gradio\b", line)  # the Space installs gradio at sdk_version
    )
    readme = render_space_readme(
        title, model_repo_id, config.hub.license or hub_licence_id(config.data.licence), description
    )
    yaml.safe_load(readme.split("---", 2)[1])  # a template bug must never reach the Hub
    return {
        "README.md": readme.encode(),
        "app.py": render_app(model_repo_id, title, description, []).encode(),
        "requirements.txt": requirements.encode(),
    }
