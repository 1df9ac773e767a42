from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import CommandError
from bot.runs.project_files import check_arguments, local_source, planner_objective, slugify
from tests.unit.bot.fake_gateway import FakeGateway


@pytest.mark.parametrize(
    "args",
    [
        {"model": "/root/.ssh"},
        {"model": "../models/x"},
        {"model": "a/b/c"},
        {"epochs": "-1"},
        {"epochs": "0"},
        {"epochs": "1e9"},
        {"epochs": "many"},
    ],
)
def test_bad_arguments(args: dict[str, str]) -> None:
    with pytest.raises(CommandError):
        check_arguments(args)


def test_good_arguments() -> None:
    check_arguments({"model": "distilbert-base-uncased", "epochs": "2.5"})
    check_arguments({"model": "google/bert_uncased_L-2_H-128_A-2"})
    check_arguments({"model": "scratch:tiny"})


@pytest.mark.parametrize("dataset", ["/etc/passwd.csv", "../secrets.csv", "data/../../x.csv", ".", "nodata", "a/b/c"])
def test_dataset_never_names_a_path_on_the_bot(tmp_path: Path, dataset: str) -> None:
    gateway = FakeGateway()
    gateway.add_repo("o/r", {"data/t.csv": b"text,label\n"})
    with pytest.raises(CommandError):
        local_source(gateway, "o/r", "main", dataset, tmp_path)


def test_dataset_sources(tmp_path: Path) -> None:
    gateway = FakeGateway()
    gateway.add_repo("o/r", {"data/t.csv": b"text,label\n"})
    copied = local_source(gateway, "o/r", "main", "data/t.csv", tmp_path)
    assert Path(copied.where).read_bytes() == b"text,label\n" and Path(copied.where).parent == tmp_path
    assert copied.repo_paths == ("data/t.csv",)
    hub = local_source(gateway, "o/r", "main", "bitext/support", tmp_path)
    assert hub.where == "bitext/support" and hub.repo_paths == ()
    with pytest.raises(CommandError, match="not on the default branch"):
        local_source(gateway, "o/r", "main", "data/missing.csv", tmp_path)


def test_only_the_commands_arguments_become_planner_overrides() -> None:
    text = planner_objective("Classify tickets dataset=/etc/passwd.csv please", {"model": "scratch:tiny"})
    assert "/etc/passwd" not in text and "model=scratch:tiny" in text and "Classify tickets" in text
    assert slugify("Classify Support Tickets!!") == "classify-support-tickets"
