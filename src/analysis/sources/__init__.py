"""The readers, one module per real-world format, and format detection.

Each reader module declares ``READER``, a :class:`~analysis.sources.base.Reader`:
its name, the table it feeds, the headers it accepts and ``parse(raw, failures)``,
which turns raw string columns into the typed columns of its target schema.
:data:`READERS` is the registry, one :func:`register` line per reader: adding a
format touches the new reader module, its test and one line here.
:func:`detect` picks the reader from a file's header; a header no reader accepts
is an error that names the closest layout and the columns it lacks.  A file
without a header (GDELT) is recognised first, by :func:`detect_headerless`, from
its name and first line (``Layout.recognise``).
"""

from __future__ import annotations

from pathlib import Path

from analysis.errors import InputError
from analysis.sources import acled, air_force, claims, gdelt, news, ucdp
from analysis.sources.base import Layout, Reader

READERS: dict[str, Reader] = {}


def register(reader: Reader) -> Reader:
    """Add a reader to :data:`READERS` (format detection considers it from now on)."""
    if not isinstance(reader, Reader):
        raise TypeError(f"a reader is declared as analysis.sources.base.Reader, not {type(reader).__name__}")
    if reader.name in READERS:
        raise ValueError(f"a reader named {reader.name!r} is registered already")
    READERS[reader.name] = reader
    return reader


register(acled.READER)
register(ucdp.READER)
register(news.READER)
register(claims.READER)
register(air_force.READER)
register(gdelt.READER)


def detect_headerless(path: Path, first_line: str, forced: str | None = None) -> tuple[Reader, Layout] | None:
    """The reader of a file without a header row, if its name or first line is recognised (or it is forced)."""
    for name, reader in READERS.items():
        for layout in reader.layouts:
            if layout.header:
                continue
            if name == forced or (forced is None and layout.recognise(Path(path).name, first_line)):
                return reader, layout
    return None


def detect(path: Path, columns: tuple[str, ...], forced: str | None = None) -> tuple[Reader, Layout]:
    """Choose the reader (and layout) for a header; ``forced`` skips detection.

    Of the layouts whose required columns are all present, the one that knows most of the header's columns;
    a tie is refused rather than guessed.
    """
    present = set(columns)
    if forced is not None:
        if forced not in READERS:
            raise InputError(path, f"unknown format {forced!r}; known formats: {', '.join(READERS)}")
        reader = READERS[forced]
        layout = min(reader.layouts, key=lambda lay: len(set(lay.required) - present))
        _require_columns(path, layout, present)
        return reader, layout
    candidates = [
        (len(layout.known & present), name, layout)
        for name, reader in READERS.items()
        for layout in reader.layouts
        if layout.header and set(layout.required) <= present
    ]
    if not candidates:
        raise InputError(path, _no_layout_message(present))
    most = max(count for count, _, _ in candidates)  # the layout that knows most of the header's columns
    best = [(name, layout) for count, name, layout in candidates if count == most]
    if len(best) > 1:
        raise InputError(path, f"the header fits {' and '.join(layout.name for _, layout in best)} equally well; "
                               "force one with --format", line=1)
    name, layout = best[0]
    return READERS[name], layout


def _require_columns(path: Path, layout: Layout, present: set[str]) -> None:
    missing = [c for c in layout.required if c not in present]
    if missing:
        raise InputError(
            path, f"the header lacks column(s) required by the {layout.name} format: {', '.join(missing)}", line=1
        )


def _no_layout_message(present: set[str]) -> str:
    scored = []
    for reader in READERS.values():
        for layout in (lay for lay in reader.layouts if lay.header):
            required = set(layout.required)
            scored.append((len(required & present) / len(required), layout))
    score, closest = max(scored, key=lambda s: s[0])
    missing = [c for c in closest.required if c not in present]
    shown = ", ".join(missing[:12]) + (f" and {len(missing) - 12} more" if len(missing) > 12 else "")
    return (
        "the header matches no known format. "
        f"Closest: {closest.name} ({closest.description}; {score:.0%} of its required columns present), "
        f"which also needs: {shown}. Known formats: {', '.join(READERS)}; force one with --format."
    )
