"""The UCDP GED reader on the real samples in ../shared/realdata/ucdp_ged.

The samples are read in place and never copied into the repository; variants
(re-encoded, reordered, Excel-mangled, corrupted) are written to ``tmp_path``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import config
from analysis.tables import schemas
from analysis.errors import InputError
from analysis.build.ingest import FileResult, ingest_file, open_file
from analysis.sources import READERS, base, ucdp
from conftest import per_test_under_mutmut

pytestmark = pytest.mark.realdata

UCDP_DIR = config.REALDATA_DIR / "ucdp_ged"
API_SAMPLE = "ucdp_ged_api_ukraine_2014_2022_peacerep.csv"
GLOBAL_SAMPLE = "uncertainUCDP_ucdpged_GED2023release_1000rows_DERIVED.csv"


def realdata(name: str) -> Path:
    """Path of a real sample; missing data fails under CI=true and skips elsewhere."""
    path = UCDP_DIR / name
    if not path.is_file():
        message = f"real-data sample {path} is missing"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI=true requires ../shared/realdata")
        pytest.skip(f"{message} (provide ../shared/realdata to run the real-data tests)")
    return path


def read_raw(path: Path) -> pd.DataFrame:
    """The CSV as plain pandas reads it: every value a string, nothing converted."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def write(frame: pd.DataFrame, path: Path, encoding: str = "utf-8") -> Path:
    frame.to_csv(path, index=False, encoding=encoding, lineterminator="\n")
    return path


def ingest(path: Path) -> FileResult:
    result = ingest_file(path, path.name)
    result.ledger.check()
    return result


def by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("event_id", drop=False).sort_index()


def assert_same_events(left: pd.DataFrame, right: pd.DataFrame, compare_lines: bool = True) -> None:
    """Same accepted events; raw_file always differs, raw_line only where asked."""
    ignore = ["raw_file"] if compare_lines else ["raw_file", "raw_line"]
    pd.testing.assert_frame_equal(
        by_id(left).drop(columns=ignore), by_id(right).drop(columns=ignore), check_exact=True
    )


def line_of(path: Path, event_id: str, encoding: str = "utf-8") -> int:
    """Physical line (1-based) of the record whose first field is ``event_id``, found by reading the text."""
    lines = path.read_text(encoding=encoding).split("\n")
    hits = [i + 1 for i, line in enumerate(lines) if line.startswith(f"{event_id},")]
    assert len(hits) == 1, hits
    return hits[0]


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def api_path() -> Path:
    return realdata(API_SAMPLE)


@pytest.fixture(scope=per_test_under_mutmut)
def api_raw(api_path) -> pd.DataFrame:
    return read_raw(api_path)


@pytest.fixture(scope=per_test_under_mutmut)
def api_result(api_path) -> FileResult:
    return ingest(api_path)


@pytest.fixture(scope=per_test_under_mutmut)
def api_rewritten(api_raw, tmp_path_factory) -> FileResult:
    """The sample written back unchanged by pandas: the baseline for the variants below."""
    return ingest(write(api_raw, tmp_path_factory.mktemp("ucdp") / "baseline.csv"))


@pytest.fixture(scope=per_test_under_mutmut)
def joined(api_raw, api_result) -> pd.DataFrame:
    """Accepted events next to their raw row (by id)."""
    raw = api_raw.assign(event_id="ucdp_ged:" + api_raw["id"]).set_index("event_id")
    return by_id(api_result.accepted).merge(raw, how="left", left_index=True, right_index=True,
                                             suffixes=("", "_raw"), validate="one_to_one")


# ---------------------------------------------------------------- the real samples
def test_api_sample_ledger_balances(api_result, api_raw):
    ledger = api_result.ledger
    assert ledger.format == "ucdp_ged"
    assert ledger.rows == len(api_raw) == 3077
    assert ledger.accepted + ledger.rejected + ledger.merged == ledger.rows
    assert (ledger.accepted, ledger.rejected, ledger.merged) == (3077, 0, 0)
    assert api_result.rejects.empty
    assert ledger.variant == "ucdp_ged (49 of 49 GED columns)"
    assert ledger.encoding == "utf-8-sig" and ledger.warnings == []


