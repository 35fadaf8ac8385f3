"""Rows of a Parquet part by position, a row group at a time, so that memory does not grow with the part.

A single raw file of 25 million rows is one part of 25 million rows: reading even its id column whole
took gigabytes (pandas strings), so the duplicate and deletion passes read, hash and rewrite parts
through these helpers, holding one row group (``config.CSV_CHUNK_ROWS`` rows) at a time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pyarrow
import pyarrow.parquet as pq

from analysis import storage


def column_groups(part: Path, column: str) -> Iterator[pyarrow.ChunkedArray]:
    """One column of the part, a row group at a time, in order."""
    source = pq.ParquetFile(part)
    for group in range(source.num_row_groups):
        yield source.read_row_group(group, columns=[column]).column(0)


def column_map(part: Path, column: str, apply: Callable[[pyarrow.ChunkedArray], np.ndarray],
               dtype, rows_per_call: int = 1 << 20) -> np.ndarray:
    """``apply`` to one column's values, concatenated into one array of ``dtype``.

    ``apply`` sees consecutive row groups together, about ``rows_per_call`` values
    at a time (at least one row group): few calls, and memory of one such run.
    """
    out = np.empty(pq.read_metadata(part).num_rows, dtype=dtype)
    start, run = 0, []

    def flush() -> None:
        nonlocal start, run
        values = pyarrow.chunked_array([chunk for group in run for chunk in group.chunks], type=run[0].type)
        out[start:start + len(values)] = apply(values)
        start += len(values)
        run = []

    for values in column_groups(part, column):
        run.append(values)
        if sum(len(group) for group in run) >= rows_per_call:
            flush()
    if run:
        flush()
    return out


def rows_at(part: Path, positions: np.ndarray, columns: list[str] | None = None) -> pyarrow.Table:
    """The rows at ``positions`` (in that order, repeats allowed), reading only the row groups that hold them."""
    source = pq.ParquetFile(part)
    positions = np.asarray(positions, dtype=np.int64)
    starts = _group_starts(source)
    order = np.argsort(positions, kind="stable")
    ordered = positions[order]
    if len(ordered) and (ordered[0] < 0 or ordered[-1] >= starts[-1]):
        raise IndexError(f"row positions out of range for {part.name} ({starts[-1]} rows)")
    group_of = np.searchsorted(starts, ordered, side="right") - 1
    pieces = [source.read_row_group(int(g), columns=columns).take(ordered[group_of == g] - starts[g])
              for g in np.unique(group_of)]
    if not pieces:
        empty = source.schema_arrow.empty_table()
        return empty.select(columns) if columns is not None else empty
    return pyarrow.concat_tables(pieces).take(np.argsort(order, kind="stable"))


def rewrite_without(part: Path, drop: np.ndarray) -> None:
    """Rewrite the part without the rows at positions ``drop``, a row group at a time (temp file + rename)."""
    source = pq.ParquetFile(part)
    starts = _group_starts(source)
    dropped = np.zeros(starts[-1], dtype=bool)
    dropped[np.asarray(drop, dtype=np.int64)] = True
    tmp = part.with_name(part.name + ".tmp")
    with pq.ParquetWriter(tmp, source.schema_arrow, **storage.PARQUET_OPTIONS) as writer:
        for group in range(source.num_row_groups):
            keep = np.flatnonzero(~dropped[starts[group]:starts[group + 1]])
            if len(keep):
                writer.write_table(source.read_row_group(group).take(keep))
    os.replace(tmp, part)


def _group_starts(source: pq.ParquetFile) -> np.ndarray:
    """The first row of each row group, and the number of rows last."""
    meta = source.metadata
    return np.cumsum([0] + [meta.row_group(g).num_rows for g in range(meta.num_row_groups)], dtype=np.int64)
