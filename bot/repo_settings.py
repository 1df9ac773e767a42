"""Per-repository settings from `.github/intern.yml` on the DEFAULT branch (never from a PR head), and the
budget decision: which flavour a training run may use under the caps of the bot and of the repository.

```yaml
# .github/intern.yml
compute: actions          # actions | hf-jobs | local
max_run_cost_usd: 5
max_run_hours: 2
flavours: [cpu-basic, t4-small]
```
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.errors import BudgetExceededError, CommandError
from bot.gateway import GitHubGateway
from runner.flavours import FLAVOURS, STARTUP_SECONDS
from runner.projection import LOCAL_FLAVOUR

REPO_SETTINGS_PATH = ".github/intern.yml"
DEFAULT_FLAVOUR = "cpu-basic"


class RepoSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    compute: Literal["actions", "hf-jobs", "local"] | None = None
    max_run_cost_usd: float | None = Field(default=None, ge=0)
    max_run_hours: float | None = Field(default=None, gt=0)
    flavours: list[str] | None = None
    default_flavour: str | None = None


class Projection(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    flavour: str
    hardware: str = ""
    seconds: float
    cost_usd: float
    worst_seconds: float | None = None
    worst_cost_usd: float | None = None
    trains: list[str] = Field(default_factory=list)
    worst_trains: list[str] = Field(default_factory=list)
    startup_seconds: float = 0.0


PRICES = {item.name: item for item in FLAVOURS}
CANDIDATE_NAMES = ("tfidf", "encoder", "encoder+tfidf", "fine-tune")


def priced(claimed: Iterable[Mapping[str, Any]]) -> list[Projection]:
    """The smoke test's projections as the bot trusts them (pure).

    `reports/smoke.json` is written by the PR's code, so only its measured times (expected and worst case) and
    the candidate names it expects to train are taken: a flavour not in the bot's table (`runner.flavours`) is
    dropped, except `local-cpu` (the `local` backend: this machine, free), the hardware and the cost come from
    the table (cost = hours x the bot's price), and a time that is not a finite number of seconds is dropped (a
    time under the fixed start-up cost of a hosted flavour is raised to it)."""
    trusted: dict[str, Projection] = {}
    for item in claimed:
        name, seconds = item.get("flavour"), _seconds(item.get("seconds"))
        if not isinstance(name, str) or name not in (*PRICES, LOCAL_FLAVOUR) or name in trusted or seconds is None:
            continue
        local = name == LOCAL_FLAVOUR
        floor = 0.0 if local else STARTUP_SECONDS
        price = 0.0 if local else PRICES[name].usd_per_hour
        seconds = max(seconds, floor)
        worst = max(_seconds(item.get("worst_seconds")) or seconds, seconds)
        trusted[name] = Projection(
            flavour=name,
            hardware="the bot's machine" if local else PRICES[name].hardware,
            seconds=seconds,
            cost_usd=round(seconds / 3600 * price, 4),
            worst_seconds=worst,
            worst_cost_usd=round(worst / 3600 * price, 4),
            trains=_names(item.get("trains")),
            worst_trains=_names(item.get("worst_trains")),
            startup_seconds=floor,
        )
    return list(trusted.values())


def _seconds(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _names(value: Any) -> list[str]:
    """Candidate names from the PR's report: only the ones train.py has."""
    return [name for name in value if name in CANDIDATE_NAMES] if isinstance(value, list) else []


def spend_limit_s(flavour: str, max_cost: float, max_hours: float) -> int:
    """The longest a job on `flavour` may run under both caps, from the bot's prices (pure): the hard limit
    that holds whatever the smoke test projected."""
    hours = max_hours
    price = PRICES[flavour].usd_per_hour if flavour in PRICES else 0.0
    if price > 0:
        hours = min(hours, max_cost / price)
    return max(60, int(hours * 3600))


def parse_repo_settings(text: str | bytes | None) -> RepoSettings:
    """Parse the file's text (None: no file, all defaults); an invalid file is a CommandError naming it."""
    if text is None:
        return RepoSettings()
    try:
        raw: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CommandError(f"{REPO_SETTINGS_PATH} on the default branch is not valid YAML: {exc}") from exc
    if raw is None:
        return RepoSettings()
    if not isinstance(raw, dict):
        raise CommandError(f"{REPO_SETTINGS_PATH} must hold a mapping of settings")
    try:
        return RepoSettings.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise CommandError(f"{REPO_SETTINGS_PATH}: {where}: {first['msg']}") from exc


def load_repo_settings(gateway: GitHubGateway, repo: str) -> RepoSettings:
    """Read from the default branch only: a PR cannot raise its own budget."""
    return parse_repo_settings(gateway.read_file(repo, REPO_SETTINGS_PATH, gateway.default_branch(repo)))


def caps(bot_cost: float, bot_hours: float, repo: RepoSettings) -> tuple[float, float]:
    """The stricter of the bot's and the repository's caps."""
    cost = min(bot_cost, repo.max_run_cost_usd) if repo.max_run_cost_usd is not None else bot_cost
    hours = min(bot_hours, repo.max_run_hours) if repo.max_run_hours is not None else bot_hours
    return cost, hours


def choose_flavour(
    projections: list[Projection],
    max_cost: float,
    max_hours: float,
    allowed: list[str] | None,
    preferred: str | None = None,
) -> Projection:
    """The fastest projected flavour within both caps (the preferred one if it fits), else BudgetExceededError."""
    candidates = [p for p in projections if allowed is None or p.flavour in allowed]
    fitting = [  # the worst case must fit: the candidate ladder may not stop early
        p
        for p in candidates
        if (p.worst_cost_usd or p.cost_usd) <= max_cost and (p.worst_seconds or p.seconds) <= max_hours * 3600
    ]
    if not fitting:
        if not candidates:
            raise BudgetExceededError(
                f"the smoke test projected no allowed hardware flavour: check `flavours` in {REPO_SETTINGS_PATH}"
            )
        cheapest = min(candidates, key=lambda p: p.cost_usd)
        raise BudgetExceededError(
            f"the cheapest allowed flavour ({cheapest.flavour}) is projected at ${cheapest.cost_usd:.2f} and "
            f"{cheapest.seconds / 3600:.1f} h, over the caps (${max_cost:.2f}, {max_hours:.1f} h): raise "
            f"`max_run_cost_usd`/`max_run_hours` in {REPO_SETTINGS_PATH} on the default branch, or reduce epochs"
        )
    for projection in fitting:
        if projection.flavour == preferred:
            return projection
    return min(fitting, key=lambda p: (p.seconds, p.cost_usd))
