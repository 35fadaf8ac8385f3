"""Repeated ids: the one place where a row whose id an earlier row already has becomes a merged row.

An id names one record.  When a row repeats the id of an earlier row (in the
same chunk, in an earlier chunk of the same file, or in an earlier file) the
first row is kept and the repeat is *merged* into it: it leaves the output
and is listed in ``merged.csv`` with the file and line of the kept row and
whether the two rows hold the same content (every column but ``raw_file``
and ``raw_line``).  A repeat whose content differs is also a warning (rule
:data:`DIFFERENT_CONTENT_RULE`): its values are not in the output.

Every path that reads raw files merges through :class:`IdRegistry`:

* ``ingest.ingest_file`` (in memory): a file's accepted rows, after the files before it;
* ``ingest.validate_streaming`` (``analysis validate``): the same, from the compact :class:`Descriptions`
  of its chunks (id hashes, and compressed ids, lines and row hashes), so memory stays small on large files;
* ``pipeline`` (``analysis build``): every file's rows of a table at once, read back from the Parquet parts
  (only the rows whose id hash repeats: :func:`repeated_hashes`).

They differ only in where a row's id and content are read from (a :class:`Batch`).  Ids are compared
by their 64-bit hash first (:func:`id_hashes`), and by their text only where a hash occurs more than
once; only repeated rows and the rows they repeat are ever looked at in full.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import duckdb
import numpy as np
import pandas as pd
import pyarrow

from analysis.tables import schemas

DIFFERENT_CONTENT_RULE = "duplicate_id_different_content"
LINEAGE = ["raw_file", "raw_line"]  # where a row was read; not part of its content
_SLICE = 1 << 20  # rows looked up at a time in :func:`holding` (its temporary arrays stay small)


def id_hashes(ids) -> np.ndarray:
    """The 64-bit hash of every id (DuckDB's ``hash()`` of its text), the one rule by which ids are first compared.

    Equal ids have equal hashes; two different ids share one only by a rare
    accident, which :class:`IdRegistry` then sees by comparing their text.
    DuckDB hashes the Arrow strings where they lie, about forty times faster than
    pandas' hash of Python strings (2.5 s of a 2.5M-row build).  A connection of
    its own for each call: nothing of DuckDB outlives the call, so a process that
    forks later hands its child no DuckDB threads or state.
    """
    if isinstance(ids, pd.Series):
        values = pyarrow.array(ids, from_pandas=True)
    elif isinstance(ids, (pyarrow.Array, pyarrow.ChunkedArray)):
        values = ids
    else:
        values = pyarrow.array(np.asarray(ids, dtype=object), from_pandas=True)
    if values.type != pyarrow.large_string():
        values = values.cast(pyarrow.large_string())
    if not len(values):
        return np.empty(0, dtype=np.uint64)
    with duckdb.connect(config={"threads": 1}) as connection:
        connection.register("ids", pyarrow.table({"id": values}))
        hashes = connection.sql("SELECT hash(id) AS h FROM ids").fetchnumpy()["h"]
    return np.asarray(hashes, dtype=np.uint64)


def repeated_hashes(hashes: list[np.ndarray]) -> np.ndarray:
    """The hashes that occur more than once in ``hashes`` (all the arrays together), sorted, each once."""
    ordered = np.concatenate([np.empty(0, dtype=np.uint64), *hashes])
    ordered.sort()  # in place: one copy of the hashes, not two
    return np.unique(ordered[1:][ordered[1:] == ordered[:-1]])


def holding(hashes: np.ndarray, shared: np.ndarray) -> np.ndarray:
    """The positions in ``hashes`` of the values that are in ``shared`` (sorted), in order."""
    if not len(shared) or not len(hashes):
        return np.empty(0, dtype=np.int64)
    found = []
    for start in range(0, len(hashes), _SLICE):  # a slice at a time, vectorised within it
        part = hashes[start:start + _SLICE]
        at = np.minimum(np.searchsorted(shared, part), len(shared) - 1)
        found.append(start + np.flatnonzero(shared[at] == part))
    return np.concatenate(found)


def row_hashes(rows: pd.DataFrame) -> np.ndarray:
    """A hash of each row's content: every column but ``raw_file`` and ``raw_line``."""
    return pd.util.hash_pandas_object(rows.drop(columns=LINEAGE), index=False).to_numpy()


def described(rows: pd.DataFrame, id_column: str) -> pd.DataFrame:
    """All that merging needs of each row: its id, raw_file, raw_line and a hash of its content."""
    return pd.DataFrame({"id": rows[id_column].to_numpy(), "raw_file": rows["raw_file"].to_numpy(),
                         "raw_line": rows["raw_line"].to_numpy(), "row_hash": row_hashes(rows)}
                        ).astype({"id": "str", "raw_file": "str"})


class Batch:
    """Rows of a table as the registry sees them: the hash of every row's id (:func:`id_hashes`), and on demand
    the ids (``ids_at``) and :func:`described` frames (``describe``) of the rows at given positions.

    ``Batch(ids, describe)`` holds the ids in memory; ``Batch(None, describe, hashes=..., ids_at=...)`` only
    their hashes (:class:`Descriptions`).
    """

    def __init__(self, ids: pd.Series | np.ndarray | None, describe: Callable[[np.ndarray], pd.DataFrame], *,
                 hashes: np.ndarray | None = None, ids_at: Callable[[np.ndarray], np.ndarray] | None = None) -> None:
        if ids is not None:
            values = np.asarray(ids, dtype=object)
            hashes, ids_at = id_hashes(values), values.__getitem__
        self.hashes: np.ndarray = hashes
        self.ids_at: Callable[[np.ndarray], np.ndarray] = ids_at
        self.describe = describe

    def __len__(self) -> int:
        return len(self.hashes)

    @classmethod
    def of_rows(cls, rows: pd.DataFrame, id_column: str) -> Batch:
        """Rows held in memory."""
        return cls(rows[id_column], lambda positions: described(rows.iloc[positions], id_column))


class Descriptions:
    """A file's accepted rows, chunk by chunk, kept as little as merging needs (``analysis validate``).

    Per row: its id's hash (8 bytes), and its id, ``raw_file``, ``raw_line`` and content hash
    (:func:`row_hashes`) in a zstd-compressed Arrow chunk, opened again only for the rows the
    registry asks about (repeats and the rows they repeat, or rows whose id hashes collide).
    """

    def __init__(self, id_column: str) -> None:
        self.id_column = id_column
        self._hashes: list[np.ndarray] = []
        self._chunks: list[pyarrow.Buffer] = []
        self._starts = [0]  # each chunk's first row, then the number of rows

    def add(self, rows: pd.DataFrame) -> None:
        if not len(rows):
            return
        self._hashes.append(id_hashes(rows[self.id_column]))
        table = pyarrow.table({
            "id": pyarrow.array(rows[self.id_column].to_numpy(dtype=object), type=pyarrow.string()),
            "raw_file": pyarrow.array(rows["raw_file"].to_numpy(dtype=object), type=pyarrow.string())
                               .dictionary_encode(),
            "raw_line": pyarrow.array(rows["raw_line"].to_numpy(dtype=np.int64)),
            "row_hash": pyarrow.array(row_hashes(rows))})
        sink = pyarrow.BufferOutputStream()
        with pyarrow.ipc.new_stream(sink, table.schema, options=_COMPRESSED) as writer:
            writer.write_table(table)
        self._chunks.append(sink.getvalue())
        self._starts.append(self._starts[-1] + len(rows))

    def batch(self) -> Batch:
        """The rows added so far, as one batch."""
        hashes = np.empty(self._starts[-1], dtype=np.uint64)
        for start, end in zip(self._starts[:-1], self._starts[1:]):  # per chunk, each let go once copied:
            hashes[start:end] = self._hashes[0]  # never two copies of every hash
            del self._hashes[0]
        return Batch(None, self._describe, hashes=hashes, ids_at=self._ids_at)

    def _ids_at(self, positions: np.ndarray) -> np.ndarray:
        return self._rows_at(positions).column("id").to_numpy(zero_copy_only=False)

    def _describe(self, positions: np.ndarray) -> pd.DataFrame:
        rows = self._rows_at(positions)
        return pd.DataFrame({"raw_file": rows.column("raw_file").to_numpy(zero_copy_only=False),
                             "raw_line": rows.column("raw_line").to_numpy(),
                             "row_hash": rows.column("row_hash").to_numpy()}).astype({"raw_file": "str"})

    def _rows_at(self, positions: np.ndarray) -> pyarrow.Table:
        """The rows at ``positions`` (in that order), opening only the chunks that hold them."""
        positions = np.asarray(positions, dtype=np.int64)
        chunk = np.searchsorted(self._starts, positions, side="right") - 1
        pieces, order = [], []
        for which in np.unique(chunk):  # per chunk, not per row
            mine = np.flatnonzero(chunk == which)
            rows = pyarrow.ipc.open_stream(self._chunks[which]).read_all()
            pieces.append(rows.take(positions[mine] - self._starts[which]).combine_chunks())
            order.append(mine)
        if not pieces:
            return _EMPTY_DESCRIPTIONS
        back = np.argsort(np.concatenate(order), kind="stable")
        return pyarrow.concat_tables([p.cast(_EMPTY_DESCRIPTIONS.schema) for p in pieces]).take(back)


_COMPRESSED = pyarrow.ipc.IpcWriteOptions(compression="zstd")
_EMPTY_DESCRIPTIONS = pyarrow.schema([("id", pyarrow.string()), ("raw_file", pyarrow.string()),
                                      ("raw_line", pyarrow.int64()), ("row_hash", pyarrow.uint64())]).empty_table()


@dataclass
class _Kept:
    """One table in the registry: how to read every batch merged so far, and the rows kept (one per id).

    Every row is kept but the repeats (``dropped``), so a kept row's number follows from its place among
    the kept rows; ``hashes`` holds the id hash of each kept row, in row order, one array per merge
    (arrays are never joined: no copy of every hash when a second large file comes).
    """

    ids_at: list[Callable] = field(default_factory=list)  # of every batch merged so far (not its hashes)
    describe: list[Callable] = field(default_factory=list)
    starts: list[int] = field(default_factory=lambda: [0])  # row number of each batch's first row, then the total
    hashes: list[np.ndarray] = field(default_factory=list)  # the id hash of every kept row, in row order
    dropped: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))  # repeats' row numbers, sorted

    def where(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(batch, position) of row numbers."""
        number = np.searchsorted(self.starts, rows, side="right") - 1
        return number, rows - np.asarray(self.starts)[number]

    def holding(self, shared: np.ndarray) -> np.ndarray:
        """The row numbers of the kept rows whose id hash is in ``shared``, in order."""
        sizes = np.cumsum([0] + [len(h) for h in self.hashes])
        index = np.concatenate([np.empty(0, dtype=np.int64)]
                               + [start + holding(h, shared) for start, h in zip(sizes, self.hashes)])
        before = self.dropped - np.arange(len(self.dropped))  # kept rows before each dropped row
        return index + np.searchsorted(before, index, side="right")


class IdRegistry:
    """The ids kept so far, per table, and where their rows are: later repeats are merged into them.

    Ids are compared by hash first (:func:`id_hashes`): the registry keeps 8 bytes per kept row (its id's
    hash; where the row is follows from the rows merged away), and reads the text of ids only for the rows
    whose hash occurs more than once, kept or new; there the text decides, so two ids that share a hash
    are never merged.
    """

    def __init__(self) -> None:
        self._tables: dict[str, _Kept] = {}

    def merge(self, table: str, *batches: Batch) -> tuple[list[np.ndarray], pd.DataFrame]:
        """Merge repeated ids of ``batches`` (in order) into the rows kept before them or earlier in them.

        Returns, per batch, which of its rows are repeats (they leave the
        output), and the MERGED ledger rows of the repeats, in order.  The
        other rows are kept, for later batches to be merged into.
        """
        kept = self._tables.setdefault(table, _Kept())
        base = kept.starts[-1]
        offsets = base + np.cumsum([0] + [len(batch) for batch in batches], dtype=np.int64)
        kept.ids_at.extend(batch.ids_at for batch in batches)
        kept.describe.extend(batch.describe for batch in batches)
        kept.starts.extend(int(o) for o in offsets[1:])
        shared = repeated_hashes([*kept.hashes, *(batch.hashes for batch in batches)])
        # the rows that may repeat or be repeated: kept ones first (their ids are distinct), then the new in order
        rows = np.concatenate([kept.holding(shared)]
                              + [start + holding(batch.hashes, shared) for start, batch in zip(offsets, batches)])
        ids = pd.Series(_gather(kept.ids_at, *kept.where(rows), _joined), dtype="str")
        repeat, first = _first_positions(ids)
        repeats = np.flatnonzero(repeat)  # all among the new rows (the kept ids are distinct), in row order
        merged = _merged_rows(kept.describe, ids.to_numpy()[repeats],
                              kept.where(rows[repeats]), kept.where(rows[first[repeats]]))
        dropped = np.zeros(offsets[-1] - base, dtype=bool)
        dropped[rows[repeats] - base] = True
        out = np.split(dropped, offsets[1:-1] - base)
        kept.hashes.extend(batch.hashes[~d] if d.any() else batch.hashes for batch, d in zip(batches, out))
        kept.dropped = np.concatenate([kept.dropped, rows[repeats]])  # after every earlier row: still sorted
        return out, merged


def _first_positions(ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """For each row: is its id a repeat of an earlier row's, and the position of that first row."""
    duplicate = ids.duplicated(keep="first").to_numpy()
    if not duplicate.any():
        return duplicate, np.arange(len(ids))
    codes, _ = pd.factorize(ids)
    first = np.full(codes.max() + 1, len(ids))
    np.minimum.at(first, codes, np.arange(len(ids)))
    return duplicate, first[codes]


def _gather(functions: list[Callable], number: np.ndarray, position: np.ndarray, combine: Callable):
    """``functions[n](positions)`` for the rows at (batch ``number``, ``position``), combined in that order;
    each batch is asked once."""
    pieces, order = [], []
    for which in np.unique(number):  # per batch, not per row
        mine = np.flatnonzero(number == which)
        pieces.append(functions[which](position[mine]))
        order.append(mine)
    back = np.argsort(np.concatenate([np.empty(0, dtype=np.int64), *order]), kind="stable")
    return combine(pieces, back)


def _joined(pieces: list[np.ndarray], back: np.ndarray) -> np.ndarray:
    return np.concatenate([np.empty(0, dtype=object), *(np.asarray(p, dtype=object) for p in pieces)])[back]


def _frames(pieces: list[pd.DataFrame], back: np.ndarray) -> pd.DataFrame:
    return pd.concat(pieces, ignore_index=True).iloc[back].reset_index(drop=True)


def _merged_rows(describers: list, ids: np.ndarray, repeats: tuple, firsts: tuple) -> pd.DataFrame:
    """The MERGED rows: each repeat (batch, position) with the first row of its id.

    Only these rows are described (hashed), never whole tables; each batch is
    asked once, for its repeats and first rows together.
    """
    if not len(ids):
        return schemas.empty_frame(schemas.MERGED)
    rows = _gather(describers, np.concatenate([repeats[0], firsts[0]]), np.concatenate([repeats[1], firsts[1]]),
                   _frames)
    repeat, first = rows.iloc[: len(ids)], rows.iloc[len(ids):]
    out = pd.DataFrame({
        "raw_file": repeat["raw_file"].to_numpy(), "raw_line": repeat["raw_line"].to_numpy(), "event_id": ids,
        "merged_into_file": first["raw_file"].to_numpy(), "merged_into_line": first["raw_line"].to_numpy(),
        "is_identical": repeat["row_hash"].to_numpy() == first["row_hash"].to_numpy(),
    })
    return out.astype({c: str(d) for c, d in schemas.empty_frame(schemas.MERGED).dtypes.items()})


def conflict_warnings(merged: pd.DataFrame) -> pd.DataFrame:
    """A warning row (rejects columns) for every merged repeat whose content differs from the kept row.

    The row is the repeat's (raw_file, raw_line), the row whose values are
    not in the output; the message names the kept row's file and line.
    Identical repeats stay quiet merges.
    """
    differ = merged[~merged["is_identical"].astype(bool)]
    kept_at = differ["merged_into_file"] + " line " + differ["merged_into_line"].astype(str)
    same_file = differ["merged_into_file"] == differ["raw_file"]
    out = pd.DataFrame({
        "raw_file": differ["raw_file"], "raw_line": differ["raw_line"].astype("int64"), "column": "",
        "value": differ["event_id"], "rule": DIFFERENT_CONTENT_RULE,
        "message": ("id " + differ["event_id"] + " is also at " + kept_at + ", with different content; "
                    + kept_at + " was kept and this row merged into it (its values are not in the output)"
                    + pd.Series(np.where(same_file, "", "; two files give this id"), index=differ.index)),
    })
    return out.astype({c: str(d) for c, d in schemas.empty_frame(schemas.REJECTS).dtypes.items()}).reset_index(
        drop=True)
