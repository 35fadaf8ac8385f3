"""The claims template reader (sources.claims), column by column, on hand-written rows.

A claim is a number a party states ("102 attacks repelled"), kept apart from events; these expectations
are written out by hand from the template's documented meaning.
"""

from __future__ import annotations

import pandas as pd

from analysis.sources import claims
from analysis.sources.base import Failures


def frame(*rows: dict) -> pd.DataFrame:
    """Template rows as the CSV reader gives them: every cell a string, missing cells empty."""
    columns = list(claims.TEMPLATE_COLUMNS)
    return pd.DataFrame([{c: row.get(c, "") for c in columns} for row in rows], dtype="str")


ROW = {"date": "2023-03-13", "metric": "Attacks_Repelled", "value": "102",
       "claimant": "General Staff of the Armed Forces of Ukraine", "description": "repelled 102 attacks",
       "source_name": "RFE/RL, 14 March 2023", "publication_date": "2023-03-14"}


def test_a_claim_over_the_past_day_keeps_its_number_day_and_lower_case_metric():
    failures = Failures()
    out = claims.parse(frame(ROW), failures)
    assert failures.frame().empty
    row = out.iloc[0]
    assert (row["count_date"], row["period_days"], row["metric"], row["value"]) == (
        pd.Timestamp("2023-03-13"), 1, "attacks_repelled", 102)
    assert row["source_dataset"] == "reported_claim" and row["claim_id"].startswith("claim:h")


def _rejections(failures: Failures) -> list[tuple]:
    """(row, column, value, rule) of every rejection, in the order recorded."""
    return [tuple(r) for r in failures.frame()[["row", "column", "value", "rule"]].itertuples(index=False)]


def test_period_days_is_one_unless_given():
    failures = Failures()
    out = claims.parse(frame(ROW, {**ROW, "period_days": "7"}, {**ROW, "period_days": " "}), failures)
    assert failures.frame().empty
    assert out["period_days"].tolist() == [1, 7, 1] and out["period_days"].dtype == "int64"


def test_an_empty_claim_id_is_a_hash_of_date_metric_claimant_and_source_the_same_at_any_position():
    failures = Failures()
    out = claims.parse(frame({**ROW, "metric": "drones_downed"}, ROW, {**ROW, "value": "5", "claim_id": "  "}),
                       failures)
    # A published id: what every earlier build gave the ROW claim; it must not change.
    assert out["claim_id"].iloc[1] == "claim:h13517501648338036571"
    # value is not part of the hash: the same statement with a corrected number keeps its id.
    assert out["claim_id"].iloc[2] == "claim:h13517501648338036571"
    assert out["claim_id"].iloc[0].startswith("claim:h") and out["claim_id"].iloc[0] != out["claim_id"].iloc[1]


def test_a_given_claim_id_is_stripped_and_its_inner_spaces_become_dashes():
    out = claims.parse(frame({**ROW, "claim_id": " GS 2023\t03 13 "}), Failures())
    assert out["claim_id"].iloc[0] == "claim:GS-2023-03-13"


def test_the_metric_is_lower_cased_the_value_a_whole_number_and_texts_stripped():
    failures = Failures()
    out = claims.parse(frame({**ROW, "metric": " Shahed_Downed ", "value": "1e+02", "oblast": " Kharkiv ",
                              "places": "Kupiansk; Izium", "source_url": "https://a.org/x"},
                             {**ROW, "value": "many"}), failures)
    row = out.iloc[0]
    assert (row["metric"], row["value"], row["admin1"], row["location"], row["source_url"]) == (
        "shahed_downed", 100, "Kharkiv", "Kupiansk; Izium", "https://a.org/x")
    assert pd.isna(out["value"].iloc[1]) and out["is_synthetic"].tolist() == [False, False]
    assert _rejections(failures) == [(1, "value", "many", "not_a_number")]


def test_dates_that_are_not_iso_or_a_claim_after_its_report_are_rejected_on_their_own_column():
    failures = Failures()
    claims.parse(frame({**ROW, "date": "13.03.2023"}, {**ROW, "publication_date": "2023/03/14"},
                       {**ROW, "date": "2023-03-15"}), failures)
    assert _rejections(failures) == [
        (0, "date", "13.03.2023", "unparseable_date"),
        (1, "publication_date", "2023/03/14", "unparseable_date"),
        (2, "date", "2023-03-15", "claim_after_publication"),
    ]


def test_rows_keep_the_index_of_the_chunk_they_came_from():
    raw = frame(ROW, {**ROW, "value": "7"})
    raw.index = [10, 11]
    out = claims.parse(raw, Failures())
    assert out.index.tolist() == [10, 11] and out["value"].tolist() == [102, 7]
