"""The metrics on every engine: pandas, DuckDB and Dask (analysis.scan_events()) give the same results.

The pandas results are pinned by hand-computed tests (test_definitions.py,
test_published_metrics.py); here every engine must give exactly those frames,
with the same provenance and the same rows behind them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import analysis
from analysis import cluster, metrics
from analysis.errors import ParameterError
from analysis.metrics import engines, frames, provenance
from conftest import events_frame

D = pd.Timestamp
# (settlement, location, geonameid, matched, oblast): matched, unmatched with an oblast, unmatched without
PLACES = [("Kramatorsk", "Kramatorsk", 704508, True, "Donetsk"), ("Kharkiv", "Kharkiv", 706483, True, "Kharkiv"),
          (None, "Nova Poltavka", None, False, "Donetsk"), (None, "a village", None, False, None)]
TOLL = st.sampled_from([None, 0, 1, 4])


@st.composite
def records(draw):
    settlement, location, geonameid, matched, admin1 = draw(st.sampled_from(PLACES))
    first = D("2023-03-01") + pd.Timedelta(days=draw(st.integers(0, 12)))
    attack = draw(st.booleans())
    fatalities, killed = draw(TOLL), draw(TOLL)
    if fatalities is not None and killed is not None:
        killed = min(killed, fatalities)  # the schema: civilians killed are among the fatalities
    return {
        "event_date": first, "event_end_date": first + pd.Timedelta(days=draw(st.sampled_from([0, 0, 2]))),
        "date_precision": draw(st.sampled_from(["day", "day", "week", "month"])),
        "is_attack": attack, "event_type": "Explosions/Remote violence" if attack else "Protests",
        "sub_event_type": "Shelling/artillery/missile attack" if attack else "Peaceful protest",
        "settlement": settlement, "location": location, "geonameid": geonameid, "is_place_matched": matched,
        "admin1": admin1, "is_civilian_targeting": draw(st.sampled_from([None, True, False])),
        "civilians_killed": killed, "civilians_injured": draw(TOLL), "fatalities": fatalities,
        "is_casualties_unknown": fatalities is None and draw(st.booleans()), "is_synthetic": draw(st.booleans()),
        "source_dataset": draw(st.sampled_from(["acled", "acled", "news"])),
    }


@st.composite
def calls(draw):
    """A metric call: (function, keyword arguments), with a period inside the data or the default."""
    name = draw(st.sampled_from(["attacks_per_day", "civilian_harm_by_city", "compare_periods", "summarise_events"]))
    period = draw(st.sampled_from([{}, {"start": "2023-03-03", "end": "2023-03-09"}, {"end": "2023-03-05"}]))
    by = st.sampled_from([None, "admin1", "settlement", "event_type", "source_dataset"])
    if name == "attacks_per_day":
        return name, {**period, "by": draw(by), "rolling": draw(st.sampled_from([None, 3]))}
    if name == "compare_periods":
        periods = draw(st.sampled_from([(("2023-03-08", "2023-03-13"), ("2023-03-01", "2023-03-07")),
                                        (("2023-03-04", "2023-03-06"), ("2023-03-02", "2023-03-05"))]))  # overlapping
        return name, {"current": periods[0], "previous": periods[1], "by": draw(by),
                      "metric": draw(st.sampled_from(["attacks", "events", "fatalities", "civilians_killed"]))}
    if name == "summarise_events":
        return name, {**period, "freq": draw(st.sampled_from(["week", "month"])),
                      "by": draw(st.sampled_from([None, ("event_type",), ("admin1", "settlement")]))}
    return name, {**period, "top": draw(st.sampled_from([None, 2]))}


def _stored(rows: list[dict], folder: Path) -> Path:
    path = folder / "events.parquet"
    events_frame(rows).to_parquet(path, index=False)
    return path


def _same(expected: pd.DataFrame, actual: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(actual, expected)
    assert provenance.get(actual) == provenance.get(expected)
    assert actual.attrs.get("rolling_days") == expected.attrs.get("rolling_days")
    behind, expected_rows = provenance.rows(actual), provenance.rows(expected)
    key = ["event_id"] if "event_id" in expected_rows else ["raw_file", "raw_line", "metric", "weapon_category"]
    assert sorted(map(tuple, behind[key].astype(str).to_numpy())) == \
        sorted(map(tuple, expected_rows[key].astype(str).to_numpy()))
    assert len(behind) == len(expected_rows)


def _on_every_engine(rows, calls_, engine_names, folder: Path) -> None:
    path = _stored(rows, folder)
    loaded = metrics.with_coverage(pd.read_parquet(path))  # as analysis.load_events() returns it
    for name, kwargs in calls_:
        function = getattr(metrics, name)
        try:
            expected = function(loaded, **kwargs)
        except ParameterError as error:  # e.g. a period outside the data: the same message on every engine
            for engine in engine_names:
                with pytest.raises(ParameterError) as raised:
                    function(engines.scan(path, engine), **kwargs)
                assert str(raised.value) == str(error)
            continue
        for engine in engine_names:
            _same(expected, function(engines.scan(path, engine), **kwargs))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), min_size=1, max_size=25), st.lists(calls(), min_size=1, max_size=4))
def test_duckdb_gives_the_pandas_results(rows, calls_):
    with tempfile.TemporaryDirectory() as folder:
        _on_every_engine(rows, calls_, ["duckdb"], Path(folder))


@pytest.fixture(scope="module")
def local_cluster():
    """One local Dask cluster (a worker process per core) for the module, closed after it."""
    yield cluster.client("local")
    cluster.close()


@pytest.fixture(params=["duckdb", pytest.param("dask", marks=pytest.mark.cluster)])
def engine(request):
    """Each lazy engine in turn; Dask on the local cluster.  DuckDB needs no cluster, so the mutation run (which
    leaves out cluster tests) still compares it with pandas."""
    if request.param == "dask":
        request.getfixturevalue("local_cluster")
    return request.param


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(records(), min_size=1, max_size=25), st.lists(calls(), min_size=1, max_size=2))
def test_dask_on_a_local_cluster_gives_the_pandas_results(local_cluster, rows, calls_):
    with tempfile.TemporaryDirectory() as folder:
        _on_every_engine(rows, calls_, ["dask", "duckdb"], Path(folder))


def test_the_bundled_data_give_the_same_numbers_on_every_engine(seed_dirs, engine):
    events = analysis.load_events()
    lazy = analysis.scan_events(engine)
    _same(metrics.attacks_per_day(events, by="event_type", rolling=7),
          metrics.attacks_per_day(lazy, by="event_type", rolling=7))
    _same(metrics.civilian_harm_by_city(events), metrics.civilian_harm_by_city(lazy))
    _same(metrics.week_on_week(events, "2023-03-14", "fatalities", by="admin1"),
          metrics.week_on_week(lazy, "2023-03-14", "fatalities", by="admin1"))
    _same(metrics.summarise_events(events, "week", by=("event_type", "admin1")),
          metrics.summarise_events(lazy, "week", by=("event_type", "admin1")))


def test_hand_computed_counts_on_duckdb(tmp_path):
    # 1 Mar: two attacks (one week-dated); 2 Mar: none; 3 Mar: one attack running to 5 Mar, counted once on
    # its first day; a protest on 4 Mar is no attack.  Kramatorsk: 2 killed + toll unknown -> 2 killed, 1 unknown.
    common = {"event_type": "Explosions/Remote violence", "is_attack": True}
    rows = [{**common, "event_date": D("2023-03-01"), "civilians_killed": 2},
            {**common, "event_date": D("2023-03-01"), "date_precision": "week", "civilians_killed": None,
             "is_civilian_targeting": True},
            {**common, "event_date": D("2023-03-03"), "event_end_date": D("2023-03-05")},
            {"event_date": D("2023-03-04"), "event_type": "Protests", "sub_event_type": "Peaceful protest",
             "is_attack": False}]
    relation = engines.scan(_stored(rows, tmp_path), "duckdb")
    daily = metrics.attacks_per_day(relation)
    assert daily["event_date"].dt.day.tolist() == [1, 2, 3, 4, 5]  # coverage: 1 Mar to the last end, 5 Mar
    assert daily["attacks"].tolist() == [2, 0, 1, 0, 0]
    assert daily["attacks_imprecise_date"].tolist() == [1, 0, 0, 0, 0]
    city = metrics.civilian_harm_by_city(relation).iloc[0]
    assert (city["settlement"], city["incidents"], city["civilians_killed"], city["incidents_killed_unknown"]) == \
        ("Kramatorsk", 2, 2, 1)
    assert pd.isna(city["civilians_injured"])  # neither incident gives a number injured: unknown, not 0


def test_scan_events_reads_the_current_build_lazily(seed_dirs):
    relation = analysis.scan_events()
    assert type(relation).__module__.startswith("duckdb")
    assert relation.columns == list(analysis.load_events().columns)
    narrow = analysis.scan_events(columns=["event_id", "event_date"])
    assert narrow.columns == ["event_id", "event_date"]
    assert len(narrow.fetchall()) == len(analysis.load_events())


@pytest.mark.parametrize("kwargs, message", [
    ({"engine": "spark"}, "engine='spark'; choose one of: duckdb, dask"),
    ({"scheduler": "tcp://127.0.0.1:8786"}, "a scheduler is for engine='dask'"),
    ({"engine": "dask", "scheduler": "127.0.0.1:8786"}, "give 'local' or a Dask scheduler address tcp://host:port"),
    ({"columns": ["event_id", "casualties"]}, "no column 'casualties' in the events table"),
])
def test_scan_events_refuses_what_it_cannot_do(seed_dirs, kwargs, message):
    with pytest.raises(ParameterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        analysis.scan_events(**kwargs)


def test_incidents_and_place_filters_agree_on_every_engine(seed_dirs, engine):
    events = analysis.load_events()
    lazy = analysis.scan_events(engine)
    incidents, lazy_incidents = (metrics.civilian_harm_incidents(e, start="2023-03-01", end="2023-03-14")
                                 for e in (events, lazy))
    pd.testing.assert_frame_equal(lazy_incidents, incidents)
    assert provenance.get(lazy_incidents) == provenance.get(incidents) and len(incidents) > 0
    for place in ({"city": "Kramatorsk"}, {"oblast": "Donetsk"}, {"city": "Kramatorsk", "oblast": "Kharkiv"}):
        _same(metrics.attacks_per_day(metrics.events_in(events, **place)),
              metrics.attacks_per_day(metrics.events_in(lazy, **place)))


def test_a_lazy_place_filter_keeps_the_whole_coverage(tmp_path):
    # Kharkiv's only event is on 1 Mar; the data run to 6 Mar: the city's days after 1 Mar are zeros, not
    # outside the data
    rows = [{"event_date": D("2023-03-01"), "settlement": "Kharkiv", "location": "Kharkiv", "geonameid": 706483,
             "admin1": "Kharkiv"},
            {"event_date": D("2023-03-06")}]
    relation = engines.scan(_stored(rows, tmp_path), "duckdb")
    kharkiv = metrics.events_in(relation, city="Kharkiv")
    daily = metrics.attacks_per_day(kharkiv)
    assert daily["attacks"].tolist() == [1, 0, 0, 0, 0, 0]
    assert metrics.coverage(kharkiv) == (D("2023-03-01"), D("2023-03-06"))
    # filtered by DuckDB itself, a relation is a new table with its own span
    assert metrics.coverage(relation.filter("event_date > '2023-03-01'")) == (D("2023-03-06"), D("2023-03-06"))


@pytest.mark.parametrize("datasets, statistics, constants", [
    (["acled", "acled", "acled"], True, {"source_dataset": "acled", "is_synthetic": False}),
    (["acled", "acled", "news"], True, {"is_synthetic": False}),  # one row group acled, the other mixed
    (["acled", "acled", "news", "news"], True, {"is_synthetic": False}),  # each row group one value, not the same
    (["acled", "acled", "acled"], False, {}),  # no statistics: nothing is assumed, the coverage is a query
])
def test_single_valued_columns_come_from_the_parquet_statistics(tmp_path, datasets, statistics, constants):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{"event_date": D("2023-03-01") + pd.Timedelta(days=2 * n), "source_dataset": d,
             "event_end_date": D("2023-03-01") + pd.Timedelta(days=2 * n + (3 if n == 1 else 0))}
            for n, d in enumerate(datasets)]
    path = tmp_path / "events.parquet"
    pq.write_table(pa.Table.from_pandas(events_frame(rows), preserve_index=False), path, row_group_size=2,
                   write_statistics=statistics)
    assert pq.read_metadata(path).num_row_groups == 2
    relation = engines.scan(path, "duckdb")
    assert frames.recorded_constants(relation) == constants
    last = D("2023-03-07") if len(rows) == 4 else D("2023-03-06")  # the last row's day, else the second's end
    assert frames.recorded_coverage(relation) == (D("2023-03-01"), last)
    assert frames.recorded_constants(metrics.events_in(relation, city="Kramatorsk")) == constants
    loaded = metrics.with_coverage(pd.read_parquet(path))
    for function in (metrics.attacks_per_day, metrics.civilian_harm_by_city):
        _same(function(loaded), function(relation))
    names = {"acled": "ACLED", "news": "news reports (hand-coded)"}
    assert provenance.get(metrics.attacks_per_day(relation)).sources == tuple(names[d] for d in sorted(set(datasets)))


def test_provenance_and_coverage_gaps_of_a_whole_table_agree_on_every_engine(seed_dirs, engine):
    from analysis.metrics import quality

    events, counts = analysis.load_events(), analysis.load_daily_counts()
    expected_gaps = quality.coverage_gaps(events, counts, min_days=2)
    assert len(expected_gaps) > 0  # the bundled data have gaps, so the comparison says something
    lazy = analysis.scan_events(engine)
    assert metrics.provenance_of(lazy) == provenance.of_rows(events)
    assert metrics.provenance_of(lazy).sources == provenance.of_rows(events).sources != ()
    pd.testing.assert_frame_equal(quality.coverage_gaps(lazy, counts, min_days=2), expected_gaps)
    assert metrics.provenance_of(events) == provenance.of_rows(events)


def test_a_file_scanned_again_gives_the_same_relation_until_it_is_replaced(tmp_path):
    path = _stored([{"event_date": D("2023-03-01")}], tmp_path)
    first = engines.scan(path, "duckdb")
    assert engines.scan(path, "duckdb") is first
    assert engines.scan(path, "duckdb", columns=["event_id", "event_date"]) is not first
    replaced = tmp_path / "new.parquet"
    events_frame([{"event_date": D("2023-03-01")}, {"event_date": D("2023-03-09")}]).to_parquet(replaced, index=False)
    replaced.replace(path)  # as a new build's file: another inode, another time
    again = engines.scan(path, "duckdb")
    assert again is not first and len(again.fetchall()) == 2
    assert frames.recorded_coverage(again) == (D("2023-03-01"), D("2023-03-09"))


def test_parquet_footers_are_cached_and_a_file_rewritten_in_place_is_read_afresh(tmp_path):
    """The connection keeps parsed Parquet footers (repeated metrics in a kernel), and DuckDB checks each
    file's modification time: a file written again at once at the same path gives its new rows, even of
    another size, to a relation bound before (the relation cache is bypassed by querying the file directly)."""
    connection = engines._duckdb()
    assert connection.execute("SELECT current_setting('parquet_metadata_cache')").fetchall() == [(True,)]
    path = tmp_path / "events.parquet"
    for days in (1, 40, 3):
        rows = [{"event_date": D("2023-03-01") + pd.Timedelta(days=d), "fatalities": d} for d in range(days)]
        events_frame(rows).to_parquet(path, index=False)
        counted = connection.execute(f"SELECT count(*), sum(fatalities) FROM read_parquet('{path}')").fetchall()
        assert counted == [(days, sum(range(days)))]
        assert metrics.attacks_per_day(engines.scan(path, "duckdb"))["attacks"].sum() == days


def test_a_grouping_over_a_large_store_scans_it_once(tmp_path):
    """DuckDB's partitioned execution splits a grouping over a file of some 21 million rows or more into parts
    that each scan the whole file (attacks_per_day on 25M events: 244 ms instead of 158 ms); the package's
    connection turns it off.  25 million rows of two columns, written by DuckDB in a fraction of a second."""
    import duckdb

    path = tmp_path / "events.parquet"
    rows = 25_000_000
    duckdb.connect().execute(
        f"COPY (SELECT (DATE '2022-01-01' + (i * 700 // {rows})::INTEGER)::TIMESTAMP AS event_date, i % 3 <> 0 AS "
        f"is_attack FROM range({rows}) t(i)) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 100000)")
    query = f"SELECT event_date, count(*) FROM read_parquet('{path}') WHERE is_attack GROUP BY event_date"

    def scans(connection) -> int:
        return connection.execute("EXPLAIN " + query).fetchall()[0][1].upper().count("READ_PARQUET")

    assert scans(duckdb.connect()) == 2  # DuckDB's default: if this fails, the setting may no longer be needed
    assert scans(engines._duckdb()) == 1
    assert engines._duckdb().execute(query + " ORDER BY 1").fetchall() == duckdb.connect().execute(
        query + " ORDER BY 1").fetchall()


def test_a_metric_refuses_what_is_no_table():
    with pytest.raises(ParameterError, match="not list"):
        metrics.attacks_per_day([1, 2, 3])


@pytest.mark.slow
def test_reports_on_the_lazy_path_write_the_same_files(bundled_reports, tmp_path, monkeypatch):
    # every events table is "large" here: the reports read it through DuckDB and must write the same numbers,
    # evidence, figures and HTML as the pandas path of the session's bundled reports (the executed notebook
    # and run.json record times, and differ between any two runs)
    from analysis import reports
    from conftest import point_config_at

    _, on_pandas = bundled_reports
    monkeypatch.setenv("ANALYSIS_LAZY_EVENTS_ROWS", "0")
    point_config_at(monkeypatch, tmp_path)
    notebooks = ["01-daily-briefing", "02-city-profile", "03-period-summary", "05-data-quality"]
    results = reports.run_many([(reports.resolve_notebook(n), {}) for n in notebooks], jobs=2, progress=False)
    for result in results:
        assert result.ok, result.error
        expected_dir = on_pandas[result.notebook].report_dir
        files = sorted(p.relative_to(expected_dir) for p in expected_dir.rglob("*")
                       if p.is_file() and p.name not in ("run.json", ".build") and p.suffix != ".ipynb")
        assert files == sorted(p.relative_to(result.report_dir) for p in result.report_dir.rglob("*")
                               if p.is_file() and p.name not in ("run.json", ".build") and p.suffix != ".ipynb")
        assert "numbers.json" in map(str, files) and "evidence.parquet" in map(str, files)
        assert any(str(f).startswith("figures") for f in files) == (result.notebook != "05-data-quality")
        for name in files:
            assert (result.report_dir / name).read_bytes() == (expected_dir / name).read_bytes(), name


def test_lazy_auto_follows_the_size_of_the_table(seed_dirs, monkeypatch):
    rows = len(analysis.load_events())
    monkeypatch.setenv("ANALYSIS_LAZY_EVENTS_ROWS", str(rows))
    assert isinstance(analysis.load_events(lazy="auto"), pd.DataFrame)  # not more rows than the threshold
    monkeypatch.setenv("ANALYSIS_LAZY_EVENTS_ROWS", str(rows - 1))
    assert type(analysis.load_events(lazy="auto")).__module__.startswith("duckdb")
    monkeypatch.setenv("ANALYSIS_LAZY_EVENTS_ROWS", "5 million")
    with pytest.raises(ParameterError, match="ANALYSIS_LAZY_EVENTS_ROWS='5 million' is not a whole number"):
        analysis.load_events(lazy="auto")
    with pytest.raises(ParameterError, match="lazy='yes'; give True, False or 'auto'"):
        analysis.load_events(lazy="yes")


def test_a_build_on_a_local_cluster_gives_the_same_ledger_and_bytes(seed_dirs, local_cluster, tmp_path):
    # the seed files, plus one with a rejected row, a repeated id and an unreadable file: the ledger must come
    # back exactly, and every output must be the same bytes as the in-process build's
    from analysis.build import build

    raw, _, _ = seed_dirs
    news = next(raw.glob("news_*.csv")).read_text(encoding="utf-8").splitlines()
    header, first = news[0], news[1]
    bad_date = first.replace(",2023-03-14,", ",2023-02-30,", 1)
    (raw / "news_extra.csv").write_text("\n".join([header, first, bad_date]) + "\n", encoding="utf-8")
    (raw / "empty.csv").write_bytes(b"")
    local = build(raw, tmp_path / "in-process", quiet=True)
    on_cluster = build(raw, tmp_path / "on-cluster", quiet=True, scheduler="local")
    assert local.file_errors == on_cluster.file_errors and local.file_errors  # empty.csv, named
    assert local.manifest["inputs"] == on_cluster.manifest["inputs"]  # every file's ledger
    assert any(i["rejected"] for i in local.manifest["inputs"]) and any(i["merged"] for i in local.manifest["inputs"])
    outputs = local.manifest["outputs"]
    assert outputs == on_cluster.manifest["outputs"]
    for name in outputs:
        assert (on_cluster.generation / name).read_bytes() == (local.generation / name).read_bytes(), name


def test_the_build_command_takes_a_scheduler(seed_dirs, cli):
    code, out, err = cli("build", "--scheduler", "127.0.0.1:8786")
    assert code == 2 and "give 'local' or a Dask scheduler address tcp://host:port" in err


def test_a_scheduler_that_cannot_be_reached_is_a_clear_error(seed_dirs, cli, local_cluster, monkeypatch):
    import socket

    from analysis import config

    with socket.socket() as free:  # a port nothing listens on
        free.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{free.getsockname()[1]}"
    monkeypatch.setattr(config, "SCHEDULER_TIMEOUT_S", 1)
    with pytest.raises(ParameterError, match=f"cannot reach the Dask scheduler at {address}: Timed out"):
        analysis.scan_events("dask", scheduler=address)
    code, out, err = cli("build", "--force", "--scheduler", address)
    assert code == 2 and f"cannot reach the Dask scheduler at {address}" in err and "Traceback" not in err
    assert cluster.client("local") is local_cluster  # the local cluster in use was left running


def test_air_attacks_agree_on_every_engine(tmp_path, monkeypatch, engine):
    from conftest import point_config_at

    point_config_at(monkeypatch, tmp_path)  # the bundled data/raw, with its synthetic air-force reports
    counts = analysis.load_daily_counts()
    assert (counts["source_dataset"] == "air_force").sum() > 0
    lazy = analysis.scan_daily_counts(engine)
    for kwargs in ({}, {"by": None}, {"start": "2023-03-01", "end": "2023-03-14"}):
        _same(metrics.air_attacks_per_day(counts, **kwargs), metrics.air_attacks_per_day(lazy, **kwargs))
    claims = metrics.reported_claims(counts, start="2023-03-01")
    assert len(claims) > 0
    pd.testing.assert_frame_equal(metrics.reported_claims(lazy, start="2023-03-01"), claims)
    assert provenance.get(metrics.reported_claims(lazy, start="2023-03-01")) == provenance.get(claims)
    with pytest.raises(ParameterError, match="lies outside the air-force reports' coverage"):
        metrics.air_attacks_per_day(lazy, start="1990-01-01")


def test_provenance_of_a_whole_table_by_hand_in_pandas_and_on_duckdb(tmp_path):
    """Hand-computed: the datasets present (in their fixed order), the first start and the last end, synthetic if
    any row is; without an end column the last start; an empty table has none.  No Dask cluster, so that the
    mutation run (which leaves cluster tests out) still checks provenance_of."""
    rows = [{"event_date": D("2023-03-01"), "event_end_date": D("2023-03-04"), "source_dataset": "news"},
            {"event_date": D("2023-02-27"), "source_dataset": "ucdp_ged", "is_synthetic": True},
            {"event_date": D("2023-03-02"), "event_end_date": D("2023-03-10")}]  # acled
    expected = provenance.Provenance(("ACLED", "UCDP GED", "news reports (hand-coded)"), "2023-02-27", "2023-03-10",
                                     True, "Events")
    (tmp_path / "mixed").mkdir()
    lazy = engines.scan(_stored(rows, tmp_path / "mixed"), "duckdb")
    for table in (events_frame(rows), lazy):
        assert metrics.provenance_of(table) == expected
        assert metrics.provenance_of(table, end="no_such_column", kind="Reports") == provenance.Provenance(
            expected.sources, "2023-02-27", "2023-03-02", True, "Reports")
    one = [{"event_date": D("2023-05-01")}, {"event_date": D("2023-04-30"), "event_end_date": D("2023-05-03")}]
    (tmp_path / "one").mkdir()
    for table in (events_frame(one), engines.scan(_stored(one, tmp_path / "one"), "duckdb")):
        assert metrics.provenance_of(table) == provenance.Provenance(("ACLED",), "2023-04-30", "2023-05-03", False)
    (tmp_path / "empty").mkdir()
    for table in (events_frame([]), engines.scan(_stored([], tmp_path / "empty"), "duckdb")):
        assert metrics.provenance_of(table) == provenance.Provenance((), None, None, False, "Events")
        assert metrics.provenance_of(table, kind="Reports") == provenance.Provenance((), None, None, False, "Reports")


def test_a_duckdb_relation_of_the_users_own_gives_the_pandas_results(tmp_path):
    """A relation filtered by DuckDB itself (not from scan_events) carries no recorded facts: no coverage, no
    constant columns.  The metrics and place filters take it, and its coverage is its own span."""
    rows = [{"event_date": D("2023-03-01"), "civilians_killed": 3},
            {"event_date": D("2023-03-02"), "settlement": "Kharkiv", "location": "Kharkiv", "geonameid": 706483,
             "admin1": "Kharkiv", "civilians_killed": 1},
            {"event_date": D("2023-03-04"), "is_synthetic": True, "event_end_date": D("2023-03-05")}]
    own = engines.scan(_stored(rows, tmp_path), "duckdb").filter("event_date >= '2023-03-02'")
    assert frames.recorded_coverage(own) is None and frames.recorded_constants(own) == {}
    loaded = pd.read_parquet(tmp_path / "events.parquet")
    later = loaded[loaded["event_date"] >= D("2023-03-02")].reset_index(drop=True)
    later.attrs = {}
    daily = metrics.attacks_per_day(own)
    assert daily["attacks"].tolist() == [1, 0, 1, 0]  # 2 to 5 March: its own span
    _same(metrics.attacks_per_day(later), daily)
    _same(metrics.civilian_harm_by_city(later), metrics.civilian_harm_by_city(own))
    kharkiv = metrics.events_in(own, city="Kharkiv")
    assert frames.recorded_coverage(kharkiv) is None
    _same(metrics.attacks_per_day(metrics.events_in(later, city="Kharkiv")), metrics.attacks_per_day(kharkiv))


def test_a_relation_of_the_users_own_without_end_dates_covers_its_event_dates(tmp_path):
    """A user's own relation may leave out ``event_end_date``: its coverage is then its span of event dates,
    and an empty one is refused with the message a user reads, as on pandas."""
    path = _stored([{"event_date": D("2023-03-01")}, {"event_date": D("2023-03-03")}], tmp_path)
    own = engines.scan(path, "duckdb").project("* EXCLUDE (event_end_date)")
    assert metrics.coverage(own) == (D("2023-03-01"), D("2023-03-03"))
    daily = metrics.attacks_per_day(own)
    assert daily["attacks"].tolist() == [1, 0, 1]
    _same(metrics.attacks_per_day(pd.read_parquet(path).drop(columns="event_end_date")), daily)
    assert provenance.get(daily).last_date == "2023-03-03"
    for empty in (engines.scan(path, "duckdb").filter("event_date > '2023-03-03'"),
                  pd.read_parquet(path).iloc[0:0]):
        with pytest.raises(ParameterError) as refused:
            metrics.attacks_per_day(empty)
        assert str(refused.value) == "there are no events to compute from (is data/raw empty, or the filter too narrow?)"


def test_a_dask_frame_is_taken_without_narwhals_warning_about_its_dask_package():
    """narwhals warns (FutureWarning) that its Dask support moves to a separate package; a user of
    ``scan_events(engine="dask")`` is not shown that about a package they did not choose."""
    import warnings

    import dask.dataframe as dd

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frames.frame(dd.from_pandas(pd.DataFrame({"event_date": [D("2023-03-01")]}), npartitions=1))


def test_the_facts_of_a_lazy_table_go_with_it(tmp_path):
    """Coverage recorded for a relation is forgotten when the relation is: a later table given the same id()
    must not inherit it (a wrong coverage moves the line between zero and outside the data)."""
    import gc

    scanned = engines.scan(_stored([{"event_date": D("2023-03-01")}], tmp_path), "duckdb")
    table = scanned.filter("true")
    frames.record_coverage(table, (D("2023-01-01"), D("2023-12-31")), {"is_synthetic": False})
    frames.record_coverage(table, (D("2023-02-01"), D("2023-12-31")))  # recorded again: replaced
    assert frames.recorded_coverage(table) == (D("2023-02-01"), D("2023-12-31"))
    assert frames.recorded_constants(table) == {}
    once = frames.record_coverage(scanned.filter("true"), (D("2023-01-01"), D("2023-12-31")))  # recorded once
    keys = [id(table), id(once)]
    assert all(key in frames._facts for key in keys)
    del table, once
    gc.collect()
    assert not any(key in frames._facts for key in keys)


def test_the_rows_behind_a_duckdb_number_have_the_types_of_the_processed_table(tmp_path):
    """DuckDB gives microsecond dates, floats for nullable integers, objects for nullable booleans; the rows a
    report records as evidence must be the same values and types as from pandas."""
    rows = [{"event_date": D("2023-03-01"), "civilians_killed": 2, "is_civilian_targeting": True},
            {"event_date": D("2023-03-02"), "event_end_date": D("2023-03-04"), "civilians_killed": None}]
    path = _stored(rows, tmp_path)
    loaded = metrics.with_coverage(pd.read_parquet(path))
    for function in (metrics.attacks_per_day, metrics.civilian_harm_by_city):
        lazy = provenance.rows(function(engines.scan(path, "duckdb"))).sort_values("event_id", ignore_index=True)
        eager = provenance.rows(function(loaded)).sort_values("event_id", ignore_index=True)
        pd.testing.assert_frame_equal(lazy, eager[lazy.columns])
        assert lazy["event_date"].dtype == "datetime64[ms]" and lazy["civilians_killed"].dtype == "Int64"


def test_air_attacks_in_a_period_without_reports_on_duckdb(tmp_path):
    """Report rows on 1 and 3 May only: 2 May alone has no row, so no provenance but its kind, as on pandas."""
    from test_air_metrics import _counts

    counts = _counts([{"count_date": D(day), "metric": "launched", "value": 5, "weapon_model": "Shahed-136/131",
                       "weapon_category": "drone", "raw_line": line}
                      for line, day in ((2, "2024-05-01"), (3, "2024-05-03"))])
    counts.to_parquet(tmp_path / "daily_counts.parquet", index=False)
    lazy = engines.scan(tmp_path / "daily_counts.parquet", "duckdb")
    for kwargs in ({"start": "2024-05-02", "end": "2024-05-02"}, {}):
        expected = metrics.air_attacks_per_day(counts, **kwargs)
        _same(expected, metrics.air_attacks_per_day(lazy, **kwargs))
    empty = provenance.get(metrics.air_attacks_per_day(lazy, start="2024-05-02", end="2024-05-02"))
    assert (empty.sources, empty.first_date, empty.kind) == ((), None, "Reports")
    assert provenance.get(metrics.air_attacks_per_day(lazy)).kind == "Reports"


def test_a_forked_process_queries_duckdb_on_its_own_connection(tmp_path):
    """DuckDB's threads do not survive fork: a child using the parent's connection waited forever (mutmut forks
    its test processes; so do fork-based process pools).  The child opens its own and gets the same result."""
    import multiprocessing

    path = _stored([{"event_date": D("2023-03-01")}, {"event_date": D("2023-03-02")},
                    {"event_date": D("2023-03-02"), "is_attack": False}], tmp_path)
    expected = metrics.attacks_per_day(engines.scan(path, "duckdb"))  # the parent's connection is in use
    assert expected["attacks"].tolist() == [1, 1]
    with multiprocessing.get_context("fork").Pool(1) as pool:
        result = pool.apply_async(_attacks_on_duckdb, (str(path),))
        frame, source = result.get(timeout=120)
    expected_values = expected.copy()
    expected_values.attrs = {}
    pd.testing.assert_frame_equal(frame, expected_values)
    assert source == expected.attrs["provenance"]


# Run in a process of its own: the parent uses DuckDB, forks, and the child uses it too and then exits as a
# program does (sys.exit: the interpreter shuts down and releases what it still holds).
_FORKED_CHILD = """
import os, sys
from pathlib import Path
from analysis import metrics
from analysis.metrics import engines

