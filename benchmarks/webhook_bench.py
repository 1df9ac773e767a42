"""Benchmark of the webhook edge: signed deliveries from a second process over loopback.

    .venv/bin/python benchmarks/webhook_bench.py [--requests 2000] [--concurrency 8] [--seconds 10]
    .venv/bin/python benchmarks/webhook_bench.py --quick    # seconds: tiny sizes (run by the test suite)

Starts the real app (uvicorn, SQLite database in a temp dir, no worker threads so only the edge is measured)
in a child process, then sends real `issue_comment` payloads (tests/fixtures/github-webhooks, the repository's copy
of shared/fixtures), each signed, with
a fresh delivery id and a fresh comment id (the edge drops a repeated event as a replay): first one at a time
(acknowledgement latency p50/p99), then from several threads for
`--seconds` (sustained deliveries per second). Every answer must be 202, or the run fails.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx2

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "tests/fixtures/github-webhooks/payload-examples/issue_comment/created.payload.json"
SECRET = "benchmark-webhook-secret-0123456789"

SERVER = """
import sys
import uvicorn
from bot.app import create_app
from bot.settings import Settings
settings = Settings(_env_file=None, webhook_secret=sys.argv[1], database_url=sys.argv[2], workers=0)
uvicorn.run(create_app(settings), host="127.0.0.1", port=int(sys.argv[3]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Events:
    """Distinct `issue_comment` bodies: the example payload with a new comment id each time (thread-safe)."""

    def __init__(self, example: dict[str, object]) -> None:
        self._example = example
        self._ids = itertools.count(10_000_000)

    def next(self) -> bytes:
        payload = json.loads(json.dumps(self._example))
        payload["comment"]["id"] = next(self._ids)
        return json.dumps(payload).encode()


def signed(body: bytes) -> dict[str, str]:
    from bot.webhook import sign

    return {
        "Content-Type": "application/json",
        "X-GitHub-Event": "issue_comment",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(SECRET.encode(), body),
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def latency(client: httpx2.Client, url: str, events: Events, count: int) -> list[float]:
    timings = []
    for _ in range(count):
        body = events.next()
        headers = signed(body)
        start = time.perf_counter()
        response = client.post(url, content=body, headers=headers)
        timings.append(time.perf_counter() - start)
        if response.status_code != 202:
            raise SystemExit(f"unexpected {response.status_code}: {response.text}")
    return timings


def throughput(url: str, events: Events, concurrency: int, seconds: float) -> tuple[int, float]:
    done = [0] * concurrency
    failures: list[str] = []
    stop = time.monotonic() + seconds

    def worker(index: int) -> None:
        with httpx2.Client(timeout=30) as client:
            while time.monotonic() < stop:
                body = events.next()
                response = client.post(url, content=body, headers=signed(body))
                if response.status_code != 202:
                    failures.append(f"{response.status_code} {response.text[:200]}")
                    return
                done[index] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"failed deliveries: {failures[:3]}")
    return sum(done), time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="sequential deliveries for the latency figures")
    parser.add_argument("--concurrency", type=int, default=8, help="sender threads for the throughput figure")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of the throughput phase")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check that the benchmark still runs")
    args = parser.parse_args()
    warm_up = 50
    if args.quick:
        args.requests, args.concurrency, args.seconds, warm_up = 20, 2, 1.0, 5
    events = Events(json.loads(EXAMPLE.read_text(encoding="utf-8")))
    body = events.next()
    port = free_port()
    with tempfile.TemporaryDirectory() as scratch:
        database = f"sqlite:///{Path(scratch) / 'bench.db'}"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        server = subprocess.Popen([sys.executable, "-c", SERVER, SECRET, database, str(port)], env=env, cwd=scratch)
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx2.Client(timeout=30) as client:
                deadline = time.monotonic() + 30
                while True:
                    try:
                        if client.get(f"{base}/healthz").status_code == 200:
                            break
                    except httpx2.TransportError:
                        pass
                    if time.monotonic() > deadline:
                        raise SystemExit("the bot did not start")
                    time.sleep(0.1)
                latency(client, f"{base}/webhook", events, warm_up)
                timings = latency(client, f"{base}/webhook", events, args.requests)
            sent, elapsed = throughput(f"{base}/webhook", events, args.concurrency, args.seconds)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"payload: issue_comment created ({len(body)} bytes), SQLite, {os.cpu_count()} CPUs")
    print(
        f"ack latency over {len(timings)} sequential deliveries: p50 {percentile(timings, 0.5) * 1000:.2f} ms, "
        f"p99 {percentile(timings, 0.99) * 1000:.2f} ms, mean {statistics.mean(timings) * 1000:.2f} ms"
    )
    print(f"sustained: {sent / elapsed:.0f} deliveries/s ({sent} in {elapsed:.1f} s, {args.concurrency} senders)")


if __name__ == "__main__":
    main()
