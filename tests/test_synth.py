"""The synthetic ACLED generator: deterministic, valid, flagged, and realistically distributed."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from analysis.config import PROJECT_DIR as ROOT
from analysis.build.ingest import ingest_file
from analysis.build.synth import OBLAST_WEIGHTS, synthetic_acled, write_synthetic_acled


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
    from analysis.build.dedupe import IdRegistry
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


# ---------------------------------------------------------------- ids never collide, output only where told
@pytest.mark.parametrize(("a", "b"), [
    ({"seed": 1}, {"seed": 2}),
    ({"seed": 1}, {"seed": 1, "rows": 301}),
    ({"seed": 1}, {"seed": 1, "start": "2022-02-25"}),
    ({"seed": 1}, {"seed": 1, "end": "2023-12-30"}),
])
def test_synthetic_files_made_differently_never_share_an_id(a, b):
    def ids(params):
        params = {"rows": 300, "start": "2022-02-24", "end": "2023-12-31", **params}
        return set(synthetic_acled(**params)["event_id_cnty"])

    first, second = ids(a), ids(b)
    assert len(first) == 300 and len(second) == b.get("rows", 300)
    assert not first & second


def test_acled_ids_name_the_seed_size_and_dates():
    frame = synthetic_acled(3, seed=2023, start="2023-01-01", end="2023-06-30")
    assert frame["event_id_cnty"].str.fullmatch(r"UKR-s2023-n3-20230101-20230630-90000[0-2]").all()


def test_air_force_files_made_differently_never_share_a_report_id(tmp_path):
    from analysis.build.dedupe import IdRegistry
    from analysis.build.synth import write_synthetic_air_force

    registry = IdRegistry()
    made = [({"seed": 1}, "a"), ({"seed": 2}, "b"), ({"seed": 1, "end": "2023-06-29"}, "c"),
            ({"seed": 1, "start": "2023-01-02"}, "d")]
    results = [ingest_file(write_synthetic_air_force(tmp_path / f"{name}.csv", **params), f"{name}.csv", registry)
               for params, name in made]
    assert all(r.ledger.accepted > 100 and r.ledger.rejected == 0 for r in results)
    assert [r.ledger.merged for r in results] == [0, 0, 0, 0]  # the same nights, never the same ids


def test_synth_without_out_is_a_usage_error_and_writes_nothing(cli, tmp_path, monkeypatch):
    from analysis import config

    raw = tmp_path / "raw"
    raw.mkdir()
    monkeypatch.setattr(config, "RAW_DIR", raw)
    monkeypatch.chdir(tmp_path)
    for kind in ("acled", "air-force"):
        code, out, err = cli("synth", "--rows", "5", "--kind", kind)
        assert code == 2 and "--out" in err and out == ""
    assert list(tmp_path.rglob("*.csv")) == []
    code, out, _ = cli("synth", "--rows", "5", "--out", tmp_path / "here.csv")
    assert code == 0 and [p.name for p in tmp_path.rglob("*.csv")] == ["here.csv"]


def test_regenerated_demo_merges_quietly_with_itself_and_never_with_another_seed(tmp_path):
    """The bundled demo read twice: identical duplicates, merged without warnings; another seed: no merge."""
    from analysis.build.dedupe import IdRegistry, conflict_warnings

    demo = ROOT / "data" / "raw" / "synthetic_acled_demo.csv"
    registry = IdRegistry()
    first = ingest_file(demo, "demo.csv", registry)
    again = ingest_file(demo, "demo_copy.csv", registry)
    assert first.ledger.accepted == again.ledger.merged == 750 and again.merged["is_identical"].all()
    assert conflict_warnings(again.merged).empty
    other = ingest_file(write_synthetic_acled(tmp_path / "o.csv", rows=750, seed=2024, start="2023-01-01",
                                              end="2023-06-30"), "o.csv", registry)
    assert (other.ledger.accepted, other.ledger.merged) == (750, 0)


def test_a_large_file_is_written_in_parts_with_one_header_and_distinct_ids(tmp_path):
    # 10 rows in parts of at most 4: parts of 4, 3 and 3 rows, each with its own ids; every row accepted
    path = write_synthetic_acled(tmp_path / "parts.csv", rows=10, seed=5, part_rows=4)
    again = write_synthetic_acled(tmp_path / "again.csv", rows=10, seed=5, part_rows=4)
    assert path.read_bytes() == again.read_bytes()
    lines = path.read_text().splitlines()
    assert len(lines) == 11 and lines[0].startswith("event_id_cnty,") and sum(line == lines[0] for line in lines) == 1
    frame = pd.read_csv(path, dtype=str)
    assert frame["event_id_cnty"].is_unique
    assert frame["event_id_cnty"].str.extract(r"-p(\d)-")[0].value_counts().sort_index().tolist() == [4, 3, 3]
    result = ingest_file(path, "parts.csv")
    assert result.ledger.accepted == 10 and result.ledger.rejected == 0
    # at or under the part size the file is one part, as before
    whole = write_synthetic_acled(tmp_path / "whole.csv", rows=10, seed=5, part_rows=10)
    assert whole.read_bytes() == (write_synthetic_acled(tmp_path / "w2.csv", rows=10, seed=5)).read_bytes()
    assert "-p0-" not in whole.read_text()