def test_api_sample_warns_exactly_where_best_is_outside_low_high(api_result, api_raw):
    best, low, high = (pd.to_numeric(api_raw[c]) for c in ("best", "low", "high"))
    expected = set("ucdp_ged:" + api_raw.loc[(best < low) | (best > high), "id"])
    assert len(expected) == 13
    warnings = api_result.warnings
    assert set(warnings["rule"]) == {"best_outside_low_high"}
    line_to_id = dict(zip(api_result.accepted["raw_line"], api_result.accepted["event_id"]))
    assert set(warnings["raw_line"].map(line_to_id)) == expected
    assert api_result.ledger.warned == 13
    row = warnings[warnings["raw_line"].map(line_to_id) == "ucdp_ged:155425"].iloc[0]
    assert row["value"] == "low=7, best=7, high=6"


def test_parse_returns_the_canonical_columns_and_dtypes(api_raw):
    raw = api_raw.iloc[:200].set_axis(pd.RangeIndex(5, 205))  # any index: rows stay aligned
    failures = base.Failures()
    typed = ucdp.parse(raw[[c for c in raw.columns if c in ucdp.LAYOUTS[0].known]], failures)
    expected = {name: _expected_dtype(str(col.dtype)) for name, col in schemas.CANONICAL_EVENTS.columns.items()
                if name not in ("raw_file", "raw_line")}
    assert list(typed.columns) == list(expected)
    assert typed.dtypes.astype(str).to_dict() == expected
    assert expected["is_civilian_targeting"] == "boolean" and expected["fatalities"] == "Int64"
    assert typed.index.equals(raw.index)
    assert failures.frame().empty
    assert (typed["source_event_id"] == raw["id"]).all()


def _expected_dtype(pandera_dtype: str) -> str:
    """The pandas dtype a reader must produce for a schema column (pandera names str 'string')."""
    if pandera_dtype.startswith(("str", "string")):  # pandera prints str as string or string[pyarrow]
        return "str"
    if pandera_dtype.startswith("datetime64"):
        return schemas.DATE
    return pandera_dtype


@pytest.mark.parametrize("event_id", ["147997", "149221", "154408", "154671", "413786"])
def test_spot_check_against_plain_pandas(joined, event_id):
    row = joined.loc[f"ucdp_ged:{event_id}"]
    assert row["source_dataset"] == "ucdp_ged" and row["source_event_id"] == event_id
    assert row["fatalities"] == int(row["best"])
    assert row["civilians_killed"] == int(row["deaths_civilians"])
    assert row["event_date"] == pd.Timestamp(row["date_start"])
    assert row["event_end_date"] == pd.Timestamp(row["date_end"])
    assert row["country"] == row["country_raw"]
    assert row["admin1"] == row["adm_1"] if row["adm_1"] else pd.isna(row["admin1"])
    assert row["admin2"] == row["adm_2"] if row["adm_2"] else pd.isna(row["admin2"])
    assert row["location"] == row["where_coordinates"]
    assert row["latitude"] == float(row["latitude_raw"]) and row["longitude"] == float(row["longitude_raw"])
    assert row["actor1"] == row["side_a"] and row["actor2"] == row["side_b"]
    assert row["notes"] == row["source_headline"] and row["source_name"] == row["source_office"]


def test_known_values_of_three_events(joined):
    first = joined.loc["ucdp_ged:147997"]
    assert (first["event_date"], first["country"], first["violence_type"]) == (
        pd.Timestamp("2014-01-22"), "Ukraine", "state-based")
    assert (first["actor1"], first["actor2"]) == ("Government of Ukraine", "Maidan")
    hanging = joined.loc["ucdp_ged:149221"]
    assert (hanging["location"], hanging["admin1"], hanging["geo_precision"]) == (
        "Kiev city", "Kiev Special Republican city", "settlement")
    assert (hanging["latitude"], hanging["longitude"], hanging["fatalities"]) == (50.45, 30.52333, 1)
    assert pd.isna(hanging["admin2"])
    russia = joined.loc["ucdp_ged:154671"]  # outside Ukraine: accepted as it is
    assert (russia["country"], russia["admin1"]) == ("Russia (Soviet Union)", "Rostov oblast")


