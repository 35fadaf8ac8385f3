"""The work each benchmark measurement runs, one task per fresh process.

``python benchmarks/tasks.py TASK ARGS...``.  Every task is also done by a
reference tool where the issue names one (DuckDB), so results can be given as
ratios measured in the same run on the same machine.
"""

from __future__ import annotations

import sys


def attacks_per_day(processed: str) -> None:
    """The package's attacks_per_day on the processed events, loading included."""
    from analysis import metrics
    from analysis.metrics import loaders

    events = loaders.load_events(metrics.ATTACKS_PER_DAY_COLUMNS, processed_dir=processed, build=False)
    result = metrics.attacks_per_day(events)
    print(len(result), int(result["attacks"].sum()))


def civilian_harm_by_city(processed: str) -> None:
    from analysis import metrics
    from analysis.metrics import loaders

    events = loaders.load_events(metrics.CIVILIAN_HARM_BY_CITY_COLUMNS, processed_dir=processed, build=False)
    result = metrics.civilian_harm_by_city(events)
    print(len(result), int(result["incidents"].sum()))


def scan_attacks_per_day(processed: str) -> None:
    """The DuckDB path: attacks_per_day on ``analysis.scan_events()`` (a DuckDB relation), imports included."""
    import analysis
    from analysis import metrics

    result = metrics.attacks_per_day(analysis.scan_events(processed_dir=processed, build=False))
    print(len(result), int(result["attacks"].sum()))


def scan_civilian_harm_by_city(processed: str) -> None:
    import analysis
    from analysis import metrics

    result = metrics.civilian_harm_by_city(analysis.scan_events(processed_dir=processed, build=False))
    print(len(result), int(result["incidents"].sum()))


def dask_metrics(processed: str) -> None:
    """Both metrics through ``scan_events(engine="dask")`` on a local cluster, checked against pandas.

    Prints a JSON line: the seconds to start the cluster, of each metric on
    Dask and on pandas (loading included), and whether each Dask result equals
    the pandas one (``pandas.testing.assert_frame_equal``; provenance compared
    too, for information).  Run under ``if __name__ == "__main__"`` (Dask's
    worker processes import this file again).
    """
    import json
    import time

    import pandas as pd

    import analysis
    from analysis import metrics
    from analysis import cluster
    from analysis.metrics import loaders, provenance

    out = {"cluster_start_s": None, "dask_s": {}, "pandas_s": {}, "identical": {}, "same_provenance": {},
           "differences": {}}
    start = time.perf_counter()
    cluster.client("local")
    out["cluster_start_s"] = time.perf_counter() - start
    try:
        for name, columns in (("attacks_per_day", metrics.ATTACKS_PER_DAY_COLUMNS),
                              ("civilian_harm_by_city", metrics.CIVILIAN_HARM_BY_CITY_COLUMNS)):
            function = getattr(metrics, name)
            start = time.perf_counter()
            expected = function(loaders.load_events(columns, processed_dir=processed, build=False))
            out["pandas_s"][name] = time.perf_counter() - start
            start = time.perf_counter()
            actual = function(analysis.scan_events(engine="dask", processed_dir=processed, build=False))
            out["dask_s"][name] = time.perf_counter() - start
            try:
                pd.testing.assert_frame_equal(actual, expected)
                out["identical"][name] = True
            except AssertionError as error:
                out["identical"][name] = False
                out["differences"][name] = str(error)[:1000]
            out["same_provenance"][name] = provenance.get(actual) == provenance.get(expected)
    finally:
        cluster.close()
    print(json.dumps(out))


def gdelt_files(folder: str, rows: str, seed: str = "1", rows_per_day: str = "100000") -> None:
    """Synthetic GDELT in many files: one file per 15 minutes, ``rows_per_day`` rows a day, day after day.

    Each day is written by its own ``write_gdelt_files`` call (96 files), so
    memory stays that of one day whatever the total.  The same arguments always
    give the same bytes.
    """
    import math

    import pandas as pd

    from analysis.build.gdelt_synth import write_gdelt_files

    rows, seed, per_day = int(rows), int(seed), int(rows_per_day)
    days = max(1, math.ceil(rows / per_day))
    for day in range(days):
        part = rows // days + (1 if day < rows % days else 0)
        write_gdelt_files(folder, rows=part, seed=seed * 100_000 + day, files=96,
                          start=str(pd.Timestamp("2024-01-01") + pd.Timedelta(days=day)))


def metric_imports() -> None:
    """Only the imports the two metric tasks need (pandas, pyarrow, the package): their floor in a fresh process."""
    from analysis import metrics  # noqa: F401
    from analysis.metrics import loaders  # noqa: F401

    import pyarrow.parquet  # noqa: F401  (read_parquet imports it on first use)


