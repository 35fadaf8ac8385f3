"""Snapshot pages into the build: the records of a JSON page through the readers of the CSV exports.

A page's records have the field names of the source's CSV export (ACLED's
columns; UCDP GED's columns), so each page becomes one chunk of string
records, exactly as a CSV chunk would, and goes through the same steps
(:func:`analysis.build.ingest.ingest_chunk`: the reader, the pandera schema,
place matching, then de-duplication).  Values are written as text the way a
CSV export writes them: strings as they are, ``null`` as empty, numbers and
booleans as JSON writes them.  ``raw_line`` is a record's 1-based position in
the page's record list.

Updates and deletions (the order of a chain: base, then updates):

* **revision**: an event id that a later snapshot holds again replaces the
  earlier version; the earlier row becomes ``merged`` into the later one
  (``merged.csv`` names both pages and lines, ``is_identical`` says whether
  anything changed) and raises no duplicate warning (see :func:`registry_order`);
* **deletion**: an ACLED deleted-events record removes its event from the
  events table if the kept version is from that snapshot or an earlier one;
  the row counts as ``deleted`` in its page's ledger, and every deletion
  record is listed in ``deleted.csv`` (a deletion of an id never seen too).
"""

from __future__ import annotations

import json
from concurrent.futures import Future
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from analysis import storage
from analysis.build.ingest import ChunkSink, Ledger, OpenedFile, ingest_chunk, new_ledger
from analysis.build.snapshots import PageFile
from analysis.errors import InputError
from analysis.sources import READERS, detect
from analysis.sources.base import prefixed_ids
from analysis.sources.csvfile import CsvHeader, FileSniff, RawChunk
from analysis.tables import schemas

RECORDS_KEY = {"acled": "data", "ucdp_ged": "Result"}  # where each API's page holds its records
DELETED_ID = "event_id_cnty"  # the id field of an ACLED deleted-events record


def page_records(path: Path, key: str) -> list[dict]:
    """The records of a page (the list under ``key``); a page of another shape is an InputError."""
    try:
        body = json.loads(path.read_bytes())
    except OSError as exc:
        raise InputError(path, f"the page cannot be read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise InputError(path, f"the page is not valid JSON ({exc})") from None
    records = body.get(key) if isinstance(body, dict) else None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise InputError(path, f"the page holds no list of records under {key!r}: not a page of this API")
    return records


def records_frame(path: Path, records: list[dict], columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """Records as string columns named like a CSV header (stripped, lower case); ``columns`` if there are none."""
    frame = pd.DataFrame(records, dtype=object) if records else pd.DataFrame(columns=list(columns), dtype=object)
    names = [str(c).strip().lower() for c in frame.columns]
    if len(set(names)) != len(names):
        repeated = sorted({n for n in names if names.count(n) > 1})
        raise InputError(path, f"the records repeat the field(s) {', '.join(repeated)} (ignoring case)")
    frame.columns = names
    return frame.mask(frame.isna(), "").astype("str").reset_index(drop=True)


def read_page(page: PageFile, new_sink: Callable[[OpenedFile], ChunkSink]) -> tuple[Ledger, ChunkSink]:
    """Read one events page into a sink, as :func:`analysis.build.ingest.read_file` reads a CSV file."""
    reader = READERS[page.source]
    records = page_records(page.path, RECORDS_KEY[page.source])
    frame = records_frame(page.path, records, reader.layouts[0].required)
    reader, layout = detect(page.path, tuple(frame.columns), forced=page.source)
    size = page.path.stat().st_size
    done: Future = Future()
    done.set_result(None)
    opened = OpenedFile(page.path, FileSniff("utf-8", False, size, len(frame)),
                        CsvHeader(tuple(frame.columns), tuple(frame.columns), 1), reader, layout, done, page.source)
    ledger = new_ledger(opened, page.raw_file)
    with new_sink(opened) as sink:
        if len(frame):
            chunk = RawChunk(frame, np.arange(1, len(frame) + 1, dtype="int64"))
            sink.add(ingest_chunk(chunk, reader, layout, schemas.TABLES[reader.target], page.raw_file, ledger,
                                  first=False))
    ledger.sha256 = storage.sha256_file(page.path)
    if ledger.rows == 0:
        ledger.warnings.append("the page holds no records")
    return ledger, sink


def registry_order(origins: list[PageFile | None]) -> list[int]:
    """The order in which parts meet the id registry: loose files first, then per source the newest snapshot
    first, so the first row kept of an id is its latest version and older versions merge into it."""
    def rank(number: int):
        page = origins[number]
        return (0, "", 0, number) if page is None else (1, page.source, -page.index, number)
    return sorted(range(len(origins)), key=rank)


def deletions(deleted_pages: list[PageFile]) -> pd.DataFrame:
    """Every deletion record of the chains: DELETED columns plus ``source`` and ``index`` (its place in the chain)."""
    frames = []
    for page in deleted_pages:  # a handful of pages
        frame = records_frame(page.path, page_records(page.path, RECORDS_KEY[page.source]), (DELETED_ID,))
        if DELETED_ID not in frame:
            raise InputError(page.path, f"deleted-events records without {DELETED_ID!r}")
        frames.append(pd.DataFrame({
            "event_id": prefixed_ids(frame[DELETED_ID].str.strip(), page.source, np.zeros(len(frame), dtype=bool)),
            "raw_file": page.raw_file, "raw_line": np.arange(1, len(frame) + 1, dtype="int64"),
            "snapshot": f"{page.source}/{page.stamp}", "source": page.source, "index": page.index}))
    empty = schemas.empty_frame(schemas.DELETED).assign(source=pd.Series(dtype="str"),
                                                        index=pd.Series(dtype="int64"))
    return pd.concat(frames, ignore_index=True).astype(empty.dtypes.to_dict()) if frames else empty


def deleted_rows(ids: pd.Series, page: PageFile, records: pd.DataFrame) -> np.ndarray:
    """Which rows of a page (by their event ids) a deletion of the same snapshot or a later one removes."""
    applies = records[(records["source"] == page.source) & (records["index"] >= page.index)]
    return ids.isin(applies["event_id"]).to_numpy(dtype=bool)
