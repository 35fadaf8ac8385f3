"""Every notebook in notebooks/ executes on the bundled data; the reports say what they must.

The bundled data are built once per test session into a temporary folder and the
reports run as the main job runs them (``run_all_reports``), in parallel
(``conftest.bundled_reports``, shared with test_records_contract.py).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess

import nbformat
import pytest

from analysis import config, reports

pytestmark = pytest.mark.slow
NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))


@pytest.fixture
def bundled(bundled_reports, monkeypatch):
    """The session's bundled build and reports (conftest.bundled_reports), with config pointing at them."""
    from conftest import point_config_at

    root, results = bundled_reports
    point_config_at(monkeypatch, root)
    return root, results


def test_committed_notebooks_have_no_outputs():
    tracked = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=config.PROJECT_DIR, capture_output=True, text=True)
    for name in tracked.stdout.split():
        nb = nbformat.read(config.PROJECT_DIR / name, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{name} has outputs; strip them"


def test_notebooks_are_numbered_and_shaped_like_stories():
    assert [p.stem[:2] for p in NOTEBOOKS] == [f"{i:02d}" for i in range(len(NOTEBOOKS))]
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), path.name
        assert nb.metadata.kernelspec.name == "conflict-analysis"
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert not re.search(r"^\s*(def|class|lambda)\b", code, re.M), f"{path.name} defines functions"
        headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## ")]
        assert headings and all(h.rstrip().endswith("?") for h in headings), path.name


def test_report_notebooks_declare_typed_parameters_with_help():
    report_notebooks = reports.list_notebooks()
    assert [p.stem for p in report_notebooks] == ["01-daily-briefing", "02-city-profile", "03-period-summary",
                                                  "04-air-attack-summary", "05-data-quality"]
    for path in report_notebooks:
        params = reports.notebook_parameters(path)
        assert params[-1].name == "report_dir"
        assert all(p.help for p in params), path.name
        nb = nbformat.read(path, as_version=4)
        tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
        assert tagged == [1], "the parameters cell comes right after the title"


def test_every_report_notebook_succeeds_on_the_bundled_data(bundled):
    _, results = bundled
    assert set(results) == {p.stem for p in reports.list_notebooks()}
    for name, result in results.items():
        assert result.ok, f"{name}: {result.error}"


def test_the_exploration_notebook_shows_the_bundled_data(bundled, tmp_path):
    import papermill

    from analysis.reports import execution

    execution.ensure_kernelspec()
    km = execution.start_kernel()  # with the fixture's data folders in the kernel's environment
    try:
        path = config.NOTEBOOKS_DIR / "00-explore-events.ipynb"
        papermill.execute_notebook(str(path), str(tmp_path / "out.ipynb"), kernel_name=execution.KERNEL_NAME,
                                   cwd=str(config.NOTEBOOKS_DIR), progress_bar=False, km=km)
    finally:
        execution.shutdown(km)
    root, _ = bundled
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert str(root / "processed") not in nbformat.writes(executed)  # no paths leak into outputs
    _assert_exploration_outputs(executed, root)


def _assert_exploration_outputs(executed, root) -> None:
    """What the tour shows for the bundled data: 750 synthetic ACLED and 7 news events, filters, figures."""
    import pandas as pd

    from analysis import metrics
    from analysis.tables.schemas import PROCESSED_EVENTS

    def shown(cell) -> str:
        return "\n".join(o.get("data", {}).get("text/plain", "") for o in cell.outputs if "data" in o)

    cells = [c for c in executed.cells if c.cell_type == "code"]
    assert all(not any(o.output_type == "error" for o in c.outputs) for c in cells)
    events = pd.read_parquet(root / "processed" / "events.parquet")
    assert len(events) == 757 and events["is_synthetic"].sum() == 750  # the bundled raw files
    assert shown(cells[0]) == f"(757, {len(PROCESSED_EVENTS.columns)})"  # events.shape
    head = shown(cells[1])
    assert all(event_id[:40] in head for event_id in events["event_id"].head())  # long ids are cut short
    sizes = [line.split() for line in shown(cells[2]).splitlines()]
    assert ["acled", "True", "750"] in sizes and ["news", "False", "7"] in sizes
    donetsk, kramatorsk = (len(metrics.events_in(events, oblast="Donetsk")),
                           len(metrics.events_in(events, city="Kramatorsk")))
    assert donetsk > kramatorsk >= 2 and shown(cells[3]) == f"({donetsk}, {kramatorsk})"
    for cell in cells[4:7]:  # attacks per day, by type, civilian harm by city: one figure each
        figures = [o for o in cell.outputs if "image/png" in o.get("data", {})
                   or "<Figure size" in o.get("data", {}).get("text/plain", "")]
        assert len(figures) == 1, cell.source
    assert shown(cells[7]) == "['attacks.alt.txt', 'attacks.csv', 'attacks.png', 'attacks.svg']"


