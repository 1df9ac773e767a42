"""Proof of the self-debugging loop: real broken projects, repaired by smoke_with_fixes; one test per entry.

Each scenario scaffolds a real project (tiny CSV, `scratch:tiny`), breaks train.py or intern.yaml so that the
real train.py fails for real in the smoke test, runs `smoke_with_fixes` and checks that the loop ends with a
passing smoke test and names the right error class. To fit the time budget, three breaks share a project:
the failures surface one per smoke run, in a fixed order, and the loop repairs them one per attempt. The
scenarios run two at a time (the machine's cores) in one module fixture; each test then asserts one entry.
Set INTERN_SELFHEAL_WORKERS=1 for sequential timings (docs/self-debugging.md).

Honest exceptions, said here and in the docs:
- out_of_memory cannot be provoked on a CPU-only machine: the broken train.py raises a real
  `torch.OutOfMemoryError` with the message captured on an H200 whenever the batch size exceeds 16.
- nan_loss: transformers 5 filters NaN losses out of `training_loss` unless `logging_nan_inf_filter=False`; the
  scenario adds that argument when the template lacks it, so the template's own NaN check fires.
"""

from __future__ import annotations

import csv
import os
import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest

from runner.adapters.llm import LLMSettings, OpenAIClient
from runner.schemas import FixAttempt, SmokeReport, read_report
from runner.selfheal.fixes import unified_diff, yaml_set
from runner.selfheal.loop import PatchProposal, read_project_files, smoke_with_fixes
from runner.stages.scaffold import build_config, write_project
from runner.stages.smoke import run_smoke
from runner.tasks.project import render_project
from tests.fakes.openai_server import FakeOpenAI, Reply

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LABELS = {
    "billing": "invoice charge payment bill card statement",
    "refund": "refund money back return cancel reimburse",
    "shipping": "delivery package track courier late parcel",
}
CUDA_OOM = (
    "CUDA out of memory. Tried to allocate 40.00 GiB. GPU 0 has a total capacity of 139.80 GiB of which "
    "19.29 GiB is free. Including non-PyTorch memory, this process has 120.51 GiB memory in use."
)


def write_csv(path: Path, rows_per_class: dict[str, int], words: int = 8) -> None:
    rng = random.Random(0)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for label, vocabulary in LABELS.items():
            for i in range(rows_per_class.get(label, 10)):
                picked = [rng.choice(vocabulary.split()) for _ in range(words)]
                writer.writerow([f"ticket {i} " + " ".join(picked), label])


def scaffold(project: Path, rows_per_class: dict[str, int] | None = None, words: int = 8) -> Path:
    project.mkdir(parents=True)
    rows = rows_per_class or {}
    write_csv(project / "data.csv", rows, words)
    config = build_config(
        source="data.csv",
        fmt="csv",
        text_column="text",
        label_column="label",
        labels=list(LABELS),
        model="scratch:tiny",
        rows=sum(rows.get(label, 10) for label in LABELS),
    )
    write_project(render_project(config, None, workflow=False), project)
    return project


def edit(project: Path, name: str, change: Callable[[str], str]) -> None:
    path = project / name
    old = path.read_text(encoding="utf-8")
    new = change(old)
    assert new != old, f"the break did not change {name}"
    path.write_text(new, encoding="utf-8")


def replace(old: str, new: str) -> Callable[[str], str]:
    def change(text: str) -> str:
        assert old in text, f"template changed: {old!r} not found"
        return text.replace(old, new)

    return change


def set_yaml(section: str, key: str, value: object) -> Callable[[str], str]:
    return lambda text: yaml_set(text, section, key, value)


# --- the breaks ---------------------------------------------------------------------------------------


def break_classlabel(project: Path) -> None:
    edit(project, "train.py", replace('    ds = ds.cast_column("label", ClassLabel(names=label_names))\n', ""))


def break_metrics(project: Path) -> None:
    edit(
        project, "train.py", replace("import accuracy_score, f1_score", "import accuracy_score, classification_report")
    )
    report = (
        "classification_report(prediction.label_ids, predicted, target_names=[str(c) for c in every_class], "
        'output_dict=True, zero_division=0)["macro avg"]["f1-score"]'
    )
    edit(
        project,
        "train.py",
        replace(
            'f1_score(prediction.label_ids, predicted, labels=every_class, average="macro", zero_division=0)', report
        ),
    )