def test_every_accepted_value_matches_the_raw_columns(joined):
    assert (joined["fatalities"] == pd.to_numeric(joined["best"])).all()
    assert (joined["civilians_killed"] == pd.to_numeric(joined["deaths_civilians"])).all()
    assert (joined["event_date"] == pd.to_datetime(joined["date_start"], format="%Y-%m-%d")).all()
    assert (joined["event_end_date"] == pd.to_datetime(joined["date_end"], format="%Y-%m-%d")).all()
    assert (joined["latitude"] == pd.to_numeric(joined["latitude_raw"])).all()
    assert (joined["longitude"] == pd.to_numeric(joined["longitude_raw"])).all()
    assert (joined["country"] == joined["country_raw"]).all()
    assert (joined["admin1"].fillna("") == joined["adm_1"]).all()
    assert (joined["admin2"].fillna("") == joined["adm_2"]).all()
    assert (joined["location"] == joined["where_coordinates"]).all()
    precision = joined["date_prec"].map({"1": "day", "2": "days", "3": "week", "4": "month", "5": "year"})
    assert (joined["date_precision"] == precision).all()
    assert joined["is_attack"].all() and not joined["is_casualties_unknown"].any()
    assert not joined["is_synthetic"].any()
    assert joined[["event_type", "sub_event_type", "weapon", "source_url"]].isna().all().all()
    assert joined[["injured", "civilians_injured", "buildings_damaged", "publication_date"]].isna().all().all()


def test_multi_day_events_keep_their_range(api_result, api_raw):
    raw_multi = int((api_raw["date_start"] != api_raw["date_end"]).sum())
    accepted = api_result.accepted
    assert raw_multi == 671
    assert int((accepted["event_end_date"] > accepted["event_date"]).sum()) == raw_multi
    assert (accepted["event_end_date"] >= accepted["event_date"]).all()


def test_raw_lines_point_at_the_physical_lines(api_result, api_path):
    """133 rows hold newlines inside quoted fields; every raw_line is still the real line."""
    lines = api_path.read_text(encoding="utf-8").split("\n")
    accepted = api_result.accepted
    starts = [lines[n - 1].split(",", 1)[0] for n in accepted["raw_line"]]
    assert ["ucdp_ged:" + s for s in starts] == accepted["event_id"].tolist()
    assert accepted["raw_line"].iloc[-1] > len(accepted) + 1  # shifted by the embedded newlines


def test_global_sample_reads():
    path = realdata(GLOBAL_SAMPLE)
    raw = read_raw(path)
    result = ingest(path)
    ledger = result.ledger
    assert ledger.rows == len(raw) == 1000
    assert (ledger.accepted, ledger.rejected, ledger.merged, ledger.warned) == (1000, 0, 0, 13)
    assert set(result.warnings["rule"]) == {"best_outside_low_high"}
    accepted = by_id(result.accepted)
    tov = raw.set_index("ucdp_ged:" + raw["id"])["type_of_violence"].reindex(accepted.index)
    labels = tov.map({"1": "state-based", "2": "non-state", "3": "one-sided"})
    assert (accepted["violence_type"] == labels).all()
    counts = accepted["violence_type"].value_counts().to_dict()
    assert counts == {"state-based": 707, "one-sided": 160, "non-state": 133}
    assert (accepted["is_civilian_targeting"] == (tov == "3")).all()
    assert int(accepted["is_civilian_targeting"].sum()) == 160
    assert accepted["country"].nunique() > 20 and int((accepted["country"] == "Ukraine").sum()) == 26
    assert (raw["active_year"].isin(["1", "0"])).all()  # this sample writes active_year as 1/0


# ---------------------------------------------------------------- re-written copies
def test_rewritten_baseline_equals_the_original(api_result, api_rewritten):
    assert_same_events(api_result.accepted, api_rewritten.accepted)


def test_windows_1252_copy(api_raw, tmp_path):
    def encodable(value: str) -> bool:
        try:
            value.encode("cp1252")
        except UnicodeEncodeError:
            return False
        return True

    ok = api_raw.map(encodable).all(axis=1)
    assert int((~ok).sum()) == 121  # Cyrillic headlines, zero-width spaces, '№', ...
    subset = api_raw[ok]
    assert subset.apply(lambda c: c.str.contains("\u2019")).any().any()  # so the copy is not valid UTF-8
    utf8 = ingest(write(subset, tmp_path / "utf8.csv"))
    cp1252 = ingest(write(subset, tmp_path / "cp1252.csv", encoding="cp1252"))
    assert cp1252.ledger.encoding == "cp1252"
    assert any("Windows-1252" in w for w in cp1252.ledger.warnings)
    assert cp1252.ledger.accepted == len(subset) == 2956
    assert_same_events(utf8.accepted, cp1252.accepted)
    assert cp1252.accepted["notes"].str.contains("\u2019").any()


