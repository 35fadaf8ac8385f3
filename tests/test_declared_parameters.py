"""Notebooks declare their parameters' types, meanings and checks; the runner checks from the declaration alone.

A notebook in a temporary notebooks folder declares parameters of every kind;
nothing in the runner knows them.  Each kind refuses bad values with a message
naming the parameter, the value and the rule; a wrong declaration is refused
naming the notebook and the parameter.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from analysis import config, reports
from analysis.reports import parameters
from analysis.errors import ParameterError
from analysis.metrics import GROUPABLE
from analysis.reports.reporting import Report

MANIFEST = {"inputs": [{"path": "a.csv", "format": "acled", "table": "events"},
                       {"path": "f.csv", "format": "air_force", "table": "air_attacks"}],
            "coverage": [{"source_dataset": "acled", "first_date": "2023-01-01", "last_date": "2023-06-30"},
                         {"source_dataset": "air_force", "first_date": "2023-02-01", "last_date": "2023-02-28"}]}
PLACES = pd.DataFrame({"settlement": ["Kramatorsk", None], "location": ["Kramatorsk", "Zzyzx Khutir"],
                       "admin1": ["Donetsk", "Kharkiv"]})
DECLARATION = '''\
day: str = "2023-03-01"  # the day; check: day(events)
until: str = "2023-03-05"  # the last day; check: day(events), not_before(day)
raid: str = "2023-02-10"  # a night of air attacks; check: day(air_attacks)
span_days: int = 3  # days before `day`; check: window(day)
gap: int = 2  # a run of days; check: days
town: str = "Kramatorsk"  # a place; check: place
region: str = ""  # an oblast or all; check: oblast
colour: str = "red"  # a colour; check: one_of(red, green, blue)
size: int = 2  # a size; check: one_of(1, 2, 4)
by: str = "weapon"  # a breakdown; check: grouping
label: str = "any text"  # free text, no check
date: str = "not a date at all"  # named like a day, declared as text: no check follows from the name
report_dir: str = ""  # where outputs go; set by `analysis report`
'''


def make_notebook(folder: Path, name: str, declaration: str, title: str = "A new report") -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}\n\nWhat it answers."),
                nbformat.v4.new_code_cell(declaration, metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("from analysis.reports.reporting import Report\n\n"
                                          "report = Report.for_run(report_dir)")]
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture
def notebooks(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", folder)
    return folder


@pytest.fixture
def new(notebooks) -> Path:
    return make_notebook(notebooks, "07-new-report", DECLARATION)


def check(path: Path, given: dict, manifest=MANIFEST) -> dict:
    return parameters.check_parameters(path, given, PLACES, manifest=manifest)


def refusal(path: Path, given: dict, manifest=MANIFEST) -> str:
    with pytest.raises(ParameterError) as info:
        check(path, given, manifest)
    message = str(info.value)
    assert message.startswith(f"{path.stem}: ") and f"\nparameters of {path.stem}:\n" in message
    return message.split("\n")[0]


# ---------------------------------------------------------------- a new notebook needs no runner change
def test_a_new_notebook_is_listed_and_checked_from_its_declaration_alone(new):
    assert reports.list_notebooks() == [new] and reports.resolve_notebook("07") == new.resolve()
    values = check(new, {"day": " 2023-3-2", "span_days": "2", "region": "ALL", "size": "4", "date": "whenever"})
    assert values == {"day": "2023-03-02", "until": "2023-03-05", "raid": "2023-02-10", "span_days": 2, "gap": 2,
                      "town": "Kramatorsk", "region": "", "colour": "red", "size": 4, "by": "weapon",
                      "label": "any text", "date": "whenever"}
    listing = reports.describe_notebooks()
    assert listing.splitlines()[0] == "07-new-report: A new report"
    assert ("  until (str, default '2023-03-05'): the last day [a day YYYY-MM-DD inside the events' coverage; "
            "not before day]") in listing.splitlines()
    assert "  colour (str, default 'red'): a colour [one of red, green, blue]" in listing.splitlines()
    assert "  label (str, default 'any text'): free text, no check" in listing.splitlines()
    assert "report_dir" not in listing


def test_names_mean_nothing_without_a_declared_check(notebooks):
    path = make_notebook(notebooks, "08-names", 'date: str = "x"  # text\ncity: str = "Atlantis"  # text\n'
                                                'oblast: str = "Narnia"  # text\nbreakdown: str = "colour"  # text\n'
                                                'window_days: int = 0  # a number\nreport_dir: str = ""  # out\n')
    assert check(path, {}) == {"date": "x", "city": "Atlantis", "oblast": "Narnia", "breakdown": "colour",
                               "window_days": 0}


@pytest.mark.parametrize("given, message", [
    ({"day": "March"}, "day: 'March' is not a date; write it as YYYY-MM-DD"),
    ({"day": "2023-07-01", "until": "2023-07-01"}, "day: 2023-07-01 is outside the events' coverage "
                                                   "(2023-01-01..2023-06-30); outside it there is no data, not zero; "
                                                   "until: 2023-07-01 is outside the events' coverage "
                                                   "(2023-01-01..2023-06-30); outside it there is no data, not zero"),
    ({"raid": "2023-03-01"}, "raid: 2023-03-01 is outside the Air Force reports' coverage (2023-02-01..2023-02-28); "
                             "outside it there is no data, not zero"),
    ({"until": "2023-02-28"}, "until 2023-02-28 is before day 2023-03-01"),
    ({"day": "2023-01-02", "until": "2023-01-09"}, "span_days: the 3-day window 2022-12-31..2023-01-02 begins before "
                                                   "the events' coverage (2023-01-01..2023-06-30); outside it there "
                                                   "is no data, not zero; choose a later date or fewer days"),
    ({"span_days": "0"}, "span_days: must be a whole number of days >= 1, not 0"),
    ({"gap": -3}, "gap: must be a whole number of days >= 1, not -3"),
    ({"town": "Atlantis"}, "town: 'Atlantis' is not a place in the data"),
    ({"region": "Narnia"}, "region: 'Narnia' is not an oblast in the data; known: Donetsk, Kharkiv"),
    ({"colour": "Red"}, "colour: 'Red' is not one of red, green, blue"),
    ({"size": 3}, "size: 3 is not one of 1, 2, 4"),
    ({"by": "event_id"}, f"by: 'event_id' is not one of {', '.join(GROUPABLE)}"),
    ({"gap": "two"}, "gap: 'two' is not an int"),
])
def test_each_kind_refuses_bad_values_naming_parameter_value_and_rule(new, given, message):
    assert refusal(new, given) == f"{new.stem}: {message}"


def test_a_table_without_rows_is_refused_once_for_all_its_days(notebooks):
    path = make_notebook(notebooks, "09-air", 'start: str = "2023-02-01"  # first; check: day(air_attacks)\n'
                                              'end: str = "2023-02-02"  # last; '
                                              'check: day(air_attacks), not_before(start)\n')
    manifest = {**MANIFEST, "coverage": MANIFEST["coverage"][:1]}
    assert refusal(path, {}, manifest) == f"{path.stem}: there are no Air Force reports in the data, so there is " \
                                          "nothing to report on any day"


def test_form_problems_come_before_data_checks_and_are_all_named(new):
    message = refusal(new, {"day": "soon", "gap": "0", "town": "Atlantis"})
    assert message == f"{new.stem}: day: 'soon' is not a date; write it as YYYY-MM-DD; " \
                      "gap: must be a whole number of days >= 1, not 0"


def test_data_checks_read_the_data_only_when_needed(notebooks, tmp_path):
    """Checking a notebook without data checks imports neither the loaders nor the metrics."""
    path = make_notebook(notebooks, "10-plain", 'gap: int = 2  # days; check: days\n'
                                                'colour: str = "red"  # check: one_of(red, blue)\n')
    code = ("import sys; from pathlib import Path; from analysis import parameters, reports\n"
            f"print(parameters.check_parameters(Path({str(path)!r}), {{'gap': '3'}}))\n"
            "print(sorted(m for m in ('analysis.metrics', 'analysis.metrics.loaders', 'pandas') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert run.stdout.splitlines() == ["{'gap': 3, 'colour': 'red'}", "[]"]


# ---------------------------------------------------------------- wrong declarations
@pytest.mark.parametrize("line, fragment", [
    ('x: str = "a"  # help; check: colour', "parameter x, check colour: no such kind of check; known: day, "),
    ('x: int = 1  # help; check: day', "parameter x, check day: applies to str parameters, not int"),
    ('x: str = "a"  # help; check: day(rockets)', "check day: takes one table of events, air_attacks, claims, "
                                                   "not rockets"),
    ('x: int = 1  # help; check: window(label)', "check window: takes the name of a parameter checked as a day, "
                                                  "not label"),
    ('x: str = "a"  # help; check: not_before', "takes the name of a parameter checked as a day, not nothing"),
    ('x: str = "a"  # help; check: place(Kyiv)', "check place: takes no arguments, not Kyiv"),
    ('x: int = 1  # help; check: one_of(1, two)', "check one_of: lists a value that does not fit: 'two' is not an int"),
    ('x: str = "a"  # help; check: day(events', "parameter x: cannot read the check 'day(events'"),
    ('x: list = []  # help', "parameter x has type list; use one of str, int, float, bool"),
])
def test_a_wrong_declaration_names_the_notebook_and_the_parameter(notebooks, line, fragment):
    path = make_notebook(notebooks, "11-wrong", f'label: str = ""  # text\n{line}\nreport_dir: str = ""  # out\n')
    with pytest.raises(ParameterError, match=r"^11-wrong\.ipynb: ") as info:
        parameters.notebook_parameters(path)
    assert fragment in str(info.value)
    with pytest.raises(ParameterError):  # a broken report notebook is an error, not silently left out
        reports.list_notebooks()


def test_notebooks_without_a_parameters_cell_are_not_reports(notebooks, new):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Explore")])
    nbformat.write(nb, notebooks / "00-explore.ipynb")
    assert reports.list_notebooks() == [new]


# ---------------------------------------------------------------- the notebook writes its name and parameters once
def test_report_notebooks_write_their_name_and_parameters_only_in_the_declaration():
    for path in reports.list_notebooks():
        nb = nbformat.read(path, as_version=4)
        declared = [p.name for p in parameters.notebook_parameters(path) if p.name != "report_dir"]
        others = "\n".join(c.source for i, c in enumerate(nb.cells) if i != 1)
        assert path.stem not in others, f"{path.name} repeats its name"
        assert not any(f'"{name}":' in others or f"'{name}':" in others for name in declared), path.name
        assert "report = Report.for_run(report_dir)" in others, path.name
        assert "title" not in nb.metadata and "analysis" not in nb.metadata, path.name  # the title is the heading


def test_a_report_learns_its_name_and_values_from_the_runner(tmp_path):
    values = {"window_days": 7, "date": "2023-03-14", "oblast": ""}  # in the declaration's order, not sorted
    told = parameters.write_run_parameters(tmp_path, Path("notebooks/01-daily-briefing.ipynb"), values)
    report = Report.for_run(str(tmp_path))
    assert (report.notebook, report.parameters, report.dir) == ("01-daily-briefing", values, tmp_path)
    assert list(report.parameters) == list(values)
    assert json.loads((tmp_path / "numbers.json").read_text(encoding="utf-8"))["notebook"] == "01-daily-briefing"
    assert told.name.startswith(".")  # hidden: never listed among a report's outputs


def test_in_jupyterlab_a_report_learns_them_from_the_session_and_the_kernel(new, tmp_path, monkeypatch):
    import IPython

    class Shell:
        user_ns = {"__session__": str(new), "day": "2023-03-02", "span_days": 2, "colour": "blue", "x": 1}

    monkeypatch.setattr(IPython, "get_ipython", lambda: Shell())
    monkeypatch.setattr(config, "REPORTS_DIR", tmp_path / "reports")
    report = Report.for_run("")
    assert report.notebook == "07-new-report"
    assert report.parameters == {"day": "2023-03-02", "span_days": 2, "colour": "blue"}
    assert report.dir == tmp_path / "reports" / "07-new-report" / "interactive"


def test_the_declared_days_are_canonical_dates_of_the_right_type(new):
    values = check(new, {"day": dt.date(2023, 3, 3), "until": dt.datetime(2023, 3, 4)})
    assert (values["day"], values["until"]) == ("2023-03-03", "2023-03-04")


def test_the_readme_lists_each_report_notebook_with_its_declared_parameters():
    import re

    readme = (config.PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\d\d-[\w-]+)` \| ([^|]+) \|", readme, re.M))
    for path in reports.list_notebooks():
        declared = [p.name for p in parameters.notebook_parameters(path) if p.name not in parameters.RESERVED]
        assert re.findall(r"`(\w+)`", rows[path.stem]) == declared, path.stem
