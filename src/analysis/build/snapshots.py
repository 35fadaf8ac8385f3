"""Which snapshots a build reads (light imports only: the no-op build uses this module).

Per source (``acled``, ``ucdp_ged``) the build reads the chain of
:func:`analysis.fetch.snapshots.chain`: the base, then each update in order,
ending at the latest snapshot or at the one pinned with
``analysis build --snapshot SOURCE=STAMP``.  A snapshot file is named like a
loose raw file, relative to the raw folder
(``snapshots/acled/20261202T101500Z/page-00001.json``); that name is the
``raw_file`` of its rows, and ``raw_line`` is a record's 1-based position in
its page.  The reading itself (pandas) is :mod:`analysis.build.pages`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from analysis import config
from analysis.errors import ParameterError
from analysis.fetch import snapshots as store

Chains = dict[str, list[store.Snapshot]]  # source -> its chain, base first (sources without snapshots left out)


@dataclass(frozen=True)
class PageFile:
    """One page of a chain: where it is, its raw_file name, and its snapshot's place in the chain."""

    path: Path
    raw_file: str
    source: str
    stamp: str
    index: int  # 0 for the base, 1 for the first update, ...


def parse_pins(specs: list[str] | tuple[str, ...] | None) -> dict[str, str]:
    """``["acled=20261202T101500Z", ...]`` -> {source: stamp}; a malformed pin is a usage error."""
    pins: dict[str, str] = {}
    for spec in specs or ():
        source, sep, stamp = spec.partition("=")
        source, stamp = source.strip(), stamp.strip()
        if not sep or source not in store.SOURCES or not store.STAMP.fullmatch(stamp):
            raise ParameterError(f"--snapshot {spec!r}: expected SOURCE=STAMP with SOURCE one of "
                                 f"{', '.join(store.SOURCES)} and STAMP like 20261202T101500Z")
        if pins.get(source, stamp) != stamp:
            raise ParameterError(f"--snapshot pins {source} twice ({pins[source]} and {stamp})")
        pins[source] = stamp
    return pins


def resolve(raw_dir: Path, pins: dict[str, str] | None = None) -> Chains:
    """The chain of every source that has snapshots; a pin naming no complete snapshot is a usage error."""
    root = store.snapshots_root(raw_dir)
    chains: Chains = {}
    for source in store.SOURCES:
        try:
            found = store.chain(source, (pins or {}).get(source), root=root)
        except ValueError as exc:
            raise ParameterError(f"--snapshot: {exc}") from None
        if found:
            chains[source] = found
    return chains


def stamps(chains: Chains) -> dict[str, list[str]]:
    """{source: [stamp, ...]}: the chains as the processed manifest records them."""
    return {source: [s.stamp for s in chain] for source, chain in chains.items()}


def raw_name(path: Path, raw_dir: Path) -> str:
    """A snapshot file's name relative to the raw folder, with '/' (its raw_file)."""
    return path.relative_to(raw_dir).as_posix()


def pages(chains: Chains, raw_dir: Path, kind: str = "events") -> list[PageFile]:
    """The pages of ``kind`` ("events" or "deleted") of every chain: per source, base first, in page order."""
    return [PageFile(path, raw_name(path, raw_dir), source, snapshot.stamp, index)
            for source, chain in chains.items() for index, snapshot in enumerate(chain)
            for path in snapshot.files(kind)]


def all_files(chains: Chains, raw_dir: Path) -> list[tuple[str, Path]]:
    """(raw_file name, path) of every file of the chains, manifests included: what the no-op build checks."""
    return [(raw_name(path, raw_dir), path) for chain in chains.values() for snapshot in chain
            for path in [snapshot.path / config.MANIFEST_FILE, *(snapshot.path / name for name in
                                                                 sorted(snapshot.manifest.get("files", {})))]]


def verify(chains: Chains) -> None:
    """Every file of every snapshot read has its manifest's sha256 (else an InputError: corruption)."""
    for chain in chains.values():
        for snapshot in chain:
            store.verify(snapshot)


def is_revision(raw_file, merged_into_file):
    """Per merged row (pandas Series in): a revision, i.e. an older snapshot's row merged into a newer one's.

    Such rows are the source's own updates, not conflicting duplicates: they
    raise no warning.  Names are ``snapshots/<source>/<stamp>/<page>``.
    """
    prefix = f"{config.SNAPSHOTS_DIR}/"
    folder_of = lambda names: names.str.rsplit("/", n=1).str[0]  # noqa: E731
    both = raw_file.str.startswith(prefix) & merged_into_file.str.startswith(prefix)
    return (both & (folder_of(raw_file) != folder_of(merged_into_file))).to_numpy(dtype=bool)
