"""The records every report writes: ``numbers.json`` and ``run.json``, pinned field by field.

A reader of an article relies on them: every stated number carries its
definition, parameters and a source line computed from the data; every run
records what it ran on.  Each report notebook runs once per test session on
the bundled data (``conftest.bundled_reports``); fast tests call ``Report`` and
``reports._run_record`` in-process with hand-made inputs.  Claim names may change form,
so the tests assert properties of every entry, not names.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
from datetime import datetime, timedelta, timezone
from importlib import metadata

import pandas as pd
import pytest

from analysis import config, reports
from analysis.tables.vocabulary import SOURCE_DATASETS

slow = pytest.mark.slow  # the tests on the bundled reports; the in-process ones below them are fast

REPORT_NOTEBOOKS = [p.stem for p in reports.list_notebooks()]
NUMBER_FIELDS = {"name", "value", "unit", "sentence", "definition", "is_reported_claim", "parameters", "source",
                 "is_synthetic"}
# What the numbers of the report notebooks count.  A claim's unit is what it claims ("attacks repelled").
UNITS = {"events", "incidents", "people", "weapons", "rows", "place names", "gaps"}
_DATASET_NAMES = "|".join(re.escape(n) for n in SOURCE_DATASETS.values())
SOURCE_LINE = re.compile(rf"Source: (?P<names>(?:{_DATASET_NAMES})(?:; (?:{_DATASET_NAMES}))*)\. "
                         r"(?P<kind>Events|Reports|Claims|Data) to (?P<day>\d{1,2}) (?P<month>[A-Z][a-z]{2}) "
                         r"(?P<year>\d{4})\.(?P<synthetic> Includes SYNTHETIC data, not real data\.)?")
RUN_FIELDS = {"notebook", "notebook_sha256", "parameters", "status", "error", "started_at", "duration_s", "kernel",
              "inputs", "snapshots", "tables", "build", "versions", "outputs"}
SESSION_START = datetime.now(timezone.utc)


def _numbers_file(result) -> dict:
    return json.loads((result.report_dir / "numbers.json").read_text(encoding="utf-8"))


def _run_file(result) -> dict:
    return json.loads((result.report_dir / "run.json").read_text(encoding="utf-8"))


@pytest.fixture(params=REPORT_NOTEBOOKS)
def report(request, bundled_reports):
    _, results = bundled_reports
    result = results[request.param]
    assert result.ok, f"{request.param}: {result.error}"
    return result


def _written(value) -> list[str]:
    """The ways a report writes a number in a sentence ('1,234', '1234'); unknown is said in words."""
    if value is None:
        return ["unknown"]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise AssertionError(f"a stated number must be a number or empty (unknown), not {value!r}")
    if isinstance(value, float) and not value.is_integer():
        return [f"{value:,.1f}", f"{value:.0%}"]
    return [f"{int(value):,}", str(int(value))]


# ---------------------------------------------------------------- numbers.json
@slow
def test_numbers_file_names_its_notebook_and_parameters(report):
    payload = _numbers_file(report)
    assert set(payload) == {"notebook", "parameters", "numbers"}
    assert payload["notebook"] == report.notebook
    assert payload["parameters"] == report.parameters  # the checked values, defaults filled in
    assert payload["numbers"], f"{report.notebook} states no number"


@slow
def test_every_number_has_name_value_unit_sentence_definition_parameters_and_source(report):
    numbers = _numbers_file(report)["numbers"]
    names = [n["name"] for n in numbers]
    assert len(names) == len(set(names)), "names are unique within a report"
    for number in numbers:
        where = f"{report.notebook}: {number.get('name')}"
        assert NUMBER_FIELDS <= set(number), f"{where} lacks {NUMBER_FIELDS - set(number)}"
        assert isinstance(number["name"], str) and number["name"].strip(), where
        assert isinstance(number["definition"], str) and len(number["definition"].strip()) >= 20, where
        assert isinstance(number["sentence"], str) and number["sentence"].strip(), where
        assert isinstance(number["source"], str) and number["source"].strip(), where
        assert number["parameters"] == report.parameters, where
        assert isinstance(number["is_reported_claim"], bool) and isinstance(number["is_synthetic"], bool), where


@slow
def test_every_sentence_states_its_number_as_written(report):
    for number in _numbers_file(report)["numbers"]:
        forms = _written(number["value"])
        assert any(form in number["sentence"] for form in forms), \
            f"{report.notebook}: {number['name']}: none of {forms} in {number['sentence']!r}"


@slow
def test_every_unit_is_one_of_the_known_units(report):
    for number in _numbers_file(report)["numbers"]:
        unit = number["unit"]
        if number["is_reported_claim"] and number.get("raw_file", "").startswith("claims_"):
            assert isinstance(unit, str) and unit and unit in number["sentence"], number  # "102 attacks repelled"
        else:
            assert unit in UNITS, f"{report.notebook}: {number['name']} has unit {unit!r}; known: {sorted(UNITS)}"


@slow
def test_every_source_line_is_derived_from_the_data(report, bundled_reports):
    """The source line names the datasets the number was computed from, the last day of those rows
    (inside the report's period) and, when any row is synthetic, says so."""
    root, _ = bundled_reports
    manifest = json.loads((root / "processed" / "manifest.json").read_text(encoding="utf-8"))
    coverage = {entry["source_dataset"]: entry for entry in manifest["coverage"]}
    params = report.parameters
    period_end = params.get("end") or params.get("date")
    for number in _numbers_file(report)["numbers"]:
        where = f"{report.notebook}: {number['name']}: {number['source']!r}"
        match = SOURCE_LINE.fullmatch(number["source"])
        assert match, where
        names = match["names"].split("; ")
        codes = {code for code, name in SOURCE_DATASETS.items() if name in names}
        assert codes <= set(coverage), where  # only datasets the build holds
        assert bool(match["synthetic"]) == number["is_synthetic"], where
        assert number["is_synthetic"] == any(coverage[c]["is_synthetic"] for c in codes), where
        last = datetime.strptime(f"{match['day']} {match['month']} {match['year']}", "%d %b %Y").date()
        assert any(str(last) <= coverage[c]["last_date"] for c in codes), where
        if period_end and number["name"] not in ("rows", "accepted", "rejected"):
            assert str(last) <= period_end, where
        if "event_id" in number:  # one incident: its own dataset only
            assert codes == {number["event_id"].split(":")[0].removeprefix("synthetic-")}, where


@slow
def test_numbers_are_those_of_the_data(bundled_reports):
    """A few numbers checked against the build itself: the data-quality counts are the manifest's."""
    root, results = bundled_reports
    manifest = json.loads((root / "processed" / "manifest.json").read_text(encoding="utf-8"))
    numbers = {n["name"]: n for n in _numbers_file(results["05-data-quality"])["numbers"]}
    for name in ("rows", "accepted", "rejected"):
        assert numbers[name]["value"] == manifest["totals"][name]
    assert numbers["rows"]["value"] == sum(entry["rows"] for entry in manifest["inputs"])


# ---------------------------------------------------------------- run.json
@slow
def test_run_record_has_parameters_inputs_versions_start_duration_and_status(report):
    record = _run_file(report)
    assert set(record) == RUN_FIELDS
    assert record["notebook"] == report.notebook
    assert record["parameters"] == report.parameters
    assert "report_dir" not in record["parameters"]
    assert (record["status"], record["error"]) == ("succeeded", None)
    assert record["kernel"] == reports.KERNEL_NAME


@slow
def test_run_record_hashes_the_notebook_every_input_and_table(report, bundled_reports):
    record = _run_file(report)
    notebook = config.NOTEBOOKS_DIR / f"{report.notebook}.ipynb"
    assert record["notebook_sha256"] == hashlib.sha256(notebook.read_bytes()).hexdigest()
    raw = config.PROJECT_DIR / "data" / "raw"
    expected = sorted(p.name for p in raw.glob("*.csv"))
    assert sorted(entry["path"] for entry in record["inputs"]) == expected
    for entry in record["inputs"]:
        assert entry["sha256"] == hashlib.sha256((raw / entry["path"]).read_bytes()).hexdigest(), entry["path"]
    build = record["build"]
    assert set(build) == {"schema_version", "code_fingerprint", "is_synthetic"}
    assert build["schema_version"] == config.SCHEMA_VERSION
    assert re.fullmatch(r"[0-9a-f]{64}", build["code_fingerprint"])
    assert build["is_synthetic"] is True  # the bundled ACLED and Air Force files are synthetic
    assert record["snapshots"] == {}  # loose CSV files: no snapshot chain
    root, _ = bundled_reports
    manifest = json.loads((root / "processed" / "manifest.json").read_text(encoding="utf-8"))
    assert record["tables"] == {name: manifest["outputs"][name]["sha256"]
                                for name in ("events.parquet", "daily_counts.parquet")}
    for name, sha in record["tables"].items():  # the tables the report read, by content
        assert sha == hashlib.sha256((root / "processed" / name).read_bytes()).hexdigest(), name


@slow
def test_run_record_versions_start_time_and_duration(report):
    record = _run_file(report)
    versions = record["versions"]
    assert versions["python"] == sys.version.split()[0]
    for dist in ("conflict-analysis", "pandas", "pandera", "matplotlib", "papermill", "nbconvert", "ipykernel"):
        assert versions[dist] == metadata.version(dist), dist
    started = datetime.fromisoformat(record["started_at"])
    assert started.utcoffset() == timedelta(0)  # UTC, with its offset written
    assert SESSION_START - timedelta(seconds=1) <= started <= datetime.now(timezone.utc)
    assert isinstance(record["duration_s"], float) and record["duration_s"] > 0
    assert started + timedelta(seconds=record["duration_s"]) <= datetime.now(timezone.utc) + timedelta(seconds=1)


@slow
def test_run_record_lists_the_files_the_run_wrote(report):
    record = _run_file(report)
    listed = record["outputs"]
    assert listed == sorted(listed)
    on_disk = sorted(str(p.relative_to(report.report_dir)) for p in report.report_dir.rglob("*")
                     if p.is_file() and not p.name.startswith("."))
    assert listed == on_disk  # run.json included, on the first run as on reruns
    assert {"numbers.json", "report.html", f"{report.notebook}.ipynb"} <= set(listed)


# ---------------------------------------------------------------- in-process: Report and _run_record
def _events(records):
    from conftest import events_frame

    return events_frame(records)


def test_state_records_name_value_unit_sentence_definition_parameters_and_source(tmp_path):
    import numpy as np
    import pandas as pd

    from analysis import metrics
    from analysis.metrics import provenance
    from analysis.reports.reporting import Report

    report = Report("t", {"date": pd.Timestamp("2023-03-14"), "days": np.int64(7), "oblast": ""}, tmp_path / "r")
    path = tmp_path / "r" / "numbers.json"
    assert json.loads(path.read_text()) == {"notebook": "t", "parameters": {"date": "2023-03-14", "days": 7,
                                                                            "oblast": ""}, "numbers": []}
    daily = metrics.attacks_per_day(_events([{"event_date": pd.Timestamp("2023-03-13"), "is_synthetic": True},
                                             {"event_date": pd.Timestamp("2023-03-14")}]))
    report.state("attacks", daily["attacks"].sum(), "2 attack events were recorded.", "Attack events.",
                 data=daily, unit="events", share=np.float64(0.5), day=pd.Timestamp("2023-03-14"),
                 missing=pd.NA, show=False)
    report.state("unknown", None, "An unknown number.", "Something not given.", unit="people", show=False)
    numbers = json.loads(path.read_text(encoding="utf-8"))["numbers"]
    assert numbers[0] == {
        "name": "attacks", "value": 2, "unit": "events", "sentence": "2 attack events were recorded.",
        "definition": "Attack events.", "is_reported_claim": False,
        "parameters": {"date": "2023-03-14", "days": 7, "oblast": ""},
        "source": provenance.get(daily).source_line(), "is_synthetic": True,
        "evidence": {"file": "evidence.parquet", "rows": 2},
        "share": 0.5, "day": "2023-03-14", "missing": None}
    assert numbers[0]["source"] == "Source: ACLED. Events to 14 Mar 2023. Includes SYNTHETIC data, not real data."
    assert type(numbers[0]["value"]) is int
    assert numbers[1]["value"] is None and numbers[1]["source"] is None and numbers[1]["is_synthetic"] is False
    assert numbers[1]["evidence"] is None  # no rows given: none recorded
    with pytest.raises(ValueError, match="already stated"):
        report.state("attacks", 3, "3.", "Attack events.", show=False)
    assert len(json.loads(path.read_text(encoding="utf-8"))["numbers"]) == 2


def test_state_shows_the_sentence_marked_when_synthetic(tmp_path, monkeypatch):
    import pandas as pd

    from analysis import metrics
    from analysis.reports.reporting import Report

    shown, markdown = [], []
    monkeypatch.setattr(Report, "_show_markdown", staticmethod(lambda md, plain: (markdown.append(md), shown.append(plain))))
    report = Report("t", {}, tmp_path)
    real = metrics.attacks_per_day(_events([{"event_date": pd.Timestamp("2023-03-14")}]))
    fake = metrics.attacks_per_day(_events([{"event_date": pd.Timestamp("2023-03-14"), "is_synthetic": True}]))
    report.state("a", 1, "One.", "Attack events.", data=real, unit="events")
    report.state("b", 1, "One.", "Attack events.", data=fake, unit="events")
    report.state("c", 1, "Hidden.", "Attack events.", data=fake, unit="events", show=False)
    report.note("A note.")
    assert shown == ["One.", "One. (synthetic data)", "A note."]
    assert markdown == ["One\\.", "One\\. *(synthetic data)*", "A note\\."]  # data escaped, the package's mark not


def test_state_incidents_records_killed_and_injured_unknown_as_empty(tmp_path, monkeypatch):
    import pandas as pd

    from analysis import metrics
    from analysis.reports.reporting import Report

    shown = []
    monkeypatch.setattr(Report, "_show_markdown", staticmethod(lambda markdown, plain: shown.append(plain)))
    events = _events([
        {"event_date": pd.Timestamp("2023-03-01"), "civilians_killed": 2, "weapon": "missile", "source_name": "RFE/RL",
         "raw_line": 7},
        {"event_date": pd.Timestamp("2023-03-02"), "is_civilian_targeting": True, "settlement": None,
         "location": "Mine 6/7", "admin1": None, "source_name": "X", "source_dataset": "news", "raw_line": 9},
        {"event_date": pd.Timestamp("2023-03-03"), "is_civilian_targeting": True, "source_name": "Y"},
    ])
    incidents = metrics.civilian_harm_incidents(events)
    report = Report("t", {}, tmp_path)
    report.state_incidents(incidents, limit=2)
    numbers = json.loads((tmp_path / "numbers.json").read_text(encoding="utf-8"))["numbers"]
    assert [(n["event_id"], n["value"], n["unit"], n["raw_line"]) for n in numbers] == [
        ("acled:T0", 2, "people", 7), ("acled:T0", None, "people", 7),
        ("acled:T1", None, "people", 9), ("acled:T1", None, "people", 9)]
    assert len({n["name"] for n in numbers}) == 4 and all("acled:T0" in n["name"] for n in numbers[:2])
    first, second = numbers[0]["sentence"], numbers[2]["sentence"]
    assert numbers[1]["sentence"] == first
    for part in ("1 March 2023", "Kramatorsk (Donetsk)", "2 civilians were killed",
                 "an unknown number of civilians were injured", "missile", "RFE/RL"):
        assert part in first, part
    assert "Mine 6/7" in second and "(Donetsk)" not in second and "an unknown number of civilians were killed" in second
    assert all(n["raw_file"] == "test.csv" and n["is_reported_claim"] is False for n in numbers)
    assert [n["source"] for n in numbers] == ["Source: ACLED. Events to 1 Mar 2023."] * 2 + \
        ["Source: news reports (hand-coded). Events to 2 Mar 2023."] * 2
    assert "killed" in numbers[0]["definition"] and "injured" in numbers[1]["definition"]
    assert len(shown) == 3 and "1 more incident" in shown[-1]  # one sentence per incident, then the rest


def test_state_claims_records_a_claim_not_a_count_of_events(tmp_path, monkeypatch):
    import pandas as pd

    from analysis import metrics
    from analysis.build import dailycounts
    from analysis.reports.reporting import Report
    from analysis.tables.schemas import DAILY_COUNTS, empty_frame

    monkeypatch.setattr(Report, "_show_markdown", staticmethod(lambda markdown, plain: None))
    empty = empty_frame(DAILY_COUNTS)
    row = {"count_date": pd.Timestamp("2023-03-14"), "metric": "attacks_repelled", "value": 1102,
           "is_reported_claim": True, "claimant": "General Staff", "period_days": 1,
           "source_dataset": "reported_claim", "source_name": "RFE/RL", "is_synthetic": False,
           "raw_file": "claims.csv", "raw_line": 2}
    frame = pd.DataFrame([row]).reindex(columns=empty.columns).astype({c: str(t) for c, t in empty.dtypes.items()})
    claims = metrics.reported_claims(dailycounts._validated(frame))
    report = Report("t", {}, tmp_path)
    report.state_claims(claims)
    (number,) = json.loads((tmp_path / "numbers.json").read_text(encoding="utf-8"))["numbers"]
    assert (number["value"], number["unit"], number["is_reported_claim"]) == (1102, "attacks repelled", True)
    assert (number["raw_file"], number["raw_line"]) == ("claims.csv", 2)
    assert "The General Staff reported 1,102 attacks repelled on 14 March 2023" in number["sentence"]
    assert "a reported claim, not a count of events" in number["sentence"] and "RFE/RL" in number["sentence"]
    assert "General Staff" in number["definition"] and "not verified" in number["definition"]
    assert number["source"] == "Source: official statements (hand-coded). Claims to 14 Mar 2023."
    assert number["name"] == "claim:attacks_repelled:2023-03-14:claims.csv:2"


@pytest.mark.parametrize(("claimant", "opening"), [
    ("General Staff", "The General Staff reported"), ("The General Staff", "The General Staff reported"),
    ("the Air Force", "the Air Force reported"), ("Theodore Smith", "The Theodore Smith reported"),
])
def test_a_claim_sentence_names_the_claimant_with_one_article(tmp_path, monkeypatch, claimant, opening):
    import pandas as pd

    from analysis import metrics
    from analysis.build import dailycounts
    from analysis.reports.reporting import Report
    from analysis.tables.schemas import DAILY_COUNTS, empty_frame

    monkeypatch.setattr(Report, "_show_markdown", staticmethod(lambda markdown, plain: None))
    empty = empty_frame(DAILY_COUNTS)
    row = {"count_date": pd.Timestamp("2023-03-14"), "metric": "attacks_repelled", "value": 102,
           "is_reported_claim": True, "claimant": claimant, "period_days": 1,
           "source_dataset": "reported_claim", "source_name": "RFE/RL", "is_synthetic": False,
           "raw_file": "claims.csv", "raw_line": 2}
    frame = pd.DataFrame([row]).reindex(columns=empty.columns).astype({c: str(t) for c, t in empty.dtypes.items()})
    report = Report("t", {}, tmp_path)
    report.state_claims(metrics.reported_claims(dailycounts._validated(frame)))
    (number,) = json.loads((tmp_path / "numbers.json").read_text(encoding="utf-8"))["numbers"]
    assert number["sentence"] == (f"{opening} 102 attacks repelled on 14 March 2023 (a reported claim, not a count "
                                  "of events; source: RFE/RL).")


def test_run_record_holds_what_the_run_ran_on(tmp_path):
    from analysis.fingerprint import dist_version as _version
    from analysis.reports import RunResult, _run_record

    notebook = tmp_path / "07-test.ipynb"
    notebook.write_bytes(b'{"cells": []}')
    out = tmp_path / "out"
    (out / "figures").mkdir(parents=True)
    for name in ("numbers.json", "report.html", "figures/a.png", ".hidden", "figures/.tmp"):
        (out / name).write_text("x")
    result = RunResult("07-test", {"start": "2023-01-01", "days": 7}, out, "failed", "cell 3 failed", 12.5)
    manifest = {"inputs": [{"path": "a.csv", "sha256": "ab" * 32, "rows": 3}, {"path": "b.csv", "sha256": "cd" * 32}],
                "schema_version": "9", "code_fingerprint": "ef" * 32, "is_synthetic": False, "totals": {},
                "snapshots": {"acled": ["20260101T000000Z", "20260102T000000Z"]},
                "outputs": {"events.parquet": {"sha256": "12" * 32, "size_bytes": 9, "rows": 1},
                            "daily_counts.parquet": {"sha256": "34" * 32, "size_bytes": 9, "rows": 0},
                            "rejects.csv": {"sha256": "56" * 32, "size_bytes": 9, "rows": 0}}}
    started = datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=timezone.utc)
    record = _run_record(notebook, result, manifest, started)
    assert record == {
        "notebook": "07-test",
        "notebook_sha256": hashlib.sha256(b'{"cells": []}').hexdigest(),
        "parameters": {"start": "2023-01-01", "days": 7},
        "status": "failed", "error": "cell 3 failed",
        "started_at": "2026-01-02T03:04:05+00:00", "duration_s": 12.5, "kernel": "conflict-analysis",
        "inputs": [{"path": "a.csv", "sha256": "ab" * 32}, {"path": "b.csv", "sha256": "cd" * 32}],
        "snapshots": {"acled": ["20260101T000000Z", "20260102T000000Z"]},
        "tables": {"events.parquet": "12" * 32, "daily_counts.parquet": "34" * 32},
        "build": {"schema_version": "9", "code_fingerprint": "ef" * 32, "is_synthetic": False},
        "versions": {"python": sys.version.split()[0],
                     **{n: _version(n) for n in ("conflict-analysis", "pandas", "pandera", "matplotlib",
                                                 "papermill", "nbconvert", "ipykernel")}},
        "outputs": ["figures/a.png", "numbers.json", "report.html", "run.json"],
    }
    (out / "run.json").write_text("{}")  # a rerun into the same folder lists it once, as the first run did
    assert _run_record(notebook, result, manifest, started)["outputs"] == record["outputs"]
    assert record["versions"]["pandas"] == metadata.version("pandas")
    empty = _run_record(notebook, result, {}, started)
    assert empty["inputs"] == [] and empty["build"] == dict.fromkeys(("schema_version", "code_fingerprint",
                                                                      "is_synthetic"))
    assert empty["snapshots"] == {} and empty["tables"] == {"events.parquet": None, "daily_counts.parquet": None}


