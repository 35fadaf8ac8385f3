"""The events a metric reads, whatever holds them: a pandas DataFrame, a DuckDB relation or a Dask DataFrame.

Metrics are written once against narwhals (https://narwhals-dev.github.io/narwhals/):
filters and group-bys run where the data are (pandas in memory, DuckDB over the
Parquet store, Dask on a cluster), and only the small aggregated result comes
back as pandas, where zero-filling, ordering, schema checks and provenance are
the same for every engine.  ``analysis.scan_events()`` gives the lazy inputs.
"""

from __future__ import annotations

import warnings

import narwhals as nw
import numpy as np
import pandas as pd

from analysis.errors import ParameterError
from analysis.metrics import provenance


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
    where = condition.fill_null(False)
    if isinstance(table, nw.LazyFrame):
        return table.select(where.alias("_keep"), **columns).filter(nw.col("_keep")).drop("_keep"), None
    keep = mask(events, where)
    return nw.from_native(nw.to_native(table.select(**columns))[keep]), keep


class LazyRows(provenance.Rows):
    """The rows of a lazy table a result was computed from: the table and a condition, read only when asked."""

    __slots__ = ()

    def frame(self) -> pd.DataFrame:
        return collect(frame(self.table).filter(self.mask))


def attach_rows(result: pd.DataFrame, events, condition: nw.Expr, kind: str = "Events",
                start: str = "event_date", end: str = "event_end_date",
                keep: np.ndarray | None = None) -> tuple[pd.DataFrame, int]:
    """Attach the provenance of the rows where ``condition`` holds, and those rows; return the number of rows.

    On pandas the rows are a boolean mask over the table (nothing copied); on
    a lazy table they are the table and the condition, read when a report
    records the evidence behind a number.  ``keep``: the condition's mask on
    pandas, when already computed.
    """
    where = condition.fill_null(False)
    table = frame(events)
    if isinstance(table, nw.LazyFrame):
        used = table.select(start, end, "is_synthetic", "source_dataset", where.alias("_used")).filter(nw.col("_used"))
        row = collect(used.select(nw.len().alias("rows"), nw.col(start).min().alias("first"),
                                  nw.col(end).max().alias("last"),
                                  nw.col("is_synthetic").fill_null(False).cast(nw.Int8).max().alias("synthetic")))
        count = int(row.loc[0, "rows"])
        datasets = collect(used.select("source_dataset").unique())["source_dataset"].dropna() if count else ()
        found = _provenance(count, datasets, row.loc[0, "first"], row.loc[0, "last"], row.loc[0, "synthetic"], kind)
        provenance.attach(result, found)
        result.attrs[provenance.ROWS_KEY] = LazyRows(events, where)
        return result, count
    rows = mask(events, where) if keep is None else keep  # Arrow strings filter fast by a boolean mask and take slowly by position
    count = int(rows.sum())
    datasets = events["source_dataset"][rows].dropna().unique() if count else ()
    found = _provenance(count, datasets, events[start].to_numpy()[rows].min() if count else None,
                        events[end].to_numpy()[rows].max() if count else None,
                        bool(events["is_synthetic"].to_numpy()[rows].any()), kind)
    provenance.attach(result, found, events, rows)
    return result, count


def _provenance(count: int, datasets, first, last, synthetic, kind: str) -> provenance.Provenance:
    if count == 0:
        return provenance.Provenance((), None, None, False, kind)
    return provenance.from_parts(datasets, first, last, bool(synthetic), kind)