def test_columns_reordered(api_raw, api_rewritten, tmp_path):
    order = list(api_raw.columns[::2]) + list(api_raw.columns[1::2])[::-1]
    result = ingest(write(api_raw[order], tmp_path / "reordered.csv"))
    assert_same_events(api_rewritten.accepted, result.accepted)


def test_hxl_tag_row_of_hdx_copies_is_skipped(api_raw, api_rewritten, tmp_path):
    tags = {"id": "#event+id", "year": "#date+year", "country": "#country+name", "latitude": "#geo+lat",
            "longitude": "#geo+lon", "date_start": "#date+start", "date_end": "#date+end", "best": "#affected+killed"}
    tag_row = pd.DataFrame([[tags.get(c, "#meta+" + c.replace("_", "")) for c in api_raw.columns]],
                           columns=api_raw.columns)
    result = ingest(write(pd.concat([tag_row, api_raw], ignore_index=True), tmp_path / "hdx.csv"))
    assert (result.ledger.rows, result.ledger.hxl_rows, result.ledger.accepted) == (3077, 1, 3077)
    assert_same_events(api_rewritten.accepted, result.accepted, compare_lines=False)
    shifted = by_id(result.accepted)["raw_line"] - by_id(api_rewritten.accepted)["raw_line"]
    assert (shifted == 1).all()


def test_header_variants_with_45_and_52_columns(api_raw, api_rewritten, tmp_path):
    old = api_raw.drop(columns=["conflict_dset_id", "dyad_dset_id", "side_a_dset_id", "side_b_dset_id"])
    assert old.shape[1] == 45
    result = ingest(write(old, tmp_path / "ged45.csv"))
    assert result.ledger.variant == "ucdp_ged (45 of 49 GED columns, no *_dset_id columns (pre-2019 layout))"
    assert_same_events(api_rewritten.accepted, result.accepted)
    wide = api_raw.assign(iso3="UKR", admin1_pcode="", source_url_hdx="")
    result = ingest(write(wide[wide.columns[::-1]], tmp_path / "ged52.csv"))
    assert result.ledger.variant == "ucdp_ged (49 of 49 GED columns, 3 extra column(s))"
    assert any("ignored column(s)" in w and "iso3" in w for w in result.ledger.warnings)
    assert_same_events(api_rewritten.accepted, result.accepted)


def test_excel_mangled_dates_in_a_mixture(api_raw, api_rewritten, tmp_path):
    def excel(values: pd.Series) -> pd.Series:
        date = pd.to_datetime(values, format="%Y-%m-%d")
        styles = [
            date.dt.month.astype(str) + "/" + date.dt.day.astype(str) + "/" + date.dt.strftime("%Y 12:00:00 AM"),
            date.dt.strftime("%m/%d/%Y 00:00"),
            date.dt.strftime("%Y-%m-%d 00:00:00.000"),
            date.dt.strftime("%Y-%m-%dT00:00:00"),
        ]
        style = np.arange(len(values)) % 4
        return pd.Series(np.select([style == i for i in range(4)], styles), index=values.index)

    mangled = api_raw.assign(date_start=excel(api_raw["date_start"]), date_end=excel(api_raw["date_end"]))
    assert "1/22/2014 12:00:00 AM" in mangled["date_start"].tolist()  # 147997, month first, not zero-padded
    result = ingest(write(mangled, tmp_path / "excel_dates.csv"))
    assert result.rejects.empty
    assert_same_events(api_rewritten.accepted, result.accepted)


def test_active_year_as_numbers_and_lower_case(api_raw, api_rewritten, tmp_path):
    is_true = api_raw["active_year"].eq("True")
    odd = np.arange(len(api_raw)) % 2 == 1
    rewritten = np.where(is_true, np.where(odd, "1", "true"), np.where(odd, "0", "false"))
    result = ingest(write(api_raw.assign(active_year=rewritten), tmp_path / "active_year.csv"))
    assert result.rejects.empty
    assert_same_events(api_rewritten.accepted, result.accepted)


