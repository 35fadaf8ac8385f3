"""Lazy tables over the processed Parquet store: DuckDB in this process (the default) or Dask on a cluster.

``analysis.scan_events()`` returns them; the metrics of :mod:`analysis.metrics`
that run on engines accept them as they accept a pandas DataFrame.  Nothing
here reads the table into pandas.
"""

from __future__ import annotations

import threading
from pathlib import Path

from analysis.cluster import client
from analysis.errors import ParameterError
from analysis.metrics import frames

ENGINES = ("duckdb", "dask")
_lock = threading.Lock()
_duckdb_connection = None


def scan(path: Path, engine: str = "duckdb", scheduler: str | None = None, columns: list[str] | None = None):
    """The Parquet file at ``path`` as a lazy table of ``engine`` (see the module docstring)."""
    if engine == "duckdb":
        if scheduler is not None:
            raise ParameterError("a scheduler is for engine='dask'; DuckDB runs in this process")
        table = _duckdb().read_parquet(str(path))
    elif engine == "dask":
        try:
            import dask.dataframe as dd
        except ImportError:
            raise ParameterError("engine='dask' needs Dask: pip install 'conflict-analysis[dask]'") from None
        client(scheduler)
        table = dd.read_parquet(str(path))
    else:
        raise ParameterError(f"engine={engine!r}; choose one of: {', '.join(ENGINES)}")
    table = _select(table, columns) if columns else table
    return _with_coverage(table)


def _with_coverage(table):
    """Record the table's coverage (first event day to last end day), as ``load_events()`` does."""
    present = frames.names(table)
    if "event_date" not in present:
        return table
    found = frames.span(table, "event_date", "event_end_date" if "event_end_date" in present else "event_date")
    return table if found is None else frames.record_coverage(table, found)


def _select(table, columns: list[str]):
    import narwhals as nw

    present = frames.names(table)
    missing = [c for c in columns if c not in present]
    if missing:
        raise ParameterError(f"no column {', '.join(map(repr, missing))} in the events table")
    return nw.to_native(frames.frame(table).select(list(columns)))


def _duckdb():
    """This process's DuckDB connection (in memory; relations keep reading the Parquet files)."""
    global _duckdb_connection
    with _lock:
        if _duckdb_connection is None:
            import duckdb

            _duckdb_connection = duckdb.connect()
        return _duckdb_connection
