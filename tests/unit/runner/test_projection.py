"""The projection follows what the full run will train (runner/projection.py)."""

from __future__ import annotations

from typing import Any

from runner.projection import LOCAL_FLAVOUR, Sizes, fine_tune_plan, project

RULES = {"mode": "auto", "budget_s": None, "default_budget_s": {"cuda": 1800, "cpu": 60}, "epoch_overhead": 1.5,
         "min_epochs": 2, "epochs_cap": 10, "scratch": False}  # fmt: skip


def smoke(tfidf_perfect: bool) -> dict[str, Any]:
    return {
        "seconds": 30.0,
        "setup_seconds": 2.0,
        "sample_rows": {"train": 40, "validation": 20, "test": 10},
        "stop_when_perfect": True,
        "fine_tune": RULES,
        "measured": [
            {"name": "tfidf", "status": "trained", "full_scale": True, "seconds": 0.5, "perfect": tfidf_perfect},
            {"name": "encoder", "status": "trained", "seconds": 3.0, "embed_per_s": 30.0},
            {"name": "encoder+tfidf", "status": "trained", "seconds": 2.2},
            {"name": "fine-tune", "status": "trained", "seconds": 20.0, "examples_per_s": 10.0,
             "smoke_train_seconds": 15.0},
        ],
    }  # fmt: skip


def test_a_perfect_tfidf_stops_the_ladder_in_the_expected_case() -> None:
    local = project(smoke(True), Sizes(1000, 100, 100), cores=2, local_hardware="here")[0]
    assert local.flavour == LOCAL_FLAVOUR and local.trains == ["tfidf"]
    assert local.seconds == 2.0 + 0.5 * 2  # set-up + the full-split TF-IDF, fitted twice
    assert local.worst_trains == ["tfidf", "encoder", "encoder+tfidf"]  # fine-tuning does not fit 60 s on 2 cores
    assert local.worst_seconds is not None and local.worst_seconds > local.seconds


def test_fine_tuning_is_projected_only_where_the_full_run_trains_it() -> None:
    by_name = {p.flavour: p for p in project(smoke(False), Sizes(1000, 100, 100), cores=2, local_hardware="here")}
    assert "fine-tune" not in by_name["cpu-basic"].trains
    assert by_name["t4-small"].trains[-1] == "fine-tune"  # a GPU: the 1,800 s budget fits the epochs
    assert by_name["t4-small"].cost_usd > 0 and by_name["t4-small"].startup_seconds == 90.0


def test_fine_tune_plan_follows_train_py_rules() -> None:
    assert fine_tune_plan(RULES, rate=10.0, train_rows=1000, gpu=False) == (0, 150.0)  # 2 epochs over 60 s
    assert fine_tune_plan(RULES, rate=300.0, train_rows=1000, gpu=True)[0] == 10  # capped at training.epochs
    assert fine_tune_plan({**RULES, "mode": "never"}, rate=300.0, train_rows=1000, gpu=True) == (0, 0.0)
