"""The words of charts: column and value labels, counts, periods.

Dates as words come from :mod:`analysis.wording` (the one home of date
wording); this module holds what only charts say: "event type" for
``event_type``, "Drones" for ``drone``, "in the week of 6 March 2023".
"""

from __future__ import annotations

import pandas as pd

from analysis import countries, wording
from analysis.figures.style import NOT_GIVEN

# admin1 is named by the project's countries' word for a region ("oblast" in Ukraine): label().
LABELS = {"event_type": "event type", "sub_event_type": "event sub-type",
          "weapon_category": "weapon", "source_dataset": "source", "violence_type": "type of violence",
          "events_fatalities_unknown": "events with unknown fatalities"}
VALUES = {"launched": "Missiles and drones launched", "destroyed": "Missiles and drones reported destroyed",
          "civilians_killed": "Civilians killed", "events_fatalities_unknown": "Events with unknown fatalities"}
WEAPONS = {"all": "Missiles and drones", "drone": "Drones", "cruise missile": "Cruise missiles",
           "ballistic missile": "Ballistic missiles", "guided aerial bomb": "Guided aerial bombs",
           "anti-ship missile": "Anti-ship missiles", "surface-to-air missile": "Surface-to-air missiles",
           "aircraft": "Aircraft", "other": "Other weapons", "unknown": "Weapons of unknown type"}


def n(value) -> str:
    """A whole number with thousands separators: '1,234' (rounded)."""
    return f"{int(round(float(value))):,}"


def plural(count, word: str, plural_word: str | None = None) -> str:
    """'1 incident', '3 incidents' (:func:`analysis.wording.count` of the rounded number)."""
    return wording.count(round(float(count)), word, plural_word)


def label(column: str) -> str:
    """A column as words: 'event type', 'oblast' (admin1, in the words of the project's countries)."""
    if column == "admin1":
        return countries.region_word()
    return LABELS.get(column, column.replace("_", " "))


def group_labels(values: pd.Series) -> pd.Series:
    """Group names as text; missing values become '(not given)', as in the metrics."""
    return values.where(values.notna(), NOT_GIVEN).astype("str")


def period_word(step: int) -> str:
    """'day', 'week', 'month' or 'N days' for periods ``step`` days apart."""
    return {1: "day", 7: "week"}.get(step, "month" if 28 <= step <= 31 else f"{step} days")


def when(date: pd.Timestamp, step: int) -> str:
    """'on 5 March 2023', 'in the week of 6 March 2023', 'in March 2023'."""
    if step == 1:
        return f"on {wording.day(date)}"
    if step == 7:
        return f"in the week of {wording.day(date)}"
    if 28 <= step <= 31:
        return f"in {wording.month(date)}"
    return f"in the period starting {wording.day(date)}"
