"""report.html and reports/index.html in a real browser (headless Chromium driven by Selenium).

Needs Debian's ``chromium`` and ``chromium-driver`` (``apt-get install chromium
chromium-driver``); without them the test is skipped with that reason, in CI
too.  The pages are served from 127.0.0.1 by a small http.server thread.  In
the browser: no console or page errors (a script, a blocked resource or a CSP
violation would be one), every image loaded and described by real alt text,
and no page wider than the window at 1280 and at 400 pixels.
"""

from __future__ import annotations

import functools
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from analysis import reports

pytestmark = pytest.mark.slow
NBCONVERT_PLACEHOLDER = "No description has been provided for this image"
WIDTHS = (1280, 400)


def _browser() -> tuple[str, str]:
    """Paths of chromium and chromedriver, or skip saying what to install."""
    pytest.importorskip("selenium", reason="selenium is not installed (pip install -e '.[dev]')")
    chromium = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.skip("no headless browser: install Debian's chromium and chromium-driver "
                    "(apt-get install chromium chromium-driver)")
    return chromium, driver


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # no request lines in the test output
        pass


@pytest.fixture
def served(seed_dirs, tmp_path):
    """A daily briefing (figures, tables, sentences) and the index, served from 127.0.0.1."""
    chromium, driver = _browser()
    result = reports.run_report("01-daily-briefing", {})
    assert result.ok, result.error
    root = seed_dirs[2]
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    page = result.report_dir.relative_to(root).as_posix() + "/report.html"
    try:
        yield chromium, driver, [f"{base}/{page}", f"{base}/index.html"], tmp_path
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _start(chromium: str, driver: str, profile: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                f"--user-data-dir={profile}", "--window-size=1280,900"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


IMAGES = "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.getAttribute('alt')])"
WIDTH = "return [document.documentElement.scrollWidth, window.innerWidth]"


def test_reports_load_without_errors_with_described_images_and_no_sideways_scrolling(served):
    chromium, driver_path, urls, tmp_path = served
    driver = _start(chromium, driver_path, tmp_path / "profile")
    try:
        for url in urls:
            driver.set_window_size(WIDTHS[0], 900)
            driver.get(url)
            errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
            assert not errors, f"{url}: {errors}"
            images = driver.execute_script(IMAGES)
            if url.endswith("report.html"):
                assert len(images) == 2, images  # attacks per day and the event map
            for complete, natural_width, alt in images:
                assert complete and natural_width > 0, f"{url}: an image did not load"
                assert alt and alt.strip() and alt != NBCONVERT_PLACEHOLDER and len(alt) > 40, f"{url}: alt {alt!r}"
            for width in WIDTHS:
                driver.set_window_size(width, 900)
                scroll_width, inner_width = driver.execute_script(WIDTH)
                assert inner_width <= width and scroll_width <= inner_width, \
                    f"{url} at {width} px: page {scroll_width} px wide in a {inner_width} px window"
            errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
            assert not errors, f"{url}: {errors}"
    finally:
        driver.quit()
