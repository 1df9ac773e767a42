"""Rendering the project directory (runner/stages/scaffold.py, runner/tasks/project.py and their templates)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from runner.config import InternConfig, load_config
from runner.data.portable import portable_source
from runner.models.defaults import training_defaults
from runner.render.progress_eta import progress_source
from runner.render.script import assemble_script, portable_block
from runner.stages.scaffold import (
    build_config,
    comment_line,
    relative_source,
    render_app,
    render_requirements,
    write_project,
)
from runner.tasks.project import render_project, render_train_script
from tests.fakes import sample_reports as sample

BASE_FILES = {"intern.yaml", "train.py", "app.py", "requirements.txt", ".gitignore"}


def config(model: str = "scratch:tiny", objective: str | None = "route support tickets") -> InternConfig:
    return build_config(
        source="../data/tickets.csv",
        fmt="csv",
        text_column="instruction",
        label_column="category",
        labels=["billing", "delivery", "refund"],
        model=model,
        rows=1200,
        objective=objective,
    )


@pytest.mark.parametrize(
    ("inspect", "workflow", "expected"),
    [
        (False, False, BASE_FILES),
        (True, False, BASE_FILES | {"reports/inspect.json", "reports/inspect.md"}),
        (False, True, BASE_FILES | {".github/workflows/intern.yml"}),
        (True, True, BASE_FILES | {"reports/inspect.json", "reports/inspect.md", ".github/workflows/intern.yml"}),
    ],
)
def test_render_project_keys(inspect: bool, workflow: bool, expected: set[str]) -> None:
    files = render_project(config(), sample.inspect_report() if inspect else None, workflow=workflow)
    assert set(files) == expected
    assert all(text.endswith("\n") for text in files.values())


def test_every_python_file_parses() -> None:
    files = render_project(config(), sample.inspect_report(), examples=['say "hi"', "it's {braces}"])
    python_files = [name for name in files if name.endswith(".py")]
    assert sorted(python_files) == ["app.py", "train.py"]
    for name in python_files:
        ast.parse(files[name], filename=name)


def test_train_script_carries_the_portable_block_verbatim() -> None:
    script = render_train_script(config())
    assert portable_source() in script
    assert portable_block("runner.models.portable_safe_load") in script
    assert portable_block("runner.models.portable_model") in script
    assert script.splitlines()[:2] == ["#!/usr/bin/env python", "# -*- coding: utf-8 -*-"]
    assert "route support tickets" not in script  # the objective lives in intern.yaml only
    tree = ast.parse(script)
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert {"main", "load_splits", "build_model", "make_compute_metrics", "to_dataset"} <= functions
    assert {"linear_candidates", "fine_tune_candidate", "choose", "save_winner", "resolve_encoder"} <= functions
    assert "import runner" not in script and "from runner" not in script
    assert "labels=every_class" in script and "ClassLabel(names=label_names)" in script


@pytest.mark.parametrize("task", ["text_classification", "multi_label", "image_classification"])
def test_every_train_script_carries_the_progress_block_verbatim(task: str) -> None:
    script = assemble_script(f"runner.tasks.{task}.train_script")
    assert progress_source() in script
    assert script.count("# --- ML Intern: progress (verbatim copy") == 1
    assert "runner.render" not in script  # the import between the paste markers is gone
    tree = ast.parse(script)
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.ClassDef)}
    assert {"StepProgress", "map_batches", "trainer_progress_callback"} <= defined


def test_train_script_is_the_task_module_with_its_shared_blocks_pasted() -> None:
    script = render_train_script(config(objective=None))
    assert script == assemble_script("runner.tasks.text_classification.train_script")
    assert "# --- paste:" not in script and "# --- end paste ---" not in script


@pytest.mark.parametrize(
    "objective",
    [
        'route tickets"""\nimport os; os.system("id")\n"""',
        "route tickets\r\n__import__('os').system('id')",
        "tickets \u2028 with a line separator\x00 and a NUL",
    ],
)
def test_untrusted_objective_stays_a_comment(objective: str) -> None:
    """Issue text (anyone can write it) never becomes code in train.py or app.py: one `#` line, and the script
    still compiles to the same functions."""
    script = render_train_script(config(objective=objective))
    first_lines = script.splitlines()[:3]
    assert first_lines[1] == "# -*- coding: utf-8 -*-"  # nothing but the declaration on line 1 or 2 (PEP 263)
    assert first_lines[2].startswith('"""Train a text classifier')
    compile(script.encode("utf-8"), "train.py", "exec")
    assert "os.system" not in script and "route tickets" not in script  # the objective lives in intern.yaml
    app = render_app("./model", objective, "desc")
    compile(app.encode("utf-8"), "app.py", "exec")
    assert app.splitlines()[0] == "# -*- coding: utf-8 -*-"
    assert (
        app.splitlines()[2].startswith("# Gradio demo: ")
        and "os.system" not in app.split("\n", 3)[3].split("title=")[0]
    )


