"""Evaluation of a delivered image model on the test split: accuracy, macro F1, per-class metrics, the confusion
matrix (PNG), a gallery of the most confident mistakes, the leakage check (identical or near-identical images in
train) and the abstain threshold chosen on validation (stored in model/intern.json)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from runner.config import load_config
from runner.models.abstain import coverage_curve
from runner.models.inference import update_model_info
from runner.render.confusion_plot import plot_confusion
from runner.render.figures import pyplot, save_figure
from runner.render.progress_display import Reporter, SilentReporter
from runner.schemas import (
    REPORTS_DIR,
    CoveragePoint,
    EvalReport,
    ImageIssue,
    ImageMistake,
    LeakageCheck,
    TrainSummary,
    read_report,
    write_report,
    write_text_atomic,
)
from runner.stages.evaluate import (
    CONFUSION_PNG,
    COVERAGE_PNG,
    abstention,
    baseline_from_candidates,
    compute_metrics,
)
from runner.tasks.image_classification.inspect_images import NEAR_BITS, ImageFacts, examine
from runner.tasks.image_classification.portable_data import UnreadableImage, load_image_splits, open_image
from runner.tasks.image_classification.portable_model import ImageModel, at_scale, cached_features, predict_proba

MISTAKES_PNG = "mistakes.png"
MAX_MISTAKES = 12
VALIDATION_SCORES = Path(".intern") / "validation_probabilities.npy"


def model_probabilities(
    project_dir: Path, model: ImageModel, references: list[str]
) -> tuple[np.ndarray, dict[int, str]]:
    """Test probabilities: from the features train.py cached when the model is a head over them, else scored now."""
    if model.kind == "linear" and model.backbone is not None:
        folder = project_dir / ".intern" / "features"
        blocks = [
            cached_features(at_scale(model.backbone, size, resize), references, folder, flips=True)
            for size, resize in model.scales
        ]
        probabilities = predict_proba(model.head, np.concatenate([b["plain"] for b in blocks], axis=1), model.labels)
        if model.info.get("tta_flip") and all(b["flip"] is not None for b in blocks):
            flipped = np.concatenate([b["flip"] for b in blocks], axis=1)
            probabilities = (probabilities + predict_proba(model.head, flipped, model.labels)) / 2
        failed = {row: why for b in blocks for row, why in b["failed"].items()}
        for row in failed:
            probabilities[row] = np.nan
        return probabilities, failed
    probabilities, failed = model.predict_references(references)
    return np.asarray(probabilities), failed


def leakage(train: list[str], test: list[str]) -> LeakageCheck:
    """Test images with an identical (same bytes) or near-identical (perceptual hash) image in train."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        train_facts = list(pool.map(examine, [ImageFacts(r, "", "train") for r in train]))
        test_facts = list(pool.map(examine, [ImageFacts(r, "", "test") for r in test]))
    shas = {f.sha1 for f in train_facts if f.sha1}
    hashes = np.array([f.dhash for f in train_facts if f.dhash is not None], dtype=np.uint64)
    leaked = 0
    for fact in test_facts:
        if fact.sha1 and fact.sha1 in shas:
            leaked += 1
        elif fact.dhash is not None and len(hashes):
            distance = np.array([bin(int(v)).count("1") for v in hashes ^ np.uint64(fact.dhash)])
            leaked += int((distance <= NEAR_BITS).any())
    return LeakageCheck(
        test_rows=len(test), with_duplicate_in_train=leaked, fraction=round(leaked / max(1, len(test)), 4)
    )