def break_column(project: Path) -> None:
    edit(project, "intern.yaml", set_yaml("data", "text_column", "message"))


def break_pad_token(project: Path) -> None:
    edit(project, "train.py", replace('unk_token="[UNK]", pad_token="[PAD]", ', 'unk_token="[UNK]", '))


def break_memory(project: Path) -> None:
    guard = (
        '    if training["batch_size"] > 16:  # test: stands in for the GPU allocator at this batch size\n'
        f"        raise torch.OutOfMemoryError({CUDA_OOM!r})\n"
        "    result = trainer.train()\n"
    )
    edit(project, "train.py", replace("    result = trainer.train()\n", guard))


def break_cuda(project: Path) -> None:
    edit(project, "intern.yaml", set_yaml("training", "device", "cuda"))


def break_training_argument(project: Path) -> None:
    edit(project, "train.py", replace("eval_strategy=", "evaluation_strategy="))


def break_positions(project: Path) -> None:
    edit(project, "train.py", replace("max_position_embeddings=max(64, max_length)", "max_position_embeddings=64"))
    edit(project, "intern.yaml", set_yaml("model", "max_length", 128))


def break_learning_rate(project: Path) -> None:
    text = (project / "train.py").read_text(encoding="utf-8")
    if "logging_nan_inf_filter" not in text:
        anchor = '        report_to="none",\n'
        edit(project, "train.py", replace(anchor, anchor + "        logging_nan_inf_filter=False,\n"))
    edit(project, "intern.yaml", set_yaml("training", "learning_rate", 1e4))


def break_time_limit(project: Path) -> None:
    edit(project, "intern.yaml", set_yaml("smoke", "time_limit_s", 10))
    edit(project, "intern.yaml", set_yaml("smoke", "max_steps", 100_000))


def break_dependency(project: Path) -> None:
    edit(project, "train.py", replace("import numpy as np\n", "import numpy as np\nimport evaluate_metrics_pkg\n"))


def break_typo(project: Path) -> None:
    edit(project, "train.py", replace("result = trainer.train()", "result = trainer.trian()"))


@dataclass(frozen=True)
class Scenario:
    """Breaks applied together; the real failures then surface one at a time, in `expected` order."""

    expected: tuple[str, ...]
    breaks: tuple[Callable[[Path], None], ...]
    repaired: bool = True
    rows: dict[str, int] | None = None
    words: int = 8
    llm: str | None = None  # "good": the fake LLM answers the inverse of the break; "bad": a diff elsewhere


# Breaks are chained three to a project (the loop's default max_attempts) to keep the module near 3 minutes:
# N chained breaks cost N + 1 smoke runs instead of 2N.
SCENARIOS: dict[str, Scenario] = {
    "config": Scenario(
        ("cuda_unavailable", "missing_column", "removed_training_argument"),
        (break_cuda, break_column, break_training_argument),
    ),
    # "shipping" has two rows: one in train, one in test, none in validation
    "batches": Scenario(  # the linear candidates score (metrics) before fine-tuning builds datasets and trains
        ("metrics_missing_classes", "label_not_classlabel", "out_of_memory"),
        (break_memory, break_classlabel, break_metrics),
        rows={"shipping": 2},
    ),
    "model": Scenario(
        ("tokenizer_no_pad_token", "sequence_too_long", "nan_loss"),
        (break_pad_token, break_positions, break_learning_rate),
        words=120,
    ),
    "timeout": Scenario(("timeout",), (break_time_limit,)),
    "dependency": Scenario(("dependency_missing",), (break_dependency,), repaired=False),
    "unknown+llm": Scenario(("unknown",), (break_typo,), llm="good"),
    "unknown+bad_llm": Scenario(("unknown",), (break_typo,), repaired=False, llm="bad"),
}
ENTRY_SCENARIO = {entry: name for name, s in SCENARIOS.items() for entry in s.expected if entry != "unknown"}


@dataclass
class Outcome:
    project: Path
    report: SmokeReport
    seconds: float
    attempts: list[FixAttempt]
    attempt_seconds: list[float]
    requests: int = 0


