"""Report parameters meet real data: coverage, canonical values, YAML files, folder names, quiet windows.

Unit tests call :mod:`analysis.reports.parameters` with a hand-made manifest and
places table; CLI tests check exit codes with no kernel started; the last tests
run the real report notebooks on a small build with duplicate claims, Cyrillic
and unmatched place names and quiet periods.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from analysis import cli as cli_module
from analysis import config, reports
from analysis.reports import parameters
from analysis.errors import ParameterError

NOTEBOOKS = {n: config.NOTEBOOKS_DIR / f"{n}.ipynb" for n in
             ("01-daily-briefing", "02-city-profile", "03-period-summary", "04-air-attack-summary",
              "05-data-quality")}
MANIFEST = {  # as the build records it: events 2022-04-08..2023-06-30, air-force reports 2023-01-01..2023-06-30
    "inputs": [{"path": "a.csv", "format": "acled", "table": "events"},
               {"path": "n.csv", "format": "news", "table": "events"},
               {"path": "f.csv", "format": "air_force", "table": "air_attacks"},
               {"path": "c.csv", "format": "reported_claim", "table": "claims"}],
    "coverage": [{"source_dataset": "acled", "first_date": "2023-01-03", "last_date": "2023-06-30"},
                 {"source_dataset": "news", "first_date": "2022-04-08", "last_date": "2023-03-14"},
                 {"source_dataset": "air_force", "first_date": "2023-01-01", "last_date": "2023-06-29"},
                 {"source_dataset": "reported_claim", "first_date": "2021-01-01", "last_date": "2024-01-01"}],
}
PLACES = pd.DataFrame({"settlement": ["Kramatorsk", "Kramatorsk", None],
                       "location": ["Kramatorsk", "Краматорськ", "Zzyzx Khutir"],
                       "admin1": ["Donetsk", "Donetsk", "Kharkiv"]})


def check(notebook: str, given: dict, manifest=MANIFEST) -> dict:
    return parameters.check_parameters(NOTEBOOKS[notebook], given, PLACES, manifest=manifest)


def refused(notebook: str, given: dict, manifest=MANIFEST) -> str:
    with pytest.raises(ParameterError) as info:
        check(notebook, given, manifest)
    message = str(info.value)
    assert f"parameters of {notebook}:" in message  # every refusal lists the notebook's parameters
    return message


# ---------------------------------------------------------------- dates and coverage
@pytest.mark.parametrize("notebook, given, fragment", [
    ("01-daily-briefing", {"date": "2021-01-01"}, "date: 2021-01-01 is outside the events' coverage (2022-04-08..2023-06-30)"),
    ("01-daily-briefing", {"date": "2023-07-01"}, "date: 2023-07-01 is outside the events' coverage"),
    ("01-daily-briefing", {"date": "2022-04-10"}, "window_days: the 7-day window 2022-04-04..2022-04-10 begins before"),
    ("01-daily-briefing", {"date": "2022-04-10", "window_days": "4"}, "the 4-day window 2022-04-07..2022-04-10"),
    ("02-city-profile", {"start": "2022-04-07"}, "start: 2022-04-07 is outside the events' coverage"),
    ("02-city-profile", {"end": "2023-07-01"}, "end: 2023-07-01 is outside the events' coverage"),
    ("02-city-profile", {"start": "1999-01-01", "end": "2099-01-01"}, "end: 2099-01-01 is outside"),
    ("03-period-summary", {"start": "2023-06-30", "end": "2023-06-01"}, "end 2023-06-01 is before start 2023-06-30"),
    ("03-period-summary", {"start": "2023-05-01", "end": "2023-07-31"}, "end: 2023-07-31 is outside"),
    # the air-attack summary's dates refer to the Air Force reports, which end a day before the events
    ("04-air-attack-summary", {"end": "2023-06-30"}, "end: 2023-06-30 is outside the Air Force reports' coverage "
                                                      "(2023-01-01..2023-06-29)"),
    ("04-air-attack-summary", {"start": "2022-12-31", "end": "2023-01-31"}, "start: 2022-12-31 is outside the Air"),
])
def test_days_outside_the_coverage_are_refused(notebook, given, fragment):
    assert fragment in refused(notebook, given)


@pytest.mark.parametrize("notebook, given", [
    ("01-daily-briefing", {"date": "2022-04-14"}),  # the window's first day is the coverage's first day
    ("01-daily-briefing", {"date": "2022-04-08", "window_days": "1"}),
    ("01-daily-briefing", {"date": "2023-06-30", "window_days": "30"}),
    ("02-city-profile", {"start": "2022-04-08", "end": "2023-06-30"}),
    ("03-period-summary", {"start": "2022-05-01", "end": "2022-05-01"}),
    ("04-air-attack-summary", {"start": "2023-01-01", "end": "2023-06-29"}),
])
def test_days_inside_the_coverage_are_accepted(notebook, given):
    assert check(notebook, given)


def test_a_table_without_rows_has_no_coverage():
    manifest = {**MANIFEST, "coverage": [c for c in MANIFEST["coverage"] if c["source_dataset"] != "air_force"]}
    message = refused("04-air-attack-summary", {}, manifest)
    assert "there are no Air Force reports in the data" in message
    assert check("02-city-profile", {"start": "2023-01-01"}, manifest)  # the events are still there


def test_the_coverage_of_a_manifest_without_tables_comes_from_the_readers():
    manifest = {"coverage": MANIFEST["coverage"]}  # inputs not recorded
    assert parameters.coverage("air_attacks", manifest) == (dt.date(2023, 1, 1), dt.date(2023, 6, 29),
                                                            "Air Force reports")
    assert parameters.coverage("events", manifest) == (dt.date(2022, 4, 8), dt.date(2023, 6, 30), "events")


@pytest.mark.parametrize("spelling", ["2023-3-1", "2023-03-01", " 2023-03-01 ", dt.date(2023, 3, 1),
                                      dt.datetime(2023, 3, 1)])
def test_days_are_canonical(spelling):
    values = check("02-city-profile", {"start": spelling})
    assert values["start"] == "2023-03-01"


@pytest.mark.parametrize("bad", ["March", "2023-02-30", "14/03/2023", "2023-03-01T10:00", dt.datetime(2023, 3, 1, 10),
                                 "", "20230301"])
def test_what_is_not_a_day_is_refused(bad):
    assert "is not a date; write it as YYYY-MM-DD" in refused("02-city-profile", {"start": bad})


# ---------------------------------------------------------------- types, places, canonical values
@pytest.mark.parametrize("notebook, given, fragment", [
    ("01-daily-briefing", {"colour": "red"}, "unknown parameter 'colour'"),
    ("01-daily-briefing", {"report_dir": "/tmp"}, "unknown parameter 'report_dir'"),
    ("01-daily-briefing", {"window_days": "seven"}, "window_days: 'seven' is not an int"),
    ("01-daily-briefing", {"window_days": "0"}, "window_days: must be a whole number of days >= 1"),
    ("01-daily-briefing", {"window_days": True}, "window_days: True is not an int"),
    ("01-daily-briefing", {"window_days": 7.5}, "window_days: 7.5 is not an int"),
    ("01-daily-briefing", {"window_days": dt.date(2023, 1, 1)}, "is a date, not an int"),
    ("01-daily-briefing", {"date": ["2023-03-10"]}, "date: ['2023-03-10'] is a list; give a single str"),
    ("01-daily-briefing", {"date": {"day": 1}}, "date: {'day': 1} is a mapping; give a single str"),
    ("01-daily-briefing", {"oblast": None}, "oblast: no value given"),
    ("01-daily-briefing", {"oblast": "Narnia"}, "oblast: 'Narnia' is not an oblast in the data; known: Donetsk, Kharkiv"),
    ("01-daily-briefing", {"oblast": 7}, "oblast: 7 is not a str"),
    ("02-city-profile", {"city": "Atlantis"}, "city: 'Atlantis' is not a place in the data"),
    ("02-city-profile", {"city": "kramatorsk"}, "(did you mean Kramatorsk?)"),
    ("02-city-profile", {"city": "Бахмут"}, "city: 'Бахмут' is not a place in the data"),
    ("03-period-summary", {"breakdown": "colour"}, "breakdown: 'colour' is not one of event_type"),
    ("03-period-summary", {"breakdown": "event_id"}, "is not one of"),
])
def test_bad_values_are_refused_with_the_parameters_listed(notebook, given, fragment):
    message = refused(notebook, given)
    assert fragment in message
    declared = [p for p in parameters.notebook_parameters(NOTEBOOKS[notebook]) if p.name != "report_dir"]
    assert all(p.describe() in message for p in declared)


@pytest.mark.parametrize("spelling", ["", "all", "All", "ALL", "''", '""', " all "])
def test_the_empty_oblast_has_one_spelling_and_one_folder(spelling):
    values = check("01-daily-briefing", {"oblast": spelling})
    assert values["oblast"] == ""
    assert reports.report_slug(values) == "date=2023-03-14_window_days=7_oblast=all"


def test_places_known_only_as_written_are_accepted():
    assert check("02-city-profile", {"city": "Zzyzx Khutir"})["city"] == "Zzyzx Khutir"  # unmatched location
    assert check("02-city-profile", {"city": "Краматорськ"})["city"] == "Краматорськ"  # location as written
    assert check("01-daily-briefing", {"oblast": "Kharkiv"})["oblast"] == "Kharkiv"


@pytest.mark.parametrize("raw, kind, expected", [
    ("7", "int", 7), (7, "int", 7), (" 7 ", "int", 7), (7, "float", 7.0), ("2.5", "float", 2.5),
    ("yes", "bool", True), ("False", "bool", False), (True, "bool", True),
    (dt.date(2023, 3, 10), "str", "2023-03-10"), (dt.datetime(2023, 3, 10), "str", "2023-03-10"),
    (dt.datetime(2023, 3, 10, 8, 30), "str", "2023-03-10T08:30:00"),
])
def test_values_of_the_types_a_parameter_allows(raw, kind, expected):
    value = parameters._convert(raw, parameters.NotebookParameter("p", kind, None, ""))
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("raw, kind", [("nan", "float"), (float("inf"), "float"), (1, "bool"), ("maybe", "bool"),
                                       (2.0, "int"), ("1.5", "int"), ([1], "int"), ({"a"}, "str"), (None, "bool")])
def test_values_of_other_types_are_refused(raw, kind):
    with pytest.raises(ValueError):
        parameters._convert(raw, parameters.NotebookParameter("p", kind, None, ""))


# ---------------------------------------------------------------- parameters files
@pytest.mark.parametrize("text, expected", [
    ("date: 2023-03-10\n", {"date": "2023-03-10"}),
    ("date: 2023-03-10 00:00:00\n", {"date": "2023-03-10"}),
    ("date: '2023-03-10'\nwindow_days: 3\n", {"date": "2023-03-10", "window_days": 3}),
    ("date: 2023-03-10T08:30:00\n", {"date": "2023-03-10T08:30:00"}),
    ("window_days: 3\noblast: ''\n", {"window_days": 3, "oblast": ""}),
    ("flag: true\nshare: 0.5\n", {"flag": True, "share": 0.5}),
    ("date: [2023-03-10, 2023-03-11]\n", {"date": ["2023-03-10", "2023-03-11"]}),
    ("", {}),
])
def test_parameters_files_give_json_ready_values(tmp_path, text, expected):
    path = tmp_path / "params.yaml"
    path.write_text(text, encoding="utf-8")
    given = cli_module._given_parameters([], path)
    assert given == expected
    assert json.loads(json.dumps(given)) == given  # what the background runner receives


def test_command_line_pairs_override_the_file(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("date: 2023-03-10\nwindow_days: 3\n", encoding="utf-8")
    assert cli_module._given_parameters(["-p", "date", "2023-03-12"], path) == {"date": "2023-03-12", "window_days": 3}


@pytest.mark.parametrize("text, fragment", [
    ("2023-03-10: x\n", "parameter names are text, not datetime.date(2023, 3, 10)"),
    ("- date\n", "must hold a mapping of parameter names to values"),
    ("date: [unclosed\n", "cannot read parameters file"),
])
def test_unusable_parameters_files_are_refused(tmp_path, text, fragment):
    path = tmp_path / "params.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParameterError, match=fragment.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        cli_module._given_parameters([], path)


# ---------------------------------------------------------------- folder names
SAFE_COMPONENT_MAX_BYTES = 255


def assert_safe_component(slug: str) -> None:
    assert slug and slug not in (".", "..") and not slug.startswith((".", "-", "~"))
    assert "/" not in slug and "\\" not in slug and "\x00" not in slug and ".." not in slug
    assert not slug.endswith((".", " "))
    assert all(unicodedata.category(ch)[0] in "LN" or ch in "._=-+~" for ch in slug), slug
    assert unicodedata.normalize("NFC", slug) == slug
    assert len(slug.encode("utf-8")) <= 140 < SAFE_COMPONENT_MAX_BYTES


NAMES = st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True)
TEXT = st.text(max_size=40) | st.sampled_from(["", "all", "Краматорськ", "Бахмут", "a_b", "a-b", "a.b", "a..b",
                                              "../..", "й", "й", "x" * 130, "A", "a"])
VALUES = {"str": TEXT, "int": st.integers(), "float": st.floats(allow_nan=False), "bool": st.booleans()}


@st.composite
def two_parameter_sets(draw):
    """Two value dicts for one notebook: the same names, in the same order, with the same types."""
    schema = draw(st.dictionaries(NAMES, st.sampled_from(sorted(VALUES)), max_size=4))
    first = {name: draw(VALUES[kind]) for name, kind in schema.items()}
    second = {name: draw(VALUES[kind]) for name, kind in schema.items()}
    return first, second


@settings(max_examples=400, deadline=None)
@given(two_parameter_sets())
@example(({"city": "Краматорськ"}, {"city": "Бахмут"}))
@example(({"oblast": ""}, {"oblast": "all"}))
@example(({"a": "x_b"}, {"a": "x-b"}))
@example(({"a": "x_b_c=", "b": "y"}, {"a": "x", "b": "c=_b=y"}))
@example(({"a": "x", "b_c": "y"}, {"a": "x_b", "b_c": "y"}))
@example(({"city": "\u0439"}, {"city": "\u0438\u0306"}))  # NFC and NFD spellings of й
@example(({"city": "a.b"}, {"city": "a..b"}))
@example(({"city": "a"}, {"city": "a."}))
@example(({"city": "x" * 130 + "1"}, {"city": "x" * 130 + "2"}))
@example(({"x": 1}, {"x": 2}))
@example(({"f": True}, {"f": False}))
def test_distinct_parameters_get_distinct_safe_folders(pair):
    first, second = pair
    for values in pair:
        assert_safe_component(reports.report_slug(values))
        assert reports.report_slug(values) == reports.report_slug(dict(values))  # deterministic
    if first != second:
        assert reports.report_slug(first) != reports.report_slug(second)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=12), TEXT | st.integers() | st.booleans() | st.none(), max_size=4))
def test_any_parameters_give_one_folder_inside_the_reports_folder(tmp_path_factory, values):
    slug = reports.report_slug(values)
    assert_safe_component(slug)
    root = tmp_path_factory.getbasetemp() / "reports"
    assert reports.report_dir(Path("02-city-profile.ipynb"), values, root) == (root / "02-city-profile" / slug).resolve()


@pytest.mark.parametrize("values, slug", [
    ({"date": "2023-03-14", "window_days": 7, "oblast": ""}, "date=2023-03-14_window_days=7_oblast=all"),
    ({"city": "Краматорськ", "start": "2023-01-01"}, "city=Краматорськ_start=2023-01-01"),
    ({"x": 3, "label": "a"}, "x=3_label=a"),
    ({"start": "2023-03-01", "end": "2023-05-31", "breakdown": "event_type"},
     "start=2023-03-01_end=2023-05-31_breakdown=event_type"),
    ({}, "default"),
])
def test_readable_folder_names_stay_readable(values, slug):
    assert reports.report_slug(values) == slug


@pytest.mark.parametrize("value", ["all", "../../etc", "Kyiv/Kiev", "a..b", "x" * 200, "\u0438\u0306", " "])
def test_lossy_folder_names_carry_a_hash_of_the_parameters(value):
    slug = reports.report_slug({"city": value})
    readable, sep, digest = slug.rpartition("~")
    assert sep and len(digest) == 16 and all(c in "0123456789abcdef" for c in digest)
    assert readable.startswith("city=")


# ---------------------------------------------------------------- through the command line, no kernel
@pytest.fixture
def no_kernel(monkeypatch):
    from analysis.reports import execution

    monkeypatch.setattr(execution, "execute", lambda *a, **k: pytest.fail("a kernel was started"))


@pytest.mark.slow
def test_bad_parameters_exit_2_before_any_kernel(seed_dirs, cli, no_kernel, tmp_path):
    # seed data: events 2022-04-08..2023-03-14, one claim, no Air Force reports
    cases = [
        (["01", "-p", "date", "2021-01-01"], "date: 2021-01-01 is outside the events' coverage (2022-04-08..2023-03-14)"),
        (["01", "-p", "date", "2022-04-09"], "the 7-day window 2022-04-03..2022-04-09 begins before"),
        (["02", "-p", "start", "2022-01-01", "-p", "end", "2022-12-31"], "start: 2022-01-01 is outside"),
        (["03", "-p", "start", "2023-03-01", "-p", "end", "2023-02-01"], "end 2023-02-01 is before start"),
        (["04"], "there are no Air Force reports in the data"),
        (["01", "-p", "nope", "1"], "unknown parameter 'nope'"),
        (["01", "-p", "window_days", "many"], "'many' is not an int"),
        (["02", "-p", "city", "Atlantis", "-p", "start", "2023-01-01", "-p", "end", "2023-03-14"], "is not a place"),
        (["01", "-p", "oblast", "Lviv"], "oblast: 'Lviv' is not an oblast in the data; known: Donetsk"),
        (["03", "-p", "breakdown", "colour", "-p", "start", "2023-01-01", "-p", "end", "2023-03-14"], "not one of"),
    ]
    for args, fragment in cases:
        code, out, err = cli("report", *args, "--no-runner")
        assert code == 2, (args, out, err)
        assert fragment in err and "parameters of" in err and "Traceback" not in err, (args, err)
    nested = tmp_path / "nested.yaml"
    nested.write_text("date: {day: 2023-03-10}\n", encoding="utf-8")
    code, out, err = cli("report", "01", "-f", nested, "--no-runner")
    assert code == 2 and "date: {'day': '2023-03-10'} is a mapping; give a single str" in err
    assert not (seed_dirs[2] / "01-daily-briefing").exists()  # nothing was written


@pytest.mark.slow
def test_the_command_refuses_a_day_outside_the_coverage_in_a_fresh_process(seed_dirs, tmp_path):
    raw, processed, reports_dir = seed_dirs
    env = {**os.environ, "ANALYSIS_RUNNER": "off", "ANALYSIS_RAW_DIR": str(raw), "ANALYSIS_PROCESSED_DIR": str(processed),
           "ANALYSIS_REPORTS_DIR": str(reports_dir), "ANALYSIS_CACHE_DIR": str(tmp_path / "cache"),
           "ANALYSIS_PROJECT_DIR": str(config.PROJECT_DIR)}  # the notebooks: this repository's
    run = subprocess.run([sys.executable, "-m", "analysis", "report", "01", "-p", "date", "2021-01-01", "--no-runner"],
                         capture_output=True, text=True, cwd=tmp_path, env=env, timeout=900)
    assert run.returncode == 2, run.stderr
    assert "date: 2021-01-01 is outside the events' coverage (2022-04-08..2023-03-14)" in run.stderr
    assert "Traceback" not in run.stderr and not (reports_dir / "01-daily-briefing").exists()


# ---------------------------------------------------------------- the real notebooks on data they will meet
DUPLICATE_CLAIM = "claims_rferl_2023-03-14.csv"
NEWS_HEADER = ("event_id,date,end_date,place,oblast,event_type,sub_event_type,weapon,killed,injured,civilians_killed,"
               "civilians_injured,buildings_damaged,description,source_name,source_url,publication_date")
NEWS_ROWS = [
    "t-kram-cyr,2023-03-10,,Краматорськ,Donetsk,Explosions/Remote violence,Shelling/artillery/missile attack,"
    "missile,,,,,,Test row,Test source,,2023-03-10",
    "t-bakh-cyr,2023-03-11,,Бахмут,Donetsk,Battles,Armed clash,,,,,,,Test row,Test source,,2023-03-11",
    "t-unmatched,2023-03-12,,Zzyzx Khutir,Donetsk,Explosions/Remote violence,Shelling/artillery/missile attack,"
    "shelling,,,1,,,Test row,Test source,,2023-03-12",
    "t-kharkiv,2022-06-01,,Kharkiv,Kharkiv,Battles,Armed clash,,,,,,,Test row,Test source,,2022-06-01",
]
AIR_FORCE = ("time_start,time_end,model,launch_place,target,launched,destroyed,source\n"
             "2023-02-28 18:00,2023-03-01 08:00,Shahed-136/131,,Ukraine,10,8,kpszsu\n"
             "2023-03-19 18:00,2023-03-20 08:00,Shahed-136/131,,Ukraine,6,6,kpszsu\n")


@pytest.fixture(scope="module")
def met(tmp_path_factory):
    """The seed files, the same claim in a second file, Cyrillic and unmatched places, a quiet Air Force month."""
    root = tmp_path_factory.mktemp("met")
    raw = root / "raw"
    raw.mkdir()
    for path in (config.PROJECT_DIR / "data" / "raw").glob("*_rferl_*.csv"):
        shutil.copy(path, raw)
    copy = (raw / DUPLICATE_CLAIM).read_text(encoding="utf-8").replace("genstaff-20230314", "second-coder-20230314")
    (raw / "claims_copy.csv").write_text(copy, encoding="utf-8")  # the same claim, coded again under another id
    (raw / "news_test.csv").write_text("\n".join([NEWS_HEADER, *NEWS_ROWS]) + "\n", encoding="utf-8")
    (raw / "air_force_test.csv").write_text(AIR_FORCE, encoding="utf-8")
    patch = pytest.MonkeyPatch()
    patch.setattr(config, "RAW_DIR", raw)
    patch.setattr(config, "PROCESSED_DIR", root / "processed")
    patch.setattr(config, "REPORTS_DIR", root / "reports")
    runs = [
        ("01-daily-briefing", {"date": "2023-03-14", "window_days": "1", "oblast": "Kharkiv"}),
        ("02-city-profile", {"city": "Краматорськ", "start": "2023-03-01", "end": "2023-03-14"}),
        ("02-city-profile", {"city": "Kramatorsk", "start": "2022-05-01", "end": "2022-05-31"}),
        ("02-city-profile", {"city": "Zzyzx Khutir", "start": "2023-03-01", "end": "2023-03-14"}),
        ("03-period-summary", {"start": "2022-05-01", "end": "2022-05-31", "breakdown": "admin1"}),
        ("04-air-attack-summary", {"start": "2023-03-05", "end": "2023-03-10"}),
    ]
    results = [reports.run_report(NOTEBOOKS[n], p, write_index=False) for n, p in runs]
    yield root, results
    patch.undo()


def numbers_of(result) -> dict:
    assert result.ok, result.error
    assert not (result.report_dir / parameters.RUN_PARAMETERS_FILE).exists()  # told the notebook, then removed
    return {n["name"]: n for n in json.loads((result.report_dir / "numbers.json").read_text(encoding="utf-8"))["numbers"]}


@pytest.mark.slow
def test_the_same_claim_in_two_files_is_stated_once_per_file(met):
    numbers = numbers_of(met[1][0])
    claims = {name: n for name, n in numbers.items() if n["is_reported_claim"]}
    assert sorted(claims) == ["claim:attacks_repelled:2023-03-14:claims_copy.csv:2",
                              f"claim:attacks_repelled:2023-03-14:{DUPLICATE_CLAIM}:2"]
    assert [n["value"] for n in claims.values()] == [102, 102]
    assert {n["raw_file"] for n in claims.values()} == {"claims_copy.csv", DUPLICATE_CLAIM}


@pytest.mark.slow
def test_an_oblast_with_nothing_in_the_window_gets_a_briefing_that_says_so(met):
    result = met[1][0]
    numbers = numbers_of(result)
    assert numbers["attacks_in_window"]["value"] == 0 and numbers["civilian_harm_incidents"]["value"] == 0
    assert numbers["attacks_in_window"]["sentence"] == "From 14 March 2023, no attack events were recorded in Kharkiv oblast."
    html = (result.report_dir / "report.html").read_text(encoding="utf-8")
    assert "No events were recorded in Kharkiv oblast from 14 March 2023, so there is no map." in html
    assert not (result.report_dir / "figures" / "event-map.png").exists()


@pytest.mark.slow
def test_a_city_written_in_cyrillic_has_its_own_report(met):
    result = met[1][1]
    assert result.report_dir.name == "city=Краматорськ_start=2023-03-01_end=2023-03-14"
    numbers = numbers_of(result)
    assert numbers["attacks"]["value"] == 1  # the event coded as Краматорськ, not the other Kramatorsk events
    assert numbers["attacks"]["parameters"]["city"] == "Краматорськ"
    other = reports.report_dir(NOTEBOOKS["02-city-profile"], {**result.parameters, "city": "Бахмут"})
    assert other != result.report_dir and other.parent == result.report_dir.parent


@pytest.mark.slow
def test_a_quiet_period_says_there_were_no_attacks(met):
    numbers = numbers_of(met[1][2])
    assert numbers["attacks"]["value"] == 0
    assert numbers["attacks"]["sentence"] == "No attacks on Kramatorsk were recorded from 1 to 31 May 2022."
    assert numbers["civilian_harm_incidents"]["value"] == 0
    assert numbers["civilians_killed"]["value"] == 0 and numbers["civilians_injured"]["value"] == 0
    html = (met[1][2].report_dir / "report.html").read_text(encoding="utf-8")
    assert "No attacks on Kramatorsk were recorded from 1 to 31 May 2022." in html


@pytest.mark.slow
def test_a_place_known_only_as_written_gets_a_profile(met):
    root, results = met
    unmatched = pd.read_csv(root / "processed" / "unmatched_places.csv", dtype=str)
    assert "Zzyzx Khutir" in set(unmatched["location"])
    numbers = numbers_of(results[3])
    assert numbers["attacks"]["value"] == 1
    assert numbers["civilian_harm_incidents"]["value"] == 1 and numbers["civilians_killed"]["value"] == 1


@pytest.mark.slow
def test_a_quiet_month_before_the_data_begin_gets_a_period_summary(met):
    result = met[1][4]
    numbers = numbers_of(result)
    assert numbers["attacks"]["value"] == 0
    assert numbers["attacks"]["sentence"].startswith("From 1 to 31 May 2022, no attack events were recorded. "
                                                     "The period before (31 March to 30 April 2022) begins before")
    html = (result.report_dir / "report.html").read_text(encoding="utf-8")
    assert "No events were recorded from 1 to 31 May 2022, so there is nothing to break down." in html
    assert "No incidents harming civilians were recorded from 1 to 31 May 2022." in html


@pytest.mark.slow
def test_days_without_air_force_reports_count_zero_inside_their_coverage(met):
    numbers = numbers_of(met[1][5])
    assert numbers["launched"]["value"] == 0 and numbers["destroyed"]["value"] == 0
    assert numbers["launched"]["sentence"] == ("From 5 to 10 March 2023, the Air Force reported no missiles or drones "
                                               "launched.")


@pytest.mark.parametrize("sources", [
    [("a.csv", 2), ("b.csv", 2)],  # the same claim coded in two files, on the same line
    [("a.csv", 2), ("a.csv", 3)],  # twice in one file under two ids
    [("a.csv", 2), ("b.csv", 2), ("b.csv", 5), ("c.csv", 2)],
])
def test_every_claim_row_gets_its_own_number(tmp_path, sources):
    from analysis.reports.reporting import Report

    claims = pd.DataFrame({
        "count_date": pd.to_datetime(["2023-03-14"] * len(sources)), "metric": "attacks_repelled", "value": 102,
        "claimant": "General Staff", "source_name": "RFE/RL", "source_dataset": "reported_claim",
        "is_synthetic": False, "is_reported_claim": True,
        "raw_file": [f for f, _ in sources], "raw_line": [line for _, line in sources]})
    report = Report("01-daily-briefing", {"date": "2023-03-14"}, tmp_path)
    report.state_claims(claims)
    report.state_claims(claims.iloc[0:0])  # no claims: nothing stated
    names = [n["name"] for n in report.numbers]
    assert names == [f"claim:attacks_repelled:2023-03-14:{f}:{line}" for f, line in sources]
    assert [(n["raw_file"], n["raw_line"]) for n in report.numbers] == sources
    with pytest.raises(ValueError, match="already stated"):  # names stay unique within a report
        report.state_claims(claims.iloc[:1])
