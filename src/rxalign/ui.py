"""Console output: a rich progress bar with loss, tokens/s and ETA, and info lines, all silenced by --quiet."""

from __future__ import annotations

from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

console = Console(stderr=True, highlight=False)
_quiet = False


def set_quiet(quiet: bool) -> None:
    global _quiet
    _quiet = quiet


def info(message: str) -> None:
    if not _quiet:
        console.print(message)


def warn(message: str) -> None:
    """Warnings are shown even with --quiet: they say something is wrong with the run."""
    console.print(f"[yellow]warning:[/yellow] {message}")


class _NullBar:
    def update(self, **fields) -> None:
        pass


class _Bar:
    def __init__(self, progress: Progress, task) -> None:
        self.progress, self.task = progress, task

    def update(self, advance: int = 0, **fields) -> None:
        self.progress.update(self.task, advance=advance, **fields)


@contextmanager
def progress(description: str, total: int, completed: int = 0, enabled: bool = True, status: str = ""):
    """A bar over `total` steps; `bar.update(advance=1, status="loss 2.31 · 10.5k tok/s")` moves it."""
    if _quiet or not enabled:
        yield _NullBar()
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as p:
        yield _Bar(p, p.add_task(description, total=total, completed=completed, status=status))
