"""Data-quality tables for the data-quality report: the ledger, rejections, places, coverage gaps.

Everything here reads what the last build wrote (``manifest.json``,
``rejects.csv``, ``unmatched_places.csv``) or the processed tables, so the
report shows exactly what the build did.
"""

from __future__ import annotations

import narwhals as nw
import pandas as pd

from analysis.metrics import frames


def ledger_table(manifest: dict) -> pd.DataFrame:
    """One row per raw file: format, rows, accepted, rejected, merged, warned, and whether it balances
    (accepted + rejected + merged + deleted = rows; ``deleted``: removed by the source in a later snapshot)."""
    columns = ["path", "format", "encoding", "rows", "accepted", "rejected", "merged", "warned", "blank_rows"]
    inputs = manifest.get("inputs", [])
    table = pd.DataFrame(inputs, columns=columns + ["sha256"])
    deleted = pd.Series([entry.get("deleted", 0) for entry in inputs], index=table.index, dtype="int64")
    table["balances"] = table["accepted"] + table["rejected"] + table["merged"] + deleted == table["rows"]
    table["sha256"] = table["sha256"].str.slice(0, 12)
    return table.rename(columns={"path": "file", "sha256": "sha256 (first 12)"})


def rejects_by_rule(rejects: pd.DataFrame) -> pd.DataFrame:
    """Rejections counted by file, rule and column, most frequent first, with an example line."""
    if rejects.empty:
        return pd.DataFrame(columns=["raw_file", "rule", "column", "problems", "rows", "example_line", "example_value"])
    grouped = rejects.groupby(["raw_file", "rule", "column"], dropna=False)
    table = grouped.agg(problems=("raw_line", "size"), rows=("raw_line", "nunique"),
                        example_line=("raw_line", "first"), example_value=("value", "first")).reset_index()
    return table.sort_values(["problems", "raw_file", "rule"], ascending=[False, True, True], kind="stable")


def coverage_gaps(events, daily_counts=None, min_days: int = 1) -> pd.DataFrame:
    """Runs of consecutive days without any row, per source, inside that source's own coverage.

    A gap is a stretch of ``min_days`` or more days between the first and last
    date of a source with no event (or report) from it.  Gaps are where a chart
    would show zeros that may be missing data rather than quiet days.  The
    tables are pandas DataFrames or lazy tables (``analysis.scan_events()``):
    only the days each source has rows on are read.
    """
    tables = [_days_with_rows(events, "event_date")]
    if daily_counts is not None:
        tables.append(_days_with_rows(daily_counts, "count_date"))
    days = pd.concat(tables, ignore_index=True).drop_duplicates()
    gaps = []
    for (source, synthetic), group in days.groupby(["source_dataset", "is_synthetic"]):  # a handful of sources
        present = pd.DatetimeIndex(group["day"].sort_values().unique())
        between = (present[1:] - present[:-1]).days - 1
        for start, missing in zip(present[:-1][between >= min_days], between[between >= min_days]):
            gaps.append({"source_dataset": source, "is_synthetic": bool(synthetic),
                         "first_missing_date": start + pd.Timedelta(days=1),
                         "last_missing_date": start + pd.Timedelta(days=int(missing)), "days": int(missing)})
    columns = ["source_dataset", "is_synthetic", "first_missing_date", "last_missing_date", "days"]
    table = pd.DataFrame(gaps, columns=columns)
    return table.sort_values(["days", "source_dataset", "first_missing_date"], ascending=[False, True, True],
                             kind="stable").reset_index(drop=True)


def _days_with_rows(table, date: str) -> pd.DataFrame:
    """The distinct (source_dataset, is_synthetic, day) of a table's rows, computed where the table is."""
    distinct = frames.frame(table).select("source_dataset", "is_synthetic", nw.col(date).alias("day")).unique()
    return frames.collect(distinct).astype({"day": "datetime64[ms]"})


def coverage_table(manifest: dict) -> pd.DataFrame:
    """Per source: rows and first/last date, from the manifest."""
    return pd.DataFrame(manifest.get("coverage", []),
                        columns=["source_dataset", "is_synthetic", "rows", "first_date", "last_date"])
