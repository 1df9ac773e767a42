"""Hardware flavours and the projection of a full run (runner/flavours.py)."""

from __future__ import annotations

import pytest

from runner.flavours import FLAVOUR_NAMES, FLAVOURS, STARTUP_SECONDS, flavour, project_runs


def test_flavour_lookup() -> None:
    assert flavour("t4-small").gpu is True
    assert flavour("cpu-basic").gpu is False
    with pytest.raises(KeyError, match=r"unknown flavour 'h100'.*cpu-basic"):
        flavour("h100")


def test_projection_numbers() -> None:
    projections = project_runs(examples_per_s=100, measured_cores=2, train_rows=1000, epochs=2)
    assert [p.flavour for p in projections] == list(FLAVOUR_NAMES)
    cpu = projections[0]
    # 1000 rows * 2 epochs * 1.15 = 2300 examples at 50/s per core * 2 core-equivalents = 23 s, + start-up
    assert cpu.seconds == STARTUP_SECONDS + 23.0
    assert cpu.cost_usd == round((STARTUP_SECONDS + 23.0) / 3600 * 0.01, 4)
    assert cpu.hardware == FLAVOURS[0].hardware


def test_faster_flavours_take_less_time() -> None:
    projections = project_runs(examples_per_s=40, measured_cores=4, train_rows=20000, epochs=3)
    seconds = [p.seconds for p in projections]
    assert seconds == sorted(seconds, reverse=True)
    assert all(p.seconds > STARTUP_SECONDS for p in projections)
    assert all(p.cost_usd > 0 for p in projections)


@pytest.mark.parametrize("rate", [0.0, 1e-12])
def test_zero_throughput_never_divides_by_zero(rate: float) -> None:
    projections = project_runs(examples_per_s=rate, measured_cores=0, train_rows=10, epochs=1)
    assert len(projections) == len(FLAVOURS)
    assert all(p.seconds > 1e6 for p in projections)
