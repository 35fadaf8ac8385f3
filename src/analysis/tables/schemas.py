"""The pandera schemas: the single, documented contract of every table.

Schemas are declared once here and chained, never repeated:

* ``CANONICAL_EVENTS``  what every reader produces from a raw row;
* ``PROCESSED_EVENTS``  canonical + place normalisation, written to ``events.parquet``;
* ``DAILY_COUNTS``      daily counts that are not events (air-force reports, official claims);
* ``REJECTS`` / ``MERGED`` / ``DELETED``  the ledger files of a build.

Metric output schemas live here too, so that the data dictionary
(``analysis dictionary``) is generated from one place.

Each rule is written once, here: value checks on their column, and rules about
several columns of a row as functions of :mod:`analysis.tables.rules` registered with
:func:`frame_rule`.  Every validator reads these objects at run time: pandera
itself, :mod:`analysis.tables.rowchecks` (the build's and the metrics' fast path) and
the build's rejects, which name a frame rule's columns (:func:`rule_columns`).  Column names follow
PUDL's conventions: ``_date`` for dates, ``is_`` for booleans, units or counted
things in the name, one name per quantity everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from analysis import config
from analysis.tables import rules
from analysis.tables.vocabulary import (  # noqa: F401 - re-exported: schemas.DATE etc. are used widely
    ACLED_EVENT_TYPES,
    EVENT_TYPES,
    ATTACK_EVENT_TYPES,
    ATTACK_SUB_EVENT_TYPES,
    DATE,
    DATE_PRECISIONS,
    EVENT_DATASETS,
    FLOAT,
    GEO_PRECISIONS,
    INT,
    PLACE_MATCHES,
    SOURCE_DATASETS,
    STR,
    SUB_EVENT_TYPES,
    VIOLENCE_TYPES,
    WEAPON_CATEGORIES,
)

# "no whitespace" spelled out: pandas runs a pattern with \S through Python's re,
# row by row (~0.4 s per million ids), but this one through pyarrow's RE2.
_NO_SPACE = r"[^ \t\n\r\f\v]+"


def id_pattern(*prefixes: str) -> str:
    """Ids: one of ``prefixes``, a colon and no whitespace; synthetic rows are prefixed 'synthetic-'."""
    return r"^(synthetic-)?(" + "|".join(re.escape(p) for p in prefixes) + r"):" + _NO_SPACE + r"\Z"


def _count(description: str) -> pa.Column:
    return pa.Column(INT, pa.Check.ge(0, error="negative_count"), nullable=True, description=description)


def in_coverage() -> list[pa.Check]:
    """The checks of a day an event or count can be on: not before the data's coverage, not in the far future."""
    return [pa.Check.ge(pd.Timestamp(config.EARLIEST_EVENT_DATE), error="date_before_coverage"),
            pa.Check.le(pd.Timestamp(config.LATEST_EVENT_DATE), error="date_in_far_future")]


def _text(description: str, nullable: bool = True, **kwargs) -> pa.Column:
    return pa.Column(STR, nullable=nullable, description=description, **kwargs)


def frame_rule(test, rule: str, *columns: str) -> pa.Check:
    """Register a rule about several columns of a row (a function of :mod:`analysis.tables.rules`) on a schema.

    ``rule`` is its name in rejects.csv; ``columns`` are the columns a rejection
    names, in this order (see :func:`rule_columns`).  The statistics keep the
    function, so that :mod:`analysis.tables.rowchecks` applies the same one.
    """
    return pa.Check(test, error=rule, statistics={"test": test, "columns": columns})


def rule_columns(check: pa.Check) -> tuple[str, ...]:
    """The columns a frame-level rule is about, as registered by :func:`frame_rule` (none for other checks)."""
    return tuple((check.statistics or {}).get("columns", ()))


