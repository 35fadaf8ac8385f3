"""What a report notebook calls: where its outputs go, the numbers it states, the figures it saves.

A report notebook creates one :class:`Report` after its parameters cell::

    report = Report.for_run(report_dir)

which takes the notebook's name and its declared parameters' values from the
run (:meth:`Report.for_run`), so the notebook writes neither a second time;
``Report(name, parameters, report_dir)`` states them explicitly (scripts, tests);

and then, for every number an article may quote::

    report.state("civilians_killed", 1, "In Kramatorsk, 1 civilian was killed.",
                 definition="Civilians killed in civilian-harm incidents ...")

which prints the sentence and records name, value, definition, parameters and
provenance in the report's ``numbers.json``, so a fact-checker can trace every
number.  The rows of the processed tables a number was computed from (those
the metric behind ``data`` counted, :func:`analysis.metrics.provenance.rows`)
go to the report's ``evidence.parquet``, one row per number and row: ``number``,
``row_id`` (the event id; for daily counts ``<dataset>:<raw_file>:<raw_line>:<metric>``),
``raw_file``, ``raw_line`` and ``fields`` (the row's other published fields as
JSON), sorted by number and id; the number's entry says how many
(``"evidence": {"file": "evidence.parquet", "rows": n}``, or ``null`` when no
rows are recorded).  ``analysis drift`` compares them to name the events
behind a change (:mod:`analysis.reports.drift`).  ``report.figure(fig, "attacks-per-day", data)`` saves the figure with
:func:`analysis.plots.save_figure` into ``figures/`` and shows the saved PNG
(the exact bytes that were published), with its alt text in the image's
``alt`` attribute.  ``report.table(frame)`` shows a table for readers.

Sentences and notes are plain text: whatever they contain (a place name or a
source from the data, a parameter) is shown literally, never as Markdown or
HTML (:mod:`analysis.escaping`).

Under ``analysis report`` the runner passes ``report_dir``; run interactively in
JupyterLab (``report_dir = ""``), outputs go to ``reports/<notebook>/interactive/``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from analysis import config, escaping, storage, wording
from analysis.metrics.loaders import pin_report
from analysis.reports import parameters
from analysis.metrics import provenance

FIGURES_DIR = "figures"
EVIDENCE_FILE = "evidence.parquet"
EVIDENCE_COLUMNS = ["number", "row_id", "raw_file", "raw_line", "fields"]


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
        pin_report(self.dir)  # under the runner: read the build run.json records
        self.numbers: list[dict] = []
        self.figures: dict[str, dict] = {}
        self._evidence: list[pd.DataFrame] = []
        self._last_rows: tuple = (None, None)  # (Rows reference, its evidence): numbers stated from one table
        self._write_numbers()
        self._write_evidence()

    @classmethod
    def for_run(cls, report_dir: str | Path = "") -> Report:
        """The report of the notebook that calls this, named after its file, with its declared parameters' values.

        Under ``analysis report`` the runner tells both through ``report_dir``
        (:func:`analysis.reports.parameters.run_parameters`: the checked values).  Run
        interactively (``report_dir = ""``), the notebook is the one the kernel's
        Jupyter session names (``__session__``; VS Code: ``__vsc_ipynb_file__``)
        and the values are those its declared parameters hold in the kernel.
        """
        told = parameters.run_parameters(report_dir) if str(report_dir) else None
        return cls(*(told or _interactive_run()), report_dir)

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
        prov = provenance.get(data) if data is not None else None
        traced = provenance.rows(data) if data is not None else None
        entry = {"name": name, "value": _plain(value), "unit": unit, "sentence": sentence,
                 "definition": definition, "is_reported_claim": is_reported_claim,
                 "parameters": self.parameters,
                 "source": prov.source_line() if prov else None,
                 "is_synthetic": bool(prov and prov.is_synthetic),
                 "evidence": None if traced is None else {"file": EVIDENCE_FILE, "rows": len(traced)},
                 **{k: _plain(v) for k, v in details.items()}}
        self.numbers.append(entry)
        self._write_numbers()
        if traced is not None:
            ref = data.attrs.get(provenance.ROWS_KEY)
            if self._last_rows[0] is not ref:
                self._last_rows = (ref, evidence_frame(traced))
            self._evidence.append(self._last_rows[1].assign(number=name)[EVIDENCE_COLUMNS])
            self._write_evidence()
        if show:
            synthetic = entry["is_synthetic"]
            self._show_markdown(escaping.markdown(sentence) + (" *(synthetic data)*" if synthetic else ""),
                                sentence + (" (synthetic data)" if synthetic else ""))

    def state_incidents(self, incidents: pd.DataFrame, limit: int = 20) -> None:
        """One sentence per civilian-harm incident (killed and injured recorded as numbers).

        ``incidents`` comes from :func:`analysis.metrics.civilian_harm_incidents`.
        Unknown tolls are said to be unknown, never 0.
        """
        for row in incidents.head(limit).itertuples():  # a briefing's handful of incidents
            place = next((name for name in (row.settlement, row.location) if isinstance(name, str) and name),
                         "an unnamed place")  # a missing name is NaN in a str column, never text
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
            more = len(incidents) - limit
            self.note(f"... and {more} more {'incident' if more == 1 else 'incidents'} (all in the table below).")

    def state_claims(self, claims: pd.DataFrame) -> None:
        """One sentence per officially reported number, labelled as a claim and not a count of events.

        Each is named after its source row ('claim:<metric>:<day>:<raw_file>:<raw_line>'), so the
        same claim coded in two files is stated twice, each with its own source.
        """
        for row in claims.itertuples():
            claimant = row.claimant if row.claimant.lower().startswith("the ") else f"The {row.claimant}"
            sentence = (f"{claimant} reported {row.value:,} {row.metric.replace('_', ' ')} on "
                        f"{wording.day(row.count_date)} (a reported claim, not a count of events; "
                        f"source: {row.source_name}).")
            self.state(f"claim:{row.metric}:{row.count_date:%Y-%m-%d}:{row.raw_file}:{row.raw_line}", row.value, sentence,
                       f"Number claimed by {row.claimant}; not verified and not derived from events.",
                       data=_rows(claims, claims.index == row.Index), unit=row.metric.replace("_", " "),
                       is_reported_claim=True,
                       raw_file=row.raw_file, raw_line=row.raw_line)

    def _write_numbers(self) -> None:
        payload = {"notebook": self.notebook, "parameters": self.parameters, "numbers": self.numbers}
        storage.write_text(self.dir / config.NUMBERS_FILE, json.dumps(payload, indent=2, ensure_ascii=False) + "\n")

    def _write_evidence(self) -> None:
        frames = self._evidence or [pd.DataFrame({c: pd.Series(dtype="int64" if c == "raw_line" else "str")
                                                  for c in EVIDENCE_COLUMNS})]
        storage.write_parquet(self.dir / EVIDENCE_FILE, pd.concat(frames, ignore_index=True))

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
        """Show a line of plain text (context that is not a stated number), escaped like sentences."""
        self._show_markdown(escaping.markdown(text), text)

    def table(self, frame: pd.DataFrame, limit: int = 200) -> None:
        """Show a table for readers: no bare index, 'unknown' for missing values, text escaped.

        A named index becomes a column; at most ``limit`` rows are shown, with
        a line saying how many were left out.
        """
        _display({"text/html": table_html(frame, limit), "text/plain": frame.head(limit).to_string()})

    @staticmethod
    def _show_markdown(markdown: str, plain: str) -> None:
        """Display Markdown whose data parts are already escaped (:func:`analysis.escaping.markdown`)."""
        _display({"text/markdown": markdown, "text/plain": plain})

    @staticmethod
    def _show_png(path: Path, alt_path: Path | None) -> None:
        alt = escaping.plain(Path(alt_path).read_text(encoding="utf-8")) if alt_path and Path(alt_path).exists() else ""
        _display({"text/html": figure_html(Path(path).read_bytes(), alt), "text/plain": alt or "(figure)"})


def evidence_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """``row_id``, ``raw_file``, ``raw_line`` and ``fields`` (the other columns as JSON) of processed-table rows, by id.

    Events are named by ``event_id``; daily counts, which have no id, by
    ``<source_dataset>:<raw_file>:<raw_line>:<metric>``.
    """
    if "event_id" in rows:
        ids = rows["event_id"].astype("str")
    else:
        ids = (rows["source_dataset"].astype("str") + ":" + rows["raw_file"].astype("str") + ":"
               + rows["raw_line"].astype("str") + ":" + rows["metric"].astype("str"))
    rest = rows.drop(columns=[c for c in ("event_id", "raw_file", "raw_line") if c in rows]).reset_index(drop=True)
    text = rest.to_json(orient="records", lines=True, date_format="iso", date_unit="s") if len(rest) else ""
    frame = pd.DataFrame({"row_id": ids.to_numpy(), "raw_file": rows["raw_file"].astype("str").to_numpy(),
                          "raw_line": rows["raw_line"].to_numpy("int64"),
                          "fields": text.rstrip("\n").split("\n") if len(rest) else []})  # JSON escapes newlines
    frame = frame.astype({"row_id": "str", "raw_file": "str", "fields": "str"})
    return frame.sort_values("row_id", kind="stable").reset_index(drop=True)


def _interactive_run() -> tuple[str, dict]:
    """(notebook name, values of its declared parameters) of the notebook this kernel runs, as far as it is known."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - outside IPython
        return "notebook", {}
    namespace = getattr(get_ipython(), "user_ns", {})
    session = namespace.get("__session__") or namespace.get("__vsc_ipynb_file__")
    if not session:
        return "notebook", {}
    path = next((p for p in (Path(session), config.NOTEBOOKS_DIR / Path(session).name) if p.is_file()), None)
    if path is None:
        return Path(session).stem, {}
    declared = [p.name for p in parameters.notebook_parameters(path) if p.name not in parameters.RESERVED]
    return path.stem, {name: namespace[name] for name in declared if name in namespace}


