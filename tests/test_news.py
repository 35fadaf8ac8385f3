"""The news template reader (sources.news), column by column, on hand-written rows.

Each expectation is written out by hand from the template's documented meaning, so a change to how a
news-coded row becomes an event (its day, its precision, its place, its tolls, its id) fails here.
"""

from __future__ import annotations

import pandas as pd

from analysis.sources import news
from analysis.sources.base import Failures


def frame(*rows: dict) -> pd.DataFrame:
    """Template rows as the CSV reader gives them: every cell a string, missing cells empty."""
    columns = list(news.TEMPLATE_COLUMNS)
    return pd.DataFrame([{c: row.get(c, "") for c in columns} for row in rows], dtype="str")


ROW = {"date": "2023-03-14", "place": "Kramatorsk", "oblast": "Donetsk", "event_type": "Explosions/Remote violence",
       "sub_event_type": "Shelling/artillery/missile attack", "weapon": "missile", "killed": "1", "injured": "3",
       "civilians_killed": "1", "civilians_injured": "3", "description": "A missile hit a building",
       "source_name": "RFE/RL, 14 March 2023", "source_url": "https://www.rferl.org/a/1.html",
       "publication_date": "2023-03-14"}


def test_a_one_day_strike_becomes_one_attack_event_on_its_day_with_its_tolls():
    failures = Failures()
    out = news.parse(frame(ROW), failures)
    assert failures.frame().empty
    row = out.iloc[0]
    assert (row["event_date"], row["event_end_date"]) == (pd.Timestamp("2023-03-14"), pd.Timestamp("2023-03-14"))
    assert (row["date_precision"], row["geo_precision"]) == ("day", "settlement")
    assert (row["location"], row["admin1"], row["country"]) == ("Kramatorsk", "Donetsk", "Ukraine")
    assert bool(row["is_attack"]) and not bool(row["is_casualties_unknown"]) and not bool(row["is_synthetic"])
    assert (row["fatalities"], row["injured"], row["civilians_killed"], row["civilians_injured"]) == (1, 3, 1, 3)
    assert pd.isna(row["buildings_damaged"]) and pd.isna(row["is_civilian_targeting"])


def _rejections(failures: Failures) -> list[tuple]:
    """(row, column, value, rule) of every rejection, in the order recorded."""
    return [tuple(r) for r in failures.frame()[["row", "column", "value", "rule"]].itertuples(index=False)]


def test_a_multi_day_event_keeps_its_last_day_and_is_dated_to_days_a_same_day_end_to_the_day():
    failures = Failures()
    out = news.parse(frame({**ROW, "end_date": "2023-03-16", "publication_date": "2023-03-17"},
                           {**ROW, "end_date": "2023-03-14"}, ROW), failures)
    assert failures.frame().empty
    assert out["event_end_date"].tolist() == [pd.Timestamp("2023-03-16"), pd.Timestamp("2023-03-14"),
                                              pd.Timestamp("2023-03-14")]
    assert out["date_precision"].tolist() == ["days", "day", "day"]


def test_a_row_with_only_an_oblast_is_located_to_the_oblast_and_a_row_with_neither_is_rejected():
    failures = Failures()
    out = news.parse(frame({**ROW, "oblast": ""}, {**ROW, "place": ""}, {**ROW, "place": " ", "oblast": ""}),
                     failures)
    # geo_precision values are those of tables.vocabulary.GEO_PRECISIONS: an oblast alone is 'admin1'.
    assert out["geo_precision"].tolist() == ["settlement", "admin1", "admin1"]
    assert out["location"].iloc[0] == "Kramatorsk" and out["admin1"].iloc[1] == "Donetsk"
    assert pd.isna(out["admin1"].iloc[0]) and pd.isna(out["location"].iloc[1])
    assert _rejections(failures) == [(2, "place", " ", "place_or_oblast_required")]


def test_a_given_event_id_is_stripped_and_its_inner_spaces_become_dashes():
    failures = Failures()
    out = news.parse(frame({**ROW, "event_id": "  KRA 2023\t 03  "}), failures)
    assert (out["event_id"].iloc[0], out["source_event_id"].iloc[0]) == ("news:KRA-2023-03", "KRA-2023-03")


def test_an_empty_event_id_is_a_hash_of_the_rows_content_the_same_for_the_same_row_at_any_position():
    failures = Failures()
    other = {**ROW, "description": "Another missile"}
    out = news.parse(frame(other, ROW, {**ROW, "event_id": " "}), failures)
    # Published ids: this value is what every earlier build gave the ROW event; it must not change.
    assert out["source_event_id"].iloc[1] == "h2255226004551442491"
    assert out["event_id"].iloc[1] == "news:h2255226004551442491"
    assert out["source_event_id"].iloc[2] == "h2255226004551442491"  # a blank id is no id
    assert out["source_event_id"].iloc[0].startswith("h") and out["source_event_id"].iloc[0] != "h2255226004551442491"


