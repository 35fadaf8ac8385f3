"""Lazy tables over the processed Parquet store: DuckDB in this process (the default) or Dask on a cluster.

``analysis.scan_events()`` returns them; the metrics of :mod:`analysis.metrics`
that run on engines accept them as they accept a pandas DataFrame.  Nothing
here reads the table into pandas.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from analysis.errors import ParameterError

ENGINES = ("duckdb", "dask")
LOCAL = "local"
_lock = threading.Lock()
_duckdb_connection = None
_dask_client = None  # (scheduler, distributed.Client): one cluster per process, reused


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
    from analysis.metrics import frames

    present = frames.names(table)
    if "event_date" not in present:
        return table
    found = frames.span(table, "event_date", "event_end_date" if "event_end_date" in present else "event_date")
    return table if found is None else frames.record_coverage(table, found)


def _select(table, columns: list[str]):
    import narwhals as nw

    from analysis.metrics import frames

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


def client(scheduler: str | None = None):
    """The Dask client computations go to: a local cluster (None or "local"), or the scheduler at ``tcp://...``.

    The local cluster has one worker process per core, started on first use and
    reused by later calls in the same process.
    """
    global _dask_client
    key = LOCAL if scheduler in (None, LOCAL) else str(scheduler)
    if key != LOCAL and not key.startswith(("tcp://", "tls://")):
        raise ParameterError(f"scheduler={scheduler!r}; give 'local' or a Dask scheduler address tcp://host:port")
    with _lock:
        if _dask_client is not None and _dask_client[0] == key and _dask_client[1].status == "running":
            return _dask_client[1]
        if _dask_client is not None:
            close()
        _dask_client = (key, _connect(key))
        return _dask_client[1]


def _connect(key: str):
    import os

    from distributed import Client, LocalCluster

    if key == LOCAL:
        cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        return Client(cluster, set_as_default=True)
    try:
        return Client(key, timeout="10s", set_as_default=True)
    except (OSError, TimeoutError) as error:
        raise ParameterError(f"cannot reach the Dask scheduler at {key}: {error}") from None


def close() -> None:
    """Close this process's Dask client (and its local cluster)."""
    global _dask_client
    if _dask_client is None:
        return
    _, dask_client = _dask_client
    _dask_client = None
    cluster = dask_client.cluster
    dask_client.close()
    if cluster is not None:
        cluster.close()
