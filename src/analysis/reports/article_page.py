"""An article bundle's ``index.html`` (:mod:`analysis.reports.articles`): one page, no script, nothing remote.

Every text on the page (the article's title and labels, the reports' sentences, definitions,
sources, alt texts, parameters) is escaped with :mod:`analysis.escaping`; links are relative
paths to the bundle's own files; figures are embedded as PNG data with their alt text
(:func:`analysis.reports.reporting.figure_html`), under the Content-Security-Policy of the
reports (:data:`analysis.reports.html.CSP`).  The page holds no time: the same inputs give the same bytes.
"""

from __future__ import annotations

from analysis.escaping import html, plain, relative_url
from analysis.reports.html import CSP
from analysis.reports.reporting import figure_html

_STYLE = ("body{font-family:sans-serif;margin:2em auto;max-width:52em;padding:0 1em;overflow-wrap:break-word}"
          "dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:.3em 0 1.5em}"
          "dt{font-weight:bold}dd{margin:0}.sentence{font-size:1.1em}.source{color:#444}"
          "table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left;"
          "vertical-align:top}.flag{color:#a00;font-weight:bold}")


def value_text(value, unit=None) -> str:
    """A quoted value as shown: thousands separated, 'not given' for a missing one, with its unit."""
    if value is None:
        return "not given"
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, int):
        text = f"{value:,}"
    elif isinstance(value, float):
        text = f"{value:,.0f}" if value.is_integer() else f"{value:,.4g}"
    else:
        text = str(value)
    return f"{text} {unit}" if unit else text


def parameters_text(parameters: dict) -> str:
    return ", ".join(f"{name}={value}" for name, value in (parameters or {}).items()) or "none"


def source_line(alt: str) -> str:
    """A figure's source line: the 'Source: ...' part of its alt text (the figure builder writes it there)."""
    text = plain(alt)
    at = text.rfind("Source:")
    return text[at:] if at >= 0 else ""


def _number(entry: dict, runs: dict) -> str:
    flags = []
    if entry.get("is_reported_claim"):
        flags.append("a reported claim, not a count of events")
    if entry.get("is_synthetic"):
        flags.append("SYNTHETIC data, not real data")
    run = runs.get(entry["report"], {})
    rows = [("Value", value_text(entry.get("value"), entry.get("unit"))),
            ("Definition", entry.get("definition") or ""),
            ("Source", entry.get("source") or "no source recorded"),
            ("Report", f"{run.get('notebook', '')} ({parameters_text(run.get('parameters'))}), "
                       f"number {entry['name']}, run {run.get('run_id', '')}")]
    flag = f'<p class="flag">{html("; ".join(flags))}</p>' if flags else ""
    return (f"<section class=\"number\"><h3>{html(plain(entry.get('label') or entry['name']))}</h3>"
            f"<p class=\"sentence\">{html(plain(entry.get('sentence')))}</p>{flag}<dl>"
            + "".join(f"<dt>{name}</dt><dd>{html(plain(text))}</dd>" for name, text in rows) + "</dl></section>")


def _kind(path: str) -> str:
    return "alt text" if path.endswith(".alt.txt") else path.rsplit(".", 1)[-1].upper()


def _figure(shown: dict, runs: dict) -> str:
    run = runs.get(shown["report"], {})
    links = " · ".join(f'<a href="{html(relative_url(path))}">{html(_kind(path))}</a>' for path in shown["files"])
    line = source_line(shown["alt"])
    return (f"<section class=\"figure\"><h3>{html(plain(shown.get('label') or shown['name']))}</h3>"
            f"{figure_html(shown['png'], plain(shown['alt']))}"
            f"<p class=\"source\">{html(line or 'Source: not stated in the figure.')} From report "
            f"{html(plain(run.get('notebook', '')))} ({html(plain(parameters_text(run.get('parameters'))))}).</p>"
            f"<p>Files: {links}</p></section>")


def index_html(article, quoted: list[dict], figures: list[dict], runs: dict) -> str:
    """The page: title and source, each quoted number, each figure, the reports with their run ids."""
    source = article.source
    cited = (f"{html(plain(source['publisher']))}, \u201c{html(plain(source['title']))}\u201d "
             f"({html(source['date'])})" + (f", {html(plain(source['url']))}" if source.get("url") else ""))
    reports = "".join(f"<tr><td>{html(rid)}</td><td>{html(plain(run.get('notebook')))}</td>"
                      f"<td>{html(plain(parameters_text(run.get('parameters'))))}</td><td>{html(run['run_id'])}</td>"
                      f"<td><a href=\"{html(relative_url(f'reports/{rid}/numbers.json'))}\">numbers</a></td></tr>"
                      for rid, run in runs.items())
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html(plain(article.title))}</title><style>{_STYLE}</style></head><body>\n"
            f"<h1>{html(plain(article.title))}</h1>\n<p>Article of {html(article.date)}. Reporting: {cited}.</p>\n"
            "<h2>Numbers quoted</h2>\n" + "\n".join(_number(entry, runs) for entry in quoted) + "\n"
            + ("<h2>Figures</h2>\n" + "\n".join(_figure(shown, runs) for shown in figures) + "\n" if figures else "")
            + "<h2>Reports</h2>\n<table><tr><th>id</th><th>notebook</th><th>parameters</th><th>run id</th>"
            f"<th>files</th></tr>{reports}</table>\n"
            "<p><a href=\"./manifest.json\">manifest.json</a> lists the sha256 of every file of this bundle.</p>\n"
            "</body></html>\n")
