"""Reading raw CSV files as text, exactly as written, with real line numbers.

This module knows about bytes, encodings, delimiters, quoting and line numbers,
and nothing about any event format.  It yields the file's records in chunks of
string columns (named by the normalised header) together with the physical line
on which each record starts, so that a rejection can point at the line a user
sees in a text editor, quoted newlines included.

Whole-file problems (empty, binary, wrong delimiter, broken quoting) raise
:class:`analysis.errors.InputError` with a message naming the file.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from analysis import config
from analysis.errors import InputError

_BLOCK = 16 * 1024 * 1024
_SNIFF_ENCODING_BYTES = 4 * 1024 * 1024
_OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class FileScan:
    """What one pass over a file's bytes tells: hash, size and whether it is UTF-8."""

    sha256: str
    size_bytes: int
    is_utf8: bool


@dataclass(frozen=True)
class FileSniff:
    """What the first megabytes tell, cheaply: encoding, BOM, size, an estimate of the rows."""

    encoding: str  # "utf-8-sig" or "cp1252"; UTF-8 is confirmed while parsing and by the scan
    has_bom: bool
    size_bytes: int
    estimated_rows: int


class EncodingChanged(Exception):
    """A file that began as valid UTF-8 turned out not to be: read it again as Windows-1252."""


@dataclass(frozen=True)
class CsvHeader:
    """The header record of a CSV file (of a headerless file: its layout's columns, spanning no line)."""

    names: tuple[str, ...]  # normalised: stripped, lower case (headerless: the layout's names as documented)
    lines: int  # physical lines the header spans (0: no header, the first record is on line 1)
    delimiter: str = ","
    quoting: bool = True  # False: a double quote is an ordinary character (GDELT's tab-separated files)


def headerless(names: tuple[str, ...], delimiter: str, quoting: bool) -> CsvHeader:
    """The 'header' of a file without one: the documented columns, in file order; records start on line 1."""
    return CsvHeader(names=tuple(names), lines=0, delimiter=delimiter, quoting=quoting)


def first_line(path: Path, encoding: str) -> str:
    """The first line of a file (at most :data:`config.SNIFF_BYTES` bytes of it), decoded, without its newline."""
    with open(path, "rb") as handle:
        head = handle.read(config.SNIFF_BYTES)
    line = head.split(b"\n", 1)[0].rstrip(b"\r")
    return line.decode(encoding, errors="replace")


@dataclass
class RawChunk:
    """A block of records as strings, with the physical line each starts on.

    The records stay the parser's Arrow table until :attr:`frame` is asked for, so that the records of many
    small files become one frame in one conversion (:func:`frame_of`): converting each file's 61 GDELT
    columns on its own cost a sixth of a GDELT build.
    """

    records: object  # a pandas frame or an Arrow table of string columns named by the normalised header
    lines: np.ndarray  # int64, 1-based line of each record
    # Records whose field count differs from the header's: (line, fields, text), in file order.
    malformed: list[tuple[int, int, str]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Records in :attr:`records` (the malformed ones are not among them)."""
        return len(self.records)

    @property
    def frame(self) -> pd.DataFrame:
        """The records as a pandas frame (index 0..n-1), converted once."""
        if not isinstance(self.records, pd.DataFrame):
            self.records = _as_frame(self.records)
        return self.records


def frame_of(chunks: list[RawChunk]) -> pd.DataFrame:
    """The records of several chunks as one frame (index 0..n-1), from Arrow in one conversion if all are
    Arrow tables of the same columns; otherwise each chunk's frame, concatenated."""
    import pyarrow as pa

    if len(chunks) == 1:
        return chunks[0].frame
    tables = [chunk.records for chunk in chunks]
    if all(isinstance(t, pa.Table) and t.schema.equals(tables[0].schema) for t in tables):
        return _as_frame(pa.concat_tables(tables).combine_chunks())
    return pd.concat([chunk.frame for chunk in chunks], ignore_index=True)


def sniff(path: Path) -> FileSniff:
    """Encoding and size from the first bytes (the whole file is checked while it is parsed)."""
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF_ENCODING_BYTES)
    size = Path(path).stat().st_size
    try:
        # a multi-byte character cut at the end of the sample is not an error
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) == size)
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        encoding = "cp1252"
    lines = max(head.count(b"\n"), 1)
    return FileSniff(encoding=encoding, has_bom=head.startswith(codecs.BOM_UTF8), size_bytes=size,
                     estimated_rows=int(size * lines / max(len(head), 1)) - 1)