def _numbers(result) -> dict:
    return {n["name"]: n for n in json.loads((result.report_dir / "numbers.json").read_text())["numbers"]}


def test_daily_briefing_states_the_kramatorsk_strike_and_the_claim(bundled):
    _, results = bundled
    briefing = results["01-daily-briefing"]
    assert briefing.report_dir.name == "date=2023-03-14_window_days=7_oblast=all"
    numbers = _numbers(briefing)
    strike = "news:rferl-20230314-kramatorsk-apartment-strike"
    assert numbers[f"{strike}:civilians_killed"]["value"] == 1
    assert numbers[f"{strike}:civilians_injured"]["value"] == 3
    assert numbers[f"{strike}:civilians_killed"]["raw_file"] == "news_rferl_2023-03-14.csv"
    claim = next(n for name, n in numbers.items() if name.startswith("claim:attacks_repelled"))
    assert claim["value"] == 102 and claim["is_reported_claim"]
    assert "reported claim, not a count of events" in claim["sentence"]
    html = (briefing.report_dir / "report.html").read_text()
    assert "in Kramatorsk (Donetsk), 1 civilian was killed and 3 civilians were injured" in html
    assert "102 attacks repelled on 14 March 2023 (a reported claim, not a count of events" in html
    assert not numbers[f"{strike}:civilians_killed"]["is_synthetic"]  # real, even among synthetic events


def test_reports_contain_no_code(bundled):
    _, results = bundled
    for result in results.values():
        html = (result.report_dir / "report.html").read_text()
        code_cells = re.findall(r'<div class="(jp-Cell jp-CodeCell[^"]*)"', html)
        assert code_cells and all("jp-mod-noInput" in c for c in code_cells), result.notebook
        assert not re.search(r'class="[^"]*\b(jp-CodeMirrorEditor|jp-InputPrompt|jp-OutputPrompt)\b', html)
        assert "import analysis" not in html and "report.state(" not in html, result.notebook


def test_data_quality_report_shows_the_ledger_of_the_last_build(bundled):
    root, results = bundled
    quality = results["05-data-quality"]
    manifest = json.loads((root / "processed" / "manifest.json").read_text())
    numbers = _numbers(quality)
    assert numbers["rows"]["value"] == manifest["totals"]["rows"]
    assert numbers["accepted"]["value"] == manifest["totals"]["accepted"]
    html = (quality.report_dir / "report.html").read_text()
    for entry in manifest["inputs"]:
        assert entry["path"] in html and entry["sha256"][:12] in html


def test_synthetic_data_are_marked_in_reports(bundled):
    _, results = bundled
    numbers = _numbers(results["01-daily-briefing"])
    assert numbers["attacks_in_window"]["is_synthetic"]  # the bundled ACLED events are synthetic
    assert "SYNTHETIC" in numbers["attacks_in_window"]["source"]


def test_reports_index_links_every_report(bundled):
    root, results = bundled
    index = (root / "reports" / "index.html").read_text()
    for result in results.values():
        assert f"{result.notebook}/{result.report_dir.name}/report.html" in index


def test_rerunning_a_report_gives_identical_html_figures_and_numbers(bundled):
    _, results = bundled
    first = results["02-city-profile"]
    files = ["report.html", "numbers.json"] + sorted(str(p.relative_to(first.report_dir))
                                                     for p in (first.report_dir / "figures").iterdir())
    before = {f: hashlib.sha256((first.report_dir / f).read_bytes()).hexdigest() for f in files}
    again = reports.run_report("02-city-profile", {})
    assert {f: hashlib.sha256((again.report_dir / f).read_bytes()).hexdigest() for f in files} == before
