"""``analysis fetch acled`` against a real local server playing ACLED's API (tests/fetch_server.py),
serving the real ACLED sample (690 Ukrainian events, January to June 2022) page by page.

Each fault of the issue is one test: a wrong password, an expired token, 429 with Retry-After, 500
twice, a read timeout, truncated JSON, a repeated page, an empty last page, an update with changed and
deleted events, and a kill mid-fetch then resume.  Nothing here reaches the internet.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import traceback
from pathlib import Path

import pytest

from analysis.fetch import snapshots
from analysis.fetch.acled import fetch_acled
from analysis.fetch.client import FetchError
from analysis.fetch.credentials import CredentialsError

from conftest import ACLED_SAMPLE, realdata_path
from fetch_server import Answer, FakeAcled, Sleeps, fast, manifest, read_records, serving

EMAIL, PASSWORD = "analyst@example.org", "pa55-WORD-never-shown"
EVENTS, TOKEN, DELETED = "/api/acled/read", "/oauth/token", "/api/deleted/read"
ROWS = 690  # events in the sample, all in Ukraine between 2022-01-01 and 2022-06-30
LIMIT = 100  # so the sample is 7 pages: 6 of 100 and one of 90
MAX_TIMESTAMP = 1657063719  # the largest `timestamp` in the sample (4 events carry it)


@pytest.fixture
def acled(tmp_path, monkeypatch):
    fake = FakeAcled(read_records(realdata_path(ACLED_SAMPLE)), EMAIL, PASSWORD)
    with serving(fake, monkeypatch, tmp_path, "ACLED_API_URL", ACLED_EMAIL=EMAIL, ACLED_PASSWORD=PASSWORD) as server:
        yield server


def fetch(**kw) -> Path:
    options = kw.pop("options", None) or fast()
    return fetch_acled(kw.pop("country", "Ukraine"), kw.pop("start", "2022-01-01"), kw.pop("end", "2022-06-30"),
                       options=options, page_size=kw.pop("page_size", LIMIT), **kw)


def pages(path: Path, prefix: str = "page") -> list[list[dict]]:
    return [json.loads(p.read_bytes())["data"] for p in sorted(path.glob(f"{prefix}-*.json"))]


def partials(raw: Path) -> list[Path]:
    return sorted((raw / "snapshots" / "acled").glob(".partial-*"))


def all_written(root: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in sorted(root.rglob("*")) if p.is_file())


# ---------------------------------------------------------------- the plain fetch
def test_a_fetch_pages_through_with_a_bearer_token_and_writes_one_snapshot(acled):
    path = fetch()
    assert path.parent == acled.raw / "snapshots" / "acled" and not partials(acled.raw)
    got = pages(path)
    assert [len(p) for p in got] == [100] * 6 + [90]
    assert [r["event_id_cnty"] for p in got for r in p] == [r["event_id_cnty"] for r in acled.fake.records]
    m = manifest(path)
    assert (m["kind"], m["parent"], m["pages"], m["rows"], m["deleted_rows"]) == ("base", None, 7, ROWS, 0)
    assert m["request"] == {"url": acled.url + EVENTS, "country": "Ukraine", "start": "2022-01-01",
                            "end": "2022-06-30", "limit": LIMIT}
    assert m["extra"]["max_timestamp"] == MAX_TIMESTAMP
    # the protocol: one password login, then GETs with the documented parameters and a Bearer header
    token = [r for r in acled.requests if r.path == TOKEN]
    assert len(token) == 1 and token[0].form == {"username": EMAIL, "password": PASSWORD, "grant_type": "password",
                                                 "client_id": "acled", "scope": "authenticated"}
    first = next(r for r in acled.requests if r.path == EVENTS)
    assert first.query == {"_format": "json", "country": "Ukraine", "event_date": "2022-01-01|2022-06-30",
                           "event_date_where": "BETWEEN", "limit": "100", "page": "1"}
    assert first.headers["authorization"] == "Bearer acc-1-SECRETTOKEN"
    assert acled.pages_asked(EVENTS) == [1, 2, 3, 4, 5, 6, 7]  # page 7 is short: no page 8 asked for
    assert all(PASSWORD not in r.path and "SECRET" not in r.path for r in acled.requests)  # never in a URL


def test_an_empty_last_page_ends_the_fetch_and_is_not_saved(acled):
    acled.fake.records = acled.fake.records[:200]  # two full pages, then nothing
    path = fetch()
    assert acled.pages_asked(EVENTS) == [1, 2, 3]
    assert [len(p) for p in pages(path)] == [100, 100] and manifest(path)["rows"] == 200


def test_a_fetch_of_nothing_is_an_empty_snapshot(acled):
    path = fetch(start="2021-01-01", end="2021-12-31")
    m = manifest(path)
    assert (m["pages"], m["rows"], m["extra"]["max_timestamp"]) == (0, 0, None)


# ---------------------------------------------------------------- faults
def test_a_wrong_password_is_a_clear_error_without_retries_or_the_password(acled, monkeypatch):
    monkeypatch.setenv("ACLED_PASSWORD", "wrong-Pass-w0rd")
    with pytest.raises(CredentialsError) as caught:
        fetch()
    text = str(caught.value)
    assert "ACLED refused the login (HTTP 400" in text and "ACLED_PASSWORD" in text
    for shown in (text, repr(caught.value), "".join(traceback.format_exception(caught.value))):
        assert "wrong-Pass-w0rd" not in shown and EMAIL not in shown  # the server echoed both: redacted
    assert caught.value.exit_code == 2 and caught.value.__context__ is None
    assert [r.path for r in acled.requests] == [TOKEN]  # one try, no retry loop, no data request
    assert not list((snapshots.snapshots_root() / "acled").glob(".partial-*"))  # nothing half-made stays


def test_an_expired_token_is_refreshed_once_and_the_fetch_goes_on(acled):
    acled.fake.expire_after = 3  # the first token dies after 3 pages
    path = fetch()
    grants = [r.form["grant_type"] for r in acled.requests if r.path == TOKEN]
    assert grants == ["password", "refresh_token"]
    assert acled.pages_asked(EVENTS) == [1, 2, 3, 4, 4, 5, 6, 7]  # page 4 got a 401, then again with a new token
    assert manifest(path)["rows"] == ROWS and len(pages(path)) == 7


def test_429_waits_as_long_as_retry_after_says_capped(acled):
    sleeps = Sleeps()
    acled.script(EVENTS, Answer.json({"message": "slow down"}, 429, headers={"Retry-After": "7"}), page="2")
    acled.script(EVENTS, Answer.json({"message": "slow down"}, 429, headers={"Retry-After": "86400"}), page="3")
    path = fetch(options=fast(sleeps, max_retry_after=30))
    assert sleeps == [7, 30]
    assert acled.pages_asked(EVENTS) == [1, 2, 2, 3, 3, 4, 5, 6, 7] and manifest(path)["rows"] == ROWS


def test_500_twice_then_success_backs_off_exponentially(acled):
    sleeps = Sleeps()
    acled.script(EVENTS, Answer.json({"message": "oops"}, 500), page="5", times=2)
    path = fetch(options=fast(sleeps))
    assert sleeps == [0.5, 1.0]
    assert acled.pages_asked(EVENTS).count(5) == 3 and manifest(path)["rows"] == ROWS


def test_5xx_every_time_gives_up_with_a_clear_error_and_keeps_the_pages(acled):
    acled.script(EVENTS, Answer(503, b"<html>down</html>"), page="3", times=4)
    with pytest.raises(FetchError) as caught:
        fetch(options=fast(retries=4))
    assert str(caught.value).startswith(f"ACLED events for Ukraine, page 3: 127.0.0.1:{acled.httpd.server_address[1]}"
                                        f"{EVENTS}: HTTP 503 (Service Unavailable), 4 times; giving up")
    assert len(list(partials(acled.raw)[0].glob("page-*.json"))) == 2
    path = fetch()  # later: resumes at page 3
    assert acled.pages_asked(EVENTS)[-5:] == [3, 4, 5, 6, 7] and manifest(path)["rows"] == ROWS


def test_a_read_timeout_is_retried(acled):
    acled.script(EVENTS, Answer.json({"status": 200, "success": True, "data": []}, delay=2.0), page="2")
    path = fetch(options=fast(read_timeout=0.5))
    assert acled.pages_asked(EVENTS).count(2) == 2 and manifest(path)["rows"] == ROWS


def test_read_timeouts_every_time_are_a_clear_error(acled):
    acled.script(EVENTS, Answer(200, b"{}", delay=2.0), page="1", times=2)
    with pytest.raises(FetchError, match=r"ACLED events for Ukraine, page 1: .*: no answer within the time limit "
                                         r"\(ReadTimeout\), 2 times; giving up"):
        fetch(options=fast(read_timeout=0.5, retries=2))


def test_truncated_json_is_a_clear_error_naming_the_page_and_the_fetch_resumes(acled):
    whole = json.dumps({"status": 200, "success": True, "data": acled.fake.records[100:200]}).encode()
    acled.script(EVENTS, Answer(200, whole[:-40], {"Content-Type": "application/json"}), page="2")
    with pytest.raises(FetchError) as caught:
        fetch()
    assert str(caught.value).startswith("ACLED events for Ukraine, page 2: the answer is not valid JSON (")
    assert "run the same command again to resume" in str(caught.value)
    [partial] = partials(acled.raw)
    assert [p.name for p in partial.glob("page-*.json")] == ["page-00001.json"]
    path = fetch()
    assert acled.pages_asked(EVENTS) == [1, 2, 2, 3, 4, 5, 6, 7]
    assert [len(p) for p in pages(path)] == [100] * 6 + [90] and not partials(acled.raw)


def test_a_repeated_page_stops_the_fetch_instead_of_looping(acled):
    first = json.dumps({"status": 200, "success": True, "data": acled.fake.records[:100]}).encode()
    acled.script(EVENTS, Answer(200, first, {"Content-Type": "application/json"}), page="2", times=50)
    with pytest.raises(FetchError, match="page 2: the server sent the same 100 records as page 1 again; stopped"):
        fetch()
    assert acled.pages_asked(EVENTS) == [1, 2]


# ---------------------------------------------------------------- updates
def test_an_update_asks_for_what_changed_and_what_was_deleted_since_the_latest_snapshot(acled):
    base = fetch()
    records = acled.fake.records
    changed = dict(records[10], fatalities="3", timestamp=str(MAX_TIMESTAMP + 500))  # ACLED revised this event
    records[10] = changed
    gone = records.pop(20)  # and deleted this one
    acled.fake.deleted = [{"event_id_cnty": "NIG999", "deleted_timestamp": MAX_TIMESTAMP - 10},  # before: not asked
                          {"event_id_cnty": gone["event_id_cnty"], "deleted_timestamp": MAX_TIMESTAMP + 100}]
    update = fetch_acled(None, update=True, options=fast(), page_size=LIMIT)
    m = manifest(update)
    assert (m["kind"], m["parent"], m["extra"]["max_timestamp"]) == ("update", base.name, MAX_TIMESTAMP + 500)
    assert m["request"]["timestamp_from"] == MAX_TIMESTAMP and m["request"]["country"] == "Ukraine"
    asked = [r for r in acled.requests if r.path == EVENTS][-1]
    assert (asked.query["timestamp"], asked.query["timestamp_where"]) == (str(MAX_TIMESTAMP), ">=")
    got = [r["event_id_cnty"] for p in pages(update) for r in p]
    at_max = [r["event_id_cnty"] for r in records if r["timestamp"] == str(MAX_TIMESTAMP)]
    assert sorted(got) == sorted([changed["event_id_cnty"], *at_max])  # >= as acledR: same-second edits kept
    assert [r["fatalities"] for p in pages(update) for r in p if r["event_id_cnty"] == changed["event_id_cnty"]] == ["3"]
    assert pages(update, "deleted") == [[{"event_id_cnty": gone["event_id_cnty"],
                                          "deleted_timestamp": MAX_TIMESTAMP + 100}]]
    assert (m["rows"], m["deleted_rows"]) == (1 + len(at_max), 1)
    deleted_ask = [r for r in acled.requests if r.path == DELETED][0]
    assert (deleted_ask.query["deleted_timestamp"], deleted_ask.query["deleted_timestamp_where"]) == \
        (str(MAX_TIMESTAMP), ">=")
    assert [s.stamp for s in snapshots.chain("acled")] == [base.name, update.name]


def test_an_update_needs_a_snapshot_and_keeps_its_country_and_dates(acled):
    from analysis.errors import ParameterError

    with pytest.raises(ParameterError, match="no ACLED snapshot to update yet"):
        fetch_acled(None, update=True, options=fast())
    fetch()
    with pytest.raises(ParameterError, match="is for 'Ukraine', not 'Sudan'"):
        fetch_acled("Sudan", update=True, options=fast())
    with pytest.raises(ParameterError, match="keeps the dates"):
        fetch_acled(None, "2022-02-01", update=True, options=fast())


# ---------------------------------------------------------------- kill, then resume
SCRIPT = """
from analysis.fetch.acled import fetch_acled
from analysis.fetch.client import Options
fetch_acled("Ukraine", "2022-01-01", "2022-06-30", page_size=100,
            options=Options(min_interval=0, sleep=lambda s: None, progress=False))
