"""The background report runner: same reports as in-process, errors come back, it can be stopped."""

from __future__ import annotations

import hashlib
import time

import pytest

from analysis import config
from analysis.reports import runner

pytestmark = pytest.mark.slow


@pytest.fixture
def with_runner(seed_dirs, monkeypatch):
    monkeypatch.setenv("ANALYSIS_RUNNER", "on")
    monkeypatch.setenv("ANALYSIS_RUNNER_IDLE_S", "60")  # never outlives the test run by much
    yield runner.socket_path()
    runner.stop(runner.socket_path())


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.suffix in (".html", ".json", ".png", ".svg", ".csv", ".txt") and p.name != "run.json"}


def test_a_report_through_the_runner_equals_one_run_in_process(with_runner, cli, seed_dirs):
    code, out, err = cli("report", "02-city-profile", "-p", "start", "2022-04-08", "-p", "end", "2023-03-14")
    assert code == 0, err
    assert with_runner in runner.running()
    folder = config.REPORTS_DIR / "02-city-profile" / "city=Kramatorsk_start=2022-04-08_end=2023-03-14"
    through_runner = _digests(folder)
    code, out, err = cli("report", "02-city-profile", "-p", "start", "2022-04-08", "-p", "end", "2023-03-14",
                         "--no-runner")
    assert code == 0, err
    assert _digests(folder) == through_runner and "report.html" in through_runner


def test_errors_come_back_from_the_runner(with_runner, cli):
    code, out, err = cli("report", "01-daily-briefing", "-p", "city", "Kramatorsk")
    assert code == 2 and "unknown parameter 'city'" in err and "Traceback" not in err
    code, out, err = cli("report", "02-city-profile", "-p", "city", "Atlantis")
    assert code == 2 and "'Atlantis' is not a place in the data" in err


def test_a_batch_through_the_runner(with_runner, cli):
    code, out, err = cli("batch", "01-daily-briefing", "--grid", "date=2023-03-14,2023-13-01", "--grid",
                         "window_days=1")
    assert code == 1 and "2 reports: 1 succeeded, 1 failed" in out, err


def test_runner_status_names_the_project_and_the_runner_stops_on_request(with_runner, cli):
    code, _, _ = cli("report", "05-data-quality")
    assert code == 0 and with_runner in runner.running()
    code, out, _ = cli("runner", "status")
    assert code == 0 and f"report runner(s) for project {config.PROJECT_DIR}" in out
    assert f"project {config.PROJECT_DIR} (this code and data)" in out and f"socket {with_runner}" in out
    code, out, _ = cli("runner", "status", "--all")
    assert code == 0 and "report runner(s) of this user" in out and f"project {config.PROJECT_DIR}" in out
    code, out, _ = cli("runner", "stop")
    assert code == 0
    deadline = time.monotonic() + 30
    while with_runner.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert with_runner not in runner.running()
    code, out, _ = cli("runner", "status")
    assert code == 0 and f"socket {with_runner}" not in out