def scan_file(path: Path, block_size: int = _BLOCK) -> FileScan:
    """Hash the file and check that it is UTF-8, in one streaming pass (run it in a thread).

    Both steps release the GIL (hashlib on large blocks, pyarrow's UTF-8
    validation), so the pass runs beside the parser without slowing it.
    """
    digest = hashlib.sha256()
    is_utf8, size, carry = True, 0, b""
    with open(path, "rb") as handle:
        while block := handle.read(block_size):
            digest.update(block)
            size += len(block)
            if is_utf8:
                text = carry + block
                cut = _utf8_boundary(text)
                is_utf8, carry = _valid_utf8(text[:cut]), text[cut:]
    is_utf8 = is_utf8 and _valid_utf8(carry)  # an incomplete last character is not UTF-8
    return FileScan(sha256=digest.hexdigest(), size_bytes=size, is_utf8=is_utf8)


def _utf8_boundary(data: bytes) -> int:
    """Length of the longest prefix of ``data`` that does not end inside a UTF-8 character."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 != 0x80:  # not a continuation byte: a character starts here
            length = 1 if byte < 0x80 else 2 if byte >> 5 == 0b110 else 3 if byte >> 4 == 0b1110 else 4
            return len(data) if length <= back else len(data) - back
    return len(data)  # four continuation bytes in a row: not UTF-8, let validation say so


def _valid_utf8(data: bytes) -> bool:
    import pyarrow as pa

    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    try:
        pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)]).cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


# Signatures of files that are plainly not CSV text, and what to tell the user.
_SIGNATURES = (
    (_ZIP_MAGIC, "this is a zip archive or an Excel .xlsx workbook, not a CSV file; "
                 "export the sheet as CSV (comma-separated) first"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "this is an old Excel .xls workbook (or another Office file), not a CSV "
                                          "file; export the sheet as CSV (comma-separated) first"),
    (b"\xff\xfe", "this is UTF-16 text (Excel's 'Unicode Text'), not a CSV UTF-8 file; re-save it as 'CSV UTF-8'"),
    (b"\xfe\xff", "this is UTF-16 text, not a CSV UTF-8 file; re-save it as 'CSV UTF-8'"),
    (b"\x1f\x8b", "this is a gzip-compressed file; decompress it first"),
    (b"PAR1", "this is a Parquet file, not a CSV file"),
    (b"%PDF", "this is a PDF document, not a CSV file"),
)


_UNDEFINED_CP1252 = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")


def first_undefined_cp1252_byte(path: Path, block_size: int = _BLOCK) -> tuple[int | None, int]:
    """(line, byte) of the first byte Windows-1252 does not define, for an error message ((None, 0) if none)."""
    line = 1
    with open(path, "rb") as handle:
        while block := handle.read(block_size):
            found = _UNDEFINED_CP1252.search(block)
            if found:
                return line + block.count(b"\n", 0, found.start()), block[found.start()]
            line += block.count(b"\n")
    return None, 0


def check_not_binary(path: Path) -> None:
    """Refuse files that are plainly not text: spreadsheets, archives, UTF-16, a header with NUL bytes.

    A NUL byte further on is not judged here, wherever it is: the record holding
    it is rejected (rule ``nul_byte``) and the rest of the file is read.
    """
    with open(path, "rb") as handle:
        head = handle.read(config.SNIFF_BYTES)
    if not head.strip():
        raise InputError(path, "the file is empty; expected a CSV file with a header row")
    for magic, message in _SIGNATURES:
        if head.startswith(magic):
            raise InputError(path, message)
    if b"\x00" in head.split(b"\n", 1)[0]:
        raise InputError(
            path,
            "this looks like a binary file (its first line contains NUL bytes), not a CSV text file; "
            "if it was saved as UTF-16 by Excel, re-save it as 'CSV UTF-8'",
            line=1,
        )


def read_header(path: Path, encoding: str) -> CsvHeader:
    """Parse the first record, detect a wrong delimiter, normalise the names."""
    with open(path, encoding=encoding, newline="") as handle:
        reader = csv.reader(handle)
        try:
            original = next(reader)
        except StopIteration:
            raise InputError(path, "the file is empty; expected a CSV file with a header row") from None
        except csv.Error as exc:
            raise InputError(path, f"the header row cannot be parsed as CSV ({exc})", line=1) from None
        lines = reader.line_num
    names = tuple(name.strip().lower() for name in original)
    if any("\x00" in name for name in names):
        raise InputError(path, "the header row contains NUL bytes: not a CSV text file", line=1)
    if not any(names):
        raise InputError(path, "the first line is blank; expected a header row naming the columns", line=1)
    if len(names) == 1:
        for delimiter, label in _OTHER_DELIMITERS.items():
            if delimiter in original[0]:
                raise InputError(
                    path,
                    f"the header has a single column but contains {label}s: the file seems to be "
                    f"{label}-separated; every supported format is comma-separated, so re-export it "
                    "with commas as delimiters",
                    line=1,
                )
    duplicates = sorted({n for n in names if names.count(n) > 1 and n})
    if duplicates:
        raise InputError(path, f"the header repeats the column(s) {', '.join(duplicates)}", line=1)
    return CsvHeader(names=names, lines=lines)


def iter_records(
    path: Path, header: CsvHeader, encoding: str, chunk_rows: int | None = None
) -> Iterator[RawChunk]:
    """Yield the data records after the header as string chunks with line numbers.

    pyarrow's CSV reader parses the records (quoted newlines included); records
    with more or fewer fields than the header are set aside, with their line and
    text, in ``RawChunk.malformed`` so that the caller can reject them.  It runs
    single-threaded so that it can number those records.

    pyarrow reads up to 32 blocks ahead of the parse, so blocks are small
    (``config.CSV_READ_BLOCK_BYTES``) and gathered here into chunks of about
    ``chunk_rows`` records.  A record longer than a block stops pyarrow; the
    file is then parsed again in larger blocks, and the records already yielded
    are skipped, so the caller sees each record once, in order.
    """
    import pyarrow as pa

    chunk_rows = chunk_rows or config.CSV_CHUNK_ROWS  # read at call time: tests change it
    chunk_bytes = _block_size(chunk_rows)
    block = min(chunk_bytes, config.CSV_READ_BLOCK_BYTES)
    numbering = _Numbering(first_line=header.lines + 1, first_record=2 if header.lines else 1)
    while True:
        try:
            yield from _parse(path, header, encoding, block, chunk_rows, chunk_bytes, numbering)
            return
        except pa.ArrowInvalid as exc:
            if "utf8" in str(exc).lower().replace("-", "") and encoding.startswith("utf"):
                raise EncodingChanged(str(exc)) from None
            if "straddl" not in str(exc) or block >= _LARGEST_BLOCK:
                raise InputError(path, _explain_parser_error(exc)) from None
            block = min(block * 8, _LARGEST_BLOCK)


_LARGEST_BLOCK = 256 << 20  # a record longer than this cannot be read (a quote never closed, most likely)


def _parse(path: Path, header: CsvHeader, encoding: str, block: int, chunk_rows: int, chunk_bytes: int,
           numbering: _Numbering) -> Iterator[RawChunk]:
    """Parse the file in blocks of ``block`` bytes, skipping the records ``numbering`` has numbered already."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [n or f"__unnamed_{i}" for i, n in enumerate(header.names)]
    resume, skip = numbering.record, numbering.valid  # where an earlier parse stopped
    malformed: list = []

    def on_invalid(row) -> str:
        if row.number >= resume:
            malformed.append((row.number, row.actual_columns, row.text))
        return "skip"

    reader_options = pacsv.ReadOptions(column_names=names, skip_rows=header.lines, use_threads=False,
                                       block_size=block, encoding=_arrow_encoding(encoding))
    parse_options = pacsv.ParseOptions(delimiter=header.delimiter, quote_char='"' if header.quoting else False,
                                       newlines_in_values=header.quoting, ignore_empty_lines=False,
                                       invalid_row_handler=on_invalid)
    convert_options = pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                           strings_can_be_null=False, quoted_strings_can_be_null=False)
    batches = pacsv.open_csv(path, read_options=reader_options, parse_options=parse_options,
                             convert_options=convert_options)
    held: list = []
    for batch in batches:
        if skip:
            batch, skip = batch.slice(min(skip, batch.num_rows)), max(0, skip - batch.num_rows)
        held.append(batch)
        if sum(b.num_rows for b in held) >= chunk_rows or sum(b.nbytes for b in held) >= chunk_bytes:
            yield _checked(path, numbering.chunk(*_records(pa.concat_batches(held)), malformed), header.quoting)
            held = []
    if held:
        yield _checked(path, numbering.chunk(*_records(pa.concat_batches(held)), malformed), header.quoting)
    if malformed:  # malformed records after the last valid one
        empty = pa.table({n: pa.array([], pa.string()) for n in names})
        yield _checked(path, numbering.chunk(empty, np.zeros(0, dtype=np.int64), malformed), header.quoting)


