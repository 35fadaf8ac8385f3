"""The events a metric reads, whatever holds them: a pandas DataFrame, a DuckDB relation or a Dask DataFrame.

Metrics are written once against narwhals (https://narwhals-dev.github.io/narwhals/):
filters and group-bys run where the data are (pandas in memory, DuckDB over the
Parquet store, Dask on a cluster), and only the small aggregated result comes
back as pandas, where zero-filling, ordering, schema checks and provenance are
the same for every engine.  ``analysis.scan_events()`` gives the lazy inputs.
"""

from __future__ import annotations

import warnings
import weakref

import narwhals as nw
import numpy as np
import pandas as pd

from analysis.errors import ParameterError
from analysis.metrics import provenance
from analysis.tables import schemas
from analysis.tables.vocabulary import SOURCE_DATASETS


def frame(events) -> nw.DataFrame | nw.LazyFrame:
    """``events`` as a narwhals frame (eager for pandas, lazy for DuckDB and Dask)."""
    if isinstance(events, (nw.DataFrame, nw.LazyFrame)):
        return events
    with warnings.catch_warnings():  # narwhals announces that Dask support moves to a separate package
        warnings.filterwarnings("ignore", message=".*narwhals-dask.*", category=FutureWarning)
        try:
            return nw.from_native(events)
        except TypeError:
            raise ParameterError(f"metrics take a pandas DataFrame, a DuckDB relation or a Dask DataFrame "
                                 f"(analysis.load_events() or analysis.scan_events()), not {type(events).__name__}"
                                 ) from None


def is_lazy(events) -> bool:
    return isinstance(frame(events), nw.LazyFrame)


def names(events) -> list[str]:
    return list(frame(events).collect_schema().names())


def collect(result: nw.DataFrame | nw.LazyFrame) -> pd.DataFrame:
    """A (small) result as a pandas DataFrame with a fresh index."""
    if isinstance(result, nw.LazyFrame):
        result = result.collect()
    return result.to_pandas().reset_index(drop=True)


def as_day(value: pd.Timestamp):
    """A day as a plain datetime, which every engine compares with its date columns."""
    return pd.Timestamp(value).to_pydatetime()


# What is known of a lazy table without reading its rows (it has no ``attrs``): id -> facts, dropped with it.
#   "coverage": (first day, last day) of the whole table, kept by filtered views (see metrics.events_in);
#   "constants": columns that hold one value in every row, from the Parquet statistics (see engines.scan).
_facts: dict[int, dict] = {}


def record_coverage(table, covered: tuple[pd.Timestamp, pd.Timestamp], constants: dict | None = None):
    """Record a lazy table's coverage, as ``with_coverage`` does in a DataFrame's ``attrs``, and the columns
    known to hold one value in every row; return the table."""
    key = id(table)
    if key not in _facts:
        weakref.finalize(table, _facts.pop, key, None)
    _facts[key] = {"coverage": covered, "constants": dict(constants or {})}
    return table


def recorded_coverage(table) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    return _facts.get(id(table), {}).get("coverage")


def recorded_constants(table) -> dict:
    """The columns of a lazy table known to hold one value in every row (a subset of its rows holds it too)."""
    return _facts.get(id(table), {}).get("constants", {})


def keep_facts(table, selected):
    """``selected``, rows of ``table``, with the facts recorded for ``table`` (its coverage and constants)."""
    facts = _facts.get(id(table))
    return selected if facts is None else record_coverage(selected, facts["coverage"], facts["constants"])


