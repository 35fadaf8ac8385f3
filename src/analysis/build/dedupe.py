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
* ``ingest.validate_streaming`` (``analysis validate``): the same, from ids and row hashes kept per chunk;
* ``pipeline`` (``analysis build``): every file's rows of a table at once, read back from the Parquet parts.

They differ only in where a row's content is read from (a :class:`Batch`);
only repeated rows and the rows they repeat are ever looked at in full.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from analysis.tables import schemas

DIFFERENT_CONTENT_RULE = "duplicate_id_different_content"
LINEAGE = ["raw_file", "raw_line"]  # where a row was read; not part of its content


def described(rows: pd.DataFrame, id_column: str) -> pd.DataFrame:
    """All that merging needs of each row: its id, raw_file, raw_line and a hash of its content."""
    content = pd.util.hash_pandas_object(rows.drop(columns=LINEAGE), index=False).to_numpy()
    return pd.DataFrame({"id": rows[id_column].to_numpy(), "raw_file": rows["raw_file"].to_numpy(),
                         "raw_line": rows["raw_line"].to_numpy(), "row_hash": content}).astype({"id": "str",
                                                                                               "raw_file": "str"})


@dataclass(frozen=True)
class Batch:
    """Rows of a table as the registry sees them: their ids, and their descriptions on demand."""

    ids: pd.Series  # the id of every row, in order
    describe: Callable[[np.ndarray], pd.DataFrame]  # rows at these positions -> :func:`described`

    @classmethod
    def of_rows(cls, rows: pd.DataFrame, id_column: str) -> Batch:
        """Rows held in memory."""
        return cls(rows[id_column], lambda positions: described(rows.iloc[positions], id_column))

    @classmethod
    def of_descriptions(cls, descriptions: pd.DataFrame) -> Batch:
        """Rows known only by their :func:`described` frame (the rows themselves are gone)."""
        rest = descriptions.drop(columns="id")  # the registry keeps the ids it needs itself
        return cls(descriptions["id"], lambda positions: rest.iloc[positions])


class IdRegistry:
    """The ids kept so far, per table, and where their rows are: later repeats are merged into them."""

    def __init__(self) -> None:
        self._describers: dict[str, list[Callable[[np.ndarray], pd.DataFrame]]] = {}
        self._kept: dict[str, pd.DataFrame] = {}  # per table: id, batch and position of every row kept so far

    def merge(self, table: str, *batches: Batch) -> tuple[list[np.ndarray], pd.DataFrame]:
        """Merge repeated ids of ``batches`` (in order) into the rows kept before them or earlier in them.

        Returns, per batch, which of its rows are repeats (they leave the
        output), and the MERGED ledger rows of the repeats, in order.  The
        other rows are kept, for later batches to be merged into.
        """
        known = self._describers.setdefault(table, [])
        kept = self._kept.get(table, _NOTHING_KEPT)
        sizes = [len(batch.ids) for batch in batches]
        ids = pd.concat([kept["id"], *(pd.Series(b.ids.to_numpy(), dtype="str") for b in batches)],
                        ignore_index=True)
        number = np.concatenate([kept["batch"].to_numpy(), *(np.full(size, len(known) + i, dtype=np.int64)
                                                                 for i, size in enumerate(sizes))])
        position = np.concatenate([kept["position"].to_numpy(), *(np.arange(size) for size in sizes)])
        known.extend(batch.describe for batch in batches)
        repeat, first = _first_positions(ids)
        self._kept[table] = pd.DataFrame({"id": ids[~repeat], "batch": number[~repeat],
                                          "position": position[~repeat]}).reset_index(drop=True)
        repeats = np.flatnonzero(repeat)  # all in the new batches: the kept ids are distinct
        merged = _merged_rows(known, ids.to_numpy()[repeats], (number[repeats], position[repeats]),
                              (number[first[repeats]], position[first[repeats]]))
        return np.split(repeat[len(kept):], np.cumsum(sizes)[:-1]), merged


_NOTHING_KEPT = pd.DataFrame({"id": pd.Series(dtype="str"), "batch": pd.Series(dtype="int64"),
                              "position": pd.Series(dtype="int64")})


def _first_positions(ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """For each row: is its id a repeat of an earlier row's, and the position of that first row."""
    duplicate = ids.duplicated(keep="first").to_numpy()
    if not duplicate.any():
        return duplicate, np.arange(len(ids))
    codes, _ = pd.factorize(ids)
    first = np.full(codes.max() + 1, len(ids))
    np.minimum.at(first, codes, np.arange(len(ids)))
    return duplicate, first[codes]


def _merged_rows(describers: list, ids: np.ndarray, repeats: tuple, firsts: tuple) -> pd.DataFrame:
    """The MERGED rows: each repeat (batch, position) with the first row of its id.

    Only these rows are described (hashed), never whole tables; each batch is
    asked once, for its repeats and first rows together.
    """
    if not len(ids):
        return schemas.empty_frame(schemas.MERGED)
    rows = _describe(describers, np.concatenate([repeats[0], firsts[0]]), np.concatenate([repeats[1], firsts[1]]))
    repeat, first = rows.iloc[: len(ids)], rows.iloc[len(ids):]
    out = pd.DataFrame({
        "raw_file": repeat["raw_file"].to_numpy(), "raw_line": repeat["raw_line"].to_numpy(), "event_id": ids,
        "merged_into_file": first["raw_file"].to_numpy(), "merged_into_line": first["raw_line"].to_numpy(),
        "is_identical": repeat["row_hash"].to_numpy() == first["row_hash"].to_numpy(),
    })
    return out.astype({c: str(d) for c, d in schemas.empty_frame(schemas.MERGED).dtypes.items()})


def _describe(describers: list, number: np.ndarray, position: np.ndarray) -> pd.DataFrame:
    """The descriptions of the rows at (batch ``number``, ``position``), in that order."""
    frames, order = [], []
    for which in np.unique(number):
        mine = np.flatnonzero(number == which)
        frames.append(describers[which](position[mine]))
        order.append(mine)
    rows = pd.concat(frames, ignore_index=True)
    return rows.iloc[np.argsort(np.concatenate(order), kind="stable")].reset_index(drop=True)


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
