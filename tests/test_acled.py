"""ACLED reader: the real sample, spot-checked values, and re-encoded copies giving the same events."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.build.ingest import ingest_file
from conftest import ACLED_SAMPLE, per_test_under_mutmut

LINEAGE = ["raw_file", "raw_line"]


@pytest.fixture(scope="module")
def sample(request):
    from conftest import realdata_path

    return realdata_path(ACLED_SAMPLE)


@pytest.fixture(scope=per_test_under_mutmut)
def sample_events(sample):
    return ingest_file(sample, "acled.csv")


def test_every_row_of_the_real_sample_is_accepted(sample_events):
    ledger = sample_events.ledger
    assert (ledger.rows, ledger.accepted, ledger.rejected, ledger.merged) == (690, 690, 0, 0)
    assert ledger.variant == "acled (current layout)"
    ledger.check()


@pytest.mark.parametrize(
    "event_id, date, location, admin1, fatalities, precision",
    [
        ("UKR53103", "2022-03-09", "Mariupol", "Donetsk", 5, "day"),
        ("UKR57975", "2022-05-11", "Bilohorivka", "Luhansk", 485, "day"),
        ("UKR58571", "2022-05-26", "Zaporizhia", "Zaporizhia", 26, "day"),
        ("UKR54933", "2022-03-15", None, None, None, "month"),
        ("UKR53552", "2022-03-16", None, None, None, "week"),
    ],
)
def test_spot_checked_values(sample_events, event_id, date, location, admin1, fatalities, precision):
    row = sample_events.accepted.set_index("event_id").loc[f"acled:{event_id}"]
    assert row["event_date"] == pd.Timestamp(date) == row["event_end_date"]
    assert row["date_precision"] == precision
    if location:
        assert (row["location"], row["admin1"], row["fatalities"]) == (location, admin1, fatalities)
    assert row["source_dataset"] == "acled" and not row["is_synthetic"]


def test_zero_fatalities_stay_zero_but_unknown_is_recorded(sample_events):
    events = sample_events.accepted
    raw = pd.read_csv(sample_events_path(), dtype=str, keep_default_na=False)
    unknown_in_notes = raw["notes"].str.contains("casualties unknown", case=False)
    assert (events["fatalities"] == 0).sum() == (raw["fatalities"] == "0").sum()
    assert events["is_casualties_unknown"].sum() >= unknown_in_notes.sum() > 300
    zero_unknown = events[(events["fatalities"] == 0) & events["is_casualties_unknown"]]
    assert len(zero_unknown) > 300  # a 0 that means "unknown", kept as 0 and flagged


def sample_events_path():
    from conftest import realdata_path

    return realdata_path(ACLED_SAMPLE)


def _same_events(a: pd.DataFrame, b: pd.DataFrame, ignore=()) -> None:
    drop = LINEAGE + list(ignore)
    left = a.drop(columns=drop).sort_values("event_id").reset_index(drop=True)
    right = b.drop(columns=drop).sort_values("event_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right)


def test_windows_1252_copy_gives_the_same_events(sample, tmp_path):
    # The sample is plain ASCII, so add characters whose bytes differ between the encodings.
    text = sample.read_text(encoding="utf-8").replace("the OSCE SMM observed", "the OSCE SMM observed – “many”")
    utf8, cp1252 = tmp_path / "utf8.csv", tmp_path / "cp1252.csv"
    utf8.write_bytes(text.encode("utf-8"))
    cp1252.write_bytes(text.encode("cp1252", errors="strict"))
    first, again = ingest_file(utf8, "a.csv"), ingest_file(cp1252, "b.csv")
    assert (first.ledger.encoding, again.ledger.encoding) == ("utf-8-sig", "cp1252")
    assert again.accepted["notes"].str.contains("– “many”", regex=False).sum() > 10
    _same_events(first.accepted, again.accepted)


def test_an_r_written_copy_with_na_for_every_empty_cell_gives_the_same_events(sample, sample_events, tmp_path):
    """R's write.csv writes a missing value as NA: ACLED's reader reads it as empty, never as the text "NA"."""
    raw = pd.read_csv(sample, dtype=str, keep_default_na=False)
    empty = raw.eq("")
    assert empty.to_numpy().sum() > 500 and empty["admin3"].any() and empty["civilian_targeting"].any()
    raw.mask(empty, "NA").to_csv(tmp_path / "from_r.csv", index=False)
    from_r = ingest_file(tmp_path / "from_r.csv", "from_r.csv")
    assert (from_r.ledger.accepted, from_r.ledger.rejected) == (690, 0)
    _same_events(sample_events.accepted, from_r.accepted)
    assert not from_r.accepted.select_dtypes(include="str").eq("NA").any().any()


def test_reordered_uppercase_columns_give_the_same_events(sample, sample_events, tmp_path):
    raw = pd.read_csv(sample, dtype=str, keep_default_na=False)
    shuffled = raw[list(reversed(raw.columns))]
    shuffled.columns = [c.upper() for c in shuffled.columns]
    copy = tmp_path / "reordered.csv"
    shuffled.to_csv(copy, index=False)
    _same_events(sample_events.accepted, ingest_file(copy, "copy.csv").accepted)


def test_export_tool_layout_with_long_dates_gives_the_same_events(sample, sample_events, tmp_path):
    from analysis.sources.acled import EXPORT_TOOL_COLUMNS

    raw = pd.read_csv(sample, dtype=str, keep_default_na=False)
    old = raw.assign(
        data_id=[str(9_000_000 + i) for i in range(len(raw))],
        event_id_no_cnty=raw["event_id_cnty"].str.replace("UKR", "", regex=False),
        iso3="UKR",
        event_date=pd.to_datetime(raw["event_date"]).dt.strftime("%-d %B %Y"),  # "15 July 2022"
    )[list(EXPORT_TOOL_COLUMNS)]
    copy = tmp_path / "export_tool.csv"
    old.to_csv(copy, index=False, quoting=1)  # the Export Tool quotes every field
    again = ingest_file(copy, "copy.csv")
    assert again.ledger.variant.startswith("acled (Export Tool layout")
    assert again.accepted["is_civilian_targeting"].isna().all()  # the old layout does not say
    _same_events(sample_events.accepted, again.accepted, ignore=["is_civilian_targeting"])


def test_dashboard_day_first_dates_give_the_same_events(sample, sample_events, tmp_path):
    raw = pd.read_csv(sample, dtype=str, keep_default_na=False)
    dashboard = raw.assign(event_date=pd.to_datetime(raw["event_date"]).dt.strftime("%d/%m/%Y 00:00:00"),
                           id=[str(i) for i in range(len(raw))], actor_dyad="x")
    copy = tmp_path / "dashboard.csv"
    dashboard.to_csv(copy, index=False)
    again = ingest_file(copy, "copy.csv")
    assert again.ledger.accepted == 690
    _same_events(sample_events.accepted, again.accepted)


# ---------------------------------------------------------------- events at sea, or just abroad
# (location, latitude, longitude, warning rule); Ukraine's land extent is countries.country("Ukraine").land.
AT_SEA = [
    ("Black Sea", "44.5", "33.0", "location_at_sea"),  # south of Crimea, inside the extent's box
    ("Sea of Azov", "46.0", "36.5", "location_at_sea"),
    ("Snake Island", "45.2550", "30.2040", "location_at_sea"),
    ("Zmiinyi Island", "45.2550", "30.2040", "location_at_sea"),
    ("Kerch Strait", "45.3000", "36.5000", "location_at_sea"),
    ("Black Sea", "43.2", "31.5", "coordinates_outside_land_extent"),  # open sea, south of the extent
    ("Odesa", "43.99", "30.7386", "coordinates_outside_land_extent"),  # just outside the extent
    ("Uzhhorod", "48.62", "21.95", "coordinates_outside_land_extent"),  # just across the western border
]


@pytest.mark.parametrize(("location", "lat", "lon", "rule"), AT_SEA)
def test_event_at_sea_is_kept_with_a_warning_and_no_settlement(tmp_path, location, lat, lon, rule):
    from analysis import places
    from conftest import acled_rows, to_csv_text

    rows = acled_rows(2)
    rows[1].update(location=location, latitude=lat, longitude=lon, admin1="")
    (tmp_path / "sea.csv").write_text(to_csv_text(rows), encoding="utf-8")
    result = ingest_file(tmp_path / "sea.csv", "sea.csv")
    assert (result.ledger.accepted, result.ledger.rejected, result.ledger.warned) == (2, 0, 1)
    warning = result.warnings.iloc[0]
    assert (warning["raw_line"], warning["rule"]) == (3, rule)
    assert warning["value"] == (location if rule == "location_at_sea" else f"{float(lat)},{float(lon)}")
    matched = places.match_places(result.accepted)
    assert matched["is_place_matched"].tolist() == [True, False]
    assert matched["place_match"].tolist() == ["name", "unmatched"]
    assert matched["settlement"].isna().tolist() == [False, True]


@pytest.mark.parametrize(("lat", "lon"), [
    ("37.5563", "48.7231"),  # Kramatorsk with latitude and longitude swapped: Iran
    ("0", "0"),
    ("-48.7231", "37.5563"),  # a stray minus sign
    ("40.7", "-74.0"),  # New York
    ("95", "37.5"),  # no latitude at all
])
def test_impossible_coordinates_are_still_rejected(tmp_path, lat, lon):
    from conftest import acled_rows, to_csv_text

    rows = acled_rows(2)
    rows[1].update(latitude=lat, longitude=lon)
    (tmp_path / "far.csv").write_text(to_csv_text(rows), encoding="utf-8")
    result = ingest_file(tmp_path / "far.csv", "far.csv")
    assert (result.ledger.accepted, result.ledger.rejected) == (1, 1)
    assert set(result.rejects["raw_line"]) == {3}
    assert result.rejects["rule"].iloc[0] in {"coordinates_outside_country", "latitude_out_of_range"}
    assert result.warnings.empty


def test_rows_of_other_countries_are_not_warned_about(tmp_path):
    from conftest import acled_rows, to_csv_text

    rows = acled_rows(1)
    rows[0].update(country="Russia", admin1="Belgorod", location="Belgorod", latitude="50.6", longitude="36.6")
    (tmp_path / "ru.csv").write_text(to_csv_text(rows), encoding="utf-8")
    result = ingest_file(tmp_path / "ru.csv", "ru.csv")
    assert (result.ledger.accepted, result.ledger.warned) == (1, 0)


def test_coordinates_are_the_file_s_values_latitude_and_longitude_not_swapped(sample, sample_events):
    """Every accepted row's latitude and longitude equal the raw file's, as numbers (a swap of the two
    would otherwise show only through the bounding box rejecting rows)."""
    raw = pd.read_csv(sample, dtype=str, keep_default_na=False).set_index("event_id_cnty")
    events = sample_events.accepted.set_index("source_event_id").loc[raw.index]
    assert len(events) == len(raw) == 690
    assert (events["latitude"].to_numpy() == raw["latitude"].astype(float).to_numpy()).all()
    assert (events["longitude"].to_numpy() == raw["longitude"].astype(float).to_numpy()).all()
    assert events.loc["UKR53103", ["latitude", "longitude"]].tolist() == \
        [float(raw.loc["UKR53103", "latitude"]), float(raw.loc["UKR53103", "longitude"])]
    assert events["latitude"].between(44, 53).all() and events["longitude"].between(22, 41).all()


# ---------------------------------------------------------------- day-first dates, hand-made
_DAY_FIRST = [
    # (as written, the day meant); days <= 12 are ambiguous and must be read day first
    ("15 July 2022", "2022-07-15"),
    ("3 July 2022", "2022-07-03"),
    ("03 July 2022", "2022-07-03"),
    ("14/08/2020 00:00:00", "2020-08-14"),
    ("03/04/2022 00:00:00", "2022-04-03"),  # 3 April, not 4 March
    ("12/01/2022 00:00:00", "2022-01-12"),  # 12 January, not 1 December
    ("01/12/2022", "2022-12-01"),  # 1 December, not 12 January
    ("05 Mar 2022", "2022-03-05"),
    ("06-Mar-22", "2022-03-06"),
    ("2022-03-07", "2022-03-07"),
]


def _acled_with_dates(export_tool: bool) -> list[dict]:
    from conftest import ACLED_ROW

    rows = []
    for i, (written, meant) in enumerate(_DAY_FIRST):
        row = {**ACLED_ROW, "event_id_cnty": f"UKR{7000 + i}", "event_date": written, "year": meant[:4]}
        if export_tool:
            row = {**{k: v for k, v in row.items() if k not in ("civilian_targeting", "disorder_type", "tags")},
                   "data_id": str(8000 + i), "event_id_no_cnty": str(7000 + i), "iso3": "UKR"}
        rows.append(row)
    return rows


@pytest.mark.parametrize("export_tool", [False, True], ids=["current layout", "Export Tool layout"])
def test_day_first_dates_in_every_written_style(write_csv, export_tool):
    path = write_csv(_acled_with_dates(export_tool))
    result = ingest_file(path, "dates.csv")
    assert result.ledger.variant.startswith("acled (Export Tool" if export_tool else "acled (current")
    assert (result.ledger.accepted, result.ledger.rejected) == (len(_DAY_FIRST), 0), result.rejects
    dates = result.accepted.set_index("source_event_id")["event_date"]
    for i, (written, meant) in enumerate(_DAY_FIRST):
        assert dates[f"UKR{7000 + i}"] == pd.Timestamp(meant), written
    assert (result.accepted["event_end_date"] == result.accepted["event_date"]).all()


@pytest.mark.parametrize("written, year", [("13/13/2022 00:00:00", "2022"), ("31/02/2022", "2022"),
                                           ("07/15/2022 00:00:00", "2022"), ("03/04/2022", "2021")])
def test_impossible_or_month_first_dates_are_rejected(write_csv, written, year):
    """A month-first date with a day > 12 (07/15) is not ACLED's day-first style; a year that
    disagrees with the date (03/04/2022 in 2021) shows a misreading."""
    from conftest import ACLED_ROW

    result = ingest_file(write_csv([{**ACLED_ROW, "event_date": written, "year": year}]), "bad.csv")
    assert (result.ledger.accepted, result.ledger.rejected) == (0, 1)
    assert result.rejects.loc[0, "rule"] in ("unparseable_date", "year_disagrees_with_date")
    assert result.rejects.loc[0, "column"] in ("event_date", "year")


def test_a_disagreeing_year_an_empty_time_precision_and_a_comma_longitude_are_rejected_with_their_messages(write_csv):
    """ACLED's ``year`` must be the year of ``event_date``; ``time_precision`` (1 day, 2 week, 3 month)
    is required: an empty one is an unknown code, not an event of unknown precision; each coordinate is named
    in its own rejection."""
    from conftest import ACLED_ROW

    rows = [{**ACLED_ROW, "event_id_cnty": "UKR1", "event_date": "2022-03-04", "year": "2021"},
            {**ACLED_ROW, "event_id_cnty": "UKR2", "time_precision": ""},
            {**ACLED_ROW, "event_id_cnty": "UKR3", "longitude": "37,55"}]  # a decimal comma
    result = ingest_file(write_csv(rows), "bad.csv")
    assert (result.ledger.accepted, result.ledger.rejected) == (0, 3)
    rejects = result.rejects.sort_values("raw_line")
    assert rejects[["raw_line", "column", "value", "rule", "message"]].values.tolist() == [
        [2, "year", "2021", "year_disagrees_with_date", "'year' differs from the year of 'event_date'"],
        [3, "time_precision", "", "unknown_code", "'time_precision' must be one of 1, 2, 3"],
        [4, "longitude", "37,55", "not_a_number", "'longitude' must be a decimal number or empty"]]


@pytest.mark.parametrize("notes, unknown", [
    ("Fatalities unknown.", True), ("Casualties are unknown.", True), ("casualties were unknown", True),
    ("An unknown number of casualties.", True), ("Unknown fatalities among the crew.", True),
    ("No casualties reported.", False), ("Unknown attackers shelled the village. 0 fatalities.", False),
    ("", False)])
def test_a_note_saying_the_toll_is_unknown_flags_the_row_and_keeps_its_zero(write_csv, notes, unknown):
    """ACLED writes 0 fatalities where the toll is unknown and says so in the notes: such a row is flagged
    (metrics never count its 0 as a known zero); the reader keeps the 0 as written."""
    from conftest import ACLED_ROW

    result = ingest_file(write_csv([{**ACLED_ROW, "fatalities": "0", "notes": notes}]), "notes.csv")
    row = result.accepted.iloc[0]
    assert (bool(row["is_casualties_unknown"]), row["fatalities"]) == (unknown, 0)


def test_civilian_targeting_is_read_from_its_column_and_unknown_without_one(write_csv):
    """ACLED marks an event that targeted civilians with "Civilian targeting" (any case or padding); the
    Export Tool layout has no such column, so there the flag is unknown (missing), never False."""
    from conftest import ACLED_ROW

    rows = [{**ACLED_ROW, "event_id_cnty": f"UKR{i}", "civilian_targeting": value}
            for i, value in enumerate(["Civilian targeting", "  civilian TARGETING ", ""])]
    flags = ingest_file(write_csv(rows), "current.csv").accepted.set_index("source_event_id")["is_civilian_targeting"]
    assert flags.astype(object).to_dict() == {"UKR0": True, "UKR1": True, "UKR2": False}
    export_tool = [{**{k: v for k, v in row.items() if k not in ("civilian_targeting", "disorder_type", "tags")},
                    "data_id": "1", "event_id_no_cnty": "1", "iso3": "UKR"} for row in rows[:1]]
    result = ingest_file(write_csv(export_tool, "export.csv"), "export.csv")
    assert result.ledger.accepted == 1 and result.accepted["is_civilian_targeting"].isna().all()


def test_an_is_synthetic_column_is_read_and_a_value_not_boolean_rejected(write_csv):
    from conftest import ACLED_ROW

    rows = [{**ACLED_ROW, "event_id_cnty": f"UKR{i}", "is_synthetic": value} for i, value in enumerate(["true", "0", "maybe"])]
    result = ingest_file(write_csv(rows), "synthetic.csv")
    assert result.accepted.set_index("source_event_id")["is_synthetic"].to_dict() == {"UKR0": True, "UKR1": False}
    assert result.rejects[["raw_line", "column", "value", "rule", "message"]].values.tolist() == [
        [4, "is_synthetic", "maybe", "not_a_boolean", "'is_synthetic' must be one of true, 1, yes, y, t / false, 0, no, n, f"]]


@pytest.mark.parametrize("columns, name", [
    ({"civilian_targeting"}, "acled (current layout)"), ({"disorder_type"}, "acled (current layout)"),
    ({"data_id"}, "acled (Export Tool layout, before March 2023)"),
    ({"event_id_no_cnty"}, "acled (Export Tool layout, before March 2023)"), (set(), "acled")])
def test_the_layout_variant_is_named_by_any_one_of_its_columns(columns, name):
    from analysis.sources.acled import variant

    assert variant({"event_id_cnty", "event_date", *columns}) == name


def test_na_written_by_r_in_a_required_column_is_an_empty_required_value(write_csv):
    """R's ``write.csv`` writes a missing value as NA: in a required column that is a missing value, rejected
    as such, and in an optional one simply empty."""
    from conftest import ACLED_ROW

    rows = [{**ACLED_ROW, "event_id_cnty": "UKR1", "country": "NA"}, {**ACLED_ROW, "event_id_cnty": "UKR2", "actor1": "NA"}]
    result = ingest_file(write_csv(rows), "r.csv")
    assert result.rejects[["raw_line", "column", "value", "rule", "message"]].values.tolist() == [
        [2, "country", "", "required_value_missing", "'country' is required but empty"]]
    assert result.accepted["source_event_id"].tolist() == ["UKR2"] and result.accepted["actor1"].isna().all()
