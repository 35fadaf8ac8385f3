"""Validation of one raw file, with nothing lost: parse, quarantine, validate, de-duplicate.

For every chunk of raw records the steps are:

1. skip blank records and an HDX/HXL tag row (counted, not data);
2. reject records with too many fields or absurdly long fields;
3. ``reader.parse``: vectorised parsing into typed columns; values that do not
   parse are recorded as failures and their rows quarantined;
4. the typed rows are validated against the target's pandera schema (its
   checks run by :mod:`analysis.tables.rowchecks`, which tests keep in agreement with
   ``schema.validate(lazy=True)``); rows that fail are quarantined too;
5. rows whose id was already accepted (in this file or an earlier one) become
   merged duplicates pointing at the kept row (:mod:`analysis.build.dedupe`, once the
   whole input is read; :func:`settle` then moves them in the ledger).

Every data row ends as exactly one of accepted, rejected, merged or deleted
(an event its source deleted in a later snapshot, :mod:`analysis.build.pages`),
and :meth:`Ledger.check` asserts that the counts balance.  :func:`read_file` is the
one loop over a file's chunks, and the one place a file is read again as
Windows-1252 when it proves not to be UTF-8.
"""

from __future__ import annotations

import difflib
import re
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Protocol

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.compute as pc

from analysis import places, storage
from analysis.tables import rowchecks
from analysis.tables import schemas
from analysis.build import quarantine
from analysis.build.dedupe import LINEAGE, Batch, Descriptions, IdRegistry
from analysis.errors import InputError
from analysis.sources import csvfile, detect, detect_headerless
from analysis.sources.base import Failures, Layout, Reader
from analysis.threads import ForkSafePool, read_ahead

# What a record with only empty fields is made of, whatever its number of fields.
_BLANK_RECORD = re.compile(r'[",\r\n]')


@dataclass
class Ledger:
    """Where every record of one raw file went."""

    path: str
    format: str
    variant: str
    encoding: str
    sha256: str
    size_bytes: int
    rows: int = 0  # data rows: records after the header, minus blank and HXL rows
    accepted: int = 0
    rejected: int = 0
    merged: int = 0
    deleted: int = 0  # accepted, then deleted by the source in a later snapshot (left the events table)
    blank_rows: int = 0
    hxl_rows: int = 0
    warned: int = 0  # accepted rows that carry a warning (suspicious, not rejected)
    warnings: list[str] = field(default_factory=list)

    def check(self) -> None:
        """The ledger balances: nothing was lost or counted twice."""
        total = self.accepted + self.rejected + self.merged + self.deleted
        assert total == self.rows, f"{self.path}: ledger does not balance ({total} != {self.rows} rows)"
        assert 0 <= self.warned <= self.accepted, f"{self.path}: {self.warned} warned of {self.accepted} accepted rows"

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class ChunkResult:
    accepted: pd.DataFrame  # valid rows; duplicate ids are resolved once the whole input is read
    rejects: pd.DataFrame
    warnings: pd.DataFrame  # same columns as rejects; rows are not rejected


def settle(ledgers: Iterable[Ledger], merged: pd.DataFrame, warnings: pd.DataFrame) -> pd.DataFrame:
    """Move each file's merged repeats from accepted to merged in its ledger, and check that it balances.

    Returns the warnings of the rows still accepted: a merged row is not in
    the output, and neither are its warnings (nor counted as ``warned``).
    """
    gone = pd.MultiIndex.from_frame(warnings[LINEAGE]).isin(pd.MultiIndex.from_frame(merged[LINEAGE]))
    dropped = warnings[gone].drop_duplicates(LINEAGE)
    for ledger in ledgers:
        mine = int((merged["raw_file"] == ledger.path).sum())
        ledger.accepted -= mine
        ledger.merged += mine
        ledger.warned -= int((dropped["raw_file"] == ledger.path).sum())
        ledger.check()
    return warnings[~gone].reset_index(drop=True)


@dataclass
class OpenedFile:
    """A raw file checked as a whole, its reader chosen; its hash is computed in the background."""

    path: Path
    sniff: csvfile.FileSniff
    header: csvfile.CsvHeader
    reader: Reader
    layout: Layout
    scan: Future  # of csvfile.FileScan
    forced_format: str | None = None  # as asked for, to open the file again the same way

    @property
    def encoding(self) -> str:
        return self.sniff.encoding


