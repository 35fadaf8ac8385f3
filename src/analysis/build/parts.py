"""Reading raw files into temporary Parquet parts: a large file streamed on its own, small ones in groups.

A part holds the accepted rows of one file (:func:`file_part`, chunk by chunk) or of a batch of small files
of one reader validated together (GDELT publishes one file every 15 minutes): :func:`group_files` decides
from names and sizes alone which files are read together, so that a Dask build reads the same groups into
the same parts; :func:`read_group` reads one group.  Every row keeps its own file and line, every file its
own ledger, and an unreadable file is left out alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.parquet as pq

from analysis import config, places, storage
from analysis.build.ingest import (ChunkResult, Ledger, OpenedFile, Piece, ingest_pieces, open_file, read_file,
                                   read_records)
from analysis.build.quarantine import schema_failures
from analysis.errors import InputError
from analysis.gazetteer_files import GazetteerFileError
from analysis.sources.csvfile import EncodingChanged
from analysis.tables import rowchecks, schemas
from analysis.threads import WriteBehind


def group_files(files: list[Path]) -> list[list[int]]:
    """The files' numbers in the groups they are read in: consecutive files of at most ``config.BATCH_FILE_BYTES``
    together, up to ``config.BATCH_BYTES`` a group; a larger file (or one that cannot be measured) alone.

    Only names and sizes decide, so a Dask build reads the same groups into the same parts.
    """
    groups: list[list[int]] = []
    small, total = [], 0

    def close() -> None:
        nonlocal small, total
        if small:
            groups.append(small)
        small, total = [], 0

    for number, path in enumerate(files):
        try:
            size = path.stat().st_size
        except OSError:
            size = None
        if size is None or size > config.BATCH_FILE_BYTES:
            close()
            groups.append([number])
            continue
        if small and total + size > config.BATCH_BYTES:
            close()
        small.append(number)
        total += size
    close()
    return groups


@dataclass
class _Records:
    """One small file's records, read in full, waiting to be validated with others."""

    opened: OpenedFile
    chunks: list
    ledger: Ledger

    @property
    def rows(self) -> int:
        return sum(chunk.rows + len(chunk.malformed) for chunk in self.chunks)

    def key(self) -> tuple:
        """Files are validated together only if read by the same reader with the same columns."""
        return self.opened.reader.name, self.opened.layout.name, tuple(self.opened.header.names)


def _read_batches(paths: list[Path], number: int, work: Path, progress) -> tuple[list[tuple], list[Read]]:
    """Small files read one by one (an unreadable one is reported and left out), validated in batches of files
    of one reader and up to ``config.CSV_CHUNK_ROWS`` records, each batch into one part.

    A batch's places are matched and its part written while the next batch's files are read and validated
    (a build of many small files, as GDELT's, waited for each batch's).
    """
    outcomes, reads, batch, first = [], [], [], 0
    pending: Part | None = None  # the last batch's part, still matching and writing

    def ingest(batch: list[_Records], first: int) -> None:
        nonlocal pending
        previous, pending = pending, _ingest_batch(batch, work / f"{number + first:05d}-batch", progress)
        if previous is not None:
            close(previous)

    def close(part: Part) -> None:
        part.__exit__(None, None, None)
        reads.append(part.read())

    try:
        for offset, records in enumerate(_each_file(paths)):
            if isinstance(records, InputError):
                outcomes.append(("input", records.line, records.reason))
                continue
            if batch and (records.key() != batch[0].key()
                          or sum(r.rows for r in batch) + records.rows > config.CSV_CHUNK_ROWS):
                ingest(batch, first)
                batch = []
            if not batch:
                first = offset
            batch.append(records)
            outcomes.append(("read", records.ledger))
        if batch:
            ingest(batch, first)
        if pending is not None:
            last, pending = pending, None
            close(last)
    except BaseException as exc:
        if pending is not None:  # its rows are not kept: the build (or this group) fails
            pending.__exit__(type(exc), exc, exc.__traceback__)
        raise
    return outcomes, reads


def _each_file(paths: list[Path]) -> Iterator[_Records | InputError]:
    """Each file's records, or the input error that left it out."""
    for path in paths:
        try:
            opened, chunks, ledger = read_records(path, path.name)
        except InputError as exc:
            yield exc
            continue
        yield _Records(opened, chunks, ledger)


def _ingest_batch(batch: list[_Records], stem: Path, progress) -> Part:
    """Validate the records of a batch of files together, up to ``config.CSV_CHUNK_ROWS`` records at a time, into
    a part; returned open: its last rows may still be matching and writing (leave it to close it)."""
    opened = batch[0].opened
    target = opened.reader.target
    pieces = [Piece(chunk, records.ledger.path, records.ledger, first=index == 0)
              for records in batch for index, chunk in enumerate(records.chunks)]
    name = batch[0].ledger.path if len(batch) == 1 else \
        f"{batch[0].ledger.path} .. {batch[-1].ledger.path} ({len(batch)} files)"
    part = Part(target, stem.with_name(f"{stem.name}-{target}.parquet"), progress, name, sum(r.rows for r in batch))
    try:
        run, rows = [], 0
        for piece in pieces:
            size = piece.chunk.rows + len(piece.chunk.malformed)
            if run and rows + size > config.CSV_CHUNK_ROWS:
                part.add(ingest_pieces(run, opened.reader, opened.layout, schemas.TABLES[target]))
                run, rows = [], 0
            run.append(piece)
            rows += size
        if run:
            part.add(ingest_pieces(run, opened.reader, opened.layout, schemas.TABLES[target]))
    except BaseException as exc:
        part.__exit__(type(exc), exc, exc.__traceback__)
        raise
    for records in batch:
        if records.ledger.rows == 0:
            records.ledger.warnings.append("the file has a header but no data rows")
    return part