def test_comment_line_is_one_printable_bounded_line() -> None:
    assert comment_line("a\nb\r\nc\x00d") == "a b c d"
    assert comment_line(None) == "(none given)"
    assert len(comment_line("x" * 1000)) == 303


def test_intern_yaml_round_trips_through_load_config(tmp_path: Path) -> None:
    original = config()
    write_project(render_project(original, None, workflow=False), tmp_path)
    loaded = load_config(tmp_path)
    assert loaded == original
    raw = yaml.safe_load((tmp_path / "intern.yaml").read_text(encoding="utf-8"))
    assert raw["data"]["text_column"] == "instruction"
    assert raw["training"]["epochs"] == training_defaults("scratch:tiny", 1200, 3)["epochs"]


def test_build_config_uses_the_defaults_for_the_model() -> None:
    scratch, pretrained = config("scratch:small"), config("distilbert-base-uncased")
    assert scratch.training.learning_rate == 1e-3
    assert pretrained.training.learning_rate == 2e-4  # measured: benchmarks/finetune_lr.py
    assert scratch.training.epochs > pretrained.training.epochs  # caps: the budget and the plateau decide
    assert scratch.model.is_scratch and not pretrained.model.is_scratch


def test_app_has_interface_and_label() -> None:
    text = render_app("./model", 'Tickets "router"', "desc", examples=["where is my parcel"])
    tree = ast.parse(text)
    assert "gr.Interface(" in text and "gr.Label(" in text
    assert 'MODEL = os.environ.get("INTERN_MODEL", "./model")' in text
    assert 'title="Tickets \\"router\\""' in text
    assert '[["where is my parcel"]]' in text
    assert any(isinstance(node, ast.FunctionDef) and node.name == "predict" for node in tree.body)


def test_app_for_a_published_repo() -> None:
    text = render_app("owner/tickets-model", "Tickets")
    assert '"owner/tickets-model"' in text
    assert "examples=[]" in text


def test_requirements() -> None:
    lines = [line for line in render_requirements().splitlines() if line and not line.startswith("#")]
    names = {line.split(">")[0].split("<")[0].split("=")[0] for line in lines}
    assert {"torch", "transformers", "datasets", "scikit-learn", "gradio", "pyyaml", "pandas"} <= names


def test_inspect_report_json_round_trips() -> None:
    report = sample.inspect_report()
    files = render_project(config(), report, workflow=False)
    assert type(report).model_validate_json(files["reports/inspect.json"]) == report
    assert "## Data report" in files["reports/inspect.md"]


def test_workflow_file_is_yaml_with_jobs() -> None:
    files = render_project(config(), None, workflow=True)
    workflow = yaml.safe_load(files[".github/workflows/intern.yml"])
    assert isinstance(workflow, dict) and workflow.get("jobs")


def test_write_project_writes_every_file(tmp_path: Path) -> None:
    files = render_project(config(), sample.inspect_report())
    written = write_project(files, tmp_path / "proj")
    assert {path.relative_to(tmp_path / "proj").as_posix() for path in written} == set(files)
    for relative, text in files.items():
        assert (tmp_path / "proj" / relative).read_text(encoding="utf-8") == text
    assert not list((tmp_path / "proj").rglob("*.tmp"))


@pytest.mark.parametrize(
    ("source", "out", "expected"),
    [
        ("data/tickets.csv", "runs/tickets", "../../data/tickets.csv"),
        ("tickets.csv", ".", "tickets.csv"),
        ("tickets.csv", "proj", "../tickets.csv"),
    ],
)
def test_relative_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, out: str, expected: str) -> None:
    monkeypatch.chdir(tmp_path)
    assert relative_source(source, "csv", Path(out)) == expected
    assert (tmp_path / out / relative_source(source, "csv", Path(out))).resolve() == (tmp_path / source).resolve()


def test_relative_source_keeps_hub_ids(tmp_path: Path) -> None:
    assert relative_source("owner/dataset", "hub", tmp_path) == "owner/dataset"
