"""Shared test helpers: real-data access, in-process CLI runs, small valid raw files."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

from analysis import config

# `make mutate` runs the tests traced and on a busy machine: slow input generation there is not a failure.
# A mutant only has to make a property fail once: shrinking the failing example (which can take minutes and
# then counts as a timeout) adds nothing there.
settings.register_profile("mutation", suppress_health_check=list(HealthCheck), deadline=None,
                          phases=[Phase.explicit, Phase.reuse, Phase.generate])


def per_test_under_mutmut(fixture_name: str, config) -> str:
    """Scope of the fixtures that parse or build: per module, but per test under `make mutate`.

    mutmut maps a test to the functions it calls, and a module-scoped fixture's calls belong to the first test
    that built it only: the tests after it were never run against a mutant of the reader they check.
    """
    return "function" if os.environ.get("MUTANT_UNDER_TEST") else "module"


ACLED_SAMPLE = "acled/acled_api_format_ukraine_2022H1_from_acledR.csv"
UCDP_SAMPLE = "ucdp_ged/ucdp_ged_api_ukraine_2014_2022_peacerep.csv"
MISSILE_SAMPLE = "missile_attacks/missile_attacks_daily.csv"


def realdata_path(relative: str) -> Path:
    """A file of ../shared/realdata, read in place; fail under CI if missing, else skip."""
    path = config.REALDATA_DIR / relative
    if not path.exists():
        message = f"real-data sample {path} is missing (expected ../shared/realdata beside the repository)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI must have it")
        pytest.skip(message)
    return path


@pytest.fixture
def realdata():
    return realdata_path


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    """Run the console entry point in-process: (exit code, stdout, stderr)."""
    from analysis.cli import main

    capsys.readouterr()
    code = 0
    import sys

    argv = sys.argv
    sys.argv = ["analysis", *map(str, args)]
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = argv
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cli(capsys):
    return lambda *args: run_cli(list(args), capsys)


# ---------------------------------------------------------------- small valid ACLED files
ACLED_ROW = {
    "event_id_cnty": "UKR1", "event_date": "2023-03-14", "year": "2023", "time_precision": "1",
    "disorder_type": "Political violence", "event_type": "Explosions/Remote violence",
    "sub_event_type": "Shelling/artillery/missile attack", "actor1": "Military Forces of Russia (2000-)",
    "assoc_actor_1": "", "inter1": "8", "actor2": "Civilians (Ukraine)", "assoc_actor_2": "", "inter2": "7",
    "interaction": "78", "civilian_targeting": "Civilian targeting", "iso": "804", "region": "Europe",
    "country": "Ukraine", "admin1": "Donetsk", "admin2": "Kramatorskyi", "admin3": "Kramatorska",
    "location": "Kramatorsk", "latitude": "48.7231", "longitude": "37.5563", "geo_precision": "1",
    "source": "Ukrainska Pravda", "source_scale": "National", "notes": "On 14 March 2023, a missile hit Kramatorsk.",
    "fatalities": "1", "tags": "", "timestamp": "1679000000",
}


def acled_rows(n: int) -> list[dict]:
    """``n`` valid ACLED rows with distinct ids and dates in March 2023."""
    return [{**ACLED_ROW, "event_id_cnty": f"UKR{1000 + i}", "event_date": f"2023-03-{1 + i % 28:02d}"}
            for i in range(n)]


def to_csv_text(rows: list[dict], columns: list[str] | None = None) -> str:
    columns = columns or list(rows[0])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


@pytest.fixture
def write_csv(tmp_path):
    """Write rows (or text) to a CSV in tmp_path and return its path."""

    def _write(rows_or_text, name: str = "input.csv", encoding: str = "utf-8", columns=None) -> Path:
        text = rows_or_text if isinstance(rows_or_text, str) else to_csv_text(rows_or_text, columns)
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return _write


# ---------------------------------------------------------------- small processed frames
def events_frame(records: list[dict]):
    """Processed events with every column typed as in PROCESSED_EVENTS; records give what matters."""
    import pandas as pd

    from analysis.tables.schemas import PROCESSED_EVENTS, empty_frame

    defaults = {
        "source_dataset": "acled", "date_precision": "day", "event_type": "Explosions/Remote violence",
        "sub_event_type": "Shelling/artillery/missile attack", "is_attack": True, "country": "Ukraine",
        "admin1": "Donetsk", "location": "Kramatorsk", "settlement": "Kramatorsk", "geonameid": 704508,
        "place_match": "name", "is_place_matched": True, "is_casualties_unknown": False, "is_synthetic": False,
        "raw_file": "test.csv",
    }
    rows = []
    for i, record in enumerate(records):
        row = {**defaults, "event_id": f"acled:T{i}", "raw_line": i + 2, **record}
        row.setdefault("event_end_date", row["event_date"])
        rows.append(row)
    empty = empty_frame(PROCESSED_EVENTS)
    frame = pd.DataFrame(rows).reindex(columns=empty.columns)
    frame = frame.astype({c: str(t) for c, t in empty.dtypes.items()})
    return PROCESSED_EVENTS.validate(frame)


@pytest.fixture
def seed_dirs(tmp_path, monkeypatch):
    """Raw, processed and reports folders in tmp; raw holds the bundled seed files (not the synthetic demo)."""
    import shutil

    raw, processed, reports = tmp_path / "raw", tmp_path / "processed", tmp_path / "reports"
    raw.mkdir()
    for path in (config.PROJECT_DIR / "data" / "raw").glob("*_rferl_*.csv"):
        shutil.copy(path, raw)
    monkeypatch.setattr(config, "RAW_DIR", raw)
    monkeypatch.setattr(config, "PROCESSED_DIR", processed)
    monkeypatch.setattr(config, "REPORTS_DIR", reports)
    return raw, processed, reports


@pytest.fixture(autouse=True)
def _no_background_runner(monkeypatch):
    """Commands run reports in-process in tests; tests/test_runner.py starts runners on purpose."""
    monkeypatch.setenv("ANALYSIS_RUNNER", "off")


# ---------------------------------------------------------------- the bundled data, reported once per session
@pytest.fixture(scope="session")
def bundled_reports(tmp_path_factory):
    """data/raw built into tmp and every report notebook run on it once per test session.

    Returns (root, results by notebook).  ``config`` points at root only while
    the reports run; tests that run more there patch it themselves (see
    test_notebooks.bundled).  Executing notebooks is slow: share this fixture.
    """
    from analysis import reports

    root = tmp_path_factory.mktemp("bundled")
    patch = pytest.MonkeyPatch()
    point_config_at(patch, root)
    try:
        results = reports.run_all_reports(jobs=2, progress=False)
    finally:
        patch.undo()
    return root, {r.notebook: r for r in results}


def point_config_at(patch, root: Path) -> None:
    """Raw data: the bundled data/raw; processed tables and reports under ``root``."""
    patch.setattr(config, "RAW_DIR", config.PROJECT_DIR / "data" / "raw")
    patch.setattr(config, "PROCESSED_DIR", root / "processed")
    patch.setattr(config, "REPORTS_DIR", root / "reports")


def pytest_collection_modifyitems(items):
    """Tests that start a local Dask cluster are marked ``cluster`` (``make mutate`` leaves them out)."""
    for item in items:
        if "local_cluster" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.cluster)
