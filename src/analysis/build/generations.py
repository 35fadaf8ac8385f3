"""One folder per build, switched in one step: ``data/processed/generations/<number>/`` and ``current``.

A build writes every table, ledger file and the manifest into a new
generation folder, then points the symlink ``current`` at it with one
``os.replace`` (:func:`switch`).  Readers resolve ``current`` once
(``storage.current_generation``) and read every file from that folder, so they
see all of one build, never a mix, whatever happens to a build meanwhile.

The names at the top of ``data/processed/`` (``events.parquet``,
``manifest.json``, ...) are relative symlinks ``<name> -> current/<name>``,
made once, for people and tools that open the files by name.  The current
generation and the previous one are kept (a reader may still be reading the
previous one); older ones, and everything a killed build left, are removed
under the build lock.  Light imports only: the no-op build uses this module.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from analysis import config, storage
from analysis.hooks import checkpoint

LOCK_FILE = ".build.lock"

# Where the test hook (analysis.hooks) can stop a build; "output_written" is reached once per output file.
STAGES = ("leftovers_removed", "read", "duplicates_resolved", "output_written", "manifest_written",
          "before_switch", "switched", "linked", "cleaned")


@dataclass
class BuildReport:
    """What a build did, for the CLI and the tests."""

    skipped: bool
    manifest: dict
    file_errors: list[dict] = field(default_factory=list)
    generation: Path | None = None  # the folder holding this manifest's files (see storage.current_generation)

    @property
    def ok(self) -> bool:
        return not self.file_errors


def _generations(processed_dir: Path) -> dict[int, Path]:
    root = processed_dir / config.GENERATIONS_DIR
    return {int(p.name): p for p in root.iterdir() if p.name.isdigit()} if root.is_dir() else {}


def _number(generation: Path | None) -> int | None:
    return int(generation.name) if generation is not None and generation.name.isdigit() else None


def _kept(processed_dir: Path) -> set[int]:
    """The current generation and the newest one before it (the previous build)."""
    current = _number(storage.current_generation(processed_dir))
    if current is None:
        return set()
    return {current, *sorted(n for n in _generations(processed_dir) if n < current)[-1:]}


def has_leftovers(processed_dir: Path) -> bool:
    """Anything :func:`remove_leftovers` would remove (cheap: lists two folders)."""
    return (any(processed_dir.glob(".build-*")) or any(processed_dir.glob(".*.tmp"))
            or not set(_generations(processed_dir)) <= _kept(processed_dir))


def remove_leftovers(processed_dir: Path) -> None:
    """Temporary files and generation folders of killed builds, and generations older than the previous.

    Call under the build lock: then no build is using these files, and no
    reader can be using a generation that was never current (readers reach a
    generation only through ``current``).
    """
    for path in processed_dir.glob(".build-*"):
        shutil.rmtree(path, ignore_errors=True)
    for path in processed_dir.glob(".*.tmp"):
        path.unlink(missing_ok=True)
    _remove_generations(processed_dir, _kept(processed_dir))


def remove_leftovers_if_free(processed_dir: Path) -> None:
    """remove_leftovers, if there are any and no build holds the lock (a running build's files look the same)."""
    if not processed_dir.is_dir() or not has_leftovers(processed_dir):
        return
    from filelock import FileLock, Timeout

    try:
        with FileLock(processed_dir / LOCK_FILE, timeout=0):
            remove_leftovers(processed_dir)
    except (Timeout, OSError):  # a build is running (it cleans up itself), or the folder is read-only
        pass


def _remove_generations(processed_dir: Path, keep: set[int]) -> None:
    for number, path in _generations(processed_dir).items():
        if number not in keep:
            shutil.rmtree(path, ignore_errors=True)


def new(processed_dir: Path) -> Path:
    """A new, empty generation folder, numbered after every existing one and after ``current``."""
    numbers = [*_generations(processed_dir), _number(storage.current_generation(processed_dir)) or 0]
    path = processed_dir / config.GENERATIONS_DIR / f"{max(numbers) + 1:06d}"
    path.mkdir(parents=True)
    return path


def write_manifest(generation: Path, manifest: dict) -> None:
    """manifest.json, then manifest.sha256 (its sha256, in sha256sum's format): the last files of a generation."""
    target = generation / config.MANIFEST_FILE
    storage.write_json(target, manifest)
    storage.write_text(generation / config.MANIFEST_SHA_FILE, f"{storage.sha256_file(target)}  {target.name}\n")
    checkpoint("manifest_written")


def switch(processed_dir: Path, generation: Path) -> None:
    """Point ``current`` at ``generation`` in one os.replace: readers see the old build or the new one."""
    link = processed_dir / config.CURRENT_LINK
    tmp = storage.temp_symlink(link, generation.relative_to(processed_dir).as_posix())
    checkpoint("before_switch")
    os.replace(tmp, link)
    checkpoint("switched")


def after_switch(processed_dir: Path, generation: Path, previous: Path | None) -> None:
    """The stable names ``<name> -> current/<name>`` (made once), then every generation but these two removed."""
    for path in sorted(generation.iterdir()):
        stable, target = processed_dir / path.name, f"{config.CURRENT_LINK}/{path.name}"
        if not (stable.is_symlink() and os.readlink(stable) == target):
            storage.replace_symlink(stable, target)
    checkpoint("linked")
    _remove_generations(processed_dir, {n for n in (_number(generation), _number(previous)) if n is not None})
    checkpoint("cleaned")
