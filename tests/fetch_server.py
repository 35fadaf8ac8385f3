"""A real HTTP server on 127.0.0.1 for the fetch tests, playing ACLED's and UCDP's APIs.

The pages are built at test time from the real samples in ../shared/realdata (read in place), in each
API's response shape.  Faults are scripted per test: :meth:`ApiServer.script` queues answers for the
next requests that match a path (and page), before the fake API's normal answer.
"""

from __future__ import annotations

import csv
import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from analysis.fetch.client import Options


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a read timeout)
    block: threading.Event | None = None  # wait for this before answering (a kill mid-fetch)

    @classmethod
    def json(cls, obj, status: int = 200, headers: dict | None = None, **kw) -> "Answer":
        return cls(status, json.dumps(obj).encode("utf-8"), {"Content-Type": "application/json", **(headers or {})},
                   **kw)


@dataclass
class Request:
    method: str
    path: str
    query: dict  # name -> value (last one)
    headers: dict
    form: dict

    @property
    def page(self):
        return self.query.get("page")


class ApiServer:
    """A threading HTTP server; ``app(request) -> Answer`` answers what the script does not."""

    def __init__(self, app) -> None:
        self.app = app
        self.requests: list[Request] = []
        self.seen = threading.Condition()
        self._script: list[tuple[str, str | None, Answer]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _handle(self, method):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8") if length else ""
                request = Request(method, parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()},
                                  {k.lower(): v for k, v in self.headers.items()},
                                  {k: v[-1] for k, v in parse_qs(raw).items()})
                request.host = self.headers.get("Host")
                with owner.seen:
                    owner.requests.append(request)
                    owner.seen.notify_all()
                answer = owner._scripted(request) or owner.app(request)
                if answer.block is not None:
                    answer.block.wait(30)
                if answer.delay:
                    time.sleep(answer.delay)
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except OSError:  # the client went away (a timeout, a killed process)
                    pass

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "ApiServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def script(self, path: str, answer: Answer, page: str | None = None, times: int = 1) -> None:
        """Answer the next ``times`` requests to ``path`` (and ``page``) with ``answer``."""
        self._script += [(path, page, answer)] * times

    def _scripted(self, request: Request) -> Answer | None:
        with self.seen:
            for i, (path, page, answer) in enumerate(self._script):
                if request.path == path and (page is None or request.page == page):
                    del self._script[i]
                    return answer
        return None

    def wait_for(self, predicate, timeout: float = 30) -> Request:
        """The first request that satisfies ``predicate``, waiting for it to arrive."""
        with self.seen:
            ok = self.seen.wait_for(lambda: any(predicate(r) for r in self.requests), timeout)
            assert ok, "the request never came"
            return next(r for r in self.requests if predicate(r))

    def pages_asked(self, path: str) -> list[int]:
        return [int(r.page) for r in self.requests if r.path == path and r.page is not None]


@contextmanager
def serving(fake, monkeypatch, tmp_path, url_variable: str, **environment):
    """A server answering with ``fake``, its URL in ``url_variable``, raw data under ``tmp_path/raw``,
    ``environment`` set and no credentials file; ``server.fake`` and ``server.raw`` for the test."""
    raw = tmp_path / "raw"
    for name, value in {"ANALYSIS_RAW_DIR": str(raw), **environment,
                        "ANALYSIS_CREDENTIALS": str(tmp_path / "no-such-credentials.toml")}.items():
        monkeypatch.setenv(name, value)
    with ApiServer(fake) as server:
        monkeypatch.setenv(url_variable, server.url)
        server.fake, server.raw = fake, raw
        yield server


