"""The vocabulary of the tables, importable without pandera: dtypes and allowed values.

:mod:`analysis.tables.schemas` declares the pandera schemas with these (and with the
rules of :mod:`analysis.tables.rules`); code that needs only a dtype or a list of
values imports them from here.
"""

from __future__ import annotations

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
# The source datasets of the events table; each row's event_id is prefixed with its dataset's name.
EVENT_DATASETS = ("acled", "ucdp_ged", "news")

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
WEAPON_CATEGORIES = ("drone", "cruise missile", "ballistic missile", "guided aerial bomb", "anti-ship missile",
                     "surface-to-air missile", "aircraft", "other", "unknown")
