"""Air-attack metrics and reported claims: hand-computed frames and the real Air Force sample."""

from __future__ import annotations

import shutil
import warnings

import pandas as pd
import pytest

from analysis import config, metrics
from analysis.build import build
from analysis.errors import ParameterError
from analysis.tables.rowchecks import ContractError
from conftest import MISSILE_SAMPLE, per_test_under_mutmut

D = pd.Timestamp


def _counts(rows):
    from analysis.build import dailycounts
    from analysis.tables.schemas import DAILY_COUNTS, empty_frame

    empty = empty_frame(DAILY_COUNTS)
    base = {"is_reported_claim": False, "claimant": "Ukrainian Air Force", "period_days": 1,
            "source_dataset": "air_force", "source_name": "Ukrainian Air Force", "is_synthetic": False,
            "raw_file": "t.csv"}
    frame = pd.DataFrame([{**base, **r} for r in rows]).reindex(columns=empty.columns)
    return dailycounts._validated(frame.astype({c: str(t) for c, t in empty.dtypes.items()}))


@pytest.fixture
def counts():
    # two report rows on 1 May (a drone row and a missile row), nothing on 2 May, one drone row on 3 May,
    # and one drone row on 3 May whose launched number is unknown (it only says 4 destroyed)
    rows = []
    for line, (day, model, category, launched, destroyed) in enumerate([
        ("2024-05-01", "Shahed-136/131", "drone", 20, 15), ("2024-05-01", "Kh-101", "cruise missile", 6, 6),
        ("2024-05-03", "Shahed-136/131", "drone", 10, 9), ("2024-05-03", "Shahed-136/131", "drone", None, 4),
    ], start=2):
        for metric, value in (("launched", launched), ("destroyed", destroyed)):
            if value is not None:
                rows.append({"count_date": D(day), "metric": metric, "value": value, "weapon_model": model,
                             "weapon_category": category, "raw_line": line})
    return _counts(rows)


def test_launched_destroyed_and_share_by_category(counts):
    daily = metrics.air_attacks_per_day(counts).set_index(["weapon_category", "count_date"])
    assert daily.loc[("drone", D("2024-05-01")), ["launched", "destroyed"]].tolist() == [20, 15]
    assert daily.loc[("drone", D("2024-05-01")), "share_destroyed"] == pytest.approx(0.75)
    assert daily.loc[("drone", D("2024-05-02")), ["launched", "destroyed"]].tolist() == [0, 0]  # zero-filled
    assert pd.isna(daily.loc[("drone", D("2024-05-02")), "share_destroyed"])
    # the row without a launched number does not add 4 destroyed to a day with 10 launched
    assert daily.loc[("drone", D("2024-05-03")), ["launched", "destroyed"]].tolist() == [10, 9]
    assert daily.loc[("cruise missile", D("2024-05-01")), "share_destroyed"] == 1.0


def test_all_categories_together(counts):
    daily = metrics.air_attacks_per_day(counts, by=None)
    assert daily["weapon_category"].unique().tolist() == ["all"]
    assert daily["launched"].tolist() == [26, 0, 10] and daily["destroyed"].tolist() == [21, 0, 9]


def test_air_attacks_per_day_gives_no_warning(counts):
    # e.g. no deprecated pandas alias (freq "d" warns on pandas 3 and fails on pandas 4; third mutation run: 119)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        daily = metrics.air_attacks_per_day(counts)
    assert daily["count_date"].tolist() == [D("2024-05-01"), D("2024-05-02"), D("2024-05-03")] * 2


def test_a_day_with_more_destroyed_than_launched_is_refused_by_that_rule_alone():
    # A build cannot give it (the reader's schema refuses destroyed > launched in a row).  Handed one, the metric
    # refuses the day by that rule only: share_destroyed is empty, not infinite, where nothing was launched
    # (third mutation run: air_attacks_per_day 153, launched > 0 read as >= 0).
    counts = _counts([{"count_date": D("2024-05-01"), "metric": metric, "value": value, "weapon_model": "X",
                       "weapon_category": "drone", "raw_line": 2} for metric, value in (("launched", 0),
                                                                                      ("destroyed", 2))])
    with pytest.raises(ContractError, match=r"^air_attacks_per_day: breaks destroyed_exceeds_launched$"):
        metrics.air_attacks_per_day(counts)


