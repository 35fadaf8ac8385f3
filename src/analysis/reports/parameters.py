"""Report parameters: what a notebook declares, and checking given values against the declaration.

A report notebook declares its parameters in its one cell tagged
``parameters``, one per line, and nowhere else::

    date: str = "2023-03-14"  # day of the briefing, YYYY-MM-DD; check: day(events)
    window_days: int = 7  # days covered, ending on `date`; check: window(date)
    report_dir: str = ""  # where outputs go; set by `analysis report`

that is ``name: type = default  # help; check: kind(argument), ...``.  The
type (str, int, float or bool) says what a value is; each check names one of
the kinds in :data:`KINDS` below, which say what a value means and which values
are allowed.  The runner reads the declaration without running the notebook
(:func:`notebook_parameters`) and checks given values from it alone
(:func:`check_parameters`): a new parameter, or a new notebook, needs no change
here unless it needs a new kind of check.  ``report_dir`` (:data:`RESERVED`) is
set by the runner, never by users.

The kinds of check:

* ``day(table)``: a day written ``YYYY-MM-DD`` (a YAML date too) inside the
  coverage the build recorded for ``table`` (``events``, ``air_attacks`` or
  ``claims``; default ``events``);
* ``not_before(other)``: a day not before the day parameter ``other``;
* ``days``: a whole number of days >= 1;
* ``window(other)``: a number of days (as ``days``) whose window, ending on the
  day parameter ``other``, lies inside that day's coverage;
* ``place``: a settlement (or location as written) present in the processed events;
* ``oblast``: an oblast present in the processed events, or ``""`` (also
  written ``all``) for all;
* ``one_of(a, b, ...)``: one of the values listed;
* ``grouping``: a column the metrics can break events down by
  (:data:`analysis.metrics.GROUPABLE`).

Checked values are canonical (days as ``YYYY-MM-DD``, every oblast as ``""``).
Checks of the form of a value come first, then checks between parameters, then
the checks against the data (which read the manifest and the events only then).
A refusal is a :class:`ParameterError` naming each parameter, value and rule,
followed by the notebook's parameters.
"""

from __future__ import annotations

import ast
import io
import json
import math
import re
import tokenize
from dataclasses import dataclass
from datetime import date, datetime, time as clock, timedelta
from pathlib import Path
from typing import Callable

from analysis import storage
from analysis.errors import ParameterError

RESERVED = ("report_dir",)  # set by the runner, not by users
_TYPES = {"str": str, "int": int, "float": float, "bool": bool}
_CHECK_MARK = re.compile(r"^(?P<help>.*?)\s*(?:(?:^|;)\s*check:\s*(?P<checks>.*))?$")
_CLAUSE = re.compile(r"\s*(?P<kind>\w+)\s*(?:\((?P<args>[^()]*)\))?\s*(?:,|$)")


# ---------------------------------------------------------------- what a notebook declares
@dataclass(frozen=True)
class Check:
    """One declared check of a parameter: a kind from :data:`KINDS` and its arguments."""

    kind: str
    args: tuple[str, ...] = ()

    def rule(self) -> str:
        return KINDS[self.kind].rule(self.args)


@dataclass(frozen=True)
class NotebookParameter:
    name: str
    type_name: str  # str, int, float or bool
    default: object
    help: str
    checks: tuple[Check, ...] = ()

    def describe(self) -> str:
        rules = "; ".join(check.rule() for check in self.checks)
        text = f"{self.name} ({self.type_name}, default {self.default!r}): {self.help}"
        return f"{text} [{rules}]" if rules else text

    def check(self, kind: str) -> Check | None:
        return next((c for c in self.checks if c.kind == kind), None)


def read_notebook(path: Path):
    """The notebook as an nbformat node (read, never executed)."""
    import nbformat

    try:
        return nbformat.read(Path(path), as_version=4)
    except (OSError, ValueError) as exc:
        raise ParameterError(f"cannot read notebook {path}: {exc}") from None