def test_quoted_newline_shifts_the_following_lines(api_raw, api_rewritten, tmp_path):
    position = 100
    edited = api_raw.copy()
    edited.loc[position, "source_headline"] = "first line of the headline\nsecond line"
    path = write(edited, tmp_path / "newline.csv")
    result = ingest(path)
    before, after = by_id(api_rewritten.accepted), by_id(result.accepted)
    assert_same_events(before.drop(columns="notes"), after.drop(columns="notes"), compare_lines=False)
    target = "ucdp_ged:" + api_raw.loc[position, "id"]
    following = "ucdp_ged:" + api_raw.loc[position + 1, "id"]
    assert after.loc[target, "notes"] == "first line of the headline\nsecond line"
    assert after.loc[target, "raw_line"] == before.loc[target, "raw_line"]
    assert after.loc[following, "raw_line"] == before.loc[following, "raw_line"] + 1
    assert after.loc[following, "raw_line"] == line_of(path, api_raw.loc[position + 1, "id"])
    shift = after["raw_line"] - before["raw_line"]
    ids = "ucdp_ged:" + api_raw["id"]
    assert (shift[ids[: position + 1]] == 0).all() and (shift[ids[position + 1:]] == 1).all()


# ---------------------------------------------------------------- bad values
BAD_VALUES = [
    ("date_start", "2022-13-45", "unparseable_date"),
    ("date_end", "17/09/2022 00:00", "unparseable_date"),  # day first: not Excel's US style
    ("date_end", "2000-01-01", "end_date_before_start_date"),
    ("where_prec", "9", "unknown_code"),
    ("type_of_violence", "4", "unknown_code"),
    ("date_prec", "", "unknown_code"),
    ("best", "-3", "negative_count"),
    ("deaths_a", "-1", "negative_count"),
    ("deaths_civilians", "many", "not_a_number"),
    ("best", "2.5", "not_a_whole_number"),
    ("best", "999", "best_not_sum_of_deaths"),
    ("latitude", "95", "latitude_out_of_range"),
    ("latitude", "5.29", "coordinates_outside_country"),  # a misplaced decimal point: far outside the region
    ("longitude", "30,5", "not_a_number"),
    ("year", "2013", "year_disagrees_with_date"),
    ("active_year", "maybe", "not_a_boolean"),
    ("id", "14799x", "id_not_a_whole_number"),
    ("id", "", "required_value_missing"),
    ("country", " ", "required_value_missing"),
]


@pytest.fixture(scope=per_test_under_mutmut)
def slice_raw(api_raw) -> pd.DataFrame:
    """The first 150 rows: rows 48, 112, 117 and 119 hold quoted newlines."""
    return api_raw.iloc[:150].reset_index(drop=True)


@pytest.mark.parametrize(("column", "value", "rule"), BAD_VALUES)
def test_bad_value_is_rejected_with_rule_and_line(slice_raw, tmp_path, column, value, rule):
    position = 130  # after the quoted newlines, so its line is not position + 2
    bad = slice_raw.copy()
    bad.loc[position, column] = value
    if column == "best" and rule == "negative_count":  # keep low <= best <= high out of the way
        bad.loc[position, ["low", "high"]] = "0"
    assert not bad.loc[position].str.contains("\n").any()
    path = write(bad, tmp_path / "bad.csv")
    line = line_of(path, slice_raw.loc[position + 1, "id"]) - 1  # found in the text, not by the reader
    assert line > position + 2
    result = ingest(path)
    assert (result.ledger.accepted, result.ledger.rejected) == (149, 1)
    assert set(result.rejects["raw_line"]) == {line}
    assert rule in set(result.rejects["rule"]), result.rejects.to_string()
    assert ("ucdp_ged:" + slice_raw.loc[position, "id"]) not in set(result.accepted["event_id"])


def test_float_ids_are_read_as_whole_numbers(slice_raw, tmp_path):
    floated = slice_raw.assign(id=slice_raw["id"] + ".0")
    result = ingest(write(floated, tmp_path / "float_ids.csv"))
    assert result.ledger.accepted == 150
    assert (result.accepted["event_id"] == "ucdp_ged:" + slice_raw["id"]).all()
    assert (result.accepted["source_event_id"] == slice_raw["id"]).all()