def test_numbers_json_is_indented_by_two_and_keeps_non_ascii_text_readable(tmp_path):
    from analysis.reports.reporting import Report

    Report("brief", {"oblast": "Донецька", "days": 7}, tmp_path)
    assert (tmp_path / "numbers.json").read_text(encoding="utf-8") == (
        '{\n  "notebook": "brief",\n  "parameters": {\n    "oblast": "Донецька",\n    "days": 7\n  },\n'
        '  "numbers": []\n}\n')


def test_run_interactively_the_report_goes_to_its_notebooks_interactive_folder(tmp_path, monkeypatch):
    from analysis import config
    from analysis.reports import parameters, reporting

    monkeypatch.setenv(config.PROJECT_ENV, str(config.find_project()))
    monkeypatch.chdir(tmp_path)  # a run_parameters.json here is not the runner's: report_dir "" means interactive
    (tmp_path / parameters.RUN_PARAMETERS_FILE).write_text('{"notebook": "other", "parameters": {"days": 1}}',
                                                           encoding="utf-8")
    monkeypatch.setattr(config, "REPORTS_DIR", tmp_path / "reports")
    monkeypatch.setattr(reporting, "_interactive_run", lambda: ("brief", {"days": 7}))
    for report in (reporting.Report.for_run(), reporting.Report.for_run("")):
        assert (report.notebook, report.parameters) == ("brief", {"days": 7})
        assert report.dir == tmp_path / "reports" / "brief" / "interactive"
        assert json.loads((report.dir / "numbers.json").read_text(encoding="utf-8"))["notebook"] == "brief"


