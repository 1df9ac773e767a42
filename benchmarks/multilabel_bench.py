"""Benchmark: the default multi-label `intern run`, offline, on this machine, against the multi-label targets.

    python benchmarks/multilabel_bench.py                  # SemEval-2018 E-c and a synthetic 50,000 x 30 set
    python benchmarks/multilabel_bench.py --only semeval
    python benchmarks/multilabel_bench.py --quick          # a tiny run: figures printed, not judged

Each run is a real `intern run` subprocess with nothing but the data (and the given test split): the task, the
columns and the separator are detected. HF_HUB_OFFLINE=1, so the encoder is the verified packaged copy. Targets
(the multi-label issue): on SemEval E-c, delivered test macro F1 >= 0.54 and above the TF-IDF baseline with its own
per-label thresholds; on 50,000 short texts with 30 labels, the whole run within 600 s.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEMEVAL_TARGET = 0.54
SYNTHETIC_SECONDS = 600.0


def semeval(shared: Path, work: Path) -> tuple[Path, Path]:
    """Train + dev joined as the data (the run carves its own validation split), test as the given test split."""
    folder = shared / "semeval-ec"
    joined = work / "semeval_train_dev.csv"
    with joined.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["text", "labels"])
        for name in ("train.csv", "dev.csv"):
            with (folder / name).open(encoding="utf-8") as handle:
                for row in csv.DictReader(handle):
                    writer.writerow([row["text"], row["labels"]])
    return joined, folder / "test.csv"


def synthetic(path: Path, rows: int, labels: int, seed: int = 0) -> Path:
    """Short texts whose labels show in some of their words (and noise words), 0-4 labels each, joined by '|'."""
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(3000)]
    cue = {f"topic_{j:02d}": rng.sample(vocab, 6) for j in range(labels)}
    names = list(cue)
    weights = [1 / (j + 1) for j in range(labels)]  # a long tail of rarer labels
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "tags"])
        for _ in range(rows):
            chosen = sorted(set(rng.choices(names, weights, k=rng.choice([0, 1, 1, 2, 2, 3, 4]))))
            words = [rng.choice(cue[name]) for name in chosen for _ in range(2)] + rng.sample(vocab, 8)
            rng.shuffle(words)
            writer.writerow([" ".join(words), "|".join(chosen)])
    return path


def run(name: str, data: Path, test: Path | None, out_root: Path, extra: list[str]) -> dict[str, object]:
    out = out_root / name
    command = [sys.executable, "-m", "runner.cli", "run", str(data), "--out", str(out), *extra]
    if test is not None:
        command += ["--test", str(test)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CI": "1"}
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        print(result.stderr[-3000:], file=sys.stderr)
        return {"name": name, "ok": False, "seconds": round(seconds, 1)}
    report = json.loads((out / "reports" / "eval.json").read_text(encoding="utf-8"))
    train = json.loads((out / "reports" / "train.json").read_text(encoding="utf-8"))
    tfidf = next(c for c in train["candidates"] if c["name"] == "tfidf")
    return {
        "name": name,
        "ok": True,
        "task": report["task"],
        "delivered": train["winner"],
        "macro_f1": report["macro_f1"],
        "micro_f1": report["micro_f1"],
        "samples_f1": report["multi_label"]["samples_f1"],
        "baseline_macro_f1": tfidf["test_macro_f1"],
        "candidates": {
            c["name"]: (c["validation_macro_f1"], c["test_macro_f1"], c["seconds"]) for c in train["candidates"]
        },
        "seconds": round(seconds, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--only", nargs="*", choices=["semeval", "synthetic"], default=["semeval", "synthetic"])
    parser.add_argument("--keep", type=Path, help="keep the run folders here")
    parser.add_argument("--quick", action="store_true", help="a tiny run: the figures are printed, not judged")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="intern-mlbench-"))
    out_root = args.keep or work
    failures = []
    if args.quick:
        data = synthetic(work / "quick.csv", 300, 5)
        print(json.dumps(run("quick", data, None, out_root, ["--model", "scratch:tiny"])))
        return 0
    if "semeval" in args.only:
        data, test = semeval(args.shared, work)
        result = run("semeval", data, test, out_root, [])
        print(json.dumps(result), flush=True)
        ok = result["ok"] and float(result["macro_f1"]) >= SEMEVAL_TARGET  # type: ignore[arg-type]
        ok = ok and float(result["macro_f1"]) > float(result["baseline_macro_f1"])  # type: ignore[arg-type]
        failures += [] if ok else ["semeval"]
        print(
            f"semeval: test macro F1 {result.get('macro_f1')} (target >= {SEMEVAL_TARGET} and above the baseline "
            f"{result.get('baseline_macro_f1')}) in {result['seconds']} s: {'met' if ok else 'MISSED'}"
        )
    if "synthetic" in args.only:
        data = synthetic(work / "synthetic_50k_30.csv", 50_000, 30)
        result = run("synthetic", data, None, out_root, [])
        print(json.dumps(result), flush=True)
        ok = bool(result["ok"]) and float(result["seconds"]) <= SYNTHETIC_SECONDS  # type: ignore[arg-type]
        failures += [] if ok else ["synthetic"]
        print(
            f"synthetic 50,000 x 30: whole run {result['seconds']} s (target <= {SYNTHETIC_SECONDS:g} s), "
            f"macro F1 {result.get('macro_f1')}: {'met' if ok else 'MISSED'}"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
