"""The distributed build (``analysis build --scheduler local|tcp://host:port``): the reading as Dask tasks.

Three kinds of task, all writing into the build's work folder (a remote cluster's workers must see it, and
the raw files, at the same paths):

* a group of small files (:func:`analysis.build.parts.group_files`): one task reads the group into its parts,
  as :func:`analysis.build.parts.read_group` does in the build's process (:func:`read_group_task`);
* a file read alone (a large one): this process parses its raw records chunk by chunk (pyarrow: cheap) and
  each chunk's validation, normalisation and place matching is a task (:func:`ingest_chunk_task`), so the
  workers share one file.  A task returns the chunk's finished rows (Arrow), rejects, warnings and ledger
  counts; this process adds the counts to the file's ledger and writes the rows into the file's one Parquet
  part in the file's order, exactly as the in-process build writes it (so that the outputs are the same bytes;
  a part per chunk would be concatenated into other row groups).  At most two chunks per worker thread are
  in flight, so memory stays bounded.  A file that proves not to be UTF-8 is read again as Windows-1252, an
  unreadable one is left out with its message, and a gazetteer file that cannot be read stops the build,
  as in the build's process;
* a snapshot page (:func:`read_page_task`).

The groups and pages are submitted first; the results come back in file order, then page order.
"""

from __future__ import annotations

import warnings
from collections import deque
from dataclasses import fields
from pathlib import Path

from analysis import cluster
from analysis import storage
from analysis.build import pages
from analysis.build.ingest import (Ledger, OpenedFile, end_of_file, ingest_chunk, new_ledger, open_file,
                                   reading_errors_as_input_errors)
from analysis.build.parts import Part, Read, file_part, finish, group_files, read_group
from analysis.build.snapshots import PageFile
from analysis.errors import InputError
from analysis.gazetteer_files import GazetteerFileError
from analysis.progress import file_progress
from analysis.sources import READERS, csvfile
from analysis.tables import schemas
from analysis.threads import read_ahead

# The counts a chunk adds to its file's ledger (every whole-number field but the size: none is forgotten)
COUNTS = tuple(f.name for f in fields(Ledger) if f.type in ("int", int) and f.name != "size_bytes")
IN_FLIGHT_PER_THREAD = 2  # chunks of a file submitted and not yet written, per worker thread


def read_on_cluster(files: list[Path], page_files: list[PageFile], work: Path, progress,
                    scheduler: str) -> tuple[list[tuple[list[Path], list[tuple], list[Read]]], list[tuple]]:
    """Read the loose files (in groups) and the snapshot pages on the Dask cluster at ``scheduler``.

    Returns, in file order, each group's paths, file outcomes and parts (as :func:`read_group`), and, in page
    order, each page's outcome: ``("read", ledger, read)`` or ``("input", line, reason)``.
    """
    dask = cluster.client(scheduler)  # first: without Dask installed it says how to install it
    groups = group_files(files)
    batched = {index: dask.submit(read_group_task, [str(files[n]) for n in group], group[0], str(work), pure=False)
               for index, group in enumerate(groups) if len(group) > 1}
    paged = [dask.submit(read_page_task, page, number, str(work), pure=False)
             for number, page in enumerate(page_files, start=len(files))]
    limit = IN_FLIGHT_PER_THREAD * max(sum(dask.nthreads().values()), 1)
    try:
        read = []
        for index, group in enumerate(groups):
            paths = [files[n] for n in group]
            if len(group) == 1:
                read.append((paths, *_read_alone(dask, paths[0], group[0], work, progress, limit)))
                continue
            task = progress.start(f"{len(group)} small files on the Dask cluster", expected_rows=len(group))
            read.append((paths, *_unpacked(batched[index].result())))
            progress.advance(task, len(group))
            progress.finish(task)
        return read, [_unpacked(future.result(), whole=True) for future in paged]
    finally:
        dask.cancel([*batched.values(), *paged])  # left by an error (done ones: nothing to cancel)


def _unpacked(outcome: tuple, whole: bool = False) -> tuple:
    """A task's outcome, a gazetteer error raised here (the build stops)."""
    kind, *rest = outcome
    if kind == "gazetteer":
        raise GazetteerFileError(rest[0], rest[1], line=rest[2])
    return outcome if whole else tuple(rest)


def read_group_task(paths: list[str], number: int, work: str) -> tuple:
    """On a Dask worker: :func:`read_group`'s reading of a group of files, a gazetteer error returned as data
    (file errors are data already: they carry file, line and reason, and pickle as plain values)."""
    try:
        with file_progress("off") as quiet:
            outcomes, reads = read_group([Path(p) for p in paths], number, Path(work), quiet)
    except GazetteerFileError as exc:
        return "gazetteer", exc.path, exc.reason, exc.line
    return "read", outcomes, reads


