"""The report runner: parameters checked first, failures and timeouts recorded, batches, reproducibility.

These use small notebooks written by the tests; the real notebooks are executed
in test_notebooks.py.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import nbformat
import pytest

from analysis import config, reports
from analysis.errors import ParameterError

pytestmark = pytest.mark.slow

PARAMS = 'x: int = 1  # a number\nlabel: str = "a"  # a label\nreport_dir: str = ""  # set by the runner'
STATE = ('from analysis.reports.reporting import Report\n'
         'report = Report("t", {"x": x, "label": label}, report_dir)\n'
         'report.state("x_squared", x * x, f"The square of {x} is {x * x}.", "x times x")')


def _notebook(path: Path, *cells: str, params: str = PARAMS) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "some-other-kernel", "display_name": "not ours", "language": "python"}
    parameters = nbformat.v4.new_code_cell(params)
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# A test report"), parameters,
                *[nbformat.v4.new_code_cell(c) for c in cells]]
    nbformat.write(nb, path)
    return path


@pytest.fixture
def root(seed_dirs, tmp_path):
    """Reports go to tmp; the processed data are built from the bundled seed files in tmp."""
    return tmp_path


def test_a_report_writes_every_output(root):
    nb = _notebook(root / "10-ok.ipynb", STATE, 'print("plain output")')
    result = reports.run_report(nb, {"x": "3"})
    assert result.ok and result.report_dir == root / "reports" / "10-ok" / "x=3_label=a"
    files = {p.name for p in result.report_dir.iterdir()}
    assert {"10-ok.ipynb", "report.html", "numbers.json", "run.json"} <= files
    numbers = json.loads((result.report_dir / "numbers.json").read_text())["numbers"]
    assert numbers[0]["name"] == "x_squared" and numbers[0]["value"] == 9
    assert numbers[0]["parameters"] == {"x": 3, "label": "a"}
    run = json.loads((result.report_dir / "run.json").read_text())
    assert run["status"] == "succeeded" and run["parameters"] == {"x": 3, "label": "a"}
    assert run["kernel"] == "conflict-analysis" and run["versions"]["papermill"]
    assert {i["path"] for i in run["inputs"]} == {p.name for p in (root / "raw").iterdir()}
    assert all(len(i["sha256"]) == 64 for i in run["inputs"])
    html = (result.report_dir / "report.html").read_text()
    assert "The square of 3 is 9." in html and "plain output" in html
    assert "report.state(" not in html and "print(" not in html  # no code in the HTML
    index = (root / "reports" / "index.html").read_text()
    assert "10-ok/x=3_label=a/report.html" in index


def test_the_projects_kernel_is_used_whatever_the_notebook_says(root):
    nb = _notebook(root / "11-kernel.ipynb", STATE, "import sys\nprint(sys.executable)")
    result = reports.run_report(nb, {})
    executed = nbformat.read(result.report_dir / "11-kernel.ipynb", as_version=4)
    assert executed.metadata.kernelspec.name == "conflict-analysis"
    import sys

    assert sys.executable in (result.report_dir / "report.html").read_text()


def test_parameters_are_passed_as_values_not_code(root):
    nb = _notebook(root / "12-values.ipynb", STATE, "print(repr(label))")
    tricky = 'x"); import os; os.system("touch HACKED")  # '
    result = reports.run_report(nb, {"label": tricky})
    assert result.ok
    assert not (config.NOTEBOOKS_DIR / "HACKED").exists() and not Path("HACKED").exists()
    assert json.loads((result.report_dir / "numbers.json").read_text())["parameters"]["label"] == tricky


@pytest.mark.parametrize("given, fragment", [
    ({"y": "1"}, "unknown parameter 'y'"),
    ({"x": "seven"}, "x: 'seven' is not an int"),
    ({"report_dir": "/tmp"}, "unknown parameter 'report_dir'"),
])
def test_bad_parameters_fail_before_any_kernel_starts(root, given, fragment, monkeypatch):
    from analysis.reports import execution

    monkeypatch.setattr(execution, "execute", lambda *a, **k: pytest.fail("a kernel was started"))
    nb = _notebook(root / "13-params.ipynb", STATE)
    with pytest.raises(ParameterError) as info:
        reports.run_report(nb, given)
    assert fragment in str(info.value)
    assert "x (int, default 1): a number" in str(info.value)  # lists the notebook's parameters


def test_dates_places_and_ranges_are_checked(root, monkeypatch):
    from analysis.reports import execution

    monkeypatch.setattr(execution, "execute", lambda *a, **k: pytest.fail("a kernel was started"))
    params = ('city: str = "Kramatorsk"  # a settlement; check: place\n'
              'start: str = "2023-03-01"  # first day; check: day(events)\n'
              'end: str = "2023-03-14"  # last day; check: day(events), not_before(start)\n'
              'report_dir: str = ""  # set by the runner')
    nb = _notebook(root / "14-city.ipynb", "pass", params=params)
    cases = [({"city": "Atlantis"}, "city: 'Atlantis' is not a place in the data"),
             ({"city": "../../etc"}, "is not a place in the data"),
             ({"start": "2023-13-01"}, "start: '2023-13-01' is not a date"),
             ({"end": "2023-02-01"}, "end 2023-02-01 is before start 2023-03-01"),
             ({"end": "2023-03-31"}, "end: 2023-03-31 is outside the events' coverage (2022-04-08..2023-03-14)"),
             ({"start": "2022-04-07"}, "start: 2022-04-07 is outside the events' coverage")]
    for given, fragment in cases:
        with pytest.raises(ParameterError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
            reports.run_report(nb, given)


def test_report_names_never_escape_the_reports_folder(root):
    for value in ("../../etc", "/etc/passwd", "..", "a/../../b", "~"):
        slug = reports.report_slug({"city": value})
        assert "/" not in slug and ".." not in slug
        target = reports.report_dir(Path("02-city.ipynb"), {"city": value}, root / "reports")
        assert target.parent == (root / "reports" / "02-city").resolve()


def test_a_failing_cell_fails_the_report_and_is_shown(root, cli):
    nb = _notebook(root / "15-fail.ipynb", STATE, "raise ValueError('the data say no')", "print('never')")
    code, out, err = cli("report", nb)
    assert code == 1 and "the data say no" in err
    out_dir = root / "reports" / "15-fail" / "x=1_label=a"
    run = json.loads((out_dir / "run.json").read_text())
    assert run["status"] == "failed" and "ValueError: the data say no" in run["error"]
    executed = nbformat.read(out_dir / "15-fail.ipynb", as_version=4)
    assert any(o.get("ename") == "ValueError" for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert "An Exception was encountered" in nbformat.writes(executed)  # papermill's marker
    assert "the data say no" in (out_dir / "report.html").read_text()


def test_a_timeout_fails_the_report_and_is_marked_in_the_notebook(root, cli):
    nb = _notebook(root / "16-slow.ipynb", STATE, "import time\ntime.sleep(30)")
    code, out, err = cli("report", nb, "--timeout", "2")
    assert code == 1 and "timed out" in err
    out_dir = root / "reports" / "16-slow" / "x=1_label=a"
    run = json.loads((out_dir / "run.json").read_text())
    assert run["status"] == "failed" and "timed out" in run["error"]
    executed = nbformat.read(out_dir / "16-slow.ipynb", as_version=4)
    assert "did not finish" in executed.cells[0].source
    slow = [c for c in executed.cells if c.cell_type == "code" and "time.sleep" in c.source][0]
    assert slow.outputs[-1]["ename"] == "ReportInterrupted"
    assert "did not finish" in (out_dir / "report.html").read_text()


def test_a_batch_with_one_bad_combination_completes_the_others(root, cli):
    nb = _notebook(root / "17-batch.ipynb", STATE)
    code, out, err = cli("batch", nb, "--grid", "x=1,2,oops", "--grid", "label=a,b", "-j", "2")
    assert code == 1
    assert "6 reports: 4 succeeded, 2 failed" in out
    done = sorted(p.name for p in (root / "reports" / "17-batch").iterdir())
    assert done == ["x=1_label=a", "x=1_label=b", "x=2_label=a", "x=2_label=b"]
    index = (root / "reports" / "index.html").read_text()
    assert index.count('class="ok"') == 4
    assert "oops" in out and "is not an int" in out


def test_running_a_report_twice_gives_identical_html_and_numbers(root):
    nb = _notebook(root / "18-twice.ipynb", STATE, "import pandas as pd\npd.DataFrame({'a': [1.5, 2.25]})")
    first = reports.run_report(nb, {"x": "4"})
    digest = {n: hashlib.sha256((first.report_dir / n).read_bytes()).hexdigest() for n in ("report.html", "numbers.json")}
    second = reports.run_report(nb, {"x": "4"})
    assert {n: hashlib.sha256((second.report_dir / n).read_bytes()).hexdigest() for n in digest} == digest


def test_grid_parsing():
    assert reports.parse_grid(["a=1,2", "b=x"]) == [{"a": "1", "b": "x"}, {"a": "2", "b": "x"}]
    with pytest.raises(ParameterError):
        reports.parse_grid(["nonsense"])


def test_kernel_start_failures_are_retried(root, monkeypatch):
    from analysis.reports import execution

    real, calls = execution.execute, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise execution.KernelStartError("the kernel did not start: simulated")
        return real(*args, **kwargs)

    monkeypatch.setattr(execution, "execute", flaky)
    nb = _notebook(root / "19-retry.ipynb", STATE)
    results = reports.run_batch(nb, [{"x": "2"}], jobs=1, progress=False)
    assert results[0].ok and len(calls) == 2


def test_kernel_that_never_starts_is_a_failed_result_not_a_crash(root, monkeypatch):
    from analysis.reports import execution

    def broken(*args, **kwargs):
        raise execution.KernelStartError("the kernel did not start: simulated")

    monkeypatch.setattr(execution, "execute", broken)
    nb = _notebook(root / "20-dead.ipynb", STATE)
    results = reports.run_batch(nb, [{"x": "1"}, {"x": "2"}], jobs=2, progress=False, retries=1)
    assert [r.status for r in results] == ["failed", "failed"]
    assert all("after 2 attempts" in r.error for r in results)


def _without_timing(path: Path) -> dict:
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        for key in ("start_time", "end_time", "duration"):
            cell.get("metadata", {}).get("papermill", {}).pop(key, None)
        cell.get("metadata", {}).pop("execution", None)
    for key in ("start_time", "end_time", "duration"):
        nb["metadata"].get("papermill", {}).pop(key, None)
    return nb


def test_rerun_executed_notebook_differs_only_in_timing_metadata(root):
    nb = _notebook(root / "21-meta.ipynb", STATE, "import pandas as pd\npd.DataFrame({'a': [1, 2]})")
    first = reports.run_report(nb, {"x": "2"})
    saved = (first.report_dir / "21-meta.ipynb").read_text()
    second = reports.run_report(nb, {"x": "2"})
    assert saved != (second.report_dir / "21-meta.ipynb").read_text()  # the timings differ...
    (root / "first.ipynb").write_text(saved)
    assert _without_timing(root / "first.ipynb") == _without_timing(second.report_dir / "21-meta.ipynb")  # ...only


def test_parameters_from_a_yaml_file(root, cli):
    nb = _notebook(root / "22-yaml.ipynb", STATE)
    params = root / "params.yaml"
    params.write_text("x: 6\nlabel: from-yaml\n")
    code, out, err = cli("report", nb, "-f", params, "-p", "label", "overridden")
    assert code == 0, err
    numbers = json.loads((root / "reports" / "22-yaml" / "x=6_label=overridden" / "numbers.json").read_text())
    assert numbers["numbers"][0]["value"] == 36


def test_a_reused_warm_kernel_gives_the_same_report_as_a_fresh_one(root):
    from analysis.reports.kernels import KernelPool

    body = STATE + "\nimport pandas as pd\nleft_over = 'from an earlier report'\npd.DataFrame({'x': [x]})"
    nb = _notebook(root / "23-warm.ipynb", body, "print(sorted(k for k in dir() if not k.startswith('_'))[:12])")
    fresh = reports.run_report(nb, {"x": "5"})
    files = ["report.html", "numbers.json", "23-warm.ipynb"]
    before = {f: _without_timing(fresh.report_dir / f) if f.endswith("ipynb") else (fresh.report_dir / f).read_bytes()
              for f in files}
    with KernelPool(1) as pool:  # one kernel: the second run reuses the kernel of the first
        reports.run_report(nb, {"x": "7"}, kernels=pool)
        again = reports.run_report(nb, {"x": "5"}, kernels=pool)
    after = {f: _without_timing(again.report_dir / f) if f.endswith("ipynb") else (again.report_dir / f).read_bytes()
             for f in files}
    assert after == before
    executed = nbformat.read(again.report_dir / "23-warm.ipynb", as_version=4)
    counts = [c.execution_count for c in executed.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))  # numbering starts at 1, as in a fresh kernel


def test_an_unquoted_yaml_date_in_a_parameters_file_is_a_day(root, cli):
    params = 'date: str = "2023-03-14"  # a day\nreport_dir: str = ""  # set by the runner'
    body = ('from analysis.reports.reporting import Report\nreport = Report("t", {"date": date}, report_dir)\n'
            'report.state("day", date, f"The day is {date}.", "the date parameter")')
    nb = _notebook(root / "24-yaml-date.ipynb", body, params=params)
    path = root / "params.yaml"
    path.write_text("date: 2023-03-10\n")  # YAML reads this as a date, not text
    code, out, err = cli("report", nb, "-f", path)
    assert code == 0, err
    numbers = json.loads((root / "reports" / "24-yaml-date" / "date=2023-03-10" / "numbers.json").read_text())
    assert numbers["numbers"][0]["value"] == "2023-03-10" and numbers["parameters"] == {"date": "2023-03-10"}
    path.write_text("date:\n  - 2023-03-10\n  - 2023-03-11\n")
    code, out, err = cli("report", nb, "-f", path)
    assert code == 2 and "date: ['2023-03-10', '2023-03-11'] is a list; give a single str" in err
    assert "date (str, default '2023-03-14'): a day" in err