def test_a_figure_is_saved_with_the_data_given_and_its_paths_kept(tmp_path, monkeypatch):
    import pandas as pd

    from analysis import plots
    from analysis.reports.reporting import Report

    saved, shown = [], []

    def save_figure(fig, stem, data=None, alt_text=None):
        saved.append((fig, stem, data, alt_text))
        return {"png": stem.with_suffix(".png"), "alt": stem.with_suffix(".alt.txt")}

    monkeypatch.setattr(plots, "save_figure", save_figure)
    monkeypatch.setattr(Report, "_show_png", staticmethod(lambda png, alt: shown.append((png, alt))))
    report = Report("t", {}, tmp_path)
    table = pd.DataFrame({"day": ["2023-03-14"], "attacks": [3]})
    report.figure("FIG", "attacks-per-day", table, alt_text="Attacks per day.")
    stem = tmp_path / "figures" / "attacks-per-day"
    assert saved == [("FIG", stem, table, "Attacks per day.")]
    assert report.figures == {"attacks-per-day": {"png": stem.with_suffix(".png"), "alt": stem.with_suffix(".alt.txt")}}
    assert shown == [(stem.with_suffix(".png"), stem.with_suffix(".alt.txt"))]


def test_a_report_records_the_rows_behind_each_number(tmp_path):
    from conftest import events_frame

    from analysis import metrics
    from analysis.reports.reporting import EVIDENCE_FILE, Report

    events = events_frame([{"event_date": pd.Timestamp("2023-03-13")},
                           {"event_date": pd.Timestamp("2023-03-14"), "civilians_killed": 2},
                           {"event_date": pd.Timestamp("2023-03-14"), "is_attack": False}])
    report = Report("t", {}, tmp_path)
    daily = metrics.attacks_per_day(events)
    report.state("attacks", daily["attacks"].sum(), "2.", "Attack events.", data=daily, show=False)
    report.state("attacks_on_14", 1, "1.", "Attack events.", data=metrics.attacks_per_day(events, "2023-03-14"),
                 show=False)
    report.state("incidents", 1, "1.", "Incidents.", data=metrics.civilian_harm_incidents(events), show=False)
    report.state("plain", 7, "7.", "Not from rows.", show=False)
    numbers = json.loads((tmp_path / "numbers.json").read_text())["numbers"]
    assert [n["evidence"] for n in numbers] == [{"file": EVIDENCE_FILE, "rows": 2}, {"file": EVIDENCE_FILE, "rows": 1},
                                                {"file": EVIDENCE_FILE, "rows": 1}, None]
    evidence = pd.read_parquet(tmp_path / EVIDENCE_FILE)
    assert list(evidence.columns) == ["number", "row_id", "raw_file", "raw_line", "fields"]
    assert evidence[["number", "row_id", "raw_line"]].values.tolist() == [
        ["attacks", "acled:T0", 2], ["attacks", "acled:T1", 3], ["attacks_on_14", "acled:T1", 3],
        ["incidents", "acled:T1", 3]]
    assert json.loads(evidence["fields"][1])["civilians_killed"] == 2
    before = (tmp_path / EVIDENCE_FILE).read_bytes()
    again = Report("t", {}, tmp_path / "again")
    for name, data in (("attacks", daily), ("attacks_on_14", metrics.attacks_per_day(events, "2023-03-14")),
                       ("incidents", metrics.civilian_harm_incidents(events))):
        again.state(name, 1, "1.", "Something counted.", data=data, show=False)
    assert (tmp_path / "again" / EVIDENCE_FILE).read_bytes() == before  # deterministic bytes
    shutil.rmtree(tmp_path / "again")


