"""Where a table's numbers come from, carried with the table in ``DataFrame.attrs``.

Metrics attach a :class:`Provenance` to every result: the source datasets that
contributed rows, the dates covered, and whether any row is synthetic.
Figures and reports derive their source line and SYNTHETIC marks from it, so
the line under a chart is computed from the data, never typed.

Metrics also attach a :class:`Rows` reference to the rows of the processed
table they counted (:func:`rows`), so a report can record the events behind
each number it states (``evidence.parquet``, see :mod:`analysis.reports.reporting`)
and ``analysis drift`` can name the events behind a change.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from analysis import wording
from analysis.tables.vocabulary import SOURCE_DATASETS

KEY = "provenance"
ROWS_KEY = "provenance_rows"


@dataclass(frozen=True)
class Provenance:
    sources: tuple[str, ...]  # display names, e.g. ("ACLED", "UCDP GED")
    first_date: str | None  # ISO dates of the rows the table was computed from
    last_date: str | None
    is_synthetic: bool
    kind: str = "Events"  # what the dates are of: "Events", "Reports", ...

    def source_line(self) -> str:
        """E.g. 'Source: ACLED; UCDP GED. Events to 14 Mar 2023.' (with a SYNTHETIC note when synthetic)."""
        names = "; ".join(self.sources) if self.sources else "no data"
        line = f"Source: {names}."
        if self.last_date:
            line += f" {self.kind} to {wording.day(self.last_date, short=True)}."
        if self.is_synthetic:
            line += " Includes SYNTHETIC data, not real data."
        return line

    def as_dict(self) -> dict:
        return {**asdict(self), "sources": list(self.sources)}


def _names(datasets: pd.Series) -> tuple[str, ...]:
    present = set(datasets.dropna().unique())
    return tuple(SOURCE_DATASETS[d] for d in SOURCE_DATASETS if d in present)  # stable order


def _iso(value) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def from_parts(datasets, first_date, last_date, is_synthetic: bool, kind: str = "Events") -> Provenance:
    """Provenance from the dataset codes present, the first and last date, and the synthetic flag."""
    present = set(datasets)
    names = tuple(SOURCE_DATASETS[d] for d in SOURCE_DATASETS if d in present)  # stable order
    return Provenance(names, _iso(first_date), _iso(last_date), bool(is_synthetic), kind)


def end_column(columns, start: str, end: str) -> str:
    """The column holding a table's last days: ``end``, or ``start`` in a table without end dates."""
    return end if end in columns else start


def of_rows(frame: pd.DataFrame, start: str = "event_date", end: str = "event_end_date",
            kind: str = "Events") -> Provenance:
    """Provenance of a set of rows of a processed table (events, daily counts, claims)."""
    if frame.empty:
        return Provenance((), None, None, False, kind)
    end = end_column(frame.columns, start, end)
    return Provenance(
        sources=_names(frame["source_dataset"]),
        first_date=_iso(frame[start].min()),
        last_date=_iso(frame[end].max()),
        is_synthetic=bool(frame["is_synthetic"].any()),
        kind=kind,
    )


def combine(*items: Provenance) -> Provenance:
    """Provenance of a table computed from several inputs."""
    items = [p for p in items if p.sources]
    if not items:
        return Provenance((), None, None, False)
    order = list(SOURCE_DATASETS.values())
    sources = sorted({s for p in items for s in p.sources}, key=lambda s: order.index(s) if s in order else 99)
    firsts = [p.first_date for p in items if p.first_date]
    lasts = [p.last_date for p in items if p.last_date]
    return Provenance(tuple(sources), min(firsts) if firsts else None, max(lasts) if lasts else None,
                      any(p.is_synthetic for p in items), items[0].kind if len({p.kind for p in items}) == 1 else "Data")


class Rows(dict):
    """The rows of a processed table a result was computed from: the table and a boolean mask, never copied.

    pandas copies ``attrs`` (deeply) with every operation; this reference copies
    as itself, so carrying it costs nothing until :meth:`frame` is asked for.
    It is an (empty) dict so that ``to_parquet``, which writes ``attrs`` as
    JSON, writes it as ``{}`` instead of failing.
    """

    __slots__ = ("table", "mask")

    def __init__(self, table: pd.DataFrame, mask=None) -> None:
        self.table, self.mask = table, mask

    def __copy__(self) -> Rows:
        return self

    def __deepcopy__(self, memo) -> Rows:
        return self

    def frame(self) -> pd.DataFrame:
        return self.table if self.mask is None else self.table[self.mask]


def attach(frame: pd.DataFrame, provenance: Provenance, rows: pd.DataFrame | None = None, mask=None) -> pd.DataFrame:
    """Attach ``provenance`` and, when given, the rows it was computed from (``rows[mask]``)."""
    frame.attrs[KEY] = provenance.as_dict()
    if rows is not None:
        frame.attrs[ROWS_KEY] = Rows(rows, mask)
    return frame


def rows(frame: pd.DataFrame) -> pd.DataFrame | None:
    """The rows of a processed table ``frame`` was computed from (see :func:`attach`), or None if not recorded."""
    ref = frame.attrs.get(ROWS_KEY)
    return ref.frame() if isinstance(ref, Rows) else None


def get(frame: pd.DataFrame) -> Provenance | None:
    """The provenance attached to a frame, or None."""
    data = frame.attrs.get(KEY)
    if not data:
        return None
    return Provenance(**{**data, "sources": tuple(data["sources"])})