def span(events, start: str, end: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """First ``start`` and last ``end`` of the rows, or None when there are none."""
    row = collect(frame(events).select(nw.col(start).min().alias("first"), nw.col(end).max().alias("last")))
    first, last = row.loc[0, "first"], row.loc[0, "last"]
    if pd.isna(first):
        return None
    return pd.Timestamp(first), pd.Timestamp(last)


def mask(events: pd.DataFrame, condition: nw.Expr) -> np.ndarray:
    """Per row of a pandas ``events``, whether ``condition`` holds (missing counts as false)."""
    values = frame(events).select(condition.fill_null(False).alias("m")).get_column("m")
    return values.to_numpy().astype(bool, copy=False)


def rows_where(events, condition: nw.Expr, **columns: nw.Expr) -> tuple[nw.DataFrame | nw.LazyFrame, np.ndarray | None]:
    """The rows where ``condition`` holds, narrowed to ``columns``; on pandas also the boolean mask.

    Only the narrow columns are filtered (on pandas by a boolean mask: Arrow
    strings filter fast, and taking rows by position is the slow part on
    millions of events).
    """
    table = frame(events)
    if isinstance(table, nw.LazyFrame):  # filtered first, so that the engine pushes the filter into its scan
        return table.filter(where_true(table, condition)).select(**columns), None
    keep = mask(events, condition.fill_null(False))
    return nw.from_native(nw.to_native(table.select(**columns))[keep]), keep


def where_true(table: nw.LazyFrame, condition: nw.Expr) -> nw.Expr:
    """``condition`` as a filter that keeps the rows where it is true (missing counts as false).

    SQL's WHERE already drops a missing result; on DuckDB the condition goes
    in as it is, so that DuckDB can push it into its Parquet scan (a COALESCE
    around it would hide it).  Other engines get the missing values filled.
    """
    if table.implementation is nw.Implementation.DUCKDB:
        return condition
    return condition.fill_null(False)


class LazyRows(provenance.Rows):
    """The rows of a lazy table a result was computed from: the table and a condition, read only when asked."""

    __slots__ = ()

    def frame(self) -> pd.DataFrame:
        return as_processed(collect(frame(self.table).filter(self.mask)))


def as_processed(rows: pd.DataFrame, schema=schemas.PROCESSED_EVENTS) -> pd.DataFrame:
    """Rows read through an engine, with the column types of a processed table (by default the events)."""
    types = schemas.empty_frame(schema).dtypes
    return rows.astype({c: types[c] for c in rows.columns if c in types})


# On a lazy table, provenance travels with the aggregation (per group: whether a row is synthetic, which
# datasets gave rows, the last day), so a metric reads the data once.  A column the Parquet statistics show
# to hold one value (one dataset, all synthetic or none, as in a large single-source store) is not read at
# all: reading a string per row is most of the cost.  On pandas, the rows' boolean mask gives provenance
# directly, faster than the extra columns would.
_SYNTHETIC, _FIRST, _LAST = "_synthetic", "_first", "_last"
_FROM = {d: f"_from_{d}" for d in SOURCE_DATASETS}


def provenance_columns(events, start: str = "event_date", end: str = "event_end_date") -> dict[str, nw.Expr]:
    """On a lazy table, the columns to add to the rows a metric aggregates (see :func:`provenance_aggregates`)."""
    if not is_lazy(events):
        return {}
    known = recorded_constants(events)
    end = provenance.end_column(names(events), start, end)
    columns = {_FIRST: nw.col(start), _LAST: nw.col(end)}
    if "is_synthetic" not in known:
        columns[_SYNTHETIC] = nw.col("is_synthetic").fill_null(False).cast(nw.Int8)
    if "source_dataset" not in known:
        columns.update({name: (nw.col("source_dataset") == d).fill_null(False).cast(nw.Int8)
                        for d, name in _FROM.items()})
    return columns


def provenance_aggregates(events) -> list[nw.Expr]:
    """On a lazy table, per group: the first and last day, any synthetic row, whether each dataset gave a row
    (the last two unless known constants)."""
    if not is_lazy(events):
        return []
    return [nw.col(_FIRST).min(), nw.col(_LAST).max(),
            *(nw.col(name).max() for name in provenance_columns(events) if name not in (_FIRST, _LAST))]


def split_provenance(groups: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The aggregated groups without the provenance columns, and those columns (None on pandas)."""
    if _FIRST not in groups:
        return groups, None
    columns = [c for c in (_FIRST, _LAST, _SYNTHETIC, *_FROM.values()) if c in groups]
    return groups.drop(columns=columns), groups[columns]


def attach(result: pd.DataFrame, events, condition: nw.Expr, parts: pd.DataFrame | None = None,
           keep: np.ndarray | None = None, kind: str = "Events", evidence: nw.Expr | None = None,
           start: str = "event_date", end: str = "event_end_date") -> pd.DataFrame:
    """Attach the provenance of the rows where ``condition`` holds, and a reference to the rows behind the
    numbers (those where ``evidence`` holds; by default the same rows).

    On a lazy table the provenance comes from the aggregated ``parts`` (and
    the table's known constants) and the rows are the table and the
    condition, read when a report records the evidence behind a number.  On
    pandas both come from boolean masks over the table (``keep``: the
    condition's, when already computed); nothing is copied.
    """
    where = condition.fill_null(False)
    behind = where if evidence is None else evidence.fill_null(False)
    if parts is not None:
        provenance.attach(result, _provenance_of_groups(parts, kind, recorded_constants(events)))
        result.attrs[provenance.ROWS_KEY] = LazyRows(events, behind)
        return result
    end = provenance.end_column(events.columns, start, end)
    rows = mask(events, where) if keep is None else keep  # Arrow strings filter fast by a boolean mask
    behind_rows = rows if evidence is None else mask(events, behind)
    if not rows.any():
        return provenance.attach(result, provenance.Provenance((), None, None, False, kind), events, behind_rows)
    found = provenance.from_parts(events["source_dataset"][rows].dropna().unique(),
                                  events[start].to_numpy()[rows].min(), events[end].to_numpy()[rows].max(),
                                  bool(events["is_synthetic"].to_numpy()[rows].any()), kind)
    return provenance.attach(result, found, events, behind_rows)


def provenance_of(table, start: str = "event_date", end: str = "event_end_date",
                  kind: str = "Events") -> provenance.Provenance:
    """Provenance of all the rows of a processed table (events, daily counts), whatever holds it.

    On a lazy table it is one small aggregation per dataset, nothing is loaded.
    """
    if not is_lazy(table):
        return provenance.of_rows(table, start, end, kind)
    end = provenance.end_column(names(table), start, end)
    parts = collect(frame(table).group_by("source_dataset", "is_synthetic", drop_null_keys=False).agg(
        nw.col(start).min().alias(_FIRST), nw.col(end).max().alias(_LAST)))
    if parts.empty:
        return provenance.Provenance((), None, None, False, kind)
    return provenance.from_parts(parts["source_dataset"].dropna(), parts[_FIRST].min(), parts[_LAST].max(),
                                 bool(parts["is_synthetic"].fillna(False).astype(bool).any()), kind)


def _provenance_of_groups(parts: pd.DataFrame, kind: str, constants: dict) -> provenance.Provenance:
    if parts.empty:
        return provenance.Provenance((), None, None, False, kind)
    if "source_dataset" in constants:
        datasets = [constants["source_dataset"]]
    else:
        datasets = [d for d, name in _FROM.items() if parts[name].fillna(0).astype(bool).any()]
    if "is_synthetic" in constants:
        synthetic = bool(constants["is_synthetic"])
    else:
        synthetic = bool(parts[_SYNTHETIC].fillna(0).astype(bool).any())
    return provenance.from_parts(datasets, parts[_FIRST].min(), parts[_LAST].max(), synthetic, kind)