"""


@pytest.mark.slow
def test_a_fetch_killed_mid_way_resumes_from_its_last_page_and_equals_an_uninterrupted_one(acled, tmp_path,
                                                                                          monkeypatch):
    release = threading.Event()
    acled.script(EVENTS, Answer(200, b"{}", block=release), page="3")  # page 3 hangs until the kill
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    process = subprocess.Popen([sys.executable, "-c", SCRIPT], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    try:
        acled.wait_for(lambda r: r.path == EVENTS and r.page == "3")
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        release.set()
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    [partial] = partials(acled.raw)
    assert sorted(p.name for p in partial.glob("page-*.json")) == ["page-00001.json", "page-00002.json"]
    assert not [p for p in (acled.raw / "snapshots" / "acled").iterdir() if not p.name.startswith(".")]
    before = len(acled.requests)
    resumed = fetch()
    assert [int(r.page) for r in acled.requests[before:] if r.path == EVENTS] == [3, 4, 5, 6, 7]
    monkeypatch.setenv("ANALYSIS_RAW_DIR", str(tmp_path / "raw-uninterrupted"))
    whole = fetch()
    assert [p.read_bytes() for p in sorted(resumed.glob("page-*.json"))] == \
        [p.read_bytes() for p in sorted(whole.glob("page-*.json"))]
    a, b = manifest(resumed), manifest(whole)
    for m in (a, b):
        del m["snapshot"], m["created_utc"]
    assert a == b


# ---------------------------------------------------------------- the command, and secrets
def test_the_command_prints_the_snapshot_and_leaks_no_secret(acled, cli, monkeypatch, caplog):
    import logging

    from analysis.fetch import client

    monkeypatch.setattr(client, "DEFAULTS", fast())
    caplog.set_level(logging.DEBUG)
    code, out, err = cli("fetch", "acled", "--country", "Ukraine", "--start", "2022-01-01", "--end", "2022-06-30")
    assert code == 0, err
    assert out.startswith("base snapshot ") and out.rstrip().endswith(": 1 pages, 690 events")
    acled.fake.deleted = [{"event_id_cnty": "UKR1", "deleted_timestamp": MAX_TIMESTAMP + 1}]
    code, out, err2 = cli("fetch", "acled", "--update")
    assert code == 0 and out.rstrip().endswith(", 1 deleted"), err2
    monkeypatch.setenv("ACLED_PASSWORD", "an0ther-wrong-one")
    code, out, err3 = cli("fetch", "acled", "--country", "Ukraine")
    assert code == 2 and err3.startswith("error: ACLED refused the login (HTTP 400") and "Traceback" not in err3
    written = all_written(acled.raw)
    tokens = [f"acc-{n}-SECRETTOKEN" for n in range(1, acled.fake.issued + 1)] + ["SECRETREFRESH"]
    for secret in (PASSWORD, "an0ther-wrong-one", *tokens):
        for text in (written, out, err, err2, err3, caplog.text):
            assert secret not in text


@pytest.mark.parametrize("argv,says", [
    (["fetch", "acled"], "give --country NAME (or --update)"),
    (["fetch", "acled", "--country", "Ukraine", "--start", "2022-02-30"], "--start '2022-02-30': give a real date"),
    (["fetch", "acled", "--country", "Ukraine", "--start", "2022-03-01", "--end", "2022-02-01"], "is after --end"),
    (["fetch", "acled", "--country", "Ukraine|Russia"], "--country 'Ukraine|Russia': give the country's name"),
    (["fetch", "acled", "--country", "Ukraine", "--version", "25.1"], "--version is for ucdp only"),
    (["fetch", "ucdp", "--country", "Ukraine", "--update"], "--update is for acled only"),
    (["fetch", "ucdp"], "fetch ucdp: give --country NAME"),
])
def test_bad_requests_are_usage_errors_before_any_request(acled, cli, argv, says):
    code, out, err = cli(*argv)
    assert code == 2 and err.startswith("error: ") and says in err and "Traceback" not in err
    assert acled.requests == []


def test_a_base_url_with_credentials_or_a_query_is_refused(acled, cli, monkeypatch):
    monkeypatch.setenv("ACLED_API_URL", "https://user:pw@acleddata.com")
    code, out, err = cli("fetch", "acled", "--country", "Ukraine")
    assert code == 2 and "ACLED_API_URL must be a plain http(s) address" in err and "pw@" not in err


def test_requests_keep_a_polite_interval(acled):
    sleeps, now = Sleeps(), [100.0]

    def sleep(seconds):  # a clock that moves only when slept
        sleeps(seconds)
        now[0] += seconds

    fetch(options=fast(sleep, min_interval=5.0, clock=lambda: now[0]))
    assert sleeps == [5.0] * 7 and len(acled.requests) == 8  # a wait before every request but the first


def test_a_record_without_a_numeric_timestamp_is_named(acled):
    acled.fake.records[150]["timestamp"] = "yesterday"
    with pytest.raises(FetchError, match="ACLED events for Ukraine, page 2: record 51 has no numeric 'timestamp'"):
        fetch()


def test_a_progress_bar_counts_pages_and_rows(acled, capsys):
    fetch(options=fast(progress=True))
    err = capsys.readouterr().err
    assert "ACLED Ukraine" in err and "7 pages, 690 rows" in err


def test_outside_a_project_the_fetch_stops_before_asking_for_anything(acled, cli, monkeypatch, tmp_path):
    monkeypatch.delenv("ANALYSIS_RAW_DIR")
    monkeypatch.delenv("ANALYSIS_PROJECT_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    for argv in (["fetch", "acled", "--country", "Ukraine"], ["fetch", "acled", "--update"],
                 ["fetch", "ucdp", "--country", "Ukraine"]):
        code, out, err = cli(*argv)
        assert code == 2 and err.startswith(f"error: no analysis.toml found in {tmp_path.resolve()}"), err
    assert acled.requests == [] and list(tmp_path.iterdir()) == []


def test_a_server_that_echoes_secrets_in_its_errors_is_redacted(acled):
    echo = Answer.json({"message": f"token acc-1-SECRETTOKEN of {EMAIL} ({PASSWORD}) \x1b[31mrejected"}, 502)
    acled.script(EVENTS, echo, page="1", times=2)
    with pytest.raises(FetchError) as caught:
        fetch(options=fast(retries=2))
    text = "".join(traceback.format_exception(caught.value))
    assert "HTTP 502 (token *** of *** (***) [31mrejected), 2 times" in str(caught.value)
    assert "SECRETTOKEN" not in text and PASSWORD not in text and "\x1b" not in text
