"""Loading the processed tables for notebooks and reports, building them first if needed.

``load_events()`` is the one call a notebook needs: it builds ``data/processed``
when the raw files or the code changed (or nothing was built yet), then returns
the events table with the dtypes of the ``PROCESSED_EVENTS`` schema.  Columns
can be selected to keep memory low on large builds.

Every build writes its own generation folder (see :mod:`analysis.build`); each
``load_*`` call resolves the current one once and reads only from it.  To read
several files of the same build, take a :func:`snapshot` and read them all from
it: a build that finishes meanwhile does not change what it returns.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import config, storage
from analysis.build import build, read_manifest_at
from analysis.errors import DataNotBuiltError, ParameterError
from analysis.metrics import engines, with_coverage

_ATTEMPTS = 3  # a single load retries if two newer builds removed its generation between resolving and reading
PIN_FILE = ".build"  # in a report's folder: the generation its run.json records (see pin_report)
_pinned: Path | None = None


def _processed(processed_dir: Path | None) -> Path:
    return Path(processed_dir or config.PROCESSED_DIR)


def ensure_built(raw_dir: Path | None = None, processed_dir: Path | None = None) -> dict:
    """Build if the processed data are missing or stale; return the manifest."""
    return _build(raw_dir, processed_dir).manifest


def _build(raw_dir: Path | None, processed_dir: Path | None):
    return build(raw_dir or config.RAW_DIR, _processed(processed_dir), progress=False)


@dataclass(frozen=True)
class Snapshot:
    """The files of one build (one generation folder): every read comes from the same build."""

    directory: Path

    def path(self, name: str) -> Path:
        path = self.directory / name
        if not path.exists():
            raise DataNotBuiltError(f"{name} is not in the build {self.directory} (it was replaced by two newer "
                                    "builds, or never built); load the data again")
        return path

    def manifest(self) -> dict:
        """The build manifest: inputs, their sha256s and ledger counts, versions, outputs."""
        manifest = read_manifest_at(self.directory)
        if manifest is None:
            raise DataNotBuiltError(f"no intact manifest in {self.directory}; run `analysis build` first")
        return manifest

    def table(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        storage.prefer_jemalloc()
        return pd.read_parquet(self.path(name), columns=list(columns) if columns else None)

    def events(self, columns: list[str] | None = None, lazy: bool | str = False):
        """The processed events table; its coverage (first and last event day) is kept in ``attrs``.

        ``lazy=True`` gives a DuckDB relation instead (``analysis.scan_events()``);
        ``lazy="auto"`` does so for tables of more than ``config.LAZY_EVENTS_ROWS``
        rows, so that a report on tens of millions of events never loads them.
        """
        if lazy == "auto":
            lazy = self.rows(config.EVENTS_FILE) > lazy_events_rows()
        elif lazy not in (True, False):
            raise ParameterError(f"lazy={lazy!r}; give True, False or 'auto'")
        if lazy:
            return engines.scan(self.path(config.EVENTS_FILE), "duckdb", columns=columns)
        events = self.table(config.EVENTS_FILE, columns)
        return with_coverage(events) if {"event_date", "event_end_date"} <= set(events.columns) else events

    def rows(self, name: str) -> int:
        """The number of rows of one output, as the manifest records it."""
        return int(self.manifest()["outputs"][name]["rows"])

    def daily_counts(self, columns: list[str] | None = None) -> pd.DataFrame:
        """Daily counts that are not events: air-force reports and official claims."""
        return self.table(config.DAILY_COUNTS_FILE, columns)

    def ledger_file(self, name: str) -> pd.DataFrame:
        """One ledger CSV: rejects.csv, merged.csv, warnings.csv, unmatched_places.csv (all as text)."""
        return pd.read_csv(self.path(name), dtype=str, keep_default_na=False)


def pin_report(report_dir: Path) -> None:
    """Read, in this process, the build named in ``report_dir/.build`` (none there: the current build).

    The report runner resolves the build once, records its manifest in run.json
    and writes its folder here; ``Report(...)`` calls this, so the notebook's
    loads of the default folder read exactly that build.
    """
    global _pinned
    try:
        _pinned = Path((Path(report_dir) / PIN_FILE).read_text(encoding="utf-8").strip())
    except OSError:
        _pinned = None


def snapshot(processed_dir: Path | None = None, *, build: bool = True) -> Snapshot:
    """The current build (built first if stale, unless ``build`` is False), resolved once."""
    if _pinned is not None and processed_dir is None:
        if not _pinned.is_dir():
            raise DataNotBuiltError(f"the build this report started with ({_pinned}) was replaced by two newer "
                                    "builds meanwhile; run the report again")
        return Snapshot(_pinned)
    if build:
        generation = _build(None, processed_dir).generation
    else:
        generation = storage.current_generation(_processed(processed_dir))
    if generation is None:
        raise DataNotBuiltError(f"nothing built in {_processed(processed_dir)}; run `analysis build` first")
    return Snapshot(generation)


def _load(processed_dir: Path | None, build: bool, read):
    """``read(snapshot)`` on the current build; again on a newer one if its files were removed meanwhile."""
    for attempt in range(_ATTEMPTS):
        data = snapshot(processed_dir, build=build)
        try:
            return read(data)
        except (DataNotBuiltError, FileNotFoundError):
            if attempt == _ATTEMPTS - 1 or storage.current_generation(_processed(processed_dir)) == data.directory:
                raise
    raise AssertionError("unreachable")


def load_events(columns: list[str] | None = None, *, processed_dir: Path | None = None,
                build: bool = True, lazy: bool | str = False) -> pd.DataFrame:
    """The processed events table (``events.parquet``), building it first if needed.

    The table's coverage (first and last event day) is recorded in ``attrs`` so
    that metrics on filtered views still know where the data end.  ``lazy``:
    see :meth:`Snapshot.events` (the reports pass "auto").
    """
    return _load(processed_dir, build, lambda data: data.events(columns, lazy))


def lazy_events_rows() -> int:
    """Rows above which ``lazy="auto"`` reads the events through DuckDB (``config.LAZY_EVENTS_ROWS``, or the
    environment's ``ANALYSIS_LAZY_EVENTS_ROWS``)."""
    text = os.environ.get(config.LAZY_EVENTS_ENV, "").strip()
    if not text:
        return config.LAZY_EVENTS_ROWS
    if not text.isdigit():
        raise ParameterError(f"{config.LAZY_EVENTS_ENV}={text!r} is not a whole number of rows")
    return int(text)


def scan_events(engine: str = "duckdb", scheduler: str | None = None, columns: list[str] | None = None, *,
                processed_dir: Path | None = None, build: bool = True):
    """The processed events as a lazy table, for stores too large for memory: nothing is read into pandas.

    ``engine="duckdb"`` (the default) gives a DuckDB relation over
    ``events.parquet``; ``engine="dask"`` a Dask DataFrame computed on a local
    cluster (``scheduler=None``) or on the cluster at ``tcp://host:port``.
    ``attacks_per_day`` and ``civilian_harm_by_city`` take either; their
    results are the same small pandas frames as from ``load_events()``.
    Filter a lazy table and its coverage is its own span: give ``start`` and
    ``end`` to count zeros outside it.
    """
    return _load(processed_dir, build, lambda data: engines.scan(data.path(config.EVENTS_FILE), engine, scheduler,
                                                                 columns))


def scan_daily_counts(engine: str = "duckdb", scheduler: str | None = None, *, processed_dir: Path | None = None,
                      build: bool = True):
    """The daily counts (air-force reports, claims) as a lazy table, as :func:`scan_events` gives the events."""
    return _load(processed_dir, build, lambda data: engines.scan(data.path(config.DAILY_COUNTS_FILE), engine,
                                                                 scheduler))


def load_daily_counts(columns: list[str] | None = None, *, processed_dir: Path | None = None,
                      build: bool = True) -> pd.DataFrame:
    """Daily counts that are not events: air-force reports and official claims."""
    return _load(processed_dir, build, lambda data: data.daily_counts(columns))


def load_manifest(processed_dir: Path | None = None, *, build: bool = True) -> dict:
    """The build manifest: inputs, their sha256s and ledger counts, versions, outputs."""
    return _load(processed_dir, build, Snapshot.manifest)


def load_ledger_file(name: str, processed_dir: Path | None = None) -> pd.DataFrame:
    """One of the ledger CSVs of the last build: rejects.csv, merged.csv, warnings.csv, unmatched_places.csv."""
    return _load(processed_dir, False, lambda data: data.ledger_file(name))
