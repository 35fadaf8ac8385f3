"""Sentence helpers and data-quality tables."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import wording
from analysis.metrics import quality
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


@pytest.mark.parametrize("n, verb", [(0, "were"), (1, "was"), (2, "were"), (1.0, "was"), (pd.NA, "were"), (None, "were")])
def test_the_verb_agrees_with_the_count(n, verb):
    assert wording.were(n) == verb


def test_dates_counts_changes():
    assert wording.day("2023-03-14") == "14 March 2023"
    assert wording.day_range("2023-03-08", "2023-03-14") == "8 to 14 March 2023"
    assert wording.day_range("2023-02-28", "2023-03-06") == "28 February to 6 March 2023"
    assert wording.day_range("2022-12-30", "2023-01-02") == "30 December 2022 to 2 January 2023"
    assert wording.count(1, "attack") == "1 attack" and wording.count(2, "attack") == "2 attacks"
    assert wording.change(3, 0.25) == "up 3 (+25%)" and wording.change(-2, -0.5) == "down 2 (-50%)"
    assert wording.change(4, pd.NA) == "up 4 (from none)" and wording.change(0, 0.0) == "unchanged"


def test_dates_as_words_long_and_short_the_one_home():
    """Report sentences use the long form, chart titles, ticks and source lines the short one."""
    assert wording.day("2023-03-05") == "5 March 2023" and wording.day("2023-03-05", short=True) == "5 Mar 2023"
    assert wording.day(D("2023-03-05 17:30"), short=True, year=False) == "5 Mar"
    assert wording.month("2023-09-30") == "September 2023" and wording.month("2023-09-30", short=True) == "Sep 2023"
    assert wording.month("2023-09-30", short=True, year=False) == "Sep"
    assert wording.day_range("2023-03-01", "2023-03-09", short=True) == "1–9 Mar 2023"
    assert wording.day_range("2023-02-28", "2023-03-06", short=True) == "28 Feb – 6 Mar 2023"
    assert wording.day_range("2022-12-30", "2023-01-02", short=True) == "30 Dec 2022 – 2 Jan 2023"
    assert wording.day_range("2023-01-01", "2023-06-30") == "1 January to 30 June 2023"
    assert wording.day_range(D("2023-03-14"), D("2023-03-14 23:00")) == "14 March 2023"  # one day, times aside
    assert wording.day_range("2023-03-14", "2023-03-14", short=True) == "14 Mar 2023"


def test_many_dates_at_once_read_as_each_alone():
    dates = pd.date_range("2022-12-25", "2024-03-05", freq="9D")
    assert list(wording.days(dates)) == [wording.day(d) for d in dates]
    assert list(wording.days(pd.Series(pd.to_datetime(["2023-03-04", "2023-12-31"])))) == ["4 March 2023",
                                                                                             "31 December 2023"]


def test_source_lines_chart_titles_and_ticks_use_the_one_date_wording():
    from analysis import plots
    from analysis.metrics import provenance

    prov = provenance.Provenance(("ACLED",), "2023-01-01", "2023-03-05", False)
    assert prov.source_line() == f"Source: ACLED. Events to {wording.day('2023-03-05', short=True)}."
    daily = provenance.attach(pd.DataFrame({"event_date": pd.date_range("2023-01-01", "2023-03-05"),
                                            "attacks": 1}), prov)
    fig = plots.attacks_per_day_chart(daily)
    record = plots.chart_record(fig)
    assert record.title == "Attacks per day, 1 Jan – 5 Mar 2023"
    assert record.alt_text.startswith("Bar chart of attacks per day from 1 January to 5 March 2023.")
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks[:2] == ["2 Jan\n2023", "16 Jan"]  # every other Monday (64 days), the year under the first


def test_month_names_are_written_in_one_module():
    """No other module spells month names (or asks strftime for them to write words)."""
    from pathlib import Path

    package = Path(wording.__file__).parent
    spelled = sorted(str(p.relative_to(package)) for p in package.rglob("*.py")
                     if any(f'"{name}"' in p.read_text(encoding="utf-8") for name in ("January", "Jan", "Sep")))
    assert spelled == ["wording.py"]  # wording.MONTHS; the short names are cut from it
    assert wording.MONTHS[0] == "January" and len(wording.MONTHS) == 12


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
