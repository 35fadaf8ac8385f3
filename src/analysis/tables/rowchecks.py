"""Which rows of a frame break which rule of its pandera schema, read from the schema object at run time.

The pandera schemas in :mod:`analysis.tables.schemas` are the one contract; this
module holds no rule of its own.  It walks a schema object (its columns, their
dtype, nullability and checks, and its frame rules) and applies each check
with plain pandas: a built-in check (isin, str_matches, bounds) with the
values its ``statistics`` hold, a frame rule with the function
:func:`analysis.tables.schemas.frame_rule` registered.  That skips pandera's report
of failure cases, which costs seconds on a chunk with many bad rows, and
pandera's check backends, whose first use costs a fresh process 0.3 to 0.9 s
of CPU (it imports pandera's data-generation strategies).  It answers two
questions:

* :func:`failures`, the build's: "which rows break which rule?", as a frame of
  (row, column, rule) in the vocabulary of pandera's failure cases;
* :func:`check`, the metrics': "does this result conform?", raising
  :class:`ContractError` naming what does not.

Dtypes are compared exactly (any datetime unit, any pandas string dtype),
which is stricter than pandera (it takes int64 for Int64): a frame of the
wrong shape is a bug, not bad input.  Schemas with anything else (unique or
coerced columns, other kinds of check, grouped or warning checks) raise
:class:`Unsupported`; the caller falls back to pandera.
``tests/test_rowchecks.py`` and ``tests/test_contract.py`` check that both
find the same failures.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

NOT_NULLABLE = "not_nullable"


class Unsupported(ValueError):
    """The schema uses an option this module does not run; validate with pandera instead."""


class SchemaMismatch(AssertionError):
    """Columns or dtypes differ from the schema: a bug in a reader, not bad input."""


class ContractError(AssertionError):
    """A metric produced a frame that breaks its schema: a bug, not bad input."""


def dtype_ok(series: pd.Series, expected: str) -> bool:
    """Whether ``series`` has the dtype pandera names ``expected`` (any datetime unit, any pandas string)."""
    actual = str(series.dtype)
    if expected.startswith("datetime64"):
        return actual.startswith("datetime64")  # pandera, too, accepts any unit
    if expected in ("str", "string[pyarrow]", "string"):
        return isinstance(series.dtype, pd.StringDtype)
    return actual == expected


def _inclusive(low: bool, high: bool) -> str:
    """pandas' ``between(inclusive=...)`` for pandera's include_min/include_max."""
    return {(True, True): "both", (True, False): "left", (False, True): "right", (False, False): "neither"}[(low, high)]


def _value_test(check) -> Callable[[pd.Series], pd.Series]:
    """A built-in pandera check as a function of the present values, with the values its statistics hold."""
    name, stats = check.name, check.statistics or {}
    if name == "isin":
        return lambda s: s.isin(stats["allowed_values"])
    if name == "str_matches":
        return lambda s: s.str.match(getattr(stats["pattern"], "pattern", stats["pattern"]), na=False)
    if name == "greater_than_or_equal_to":
        return lambda s: s >= stats["min_value"]
    if name == "less_than_or_equal_to":
        return lambda s: s <= stats["max_value"]
    if name == "in_range":
        between = _inclusive(stats["include_min"], stats["include_max"])
        return lambda s: s.between(stats["min_value"], stats["max_value"], inclusive=between)
    raise Unsupported(f"check {name!r} is not applied here")


def _frame_test(check) -> Callable[[pd.DataFrame], pd.Series]:
    test = (check.statistics or {}).get("test")
    if not callable(test):
        raise Unsupported(f"frame check {check.error!r} was not registered with schemas.frame_rule")
    return test


def _supported(schema) -> None:
    """Raise :class:`Unsupported` unless every part of ``schema`` is applied here as pandera applies it."""
    if schema.unique or schema.coerce or schema.strict not in (True, False) or schema.index is not None:
        raise Unsupported(f"{schema.name}: frame-level unique, coerce, index or strict='filter' are not applied here")
    for column in schema.columns.values():
        if column.unique or column.coerce or column.regex:
            raise Unsupported(f"column {column.name!r} uses options that are not applied here")
        for check in column.checks:
            _value_test(check)
    for check in schema.checks:
        _frame_test(check)
    for check in [c for column in schema.columns.values() for c in column.checks] + list(schema.checks):
        if check.groupby is not None or check.raise_warning or check.element_wise or not check.ignore_na:
            raise Unsupported(f"check {check.error!r} is grouped, element-wise, only warns or judges missing values")


def structure_problems(frame: pd.DataFrame, schema) -> list[str]:
    """What in the columns of ``frame`` does not fit ``schema``: missing, unexpected, out of order, wrong dtype."""
    expected = list(schema.columns)
    found = [f"column {name!r} is missing" for name, column in schema.columns.items()
             if column.required and name not in frame]
    if schema.strict is True:
        found += [f"unexpected column {name!r}" for name in frame.columns if name not in schema.columns]
    if schema.ordered and [c for c in frame.columns if c in schema.columns] != [c for c in expected if c in frame]:
        found.append("columns out of order")
    found += [f"{name}: dtype {frame[name].dtype} is not {column.dtype}" for name, column in schema.columns.items()
              if name in frame and not dtype_ok(frame[name], str(column.dtype))]
    return found


def _row_failures(frame: pd.DataFrame, schema) -> list[tuple[np.ndarray, str, str]]:
    """(row labels, column, rule) of every broken rule; frame rules have column ""."""
    index = frame.index.to_numpy()
    found = []
    for name, column in schema.columns.items():
        if name not in frame:
            continue
        series = frame[name]
        present = series.notna().to_numpy(dtype=bool)
        everywhere = bool(present.all())
        if not column.nullable and not everywhere:
            found.append((index[~present], name, NOT_NULLABLE))
        if not column.checks:
            continue
        values = series if everywhere else series[present]  # checks see present values only, as in pandera
        for check in column.checks:
            passed = np.asarray(_value_test(check)(values), dtype=bool)
            if not passed.all():
                found.append((values.index.to_numpy()[~passed], name, str(check.error)))
    for check in schema.checks:
        failed = np.flatnonzero(~np.asarray(_frame_test(check)(frame), dtype=bool))
        if len(failed):  # pandera lets a row pass whose every cell is missing
            failed = failed[~frame.iloc[failed].isna().all(axis="columns").to_numpy(dtype=bool)]
            found.append((index[failed], "", str(check.error)))
    return found


def failures(frame: pd.DataFrame, schema) -> pd.DataFrame:
    """Every (row label, column, rule) where ``frame`` breaks ``schema``; frame rules have column "".

    Raises :class:`SchemaMismatch` when columns or dtypes do not fit (pandera's
    schema-level errors) and :class:`Unsupported` for schemas it cannot apply.
    """
    _supported(schema)
    problems = structure_problems(frame, schema)
    if problems:
        raise SchemaMismatch(f"the frame does not fit {schema.name}: " + "; ".join(problems))
    found = _row_failures(frame, schema)
    sizes = [len(rows) for rows, _, _ in found]
    return pd.DataFrame({
        "row": np.concatenate([rows for rows, _, _ in found]).astype("int64") if found else np.zeros(0, "int64"),
        "column": pd.array(np.repeat([c for _, c, _ in found], sizes), dtype="str"),
        "rule": pd.array(np.repeat([r for _, _, r in found], sizes), dtype="str"),
    })


def problems(frame: pd.DataFrame, schema) -> list[str]:
    """What in ``frame`` breaks ``schema``, in words (empty when it conforms)."""
    _supported(schema)
    found = structure_problems(frame, schema)
    if found:
        return found
    return [f"{column}: {len(rows)} missing values" if rule == NOT_NULLABLE
            else f"{column}: breaks {rule}" if column else f"breaks {rule}"
            for rows, column, rule in _row_failures(frame, schema)]


def check(frame: pd.DataFrame, schema) -> pd.DataFrame:
    """Return ``frame`` if it conforms to ``schema``, else raise :class:`ContractError`."""
    found = problems(frame, schema)
    if found:
        raise ContractError(f"{schema.name}: " + "; ".join(found))
    return frame
