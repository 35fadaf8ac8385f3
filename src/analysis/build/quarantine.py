"""How rows that break a rule become rejects, named as the user wrote them.

Schema failures (pandera's rule names, the raw column names and values), fields
too long to be real, NUL bytes, and records whose number of fields is wrong:
each becomes rows of the rejects table (file, line, column, value, rule,
message).  :mod:`analysis.build.ingest` decides which rows to check; this is
where a failure is turned into what the user reads.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from analysis import config
from analysis.tables import rowchecks
from analysis.tables import schemas
from analysis.sources import base
from analysis.sources.base import Failures


def failures_as_written(typed: pd.DataFrame, schema: pa.DataFrameSchema, raw: pd.DataFrame,
                        source_columns: dict[str, str]) -> pd.DataFrame:
    """Validate typed rows against ``schema``; return failures as (row, column, value, rule, message).

    Columns and values are reported as written in the raw file (``source_columns``
    maps canonical names to the reader's raw names), so users can find them.
    """
    if typed.empty:
        return Failures().frame()
    cases = schema_failures(typed, schema)
    if cases.empty:
        return Failures().frame()
    rule = cases["rule"].map(_rule_name).astype("str").to_numpy()
    about = pd.Series(rule).map({str(c.error): ",".join(schemas.rule_columns(c)) for c in schema.checks}).to_numpy()
    canonical = np.where(pd.notna(about), about, cases["column"].astype("str").to_numpy())  # frame rules: their columns
    out = pd.DataFrame({"row": cases["row"].to_numpy(), "canonical": canonical, "rule": rule}).drop_duplicates()
    names = {c: ",".join(source_columns.get(p, p) for p in c.split(",")) for c in out["canonical"].unique()}
    out["column"] = out["canonical"].map(names)
    out["value"] = _raw_values(raw, out)
    out["message"] = "'" + out["column"] + "' = '" + out["value"].str.slice(0, 80) + "' breaks rule " + out["rule"]
    return out[["row", "column", "value", "rule", "message"]].reset_index(drop=True)


def schema_failures(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """(row, column, rule) wherever ``frame`` breaks ``schema``, in pandera's names for rules.

    :mod:`analysis.tables.rowchecks` runs the schema's checks without pandera's
    report of failure cases (many times faster on chunks with many bad rows);
    schemas it cannot run go through pandera itself.  Tests check that both
    find the same failures.
    """
    try:
        return rowchecks.failures(frame, schema)
    except rowchecks.Unsupported:
        return pandera_failures(frame, schema)


def pandera_failures(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """:func:`schema_failures` computed by ``schema.validate(lazy=True)``."""
    try:
        schema.validate(frame, lazy=True)
        cases = pd.DataFrame({"index": pd.Series(dtype="int64"), "column": pd.Series(dtype="str"),
                              "check": pd.Series(dtype="str")})
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    if cases["index"].isna().any():  # a dtype or column problem: a bug in a reader, not bad input
        raise rowchecks.SchemaMismatch(f"the frame does not fit {schema.name}:\n{cases.to_string()}")
    return pd.DataFrame({"row": cases["index"].astype("int64").to_numpy(),
                         "column": cases["column"].astype("str").to_numpy(),
                         "rule": cases["check"].astype("str").to_numpy()})


def _raw_values(raw: pd.DataFrame, failed: pd.DataFrame) -> pd.Series:
    """The raw text of the failing cells ('a, b' for rules about two columns)."""
    values = pd.Series("", index=failed.index, dtype="str")
    for column_list, group in failed.groupby("column"):  # a handful of distinct columns
        parts = [raw[c].to_numpy()[group["row"].to_numpy()] if c in raw else np.full(len(group), "")
                 for c in column_list.split(",")]
        joined = parts[0].astype(object)
        for part in parts[1:]:
            joined = joined + ", " + part.astype(object)
        values[group.index] = joined
    return values


def _rule_name(check: str) -> str:
    check = str(check)
    if check.startswith("isin("):
        return "value_not_allowed"
    if check.startswith("str_matches("):
        return "bad_format"
    if check in ("not_nullable", "field_uniqueness"):
        return {"not_nullable": "required_value_missing", "field_uniqueness": "duplicate_id"}[check]
    return check


def reject_long_fields(raw: pd.DataFrame, failures: Failures) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    for column in raw.columns:
        longest = pc.max(pc.binary_length(pa.array(raw[column]))).as_py() or 0
        if longest <= config.MAX_FIELD_CHARS:  # bytes >= characters, so nothing here is too long
            continue
        lengths = raw[column].str.len().to_numpy()
        failures.add(lengths > config.MAX_FIELD_CHARS, raw[column].str.slice(0, 80) + "...", column,
                     "field_too_long", f"'{column}' is longer than {config.MAX_FIELD_CHARS:,} characters "
                     "(often an unclosed quote upstream)")


def reject_nul_bytes(raw: pd.DataFrame, failures: Failures) -> None:
    """Reject records holding a NUL byte (a corrupted or binary stretch of the file), wherever they are.

    Each column's characters are searched in one pass (a NumPy minimum: NUL is
    the smallest byte); only a column holding one is searched value by value.
    """
    import pyarrow as pa

    for column in raw.columns:
        if not _holds_nul(pa.array(raw[column])):
            continue
        failures.add(raw[column].str.contains("\x00", regex=False).to_numpy(dtype=bool), raw[column], column,
                     "nul_byte", f"'{column}' contains a NUL byte (\\x00): the file is corrupted or partly binary "
                     "here; remove the NUL bytes (e.g. tr -d '\\000') or fix the export")


def _holds_nul(array) -> bool:
    if hasattr(array, "chunks"):  # the column of several files' records, concatenated
        return any(_holds_nul(chunk) for chunk in array.chunks)
    data = array.buffers()[-1]  # the characters of every value (of a slice: perhaps more)
    return data is not None and data.size > 0 and np.frombuffer(data, dtype=np.uint8).min() == 0


def rejects_frame(failed: pd.DataFrame, lines: np.ndarray, raw_files: np.ndarray) -> pd.DataFrame:
    """Failures as rejects (or warnings) rows; ``raw_files``: the file of each row of the chunk."""
    rows = failed["row"].to_numpy()
    out = pd.DataFrame({
        "raw_file": raw_files[rows],
        "raw_line": lines[rows].astype("int64"),
        "column": failed["column"].to_numpy(),
        "value": failed["value"].str.replace("\x00", "\\x00", regex=False).str.slice(0, base.MAX_VALUE_CHARS)
                                .to_numpy(),
        "rule": failed["rule"].to_numpy(),
        "message": failed["message"].to_numpy(),
    })
    return out.astype({"raw_file": "str", "column": "str", "value": "str", "rule": "str", "message": "str"})


def malformed_rejects(malformed: list, width: int, raw_file: str, expected: str = "the header") -> pd.DataFrame:
    """Records whose number of fields differs from the header's (of a headerless format: its columns')."""
    if not malformed:
        return schemas.empty_frame(schemas.REJECTS)
    lines, fields, texts = zip(*malformed)
    fields = np.array(fields)
    rule = np.where(fields > width, "too_many_fields", "too_few_fields")
    message = [f"the row has {n} fields, {expected} {width}" for n in fields]
    shown = [t.replace("\x00", "\\x00")[:base.MAX_VALUE_CHARS] for t in texts]
    return pd.DataFrame({"raw_file": raw_file, "raw_line": np.array(lines, dtype="int64"), "column": "",
                         "value": shown, "rule": rule, "message": message}
                        ).astype({"raw_file": "str", "column": "str", "value": "str", "rule": "str", "message": "str"})
