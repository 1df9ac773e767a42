"""Every Markdown document the bot posts or commits, rendered as GitHub renders it (cmark-gfm) and checked
(`tests/render_check.py`): headings nest, tables hold, images exist, and untrusted text (a hostile label, column
name, objective, LLM reason, smoke diagnosis, baseline verdict) produces no HTML, no mention and no marker.

One test per document kind: PR body, sticky comment, replies (help, refusal, status), reports (report.md),
model card, Space README. The reports are the sample ones with every free-text field made hostile.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.command_parser import Rejection, parse_line, render_help_md
from bot.comments import render_template, run_marker
from bot.run_record import RunRecord
from bot.runs.results import render_result_sections, render_smoke_md
from bot.runs.status_comment import render_run_comment
from bot.store import Store
from runner.planning import Plan, render_plan_md
from runner.render.reports import render_inspect_md, render_run_md
from runner.schemas import (
    Abstention,
    EpochRecord,
    FixAttempt,
    Projection,
    RunStatus,
    SmokeReport,
    StageStatus,
)
from runner.stages.card import render_model_card, render_space_readme
from tests.fakes import sample_reports as sample
from tests.render_check import problems

IMG = "<img src=x>"
TEAM = "@org/team"
FORGED = "<!-- intern-bot:run:999 -->"
PIPE = "a | b"
HOSTILE = f"{IMG} {TEAM} {FORGED} {PIPE} <b>bold</b> `code`"
LABELS = ["billing", f"{IMG}|{TEAM}", f"refund {FORGED}"]


def hostile_plan() -> Plan:
    return Plan(
        objective=f"Classify tickets. {HOSTILE}",
        dataset=f"data/{PIPE}.csv",
        dataset_reason=HOSTILE,
        text_column=f"text {IMG}",
        label_column=f"label|{TEAM}",
        columns_reason=HOSTILE,
        labels=LABELS,
        model="sentence-transformers/all-MiniLM-L6-v2",
        model_reason=HOSTILE,
        hyperparameters={f"lr{IMG}": 0.1},
        hyperparameters_reason=HOSTILE,
        compute=f"local {PIPE}",
        compute_reason=HOSTILE,
        warnings=[HOSTILE, f"{FORGED} second"],
        source="llm",
    )


def hostile_inspect() -> object:
    report = sample.inspect_report()
    labels = [label.model_copy(update={"name": name}) for label, name in zip(report.labels, LABELS, strict=True)]
    return report.model_copy(
        update={
            "source": f"data/{PIPE}.csv",
            "columns": [f"text {IMG}", f"label|{TEAM}", FORGED],
            "text_column": f"text {IMG}",
            "label_column": f"label|{TEAM}",
            "column_reason": HOSTILE,
            "labels": labels,
            "warnings": [HOSTILE],
        }
    )


def hostile_smoke(ok: bool) -> SmokeReport:
    if ok:
        return SmokeReport(
            ok=True,
            seconds=12.5,
            steps=4,
            examples=40,
            examples_per_s=3.2,
            train_rows_full=240,
            epochs=3,
            projections=[Projection(flavour=f"cpu {PIPE}", hardware=HOSTILE, seconds=600, cost_usd=0.0)],
        )
    return SmokeReport(
        ok=False,
        error_class=f"missing_column {IMG}",
        diagnosis=f"column `{PIPE}` not found: {HOSTILE}",
        suggested_fix=f"use `text` {HOSTILE}",
        seconds=3.0,
        log_tail=f"Traceback\n```\n{HOSTILE}\n",
        attempts=[FixAttempt(attempt=1, error_class=f"x{PIPE}", fix=HOSTILE, ok_after=False)],
    )


def hostile_reports() -> dict[str, bytes]:
    config_labels = LABELS
    evaluation = sample.eval_report()
    per_class = [row.model_copy(update={"label": name}) for row, name in zip(evaluation.per_class, LABELS, strict=True)]
    baseline = evaluation.baseline.model_copy(update={"name": f"tfidf {IMG}"}) if evaluation.baseline else None
    abstention = Abstention(
        threshold=0.5873,
        coverage_target=0.95,
        reason=HOSTILE,
        validation_coverage=0.95,
        validation_answered_accuracy=0.9,
        test_answered=0.93,
        test_answered_right=0.85,
    )
    evaluation = evaluation.model_copy(
        update={
            "per_class": per_class,
            "confusion": evaluation.confusion.model_copy(update={"labels": config_labels}),
            "baseline": baseline,
            "baseline_verdict": HOSTILE,
            "winner": f"tfidf {TEAM}",
            "abstention": abstention,
        }
    )
    train = sample.train_summary()
    candidates = [c.model_copy(update={"title": HOSTILE, "reason": HOSTILE}) for c in train.candidates]
    train = train.model_copy(
        update={"winner": f"encoder {IMG}", "winner_reason": HOSTILE, "candidates": candidates, "hardware": HOSTILE}
    )
    stress = sample.stress_report()
    families = [
        family.model_copy(
            update={
                "description": HOSTILE,
                "worst": [w.model_copy(update={"text": HOSTILE, "predicted": LABELS[1]}) for w in family.worst],
            }
        )
        for family in stress.families
    ]
    stress = stress.model_copy(update={"threshold": 0.5873, "threshold_reason": HOSTILE, "families": families})
    epochs = [
        EpochRecord(epoch=1, train_loss=1.2, eval_loss=1.0, accuracy=0.5, macro_f1=0.4, seconds=3.0),
        EpochRecord(epoch=2, train_loss=0.9, eval_loss=0.8, accuracy=0.7, macro_f1=0.6, seconds=3.0),
    ]
    return {
        "eval.json": evaluation.model_dump_json().encode(),
        "train.json": train.model_dump_json().encode(),
        "stress.json": stress.model_dump_json().encode(),
        "train.jsonl": "".join(e.model_dump_json() + "\n" for e in epochs).encode(),
        "confusion_matrix.png": b"png",
        "coverage_curve.png": b"png",
        "epochs.png": b"png",
    }


def assert_clean(markdown: str, **expected: object) -> None:
    found = problems(markdown, **expected)  # type: ignore[arg-type]
    assert not found, "\n".join(found)


def test_pr_body() -> None:
    body = render_template(
        "pr_body.md.j2",
        issue=7,
        plan_md=render_plan_md(hostile_plan()),
        inspect_md=render_inspect_md(hostile_inspect()),  # type: ignore[arg-type]
        author="alice",
    )
    assert body.count("## Plan") == 1
    assert_clean(body, mentions=["alice"])


def test_sticky_comment_in_every_stage(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'bot.db'}")
    store.create_all()
    run = store.create_run(
        repo="octo/tickets",
        issue_number=7,
        created_by="alice",
        compute="local",
        installation_id=1,
        delivery_id="d1",
        data=RunRecord(),
    )
    base = "https://github.com/octo/tickets/blob/" + "a" * 40 + "/reports/"
    reports = hostile_reports()
    sections = {
        "plan": render_plan_md(hostile_plan()),
        "inspect": render_inspect_md(hostile_inspect()),  # type: ignore[arg-type]
        "smoke": render_smoke_md(hostile_smoke(ok=False)),
    }
    marker = run_marker(run.id)
    files = {base + name + "?raw=true" for name in reports}
    for stage_sections in (
        sections,
        {**sections, "smoke": render_smoke_md(hostile_smoke(ok=True))},
        {
            **sections,
            "smoke": render_smoke_md(hostile_smoke(ok=True)),
            **render_result_sections(reports, base + "confusion_matrix.png?raw=true"),
        },
    ):
        run = store.update_run(
            run.id, merge=RunRecord(sections=stage_sections), append=RunRecord(notices=["Smoke fix pushed"])
        )
        body = render_run_comment(run) + "\n\n" + marker
        assert_clean(body, files=files, markers=[marker], mentions=["alice"], top_level=2)
    assert "### Smoke test: ✅ passed" in render_run_comment(run)
    assert "Best epoch of fine-tuning: 2 (validation macro F1 0.6000)" in body
    assert body.count("0.5873") >= 2 and "0.59 " not in body  # one threshold, one format


@pytest.mark.parametrize("kind", ["help", "refusal", "status"])
def test_replies(kind: str, tmp_path: Path) -> None:
    if kind == "help":
        rejection = parse_line(f"/intern trian {HOSTILE}")
        assert isinstance(rejection, Rejection)
        body = render_help_md(rejection)
    elif kind == "refusal":
        body = render_template("refusal.md.j2", login="mallory", verb=f"/intern train {HOSTILE}")
    else:
        store = Store(f"sqlite:///{tmp_path / 'bot.db'}")
        store.create_all()
        run = store.create_run(
            repo="octo/tickets",
            issue_number=7,
            created_by="alice",
            compute="local",
            installation_id=1,
            delivery_id=HOSTILE,
            data=RunRecord(),
        )
        entries = store.audit_log(run.id)
        body = render_template("status.md.j2", run=run, entries=entries)
    assert_clean(body, mentions=["mallory", "alice", "ml-intern"])


def test_run_report(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    for name, content in hostile_reports().items():
        (reports / name).write_bytes(content)
    (reports / "smoke.json").write_text(hostile_smoke(ok=True).model_dump_json())
    (reports / "inspect.json").write_text(hostile_inspect().model_dump_json())  # type: ignore[attr-defined]
    status = RunStatus(stages={"train": StageStatus(state="ok", seconds=3.0, message=HOSTILE)})
    (reports / "run.json").write_text(status.model_dump_json())
    text = render_run_md(tmp_path)
    assert_clean(text, files={p.name for p in reports.iterdir()}, top_level=1)


def test_model_card() -> None:
    config = sample.config(labels=LABELS).model_copy(update={"objective": HOSTILE})
    data = config.data.model_copy(update={"attribution": HOSTILE, "source": f"data/{PIPE}.csv", "format": "csv"})
    config = config.model_copy(update={"data": data})
    reports = hostile_reports()
    from runner.schemas import EvalReport, StressReport, TrainSummary

    card = render_model_card(
        config,
        hostile_inspect(),  # type: ignore[arg-type]
        TrainSummary.model_validate_json(reports["train.json"]),
        EvalReport.model_validate_json(reports["eval.json"]),
        StressReport.model_validate_json(reports["stress.json"]),
        "octo/ticket-router",
        confusion_image="confusion_matrix.png",
    )
    body = card.split("---", 2)[2]  # the YAML front matter is data, not rendered
    assert_clean(body, files={"confusion_matrix.png"}, top_level=1)


def test_space_readme() -> None:
    text = render_space_readme("ticket-router-demo", "octo/ticket-router", "apache-2.0", f"Labels: {HOSTILE}")
    assert_clean(text.split("---", 2)[2], top_level=1)


def test_every_number_of_the_sticky_comment_comes_from_a_report(tmp_path: Path) -> None:
    """The results sections of the sticky comment, number by number, against the JSON they were rendered from."""
    import json

    from tests.number_check import unexplained

    reports = hostile_reports()
    sections = render_result_sections(reports, None)
    parsed = [json.loads(reports[name]) for name in ("eval.json", "train.json", "stress.json")]
    parsed.append([json.loads(line) for line in reports["train.jsonl"].decode().splitlines()])
    for name, body in sections.items():
        assert not unexplained(body, parsed, allowed={"0", "1", "2", "3"}), name
    smoke = hostile_smoke(ok=True)
    assert not unexplained(render_smoke_md(smoke), [json.loads(smoke.model_dump_json())])
