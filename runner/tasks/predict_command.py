"""`intern predict`: read the texts (one argument, a table, a text file or stdin), load the model once, score in
batches with progress on stderr, and yield one output line per text (tab-separated, or JSON with the input row's
other columns)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from runner.data.table_input import InputTable, read_input_table
from runner.render.predictions import render_json_line
from runner.render.progress_eta import StepProgress
from runner.tasks.choose import task_of_model


def predict_command(
    model_dir: Path,
    text: str | None,
    source: str | None,
    text_column: str | None,
    fmt: str | None,
    json_out: bool,
    batch_size: int = 256,
) -> Iterator[str]:
    """The lines `intern predict` prints on stdout; notes and progress go to stderr."""
    if text is not None:
        table = InputTable([text], [{}])
    else:
        if source is None:
            raise ValueError("predict_command needs a text or a source")
        table = read_input_table(source, text_column, fmt)
        for note in table.notes:
            print(f"note: {note}", file=sys.stderr, flush=True)
        if table.text_column is not None:
            print(f"{table.reason}; other columns kept: {_other_columns(table)}", file=sys.stderr, flush=True)
    task = task_of_model(model_dir)
    predictor = task.predictor(model_dir)
    batches = range(0, len(table.texts), batch_size)
    with StepProgress("predict", len(table.texts), "texts") if len(batches) > 1 else _Quiet() as progress:
        for start in batches:
            texts = table.texts[start : start + batch_size]
            predictions = predictor.predict(texts)
            for offset, prediction in enumerate(predictions):
                extras = table.extras[start + offset]
                yield render_json_line(prediction, extras) if json_out else task.render_prediction(prediction)
            progress.advance(len(texts))


def _other_columns(table: InputTable) -> str:
    names = list(dict.fromkeys(key for extra in table.extras[:100] for key in extra))
    return ", ".join(names) if names else "none"


class _Quiet:
    def __enter__(self) -> _Quiet:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def advance(self, amount: float = 1.0) -> None:
        return None