# ---------------------------------------------------------------- events
CANONICAL_EVENTS = pa.DataFrameSchema(
    {
        "event_id": _text(
            "Stable identifier, prefixed by its source dataset: 'acled:UKR50225', 'ucdp_ged:147997', "
            "'news:kramatorsk-2023-03-14-apartment'; synthetic rows are prefixed 'synthetic-'.",
            nullable=False,
            checks=pa.Check.str_matches(id_pattern(*EVENT_DATASETS), error="event_id_format"),
            unique=True,
        ),
        "source_dataset": _text(
            "Dataset family the row comes from: " + ", ".join(SOURCE_DATASETS) + ".",
            nullable=False,
            checks=pa.Check.isin(list(SOURCE_DATASETS)),
        ),
        "source_event_id": _text("The row's identifier in its source (ACLED event_id_cnty, UCDP id, news id)."),
        "event_date": pa.Column(
            DATE,
            in_coverage(),
            description="First day of the event (UCDP date_start; ACLED event_date; the day for news rows).",
        ),
        "event_end_date": pa.Column(
            DATE, description="Last day of the event; equals event_date for one-day events (UCDP date_end)."
        ),
        "date_precision": _text(
            "How precisely the source knows the date: day, days (2-6 days), week, month or year.",
            nullable=False,
            checks=pa.Check.isin(list(DATE_PRECISIONS)),
        ),
        "event_type": _text(
            "ACLED event type (Battles; Explosions/Remote violence; ...) where known; for GDELT rows the CAMEO "
            "root code ('CAMEO 19: Fight'); empty for UCDP rows, whose typology differs.",
            checks=pa.Check.isin(list(EVENT_TYPES), error="unknown_event_type"),
        ),
        "sub_event_type": _text(
            "ACLED sub-event type (GDELT: CAMEO base code of roots 18-20), consistent with event_type.",
            checks=pa.Check.isin(list(SUB_EVENT_TYPES), error="unknown_sub_event_type"),
        ),
        "violence_type": _text(
            "UCDP type of violence: state-based, non-state or one-sided; empty for other sources.",
            checks=pa.Check.isin(list(VIOLENCE_TYPES)),
        ),
        "is_attack": pa.Column(
            bool,
            description="Kinetic event: ACLED Battles or Explosions/Remote violence, or Violence against "
            "civilians/Attack; every UCDP event (all are lethal organised violence); a GDELT report coded "
            "CAMEO root 18, 19 or 20 (assault, fight, unconventional mass violence).",
        ),
        "weapon": _text("Weapon or means where the source names it (e.g. 'missile', 'Shahed-136/131')."),
        "actor1": _text("First actor (ACLED actor1, UCDP side_a)."),
        "actor2": _text("Second actor (ACLED actor2, UCDP side_b)."),
        "country": _text("Country where the event took place, as the source names it.", nullable=False),
        "admin1": _text(
            "Oblast (first-level division). In events.parquet normalised to one spelling per oblast "
            "(e.g. 'Zaporizhzhia', 'Kyiv City'); other countries' regions are kept as written."
        ),
        "admin2": _text("Raion (second-level division) as written by the source."),
        "location": _text("The place as written in the source (ACLED location, UCDP where_coordinates, news place)."),
        "latitude": pa.Column(
            FLOAT, pa.Check.in_range(-90, 90, error="latitude_out_of_range"), nullable=True,
            description="Latitude in decimal degrees (WGS84) as given by the source.",
        ),
        "longitude": pa.Column(
            FLOAT, pa.Check.in_range(-180, 180, error="longitude_out_of_range"), nullable=True,
            description="Longitude in decimal degrees (WGS84) as given by the source.",
        ),
        "geo_precision": _text(
            "How precisely the source locates the event: " + ", ".join(GEO_PRECISIONS) + ".",
            checks=pa.Check.isin(list(GEO_PRECISIONS)),
        ),
        "fatalities": _count("People killed, all parties (ACLED fatalities, UCDP best, news 'killed'). Empty = unknown."),
        "injured": _count("People injured, all parties, where the source says. Empty = unknown."),
        "civilians_killed": _count("Civilians killed (UCDP deaths_civilians, news 'civilians killed'). Empty = unknown."),
        "civilians_injured": _count("Civilians injured (news 'civilians injured'). Empty = unknown."),
        "buildings_damaged": _count("Buildings damaged, where the source says. Empty = unknown."),
        "is_casualties_unknown": pa.Column(
            bool,
            description="The source says casualties are unknown (ACLED notes 'Casualties unknown'), "
            "even where its fatalities field holds 0.",
        ),
        "is_civilian_targeting": pa.Column(
            "boolean", nullable=True,
            description="Civilians were the target (ACLED civilian_targeting; UCDP one-sided violence). "
            "Empty where the source does not say.",
        ),
        "notes": _text("Free-text description from the source."),
        "source_name": _text("Who reported it (ACLED source, UCDP source_office, news outlet)."),
        "source_url": _text("Link to the report, where given."),
        "publication_date": pa.Column(DATE, nullable=True, description="When the cited report was published (news rows)."),
        "is_synthetic": pa.Column(bool, description="Row comes from the synthetic generator, not from the world."),
        "raw_file": _text("Raw file the row was read from, relative to the raw-data folder.", nullable=False),
        "raw_line": pa.Column("int64", pa.Check.ge(1), description="Line of the raw file where the row starts "
                              "(from 2, after the header); of a snapshot page: the record's 1-based position."),
    },
    checks=[
        frame_rule(rules.dates_ordered, "end_date_before_start_date", "event_date", "event_end_date"),
        frame_rule(rules.coordinates_in_country, "coordinates_outside_country", "latitude", "longitude"),
        frame_rule(rules.civilians_killed_within_total, "civilians_killed_exceeds_fatalities",
                   "civilians_killed", "fatalities"),
        frame_rule(rules.civilians_injured_within_total, "civilians_injured_exceeds_injured",
                   "civilians_injured", "injured"),
        frame_rule(rules.sub_type_matches_type, "sub_event_type_not_in_event_type", "event_type", "sub_event_type"),
    ],
    strict=True,
    ordered=True,
    name="canonical_events",
    description="One row per event, whatever the source: the contract every reader fulfils.",
)

