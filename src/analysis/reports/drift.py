"""Drift of published numbers: which numbers of a report no longer hold, and which events moved them.

``drift(report_dir)`` reruns the report's notebook with the parameters its
``run.json`` records, on the current data (or, with ``snapshots``, on a build
pinned to those snapshots, made in a temporary folder), into a temporary folder
beside the report (the published report is never touched), then compares the
two ``numbers.json`` number by number: old value, new value, delta.  For every
number whose rows differ it names the events behind the change, from the two
``evidence.parquet`` files (:mod:`analysis.reports.reporting`):

* ``added``: behind the number now, not before;
* ``removed``: behind it before, not now (and not deleted by the source);
* ``deleted``: removed because the source deleted the event (the build's
  ``deleted.csv``: the deletion record's file, line and snapshot);
* ``revised``: behind it before and now, with different published fields.

Every item names the event's ``raw_file``/``raw_line``; an event whose fields
changed also carries ``fields`` (the names) and ``old``/``new`` (file, line
and the values of those fields on each side), whichever list it is in (a
revision can move an event into or out of a number).

It writes ``drift.json`` and ``drift.html`` beside the report (atomically;
the same drift gives the same bytes: no times, no temporary paths).
``Drift.changed`` is true when a value changed or a number appeared or
disappeared; ``analysis drift`` exits 0 when nothing changed, 1 when something did.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import config, storage
from analysis.build import build
from analysis.build.snapshots import parse_pins
from analysis.errors import AnalysisError, ParameterError
from analysis.metrics import loaders
from analysis.reports import DEFAULT_TIMEOUT_S, resolve_notebook, run_report
from analysis.reports.drift_html import drift_html
from analysis.reports.reporting import EVIDENCE_FILE, evidence_frame

DRIFT_JSON = "drift.json"
DRIFT_HTML = "drift.html"
DELETED_FILE = config.DELETED_FILE  # the build's list of events the sources deleted
CATEGORIES = ("added", "removed", "deleted", "revised")


class DriftError(AnalysisError):
    """The rerun of the report failed: nothing can be compared (exit 1, as a failed report)."""

    exit_code = 1


@dataclass
class Drift:
    """The comparison of a published report with its rerun (see the module docstring)."""

    report: str  # "<notebook>/<parameters>", the report folder's last two parts
    notebook: str
    parameters: dict
    numbers: list[dict]  # per number: name, unit, status, old, new, delta, sentences, events
    snapshots: dict  # {"old": {source: [stamp, ...]}, "new": ...}
    inputs: dict  # raw files whose sha256 changed, appeared or disappeared
    evidence_recorded: bool  # the published report recorded its evidence (reports made before drift did not)

    @property
    def changed(self) -> bool:
        return any(n["status"] != "unchanged" for n in self.numbers)

    def to_json(self) -> dict:
        return {"report": self.report, "notebook": self.notebook, "parameters": self.parameters,
                "changed": self.changed, "snapshots": self.snapshots, "inputs": self.inputs,
                "evidence_recorded": self.evidence_recorded, "numbers": self.numbers}


def drift(report_dir: Path, snapshots: dict[str, str] | None = None, *, timeout_s: float | None = None,
          write: bool = True) -> Drift:
    """Rerun the report in ``report_dir`` and compare its numbers (see the module docstring).

    ``snapshots`` ({source: stamp}) pins the data to those snapshot chain ends.
    Raises :class:`ParameterError` (exit 2) when ``report_dir`` is not a report
    folder or its notebook is unknown, :class:`DriftError` (exit 1) when the rerun fails.
    """
    report_dir = Path(report_dir).resolve()
    run, published = _published(report_dir)
    notebook = resolve_notebook(run["notebook"])
    with _data(snapshots), tempfile.TemporaryDirectory(prefix=".drift-", dir=report_dir.parent) as tmp:
        result = run_report(notebook, run["parameters"], reports_root=Path(tmp), write_index=False,
                            timeout_s=timeout_s or DEFAULT_TIMEOUT_S)
        if not result.ok:
            raise DriftError(f"the rerun of {notebook.stem} failed: {result.error}")
        rerun = _read_json(result.report_dir / config.RUN_FILE)
        now = _read_json(result.report_dir / config.NUMBERS_FILE)
        old_evidence = _evidence(report_dir)
        events = _events_behind(old_evidence, _evidence(result.report_dir), _build_dir())  # while a pinned build exists
    numbers = [{**number, "events": events.get(number["name"]) if old_evidence is not None else None}
               for number in compare_numbers(published["numbers"], now["numbers"])]
    found = Drift(f"{report_dir.parent.name}/{report_dir.name}", notebook.stem, run["parameters"], numbers,
                  {"old": run.get("snapshots", {}), "new": rerun.get("snapshots", {})},
                  _inputs(run.get("inputs", []), rerun.get("inputs", [])), old_evidence is not None)
    if write:
        storage.write_json(report_dir / DRIFT_JSON, found.to_json())
        storage.write_text(report_dir / DRIFT_HTML, drift_html(found.to_json()))
    return found


# ---------------------------------------------------------------- the published report and the data
def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParameterError(f"cannot read {path}: {exc}") from None


def _published(report_dir: Path) -> tuple[dict, dict]:
    """(run.json, numbers.json) of a report folder; a folder without them is a usage error."""
    missing = [name for name in (config.RUN_FILE, config.NUMBERS_FILE) if not (report_dir / name).is_file()]
    if missing:
        raise ParameterError(f"{report_dir} is not a report folder (no {' or '.join(missing)}); give a folder "
                             f"such as {config.REPORTS_DIR}/<notebook>/<parameters>")
    run, numbers = _read_json(report_dir / config.RUN_FILE), _read_json(report_dir / config.NUMBERS_FILE)
    if not isinstance(run.get("notebook"), str) or not isinstance(run.get("parameters"), dict) \
            or not isinstance(numbers.get("numbers"), list):
        raise ParameterError(f"{report_dir}: run.json or numbers.json is not a report's record")
    return run, numbers


@contextlib.contextmanager
def _data(snapshots: dict[str, str] | None):
    """The data to rerun on: the current build, or a build pinned to ``snapshots`` in a temporary folder."""
    if not snapshots:
        yield
        return
    processed = Path(config.PROCESSED_DIR)
    was_set = "PROCESSED_DIR" in vars(config)  # else config resolves it when asked (environment, analysis.toml)
    tmp = Path(tempfile.mkdtemp(prefix=".drift-build-", dir=processed.parent))
    holder = tmp / "pin"
    try:
        build(config.RAW_DIR, tmp / "processed", snapshots=dict(snapshots), progress=False)
        # The rerun reads this build as it is: an unpinned load would rebuild it from the latest snapshots.
        holder.mkdir()
        storage.write_text(holder / loaders.PIN_FILE, f"{storage.current_generation(tmp / 'processed')}\n")
        loaders.pin_report(holder)
        config.PROCESSED_DIR = tmp / "processed"  # the rerun's kernel gets it through config.environment()
        try:
            yield
        finally:
            loaders.pin_report(tmp)  # no pin there: loads read the current build again
            if was_set:
                config.PROCESSED_DIR = processed
            else:
                del config.PROCESSED_DIR
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _build_dir() -> Path | None:
    return storage.current_generation(Path(config.PROCESSED_DIR))


def _evidence(report_dir: Path) -> pd.DataFrame | None:
    path = report_dir / EVIDENCE_FILE
    return pd.read_parquet(path) if path.is_file() else None


def _deleted(build_dir: Path | None) -> pd.DataFrame:
    """The build's deleted events (event_id, raw_file, raw_line, snapshot); none when it has no such file."""
    columns = ["event_id", "raw_file", "raw_line", "snapshot"]
    path = None if build_dir is None else build_dir / DELETED_FILE
    if path is None or not path.is_file():
        return pd.DataFrame(columns=columns)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False).reindex(columns=columns)
    frame["raw_line"] = pd.to_numeric(frame["raw_line"], errors="coerce").astype("Int64")
    return frame.drop_duplicates("event_id", keep="last")