def read_page_task(page: PageFile, number: int, work: str) -> tuple:
    """On a Dask worker: one snapshot page into its part (:func:`pages.read_page`)."""
    try:
        with file_progress("off") as quiet:
            ledger, part = pages.read_page(page, lambda opened: file_part(opened, Path(work), number, quiet))
    except GazetteerFileError as exc:
        return "gazetteer", exc.path, exc.reason, exc.line
    except InputError as exc:
        return "input", exc.line, exc.reason
    return "read", ledger, part.read()


# ---------------------------------------------------------------- one file, a task per chunk
def _read_alone(dask, path: Path, number: int, work: Path, progress, limit: int) -> tuple[list[tuple], list[Read]]:
    """A file read alone, its chunks as tasks; the outcome and parts as :func:`read_group` gives them."""
    try:
        opened = open_file(path)
        try:
            ledger, part = _stream(dask, opened, path.name, number, work, progress, limit)
        except csvfile.EncodingChanged:  # as ingest.read_file: read again, from the start, as Windows-1252
            cp1252 = open_file(path, opened.forced_format, encoding="cp1252")
            ledger, part = _stream(dask, cp1252, path.name, number, work, progress, limit)
    except GazetteerFileError:  # the project's gazetteer file, not this raw file: the build stops
        raise
    except InputError as exc:
        return [("input", exc.line, exc.reason)], []
    return [("read", ledger)], [part.read()]


def _stream(dask, opened: OpenedFile, raw_file: str, number: int, work: Path, progress,
            limit: int) -> tuple[Ledger, Part]:
    """Parse the records here, validate and normalise each chunk on a worker, write the results in order."""
    ledger = new_ledger(opened, raw_file)
    pending: deque = deque()
    with file_part(opened, work, number, progress) as part:
        try:
            with reading_errors_as_input_errors(opened.path):
                records = csvfile.iter_records(opened.path, opened.header, opened.encoding)
                for index, chunk in enumerate(read_ahead(records, name="csv-read")):
                    pending.append(_submit(dask, chunk, opened, raw_file, index == 0))
                    while len(pending) >= limit:
                        _add(part, ledger, opened.path, pending.popleft().result())
                while pending:
                    _add(part, ledger, opened.path, pending.popleft().result())
                opened.scan.result()
            end_of_file(opened, ledger)
        finally:
            dask.cancel(list(pending))  # left by an error: the chunks still in flight are not wanted
    return ledger, part


def _submit(dask, chunk: csvfile.RawChunk, opened: OpenedFile, raw_file: str, first: bool):
    """A chunk's task; its records travel with it (a scatter would wait for a busy worker's answer)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Large object of size")  # a chunk's records: by design
        return dask.submit(ingest_chunk_task, chunk, opened.reader.name, opened.layout.name, raw_file, first,
                           pure=False)


def _add(part: Part, ledger: Ledger, path: Path, outcome: tuple) -> None:
    """A chunk's result into the file's part and ledger (its errors raised as the in-process build raises them)."""
    kind, *rest = _unpacked(outcome, whole=True)
    if kind == "input":
        raise InputError(path, rest[1], line=rest[0])
    counts, table, rejects, warnings = rest
    for key in COUNTS:
        setattr(ledger, key, getattr(ledger, key) + counts[key])
    part.add_finished(table, rejects, warnings)


def ingest_chunk_task(chunk: csvfile.RawChunk, reader_name: str, layout_name: str, raw_file: str,
                      first: bool) -> tuple:
    """On a Dask worker: one chunk of a file validated, normalised and its places matched
    (:func:`ingest_chunk`, :func:`finish`); returns its ledger counts, finished rows, rejects and warnings."""
    storage.prefer_jemalloc()  # as the in-process build does (faster with Arrow's memory)
    reader = READERS[reader_name]
    layout = next(layout for layout in reader.layouts if layout.name == layout_name)
    ledger = Ledger(path=raw_file, format=reader_name, variant="", encoding="", sha256="", size_bytes=0)
    try:
        result = ingest_chunk(chunk, reader, layout, schemas.TABLES[reader.target], raw_file, ledger, first)
        table = storage.arrow_table(finish(reader.target, result))
    except GazetteerFileError as exc:
        return "gazetteer", exc.path, exc.reason, exc.line
    except InputError as exc:
        return "input", exc.line, exc.reason
    return "read", {key: getattr(ledger, key) for key in COUNTS}, table, result.rejects, result.warnings
