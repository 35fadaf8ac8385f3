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
    "gdelt": "GDELT 2.0 (machine-coded media reports)",
}
# The source datasets of the events table; each row's event_id is prefixed with its dataset's name.
EVENT_DATASETS = ("acled", "ucdp_ged", "news", "gdelt")

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
# GDELT rows: CAMEO root codes (EventRootCode) as event types, and the base codes (EventBaseCode) of the
# three roots read as attacks (18-20, "material conflict" with force) as sub-event types.  CAMEO 1.1b3 names.
CAMEO_EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "CAMEO 01: Make public statement": (),
    "CAMEO 02: Appeal": (),
    "CAMEO 03: Express intent to cooperate": (),
    "CAMEO 04: Consult": (),
    "CAMEO 05: Engage in diplomatic cooperation": (),
    "CAMEO 06: Engage in material cooperation": (),
    "CAMEO 07: Provide aid": (),
    "CAMEO 08: Yield": (),
    "CAMEO 09: Investigate": (),
    "CAMEO 10: Demand": (),
    "CAMEO 11: Disapprove": (),
    "CAMEO 12: Reject": (),
    "CAMEO 13: Threaten": (),
    "CAMEO 14: Protest": (),
    "CAMEO 15: Exhibit force posture": (),
    "CAMEO 16: Reduce relations": (),
    "CAMEO 17: Coerce": (),
    "CAMEO 18: Assault": (
        "CAMEO 180: Use unconventional violence", "CAMEO 181: Abduct, hijack, or take hostage",
        "CAMEO 182: Physically assault", "CAMEO 183: Conduct suicide, car, or other non-military bombing",
        "CAMEO 184: Use as human shield", "CAMEO 185: Attempt to assassinate", "CAMEO 186: Assassinate",
    ),
    "CAMEO 19: Fight": (
        "CAMEO 190: Use conventional military force", "CAMEO 191: Impose blockade, restrict movement",
        "CAMEO 192: Occupy territory", "CAMEO 193: Fight with small arms and light weapons",
        "CAMEO 194: Fight with artillery and tanks", "CAMEO 195: Employ aerial weapons",
        "CAMEO 196: Violate ceasefire",
    ),
    "CAMEO 20: Use unconventional mass violence": (
        "CAMEO 200: Use unconventional mass violence", "CAMEO 201: Engage in mass expulsion",
        "CAMEO 202: Engage in mass killings", "CAMEO 203: Engage in ethnic cleansing",
        "CAMEO 204: Use weapons of mass destruction",
    ),
}
# Every event type and its sub-types, whatever the source's typology.
EVENT_TYPES: dict[str, tuple[str, ...]] = {**ACLED_EVENT_TYPES, **CAMEO_EVENT_TYPES}
SUB_EVENT_TYPES = tuple(s for subs in EVENT_TYPES.values() for s in subs)

# Kinetic events: what the package counts as an "attack".
ATTACK_EVENT_TYPES = ("Battles", "Explosions/Remote violence")
ATTACK_SUB_EVENT_TYPES = ("Attack",)  # Violence against civilians / Attack

DATE_PRECISIONS = ("day", "days", "week", "month", "year")
GEO_PRECISIONS = ("settlement", "near_settlement", "admin2", "admin1", "region", "country", "water_or_air")
VIOLENCE_TYPES = ("state-based", "non-state", "one-sided")
PLACE_MATCHES = ("name", "alternate_name", "district", "transliteration", "unmatched", "no_place")
WEAPON_CATEGORIES = ("drone", "cruise missile", "ballistic missile", "guided aerial bomb", "anti-ship missile",
                     "surface-to-air missile", "aircraft", "other", "unknown")
