"""The metrics articles quote: pure functions over the processed tables.

Every function takes the processed events (``analysis.load_events()``) or
daily counts (``analysis.load_daily_counts()``), returns a new frame validated
against its output schema in :mod:`analysis.tables.schemas`, and attaches a
:class:`analysis.metrics.provenance.Provenance` (sources, dates, synthetic flag) that
figures and reports use for their source lines.  Every metric also takes a lazy
table from ``analysis.scan_events()`` or ``analysis.scan_daily_counts()``
(DuckDB or Dask, :mod:`analysis.metrics.frames`) and gives the same result.

Definitions, which articles cite:

* **Attack**: an event with ``is_attack`` true: ACLED *Battles* or
  *Explosions/Remote violence*, ACLED *Violence against civilians / Attack*,
  every UCDP GED event, and news-coded events of those types.
* **Day of an event**: its first day (``event_date``).  A multi-day UCDP event
  counts once, on its first day; events the source dates only to a week or a
  month are counted on the date the source coded and reported separately as
  ``attacks_imprecise_date`` so a chart can say how many there are.
* **Zero**: a day inside the data's coverage with no attack counts 0.  Dates
  outside the coverage (first to last event date of the table) are an error,
  not zeros: a gap in the data is not a lull in the war.
* **Civilian-harm incident**: an event with ``is_civilian_targeting`` true or
  at least one civilian killed or injured.  Casualty sums add the incidents
  that give a number; incidents that give none are counted separately
  (``incidents_killed_unknown``) and never treated as 0.
* **Air attacks**: counts from the Air Force's daily reports, attributed to
  the day the attack window ends (the morning report).  Days inside the
  reports' coverage without a row count 0 launched.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import narwhals as nw

from analysis.metrics import frames, provenance
from analysis.metrics.frames import provenance_of  # noqa: F401  (provenance of a whole table, any engine)
from analysis.tables import rowchecks
from analysis.tables import schemas
from analysis.errors import ParameterError

ATTACK_DEFINITION = ("Attack events: ACLED Battles and Explosions/Remote violence, ACLED Violence against civilians/"
                     "Attack, every UCDP GED event and news-coded events of those types, counted on their first day.")
CIVILIAN_HARM_DEFINITION = ("Civilian-harm incident: an event coded as civilian targeting or reporting at least one "
                            "civilian killed or injured; unknown tolls are not counted as zero.")
AIR_DEFINITION = ("Missiles and drones launched and reported destroyed, as stated in the Ukrainian Air Force's daily "
                  "reports, attributed to the day the overnight attack window ends.")

# Columns each metric reads: load only these (``load_events(columns)``) on large tables.
_PROVENANCE_COLUMNS = ["source_dataset", "is_synthetic"]
ATTACKS_PER_DAY_COLUMNS = ["event_date", "event_end_date", "is_attack", "date_precision", *_PROVENANCE_COLUMNS]
CIVILIAN_HARM_COLUMNS = ["event_id", "event_date", "event_end_date", "is_civilian_targeting", "civilians_killed",
                         "civilians_injured", "settlement", "location", "admin1", "geonameid", "is_place_matched",
                         *_PROVENANCE_COLUMNS]
CIVILIAN_HARM_BY_CITY_COLUMNS = [c for c in CIVILIAN_HARM_COLUMNS if c != "event_id"]

_CIVILIAN_HARM_ORDER = ["settlement", "admin1", "geonameid", "is_place_matched", "incidents", "civilians_killed",
                        "civilians_injured", "incidents_killed_unknown", "incidents_injured_unknown", "first_date",
                        "last_date"]
_AIR_ORDER = ["count_date", "weapon_category", "launched", "destroyed", "share_destroyed"]

GROUPABLE = ("event_type", "sub_event_type", "weapon", "admin1", "settlement", "source_dataset", "violence_type")
COMPARABLE = ("attacks", "events", "fatalities", "civilians_killed")
UNKNOWN_GROUP = "(not given)"


# ---------------------------------------------------------------- coverage and periods
COVERAGE_KEY = "coverage"


def with_coverage(table: pd.DataFrame, start: str = "event_date", end: str = "event_end_date") -> pd.DataFrame:
    """Record the table's coverage in ``attrs`` so that filtered views keep the dataset's coverage.

    ``analysis.load_events()`` does this: a city with no event in June is not a
    dataset that ends in May.
    """
    if not table.empty:
        end = provenance.end_column(table.columns, start, end)
        # ISO days, not Timestamps: pandas writes attrs as JSON into a Parquet file's metadata (to_parquet)
        table.attrs[COVERAGE_KEY] = [f"{pd.Timestamp(table[start].min()):%Y-%m-%d}",
                                     f"{pd.Timestamp(table[end].max()):%Y-%m-%d}"]
    return table


def coverage(events, start: str = "event_date", end: str = "event_end_date") -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day the data cover: the recorded coverage of the whole table, else this table's span.

    ``analysis.scan_events()`` records the whole table's coverage, and ``events_in`` keeps it; a lazy
    table filtered otherwise has its own span.
    """
    if not isinstance(events, pd.DataFrame):
        recorded = frames.recorded_coverage(events)
        if recorded is not None:
            return recorded
        end = provenance.end_column(frames.names(events), start, end)
        found = frames.span(events, start, end)
        if found is None:
            raise ParameterError("there are no events to compute from (is data/raw empty, or the filter too narrow?)")
        return found
    recorded = events.attrs.get(COVERAGE_KEY)
    if recorded is not None:
        return pd.Timestamp(recorded[0]), pd.Timestamp(recorded[1])
    if events.empty:
        raise ParameterError("there are no events to compute from (is data/raw empty, or the filter too narrow?)")
    end = provenance.end_column(events.columns, start, end)
    return pd.Timestamp(events[start].min()), pd.Timestamp(events[end].max())


