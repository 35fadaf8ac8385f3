"""Progress indication for long runs: a rich progress bar on a terminal, plain lines otherwise.

On a terminal the bar shows rows read, the expected total and an ETA.  When
output goes to a log (CI, ``nohup``), large files print a line per chunk to
stderr instead, so a long build is never silent; small files print nothing.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator

from analysis import config


class _PlainProgress:
    """Line-per-chunk progress for non-interactive output."""

    def __init__(self, silent: bool = False) -> None:
        self._tasks: dict[int, list] = {}
        self._silent = silent

    def start(self, name: str, expected_rows: int) -> int:
        task = len(self._tasks)
        self._tasks[task] = [name, expected_rows, 0]
        return task

    def advance(self, task: int, rows: int) -> None:
        entry = self._tasks[task]
        entry[2] += rows
        entry[1] = max(entry[1], entry[2])  # the estimate from the file's start may be low: never "1,000 of ~990"
        if entry[1] > config.CSV_CHUNK_ROWS and not self._silent:
            print(f"  {entry[0]}: {entry[2]:,} of ~{entry[1]:,} rows", file=sys.stderr, flush=True)

    def finish(self, task: int) -> None:
        self._tasks.pop(task, None)


class _RichProgress:
    def __init__(self, progress) -> None:
        self._progress = progress

    def start(self, name: str, expected_rows: int) -> int:
        return self._progress.add_task(name, total=max(expected_rows, 1))

    def advance(self, task: int, rows: int) -> None:
        self._progress.advance(task, rows)
        state = self._progress.tasks[task]
        if state.completed > state.total:  # the estimate was low: the total is at least what was read
            self._progress.update(task, total=state.completed)

    def finish(self, task: int) -> None:
        total = self._progress.tasks[task].total if task < len(self._progress.tasks) else None
        self._progress.update(task, completed=total)


@contextmanager
def file_progress(mode: str) -> Iterator[_PlainProgress | _RichProgress]:
    """Progress over files and rows: "bar" (rich, for a terminal), "lines" (for logs) or "off"."""
    if mode not in ("bar", "lines", "off"):
        raise ValueError(f"unknown progress mode {mode!r}")
    if mode != "bar":
        yield _PlainProgress(silent=mode == "off")
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("rows"),
               TimeRemainingColumn())
    with Progress(*columns, transient=False, console=None) as progress:
        yield _RichProgress(progress)
