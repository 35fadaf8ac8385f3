"""What a report notebook calls: where its outputs go, the numbers it states, the figures it saves.

A report notebook creates one :class:`Report` after its parameters cell::

    report = analysis.reporting.Report("01-daily-briefing", parameters={"date": date, ...},
                                       report_dir=report_dir)

and then, for every number an article may quote::

    report.state("civilians_killed", 1, "In Kramatorsk, 1 civilian was killed.",
                 definition="Civilians killed in civilian-harm incidents ...")

which prints the sentence and records name, value, definition, parameters and
provenance in the report's ``numbers.json``, so a fact-checker can trace every
number.  ``report.figure(fig, "attacks-per-day", data)`` saves the figure with
:func:`analysis.plots.save_figure` into ``figures/`` and shows the saved PNG
(the exact bytes that were published).

Under ``analysis report`` the runner passes ``report_dir``; run interactively in
JupyterLab (``report_dir = ""``), outputs go to ``reports/<notebook>/interactive/``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from analysis import config, provenance, storage

NUMBERS_FILE = "numbers.json"
FIGURES_DIR = "figures"


def _plain(value):
    """JSON-ready plain Python values (numpy/pandas scalars, NA, timestamps)."""
    if value is None or (not isinstance(value, (list, tuple, dict, str)) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if hasattr(value, "item"):
        return value.item()
    return value


def _rows(frame: pd.DataFrame, mask) -> pd.DataFrame:
    """A subset with its own provenance (filtering would otherwise keep the whole frame's)."""
    subset = frame[mask].copy()
    kind = "Claims" if "count_date" in subset else "Events"
    start = "count_date" if kind == "Claims" else "event_date"
    end = "count_date" if kind == "Claims" else "event_end_date"
    return provenance.attach(subset, provenance.of_rows(subset, start, end, kind=kind))


class Report:
    """The outputs of one report run: stated numbers and saved figures."""

    def __init__(self, notebook: str, parameters: dict, report_dir: str | Path = "") -> None:
        self.notebook = notebook
        self.parameters = {k: _plain(v) for k, v in parameters.items()}
        self.dir = Path(report_dir) if str(report_dir) else config.REPORTS_DIR / notebook / "interactive"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.numbers: list[dict] = []
        self.figures: dict[str, dict] = {}
        self._write_numbers()

    # ------------------------------------------------------------ numbers
    def state(self, name: str, value, sentence: str, definition: str, *, data: pd.DataFrame | None = None,
              unit: str | None = None, is_reported_claim: bool = False, show: bool = True, **details) -> None:
        """Print ``sentence`` and record the number behind it in numbers.json.

        ``data`` is the table the number was computed from; its provenance
        (sources, dates, synthetic flag) is recorded with the number.  Names are
        unique within a report.
        """
        if any(n["name"] == name for n in self.numbers):
            raise ValueError(f"number {name!r} was already stated in this report")
        data = details.pop("data", data)
        prov = provenance.get(data) if data is not None else None
        entry = {"name": name, "value": _plain(value), "unit": unit, "sentence": sentence,
                 "definition": definition, "is_reported_claim": is_reported_claim,
                 "parameters": self.parameters,
                 "source": prov.source_line() if prov else None,
                 "is_synthetic": bool(prov and prov.is_synthetic),
                 **{k: _plain(v) for k, v in details.items()}}
        self.numbers.append(entry)
        self._write_numbers()
        if show:
            self._show_markdown(sentence + (" *(synthetic data)*" if entry["is_synthetic"] else ""))

    def state_incidents(self, incidents: pd.DataFrame, limit: int = 20) -> None:
        """One sentence per civilian-harm incident (killed and injured recorded as numbers).

        ``incidents`` comes from :func:`analysis.metrics.civilian_harm_incidents`.
        Unknown tolls are said to be unknown, never 0.
        """
        from analysis import wording

        for row in incidents.head(limit).itertuples():  # a briefing's handful of incidents
            place = row.settlement if isinstance(row.settlement, str) else (row.location or "an unnamed place")
            where = f"{place} ({row.admin1})" if isinstance(row.admin1, str) else place
            sentence = (f"On {wording.day(row.event_date)} in {where}, "
                        f"{wording.people(row.civilians_killed, 'civilian', 'killed')} and "
                        f"{wording.people(row.civilians_injured, 'civilian', 'injured')}"
                        f"{'' if not isinstance(row.weapon, str) else f' ({row.weapon})'}. "
                        f"Source: {row.source_name}.")
            details = {"event_id": row.event_id, "raw_file": row.raw_file, "raw_line": row.raw_line,
                       "data": _rows(incidents, incidents["event_id"] == row.event_id)}
            self.state(f"{row.event_id}:civilians_killed", row.civilians_killed, sentence,
                       "Civilians killed in this incident, as reported by its source (empty if not given).",
                       unit="people", **details)
            self.state(f"{row.event_id}:civilians_injured", row.civilians_injured, sentence,
                       "Civilians injured in this incident, as reported by its source (empty if not given).",
                       unit="people", show=False, **details)
        if len(incidents) > limit:
            self.note(f"... and {len(incidents) - limit} more incidents (all in the table below).")

    def state_claims(self, claims: pd.DataFrame) -> None:
        """One sentence per officially reported number, labelled as a claim and not a count of events."""
        from analysis import wording

        for row in claims.itertuples():
            claimant = row.claimant if row.claimant.lower().startswith("the ") else f"The {row.claimant}"
            sentence = (f"{claimant} reported {row.value:,} {row.metric.replace('_', ' ')} on "
                        f"{wording.day(row.count_date)} (a reported claim, not a count of events; "
                        f"source: {row.source_name}).")
            self.state(f"claim:{row.metric}:{row.count_date:%Y-%m-%d}:{row.raw_line}", row.value, sentence,
                       f"Number claimed by {row.claimant}; not verified and not derived from events.",
                       data=_rows(claims, claims.index == row.Index), unit=row.metric.replace("_", " "),
                       is_reported_claim=True,
                       raw_file=row.raw_file, raw_line=row.raw_line)

    def _write_numbers(self) -> None:
        payload = {"notebook": self.notebook, "parameters": self.parameters, "numbers": self.numbers}
        storage.write_text(self.dir / NUMBERS_FILE, json.dumps(payload, indent=2, ensure_ascii=False) + "\n")

    # ------------------------------------------------------------ figures and text
    def figure(self, fig, name: str, data: pd.DataFrame | None = None, alt_text: str | None = None) -> None:
        """Save a figure (PNG, SVG, data CSV, alt text) under figures/ and show the saved PNG.

        The CSV holds the data the figure plots, unless ``data`` is given.  The
        paths written are kept in ``self.figures[name]``.
        """
        from analysis.plots import save_figure

        paths = save_figure(fig, self.dir / FIGURES_DIR / name, data=data, alt_text=alt_text)
        self.figures[name] = paths
        self._show_png(paths["png"], paths.get("alt"))

    def note(self, text: str) -> None:
        """Show a line of Markdown (for context that is not a stated number)."""
        self._show_markdown(text)

    @staticmethod
    def _show_markdown(text: str) -> None:
        try:
            from IPython.display import Markdown, display
        except ImportError:  # pragma: no cover - outside IPython
            print(text)
            return
        display(Markdown(text))

    @staticmethod
    def _show_png(path: Path, alt_path: Path | None) -> None:
        try:
            from IPython.display import Image, display
        except ImportError:  # pragma: no cover
            return
        display(Image(data=Path(path).read_bytes(), format="png"))
        if alt_path and Path(alt_path).exists():
            display({"text/plain": Path(alt_path).read_text(encoding="utf-8")}, raw=True)
