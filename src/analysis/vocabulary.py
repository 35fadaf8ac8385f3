"""The vocabulary of the tables, importable without pandera: dtypes, allowed values, frame rules.

:mod:`analysis.schemas` declares the pandera schemas with these; code on fast
paths (metrics, loaders, the light contract check in :mod:`analysis.contract`)
imports them from here so that it does not pay for importing pandera.
"""

from __future__ import annotations

import pandas as pd

from analysis import config

DATE = "datetime64[ms]"  # Parquet stores ms; the same unit round-trips
STR = str
INT = "Int64"  # nullable: unknown is not zero
FLOAT = "Float64"

# ---------------------------------------------------------------- vocabularies
SOURCE_DATASETS = {
    "acled": "ACLED",
    "ucdp_ged": "UCDP GED",
    "news": "news reports (hand-coded)",
    "air_force": "Ukrainian Air Force daily reports",
    "reported_claim": "official statements (hand-coded)",
}

ACLED_EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "Battles": ("Armed clash", "Government regains territory", "Non-state actor overtakes territory"),
    "Explosions/Remote violence": (
        "Chemical weapon",
        "Air/drone strike",
        "Suicide bomb",
        "Shelling/artillery/missile attack",
        "Remote explosive/landmine/IED",
        "Grenade",
    ),
    "Violence against civilians": ("Sexual violence", "Attack", "Abduction/forced disappearance"),
    "Protests": ("Peaceful protest", "Protest with intervention", "Excessive force against protesters"),
    "Riots": ("Violent demonstration", "Mob violence"),
    "Strategic developments": (
        "Agreement",
        "Arrests",
        "Change to group/activity",
        "Disrupted weapons use",
        "Headquarters or base established",
        "Looting/property destruction",
        "Non-violent transfer of territory",
        "Other",
    ),
}
SUB_EVENT_TYPES = tuple(s for subs in ACLED_EVENT_TYPES.values() for s in subs)

# Kinetic events: what the package counts as an "attack".
ATTACK_EVENT_TYPES = ("Battles", "Explosions/Remote violence")
ATTACK_SUB_EVENT_TYPES = ("Attack",)  # Violence against civilians / Attack

DATE_PRECISIONS = ("day", "days", "week", "month", "year")
GEO_PRECISIONS = ("settlement", "near_settlement", "admin2", "admin1", "region", "country", "water_or_air")
VIOLENCE_TYPES = ("state-based", "non-state", "one-sided")
PLACE_MATCHES = ("name", "alternate_name", "district", "transliteration", "unmatched", "no_place")


# ---------------------------------------------------------------- frame-level checks
def _dates_ordered(df: pd.DataFrame) -> pd.Series:
    return df["event_end_date"] >= df["event_date"]


def _coordinates_in_country(df: pd.DataFrame) -> pd.Series:
    """Rows coded to the country lie in its region (land, its seas, a margin); places.off_land warns nearer misses."""
    box = config.UKRAINE_REGION_BBOX
    in_ukraine = df["country"] == config.COUNTRY
    valid = df["latitude"].between(-90, 90) & df["longitude"].between(-180, 180)  # else another rule fails
    has = (df["latitude"].notna() & df["longitude"].notna() & valid).fillna(False)
    inside = (
        df["latitude"].between(box["lat_min"], box["lat_max"])
        & df["longitude"].between(box["lon_min"], box["lon_max"])
    ).fillna(False)
    return (~(in_ukraine & has) | inside).astype(bool)


def _civilians_within_total(df: pd.DataFrame) -> pd.Series:
    ok = df["civilians_killed"].isna() | df["fatalities"].isna() | (df["civilians_killed"] <= df["fatalities"])
    return ok.fillna(True).astype(bool)


def _civilians_injured_within_total(df: pd.DataFrame) -> pd.Series:
    ok = df["civilians_injured"].isna() | df["injured"].isna() | (df["civilians_injured"] <= df["injured"])
    return ok.fillna(True).astype(bool)


def _sub_type_matches_type(df: pd.DataFrame) -> pd.Series:
    pairs = pd.MultiIndex.from_tuples([(t, s) for t, subs in ACLED_EVENT_TYPES.items() for s in subs])
    given = (df["sub_event_type"].notna() & df["event_type"].isin(list(ACLED_EVENT_TYPES))).to_numpy()
    known = pd.MultiIndex.from_arrays([df["event_type"], df["sub_event_type"]]).isin(pairs)
    return pd.Series(~given | known, index=df.index)


WEAPON_CATEGORIES = ("drone", "cruise missile", "ballistic missile", "guided aerial bomb", "anti-ship missile",
                     "surface-to-air missile", "aircraft", "other", "unknown")


def _destroyed_within_launched(df: pd.DataFrame) -> pd.Series:
    ok = df["destroyed"].isna() | df["launched"].isna() | (df["destroyed"] <= df["launched"])
    return ok.fillna(True).astype(bool)


def _window_ordered(df: pd.DataFrame) -> pd.Series:
    return (df["window_end"] >= df["window_start"]).fillna(True).astype(bool)