def _inputs(old: list[dict], new: list[dict]) -> dict:
    before = {e["path"]: e["sha256"] for e in old}
    after = {e["path"]: e["sha256"] for e in new}
    return {"added": sorted(after.keys() - before.keys()), "removed": sorted(before.keys() - after.keys()),
            "changed": sorted(p for p in before.keys() & after.keys() if before[p] != after[p])}


# ---------------------------------------------------------------- numbers
def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def compare_numbers(old: list[dict], new: list[dict]) -> list[dict]:
    """Number by number (published order, then numbers that are new): status, old, new and delta.

    ``status`` is ``unchanged``, ``changed``, ``added`` (stated only now) or
    ``removed`` (stated only before); ``delta`` is new - old when both are numbers.
    """
    before = {n["name"]: n for n in old}
    after = {n["name"]: n for n in new}
    names = [*before, *(name for name in after if name not in before)]
    compared = []
    for name in names:  # a report states tens of numbers, not rows of data
        a, b = before.get(name), after.get(name)
        old_value, new_value = (a or {}).get("value"), (b or {}).get("value")
        status = ("added" if a is None else "removed" if b is None
                  else "unchanged" if old_value == new_value and type(old_value) is type(new_value) else "changed")
        delta = new_value - old_value if _is_number(old_value) and _is_number(new_value) else None
        compared.append({"name": name, "unit": (b or a).get("unit"), "status": status, "old": old_value,
                         "new": new_value, "delta": delta, "old_sentence": (a or {}).get("sentence"),
                         "new_sentence": (b or {}).get("sentence")})
    return compared


