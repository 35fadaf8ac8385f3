"""Reader for ACLED exports: the current API layout and the pre-2023 Export Tool layout.

Columns are matched by name (any order, any case), so dashboard exports with
extra columns (``id``, ``actor_dyad``) and UPPERCASE spreadsheets also read.
Facts about the format are in ``../shared/formats.md``; mapping decisions:

* ``event_date`` accepts ``2022-05-09``, ``15 July 2022`` and ``14/08/2020 00:00:00``
  (day first); ``year`` must agree with it.
* ``time_precision`` 1/2/3 -> day/week/month.  ACLED codes one date even when it
  knows only the week or month, so ``event_end_date`` equals ``event_date``.
* ``fatalities`` is kept as written (0 stays 0); ``is_casualties_unknown`` records
  notes such as "Casualties unknown." so that a 0 is not read as "nobody died".
* ``civilian_targeting`` exists only in the current layout; in the Export Tool
  layout ``is_civilian_targeting`` is empty (unknown), not False.
* An extra column ``is_synthetic`` (written by ``analysis synth``) marks synthetic rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.tables.schemas import ATTACK_EVENT_TYPES, ATTACK_SUB_EVENT_TYPES, DATE
from analysis.sources import base
from analysis.sources.base import Failures, Layout, Reader

NAME = "acled"

_CORE = (
    "event_id_cnty", "event_date", "time_precision", "event_type", "sub_event_type",
    "actor1", "actor2", "country", "admin1", "admin2", "location",
    "latitude", "longitude", "geo_precision", "source", "notes", "fatalities",
)
CURRENT_COLUMNS = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type", "sub_event_type",
    "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction", "civilian_targeting",
    "iso", "region", "country", "admin1", "admin2", "admin3", "location", "latitude", "longitude", "geo_precision",
    "source", "source_scale", "notes", "fatalities", "tags", "timestamp",
)
EXPORT_TOOL_COLUMNS = (
    "data_id", "iso", "event_id_cnty", "event_id_no_cnty", "event_date", "year", "time_precision", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction",
    "region", "country", "admin1", "admin2", "admin3", "location", "latitude", "longitude", "geo_precision",
    "source", "source_scale", "notes", "fatalities", "timestamp", "iso3",
)
_EXTRAS = ("id", "actor_dyad", "is_synthetic")

LAYOUTS = (
    Layout(
        "acled",
        required=_CORE,
        optional=tuple(sorted(set(CURRENT_COLUMNS + EXPORT_TOOL_COLUMNS + _EXTRAS) - set(_CORE))),
        description="ACLED export (current API layout since March 2023, or the earlier Export Tool layout)",
    ),
)

SOURCE_COLUMNS = {"event_id": "event_id_cnty", "source_event_id": "event_id_cnty", "event_end_date": "event_date",
                  "date_precision": "time_precision", "source_name": "source"}
DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d/%m/%Y %H:%M:%S", "%d %b %Y", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y", "%d-%b-%y")
TIME_PRECISION = {"1": "day", "2": "week", "3": "month"}
GEO_PRECISION = {"1": "settlement", "2": "near_settlement", "3": "region"}
# (?i) inline: case=False would make pandas fall back to Python's re, row by row
_UNKNOWN_CASUALTIES = r"(?i)(?:casualties|fatalities)(?: are| were)? unknown|unknown (?:number of )?(?:casualties|fatalities)"


def variant(columns: set[str]) -> str:
    """Human name of the layout variant, for the validate report."""
    if "civilian_targeting" in columns or "disorder_type" in columns:
        return "acled (current layout)"
    if "data_id" in columns or "event_id_no_cnty" in columns:
        return "acled (Export Tool layout, before March 2023)"
    return "acled"


def parse(raw: pd.DataFrame, failures: Failures) -> pd.DataFrame:
    """Raw ACLED strings -> canonical event columns (rows aligned with ``raw``)."""
    # An export written by R (acledR, write.csv) has NA for a missing value; no ACLED column holds the text "NA"
    # (iso is the numeric ISO 3166 code, never Namibia's ISO2 "NA"), so it is read as empty.
    raw = base.blank_where(raw, "NA")
    base.require(raw, ("event_id_cnty", "event_type", "country"), failures)  # an empty date: parse_dates
    event_date = base.parse_dates(raw["event_date"], DATE_FORMATS, "event_date", failures)
    base.check_year(raw, event_date, "event_date", failures)
    synthetic = _synthetic_flag(raw, failures)
    event_type = base.clean_text(raw["event_type"])
    sub_event_type = base.clean_text(raw["sub_event_type"])
    return pd.DataFrame(
        {
            "event_id": base.prefixed_ids(raw["event_id_cnty"].str.strip(), NAME, synthetic),
            "source_dataset": NAME,
            "source_event_id": base.clean_text(raw["event_id_cnty"]),
            "event_date": event_date,
            "event_end_date": event_date,
            "date_precision": base.map_codes(raw["time_precision"], TIME_PRECISION, "time_precision", failures, allow_empty=False),
            "event_type": event_type,
            "sub_event_type": sub_event_type,
            "violence_type": pd.Series(None, index=raw.index, dtype="str"),
            "is_attack": (event_type.isin(ATTACK_EVENT_TYPES) | sub_event_type.isin(ATTACK_SUB_EVENT_TYPES)).to_numpy(bool),
            "weapon": pd.Series(None, index=raw.index, dtype="str"),
            **base.text_columns(raw, actor1="actor1", actor2="actor2", country="country", admin1="admin1",
                                admin2="admin2", location="location"),
            "latitude": base.parse_float(raw["latitude"], "latitude", failures),
            "longitude": base.parse_float(raw["longitude"], "longitude", failures),
            "geo_precision": base.map_codes(raw["geo_precision"], GEO_PRECISION, "geo_precision", failures),
            "fatalities": base.parse_count(raw["fatalities"], "fatalities", failures),
            "injured": pd.Series(pd.NA, index=raw.index, dtype="Int64"),
            "civilians_killed": pd.Series(pd.NA, index=raw.index, dtype="Int64"),
            "civilians_injured": pd.Series(pd.NA, index=raw.index, dtype="Int64"),
            "buildings_damaged": pd.Series(pd.NA, index=raw.index, dtype="Int64"),
            "is_casualties_unknown": raw["notes"].str.contains(_UNKNOWN_CASUALTIES, regex=True).to_numpy(bool),
            "is_civilian_targeting": _civilian_targeting(raw),
            "notes": base.clean_text(raw["notes"]),
            "source_name": base.clean_text(raw["source"]),
            "source_url": pd.Series(None, index=raw.index, dtype="str"),
            "publication_date": pd.Series(pd.NaT, index=raw.index, dtype=DATE),
            "is_synthetic": synthetic,
        },
        index=raw.index,
    )


def _civilian_targeting(raw: pd.DataFrame) -> pd.Series:
    if "civilian_targeting" not in raw:
        return pd.Series(pd.NA, index=raw.index, dtype="boolean")
    flag = raw["civilian_targeting"].str.strip().str.lower().eq("civilian targeting")
    return flag.astype("boolean")


def _synthetic_flag(raw: pd.DataFrame, failures: Failures) -> np.ndarray:
    if "is_synthetic" not in raw:
        return np.zeros(len(raw), dtype=bool)
    return base.parse_bool(raw["is_synthetic"], "is_synthetic", failures).to_numpy(bool)


READER = Reader(NAME, "events", LAYOUTS, parse, source_columns=SOURCE_COLUMNS, variant=variant)
