"""What a build reads: the raw files of a folder, and the other entries, skipped.

:func:`raw_files` lists the files a build reads; :func:`skipped_raw_entries`
the other entries of the raw folder, each with the reason it is not read.
Light imports only: the no-op build uses this module.
"""

from __future__ import annotations

from pathlib import Path

from analysis import config

_EXPORTABLE = (".xlsx", ".xls", ".xlsm", ".ods", ".tsv", ".json", ".parquet")


def raw_files(raw_dir: Path) -> list[Path]:
    """Raw input files: visible regular files ending in .csv (any case), sorted by name."""
    return [path for path, reason in _raw_entries(raw_dir) if reason is None]


def skipped_raw_entries(raw_dir: Path) -> list[dict]:
    """Visible entries of the raw folder that are not read, each with the reason (for the summary and manifest).

    Folders (even one named ``x.csv``), files not ending in .csv (a README.txt,
    an .xlsx workbook) and special files are skipped, not a failed build;
    hidden files (``.gitkeep``) and the snapshots folder (read as chains,
    :mod:`analysis.build.snapshots`) are ignored without a note.
    """
    return [{"path": path.name, "reason": reason} for path, reason in _raw_entries(raw_dir) if reason is not None]


def _raw_entries(raw_dir: Path) -> list[tuple[Path, str | None]]:
    """(entry, None if it is a raw input file else why it is skipped), sorted by name."""
    if not raw_dir.is_dir():
        return []
    entries = []
    for path in sorted(p for p in raw_dir.iterdir() if not p.name.startswith(".")):
        if path.name == config.SNAPSHOTS_DIR and path.is_dir():
            continue
        if path.is_dir():
            reason = "a folder, not a file (folders in the raw-data folder are not read)"
        elif not path.is_file():
            reason = "not a regular file (a pipe, socket or broken link)"
        elif path.suffix.lower() not in config.RAW_SUFFIXES:
            hint = "; export it as CSV (comma-separated) to use it" if path.suffix.lower() in _EXPORTABLE else ""
            reason = f"not a {'/'.join(config.RAW_SUFFIXES)} file{hint}"
        else:
            reason = None
        entries.append((path, reason))
    return entries

