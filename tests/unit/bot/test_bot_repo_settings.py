from __future__ import annotations

import pytest

from bot.errors import BudgetExceededError, CommandError
from bot.repo_settings import (
    Projection,
    RepoSettings,
    caps,
    choose_flavour,
    parse_repo_settings,
    priced,
    spend_limit_s,
)

P = [
    Projection(flavour="cpu-basic", hardware="2 vCPU", seconds=7200, cost_usd=0.0),
    Projection(flavour="t4-small", hardware="T4", seconds=900, cost_usd=0.15),
    Projection(flavour="a100-large", hardware="A100", seconds=200, cost_usd=4.0),
]


def test_parse() -> None:
    assert parse_repo_settings(None) == RepoSettings()
    assert parse_repo_settings("") == RepoSettings()
    parsed = parse_repo_settings(b"compute: hf-jobs\nmax_run_cost_usd: 2\nflavours: [cpu-basic, t4-small]\n")
    assert parsed.compute == "hf-jobs" and parsed.max_run_cost_usd == 2 and parsed.flavours == ["cpu-basic", "t4-small"]


@pytest.mark.parametrize("text", ["[1, 2]", "compute: mainframe", "max_run_cost_usd: -1", "unknown_key: 1", "a: [b"])
def test_invalid_files_name_the_file(text: str) -> None:
    with pytest.raises(CommandError, match=r"\.github/intern\.yml"):
        parse_repo_settings(text)


def test_caps_take_the_stricter() -> None:
    assert caps(20, 6, RepoSettings()) == (20, 6)
    assert caps(20, 6, RepoSettings(max_run_cost_usd=50, max_run_hours=1)) == (20, 1)


def test_choose_fastest_within_caps() -> None:
    assert choose_flavour(P, 10, 6, None).flavour == "a100-large"
    assert choose_flavour(P, 1, 6, None).flavour == "t4-small"
    assert choose_flavour(P, 10, 6, ["cpu-basic", "t4-small"]).flavour == "t4-small"
    assert choose_flavour(P, 10, 6, None, preferred="t4-small").flavour == "t4-small"
    assert choose_flavour(P, 0, 6, None).flavour == "cpu-basic"


def test_over_budget_is_refused_with_the_numbers() -> None:
    with pytest.raises(BudgetExceededError, match=r"cheapest allowed flavour \(t4-small\).*\$0\.15"):
        choose_flavour(P, 0.1, 6, ["t4-small", "a100-large"])
    with pytest.raises(BudgetExceededError, match="no allowed hardware"):
        choose_flavour(P, 10, 6, ["h100"])


# --- issue #9, item 3: the PR's smoke.json does not set the price -------------------------------------------------


def test_priced_keeps_known_flavours_and_takes_the_bots_prices() -> None:
    claimed = [
        {"flavour": "a100-large", "hardware": "free!", "seconds": 7200, "cost_usd": 0.0},
        {"flavour": "my-own-gpu", "hardware": "H100", "seconds": 10, "cost_usd": 0.0},
        {"flavour": "t4-small", "seconds": float("inf"), "cost_usd": 0.0},
        {"flavour": "cpu-basic", "seconds": 1, "cost_usd": 0.0},
        {"flavour": "cpu-basic", "seconds": 1, "cost_usd": 0.0},
        {"flavour": "l4x1", "seconds": "3600", "cost_usd": 0.0},
    ]
    got = {p.flavour: p for p in priced(claimed)}
    assert sorted(got) == ["a100-large", "cpu-basic"]
    assert got["a100-large"].cost_usd == 5.0 and got["a100-large"].hardware == "NVIDIA A100 80 GB"
    assert got["cpu-basic"].seconds == 90.0  # never under the fixed start-up time


def test_spend_limit_holds_whatever_was_projected() -> None:
    assert spend_limit_s("a100-large", max_cost=5.0, max_hours=6.0) == 7200  # $5 at $2.50/h
    assert spend_limit_s("cpu-basic", max_cost=20.0, max_hours=6.0) == 6 * 3600
    assert spend_limit_s("unknown", max_cost=0.0, max_hours=1.0) == 3600
