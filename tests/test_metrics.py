"""Metrics: hand-computed expectations on small frames, and the bundled seed events."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from analysis import metrics
from analysis.metrics import provenance
from analysis.errors import ParameterError
from conftest import events_frame, per_test_under_mutmut

D = pd.Timestamp


@pytest.fixture
def events():
    # 1 to 10 March 2023; attacks on the 1st (2), 3rd (1), 6th (3, one month-precision), 10th (1);
    # one protest (not an attack) on the 2nd.
    return events_frame([
        {"event_date": D("2023-03-01"), "fatalities": 0},
        {"event_date": D("2023-03-01"), "event_type": "Battles", "sub_event_type": "Armed clash", "fatalities": 3},
        {"event_date": D("2023-03-02"), "event_type": "Protests", "sub_event_type": "Peaceful protest",
         "is_attack": False, "fatalities": 0},
        {"event_date": D("2023-03-03"), "fatalities": 1, "civilians_killed": 1},
        {"event_date": D("2023-03-06"), "fatalities": 2, "admin1": "Kharkiv", "settlement": "Kharkiv",
         "location": "Kharkiv", "geonameid": 706483},
        {"event_date": D("2023-03-06"), "event_type": "Battles", "sub_event_type": "Armed clash"},
        {"event_date": D("2023-03-06"), "date_precision": "month", "source_dataset": "ucdp_ged",
         "event_type": None, "sub_event_type": None, "event_id": "ucdp_ged:1"},
        {"event_date": D("2023-03-10"), "fatalities": 0, "is_casualties_unknown": True},
    ])


def test_attacks_per_day_zero_fills_days_without_attacks(events):
    daily = metrics.attacks_per_day(events)
    assert daily["event_date"].tolist() == list(pd.date_range("2023-03-01", "2023-03-10"))
    assert daily["attacks"].tolist() == [2, 0, 1, 0, 0, 3, 0, 0, 0, 1]
    assert daily["attacks_imprecise_date"].tolist() == [0, 0, 0, 0, 0, 1, 0, 0, 0, 0]


def test_attacks_per_day_by_group_is_long_and_complete(events):
    daily = metrics.attacks_per_day(events, start="2023-03-01", end="2023-03-06", by="event_type")
    assert len(daily) == 6 * 3  # 6 days x (Battles, Explosions/Remote violence, not given)
    table = daily.pivot(index="event_date", columns="event_type", values="attacks")
    assert table["Battles"].tolist() == [1, 0, 0, 0, 0, 1]
    assert table["Explosions/Remote violence"].tolist() == [1, 0, 1, 0, 0, 1]
    assert table[metrics.UNKNOWN_GROUP].tolist() == [0, 0, 0, 0, 0, 1]


def test_rolling_mean_uses_earlier_days_inside_the_coverage(events):
    daily = metrics.attacks_per_day(events, start="2023-03-03", end="2023-03-07", rolling=3)
    # counts 1..7 March: 2,0,1,0,0,3,0 -> 3-day means ending 3..7 March
    assert daily["attacks_rolling_mean"].round(4).tolist() == [1.0, round(1 / 3, 4), round(1 / 3, 4), 1.0, 1.0]
    at_start = metrics.attacks_per_day(events, rolling=3)
    assert at_start["attacks_rolling_mean"].isna().tolist()[:3] == [True, True, False]


def test_dates_outside_the_coverage_are_an_error_not_zeros(events):
    with pytest.raises(ParameterError, match="outside the events' coverage"):
        metrics.attacks_per_day(events, start="2023-02-25")
    with pytest.raises(ParameterError, match="before start"):
        metrics.attacks_per_day(events, start="2023-03-05", end="2023-03-02")
    with pytest.raises(ParameterError, match="not a date"):
        metrics.attacks_per_day(events, start="March")
    with pytest.raises(ParameterError, match="break down"):
        metrics.attacks_per_day(events, by="colour")


def test_unknown_casualties_stay_unknown_in_civilian_harm():
    events = events_frame([
        {"event_date": D("2023-03-01"), "civilians_killed": 2, "civilians_injured": 5},
        {"event_date": D("2023-03-02"), "is_civilian_targeting": True},  # numbers unknown
        {"event_date": D("2023-03-03"), "civilians_killed": 0, "civilians_injured": 1},
        {"event_date": D("2023-03-04"), "location": "Sloviansk", "settlement": "Slov'yans'k", "geonameid": 696643,
         "is_civilian_targeting": True},
        {"event_date": D("2023-03-05"), "fatalities": 4},  # no civilian harm: not an incident
    ])
    table = metrics.civilian_harm_by_city(events).set_index("settlement")
    kramatorsk = table.loc["Kramatorsk"]
    assert (kramatorsk["incidents"], kramatorsk["civilians_killed"], kramatorsk["civilians_injured"]) == (3, 2, 6)
    assert (kramatorsk["incidents_killed_unknown"], kramatorsk["incidents_injured_unknown"]) == (1, 1)
    assert (kramatorsk["first_date"], kramatorsk["last_date"]) == (D("2023-03-01"), D("2023-03-03"))
    sloviansk = table.loc["Slov'yans'k"]
    assert pd.isna(sloviansk["civilians_killed"]) and sloviansk["incidents_killed_unknown"] == 1  # not 0
    assert list(table.index) == ["Kramatorsk", "Slov'yans'k"]  # unknown toll sorts last


def test_unmatched_places_are_kept_under_their_written_name():
    events = events_frame([{"event_date": D("2023-03-01"), "civilians_killed": 1, "location": "Mine 6/7",
                            "settlement": None, "geonameid": None, "is_place_matched": False,
                            "place_match": "unmatched"}])
    row = metrics.civilian_harm_by_city(events).iloc[0]
    assert row["settlement"] == "Mine 6/7" and not row["is_place_matched"]


def test_period_change_arithmetic(events):
    table = metrics.compare_periods(events, ("2023-03-06", "2023-03-10"), ("2023-03-01", "2023-03-05"))
    row = table.iloc[0]
    assert (row["current_value"], row["previous_value"], row["absolute_change"]) == (4, 3, 1)
    assert row["relative_change"] == pytest.approx(1 / 3)
    fatalities = metrics.compare_periods(events, ("2023-03-06", "2023-03-10"), ("2023-03-01", "2023-03-05"),
                                         metric="fatalities").iloc[0]
    assert (fatalities["current_value"], fatalities["previous_value"]) == (2, 4)
    assert fatalities["relative_change"] == pytest.approx(-0.5)


def test_period_change_from_zero_has_no_percentage(events):
    row = metrics.compare_periods(events, ("2023-03-06", "2023-03-06"), ("2023-03-04", "2023-03-05")).iloc[0]
    assert (row["current_value"], row["previous_value"], row["absolute_change"]) == (3, 0, 3)
    assert pd.isna(row["relative_change"])


def test_week_on_week_and_month_on_year():
    events = events_frame([{"event_date": d} for d in
                           ["2022-03-01", "2022-03-20", "2023-03-01", "2023-03-02", "2023-03-09", "2023-03-31"]])
    week = metrics.week_on_week(events, end="2023-03-14").iloc[0]
    assert (week["current_start_date"], week["current_end_date"]) == (D("2023-03-08"), D("2023-03-14"))
    assert (week["previous_start_date"], week["previous_end_date"]) == (D("2023-03-01"), D("2023-03-07"))
    assert (week["current_value"], week["previous_value"]) == (1, 2)
    month = metrics.month_on_year(events, "2023-03").iloc[0]
    assert (month["current_value"], month["previous_value"], month["absolute_change"]) == (4, 2, 2)
    assert month["relative_change"] == pytest.approx(1.0)
    by_oblast = events_frame([{"event_date": d, "admin1": a} for d, a in [
        ("2022-03-01", "Donetsk"), ("2022-03-20", "Kharkiv"), ("2023-03-01", "Donetsk"), ("2023-03-02", "Donetsk"),
        ("2023-03-09", "Kharkiv"), ("2023-03-31", "Donetsk")]])
    split = metrics.month_on_year(by_oblast, "2023-03", by="admin1")
    assert split[["admin1", "current_value", "previous_value", "absolute_change"]].values.tolist() == [
        ["Donetsk", 3, 1, 2], ["Kharkiv", 1, 1, 0]]
    assert (split["previous_start_date"].iloc[0], split["previous_end_date"].iloc[0]) == (D("2022-03-01"), D("2022-03-31"))
    with pytest.raises(ParameterError, match="coverage"):
        metrics.month_on_year(events, "2022-03")  # March 2021 is not covered
    with pytest.raises(ParameterError, match="not a month"):
        metrics.month_on_year(events, "March")


@pytest.mark.parametrize("month", ["2023-13", "2023-00", "0000-01"])
def test_a_month_that_does_not_exist_is_refused_as_not_a_month(month):
    # shaped YYYY-MM but no month: refused like "March", not with pandas' own error
    events = events_frame([{"event_date": "2023-03-01"}])
    with pytest.raises(ParameterError, match=rf"^month='{month}' is not a month; write it as YYYY-MM$"):
        metrics.month_on_year(events, month)


def test_monthly_summary_by_type_and_oblast(events):
    summary = metrics.summarise_events(events, freq="month", by=("event_type", "admin1"))
    by = summary.set_index(["event_type", "admin1"])
    assert by.loc[("Explosions/Remote violence", "Donetsk"), "events"] == 3
    assert by.loc[("Explosions/Remote violence", "Kharkiv"), "fatalities"] == 2
    assert by.loc[("Battles", "Kharkiv"), "events"] == 0  # zero-filled grid
    assert summary["events"].sum() == len(events) and summary["attacks"].sum() == 7
    weekly = metrics.summarise_events(events, freq="week", by=None)
    assert weekly["period_start_date"].tolist() == [D("2023-02-27"), D("2023-03-06")]
    assert weekly["events"].tolist() == [4, 4]
    assert weekly["events_fatalities_unknown"].tolist() == [0, 3]  # two missing numbers + one 'unknown'


def test_results_carry_provenance(events):
    daily = metrics.attacks_per_day(events)
    prov = provenance.get(daily)
    assert prov.sources == ("ACLED", "UCDP GED") and prov.last_date == "2023-03-10" and not prov.is_synthetic
    assert prov.source_line() == "Source: ACLED; UCDP GED. Events to 10 Mar 2023."


# ---------------------------------------------------------------- bundled seed events
@pytest.fixture(scope=per_test_under_mutmut)
def seed_events(tmp_path_factory):
    import shutil

    from analysis import config
    from analysis.build import build

    raw = tmp_path_factory.mktemp("raw")
    for path in (config.PROJECT_DIR / "data" / "raw").glob("*_rferl_*.csv"):
        shutil.copy(path, raw)
    out = tmp_path_factory.mktemp("processed")
    build(raw, out)
    return pd.read_parquet(out / "events.parquet")


def test_seed_kramatorsk_strike_on_14_march_2023(seed_events):
    table = metrics.civilian_harm_by_city(seed_events, start="2023-03-14", end="2023-03-14").set_index("settlement")
    assert (table.loc["Kramatorsk", "civilians_killed"], table.loc["Kramatorsk", "civilians_injured"]) == (1, 3)
    assert table.loc["Kramatorsk", "incidents"] == 1


def test_seed_kramatorsk_railway_station_strike(seed_events):
    incidents = metrics.civilian_harm_incidents(seed_events, start="2022-04-08", end="2022-04-08")
    assert incidents["civilians_killed"].tolist() == [58]
    assert incidents["settlement"].tolist() == ["Kramatorsk"]
    assert pd.isna(incidents.loc[0, "civilians_injured"])  # not given in the report, so unknown


@settings(max_examples=25, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 4), st.sampled_from(["b", "a", "A", "é", "z1", "z10", "z2", "ß"]),
                               st.sampled_from([None, 0, 1, 3]), st.sampled_from([None, True, False]),
                               st.sampled_from([None, "Donetsk", "Kharkiv"])), min_size=1, max_size=25),
       admin1=st.sampled_from([None, "Donetsk"]))
def test_civilian_harm_incidents_are_the_harm_rows_in_date_then_id_order(rows, admin1):
    events = events_frame([{"event_date": pd.Timestamp("2023-03-01") + pd.Timedelta(days=d), "event_id": f"acled:{i}-{n}",
                            "civilians_killed": k, "is_civilian_targeting": t, "admin1": a, "raw_line": n + 2}
                           for n, (d, i, k, t, a) in enumerate(rows)])
    expected = events[events["is_civilian_targeting"].fillna(False).astype(bool) | events["civilians_killed"].gt(0)
                      .fillna(False)]
    if admin1 is not None:
        expected = expected[expected["admin1"] == admin1]
    expected = expected.sort_values(["event_date", "event_id"], kind="stable").reset_index(drop=True)
    found = metrics.civilian_harm_incidents(events, admin1=admin1)
    pd.testing.assert_frame_equal(found, expected)


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.fixed_dictionaries({
    "day": st.integers(0, 4), "settlement": st.sampled_from([None, "Kramatorsk", "ß"]),
    "location": st.sampled_from([None, "Kramatorsk", "b"]),  # few values, so that groups tie on every sort key
    "admin1": st.sampled_from([None, "Donetsk", "Kharkiv"]), "geonameid": st.sampled_from([None, 1, 704508]),
    "is_place_matched": st.booleans(), "killed": st.sampled_from([None, 0, 1, 3]),
    "injured": st.sampled_from([None, 0, 2]), "targeting": st.sampled_from([None, True, False]),
    "dataset": st.sampled_from(["acled", "ucdp_ged"])}), min_size=1, max_size=30),
    period=st.tuples(st.integers(0, 4), st.integers(0, 4)))
@example(rows=[{"day": 0, "settlement": "ß", "location": None, "admin1": "Donetsk", "geonameid": 1,
                "is_place_matched": matched, "killed": None, "injured": None, "targeting": True, "dataset": "acled"}
               for matched in (False, True)], period=(0, 4))  # groups that differ only in is_place_matched
def test_civilian_harm_by_city_is_the_plain_group_by_of_the_harm_rows(rows, period):
    events = events_frame([{"event_date": D("2023-03-01") + pd.Timedelta(days=r["day"]), "settlement": r["settlement"],
                            "location": r["location"], "admin1": r["admin1"], "geonameid": r["geonameid"],
                            "is_place_matched": r["is_place_matched"], "civilians_killed": r["killed"],
                            "civilians_injured": r["injured"], "is_civilian_targeting": r["targeting"],
                            "source_dataset": r["dataset"]} for r in rows])
    start, end = (D("2023-03-01") + pd.Timedelta(days=d) for d in sorted(period))
    start, end = max(start, events["event_date"].min()), min(end, events["event_date"].max())
    if end < start:
        return
    harm = events[(events["is_civilian_targeting"].fillna(False) | events["civilians_killed"].gt(0).fillna(False)
                   | events["civilians_injured"].gt(0).fillna(False)) & events["event_date"].between(start, end)]
    place = harm["settlement"].fillna(harm["location"]).fillna("(no place given)")
    groups = harm.assign(place=place).groupby(["place", "admin1", "geonameid", "is_place_matched"], dropna=False)
    expected = pd.DataFrame({
        "incidents": groups.size(),
        "civilians_killed": groups["civilians_killed"].sum(min_count=1),
        "civilians_injured": groups["civilians_injured"].sum(min_count=1),
        "incidents_killed_unknown": groups["civilians_killed"].agg(lambda v: v.isna().sum()),
        "incidents_injured_unknown": groups["civilians_injured"].agg(lambda v: v.isna().sum()),
        "first_date": groups["event_date"].min(), "last_date": groups["event_date"].max(),
    }).reset_index().rename(columns={"place": "settlement"})
    expected = expected.sort_values(["civilians_killed", "incidents", "settlement", "admin1", "geonameid",
                                     "is_place_matched"], ascending=[False, False, True, True, True, False],
                                    na_position="last").reset_index(drop=True)
    found = metrics.civilian_harm_by_city(events, start=start, end=end)
    narrow = metrics.civilian_harm_by_city(events[metrics.CIVILIAN_HARM_BY_CITY_COLUMNS], start=start, end=end)
    pd.testing.assert_frame_equal(narrow, found)  # the documented columns are all it needs
    assert len(found) == len(expected) and found["incidents"].sum() == len(harm)
    for column in expected.columns:
        assert found[column].astype(object).where(found[column].notna(), None).tolist() == \
            expected[column].astype(object).where(expected[column].notna(), None).tolist(), column
    sources = provenance.get(found).sources if len(harm) else ()
    assert set(sources) == {{"acled": "ACLED", "ucdp_ged": "UCDP GED"}[d] for d in harm["source_dataset"]}


# ---------------------------------------------------------------- small helpers, pinned (mutation testing found them untested)
def test_events_in_matches_settlement_or_location_and_oblast():
    events = events_frame([
        {"event_date": D("2023-03-01")},  # Kramatorsk, Donetsk
        {"event_date": D("2023-03-01"), "settlement": None, "location": "Kramatorsk", "admin1": None},
        {"event_date": D("2023-03-01"), "settlement": "Bakhmut", "location": "Artemivsk"},
        {"event_date": D("2023-03-01"), "settlement": "Kharkiv", "location": "Kharkiv", "admin1": "Kharkiv"},
    ])
    assert metrics.events_in(events, city="Kramatorsk")["event_id"].tolist() == ["acled:T0", "acled:T1"]
    assert metrics.events_in(events, city="Artemivsk")["event_id"].tolist() == ["acled:T2"]
    assert metrics.events_in(events, oblast="Donetsk")["event_id"].tolist() == ["acled:T0", "acled:T2"]
    assert metrics.events_in(events, city="Kramatorsk", oblast="Donetsk")["event_id"].tolist() == ["acled:T0"]
    assert len(metrics.events_in(events, city="", oblast="")) == 4 and len(metrics.events_in(events)) == 4


def test_events_in_on_duckdb_where_a_missing_name_is_null(tmp_path):
    """On DuckDB a missing settlement, location or oblast is NULL, not a text that differs: a row is in a place
    only when one of its names is that place (pandas compares a missing name as unequal)."""
    from analysis.metrics import engines

    events = events_frame([
        {"event_date": D("2023-03-01")},  # Kramatorsk, Donetsk
        {"event_date": D("2023-03-01"), "settlement": None, "location": "Kramatorsk", "admin1": None},
        {"event_date": D("2023-03-01"), "settlement": "Bakhmut", "location": None},
        {"event_date": D("2023-03-01"), "settlement": None, "location": None, "admin1": None},
    ])
    path = tmp_path / "events.parquet"
    events.to_parquet(path, index=False)
    lazy = engines.scan(path, "duckdb")
    found = {(city, oblast): metrics.events_between(metrics.events_in(lazy, city=city, oblast=oblast),
                                                    "2023-03-01", "2023-03-01")["event_id"].tolist()
             for city, oblast in (("Kramatorsk", None), ("Bakhmut", None), ("Lyman", None), (None, "Donetsk"),
                                  ("Kramatorsk", "Donetsk"))}
    assert found == {("Kramatorsk", None): ["acled:T0", "acled:T1"], ("Bakhmut", None): ["acled:T2"],
                     ("Lyman", None): [], (None, "Donetsk"): ["acled:T0", "acled:T2"],
                     ("Kramatorsk", "Donetsk"): ["acled:T0"]}
    for (city, oblast), ids in found.items():
        assert metrics.events_in(events, city=city, oblast=oblast)["event_id"].tolist() == ids
    harm = events.assign(is_civilian_targeting=True)
    harm.to_parquet(path, index=False)
    for lazy in (harm, engines.scan(path, "duckdb")):  # an incident without an oblast is in no oblast
        assert metrics.civilian_harm_incidents(lazy, admin1="Donetsk")["event_id"].tolist() == ["acled:T0", "acled:T2"]


def test_windows_periods_and_days():
    assert metrics.window("2023-03-14", 7) == (D("2023-03-08"), D("2023-03-14"))
    assert metrics.window(D("2023-03-14 15:30"), 1) == (D("2023-03-14"), D("2023-03-14"))
    assert metrics.previous_period("2023-03-01", "2023-03-31") == (D("2023-01-29"), D("2023-02-28"))
    assert metrics.previous_period("2023-03-10", "2023-03-10") == (D("2023-03-09"), D("2023-03-09"))
    import datetime

    assert metrics._day(" 2023-03-14 ", "x") == D("2023-03-14") == metrics._day(datetime.date(2023, 3, 14), "x")
    for bad in ("14/03/2023", "2023-03", "March", "2023-02-30", 1.5j):
        with pytest.raises(ParameterError, match=r"^x=.* is not a date; write it as YYYY-MM-DD$"):
            metrics._day(bad, "x")


def test_coverage_of_an_empty_table_is_an_error_and_a_recorded_coverage_wins(events):
    with pytest.raises(ParameterError, match="no events"):
        metrics.coverage(events.iloc[0:0])
    assert metrics.coverage(events) == (D("2023-03-01"), D("2023-03-10"))
    recorded = metrics.with_coverage(events.copy())
    assert recorded.attrs[metrics.COVERAGE_KEY] == ["2023-03-01", "2023-03-10"]
    late = recorded[recorded["event_date"] >= D("2023-03-06")]
    assert metrics.coverage(late) == (D("2023-03-01"), D("2023-03-10"))  # the view keeps the table's
    assert metrics.with_coverage(events.iloc[0:0].copy()).attrs.get(metrics.COVERAGE_KEY) is None
    no_end = events.drop(columns="event_end_date")
    assert metrics.coverage(no_end) == (D("2023-03-01"), D("2023-03-10"))


def test_period_errors_name_the_dates_and_the_coverage(events):
    with pytest.raises(ParameterError, match=r"^2023-02-28\.\.2023-03-02 lies outside the events' coverage "
                                             r"\(2023-03-01\.\.2023-03-10\); outside it there is no data, not zero$"):
        metrics.attacks_per_day(events, start="2023-02-28", end="2023-03-02")
    with pytest.raises(ParameterError, match=r"^end 2023-03-02 is before start 2023-03-05$"):
        metrics.attacks_per_day(events, start="2023-03-05", end="2023-03-02")
    assert len(metrics.attacks_per_day(events, start="2023-03-10", end="2023-03-10")) == 1  # both ends included
    assert len(metrics.attacks_per_day(events, start="2023-03-01", end="2023-03-01")) == 1


@pytest.mark.parametrize("rolling", [0, -1, 1.5, "7"])
def test_rolling_must_be_a_whole_number_of_days(events, rolling):
    with pytest.raises(ParameterError, match=r"rolling=.* must be a whole number of days >= 1"):
        metrics.attacks_per_day(events, rolling=rolling)


def test_rolling_by_group_and_a_rolling_of_one_day(events):
    daily = metrics.attacks_per_day(events, start="2023-03-02", end="2023-03-06", by="event_type", rolling=2)
    battles = daily[daily["event_type"] == "Battles"]
    assert battles["attacks"].tolist() == [0, 0, 0, 0, 1]
    assert battles["attacks_rolling_mean"].tolist() == [0.5, 0.0, 0.0, 0.0, 0.5]  # 1 March's battle counts
    assert daily.attrs["rolling_days"] == 2 and metrics.attacks_per_day(events).attrs["rolling_days"] is None
    one = metrics.attacks_per_day(events, rolling=1)
    assert one["attacks_rolling_mean"].tolist() == one["attacks"].astype(float).tolist()


def test_groups_are_sorted_by_name_with_missing_values_named(events):
    daily = metrics.attacks_per_day(events, by="source_dataset")
    assert daily["source_dataset"].unique().tolist() == ["acled", "ucdp_ged"]
    assert daily["event_date"].tolist()[:2] == [D("2023-03-01"), D("2023-03-02")]
    by_type = metrics.attacks_per_day(events, by="event_type")
    assert by_type["event_type"].unique().tolist() == ["(not given)", "Battles", "Explosions/Remote violence"]
    with pytest.raises(ParameterError, match="cannot break down by 'colour'; choose one of: event_type, "):
        metrics.summarise_events(events, by=("colour",))


def test_attacks_per_day_provenance_is_of_the_attacks_counted():
    events = events_frame([
        {"event_date": D("2023-03-01"), "is_attack": False, "event_type": "Protests",
         "sub_event_type": "Peaceful protest", "source_dataset": "news", "is_synthetic": True},
        {"event_date": D("2023-03-02"), "event_end_date": D("2023-03-03"), "source_dataset": "ucdp_ged",
         "event_type": None, "sub_event_type": None},
        {"event_date": D("2023-03-05")},
    ])
    prov = provenance.get(metrics.attacks_per_day(events, start="2023-03-01", end="2023-03-03"))
    assert (prov.sources, prov.first_date, prov.last_date, prov.is_synthetic) == \
        (("UCDP GED",), "2023-03-02", "2023-03-03", False)  # the protest is not an attack; 5 March is outside
    none = provenance.get(metrics.attacks_per_day(events, start="2023-03-04", end="2023-03-04"))
    assert (none.sources, none.last_date, none.is_synthetic) == ((), None, False)


def test_compare_periods_by_group_and_every_metric(events):
    table = metrics.compare_periods(events, ("2023-03-06", "2023-03-10"), ("2023-03-01", "2023-03-05"),
                                    metric="events", by="admin1").set_index("admin1")
    assert table.loc["Donetsk", ["current_value", "previous_value"]].tolist() == [3, 4]
    assert table.loc["Kharkiv", ["current_value", "previous_value", "absolute_change"]].tolist() == [1, 0, 1]
    assert pd.isna(table.loc["Kharkiv", "relative_change"])
    assert table["metric"].unique().tolist() == ["events"]
    killed = metrics.compare_periods(events, ("2023-03-01", "2023-03-05"), ("2023-03-06", "2023-03-10"),
                                     metric="civilians_killed").iloc[0]
    # 6-10 Mar has four events and none gives a civilian toll: unknown, never 0
    assert killed["current_value"] == 1 and pd.isna(killed["previous_value"]) and pd.isna(killed["absolute_change"])
    with pytest.raises(ParameterError, match="cannot compare 'deaths'; choose one of: attacks, events"):
        metrics.compare_periods(events, ("2023-03-06", "2023-03-10"), ("2023-03-01", "2023-03-05"), metric="deaths")
    prov = provenance.get(metrics.compare_periods(events, ("2023-03-06", "2023-03-06"), ("2023-03-05", "2023-03-05")))
    assert prov.first_date == "2023-03-06" and prov.last_date == "2023-03-06"


def test_week_on_week_defaults_to_the_last_day_of_data(events):
    with pytest.raises(ParameterError, match="2023-02-25..2023-03-03 lies outside"):  # 10 days: no previous week
        metrics.week_on_week(events)
    longer = events_frame([{"event_date": D("2023-02-25")}, {"event_date": D("2023-03-01")},
                           {"event_date": D("2023-03-04")}, {"event_date": D("2023-03-10")}])
    week = metrics.week_on_week(longer).iloc[0]
    assert (week["current_start_date"], week["current_end_date"]) == (D("2023-03-04"), D("2023-03-10"))
    assert (week["current_value"], week["previous_value"]) == (2, 2)


def test_air_attacks_refuse_other_breakdowns(counts_for_air):
    with pytest.raises(ParameterError, match="'weapon_category' or not at all"):
        metrics.air_attacks_per_day(counts_for_air, by="weapon_model")


@pytest.fixture
def counts_for_air():
    from test_air_metrics import _counts

    return _counts([{"count_date": D("2024-05-01"), "metric": "launched", "value": 3, "weapon_model": "X",
                     "weapon_category": "drone", "raw_line": 2}])


def test_reported_claims_filter_by_day_and_metric():
    from test_air_metrics import _counts

    base = {"is_reported_claim": True, "source_dataset": "reported_claim", "claimant": "General Staff",
            "source_name": "RFE/RL"}
    counts = _counts([
        {**base, "count_date": D("2023-03-15"), "metric": "attacks_repelled", "value": 90, "raw_line": 3},
        {**base, "count_date": D("2023-03-14"), "metric": "drones_downed", "value": 5, "raw_line": 4},
        {**base, "count_date": D("2023-03-14"), "metric": "attacks_repelled", "value": 102, "raw_line": 2},
        {"count_date": D("2023-03-14"), "metric": "launched", "value": 7, "weapon_model": "X",
         "weapon_category": "drone", "raw_line": 5},  # an air-force count, not a claim
    ])
    every = metrics.reported_claims(counts)
    assert every[["count_date", "metric", "value"]].values.tolist() == [
        [D("2023-03-14"), "attacks_repelled", 102], [D("2023-03-14"), "drones_downed", 5],
        [D("2023-03-15"), "attacks_repelled", 90]]
    assert metrics.reported_claims(counts, start="2023-03-15")["value"].tolist() == [90]
    assert metrics.reported_claims(counts, end="2023-03-14")["value"].tolist() == [102, 5]
    assert metrics.reported_claims(counts, metric="attacks_repelled")["value"].tolist() == [102, 90]
    assert metrics.reported_claims(counts, start="2023-03-15", metric="attacks_repelled")["value"].tolist() == [90]
    assert metrics.reported_claims(counts, end="2023-03-14", metric="attacks_repelled")["value"].tolist() == [102]
    assert metrics.reported_claims(counts, metric="launched").empty  # the air-force count is no claim
    prov = provenance.get(every)
    assert (prov.sources, prov.first_date, prov.last_date, prov.kind) == \
        (("official statements (hand-coded)",), "2023-03-14", "2023-03-15", "Claims")


def test_reported_claims_name_the_bad_date_in_their_refusal():
    # the parameter named is the one that is wrong (third mutation run: reported_claims 9, 12, 13, 19, 22, 23)
    from test_air_metrics import _counts

    counts = _counts([{"is_reported_claim": True, "source_dataset": "reported_claim", "claimant": "General Staff",
                       "source_name": "RFE/RL", "count_date": D("2023-03-14"), "metric": "attacks_repelled",
                       "value": 102, "raw_line": 2}])
    with pytest.raises(ParameterError, match=r"^start='March' is not a date; write it as YYYY-MM-DD$"):
        metrics.reported_claims(counts, start="March")
    with pytest.raises(ParameterError, match=r"^end='2023-02-30' is not a date; write it as YYYY-MM-DD$"):
        metrics.reported_claims(counts, end="2023-02-30")
