"""Every CSV the package writes is safe to open in a spreadsheet (OWASP "CSV injection").

Rule (``analysis.storage.neutralise_formulas``): a text cell starting with
``= + - @``, tab, carriage return (or their full-width forms) gets a leading
``'``, unless the whole cell is a plain number such as ``-3``; numeric columns
are never touched.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import config, storage
from conftest import ACLED_ROW

DANGEROUS = storage.FORMULA_START
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
PAYLOADS = ['=HYPERLINK("http://example.com/x","click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\t=1", "\r=1"]


def _is_safe(cell: str) -> bool:
    return not cell.startswith(DANGEROUS) or PLAIN_NUMBER.fullmatch(cell) is not None


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _unsafe_cells(path: Path) -> list[tuple[str, str]]:
    """(column, cell) of every header or body cell of ``path`` a spreadsheet would run as a formula."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return [(rows[0][i] if i < len(rows[0]) else "?", cell)
            for row in rows for i, cell in enumerate(row) if not _is_safe(cell)]


# ---------------------------------------------------------------- the rule, cell by cell
@pytest.mark.parametrize(("cell", "written"), [
    ("=1+1", "'=1+1"), ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"), ("-2+3", "'-2+3"), ("@SUM(1)", "'@SUM(1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("＝1+1", "'＝1+1"), ("-", "'-"), ("--", "'--"), ("-inf", "'-inf"),
    ("-3", "-3"), ("+3", "+3"), ("-2.5", "-2.5"), ("-1e-05", "-1e-05"), ("-.5", "-.5"),
    ("Kramatorsk", "Kramatorsk"), (" =1", " =1"), ("a=1", "a=1"), ("'=1", "'=1"), ("", ""),
])
def test_text_cells(tmp_path, cell, written):
    storage.write_csv(tmp_path / "t.csv", pd.DataFrame({"text": [cell], "n": [1]}))
    assert _read(tmp_path / "t.csv")["text"].tolist() == [written]


def test_numbers_stay_numbers_and_every_text_dtype_is_covered(tmp_path):
    frame = pd.DataFrame({
        "int": [-3, 0, 7], "float": [-2.5, np.nan, 1e-5], "bool": [True, False, True],
        "date": pd.to_datetime(["2023-03-14", "2023-03-15", None]),
        "str": pd.array(["=a", None, "-3"], dtype="str"),
        "object": ["@b", 5, None],  # a mixed column: only its strings are text
        "category": pd.Categorical(["-c", "-c", "ok"]),
        "nullable": pd.array([-1, None, 2], dtype="Int64"),
    })
    storage.write_csv(tmp_path / "t.csv", frame)
    assert (tmp_path / "t.csv").read_text(encoding="utf-8") == (
        "int,float,bool,date,str,object,category,nullable\n"
        "-3,-2.5,True,2023-03-14,'=a,'@b,'-c,-1\n"
        "0,,False,2023-03-15,,5,'-c,\n"
        "7,1e-05,True,,-3,,ok,2\n")
    assert frame["str"].tolist()[0] == "=a"  # the caller's frame is not changed


def test_header_and_written_index_are_neutralised_too(tmp_path):
    frame = pd.DataFrame({"=evil": [1, 2], "-3": [3, 4]}, index=pd.Index(["@x", "ok"], name="+name"))
    storage.write_csv(tmp_path / "t.csv", frame, index=True)
    assert (tmp_path / "t.csv").read_text(encoding="utf-8") == "'+name,'=evil,-3\n'@x,1,3\nok,2,4\n"


def test_a_carriage_return_in_text_keeps_the_file_parseable(tmp_path):
    frame = pd.DataFrame({"text": ["a\rb", "\r=1", "plain"], "n": [-1, 2, 3]})
    storage.write_csv(tmp_path / "t.csv", frame)
    back = pd.read_csv(tmp_path / "t.csv", dtype={"text": str}, keep_default_na=False)
    assert back["text"].tolist() == ["a\rb", "'\r=1", "plain"] and back["n"].tolist() == [-1, 2, 3]


def test_a_frame_without_formulas_is_written_unchanged(tmp_path):
    frame = pd.DataFrame({"text": ["a", "b,c", 'd"e'], "n": [-1.5, 2.0, 3.25]})
    assert storage.neutralise_formulas(frame) is frame
    storage.write_csv(tmp_path / "t.csv", frame)
    expected = io.StringIO()
    frame.to_csv(expected, index=False, lineterminator="\n")
    assert (tmp_path / "t.csv").read_text(encoding="utf-8") == expected.getvalue()


# ---------------------------------------------------------------- the property
_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
_TEXT = st.one_of(st.text(_CHARS, max_size=12),
                  st.builds(lambda head, tail: head + tail, st.sampled_from(DANGEROUS + ("'", " ", "1", "a")),
                            st.text(_CHARS, max_size=8)),
                  st.from_regex(PLAIN_NUMBER, fullmatch=True))
_FLOATS = st.floats(allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(_TEXT, st.integers(-10**12, 10**12), _FLOATS), min_size=1, max_size=8))
def test_written_text_is_safe_and_everything_else_round_trips(tmp_path, rows):
    texts, ints, floats = (list(column) for column in zip(*rows))
    frame = pd.DataFrame({"text": pd.array(texts, dtype="str"), "int": ints, "float": floats})
    path = tmp_path / "p.csv"
    storage.write_csv(path, frame)
    back = pd.read_csv(path, dtype={"text": str}, keep_default_na=False)
    for original, written in zip(texts, back["text"]):
        assert _is_safe(written), (original, written)
        if _is_safe(original):
            assert written == original  # harmless text (plain numbers included) round-trips exactly
        else:
            assert written == "'" + original  # the formula, verbatim behind the quote
    assert back["int"].tolist() == ints and back["int"].dtype == "int64"
    assert back["float"].tolist() == floats


