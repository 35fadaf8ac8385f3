"""The HTTP client of the fetchers, and the one paging loop that writes pages into a snapshot.

:class:`HttpClient` wraps an ``httpx.Client`` with what a polite, robust fetch needs:

- connect and read timeouts (:data:`CONNECT_TIMEOUT_S`, :data:`READ_TIMEOUT_S`);
- retries with exponential backoff (:data:`BACKOFF_S` doubled per try, :data:`RETRIES` tries) on HTTP 429,
  on 5xx, on timeouts and on dropped connections; a ``Retry-After: <seconds>`` header is honoured, capped
  at :data:`MAX_RETRY_AFTER_S`;
- a minimum interval between requests (:data:`MIN_INTERVAL_S`);
- no redirects followed (a token header must never travel to another host);
- errors as :class:`FetchError` with a message of our own: the host, the path, the status and the
  server's short reason, with every secret redacted.  httpx's exceptions (whose text holds the URL and
  whose request holds the headers) never leave this module, not even as a ``__context__``.

:func:`page_through` is the paging loop: it asks for page after page, saves each through the snapshot
writer, records after each page the point to resume from, stops at an empty page or the last page, and
refuses a page that repeats the one before (a server that does not advance would loop forever).
The sleep function and the tunables are :class:`Options`, so tests need not wait.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

import httpx

from analysis import config
from analysis.errors import AnalysisError, ParameterError
from analysis.fetch.credentials import Secret, redact

CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 120.0  # a page of 5,000 ACLED events can take a while to be assembled
RETRIES = 5  # tries per request, the first included
BACKOFF_S = 2.0  # first wait between tries; doubled each time
MAX_RETRY_AFTER_S = 120.0  # a longer Retry-After is cut to this
MIN_INTERVAL_S = 1.0  # at least this long between two requests
USER_AGENT = "conflict-analysis (https://github.com; analysis fetch)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class FetchError(AnalysisError):
    """A fetch failed: the provider's answer could not be had or read.  Exit code 2."""

    exit_code = 2


@dataclass(frozen=True)
class Options:
    """The client's tunables (tests shorten them)."""

    connect_timeout: float = CONNECT_TIMEOUT_S
    read_timeout: float = READ_TIMEOUT_S
    retries: int = RETRIES
    backoff: float = BACKOFF_S
    max_retry_after: float = MAX_RETRY_AFTER_S
    min_interval: float = MIN_INTERVAL_S
    sleep: Callable[[float], None] = field(default=time.sleep)
    clock: Callable[[], float] = field(default=time.monotonic)
    progress: bool | None = None  # None: a bar when stderr is a terminal


DEFAULTS = Options()


def _printable(text: str, limit: int = 200) -> str:
    """Untrusted server text made safe to print: one line, no control characters, at most ``limit`` characters."""
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(text.split())[:limit]


