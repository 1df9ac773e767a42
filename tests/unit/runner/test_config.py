"""intern.yaml: validation, reading and writing (runner/config.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from runner.config import CONFIG_FILENAME, InternConfig, load_config, resolve_data_path, save_config
from runner.errors import ConfigError
from tests.fakes import sample_reports as sample


def raw() -> dict[str, Any]:
    return {
        "data": {"source": "data.csv", "format": "csv", "text_column": "text", "label_column": "label"},
        "labels": ["a", "b"],
        "model": {"name": "scratch:tiny"},
    }


def test_round_trip(tmp_path: Path) -> None:
    config = sample.config()
    path = save_config(config, tmp_path)
    assert path == tmp_path / CONFIG_FILENAME
    assert path.read_text(encoding="utf-8").startswith("# ML Intern project config")
    assert load_config(tmp_path) == config


def test_defaults_fill_a_minimal_file(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILENAME).write_text(yaml.safe_dump(raw()), encoding="utf-8")
    config = load_config(tmp_path)
    assert config.split.seed == 42 and config.split.test_size == 0.1
    assert config.training.device == "auto" and config.smoke.max_steps == 8
    assert config.model.is_scratch


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found: run `intern scaffold"):
        load_config(tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("data: [unclosed\n", "is not valid YAML"),
        ("- just\n- a list\n", "must hold a mapping, got list"),
        ("", "must hold a mapping, got NoneType"),
    ],
)
def test_unreadable_file(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / CONFIG_FILENAME).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda r: r.update(split={"test_size": 0.7}), "split.test_size"),
        (lambda r: r.update(labels=["a"]), "labels"),
        (lambda r: r.update(labels=["a", "a"]), "labels"),
        (lambda r: r["data"].update(format="xlsx"), "data.format"),
        (lambda r: r.update(training={"epochs": 0}), "training.epochs"),
        (lambda r: r.update(training={"device": "tpu"}), "training.device"),
        (lambda r: r.update(unexpected=1), "unexpected"),
        (lambda r: r.pop("model"), "model"),
    ],
)
def test_invalid_values_name_their_place(tmp_path: Path, change: Any, where: str) -> None:
    data = raw()
    change(data)
    (tmp_path / CONFIG_FILENAME).write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"intern.yaml: {where}: .*problem\(s\) in all"):
        load_config(tmp_path)


def test_labels_must_be_unique() -> None:
    with pytest.raises(ValidationError, match="labels must be unique"):
        InternConfig.model_validate({**raw(), "labels": ["a", "b", "a"]})


def test_resolve_data_path(tmp_path: Path) -> None:
    assert resolve_data_path(tmp_path, "data.csv") == tmp_path / "data.csv"
    assert resolve_data_path(tmp_path, "../x/data.csv") == tmp_path / "../x/data.csv"
    assert resolve_data_path(tmp_path, "/abs/data.csv") == Path("/abs/data.csv")