_PLACE_COLUMNS = {
    "settlement": _text("Settlement name as in the GeoNames gazetteer, where the location matched one."),
    "geonameid": pa.Column(INT, nullable=True, description="GeoNames id of the matched settlement."),
    "place_match": _text(
        "How the location was matched: " + ", ".join(PLACE_MATCHES) + ".",
        nullable=False,
        checks=pa.Check.isin(list(PLACE_MATCHES)),
    ),
    "is_place_matched": pa.Column(bool, description="The location matched a gazetteer settlement."),
    "place_distance_km": pa.Column(
        FLOAT, nullable=True, description="Distance from the source's coordinates to the matched settlement (km)."
    ),
}

PROCESSED_EVENTS = CANONICAL_EVENTS.add_columns(_PLACE_COLUMNS)
PROCESSED_EVENTS.name = "events"
PROCESSED_EVENTS.description = "events.parquet: canonical events plus place normalisation against GeoNames."

EVENT_COLUMNS = tuple(CANONICAL_EVENTS.columns)
PROCESSED_COLUMNS = tuple(PROCESSED_EVENTS.columns)

# ---------------------------------------------------------------- claims
CLAIMS = pa.DataFrameSchema(
    {
        "claim_id": _text(
            "Stable identifier of the hand-coded claim, 'claim:<id>'.",
            nullable=False,
            checks=pa.Check.str_matches(id_pattern("claim"), error="claim_id_format"),
            unique=True,
        ),
        "source_dataset": _text("Always 'reported_claim'.", nullable=False, checks=pa.Check.isin(["reported_claim"])),
        "count_date": pa.Column(DATE, in_coverage(),
                                description="Day the claimed count refers to (the end of its period)."),
        "period_days": pa.Column("int64", pa.Check.ge(1, error="period_days_below_one"),
                                 description="Length of the period the count covers, in days (1 = 'over the past day')."),
        "metric": _text("What is counted, in snake_case (e.g. 'attacks_repelled').", nullable=False,
                        checks=pa.Check.str_matches(r"^[a-z][a-z0-9_]*$", error="metric_not_snake_case")),
        "value": pa.Column(INT, pa.Check.ge(0, error="negative_count"), description="The claimed number."),
        "claimant": _text("Who makes the claim (e.g. 'General Staff of the Armed Forces of Ukraine').", nullable=False),
        "admin1": _text("Oblast the claim is about, if it is about one."),
        "location": _text("Places named with the claim, as written ('; '-separated)."),
        "notes": _text("The claim as reported, in words."),
        "source_name": _text("Outlet that reported the claim.", nullable=False),
        "source_url": _text("Link to the report, where given."),
        "publication_date": pa.Column(DATE, nullable=True, description="When the cited report was published."),
        "is_synthetic": pa.Column(bool, description="Row comes from a synthetic generator."),
        "raw_file": _text("Raw file the row was read from.", nullable=False),
        "raw_line": pa.Column("int64", pa.Check.ge(2), description="Line of the raw file where the row starts."),
    },
    strict=True,
    ordered=True,
    name="claims",
    description="Officially reported counts that are not events (e.g. '102 attacks repelled'), hand-coded.",
)