class HttpClient:
    """One provider's connection: retries, backoff, polite pacing, and errors that hold no secret."""

    def __init__(self, options: Options | None = None, secrets: tuple = ()) -> None:
        self.options = options or DEFAULTS
        self.secrets: list = [s for s in secrets if s]
        self._last_request = None
        timeout = httpx.Timeout(self.options.read_timeout, connect=self.options.connect_timeout)
        self._http = httpx.Client(timeout=timeout, follow_redirects=False, headers={"User-Agent": USER_AGENT})

    def __enter__(self) -> "HttpClient":
        return self

    def __exit__(self, *exc) -> None:
        self._http.close()

    def close(self) -> None:
        self._http.close()

    def add_secret(self, secret: Secret | str) -> None:
        self.secrets.append(secret)

    def safe(self, text: str) -> str:
        return redact(text, *self.secrets)

    def _pace(self) -> None:
        if self._last_request is not None:
            wait = self._last_request + self.options.min_interval - self.options.clock()
            if wait > 0:
                self.options.sleep(wait)
        self._last_request = self.options.clock()

    def _wait_before_retry(self, attempt: int, response: httpx.Response | None) -> None:
        wait = self.options.backoff * 2 ** (attempt - 1)
        if response is not None:
            given = response.headers.get("Retry-After", "").strip()
            if given.isdigit():  # the seconds form; an HTTP date falls back to the backoff
                wait = float(given)
        self.options.sleep(min(wait, self.options.max_retry_after))

    def request(self, method: str, url: str, *, what: str, params: dict | None = None, data: dict | None = None,
                headers: dict | None = None) -> httpx.Response:
        """The response to ``method url``; 429, 5xx, timeouts and dropped connections are retried.

        Any other answer (2xx, 3xx, 4xx) is returned as is: the caller decides (a 401 may call for a new
        token).  ``what`` names the request in messages ("ACLED events, page 3").
        """
        where = self.where(url)
        problem = ""
        for attempt in range(1, self.options.retries + 1):
            self._pace()
            response = None
            try:
                response = self._http.request(method, url, params=params, data=data, headers=headers)
            except httpx.TimeoutException as exc:
                problem = f"no answer within the time limit ({type(exc).__name__})"
            except httpx.TransportError as exc:  # refused, reset, a body cut short...
                problem = f"the connection failed ({type(exc).__name__})"
            except httpx.HTTPError as exc:  # anything else httpx raises: never let its text (the URL) out
                problem = f"the request failed ({type(exc).__name__})"
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
                problem = f"HTTP {response.status_code}{self.reason(response)}"
            if attempt < self.options.retries:
                self._wait_before_retry(attempt, response)
        raise FetchError(f"{what}: {where}: {problem}, {self.options.retries} times; giving up. The pages saved "
                         "so far are kept: run the same command again later to resume")

    @staticmethod
    def where(url: str) -> str:
        """Host and path of ``url``, never its query."""
        parsed = httpx.URL(url)
        return f"{parsed.host}{':' + str(parsed.port) if parsed.port else ''}{parsed.path}"

    def reason(self, response: httpx.Response) -> str:
        """`` (reason: the server's short message)``, redacted and printable; empty when it gave none."""
        detail = ""
        try:
            body = response.json()
        except (ValueError, UnicodeDecodeError):
            body = None
        if isinstance(body, dict):
            parts = []
            for key in ("error", "error_description", "message"):
                value = body.get(key)
                if isinstance(value, dict):
                    value = value.get("message")
                if isinstance(value, (str, int)):
                    parts.append(str(value))
            detail = ": ".join(parts)
        detail = _printable(self.safe(detail or response.reason_phrase or ""))
        return f" ({detail})" if detail else ""

    def fail(self, response: httpx.Response, what: str) -> FetchError:
        """The error for an answer that is no success and no retry."""
        return FetchError(f"{what}: {self.where(str(response.url))} answered HTTP {response.status_code}"
                          f"{self.reason(response)}")


def read_json(body: bytes, what: str) -> object:
    """The JSON in ``body``; a clear error naming the page when it is cut short or invalid."""
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        problem = "it is not UTF-8 text"
    except json.JSONDecodeError as exc:
        problem = f"{exc.msg} at byte {exc.pos} of {len(body)}"
    raise FetchError(f"{what}: the answer is not valid JSON ({problem}); it may have been cut short. The pages "
                     "before it are kept: run the same command again to resume")


# ---------------------------------------------------------------- what every fetch checks first
def base_url(variable: str, default: str) -> str:
    """The API's base URL: ``$variable`` or ``default``; plain http(s), no user, query or fragment."""
    raw = os.environ.get(variable) or default
    try:
        url = httpx.URL(raw)
    except (httpx.InvalidURL, TypeError):
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host or url.userinfo or url.query \
            or url.fragment:
        raise ParameterError(f"{variable} must be a plain http(s) address such as {default} (no user, query or "
                             "fragment)")
    return str(url).rstrip("/")


def require_project() -> None:
    """Stop a fetch outside a project (``ProjectError``, exit 2) before it asks for credentials or sends a request."""
    config.RAW_DIR  # noqa: B018 - resolving the raw folder is the check


def check_date(value: str | None, option: str) -> str | None:
    """``value`` if it is a real YYYY-MM-DD date (or None)."""
    if value is None:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise ParameterError(f"{option} {value!r}: give a real date as YYYY-MM-DD")


def check_dates(start: str | None, end: str | None) -> tuple[str | None, str | None]:
    start, end = check_date(start, "--start"), check_date(end, "--end")
    if start and end and start > end:
        raise ParameterError(f"--start {start} is after --end {end}")
    return start, end