def plot_mistakes(mistakes: list[tuple[str, str, str, float]], path: Path) -> Path | None:
    """Thumbnails of the most confident mistakes, each titled with its true and predicted label."""
    if not mistakes:
        return None
    plt = pyplot()
    columns = min(4, len(mistakes))
    rows = (len(mistakes) + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(3 * columns, 3.2 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, (reference, true, predicted, confidence) in zip(axes.ravel(), mistakes, strict=False):
        try:
            image = open_image(reference)
            image.thumbnail((256, 256))
            ax.imshow(np.asarray(image))
        except UnreadableImage:
            continue
        ax.set_title(f"true: {true}\npredicted: {predicted} ({confidence:.2f})", fontsize=9)
    fig.suptitle("Most confident mistakes on the test split")
    fig.tight_layout()
    return save_figure(fig, path)


def run_image_evaluation(
    project_dir: Path, reporter: Reporter | None = None, coverage: float | None = None
) -> EvalReport:
    from runner.render.reports import render_eval_md

    project_dir = project_dir.resolve()
    config = load_config(project_dir)
    coverage = coverage if coverage is not None else config.abstain.coverage
    reporter = reporter or SilentReporter()
    reports = project_dir / REPORTS_DIR
    summary = read_report(reports / "train.json", TrainSummary) if (reports / "train.json").is_file() else None
    started = time.perf_counter()
    with reporter.stage("evaluate", "test split") as ctx:
        splits = load_image_splits(config.model_dump(mode="json"), str(project_dir))
        model = ImageModel(project_dir / "model")
        refs, true = splits["test"]
        probabilities, failed = model_probabilities(project_dir, model, refs)
        ok = [i for i in range(len(refs)) if i not in failed]
        ctx.update(f"{len(ok)} test images scored")
        predicted = [model.labels[int(probabilities[i].argmax())] for i in ok]
        kept_true = [true[i] for i in ok]
        accuracy, macro, weighted, per_class, confusion = compute_metrics(kept_true, predicted, config.labels)
        validation = _validation_probabilities(project_dir, model, splits["validation"][0])
        val_refs, val_labels = splits["validation"]
        if len(validation) != len(val_labels):  # train.py dropped unreadable validation images
            kept = json.loads((project_dir / ".intern" / "validation_images.json").read_text("utf-8"))
            index = {r: label for r, label in zip(val_refs, val_labels, strict=True)}
            val_labels = [index[r] for r in kept]
        chosen = abstention(
            config,
            (validation, val_labels),
            (probabilities[ok] if ok else np.zeros((0, len(model.labels))), kept_true),
            model.labels,
            coverage,
        )
        confidence = probabilities[ok].max(axis=1) if ok else np.zeros(0)
        wrong = [
            (refs[i], true[i], model.labels[int(probabilities[i].argmax())], float(confidence[n]))
            for n, i in enumerate(ok)
            if model.labels[int(probabilities[i].argmax())] != true[i]
        ]
        wrong.sort(key=lambda m: -m[3])
        mistakes = wrong[:MAX_MISTAKES]
        check = leakage(splits["train"][0], refs)
        baseline = baseline_from_candidates(summary)
        verdict = ""
        if baseline is not None:
            gap = macro - baseline.macro_f1
            verdict = (
                f"The delivered model is {gap:+.4f} macro F1 over the cheap {baseline.name} baseline."
                if summary is not None and summary.winner != baseline.name
                else "The cheap baseline itself was the best candidate on validation and is delivered."
            )
        report = EvalReport(
            task="image-classification",
            rows=len(ok),
            model_kind=f"{model.kind} ({model.info.get('candidate')})",
            winner=summary.winner if summary else None,
            candidates=summary.candidates if summary else [],
            abstention=chosen,
            accuracy=accuracy,
            macro_f1=macro,
            weighted_f1=weighted,
            per_class=per_class,
            confusion=confusion,
            baseline=baseline,
            baseline_verdict=verdict,
            leakage=check,
            seconds=round(time.perf_counter() - started, 2),
            mistakes=[
                ImageMistake(image=_short(r), true=t, predicted=p, confidence=round(c, 4)) for r, t, p, c in mistakes
            ],
            skipped_images=[
                ImageIssue(image=_short(refs[row]), split="test", reason=why) for row, why in failed.items()
            ],
        )
    update_model_info(project_dir / "model", threshold=chosen.threshold, coverage=coverage, calibrated_on="validation")
    plot_confusion(confusion, reports / CONFUSION_PNG, f"Test confusion matrix (accuracy {accuracy:.4f})")
    plot_mistakes(mistakes, reports / MISTAKES_PNG)
    from runner.models.abstain import plot_coverage_curve

    if chosen.curve:
        point = CoveragePoint(
            threshold=chosen.threshold,
            coverage=chosen.validation_coverage,
            accuracy=chosen.validation_answered_accuracy,
        )
        plot_coverage_curve(chosen.curve, point, reports / COVERAGE_PNG)
    write_report(reports / "eval.json", report)
    write_text_atomic(reports / "eval.md", render_eval_md(report))
    return report


def _validation_probabilities(project_dir: Path, model: ImageModel, references: list[str]) -> np.ndarray:
    path = project_dir / VALIDATION_SCORES
    if path.is_file():
        saved: np.ndarray = np.asarray(np.load(path), dtype=np.float64)
        return saved
    probabilities, failed = model.predict_references(references)
    kept: np.ndarray = np.asarray(probabilities)[[i for i in range(len(references)) if i not in failed]]
    return kept


def _short(reference: str) -> str:
    return reference if reference.startswith("ds:") else "/".join(Path(reference).parts[-3:])


__all__ = ["coverage_curve", "run_image_evaluation"]