# ---------------------------------------------------------------- the real files: a build and a report
def _acled(**changes) -> dict:
    return {**ACLED_ROW, "event_date": "2023-03-14", **changes}


def _write_raw(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:  # QUOTE_ALL: a lone \r stays in its field
        writer = csv.DictWriter(handle, fieldnames=list(ACLED_ROW), quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def poisoned(tmp_path_factory):
    """A build of raw files whose names, rejected values, places, warnings and duplicates carry formulas."""
    from analysis.build import build

    root = tmp_path_factory.mktemp("poisoned")
    raw = root / "raw"
    raw.mkdir()
    first = [_acled(event_id_cnty=f"UKR{100 + i}", location=payload) for i, payload in enumerate(PAYLOADS)]
    first += [
        _acled(event_id_cnty="UKR200", admin1=PAYLOADS[0]),  # accepted: an oblast spelling kept as written
        _acled(event_id_cnty="UKR201", fatalities=PAYLOADS[0]),  # rejected values
        _acled(event_id_cnty="UKR202", event_date=PAYLOADS[3]),
        _acled(event_id_cnty="UKR203", latitude=PAYLOADS[1]),
        _acled(event_id_cnty="UKR204", fatalities=PAYLOADS[2]),
        _acled(event_id_cnty="UKR205", geo_precision=PAYLOADS[4]),
        _acled(event_id_cnty="UKR300", location="@SUM(1) Black Sea", latitude="44.5", longitude="33.0"),  # warnings
        _acled(event_id_cnty="UKR301", location="=1+1 Sea of Azov", latitude="46.0", longitude="36.5"),
    ]
    _write_raw(raw / "-2+3.csv", first)
    second = [_acled(event_id_cnty="UKR100", location=PAYLOADS[0], fatalities="7"),  # same id, other content
              _acled(event_id_cnty="UKR101", location=PAYLOADS[1], fatalities="9"),
              first[2]]  # an identical repeat
    _write_raw(raw / "@SUM(1).csv", second)
    processed = root / "processed"
    report = build(raw, processed)
    assert report.ok
    return root, raw, processed, report


def test_every_csv_of_the_build_is_safe_and_the_payloads_are_quoted(poisoned):
    _, _, processed, _ = poisoned
    written = sorted(processed.glob("*.csv"))
    assert {p.name for p in written} >= {"rejects.csv", "merged.csv", "warnings.csv", "unmatched_places.csv"}
    for path in written:
        assert _unsafe_cells(path) == [], path.name
    rejects = _read(processed / "rejects.csv")
    assert set(rejects["raw_file"]) == {"'-2+3.csv"}
    assert {"'" + p for p in (PAYLOADS[0], PAYLOADS[3], PAYLOADS[1], PAYLOADS[2], PAYLOADS[4])} <= set(
        rejects["value"])
    unmatched = _read(processed / "unmatched_places.csv")
    assert {"'" + p.strip() for p in PAYLOADS} <= set(unmatched["location"])  # readers strip whitespace
    warnings = _read(processed / "warnings.csv")
    assert {"'@SUM(1) Black Sea", "'=1+1 Sea of Azov"} <= set(warnings["value"])
    merged = _read(processed / "merged.csv")
    assert set(merged["raw_file"]) == {"'@SUM(1).csv"} and set(merged["merged_into_file"]) == {"'-2+3.csv"}
    events = pd.read_parquet(processed / "events.parquet")  # the data themselves keep the raw text
    assert {p.strip() for p in PAYLOADS} <= set(events["location"])


def test_two_files_giving_one_id_different_content_warn_loudly(poisoned):
    from analysis.build.summary import build_summary

    _, _, processed, report = poisoned
    merged = _read(processed / "merged.csv").sort_values("raw_line")
    assert merged["is_identical"].tolist() == ["False", "False", "True"]
    warnings = _read(processed / "warnings.csv")
    conflicts = warnings[warnings["rule"] == "duplicate_id_different_content"].sort_values("raw_line")
    assert conflicts["raw_file"].tolist() == ["'@SUM(1).csv", "'@SUM(1).csv"]
    assert conflicts["raw_line"].tolist() == ["2", "3"]
    assert conflicts["value"].tolist() == ["acled:UKR100", "acled:UKR101"]
    assert "is also at -2+3.csv line 2, with different content" in conflicts["message"].iloc[0]
    assert "is also at -2+3.csv line 3" in conflicts["message"].iloc[1]
    summary = build_summary(report, processed)
    assert "WARNING: 2 ids appear in two files with different content" in summary
    # (names as the ledger CSVs hold them: formula-like names quoted there too)
    assert re.search(r"^ +2  '@SUM\(1\)\.csv repeats ids of '-2\+3\.csv$", summary, re.M)


def test_identical_duplicates_stay_quiet(tmp_path):
    from analysis.build import build
    from analysis.build.summary import build_summary

    raw = tmp_path / "raw"
    raw.mkdir()
    rows = [_acled(event_id_cnty="UKR1"), _acled(event_id_cnty="UKR2")]
    _write_raw(raw / "a.csv", rows)
    _write_raw(raw / "b.csv", rows)
    report = build(raw, tmp_path / "processed")
    assert _read(tmp_path / "processed" / "merged.csv")["is_identical"].tolist() == ["True", "True"]
    assert "duplicate_id_different_content" not in (tmp_path / "processed" / "warnings.csv").read_text()
    assert "WARNING" not in build_summary(report, tmp_path / "processed")


def test_one_file_giving_one_id_different_content_warns_too(tmp_path):
    from analysis.build import build
    from analysis.build.summary import build_summary

    raw = tmp_path / "raw"
    raw.mkdir()
    _write_raw(raw / "a.csv", [_acled(event_id_cnty="UKR1"), _acled(event_id_cnty="UKR1", fatalities="4")])
    report = build(raw, tmp_path / "processed")
    warnings = _read(tmp_path / "processed" / "warnings.csv")
    assert warnings[["raw_file", "raw_line", "value", "rule"]].values.tolist() == [
        ["a.csv", "3", "acled:UKR1", "duplicate_id_different_content"]]
    summary = build_summary(report, tmp_path / "processed")
    assert "WARNING: 1 id appears in two rows of one file with different content" in summary
    assert re.search(r"^ +1  a\.csv \(within the file\)$", summary, re.M)


def test_the_rule_name_is_the_same_in_dedupe_and_summary():
    from analysis.build import dedupe
    from analysis.build import summary

    assert dedupe.DIFFERENT_CONTENT_RULE == summary.DIFFERENT_CONTENT_RULE


@pytest.mark.slow
def test_a_reports_figure_csvs_are_safe(poisoned, monkeypatch):
    from analysis import reports

    root, raw, processed, _ = poisoned
    monkeypatch.setattr(config, "RAW_DIR", raw)
    monkeypatch.setattr(config, "PROCESSED_DIR", processed)
    monkeypatch.setattr(config, "REPORTS_DIR", root / "reports")
    result = reports.run_report("01-daily-briefing", {"date": "2023-03-14", "window_days": 1})
    assert result.ok
    figures = sorted((result.report_dir / "figures").glob("*.csv"))
    assert figures
    for path in figures:
        assert _unsafe_cells(path) == [], path.name
    drawn = pd.concat([_read(p) for p in figures if "admin1" in _read(p)], ignore_index=True)
    assert "'" + PAYLOADS[0] in set(drawn["admin1"])  # the map's table lists the poisoned oblast, quoted
