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


def metric_imports() -> None:
    """Only the imports the two metric tasks need (pandas, pyarrow, the package): their floor in a fresh process."""
    from analysis import loaders, metrics  # noqa: F401

    import pyarrow.parquet  # noqa: F401  (read_parquet imports it on first use)


def duckdb_copy(csv: str, parquet: str) -> None:
    """DuckDB converting the same CSV to Parquet (the reference for a build)."""
    import duckdb

    duckdb.sql(f"COPY (SELECT * FROM read_csv('{csv}')) TO '{parquet}' (FORMAT parquet)")


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
    else:
        from analysis import loaders, metrics  # noqa: F401
    runs = []
    for _ in range(int(repeats)):
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            TASKS[task](processed)
        runs.append(time.perf_counter() - start)
    print(json.dumps({"runs_s": runs}))


TASKS = {f.__name__: f for f in (attacks_per_day, civilian_harm_by_city, metric_imports, duckdb_copy,
                                 duckdb_attacks_per_day, duckdb_civilian_harm_by_city, warm)}

if __name__ == "__main__":
    TASKS[sys.argv[1]](*sys.argv[2:])