def open_file(path: Path, forced_format: str | None = None, encoding: str | None = None) -> OpenedFile:
    """Check the file as a whole and choose its reader; start hashing it in a background thread."""
    path = Path(path)
    with reading_errors_as_input_errors(path):
        csvfile.check_not_binary(path)
        sniffed = csvfile.sniff(path)
        if encoding:
            sniffed = replace(sniffed, encoding=encoding)
        headerless = detect_headerless(path, csvfile.first_line(path, sniffed.encoding), forced_format)
        if headerless is None:
            header = csvfile.read_header(path, sniffed.encoding)
        else:
            header = csvfile.headerless(headerless[1].required, headerless[1].delimiter, headerless[1].quoting)
    reader, layout = headerless or detect(path, header.names, forced_format)
    if reader.strict_columns:
        _refuse_unknown_columns(path, header, layout)
    return OpenedFile(path, sniffed, header, reader, layout, _SCANNER.submit(csvfile.scan_file, path), forced_format)


_SCANNER = ForkSafePool(max_workers=2, name="scan")


@contextmanager
def reading_errors_as_input_errors(path: Path) -> Iterator[None]:
    """Errors while *reading* ``path`` are problems of that input file, reported as such (never internal errors).

    Operating-system errors: no permission, a folder, an I/O error, the file
    vanished.  Decoding errors: a file that is not UTF-8 holds a byte that
    Windows-1252 leaves undefined either (0x81, 0x8D, 0x8F, 0x90, 0x9D).
    """
    try:
        yield
    except OSError as exc:
        reason = "it is a folder, not a file" if isinstance(exc, IsADirectoryError) else exc.strerror or str(exc)
        raise InputError(path, f"the file cannot be read: {reason}") from None
    except UnicodeDecodeError:
        line, byte = csvfile.first_undefined_cp1252_byte(path)
        raise InputError(path, f"the file is neither UTF-8 nor Windows-1252: byte 0x{byte:02x} means nothing in "
                               "either; re-save it as 'CSV UTF-8'", line=line) from None


def _refuse_unknown_columns(path: Path, header: csvfile.CsvHeader, layout: Layout) -> None:
    unknown = [c for c in header.names if c not in layout.known]
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, sorted(layout.known), n=1, cutoff=0.6)
            hints.append(f"'{name}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        raise InputError(path, f"unknown column(s) for the {layout.name} template: {', '.join(hints)}. "
                               f"Allowed columns: {', '.join(sorted(layout.known))}", line=1)


class ChunkSink(Protocol):
    """Where :func:`read_file` puts a file's chunks; leaving it with an exception discards what it holds."""

    def __enter__(self) -> ChunkSink: ...

    def __exit__(self, kind, exc, tb) -> None: ...

    def add(self, chunk: ChunkResult) -> None: ...


def read_file(opened: OpenedFile, raw_file: str, new_sink: Callable[[OpenedFile], ChunkSink],
              chunk_rows: int | None = None) -> tuple[Ledger, ChunkSink]:
    """Read every chunk of ``opened`` into a sink made by ``new_sink``; return the file's ledger and the sink.

    The ledger counts every data row, but the merged repeats are not known yet:
    the caller merges them (:class:`analysis.build.dedupe.IdRegistry`) and calls :func:`settle`.
    A file that turns out not to be UTF-8 after its first megabytes is read
    again from the start as Windows-1252, into a new sink (the first one, left
    with :class:`csvfile.EncodingChanged`, discards what it was given).
    """
    try:
        return _read_into(opened, raw_file, new_sink, chunk_rows)
    except csvfile.EncodingChanged:
        cp1252 = open_file(opened.path, opened.forced_format, encoding="cp1252")
        return _read_into(cp1252, raw_file, new_sink, chunk_rows)


def read_records(path: Path, raw_file: str) -> tuple[OpenedFile, list[csvfile.RawChunk], Ledger]:
    """Open a (small) file and read all its records as strings, not validated yet (:func:`ingest_pieces` does
    that, together with other files'); its ledger, hash set, counts nothing yet.  As :func:`read_file`, a file
    that proves not to be UTF-8 is read again as Windows-1252."""
    opened = open_file(path)
    try:
        chunks = _all_records(opened)
    except csvfile.EncodingChanged:
        opened = open_file(path, encoding="cp1252")
        chunks = _all_records(opened)
    ledger = new_ledger(opened, raw_file)
    ledger.sha256 = opened.scan.result().sha256
    return opened, chunks, ledger


