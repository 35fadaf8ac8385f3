"""Reader for officially reported counts that are not events (the package's claims template).

Statements such as the General Staff's "over the past day, our forces repelled
102 enemy attacks" are numbers *claimed* by a party, not events anyone coded.
They are kept apart from events so that a chart can show them beside event
counts without the two being confused.  Template columns:

================  ========  ====================================================
column            required  meaning
================  ========  ====================================================
claim_id          no        short stable id; derived from the row's content if empty
date              yes       day the count refers to (end of its period), YYYY-MM-DD
period_days       no        days the count covers (default 1: "over the past day")
metric            yes       what is counted, snake_case, e.g. attacks_repelled
value             yes       the number claimed
claimant          yes       who claims it, e.g. General Staff of the Armed Forces of Ukraine
oblast            no        oblast the claim is about, if one
places            no        places named with the claim, '; '-separated
description       yes       the claim in words, quoted where possible
source_name       yes       outlet that reported it
source_url        no        link (http or https)
publication_date  yes       when the report was published, YYYY-MM-DD
================  ========  ====================================================
"""

from __future__ import annotations

import pandas as pd

from analysis.sources import base
from analysis.sources.base import Failures, Layout, Reader

NAME = "reported_claim"

_REQUIRED = ("date", "metric", "value", "claimant", "description", "source_name", "publication_date")
_OPTIONAL = ("claim_id", "period_days", "oblast", "places", "source_url")
TEMPLATE_COLUMNS = ("claim_id", "date", "period_days", "metric", "value", "claimant", "oblast", "places",
                    "description", "source_name", "source_url", "publication_date")
SOURCE_COLUMNS = {"count_date": "date", "admin1": "oblast", "location": "places", "notes": "description"}
LAYOUTS = (Layout("reported_claim", required=_REQUIRED, optional=_OPTIONAL,
                  description="officially reported counts, hand-coded from statements (the package's template)"),)


def parse(raw: pd.DataFrame, failures: Failures) -> pd.DataFrame:
    """Template strings -> reported-claim columns (rows aligned with ``raw``)."""
    raw = raw.assign(**{c: "" for c in _OPTIONAL if c not in raw})
    base.require(raw, ("metric", "value", "claimant", "description", "source_name"), failures)
    count_date = base.parse_dates(raw["date"], ("%Y-%m-%d",), "date", failures)
    published = base.parse_dates(raw["publication_date"], ("%Y-%m-%d",), "publication_date", failures)
    failures.add((count_date > published).fillna(False).to_numpy(bool), raw["date"], "date",
                 "claim_after_publication", "the claim's date is after the report's publication_date")
    period = base.parse_count(raw["period_days"], "period_days", failures).fillna(1)
    given = raw["claim_id"].str.strip()
    digest = "h" + pd.util.hash_pandas_object(raw[["date", "metric", "claimant", "source_name"]], index=False).astype("str")
    claim_id = given.where(given != "", digest).str.replace(r"\s+", "-", regex=True)
    return pd.DataFrame(
        {
            "claim_id": "claim:" + claim_id,
            "source_dataset": NAME,
            "count_date": count_date,
            "period_days": period.astype("int64"),
            "metric": base.clean_text(raw["metric"]).str.lower(),
            "value": base.parse_count(raw["value"], "value", failures),
            **base.text_columns(raw, claimant="claimant", admin1="oblast", location="places", notes="description",
                                source_name="source_name", source_url="source_url"),
            "publication_date": published,
            "is_synthetic": False,
        },
        index=raw.index,
    )


READER = Reader(NAME, "claims", LAYOUTS, parse, strict_columns=True, source_columns=SOURCE_COLUMNS)