def read_records(path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


class FakeAcled:
    """ACLED's OAuth token endpoint, events endpoint and deleted endpoint, over ``records``."""

    def __init__(self, records: list[dict], email: str, password: str) -> None:
        self.records = [dict(r) for r in records]
        self.deleted: list[dict] = []
        self.email, self.password = email, password
        self.valid: set[str] = set()
        self.refresh: set[str] = set()
        self.issued = 0
        self.uses_left: dict[str, int] = {}
        self.expire_after: int | None = None  # the first access token dies after this many data requests

    def _tokens(self) -> Answer:
        self.issued += 1
        access, refresh = f"acc-{self.issued}-SECRETTOKEN", f"ref-{self.issued}-SECRETREFRESH"
        self.valid.add(access)
        self.refresh.add(refresh)
        if self.expire_after is not None and self.issued == 1:
            self.uses_left[access] = self.expire_after
        return Answer.json({"token_type": "Bearer", "expires_in": 86400, "access_token": access,
                            "refresh_token": refresh})

    def __call__(self, request: Request) -> Answer:
        if request.path == "/oauth/token" and request.method == "POST":
            form = request.form
            if form.get("client_id") != "acled":
                return Answer.json({"error": "invalid_client"}, 401)
            if form.get("grant_type") == "password":
                if form.get("username") == self.email and form.get("password") == self.password \
                        and form.get("scope") == "authenticated":
                    return self._tokens()
                # hostile: echoes what it was sent
                return Answer.json({"error": "invalid_grant", "error_description": "The user credentials were "
                                    f"incorrect: {form.get('username')} / {form.get('password')}"}, 400)
            if form.get("grant_type") == "refresh_token" and form.get("refresh_token") in self.refresh:
                self.refresh.discard(form["refresh_token"])
                return self._tokens()
            return Answer.json({"error": "invalid_grant"}, 400)
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.valid:
            return Answer.json({"message": "Unauthorized"}, 401)
        if token in self.uses_left:
            if self.uses_left[token] <= 0:
                self.valid.discard(token)
                return Answer.json({"message": "token expired"}, 401)
            self.uses_left[token] -= 1
        q = request.query
        limit, page = int(q.get("limit", 5000)), int(q.get("page", 1))
        if request.path == "/api/acled/read":
            rows = [r for r in self.records if r["country"] == q.get("country")]
            if q.get("event_date_where") == "BETWEEN":
                low, high = q["event_date"].split("|")
                rows = [r for r in rows if low <= r["event_date"] <= high]
            if q.get("timestamp_where") == ">=":
                rows = [r for r in rows if int(r["timestamp"]) >= int(q["timestamp"])]
        elif request.path == "/api/deleted/read":
            rows = [r for r in self.deleted if int(r["deleted_timestamp"]) >= int(q["deleted_timestamp"])]
        else:
            return Answer.json({"message": "not found"}, 404)
        chunk = rows[(page - 1) * limit: page * limit]
        return Answer.json({"status": 200, "success": True, "count": len(chunk), "data": chunk})


class FakeUcdp:
    """UCDP's GED API over ``records``: ``/api/gedevents/<version>``, token header, NextPageUrl."""

    def __init__(self, records: list[dict], token: str, version: str = "25.1") -> None:
        self.records, self.token, self.version = records, token, version

    def __call__(self, request: Request) -> Answer:
        if request.path != f"/api/gedevents/{self.version}":
            return Answer.json({"message": "no such resource"}, 404)
        if request.headers.get("x-ucdp-access-token") != self.token:
            return Answer.json({"message": "A valid access token is required"}, 401)
        q = request.query
        size, page = int(q.get("pagesize", 100)), int(q.get("page", 0))
        rows = [r for r in self.records if q.get("Country") is None or r["country_id"] == q["Country"]]
        if "StartDate" in q:
            rows = [r for r in rows if r["date_start"][:10] >= q["StartDate"]]
        if "EndDate" in q:
            rows = [r for r in rows if r["date_start"][:10] <= q["EndDate"]]
        pages = -(-len(rows) // size)
        base = f"http://{request.host}{request.path}?pagesize={size}"
        return Answer.json({"TotalCount": len(rows), "TotalPages": pages,
                            "PreviousPageUrl": f"{base}&page={page - 1}" if page > 0 else "",
                            "NextPageUrl": f"{base}&page={page + 1}" if page + 1 < pages else "",
                            "Result": rows[page * size:(page + 1) * size]})


# ---------------------------------------------------------------- the fetch side
class Sleeps(list):
    """A sleep that records what it was asked to wait, and does not wait."""

    def __call__(self, seconds: float) -> None:
        self.append(round(seconds, 3))


def fast(sleeps=None, **kw) -> Options:
    """Options that never wait (the sleeps are recorded in ``sleeps``) and show no bar, unless ``kw`` says."""
    chosen = {"min_interval": 0, "backoff": 0.5, "progress": False, **kw}
    return Options(sleep=sleeps if sleeps is not None else Sleeps(), **chosen)


def manifest(path: Path) -> dict:
    return json.loads((path / "manifest.json").read_text())