def test_best_outside_low_high_is_accepted_with_a_warning(slice_raw, tmp_path):
    best, low, high = (pd.to_numeric(slice_raw[c]) for c in ("best", "low", "high"))
    already = int(((best < low) | (best > high)).sum())
    position = 140
    edited = slice_raw.copy()
    edited.loc[position, ["low", "high"]] = [str(best[position] + 1), str(best[position] + 5)]
    path = write(edited, tmp_path / "low_high.csv")
    result = ingest(path)
    assert (result.ledger.accepted, result.ledger.rejected) == (150, 0)
    assert result.ledger.warned == already + 1
    line = line_of(path, slice_raw.loc[position, "id"])
    warning = result.warnings[result.warnings["raw_line"] == line]
    assert warning["rule"].tolist() == ["best_outside_low_high"]
    assert warning["column"].tolist() == ["best"]
    assert ("ucdp_ged:" + slice_raw.loc[position, "id"]) in set(result.accepted["event_id"])


def test_warning_is_not_reported_for_a_rejected_row(slice_raw, tmp_path):
    best, low, high = (pd.to_numeric(slice_raw[c]) for c in ("best", "low", "high"))
    already = int(((best < low) | (best > high)).sum())
    edited = slice_raw.copy()
    edited.loc[10, ["low", "high", "type_of_violence"]] = ["50", "60", "4"]
    result = ingest(write(edited, tmp_path / "both.csv"))
    assert (result.ledger.rejected, result.ledger.warned) == (1, already)
    assert set(result.rejects["rule"]) == {"unknown_code"}


def test_missing_realdata_fails_under_ci_and_skips_otherwise(monkeypatch, tmp_path):
    monkeypatch.setattr(sys.modules[__name__], "UCDP_DIR", tmp_path / "missing")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        realdata(API_SAMPLE)
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="is missing"):
        realdata(API_SAMPLE)


# ---------------------------------------------------------------- detection
def test_the_header_is_detected_as_ucdp(api_path):
    opened = open_file(api_path)
    header, reader, layout = opened.header, opened.reader, opened.layout
    assert reader is READERS["ucdp_ged"] is ucdp.READER
    assert set(header.names) == set(ucdp.GED_COLUMNS) == layout.known
    assert len(ucdp.GED_COLUMNS) == 49


def test_a_header_missing_a_required_column_is_refused(api_raw, tmp_path):
    path = write(api_raw.iloc[:5].drop(columns=["date_end"]), tmp_path / "no_end.csv")
    with pytest.raises(InputError, match="date_end"):
        ingest_file(path, path.name, forced_format="ucdp_ged")


def test_chunked_reading_gives_the_same_result(api_path, api_result):
    chunked = ingest_file(api_path, api_path.name, chunk_rows=500)
    assert chunked.ledger.as_dict() == api_result.ledger.as_dict()
    pd.testing.assert_frame_equal(chunked.accepted, api_result.accepted)
    pd.testing.assert_frame_equal(chunked.warnings, api_result.warnings)


# ---------------------------------------------------------------- coded columns, on a hand-written row
UCDP_ROW = {"id": "1", "type_of_violence": "1", "side_a": "Government of Ukraine", "side_b": "Government of Russia",
            "source_office": "Office", "source_headline": "Headline", "where_prec": "1",
            "where_coordinates": "Kramatorsk town", "adm_1": "Donetsk oblast", "adm_2": "Kramatorsk raion",
            "latitude": "48.72", "longitude": "37.55", "country": "Ukraine", "date_prec": "1",
            "date_start": "2022-03-14", "date_end": "2022-03-14", "deaths_civilians": "0", "best": "1",
            "deaths_a": "1", "deaths_b": "0", "deaths_unknown": "0", "low": "1", "high": "1"}