# ---------------------------------------------------------------- air-force reports and daily counts
# One rule on two tables: the reports as read, and their daily sums (metrics.air_attacks_per_day).
DESTROYED_WITHIN_LAUNCHED = frame_rule(rules.destroyed_within_launched, "destroyed_exceeds_launched",
                                       "launched", "destroyed")

AIR_ATTACKS = pa.DataFrameSchema(
    {
        "report_id": _text("Stable id of the report row, 'air_force:<hash of window, model, launch place, target and source>'.",
                           nullable=False, unique=True,
                           checks=pa.Check.str_matches(id_pattern("air_force"), error="report_id_format")),
        "source_dataset": _text("Always 'air_force'.", nullable=False, checks=pa.Check.isin(["air_force"])),
        "window_start": pa.Column(DATE, description="Start of the attack window (date and time, Kyiv time as reported)."),
        "window_end": pa.Column(DATE, description="End of the attack window (often the next morning)."),
        "count_date": pa.Column(DATE, in_coverage(), description="Day the report counts towards: the calendar day of "
                                "window_end (the morning report)."),
        "weapon_model": _text("Weapon model as reported (e.g. 'Shahed-136/131', 'Iskander-M').", nullable=False),
        "weapon_category": _text("Category of the model: " + ", ".join(WEAPON_CATEGORIES) + ".", nullable=False,
                                 checks=pa.Check.isin(list(WEAPON_CATEGORIES))),
        "launched": _count("Weapons launched in the window, as reported."),
        "destroyed": _count("Weapons reported shot down or suppressed; never more than launched."),
        "not_reached_target": _count("Weapons reported lost without reaching a target (electronic warfare etc.)."),
        "launch_place": _text("Where they were launched from, as reported ('and'-joined list)."),
        "target": _text("Target area as reported."),
        "source_name": _text("Who reported it.", nullable=False),
        "source_url": _text("Link to the original post, where given."),
        "is_synthetic": pa.Column(bool, description="Row comes from a synthetic generator."),
        "raw_file": _text("Raw file the row was read from.", nullable=False),
        "raw_line": pa.Column("int64", pa.Check.ge(2), description="Line of the raw file where the row starts."),
    },
    checks=[
        DESTROYED_WITHIN_LAUNCHED,
        frame_rule(rules.window_ordered, "window_end_before_start", "window_start", "window_end"),
    ],
    strict=True,
    ordered=True,
    name="air_attacks",
    description="Daily Ukrainian Air Force reports of missiles and drones launched and destroyed, one row per "
                "weapon model per attack window.",
)

DAILY_COUNTS = pa.DataFrameSchema(
    {
        "count_date": pa.Column(DATE, description="Day the count refers to."),
        "metric": _text("What is counted: 'launched', 'destroyed', 'not_reached_target' (air-force reports) or a "
                        "claimed metric such as 'attacks_repelled'.", nullable=False),
        "value": pa.Column(INT, pa.Check.ge(0, error="negative_count"), description="The count."),
        "is_reported_claim": pa.Column(bool, description="A number claimed in an official statement, not "
                                       "counted from events or itemised reports; chart it as a claim."),
        "weapon_model": _text("Weapon model, for air-force counts."),
        "weapon_category": _text("Weapon category, for air-force counts."),
        "claimant": _text("Who reported the number (e.g. 'Ukrainian Air Force', 'General Staff ...')."),
        "period_days": pa.Column("int64", pa.Check.ge(1), description="Days the count covers."),
        "source_dataset": _text("air_force or reported_claim.", nullable=False),
        "source_name": _text("Who published it.", nullable=False),
        "source_url": _text("Link to the report, where given."),
        "is_synthetic": pa.Column(bool, description="Row comes from a synthetic generator."),
        "raw_file": _text("Raw file the count was read from.", nullable=False),
        "raw_line": pa.Column("int64", description="Line of the raw file."),
    },
    strict=True,
    ordered=True,
    name="daily_counts",
    description="daily_counts.parquet: daily counts that are not events, in long form: air-force launched/"
                "destroyed per model, and officially reported claims, each tagged by metric and source.",
)

