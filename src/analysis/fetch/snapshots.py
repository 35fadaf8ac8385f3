"""The snapshot store: pages as received from a source's API, kept in folders that never change.

On disk, under ``<raw dir>/snapshots/`` (:data:`analysis.config.SNAPSHOTS_DIR`)::

    <source>/<stamp>/page-00001.json ...    event pages, exactly as received
    <source>/<stamp>/deleted-00001.json ... ACLED's deleted-events pages (updates only)
    <source>/<stamp>/manifest.json          source, snapshot, created_utc, kind, parent, request,
                                            pages, rows, deleted_rows, files {name: sha256}, extra

``source`` is ``acled`` or ``ucdp_ged``; ``stamp`` is the UTC time of the
commit, ``YYYYMMDDTHHMMSSZ``.  A snapshot folder is complete iff its
``manifest.json`` exists, and it is never changed afterwards.

A fetch writes through :class:`SnapshotWriter`: pages go into a private
partial folder ``<source>/.partial-<key>`` (mode 0700, owner checked), the
key being the sha256 of the source, request, kind and parent, so a fetch
killed midway and started again with the same request *resumes* it: its
complete pages and its saved state are kept.  :meth:`SnapshotWriter.commit`
writes the manifest (with the sha256 of every file) and renames the partial
folder to its stamp folder: one switch, so no half snapshot is ever visible.

:func:`latest` and :func:`chain` find complete snapshots; a build reads the
chain (base first, then the updates that name their parent) and checks every
file against the manifest (:func:`verify`).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from analysis import config, storage
from analysis.errors import InputError, ProjectError
from analysis.private import check_private

SOURCES = ("acled", "ucdp_ged")
KINDS = ("base", "update")
PAGE_KINDS = {"events": "page", "deleted": "deleted"}  # page kind -> file name prefix
STAMP = re.compile(r"\d{8}T\d{6}Z")
PAGE_FILE = re.compile(r"(page|deleted)-(\d{5})\.json")
STATE_FILE = "state.json"  # the fetcher's resume point, in the partial folder only
PARTIAL_PREFIX = ".partial-"


def snapshots_root(raw_dir: Path | None = None) -> Path:
    """``<raw dir>/snapshots``: the folder of every source's snapshots."""
    return Path(raw_dir or config.RAW_DIR) / config.SNAPSHOTS_DIR


def _check_source(source: str) -> None:
    if source not in SOURCES:
        raise ValueError(f"unknown snapshot source {source!r}; known: {', '.join(SOURCES)}")


def _stamp_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


@dataclass(frozen=True)
class Snapshot:
    """A complete snapshot folder."""

    source: str
    stamp: str
    path: Path
    manifest: dict

    @property
    def name(self) -> str:
        """``<source>/<stamp>``, as deleted.csv and messages name it."""
        return f"{self.source}/{self.stamp}"

    def files(self, kind: str) -> list[Path]:
        """The page files of a kind ("events" or "deleted"), in page order, as the manifest lists them."""
        prefix = PAGE_KINDS[kind] + "-"
        return [self.path / name for name in sorted(self.manifest.get("files", {})) if name.startswith(prefix)]


