"""Stress tests for images: corrupted copies of test images (blur, rotation, brightness, contrast, JPEG
compression, noise, occlusion) must keep their label; images from outside the task (noise, flat colours, gradients,
stripes and checkerboards, drawn shapes) must get `unknown` at the shipped operating point (the abstain threshold
`intern evaluate` chose on validation). Each family reports right, wrong and abstained separately."""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from runner.config import load_config
from runner.models.abstain import choose_threshold
from runner.models.inference import read_threshold, update_model_info
from runner.render.progress_display import Reporter, SilentReporter
from runner.schemas import REPORTS_DIR, StressExample, StressFamily, StressReport, write_report, write_text_atomic
from runner.tasks.image_classification.portable_data import UnreadableImage, load_image_splits, open_image
from runner.tasks.image_classification.portable_model import ImageModel

UNKNOWN = "unknown"
PER_CLASS = 8
WORST = 5
UNKNOWN_IMAGES = 40


def _jpeg(image: Image.Image) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=10)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def _noise(image: Image.Image) -> Image.Image:
    pixels = np.asarray(image, dtype=np.float32)
    noisy = pixels + np.random.default_rng(0).normal(0, 25, pixels.shape)
    return Image.fromarray(noisy.clip(0, 255).astype(np.uint8))


def _occlude(image: Image.Image) -> Image.Image:
    out = image.copy()
    width, height = out.size
    side = int(min(width, height) * 0.4)
    rng = random.Random(width * 31 + height)
    left, top = rng.randint(0, width - side), rng.randint(0, height - side)
    ImageDraw.Draw(out).rectangle([left, top, left + side, top + side], fill=(128, 128, 128))
    return out


CORRUPTIONS: dict[str, tuple[str, Callable[[Image.Image], Image.Image]]] = {
    "blur": ("Gaussian blur, radius 3 px", lambda im: im.filter(ImageFilter.GaussianBlur(3))),
    "rotation": ("rotated by 20 degrees", lambda im: im.rotate(20, Image.Resampling.BILINEAR, fillcolor=(0, 0, 0))),
    "brightness": ("darkened to 40% brightness", lambda im: ImageEnhance.Brightness(im).enhance(0.4)),
    "contrast": ("contrast cut to 40%", lambda im: ImageEnhance.Contrast(im).enhance(0.4)),
    "jpeg": ("re-encoded as JPEG at quality 10", _jpeg),
    "noise": ("Gaussian pixel noise, sigma 25", _noise),
    "occlusion": ("a grey square over 16% of the image", _occlude),
}


