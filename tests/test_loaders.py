"""``analysis.load_events()`` builds when needed and returns typed processed events."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import config
from analysis.metrics import loaders
from analysis.errors import DataNotBuiltError


@pytest.fixture
def dirs(seed_dirs):
    return seed_dirs[:2]


def test_load_events_builds_first_and_keeps_dtypes(dirs):
    raw, processed = dirs
    assert not processed.exists()
    events = loaders.load_events()
    assert (processed / "events.parquet").exists()
    assert len(events) == 7
    assert str(events["event_date"].dtype) == "datetime64[ms]"
    assert str(events["civilians_killed"].dtype) == "Int64"
    strike = events.set_index("event_id").loc["news:rferl-20230314-kramatorsk-apartment-strike"]
    assert (strike["civilians_killed"], strike["civilians_injured"], strike["buildings_damaged"]) == (1, 3, 6)
    assert pd.isna(events.set_index("event_id").loc["news:rferl-20220408-kramatorsk-railway-station-strike",
                                                    "civilians_injured"])


def test_load_events_selects_columns(dirs):
    events = loaders.load_events(["event_id", "settlement"])
    assert list(events.columns) == ["event_id", "settlement"]


def test_without_build_a_missing_table_is_a_clear_error(dirs):
    with pytest.raises(DataNotBuiltError, match="analysis build"):
        loaders.load_events(build=False)


def test_manifest_is_available(dirs):
    manifest = loaders.load_manifest()
    assert {e["path"] for e in manifest["inputs"]} == {p.name for p in dirs[0].iterdir()}


def test_the_loaded_events_and_a_metric_result_save_to_parquet(seed_dirs, tmp_path):
    # pandas writes attrs as JSON into the file's metadata: the coverage and the rows behind a result must not
    # make to_parquet fail (they did: a Timestamp and a Rows object are not JSON)
    import pandas as pd

    import analysis
    from analysis import metrics

    events = analysis.load_events()
    events.to_parquet(tmp_path / "events.parquet")
    back = pd.read_parquet(tmp_path / "events.parquet")
    assert metrics.coverage(back) == metrics.coverage(events) == (pd.Timestamp("2022-04-08"),
                                                                  pd.Timestamp("2023-03-14"))
    daily = metrics.attacks_per_day(metrics.events_in(events, city="Kramatorsk"), rolling=7)
    daily.to_parquet(tmp_path / "daily.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "daily.parquet"), daily)
