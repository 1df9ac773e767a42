"""Benchmark: the default `intern run` on every reference dataset, offline, on this machine, against the targets.

    python benchmarks/models_bench.py                    # all datasets below (about 10 minutes on 2 cores)
    python benchmarks/models_bench.py --only trec-fine snips
    python benchmarks/models_bench.py --data my.csv --test my_test.csv --label intent --name mine
    python benchmarks/models_bench.py --shared ../shared/data --keep runs/bench
    python benchmarks/models_bench.py --quick            # seconds of CPU: a generated 90-row CSV, scratch:tiny

Each run is a real `intern run` subprocess with no arguments beyond the data and columns (HF_HUB_OFFLINE=1, so the
default encoder is the verified packaged copy); every figure comes from the run's own reports. The targets are the
models issue's: the delivered model never worse than the TF-IDF baseline on validation, and per dataset a test score
and a wall-clock limit for the whole run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Dataset:
    data: str  # relative to --shared, or to the repository for `repo:` paths
    label: str
    test: str | None = None
    text: str | None = None
    metric: str = "macro_f1"  # the target's metric on the test split
    target: float = 0.0
    seconds: float = 300.0
    out_of_scope: str | None = None  # a CSV whose `text` column joins the test split as label `oos`
    model: str | None = None  # --model for `intern run` (None: its default)


DATASETS = {
    "readme-example": Dataset("repo:examples/bitext-sample/tickets.csv", "category", seconds=60),
    "bitext": Dataset("bitext/bitext_customer_support_26872.csv", "category", target=0.997, seconds=120),
    "trec-fine": Dataset("trec/train.csv", "fine", "trec/test.csv", "text", "accuracy", 0.87, 180),
    "trec-coarse": Dataset("trec/train.csv", "coarse", "trec/test.csv", "text", "accuracy", 0.94, 180),
    "snips": Dataset("snips/train.csv", "intent", "snips/test.csv", "text", "accuracy", 0.988, 180),
    # Out of scope, from another dataset: TREC's open-domain questions asked of a voice-assistant intent model.
    "snips+oos": Dataset(
        "snips/train.csv", "intent", "snips/test.csv", "text", "accuracy", 0.0, 300, out_of_scope="trec/test.csv"
    ),
}
OUT_OF_SCOPE_CAUGHT = 0.75  # targets when the test split holds out-of-scope texts
ANSWERED_RIGHT = 0.92


def with_out_of_scope(test: Path, extra: Path, label: str, out: Path) -> Path:
    """The test CSV plus every text of `extra` labelled `oos` (a label the model never sees in training)."""
    with test.open(encoding="utf-8") as handle:
        rows = [(row["text"], row[label]) for row in csv.DictReader(handle)]
    with extra.open(encoding="utf-8") as handle:
        rows += [(row["text"], "oos") for row in csv.DictReader(handle)]
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", label])
        writer.writerows(rows)
    return out


def resolve(path: str, shared: Path) -> Path:
    return ROOT / path.removeprefix("repo:") if path.startswith("repo:") else shared / path


def run_one(name: str, spec: Dataset, shared: Path, out_root: Path) -> dict[str, object]:
    out = out_root / name
    command = [sys.executable, "-m", "runner.cli", "run", str(resolve(spec.data, shared)), "--label", spec.label]
    command += ["--out", str(out)]
    if spec.text:
        command += ["--text", spec.text]
    if spec.model:
        command += ["--model", spec.model]
    if spec.test:
        test = resolve(spec.test, shared)
        if spec.out_of_scope:
            test = with_out_of_scope(test, resolve(spec.out_of_scope, shared), spec.label, out_root / f"{name}.csv")
        command += ["--test", str(test)]
    env = dict(os.environ, HF_HUB_OFFLINE="1", CI="1")
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        print(completed.stdout[-3000:], completed.stderr[-3000:], sep="\n", file=sys.stderr)
        return {"name": name, "ok": False, "seconds": round(seconds, 1)}
    reports = out / "reports"
    evaluation = json.loads((reports / "eval.json").read_text())
    train = json.loads((reports / "train.json").read_text())
    run = json.loads((reports / "run.json").read_text())
    candidates = {c["name"]: c for c in train["candidates"]}
    winner = candidates[train["winner"]]
    tfidf = candidates["tfidf"]
    abstention = evaluation.get("abstention") or {}
    return {
        "name": name,
        "ok": True,
        "rows": evaluation["rows"],
        "classes": len(evaluation["per_class"]),
        "seconds": round(seconds, 1),
        "stage_seconds": {stage: info["seconds"] for stage, info in run["stages"].items()},
        "winner": train["winner"],
        "test_accuracy": evaluation["accuracy"],
        "test_macro_f1": evaluation["macro_f1"],
        "baseline_test_accuracy": tfidf["test_accuracy"],
        "baseline_test_macro_f1": tfidf["test_macro_f1"],
        "winner_validation_macro_f1": winner["validation_macro_f1"],
        "baseline_validation_macro_f1": tfidf["validation_macro_f1"],
        "candidates": {
            c["name"]: [c["validation_macro_f1"], c["test_macro_f1"], c["status"]] for c in train["candidates"]
        },
        "threshold": abstention.get("threshold"),
        "answered_right": abstention.get("test_answered_right"),
        "out_of_scope_caught": abstention.get("out_of_scope_caught"),
    }


def verdicts(result: dict[str, object], spec: Dataset) -> list[str]:
    failed = []
    score = float(result[f"test_{spec.metric}"])  # type: ignore[arg-type]
    if score < spec.target:
        failed.append(f"test {spec.metric} {score:.4f} < {spec.target}")
    if float(result["seconds"]) > spec.seconds:  # type: ignore[arg-type]
        failed.append(f"{result['seconds']} s > {spec.seconds:g} s")
    if float(result["winner_validation_macro_f1"]) < float(result["baseline_validation_macro_f1"]):  # type: ignore[arg-type]
        failed.append("delivered model worse than the baseline on validation")
    if spec.out_of_scope:
        caught, right = float(result["out_of_scope_caught"] or 0), float(result["answered_right"] or 0)  # type: ignore[arg-type]
        if caught < OUT_OF_SCOPE_CAUGHT or right < ANSWERED_RIGHT:
            failed.append(
                f"out of scope caught {caught:.3f} (>= {OUT_OF_SCOPE_CAUGHT}), answered and right {right:.3f}"
            )
    return failed


def tiny_dataset(path: Path) -> Path:
    """Four separable classes of generated text (the tests' fake data), for the quick mode."""
    sys.path.insert(0, str(ROOT))
    from tests.fakes.datasets import make_rows, write_rows

    path.parent.mkdir(parents=True, exist_ok=True)
    write_rows(path, make_rows(24)[0])
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(DATASETS), help="some of the built-in datasets")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data", help="the reference data")
    parser.add_argument("--data", help="another dataset file (with --label, optionally --test, --text)")
    parser.add_argument("--test")
    parser.add_argument("--text")
    parser.add_argument("--label")
    parser.add_argument("--name", default="custom")
    parser.add_argument("--keep", type=Path, help="keep the project directories here")
    parser.add_argument("--quick", action="store_true", help="a tiny run: the figures are printed, not judged")
    args = parser.parse_args()
    out_root = args.keep or Path(tempfile.mkdtemp(prefix="intern-bench-"))
    if args.quick:
        data = tiny_dataset(out_root / "tiny.csv")
        result = run_one("quick", Dataset(str(data), "label", model="scratch:tiny"), Path("/"), out_root)
        print(json.dumps(result, indent=2), flush=True)
        return 0 if result["ok"] else 1
    if args.data:
        if not args.label:
            parser.error("--data needs --label")
        chosen = {args.name: Dataset(str(Path(args.data).resolve()), args.label, args.test, args.text)}
        args.shared = Path("/")
    else:
        chosen = {name: DATASETS[name] for name in (args.only or DATASETS)}
    failures = 0
    for name, spec in chosen.items():
        print(f"running {name} ...", flush=True)
        result = run_one(name, spec, args.shared, out_root)
        print(json.dumps(result, indent=2), flush=True)
        problems = ["the run failed"] if not result["ok"] else verdicts(result, spec)
        failures += bool(problems)
        print(f"{name}: {'target met' if not problems else 'MISSED: ' + '; '.join(problems)}\n", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
