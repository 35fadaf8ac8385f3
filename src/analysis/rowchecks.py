"""Row-level validation of typed chunks against a pandera schema, vectorised, for the build's hot path.

The pandera schemas in :mod:`analysis.schemas` stay the one documented
contract; this module reads them (columns, dtypes, nullability, the checks'
names and statistics, frame-level rules) and applies the same rules with
plain pandas, which on a 100k-row chunk is several times faster than
``schema.validate(lazy=True)``.  It answers the question the build asks of
pandera, "which rows break which rule?", as a frame of (row, column, rule) in
the vocabulary of pandera's failure cases.

Only the kinds of check the schemas use are supported (isin, str_matches,
greater/less than or equal to, in_range, frame-level functions); a schema with
any other check raises :class:`Unsupported` and the caller falls back to
pandera.  ``tests/test_rowchecks.py`` checks that both validators find the same
failures on randomly broken frames of every table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

NOT_NULLABLE = "not_nullable"


class Unsupported(ValueError):
    """The schema uses a check this module does not translate; validate with pandera instead."""


class SchemaMismatch(AssertionError):
    """Columns or dtypes differ from the schema: a bug in a reader, not bad input."""


@dataclass(frozen=True)
class _Column:
    name: str
    dtype: str
    nullable: bool
    required: bool
    checks: tuple[tuple[str, Callable[[pd.Series], pd.Series]], ...]  # (rule as pandera names it, test)


@dataclass(frozen=True)
class _Compiled:
    columns: tuple[_Column, ...]
    frame_checks: tuple[tuple[str, Callable[[pd.DataFrame], pd.Series]], ...]
    strict: bool
    ordered: bool


def inclusive(low: bool, high: bool) -> str:
    """pandas' ``between(inclusive=...)`` for pandera's include_min/include_max."""
    return {(True, True): "both", (True, False): "left", (False, True): "right", (False, False): "neither"}[(low, high)]


def value_test(name: str, stats: dict) -> Callable[[pd.Series], pd.Series]:
    """The test of a pandera value check (by name and statistics) as a function of the present values."""
    if name == "isin":
        allowed = list(stats["allowed_values"])
        return lambda s: s.isin(allowed)
    if name == "str_matches":
        pattern = getattr(stats["pattern"], "pattern", stats["pattern"])
        return lambda s: s.str.match(pattern, na=False)
    if name == "greater_than_or_equal_to":
        return lambda s: s >= stats["min_value"]
    if name == "less_than_or_equal_to":
        return lambda s: s <= stats["max_value"]
    if name == "in_range":
        between = inclusive(stats["include_min"], stats["include_max"])
        return lambda s: s.between(stats["min_value"], stats["max_value"], inclusive=between)
    raise Unsupported(f"check {name!r} is not translated")


def _supported_check(check) -> None:
    if check.element_wise or not check.ignore_na or check.groupby is not None or check.n_failure_cases is not None:
        raise Unsupported(f"check {check.error!r} uses options that are not translated")


_COMPILED: dict[int, tuple[object, _Compiled]] = {}  # id(schema) -> (schema, rules); the schema is kept alive


def _compile(schema) -> _Compiled:
    """The schema as plain rules, compiled once per schema object."""
    cached = _COMPILED.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    compiled = _compile_now(schema)
    if len(_COMPILED) < 256:
        _COMPILED[id(schema)] = (schema, compiled)
    return compiled


def _compile_now(schema) -> _Compiled:
    columns = []
    for column in schema.columns.values():
        if column.unique or column.coerce or column.regex:
            raise Unsupported(f"column {column.name!r} uses options that are not translated")
        for check in column.checks:
            _supported_check(check)
        columns.append(_Column(column.name, str(column.dtype), column.nullable, column.required,
                               tuple((str(c.error), value_test(c.name, c.statistics or {})) for c in column.checks)))
    for check in schema.checks:
        _supported_check(check)
        if not callable(getattr(check, "_check_fn", None)):
            raise Unsupported(f"frame check {check.error!r} is not a plain function")
    if schema.unique or schema.coerce:
        raise Unsupported("frame-level unique/coerce are not translated")
    return _Compiled(tuple(columns), tuple((str(c.error), c._check_fn) for c in schema.checks),
                     schema.strict is True, bool(schema.ordered))


def dtype_ok(series: pd.Series, expected: str) -> bool:
    """Whether ``series`` has the dtype pandera names ``expected`` (any datetime unit, any pandas string)."""
    actual = str(series.dtype)
    if expected.startswith("datetime64"):
        return actual.startswith("datetime64")  # pandera, too, accepts any unit
    if expected in ("str", "string[pyarrow]", "string"):
        return isinstance(series.dtype, pd.StringDtype)
    return actual == expected


def _check_structure(frame: pd.DataFrame, compiled: _Compiled, name: str) -> None:
    expected = [c.name for c in compiled.columns]
    missing = [c.name for c in compiled.columns if c.required and c.name not in frame]
    extra = [c for c in frame.columns if c not in expected] if compiled.strict else []
    order = [c for c in frame.columns if c in expected]
    wrong_order = compiled.ordered and order != [c for c in expected if c in frame]
    wrong_dtype = [f"{c.name}: {frame[c.name].dtype} is not {c.dtype}" for c in compiled.columns
                   if c.name in frame and not dtype_ok(frame[c.name], c.dtype)]
    if missing or extra or wrong_order or wrong_dtype:
        raise SchemaMismatch(f"the frame does not fit {name}: missing {missing}, unexpected {extra}, "
                             f"columns out of order: {wrong_order}, dtypes: {wrong_dtype}")


def failures(frame: pd.DataFrame, schema) -> pd.DataFrame:
    """Every (row label, column, rule) where ``frame`` breaks ``schema``; frame rules have column "".

    Raises :class:`SchemaMismatch` when columns or dtypes do not fit (pandera's
    schema-level errors) and :class:`Unsupported` for schemas it cannot translate.
    """
    compiled = _compile(schema)
    _check_structure(frame, compiled, schema.name)
    index = frame.index.to_numpy()
    found: list[tuple[np.ndarray, str, str]] = []  # (row labels, column, rule) of failures
    for column in compiled.columns:
        if column.name not in frame:
            continue
        series = frame[column.name]
        present = series.notna().to_numpy(dtype=bool)
        everywhere = bool(present.all())
        if not column.nullable and not everywhere:
            found.append((index[~present], column.name, NOT_NULLABLE))
        values = series if everywhere else series[present]  # checks see present values only, as in pandera
        for rule, test in column.checks:
            passed = np.asarray(test(values), dtype=bool)
            if not passed.all():
                found.append((values.index.to_numpy()[~passed], column.name, rule))
    for rule, test in compiled.frame_checks:
        output = test(frame)
        if output.dtype != bool:
            output = output.astype(bool)
        failed = np.flatnonzero(~output.to_numpy(dtype=bool))
        if len(failed):  # pandera lets a row pass whose every cell is missing
            failed = failed[~frame.iloc[failed].isna().all(axis="columns").to_numpy(dtype=bool)]
            found.append((index[failed], "", rule))
    return pd.DataFrame({
        "row": np.concatenate([rows for rows, _, _ in found]).astype("int64") if found else np.zeros(0, "int64"),
        "column": pd.array(np.repeat([c for _, c, _ in found], [len(r) for r, _, _ in found]), dtype="str"),
        "rule": pd.array(np.repeat([r for _, _, r in found], [len(r) for r, _, _ in found]), dtype="str"),
    })