def run_scenario(root: Path, name: str, scenario: Scenario) -> Outcome:
    project = scaffold(root / name.replace("+", "_"), scenario.rows, scenario.words)
    original = read_project_files(project)
    for apply_break in scenario.breaks:
        apply_break(project)
    seen: list[FixAttempt] = []
    stamps: list[float] = []

    def on_attempt(attempt: FixAttempt) -> None:
        seen.append(attempt)
        stamps.append(time.perf_counter())

    with FakeOpenAI() as server:
        llm = None
        if scenario.llm is not None:
            diff = unified_diff(read_project_files(project), original)
            if scenario.llm == "bad":
                diff = diff.replace("a/train.py", "a/setup.py").replace("b/train.py", "b/setup.py")
            server.script(Reply(PatchProposal(reason="fix the misspelt method name", diff=diff)))
            llm = OpenAIClient(LLMSettings(api_key=server.api_key, base_url=server.base_url, max_retries=0))
        started = time.perf_counter()
        report = smoke_with_fixes(
            project, max_attempts=3, llm=llm, on_attempt=on_attempt, smoke=partial(run_smoke, env=os.environ)
        )
        seconds = time.perf_counter() - started
    # a repair = diagnose + edit + the smoke run that checks it; the first includes the failing run
    per_attempt = [b - a for a, b in zip([started, *stamps], stamps, strict=False)]
    return Outcome(project, report, seconds, seen, per_attempt, len(server.requests))


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    root = tmp_path_factory.mktemp("selfheal")
    workers = int(os.environ.get("INTERN_SELFHEAL_WORKERS", "2"))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(run_scenario, root, name, s) for name, s in SCENARIOS.items()}
        results = {name: future.result() for name, future in futures.items()}
    print("\n| entry | scenario | repaired | seconds |")
    for name, outcome in results.items():
        for attempt, seconds in zip(outcome.attempts, outcome.attempt_seconds, strict=True):
            repaired = "yes" if attempt.ok_after or (attempt.fix and outcome.report.ok) else "no"
            print(f"| {attempt.error_class} | {name} | {repaired} | {seconds:.1f} |")
    yield results


@pytest.mark.parametrize("entry", sorted(ENTRY_SCENARIO))
def test_loop_repairs_catalogue_entry(outcomes: dict[str, Outcome], entry: str) -> None:
    name = ENTRY_SCENARIO[entry]
    scenario, outcome = SCENARIOS[name], outcomes[name]
    report = outcome.report
    classes = [attempt.error_class for attempt in report.attempts]
    # a fix may need a second step (a timeout: fewer steps, then more time); repeats are allowed
    distinct = [c for i, c in enumerate(classes) if i == 0 or classes[i - 1] != c]
    assert distinct == list(scenario.expected), (classes, report.log_tail[-2000:])
    assert outcome.attempts == report.attempts  # on_attempt saw every attempt
    mine = report.attempts[classes.index(entry)]
    assert report.ok is scenario.repaired, (report.diagnosis, report.log_tail[-2000:])
    if scenario.repaired:
        assert mine.fix is not None and mine.diff.startswith("--- a/")
        assert report.attempts[-1].ok_after is True
    else:
        assert mine.fix is None
        assert report.diagnosis is not None and "Needs a human" in report.diagnosis


def test_report_on_disk_carries_the_attempts(outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes["config"]
    on_disk = read_report(outcome.project / "reports" / "smoke.json", SmokeReport)
    assert on_disk == outcome.report
    config = (outcome.project / "intern.yaml").read_text(encoding="utf-8")
    assert "device: cpu" in config and "text_column: text" in config


def test_llm_patch_applied_only_when_it_passes(outcomes: dict[str, Outcome]) -> None:
    good, bad = outcomes["unknown+llm"], outcomes["unknown+bad_llm"]
    assert good.requests == 1 and good.report.attempts[0].fix is not None
    assert good.report.attempts[0].fix.startswith("LLM patch: fix the misspelt method name")
    assert bad.requests == 1
    assert bad.report.suggested_fix is not None and "setup.py" in bad.report.suggested_fix
