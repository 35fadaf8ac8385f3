"""Report parameters: what a notebook declares, checking given values, and the report's folder name.

A report notebook declares its parameters in one cell tagged ``parameters``,
one per line as ``name: type = default  # help``.  :func:`check_parameters`
turns given values (command-line text, YAML values) into typed, canonical
values or raises a :class:`ParameterError` that lists the parameters; see
:mod:`analysis.reports` for the checks.  :func:`report_slug` names the folder.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

from analysis import config
from analysis.errors import ParameterError

RESERVED = ("report_dir",)  # set by the runner, not by users
_TYPES = {"str": str, "int": int, "float": float, "bool": bool}


# ---------------------------------------------------------------- what a notebook declares
@dataclass(frozen=True)
class NotebookParameter:
    name: str
    type_name: str  # str, int, float or bool
    default: object
    help: str

    def describe(self) -> str:
        return f"{self.name} ({self.type_name}, default {self.default!r}): {self.help}"


def notebook_parameters(path: Path) -> list[NotebookParameter]:
    """The typed parameters declared in the cell tagged 'parameters' (``name: type = value  # help``)."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ParameterError(f"{path.name}: expected one cell tagged 'parameters', found {len(cells)}")
    source = "".join(cells[0]["source"])
    comments = _line_comments(source)
    params = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            type_name = ast.unparse(node.annotation)
            if type_name not in _TYPES:
                raise ParameterError(f"{path.name}: parameter {node.target.id} has type {type_name}; "
                                     f"use one of {', '.join(_TYPES)}")
            params.append(NotebookParameter(node.target.id, type_name, ast.literal_eval(node.value),
                                            comments.get(node.lineno, "")))
    return params


def _line_comments(source: str) -> dict[int, str]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {tok.start[0]: tok.string.lstrip("# ").strip() for tok in tokens if tok.type == tokenize.COMMENT}


# ---------------------------------------------------------------- checking parameters
def check_parameters(path: Path, given: dict, events_columns=None, *, manifest: dict | None = None) -> dict:
    """Typed, checked, canonical parameter values (defaults filled in), or a ParameterError listing the parameters.

    Dates must lie inside the coverage the build recorded in ``manifest``
    (read from data/processed when not given), see :func:`date_coverage`.
    """
    declared = {p.name: p for p in notebook_parameters(path)}
    listing = "\n  ".join(p.describe() for p in declared.values() if p.name not in RESERVED)
    problems = []
    for name in given:
        if name not in declared or name in RESERVED:
            problems.append(f"unknown parameter {name!r}")
    values = {}
    for name, param in declared.items():
        if name in RESERVED:
            continue
        raw = given.get(name, param.default)
        try:
            values[name] = _canonical(name, _convert(raw, param))
        except ValueError as exc:
            problems.append(f"{name}: {exc}")
    if not problems:
        problems = _check_meaning(values, events_columns, lambda: date_coverage(path, manifest))
    if problems:
        raise ParameterError(f"{path.stem}: " + "; ".join(problems) + f"\nparameters of {path.stem}:\n  {listing}")
    return values


def _convert(raw, param: NotebookParameter):
    """``raw`` (text from the command line, or a YAML/Python value) as the parameter's type."""
    import math
    from datetime import date

    kind = _TYPES[param.type_name]
    if raw is None:
        raise ValueError('no value given (write "" for an empty text)')
    if isinstance(raw, (dict, list, tuple, set)):
        shape = "mapping" if isinstance(raw, dict) else "list"
        raise ValueError(f"{_shown(raw)} is a {shape}; give a single {param.type_name}")
    if isinstance(raw, date):  # an unquoted YAML date or date-time, or a Python date
        if kind is not str:
            raise ValueError(f"{raw} is a date, not a{'n' if param.type_name == 'int' else ''} {param.type_name}")
        raw = date_text(raw)
    if isinstance(raw, kind) and not (kind is int and isinstance(raw, bool)):
        value = raw
    elif not isinstance(raw, str):
        if not (kind is float and isinstance(raw, int) and not isinstance(raw, bool)):
            raise ValueError(f"{_shown(raw)} is not a{'n' if param.type_name == 'int' else ''} {param.type_name}")
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
            raise ValueError(f"{raw!r} is not a{'n' if param.type_name == 'int' else ''} {param.type_name}") from None
    if kind is float and not math.isfinite(value):
        raise ValueError(f"{_shown(raw)} is not a finite number")
    return value


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def date_text(value) -> str:
    """'2023-03-10' for a date or a date-time at midnight; other date-times in ISO form (not a day)."""
    from datetime import datetime, time as clock

    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == clock(0) and value.tzinfo is None else value.isoformat()
    return value.isoformat()


_ALL_OBLASTS = ("", "all", "''", '""')  # "" and the ways it gets written on command lines and in grid files


def _canonical(name: str, value):
    """One spelling per meaning, so that one report has one folder: days as YYYY-MM-DD, every oblast as ""."""
    if _is_date_name(name) and isinstance(value, str):
        day = _parse_day(value)
        return day.isoformat() if day else value
    if name == "oblast" and isinstance(value, str) and value.strip().lower() in _ALL_OBLASTS:
        return ""
    return value


def _is_date_name(name: str) -> bool:
    return name in ("date", "start", "end") or name.endswith("_date")


def _parse_day(text: str):
    from datetime import datetime

    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        return None


def _check_meaning(values: dict, events_columns, coverage=None) -> list[str]:
    problems, dates = [], {}
    for name, value in values.items():
        if _is_date_name(name):
            day = _parse_day(value) if isinstance(value, str) else None
            if day is None:
                problems.append(f"{name}: {value!r} is not a date; write it as YYYY-MM-DD")
            else:
                dates[name] = day
        elif name.endswith("_days") and (not isinstance(value, int) or value < 1):
            problems.append(f"{name}: must be a whole number of days >= 1, not {value!r}")
        elif name == "breakdown":
            from analysis.metrics import GROUPABLE

            if value not in GROUPABLE:
                problems.append(f"breakdown: {value!r} is not one of {', '.join(GROUPABLE)}")
    if "start" in dates and "end" in dates and dates["end"] < dates["start"]:
        problems.append(f"end {values['end']} is before start {values['start']}")
    if dates and not problems and coverage is not None:
        problems = _check_coverage(values, dates, *coverage())
    return problems + _check_places(values, events_columns)


# ---------------------------------------------------------------- dates and the data's coverage
COVERAGE_METADATA = "dates_cover"  # notebook metadata analysis.dates_cover: the table its dates refer to
_TABLE_WORDS = {"events": "events", "air_attacks": "Air Force reports", "claims": "claims"}


def date_coverage(path: Path, manifest: dict | None = None) -> tuple:
    """(first day, last day, what) of the data a notebook's dates refer to, as the build recorded it.

    The table is ``events`` unless the notebook's metadata names another
    (``{"analysis": {"dates_cover": "air_attacks"}}``); first and last day are
    None when that table has no rows.
    """
    from datetime import date

    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    table = nb.get("metadata", {}).get("analysis", {}).get(COVERAGE_METADATA, "events")
    if manifest is None:
        from analysis.loaders import load_manifest

        manifest = load_manifest(build=False)
    from analysis.sources import READERS

    tables = {name: reader.TARGET for name, reader in READERS.items()}
    tables.update({entry["format"]: entry["table"] for entry in manifest.get("inputs", []) if entry.get("table")})
    spans = [(c["first_date"], c["last_date"]) for c in manifest.get("coverage", [])
             if tables.get(c["source_dataset"]) == table]
    what = _TABLE_WORDS.get(table, table)
    if not spans:
        return None, None, what
    return date.fromisoformat(min(s for s, _ in spans)), date.fromisoformat(max(e for _, e in spans)), what


def _check_coverage(values: dict, dates: dict, first, last, what: str) -> list[str]:
    """Days outside the coverage are refused: there the data say nothing, which is not zero."""
    from datetime import timedelta

    if first is None:
        return [f"there are no {what} in the data, so there is nothing to report on any day"]
    span = f"the {what}' coverage ({first}..{last}); outside it there is no data, not zero"
    problems = [f"{name}: {day} is outside {span}" for name, day in dates.items() if not first <= day <= last]
    days = values.get("window_days")
    if not problems and "date" in dates and isinstance(days, int) and days >= 1:
        opening = dates["date"] - timedelta(days=days - 1)
        if opening < first:
            problems.append(f"window_days: the {days}-day window {opening}..{dates['date']} begins before {span}; "
                            "choose a later date or fewer days")
    return problems


def _check_places(values: dict, events_columns) -> list[str]:
    if "city" not in values and not values.get("oblast"):
        return []
    places = events_columns if events_columns is not None else _places_in_data()
    problems = []
    if "city" in values:
        known = set(places["settlement"].dropna()) | set(places["location"].dropna())
        if values["city"] not in known:
            close = sorted(n for n in known if str(values["city"]).lower()[:4] in n.lower())[:5]
            problems.append(f"city: {values['city']!r} is not a place in the data"
                            + (f" (did you mean {', '.join(close)}?)" if close else ""))
    if values.get("oblast") and values["oblast"] not in set(places["admin1"].dropna()):
        problems.append(f"oblast: {values['oblast']!r} is not an oblast in the data; "
                        f"known: {', '.join(sorted(set(places['admin1'].dropna())))}")
    return problems


def _places_in_data():
    from analysis.loaders import load_events

    return load_events(["settlement", "location", "admin1"]).drop_duplicates()


# ---------------------------------------------------------------- where a report goes
_SLUG_MAX_BYTES = 120  # the readable part; '~' and the hash follow (file names may have 255 bytes)
_HASH_CHARS = 16


def report_slug(values: dict) -> str:
    """The folder name of a report: one safe path component, distinct for distinct parameters.

    ``name=value`` parts in declaration order joined by ``_``
    ('date=2023-03-14_window_days=7_oblast=all'; "" is written 'all').  Values keep
    Unicode letters and digits and '_', '.', '-', '+'; anything else becomes '-'.
    Values hold no '=', so a notebook's names (identifiers, in a fixed order) and
    such values can be read back.  When the text does not give the parameters back
    exactly (another character, '..', a trailing '.', 'all' itself, a non-NFC
    spelling, a name longer than 120 bytes), '~' and a hash of the parameters
    follow, so distinct parameters of one notebook never share a folder.
    """
    import unicodedata

    if not values:
        return "default"
    parts, exact = [], True
    for name, value in values.items():
        name_text = "".join(ch if ch == "_" or _kept(ch) and ch not in ".-+" else "-"
                            for ch in unicodedata.normalize("NFC", str(name)))
        value_text, value_exact = _slug_value(value)
        parts.append(f"{name_text}={value_text}")
        exact = exact and value_exact and isinstance(name, str) and name.isidentifier() and name_text == name
    slug = "_".join(parts)
    if len(slug.encode()) > _SLUG_MAX_BYTES:
        slug, exact = slug.encode()[:_SLUG_MAX_BYTES].decode("utf-8", "ignore"), False
    if exact:
        return slug
    return f"{slug.strip('._-+') or 'parameters'}~{_parameters_hash(values)}"


def _kept(ch: str) -> bool:
    import unicodedata

    return unicodedata.category(ch)[0] in "LN" or ch in ".-+"


def _slug_value(value) -> tuple[str, bool]:
    """A value's text in a slug, and whether that text gives the value back exactly."""
    import unicodedata

    if isinstance(value, bool):
        return ("true" if value else "false"), True
    if value == "" and isinstance(value, str):
        return "all", True
    text = repr(value) if isinstance(value, (int, float)) else str(value)
    safe = "".join(ch if _kept(ch) or ch == "_" else "-" for ch in unicodedata.normalize("NFC", text))
    safe = re.sub(r"\.{2,}", ".", safe)
    exact = isinstance(value, (str, int, float)) and safe == text and text != "all" and not text.endswith(".")
    return safe, exact


def _parameters_hash(values: dict) -> str:
    canonical = [[str(name), type(value).__name__,
                  value if value is None or isinstance(value, (str, int, float, bool)) else repr(value)]
                 for name, value in values.items()]
    return hashlib.sha256(json.dumps(canonical, ensure_ascii=True).encode()).hexdigest()[:_HASH_CHARS]


def report_dir(notebook: Path, values: dict, reports_root: Path | None = None) -> Path:
    root = Path(reports_root or config.REPORTS_DIR).resolve()
    target = (root / notebook.stem / report_slug(values)).resolve()
    if not target.is_relative_to(root) or target.parent.parent != root:
        raise ParameterError(f"parameters {values} would write outside {root}")
    return target
