"""``analysis fetch ucdp`` against a real local server playing UCDP's GED API (tests/fetch_server.py),
serving the real GED API sample for Ukraine (3,076 events of country_id 369, one of 365)."""

from __future__ import annotations

import json

import pytest

from analysis.errors import ParameterError
from analysis.fetch.ucdp import fetch_ucdp
from analysis.fetch.client import FetchError
from analysis.fetch.credentials import CredentialsError
from analysis.fetch.ucdp import gwno

from conftest import UCDP_SAMPLE, realdata_path
from fetch_server import Answer, FakeUcdp, Sleeps, fast, manifest, read_records, serving

TOKEN = "ucdp-T0KEN-never-shown"
PATH = "/api/gedevents/25.1"
UKRAINE = 3076  # rows of the sample with country_id 369


@pytest.fixture
def ucdp(tmp_path, monkeypatch):
    fake = FakeUcdp(read_records(realdata_path(UCDP_SAMPLE)), TOKEN)
    with serving(fake, monkeypatch, tmp_path, "UCDP_API_URL", UCDP_API_TOKEN=TOKEN) as server:
        yield server


def results(path) -> list[list[dict]]:
    return [json.loads(p.read_bytes())["Result"] for p in sorted(path.glob("page-*.json"))]


def test_a_fetch_pages_through_with_the_token_header_until_next_page_url_is_empty(ucdp):
    path = fetch_ucdp("Ukraine", options=fast())
    assert [len(p) for p in results(path)] == [1000, 1000, 1000, 76]
    assert {r["country_id"] for p in results(path) for r in p} == {"369"}
    m = manifest(path)
    assert path.parent.name == "ucdp_ged" and (m["kind"], m["pages"], m["rows"]) == ("base", 4, UKRAINE)
    assert m["request"] == {"url": ucdp.url + PATH, "country": "Ukraine", "gwno": 369, "version": "25.1",
                            "start": None, "end": None, "pagesize": 1000}
    assert [r.query for r in ucdp.requests] == [{"pagesize": "1000", "Country": "369", "page": str(n)}
                                                for n in range(4)]
    assert all(r.headers["x-ucdp-access-token"] == TOKEN for r in ucdp.requests)
    assert TOKEN not in "".join(p.read_text() for p in path.iterdir())


def test_dates_version_and_a_number_for_the_country(ucdp):
    ucdp.fake.version = "24.1"
    path = fetch_ucdp("365", version="24.1", start="2014-01-01", end="2022-12-31", options=fast(), page_size=500)
    assert manifest(path)["rows"] == 1
    assert ucdp.requests[0].path == "/api/gedevents/24.1"
    assert ucdp.requests[0].query == {"pagesize": "500", "Country": "365", "StartDate": "2014-01-01",
                                      "EndDate": "2022-12-31", "page": "0"}


def test_gleditsch_ward_numbers_come_from_the_table():
    assert [gwno(n) for n in ("Ukraine", "sudan", "South Sudan", "Benin", "Russia", "626")] == [369, 625, 626, 434,
                                                                                                 365, 626]
    with pytest.raises(ParameterError, match=r"--country 'Narnia': not in the table .* Benin, .* Ukraine"):
        gwno("Narnia")


def test_a_wrong_token_is_a_clear_error_without_the_token(ucdp, monkeypatch):
    monkeypatch.setenv("UCDP_API_TOKEN", "not-the-Right-one")
    with pytest.raises(CredentialsError) as caught:
        fetch_ucdp("Ukraine", options=fast())
    assert "UCDP refused the token (HTTP 401 (A valid access token is required))" in str(caught.value)
    assert "not-the-Right-one" not in repr(caught.value) and len(ucdp.requests) == 1


def test_500_twice_then_success_and_a_truncated_page_then_resume(ucdp):
    sleeps = Sleeps()
    ucdp.script(PATH, Answer.json({"message": "oops"}, 500), page="1", times=2)
    ucdp.script(PATH, Answer(200, b'{"TotalCount": 3076, "Result": [{"id": 1', {}), page="2")
    with pytest.raises(FetchError, match=r"UCDP GED 25.1 events for Ukraine, page 3: the answer is not valid JSON"):
        fetch_ucdp("Ukraine", options=fast(sleeps))
    assert sleeps == [0.5, 1.0]
    path = fetch_ucdp("Ukraine", options=fast())
    assert [int(r.page) for r in ucdp.requests] == [0, 1, 1, 1, 2, 2, 3]
    assert [len(p) for p in results(path)] == [1000, 1000, 1000, 76]


def test_the_command(ucdp, cli, monkeypatch):
    from analysis.fetch import client

    monkeypatch.setattr(client, "DEFAULTS", fast())
    code, out, err = cli("fetch", "ucdp", "--country", "Ukraine")
    assert code == 0, err
    assert out.startswith("base snapshot ") and out.rstrip().endswith(": 4 pages, 3,076 events")
    code, out, err = cli("fetch", "ucdp", "--country", "Ukraine", "--version", "25.1; rm -rf /")
    assert code == 2 and "--version '25.1; rm -rf /': give a GED release such as 25.1" in err