def test_rows_of_daily_counts_are_named_by_dataset_file_line_and_metric():
    """Daily counts have no id: the evidence names each row ``<source_dataset>:<raw_file>:<raw_line>:<metric>``
    (as documented), sorted by that name; the other columns are the row's fields."""
    from analysis.reports.reporting import evidence_frame

    rows = pd.DataFrame({"count_date": [pd.Timestamp("2023-03-02"), pd.Timestamp("2023-03-01")],
                         "source_dataset": ["air_force", "air_force"], "metric": ["launched", "destroyed"],
                         "value": [10, 8], "raw_file": ["air.csv", "air.csv"], "raw_line": [7, 5]},
                        index=[40, 41])
    frame = evidence_frame(rows)
    assert frame[["row_id", "raw_file", "raw_line"]].values.tolist() == [
        ["air_force:air.csv:5:destroyed", "air.csv", 5], ["air_force:air.csv:7:launched", "air.csv", 7]]
    assert [json.loads(f) for f in frame["fields"]] == [
        {"count_date": "2023-03-01T00:00:00", "source_dataset": "air_force", "metric": "destroyed", "value": 8},
        {"count_date": "2023-03-02T00:00:00", "source_dataset": "air_force", "metric": "launched", "value": 10}]
    events = pd.DataFrame({"event_id": ["acled:2", "acled:1"], "fatalities": [3, None], "raw_file": ["a.csv"] * 2,
                           "raw_line": [4, 3]})
    named = evidence_frame(events)
    assert named[["row_id", "raw_line"]].values.tolist() == [["acled:1", 3], ["acled:2", 4]]
    assert [json.loads(f) for f in named["fields"]] == [{"fatalities": None}, {"fatalities": 3.0}]
    empty = evidence_frame(events.iloc[:0])
    assert list(empty.columns) == ["row_id", "raw_file", "raw_line", "fields"] and len(empty) == 0


