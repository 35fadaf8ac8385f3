"""``analysis fetch ucdp``: UCDP GED events for one country through UCDP's API, into a snapshot.

The protocol, as UCDP's API documentation (ucdp.uu.se/apidocs) gives it:

- ``GET <base>/api/gedevents/<version>?pagesize=N&page=P`` with the header ``x-ucdp-access-token``
  (tokens are required since February 2026; ask UCDP's API maintainer for one);
- ``pagesize`` at most :data:`PAGE_SIZE` (1,000); ``page`` counts from 0;
- filters ``Country=<Gleditsch-Ward number>``, ``StartDate=YYYY-MM-DD``, ``EndDate=YYYY-MM-DD``;
- the body is ``{"TotalCount", "TotalPages", "PreviousPageUrl", "NextPageUrl", "Result": [records]}``;
  an empty ``NextPageUrl`` marks the last page.

The fetch builds each page's address itself (``page=P``) rather than following ``NextPageUrl``: the
token is never sent wherever a server points, and a stopped fetch knows where to resume from the pages
it saved.  ``NextPageUrl`` only says whether there is more.

UCDP filters by Gleditsch-Ward state number, not by name: :data:`GWNO_TABLE` (``gwno.csv`` beside this
module) maps the names this package knows to their numbers, each with where it was read (UCDP GED's
``country_id`` column, or Gleditsch and Ward's list).  A number may also be given directly.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

from analysis.errors import ParameterError
from analysis.fetch import snapshots
from analysis.fetch.client import (FetchError, HttpClient, Options, Page, PageProgress, base_url, check_dates,
                                   page_through, read_json, require_project)
from analysis.fetch.credentials import CredentialsError, ucdp_token

SOURCE = "ucdp_ged"
BASE_URL_ENV = "UCDP_API_URL"
BASE_URL = "https://ucdpapi.pcr.uu.se"
EVENTS_PATH = "/api/gedevents/{version}"
TOKEN_HEADER = "x-ucdp-access-token"
VERSION = "25.1"  # the GED release the API documentation's example asks for; --version picks another
PAGE_SIZE = 1000
GWNO_TABLE = Path(__file__).with_name("gwno.csv")


@functools.cache
def gwno_table() -> dict[str, int]:
    """{lower-case country name: Gleditsch-Ward number}."""
    with open(GWNO_TABLE, encoding="utf-8", newline="") as handle:
        return {row["name"].casefold(): int(row["gwno"]) for row in csv.DictReader(handle)}


def gwno(country: str) -> int:
    """The Gleditsch-Ward number of ``country`` (a name in the table, or the number itself)."""
    text = (country or "").strip()
    if text.isdigit() and 2 <= int(text) <= 999:
        return int(text)
    number = gwno_table().get(text.casefold())
    if number is None:
        with open(GWNO_TABLE, encoding="utf-8", newline="") as handle:
            names = ", ".join(row["name"] for row in csv.DictReader(handle))
        raise ParameterError(f"--country {country!r}: not in the table of Gleditsch-Ward numbers ({GWNO_TABLE.name}); "
                             f"give the number itself (UCDP's country_id) or one of: {names}")
    return number


def check_version(version: str) -> str:
    parts = version.split(".")
    if not (1 <= len(parts) <= 3 and all(p.isdigit() and len(p) <= 4 for p in parts)):
        raise ParameterError(f"--version {version!r}: give a GED release such as {VERSION}")
    return version


def _page(body: bytes, what: str) -> tuple[Page, int | None]:
    """The page, and the number of pages UCDP says there are."""
    data = read_json(body, what)
    if not isinstance(data, dict) or not isinstance(data.get("Result"), list):
        raise FetchError(f"{what}: not a page of UCDP events (expected a JSON object whose 'Result' is a list)")
    total = data.get("TotalPages")
    return Page(body, data["Result"], last=not data.get("NextPageUrl")), total if isinstance(total, int) else None


def fetch_ucdp(country: str, version: str = VERSION, start: str | None = None, end: str | None = None, *,
               options: Options | None = None, page_size: int = PAGE_SIZE) -> Path:
    """Fetch UCDP GED events of ``country`` (release ``version``, between ``start`` and ``end``) into a new
    snapshot; its folder.  A stopped fetch resumes from its last saved page when run again."""
    if not 1 <= page_size <= PAGE_SIZE:
        raise ParameterError(f"page size {page_size}: UCDP pages hold 1 to {PAGE_SIZE} events")
    number, version = gwno(country), check_version(version)
    start, end = check_dates(start, end)
    url = base_url(BASE_URL_ENV, BASE_URL) + EVENTS_PATH.format(version=version)
    request = {"url": url, "country": country, "gwno": number, "version": version, "start": start, "end": end,
               "pagesize": page_size}
    require_project()
    token = ucdp_token()
    with snapshots.SnapshotWriter.open(SOURCE, request) as writer:
        params = {"pagesize": page_size, "Country": number}
        params.update({k: v for k, v in (("StartDate", start), ("EndDate", end)) if v})
        headers = {TOKEN_HEADER: token.reveal(), "Accept": "application/json"}
        with HttpClient(options, secrets=(token,)) as client, \
                PageProgress(f"UCDP GED {version} {country}", client.options.progress) as progress:

            def events(index: int) -> Page:
                what = f"UCDP GED {version} events for {country}, page {index + 1}"
                response = client.request("GET", url, what=what, params={**params, "page": index}, headers=headers)
                if response.status_code in (401, 403):
                    raise CredentialsError(f"{what}: UCDP refused the token (HTTP {response.status_code}"
                                     f"{client.reason(response)}): check UCDP_API_TOKEN (or the credentials file)")
                if response.status_code != 200:
                    raise client.fail(response, what)
                page, total = _page(response.content, what)
                progress.set_total(total)
                return page

            found = page_through(writer, events, kind="events", label=f"UCDP GED events for {country}",
                                 progress=progress)
        return writer.commit(found["rows"], extra={"gwno": number, "version": version})