# ---------------------------------------------------------------- metric outputs
# Each metric in analysis.metrics validates its result against one of these.
# Grouping columns (``by=``) are added per call and are not listed here (strict=False).
ATTACKS_PER_DAY = pa.DataFrameSchema(
    {
        "event_date": pa.Column(DATE, description="The day (events are counted on their first day)."),
        "attacks": pa.Column("int64", pa.Check.ge(0), description="Attack events (is_attack) starting that day; "
                             "0 on days with none."),
        "attacks_imprecise_date": pa.Column("int64", pa.Check.ge(0), description="Of which dated only to a week, "
                                            "month or range by the source."),
        "attacks_rolling_mean": pa.Column("Float64", nullable=True, required=False,
                                          description="Trailing rolling mean of attacks over the requested window."),
    },
    strict=False,
    name="attacks_per_day",
    description="metrics.attacks_per_day: daily counts of attack events, zero-filled.",
)

CIVILIAN_HARM_BY_CITY = pa.DataFrameSchema(
    {
        "settlement": _text("Gazetteer settlement, or the location as written when it matched none.", nullable=False),
        "admin1": _text("Oblast."),
        "geonameid": pa.Column(INT, nullable=True, description="GeoNames id of the settlement."),
        "is_place_matched": pa.Column(bool, description="The settlement matched the gazetteer."),
        "incidents": pa.Column("int64", pa.Check.ge(1), description="Civilian-harm incidents."),
        "civilians_killed": _count("Civilians killed in incidents that give a number; empty if none does."),
        "civilians_injured": _count("Civilians injured in incidents that give a number; empty if none does."),
        "incidents_killed_unknown": pa.Column("int64", pa.Check.ge(0),
                                              description="Incidents that give no number of civilians killed."),
        "incidents_injured_unknown": pa.Column("int64", pa.Check.ge(0),
                                               description="Incidents that give no number of civilians injured."),
        "first_date": pa.Column(DATE, description="First incident."),
        "last_date": pa.Column(DATE, description="Last incident."),
    },
    strict=True,
    ordered=True,
    name="civilian_harm_by_city",
    description="metrics.civilian_harm_by_city: civilian-harm incidents and casualties per settlement.",
)

PERIOD_COMPARISON = pa.DataFrameSchema(
    {
        "metric": _text("What is compared ('attacks', 'events', 'fatalities', 'civilians_killed').", nullable=False),
        "current_start_date": pa.Column(DATE, description="First day of the current period."),
        "current_end_date": pa.Column(DATE, description="Last day of the current period."),
        "previous_start_date": pa.Column(DATE, description="First day of the comparison period."),
        "previous_end_date": pa.Column(DATE, description="Last day of the comparison period."),
        "current_value": pa.Column(INT, nullable=True, description="Value in the current period."),
        "previous_value": pa.Column(INT, nullable=True, description="Value in the comparison period."),
        "absolute_change": pa.Column(INT, nullable=True, description="current_value - previous_value."),
        "relative_change": pa.Column(FLOAT, nullable=True, description="absolute_change / previous_value; empty "
                                     "when previous_value is 0 (no meaningful percentage)."),
    },
    strict=False,
    name="period_comparison",
    description="metrics.compare_periods: a value in two periods, with absolute and relative change.",
)

EVENT_SUMMARY = pa.DataFrameSchema(
    {
        "period_start_date": pa.Column(DATE, description="First day of the week (Monday) or month."),
        "events": pa.Column("int64", pa.Check.ge(0), description="Events starting in the period."),
        "attacks": pa.Column("int64", pa.Check.ge(0), description="Of which attacks (is_attack)."),
        "fatalities": _count("Fatalities in events that give a number; empty if none does."),
        "events_fatalities_unknown": pa.Column("int64", pa.Check.ge(0),
                                               description="Events with no fatality number or 'casualties unknown'."),
        "civilians_killed": _count("Civilians killed in events that give a number."),
    },
    strict=False,
    name="event_summary",
    description="metrics.summarise_events: weekly or monthly totals, by type and oblast on request.",
)

