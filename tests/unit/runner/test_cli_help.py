"""What `intern` says about itself: the help names every task, and the closing hint fits the model's input."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from runner.cli import app, try_it_line


def test_try_it_line_suggests_a_photo_for_an_image_model() -> None:
    assert try_it_line("image", Path("runs/photos")) == "try it: intern predict runs/photos/model path/to/photo.jpg"


def test_try_it_line_suggests_a_text_for_a_text_model() -> None:
    assert try_it_line("text", Path("runs/tickets")) == 'try it: intern predict runs/tickets/model "your text here"'


def test_help_names_photos_and_folders() -> None:
    top = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    run = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    assert top.exit_code == 0 and run.exit_code == 0
    assert "photos" in top.output
    assert "a folder of photos" in run.output