def unknown_images(count: int = UNKNOWN_IMAGES, seed: int = 0) -> list[tuple[str, Image.Image]]:
    """Images from outside any photo task: noise, flat colours, gradients, stripes, checkerboards, drawn shapes."""
    rng = np.random.default_rng(seed)
    out: list[tuple[str, Image.Image]] = []
    side = 256
    for n in range(count):
        kind = n % 6
        if kind == 0:
            noise = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
            out.append(("uniform noise", Image.fromarray(noise)))
        elif kind == 1:
            colour = tuple(int(c) for c in rng.integers(0, 256, 3))
            out.append((f"flat colour {colour}", Image.new("RGB", (side, side), colour)))
        elif kind == 2:
            ramp = np.linspace(0, 255, side, dtype=np.float32)
            a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
            array = (a[None, None, :] + (b - a)[None, None, :] * (ramp[None, :, None] / 255.0)).repeat(side, 0)
            out.append(("colour gradient", Image.fromarray(array.clip(0, 255).astype(np.uint8))))
        elif kind == 3:
            period = int(rng.integers(4, 40))
            stripes = ((np.arange(side) // period) % 2 * 255).astype(np.uint8)
            out.append((f"stripes every {period} px", Image.fromarray(np.stack([np.tile(stripes, (side, 1))] * 3, -1))))
        elif kind == 4:
            cell = int(rng.integers(8, 64))
            grid = (((np.arange(side)[:, None] // cell) + (np.arange(side)[None, :] // cell)) % 2 * 255).astype(
                np.uint8
            )
            out.append((f"checkerboard {cell} px", Image.fromarray(np.stack([grid] * 3, -1))))
        else:
            image = Image.new("RGB", (side, side), (255, 255, 255))
            draw = ImageDraw.Draw(image)
            for _ in range(6):
                x, y = (int(v) for v in rng.integers(0, side - 40, 2))
                colour = tuple(int(c) for c in rng.integers(0, 256, 3))
                draw.ellipse([x, y, x + 40, y + 40], outline=colour, width=4)
                draw.line([x, y, side - x, side - y], fill=colour, width=3)
            out.append(("line drawing of shapes", image))
    return out


def sample_test_images(splits: dict[str, tuple[list[str], list[str]]], seed: int) -> list[tuple[str, str]]:
    refs, labels = splits["test"]
    by_label: dict[str, list[str]] = {}
    for ref, label in zip(refs, labels, strict=True):
        by_label.setdefault(label, []).append(ref)
    rng = random.Random(seed)
    picked = []
    for label in sorted(by_label):
        members = by_label[label]
        picked += [(ref, label) for ref in rng.sample(members, min(PER_CLASS, len(members)))]
    return picked


def _family(
    name: str, description: str, model: ImageModel, cases: list[tuple[str, Image.Image, str]], threshold: float
) -> StressFamily:
    probabilities = model.probabilities_of_images([image for _, image, _ in cases])
    examples, right, wrong, abstained = [], 0, 0, 0
    for (what, _, expected), row in zip(cases, probabilities, strict=True):
        top = int(row.argmax())
        score = float(row[top])
        answer = UNKNOWN if score < threshold else model.labels[top]
        passed = answer == expected
        abstained += answer == UNKNOWN
        right += passed
        wrong += (not passed) and answer != UNKNOWN
        examples.append(
            StressExample(text=what, expected=expected, predicted=answer, score=round(score, 4), passed=passed)
        )
    worst = sorted((e for e in examples if not e.passed), key=lambda e: -e.score)[:WORST]
    n = max(1, len(cases))
    return StressFamily(
        family=name,
        description=description,
        n=len(cases),
        metric="abstain rate" if name == "unknown" else "accuracy",
        score=round(right / len(cases), 4) if cases else 0.0,
        worst=worst,
        right=round(right / n, 4),
        wrong=round(wrong / n, 4),
        abstained=round(abstained / n, 4),
        summary=f"{right} right, {wrong} wrong, {abstained} abstained of {len(cases)}",
    )


def run_image_stress(project_dir: Path, reporter: Reporter | None = None) -> StressReport:
    from runner.render.reports import render_stress_md

    project_dir = project_dir.resolve()
    config = load_config(project_dir)
    reporter = reporter or SilentReporter()
    model = ImageModel(project_dir / "model")
    threshold = read_threshold(project_dir / "model")
    reason = "chosen on validation by `intern evaluate` (abstain.coverage)"
    splits = load_image_splits(config.model_dump(mode="json"), str(project_dir))
    if threshold is None:
        probabilities, _ = model.predict_references(splits["validation"][0])
        confidence = np.nanmax(probabilities, axis=1)
        coverage = config.abstain.coverage or 0.95  # unset: `intern evaluate` chooses for the data; a stopgap here
        threshold = choose_threshold(confidence[~np.isnan(confidence)], coverage)
        update_model_info(project_dir / "model", threshold=threshold)
        reason = f"chosen here on validation: keeps {coverage:.0%} of validation images answered"
    families = []
    with reporter.stage("stress", "corrupted and out-of-task images") as ctx:
        originals = []
        for ref, label in sample_test_images(splits, config.training.seed):
            try:
                originals.append((ref, open_image(ref), label))
            except UnreadableImage:
                continue
        for name, (description, corrupt) in CORRUPTIONS.items():
            cases = [(f"{Path(ref).name} ({name})", corrupt(image), label) for ref, image, label in originals]
            families.append(_family(name, f"{description}: the label must not change", model, cases, threshold))
            ctx.update(f"{name}: {families[-1].score:.0%} right")
        outside = [(what, image, UNKNOWN) for what, image in unknown_images()]
        families.append(
            _family(
                "unknown",
                "noise, flat colours, gradients, patterns, drawings: the model must abstain",
                model,
                outside,
                threshold,
            )
        )
    report = StressReport(threshold=threshold, threshold_reason=reason, families=families)
    reports = project_dir / REPORTS_DIR
    write_report(reports / "stress.json", report)
    write_text_atomic(reports / "stress.md", render_stress_md(report))
    return report