AIR_ATTACKS_PER_DAY = pa.DataFrameSchema(
    {
        "count_date": pa.Column(DATE, description="Report day (the day the attack window ends)."),
        "weapon_category": _text("Weapon category, or 'all'.", nullable=False),
        "launched": pa.Column("int64", pa.Check.ge(0), description="Weapons launched; 0 on days without a report row."),
        "destroyed": pa.Column("int64", pa.Check.ge(0), description="Weapons reported destroyed."),
        "share_destroyed": pa.Column(FLOAT, pa.Check.in_range(0, 1), nullable=True,
                                     description="destroyed / launched; empty when nothing was launched."),
    },
    checks=DESTROYED_WITHIN_LAUNCHED,
    strict=True,
    ordered=True,
    name="air_attacks_per_day",
    description="metrics.air_attacks_per_day: launched and destroyed per report day and weapon category.",
)

METRIC_SCHEMAS = {s.name: s for s in (ATTACKS_PER_DAY, CIVILIAN_HARM_BY_CITY, PERIOD_COMPARISON, EVENT_SUMMARY,
                                      AIR_ATTACKS_PER_DAY)}

# ---------------------------------------------------------------- ledger files
REJECTS = pa.DataFrameSchema(
    {
        "raw_file": _text("Raw file of the rejected row.", nullable=False),
        "raw_line": pa.Column("int64", description="Line where the rejected row starts."),
        "column": _text("Column whose value broke the rule ('' for whole-row rules)."),
        "value": _text("The offending value as written (truncated to 200 characters)."),
        "rule": _text("Name of the rule that failed.", nullable=False),
        "message": _text("Explanation for people."),
    },
    strict=True,
    ordered=True,
    name="rejects",
    description="rejects.csv: one line per broken rule of every rejected raw row.",
)

MERGED = pa.DataFrameSchema(
    {
        "raw_file": _text("Raw file of the duplicate row.", nullable=False),
        "raw_line": pa.Column("int64", description="Line of the duplicate row."),
        "event_id": _text("Id shared by the duplicate and the kept row.", nullable=False),
        "merged_into_file": _text("Raw file of the row that was kept.", nullable=False),
        "merged_into_line": pa.Column("int64", description="Line of the row that was kept."),
        "is_identical": pa.Column(bool, description="The duplicate's values equal the kept row's."),
    },
    strict=True,
    ordered=True,
    name="merged",
    description="merged.csv: raw rows merged into an earlier row with the same event_id.",
)

DELETED = pa.DataFrameSchema(
    {
        "event_id": _text("Id of the event the source deleted (as in events.parquet, e.g. acled:UKR123).",
                          nullable=False),
        "raw_file": _text("Deleted-events page of the deletion record.", nullable=False),
        "raw_line": pa.Column("int64", description="1-based position of the deletion record in its page."),
        "snapshot": _text("Snapshot that deleted it, as <source>/<stamp>.", nullable=False),
    },
    strict=True,
    ordered=True,
    name="deleted",
    description="deleted.csv: events the source deleted (ACLED's deleted-events pages of the snapshots read).",
)



@dataclass(frozen=True)
class Table:
    """A table readers feed: its schema, id column, and the schema used per chunk."""

    name: str
    schema: pa.DataFrameSchema
    id_column: str

    @property
    def chunk_schema(self) -> pa.DataFrameSchema:
        """The schema without id uniqueness, which the de-duplication step settles, for validating one chunk.

        Derived on each use (a few milliseconds a chunk), so that it never lags behind ``schema``.
        """
        return self.schema.update_column(self.id_column, unique=False)


TABLES = {
    "events": Table("events", CANONICAL_EVENTS, "event_id"),
    "claims": Table("claims", CLAIMS, "claim_id"),
    "air_attacks": Table("air_attacks", AIR_ATTACKS, "report_id"),
}


def empty_frame(schema: pa.DataFrameSchema) -> pd.DataFrame:
    """An empty frame with the schema's columns and dtypes."""
    def dtype(col: pa.Column) -> str:
        text = str(col.dtype)
        if text.startswith("str"):
            return "str"  # pandas 3's default string dtype, which the readers produce
        return DATE if text.startswith("datetime64") else text  # pandera reports every unit as ns

    return pd.DataFrame({name: pd.Series(dtype=dtype(col)) for name, col in schema.columns.items()})
