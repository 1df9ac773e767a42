"""Hardware flavours and the projection of a full run's time and cost from the smoke test's throughput.

Speed factors are rough estimates for small text classifiers relative to one CPU core; prices are USD per hour
as listed for Hugging Face Jobs hardware. Both are estimates shown to a human before they approve a run.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from runner.schemas import Projection

STARTUP_SECONDS = 90.0  # container start, install, data loading


class Flavour(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    hardware: str
    usd_per_hour: float
    speed_per_core_equivalent: float
    gpu: bool


FLAVOURS: tuple[Flavour, ...] = (
    Flavour(name="cpu-basic", hardware="2 vCPU, 16 GB", usd_per_hour=0.01, speed_per_core_equivalent=2, gpu=False),
    Flavour(
        name="cpu-upgrade",
        hardware="8 vCPU, 32 GB",
        usd_per_hour=0.03,
        speed_per_core_equivalent=8,
        gpu=False,
    ),
    Flavour(name="t4-small", hardware="NVIDIA T4 16 GB", usd_per_hour=0.40, speed_per_core_equivalent=30, gpu=True),
    Flavour(name="l4x1", hardware="NVIDIA L4 24 GB", usd_per_hour=0.80, speed_per_core_equivalent=60, gpu=True),
    Flavour(
        name="a10g-small",
        hardware="NVIDIA A10G 24 GB",
        usd_per_hour=1.00,
        speed_per_core_equivalent=70,
        gpu=True,
    ),
    Flavour(
        name="a100-large",
        hardware="NVIDIA A100 80 GB",
        usd_per_hour=2.50,
        speed_per_core_equivalent=160,
        gpu=True,
    ),
)
FLAVOUR_NAMES = tuple(flavour.name for flavour in FLAVOURS)


def flavour(name: str) -> Flavour:
    for candidate in FLAVOURS:
        if candidate.name == name:
            return candidate
    raise KeyError(f"unknown flavour {name!r}; known: {', '.join(FLAVOUR_NAMES)}")


def project_runs(examples_per_s: float, measured_cores: int, train_rows: int, epochs: float) -> list[Projection]:
    """Time and cost of the full training on every flavour, from the throughput measured on `measured_cores`."""
    per_core = examples_per_s / max(1, measured_cores)
    work = train_rows * epochs * 1.15  # + evaluation passes, about 15%
    projections = []
    for item in FLAVOURS:
        seconds = STARTUP_SECONDS + work / max(per_core * item.speed_per_core_equivalent, 1e-9)
        projections.append(
            Projection(
                flavour=item.name,
                hardware=item.hardware,
                seconds=round(seconds, 1),
                cost_usd=round(seconds / 3600 * item.usd_per_hour, 4),
            )
        )
    return projections