def test_event_types_are_accepted_in_any_letter_case_and_given_their_acled_spelling():
    failures = Failures()
    out = news.parse(frame({**ROW, "event_type": " explosions/REMOTE violence ",
                            "sub_event_type": "SHELLING/ARTILLERY/MISSILE ATTACK"},
                           {**ROW, "event_type": "protests", "sub_event_type": ""},
                           {**ROW, "event_type": "VIOLENCE AGAINST CIVILIANS", "sub_event_type": "attack"}), failures)
    assert failures.frame().empty
    assert out["event_type"].tolist() == ["Explosions/Remote violence", "Protests", "Violence against civilians"]
    assert out["sub_event_type"].iloc[0] == "Shelling/artillery/missile attack" and pd.isna(out["sub_event_type"].iloc[1])
    assert out["sub_event_type"].iloc[2] == "Attack"
    assert out["is_attack"].tolist() == [True, False, True] and out["is_attack"].dtype == bool


def test_an_unknown_event_type_or_sub_event_type_is_rejected_an_empty_one_only_as_missing():
    failures = Failures()
    news.parse(frame({**ROW, "event_type": "Airstrike"}, {**ROW, "sub_event_type": "Drone strike"},
                     {**ROW, "event_type": ""}), failures)
    assert _rejections(failures) == [
        (2, "event_type", "", "required_value_missing"),
        (0, "event_type", "Airstrike", "unknown_event_type"),
        (1, "sub_event_type", "Drone strike", "unknown_sub_event_type"),
    ]


def test_a_source_url_must_be_http_or_https_without_spaces_and_may_be_empty():
    failures = Failures()
    out = news.parse(frame({**ROW, "source_url": " http://a.org/x "}, {**ROW, "source_url": ""},
                           {**ROW, "source_url": "www.a.org/x"}, {**ROW, "source_url": "https://a.org/x y"}), failures)
    assert out["source_url"].iloc[0] == "http://a.org/x" and pd.isna(out["source_url"].iloc[1])
    assert _rejections(failures) == [(2, "source_url", "www.a.org/x", "not_a_url"),
                                     (3, "source_url", "https://a.org/x y", "not_a_url")]


def test_is_civilian_targeting_is_yes_no_or_unknown_when_empty():
    failures = Failures()
    out = news.parse(frame(ROW, ROW, ROW, ROW).assign(is_civilian_targeting=["Yes", " no ", "", "maybe"]), failures)
    assert out["is_civilian_targeting"].dtype == "boolean"
    assert out["is_civilian_targeting"].iloc[:2].tolist() == [True, False]
    assert pd.isna(out["is_civilian_targeting"].iloc[2])
    assert _rejections(failures) == [(3, "is_civilian_targeting", "maybe", "not_a_boolean")]


def test_the_country_is_ukraine_unless_given_and_coordinates_are_decimal_numbers():
    failures = Failures()
    raw = frame(ROW, ROW).assign(country=["", "Poland"], latitude=["48.72", "48,7"], longitude=["37.55", "x"])
    out = news.parse(raw, failures)
    assert out["country"].tolist() == ["Ukraine", "Poland"]
    assert out["latitude"].iloc[0] == 48.72 and out["longitude"].iloc[0] == 37.55
    assert _rejections(failures) == [(1, "latitude", "48,7", "not_a_number"), (1, "longitude", "x", "not_a_number")]


def test_an_empty_count_is_unknown_not_zero_and_casualties_are_unknown_only_when_no_death_count_is_given():
    failures = Failures()
    out = news.parse(frame({**ROW, "killed": "", "civilians_killed": "", "injured": ""},
                           {**ROW, "killed": "", "civilians_killed": "1"},
                           {**ROW, "killed": "0", "civilians_killed": ""}), failures)
    assert failures.frame().empty
    assert pd.isna(out["fatalities"].iloc[0]) and pd.isna(out["injured"].iloc[0]) and out["fatalities"].iloc[2] == 0
    assert out["is_casualties_unknown"].tolist() == [True, False, False]
    assert out["is_casualties_unknown"].dtype == bool and out["is_synthetic"].tolist() == [False, False, False]


def test_dates_that_are_not_iso_or_an_event_after_its_report_are_rejected_on_their_own_column():
    failures = Failures()
    news.parse(frame({**ROW, "date": "14.03.2023"}, {**ROW, "end_date": "2023/03/16"},
                     {**ROW, "publication_date": "14 March 2023"}, {**ROW, "date": "2023-03-15"}), failures)
    assert _rejections(failures) == [
        (0, "date", "14.03.2023", "unparseable_date"),
        (1, "end_date", "2023/03/16", "unparseable_date"),
        (2, "publication_date", "14 March 2023", "unparseable_date"),
        (3, "date", "2023-03-15", "event_after_publication"),
    ]


def test_rows_keep_the_index_of_the_chunk_they_came_from():
    raw = frame(ROW, {**ROW, "place": "Sloviansk"}).assign(is_civilian_targeting=["yes", ""],
                                                            latitude=["48.7389", "48.8667"],
                                                            longitude=["37.5844", "37.6167"])
    raw.index = [10, 11]
    out = news.parse(raw, Failures())
    assert out.index.tolist() == [10, 11] and out["location"].tolist() == ["Kramatorsk", "Sloviansk"]
    assert out[["latitude", "longitude"]].values.tolist() == [[48.7389, 37.5844], [48.8667, 37.6167]]
    assert out["is_civilian_targeting"].iloc[0] and pd.isna(out["is_civilian_targeting"].iloc[1])
    assert out["violence_type"].isna().all() and out["admin2"].isna().all()
