"""Evaluation on the held-out test split: metrics, confusion matrix, baseline, leakage check, and the operating
point where the model abstains, chosen for the data from validation and texts known to be out of scope
(runner/models/abstain.py; the coverage/accuracy curve shows it)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from runner.config import InternConfig, load_config
from runner.data.portable import load_splits
from runner.data.profile import leakage_share
from runner.errors import DataError
from runner.models import baseline
from runner.models.abstain import (
    answered_share,
    choose_operating_point,
    choose_threshold,
    coverage_curve,
    measure,
    out_of_scope_label,
    plot_coverage_curve,
)
from runner.models.inference import Classifier, load_classifier, update_model_info
from runner.render.confusion_plot import plot_confusion
from runner.render.markdown import format_threshold
from runner.render.progress_display import Reporter, SilentReporter
from runner.schemas import (
    REPORTS_DIR,
    VALIDATION_SCORES,
    VALIDATION_SIMILARITY,
    Abstention,
    BaselineResult,
    ClassMetrics,
    ConfusionMatrix,
    CoveragePoint,
    EvalReport,
    LeakageCheck,
    TrainSummary,
    read_report,
    write_report,
    write_text_atomic,
)
from runner.stages.stress_cases import known_out_of_scope as generated_out_of_scope

CONFUSION_PNG = "confusion_matrix.png"
COVERAGE_PNG = "coverage_curve.png"


def compute_metrics(
    true: Sequence[str], predicted: Sequence[str], labels: list[str]
) -> tuple[float, float, float, list[ClassMetrics], ConfusionMatrix]:
    """Accuracy, macro and weighted F1, per-class metrics and the confusion matrix over EVERY class in
    `labels`, so a class absent from the test split or never predicted is reported (with zeros), not dropped."""
    if not true:
        empty = [ClassMetrics(label=label, precision=0.0, recall=0.0, f1=0.0, support=0) for label in labels]
        return 0.0, 0.0, 0.0, empty, ConfusionMatrix(labels=labels, matrix=[])
    accuracy = float(accuracy_score(true, predicted)) if true else 0.0
    macro = float(f1_score(true, predicted, labels=labels, average="macro", zero_division=0))
    weighted = float(f1_score(true, predicted, labels=labels, average="weighted", zero_division=0))
    precision, recall, f1, support = precision_recall_fscore_support(true, predicted, labels=labels, zero_division=0)
    per_class = [
        ClassMetrics(
            label=label,
            precision=round(float(precision[i]), 4),
            recall=round(float(recall[i]), 4),
            f1=round(float(f1[i]), 4),
            support=int(support[i]),
        )
        for i, label in enumerate(labels)
    ]
    matrix = confusion_matrix(true, predicted, labels=labels).tolist() if true else []
    return (
        round(accuracy, 4),
        round(macro, 4),
        round(weighted, 4),
        per_class,
        ConfusionMatrix(labels=labels, matrix=matrix),
    )


def evaluate_predictions(
    config: InternConfig,
    splits: dict[str, tuple[list[str], list[str]]],
    predicted: list[str],
    baseline_result: BaselineResult | None,
    seconds: float,
    winner: str | None = None,
) -> EvalReport:
    """Metrics over the in-scope test rows (label among the classes); rows of any other label are out of scope."""
    test_texts, test_labels = splits["test"]
    known = set(config.labels)
    rows = [i for i, label in enumerate(test_labels) if label in known]
    true = [test_labels[i] for i in rows]
    answers = [predicted[i] for i in rows]
    accuracy, macro, weighted, per_class, confusion = compute_metrics(true, answers, config.labels)
    hits, share = leakage_share(splits["train"][0], test_texts)
    return EvalReport(
        rows=len(rows),
        out_of_scope_rows=len(test_labels) - len(rows),
        accuracy=accuracy,
        macro_f1=macro,
        weighted_f1=weighted,
        per_class=per_class,
        confusion=confusion,
        baseline=baseline_result,
        baseline_verdict=baseline.verdict(macro, baseline_result.macro_f1, winner) if baseline_result else "",
        leakage=LeakageCheck(test_rows=len(test_texts), with_duplicate_in_train=hits, fraction=round(share, 4)),
        seconds=round(seconds, 2),
    )


def baseline_from_candidates(summary: TrainSummary | None) -> BaselineResult | None:
    """The TF-IDF candidate's test scores, as train.py recorded them after choosing the winner."""
    if summary is None:
        return None
    for candidate in summary.candidates:
        if candidate.name == "tfidf" and candidate.test_macro_f1 is not None:
            return BaselineResult(
                name=baseline.BASELINE_NAME,
                accuracy=candidate.test_accuracy or 0.0,
                macro_f1=candidate.test_macro_f1,
                seconds=candidate.seconds,
            )
    return None


