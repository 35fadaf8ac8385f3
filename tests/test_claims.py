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