def test_each_bad_value_of_a_hand_written_row_is_rejected_on_its_own_column():
    changes = [{"date_prec": "9"}, {"type_of_violence": "4"}, {"where_prec": "8"}, {"date_prec": "2.0"},
               {"date_start": "2022-13-45"}, {"date_end": "14/03/2022"}, {"year": "2021"}, {"type_of_violence": ""},
               {"latitude": "48,7", "longitude": "E37"}, {"id": "14799x"},
               {"id": " "}, {"active_year": "0.0"}, {"active_year": "maybe"}, {"deaths_b": "-1"}, {"best": "999"},
               {"low": "", "high": ""}, {"deaths_unknown": ""}]
    raw = pd.DataFrame([{**UCDP_ROW, "year": "2022", "active_year": "1.0", **change} for change in changes],
                       dtype="str")
    failures = base.Failures()
    out = ucdp.parse(raw, failures)
    rejected = failures.frame()
    assert [tuple(r) for r in rejected[["row", "column", "value", "rule"]].itertuples(index=False)] == [
        (10, "id", " ", "required_value_missing"),  # only that: an empty id is not also 'not a whole number'
        (0, "date_prec", "9", "unknown_code"),
        (9, "id", "14799x", "id_not_a_whole_number"),
        (4, "date_start", "2022-13-45", "unparseable_date"),
        (5, "date_end", "14/03/2022", "unparseable_date"),  # day first, day > 12: not Excel's US style
        (6, "year", "2021", "year_disagrees_with_date"),
        (12, "active_year", "maybe", "not_a_boolean"),  # '1.0' and '0.0', as a float round-trip writes them, read
        (1, "type_of_violence", "4", "unknown_code"),
        (7, "type_of_violence", "", "unknown_code"),  # required: UCDP always codes it
        (13, "deaths_b", "-1", "negative_count"),  # its sum is not compared: one rejection per bad value
        (14, "best", "best=999, deaths_a=1, deaths_b=0, deaths_civilians=0, deaths_unknown=0",
         "best_not_sum_of_deaths"),
        (8, "latitude", "48,7", "not_a_number"),
        (8, "longitude", "E37", "not_a_number"),
        (2, "where_prec", "8", "unknown_code"),
    ]
    messages = dict(zip(rejected["column"], rejected["message"]))
    assert messages["date_prec"] == "'date_prec' must be one of 1, 2, 3, 4, 5"
    assert messages["type_of_violence"] == "'type_of_violence' must be one of 1, 2, 3"
    assert messages["where_prec"] == "'where_prec' must be one of 1, 2, 3, 4, 5, 6, 7"
    assert messages["year"] == "'year' differs from the year of 'date_start'"
    assert messages["active_year"] == "'active_year' must be one of true, 1, 1.0 / false, 0, 0.0"
    assert messages["deaths_b"] == "'deaths_b' must not be negative"
    assert messages["best"] == "'best' differs from deaths_a + deaths_b + deaths_civilians + deaths_unknown"
    # Rows 15 and 16 pass: empty low and high, or an empty deaths part, are unknown (not negative, no sum to compare).
    assert dict(zip(rejected["rule"], rejected["message"]))["id_not_a_whole_number"] == (
        "'id' must be a whole number (UCDP event id, e.g. 147997)")
    assert out["date_precision"].iloc[3] == "days"  # '2.0', as a float round-trip writes it, is code 2
    without_high = pd.DataFrame([{c: v for c, v in UCDP_ROW.items() if c != "high"}], dtype="str")
    failures = base.Failures()
    assert ucdp.parse(without_high, failures)["fatalities"].tolist() == [1]  # low alone: no range to check
    assert failures.frame().empty and failures.warnings_frame().empty


def test_best_outside_low_high_is_warned_with_its_values_and_an_unknown_bound_is_not_outside():
    """Pinned: the warning's row, column, value ('low=.., best=.., high=..', stripped), rule and message word for
    word; a row whose low or high is empty (unknown) is neither warned nor rejected."""
    changes = [{"low": "2", "high": " 5 "}, {"low": "", "high": ""}, {"low": "", "high": "3"}, {"low": "0", "high": ""},
               {"low": "0", "high": "0"}, {"low": "0", "high": "3"}]
    raw = pd.DataFrame([{**UCDP_ROW, **change} for change in changes], dtype="str")
    failures = base.Failures()
    out = ucdp.parse(raw, failures)
    assert failures.frame().empty
    assert out["fatalities"].tolist() == [1] * 6  # warned rows are kept
    assert [tuple(r) for r in failures.warnings_frame().itertuples(index=False)] == [
        (0, "best", "low=2, best=1, high=5", "best_outside_low_high",
         "'best' lies outside [low, high] (happens in published GED rows; kept)"),
        (4, "best", "low=0, best=1, high=0", "best_outside_low_high",
         "'best' lies outside [low, high] (happens in published GED rows; kept)"),
    ]
