"""``analysis fetch acled``: ACLED events for one country through ACLED's API, into a snapshot.

The protocol, as ACLED's API documentation and its R package acledR (``acled_auth``, ``acled_api``,
``acled_deletions_api``, ``acled_update``) use it since the OAuth change of 2025:

- **token:** ``POST <base>/oauth/token``, form-encoded ``username``, ``password``,
  ``grant_type=password``, ``client_id=acled``, ``scope=authenticated``; the JSON answer holds
  ``access_token`` and ``refresh_token``.  A 401 on a data request gets one new token
  (``grant_type=refresh_token``; a full login if the refresh is refused) and one more try.
- **events:** ``GET <base>/api/acled/read?_format=json`` with ``Authorization: Bearer <token>``,
  ``country``, ``event_date=A|B`` and ``event_date_where=BETWEEN`` (``>=``/``<=`` with one date),
  ``limit`` (at most :data:`PAGE_SIZE`, 5,000) and ``page`` (from 1).  The body is
  ``{"status", "success", "count", "data": [records]}``; a page with fewer than ``limit`` records,
  or none, is the last.
- **updates** (``--update``): the events whose ``timestamp`` (Unix seconds of the last edit) is at or
  after the latest snapshot's largest one (``timestamp=T&timestamp_where=>=``, as acledR's
  ``acled_update``: ``>=`` so that an edit in the same second is not missed), for the same country and
  dates, plus ``GET <base>/api/deleted/read?_format=json&deleted_timestamp=T&deleted_timestamp_where=>=``,
  whose records are ``{"event_id_cnty", "deleted_timestamp"}`` (for every country: the endpoint has no
  country filter).  Written as a snapshot of kind ``update`` whose parent is the latest snapshot.

The password goes only in the body of the token request, the token only in a header: neither is ever
in a URL, a snapshot, a message or an exception.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from analysis.errors import ParameterError
from analysis.fetch import snapshots
from analysis.fetch.client import (FetchError, HttpClient, Options, Page, PageProgress, base_url, check_dates,
                                   page_through, read_json, require_project)
from analysis.fetch.credentials import AcledLogin, CredentialsError, Secret, acled_login

SOURCE = "acled"
BASE_URL_ENV = "ACLED_API_URL"
BASE_URL = "https://acleddata.com"
TOKEN_PATH = "/oauth/token"
EVENTS_PATH = "/api/acled/read"
DELETED_PATH = "/api/deleted/read"
CLIENT_ID = "acled"
SCOPE = "authenticated"
PAGE_SIZE = 5000  # ACLED's largest page
COUNTRY_NAME = re.compile(r"[^\W\d_][\w .,'()&\-]{0,79}")


class AcledSession:
    """An ACLED login: the token, its refresh, and authorised GETs."""

    def __init__(self, client: HttpClient, base: str, login: AcledLogin) -> None:
        self.client, self.base, self.login = client, base, login
        client.add_secret(login.password)
        client.add_secret(login.email)
        self._access: Secret | None = None
        self._refresh: Secret | None = None
        self._refused = ""

    def _token(self, form: dict, what: str) -> bool:
        """Ask for a token; True when given, False when refused (HTTP 400/401/403)."""
        response = self.client.request("POST", self.base + TOKEN_PATH, what=what, data=form)
        if response.status_code in (400, 401, 403):
            self._refused = f"HTTP {response.status_code}{self.client.reason(response)}"
            return False
        if response.status_code != 200:
            raise self.client.fail(response, what)
        body = read_json(response.content, what)
        access = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(access, str) or not access:
            raise FetchError(f"{what}: the answer holds no access_token")
        refresh = body.get("refresh_token")
        self._access = Secret(access)
        self._refresh = Secret(refresh) if isinstance(refresh, str) and refresh else None
        self.client.add_secret(self._access)
        self.client.add_secret(self._refresh)
        return True

    def sign_in(self) -> None:
        form = {"username": self.login.email, "password": self.login.password.reveal(), "grant_type": "password",
                "client_id": CLIENT_ID, "scope": SCOPE}
        if not self._token(form, "ACLED login"):
            raise CredentialsError(f"ACLED refused the login ({self._refused}): check ACLED_EMAIL and "
                                   "ACLED_PASSWORD (or the credentials file)")

    def renew(self) -> None:
        """A new token: the refresh grant, else a full login."""
        if self._refresh is not None:
            form = {"grant_type": "refresh_token", "refresh_token": self._refresh.reveal(), "client_id": CLIENT_ID}
            if self._token(form, "ACLED token refresh"):
                return
        self.sign_in()

    def get(self, path: str, params: dict, what: str) -> bytes:
        """The body of an authorised GET; one new token after a 401."""
        if self._access is None:
            self.sign_in()
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self._access.reveal()}", "Accept": "application/json"}
            response = self.client.request("GET", self.base + path, what=what, params=params, headers=headers)
            if response.status_code == 401 and attempt == 1:
                self.renew()
                continue
            if response.status_code == 401:
                raise CredentialsError(f"{what}: ACLED refused a fresh token (HTTP 401{self.client.reason(response)}"
                                       "): does the account have API access?")
            if response.status_code != 200:
                raise self.client.fail(response, what)
            return response.content
        raise AssertionError("unreachable")


def _page(body: bytes, what: str, limit: int, *, stamped: bool) -> Page:
    """A page of ACLED's JSON: its records, whether it is the last, its largest ``timestamp``."""
    data = read_json(body, what)
    if not isinstance(data, dict) or not isinstance(data.get("data"), list) or data.get("success") is False:
        raise FetchError(f"{what}: not a page of ACLED events (expected a JSON object whose 'data' is a list, "
                         "without success: false)")
    records = data["data"]
    largest = None
    if stamped and records:
        try:
            frame = pd.DataFrame.from_records(records)
        except (TypeError, ValueError):
            frame = None
        if frame is None or "timestamp" not in frame.columns:
            raise FetchError(f"{what}: the records are not ACLED events (objects with a 'timestamp')")
        stamps = pd.to_numeric(frame["timestamp"], errors="coerce")
        if stamps.isna().any():
            raise FetchError(f"{what}: record {int(stamps.isna().to_numpy().argmax()) + 1} has no numeric 'timestamp'")
        largest = int(stamps.max())
    return Page(body, records, last=len(records) < limit, max_timestamp=largest)


