"""Immutable snapshots of API pages (MINIMAL stand-in written by helper A; helper B owns this module).

Only the interface of the common brief, so that the fetchers and their tests run; B's module replaces it.
``<raw>/snapshots/<source>/<stamp>/`` holds ``page-00001.json``..., ``deleted-00001.json``... and
``manifest.json``; a snapshot is complete iff its manifest exists.  A fetch writes into
``.partial-<sha256 of source, request, kind, parent>`` (mode 0700) and :meth:`SnapshotWriter.commit`
renames it to its stamp in one step.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from analysis import config, storage

STATE_FILE = ".state.json"
MANIFEST = "manifest.json"


def snapshots_dir(source: str) -> Path:
    return Path(config.RAW_DIR) / "snapshots" / source


@dataclass(frozen=True)
class Snapshot:
    source: str
    stamp: str
    path: Path
    manifest: dict


def _complete(source: str) -> list[Snapshot]:
    root = snapshots_dir(source)
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.iterdir()):
        if not path.name.startswith(".") and (path / MANIFEST).is_file():
            found.append(Snapshot(source, path.name, path, json.loads((path / MANIFEST).read_text("utf-8"))))
    return found


def latest(source: str) -> Snapshot | None:
    found = _complete(source)
    return found[-1] if found else None


def chain(source: str, pinned: str | None = None) -> list[Snapshot]:
    by_stamp = {s.stamp: s for s in _complete(source)}
    end = by_stamp.get(pinned) if pinned else latest(source)
    out = []
    while end is not None:
        out.append(end)
        end = by_stamp.get(end.manifest.get("parent"))
    return out[::-1]


class SnapshotWriter:
    def __init__(self, source: str, request: dict, kind: str, parent: str | None, path: Path) -> None:
        self.source, self.request, self.kind, self.parent, self.path = source, request, kind, parent, path

    @classmethod
    def open(cls, source: str, request: dict, *, kind: str = "base", parent: str | None = None) -> "SnapshotWriter":
        key = json.dumps([source, request, kind, parent], sort_keys=True)
        path = snapshots_dir(source) / f".partial-{hashlib.sha256(key.encode()).hexdigest()}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=0o700, exist_ok=True)
        return cls(source, request, kind, parent, path)

    def _files(self, prefix: str) -> list[Path]:
        return sorted(self.path.glob(f"{prefix}-*.json"))

    @property
    def pages_done(self) -> int:
        return len(self._files("page"))

    @property
    def state(self) -> dict:
        try:
            return json.loads((self.path / STATE_FILE).read_text("utf-8"))
        except FileNotFoundError:
            return {}

    def save_state(self, state: dict) -> None:
        storage.write_json(self.path / STATE_FILE, state)

    def add_page(self, body: bytes, kind: str = "events") -> None:
        prefix = "page" if kind == "events" else "deleted"
        storage.write_bytes(self.path / f"{prefix}-{len(self._files(prefix)) + 1:05d}.json", body)

    def commit(self, rows: int, deleted_rows: int = 0, extra: dict | None = None) -> Path:
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        target = snapshots_dir(self.source) / now.strftime("%Y%m%dT%H%M%SZ")
        while target.exists():  # two snapshots within a second
            now += dt.timedelta(seconds=1)
            target = snapshots_dir(self.source) / now.strftime("%Y%m%dT%H%M%SZ")
        (self.path / STATE_FILE).unlink(missing_ok=True)
        files = {p.name: storage.sha256_file(p) for p in sorted(self.path.glob("*.json"))}
        storage.write_json(self.path / MANIFEST, {
            "source": self.source, "snapshot": target.name, "created_utc": now.isoformat(), "kind": self.kind,
            "parent": self.parent, "request": self.request, "pages": self.pages_done, "rows": rows,
            "deleted_rows": deleted_rows, "files": files, "extra": extra or {}})
        os.rename(self.path, target)
        return target