def test_a_report_row_is_its_file_and_line_not_its_line_alone():
    """Two files' rows on the same line, day and category are two report rows: the row of the second file, which
    gives no number launched, adds nothing (by file and line, as the source lines are cited)."""
    rows = [{"count_date": D("2024-05-01"), "metric": "launched", "value": 10, "weapon_model": "Shahed-136/131",
             "weapon_category": "drone", "raw_line": 2, "raw_file": "a.csv"},
            {"count_date": D("2024-05-01"), "metric": "destroyed", "value": 8, "weapon_model": "Shahed-136/131",
             "weapon_category": "drone", "raw_line": 2, "raw_file": "a.csv"},
            {"count_date": D("2024-05-01"), "metric": "destroyed", "value": 5, "weapon_model": "Shahed-136/131",
             "weapon_category": "drone", "raw_line": 2, "raw_file": "b.csv"}]
    daily = metrics.air_attacks_per_day(_counts(rows))
    assert daily[["launched", "destroyed"]].values.tolist() == [[10, 8]]


def test_no_air_force_reports_is_a_clear_error():
    claim = _counts([{"count_date": D("2024-05-01"), "metric": "attacks_repelled", "value": 90, "raw_line": 2,
                      "is_reported_claim": True, "source_dataset": "reported_claim", "claimant": "General Staff"}])
    message = "there are no events to compute from (is data/raw empty, or the filter too narrow?)"
    for counts in (claim, claim.iloc[:0]):
        with pytest.raises(ParameterError) as raised:
            metrics.air_attacks_per_day(counts)
        assert str(raised.value) == message


def test_outside_the_reports_coverage_is_an_error(counts):
    with pytest.raises(ParameterError, match="air-force reports' coverage"):
        metrics.air_attacks_per_day(counts, start="2024-04-30")


@pytest.fixture(scope=per_test_under_mutmut)
def real_counts(tmp_path_factory, request):
    from conftest import realdata_path

    raw = tmp_path_factory.mktemp("raw")
    shutil.copy(realdata_path(MISSILE_SAMPLE), raw / "missile_attacks_daily.csv")
    for path in (config.PROJECT_DIR / "data" / "raw").glob("claims_*.csv"):
        shutil.copy(path, raw)
    out = tmp_path_factory.mktemp("processed")
    build(raw, out)
    return pd.read_parquet(out / "daily_counts.parquet"), realdata_path(MISSILE_SAMPLE)


def test_real_sample_days_match_the_file(real_counts):
    counts, path = real_counts
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    daily = metrics.air_attacks_per_day(counts, by=None).set_index("count_date")
    for day in ("2024-01-02", "2025-07-09", "2026-03-01"):
        ends_that_day = raw["time_end"].str.strip().str.startswith(day)
        rows = raw[ends_that_day & (raw["launched"] != "")]
        launched = pd.to_numeric(rows["launched"]).sum()
        destroyed = pd.to_numeric(rows["destroyed"].replace("", "0")).sum()
        assert daily.loc[D(day), "launched"] == launched > 0
        assert daily.loc[D(day), "destroyed"] == destroyed


def test_real_sample_never_destroys_more_than_launched(real_counts):
    counts, _ = real_counts
    daily = metrics.air_attacks_per_day(counts)
    assert (daily["destroyed"] <= daily["launched"]).all()
    assert daily["share_destroyed"].dropna().between(0, 1).all()


def test_the_general_staff_claim_is_a_reported_claim_not_an_event_count(real_counts):
    counts, _ = real_counts
    claims = metrics.reported_claims(counts, start="2023-03-14", end="2023-03-14")
    assert claims[["metric", "value", "is_reported_claim"]].values.tolist() == [["attacks_repelled", 102, True]]
    assert claims.loc[0, "claimant"] == "General Staff of the Armed Forces of Ukraine"
    assert not counts.loc[counts["source_dataset"] == "air_force", "is_reported_claim"].any()
