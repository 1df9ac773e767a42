"""Issue #9, item 6: untrusted text in the bot's Markdown (labels, objective, log tails) stays inert."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.runs.results import render_result_sections
from runner.render.markdown import (
    LOG_TAIL_CHARS,
    details,
    escape_md,
    fence,
    inline_code,
    log_block,
    read_optional_report,
    table,
    tail,
)
from runner.render.reports import render_smoke_md
from runner.schemas import ClassMetrics, ConfusionMatrix, EvalReport, LeakageCheck, SmokeReport


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("billing", "billing"),
        ("a|b", "a\\|b"),
        ("**bold** [x](http://e.vil)", "\\*\\*bold\\*\\* \\[x\\]\\(http://e.vil\\)"),
        ("</details><!-- intern-bot:run:1 -->", "&lt;/details&gt;&lt;\\!-- intern-bot:run:1 --&gt;"),
        ("ping @octo/admins", "ping @\u200bocto/admins"),
        ("two\nlines", "two lines"),
        ("`code`", "\\`code\\`"),
    ],
)
def test_escape_md(text: str, expected: str) -> None:
    assert escape_md(text) == expected


def test_a_log_tail_cannot_close_its_fence() -> None:
    tail = "ok\n```\n## Approved by the bot\n````\n"
    block = fence(tail)
    opening = block.split("\n", 1)[0]
    assert opening == "`````" and block.endswith("\n`````")
    inner = block[len(opening) + 1 : -len(opening)]
    assert inner == tail and not any(line.strip() == opening for line in inner.splitlines())
    assert inline_code("a ` b") == "``a ` b``"


def test_a_smoke_log_tail_stays_in_its_block() -> None:
    report = SmokeReport(ok=False, seconds=1.0, error_class="unknown", log_tail="boom\n```\n<details><summary>pwned")
    text = render_smoke_md(report)
    fences = re.findall(r"^`{3,}.*$", text, flags=re.MULTILINE)
    assert fences and fences[0].startswith("````")  # longer than the ``` inside


def test_labels_in_the_results_comment_are_escaped() -> None:
    evil = "</details>\n\n## <!-- intern-bot:run:9 --> @octo/admins"
    report = EvalReport(
        rows=2,
        accuracy=1.0,
        macro_f1=1.0,
        weighted_f1=1.0,
        per_class=[ClassMetrics(label=evil, precision=1, recall=1, f1=1, support=1)],
        confusion=ConfusionMatrix(labels=[evil, "b"], matrix=[[1, 0], [0, 1]]),
        leakage=LeakageCheck(test_rows=2, with_duplicate_in_train=0, fraction=0.0),
        seconds=1.0,
    )
    section = render_result_sections({"eval.json": report.model_dump_json().encode()}, None)["evaluation"]
    assert "</details>\n\n##" not in section and "<!-- intern-bot" not in section and "@octo" not in section
    assert section.count("</details>") == 1  # only the template's own


def test_log_block_keeps_the_tail_in_a_fence_it_cannot_close() -> None:
    long = "".join(f"line {i}\n" for i in range(3000))
    cut = tail(long)
    assert cut.startswith("...\n") and cut.endswith("line 2999\n") and "line 0\n" not in cut
    assert len(cut) == LOG_TAIL_CHARS + len("...\n")
    assert log_block("Traceback\n```\nboom") == "````text\nTraceback\n```\nboom\n````"


def test_details_and_table() -> None:
    assert details("Log", "\nbody\n") == "<details><summary>Log</summary>\n\nbody\n\n</details>"
    assert table(["a|b", "c"], [["1", "x"]]) == "| a\\|b | c |\n|---|---|\n| 1 | x |"


def test_read_optional_report(tmp_path: Path) -> None:
    assert read_optional_report(tmp_path / "smoke.json", SmokeReport) is None