def notebook_title(nb, fallback: str) -> str:
    """A notebook's title: the text of its first ``# `` heading (the one place it is written), else ``fallback``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            return cell.source.splitlines()[0][2:].strip()
    return fallback


def parameters_cell(nb, name: str):
    """The one cell tagged 'parameters'."""
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ParameterError(f"{name}: expected one cell tagged 'parameters', found {len(cells)}")
    return cells[0]


def notebook_parameters(path: Path, nb=None) -> list[NotebookParameter]:
    """The typed, checked parameters declared in the cell tagged 'parameters' (see the module's docstring)."""
    path = Path(path)
    source = parameters_cell(read_notebook(path) if nb is None else nb, path.name).source
    comments = _line_comments(source)
    params = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name, type_name = node.target.id, ast.unparse(node.annotation)
            if type_name not in _TYPES:
                raise ParameterError(f"{path.name}: parameter {name} has type {type_name}; "
                                     f"use one of {', '.join(_TYPES)}")
            marked = _CHECK_MARK.match(comments.get(node.lineno, ""))
            params.append(NotebookParameter(name, type_name, ast.literal_eval(node.value), marked["help"],
                                            _clauses(marked["checks"], f"{path.name}: parameter {name}")))
    _check_declaration(params, path.name)
    return params


def _line_comments(source: str) -> dict[int, str]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {tok.start[0]: tok.string.lstrip("# ").strip() for tok in tokens if tok.type == tokenize.COMMENT}


def _clauses(text: str | None, where: str) -> tuple[Check, ...]:
    """``kind, kind(arg), kind(a, b)`` as checks."""
    if text is None:
        return ()
    checks, position = [], 0
    while position < len(text):
        clause = _CLAUSE.match(text, position)
        if not clause or clause.end() == position:
            raise ParameterError(f"{where}: cannot read the check {text!r}; write kind or kind(argument), ...")
        args = tuple(a.strip() for a in clause["args"].split(",")) if clause["args"] else ()
        checks.append(Check(clause["kind"], args))
        position = clause.end()
    return tuple(checks)


def _check_declaration(params: list[NotebookParameter], notebook: str) -> None:
    """Checks that name a known kind, fit the parameter's type and have the arguments their kind takes."""
    declared = {p.name: p for p in params}
    for param in params:
        for check in param.checks:
            kind = KINDS.get(check.kind)
            problem = (f"no such kind of check; known: {', '.join(KINDS)}" if kind is None else
                       f"applies to {' or '.join(kind.types)} parameters, not {param.type_name}"
                       if param.type_name not in kind.types else kind.arguments(check.args, param, declared))
            if problem:
                raise ParameterError(f"{notebook}: parameter {param.name}, check {check.kind}: {problem}")


# ---------------------------------------------------------------- the kinds of check
class _Data:
    """What the data checks compare with, read on first use: the build's coverage and the events' places."""

    def __init__(self, manifest: dict | None, places) -> None:
        self._manifest, self._places, self._coverage = manifest, places, {}

    def coverage(self, table: str) -> tuple:
        if table not in self._coverage:
            if self._manifest is None:
                from analysis.metrics.loaders import load_manifest

                self._manifest = load_manifest(build=False)
            self._coverage[table] = coverage(table, self._manifest)
        return self._coverage[table]

    def places(self):
        if self._places is None:
            from analysis.metrics.loaders import load_events

            self._places = load_events(["settlement", "location", "admin1"]).drop_duplicates()
        return self._places


@dataclass(frozen=True)
class _Run:
    """One check of given values: the declared parameters, the values so far and the data."""

    declared: dict
    values: dict
    data: _Data

    def day_table(self, name: str) -> str:
        """The table whose coverage the day parameter ``name`` must lie in."""
        return _table(self.declared[name].check("day").args)


@dataclass(frozen=True)
class Kind:
    """A kind of check.  Each step, ``step(name, value, args, run)``, returns a problem or None.

    A problem names the parameter, the value and the rule.  ``form`` looks at the
    value alone; ``relation`` compares it with other parameters' values; ``data``
    with the data (``run.data``).  ``canonical`` gives a value one spelling per
    meaning.  ``takes`` says what the arguments in ``kind(...)`` are: nothing,
    a ``table``, the name of a ``day`` parameter, or the allowed ``values``.
    """

    types: tuple[str, ...]
    rule: Callable[[tuple], str]
    takes: str = ""
    form: Callable | None = None
    relation: Callable | None = None
    data: Callable | None = None
    canonical: Callable | None = None

    def arguments(self, args: tuple, param: NotebookParameter, declared: dict) -> str | None:
        """What is wrong with a declaration's arguments for this kind, or None."""
        if self.takes == "table":
            wrong = len(args) > 1 or any(a not in _TABLE_WORDS for a in args)
            return f"takes one table of {', '.join(_TABLE_WORDS)}, not {', '.join(args)}" if wrong else None
        if self.takes == "day":
            wrong = len(args) != 1 or args[0] not in declared or not declared[args[0]].check("day")
            named = ", ".join(args) or "nothing"
            return f"takes the name of a parameter checked as a day, not {named}" if wrong else None
        if self.takes == "values":
            try:
                return None if args and all(_convert(a, param) is not None for a in args) else "lists no values"
            except ValueError as exc:
                return f"lists a value that does not fit: {exc}"
        return f"takes no arguments, not {', '.join(args)}" if args else None


def _parse_day(text: str) -> date | None:
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        return None


def _canonical_day(value: str) -> str:
    day = _parse_day(value)
    return day.isoformat() if day else value


def _not_a_day(name: str, value, args, run) -> str | None:
    return None if _parse_day(value) else f"{name}: {value!r} is not a date; write it as YYYY-MM-DD"


def _table(args: tuple) -> str:
    return args[0] if args else "events"


def _span(first, last, what: str) -> str:
    return f"the {what}' coverage ({first}..{last}); outside it there is no data, not zero"


def _outside_coverage(name: str, value, args, run: _Run) -> str | None:
    """Days outside the coverage are refused: there the data say nothing, which is not zero."""
    first, last, what = run.data.coverage(_table(args))
    if first is None:
        return f"there are no {what} in the data, so there is nothing to report on any day"
    day = _parse_day(value)
    return None if first <= day <= last else f"{name}: {day} is outside {_span(first, last, what)}"


def _before(name: str, value, args, run: _Run) -> str | None:
    other = run.values[args[0]]
    return f"{name} {value} is before {args[0]} {other}" if _parse_day(value) < _parse_day(other) else None


def _not_days(name: str, value, args, run) -> str | None:
    return None if value >= 1 else f"{name}: must be a whole number of days >= 1, not {value!r}"


def _window_outside(name: str, value, args, run: _Run) -> str | None:
    """The window of ``value`` days ending on the day parameter args[0] begins inside that day's coverage
    (a day that is itself outside is refused by its own check)."""
    end = _parse_day(run.values[args[0]])
    first, last, what = run.data.coverage(run.day_table(args[0]))
    if first is None or not first <= end <= last:
        return None
    opening = end - timedelta(days=value - 1)
    if opening >= first:
        return None
    return (f"{name}: the {value}-day window {opening}..{end} begins before {_span(first, last, what)}; "
            "choose a later date or fewer days")


def _not_a_place(name: str, value, args, run: _Run) -> str | None:
    places = run.data.places()
    known = set(places["settlement"].dropna()) | set(places["location"].dropna())
    if value in known:
        return None
    close = sorted(n for n in known if str(value).lower()[:4] in n.lower())[:5]
    return f"{name}: {value!r} is not a place in the data" + (f" (did you mean {', '.join(close)}?)" if close else "")


_ALL_OBLASTS = ("", "all", "''", '""')  # "" and the ways it gets written on command lines and in grid files


def _canonical_oblast(value: str) -> str:
    return "" if value.strip().lower() in _ALL_OBLASTS else value


def _not_an_oblast(name: str, value, args, run: _Run) -> str | None:
    known = set(run.data.places()["admin1"].dropna())
    if not value or value in known:
        return None
    return f"{name}: {value!r} is not an oblast in the data; known: {', '.join(sorted(known))}"


def _not_listed(name: str, value, options) -> str | None:
    return None if value in options else f"{name}: {value!r} is not one of {', '.join(map(str, options))}"


def _groupable() -> tuple[str, ...]:
    from analysis.metrics import GROUPABLE  # the metrics' own list; imported only when a grouping is checked

    return GROUPABLE


_TABLE_WORDS = {"events": "events", "air_attacks": "Air Force reports", "claims": "claims"}

KINDS: dict[str, Kind] = {
    "day": Kind(("str",), lambda a: f"a day YYYY-MM-DD inside the {_TABLE_WORDS[_table(a)]}' coverage", "table",
                form=_not_a_day, data=_outside_coverage, canonical=_canonical_day),
    "not_before": Kind(("str",), lambda a: f"not before {a[0]}", "day", relation=_before),
    "days": Kind(("int",), lambda a: "a whole number of days >= 1", form=_not_days),
    "window": Kind(("int",), lambda a: f"a whole number of days >= 1 whose window ending on {a[0]} lies inside "
                                       "its coverage", "day", form=_not_days, data=_window_outside),
    "place": Kind(("str",), lambda a: "a settlement or location in the events", data=_not_a_place),
    "oblast": Kind(("str",), lambda a: 'an oblast in the events, or "" (also written all) for all',
                   data=_not_an_oblast, canonical=_canonical_oblast),
    "one_of": Kind(("str", "int"), lambda a: f"one of {', '.join(a)}", "values",
                   form=lambda name, value, args, run: _not_listed(name, value, [type(value)(a) for a in args])),
    "grouping": Kind(("str",), lambda a: f"one of {', '.join(_groupable())}",
                     form=lambda name, value, args, run: _not_listed(name, value, _groupable())),
}


# ---------------------------------------------------------------- checking given values
def check_parameters(path: Path, given: dict, events_columns=None, *, manifest: dict | None = None) -> dict:
    """Typed, checked, canonical parameter values (defaults filled in), or a ParameterError listing the parameters.

    Checks against the data use ``manifest`` (the build's coverage; read from
    data/processed when not given) and ``events_columns`` (settlement, location
    and admin1 of the events; loaded when a place is checked and not given).
    """
    path = Path(path)
    declared = {p.name: p for p in notebook_parameters(path) if p.name not in RESERVED}
    problems = [f"unknown parameter {name!r}" for name in given if name not in declared]
    values = {}
    for name, param in declared.items():
        try:
            values[name] = _canonical(param, _convert(given.get(name, param.default), param))
        except ValueError as exc:
            problems.append(f"{name}: {exc}")
    if not problems:
        problems = _problems(_Run(declared, values, _Data(manifest, events_columns)))
    if problems:
        listing = "\n  ".join(p.describe() for p in declared.values())
        raise ParameterError(f"{path.stem}: " + "; ".join(problems) + f"\nparameters of {path.stem}:\n  {listing}")
    return values


def _canonical(param: NotebookParameter, value):
    for check in param.checks:
        canonical = KINDS[check.kind].canonical
        value = canonical(value) if canonical else value
    return value


def _problems(run: _Run) -> list[str]:
    """The problems of the first step that finds any: each value's form, then relations, then the data."""
    for step in ("form", "relation", "data"):
        problems = []
        for name, param in run.declared.items():
            for check in param.checks:
                test = getattr(KINDS[check.kind], step)
                problem = test(name, run.values[name], check.args, run) if test else None
                if problem and problem not in problems:
                    problems.append(problem)
        if problems:
            return problems
    return []


def _convert(raw, param: NotebookParameter):
    """``raw`` (text from the command line, or a YAML/Python value) as the parameter's type."""
    kind = _TYPES[param.type_name]
    article = "an" if param.type_name == "int" else "a"
    if raw is None:
        raise ValueError('no value given (write "" for an empty text)')
    if isinstance(raw, (dict, list, tuple, set)):
        shape = "mapping" if isinstance(raw, dict) else "list"
        raise ValueError(f"{_shown(raw)} is a {shape}; give a single {param.type_name}")
    if isinstance(raw, date):  # an unquoted YAML date or date-time, or a Python date
        if kind is not str:
            raise ValueError(f"{raw} is a date, not {article} {param.type_name}")
        raw = date_text(raw)
    if isinstance(raw, kind) and not (kind is int and isinstance(raw, bool)):
        value = raw
    elif not isinstance(raw, str):
        if not (kind is float and isinstance(raw, int) and not isinstance(raw, bool)):
            raise ValueError(f"{_shown(raw)} is not {article} {param.type_name}")
        value = float(raw)
    elif kind is bool:
        text = raw.strip().lower()
        if text not in ("true", "yes", "1", "false", "no", "0"):
            raise ValueError(f"{raw!r} is not true/false")
        value = text in ("true", "yes", "1")
    else:
        try:
            value = raw if kind is str else kind(raw.strip())
        except ValueError:
            raise ValueError(f"{raw!r} is not {article} {param.type_name}") from None
    if kind is float and not math.isfinite(value):
        raise ValueError(f"{_shown(raw)} is not a finite number")
    return value


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def date_text(value) -> str:
    """'2023-03-10' for a date or a date-time at midnight; other date-times in ISO form (not a day)."""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == clock(0) and value.tzinfo is None else value.isoformat()
    return value.isoformat()


def coverage(table: str, manifest: dict) -> tuple:
    """(first day, last day, what) of a table's rows as the build recorded them in ``manifest``.

    First and last day are None when the table has no rows.  A manifest that
    does not record each input's table is read with the readers' tables.
    """
    from analysis.sources import READERS

    tables = {name: reader.target for name, reader in READERS.items()}
    tables.update({entry["format"]: entry["table"] for entry in manifest.get("inputs", []) if entry.get("table")})
    spans = [(c["first_date"], c["last_date"]) for c in manifest.get("coverage", [])
             if tables.get(c["source_dataset"]) == table]
    what = _TABLE_WORDS.get(table, table)
    if not spans:
        return None, None, what
    return date.fromisoformat(min(s for s, _ in spans)), date.fromisoformat(max(e for _, e in spans)), what


# ---------------------------------------------------------------- what a report knows of its run
RUN_PARAMETERS_FILE = ".parameters.json"  # in a report's folder while the runner runs it


def write_run_parameters(report_dir: Path, notebook: Path, values: dict) -> Path:
    """Tell the notebook, through its folder, which notebook runs with which checked values (see run_parameters)."""
    target = Path(report_dir) / RUN_PARAMETERS_FILE
    storage.write_json(target, {"notebook": Path(notebook).stem, "parameters": list(values.items())})  # in order
    return target


def run_parameters(report_dir: Path) -> tuple[str, dict] | None:
    """(notebook name, checked values) the runner wrote into ``report_dir``, or None outside the runner."""
    try:
        record = json.loads((Path(report_dir) / RUN_PARAMETERS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record["notebook"], dict(record["parameters"])