def _day(value, name: str) -> pd.Timestamp:
    """A day from a Timestamp, date or 'YYYY-MM-DD' string (nothing looser: 'March' is not a date)."""
    try:
        if isinstance(value, str):
            return pd.to_datetime(value.strip(), format="%Y-%m-%d")
        return pd.Timestamp(value).normalize()
    except (ValueError, TypeError):
        raise ParameterError(f"{name}={value!r} is not a date; write it as YYYY-MM-DD") from None


def _period(table: pd.DataFrame, start, end, date_col: str = "event_date", end_col: str = "event_end_date",
            what: str = "events", covered: tuple | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Resolve start/end (defaults: the coverage, or ``covered`` when known) and refuse dates outside it."""
    first, last = covered or coverage(table, date_col, end_col)
    start = first if start is None else _day(start, "start")
    end = last if end is None else _day(end, "end")
    if end < start:
        raise ParameterError(f"end {end:%Y-%m-%d} is before start {start:%Y-%m-%d}")
    if start < first or end > last:
        raise ParameterError(f"{start:%Y-%m-%d}..{end:%Y-%m-%d} lies outside the {what}' coverage "
                             f"({first:%Y-%m-%d}..{last:%Y-%m-%d}); outside it there is no data, not zero")
    return start, end


def _group_column(by: str | None) -> str | None:
    if by is not None and by not in GROUPABLE:
        raise ParameterError(f"cannot break down by {by!r}; choose one of: {', '.join(GROUPABLE)}")
    return by


def events_in(events, city: str | None = None, oblast: str | None = None):
    """Events in one settlement (gazetteer name or location as written) and/or one oblast; "" means all.

    A pandas DataFrame gives a DataFrame, a lazy table a lazy table; either keeps the whole table's coverage.
    """
    conditions = []
    if city:
        conditions.append((nw.col("settlement") == city).fill_null(False)
                          | (nw.col("location") == city).fill_null(False))
    if oblast:
        conditions.append((nw.col("admin1") == oblast).fill_null(False))
    condition = nw.all_horizontal(*conditions, ignore_nulls=False) if conditions else None
    if isinstance(events, pd.DataFrame):  # a boolean mask keeps attrs, and with them the coverage
        return events[frames.mask(events, condition) if conditions else np.ones(len(events), bool)]
    if not conditions:
        return events
    return frames.keep_facts(events, nw.to_native(frames.frame(events).filter(condition)))


def events_between(events, start, end) -> pd.DataFrame:
    """The events whose first day is in ``start``..``end``, as a pandas DataFrame (from a lazy table too)."""
    start, end = _day(start, "start"), _day(end, "end")
    if isinstance(events, pd.DataFrame):
        return events[events["event_date"].between(start, end).to_numpy(bool)]
    rows = frames.collect(frames.frame(events).filter(_in_days(start, end).fill_null(False)))
    return frames.as_processed(rows)  # in the table's order, as on pandas


def window(end, days: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The ``days`` days ending on ``end`` (both included)."""
    end = _day(end, "date")
    return end - pd.Timedelta(days=days - 1), end


def previous_period(start, end) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The period of the same length just before ``start``..``end``."""
    start, end = _day(start, "start"), _day(end, "end")
    length = end - start + pd.Timedelta(days=1)
    return start - length, start - pd.Timedelta(days=1)


# ---------------------------------------------------------------- attacks per day
def attacks_per_day(events, start=None, end=None, by: str | None = None,
                    rolling: int | None = None) -> pd.DataFrame:
    """Daily counts of attack events from ``start`` to ``end``, zero-filled, optionally by group.

    ``events`` is a pandas DataFrame, or a DuckDB relation or Dask DataFrame
    from ``analysis.scan_events()``: the counting runs there, the result is
    the same small pandas frame.  ``by`` breaks the counts down by one of
    :data:`GROUPABLE` (long format: one row per day and group; a missing value
    is the group "(not given)").  ``rolling`` adds ``attacks_rolling_mean``,
    the trailing mean over that many days, using days before ``start`` where
    the data cover them.
    """
    covered = coverage(events)  # read once: on a lazy table it is a query
    start, end = _period(events, start, end, covered=covered)
    by = _group_column(by)
    if rolling is not None and (not isinstance(rolling, int) or rolling < 1):
        raise ParameterError(f"rolling={rolling!r} must be a whole number of days >= 1")
    first = max(covered[0], start - pd.Timedelta(days=(rolling or 1) - 1))
    counts, sources, keep = _attack_counts(events, first, end, by)
    daily = _daily_counts(counts, first, end, by)
    if rolling:
        keys = [by] if by else []
        grouped = daily.groupby(keys, sort=False)["attacks"] if keys else daily["attacks"]
        means = grouped.rolling(rolling, min_periods=rolling).mean()
        daily["attacks_rolling_mean"] = (means.reset_index(level=0, drop=True) if keys else means).astype("Float64")
    daily = daily[daily["event_date"] >= start]
    frame = rowchecks.check(daily.reset_index(drop=True), schemas.ATTACKS_PER_DAY)
    used = (counts["event_date"] >= start).to_numpy()
    result = frames.attach(frame, events, _attacks_between(start, end), None if sources is None else sources[used],
                           keep if first == start else None)
    result.attrs["rolling_days"] = rolling  # charts say "7-day average"
    return result


def _attacks_between(first: pd.Timestamp, end: pd.Timestamp) -> nw.Expr:
    """The attack definition as a condition on rows: an attack whose first day is in first..end."""
    return nw.col("is_attack") & nw.col("event_date").is_between(frames.as_day(first), frames.as_day(end))


def _attack_counts(events, first: pd.Timestamp, end: pd.Timestamp, by: str | None):
    """Attacks and attacks with an imprecise date per day (and group) from first to end, where the events are;
    the provenance of each of those counts; and the rows' mask on pandas."""
    keys = ["event_date", by] if by else ["event_date"]
    columns = {"event_date": nw.col("event_date"),
               "imprecise": (nw.col("date_precision") != "day").fill_null(True).cast(nw.Int64)}
    if by:
        columns[by] = nw.col(by).cast(nw.String).fill_null(UNKNOWN_GROUP)
    attacks, keep = frames.rows_where(events, _attacks_between(first, end), **columns,
                                      **frames.provenance_columns(events))
    counts = frames.collect(attacks.group_by(*keys).agg(nw.len().alias("attacks"),
                                                        nw.col("imprecise").sum().alias("attacks_imprecise_date"),
                                                        *frames.provenance_aggregates(events)))
    counts, sources = frames.split_provenance(counts)
    return counts.astype({"event_date": schemas.DATE, "attacks": "int64", "attacks_imprecise_date": "int64",
                          **({by: "str"} if by else {})}), sources, keep


def _daily_counts(counts: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, by: str | None) -> pd.DataFrame:
    """The counts on every day from start to end (0 where none), per group in name order when ``by``."""
    days = pd.date_range(start, end, freq="D", unit="ms")
    keys = ["event_date", by] if by else ["event_date"]
    counts = counts.set_index(keys)[["attacks", "attacks_imprecise_date"]]
    if by:
        groups = np.sort(counts.index.get_level_values(by).unique().to_numpy(dtype=object).astype(str))
        index = pd.MultiIndex.from_product([days, groups], names=keys)
    else:
        index = pd.Index(days, name="event_date")
    full = counts.reindex(index, fill_value=0).astype("int64").reset_index()
    if by:
        full = full.sort_values([by, "event_date"], kind="stable").reset_index(drop=True)
        full[by] = full[by].astype("str")
    return full.astype({"event_date": schemas.DATE})


# ---------------------------------------------------------------- civilian harm
def civilian_harm_incidents(events, start=None, end=None, admin1: str | None = None) -> pd.DataFrame:
    """The civilian-harm incidents themselves (see the module docstring), in date order, as a pandas DataFrame
    with the columns and types of the processed events (from a lazy table too)."""
    start, end = _period(events, start, end)
    condition = _harm(start, end)
    if admin1 is not None:
        condition &= (nw.col("admin1") == admin1).fill_null(False)
    if isinstance(events, pd.DataFrame):
        positions = np.flatnonzero(frames.mask(events, condition))
        rows = events.take(positions[_date_then_id_order(events, positions)]).reset_index(drop=True)
    else:
        rows = frames.collect(frames.frame(events).filter(condition.fill_null(False)))
        rows = frames.as_processed(rows).sort_values(["event_date", "event_id"], kind="stable").reset_index(drop=True)
    return provenance.attach(rows, provenance.of_rows(rows), rows)


def _date_then_id_order(events: pd.DataFrame, positions: np.ndarray) -> np.ndarray:
    """Stable order of the rows at ``positions`` by event_date, then event_id.

    Sorted by Arrow (one multi-key sort, strings compared by code point as in
    pandas); selecting and sorting Arrow string columns in pandas is the slow
    part on millions of events, so the rows are taken once, in order.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    keys = pa.table({"date": pa.array(events["event_date"].to_numpy()[positions]),
                     "id": pa.array(events["event_id"], type=pa.large_string()).take(pa.array(positions))})
    return pc.sort_indices(keys, sort_keys=[("date", "ascending"), ("id", "ascending")]).to_numpy()


def civilian_harm_by_city(events, start=None, end=None, top: int | None = None) -> pd.DataFrame:
    """One row per settlement (with oblast): civilian-harm incidents, civilians killed and injured, dates.

    ``events`` is a pandas DataFrame, or a DuckDB relation or Dask DataFrame
    from ``analysis.scan_events()``.  Unmatched places are kept under the
    location as written (``is_place_matched`` false).  Sorted by civilians
    killed (unknown last), then incidents, then name, then oblast, geonameid
    and matched before unmatched, so that the order is total and does not
    depend on the order of the events.
    """
    start, end = _period(events, start, end)
    harm = _harm(start, end)
    table, keep = _harm_totals(events, harm)
    table, sources = frames.split_provenance(table)
    table = table.sort_values(["civilians_killed", "incidents", "settlement", "admin1", "geonameid",
                               "is_place_matched"], ascending=[False, False, True, True, True, False],
                              na_position="last", kind="stable")
    if top is not None:
        table = table.head(top)
    frame = rowchecks.check(_dates_as_ms(table.reset_index(drop=True)), schemas.CIVILIAN_HARM_BY_CITY)
    return frames.attach(frame, events, harm, sources, keep)


def _harm(start: pd.Timestamp, end: pd.Timestamp) -> nw.Expr:
    """The civilian-harm definition (see the module docstring) as a condition on rows dated start..end."""
    return ((nw.col("is_civilian_targeting").fill_null(False)
             | (nw.col("civilians_killed").fill_null(0) > 0)
             | (nw.col("civilians_injured").fill_null(0) > 0))
            & nw.col("event_date").is_between(frames.as_day(start), frames.as_day(end)))


def _harm_totals(events, harm: nw.Expr) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Per place (settlement, else location, else "(no place given)"), oblast, geonameid and match: incidents,
    civilians killed and injured (sums of the known numbers, unknown when none is known), unknowns, dates.

    Grouped where the events are; a missing oblast or geonameid is a group of its own.  Also the rows' mask on pandas.
    """
    keys = ["settlement", "admin1", "geonameid", "is_place_matched"]
    rows, keep = frames.rows_where(
        events, harm,
        settlement=nw.coalesce(nw.col("settlement"), nw.col("location"), nw.lit("(no place given)")),
        admin1=nw.col("admin1"), geonameid=nw.col("geonameid"), is_place_matched=nw.col("is_place_matched"),
        event_date=nw.col("event_date"), civilians_killed=nw.col("civilians_killed"),
        civilians_injured=nw.col("civilians_injured"),
        killed_unknown=nw.col("civilians_killed").is_null().cast(nw.Int64),
        injured_unknown=nw.col("civilians_injured").is_null().cast(nw.Int64), **frames.provenance_columns(events))
    table = frames.collect(rows.group_by(*keys, drop_null_keys=False).agg(
        nw.len().alias("incidents"), nw.col("civilians_killed").sum(), nw.col("civilians_injured").sum(),
        nw.col("killed_unknown").sum().alias("incidents_killed_unknown"),
        nw.col("injured_unknown").sum().alias("incidents_injured_unknown"),
        nw.col("event_date").min().alias("first_date"), nw.col("event_date").max().alias("last_date"),
        *frames.provenance_aggregates(events)))
    counts = ["incidents", "incidents_killed_unknown", "incidents_injured_unknown"]
    table = table.astype({**dict.fromkeys(counts, "int64"), "settlement": "str", "admin1": "str",
                          "geonameid": "Int64", "is_place_matched": bool})
    for toll, unknown in (("civilians_killed", "incidents_killed_unknown"),
                          ("civilians_injured", "incidents_injured_unknown")):
        # a sum over incidents none of which gives the toll is unknown, never 0
        known = table["incidents"] > table[unknown]
        table[toll] = pd.array(table[toll].where(known), dtype="Int64")
    if keep is not None:
        assert int(table["incidents"].sum()) == int(keep.sum()), "an incident was lost or counted twice"
    return table[[*_CIVILIAN_HARM_ORDER, *(c for c in table.columns if c not in _CIVILIAN_HARM_ORDER)]], keep


# ---------------------------------------------------------------- period comparison
def _in_days(start: pd.Timestamp, end: pd.Timestamp) -> nw.Expr:
    return nw.col("event_date").is_between(frames.as_day(start), frames.as_day(end))


def _day_totals(events, condition: nw.Expr, keys: list[str]):
    """Per day (and group of ``keys``) of the rows where ``condition`` holds: events, attacks, events whose
    fatalities are unknown, and the sums of fatalities and civilians killed with the number of events giving
    each; with the provenance parts (lazy tables) and the rows' mask (pandas).

    Every total of the period comparison and the weekly or monthly summary adds these day totals, so a lazy
    table is read once, grouped by day where it is, and only the days come back.
    """
    columns = {"event_date": nw.col("event_date"),
               **{k: nw.col(k).cast(nw.String).fill_null(UNKNOWN_GROUP) for k in keys},
               "attack": nw.col("is_attack").fill_null(False).cast(nw.Int64),
               "fatalities_unknown": (nw.col("fatalities").is_null()
                                      | nw.col("is_casualties_unknown").fill_null(False)).cast(nw.Int64),
               "fatalities": nw.col("fatalities"), "civilians_killed": nw.col("civilians_killed"),
               "fatalities_known": (~nw.col("fatalities").is_null()).cast(nw.Int64),
               "civilians_killed_known": (~nw.col("civilians_killed").is_null()).cast(nw.Int64)}
    rows, keep = frames.rows_where(events, condition, **columns, **frames.provenance_columns(events))
    days = frames.collect(rows.group_by("event_date", *keys).agg(
        nw.len().alias("events"), nw.col("attack").sum().alias("attacks"),
        nw.col("fatalities_unknown").sum().alias("events_fatalities_unknown"),
        nw.col("fatalities").sum(), nw.col("civilians_killed").sum(), nw.col("fatalities_known").sum(),
        nw.col("civilians_killed_known").sum(), *frames.provenance_aggregates(events)))
    days, parts = frames.split_provenance(days)
    counts = ["events", "attacks", "events_fatalities_unknown", "fatalities", "civilians_killed",
              "fatalities_known", "civilians_killed_known"]
    days = days.astype({"event_date": schemas.DATE, **dict.fromkeys(keys, "str")})
    days[counts] = days[counts].fillna(0).astype("int64")
    return days, parts, keep


def _totals(days: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Day totals added up per group of ``keys``; a toll that no event gives is unknown (empty), never 0."""
    sums = days.groupby(keys)[["events", "attacks", "events_fatalities_unknown", "fatalities", "civilians_killed",
                               "fatalities_known", "civilians_killed_known"]].sum()
    for toll in ("fatalities", "civilians_killed"):
        sums[toll] = pd.array(sums[toll].where(sums[f"{toll}_known"] > 0), dtype="Int64")
    return sums.drop(columns=["fatalities_known", "civilians_killed_known"])


def compare_periods(events, current: tuple, previous: tuple, metric: str = "attacks",
                    by: str | None = None) -> pd.DataFrame:
    """``metric`` in two periods (each a (start, end) pair, ends included), with absolute and relative change.

    ``events`` is a pandas DataFrame or a lazy table (``analysis.scan_events()``).
    ``relative_change`` is empty when the previous value is 0: there is no
    meaningful percentage increase from nothing.  Sums of fatalities and
    civilians killed add the events that give a number; when a period (or
    group) has events and none gives a number, its value is unknown (empty),
    never 0, and so are the changes.
    """
    if metric not in COMPARABLE:
        raise ParameterError(f"cannot compare {metric!r}; choose one of: {', '.join(COMPARABLE)}")
    by = _group_column(by)
    (c0, c1), (p0, p1) = _period(events, *current), _period(events, *previous)
    either = _in_days(c0, c1) | _in_days(p0, p1)
    days, parts, keep = _day_totals(events, either, [by] if by else [])
    series = []
    for label, (a, b) in (("current", (c0, c1)), ("previous", (p0, p1))):
        rows = days[days["event_date"].between(a, b)]
        if by:
            values = _totals(rows, [by])[metric]
        else:
            totals = _totals(rows.assign(group="all"), ["group"])[metric]
            values = totals if len(totals) else pd.Series([0], index=pd.Index(["all"], name="group"))
        series.append(values.rename(f"{label}_value"))
    table = pd.concat(series, axis=1)
    for values in series:  # a group without events in one period has 0 there (not an unknown toll)
        table.loc[~table.index.isin(values.index), values.name] = 0
    table = table.astype("Int64")
    table = table.rename_axis(by or "group").reset_index()
    if not by:
        table = table.drop(columns="group")
    table["absolute_change"] = table["current_value"] - table["previous_value"]
    previous_value = table["previous_value"].astype("Float64")
    table["relative_change"] = (table["absolute_change"] / previous_value.where(previous_value != 0)).astype("Float64")
    table = table.assign(metric=metric, current_start_date=c0, current_end_date=c1,
                         previous_start_date=p0, previous_end_date=p1)
    result = rowchecks.check(_dates_as_ms(table).reset_index(drop=True), schemas.PERIOD_COMPARISON)
    # the provenance is of every event in the periods; the rows behind the numbers are the attacks among them
    # when attacks are compared
    evidence = either & nw.col("is_attack") if metric == "attacks" else either
    return frames.attach(result, events, either, parts, keep=keep, evidence=evidence)


def _dates_as_ms(table: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in table.columns if c.endswith("_date")]
    return table.astype(dict.fromkeys(cols, schemas.DATE))


def week_on_week(events: pd.DataFrame, end=None, metric: str = "attacks", by: str | None = None) -> pd.DataFrame:
    """The 7 days ending ``end`` (default: the last day of data) against the 7 days before."""
    end = coverage(events)[1] if end is None else _day(end, "end")
    week = pd.Timedelta(days=7)
    return compare_periods(events, (end - week + pd.Timedelta(days=1), end),
                           (end - 2 * week + pd.Timedelta(days=1), end - week), metric, by)


def month_on_year(events: pd.DataFrame, month: str, metric: str = "attacks", by: str | None = None) -> pd.DataFrame:
    """A calendar month (``"2023-03"``) against the same month a year earlier."""
    import re

    refusal = ParameterError(f"month={month!r} is not a month; write it as YYYY-MM")
    if not re.fullmatch(r"\d{4}-\d{2}", str(month).strip()):
        raise refusal
    try:  # shaped YYYY-MM is not enough: '2023-13', '2023-00' and '0000-01' are no months
        period = pd.Period(str(month).strip(), freq="M")
    except ValueError:
        raise refusal from None
    last_year = period - 12
    return compare_periods(events, (period.start_time, period.end_time.normalize()),
                           (last_year.start_time, last_year.end_time.normalize()), metric, by)


# ---------------------------------------------------------------- weekly / monthly summary
def summarise_events(events, freq: str = "month", by=("event_type",), start=None, end=None) -> pd.DataFrame:
    """Weekly (Monday-based) or monthly totals of events, attacks, fatalities and civilians killed.

    ``events`` is a pandas DataFrame or a lazy table (``analysis.scan_events()``).
    ``by`` is a tuple of grouping columns from :data:`GROUPABLE` (e.g.
    ``("event_type", "admin1")``) or None.  Every period and group present in
    the range appears, with zeros where a group had no events.
    """
    if freq not in ("week", "month"):
        raise ParameterError(f"freq={freq!r}; choose 'week' or 'month'")
    keys = [_group_column(b) for b in (by or ())]
    start, end = _period(events, start, end)
    in_range = _in_days(start, end)
    days, parts, keep = _day_totals(events, in_range, keys)
    period = days["event_date"].dt.to_period("W-SUN" if freq == "week" else "M").dt.start_time
    days = days.assign(period_start_date=period.astype(schemas.DATE))
    table = _totals(days, ["period_start_date", *keys])
    table = _complete_grid(table, days, keys).reset_index()
    result = rowchecks.check(table.reset_index(drop=True), schemas.EVENT_SUMMARY)
    return frames.attach(result, events, in_range, parts, keep=keep)


def _complete_grid(table: pd.DataFrame, frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    levels = [pd.Index(sorted(frame[c].unique()), dtype=frame[c].dtype)  # dtypes kept when the range is empty
              for c in ["period_start_date", *keys]]
    index = pd.MultiIndex.from_product(levels, names=["period_start_date", *keys]) if keys else \
        pd.Index(levels[0], name="period_start_date")
    full = table.reindex(index)
    counts = ["events", "attacks", "events_fatalities_unknown"]
    full[counts] = full[counts].fillna(0).astype("int64")
    return full.astype({"fatalities": "Int64", "civilians_killed": "Int64"})


# ---------------------------------------------------------------- air attacks and claims
def air_attacks_per_day(daily_counts, start=None, end=None, by: str | None = "weapon_category") -> pd.DataFrame:
    """Missiles and drones launched and destroyed per report day, by weapon category (or ``by=None``: all).

    ``daily_counts`` is a pandas DataFrame (``analysis.load_daily_counts()``) or a lazy table
    (``analysis.scan_daily_counts()``).  Only report rows that give a number launched contribute;
    ``share_destroyed`` is destroyed / launched and empty on days with nothing launched.
    """
    if by not in (None, "weapon_category"):
        raise ParameterError("air attacks can be broken down by 'weapon_category' or not at all (by=None)")
    is_air = (nw.col("source_dataset") == "air_force").fill_null(False)
    reports = frames.frame(daily_counts).filter(is_air)
    covered = frames.span(reports, "count_date", "count_date")
    if covered is None:
        raise ParameterError("there are no events to compute from (is data/raw empty, or the filter too narrow?)")
    start, end = _period(None, start, end, what="air-force reports", covered=covered)
    in_range = is_air & nw.col("count_date").is_between(frames.as_day(start), frames.as_day(end))
    values = {m: nw.when(nw.col("metric") == m).then(nw.col("value")) for m in ("launched", "destroyed")}
    rows, keep = frames.rows_where(daily_counts, in_range, raw_file=nw.col("raw_file"), raw_line=nw.col("raw_line"),
                                   count_date=nw.col("count_date"), weapon_category=nw.col("weapon_category"),
                                   **values, gives_launched=(nw.col("metric") == "launched").cast(nw.Int64),
                                   **frames.provenance_columns(daily_counts, "count_date", "count_date"))
    # one report row (file, line) may give several metrics: its launched and destroyed side by side
    per_row = frames.collect(rows.group_by("raw_file", "raw_line", "count_date", "weapon_category").agg(
        nw.col("launched").sum(), nw.col("destroyed").sum(), nw.col("gives_launched").sum(),
        *frames.provenance_aggregates(daily_counts)))
    per_row, parts = frames.split_provenance(per_row)
    given = per_row[per_row["gives_launched"] > 0].astype({"count_date": schemas.DATE})
    category = given["weapon_category"].astype("str") if by else pd.Series("all", index=given.index, dtype="str")
    sums = given.assign(group=category).groupby(["count_date", "group"])[["launched", "destroyed"]].sum(min_count=0)
    groups = sorted(set(category)) or ["all"]
    days = pd.date_range(start, end, freq="D", unit="ms")
    full = sums.reindex(pd.MultiIndex.from_product([days, groups], names=["count_date", "weapon_category"]),
                        fill_value=0).fillna(0).astype("int64").reset_index()
    full["share_destroyed"] = (full["destroyed"] / full["launched"].where(full["launched"] > 0)).astype("Float64")
    full = full.sort_values(["weapon_category", "count_date"], kind="stable")
    full = full.astype({"count_date": schemas.DATE, "weapon_category": "str"})
    result = rowchecks.check(full[_AIR_ORDER].reset_index(drop=True), schemas.AIR_ATTACKS_PER_DAY)
    return frames.attach(result, daily_counts, in_range, parts, keep=keep, kind="Reports",
                         start="count_date", end="count_date")


def reported_claims(daily_counts, start=None, end=None, metric: str | None = None) -> pd.DataFrame:
    """Officially reported numbers (``is_reported_claim``), e.g. attacks repelled, dated within start..end;
    a pandas DataFrame, from a lazy table (``analysis.scan_daily_counts()``) too."""
    # Claims are sparse statements, not a series with a coverage: a day without one is simply a day without one.
    condition = nw.col("is_reported_claim").fill_null(False)
    if start is not None:
        condition &= nw.col("count_date") >= frames.as_day(_day(start, "start"))
    if end is not None:
        condition &= nw.col("count_date") <= frames.as_day(_day(end, "end"))
    if metric is not None:
        condition &= (nw.col("metric") == metric).fill_null(False)
    if isinstance(daily_counts, pd.DataFrame):
        rows = daily_counts[frames.mask(daily_counts, condition)]
    else:
        rows = frames.as_processed(frames.collect(frames.frame(daily_counts).filter(condition)), schemas.DAILY_COUNTS)
    rows = rows.sort_values(["count_date", "metric", "raw_file", "raw_line"], kind="stable").reset_index(drop=True)
    return provenance.attach(rows, provenance.of_rows(rows, "count_date", "count_date", kind="Claims"), rows)