path = Path(sys.argv[1])
expected = metrics.attacks_per_day(engines.scan(path, "duckdb"))["attacks"].tolist()
pid = os.fork()
if pid == 0:
    got = metrics.attacks_per_day(engines.scan(path, "duckdb"))["attacks"].tolist()
    sys.exit(0 if got == expected == [1, 0, 1] else 3)
_, status = os.waitpid(pid, 0)
print("signal" if os.WIFSIGNALED(status) else "exit", os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))
"""


@pytest.mark.slow
def test_a_forked_child_that_used_duckdb_exits_cleanly(tmp_path):
    """The child keeps its parent's DuckDB objects referenced for good: releasing them (a first version of the
    fork handler) crashed the child with a segfault when it shut down (signal 11), as every mutmut child did."""
    import subprocess
    import sys

    path = _stored([{"event_date": D("2023-03-01")}, {"event_date": D("2023-03-03")}], tmp_path)
    done = subprocess.run([sys.executable, "-c", _FORKED_CHILD, str(path)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["exit", "0"], done.stdout + done.stderr


def _attacks_on_duckdb(path: str) -> tuple[pd.DataFrame, dict]:
    result = metrics.attacks_per_day(engines.scan(Path(path), "duckdb"))
    source = result.attrs["provenance"]
    result.attrs = {}  # provenance_rows holds the child's relation, which does not pickle
    return result, source
