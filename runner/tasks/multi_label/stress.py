"""Stress families for multi-label text: typos and negation must leave the label set as it was; unknown texts
(gibberish, off-topic) must get no label; two texts joined must keep the labels of both.

Each case's outcome is `right`, `wrong` or `abstained` (no label at all where some were expected), reported
separately.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from runner.adapters.llm import LLMClient
from runner.config import load_config
from runner.render.markdown import cell
from runner.render.progress_display import Reporter
from runner.schemas import REPORTS_DIR, StressExample, StressFamily, StressReport, write_report, write_text_atomic
from runner.stages.stress_cases import OFF_TOPIC, add_typos, gibberish
from runner.tasks.multi_label.portable_data import load_multilabel_splits
from runner.tasks.multi_label.portable_scoring import decide, load_multilabel_model

NONE = "(none)"
NEGATED_CLAUSES = (
    "This has nothing to do with the weather.",
    "I am not asking about anything else.",
    "Not that it matters for anything else.",
)
DESCRIPTIONS = {
    "typos": "character noise in about one word in four: the labels must stay those of the clean text",
    "negation": "a negated, unrelated clause added: the labels must stay those of the clean text",
    "unknown": "gibberish and off-topic texts: the model must give no label",
    "combined": "two texts joined: every label given to either alone must still be given",
}
WORST = 5


def as_text(labels: set[str]) -> str:
    return ";".join(sorted(labels)) or NONE


def _family(name: str, cases: list[tuple[str, str, str, str]], outcomes: list[str]) -> StressFamily:
    """cases: (text, expected, predicted, outcome) rows."""
    n = max(len(outcomes), 1)
    right, wrong, abstained = (outcomes.count(o) / n for o in ("right", "wrong", "abstained"))
    summary = f"{name}: {right:.0%} right, {abstained:.0%} given no label, {wrong:.0%} wrong"
    bad = [c for c in cases if c[3] != "right"]
    bad.sort(key=lambda c: c[3] != "wrong")
    return StressFamily(
        family=name,
        description=DESCRIPTIONS[name],
        n=len(outcomes),
        metric="share right",
        score=round(right, 4),
        right=round(right, 4),
        wrong=round(wrong, 4),
        abstained=round(abstained, 4),
        summary=summary,
        worst=[
            StressExample(text=t[:300], expected=e, predicted=p, score=0.0, passed=False) for t, e, p, _ in bad[:WORST]
        ],
    )


def invariance(clean: list[set[str]], perturbed: list[set[str]]) -> list[str]:
    return [
        "right" if after == before else ("abstained" if not after and before else "wrong")
        for before, after in zip(clean, perturbed, strict=True)
    ]


def run_multilabel_stress(
    project_dir: Path, reporter: Reporter, llm: LLMClient | None, per_family: int = 60
) -> StressReport:
    project_dir = project_dir.resolve()
    config = load_config(project_dir)
    rng = random.Random(config.split.seed + 1)
    with reporter.stage("stress", f"{per_family} cases per family") as ctx:
        splits = load_multilabel_splits(config.model_dump(mode="json"), str(project_dir))
        model = load_multilabel_model(project_dir / "model")

        def predict(texts: list[str]) -> list[set[str]]:
            if not texts:
                return []
            decisions = decide(model.predict_proba(texts), model.thresholds)
            return [{model.labels[j] for j in np.flatnonzero(row)} for row in decisions]

        texts = [t for t, labels in zip(*splits["test"], strict=True) if labels][: per_family * 2]
        rng.shuffle(texts)
        base = texts[:per_family]
        clean = predict(base)
        families = []
        for name, perturbed in (
            ("typos", [add_typos(t, rng) for t in base]),
            ("negation", [f"{t} {rng.choice(NEGATED_CLAUSES)}" for t in base]),
        ):
            after = predict(perturbed)
            outcomes = invariance(clean, after)
            rows = [
                (t, as_text(b), as_text(a), o) for t, b, a, o in zip(perturbed, clean, after, outcomes, strict=True)
            ]
            families.append(_family(name, rows, outcomes))
        unknown = [gibberish(rng) for _ in range(per_family // 2)] + list(OFF_TOPIC)
        after = predict(unknown)
        outcomes = ["right" if not labels else "wrong" for labels in after]
        families.append(
            _family(
                "unknown",
                [(t, NONE, as_text(a), o) for t, a, o in zip(unknown, after, outcomes, strict=True)],
                outcomes,
            )
        )
        pairs = [(i, j) for i, j in zip(range(0, len(base) - 1, 2), range(1, len(base), 2), strict=True)]
        joined = [f"{base[i]} {base[j]}" for i, j in pairs]
        after = predict(joined)
        expected = [clean[i] | clean[j] for i, j in pairs]
        outcomes = [
            "right" if want <= got else ("abstained" if not got and want else "wrong")
            for want, got in zip(expected, after, strict=True)
        ]
        families.append(
            _family(
                "combined",
                [(t, as_text(w), as_text(g), o) for t, w, g, o in zip(joined, expected, after, outcomes, strict=True)],
                outcomes,
            )
        )
        ctx.update(", ".join(f.summary for f in families))
        report = StressReport(
            threshold=float(np.mean(model.thresholds)) if model.thresholds else 0.5,
            threshold_reason="each label has its own threshold, tuned on validation (reports/eval.md lists them); "
            "a text with no label over its threshold gets none",
            families=families,
        )
    write_report(project_dir / REPORTS_DIR / "stress.json", report)
    write_text_atomic(project_dir / REPORTS_DIR / "stress.md", render_stress_md(report))
    return report


def render_stress_md(report: StressReport) -> str:
    lines = [
        "## Stress tests",
        "",
        report.threshold_reason,
        "",
        "| family | cases | right | no label | wrong |",
        "|---|---:|---:|---:|---:|",
    ]
    for f in report.families:
        lines.append(f"| {f.family} | {f.n} | {f.right:.0%} | {f.abstained:.0%} | {f.wrong:.0%} |")
    for f in report.families:
        if f.worst:
            lines += [
                "",
                f"**{f.family}**: {cell(f.description)}",
                "",
                "| text | expected | predicted |",
                "|---|---|---|",
            ]
            lines += [f"| {cell(e.text)} | {cell(e.expected)} | {cell(e.predicted)} |" for e in f.worst]
    return "\n".join(lines) + "\n"