def test_the_evidence_file_has_its_columns_and_types_from_the_start_and_no_index(tmp_path):
    """A report writes evidence.parquet when it opens (a report that states no traced number still has one, with
    the columns and types drift reads), and later only the evidence columns, whatever the frames' indexes."""
    import pyarrow.parquet as pq

    from analysis import metrics
    from analysis.reports.reporting import EVIDENCE_FILE, Report
    from conftest import events_frame

    report = Report("t", {}, tmp_path)
    expected = [("number", "large_string"), ("row_id", "large_string"), ("raw_file", "large_string"),
                ("raw_line", "int64"), ("fields", "large_string")]
    schema = pq.read_schema(tmp_path / EVIDENCE_FILE)
    assert [(f.name, str(f.type)) for f in schema] == expected and pq.read_table(tmp_path / EVIDENCE_FILE).num_rows == 0
    events = events_frame([{"event_date": pd.Timestamp("2023-03-13")}, {"event_date": pd.Timestamp("2023-03-14")}])
    report.state("first", 1, "1.", "Attack events.", data=metrics.attacks_per_day(events, "2023-03-14"), show=False)
    report.state("both", 2, "2.", "Attack events.", data=metrics.attacks_per_day(events), show=False)
    table = pq.read_table(tmp_path / EVIDENCE_FILE)
    assert [(f.name, str(f.type)) for f in table.schema] == expected
    assert table.column("number").to_pylist() == ["first", "both", "both"]


def test_a_report_opened_in_a_notebook_without_a_folder_writes_under_the_interactive_folder(tmp_path, monkeypatch):
    """In JupyterLab a notebook opens ``Report(name, parameters)`` with no folder: its numbers go to
    ``<reports>/<notebook>/interactive/``, never to the folder the kernel was started in."""
    from analysis.reports.reporting import Report

    monkeypatch.setattr(config, "REPORTS_DIR", tmp_path / "reports")
    monkeypatch.chdir(tmp_path)
    report = Report("01-daily-briefing", {"date": "2023-03-14"})
    report.state("n", 1, "One.", "Something.", show=False)
    assert report.dir == tmp_path / "reports" / "01-daily-briefing" / "interactive"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]
    assert json.loads((report.dir / config.NUMBERS_FILE).read_text(encoding="utf-8"))["numbers"][0]["name"] == "n"