def _display(bundle: dict) -> None:
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - outside IPython
        print(bundle["text/plain"])
        return
    display(bundle, raw=True)


# ---------------------------------------------------------------- HTML for figures and tables
_CSS_PX_PER_PNG_PX = 96 / 200  # figures are saved at 200 dpi; CSS pixels are 1/96 inch


def figure_html(png: bytes, alt: str) -> str:
    """The PNG embedded in an <img> with ``alt`` as its alt text, and the same text in a closed <details>."""
    import base64

    width = round(int.from_bytes(png[16:20], "big") * _CSS_PX_PER_PNG_PX)  # IHDR width
    text = escaping.html(alt)
    return (f'<figure class="analysis-figure" style="margin:0">'
            f'<img src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}" alt="{text}" '
            f'width="{width}" style="max-width:100%;height:auto">'
            f'<figcaption><details class="analysis-alt"><summary>Description of the chart</summary>'
            f'<p>{text}</p></details></figcaption></figure>')


def _cell(value) -> str:
    """One table cell as escaped text: 'unknown' for missing, dates without midnight, numbers with commas."""
    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return "unknown"
    if isinstance(value, pd.Timestamp):
        value = value.strftime("%Y-%m-%d") if value == value.normalize() else value.strftime("%Y-%m-%d %H:%M")
    elif isinstance(value, bool) or hasattr(value, "dtype") and value.dtype == bool:
        value = "yes" if value else "no"
    elif isinstance(value, int) or hasattr(value, "dtype") and value.dtype.kind in "iu":
        value = f"{int(value):,}"
    elif isinstance(value, float) or hasattr(value, "dtype") and value.dtype.kind == "f":
        value = f"{float(value):,.0f}" if float(value).is_integer() else f"{float(value):,.3g}"
    return escaping.html(escaping.plain(value))


