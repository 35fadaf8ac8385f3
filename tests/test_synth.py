"""The synthetic ACLED generator: deterministic, valid, flagged, and realistically distributed."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from analysis.ingest import ingest_file
from analysis.synth import OBLAST_WEIGHTS, synthetic_acled, write_synthetic_acled


@pytest.fixture(scope="module")
def sample():
    return synthetic_acled(20_000, seed=7)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    paths = [write_synthetic_acled(tmp_path / f"{i}.csv", rows=500, seed=s) for i, s in enumerate((3, 3, 4))]
    digests = [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]
    assert digests[0] == digests[1] != digests[2]


def test_every_synthetic_row_is_accepted_and_flagged(tmp_path):
    path = write_synthetic_acled(tmp_path / "s.csv", rows=2_000, seed=1)
    result = ingest_file(path, "s.csv")
    assert result.ledger.accepted == 2_000 and result.ledger.rejected == 0
    events = result.accepted
    assert events["is_synthetic"].all()
    assert events["event_id"].str.startswith("synthetic-acled:UKR").all()


def test_synthetic_ids_never_merge_with_real_acled_ids(tmp_path):
    from analysis.ingest import IdRegistry
    from conftest import to_csv_text

    synthetic = synthetic_acled(5, seed=1)
    real = synthetic.drop(columns="is_synthetic")  # same ids, as if ACLED had published them
    registry = IdRegistry()
    a = ingest_file(write_synthetic_acled(tmp_path / "s.csv", rows=5, seed=1), "s.csv", registry)
    (tmp_path / "r.csv").write_text(to_csv_text(real.to_dict("records")))
    b = ingest_file(tmp_path / "r.csv", "r.csv", registry)
    assert a.ledger.accepted == b.ledger.accepted == 5 and b.ledger.merged == 0


def test_distributions_are_realistic(sample):
    shares = sample["admin1"].value_counts(normalize=True)
    assert shares.index[0] == "Donetsk"
    expected = OBLAST_WEIGHTS["Donetsk"] / sum(OBLAST_WEIGHTS.values())
    assert abs(shares["Donetsk"] - expected) < 0.02
    fatalities = sample["fatalities"].astype(int)
    assert 0.6 < (fatalities == 0).mean() < 0.85  # zero-inflated
    assert fatalities.max() > 10
    types = sample["event_type"].value_counts(normalize=True)
    assert types.index[0] == "Explosions/Remote violence" and 0.6 < types.iloc[0] < 0.75
    dates = pd.to_datetime(sample["event_date"])
    assert dates.min() >= pd.Timestamp("2022-02-24") and dates.max() <= pd.Timestamp("2023-12-31")
    assert dates.is_monotonic_increasing
    unknown = sample["notes"].str.contains("Casualties unknown")
    assert unknown[fatalities == 0].mean() > 0.5 and not unknown[fatalities > 0].any()


def test_settlements_come_from_the_gazetteer(sample):
    from analysis.places import load_gazetteer

    gazetteer = load_gazetteer()
    assert sample["location"].isin(gazetteer["name"]).all()
