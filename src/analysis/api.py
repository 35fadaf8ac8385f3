"""Running a report from Python: what ``analysis report`` does, for a script or a notebook.

::

    import analysis

    result = analysis.run_report("01-daily-briefing", date="2023-03-14", window_days=7)
    result.ok, result.report_dir          # True, reports/01-daily-briefing/<parameters>/
    result.report_dir / "numbers.json"    # with report.html, run.json, figures/ and the executed notebook
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

from analysis.reports import runner
from analysis.reports.parameters import date_text
from analysis.reports import DEFAULT_TIMEOUT_S, RunResult


def run_report(notebook: str | Path, parameters: dict | None = None, *, timeout_s: float = DEFAULT_TIMEOUT_S,
               **more) -> RunResult:
    """Run one report notebook of the current project into ``reports/<notebook>/<parameters>/``.

    ``notebook`` is a name (``"01-daily-briefing"``), a number (``"01"``) or a path;
    parameters come as a mapping, as keywords, or both (keywords win), as text the
    way ``-p name value`` gives them or as values (numbers, ``datetime.date``).
    They are checked before any kernel starts: a bad one raises
    :class:`analysis.errors.ParameterError`.  ``timeout_s`` bounds each cell.

    Returns a :class:`analysis.reports.RunResult`: ``ok``, ``status``, ``error``
    (a failing cell), ``parameters`` (as checked) and ``report_dir``, the folder
    with ``report.html``, ``numbers.json``, ``run.json`` and ``figures/``.  Like
    the command, it runs through the background report runner (warm kernels)
    unless ``ANALYSIS_RUNNER=off``, and in this process when the runner is unavailable.
    """
    given = {**(parameters or {}), **more}
    return runner.report(notebook, {name: parameter_value(value) for name, value in given.items()}, timeout_s)


def parameter_value(value):
    """A parameter value as JSON gives it back (what the background runner receives): dates as 'YYYY-MM-DD'
    (date-times as ISO text), other types JSON lacks as their repr.  Lists and mappings stay lists and
    mappings, for :func:`analysis.reports.parameters.check_parameters` to refuse with its message.
    """
    return json.loads(json.dumps(value, default=_as_text))


def _as_text(value) -> str:
    return date_text(value) if isinstance(value, datetime.date) else repr(value)
