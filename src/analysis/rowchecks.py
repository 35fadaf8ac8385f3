"""Which rows of a frame break which rule of its pandera schema: the schema's own checks, run for hot paths.

The pandera schemas in :mod:`analysis.schemas` are the one contract; this
module holds no rule of its own.  It walks a schema object at run time (its
columns, their dtype, nullability and ``Check`` objects, and its frame-level
checks) and calls each check as pandera does, but skips pandera's report of
failure cases, which costs seconds on a chunk with many bad rows.  It answers
two questions:

* :func:`failures`, the build's: "which rows break which rule?", as a frame of
  (row, column, rule) in the vocabulary of pandera's failure cases;
* :func:`check`, the metrics': "does this result conform?", raising
  :class:`ContractError` naming what does not.

Dtypes are compared exactly (any datetime unit, any pandas string dtype),
which is stricter than pandera (it takes int64 for Int64): a frame of the
wrong shape is a bug, not bad input.  Schemas with options this module does
not run (unique or coerced columns, grouped checks, warnings) raise
:class:`Unsupported`; the caller falls back to pandera.
``tests/test_rowchecks.py`` checks that both find the same failures.
"""

from __future__ import annotations

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


def _supported(schema) -> None:
    if schema.unique or schema.coerce or schema.strict not in (True, False) or schema.index is not None:
        raise Unsupported(f"{schema.name}: frame-level unique, coerce, index or strict='filter' are not run here")
    for column in schema.columns.values():
        if column.unique or column.coerce or column.regex:
            raise Unsupported(f"column {column.name!r} uses options that are not run here")
    for check in [c for column in schema.columns.values() for c in column.checks] + list(schema.checks):
        if check.groupby is not None or check.raise_warning:
            raise Unsupported(f"check {check.error!r} is grouped or only warns")


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


def _failed(result, what: str) -> np.ndarray:
    """Row labels where a pandera ``CheckResult`` failed."""
    output = result.check_output
    if np.ndim(output) == 0:  # a check that judges the frame as a whole names no row
        if bool(output):
            return np.zeros(0, dtype="int64")
        raise Unsupported(f"check {what!r} judges the whole frame, not rows")
    passed = np.asarray(output, dtype=bool)
    return output.index.to_numpy()[~passed]


def _row_failures(frame: pd.DataFrame, schema) -> list[tuple[np.ndarray, str, str]]:
    """(row labels, column, rule) of every broken rule; frame rules have column ""."""
    found = []
    for name, column in schema.columns.items():
        if name not in frame:
            continue
        series = frame[name]
        present = series.notna().to_numpy(dtype=bool)
        if not column.nullable and not present.all():
            found.append((frame.index.to_numpy()[~present], name, NOT_NULLABLE))
        for check in column.checks:  # pandera's check objects, called as pandera calls them (missing values skipped)
            rows = _failed(check(series), str(check.error))
            if len(rows):
                found.append((rows, name, str(check.error)))
    for check in schema.checks:  # a row whose every cell is missing passes, as in pandera
        rows = _failed(check(frame), str(check.error))
        if len(rows):
            found.append((rows, "", str(check.error)))
    return found


def failures(frame: pd.DataFrame, schema) -> pd.DataFrame:
    """Every (row label, column, rule) where ``frame`` breaks ``schema``; frame rules have column "".

    Raises :class:`SchemaMismatch` when columns or dtypes do not fit (pandera's
    schema-level errors) and :class:`Unsupported` for schemas it cannot run.
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
