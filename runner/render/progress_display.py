"""Progress display for long stages, on stderr (stdout carries only results): rich on a terminal, plain
timestamped lines in CI or when stderr is not a terminal."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from rich.console import Console


class Reporter(Protocol):
    def stage(self, name: str, detail: str = "") -> AbstractContextManager[StageContext]: ...

    def line(self, text: str) -> None: ...


def plain_mode(*, ci: bool = False) -> bool:
    """Plain lines when stderr is not a terminal or in CI (the CLI passes whether `CI` is set)."""
    return ci or not sys.stderr.isatty()


class StageContext:
    def __init__(self, console: Console, plain: bool, name: str, detail: str) -> None:
        self.console, self.plain, self.name, self.detail = console, plain, name, detail
        self.started = time.perf_counter()
        self.status: Any = None

    def update(self, text: str) -> None:
        """Show how far the stage is (an epoch line, a step count)."""
        if self.plain:
            print(f"  {self.name}: {text}", file=sys.stderr, flush=True)
        elif self.status is not None:
            self.status.update(f"[bold]{self.name}[/] {text}")
            self.console.print(f"  [dim]{text}[/]")

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started


class ConsoleReporter:
    """Stage start/end lines with timings; a spinner with the latest update on a terminal."""

    def __init__(self, console: Console | None = None, plain: bool | None = None) -> None:
        self.console = console or Console(stderr=True, highlight=False)
        self.plain = plain_mode() if plain is None else plain

    @contextmanager
    def stage(self, name: str, detail: str = "") -> Iterator[StageContext]:
        ctx = StageContext(self.console, self.plain, name, detail)
        suffix = f": {detail}" if detail else ""
        if self.plain:
            print(f"[{time.strftime('%H:%M:%S')}] {name}{suffix} ...", file=sys.stderr, flush=True)
            try:
                yield ctx
            except BaseException:
                print(
                    f"[{time.strftime('%H:%M:%S')}] {name} FAILED after {ctx.seconds:.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
                raise
            print(f"[{time.strftime('%H:%M:%S')}] {name} done in {ctx.seconds:.1f} s", file=sys.stderr, flush=True)
            return
        with self.console.status(f"[bold]{name}[/]{suffix}") as status:
            ctx.status = status
            try:
                yield ctx
            except BaseException:
                self.console.print(f"[red]✗ {name}[/] failed after {ctx.seconds:.1f} s")
                raise
        self.console.print(f"[green]✓ {name}[/] {ctx.seconds:.1f} s")

    def line(self, text: str) -> None:
        if self.plain:
            print(text, file=sys.stderr, flush=True)
        else:
            self.console.print(text)


class SilentReporter:
    """For library use and tests: stages run, nothing is printed."""

    @contextmanager
    def stage(self, name: str, detail: str = "") -> Iterator[StageContext]:
        yield StageContext(Console(file=open(os.devnull, "w")), True, name, detail)  # noqa: SIM115

    def line(self, text: str) -> None:
        return None