@dataclass(frozen=True)
class KnownOutOfScope:
    """Texts known to be out of scope, scored by the model, and where they came from."""

    probabilities: np.ndarray
    sources: str
    similarity: np.ndarray | None = None  # to the nearest class centroid, for a model that keeps centroids


def confidence_and_correct(
    probabilities: np.ndarray,
    true: list[str],
    labels: list[str],
    abstain_label: str | None,
    similarity: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The confidence the threshold is compared with (the top-class probability, times the similarity to the nearest
    class centroid for a model that keeps centroids; -1 where the top class is the data's out-of-scope class: always
    abstained) and whether the top class is the true label."""
    if not len(probabilities):
        return np.zeros(0), np.zeros(0, dtype=bool)
    top = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1).astype(np.float64)
    if similarity is not None:
        confidence = confidence * np.asarray(similarity, dtype=np.float64)
    if abstain_label is not None:
        confidence[top == labels.index(abstain_label)] = -1.0
    return confidence, np.array([labels[k] == t for k, t in zip(top, true, strict=True)], dtype=bool)


def abstention(
    config: InternConfig,
    validation: tuple[np.ndarray, list[str]],
    test: tuple[np.ndarray, list[str]],
    labels: list[str],
    coverage: float | None,
    known: KnownOutOfScope | None = None,
    similarity: tuple[np.ndarray, np.ndarray] | None = None,
) -> Abstention:
    """Choose the operating point on validation and the known out-of-scope texts (or keep a fixed coverage);
    measure it on the in-scope and out-of-scope test texts. `similarity`: (validation, test) similarities to the
    nearest class centroid, for a model whose confidence is scaled by them."""
    val_similarity, test_similarity = similarity if similarity is not None else (None, None)
    score = "top probability" + (" times the similarity to the nearest class centroid" if similarity else "")

    def rows_of(values: np.ndarray | None, rows: list[int]) -> np.ndarray | None:
        return None if values is None else values[rows]

    abstain_label = out_of_scope_label(labels)
    in_scope = set(config.labels) - ({abstain_label} if abstain_label else set())
    val_probabilities, val_labels = validation
    val_rows = [i for i, label in enumerate(val_labels) if label in in_scope]
    val_conf, val_correct = confidence_and_correct(
        val_probabilities[val_rows],
        [val_labels[i] for i in val_rows],
        labels,
        abstain_label,
        rows_of(val_similarity, val_rows),
    )
    outside_parts, sources = [], []
    if known is not None and len(known.probabilities):
        outside_parts.append(
            confidence_and_correct(
                known.probabilities, [""] * len(known.probabilities), labels, abstain_label, known.similarity
            )[0]
        )
        sources.append(known.sources)
    val_outside = [i for i, label in enumerate(val_labels) if label not in in_scope]
    if val_outside:
        outside_parts.append(
            confidence_and_correct(
                val_probabilities[val_outside],
                [""] * len(val_outside),
                labels,
                abstain_label,
                rows_of(val_similarity, val_outside),
            )[0]
        )
        sources.append(f"{len(val_outside)} validation rows labelled `{abstain_label}`")
    outside = np.concatenate(outside_parts) if outside_parts else np.zeros(0)
    what = " and ".join(sources) or "none"
    if coverage is None:
        point = choose_operating_point(val_conf, val_correct, outside)
        reason = (
            f"chosen for the data: the cut on the {score} that best separates the {len(val_conf)} validation texts "
            "the model gets "
            f"right from those it gets wrong and from {len(outside)} texts known to be out of scope ({what}); "
            f"there it answers {point.in_scope_right:.1%} of validation texts right, "
            f"{point.in_scope_wrong:.1%} wrong"
            + (
                f", and sends {point.caught:.1%} of those out-of-scope texts to `unknown`"
                if point.caught is not None
                else ""
            )
        )
    else:
        point = measure(choose_threshold(val_conf[val_conf >= 0], coverage), val_conf, val_correct, outside)
        reason = (
            f"a fixed coverage: the {score} that keeps {coverage:.0%} of the {len(val_conf)} validation texts "
            f"answered (abstain.coverage in intern.yaml, or --abstain-coverage); there it answers "
            f"{point.in_scope_right:.1%} of validation texts right"
            + (
                f" and sends {point.caught:.1%} of {len(outside)} texts known to be out of scope ({what}) to `unknown`"
                if point.caught is not None
                else ""
            )
        )
    threshold = point.threshold
    curve = coverage_curve(np.clip(val_conf, 0, None), val_correct)
    test_probabilities, test_labels = test
    test_in = [i for i, label in enumerate(test_labels) if label in in_scope]
    test_out = [i for i, label in enumerate(test_labels) if label not in in_scope]
    test_conf, test_correct = confidence_and_correct(
        test_probabilities[test_in],
        [test_labels[i] for i in test_in],
        labels,
        abstain_label,
        rows_of(test_similarity, test_in),
    )
    answered = test_conf >= threshold
    oos_conf = confidence_and_correct(
        test_probabilities[test_out], [""] * len(test_out), labels, abstain_label, rows_of(test_similarity, test_out)
    )[0]
    kept = val_conf >= threshold
    return Abstention(
        threshold=threshold,
        method="chosen for the data" if coverage is None else "fixed coverage",
        coverage_target=coverage,
        reason=reason,
        abstain_label=abstain_label,
        known_out_of_scope=len(outside),
        known_out_of_scope_sources=what,
        known_out_of_scope_caught=point.caught,
        validation_coverage=answered_share(val_conf, threshold),
        validation_answered_accuracy=round(float(val_correct[kept].mean()), 4) if kept.any() else 0.0,
        validation_answered_right=point.in_scope_right,
        test_answered=round(float(answered.mean()), 4) if len(answered) else 0.0,
        test_answered_right=round(float((answered & test_correct).mean()), 4) if len(answered) else 0.0,
        out_of_scope_rows=len(test_out),
        out_of_scope_caught=round(float((oos_conf < threshold).mean()), 4) if test_out else None,
        curve=curve,
    )


def read_unknown_texts(path: Path) -> list[str]:
    """Texts known to be out of scope: one per line (.txt), a `text` field per line (.jsonl), or the `text` column
    (else the first) of a .csv/.tsv."""
    import csv
    import json

    if not path.is_file():
        raise DataError(f"{path} not found: --unknown-texts takes a file of out-of-scope texts, one per line")
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not valid UTF-8: re-save it as UTF-8") from exc
    lines = [line for line in raw.splitlines() if line.strip()]
    if path.suffix == ".jsonl":
        try:
            return [str(json.loads(line)["text"]) for line in lines]
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f'{path}: expected one JSON object with a "text" field per line') from exc
    if path.suffix in {".csv", ".tsv"}:
        rows = list(csv.reader(lines, delimiter="\t" if path.suffix == ".tsv" else ","))
        column = rows[0].index("text") if rows and "text" in rows[0] else 0
        return [row[column] for row in rows[1:] if len(row) > column and row[column].strip()]
    return lines


def known_out_of_scope(
    project_dir: Path, config: InternConfig, classifier: Classifier, unknown_texts: str | None = None
) -> KnownOutOfScope:
    """Generated off-topic texts and gibberish, plus the user's own out-of-scope texts (`--unknown-texts`,
    abstain.unknown_texts in intern.yaml), scored by the model."""
    texts = generated_out_of_scope(config.split.seed)
    sources = [f"{len(texts)} generated off-topic texts and gibberish"]
    given = unknown_texts or config.abstain.unknown_texts
    if given:
        path = Path(given) if Path(given).is_absolute() else project_dir / given
        extra = read_unknown_texts(path)
        texts += extra
        sources.append(f"{len(extra)} texts from {path.name}")
    probabilities, similarity = classifier.predict_with_similarity(texts)
    return KnownOutOfScope(probabilities, " and ".join(sources), similarity if classifier.uses_centroids else None)


def validation_probabilities(project_dir: Path, classifier: Classifier, texts: list[str]) -> np.ndarray:
    """The delivered model's validation probabilities as train.py left them (from before it refit the winner on
    train + validation, so they are out of sample), else scored now."""
    path = project_dir / VALIDATION_SCORES
    if path.is_file():
        saved = np.load(path)
        if saved.shape == (len(texts), len(classifier.labels)):
            return np.asarray(saved, dtype=np.float32)
    return classifier.predict_proba(texts)


def validation_similarity(project_dir: Path, classifier: Classifier, texts: list[str]) -> np.ndarray:
    """Each validation text's similarity to the nearest class centroid as train.py left it (centroids of the
    training texts only, so out of sample), else measured now with the delivered centroids."""
    path = project_dir / VALIDATION_SIMILARITY
    if path.is_file():
        saved = np.load(path, allow_pickle=False)
        if saved.shape == (len(texts),):
            return np.asarray(saved, dtype=np.float32)
    return classifier.predict_with_similarity(texts)[1]


def run_evaluation(
    project_dir: Path,
    *,
    reporter: Reporter | None = None,
    with_baseline: bool = True,
    coverage: float | None = None,
    unknown_texts: str | None = None,
) -> EvalReport:
    """Score model/ on the test split, choose the abstain threshold on validation (stored in model/intern.json);
    write reports/eval.json, eval.md, confusion_matrix.png and coverage_curve.png."""
    from runner.render.reports import render_eval_md

    project_dir = project_dir.resolve()
    config = load_config(project_dir)
    coverage = coverage if coverage is not None else config.abstain.coverage
    reporter = reporter or SilentReporter()
    reports = project_dir / REPORTS_DIR
    summary = read_report(reports / "train.json", TrainSummary) if (reports / "train.json").is_file() else None
    started = time.perf_counter()
    with reporter.stage("evaluate", "test split") as ctx:
        splits = load_splits(config.model_dump(mode="json"), str(project_dir))
        classifier = load_classifier(project_dir / "model")
        probabilities, test_similarity = classifier.predict_with_similarity(splits["test"][0])
        predicted = [classifier.labels[i] for i in probabilities.argmax(axis=1)] if len(probabilities) else []
        ctx.update(f"{len(predicted)} test texts scored")
        validation = validation_probabilities(project_dir, classifier, splits["validation"][0])
        chosen = abstention(
            config,
            (validation, splits["validation"][1]),
            (probabilities, splits["test"][1]),
            classifier.labels,
            coverage,
            known_out_of_scope(project_dir, config, classifier, unknown_texts),
            (validation_similarity(project_dir, classifier, splits["validation"][0]), test_similarity)
            if classifier.uses_centroids
            else None,
        )
        ctx.update(f"abstain threshold {format_threshold(chosen.threshold)} ({chosen.method})")
        result = baseline_from_candidates(summary)
        if result is None and with_baseline:
            known = set(config.labels)
            test = [(t, label) for t, label in zip(*splits["test"], strict=True) if label in known]
            result, _ = baseline.train_and_score(
                *splits["train"], [t for t, _ in test], [label for _, label in test], config.labels
            )
            ctx.update(f"baseline macro F1 {result.macro_f1:.4f}")
        winner = summary.winner if summary else None
        report = evaluate_predictions(config, splits, predicted, result, time.perf_counter() - started, winner)
        report = report.model_copy(
            update={
                "model_kind": classifier.kind,
                "winner": winner,
                "candidates": summary.candidates if summary else [],
                "abstention": chosen,
            }
        )
    update_model_info(
        project_dir / "model",
        threshold=chosen.threshold,
        coverage=coverage,
        calibrated_on="validation",
        labels=classifier.labels,
        abstain_score="probability",
        abstain_label=chosen.abstain_label,
        threshold_reason=chosen.reason,
    )
    if report.confusion is not None:
        title = f"Test confusion matrix (macro F1 {report.macro_f1:.4f})"
        plot_confusion(report.confusion, reports / CONFUSION_PNG, title)
    point = CoveragePoint(
        threshold=chosen.threshold,
        coverage=chosen.validation_coverage,
        accuracy=chosen.validation_answered_accuracy,
    )
    plot_coverage_curve(
        chosen.curve, point, reports / COVERAGE_PNG, _caught_curve(chosen, probabilities, splits, config)
    )
    write_report(reports / "eval.json", report)
    write_text_atomic(reports / "eval.md", render_eval_md(report))
    return report


def _caught_curve(
    chosen: Abstention, probabilities: np.ndarray, splits: dict[str, tuple[list[str], list[str]]], config: InternConfig
) -> list[CoveragePoint] | None:
    """For the plot: the share of out-of-scope test texts caught at each validation operating point."""
    known = set(config.labels)
    rows = [i for i, label in enumerate(splits["test"][1]) if label not in known]
    if not rows:
        return None
    confidence = probabilities[rows].max(axis=1)
    return [
        CoveragePoint(
            threshold=p.threshold, coverage=p.coverage, accuracy=round(float((confidence < p.threshold).mean()), 4)
        )
        for p in chosen.curve
    ]
