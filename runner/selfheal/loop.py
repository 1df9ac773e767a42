"""The self-debugging loop: smoke test -> diagnose -> fix -> smoke test again, at most `max_attempts` times.

Known failures get the catalogue's fix (`runner.selfheal.fixes`). Unknown ones, or known ones whose fix does not
apply, go to the LLM when one is configured: it is asked for a unified diff of train.py / intern.yaml,
which is applied only if it parses, touches nothing else and the smoke test then passes; otherwise the
files are put back and the diff is reported as a suggestion. Every try is a `FixAttempt` in the final
`SmokeReport`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from runner.adapters.llm import LLMClient, LLMError
from runner.config import load_config, resolve_data_path
from runner.data.columns import ColumnChoice, detect_columns
from runner.data.load import load_table
from runner.errors import InternError
from runner.render.markdown import LOG_TAIL_CHARS
from runner.schemas import REPORTS_DIR, FixAttempt, SmokeReport, write_report, write_text_atomic
from runner.selfheal.diagnose import Diagnosis, classify_failure
from runner.selfheal.fixes import PROJECT_FILES, ProposedFix, propose_fix, unified_diff

logger = logging.getLogger(__name__)

SmokeRunner = Callable[[Path], SmokeReport]
MAX_ATTEMPTS = 3
"""Automatic fixes before a failing smoke test waits for a human (the CLI's `--fix` and the bot alike)."""
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")

PATCH_SYSTEM = (
    "You repair the smoke test of a text-classification training project. You get train.py (transformers 5, "
    "datasets 5, torch, scikit-learn), intern.yaml (its config) and the tail of the failing log. Answer with "
    "a minimal unified diff (--- a/PATH, +++ b/PATH, @@ hunks with exact context lines) that edits only "
    "train.py and/or intern.yaml, and a one-sentence reason. Do not rewrite unrelated code."
)


class PatchError(ValueError):
    """A diff that does not parse, does not apply, or touches files outside the project's two files."""


class PatchProposal(BaseModel):
    """What the LLM is asked for on an unknown failure."""

    model_config = ConfigDict(frozen=True)

    reason: str = Field(description="one sentence: what was wrong and what the diff changes")
    diff: str = Field(description="unified diff against train.py and/or intern.yaml")


def apply_unified_diff(files: dict[str, str], diff: str, allowed: tuple[str, ...] = PROJECT_FILES) -> dict[str, str]:
    """The new texts of the files `diff` changes. Raises PatchError when it cannot be applied exactly."""
    lines = diff.splitlines(keepends=True)
    changed: dict[str, str] = {}
    i = 0
    while i < len(lines):
        if not lines[i].startswith("--- "):
            i += 1
            continue
        if i + 1 >= len(lines) or not lines[i + 1].startswith("+++ "):
            raise PatchError("a '--- ' header is not followed by '+++ '")
        path = lines[i + 1][4:].strip().split("\t")[0]
        path = path[2:] if path.startswith(("a/", "b/")) else path
        if path not in allowed:
            raise PatchError(f"the diff touches {path!r}; only {', '.join(allowed)} may be changed")
        if path not in files:
            raise PatchError(f"{path} does not exist in the project")
        i += 2
        source = (changed.get(path) or files[path]).splitlines(keepends=True)
        result: list[str] = []
        cursor = 0
        while i < len(lines) and lines[i].startswith("@@"):
            if not _HUNK.match(lines[i]):
                raise PatchError(f"bad hunk header: {lines[i].strip()!r}")
            i += 1
            old, new = [], []
            while i < len(lines) and not lines[i].startswith(("@@", "--- ")):
                line = lines[i] if lines[i].strip() else " \n"  # a blank context line may lose its space
                tag, body = line[:1], line[1:] if line[1:].endswith("\n") else line[1:] + "\n"
                if tag == " ":
                    old.append(body)
                    new.append(body)
                elif tag == "-":
                    old.append(body)
                elif tag == "+":
                    new.append(body)
                elif tag != "\\":
                    raise PatchError(f"unexpected diff line: {line.rstrip()!r}")
                i += 1
            at = _find(source, old, cursor)
            if at is None:
                raise PatchError(f"a hunk of the diff does not match {path}")
            result.extend(source[cursor:at])
            result.extend(new)
            cursor = at + len(old)
        result.extend(source[cursor:])
        changed[path] = "".join(result)
    if not changed:
        raise PatchError("no file changes found in the diff")
    return changed


def _find(source: list[str], block: list[str], start: int) -> int | None:
    stripped = [line.rstrip() for line in block]
    for at in range(start, len(source) - len(block) + 1):
        if [line.rstrip() for line in source[at : at + len(block)]] == stripped:
            return at
    return None


def read_project_files(project_dir: Path) -> dict[str, str]:
    return {name: (project_dir / name).read_text(encoding="utf-8") for name in PROJECT_FILES}


def write_project_files(project_dir: Path, changes: dict[str, str]) -> None:
    for name, text in changes.items():
        if name not in PROJECT_FILES:
            raise PatchError(f"refusing to write {name}: only {', '.join(PROJECT_FILES)} are project files")
        write_text_atomic(project_dir / name, text)


def detect_project_columns(project_dir: Path) -> ColumnChoice | None:
    """The runner's column detection on the project's data (configured names kept when they exist)."""
    try:
        config = load_config(project_dir)
        source = config.data.source
        if config.data.format != "hub":
            source = str(resolve_data_path(project_dir, source))
        frame = load_table(source, config.data.format, config.data.hub_split)
        present = set(frame.columns)
        text = config.data.text_column if config.data.text_column in present else None
        label = config.data.label_column if config.data.label_column in present else None
        return detect_columns(frame, text=text, label=label)
    except InternError as exc:
        logger.info("column detection failed: %s", exc)
        return None


def ask_llm_for_patch(llm: LLMClient, files: dict[str, str], diagnosis: Diagnosis, log_tail: str) -> ProposedFix:
    """The LLM's patch as a ProposedFix; raises LLMError or PatchError when it is unusable."""
    user = (
        f"Diagnosis: {diagnosis.error_class}: {diagnosis.summary}\n\n"
        + "".join(f"=== {name} ===\n{text}\n" for name, text in files.items())
        + f"=== log tail ===\n{log_tail[-LOG_TAIL_CHARS:]}\n"
    )
    proposal = llm.complete_json(PATCH_SYSTEM, user, PatchProposal)
    changes = apply_unified_diff(files, proposal.diff)
    return ProposedFix(
        error_class=diagnosis.error_class,
        reason=f"LLM patch: {proposal.reason}",
        changes=changes,
        diff=unified_diff(files, changes),
    )


@dataclass(frozen=True)
class Repair:
    """One step of the loop: what failed, and the fix to try (None: nothing applies; `problem` says why)."""

    diagnosis: Diagnosis
    fix: ProposedFix | None
    from_llm: bool = False
    problem: str | None = None


def next_repair(
    files: dict[str, str],
    log_tail: str,
    attempt: int,
    *,
    columns: Callable[[], ColumnChoice | None] = lambda: None,
    llm: LLMClient | None = None,
) -> Repair:
    """Diagnose `log_tail`, then the catalogue's fix, else (with an LLM) a checked LLM patch.

    The one step both loops share: `smoke_with_fixes` below (the CLI) and `bot.runs.smoke_repair` (the bot, which
    pushes the fix as a commit and waits for the workflow). `columns` is asked only for a missing column.
    """
    diagnosis = classify_failure(log_tail)
    choice = columns() if diagnosis.error_class == "missing_column" else None
    fix = propose_fix(files, diagnosis, attempt, columns=choice)
    if fix is not None or llm is None:
        return Repair(diagnosis, fix)
    try:
        return Repair(diagnosis, ask_llm_for_patch(llm, files, diagnosis, log_tail), from_llm=True)
    except (LLMError, PatchError) as exc:
        return Repair(diagnosis, None, problem=f"the LLM could not give a usable patch: {exc}")


def smoke_with_fixes(
    project_dir: Path,
    max_attempts: int = MAX_ATTEMPTS,
    llm: LLMClient | None = None,
    on_attempt: Callable[[FixAttempt], None] | None = None,
    *,
    smoke: SmokeRunner,
) -> SmokeReport:
    """Run the smoke test with `smoke` (`runner.stages.smoke.run_smoke`: passed in, so the self-heal folder never
    imports the stages that use its diagnosis), repairing known (and, with an LLM, unknown) failures; writes
    reports/smoke.json."""
    report = smoke(project_dir)
    attempts: list[FixAttempt] = []
    suggestion: str | None = None
    seen_diffs: set[str] = set()
    while not report.ok and len(attempts) < max_attempts:
        number = len(attempts) + 1
        files = read_project_files(project_dir)
        repair = next_repair(
            files, report.log_tail, number, columns=lambda: detect_project_columns(project_dir), llm=llm
        )
        diagnosis, fix, from_llm = repair.diagnosis, repair.fix, repair.from_llm
        if repair.problem is not None:
            suggestion = repair.problem
            logger.info("attempt %d: %s", number, suggestion)
        if fix is None or fix.diff in seen_diffs:
            record = FixAttempt(attempt=number, error_class=diagnosis.error_class, fix=None, ok_after=False)
            attempts.append(record)
            if on_attempt is not None:
                on_attempt(record)
            break
        seen_diffs.add(fix.diff)
        logger.info("attempt %d: %s: %s", number, diagnosis.error_class, fix.reason)
        write_project_files(project_dir, fix.changes)
        before, report = report, smoke(project_dir)
        ok_after, reason = report.ok, fix.reason
        if from_llm and not report.ok:  # an LLM patch is kept only when it makes the smoke test pass
            write_project_files(project_dir, {name: files[name] for name in fix.changes})
            suggestion = f"{fix.reason} (not applied: the smoke test still failed with it)\n{fix.diff}"
            reason, report = f"{fix.reason} (reverted: the smoke test still failed)", before
        record = FixAttempt(
            attempt=number, error_class=diagnosis.error_class, fix=reason, diff=fix.diff, ok_after=ok_after
        )
        attempts.append(record)
        if on_attempt is not None:
            on_attempt(record)
    update: dict[str, object] = {"attempts": attempts}
    if not report.ok and attempts:
        tried = "; ".join(f"{a.attempt}: {a.error_class} -> {a.fix or 'no known fix'}" for a in attempts)
        update["diagnosis"] = f"{report.diagnosis} Needs a human after {len(attempts)} attempt(s) ({tried})."
        if suggestion:
            update["suggested_fix"] = f"{report.suggested_fix or ''}\n{suggestion}".strip()
    final = report.model_copy(update=update)
    write_report(project_dir / REPORTS_DIR / "smoke.json", final)
    return final
