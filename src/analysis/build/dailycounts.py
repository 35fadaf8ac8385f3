"""The daily-counts table: numbers per day that are not events, in long form.

This module turns *validated* tables into rows of ``schemas.DAILY_COUNTS``
(``daily_counts.parquet``): one row per day, metric and source row, tagged by
whether the number is an itemised report or a claim.  It belongs here, and
nowhere else, to decide how such numbers are attributed to days and metrics;
it reads no files (the readers and ingest do that), computes no statistics
over the counts (the metrics do that) and draws nothing.  Every function is
pure and vectorised, and returns a frame validated against DAILY_COUNTS.

Decisions:

* **Air-force reports** (:func:`from_air_attacks`): one row per report row and
  metric, for the metrics ``launched``, ``destroyed`` and ``not_reached_target``
  (the column names of ``schemas.AIR_ATTACKS``), in that order.  An
  unknown value (<NA>: the report did not give the number) produces *no* row:
  "unknown" is not a count, and a sum over the long table must not have to
  skip it.  Note that a missing row therefore means "not reported", never 0;
  a reported 0 is a row with value 0.
* ``count_date`` is the report's ``count_date``: the calendar day of the end
  of its attack window (the morning report), so an overnight attack counts on
  the morning it ended.
* ``period_days`` is the number of midnights the window crosses, at least 1:
  an overnight window (18:00 to 08:30) and a same-day window are one report
  day; every window of the real sample is (the longest lasts 27 hours).
* ``is_reported_claim`` is False for air-force counts: they are itemised per
  weapon model and window, not a single summary figure.  ``claimant`` and
  ``source_name`` are the report's ``source_name`` ("Ukrainian Air Force" or
  one of its regional Air Commands for almost every row; the few rows citing
  the General Staff keep that name).
* **Claims** (:func:`from_claims`): ``schemas.CLAIMS`` rows as given
  (count_date, metric, value, claimant, period_days, source), with
  ``is_reported_claim`` True and empty weapon columns.
* :func:`combine` concatenates and sorts deterministically by (count_date,
  source_dataset, metric, weapon_model, raw_file, raw_line), empty weapon
  models last.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.tables import schemas

AIR_FORCE_METRICS = ("launched", "destroyed", "not_reached_target")
SORT_COLUMNS = ["count_date", "source_dataset", "metric", "weapon_model", "raw_file", "raw_line"]


def from_air_attacks(reports: pd.DataFrame) -> pd.DataFrame:
    """Long daily counts from air-attack report rows (``schemas.AIR_ATTACKS``)."""
    n, k = len(reports), len(AIR_FORCE_METRICS)
    rows = np.repeat(np.arange(n), k)  # each report row once per metric, metrics in order

    def pick(column: str) -> np.ndarray:
        return reports[column].to_numpy()[rows]

    values = reports[list(AIR_FORCE_METRICS)].astype("Int64").stack().astype("Int64")  # row-major, <NA> kept
    assert len(values) == n * k, "stack() dropped unknown values"
    midnights = (reports["window_end"].dt.normalize() - reports["window_start"].dt.normalize()).dt.days
    period = np.maximum(midnights.fillna(1).to_numpy(dtype="int64"), 1)
    out = pd.DataFrame({
        "count_date": pd.Series(pick("count_date"), dtype=schemas.DATE),
        "metric": pd.Series(np.tile(np.array(AIR_FORCE_METRICS, dtype=object), n), dtype="str"),
        "value": values.reset_index(drop=True),
        "is_reported_claim": np.zeros(n * k, dtype=bool),
        "weapon_model": pd.Series(pick("weapon_model"), dtype="str"),
        "weapon_category": pd.Series(pick("weapon_category"), dtype="str"),
        "claimant": pd.Series(pick("source_name"), dtype="str"),
        "period_days": period[rows],
        "source_dataset": pd.Series(pick("source_dataset"), dtype="str"),
        "source_name": pd.Series(pick("source_name"), dtype="str"),
        "source_url": pd.Series(pick("source_url"), dtype="str"),
        "is_synthetic": pick("is_synthetic").astype(bool),
        "raw_file": pd.Series(pick("raw_file"), dtype="str"),
        "raw_line": pick("raw_line").astype("int64"),
    })
    return _validated(out[out["value"].notna().to_numpy(bool)])


def from_claims(claims: pd.DataFrame) -> pd.DataFrame:
    """Daily counts from reported claims (``schemas.CLAIMS``): one row per claim."""
    no_text = pd.Series(None, index=claims.index, dtype="str")
    out = pd.DataFrame({
        "count_date": claims["count_date"].astype(schemas.DATE),
        "metric": claims["metric"].astype("str"),
        "value": claims["value"].astype("Int64"),
        "is_reported_claim": np.ones(len(claims), dtype=bool),
        "weapon_model": no_text,
        "weapon_category": no_text,
        "claimant": claims["claimant"].astype("str"),
        "period_days": claims["period_days"].astype("int64"),
        "source_dataset": claims["source_dataset"].astype("str"),
        "source_name": claims["source_name"].astype("str"),
        "source_url": claims["source_url"].astype("str"),
        "is_synthetic": claims["is_synthetic"].to_numpy(bool),
        "raw_file": claims["raw_file"].astype("str"),
        "raw_line": claims["raw_line"].astype("int64"),
    }, index=claims.index)
    return _validated(out[out["value"].notna().to_numpy(bool)])


def combine(*frames: pd.DataFrame) -> pd.DataFrame:
    """Daily-count frames concatenated, sorted deterministically and validated."""
    parts = [f for f in frames if len(f)]
    if not parts:
        return schemas.empty_frame(schemas.DAILY_COUNTS)
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(SORT_COLUMNS, kind="mergesort", na_position="last")
    return _validated(out)


def _validated(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    if frame.empty:
        return schemas.empty_frame(schemas.DAILY_COUNTS)
    return schemas.DAILY_COUNTS.validate(frame[list(schemas.DAILY_COUNTS.columns)], lazy=True)