def _column_class(column: pd.Series) -> str:
    """'number' (right-aligned), 'date' (never broken at its hyphens) or 'text'."""
    if pd.api.types.is_bool_dtype(column.dtype):
        return "text"
    if pd.api.types.is_numeric_dtype(column.dtype):
        return "number"
    return "date" if pd.api.types.is_datetime64_any_dtype(column.dtype) else "text"


def table_html(frame: pd.DataFrame, limit: int = 200) -> str:
    """A frame as an HTML table for readers (see :meth:`Report.table`); every header and cell escaped."""
    named = any(name is not None for name in frame.index.names)
    shown = (frame.reset_index() if named else frame.reset_index(drop=True)).head(limit)
    kinds = [_column_class(shown[c]) for c in shown.columns]
    header = "".join(f'<th class="{k}">{escaping.html(escaping.plain(str(c).replace("_", " ")))}</th>'
                     for c, k in zip(shown.columns, kinds))
    cells = shown.astype(object).map(_cell) if len(shown.columns) else shown
    body = "".join("<tr>" + "".join(f'<td class="{k}">{v}</td>' for v, k in zip(row, kinds)) + "</tr>"
                   for row in cells.itertuples(index=False))  # a table for readers: at most `limit` rows
    more = (f'<p class="analysis-more">First {limit:,} of {len(frame):,} rows.</p>' if len(frame) > limit else "")
    return (f'<div class="analysis-table" style="overflow-x:auto"><table><thead><tr>{header}</tr></thead>'
            f"<tbody>{body}</tbody></table>{more}</div>")
