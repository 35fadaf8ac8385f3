"""Rules about several columns of a row: one public function each, registered on the pandera schemas.

Each function takes a frame and returns, per row, whether the row keeps the
rule.  :mod:`analysis.tables.schemas` registers them on the schemas they belong to,
with the rule's name (as rejects.csv shows it) and the columns a rejection
names; every validator (pandera, :mod:`analysis.tables.rowchecks`) runs them through
those schema objects, and nothing refers to them by name.
"""

from __future__ import annotations

import pandas as pd

from analysis import countries
from analysis.tables.vocabulary import EVENT_TYPES


def dates_ordered(df: pd.DataFrame) -> pd.Series:
    """The event ends on or after the day it starts."""
    return df["event_end_date"] >= df["event_date"]


def coordinates_in_country(df: pd.DataFrame) -> pd.Series:
    """Rows coded to a project country lie in its region (land, its seas, a margin); places.off_land warns nearer
    misses.  The extents are data (:func:`analysis.countries.region_box`)."""
    valid = df["latitude"].between(-90, 90) & df["longitude"].between(-180, 180)  # else another rule fails
    has = (df["latitude"].notna() & df["longitude"].notna() & valid).fillna(False)
    outside = pd.Series(False, index=df.index)
    for place in countries.configured():
        box = countries.region_box(place)
        inside = (
            df["latitude"].between(box["lat_min"], box["lat_max"])
            & df["longitude"].between(box["lon_min"], box["lon_max"])
        ).fillna(False)
        outside |= ((df["country"] == place.name).fillna(False) & has & ~inside).astype(bool)
    return (~outside).astype(bool)


def _within(part: pd.Series, whole: pd.Series) -> pd.Series:
    """A count is no more than the count it is part of, where both are known."""
    ok = part.isna() | whole.isna() | (part <= whole)
    return ok.fillna(True).astype(bool)


def civilians_killed_within_total(df: pd.DataFrame) -> pd.Series:
    """Civilians killed are no more than all people killed, where both are known."""
    return _within(df["civilians_killed"], df["fatalities"])


def civilians_injured_within_total(df: pd.DataFrame) -> pd.Series:
    """Civilians injured are no more than all people injured, where both are known."""
    return _within(df["civilians_injured"], df["injured"])


def sub_type_matches_type(df: pd.DataFrame) -> pd.Series:
    """A sub-event type belongs to the row's event type (ACLED's typology, or CAMEO's for GDELT rows)."""
    pairs = pd.MultiIndex.from_tuples([(t, s) for t, subs in EVENT_TYPES.items() for s in subs])
    given = (df["sub_event_type"].notna() & df["event_type"].isin(list(EVENT_TYPES))).to_numpy()
    known = pd.MultiIndex.from_arrays([df["event_type"], df["sub_event_type"]]).isin(pairs)
    return pd.Series(~given | known, index=df.index)


def destroyed_within_launched(df: pd.DataFrame) -> pd.Series:
    """No more weapons destroyed than launched, where both are known."""
    return _within(df["destroyed"], df["launched"])


def window_ordered(df: pd.DataFrame) -> pd.Series:
    """The attack window ends on or after its start."""
    return (df["window_end"] >= df["window_start"]).fillna(True).astype(bool)
