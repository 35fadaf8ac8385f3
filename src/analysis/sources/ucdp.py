"""Reader for UCDP GED (Georeferenced Event Dataset) and GED Candidate CSVs.

Columns are matched by name (any order, any case), so the API/download layout
(49 columns), older layouts without the ``*_dset_id`` columns (45), HDX copies
with extra columns (50, 52; extras are ignored and reported) and GED Candidate
files all read.  ``required`` holds only the columns the mapping copies into the
canonical table; columns used only for cross-checks (``year``, ``active_year``,
``low``, ``high``, ``deaths_a``, ``deaths_b``, ``deaths_unknown``) are optional
and checked where present.  Facts about the format are in
``../shared/formats.md``; mapping decisions:

* ``event_id`` is ``"ucdp_ged:" + id`` (the dataset's name).  UCDP ids are whole numbers; a trailing
  ``.0`` (what a float round-trip through pandas or R writes, ``147997.0``) is
  dropped so that the id stays the same across copies and de-duplication works.
  Anything else (``14799x``, ``1.5``) is rejected (``id_not_a_whole_number``).
  ``source_event_id`` is the same normalised id without the prefix.
* ``event_date`` = ``date_start`` and ``event_end_date`` = ``date_end``: UCDP
  codes a range, and multi-day events keep it.  Dates are read as ISO
  (``2014-01-22``, ``2014-01-22T00:00:00``, ``2014-01-22 00:00:00.000``) or as
  Excel (US locale, month first) rewrites them (``9/17/2022 12:00:00 AM``,
  ``09/03/2022 00:00``); a file may mix them.  A day-first Excel rewrite is not
  detectable where the day is <= 12 (``03/09/2022``) and would be read month
  first; a day > 12 in the month position is rejected (``unparseable_date``).
* ``year`` must equal the year of ``date_start`` (rule
  ``year_disagrees_with_date``); this holds for every row of both real samples.
* ``date_prec`` 1..5 -> day, days (2-6 days), week, month, year.
* ``active_year`` is not mapped, but it must read as a boolean (True/False,
  1/0, true/false; empty tolerated) or the row is rejected (``not_a_boolean``):
  a garbled value there means the row is garbled.
* ``event_type`` / ``sub_event_type`` are empty: UCDP's typology is not ACLED's.
  ``violence_type`` comes from ``type_of_violence`` (1 state-based, 2 non-state,
  3 one-sided); ``is_attack`` is True for every row (every GED event is lethal
  organised violence); ``is_civilian_targeting`` is True exactly for one-sided
  violence (type 3) and False otherwise (UCDP does say, so it is never unknown).
* ``actor1`` = ``side_a``, ``actor2`` = ``side_b``; ``weapon`` is empty.
* ``country`` as written (the samples hold e.g. "Russia (Soviet Union)"; such
  rows are kept: the schema checks coordinates against Ukraine only for
  "Ukraine"); ``admin1`` = ``adm_1`` and ``admin2`` = ``adm_2`` in UCDP's raw
  spelling ("Donetsk oblast"; place normalisation happens later); ``location`` =
  ``where_coordinates``; ``geo_precision`` from ``where_prec`` 1..7 ->
  settlement, near_settlement, admin2, admin1, region, country, water_or_air.
* ``fatalities`` = ``best``; ``civilians_killed`` = ``deaths_civilians``;
  injured, civilians_injured and buildings_damaged are unknown (<NA>), not 0;
  ``is_casualties_unknown`` is False (UCDP's numbers are its estimates).
* ``best`` must equal ``deaths_a + deaths_b + deaths_civilians + deaths_unknown``
  (rule ``best_not_sum_of_deaths``, a rejection): it holds for every row of
  both real samples, so a row breaking it has been edited and it is unknown
  which number is right.  ``low <= best <= high`` does *not* always hold in real
  GED data (13 rows in each real sample), so a row breaking it is accepted and
  reported as a warning (``best_outside_low_high``).  Non-numeric, fractional
  and negative values in any count column (``low``, ``high`` and the
  ``deaths_*`` included) are rejected (``not_a_number``, ``not_a_whole_number``,
  ``negative_count``); the sum is compared only where no count is negative.
* ``notes`` = ``source_headline`` and ``source_name`` = ``source_office``, kept as
  written: several ``;``-separated values with their doubled quotes are just
  text.  ``source_url`` is empty and ``publication_date`` unknown (NaT); the
  ``source_date`` list is not a single publication date.
* ``is_synthetic`` is False: no synthetic UCDP rows exist.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.tables.schemas import DATE
from analysis.sources import base
from analysis.sources.base import Failures, Layout, Reader

NAME = "ucdp_ged"

# Every GED column known (formats.md lists the 49 of the current layout).
GED_COLUMNS = (
    "id", "relid", "year", "active_year", "code_status", "type_of_violence", "conflict_dset_id", "conflict_new_id",
    "conflict_name", "dyad_dset_id", "dyad_new_id", "dyad_name", "side_a_dset_id", "side_a_new_id", "side_a",
    "side_b_dset_id", "side_b_new_id", "side_b", "number_of_sources", "source_article", "source_office",
    "source_date", "source_headline", "source_original", "where_prec", "where_coordinates", "where_description",
    "adm_1", "adm_2", "latitude", "longitude", "geom_wkt", "priogrid_gid", "country", "country_id", "region",
    "event_clarity", "date_prec", "date_start", "date_end", "deaths_a", "deaths_b", "deaths_civilians",
    "deaths_unknown", "best", "high", "low", "gwnoa", "gwnob",
)
# The columns the mapping copies into the canonical table.
_REQUIRED = (
    "id", "type_of_violence", "side_a", "side_b", "source_office", "source_headline", "where_prec",
    "where_coordinates", "adm_1", "adm_2", "latitude", "longitude", "country", "date_prec", "date_start",
    "date_end", "deaths_civilians", "best",
)
_DSET_IDS = ("conflict_dset_id", "dyad_dset_id", "side_a_dset_id", "side_b_dset_id")

# Canonical column -> UCDP column, so rejections name the column as it is in the file.
SOURCE_COLUMNS = {"event_id": "id", "source_event_id": "id", "event_date": "date_start", "event_end_date": "date_end",
                  "date_precision": "date_prec", "violence_type": "type_of_violence", "actor1": "side_a",
                  "actor2": "side_b", "admin1": "adm_1", "admin2": "adm_2", "location": "where_coordinates",
                  "geo_precision": "where_prec", "fatalities": "best", "civilians_killed": "deaths_civilians",
                  "notes": "source_headline", "source_name": "source_office"}
LAYOUTS = (
    Layout(
        NAME,
        required=_REQUIRED,
        optional=tuple(c for c in GED_COLUMNS if c not in _REQUIRED),
        description="UCDP Georeferenced Event Dataset (GED) or GED Candidate events, any column order",
    ),
)

DATE_FORMATS = (
    "%Y-%m-%d",  # UCDP API and downloads
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",  # 2014-01-22 00:00:00.000 (database exports)
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",  # Excel, US locale: 9/17/2022 12:00:00 AM
    "%m/%d/%Y %H:%M",  # Excel, US locale: 09/03/2022 00:00
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y",
)
DATE_PRECISION = {"1": "day", "2": "days", "3": "week", "4": "month", "5": "year"}
GEO_PRECISION = {
    "1": "settlement", "2": "near_settlement", "3": "admin2", "4": "admin1",
    "5": "region", "6": "country", "7": "water_or_air",
}
VIOLENCE_TYPE = {"1": "state-based", "2": "non-state", "3": "one-sided"}
_ONE_SIDED = "one-sided"
_DEATH_PARTS = ("deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown")


def variant(columns: set[str]) -> str:
    """Human name of the layout variant, for the validate report."""
    known = len(columns & set(GED_COLUMNS))
    extra = len(columns - set(GED_COLUMNS))
    text = f"{NAME} ({known} of {len(GED_COLUMNS)} GED columns"
    if not columns & set(_DSET_IDS):
        text += ", no *_dset_id columns (pre-2019 layout)"
    if extra:
        text += f", {extra} extra column(s)"
    return text + ")"


def parse(raw: pd.DataFrame, failures: Failures) -> pd.DataFrame:
    """Raw UCDP GED strings -> canonical event columns (rows aligned with ``raw``)."""
    index = raw.index
    base.require(raw, ("id", "country"), failures)
    precision = base.map_codes(raw["date_prec"], DATE_PRECISION, "date_prec", failures, allow_empty=False)
    event_id = _event_id(raw["id"], failures)
    event_date = base.parse_dates(raw["date_start"], DATE_FORMATS, "date_start", failures)
    end_date = base.parse_dates(raw["date_end"], DATE_FORMATS, "date_end", failures)
    base.check_year(raw, event_date, "date_start", failures)
    _check_active_year(raw, failures)
    violence = base.map_codes(raw["type_of_violence"], VIOLENCE_TYPE, "type_of_violence", failures, allow_empty=False)
    best = base.parse_count(raw["best"], "best", failures)
    civilians = base.parse_count(raw["deaths_civilians"], "deaths_civilians", failures)
    _check_deaths(raw, best, civilians, failures)
    no_text = pd.Series(None, index=index, dtype="str")
    no_count = pd.Series(pd.NA, index=index, dtype="Int64")
    return pd.DataFrame(
        {
            "event_id": f"{NAME}:" + event_id,
            "source_dataset": NAME,
            "source_event_id": event_id,
            "event_date": event_date,
            "event_end_date": end_date,
            "date_precision": precision,
            "event_type": no_text,
            "sub_event_type": no_text,
            "violence_type": violence,
            "is_attack": np.ones(len(raw), dtype=bool),
            "weapon": no_text,
            **base.text_columns(raw, actor1="side_a", actor2="side_b", country="country", admin1="adm_1",
                                admin2="adm_2", location="where_coordinates"),
            "latitude": base.parse_float(raw["latitude"], "latitude", failures),
            "longitude": base.parse_float(raw["longitude"], "longitude", failures),
            "geo_precision": base.map_codes(raw["where_prec"], GEO_PRECISION, "where_prec", failures),
            "fatalities": best,
            "injured": no_count,
            "civilians_killed": civilians,
            "civilians_injured": no_count,
            "buildings_damaged": no_count,
            "is_casualties_unknown": np.zeros(len(raw), dtype=bool),
            "is_civilian_targeting": violence.eq(_ONE_SIDED).astype("boolean"),
            "notes": base.clean_text(raw["source_headline"]),
            "source_name": base.clean_text(raw["source_office"]),
            "source_url": no_text,
            "publication_date": pd.Series(pd.NaT, index=index, dtype=DATE),
            "is_synthetic": np.zeros(len(raw), dtype=bool),
        },
        index=index,
    )


def _event_id(values: pd.Series, failures: Failures) -> pd.Series:
    """The id as a whole number in text, '147997.0' -> '147997'."""
    text = values.str.strip()
    whole = text.str.fullmatch(r"\d+(?:\.0+)?").to_numpy(bool)
    failures.add(~whole & (text != "").to_numpy(bool), values, "id", "id_not_a_whole_number",
                 "'id' must be a whole number (UCDP event id, e.g. 147997)")
    return text.str.replace(r"\.0+$", "", regex=True).astype("str")


def _check_active_year(raw: pd.DataFrame, failures: Failures) -> None:
    if "active_year" not in raw:
        return
    base.parse_bool(raw["active_year"], "active_year", failures,
                    true=("true", "1", "1.0"), false=("false", "0", "0.0", ""))


def _check_deaths(raw: pd.DataFrame, best: pd.Series, civilians: pd.Series, failures: Failures) -> None:
    """best = sum of the deaths_* parts (rejection); low <= best <= high (warning only).

    ``best`` and ``deaths_civilians`` become canonical columns, whose negative
    values the schema names (``negative_count``); the other counts are checked
    here under the same rule.  The sum is only compared where no count is
    negative, so that a negative value is reported once, by its own rule.
    """
    counts = {"best": best, "deaths_civilians": civilians}
    for column in ("deaths_a", "deaths_b", "deaths_unknown", "low", "high"):
        if column in raw:
            counts[column] = base.parse_count(raw[column], column, failures)
            negative = (counts[column] < 0).fillna(False).to_numpy(bool)
            failures.add(negative, raw[column], column, "negative_count", f"'{column}' must not be negative")
    if all(c in counts for c in _DEATH_PARTS):
        total = counts["deaths_a"] + counts["deaths_b"] + counts["deaths_civilians"] + counts["deaths_unknown"]
        none_negative = pd.concat([counts[c] >= 0 for c in ("best",) + _DEATH_PARTS], axis=1).all(axis=1)
        bad = ((best != total) & none_negative).fillna(False).to_numpy(bool)
        failures.add(bad, _joined(raw, ("best",) + _DEATH_PARTS), "best", "best_not_sum_of_deaths",
                     "'best' differs from deaths_a + deaths_b + deaths_civilians + deaths_unknown")
    if "low" in counts and "high" in counts:
        outside = ((best < counts["low"]) | (best > counts["high"])).fillna(False).to_numpy(bool)
        failures.warn(outside, _joined(raw, ("low", "best", "high")), "best", "best_outside_low_high",
                      "'best' lies outside [low, high] (happens in published GED rows; kept)")


def _joined(raw: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """'name=value' pairs of several columns, to show in a failure."""
    out = columns[0] + "=" + raw[columns[0]].str.strip()
    for column in columns[1:]:
        out = out + ", " + column + "=" + raw[column].str.strip()
    return out


READER = Reader(NAME, "events", LAYOUTS, parse, source_columns=SOURCE_COLUMNS, variant=variant)
