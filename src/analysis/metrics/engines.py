"""Lazy tables over the processed Parquet store: DuckDB in this process (the default) or Dask on a cluster.

``analysis.scan_events()`` returns them; the metrics of :mod:`analysis.metrics`
that run on engines accept them as they accept a pandas DataFrame.  Nothing
here reads the table into pandas.
"""

from __future__ import annotations

import ctypes
import os
import threading
from pathlib import Path

import pandas as pd

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
        return _duckdb_scan(path, tuple(columns) if columns else None)
    if engine == "dask":
        try:
            import dask.dataframe as dd
        except ImportError:
            raise ParameterError("engine='dask' needs Dask: pip install 'conflict-analysis[dask]'") from None
        client(scheduler)
        table = dd.read_parquet(str(path))
    else:
        raise ParameterError(f"engine={engine!r}; choose one of: {', '.join(ENGINES)}")
    table = _select(table, columns) if columns else table
    return _with_facts(table, path)


# DuckDB relations by file (path, inode, modification time, size) and columns: a relation only describes a
# query, and a build never rewrites a file in place (it writes a new generation), so a notebook that scans
# the same store again gets the same relation without binding it again.
_relations: dict[tuple, object] = {}
_KEPT_RELATIONS = 16


def _duckdb_scan(path: Path, columns: tuple[str, ...] | None):
    status = Path(path).stat()
    key = (str(path), status.st_ino, status.st_mtime_ns, status.st_size, columns)
    with _lock:
        found = _relations.get(key)
    if found is not None:
        return found
    table = _duckdb().read_parquet(str(path))
    table = _with_facts(_select(table, list(columns)) if columns else table, path)
    with _lock:
        _relations[key] = table
        while len(_relations) > _KEPT_RELATIONS:
            _relations.pop(next(iter(_relations)))
    return table


# Columns whose single value makes provenance cheap (see frames.provenance_columns).
_CONSTANT_CANDIDATES = ("source_dataset", "is_synthetic")


def _with_facts(table, path: Path):
    """Record the table's coverage (first event day to last end day), as ``load_events()`` does, and the
    columns that hold one value in every row.

    Both come from the Parquet file's statistics where every row group has
    them; the coverage otherwise from a query.
    """
    present = frames.names(table)
    if "event_date" not in present:
        return table
    end = "event_end_date" if "event_end_date" in present else "event_date"
    stats = _statistics(path, {"event_date", end, *_CONSTANT_CANDIDATES} & set(present))
    if stats.get("event_date") and stats.get(end):
        found = (pd.Timestamp(stats["event_date"][0]), pd.Timestamp(stats[end][1]))
    else:
        found = frames.span(table, "event_date", end)
    if found is None:
        return table
    constants = {c: stats[c][0] for c in _CONSTANT_CANDIDATES if stats.get(c) and stats[c][0] == stats[c][1]}
    return frames.record_coverage(table, found, constants)


def _statistics(path: Path, columns: set[str]) -> dict:
    """Per column, (min, max) over the whole Parquet file from its row-group statistics.  A column with a
    missing value, or a row group without exact statistics (or an empty file), is left out: nothing is assumed."""
    import pyarrow.parquet as pq

    metadata = pq.read_metadata(path)
    positions = {metadata.schema.column(i).path: i for i in range(metadata.num_columns)}
    found = {}
    for name in columns:
        lows, highs = [], []
        for group in range(metadata.num_row_groups):
            stats = metadata.row_group(group).column(positions[name]).statistics
            if (stats is None or not stats.has_min_max or stats.null_count != 0
                    or not getattr(stats, "is_min_exact", True) or not getattr(stats, "is_max_exact", True)):
                break
            lows.append(stats.min)
            highs.append(stats.max)
        else:
            if lows:
                found[name] = (min(lows), max(highs))
    return found


def _select(table, columns: list[str]):
    import narwhals as nw

    present = frames.names(table)
    missing = [c for c in columns if c not in present]
    if missing:
        raise ParameterError(f"no column {', '.join(map(repr, missing))} in the events table")
    return nw.to_native(frames.frame(table).select(list(columns)))


_inherited: list = []  # a forked child's references to its parent's DuckDB objects: never released


def _forget_in_child() -> None:
    """A forked child cannot use its parent's DuckDB connection (DuckDB's threads are not copied by fork, so a
    query waits for them forever), nor a lock a parent's thread held: it opens its own connection.  The parent's
    connection and relations are kept, not released: their destructors crash (segfault) in the child."""
    global _lock, _duckdb_connection
    _lock = threading.Lock()
    _inherited.append((_duckdb_connection, dict(_relations)))
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(_inherited))  # not even when the interpreter shuts down
    _duckdb_connection = None
    _relations.clear()


os.register_at_fork(after_in_child=_forget_in_child)


def _duckdb():
    """This process's DuckDB connection (in memory; relations keep reading the Parquet files)."""
    global _duckdb_connection
    with _lock:
        if _duckdb_connection is None:
            import duckdb

            # Parquet footers parsed once per file and process, not at every query: metrics in a notebook or
            # a batch read the same files again and again.  DuckDB checks each file's modification time (a
            # rewritten file is read afresh), and a build never rewrites a file: it writes a new generation.
            connection = duckdb.connect()
            connection.execute("SET parquet_metadata_cache = true")
            # DuckDB's partitioned execution splits a grouping over a file of some 21 million rows or more into
            # parts that each scan the whole file: attacks_per_day on 25M events took 244 ms instead of 158 ms
            # (EXPLAIN ANALYZE: two scans of all 302 row groups).  A metric groups a few hundred days or places.
            try:
                connection.execute("SET disabled_optimizers = 'partitioned_execution'")
            except duckdb.Error:  # a DuckDB without that optimizer: nothing to turn off
                pass
            _duckdb_connection = connection
        return _duckdb_connection
