"""Reading report artifacts and rendering them for the PR (pure; validated against runner.schemas)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import PurePosixPath
from typing import TypeVar

from pydantic import ValidationError

from bot.comments import render_template
from runner.schemas import EpochRecord, EvalReport, SmokeReport, StressReport, TrainSummary

R = TypeVar("R", EvalReport, StressReport, TrainSummary)
REPORT_SUFFIXES = (".json", ".jsonl", ".md", ".png", ".log")
MAX_REPORT_BYTES = 5 * 1024 * 1024
MAX_ZIP_ENTRIES = 200
MAX_ZIP_TOTAL_BYTES = 25 * 1024 * 1024


class ArtifactRejected(ValueError):
    """An artifact zip over the limits (entries, sizes) or not a zip at all."""


def read_zip_reports(data: bytes) -> dict[str, bytes]:
    """Report files in an artifact zip, by base name (the artifact may or may not keep `reports/`).

    The zip was made by the PR's code: more than MAX_ZIP_ENTRIES entries is refused before anything is
    decompressed, each file is read with a cap (MAX_REPORT_BYTES, whatever its header claims) and all of
    them together stop at MAX_ZIP_TOTAL_BYTES, so a zip bomb costs at most that much memory."""
    found: dict[str, bytes] = {}
    total = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                raise ArtifactRejected(f"the artifact has {len(entries)} entries, over the {MAX_ZIP_ENTRIES} limit")
            for info in entries:
                name = PurePosixPath(info.filename).name
                if info.is_dir() or not name.endswith(REPORT_SUFFIXES) or info.file_size > MAX_REPORT_BYTES:
                    continue
                with archive.open(info) as member:
                    content = member.read(MAX_REPORT_BYTES + 1)
                if len(content) > MAX_REPORT_BYTES:
                    continue
                total += len(content)
                if total > MAX_ZIP_TOTAL_BYTES:
                    raise ArtifactRejected(f"the artifact's reports are over {MAX_ZIP_TOTAL_BYTES} bytes in all")
                found[name] = content
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise ArtifactRejected(f"the artifact is not a readable zip: {exc}") from exc
    return found


def parse_smoke(reports: dict[str, bytes]) -> SmokeReport | None:
    raw = reports.get("smoke.json")
    if raw is None:
        return None
    try:
        return SmokeReport.model_validate_json(raw)
    except ValidationError:
        return None


def render_smoke_md(report: SmokeReport) -> str:
    try:
        from runner.render.reports import render_smoke_md as runner_render
    except ImportError:
        return render_template("smoke.md.j2", report=report)
    return runner_render(report)


def parse_epochs(jsonl: bytes) -> list[EpochRecord]:
    records = []
    for line in jsonl.decode("utf-8", "replace").splitlines():
        if line.strip():
            try:
                records.append(EpochRecord.model_validate(json.loads(line)))
            except (ValueError, ValidationError):
                continue
    return records


def render_epochs_md(jsonl: bytes, summary: TrainSummary | None = None, epochs_image: str | None = None) -> str:
    return render_template("training.md.j2", epochs=parse_epochs(jsonl), summary=summary, epochs_image=epochs_image)


def _load(reports: dict[str, bytes], name: str, model: type[R]) -> R | None:
    raw = reports.get(name)
    if raw is None:
        return None
    try:
        return model.model_validate_json(raw)
    except ValidationError:
        return None


def render_result_sections(reports: dict[str, bytes], image_url: str | None) -> dict[str, str]:
    """Sections of the sticky comment for final training results: training, evaluation, stress."""
    summary = _load(reports, "train.json", TrainSummary)

    def image(name: str) -> str | None:  # shown inline: committed to the PR branch beside the confusion matrix
        return image_url.replace("confusion_matrix.png", name) if image_url and name in reports else None

    sections = {"training": render_epochs_md(reports.get("train.jsonl", b""), summary, image("epochs.png"))}
    evaluation = _load(reports, "eval.json", EvalReport)
    if evaluation is not None:
        sections["evaluation"] = render_template(
            "evaluation.md.j2",
            report=evaluation,
            image_url=image_url if "confusion_matrix.png" in reports else None,
            coverage_url=image("coverage_curve.png"),
            per_label_url=image("per_label_f1.png"),
        )
    stress = _load(reports, "stress.json", StressReport)
    if stress is not None:
        sections["stress"] = render_template("stress.md.j2", report=stress)
    return sections


def one_line_summary(reports: dict[str, bytes]) -> str:
    evaluation = _load(reports, "eval.json", EvalReport)
    if evaluation is None:
        return "training finished; no evaluation report found"
    return f"test accuracy {evaluation.accuracy:.3f}, macro F1 {evaluation.macro_f1:.3f} on {evaluation.rows} rows"


def html_base(api_url: str) -> str:
    """github.com for the public API, the host for GitHub Enterprise (`https://HOST/api/v3`)."""
    api = api_url.rstrip("/")
    if api == "https://api.github.com":
        return "https://github.com"
    return api.removesuffix("/api/v3")


def blob_url(api_url: str, repo: str, sha: str, path: str) -> str:
    return f"{html_base(api_url)}/{repo}/blob/{sha}/{path}?raw=true"
