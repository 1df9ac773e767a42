"""The full run projected from the smoke test, candidate by candidate, on this machine and every flavour (pure).

The smoke test runs every candidate of the ladder on a tiny sample and `train.py` reports what each cost (its
time; the encoder's embedding rate; the fine-tuning speed) together with the rules that decide what the full run
trains (`training.stop_when_perfect`, the fine-tuning budget). The projection follows those rules per target:

- linear candidates (TF-IDF, embeddings + SVM): the sample's fit time scaled to the full rows, times 2 (the refit
  on train + validation and the test scoring); CPU-bound, so the same on every flavour;
- the encoder's embeddings: train, validation and test texts at the measured rate, scaled by the flavour's speed;
- fine-tuning: trained only where the full run will train it (a GPU, or enough epochs in the CPU budget), for the
  epochs that fit the budget, at the measured speed scaled by the flavour's speed;
- the fixed part of the sample run (loading the data and the encoder), plus the start-up of a hosted job.

The cheapest candidate (TF-IDF) is measured on the full split during the smoke test (`full_scale`): its real
cost, and whether its validation score is perfect, which is what stops the ladder.

When the ladder may stop early (a candidate already perfect on the sample's validation split), the expected case
stops there and the worst case trains everything; both are shown to the approver.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runner.flavours import FLAVOURS, STARTUP_SECONDS
from runner.schemas import Projection

LINEAR_PASSES = 2.0
"""A linear candidate is fitted once on train and, when it wins, again on train + validation, then scored."""
LOCAL_FLAVOUR = "local-cpu"
"""The name the `local` backend runs under: this machine, as measured."""


@dataclass(frozen=True)
class Target:
    name: str
    hardware: str
    speed: float  # parallel work (embedding, fine-tuning) relative to the machine the smoke test ran on
    gpu: bool
    usd_per_hour: float
    startup_s: float


@dataclass(frozen=True)
class Sizes:
    train: int
    validation: int
    test: int


def targets(cores: int, local_hardware: str) -> list[Target]:
    """This machine first, then every hosted flavour (speed relative to the `cores` the smoke test had)."""
    local = Target(LOCAL_FLAVOUR, local_hardware, 1.0, False, 0.0, 0.0)
    hosted = [
        Target(f.name, f.hardware, f.speed_per_core_equivalent / max(1, cores), f.gpu, f.usd_per_hour, STARTUP_SECONDS)
        for f in FLAVOURS
    ]
    return [local, *hosted]


def _float(value: Any, default: float = 0.0) -> float:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else default


def fine_tune_plan(rules: Mapping[str, Any], rate: float, train_rows: int, gpu: bool) -> tuple[int, float]:
    """(epochs, seconds per epoch) the full run fine-tunes for at `rate` examples/s; 0 epochs: skipped. The same
    rule as train.py's `fine_tune_epochs`."""
    mode = rules.get("mode", "auto")
    if mode == "never" or rate <= 0:
        return 0, 0.0
    defaults = rules.get("default_budget_s") or {}
    budget = _float(rules.get("budget_s")) or _float(defaults.get("cuda" if gpu else "cpu"), 60.0)
    epoch_s = _float(rules.get("epoch_overhead"), 1.5) * train_rows / rate
    affordable = int(budget // max(epoch_s, 1e-9))
    cap = int(_float(rules.get("epochs_cap"), 1.0))
    if mode == "always" or rules.get("scratch"):
        return max(1, min(cap, affordable)), epoch_s
    if affordable < int(_float(rules.get("min_epochs"), 2.0)):
        return 0, epoch_s
    return min(cap, affordable), epoch_s


def candidate_seconds(measured: Mapping[str, Any], smoke: Mapping[str, Any], full: Sizes, target: Target) -> float:
    """What one candidate of the smoke report costs in the full run on `target` (0: it will not train)."""
    sample = smoke.get("sample_rows") or {}
    ratio = 1.0 if measured.get("full_scale") else full.train / max(1, int(_float(sample.get("train"), 1)))
    seconds = _float(measured.get("seconds"))
    name = measured.get("name")
    if name == "fine-tune":
        rate = _float(measured.get("examples_per_s")) * target.speed
        epochs, epoch_s = fine_tune_plan(smoke.get("fine_tune") or {}, rate, full.train, target.gpu)
        setup = max(0.0, seconds - _float(measured.get("smoke_train_seconds")))
        return setup + epochs * epoch_s if epochs else 0.0
    if measured.get("status") != "trained":
        return 0.0
    embed_rate = _float(measured.get("embed_per_s"))
    if embed_rate > 0:  # the encoder candidate carries the embedding of every split
        sample_texts = _float(sample.get("train")) + _float(sample.get("validation"))
        fit = max(0.0, seconds - sample_texts / embed_rate)
        texts = full.train + full.validation + full.test
        return texts / (embed_rate * target.speed) + fit * ratio * LINEAR_PASSES
    if name == "encoder+tfidf":  # its record repeats the embedding time the encoder candidate already counts
        embedder = next((m for m in smoke.get("measured", []) if _float(m.get("embed_per_s")) > 0), None)
        if embedder is not None:
            sample_texts = _float(sample.get("train")) + _float(sample.get("validation"))
            seconds = max(0.0, seconds - sample_texts / _float(embedder.get("embed_per_s"), 1.0))
    return seconds * ratio * LINEAR_PASSES


def project(smoke: Mapping[str, Any], full: Sizes, cores: int, local_hardware: str) -> list[Projection]:
    """Expected and worst-case time and cost of the full run on this machine and on every flavour."""
    measured = [m for m in smoke.get("measured", []) if isinstance(m, Mapping)]
    fixed = _float(smoke.get("setup_seconds"))
    stop = bool(smoke.get("stop_when_perfect", True))
    projections = []
    for target in targets(cores, local_hardware):
        costs = [
            (str(m.get("name")), candidate_seconds(m, smoke, full, target), bool(m.get("perfect"))) for m in measured
        ]
        worst = [(name, seconds) for name, seconds, _ in costs if seconds > 0]
        expected = []
        for name, seconds, perfect in costs:
            if seconds > 0:
                expected.append((name, seconds))
            if stop and perfect and seconds > 0:
                break
        base = fixed + target.startup_s
        expected_s = base + sum(seconds for _, seconds in expected)
        worst_s = base + sum(seconds for _, seconds in worst)
        projections.append(
            Projection(
                flavour=target.name,
                hardware=target.hardware,
                seconds=round(expected_s, 1),
                cost_usd=round(expected_s / 3600 * target.usd_per_hour, 4),
                worst_seconds=round(worst_s, 1),
                worst_cost_usd=round(worst_s / 3600 * target.usd_per_hour, 4),
                trains=[name for name, _ in expected],
                worst_trains=[name for name, _ in worst],
                startup_seconds=target.startup_s,
            )
        )
    return projections