_STR = pd.api.types.pandas_dtype("str")  # pandas' default text dtype, as pandas defines it


def _records(batch) -> tuple[object, np.ndarray]:
    """An Arrow batch of string columns as a table (a frame when asked for: :attr:`RawChunk.frame`), with the
    newlines inside each record's quoted fields."""
    import pyarrow as pa

    return pa.Table.from_batches([batch]), _embedded_newlines(batch)


def _as_frame(table) -> pd.DataFrame:
    import pyarrow as pa

    return table.to_pandas(types_mapper=lambda t: _STR if t == pa.string() else None)


def _checked(path: Path, chunk: RawChunk, quoting: bool = True) -> RawChunk:
    """A malformed record with an odd number of quotes whose quoted field never closes swallowed the rest of the
    file: refuse it.  A quote inside an unquoted field (a 5" screen, in a row with a field too many) is a
    character: that record is just malformed."""
    for line, _, text in chunk.malformed if quoting else ():
        if text.count('"') % 2 and ("\n" in text or _never_closed(text)):
            raise InputError(path, "a quoted field is never closed (an unmatched double quote on this line), so "
                                   "the rest of the file would be read as one value; fix the quoting", line=line)
    return chunk


def _never_closed(record: str) -> bool:
    """Does a quoted field of this one-line record run to its end?  (Python's CSV parser, on one record; a field
    beyond its size limit is one such field too.)"""
    try:
        next(csv.reader([record], strict=True), None)
    except csv.Error as exc:
        return "unexpected end of data" in str(exc) or "field larger than field limit" in str(exc)
    return False


