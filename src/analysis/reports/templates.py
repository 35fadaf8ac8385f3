"""Hand-coding templates and the data dictionary, both generated from the code.

The template headers come from the readers and the data dictionary from the
pandera schemas' column descriptions, so neither can drift from what the
package actually reads and writes.
"""

from __future__ import annotations

from analysis import config
from analysis.escaping import html, relative_url
from analysis.reports.html import CSP
from analysis.sources import claims, news
from analysis.tables import schemas
from analysis.errors import ParameterError

_TYPE_NAMES = {"str": "text", "string[pyarrow]": "text", "Int64": "integer", "int64": "integer",
               "Float64": "decimal", "float64": "decimal", "bool": "true/false", "boolean": "true/false"}
_TEMPLATES = {"news": news.TEMPLATE_COLUMNS, "claims": claims.TEMPLATE_COLUMNS}


def template_header(kind: str) -> str:
    """The CSV header line of a hand-coding template ('news' or 'claims')."""
    if kind not in _TEMPLATES:
        raise ParameterError(f"unknown template {kind!r}; choose one of: {', '.join(_TEMPLATES)}")
    return ",".join(_TEMPLATES[kind]) + "\n"


def data_dictionary() -> str:
    """Markdown: every column of every table the build writes, with type and meaning."""
    tables = [
        (config.EVENTS_FILE, schemas.PROCESSED_EVENTS),
        (config.CLAIMS_FILE, schemas.CLAIMS),
        (config.AIR_ATTACKS_FILE, schemas.AIR_ATTACKS),
        (config.DAILY_COUNTS_FILE, schemas.DAILY_COUNTS),
        (f"{config.REJECTS_FILE} and {config.WARNINGS_FILE}", schemas.REJECTS),
        (config.MERGED_FILE, schemas.MERGED),
        (config.DELETED_FILE, schemas.DELETED),
    ]
    out = ["# Data dictionary", "",
           "Generated from the pandera schemas in `src/analysis/tables/schemas.py` by `analysis dictionary`; "
           "do not edit by hand.", ""]
    for title, schema in tables:
        out += [f"## {title}", "", schema.description or "", "",
                "| column | type | nullable | meaning |", "|---|---|---|---|"]
        for name, column in schema.columns.items():
            dtype = _TYPE_NAMES.get(str(column.dtype), "date" if str(column.dtype).startswith("datetime64") else str(column.dtype))
            out.append(f"| `{name}` | {dtype} | {'yes' if column.nullable else 'no'} | {column.description or ''} |")
        out.append("")
    return "\n".join(out)


def reports_index_html(runs: list[dict]) -> str:
    """reports/index.html: one row per report run, with parameters, status and links (no script; every
    value escaped with :mod:`analysis.escaping`, every link a relative path)."""
    rows = []
    for run in sorted(runs, key=lambda r: (r["notebook"], r["href"])):
        params = ", ".join(f"{k}={v!r}" for k, v in run["parameters"].items())
        ok = run["status"] == "succeeded"
        status = html(run["status"]) + ("" if ok else f": {html(run.get('error') or '')}")
        links = " · ".join(f'<a href="{html(relative_url(run["href"] + "/" + name))}">{label}</a>'
                           for name, label in ((config.HTML_FILE, "report"), (config.NUMBERS_FILE, "numbers"),
                                               (config.RUN_FILE, "run")))
        rows.append(
            f'<tr class="{"ok" if ok else "failed"}"><td>{html(run["notebook"])}</td><td>{html(params)}</td>'
            f"<td>{status}</td><td>{float(run['duration_s']):.1f} s</td><td>{links}</td></tr>")
    failed = sum(r["status"] != "succeeded" for r in runs)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Reports</title><style>"
        "body{font-family:sans-serif;margin:2em;overflow-wrap:break-word}table{border-collapse:collapse}"
        ".runs{overflow-x:auto;max-width:100%}"
        "td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}"
        "td:nth-child(2),td:nth-child(3){overflow-wrap:anywhere}"
        "tr.failed td{background:#fde8e8}@media (max-width:40em){body{margin:.5em}td,th{padding:.3em}}"
        "</style></head><body>\n"
        f"<h1>Reports</h1><p>{len(runs)} reports, {failed} failed.</p>\n"
        "<div class=\"runs\"><table><tr><th>notebook</th><th>parameters</th><th>status</th><th>duration</th>"
        "<th>files</th></tr>\n"
        + "\n".join(rows) + "\n</table></div></body></html>\n"
    )
