"""Benchmark: the default `intern run FOLDER` on the shared image sets, offline, against the image issue's targets.

    python benchmarks/image_bench.py                          # trashnet and hymenoptera
    python benchmarks/image_bench.py --only hymenoptera
    python benchmarks/image_bench.py --synthetic 50000        # peak RAM of inspect + train.py on 50,000 small images
    python benchmarks/image_bench.py --shared ../shared/data --keep runs/image-bench

Each run is a real `intern run` subprocess with nothing but the folder (HF_HUB_OFFLINE=1, so the backbone is the
verified packaged EfficientNet-Lite0). Figures come from the run's own reports; the peak RAM is the largest resident
set of any process of the run (the CLI or train.py), read from the kernel's accounting of waited-for children.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAM_LIMIT_GB = 4.0


@dataclass(frozen=True)
class ImageSet:
    folder: str  # relative to --shared
    target_accuracy: float
    seconds: float = 600.0


SETS = {
    "trashnet": ImageSet("trashnet", 0.90),
    "hymenoptera": ImageSet("hymenoptera", 0.95),
}


def peak_child_gb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024  # kB on Linux


def run_one(name: str, folder: Path, out: Path) -> dict[str, object]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CI": "1"}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "runner.cli", "run", str(folder), "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    result: dict[str, object] = {"set": name, "seconds": round(seconds, 1), "exit": done.returncode}
    if done.returncode != 0:
        result["error"] = (done.stderr or done.stdout)[-800:]
        return result
    evaluation = json.loads((out / "reports" / "eval.json").read_text())
    train = json.loads((out / "reports" / "train.json").read_text())
    result.update(
        accuracy=evaluation["accuracy"],
        macro_f1=evaluation["macro_f1"],
        winner=evaluation["winner"],
        candidates={c["name"]: (c["validation_macro_f1"], c["test_accuracy"]) for c in evaluation["candidates"]},
        images_per_s=train.get("images_per_s"),
        train_seconds=train["seconds"],
    )
    return result


def synthetic_set(root: Path, count: int, classes: int = 10) -> Path:
    """`count` small PNGs (64x48) in `classes` class folders: colour and a square's position tell the classes."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for i in range(count):
        label = i % classes
        folder = root / f"class{label}"
        folder.mkdir(parents=True, exist_ok=True)
        pixels = rng.normal(40 + 20 * label, 30, (48, 64, 3)).clip(0, 255).astype(np.uint8)
        pixels[5 * label % 40 : 5 * label % 40 + 8, 4 * label : 4 * label + 8] = 255
        Image.fromarray(pixels).save(folder / f"{i}.png")
    return root


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--only", nargs="*", choices=sorted(SETS))
    parser.add_argument("--keep", help="keep the run folders here")
    parser.add_argument("--synthetic", type=int, help="measure peak RAM on this many synthetic small images")
    args = parser.parse_args()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="image-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    failures = 0
    if args.synthetic:
        folder = synthetic_set(base / f"synthetic-{args.synthetic}", args.synthetic)
        result = run_one(f"synthetic-{args.synthetic}", folder, base / "synthetic-run")
        result["peak_ram_gb"] = round(peak_child_gb(), 2)
        ok = result["exit"] == 0 and float(result["peak_ram_gb"]) <= RAM_LIMIT_GB  # type: ignore[arg-type]
        failures += not ok
        print(json.dumps({**result, "ok": ok}), flush=True)
        return 1 if failures else 0
    for name in args.only or sorted(SETS):
        spec = SETS[name]
        result = run_one(name, Path(args.shared) / spec.folder, base / name)
        result["peak_ram_gb"] = round(peak_child_gb(), 2)  # the largest child so far (runs are sequential)
        ok = (
            result["exit"] == 0
            and float(result.get("accuracy", 0.0)) >= spec.target_accuracy  # type: ignore[arg-type]
            and float(result["seconds"]) <= spec.seconds  # type: ignore[arg-type]
        )
        failures += not ok
        print(json.dumps({**result, "target_accuracy": spec.target_accuracy, "ok": ok}), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