# ---------------------------------------------------------------- events
def _events_behind(old: pd.DataFrame | None, new: pd.DataFrame | None, build_dir: Path | None) -> dict[str, dict]:
    """Per number whose rows differ: {category: [items]} (see the module docstring)."""
    if old is None or new is None:  # a report made before reports recorded their evidence
        return {}
    pairs = old.merge(new, on=["number", "row_id"], how="outer", suffixes=("_old", "_new"), indicator=True)
    old_rows = _unique_rows(old)
    new_rows = _with_rows_left_out(_unique_rows(new), old_rows, build_dir)
    revisions = revised_fields(old_rows, new_rows)
    deleted = _deleted(build_dir).set_index("event_id")
    side = pairs["_merge"].astype(str)
    pairs["category"] = side.map({"right_only": "added", "left_only": "removed", "both": "revised"})
    pairs.loc[(side == "left_only") & pairs["row_id"].isin(deleted.index), "category"] = "deleted"
    keep = (side != "both") | pairs["row_id"].isin(revisions.index)
    pairs = pairs[keep].sort_values(["number", "category", "row_id"], kind="stable")
    behind: dict[str, dict] = {}
    for record in pairs.to_dict("records"):  # only the rows that differ: the events behind a change
        item = _item(record, revisions, deleted)
        behind.setdefault(record["number"], {c: [] for c in CATEGORIES})[record["category"]].append(item)
    return behind


def _unique_rows(evidence: pd.DataFrame) -> pd.DataFrame:
    return evidence.drop_duplicates("row_id").set_index("row_id")[["raw_file", "raw_line", "fields"]]


def _with_rows_left_out(new_rows: pd.DataFrame, old_rows: pd.DataFrame, build_dir: Path | None) -> pd.DataFrame:
    """The new rows, plus the current fields of events behind no number now but still in the build (revised out)."""
    missing = old_rows.index.difference(new_rows.index)
    if build_dir is None or missing.empty or not (build_dir / config.EVENTS_FILE).is_file():
        return new_rows
    events = pd.read_parquet(build_dir / config.EVENTS_FILE)
    found = events[events["event_id"].isin(missing)]
    return pd.concat([new_rows, evidence_frame(found).set_index("row_id")[["raw_file", "raw_line", "fields"]]])


