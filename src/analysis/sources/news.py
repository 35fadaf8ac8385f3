"""Reader for events hand-coded from news reports (the package's own CSV template).

A journalist fills one row per event described in an article, e.g. "a missile
hit an apartment building in Kramatorsk on 14 March 2023, killing one civilian
and wounding three".  The template (``analysis template news``) has these columns:

==================  ========  =====================================================
column              required  meaning
==================  ========  =====================================================
event_id            no        short stable id; derived from the row's content if empty
date                yes       day of the event, YYYY-MM-DD
end_date            no        last day, for events spanning several days
place               *         settlement as named in the report
oblast              *         oblast (region); * at least one of place/oblast
event_type          yes       ACLED event type, e.g. 'Explosions/Remote violence'
sub_event_type      no        ACLED sub-event type, e.g. 'Shelling/artillery/missile attack'
weapon              no        weapon or means as reported, e.g. 'missile'
killed              no        people killed; empty = not reported (not zero)
injured             no        people injured; empty = not reported
civilians_killed    no        civilians among the killed
civilians_injured   no        civilians among the injured
buildings_damaged   no        buildings damaged
description         yes       what happened, in the report's words
source_name         yes       outlet and article, e.g. 'RFE/RL, 14 March 2023'
source_url          no        link (http or https)
publication_date    yes       when the report was published, YYYY-MM-DD
==================  ========  =====================================================

Optional extra columns: country (default Ukraine), latitude, longitude, actor1,
actor2, is_civilian_targeting (yes/no).  Validation is strict: an unknown
column is an error (it is usually a misspelt template column), dates must be
ISO, counts whole numbers, the event cannot postdate its report, and the
sub-event type must belong to the event type.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import config
from analysis.tables.schemas import ACLED_EVENT_TYPES, ATTACK_EVENT_TYPES, ATTACK_SUB_EVENT_TYPES
from analysis.sources import base
from analysis.sources.base import Failures, Layout, Reader

NAME = "news"

TEMPLATE_COLUMNS = (
    "event_id", "date", "end_date", "place", "oblast", "event_type", "sub_event_type", "weapon",
    "killed", "injured", "civilians_killed", "civilians_injured", "buildings_damaged",
    "description", "source_name", "source_url", "publication_date",
)
_REQUIRED = (
    "date", "place", "oblast", "event_type", "weapon", "killed", "injured", "civilians_killed",
    "civilians_injured", "buildings_damaged", "description", "source_name", "source_url", "publication_date",
)
_OPTIONAL = ("event_id", "end_date", "sub_event_type", "country", "latitude", "longitude",
             "actor1", "actor2", "is_civilian_targeting")
LAYOUTS = (Layout("news", required=_REQUIRED, optional=_OPTIONAL,
                  description="events hand-coded from news reports (the package's template)"),)

ISO = ("%Y-%m-%d",)
# Canonical column -> template column, so messages name the column the journalist typed in.
SOURCE_COLUMNS = {"event_date": "date", "event_end_date": "end_date", "location": "place", "admin1": "oblast",
                  "fatalities": "killed", "notes": "description"}
_COUNTS = {"killed": "fatalities", "injured": "injured", "civilians_killed": "civilians_killed",
           "civilians_injured": "civilians_injured", "buildings_damaged": "buildings_damaged"}


def parse(raw: pd.DataFrame, failures: Failures) -> pd.DataFrame:
    """Template strings -> canonical event columns (rows aligned with ``raw``)."""
    raw = _with_optional_columns(raw)
    base.require(raw, ("event_type", "description", "source_name"), failures)  # empty dates: parse_dates
    _require_place_or_oblast(raw, failures)
    event_date = base.parse_dates(raw["date"], ISO, "date", failures)
    end_date = base.parse_dates(raw["end_date"], ISO, "end_date", failures, required=False)
    published = base.parse_dates(raw["publication_date"], ISO, "publication_date", failures)
    failures.add((event_date > published).fillna(False).to_numpy(bool), raw["date"], "date",
                 "event_after_publication", "the event date is after the report's publication_date")
    event_type, sub_event_type = _event_types(raw, failures)
    counts = {canon: base.parse_count(raw[col], col, failures) for col, canon in _COUNTS.items()}
    place = base.clean_text(raw["place"])
    return pd.DataFrame(
        {
            "event_id": f"{NAME}:" + _event_ids(raw),
            "source_dataset": NAME,
            "source_event_id": _event_ids(raw),
            "event_date": event_date,
            "event_end_date": end_date.fillna(event_date),
            "date_precision": np.where(end_date.notna() & (end_date != event_date), "days", "day"),
            "event_type": event_type,
            "sub_event_type": sub_event_type,
            "violence_type": pd.Series(None, index=raw.index, dtype="str"),
            "is_attack": (event_type.isin(ATTACK_EVENT_TYPES) | sub_event_type.isin(ATTACK_SUB_EVENT_TYPES)).to_numpy(bool),
            "weapon": base.clean_text(raw["weapon"]),
            "actor1": base.clean_text(raw["actor1"]),
            "actor2": base.clean_text(raw["actor2"]),
            "country": base.clean_text(raw["country"]).fillna(config.COUNTRY),
            "admin1": base.clean_text(raw["oblast"]),
            "admin2": pd.Series(None, index=raw.index, dtype="str"),
            "location": place,
            "latitude": base.parse_float(raw["latitude"], "latitude", failures),
            "longitude": base.parse_float(raw["longitude"], "longitude", failures),
            "geo_precision": np.where(place.notna(), "settlement", "admin1"),
            **counts,
            "is_casualties_unknown": (counts["fatalities"].isna() & counts["civilians_killed"].isna()).to_numpy(bool),
            "is_civilian_targeting": _civilian_targeting(raw, failures),
            "notes": base.clean_text(raw["description"]),
            "source_name": base.clean_text(raw["source_name"]),
            "source_url": _url(raw, failures),
            "publication_date": published,
            "is_synthetic": False,
        },
        index=raw.index,
    ).astype({"date_precision": "str", "geo_precision": "str"})


def _with_optional_columns(raw: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in _OPTIONAL if c not in raw]
    return raw.assign(**{c: "" for c in missing}) if missing else raw


def _require_place_or_oblast(raw: pd.DataFrame, failures: Failures) -> None:
    neither = base.missing(raw["place"]) & base.missing(raw["oblast"])
    failures.add(neither, raw["place"], "place", "place_or_oblast_required",
                 "give the place (settlement) or at least the oblast")


def _event_types(raw: pd.DataFrame, failures: Failures) -> tuple[pd.Series, pd.Series]:
    """Accept ACLED types in any letter case; name the allowed values on failure."""
    canonical = {t.lower(): t for t in ACLED_EVENT_TYPES}
    subs = {s.lower(): s for subs in ACLED_EVENT_TYPES.values() for s in subs}
    event_type = base.clean_text(raw["event_type"]).str.lower().map(canonical).astype("str")
    bad = event_type.isna().to_numpy() & ~base.missing(raw["event_type"])
    failures.add(bad, raw["event_type"], "event_type", "unknown_event_type",
                 "event_type must be one of: " + "; ".join(ACLED_EVENT_TYPES))
    sub = base.clean_text(raw["sub_event_type"]).str.lower().map(subs).astype("str")
    bad_sub = sub.isna().to_numpy() & ~base.missing(raw["sub_event_type"])
    failures.add(bad_sub, raw["sub_event_type"], "sub_event_type", "unknown_sub_event_type",
                 "sub_event_type must be an ACLED sub-event type, e.g. 'Shelling/artillery/missile attack'")
    return event_type, sub


def _event_ids(raw: pd.DataFrame) -> pd.Series:
    """The given id, or a stable hash of the row's content when the id is empty."""
    given = raw["event_id"].str.strip()
    content = raw[["date", "place", "oblast", "event_type", "description", "source_name", "source_url"]]
    digest = "h" + pd.util.hash_pandas_object(content, index=False).astype("str")
    return given.where(given != "", digest).str.replace(r"\s+", "-", regex=True)


def _civilian_targeting(raw: pd.DataFrame, failures: Failures) -> pd.Series:
    text = raw["is_civilian_targeting"].str.strip()
    flags = base.parse_bool(raw["is_civilian_targeting"], "is_civilian_targeting", failures)
    return flags.astype("boolean").where(text != "", pd.NA)


def _url(raw: pd.DataFrame, failures: Failures) -> pd.Series:
    url = base.clean_text(raw["source_url"])
    bad = (url.notna() & ~url.str.match(r"^https?://\S+$", na=False)).to_numpy(bool)
    failures.add(bad, raw["source_url"], "source_url", "not_a_url", "source_url must start with http:// or https://")
    return url


READER = Reader(NAME, "events", LAYOUTS, parse, strict_columns=True, source_columns=SOURCE_COLUMNS)