def _all_records(opened: OpenedFile) -> list[csvfile.RawChunk]:
    storage.prefer_jemalloc()
    with reading_errors_as_input_errors(opened.path):
        chunks = list(csvfile.iter_records(opened.path, opened.header, opened.encoding))
        scan = opened.scan.result()
    if opened.encoding.startswith("utf") and not scan.is_utf8:
        raise csvfile.EncodingChanged("bytes that are not UTF-8 after the first megabytes")
    return chunks


def _read_into(opened: OpenedFile, raw_file: str, new_sink: Callable[[OpenedFile], ChunkSink],
               chunk_rows: int | None) -> tuple[Ledger, ChunkSink]:
    ledger = new_ledger(opened, raw_file)
    with new_sink(opened) as sink:
        for chunk in iter_ingest(opened.path, raw_file, chunk_rows=chunk_rows, opened=opened, ledger=ledger):
            sink.add(chunk)
    return ledger, sink


def new_ledger(opened: OpenedFile, raw_file: str) -> Ledger:
    """The empty ledger of a file about to be read, with its notes about the header and encoding."""
    return Ledger(path=raw_file, format=opened.reader.name, variant=opened.reader.describe(set(opened.header.names)),
                  encoding=opened.encoding, sha256="", size_bytes=opened.sniff.size_bytes,
                  warnings=_header_warnings(opened.header, opened.layout, opened.sniff))


def iter_ingest(path: Path, raw_file: str, forced_format: str | None = None, chunk_rows: int | None = None,
                opened: OpenedFile | None = None, ledger: Ledger | None = None) -> Iterator[ChunkResult]:
    """Yield a :class:`ChunkResult` per chunk, counting the rows in ``ledger`` (its hash is set at the end).

    Raises :class:`csvfile.EncodingChanged` at the end if the file proved not
    to be UTF-8 after all (:func:`read_file` reads it again).  ``opened`` is
    the result of :func:`open_file`, for callers that opened the file already.
    """
    storage.prefer_jemalloc()
    opened = opened or open_file(path, forced_format)
    header, reader, layout = opened.header, opened.reader, opened.layout
    table = schemas.TABLES[reader.target]
    ledger = ledger or new_ledger(opened, raw_file)
    first = True
    with reading_errors_as_input_errors(path):
        for chunk in read_ahead(csvfile.iter_records(path, header, opened.encoding, chunk_rows), name="csv-read"):
            result = ingest_chunk(chunk, reader, layout, table, raw_file, ledger, first)
            first = False
            yield result
        opened.scan.result()
    end_of_file(opened, ledger)


def end_of_file(opened: OpenedFile, ledger: Ledger) -> None:
    """After a file's last chunk: raise :class:`csvfile.EncodingChanged` if it proved not to be UTF-8 after all,
    else set its ledger's hash and note a file without data rows."""
    scan = opened.scan.result()
    if opened.encoding.startswith("utf") and not scan.is_utf8:
        raise csvfile.EncodingChanged("bytes that are not UTF-8 after the first megabytes")
    ledger.sha256 = scan.sha256
    if ledger.rows == 0:
        ledger.warnings.append("the file has a header but no data rows")


def ingest_chunk(chunk: csvfile.RawChunk, reader: Reader, layout: Layout, table: schemas.Table,
                 raw_file: str, ledger: Ledger, first: bool) -> ChunkResult:
    """Steps 1-4 of the module docstring on one chunk of string records (a CSV chunk or a snapshot page)."""
    return ingest_pieces([Piece(chunk, raw_file, ledger, first)], reader, layout, table)


@dataclass
class Piece:
    """A chunk of one file's records, with the file's name and ledger; ``first``: the chunk starts the file."""

    chunk: csvfile.RawChunk
    raw_file: str
    ledger: Ledger
    first: bool