# ---------------------------------------------------------------- paging into a snapshot
@dataclass(frozen=True)
class Page:
    """One page as received: its bytes, its records, whether the server says it is the last."""

    body: bytes
    records: list
    last: bool
    max_timestamp: int | None = None  # ACLED: the largest `timestamp` among the records


EMPTY = {"pages": 0, "rows": 0, "digest": None, "max_timestamp": None, "complete": False}


def _digest(records: list) -> str:
    return hashlib.sha256(json.dumps(records, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def resume_point(writer, kind: str) -> dict:
    """The facts of the pages of ``kind`` already saved in ``writer`` (:data:`EMPTY` for a new snapshot).

    Event pages save their state *before* the page (both the facts after it and before it), so whichever
    matches the writer's count of saved pages is right, even after a kill between the two writes.
    """
    state = writer.state or {}
    after, before = state.get(kind), state.get(f"{kind}_before")
    if kind != "events":  # deleted pages save the state after the page: a kill between repeats one page at worst
        return dict(after or EMPTY)
    done = writer.pages_done
    for facts in (after, before):
        if facts is not None and facts["pages"] == done:
            return dict(facts)
    if after is None and done == 0:
        return dict(EMPTY)
    raise FetchError(f"the partial snapshot holds {done} pages but its resume point says "
                     f"{after['pages'] if after else 'none'}; delete the .partial-* folder under "
                     "data/raw/snapshots/ and fetch again")


def page_through(writer, get_page: Callable[[int], Page], *, kind: str, label: str,
                 progress: "PageProgress") -> dict:
    """Fetch pages ``get_page(0)``, ``get_page(1)``, ... (from the resume point) into ``writer``; their facts.

    Ends after a page that says it is the last, or at an empty page (not saved).  A page whose records
    are exactly those of the page before stops the fetch with :class:`FetchError`.
    """
    facts = resume_point(writer, kind)
    progress.resume(facts["pages"], facts["rows"])
    while not facts["complete"]:
        index = facts["pages"]
        page = get_page(index)
        if not page.records:
            facts = {**facts, "complete": True}
            _save(writer, kind, facts, facts)
            break
        digest = _digest(page.records)
        if digest == facts["digest"]:
            raise FetchError(f"{label}, page {index + 1}: the server sent the same {len(page.records)} records as "
                             f"page {index} again; stopped rather than loop. The {index} pages before are kept")
        stamps = [t for t in (facts["max_timestamp"], page.max_timestamp) if t is not None]
        new = {"pages": index + 1, "rows": facts["rows"] + len(page.records), "digest": digest,
               "max_timestamp": max(stamps) if stamps else None, "complete": page.last}
        if kind == "events":
            _save(writer, kind, new, facts)
            writer.add_page(page.body, kind=kind)
        else:
            writer.add_page(page.body, kind=kind)
            _save(writer, kind, new, facts)
        facts = new
        progress.advance(len(page.records))
    return facts


def _save(writer, kind: str, after: dict, before: dict) -> None:
    writer.save_state({**(writer.state or {}), kind: after, f"{kind}_before": before})


class PageProgress:
    """Pages and rows fetched: a rich bar on a terminal, silence otherwise."""

    def __init__(self, label: str, enabled: bool | None = None) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._progress = self._task = None
        self.pages = self.rows = 0

    def __enter__(self) -> "PageProgress":
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                      TextColumn("{task.fields[pages]} pages, {task.fields[rows]:,} rows"),
                                      TimeElapsedColumn(), console=Console(stderr=True), transient=False)
            self._progress.__enter__()
            self._task = self._progress.add_task(self.label, total=None, pages=0, rows=0)
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def set_total(self, pages: int | None) -> None:
        if self._progress is not None and pages:
            self._progress.update(self._task, total=pages)

    def resume(self, pages: int, rows: int) -> None:
        self.pages, self.rows = pages, rows
        self._show()

    def advance(self, rows: int) -> None:
        self.pages += 1
        self.rows += rows
        self._show()

    def _show(self) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=self.pages, pages=self.pages, rows=self.rows)