def scan_imports() -> None:
    """Only the imports of the DuckDB-path tasks (the package, pandas, DuckDB, narwhals): their floor."""
    import duckdb  # noqa: F401
    import narwhals  # noqa: F401

    import analysis  # noqa: F401
    from analysis import metrics  # noqa: F401
    from analysis.metrics import engines, loaders  # noqa: F401


def pandas_duckdb_imports() -> None:
    """pandas and DuckDB alone: what any DuckDB path whose results are pandas frames must import (the issue asks
    for pandas results), so the floor of every such implementation, not only of this package's."""
    import duckdb  # noqa: F401
    import pandas  # noqa: F401


def duckdb_copy(csv: str, parquet: str) -> None:
    """DuckDB converting the same CSV to Parquet (the reference for a build).

    ``csv`` is a file, or a folder of GDELT export files (tab-separated, no
    header, no quoting), all of which are converted to one Parquet file.
    """
    import duckdb
    from pathlib import Path

    if Path(csv).is_dir():
        source = f"read_csv('{csv}/*.export.CSV', delim='\\t', header=false, quote='', escape='')"
    else:
        source = f"read_csv('{csv}')"
    duckdb.sql(f"COPY (SELECT * FROM {source}) TO '{parquet}' (FORMAT parquet)")


def duckdb_attacks_per_day(processed: str) -> None:
    """The same daily attack counts, zero-filled over the coverage, in DuckDB."""
    import duckdb

    query = f"""
        WITH ev AS (SELECT * FROM read_parquet('{processed}/events.parquet')),
             days AS (SELECT unnest(generate_series(min(event_date), max(event_end_date), INTERVAL 1 DAY)) AS day
                      FROM ev),
             counts AS (SELECT event_date AS day, count(*) AS attacks,
                               count(*) FILTER (WHERE date_precision <> 'day') AS imprecise
                        FROM ev WHERE is_attack GROUP BY 1)
        SELECT days.day, coalesce(attacks, 0), coalesce(imprecise, 0)
        FROM days LEFT JOIN counts USING (day) ORDER BY 1"""
    rows = duckdb.sql(query).fetchall()
    print(len(rows), sum(r[1] for r in rows))


def duckdb_civilian_harm_by_city(processed: str) -> None:
    import duckdb

    query = f"""
        SELECT coalesce(settlement, location, '(no place given)') AS place, admin1, geonameid, is_place_matched,
               count(*) AS incidents, sum(civilians_killed) AS killed, sum(civilians_injured) AS injured,
               count(*) FILTER (WHERE civilians_killed IS NULL) AS killed_unknown,
               count(*) FILTER (WHERE civilians_injured IS NULL) AS injured_unknown,
               min(event_date) AS first_date, max(event_date) AS last_date
        FROM read_parquet('{processed}/events.parquet')
        WHERE coalesce(is_civilian_targeting, false) OR coalesce(civilians_killed, 0) > 0
              OR coalesce(civilians_injured, 0) > 0
        GROUP BY ALL ORDER BY killed DESC NULLS LAST, incidents DESC, place"""
    rows = duckdb.sql(query).fetchall()
    print(len(rows), sum(r[4] for r in rows))


def warm(task: str, processed: str, repeats: str = "5") -> None:
    """``task`` repeated in one process after its imports, as in a notebook kernel or the runner.

    Prints a JSON line with the seconds of each run (interpreter start and
    imports excluded), so the query work itself can be compared.
    """
    import contextlib
    import io
    import json
    import time

    if task.startswith("duckdb"):
        import duckdb  # noqa: F401
    elif task.startswith("scan"):
        import duckdb  # noqa: F401
        import narwhals  # noqa: F401

        import analysis  # noqa: F401
        from analysis import metrics  # noqa: F401
        from analysis.metrics import engines  # noqa: F401
    else:
        from analysis import metrics  # noqa: F401
        from analysis.metrics import loaders  # noqa: F401
    runs = []
    for _ in range(int(repeats)):
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            TASKS[task](processed)
        runs.append(time.perf_counter() - start)
    print(json.dumps({"runs_s": runs}))


TASKS = {f.__name__: f for f in (attacks_per_day, civilian_harm_by_city, scan_attacks_per_day,
                                 scan_civilian_harm_by_city, dask_metrics, gdelt_files, metric_imports, scan_imports,
                                 pandas_duckdb_imports, duckdb_copy,
                                 duckdb_attacks_per_day, duckdb_civilian_harm_by_city, warm)}

if __name__ == "__main__":
    TASKS[sys.argv[1]](*sys.argv[2:])
