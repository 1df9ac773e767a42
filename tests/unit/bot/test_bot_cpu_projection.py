"""The CPU-fallback notice states the smoke test's projected CPU time, or says there is none."""

from __future__ import annotations

from bot.compute.hf_jobs import cpu_projection


def test_cpu_projection_in_minutes() -> None:
    projections = [
        {"flavour": "t4-small", "seconds": 120.0},
        {"flavour": "cpu-basic", "seconds": 1500.0},
    ]
    assert cpu_projection(projections) == "Projected CPU training time from the smoke test: about 25 min."


def test_cpu_projection_missing() -> None:
    assert cpu_projection([{"flavour": "t4-small", "seconds": 120.0}]) == "No smoke projection for CPU was recorded."
