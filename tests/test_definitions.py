"""Every published definition, pinned by a small hand-computed test.

Articles cite the definitions in the docstring of :mod:`analysis.metrics` (and the
column descriptions of the schemas, docs/data_dictionary.md).  Each test below
quotes the definition it pins and fails when the code stops meeting it.  The
first group builds tiny raw files (ACLED, UCDP GED, the news and Air Force
formats) the way a user's data are built, so the readers' part of a definition
(``is_attack``, ``event_date``, ``date_precision``, ``count_date``) is pinned
together with the metric; the second group pins the metrics on processed frames.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import metrics, wording
from analysis.errors import ParameterError
from conftest import ACLED_ROW, events_frame, per_test_under_mutmut, to_csv_text

D = pd.Timestamp
MARCH = [D(f"2023-03-0{d}") for d in range(1, 9)]  # 1..8 March 2023, the coverage of the raw files below

# ---------------------------------------------------------------- tiny raw files, built as a user builds them
# ACLED (current layout).  civilian_targeting is empty unless said.
ACLED = [
    # id, date, time_precision, event_type, sub_event_type, civilian_targeting
    ("UKR9001", "2023-03-01", "1", "Explosions/Remote violence", "Shelling/artillery/missile attack", ""),
    ("UKR9002", "2023-03-02", "2", "Battles", "Armed clash", ""),  # dated to a week
    ("UKR9003", "2023-03-02", "3", "Explosions/Remote violence", "Air/drone strike", ""),  # dated to a month
    ("UKR9004", "2023-03-03", "1", "Violence against civilians", "Attack", "Civilian targeting"),
    ("UKR9005", "2023-03-03", "1", "Violence against civilians", "Abduction/forced disappearance",
     "Civilian targeting"),  # harms civilians, not an attack
    ("UKR9006", "2023-03-04", "1", "Protests", "Peaceful protest", ""),
    ("UKR9007", "2023-03-08", "1", "Strategic developments", "Looting/property destruction", ""),  # last day
]
# UCDP GED: id, date_start, date_end, date_prec, type_of_violence, best, deaths_civilians
UCDP = [
    ("900001", "2023-03-02", "2023-03-05", "2", "1", "10", "0"),  # 4 days, dated to a range
    ("900002", "2023-03-03", "2023-03-03", "1", "3", "2", "2"),  # one-sided violence: civilians targeted
    ("900003", "2023-03-04", "2023-03-06", "1", "1", "3", "0"),  # 3 days, each known
]
# News template: event_id, date, end_date, event_type, sub_event_type, killed, civilians_killed, civilians_injured
NEWS = [
    ("n-range", "2023-03-05", "2023-03-07", "Battles", "Armed clash", "", "", ""),  # several days
    ("n-injured", "2023-03-06", "", "Explosions/Remote violence", "Shelling/artillery/missile attack", "", "", "4"),
    ("n-protest", "2023-03-06", "", "Protests", "Peaceful protest", "0", "0", "0"),  # zeros: no harm
    ("n-riot", "2023-03-06", "", "Riots", "Mob violence", "1", "1", ""),  # harms civilians, not an attack
]
# Air Force reports: time_start, time_end, model, launched, destroyed
AIR = [
    ("2023-02-28 18:00", "2023-03-01 08:30", "Shahed-136/131", "10.0", "8.0"),  # overnight: counts on 1 March
    ("2023-03-01 20:00", "2023-03-01 23:00", "Kh-101/Kh-555", "4.0", "3.0"),  # same evening: 1 March
    ("2023-03-02 19:00", "2023-03-03 07:00", "Iskander-M/KN-23", "", "1.0"),  # launched unknown
    ("2023-03-03 22:00", "2023-03-04 06:00", "Shahed-136/131", "5.0", "5.0"),
]


def _acled_csv() -> str:
    rows = [{**ACLED_ROW, "event_id_cnty": i, "event_date": d, "time_precision": p, "event_type": t,
             "sub_event_type": s, "civilian_targeting": c, "fatalities": "0"} for i, d, p, t, s, c in ACLED]
    return to_csv_text(rows)


def _ucdp_csv() -> str:
    rows = [{"id": i, "year": s[:4], "type_of_violence": v, "side_a": "Government of Russia (Soviet Union)",
             "side_b": "Government of Ukraine", "source_office": "Reuters", "source_headline": "Fighting",
             "where_prec": "1", "where_coordinates": "Bakhmut town", "adm_1": "Donetsk oblast",
             "adm_2": "Bakhmutskyi raion", "latitude": "48.5956", "longitude": "38.0003", "country": "Ukraine",
             "date_prec": p, "date_start": s, "date_end": e, "deaths_a": str(int(b) - int(c)), "deaths_b": "0",
             "deaths_civilians": c, "deaths_unknown": "0", "best": b, "low": b, "high": b}
            for i, s, e, p, v, b, c in UCDP]
    return to_csv_text(rows)


def _news_csv() -> str:
    from analysis.sources.news import TEMPLATE_COLUMNS

    rows = [{"event_id": i, "date": d, "end_date": e, "place": "Avdiivka", "oblast": "Donetsk", "event_type": t,
             "sub_event_type": s, "weapon": "", "killed": k, "injured": ci, "civilians_killed": ck,
             "civilians_injured": ci, "buildings_damaged": "", "description": "As reported.",
             "source_name": "A newspaper", "source_url": "", "publication_date": "2023-03-09"}
            for i, d, e, t, s, k, ck, ci in NEWS]
    return to_csv_text(rows, list(TEMPLATE_COLUMNS))


def _air_csv() -> str:
    rows = [{"time_start": s, "time_end": e, "model": m, "launched": la, "destroyed": de, "source": "kpszsu"}
            for s, e, m, la, de in AIR]
    return to_csv_text(rows)


@pytest.fixture(scope=per_test_under_mutmut)
def built(tmp_path_factory):
    """The four tiny raw files built into processed tables: (events, daily counts)."""
    from analysis.metrics import loaders
    from analysis.build import build

    raw = tmp_path_factory.mktemp("raw")
    for name, text in (("acled.csv", _acled_csv()), ("ucdp.csv", _ucdp_csv()), ("news.csv", _news_csv()),
                       ("air.csv", _air_csv())):
        (raw / name).write_text(text, encoding="utf-8")
    out = tmp_path_factory.mktemp("processed")
    report = build(raw, out, quiet=True)
    totals = report.manifest["totals"]
    assert (totals["rows"], totals["accepted"]) == (len(ACLED) + len(UCDP) + len(NEWS) + len(AIR),) * 2
    return loaders.load_events(processed_dir=out, build=False), loaders.load_daily_counts(processed_dir=out,
                                                                                         build=False)


def _ids(frame: pd.DataFrame) -> list[str]:
    return sorted(frame["event_id"])


# ---------------------------------------------------------------- what counts as an attack
def test_attack_is_acled_battles_explosions_and_vac_attack_every_ucdp_event_and_news_of_those_types(built):
    """Pins: "**Attack**: an event with ``is_attack`` true: ACLED *Battles* or *Explosions/Remote
    violence*, ACLED *Violence against civilians / Attack*, every UCDP GED event, and news-coded
    events of those types." (analysis.metrics)
    """
    events, _ = built
    assert _ids(events[events["is_attack"]]) == sorted([
        "acled:UKR9001", "acled:UKR9002", "acled:UKR9003", "acled:UKR9004",  # Explosions, Battles, VAC/Attack
        "ucdp_ged:900001", "ucdp_ged:900002", "ucdp_ged:900003",  # every UCDP GED event, one-sided violence included
        "news:n-range", "news:n-injured",  # news-coded Battles and Explosions/Remote violence
    ])
    # not attacks: VAC/Abduction, a protest, a strategic development, a news protest and riot
    assert _ids(events[~events["is_attack"]]) == sorted(["acled:UKR9005", "acled:UKR9006", "acled:UKR9007",
                                                         "news:n-protest", "news:n-riot"])
    assert metrics.attacks_per_day(events)["attacks"].sum() == 9  # only is_attack rows are counted


def test_attack_definition_as_stated_in_reports():
    """Pins the sentence reports record as the definition of their attack numbers (numbers.json)."""
    assert metrics.ATTACK_DEFINITION == (
        "Attack events: ACLED Battles and Explosions/Remote violence, ACLED Violence against civilians/Attack, "
        "every UCDP GED event and news-coded events of those types, counted on their first day.")


# ---------------------------------------------------------------- the day an event counts on
def test_events_count_once_on_their_first_day_and_imprecise_dates_are_reported_separately(built):
    """Pins: "**Day of an event**: its first day (``event_date``).  A multi-day UCDP event counts
    once, on its first day; events the source dates only to a week or a month are counted on the
    date the source coded and reported separately as ``attacks_imprecise_date`` so a chart can say
    how many there are." (analysis.metrics) and the column: "Of which dated only to a week, month
    or range by the source." (schemas.ATTACKS_PER_DAY)

    By hand, 1..8 March 2023:
    1st  ACLED shelling                                                  1, imprecise 0
    2nd  ACLED week-dated battle, month-dated strike, UCDP 2nd-5th range  3, imprecise 3
    3rd  ACLED VAC/Attack, UCDP one-sided                                 2, imprecise 0
    4th  UCDP 4th-6th with each day known (precision "day")              1, imprecise 0
    5th  news battle 5th-7th (end_date given: a range)                     1, imprecise 1
    6th  news shelling                                                    1, imprecise 0
    7th, 8th  none (inside the coverage: 0)
    Counted on its last day instead, the UCDP and news ranges would move to the 5th, 6th and 7th.
    """
    events, _ = built
    daily = metrics.attacks_per_day(events)
    assert daily["event_date"].tolist() == MARCH
    assert daily["attacks"].tolist() == [1, 3, 2, 1, 1, 1, 0, 0]
    assert daily["attacks_imprecise_date"].tolist() == [0, 3, 0, 0, 1, 0, 0, 0]


def test_readers_keep_the_first_day_the_range_and_the_precision(built):
    """Pins the reader side of "Day of an event": ``event_date`` is the first day, ``event_end_date``
    the last ("equals event_date for one-day events (UCDP date_end)"), and ``date_precision`` says
    "day, days (2-6 days), week, month or year" (docs/data_dictionary.md).  ACLED codes one date even
    when it knows only the week or month, so its end date equals its date.
    """
    events, _ = built
    rows = events.set_index("event_id")
    expected = {
        "acled:UKR9002": ("2023-03-02", "2023-03-02", "week"),
        "acled:UKR9003": ("2023-03-02", "2023-03-02", "month"),
        "ucdp_ged:900001": ("2023-03-02", "2023-03-05", "days"),
        "ucdp_ged:900003": ("2023-03-04", "2023-03-06", "day"),
        "news:n-range": ("2023-03-05", "2023-03-07", "days"),
        "news:n-injured": ("2023-03-06", "2023-03-06", "day"),
    }
    for event_id, (first, last, precision) in expected.items():
        row = rows.loc[event_id]
        assert (row["event_date"], row["event_end_date"], row["date_precision"]) == (D(first), D(last), precision)


def test_a_multi_day_event_counts_on_its_first_day_only_in_every_breakdown():
    """Pins: "A multi-day UCDP event counts once, on its first day" for ``by=`` breakdowns and periods."""
    events = events_frame([
        {"event_date": D("2023-03-01"), "event_end_date": D("2023-03-04"), "source_dataset": "ucdp_ged",
         "event_type": None, "sub_event_type": None, "date_precision": "days", "violence_type": "state-based"},
        {"event_date": D("2023-03-04")},
    ])
    by = metrics.attacks_per_day(events, by="source_dataset").pivot(index="event_date", columns="source_dataset",
                                                                     values="attacks")
    assert by["ucdp_ged"].tolist() == [1, 0, 0, 0] and by["acled"].tolist() == [0, 0, 0, 1]
    compared = metrics.compare_periods(events, ("2023-03-03", "2023-03-04"), ("2023-03-01", "2023-03-02")).iloc[0]
    assert (compared["current_value"], compared["previous_value"]) == (1, 1)
    monthly = metrics.summarise_events(events, freq="week", by=None)
    assert monthly["period_start_date"].tolist() == [D("2023-02-27")] and monthly["attacks"].tolist() == [2]


def test_the_events_of_a_window_are_those_whose_first_day_is_in_it_on_pandas_and_on_duckdb(tmp_path):
    """Pins ``metrics.events_between`` (the events a daily briefing lists): "the events whose first day is in
    start..end", both days included, in the table's order, as a pandas frame of the processed types also when
    read from a DuckDB scan.  An event that began before the window and ends in it is not listed."""
    from analysis.metrics import engines

    events = events_frame([
        {"event_id": "acled:before", "event_date": D("2023-02-28")},
        {"event_id": "ucdp_ged:into", "event_date": D("2023-02-27"), "event_end_date": D("2023-03-02"),
         "source_dataset": "ucdp_ged", "date_precision": "days"},
        {"event_id": "acled:last", "event_date": D("2023-03-03")},
        {"event_id": "ucdp_ged:from", "event_date": D("2023-03-01"), "event_end_date": D("2023-03-09"),
         "source_dataset": "ucdp_ged", "date_precision": "days"},
        {"event_id": "acled:first", "event_date": D("2023-03-01"), "is_attack": False},
        {"event_id": "acled:after", "event_date": D("2023-03-04")},
    ])
    path = tmp_path / "events.parquet"
    events.to_parquet(path, index=False)
    listed = metrics.events_between(events, "2023-03-01", D("2023-03-03"))
    assert listed["event_id"].tolist() == ["acled:last", "ucdp_ged:from", "acled:first"]
    on_duckdb = metrics.events_between(engines.scan(path, "duckdb"), "2023-03-01", D("2023-03-03"))
    pd.testing.assert_frame_equal(on_duckdb.reset_index(drop=True), listed.reset_index(drop=True))
    assert metrics.events_between(engines.scan(path, "duckdb"), "2023-03-05", "2023-03-08").empty
    assert metrics.events_between(events, "2023-03-04", "2023-03-04")["event_id"].tolist() == ["acled:after"]
    with pytest.raises(ParameterError) as refused:
        metrics.events_between(events, "first of March", "2023-03-03")
    assert str(refused.value) == "start='first of March' is not a date; write it as YYYY-MM-DD"
    with pytest.raises(ParameterError) as refused:
        metrics.events_between(events, "2023-03-01", "3rd")
    assert str(refused.value) == "end='3rd' is not a date; write it as YYYY-MM-DD"


def test_imprecise_dates_count_on_the_coded_day_whatever_the_precision():
    """Pins: events the source dates only to a week or a month "are counted on the date the source
    coded and reported separately as ``attacks_imprecise_date``": week, month, year and ranges are
    imprecise, "day" is not.
    """
    events = events_frame([{"event_date": D("2023-03-01"), "date_precision": p}
                           for p in ("day", "days", "week", "month", "year")])
    daily = metrics.attacks_per_day(events)
    assert daily[["attacks", "attacks_imprecise_date"]].values.tolist() == [[5, 4]]


# ---------------------------------------------------------------- zero versus outside the coverage
def test_zero_inside_the_coverage_and_an_error_outside_it(built):
    """Pins: "**Zero**: a day inside the data's coverage with no attack counts 0.  Dates outside the
    coverage (first to last event date of the table) are an error, not zeros: a gap in the data is
    not a lull in the war." (analysis.metrics)
    """
    events, _ = built
    quiet = metrics.attacks_per_day(events, start="2023-03-07", end="2023-03-08")
    assert quiet["attacks"].tolist() == [0, 0]  # inside the coverage: zeros
    for start, end in (("2023-02-28", "2023-03-08"), ("2023-03-01", "2023-03-09")):
        with pytest.raises(ParameterError, match="outside the events' coverage .2023-03-01..2023-03-08."):
            metrics.attacks_per_day(events, start=start, end=end)
    with pytest.raises(ParameterError, match="outside"):
        metrics.civilian_harm_by_city(events, start="2023-03-09", end="2023-03-09")
    with pytest.raises(ParameterError, match="outside"):
        metrics.summarise_events(events, start="2023-02-01")


def test_the_coverage_is_the_whole_table_s_even_for_a_filtered_view(built):
    """Pins: a filtered view keeps the dataset's coverage ("a city with no event in June is not a
    dataset that ends in May", metrics.with_coverage): days of the coverage without an attack in
    the view are 0, not an error.
    """
    events, _ = built
    ucdp_only = events[events["source_dataset"] == "ucdp_ged"]  # its own events span 2..6 March
    daily = metrics.attacks_per_day(ucdp_only)
    assert daily["event_date"].tolist() == MARCH
    assert daily["attacks"].tolist() == [0, 1, 1, 1, 0, 0, 0, 0]


def test_the_coverage_of_a_bare_table_runs_from_its_first_to_its_last_event_date():
    """Pins "first to last event date of the table" where no coverage is recorded: the last day of a
    multi-day event is a day the data cover."""
    events = events_frame([{"event_date": D("2023-03-01")},
                           {"event_date": D("2023-03-02"), "event_end_date": D("2023-03-04"), "date_precision": "days"}])
    assert metrics.coverage(events) == (D("2023-03-01"), D("2023-03-04"))
    assert metrics.attacks_per_day(events)["attacks"].tolist() == [1, 1, 0, 0]
    with pytest.raises(ParameterError, match="outside"):
        metrics.attacks_per_day(events, end="2023-03-05")


def test_every_metric_finds_a_bare_table_s_coverage_to_its_last_end_date_and_names_a_bad_day():
    """Pins the coverage the metrics that resolve their own period (civilian harm, comparisons) find in a
    bare table: to the last day of a multi-day event, as for attacks; a day that is not a date is refused
    naming the parameter."""
    events = events_frame([{"event_date": D("2023-03-01"), "civilians_killed": 1},
                           {"event_date": D("2023-03-02"), "event_end_date": D("2023-03-04"), "date_precision": "days"}])
    assert metrics.civilian_harm_by_city(events, end="2023-03-04")["incidents"].tolist() == [1]
    quiet = metrics.compare_periods(events, ("2023-03-04", "2023-03-04"), ("2023-03-03", "2023-03-03"))
    assert quiet[["current_value", "previous_value"]].iloc[0].tolist() == [0, 0]
    for given, name in (({"start": "March"}, "start"), ({"end": "4/3/2023"}, "end")):
        with pytest.raises(ParameterError) as refused:
            metrics.civilian_harm_by_city(events, **given)
        assert str(refused.value) == f"{name}={given[name]!r} is not a date; write it as YYYY-MM-DD"


def test_the_recorded_coverage_reaches_the_last_day_of_a_multi_day_event():
    """Pins "first to last event date of the table" as ``load_events()`` records it (metrics.with_coverage):
    the coverage ends on the last day of the latest event, so a view of earlier events still counts
    zeros up to it."""
    events = events_frame([{"event_date": D("2023-03-01")},
                           {"event_date": D("2023-03-02"), "event_end_date": D("2023-03-05"), "date_precision": "days"}])
    recorded = metrics.with_coverage(events.copy())
    assert recorded.attrs[metrics.COVERAGE_KEY] == ["2023-03-01", "2023-03-05"]  # ISO days: JSON in Parquet
    view = recorded[recorded["event_date"] == D("2023-03-01")]
    assert metrics.attacks_per_day(view)["attacks"].tolist() == [1, 0, 0, 0, 0]
    assert metrics.with_coverage(events.drop(columns="event_end_date")).attrs[metrics.COVERAGE_KEY] == \
        ["2023-03-01", "2023-03-02"]  # a table without end dates: its event dates


def test_rolling_means_do_not_reach_outside_the_coverage():
    """Pins: the rolling mean uses "days before ``start`` where the data cover them"; before the first
    covered day there is no mean (not a mean over invented zeros)."""
    events = events_frame([{"event_date": D("2023-03-01")}, {"event_date": D("2023-03-02")},
                           {"event_date": D("2023-03-02")}, {"event_date": D("2023-03-04")}])
    daily = metrics.attacks_per_day(events, start="2023-03-02", rolling=2)
    assert daily["attacks"].tolist() == [2, 0, 1]
    assert daily["attacks_rolling_mean"].tolist() == [1.5, 1.0, 0.5]
    first = metrics.attacks_per_day(events, rolling=2)["attacks_rolling_mean"]
    assert pd.isna(first.iloc[0]) and first.iloc[1] == 1.5


# ---------------------------------------------------------------- civilian-harm incidents
def test_civilian_harm_incident_is_civilian_targeting_or_a_civilian_killed_or_injured(built):
    """Pins: "**Civilian-harm incident**: an event with ``is_civilian_targeting`` true or at least one
    civilian killed or injured." (analysis.metrics)  Attack or not does not matter; reported zeros
    are no harm.
    """
    events, _ = built
    incidents = metrics.civilian_harm_incidents(events)
    assert incidents["event_id"].tolist() == [
        "acled:UKR9004", "acled:UKR9005",  # civilian targeting (VAC/Attack and, not an attack, VAC/Abduction)
        "ucdp_ged:900002",  # one-sided violence, 2 civilians killed
        "news:n-injured", "news:n-riot",  # 4 civilians injured; 1 civilian killed in a riot
    ]  # in date order, then id; UCDP's civilian-free state-based events and the news zeros are not incidents
    assert incidents["event_date"].tolist() == [D("2023-03-03")] * 3 + [D("2023-03-06")] * 2


def test_civilian_harm_definition_as_stated_in_reports():
    """Pins the sentence reports record as the definition of their civilian-harm numbers."""
    assert metrics.CIVILIAN_HARM_DEFINITION == (
        "Civilian-harm incident: an event coded as civilian targeting or reporting at least one civilian killed "
        "or injured; unknown tolls are not counted as zero.")


@pytest.mark.parametrize("targeting, killed, injured, incident", [
    (True, None, None, True), (None, 1, None, True), (None, None, 1, True), (False, 0, 2, True),
    (False, 0, 0, False), (None, None, None, False), (False, None, None, False), (None, 0, None, False),
])
def test_each_way_an_event_is_or_is_not_a_civilian_harm_incident(targeting, killed, injured, incident):
    """Pins the three alternatives of the definition one by one (an empty flag is not "true")."""
    events = events_frame([{"event_date": D("2023-03-01"), "is_civilian_targeting": targeting,
                            "civilians_killed": killed, "civilians_injured": injured}])
    assert len(metrics.civilian_harm_incidents(events)) == int(incident)
    assert metrics.civilian_harm_by_city(events)["incidents"].sum() == int(incident)


# ---------------------------------------------------------------- unknown tolls are never zero
def test_unknown_tolls_are_counted_apart_and_never_as_zero(built):
    """Pins: "Casualty sums add the incidents that give a number; incidents that give none are
    counted separately (``incidents_killed_unknown``) and never treated as 0." (analysis.metrics)

    By hand, over the five incidents: killed known in 2 (UCDP 2, news riot 1) -> 3, unknown in 3
    (both ACLED events, which give no civilian toll, and the news shelling); injured known in 1
    (news shelling, 4) -> 4, unknown in 4.
    """
    events, _ = built
    table = metrics.civilian_harm_by_city(events)
    assert table["incidents"].sum() == 5
    assert (table["civilians_killed"].sum(), table["incidents_killed_unknown"].sum()) == (3, 3)
    assert (table["civilians_injured"].sum(), table["incidents_injured_unknown"].sum()) == (4, 4)


def test_a_place_whose_every_toll_is_unknown_has_an_unknown_sum_not_zero():
    """Pins: the sum for a place where no incident gives a number is empty ("empty if none does",
    schemas.CIVILIAN_HARM_BY_CITY), sorts after every known toll, and is worded as unknown."""
    events = events_frame([
        {"event_date": D("2023-03-01"), "is_civilian_targeting": True},  # Kramatorsk: unknown toll
        {"event_date": D("2023-03-01"), "civilians_killed": 0, "civilians_injured": 1, "location": "Sloviansk",
         "settlement": "Slov'yans'k", "geonameid": 696643},  # a known 0 killed
    ])
    table = metrics.civilian_harm_by_city(events).set_index("settlement")
    assert table.index.tolist() == ["Slov'yans'k", "Kramatorsk"]
    assert pd.isna(table.loc["Kramatorsk", "civilians_killed"]) and table.loc["Kramatorsk", "incidents_killed_unknown"] == 1
    assert table.loc["Slov'yans'k", "civilians_killed"] == 0 and table.loc["Slov'yans'k", "incidents_killed_unknown"] == 0
    assert wording.people(table.loc["Kramatorsk", "civilians_killed"], "civilian", "killed") == \
        "an unknown number of civilians were killed"


def test_unknown_fatalities_stay_unknown_in_summaries():
    """Pins: summaries add the events that give a number and count the others
    (``events_fatalities_unknown``: empty fatalities or a source saying casualties are unknown)."""
    events = events_frame([
        {"event_date": D("2023-03-01"), "fatalities": 3},
        {"event_date": D("2023-03-01")},  # not given
        {"event_date": D("2023-03-01"), "fatalities": 0, "is_casualties_unknown": True},  # a 0 meaning unknown
        {"event_date": D("2023-03-08")},
    ])
    summary = metrics.summarise_events(events, freq="week", by=None)
    assert summary["fatalities"].astype(object).where(summary["fatalities"].notna(), None).tolist() == [3, None]
    assert summary["events_fatalities_unknown"].tolist() == [2, 1]


# ---------------------------------------------------------------- the air-attack report day
def test_air_attacks_count_on_the_day_the_attack_window_ends(built):
    """Pins: "**Air attacks**: counts from the Air Force's daily reports, attributed to the day the
    attack window ends (the morning report).  Days inside the reports' coverage without a row count
    0 launched." (analysis.metrics), and "Only report rows that give a number launched contribute"
    (metrics.air_attacks_per_day).

    By hand: 1 March: the night 28 Feb 18:00 to 1 Mar 08:30 (10 launched, 8 destroyed) and the
    evening of 1 March (4, 3) -> 14, 11; 2 March: nothing -> 0, 0; 3 March: only a row with
    launched unknown (1 destroyed) -> 0, 0; 4 March: the night to 06:00 (5, 5).
    """
    _, counts = built
    daily = metrics.air_attacks_per_day(counts, by=None)
    assert daily["count_date"].tolist() == MARCH[:4]
    assert daily["launched"].tolist() == [14, 0, 0, 5]
    assert daily["destroyed"].tolist() == [11, 0, 0, 5]
    assert daily["share_destroyed"].round(4).astype(object).where(daily["share_destroyed"].notna(), None).tolist() \
        == [round(11 / 14, 4), None, None, 1.0]
    with pytest.raises(ParameterError, match="air-force reports' coverage"):
        metrics.air_attacks_per_day(counts, start="2023-02-28")  # the first window began then, but counts on 1 March


def test_an_unknown_air_force_number_is_no_row_not_a_zero(built):
    """Pins (analysis.build.dailycounts): "An unknown value (<NA>: the report did not give the number)
    produces *no* row: "unknown" is not a count ... a reported 0 is a row with value 0"."""
    _, counts = built
    air = counts[counts["source_dataset"] == "air_force"]
    iskander = air[air["weapon_model"] == "Iskander-M/KN-23"]
    assert iskander[["count_date", "metric", "value"]].values.tolist() == [[D("2023-03-03"), "destroyed", 1]]
    assert air.groupby("count_date")["metric"].apply(lambda m: m.eq("launched").sum()).tolist() == [2, 0, 1]


def test_air_definition_as_stated_in_reports():
    """Pins the sentence reports record as the definition of their air-attack numbers."""
    assert metrics.AIR_DEFINITION == (
        "Missiles and drones launched and reported destroyed, as stated in the Ukrainian Air Force's daily "
        "reports, attributed to the day the overnight attack window ends.")