def ingest_pieces(pieces: list[Piece], reader: Reader, layout: Layout, table: schemas.Table) -> ChunkResult:
    """Steps 1-4 on the chunks of one or more files read by the same reader and layout, validated as one.

    Many small files (GDELT publishes one every 15 minutes) cost one vectorised
    pass instead of one each; every row keeps its own file and line, and each
    file's ledger counts its own rows, as if its chunks had been ingested alone.
    """
    raw = csvfile.frame_of([piece.chunk for piece in pieces])
    sizes = [piece.chunk.rows for piece in pieces]
    lines = np.concatenate([piece.chunk.lines for piece in pieces]).astype("int64")
    owner = np.repeat(np.arange(len(pieces)), sizes)  # the piece of each record
    n = len(pieces)
    blank = _blank_records(raw)
    hxl = np.zeros(len(raw), dtype=bool)
    starts = np.cumsum([0] + sizes)
    firsts = np.array([starts[n] for n, piece in enumerate(pieces) if piece.first and sizes[n]], dtype=np.int64)
    hxl[firsts] = _hxl_rows(raw.iloc[firsts])  # a file's first record only
    keep = ~(blank | hxl)
    blank_rows, hxl_rows = np.bincount(owner[blank], minlength=n), np.bincount(owner[hxl], minlength=n)
    raw, lines, owner = raw[keep].reset_index(drop=True), lines[keep], owner[keep]
    data_rows = np.bincount(owner, minlength=n)
    expected = "the header" if layout.header else f"the {layout.name} format"  # a headerless file: its columns
    malformed = []
    for number, piece in enumerate(pieces):
        empty = [m for m in piece.chunk.malformed if not _BLANK_RECORD.sub("", m[2])]  # e.g. '""': every field empty
        bad = [m for m in piece.chunk.malformed if _BLANK_RECORD.sub("", m[2])]
        piece.ledger.blank_rows += int(blank_rows[number]) + len(empty)
        piece.ledger.hxl_rows += int(hxl_rows[number])
        piece.ledger.rows += int(data_rows[number]) + len(bad)
        piece.ledger.rejected += len(bad)
        if bad:
            malformed.append(quarantine.malformed_rejects(bad, len(raw.columns), piece.raw_file, expected))
    malformed = pd.concat(malformed, ignore_index=True) if malformed else schemas.empty_frame(schemas.REJECTS)

    failures = Failures()
    quarantine.reject_long_fields(raw, failures)
    quarantine.reject_nul_bytes(raw, failures)
    known = raw[[c for c in raw.columns if c in layout.known]]
    broken = quarantine.schema_failures(known, layout.schema)  # text as written, every cell present: else a parser bug
    if len(broken):
        raise rowchecks.SchemaMismatch(f"raw chunk does not fit {layout.schema.name}:\n{broken.head().to_string()}")
    typed = reader.parse(known, failures)
    if table.name == "events":  # at sea or just abroad: kept with a warning (places.off_land)
        places.warn_off_land(typed, failures, reader.source_columns)
    names = np.array([piece.raw_file for piece in pieces], dtype=object)
    raw_files = pieces[0].raw_file if n == 1 else pd.Series(names[owner], dtype="str")
    typed = typed.assign(raw_file=raw_files, raw_line=lines)[list(table.schema.columns)]
    parse_failed = failures.frame()
    ok = ~np.isin(np.arange(len(raw)), parse_failed["row"].to_numpy())
    schema_failed = quarantine.failures_as_written(typed[ok], table.chunk_schema, known, reader.source_columns)
    all_failed = pd.concat([parse_failed, schema_failed], ignore_index=True)
    kept = ~np.isin(np.arange(len(raw)), all_failed["row"].to_numpy())
    accepted = typed[kept]

    rejects = pd.concat([malformed, quarantine.rejects_frame(all_failed, lines, names[owner])], ignore_index=True)
    warned = failures.warnings_frame()
    warned = warned[kept[warned["row"].to_numpy(dtype="int64")]]  # accepted rows only
    counts = {"accepted": np.bincount(owner[kept], minlength=n),
              "rejected": np.bincount(owner[np.unique(all_failed["row"].to_numpy(dtype="int64"))], minlength=n),
              "warned": np.bincount(owner[np.unique(warned["row"].to_numpy(dtype="int64"))], minlength=n)}
    for number, piece in enumerate(pieces):
        for key, count in counts.items():
            setattr(piece.ledger, key, getattr(piece.ledger, key) + int(count[number]))
    return ChunkResult(accepted=accepted.reset_index(drop=True), rejects=rejects,
                       warnings=quarantine.rejects_frame(warned, lines, names[owner]))


def _blank_records(raw: pd.DataFrame) -> np.ndarray:
    """Per record: every field empty (a missing field counts as empty), from the fields' byte lengths, one Arrow
    kernel per column (comparing every cell with '' in pandas took a tenth of an ACLED chunk's time)."""
    total = np.zeros(len(raw), dtype=np.int64)
    for column in raw.columns:
        lengths = pc.fill_null(pc.binary_length(pyarrow.array(raw[column], from_pandas=True)), 0)
        total += lengths.to_numpy(zero_copy_only=False)
    return total == 0