class SnapshotWriter:
    """One snapshot being written: pages into a partial folder, then :meth:`commit`."""

    def __init__(self, source: str, folder: Path, manifest: dict, lock: int | None = None) -> None:
        self.source, self.folder, self._head, self._lock = source, folder, manifest, lock
        self._counts = {kind: len(list(folder.glob(f"{prefix}-*.json"))) for kind, prefix in PAGE_KINDS.items()}

    @classmethod
    def open(cls, source: str, request: dict, *, kind: str = "base", parent: str | None = None,
             root: Path | None = None) -> SnapshotWriter:
        """Start a snapshot of ``request`` (no secrets in it), or resume the partial one of the same request.

        ``root`` is the snapshots folder (default :func:`snapshots_root`).  The
        partial folder is created with mode 0700, and an existing one is used
        only if it is a real folder of ours with that mode.
        """
        _check_source(source)
        if kind not in KINDS:
            raise ValueError(f"unknown snapshot kind {kind!r}; known: {', '.join(KINDS)}")
        if (kind == "update") != (parent is not None):
            raise ValueError("an update names its parent snapshot, and only an update does")
        head = {"source": source, "kind": kind, "parent": parent, "request": request}
        key = hashlib.sha256(json.dumps(head, sort_keys=True, default=str).encode("utf-8")).hexdigest()
        base = Path(root or snapshots_root()) / source
        base.mkdir(parents=True, exist_ok=True)
        lock = _lock(base, source)
        folder = base / f"{PARTIAL_PREFIX}{key}"
        try:
            try:
                os.mkdir(folder, 0o700)
                os.chmod(folder, 0o700)  # whatever the umask
            except FileExistsError:
                check_private(folder)
                _drop_temporaries(folder)  # of a write killed midway: never a page
        except BaseException:
            os.close(lock)
            raise
        return cls(source, folder, head, lock)

    def __enter__(self) -> SnapshotWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()  # after commit: nothing left to do

    def close(self) -> None:
        """Give up without committing: a partial folder holding no page is removed; the lock is released."""
        try:
            pages = self.folder.is_dir() and any(PAGE_FILE.fullmatch(p.name) for p in self.folder.iterdir())
            if self._lock is not None and self.folder.is_dir() and not pages:
                shutil.rmtree(self.folder)
        finally:
            self._release()

    def _release(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # closing the descriptor releases the flock
            self._lock = None

    @property
    def pages_done(self) -> int:
        """Event pages saved so far (kept when a partial snapshot is resumed)."""
        return self._counts["events"]

    @property
    def deleted_pages_done(self) -> int:
        return self._counts["deleted"]

    @property
    def state(self) -> dict:
        """The fetcher's resume point as last saved ({} at the start)."""
        try:
            return json.loads((self.folder / STATE_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def save_state(self, state: dict) -> None:
        storage.write_json(self.folder / STATE_FILE, state)

    def add_page(self, body: bytes, kind: str = "events") -> Path:
        """Write the next page of ``kind`` ("events" or "deleted") atomically; returns its path."""
        if kind not in PAGE_KINDS:
            raise ValueError(f"unknown page kind {kind!r}; known: {', '.join(PAGE_KINDS)}")
        target = self.folder / f"{PAGE_KINDS[kind]}-{self._counts[kind] + 1:05d}.json"
        storage.write_bytes(target, bytes(body))
        self._counts[kind] += 1
        return target

    def commit(self, rows: int, deleted_rows: int = 0, extra: dict | None = None) -> Path:
        """Write manifest.json (the sha256 of every page) and rename the folder to its stamp: returns it."""
        (self.folder / STATE_FILE).unlink(missing_ok=True)
        files = {p.name: storage.sha256_file(p) for p in sorted(self.folder.iterdir()) if PAGE_FILE.fullmatch(p.name)}
        stamp = _free_stamp(self.folder.parent)
        manifest = {**self._head, "snapshot": stamp, "created_utc": stamp, "pages": self.pages_done,
                    "rows": int(rows), "deleted_rows": int(deleted_rows), "files": files, "extra": extra or {}}
        storage.write_json(self.folder / config.MANIFEST_FILE, manifest)
        target = self.folder.parent / stamp
        os.chmod(self.folder, 0o755 & ~_umask())  # complete: readable like the other raw files
        os.rename(self.folder, target)  # one switch; fails rather than replace an existing stamp
        self._release()
        return target


def _lock(base: Path, source: str) -> int:
    """An exclusive lock (flock) on the source's snapshot folder itself, held by the one fetch writing to it:
    two fetches at once would write the same partial pages.  The system releases it when the process dies."""
    fd = os.open(base, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise ProjectError(f"another fetch of {source} is writing to {base} now; wait for it to finish "
                           "(or stop it), then run this one again") from None
    return fd


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _free_stamp(base: Path) -> str:
    """The current UTC stamp, one second later while a snapshot of that stamp exists."""
    stamp = _stamp_now()
    while (base / stamp).exists():
        moment = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").timestamp() + 1
        stamp = datetime.fromtimestamp(moment, timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return stamp


def _drop_temporaries(folder: Path) -> None:
    for path in folder.glob(".*.tmp"):
        path.unlink(missing_ok=True)


# ---------------------------------------------------------------- reading
def snapshots(source: str, root: Path | None = None) -> list[Snapshot]:
    """Every complete snapshot of ``source``, oldest first (partial folders and other entries ignored)."""
    _check_source(source)
    base = Path(root or snapshots_root()) / source
    if not base.is_dir():
        return []
    found = []
    for folder in sorted(p for p in base.iterdir() if STAMP.fullmatch(p.name)):
        path = folder / config.MANIFEST_FILE
        if not path.is_file():
            continue  # not complete
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(path, f"the snapshot's manifest cannot be read ({exc}); the snapshot is damaged: "
                                   "remove the folder and fetch again") from None
        found.append(Snapshot(source, folder.name, folder, manifest))
    return found


def latest(source: str, root: Path | None = None) -> Snapshot | None:
    """The newest complete snapshot of ``source``, or None."""
    found = snapshots(source, root)
    return found[-1] if found else None


def chain(source: str, pinned: str | None = None, root: Path | None = None) -> list[Snapshot]:
    """The snapshots a build reads: the base, then each update in order, ending at ``pinned`` (or the latest).

    The chain is followed backwards from its end through each manifest's
    ``parent``; a missing parent is an error (the chain cannot be read whole).
    ``pinned`` must name a complete snapshot of ``source`` (else ValueError).
    """
    found = {s.stamp: s for s in snapshots(source, root)}
    if not found:
        if pinned is not None:
            raise ValueError(f"no snapshot {source}={pinned}: {source} has no complete snapshot")
        return []
    if pinned is not None and pinned not in found:
        raise ValueError(f"no snapshot {source}={pinned}; {source} has: {', '.join(sorted(found))}")
    out = [found[pinned or max(found)]]
    while out[-1].manifest.get("kind") == "update":
        parent = out[-1].manifest.get("parent")
        if parent not in found or parent >= out[-1].stamp:
            raise InputError(out[-1].path / config.MANIFEST_FILE,
                             f"the update's parent snapshot {parent!r} is missing (or not older); "
                             "the chain cannot be read")
        out.append(found[parent])
    return out[::-1]


def verify(snapshot: Snapshot) -> None:
    """Every file the manifest lists has its sha256, and the folder holds nothing else: else InputError."""
    listed = snapshot.manifest.get("files")
    if not isinstance(listed, dict):
        raise InputError(snapshot.path / config.MANIFEST_FILE, "the snapshot's manifest lists no files; damaged")
    present = {p.name for p in snapshot.path.iterdir()} - {config.MANIFEST_FILE}
    if unlisted := sorted(present - set(listed)):
        raise InputError(snapshot.path / unlisted[0], "a file the snapshot's manifest does not list: a snapshot is never "
                                               "changed; remove the file (or fetch the snapshot again)")
    for name, recorded in sorted(listed.items()):
        path = snapshot.path / name
        if not PAGE_FILE.fullmatch(name) or not path.is_file():
            raise InputError(path, "a file the snapshot's manifest lists is missing: the snapshot is damaged; "
                                   "fetch it again")
        actual = storage.sha256_file(path)
        if actual != recorded:
            raise InputError(path, f"corrupted snapshot file: its sha256 is {actual}, the manifest records "
                                   f"{recorded}; the snapshot was changed after it was written. Fetch it again "
                                   "(or pin an older snapshot with --snapshot)")
