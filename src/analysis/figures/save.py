"""Saving a finished figure: the one writer of chart files.

:func:`save_figure` writes the images (PNG, SVG, optionally PDF), the CSV of
the numbers drawn and the alt text beside them, byte-identically across runs
and processes: no dates or versions in the metadata, a fixed SVG hash salt,
text as paths and bundled fonts (the house style), all files renamed into
place only when every one was written.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Sequence

import pandas as pd
from matplotlib.figure import Figure

from analysis import storage
from analysis.errors import ParameterError
from analysis.figures.layout import ChartRecord, chart_record
from analysis.figures.style import house_style

FORMATS = ("png", "svg", "pdf")


def _metadata(fmt: str, record: ChartRecord, alt: str) -> dict:
    """Metadata without dates or software versions, so the same figure gives the same bytes."""
    if fmt == "png":
        return {"Software": None, "Title": record.title, "Description": alt}
    if fmt == "svg":
        return {"Date": None, "Creator": None, "Title": record.title, "Description": alt}
    return {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None, "Title": record.title,
            "Subject": alt}


def _write_table(path: Path, frame: pd.DataFrame) -> None:
    """CSV: UTF-8, '\\n' line ends, 6 significant digits for floats, the index only when it is named,
    formula-like text neutralised (:func:`analysis.storage.write_csv`)."""
    named = any(name is not None for name in frame.index.names)
    storage.write_csv(path, frame, index=named, float_format="%.6g")


def _targets(stem: Path, formats: Sequence[str]) -> dict[str, Path]:
    targets = {fmt: stem.with_name(f"{stem.name}.{fmt}") for fmt in formats}
    targets["csv"] = stem.with_name(f"{stem.name}.csv")
    targets["alt"] = stem.with_name(f"{stem.name}.alt.txt")
    return targets


def save_figure(fig: Figure, path_stem: str | Path, data: pd.DataFrame | None = None,
                formats: Sequence[str] = ("png", "svg"), pdf: bool = False, alt_text: str | None = None,
                dpi: int = 200) -> dict[str, Path]:
    """Write ``<stem>.png``, ``<stem>.svg`` (``<stem>.pdf`` with ``pdf=True``), ``<stem>.csv`` and
    ``<stem>.alt.txt``; return the paths by kind ("png", "svg", "pdf", "csv", "alt").

    ``fig`` must come from a builder or :func:`finish_figure` (it carries its
    title, source line, data and alt text).  ``data`` replaces the table written
    as CSV (default: the numbers the builder drew); ``alt_text`` replaces the
    alt text.  All files are written to temporary files first and renamed into
    place only when every one was written, so a failure leaves the previous
    files intact.  The bytes depend only on the figure: no dates or versions
    in the metadata, fixed SVG hash salt, text as paths, bundled fonts.
    """
    record = chart_record(fig)
    if record is None:
        raise ParameterError("save_figure: this figure has no source line or record; build it with a plots "
                             "builder or call plots.finish_figure(fig, ax, data, title) first")
    fmts = [f for f in FORMATS if f in set(formats) | ({"pdf"} if pdf else set())]
    unknown = set(formats) - set(FORMATS)
    if unknown or not fmts:
        raise ParameterError(f"formats={tuple(formats)!r}; choose from {', '.join(FORMATS)}")
    alt = (alt_text or record.alt_text).strip()
    targets = _targets(Path(path_stem), fmts)
    with house_style(), ExitStack() as stack:
        temps = {key: stack.enter_context(storage.atomic_path(path)) for key, path in targets.items()}
        for fmt in fmts:
            fig.savefig(temps[fmt], format=fmt, dpi=dpi, metadata=_metadata(fmt, record, alt))
        _write_table(temps["csv"], record.data if data is None else data)
        temps["alt"].write_bytes((alt + "\n").encode("utf-8"))
    return targets
