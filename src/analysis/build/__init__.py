"""``analysis build``: every raw file in, processed tables and a balanced ledger out.

The build reads each file in ``data/raw/`` (sorted by name), then the pages of
each source's snapshot chain in ``data/raw/snapshots/`` (:mod:`analysis.build.snapshots`,
:mod:`analysis.build.pages`), ingests them in chunks (:mod:`analysis.build.ingest`), normalises places (:mod:`analysis.places`) and
writes a new generation folder ``data/processed/generations/<number>/``:

* ``events.parquet``  processed events (schema ``PROCESSED_EVENTS``)
* ``claims.parquet`` / ``air_attacks.parquet`` / ``daily_counts.parquet``  the other tables
* ``rejects.csv`` / ``merged.csv`` / ``warnings.csv`` / ``deleted.csv``  the ledger's row lists
* ``unmatched_places.csv``  locations no gazetteer entry matched
* ``manifest.json``  input sha256s, per-file ledger counts, versions, output sha256s
* ``manifest.sha256``  the sha256 of ``manifest.json`` (``sha256sum -c`` format)

Then it switches the symlink ``data/processed/current`` to that folder with one
``os.replace``: readers, which resolve ``current`` once, see all of the old
build or all of the new one, and a build killed at any point leaves the old
one current.  The names above, at the top of ``data/processed/``, are symlinks
to ``current/<name>``.  The current and the previous generation are kept.

The build is skipped when the inputs (by size, mtime and, when those changed,
sha256), the snapshot chains (the same stamps, their files unchanged), the GeoNames dump files
supplementing the gazetteer (:mod:`analysis.gazetteer_files`, the same way) and the code fingerprint (:mod:`analysis.fingerprint`, over every file
of the package) equal the manifest's and every output and the manifest still
have their recorded sha256.  This check imports nothing heavy
and hashes only the outputs, so a no-op build returns in well under a second.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import sys
from pathlib import Path

from analysis import config, fingerprint, gazetteer_files, storage
from analysis.build import generations
from analysis.errors import OutputError
from analysis.build.generations import BuildReport
from analysis.build import snapshots
from analysis.build.inputs import raw_files


# ---------------------------------------------------------------- manifests (light imports only)
def read_manifest(processed_dir: Path) -> dict | None:
    """The manifest of the current build, or None (nothing built, or the manifest is damaged)."""
    generation = storage.current_generation(processed_dir)
    return read_manifest_at(generation) if generation else None


def read_manifest_at(generation: Path) -> dict | None:
    """The manifest of one generation folder if its bytes still have the sha256 in ``manifest.sha256``."""
    try:
        data = (generation / config.MANIFEST_FILE).read_bytes()
        recorded = (generation / config.MANIFEST_SHA_FILE).read_text(encoding="ascii").split()[0]
        if hashlib.sha256(data).hexdigest() != recorded:
            return None
        return json.loads(data.decode("utf-8"))
    except (OSError, ValueError, IndexError):
        return None


def is_up_to_date(raw_dir: Path, processed_dir: Path, pins: dict[str, str] | None = None) -> bool:
    """True when a build would reproduce the current outputs exactly."""
    return _skip(raw_dir, processed_dir, pins) is not None


def _links_intact(processed_dir: Path, manifest: dict) -> bool:
    """The stable names ``data/processed/<name> -> current/<name>`` are all there."""
    names = [*manifest.get("outputs", {}), config.MANIFEST_FILE, config.MANIFEST_SHA_FILE]
    try:
        return all(os.readlink(processed_dir / name) == f"{config.CURRENT_LINK}/{name}" for name in names)
    except OSError:
        return False


def _up_to_date(raw_dir: Path, generation: Path, manifest: dict | None, pins: dict[str, str] | None) -> bool:
    if not manifest or manifest.get("code_fingerprint") != fingerprint.code_fingerprint():
        return False
    chains = snapshots.resolve(raw_dir, pins)  # an unknown pin is a usage error, even when nothing changed
    if manifest.get("snapshots", {}) != snapshots.stamps(chains):
        return False
    files = snapshots.all_files(chains, raw_dir)  # every file of the chains, manifests and deleted pages too
    pages = {page.raw_file for page in snapshots.pages(chains, raw_dir)}  # the ones with a ledger in "inputs"
    current = [(p.name, p) for p in raw_files(raw_dir)] + [f for f in files if f[0] in pages]
    if not (_unchanged(manifest.get("inputs", []), current) and _unchanged(manifest.get("snapshot_files", []), files)):
        return False
    recorded = manifest.get("gazetteer", {})  # the GeoNames dump files supplementing the gazetteer, if any
    supplement = gazetteer_files.files(recorded.get("countrycodes", []))
    if not _unchanged(recorded.get("files", []), [(path.name, path) for path in supplement]):
        return False
    return _outputs_intact(generation, manifest)


def _unchanged(entries: list[dict], current: list[tuple[str, Path]]) -> bool:
    """The files recorded in ``entries`` are exactly ``current`` (name, path), each with its recorded content."""
    recorded = {entry["path"]: entry for entry in entries}
    if sorted(recorded) != sorted(name for name, _ in current):
        return False
    for name, path in current:
        entry, stat = recorded[name], path.stat()
        if (entry["size_bytes"], entry["mtime_ns"]) != (stat.st_size, stat.st_mtime_ns):
            if entry["size_bytes"] != stat.st_size or entry["sha256"] != storage.sha256_file(path):
                return False
    return True


def _outputs_intact(generation: Path, manifest: dict) -> bool:
    """Every output still has the size and sha256 the manifest records (the manifest's own bytes are
    checked by read_manifest_at).  Hashes the outputs only: about 100 MB at 2.5M events."""
    try:
        for name, info in manifest["outputs"].items():
            path = generation / name
            if path.stat().st_size != info["size_bytes"] or storage.sha256_file(path) != info["sha256"]:
                return False
    except (OSError, KeyError, TypeError, AttributeError):  # missing file, or a generation deleted meanwhile
        return False
    return True


# ---------------------------------------------------------------- the build
def build(raw_dir: Path | None = None, processed_dir: Path | None = None, *, force: bool = False,
          progress: bool | None = None, quiet: bool = False, snapshots: dict[str, str] | None = None,
          scheduler: str | None = None) -> BuildReport:
    """Build the processed tables unless they are up to date (``force`` rebuilds anyway).

    ``snapshots`` pins snapshot chains: {source: stamp} (``--snapshot SOURCE=STAMP``); others end at the latest.
    ``scheduler`` ("local", or a Dask scheduler's ``tcp://host:port``) reads the raw files as Dask tasks
    (``--scheduler``); the outputs are the same bytes as the in-process build, the default.

    Progress: a bar if ``progress`` (default: when stderr is a terminal), else a
    line per chunk of a large file; nothing at all if ``quiet``.
    """
    raw_dir = Path(raw_dir or config.RAW_DIR)
    processed_dir = Path(processed_dir or config.PROCESSED_DIR)
    pins = snapshots
    if not force and (skipped := _skip(raw_dir, processed_dir, pins)):
        generations.remove_leftovers_if_free(processed_dir)  # of a killed build, if any
        return skipped
    # Imported only now, when there is something to build: the heavy half (pandas, pyarrow, pandera)
    # would make the no-op build above slow.  The imports point one way: pipeline never imports build.
    from filelock import FileLock

    from analysis.build.pipeline import run_build

    try:
        processed_dir.mkdir(parents=True, exist_ok=True)
        with FileLock(processed_dir / generations.LOCK_FILE):  # another process may be building the same folder
            if not force and (skipped := _skip(raw_dir, processed_dir, pins)):
                return skipped
            bar = sys.stderr.isatty() if progress is None else progress
            mode = "off" if quiet else "bar" if bar else "lines"
            return run_build(raw_dir, processed_dir, fingerprint.code_fingerprint(), progress=mode, pins=pins,
                             scheduler=scheduler)
    except OSError as exc:
        if not (_is_within(exc.filename, processed_dir) or _is_disk_full(exc)):
            raise
        raise OutputError(processed_dir, f"cannot write the processed data ({exc.strerror or exc}: {exc.filename}); "
                                         "make the folder writable or choose another with --processed-dir") from None


def _is_disk_full(exc: OSError) -> bool:
    """No space (or quota) left: pyarrow's write errors carry no file name, only the reason."""
    return exc.errno in (errno.ENOSPC, errno.EDQUOT) or "No space left on device" in str(exc)


def _is_within(filename, folder: Path) -> bool:
    """Whether an OSError's ``filename`` is ``folder`` or lies inside it (or is one of its parents being created)."""
    if not filename:
        return False
    path, folder = Path(os.fsdecode(filename)).absolute(), folder.absolute()
    return path == folder or folder in path.parents or path in folder.parents


def _skip(raw_dir: Path, processed_dir: Path, pins: dict[str, str] | None = None) -> BuildReport | None:
    """A skipped build's report if the current generation is up to date (resolved once), else None."""
    generation = storage.current_generation(processed_dir)
    manifest = read_manifest_at(generation) if generation else None
    if manifest and _links_intact(processed_dir, manifest) and _up_to_date(raw_dir, generation, manifest, pins):
        return BuildReport(skipped=True, manifest=manifest, generation=generation)
    return None
