"""Progress display: the row estimate made from a file's first megabytes may be low; the display never shows
more rows read than expected."""

from __future__ import annotations

import io

from rich.console import Console
from rich.progress import Progress

from analysis import config
from analysis.progress import _PlainProgress, _RichProgress


def test_plain_lines_raise_a_low_estimate_to_the_rows_read(monkeypatch, capsys):
    monkeypatch.setattr(config, "CSV_CHUNK_ROWS", 100)
    progress = _PlainProgress()
    task = progress.start("big.csv", expected_rows=990)
    progress.advance(task, 600)
    progress.advance(task, 400)
    assert capsys.readouterr().err.splitlines() == ["  big.csv: 600 of ~990 rows", "  big.csv: 1,000 of ~1,000 rows"]


def test_plain_lines_are_silent_when_off_or_for_small_files(monkeypatch, capsys):
    monkeypatch.setattr(config, "CSV_CHUNK_ROWS", 100)
    quiet = _PlainProgress(silent=True)
    quiet.advance(quiet.start("big.csv", expected_rows=990), 990)
    small = _PlainProgress()
    small.advance(small.start("small.csv", expected_rows=50), 50)
    assert capsys.readouterr().err == ""


def test_the_bar_total_grows_when_more_rows_are_read_than_estimated():
    with Progress(console=Console(file=io.StringIO()), auto_refresh=False) as bar:
        progress = _RichProgress(bar)
        task = progress.start("big.csv", expected_rows=990)
        progress.advance(task, 600)
        assert (bar.tasks[task].completed, bar.tasks[task].total) == (600, 990)
        progress.advance(task, 400)
        assert (bar.tasks[task].completed, bar.tasks[task].total) == (1000, 1000)
        progress.finish(task)
        assert bar.tasks[task].finished
