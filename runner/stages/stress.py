"""Stress tests: run the families (negation, ambiguity, unknown, typos) and write stress.json/md.

Every case is answered as `intern predict` answers it: the top label, or `unknown` below the abstain threshold
`intern evaluate` chose for the data (model/intern.json; before evaluation, a stopgap that keeps 95% of validation
answered). Each family then counts right, wrong and abstained apart: a refusal is not a wrong answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from runner.adapters.llm import LLMClient
from runner.config import load_config
from runner.data.portable import load_splits
from runner.models.abstain import choose_threshold, out_of_scope_label
from runner.models.inference import (
    Classifier,
    load_classifier,
    read_model_info,
    read_threshold,
    update_model_info,
)
from runner.render.markdown import format_threshold
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


def percent(share: float) -> str:
    """A share as a whole percentage, with one decimal where rounding would say 0% or 100% of something that is not."""
    text = f"{share:.0%}"
    if (text == "0%" and share > 0) or (text == "100%" and share < 1):
        text = f"{share:.1%}"
    return text


def judge(case: Case, predicted: str, score: float, threshold: float) -> tuple[str, bool]:
    """The answer shown to a user (a label or `unknown`) and whether it is right for the case."""
    answer = UNKNOWN if score < threshold or predicted == UNKNOWN else predicted
    if case.expected == UNKNOWN:
        return answer, answer == UNKNOWN
    return answer, answer in case.expected.split("|")


def outcome(case: Case, answer: str, passed: bool) -> Literal["right", "wrong", "abstained"]:
    """Right, wrong, or abstained: refusing is not a wrong answer (except on `unknown`, where it is the right one)."""
    if passed:
        return "right"
    return "abstained" if answer == UNKNOWN else "wrong"


def family_summary(family: str, right: float, wrong: float, abstained: float) -> str:
    """The one sentence every report and the card use for a family, derived from its three shares."""
    if family == "unknown":
        return f"{family}: {percent(right)} abstained (right), {percent(wrong)} got a label (wrong)"
    return f"{family}: {percent(right)} right, {percent(abstained)} abstained, {percent(wrong)} wrong"


def score_cases(
    classifier: Classifier, cases: list[Case], threshold: float, abstain_label: str | None = None
) -> list[StressFamily]:
    """Every case answered as `intern predict` would (a label, or `unknown` below the threshold or for the
    data's own out-of-scope class `abstain_label`), then counted right, wrong or abstained per family."""
    probabilities, similarity = classifier.predict_with_similarity([case.text for case in cases])
    families: dict[str, list[StressExample]] = {}
    for case, row, near in zip(cases, probabilities, similarity, strict=True):
        top = int(row.argmax())
        label = classifier.labels[top]
        confidence = float(row[top]) * float(near)  # what the threshold is compared with (portable_model.answer)
        answer, passed = judge(case, UNKNOWN if label == abstain_label else label, confidence, threshold)
        example = StressExample(
            text=case.text,
            expected=case.expected,
            predicted=answer,
            score=round(float(row[top]), 4),
            passed=passed,
            top_label=label,
            outcome=outcome(case, answer, passed),
        )
        families.setdefault(case.family, []).append(example)
    results = []
    for family in ("negation", "ambiguity", "unknown", "typos"):
        examples = families.get(family, [])
        if not examples:
            continue
        n = len(examples)
        right = round(sum(e.outcome == "right" for e in examples) / n, 4)
        wrong = round(sum(e.outcome == "wrong" for e in examples) / n, 4)
        abstained = round(sum(e.predicted == UNKNOWN for e in examples) / n, 4)
        failures = sorted((e for e in examples if not e.passed), key=lambda e: (e.outcome != "wrong", -e.score))
        description = DESCRIPTIONS[family]
        if family == "ambiguity":
            first = sum(e.predicted == e.expected.split("|")[0] for e in examples) / n
            second = sum(e.predicted == e.expected.split("|")[-1] for e in examples) / n
            description += f" (the first text's label wins in {first:.0%}, the second's in {second:.0%})"
        results.append(
            StressFamily(
                family=family,
                description=description,
                n=n,
                metric="abstain rate" if family == "unknown" else "accuracy",
                score=right,
                right=right,
                wrong=wrong,
                abstained=abstained,
                summary=family_summary(family, right, wrong, abstained),
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
        info = read_model_info(model_dir)
        threshold = read_threshold(model_dir)
        abstain_label = out_of_scope_label(classifier.labels)
        reason = str(info.get("threshold_reason") or "")
        if threshold is None:  # `intern evaluate` has not run: a fixed coverage of validation, as a stopgap
            coverage = config.abstain.coverage or 0.95
            validation = classifier.predict_proba(splits["validation"][0])
            threshold = choose_threshold(validation.max(axis=1) if len(validation) else validation, coverage)
            reason = (
                f"chosen on validation so that the model answers {coverage:.0%} of in-domain texts "
                "(`intern evaluate` chooses the operating point for the data)"
            )
            update_model_info(
                model_dir, threshold=threshold, coverage=coverage, calibrated_on="validation", threshold_reason=reason
            )
        ctx.update(f"abstain threshold {format_threshold(threshold)}")
        classes = [label for label in config.labels if label != abstain_label]
        keywords = class_keywords(*splits["train"], classes)
        cases = build_cases(*splits["test"], keywords, classes, per_family, config.split.seed)
        generated = []
        if llm is not None:
            samples: dict[str, list[str]] = {}
            for text, label in zip(*splits["train"], strict=True):
                samples.setdefault(label, []).append(text)
            generated = llm_cases(llm, config.labels, samples)
            ctx.update(f"{len(generated)} LLM-written cases")
        cases += generated
        families = score_cases(classifier, cases, threshold, abstain_label)
        report = StressReport(
            threshold=threshold,
            threshold_reason=reason or "stored in model/intern.json",
            families=families,
            llm_examples=len(generated),
        )
    write_report(project_dir / REPORTS_DIR / "stress.json", report)
    write_text_atomic(project_dir / REPORTS_DIR / "stress.md", render_stress_md(report))
    return report
