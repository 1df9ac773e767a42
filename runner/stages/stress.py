"""Stress tests (spec §3.6): calibrate an abstain threshold, run the families, write stress.json/md.

The threshold is the top-class probability below which the model answers `unknown`. It is calibrated on the
validation split so that the model keeps answering on COVERAGE of in-domain texts, and stored in
model/intern.json, which `intern predict`, the demo and the card read.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from runner.adapters.llm import LLMClient
from runner.config import load_config
from runner.data.portable import load_splits
from runner.models.inference import CALIBRATION_FILE, Classifier, load_classifier
from runner.render.progress_display import Reporter, SilentReporter
from runner.schemas import (
    REPORTS_DIR,
    StressExample,
    StressFamily,
    StressReport,
    write_report,
    write_text_atomic,
)
from runner.stages.stress_cases import UNKNOWN, Case, build_cases, class_keywords
from runner.stages.stress_llm import llm_cases

COVERAGE = 0.99
WORST = 5
DESCRIPTIONS = {
    "negation": "in-domain text plus a negated keyword of another class: the label must not change",
    "ambiguity": "two texts of different classes joined: either label is right; we report which wins",
    "unknown": "gibberish and off-topic texts: the model must abstain",
    "typos": "in-domain text with character noise in about a quarter of the words: the label must not change",
}


def calibrate_threshold(max_probabilities: np.ndarray, coverage: float = COVERAGE) -> float:
    """The top-probability cut that keeps `coverage` of the validation texts answered."""
    if len(max_probabilities) == 0:
        return 0.0
    return round(float(np.quantile(max_probabilities, 1.0 - coverage)), 4)


def judge(case: Case, predicted: str, score: float, threshold: float) -> tuple[str, bool]:
    """The answer shown to a user (a label or `unknown`) and whether it is right for the case."""
    answer = UNKNOWN if score < threshold else predicted
    if case.expected == UNKNOWN:
        return answer, answer == UNKNOWN
    return answer, answer in case.expected.split("|")


def score_cases(classifier: Classifier, cases: list[Case], threshold: float) -> list[StressFamily]:
    probabilities = classifier.predict_proba([case.text for case in cases])
    families: dict[str, list[StressExample]] = {}
    for case, row in zip(cases, probabilities, strict=True):
        top = int(row.argmax())
        answer, passed = judge(case, classifier.labels[top], float(row[top]), threshold)
        example = StressExample(
            text=case.text,
            expected=case.expected,
            predicted=answer,
            score=round(float(row[top]), 4),
            passed=passed,
        )
        families.setdefault(case.family, []).append(example)
    results = []
    for family in ("negation", "ambiguity", "unknown", "typos"):
        examples = families.get(family, [])
        if not examples:
            continue
        failures = sorted((e for e in examples if not e.passed), key=lambda e: -e.score)
        description = DESCRIPTIONS[family]
        if family == "ambiguity":
            first = sum(e.predicted == e.expected.split("|")[0] for e in examples) / len(examples)
            second = sum(e.predicted == e.expected.split("|")[-1] for e in examples) / len(examples)
            description += f" (the first text's label wins in {first:.0%}, the second's in {second:.0%})"
        results.append(
            StressFamily(
                family=family,
                description=description,
                n=len(examples),
                metric="abstain rate" if family == "unknown" else "accuracy",
                score=round(sum(e.passed for e in examples) / len(examples), 4),
                worst=failures[:WORST],
            )
        )
    return results


def run_stress(
    project_dir: Path, *, reporter: Reporter | None = None, per_family: int = 60, llm: LLMClient | None = None
) -> StressReport:
    """Calibrate the threshold, run the template cases (and LLM-written ones when `llm` is given)."""
    from runner.render.reports import render_stress_md

    project_dir = project_dir.resolve()
    config = load_config(project_dir)
    reporter = reporter or SilentReporter()
    with reporter.stage("stress", f"{per_family} cases per family") as ctx:
        splits = load_splits(config.model_dump(mode="json"), str(project_dir))
        classifier = load_classifier(project_dir / "model")
        validation = classifier.predict_proba(splits["validation"][0])
        threshold = calibrate_threshold(validation.max(axis=1) if len(validation) else validation)
        ctx.update(f"abstain threshold {threshold:.4f}")
        keywords = class_keywords(*splits["train"], config.labels)
        cases = build_cases(*splits["test"], keywords, config.labels, per_family, config.split.seed)
        generated = []
        if llm is not None:
            samples: dict[str, list[str]] = {}
            for text, label in zip(*splits["train"], strict=True):
                samples.setdefault(label, []).append(text)
            generated = llm_cases(llm, config.labels, samples)
            ctx.update(f"{len(generated)} LLM-written cases")
        cases += generated
        families = score_cases(classifier, cases, threshold)
        report = StressReport(
            threshold=threshold,
            threshold_reason=(
                f"chosen so that the model answers on {COVERAGE:.0%} of the {len(validation)} validation texts "
                f"(the {(1 - COVERAGE) * 100:g}% least confident abstain)"
            ),
            families=families,
            llm_examples=len(generated),
        )
    model_dir = project_dir / "model"
    calibration = {
        "threshold": threshold,
        "coverage": COVERAGE,
        "calibrated_on": "validation",
        "labels": config.labels,
    }
    write_text_atomic(model_dir / CALIBRATION_FILE, json.dumps(calibration, indent=2) + "\n")
    write_report(project_dir / REPORTS_DIR / "stress.json", report)
    write_text_atomic(project_dir / REPORTS_DIR / "stress.md", render_stress_md(report))
    return report
