"""Hand-computed cases for the metric paths the mutation run found unpinned (docs/mutation.md).

Each case is small enough to check by hand; the comment above each assertion
shows the arithmetic.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import metrics
from analysis.errors import ParameterError
from analysis.metrics import provenance
from conftest import events_frame
from test_air_metrics import _counts

D = pd.Timestamp


@pytest.fixture
def events():
    # 1 Mar Donetsk 2 killed; 2 Mar no region 1 killed; 9 Mar Kharkiv toll unknown; 14 Mar Donetsk 0 killed.
    return events_frame([
        {"event_date": D("2023-03-01"), "fatalities": 2, "admin1": "Donetsk"},
        {"event_date": D("2023-03-02"), "fatalities": 1, "admin1": None},
        {"event_date": D("2023-03-09"), "fatalities": None, "is_casualties_unknown": True, "admin1": "Kharkiv"},
        {"event_date": D("2023-03-14"), "fatalities": 0, "admin1": "Donetsk"},
    ])


def test_the_rolling_mean_runs_within_each_group(events):
    daily = metrics.attacks_per_day(events, start="2023-03-02", end="2023-03-04", by="admin1", rolling=2)
    table = daily.set_index(["admin1", "event_date"])["attacks_rolling_mean"]
    # (not given): 0 on 1 Mar, 1 on 2 Mar, 0 after -> means (0+1)/2, (1+0)/2, 0
    assert table.loc["(not given)"].tolist() == [0.5, 0.5, 0.0]
    # Donetsk: 1 on 1 Mar, 0 after -> (1+0)/2, 0, 0; a mean across groups would mix in the other group's day
    assert table.loc["Donetsk"].tolist() == [0.5, 0.0, 0.0]
    assert daily["attacks"].tolist() == [1, 0, 0, 0, 0, 0]
    # from the first day of the coverage, each group's first day has no 2-day mean: a window must never
    # reach back into the previous group's days
    at_start = metrics.attacks_per_day(events, end="2023-03-02", by="admin1", rolling=2)
    means = at_start.set_index(["admin1", "event_date"])["attacks_rolling_mean"]
    assert means.isna().tolist() == [True, False, True, False]
    assert means.loc["Donetsk"].tolist()[1] == 0.5 and means.loc["(not given)"].tolist()[1] == 0.5


def test_a_period_whose_tolls_are_all_unknown_has_an_unknown_total_not_zero(events):
    # current 8-14 Mar: Kharkiv unknown + Donetsk 0 -> 0 (one event gives a number); previous 1-7 Mar: 2 + 1
    whole = metrics.compare_periods(events, ("2023-03-08", "2023-03-14"), ("2023-03-01", "2023-03-07"),
                                    "fatalities").iloc[0]
    assert (whole["current_value"], whole["previous_value"], whole["absolute_change"]) == (0, 3, -3)
    # 9 Mar alone: one event, toll unknown -> unknown; 8 Mar: no event at all -> 0
    alone = metrics.compare_periods(events, ("2023-03-09", "2023-03-09"), ("2023-03-08", "2023-03-08"),
                                    "fatalities").iloc[0]
    assert pd.isna(alone["current_value"]) and alone["previous_value"] == 0
    assert pd.isna(alone["absolute_change"]) and pd.isna(alone["relative_change"])


def test_period_comparison_by_group_names_the_missing_group_and_keeps_unknowns(events):
    table = metrics.compare_periods(events, ("2023-03-08", "2023-03-14"), ("2023-03-01", "2023-03-07"),
                                    "fatalities", by="admin1").set_index("admin1")
    assert table.index.tolist() == ["Donetsk", "Kharkiv", "(not given)"]
    assert table.loc["Donetsk", ["current_value", "previous_value", "absolute_change"]].tolist() == [0, 2, -2]
    assert table.loc["(not given)", ["current_value", "previous_value"]].tolist() == [0, 1]
    # Kharkiv: no event in the previous week (0), one with an unknown toll in the current one (unknown)
    assert pd.isna(table.loc["Kharkiv", "current_value"]) and table.loc["Kharkiv", "previous_value"] == 0
    assert table.loc["Donetsk", "relative_change"] == -1.0


def test_week_on_week_breaks_down_by_group(events):
    table = metrics.week_on_week(events, end="2023-03-14", by="admin1").set_index("admin1")
    # 8-14 Mar: Kharkiv 1, Donetsk 1; 1-7 Mar: Donetsk 1, (not given) 1
    assert table[["current_value", "previous_value"]].values.tolist() == [[1, 1], [1, 0], [0, 1]]
    assert table.index.tolist() == ["Donetsk", "Kharkiv", "(not given)"]
    with pytest.raises(ParameterError) as caught:
        metrics.week_on_week(events, end="14/03/2023")
    assert str(caught.value) == "end='14/03/2023' is not a date; write it as YYYY-MM-DD"


def test_weekly_summary_stops_at_the_given_end(events):
    # weeks start on Monday: 27 Feb (1-5 Mar), 6 Mar, 13 Mar; ending on 9 Mar leaves out the 14 Mar event
    weeks = metrics.summarise_events(events, "week", by=None, end="2023-03-09")
    assert weeks["period_start_date"].tolist() == [D("2023-02-27"), D("2023-03-06")]
    assert weeks["events"].tolist() == [2, 1] and weeks["events_fatalities_unknown"].tolist() == [0, 1]
    # the week of 6 Mar has one event and its toll is unknown: unknown, never 0
    assert weeks["fatalities"].iloc[0] == 3 and pd.isna(weeks["fatalities"].iloc[1])
    with pytest.raises(ParameterError) as caught:
        metrics.summarise_events(events, "day")
    assert str(caught.value) == "freq='day'; choose 'week' or 'month'"


def test_a_day_with_one_launched_and_one_destroyed_is_a_full_share():
    counts = _counts([
        {"count_date": D("2024-05-01"), "metric": "launched", "value": 1, "weapon_model": "Kh-101",
         "weapon_category": "cruise missile", "raw_line": 2},
        {"count_date": D("2024-05-01"), "metric": "destroyed", "value": 1, "weapon_model": "Kh-101",
         "weapon_category": "cruise missile", "raw_line": 2},
    ])
    daily = metrics.air_attacks_per_day(counts)
    assert daily[["launched", "destroyed"]].values.tolist() == [[1, 1]] and daily["share_destroyed"].tolist() == [1.0]
    assert provenance.get(daily).source_line() == "Source: Ukrainian Air Force daily reports. Reports to 1 May 2024."
    with pytest.raises(ParameterError) as caught:
        metrics.air_attacks_per_day(counts, by="weapon_model")
    assert str(caught.value) == "air attacks can be broken down by 'weapon_category' or not at all (by=None)"


def test_civilian_harm_from_a_given_start_and_the_top_cities_only():
    harm = events_frame([
        {"event_date": D("2023-03-01"), "is_civilian_targeting": True, "civilians_killed": 2},
        {"event_date": D("2023-03-05"), "is_civilian_targeting": True, "civilians_killed": 1, "settlement": "Kharkiv",
         "location": "Kharkiv", "admin1": "Kharkiv", "geonameid": 706483},
        {"event_date": D("2023-03-06"), "is_civilian_targeting": True, "civilians_killed": 4},
    ])
    # from 2 March the 1 March incident is left out
    assert metrics.civilian_harm_incidents(harm, start="2023-03-02")["event_id"].tolist() == ["acled:T1", "acled:T2"]
    # Kramatorsk: 2 incidents, 2 + 4 killed, first ranks first; top=1 keeps it alone
    cities = metrics.civilian_harm_by_city(harm)
    assert cities[["settlement", "incidents", "civilians_killed"]].values.tolist() == [
        ["Kramatorsk", 2, 6], ["Kharkiv", 1, 1]]
    top = metrics.civilian_harm_by_city(harm, top=1)
    assert top[["settlement", "incidents", "civilians_killed"]].values.tolist() == [["Kramatorsk", 2, 6]]
    assert top["incidents_injured_unknown"].tolist() == [2] and pd.isna(top["civilians_injured"].iloc[0])


# ---------------------------------------------------------------- the rows behind each number (evidence.parquet)
def _ids(frame):
    return provenance.rows(frame)["event_id"].tolist()


@pytest.fixture
def mixed():
    # T0 1 Mar attack 2 killed; T1 3 Mar non-attack 1 killed; T2 9 Mar attack 0 killed; T3 20 Mar attack (outside)
    return events_frame([
        {"event_date": D("2023-03-01"), "fatalities": 2},
        {"event_date": D("2023-03-03"), "fatalities": 1, "is_attack": False, "event_type": "Protests",
         "sub_event_type": "Peaceful protest"},
        {"event_date": D("2023-03-09"), "fatalities": 0},
        {"event_date": D("2023-03-20"), "fatalities": 5},
    ])


def test_a_period_comparison_records_the_rows_its_metric_counted(mixed):
    periods = (("2023-03-08", "2023-03-14"), ("2023-03-01", "2023-03-07"))
    attacks = metrics.compare_periods(mixed, *periods, "attacks")
    # attacks 8-14 Mar: T2 (1); 1-7 Mar: T0 (1), the protest T1 is not an attack and T3 is outside both weeks
    assert attacks[["current_value", "previous_value"]].values.tolist() == [[1, 1]]
    assert _ids(attacks) == ["acled:T0", "acled:T2"]
    # fatalities count every event: T1's 1 killed is in the previous week's 3, so T1 is behind the number
    deaths = metrics.compare_periods(mixed, *periods, "fatalities")
    assert deaths[["current_value", "previous_value"]].values.tolist() == [[0, 3]]
    assert _ids(deaths) == ["acled:T0", "acled:T1", "acled:T2"]


def test_attacks_per_day_records_only_the_attacks_in_its_days(mixed):
    daily = metrics.attacks_per_day(mixed, start="2023-03-02", end="2023-03-09")
    # 2-9 Mar: T2 only (T0 is before, T1 is no attack, T3 after); 8 days, one attack on 9 Mar
    assert daily["attacks"].tolist() == [0] * 7 + [1]
    assert _ids(daily) == ["acled:T2"]


def test_weekly_summary_records_the_events_of_its_range(mixed):
    weeks = metrics.summarise_events(mixed, "week", by=None, end="2023-03-09")
    # weeks of 27 Feb (T0, T1) and 6 Mar (T2); T3 is after the end
    assert weeks["events"].tolist() == [2, 1]
    assert _ids(weeks) == ["acled:T0", "acled:T1", "acled:T2"]


def test_civilian_harm_tables_record_the_incidents_behind_them():
    harm = events_frame([
        {"event_date": D("2023-03-01"), "is_civilian_targeting": True, "civilians_killed": 2},
        {"event_date": D("2023-03-02"), "civilians_killed": 0},  # no harm: not an incident
        {"event_date": D("2023-03-03"), "civilians_injured": 3, "settlement": "Kharkiv", "location": "Kharkiv",
         "admin1": "Kharkiv", "geonameid": 706483},
        {"event_date": D("2023-03-09"), "is_civilian_targeting": True, "civilians_killed": 1},  # after the end
    ])
    cities = metrics.civilian_harm_by_city(harm, end="2023-03-05")
    assert cities[["settlement", "incidents"]].values.tolist() == [["Kramatorsk", 1], ["Kharkiv", 1]]
    assert _ids(cities) == ["acled:T0", "acled:T2"]
    incidents = metrics.civilian_harm_incidents(harm, end="2023-03-05")
    assert incidents["event_id"].tolist() == ["acled:T0", "acled:T2"]
    assert _ids(incidents) == ["acled:T0", "acled:T2"]


def test_two_places_of_one_name_in_one_oblast_are_ordered_by_geonameid():
    # two villages called Ivanivka in Donetsk oblast, 1 incident and 1 killed each: the tie goes to geonameid
    harm = events_frame([
        {"event_date": D("2023-03-01"), "is_civilian_targeting": True, "civilians_killed": 1,
         "settlement": "Ivanivka", "location": "Ivanivka", "geonameid": 900},
        {"event_date": D("2023-03-02"), "is_civilian_targeting": True, "civilians_killed": 1,
         "settlement": "Ivanivka", "location": "Ivanivka", "geonameid": 100},
    ])
    assert metrics.civilian_harm_by_city(harm)["geonameid"].tolist() == [100, 900]


def test_reported_claims_record_their_own_rows():
    counts = _counts([
        {"count_date": D("2024-05-01"), "metric": "attacks_repelled", "value": 7, "is_reported_claim": True,
         "source_dataset": "reported_claim", "claimant": "General Staff", "raw_line": 2},
        {"count_date": D("2024-05-02"), "metric": "launched", "value": 5, "weapon_model": "Kh-101",
         "weapon_category": "cruise missile", "raw_line": 3},
    ])
    claims = metrics.reported_claims(counts)
    assert claims["value"].tolist() == [7]
    assert provenance.rows(claims)[["count_date", "metric", "value"]].values.tolist() == [
        [D("2024-05-01"), "attacks_repelled", 7]]


def test_published_tables_have_exactly_their_columns_and_millisecond_dates(mixed):
    # no stray "index" column from a reset_index that keeps the old index
    assert list(metrics.attacks_per_day(mixed).columns) == ["event_date", "attacks", "attacks_imprecise_date"]
    grouped = metrics.attacks_per_day(mixed, end="2023-03-09", by="event_type", rolling=2)
    assert list(grouped.columns) == ["event_date", "event_type", "attacks", "attacks_imprecise_date",
                                     "attacks_rolling_mean"]
    # attacks by type: Explosions on 1 Mar and 9 Mar; the protest is no attack, so no group of its own
    assert grouped.groupby("event_type")["attacks"].sum().to_dict() == {"Explosions/Remote violence": 2}
    compared = metrics.compare_periods(mixed, ("2023-03-08", "2023-03-14"), ("2023-03-01", "2023-03-07"))
    dates = ["current_start_date", "current_end_date", "previous_start_date", "previous_end_date"]
    assert [str(compared[c].dtype) for c in dates] == ["datetime64[ms]"] * 4
    assert compared[dates].iloc[0].tolist() == [D("2023-03-08"), D("2023-03-14"), D("2023-03-01"), D("2023-03-07")]
    values = ["current_value", "previous_value", "absolute_change", "relative_change", "metric"]
    summed = ["events", "attacks", "events_fatalities_unknown", "fatalities", "civilians_killed"]
    weeks = ("2023-03-08", "2023-03-14"), ("2023-03-01", "2023-03-07")
    for table, columns in [(compared, [*values, *dates]),
                           (metrics.compare_periods(mixed, *weeks, by="admin1"), ["admin1", *values, *dates]),
                           (metrics.summarise_events(mixed, "week", by=None), ["period_start_date", *summed]),
                           (metrics.summarise_events(mixed, "month", by=("admin1",)),
                            ["period_start_date", "admin1", *summed])]:
        assert table.columns.tolist() == columns
        pd.testing.assert_index_equal(table.index, pd.RangeIndex(len(table)))


def test_a_summary_of_a_range_without_events_is_empty_but_typed(mixed):
    # 10-15 Mar lies inside the coverage (1-20 Mar) but holds no event
    empty = metrics.summarise_events(mixed, "week", by=("admin1",), start="2023-03-10", end="2023-03-15")
    assert len(empty) == 0
    assert str(empty["period_start_date"].dtype) == "datetime64[ms]" and str(empty["admin1"].dtype) == "str"


def test_air_attacks_stop_at_the_end_and_add_the_models_of_one_report_line():
    counts = _counts([
        # one report line (raw_line 2) gives two drone models: 10 + 5 launched, 8 + 5 destroyed
        {"count_date": D("2024-05-01"), "metric": "launched", "value": 10, "weapon_model": "Shahed-136/131",
         "weapon_category": "drone", "raw_line": 2},
        {"count_date": D("2024-05-01"), "metric": "launched", "value": 5, "weapon_model": "Gerbera",
         "weapon_category": "drone", "raw_line": 2},
        {"count_date": D("2024-05-01"), "metric": "destroyed", "value": 8, "weapon_model": "Shahed-136/131",
         "weapon_category": "drone", "raw_line": 2},
        {"count_date": D("2024-05-01"), "metric": "destroyed", "value": 5, "weapon_model": "Gerbera",
         "weapon_category": "drone", "raw_line": 2},
        {"count_date": D("2024-05-04"), "metric": "launched", "value": 3, "weapon_model": "Shahed-136/131",
         "weapon_category": "drone", "raw_line": 3},
    ])
    daily = metrics.air_attacks_per_day(counts, end="2024-05-02")
    # 1 and 2 May only (4 May is after the end): 15 launched, 13 destroyed, share 13/15; 2 May zero-filled
    assert daily["count_date"].tolist() == [D("2024-05-01"), D("2024-05-02")]
    assert daily[["launched", "destroyed"]].values.tolist() == [[15, 13], [0, 0]]
    assert daily["share_destroyed"].iloc[0] == pytest.approx(13 / 15) and pd.isna(daily["share_destroyed"].iloc[1])
    # 2-3 May lie inside the reports' coverage but no report gives a number: one "all" row of zeros per day
    quiet = metrics.air_attacks_per_day(counts, start="2024-05-02", end="2024-05-03")
    assert quiet[["weapon_category", "launched", "destroyed"]].values.tolist() == [["all", 0, 0], ["all", 0, 0]]


def test_reported_claims_have_exactly_the_daily_counts_columns():
    counts = _counts([
        {"count_date": D("2024-05-01"), "metric": "attacks_repelled", "value": 7, "is_reported_claim": True,
         "source_dataset": "reported_claim", "claimant": "General Staff", "raw_line": 2},
    ])
    claims = metrics.reported_claims(counts, start="2024-05-01", end="2024-05-01")
    assert list(claims.columns) == list(counts.columns) and claims.index.tolist() == [0]


def test_a_period_without_events_compares_as_zero_in_one_row(events):
    """Inside the coverage, a period in which nothing happened counts 0 (not unknown, not a missing row): the
    comparison is still one row, with the change from or to 0."""
    # events: 1, 2, 9 and 14 Mar; 3-8 Mar holds none, and 10-13 Mar none
    quiet, busy, also_quiet = ("2023-03-03", "2023-03-08"), ("2023-03-09", "2023-03-14"), ("2023-03-10", "2023-03-13")
    for current, previous, expected, relative in [(busy, quiet, [2, 0, 2], None), (quiet, busy, [0, 2, -2], -1.0),
                                                  (also_quiet, quiet, [0, 0, 0], None)]:
        table = metrics.compare_periods(events, current, previous, "attacks")
        assert len(table) == 1
        assert table[["current_value", "previous_value", "absolute_change"]].iloc[0].tolist() == expected
        # from 0 there is no percentage change: empty
        assert table["relative_change"].iloc[0] == relative if relative else pd.isna(table["relative_change"].iloc[0])


def test_places_with_as_many_civilians_killed_rank_by_incidents_then_name_then_oblast(tmp_path):
    """The ranking a "worst-hit places" list quotes: civilians killed (most first), then incidents (most first),
    then the place's name and its oblast (alphabetical), on pandas and on DuckDB."""
    from analysis.metrics import engines

    def place(name, oblast, geonameid, killed):
        return {"event_date": D("2023-03-01"), "settlement": name, "location": name, "admin1": oblast,
                "geonameid": geonameid, "civilians_killed": killed}

    events = events_frame([
        place("Bakhmut", "Donetsk", 1, 3),  # 3 killed in 1 incident
        place("Avdiivka", "Donetsk", 2, 1), place("Avdiivka", "Donetsk", 2, 2),  # 3 killed in 2 incidents
        place("Mykolaivka", "Sumy", 3, 1), place("Mykolaivka", "Donetsk", 4, 1),  # one name in two oblasts
        place("Izium", "Kharkiv", 5, 4),
    ])
    path = tmp_path / "events.parquet"
    events.to_parquet(path, index=False)
    expected = [("Izium", "Kharkiv", 4, 1), ("Avdiivka", "Donetsk", 3, 2), ("Bakhmut", "Donetsk", 3, 1),
                ("Mykolaivka", "Donetsk", 1, 1), ("Mykolaivka", "Sumy", 1, 1)]
    for table in (events, engines.scan(path, "duckdb")):
        ranked = metrics.civilian_harm_by_city(table)
        assert list(ranked[["settlement", "admin1", "civilians_killed", "incidents"]].itertuples(index=False,
                                                                                               name=None)) == expected