def _date_filter(start: str | None, end: str | None) -> dict:
    if start and end:
        return {"event_date": f"{start}|{end}", "event_date_where": "BETWEEN"}
    if start:
        return {"event_date": start, "event_date_where": ">="}
    if end:
        return {"event_date": end, "event_date_where": "<="}
    return {}


def fetch_acled(country: str | None, start: str | None = None, end: str | None = None, *, update: bool = False,
                options: Options | None = None, page_size: int = PAGE_SIZE) -> Path:
    """Fetch ACLED events for ``country`` (between ``start`` and ``end``) into a new snapshot; its folder.

    ``update``: only what changed since the latest snapshot (see the module's docstring).  A fetch that
    stopped (killed, a network failure, a bad page) resumes from its last saved page when run again.
    """
    if not 1 <= page_size <= PAGE_SIZE:
        raise ParameterError(f"page size {page_size}: ACLED pages hold 1 to {PAGE_SIZE} events")
    base = base_url(BASE_URL_ENV, BASE_URL)
    start, end = check_dates(start, end)
    parent, since = None, None
    if update:
        previous = snapshots.latest(SOURCE)
        if previous is None:
            raise ParameterError("--update: there is no ACLED snapshot to update yet; run `analysis fetch acled "
                                 "--country NAME` first")
        asked = previous.manifest.get("request", {})
        if country is not None and country != asked.get("country"):
            raise ParameterError(f"--update: the latest ACLED snapshot ({previous.stamp}) is for "
                                 f"{asked.get('country')!r}, not {country!r}")
        if start or end:
            raise ParameterError("--update keeps the dates of the snapshot it updates; leave out --start and --end")
        since = previous.manifest.get("extra", {}).get("max_timestamp")
        if since is None:
            raise ParameterError(f"--update: the latest ACLED snapshot ({previous.stamp}) records no largest "
                                 "timestamp (it has no events); fetch it again without --update")
        country, start, end, parent = asked.get("country"), asked.get("start"), asked.get("end"), previous.stamp
    if not country or not COUNTRY_NAME.fullmatch(country):
        raise ParameterError(f"--country {country!r}: give the country's name as ACLED spells it (e.g. Ukraine)")
    request = {"url": base + EVENTS_PATH, "country": country, "start": start, "end": end, "limit": page_size}
    if since is not None:
        request["timestamp_from"] = int(since)
    require_project()
    login = acled_login()
    with snapshots.SnapshotWriter.open(SOURCE, request, kind="update" if update else "base", parent=parent) as writer:
        with HttpClient(options) as client, PageProgress(f"ACLED {country}", client.options.progress) as progress:
            session = AcledSession(client, base, login)
            params = {"_format": "json", "country": country, **_date_filter(start, end), "limit": page_size}
            if since is not None:
                params.update(timestamp=int(since), timestamp_where=">=")

            def events(index: int) -> Page:
                what = f"ACLED events for {country}, page {index + 1}"
                body = session.get(EVENTS_PATH, {**params, "page": index + 1}, what)
                return _page(body, what, page_size, stamped=True)

            found = page_through(writer, events, kind="events", label=f"ACLED events for {country}",
                                 progress=progress)
            deleted = {"rows": 0}
            if since is not None:
                deleted_params = {"_format": "json", "deleted_timestamp": int(since), "deleted_timestamp_where": ">=",
                                  "limit": page_size}

                def deletions(index: int) -> Page:
                    what = f"ACLED deleted events, page {index + 1}"
                    body = session.get(DELETED_PATH, {**deleted_params, "page": index + 1}, what)
                    return _page(body, what, page_size, stamped=False)

                deleted = page_through(writer, deletions, kind="deleted", label="ACLED deleted events",
                                       progress=progress)
        stamps = [t for t in (found["max_timestamp"], since) if t is not None]
        extra = {"max_timestamp": max(stamps) if stamps else None}
        if since is not None:
            extra["timestamp_from"] = int(since)
        return writer.commit(found["rows"], deleted_rows=deleted["rows"], extra=extra)