def revised_fields(old_rows: pd.DataFrame, new_rows: pd.DataFrame) -> pd.DataFrame:
    """Rows on both sides whose published fields differ: ``fields`` (names), and each side's values of them.

    Indexed by row id; columns ``fields``, ``old_values``, ``new_values``.
    """
    both = old_rows.join(new_rows, how="inner", suffixes=("_old", "_new"))
    both = both[both["fields_old"] != both["fields_new"]]
    if both.empty:
        return pd.DataFrame(columns=["fields", "old_values", "new_values"])
    a = pd.DataFrame(list(map(json.loads, both["fields_old"])), index=both.index, dtype=object)
    b = pd.DataFrame(list(map(json.loads, both["fields_new"])), index=both.index, dtype=object)
    columns = a.columns.union(b.columns, sort=False)
    a, b = a.reindex(columns=columns), b.reindex(columns=columns)
    differs = ~((a == b) | (a.isna() & b.isna()))
    marked = differs.to_numpy() * (pd.Index(columns).astype(str) + "\x1f").to_numpy(object)  # "" where equal
    names = pd.Series(marked.sum(axis=1), index=both.index).str.rstrip("\x1f").str.split("\x1f")
    return pd.DataFrame({
        "fields": names,
        "old_values": [dict(zip(f, a.loc[i, f].tolist())) for i, f in names.items()],
        "new_values": [dict(zip(f, b.loc[i, f].tolist())) for i, f in names.items()],
    }, index=both.index).assign(old_file=both["raw_file_old"], old_line=both["raw_line_old"],
                                new_file=both["raw_file_new"], new_line=both["raw_line_new"])


def _line(value) -> int | None:
    return None if pd.isna(value) else int(value)


def _item(record: dict, revisions: pd.DataFrame, deleted: pd.DataFrame) -> dict:
    """One event behind a number's change, as drift.json lists it."""
    side = "new" if record["category"] == "added" else "old"
    item = {"id": record["row_id"], "raw_file": record[f"raw_file_{side}"], "raw_line": _line(record[f"raw_line_{side}"])}
    if record["category"] == "deleted":
        gone = deleted.loc[record["row_id"]]
        item["deletion"] = {"raw_file": gone["raw_file"], "raw_line": _line(gone["raw_line"]),
                            "snapshot": gone["snapshot"]}
    if record["row_id"] in revisions.index:
        change = revisions.loc[record["row_id"]]
        item["fields"] = list(change["fields"])
        item["old"] = {"raw_file": change["old_file"], "raw_line": _line(change["old_line"]),
                       "values": change["old_values"]}
        item["new"] = {"raw_file": change["new_file"], "raw_line": _line(change["new_line"]),
                       "values": change["new_values"]}
    return item


# ---------------------------------------------------------------- the terminal
def terminal_table(found: Drift):
    """A rich table of the numbers that changed or whose events changed (all of them when few)."""
    from rich.table import Table

    table = Table(title=f"drift of {found.report}", title_justify="left")
    for column in ("number", "old", "new", "delta", "status", "events behind the change"):
        table.add_column(column, justify="right" if column in ("old", "new", "delta") else "left",
                         overflow="fold", ratio=3 if column.startswith("events") else None)
    for number in found.numbers:
        if number["status"] == "unchanged" and not number["events"]:
            continue
        events = number["events"] or {}
        summary = "; ".join(f"{c}: {', '.join(_named(i) for i in events[c])}" for c in CATEGORIES if events.get(c))
        if number["events"] is None:
            summary = "not recorded in the published report"
        table.add_row(number["name"], _shown(number["old"]), _shown(number["new"]), _shown(number["delta"], "+"),
                      number["status"], summary)
    return table


def _named(item: dict) -> str:
    """An event id, with the fields that changed when it was revised."""
    return f"{item['id']} ({', '.join(item['fields'])})" if item.get("fields") else item["id"]


def _shown(value, sign: str = "") -> str:
    if value is None:
        return "unknown" if not sign else ""
    return f"{value:{sign},}" if isinstance(value, int) else f"{value:{sign}}"
