"""Progress with a rate and an ETA for long steps, on stderr: a rich bar on a terminal, plain periodic lines in CI
logs and pipes (every `PLAIN_EVERY_S` seconds, and at the end).

Self-contained on purpose (stdlib; rich only when a terminal shows the bar; transformers only for the Trainer
callback), so that the generated train.py can carry a verbatim copy of the block below, as it does with
`runner/data/portable.py`. Use:

    with StepProgress("embedding", total=len(texts), unit="texts") as progress:
        for batch in batches:
            ...
            progress.advance(len(batch))

    vectors = map_batches(encode, texts, batch_size=256, label="embedding train", unit="texts")
    trainer = Trainer(..., callbacks=[trainer_progress_callback()])
"""

# --- ML Intern: progress (verbatim copy of the runner's render/progress_eta.py) ---
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TextIO, TypeVar

PLAIN_EVERY_S = 10.0
T = TypeVar("T")


def plain_progress(stream: TextIO | None = None) -> bool:
    """Plain lines (no bar) when `CI` is set or the stream (stderr) is not a terminal."""
    stream = stream or sys.stderr
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        return True
    return not (hasattr(stream, "isatty") and stream.isatty())


def format_seconds(seconds: float) -> str:
    """`42 s`, `3 min 05 s`, `1 h 02 min`."""
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def progress_line(label: str, done: float, total: float | None, elapsed: float, unit: str) -> str:
    """`embedding: 1,200/3,000 texts (40%), 95.3 texts/s, ETA 19 s` (pure)."""
    rate = done / elapsed if elapsed > 0 else 0.0
    if total:
        share = min(1.0, done / total)
        eta = (total - done) / rate if rate > 0 else None
        left = f"ETA {format_seconds(eta)}" if eta is not None else "ETA unknown"
        if done >= total:
            left = f"done in {format_seconds(elapsed)}"
        return f"{label}: {done:,.0f}/{total:,.0f} {unit} ({share:.0%}), {rate:,.1f} {unit}/s, {left}"
    return f"{label}: {done:,.0f} {unit}, {rate:,.1f} {unit}/s, {format_seconds(elapsed)} so far"


class StepProgress:
    """Counts work done on one step and shows it with a rate and an ETA (a context manager)."""

    def __init__(
        self,
        label: str,
        total: float | None,
        unit: str = "items",
        stream: TextIO | None = None,
        plain: bool | None = None,
        every_s: float = PLAIN_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label, self.total, self.unit = label, total, unit
        self.stream = stream or sys.stderr
        self.plain = plain_progress(self.stream) if plain is None else plain
        self.every_s, self.clock = every_s, clock
        self.done = 0.0
        self.printed_done: float | None = None  # the count the last printed line showed
        self.started = self.clock()
        self.last_line = self.started
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> "StepProgress":
        self.started = self.last_line = self.clock()
        if not self.plain:
            try:
                from rich.console import Console
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeElapsedColumn,
                    TimeRemainingColumn,
                )
            except ImportError:
                self.plain = True
            else:
                self._bar = Progress(
                    TextColumn("[bold]{task.description}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TextColumn(self.unit),
                    TimeElapsedColumn(),
                    TextColumn("ETA"),
                    TimeRemainingColumn(),
                    console=Console(file=self.stream),
                    transient=False,
                )
                self._bar.start()
                self._task = self._bar.add_task(self.label, total=self.total)
        return self

    def advance(self, amount: float = 1.0) -> None:
        self.done += amount
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done)
            return
        now = self.clock()
        if now - self.last_line >= self.every_s:
            self.last_line = now
            self._print()

    def set_total(self, total: float | None) -> None:
        self.total = total
        if self._bar is not None:
            self._bar.update(self._task, total=total)

    def note(self, text: str) -> None:
        """A line of its own (an epoch's end), above the bar on a terminal."""
        if self._bar is not None:
            self._bar.console.print(text, markup=False, highlight=False)
        elif self.printed_done == self.done:  # the progress line is already the last one shown
            print(text, file=self.stream, flush=True)
        else:
            self.printed_done = self.done  # the progress line goes with the note: not again at the end
            print(f"{text}; {self.line()}", file=self.stream, flush=True)

    def line(self) -> str:
        return progress_line(self.label, self.done, self.total, self.clock() - self.started, self.unit)

    def _print(self) -> None:
        self.printed_done = self.done
        print(self.line(), file=self.stream, flush=True)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        elif exc[0] is None and self.printed_done != self.done:  # the last line, once
            self._print()


def track(items: Sequence[T], label: str, unit: str = "items", **options: Any) -> Iterator[T]:
    """Yield `items`, one progress step each."""
    with StepProgress(label, len(items), unit, **options) as progress:
        for item in items:
            yield item
            progress.advance()


def map_batches(
    function: Callable[[list[T]], Any],
    items: Sequence[T],
    batch_size: int,
    label: str,
    unit: str = "items",
    **options: Any,
) -> list[Any]:
    """`function` over `items` in batches of `batch_size`, with progress; returns one result per batch (join
    them yourself, e.g. `np.vstack`)."""
    results = []
    with StepProgress(label, len(items), unit, **options) as progress:
        for start in range(0, len(items), batch_size):
            batch = list(items[start : start + batch_size])
            results.append(function(batch))
            progress.advance(len(batch))
    return results


def trainer_progress_callback(label: str = "fine-tuning", **options: Any) -> Any:
    """A transformers `TrainerCallback` that shows steps (with an ETA) and each epoch's end, in CI logs too.
    Pass `disable_tqdm=True` in the TrainingArguments so the two do not overlap."""
    from transformers import TrainerCallback

    class _ProgressCallback(TrainerCallback):
        def __init__(self) -> None:
            self.progress: StepProgress | None = None

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.progress = StepProgress(label, state.max_steps or None, "steps", **options).__enter__()

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if self.progress is not None:
                self.progress.advance(state.global_step - self.progress.done)

        def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if self.progress is not None:
                # With max_steps set (a smoke run) the Trainer's own epoch count, not the argument, is the total.
                total = getattr(state, "num_train_epochs", 0) or args.num_train_epochs
                self.progress.note(f"{label}: epoch {state.epoch:.0f}/{total:g} ended")

        def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if self.progress is not None:
                self.progress.__exit__(None, None, None)
                self.progress = None

    return _ProgressCallback()


# --- end of ML Intern: progress ---

import re  # noqa: E402  (below the block that train.py copies)

_PROGRESS_LINE = re.compile(r"^[\w .+/-]+: [\d,]+(/[\d,]+)? \w+( \(\d+%\))?, [\d,.]+ \w+/s, ")


def is_progress_line(line: str) -> bool:
    """Whether `line` is a plain progress line of this module (what `intern train` relays from train.py)."""
    return bool(_PROGRESS_LINE.match(line))


def progress_source() -> str:
    """The block above, as text, for a generated script."""
    from runner.render.script import portable_block

    return portable_block(__name__)
