"""Progress with a rate and an ETA: plain periodic lines (CI, pipes), the line format, the Trainer callback."""

from __future__ import annotations

import io

import pytest

from runner.render.progress_eta import (
    StepProgress,
    format_seconds,
    is_progress_line,
    map_batches,
    plain_progress,
    progress_line,
    progress_source,
    track,
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(("seconds", "text"), [(0, "0 s"), (42.4, "42 s"), (185, "3 min 05 s"), (3720, "1 h 02 min")])
def test_format_seconds(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text


def test_progress_line() -> None:
    assert progress_line("embedding", 1200, 3000, 12.0, "texts") == (
        "embedding: 1,200/3,000 texts (40%), 100.0 texts/s, ETA 18 s"
    )
    assert progress_line("embedding", 3000, 3000, 30.0, "texts").endswith("done in 30 s")
    assert progress_line("steps", 5, None, 10.0, "steps") == "steps: 5 steps, 0.5 steps/s, 10 s so far"
    assert is_progress_line(progress_line("embedding train", 1200, 3000, 12.0, "texts"))
    assert not is_progress_line("epoch 1: loss 0.3")


def test_plain_lines_every_period_and_at_the_end() -> None:
    stream, clock = io.StringIO(), Clock()
    with StepProgress("predict", 100, "texts", stream=stream, plain=True, every_s=10, clock=clock) as progress:
        for _ in range(10):
            clock.now += 3
            progress.advance(10)
    lines = stream.getvalue().splitlines()
    assert lines == [
        "predict: 40/100 texts (40%), 3.3 texts/s, ETA 18 s",
        "predict: 80/100 texts (80%), 3.3 texts/s, ETA 6 s",
        "predict: 100/100 texts (100%), 3.3 texts/s, done in 30 s",
    ]


def test_no_final_line_after_a_failure() -> None:
    stream = io.StringIO()
    with pytest.raises(RuntimeError), StepProgress("x", 10, stream=stream, plain=True) as progress:
        progress.advance(1)
        raise RuntimeError("boom")
    assert stream.getvalue() == ""


def test_track_and_map_batches() -> None:
    stream = io.StringIO()
    assert list(track([1, 2, 3], "items", stream=stream, plain=True)) == [1, 2, 3]
    assert stream.getvalue().startswith("items: 3/3 items (100%)")
    sums = map_batches(sum, list(range(10)), 4, "sum", stream=io.StringIO(), plain=True)
    assert sums == [6, 22, 17]


def test_plain_when_ci_is_set_or_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert plain_progress(io.StringIO())
    monkeypatch.delenv("CI")
    assert plain_progress(io.StringIO())  # not a terminal


def test_a_bar_on_a_terminal_prints_no_plain_lines() -> None:
    stream = io.StringIO()
    with StepProgress("x", 3, stream=stream, plain=False) as progress:
        progress.advance(3)
    assert "x: 3/3" not in stream.getvalue()


def test_the_block_is_self_contained() -> None:
    source = progress_source()
    namespace: dict[str, object] = {}
    exec(compile(source, "progress.py", "exec"), namespace)  # stdlib only: runs on its own, as in train.py
    assert "StepProgress" in namespace and "runner" not in source.replace("runner's", "")


def test_trainer_callback_reports_steps_and_epochs() -> None:
    from types import SimpleNamespace

    from runner.render.progress_eta import trainer_progress_callback

    stream = io.StringIO()
    callback = trainer_progress_callback("fine-tuning", stream=stream, plain=True, every_s=0)
    args, state = SimpleNamespace(num_train_epochs=2), SimpleNamespace(max_steps=4, global_step=0, epoch=0.0)
    callback.on_train_begin(args, state, None)
    for step in range(1, 5):
        state.global_step, state.epoch = step, step / 2
        callback.on_step_end(args, state, None)
        if step % 2 == 0:
            callback.on_epoch_end(args, state, None)
    callback.on_train_end(args, state, None)
    text = stream.getvalue()
    assert "fine-tuning: epoch 1/2 ended" in text and "fine-tuning: 4/4 steps (100%)" in text


def test_trainer_callback_counts_the_epochs_the_trainer_runs_under_max_steps() -> None:
    """A smoke run sets max_steps: the Trainer then runs its own number of epochs (kept in its state), not the
    argument's, and the notes must not say `epoch 2/1`."""
    from types import SimpleNamespace

    from transformers import TrainerState

    from runner.render.progress_eta import trainer_progress_callback

    stream = io.StringIO()
    callback = trainer_progress_callback("fine-tune", stream=stream, plain=True, every_s=0)
    args = SimpleNamespace(num_train_epochs=1)
    state = TrainerState(max_steps=3, num_train_epochs=2)
    callback.on_train_begin(args, state, None)
    for step, epoch in ((1, 0.5), (2, 1.0), (3, 1.5)):
        state.global_step, state.epoch = step, epoch
        callback.on_step_end(args, state, None)
        if epoch == int(epoch) or step == 3:
            state.epoch = float(round(epoch + 0.49))
            callback.on_epoch_end(args, state, None)
    callback.on_train_end(args, state, None)
    text = stream.getvalue()
    assert "fine-tune: epoch 1/2 ended" in text and "fine-tune: epoch 2/2 ended" in text
    assert "/1 ended" not in text
    assert text.count("3/3 steps (100%)") == 1  # the last epoch's note carries the final line: not printed twice
