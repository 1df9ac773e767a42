"""Benchmark: each stage's peak RAM (resident set, the stage's own process and its children) on a many-class run.

    python benchmarks/memory_bench.py                     # 150 classes, 5,000 rows (a few minutes on 2 cores)
    python benchmarks/memory_bench.py --classes 20 --rows 600 --quick   # seconds: the check that it still runs
    python benchmarks/memory_bench.py --limit evaluate=1.5            # exit 1 when a stage goes over (GB)

It builds a synthetic dataset (each class has its own words, mixed with shared ones, so that the classes are
learnable and confusable), then runs `intern scaffold`, `train`, `evaluate`, `stress` and `card` as separate
processes on it, offline, and reads each one's peak resident memory from the kernel (`wait4`'s `ru_maxrss`,
which covers the stage and the `train.py` it starts). Figures from this repository's last measurement are in
CHANGELOG.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("train", "evaluate", "stress", "card")
SHARED = [
    "please",
    "help",
    "with",
    "my",
    "order",
    "account",
    "payment",
    "delivery",
    "refund",
    "issue",
    "problem",
    "question",
    "today",
    "again",
]


def synthetic(path: Path, classes: int, rows: int, seed: int = 0) -> None:
    """`rows` texts over `classes` labels: 4 words of the class's own vocabulary (some shared with the next
    class) among shared filler words."""
    rng = random.Random(seed)
    vocab = [[f"w{c}x{k}" for k in range(6)] + [f"w{(c + 1) % classes}x0"] for c in range(classes)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for row in range(rows):
            label = row % classes
            words = rng.sample(vocab[label], 4) + rng.sample(SHARED, 4)
            rng.shuffle(words)
            writer.writerow([" ".join(words), f"intent_{label:03d}"])


def peak_rss(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> tuple[int, float, float]:
    """(exit code, peak RSS in GB of the process and its waited-for children, seconds); output to `log`."""
    started = time.perf_counter()
    with log.open("wb") as handle:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    kilobytes = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss // 1024
    return process.returncode, kilobytes / 1024 / 1024, time.perf_counter() - started


def intern(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from runner.cli import main; sys.exit(main())", *args]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--classes", type=int, default=150)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--model", default=None, help="encoder (default: the runner's default)")
    parser.add_argument("--quick", action="store_true", help="scratch:tiny model, for a check that it runs")
    parser.add_argument("--limit", action="append", default=[], help="STAGE=GB: fail when the stage goes over")
    args = parser.parse_args()
    limits = {stage: float(gb) for stage, gb in (item.split("=", 1) for item in args.limit)}
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "PYTHONPATH": str(ROOT)}
    failed = False
    with tempfile.TemporaryDirectory(prefix="memory-bench-") as scratch:
        work = Path(scratch)
        data = work / "tickets.csv"
        synthetic(data, args.classes, args.rows)
        project = work / "project"
        scaffold = ["scaffold", str(data), "--out", str(project), "--text", "text", "--label", "label"]
        model = "scratch:tiny" if args.quick else args.model
        if model:
            scaffold += ["--model", model]
        print(f"{args.classes} classes, {args.rows:,} rows{' (quick)' if args.quick else ''}")
        print(f"{'stage':<10} {'peak RAM':>9} {'time':>8}")
        for stage, command in [("scaffold", intern(*scaffold))] + [(s, intern(s, str(project))) for s in STAGES]:
            log = work / f"{stage}.log"
            code, gigabytes, seconds = peak_rss(command, ROOT, env, log)
            over = stage in limits and gigabytes > limits[stage]
            failed |= code != 0 or over
            mark = "" if code == 0 else f"  exit {code}"
            mark += f"  OVER the {limits[stage]:g} GB limit" if over else ""
            print(f"{stage:<10} {gigabytes:>7.2f} GB {seconds:>6.1f} s{mark}", flush=True)
            if code != 0:
                print(log.read_text(encoding="utf-8", errors="replace")[-3000:])
                break
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
