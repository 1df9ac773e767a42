"""Stress tests: run the families (negation, ambiguity, unknown, typos) and write stress.json/md.

The abstain threshold (the top-class probability below which the model answers `unknown`) is the one
`intern evaluate` chose on validation and stored in model/intern.json; when evaluation has not run yet it is
chosen here the same way (runner/models/abstain.py) and stored.
"""

from __future__ import annotations

from pathlib import Path

from runner.adapters.llm import LLMClient
from runner.config import load_config
from runner.data.portable import load_splits
from runner.models.abstain import choose_threshold
from runner.models.inference import Classifier, load_classifier, read_threshold, update_model_info
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

WORST = 5
DESCRIPTIONS = {
    "negation": "in-domain text plus a negated keyword of another class: the label must not change",
    "ambiguity": "two texts of different classes joined: either label is right; we report which wins",
    "unknown": "gibberish and off-topic texts: the model must abstain",
    "typos": "in-domain text with character noise in about a quarter of the words: the label must not change",
}


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
        model_dir = project_dir / "model"
        classifier = load_classifier(model_dir)
        threshold = read_threshold(model_dir)
        coverage = config.abstain.coverage
        if threshold is None:
            validation = classifier.predict_proba(splits["validation"][0])
            threshold = choose_threshold(validation.max(axis=1) if len(validation) else validation, coverage)
            update_model_info(model_dir, threshold=threshold, coverage=coverage, calibrated_on="validation")
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
                f"chosen on validation so that the model answers {coverage:.0%} of in-domain texts "
                f"(the {(1 - coverage) * 100:g}% least confident abstain; abstain.coverage in intern.yaml)"
            ),
            families=families,
            llm_examples=len(generated),
        )
    write_report(project_dir / REPORTS_DIR / "stress.json", report)
    write_text_atomic(project_dir / REPORTS_DIR / "stress.md", render_stress_md(report))
    return report