def _block_size(chunk_rows: int) -> int:
    """The most bytes gathered into one chunk: about ``chunk_rows`` records of a typical event file."""
    return max(1 << 16, min(chunk_rows * 400, 256 << 20))


def _arrow_encoding(encoding: str) -> str:
    return "utf8" if encoding.replace("-", "").lower() in ("utf8sig", "utf8") else encoding


class _Numbering:
    """Assigns physical start lines to records, malformed ones included, across chunks."""

    def __init__(self, first_line: int, first_record: int) -> None:
        self.line = first_line  # line where the next record starts
        self.record = first_record  # number of the next record (the header is record 1)
        self.valid = 0  # valid records numbered so far

    def chunk(self, records, newlines: np.ndarray, malformed: list) -> RawChunk:
        """Number this chunk's valid records and the malformed records interleaved with them.

        ``malformed`` holds (record number, fields, text) reported by the parser so
        far; those that fall inside this chunk's span of records are taken from it.
        ``newlines`` counts the newlines inside each valid record's quoted fields.
        """
        assert all(number is not None for number, _, _ in malformed), "parser did not number a record"
        valid, taken = len(records), 0
        while taken < len(malformed) and malformed[taken][0] <= self.record + valid + taken:
            taken += 1
        mine, malformed[:taken] = malformed[:taken], []
        total = valid + taken
        bad_pos = np.array([number - self.record for number, _, _ in mine], dtype=np.int64)
        is_bad = np.zeros(total, dtype=bool)
        is_bad[bad_pos] = True
        spans = np.ones(total, dtype=np.int64)
        spans[~is_bad] += newlines
        spans[bad_pos] += np.array([text.count("\n") for _, _, text in mine], dtype=np.int64)
        starts = self.line + np.concatenate(([0], np.cumsum(spans)[:-1])).astype(np.int64)
        self.line += int(spans.sum())
        self.record += total
        self.valid += valid
        bad = [(int(starts[pos]), fields, text) for pos, (_, fields, text) in zip(bad_pos, mine)]
        return RawChunk(records=records, lines=starts[~is_bad], malformed=bad)


def _embedded_newlines(batch) -> np.ndarray:
    """Newlines inside quoted fields, per record of an Arrow batch of string columns.

    A column's bytes are searched in one pass (NumPy, no per-value work); only
    columns that hold a newline somewhere are counted value by value.
    """
    import pyarrow.compute as pc

    counts = np.zeros(batch.num_rows, dtype=np.int64)
    for column in batch.columns:  # loop over columns, not rows
        data = column.buffers()[2]  # the characters of every value (of a slice: perhaps more)
        if data is not None and (np.frombuffer(data, dtype=np.uint8) == ord("\n")).any():
            counts += pc.count_substring(column, "\n").to_numpy(zero_copy_only=False).astype(np.int64)
    return counts


def _explain_parser_error(exc: Exception) -> str:
    text = str(exc)
    if "quoted" in text.lower() or "EOF" in text:
        return ("a quoted field is never closed (an unmatched double quote), so the rest of the file "
                f"would be read as one value; fix the quoting ({text})")
    return f"the file cannot be parsed as CSV: {text}"
