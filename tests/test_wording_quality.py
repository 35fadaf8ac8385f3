"""Sentence helpers and data-quality tables."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import quality, wording
from conftest import events_frame

D = pd.Timestamp


@pytest.mark.parametrize("args, expected", [
    ((1, "civilian", "killed"), "1 civilian was killed"),
    ((3, "civilian", "injured"), "3 civilians were injured"),
    ((pd.NA, "civilian", "killed"), "an unknown number of civilians were killed"),
    ((None, "civilian", "killed"), "an unknown number of civilians were killed"),
    ((1234, "person", "killed"), "1,234 persons were killed"),
])
def test_people(args, expected):
    assert wording.people(*args) == expected


def test_dates_counts_changes():
    assert wording.day("2023-03-14") == "14 March 2023"
    assert wording.day_range("2023-03-08", "2023-03-14") == "8 to 14 March 2023"
    assert wording.day_range("2023-02-28", "2023-03-06") == "28 February to 6 March 2023"
    assert wording.day_range("2022-12-30", "2023-01-02") == "30 December 2022 to 2 January 2023"
    assert wording.count(1, "attack") == "1 attack" and wording.count(2, "attack") == "2 attacks"
    assert wording.change(3, 0.25) == "up 3 (+25%)" and wording.change(-2, -0.5) == "down 2 (-50%)"
    assert wording.change(4, pd.NA) == "up 4 (from none)" and wording.change(0, 0.0) == "unchanged"


def test_ledger_table_flags_files_that_do_not_balance():
    manifest = {"inputs": [
        {"path": "a.csv", "format": "acled", "encoding": "utf-8-sig", "rows": 10, "accepted": 8, "rejected": 1,
         "merged": 1, "warned": 0, "blank_rows": 0, "sha256": "ab" * 32},
        {"path": "b.csv", "format": "news", "encoding": "cp1252", "rows": 5, "accepted": 3, "rejected": 1,
         "merged": 0, "warned": 0, "blank_rows": 1, "sha256": "cd" * 32},
    ]}
    table = quality.ledger_table(manifest)
    assert table["balances"].tolist() == [True, False]
    assert table.loc[0, "sha256 (first 12)"] == "ab" * 6


def test_rejects_by_rule_counts_problems_and_rows():
    rejects = pd.DataFrame({"raw_file": ["a.csv"] * 3, "raw_line": [2, 2, 5], "column": ["x", "x", "x"],
                            "value": ["-1", "-1", "q"], "rule": ["negative_count"] * 3, "message": [""] * 3})
    table = quality.rejects_by_rule(rejects)
    assert table[["problems", "rows", "example_line"]].values.tolist() == [[3, 2, 2]]


def test_coverage_gaps_finds_runs_of_missing_days():
    events = events_frame([{"event_date": D(d)} for d in ["2023-03-01", "2023-03-02", "2023-03-06", "2023-03-07",
                                                           "2023-03-09"]])
    gaps = quality.coverage_gaps(events, min_days=1)
    assert gaps[["first_missing_date", "last_missing_date", "days"]].values.tolist() == [
        [D("2023-03-03"), D("2023-03-05"), 3], [D("2023-03-08"), D("2023-03-08"), 1]]
    assert len(quality.coverage_gaps(events, min_days=2)) == 1