@dataclass
class Read:
    """What reading one file left: its table, its part (None if no row was accepted), rejects and warnings."""

    target: str
    path: Path | None
    rejects: list[pd.DataFrame]
    warnings: list[pd.DataFrame]


class Part:
    """The sink of one file's chunks: accepted rows into a Parquet part, rejects and warnings kept.

    Row groups are encoded while the next chunk is parsed.  Left with an input
    error (or to read the file again as Windows-1252) it removes its part.
    """

    def __init__(self, target: str, path: Path, progress, name: str, expected_rows: int) -> None:
        self.target = target
        self.path = path
        self.rejects: list[pd.DataFrame] = []
        self.warnings: list[pd.DataFrame] = []
        self._writer: pq.ParquetWriter | None = None
        self._progress = progress
        self._task = progress.start(name, expected_rows=max(expected_rows, 0))
        self._behind = WriteBehind(name="parquet-write")

    @property
    def written(self) -> bool:
        return self._writer is not None

    def read(self) -> Read:
        return Read(self.target, self.path if self.written else None, self.rejects, self.warnings)

    def __enter__(self) -> Part:
        return self

    def add(self, item: ChunkResult) -> None:
        """Add a chunk as ingested: its place matching and encoding run on the write-behind thread while the
        next chunk is ingested (much of both runs in NumPy and Arrow, outside the GIL)."""
        self._keep(item.rejects, item.warnings)
        self._behind.submit(self._finish_and_write, item)
        self._advance(len(item.accepted), item.rejects)

    def add_finished(self, table: pyarrow.Table, rejects: pd.DataFrame, warnings: pd.DataFrame) -> None:
        """Add a chunk whose accepted rows are finished already (:func:`finish`, perhaps on a Dask worker)."""
        self._keep(rejects, warnings)
        self._behind.submit(self._write, table)
        self._advance(table.num_rows, rejects)

    def _keep(self, rejects: pd.DataFrame, warnings: pd.DataFrame) -> None:
        self.rejects.append(rejects)
        self.warnings.append(warnings)

    def _advance(self, accepted: int, rejects: pd.DataFrame) -> None:
        self._progress.advance(self._task, accepted + rejects["raw_line"].nunique())

    def _finish_and_write(self, item: ChunkResult) -> None:
        self._write(storage.arrow_table(finish(self.target, item)))

    def _write(self, table: pyarrow.Table) -> None:
        self._writer = self._writer or pq.ParquetWriter(self.path, table.schema, **storage.PARQUET_OPTIONS)
        self._writer.write_table(table, row_group_size=config.CSV_CHUNK_ROWS)

    def __exit__(self, kind, exc, tb) -> None:
        try:
            self._behind.__exit__(kind, exc, tb)
            if kind is not None and issubclass(kind, (InputError, EncodingChanged)):
                if self._writer:
                    self._writer.close()
                self.path.unlink(missing_ok=True)
            elif kind is None and self._writer:
                self._writer.close()
        finally:
            self._progress.finish(self._task)


def file_part(opened, work: Path, number: int, progress) -> Part:
    """The part of one file streamed on its own."""
    target = opened.reader.target
    return Part(target, work / f"{number:05d}-{target}.parquet", progress, opened.path.name,
                 opened.sniff.estimated_rows)


def finish(target: str, item: ChunkResult) -> pd.DataFrame:
    """Per-table finishing of accepted rows (events: place normalisation)."""
    if target != "events":
        return item.accepted
    accepted = places.match_places(item.accepted)
    broken = schema_failures(accepted[list(_PLACE_SCHEMA.columns)], _PLACE_SCHEMA)  # the same checks as on ingest
    if len(broken):
        raise rowchecks.SchemaMismatch(f"place matching broke its schema:\n{broken.head().to_string()}")
    return accepted


# The columns place normalisation adds or changes; the rest was validated on ingest.
_PLACE_SCHEMA = pa.DataFrameSchema({name: schemas.PROCESSED_EVENTS.columns[name] for name in (
    "admin1", "settlement", "geonameid", "place_match", "is_place_matched", "place_distance_km")})


def read_group(paths: list[Path], number: int, work: Path, progress) -> tuple[list[tuple], list[Read]]:
    """Read a group of files (``number``: the first one's); return each file's outcome, in order (``("read",
    ledger)`` or ``("input", line, reason)``: the file could not be read, and nothing of it is kept), and the
    parts read.  A group of one file is streamed chunk by chunk (:func:`read_file`); a group of several small
    ones is validated in batches (:func:`_read_batches`)."""
    if len(paths) > 1:
        return _read_batches(paths, number, work, progress)
    try:
        ledger, part = read_file(open_file(paths[0]), paths[0].name,
                                 lambda opened: file_part(opened, work, number, progress))
    except GazetteerFileError:  # the project's gazetteer file, not this raw file: the build stops
        raise
    except InputError as exc:
        return [("input", exc.line, exc.reason)], []
    return [("read", ledger)], [part.read()]
