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
