"""Loading the processed tables for notebooks and reports, building them first if needed.

``load_events()`` is the one call a notebook needs: it builds ``data/processed``
when the raw files or the code changed (or nothing was built yet), then returns
the events table with the dtypes of the ``PROCESSED_EVENTS`` schema.  Columns
can be selected to keep memory low on large builds.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import config, storage
from analysis.errors import DataNotBuiltError


def _processed(processed_dir: Path | None) -> Path:
    return Path(processed_dir or config.PROCESSED_DIR)


def ensure_built(raw_dir: Path | None = None, processed_dir: Path | None = None) -> dict:
    """Build if the processed data are missing or stale; return the manifest."""
    from analysis.build import build

    report = build(raw_dir or config.RAW_DIR, _processed(processed_dir), progress=False)
    return report.manifest


def _read_table(name: str, processed_dir: Path | None, columns, build: bool) -> pd.DataFrame:
    if build:
        ensure_built(processed_dir=processed_dir)
    path = _processed(processed_dir) / name
    if not path.exists():
        raise DataNotBuiltError(f"{path} does not exist; run `analysis build` first")
    storage.prefer_jemalloc()
    return pd.read_parquet(path, columns=list(columns) if columns else None)


def load_events(columns: list[str] | None = None, *, processed_dir: Path | None = None,
                build: bool = True) -> pd.DataFrame:
    """The processed events table (``events.parquet``), building it first if needed.

    The table's coverage (first and last event day) is recorded in ``attrs`` so
    that metrics on filtered views still know where the data end.
    """
    from analysis.metrics import with_coverage

    events = _read_table(config.EVENTS_FILE, processed_dir, columns, build)
    return with_coverage(events) if {"event_date", "event_end_date"} <= set(events.columns) else events


def load_daily_counts(columns: list[str] | None = None, *, processed_dir: Path | None = None,
                      build: bool = True) -> pd.DataFrame:
    """Daily counts that are not events: air-force reports and official claims."""
    return _read_table(config.DAILY_COUNTS_FILE, processed_dir, columns, build)


def load_manifest(processed_dir: Path | None = None, *, build: bool = True) -> dict:
    """The build manifest: inputs, their sha256s and ledger counts, versions, outputs."""
    from analysis.build import read_manifest

    if build:
        return ensure_built(processed_dir=processed_dir)
    manifest = read_manifest(_processed(processed_dir))
    if manifest is None:
        raise DataNotBuiltError(f"no manifest in {_processed(processed_dir)}; run `analysis build` first")
    return manifest


def load_ledger_file(name: str, processed_dir: Path | None = None) -> pd.DataFrame:
    """One of the ledger CSVs of the last build: rejects.csv, merged.csv, warnings.csv, unmatched_places.csv."""
    path = _processed(processed_dir) / name
    if not path.exists():
        raise DataNotBuiltError(f"{path} does not exist; run `analysis build` first")
    return pd.read_csv(path, dtype=str, keep_default_na=False)