def _hxl_rows(records: pd.DataFrame) -> np.ndarray:
    """Per record: an HDX/HXL tag row (every field that is not empty starts with '#', and one is not empty),
    for all the records at once (the first record of each of a batch's files: one check each took 0.3 ms)."""
    cells = pd.Series(records.to_numpy(dtype=object).ravel(), dtype="str")
    empty = cells.eq("").to_numpy(dtype=bool).reshape(records.shape)
    tagged = cells.str.startswith("#").to_numpy(dtype=bool).reshape(records.shape)
    return (tagged | empty).all(axis=1) & ~empty.all(axis=1)


def _header_warnings(header: csvfile.CsvHeader, layout: Layout, scan: csvfile.FileSniff) -> list[str]:
    notes = []
    ignored = [c for c in header.names if c not in layout.known]
    if ignored:
        notes.append(f"ignored column(s) not used by the {layout.name} format: {', '.join(ignored)}")
    if scan.encoding == "cp1252":
        notes.append("not valid UTF-8; read as Windows-1252 (Excel's default)")
    if scan.has_bom:
        notes.append("starts with a UTF-8 byte-order mark (removed)")
    return notes




@dataclass
class FileResult:
    """Everything known about one ingested file (in memory; for validate, tests and small builds)."""

    ledger: Ledger
    accepted: pd.DataFrame | None  # None when only validated
    rejects: pd.DataFrame
    merged: pd.DataFrame
    warnings: pd.DataFrame


def ingest_file(path: Path, raw_file: str | None = None, registry: IdRegistry | None = None,
                forced_format: str | None = None, chunk_rows: int | None = None,
                opened: OpenedFile | None = None) -> FileResult:
    """Ingest one file completely in memory; ``registry`` carries the ids of earlier files."""
    return _ingest(opened or open_file(Path(path), forced_format), raw_file or str(path), registry, chunk_rows,
                   keep_rows=True)


def validate_streaming(path: Path, raw_file: str, registry: IdRegistry, forced_format: str | None = None,
                       opened: OpenedFile | None = None) -> FileResult:
    """Ingest a file keeping only what validation reports: counts, rejections, duplicates.

    Memory stays bounded by a chunk plus about 20 bytes per accepted row (:class:`Descriptions`), so
    ``analysis validate`` can check files of tens of millions of rows.
    """
    return _ingest(opened or open_file(Path(path), forced_format), raw_file, registry, None, keep_rows=False)


def _ingest(opened: OpenedFile, raw_file: str, registry: IdRegistry | None, chunk_rows: int | None,
            keep_rows: bool) -> FileResult:
    table = schemas.TABLES[opened.reader.target]
    ledger, held = read_file(opened, raw_file, lambda o: _Held(table, keep_rows), chunk_rows)
    rows = _concat(held.rows, schemas.empty_frame(table.schema))
    batch = Batch.of_rows(rows, table.id_column) if keep_rows else held.descriptions.batch()
    (repeat,), merged = (registry or IdRegistry()).merge(table.name, batch)
    warnings = settle([ledger], merged, _concat(held.warnings, schemas.empty_frame(schemas.REJECTS)))
    return FileResult(ledger=ledger, accepted=rows[~repeat].reset_index(drop=True) if keep_rows else None,
                      rejects=_concat(held.rejects, schemas.empty_frame(schemas.REJECTS)), merged=merged,
                      warnings=warnings)


class _Held:
    """A file's chunk results held in memory: its accepted rows (or their :class:`Descriptions`), rejects, warnings."""

    def __init__(self, table: schemas.Table, keep_rows: bool) -> None:
        self.table, self.keep_rows = table, keep_rows
        self.rows: list[pd.DataFrame] = []
        self.descriptions = Descriptions(table.id_column)
        self.rejects: list[pd.DataFrame] = []
        self.warnings: list[pd.DataFrame] = []

    def __enter__(self) -> _Held:
        return self

    def __exit__(self, kind, exc, tb) -> None:
        return None

    def add(self, chunk: ChunkResult) -> None:
        if self.keep_rows:
            self.rows.append(chunk.accepted)
        else:
            self.descriptions.add(chunk.accepted)
        self.rejects.append(chunk.rejects)
        self.warnings.append(chunk.warnings)


def _concat(parts: list[pd.DataFrame], empty: pd.DataFrame) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else empty
