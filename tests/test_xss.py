"""Data never become markup: escaping properties, every display path, and every report on hostile raw files.

A corpus of payloads (tags, event handlers, script and data links in Markdown
syntax, autolinks, comments, quote-breaking, Markdown emphasis and headings,
entity-encoded variants, math) goes into every text field of every input
format and into the text parameters of the report notebooks.  The HTML pages
are parsed with a real HTML parser, and nothing from the data may be an
element, an ``on*`` attribute or a script or data URL.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import config, escaping, reports
from analysis.metrics import provenance
from analysis.reports import html as report_html
from analysis.reports.reporting import Report, figure_html, table_html
from analysis.reports.templates import reports_index_html

from conftest import ACLED_ROW, events_frame

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "<svg onload=alert(3)>",
    "[click](javascript:alert(4))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCg1KTwvc2NyaXB0Pg==)",
    "<javascript:alert(6)>",
    "<https://evil.example/autolink> www.evil.example/bare https://evil.example/bare",
    "<!-- comment --></td></tr></table></div></p><b>bold</b>",
    '" onmouseover="alert(7)" x="',
    "' onfocus='alert(8)' autofocus x='",
    "`code` **strong** __strong__ _em_ *em* ~~strike~~",
    "# Heading\n## Subheading",
    "<style>body{display:none}</style>",
    "&lt;script&gt;alert(9)&lt;/script&gt; &#60;img src=x onerror=alert(10)&#62; &#x3C;b&#x3E;",
    "$\\frac{1}{2}$ \\(x\\) $$y$$",
    "![image](x onerror=alert(11))",
    '<a href="javascript:alert(12)">link</a>',
    "<iframe src=javascript:alert(13)></iframe>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(14)>",
    "| a | b |\n|---|---|\n| c | d |",
    "<details open ontoggle=alert(15)>",
    "[ref]: javascript:alert(16)\n[ref]",
    "\\<script\\>alert(17)\\</script\\>",
    "<a href='jav&#x09;ascript:alert(18)'>tab</a>",
    "</span><span style=\"position:fixed;top:0\">overlay</span>",
]
SCRIPT_URL = re.compile(r"^\s*(javascript|vbscript|data)\s*:", re.I)
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href", "srcset", "poster", "background", "data")


# ================================================================ checks on parsed HTML
def _markdown_html(markdown: str) -> str:
    from nbconvert.exporters.html import HTMLExporter

    return HTMLExporter().markdown2html({}, markdown)


def _elements(fragment: str) -> list:
    return BeautifulSoup(fragment, "html.parser").find_all(True)


def _assert_inert(page: str, allowed_tags: set[str], where: str) -> BeautifulSoup:
    """No element outside ``allowed_tags``, no on* attribute, no script/data URL (bar <img src=data:image/png>)."""
    soup = BeautifulSoup(page, "html.parser")
    for element in soup.find_all(True):
        assert element.name in allowed_tags, f"{where}: unexpected <{element.name}> {str(element)[:200]}"
        for name, value in element.attrs.items():
            assert not name.lower().startswith("on"), f"{where}: event handler {name}= on <{element.name}>"
            value = " ".join(value) if isinstance(value, list) else str(value)
            if name.lower() in URL_ATTRIBUTES:
                png = element.name == "img" and name == "src" and value.startswith("data:image/png;base64,")
                assert png or not SCRIPT_URL.match(re.sub(r"[\x00-\x20]", "", value)), \
                    f"{where}: {name}={value[:80]!r} on <{element.name}>"
    return soup


def _text(soup) -> str:
    return " ".join(soup.get_text(" ").split())


# ================================================================ the escaping functions
@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",))) | st.sampled_from(PAYLOADS))
def test_markdown_escape_renders_exactly_the_text_and_no_markup(text):
    rendered = _markdown_html(escaping.markdown(text))
    elements = _elements(rendered)
    assert {e.name for e in elements} <= {"p"}, rendered
    assert _text(BeautifulSoup(rendered, "html.parser")) == " ".join(escaping.plain(text).split())


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",))) | st.sampled_from(PAYLOADS))
def test_markdown_escape_is_plain_text_for_commonmark_too(text):
    """The same holds for a strict CommonMark renderer (markdown-it-py), as in JupyterLab."""
    markdown_it = pytest.importorskip("markdown_it")
    rendered = markdown_it.MarkdownIt("commonmark").render(escaping.markdown(text) + " *(synthetic data)*")
    assert [e.name for e in _elements(rendered)] == ["p", "em"]
    assert _text(BeautifulSoup(rendered, "html.parser")) == " ".join(
        f"{escaping.plain(text)} (synthetic data)".split())


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"))) | st.sampled_from(PAYLOADS))
def test_html_escape_keeps_text_and_attribute_values_intact(text):
    soup = BeautifulSoup(f'<p title="{escaping.html(text)}" data-x=\'{escaping.html(text)}\'>{escaping.html(text)}</p>',
                         "html.parser")
    (p,) = soup.find_all(True)
    assert p.name == "p" and set(p.attrs) == {"title", "data-x"}
    assert p["title"] == p["data-x"] == text.replace("\r\n", "\n").replace("\r", "\n") or p["title"] == text
    assert p.get_text() == text or p.get_text() == text.replace("\r\n", "\n").replace("\r", "\n")


@settings(max_examples=300, deadline=None)
@given(st.text() | st.sampled_from(["javascript:alert(1)", "//evil.example/x", "../../etc/passwd", "data:x,1",
                                    " JaVaScRiPt:x", "\\\\host\\share", "a/./b/../c"]))
def test_relative_urls_never_leave_the_page_folder(path):
    from urllib.parse import urlsplit

    url = escaping.relative_url(path)
    parts = urlsplit(url)
    assert url.startswith("./") and not parts.scheme and not parts.netloc
    assert ".." not in url.split("/") and all(c.isascii() and c.isprintable() and c not in "\"'<> \\" for c in url)


def test_examples_of_escaped_markdown():
    assert escaping.markdown("<b>x</b>") == "\\<b\\>x\\<\\/b\\>"
    assert escaping.markdown("line\nbreak\r\n# heading\x00") == "line break \\# heading"
    assert escaping.relative_url("01-daily/oblast=all/report.html") == "./01-daily/oblast=all/report.html"
    assert escaping.relative_url("javascript:alert(1)") == "./javascript%3Aalert%281%29"


# ================================================================ what a report displays
@pytest.fixture
def shown(monkeypatch, tmp_path):
    """Every bundle a Report displays, as report.html would render it."""
    from analysis.reports import reporting

    bundles = []
    monkeypatch.setattr(reporting, "_display", bundles.append)

    def rendered() -> list[str]:
        return [_markdown_html(b["text/markdown"]) if "text/markdown" in b else b["text/html"] for b in bundles]

    return rendered


OUTPUT_TAGS = {"p", "em", "strong", "figure", "img", "figcaption", "details", "summary", "div", "table", "thead",
               "tbody", "tr", "th", "td"}


def test_sentences_notes_incidents_tables_and_figures_show_payloads_as_text(shown, tmp_path):
    from analysis import plots

    incidents = events_frame([
        {"event_date": pd.Timestamp("2023-03-14"), "settlement": payload, "location": payload, "admin1": payload,
         "weapon": payload, "source_name": payload, "civilians_killed": 1, "civilians_injured": pd.NA}
        for payload in PAYLOADS])
    incidents = provenance.attach(incidents, provenance.of_rows(incidents))
    report = Report("t", {"city": PAYLOADS[0]}, tmp_path)
    for i, payload in enumerate(PAYLOADS):
        report.state(f"n{i}", i, f"In {payload} there were {i} attacks.", "test", data=incidents)
        report.note(payload)
    report.state_incidents(incidents, limit=len(PAYLOADS))
    report.table(incidents[["event_date", "settlement", "weapon", "source_name", "civilians_injured"]])
    by_type = incidents.assign(attacks=1, event_type=incidents["weapon"])[["event_date", "event_type", "attacks"]]
    by_type = provenance.attach(by_type, provenance.of_rows(incidents))
    report.figure(plots.breakdown_chart(by_type, by="event_type"), "breakdown", alt_text=" ".join(PAYLOADS))
    outputs = shown()
    text = ""
    for html in outputs:
        text += " " + _text(_assert_inert(html, OUTPUT_TAGS, html[:80]))
    for payload in PAYLOADS:
        assert " ".join(payload.split()) in text  # shown literally
    img = BeautifulSoup(outputs[-1], "html.parser").find("img")
    assert img["alt"] == " ".join(" ".join(PAYLOADS).split())
    numbers = json.loads((tmp_path / "numbers.json").read_text())["numbers"]
    assert numbers[0]["sentence"] == f"In {PAYLOADS[0]} there were 0 attacks."  # numbers.json keeps the raw text


def test_tables_have_no_bare_index_say_unknown_and_keep_long_text_whole():
    frame = pd.DataFrame({"source_name": ["RFE/RL, " + "a long source name " * 8, None],
                          "killed": pd.array([3, None], dtype="Int64"), "share": [0.25, float("nan")],
                          "day": pd.to_datetime(["2023-03-14", None])}, index=[7, 9])
    soup = BeautifulSoup(table_html(frame), "html.parser")
    assert [th.get_text() for th in soup.find_all("th")] == ["source name", "killed", "share", "day"]
    rows = [[td.get_text() for td in tr.find_all("td")] for tr in soup.find_all("tr")[1:]]
    assert rows == [["RFE/RL, " + ("a long source name " * 8).strip(), "3", "0.25", "2023-03-14"],
                    ["unknown", "unknown", "unknown", "unknown"]]
    named = pd.DataFrame({"events": [4]}, index=pd.Index(["Donetsk"], name="admin1"))
    assert [th.get_text() for th in BeautifulSoup(table_html(named), "html.parser").find_all("th")] == \
        ["admin1", "events"]
    assert "First 1 of 2 rows." in table_html(frame, limit=1)


def test_figure_html_puts_the_alt_text_in_the_img_and_a_details_block():
    png = (config.PROJECT_DIR / "tests").glob("*.png")  # any PNG header will do: build a tiny one
    import struct
    import zlib

    raw = b"\x00\x00\x00\x00"
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))  # noqa: E731
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1300, 1, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    soup = BeautifulSoup(figure_html(png, 'Chart of "x" <b>'), "html.parser")
    assert soup.img["alt"] == 'Chart of "x" <b>' and soup.img["width"] == "624"
    assert soup.details.p.get_text() == 'Chart of "x" <b>' and soup.details.summary


# ================================================================ the index page and the HTML writer
INDEX_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "p", "div", "table", "tr", "th", "td", "a"}


def test_reports_index_escapes_every_value_and_links_only_relative_paths():
    runs = [{"notebook": payload, "href": f"02-city-profile/city={payload}", "parameters": {"city": payload},
             "status": "failed" if i % 2 else "succeeded", "error": payload, "duration_s": 1.5}
            for i, payload in enumerate(PAYLOADS)]
    soup = _assert_inert(reports_index_html(runs), INDEX_TAGS, "index.html")
    for a in soup.find_all("a"):
        assert a["href"].startswith("./02-city-profile/city=")
    text = _text(soup)
    for payload in PAYLOADS:
        assert " ".join(payload.split()) in text
    assert soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"] == report_html.CSP


def test_write_html_has_no_script_a_csp_and_defuses_what_got_through(tmp_path):
    """Defence in depth: even raw, unescaped payloads in outputs cannot run in report.html."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": p}) for p in PAYLOADS] + \
                   [nbformat.v4.new_output("display_data", data={"text/html": p}) for p in PAYLOADS]
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), cell]
    nbformat.write(nb, tmp_path / "t.ipynb")
    report_html.write_html(tmp_path / "t.ipynb", tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text()
    soup = BeautifulSoup(page, "html.parser")
    assert not soup.find_all(["script", "iframe", "object", "embed", "base"])
    assert soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"] == report_html.CSP
    for element in soup.find_all(True):
        assert not any(name.lower().startswith("on") for name in element.attrs), str(element)[:100]
        for name in URL_ATTRIBUTES:
            assert not SCRIPT_URL.match(re.sub(r"[\x00-\x20]", "", str(element.get(name, "")))), str(element)[:100]
    assert not re.search(r"""src=["']?(https?:)?//""", page) and not soup.find_all("link")  # nothing loaded remotely


# ================================================================ every report on a raw folder full of payloads
OBLAST = '<img src=x onerror=alert("oblast")>'
CITY = "<script>alert('city')</script> [x](javascript:alert(1))"


def _write(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def hostile_raw_folder(raw: Path) -> None:
    """One small file per format, a payload in every text field (accepted rows, and rejected ones whose values
    the data-quality report shows)."""
    from analysis.sources import claims, news

    n = len(PAYLOADS)
    pick = lambda i: PAYLOADS[i % n]  # noqa: E731
    day = lambda i: pd.Timestamp("2023-03-01") + pd.Timedelta(days=i * 30 // (n - 1))  # noqa: E731  (March)
    news_rows = []
    for i in range(n):
        row = {c: pick(i + j) for j, c in enumerate(news.TEMPLATE_COLUMNS)}
        row.update({"event_id": f"n{i}", "date": f"{day(i):%Y-%m-%d}", "end_date": "", "oblast": OBLAST,
                    "place": CITY if i % 3 == 0 else pick(i), "event_type": "Explosions/Remote violence",
                    "sub_event_type": "Shelling/artillery/missile attack", "killed": "2", "injured": "",
                    "civilians_killed": "1" if i % 2 else "", "civilians_injured": "3", "buildings_damaged": "",
                    "source_url": "", "publication_date": "2023-03-31"})
        news_rows.append(row)
    bad = {**news_rows[0], "event_id": "bad1", "event_type": pick(1)}  # rejected: shown in the quality report
    news_rows += [bad, {**news_rows[0], "event_id": "bad2", "source_url": "javascript:alert(1)"},
                  {**news_rows[0], "event_id": "bad3", "killed": pick(2)}]
    _write(raw / "news_payloads.csv", news_rows)
    claim_rows = [{**{c: pick(i + j) for j, c in enumerate(claims.TEMPLATE_COLUMNS)},
                   "claim_id": f"c{i}", "date": "2023-03-14", "period_days": "1", "metric": "attacks_repelled",
                   "value": str(10 + i), "source_url": "", "publication_date": "2023-03-14"} for i in range(4)]
    claim_rows.append({**claim_rows[0], "claim_id": "bad", "metric": pick(3)})
    _write(raw / "claims_payloads.csv", claim_rows)
    acled_rows = [{**{c: pick(i + j) if c in _ACLED_TEXT else v for j, (c, v) in enumerate(ACLED_ROW.items())},
                   "event_id_cnty": f"UKR{900 + i}", "event_date": f"{day(i):%Y-%m-%d}", "admin1": OBLAST,
                   "location": CITY if i % 2 else pick(i)} for i in range(n)]
    _write(raw / "acled_payloads.csv", acled_rows)
    ucdp = [{"id": str(900000 + i), "type_of_violence": "1", "side_a": pick(i), "side_b": pick(i + 1),
             "source_office": pick(i + 2), "source_headline": pick(i + 3), "where_prec": "1",
             "where_coordinates": pick(i + 4), "where_description": pick(i + 5), "adm_1": OBLAST,
             "adm_2": pick(i + 6), "latitude": "48.7", "longitude": "37.5", "country": "Ukraine", "date_prec": "1",
             "date_start": "2023-03-13", "date_end": "2023-03-13", "deaths_civilians": "1", "best": "3",
             "conflict_name": pick(i + 7), "dyad_name": pick(i + 8), "source_article": pick(i + 9)}
            for i in range(5)]
    _write(raw / "ucdp_payloads.csv", ucdp)
    air = [{"time_start": f"{day(i) - pd.Timedelta(days=1):%Y-%m-%d} 18:00", "time_end": f"{day(i):%Y-%m-%d} 08:00",
            "model": pick(i) if i % 2 else "Shahed-136/131", "launch_place": pick(i + 1), "target": pick(i + 2),
            "launched": "3", "destroyed": "2", "source": pick(i + 3)} for i in range(n)]
    _write(raw / "air_force_payloads.csv", air)


_ACLED_TEXT = {"actor1", "assoc_actor_1", "actor2", "assoc_actor_2", "admin2", "admin3", "source", "notes", "tags",
               "civilian_targeting", "region"}
REPORT_TAGS = {"html", "head", "meta", "title", "style", "body", "main", "div", "h1", "h2", "a", "p", "em",
               "strong", "code", "figure", "img", "figcaption", "details", "summary", "table", "thead", "tbody", "tr",
               "th", "td", "pre", "span"}


@pytest.mark.slow
def test_every_report_shows_hostile_data_and_parameters_as_text(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    hostile_raw_folder(raw)
    monkeypatch.setattr(config, "RAW_DIR", raw)
    monkeypatch.setattr(config, "PROCESSED_DIR", tmp_path / "processed")
    monkeypatch.setattr(config, "REPORTS_DIR", tmp_path / "reports")
    runs = [("01-daily-briefing", {"date": "2023-03-31", "window_days": 31, "oblast": OBLAST}),
            ("02-city-profile", {"city": CITY, "start": "2023-03-01", "end": "2023-03-31"}),
            ("03-period-summary", {"start": "2023-03-17", "end": "2023-03-31", "breakdown": "settlement"}),
            ("04-air-attack-summary", {"start": "2023-03-01", "end": "2023-03-31"}),
            ("05-data-quality", {})]
    results = [reports.run_report(n, p) for n, p in runs]  # one kernel each, one after the other
    for result in results:
        assert result.ok, f"{result.notebook}: {result.error}"
    texts = {}
    for result in results:
        page = (result.report_dir / "report.html").read_text(encoding="utf-8")
        soup = _assert_inert(page, REPORT_TAGS, result.notebook)
        for a in soup.find_all("a"):
            assert a["href"].startswith("#"), f"{result.notebook}: link {a}"  # heading anchors only
        assert not soup.find_all("script")
        for img in soup.find_all("img"):  # every figure described in its alt attribute, not in monospace text
            assert len(img.get("alt", "")) > 40 and img["alt"] != "No description has been provided for this image"
            assert not any(img["alt"] in pre.get_text() for pre in soup.find_all("pre"))
        texts[result.notebook] = _text(soup)
        executed = nbformat.read(result.report_dir / f"{result.notebook}.ipynb", as_version=4)
        for cell in executed.cells:  # escaped at the source, not only defused by write_html
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if "text/markdown" in data:
                    _assert_inert(_markdown_html(data["text/markdown"]), {"p", "em", "strong"}, result.notebook)
                if "text/html" in data:
                    _assert_inert(data["text/html"], OUTPUT_TAGS, result.notebook)
    flat = lambda s: " ".join(s.split())  # noqa: E731
    assert flat(OBLAST) in texts["01-daily-briefing"] and flat(CITY) in texts["01-daily-briefing"]
    assert flat(CITY) in texts["02-city-profile"]
    for payload in PAYLOADS:  # places, weapons and sources of the incidents; rejected values in the quality report
        assert flat(payload) in texts["01-daily-briefing"] + texts["02-city-profile"] + texts["05-data-quality"], payload
    index = (config.REPORTS_DIR / "index.html").read_text(encoding="utf-8")
    _assert_inert(index, INDEX_TAGS, "index.html")
    assert flat(OBLAST) in _text(BeautifulSoup(index, "html.parser"))


def test_the_failure_banner_quotes_the_error_message_as_text(tmp_path):
    """A failing cell's message (which may quote data) is escaped in the banner Markdown cell too."""
    from analysis.reports import execution

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x")]
    nb.cells[0].metadata["papermill"] = {"status": "running"}
    nbformat.write(nb, tmp_path / "t.ipynb")
    message = f"execution stopped: ValueError: {PAYLOADS[1]} {PAYLOADS[3]}"
    execution._mark_failure(tmp_path / "t.ipynb", message)
    banner = nbformat.read(tmp_path / "t.ipynb", as_version=4).cells[0].source
    soup = _assert_inert(_markdown_html(banner), {"p", "span", "strong"}, "banner")
    assert soup.strong.get_text() == "This report did not finish."
    assert f"In cell 1: {' '.join(message.split())}" in _text(soup)
