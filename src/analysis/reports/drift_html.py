"""drift.html: a readable page of a report's drift (see :mod:`analysis.reports.drift`).

Every value on the page (names, sentences, event ids, file names, field values
from the data) is escaped with :func:`analysis.escaping.html`; the page holds
no script and loads nothing (the reports' Content-Security-Policy).
"""

from __future__ import annotations

import json

from analysis.escaping import html
from analysis.reports.html import CSP

_LABELS = {"added": "added (behind the number now, not before)",
           "removed": "removed (behind it before, not now)",
           "deleted": "deleted by the source",
           "revised": "revised (fields changed)"}
_STYLE = ("body{font-family:sans-serif;margin:2em;max-width:70em;overflow-wrap:break-word}"
          "table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left;"
          "vertical-align:top}td.n{text-align:right;white-space:nowrap}tr.changed td,tr.added td,tr.removed td"
          "{background:#fff4d6}code{overflow-wrap:anywhere}.wrap{overflow-x:auto}")


def _value(value) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, str):
        return html(value)
    return html(json.dumps(value, ensure_ascii=False))


def _signed(value) -> str:
    return "" if value is None else html(f"{value:+,}" if isinstance(value, int) else f"{value:+}")


def _where(side: dict) -> str:
    return f"<code>{html(side.get('raw_file'))}</code> line {_value(side.get('raw_line'))}"


def _item(item: dict) -> str:
    parts = [f"<code>{html(item['id'])}</code> ({_where(item)})"]
    if "deletion" in item:
        gone = item["deletion"]
        parts.append(f"deleted in snapshot <code>{html(gone.get('snapshot'))}</code> ({_where(gone)})")
    if "fields" in item:
        rows = "".join(f"<tr><td><code>{html(f)}</code></td><td>{_value(item['old']['values'].get(f))}</td>"
                       f"<td>{_value(item['new']['values'].get(f))}</td></tr>" for f in item["fields"])
        parts.append(f"fields changed: before {_where(item['old'])}, now {_where(item['new'])}"
                     f'<div class="wrap"><table><tr><th>field</th><th>before</th><th>now</th></tr>{rows}</table></div>')
    return "<li>" + "<br>".join(parts) + "</li>"


def _events(number: dict) -> str:
    events = number["events"]
    if events is None:
        return "<p>The published report did not record the events behind its numbers.</p>"
    lists = [f"<h4>{html(_LABELS[c])}: {len(events[c])}</h4><ul>{''.join(_item(i) for i in events[c])}</ul>"
             for c in _LABELS if events.get(c)]
    return "".join(lists) or "<p>No event behind this number changed.</p>"


def drift_html(drift: dict) -> str:
    """The page for a drift (``Drift.to_json()``)."""
    numbers = drift["numbers"]
    changed = [n for n in numbers if n["status"] != "unchanged"]
    moved = [n for n in numbers if n["status"] != "unchanged" or n["events"]]
    rows = "".join(
        f'<tr class="{html(n["status"])}"><td><code>{html(n["name"])}</code></td><td class="n">{_value(n["old"])}</td>'
        f'<td class="n">{_value(n["new"])}</td><td class="n">{_signed(n["delta"])}</td><td>{html(n["status"])}</td></tr>'
        for n in numbers)
    sections = "".join(
        f'<section><h3><code>{html(n["name"])}</code>: {_value(n["old"])} &rarr; {_value(n["new"])}</h3>'
        f"<p>Published: {_value(n['old_sentence'])}<br>Now: {_value(n['new_sentence'])}</p>{_events(n)}</section>"
        for n in moved)
    params = ", ".join(f"{k}={v!r}" for k, v in drift["parameters"].items())
    inputs = drift["inputs"]
    files = "; ".join(f"{what}: {', '.join(inputs[what])}" for what in ("changed", "added", "removed") if inputs[what])
    verdict = (f"{len(changed)} of {len(numbers)} numbers changed." if changed
               else f"All {len(numbers)} numbers still hold.")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Drift of {html(drift['report'])}</title><style>{_STYLE}</style></head><body>\n"
        f"<h1>Drift of {html(drift['report'])}</h1>\n"
        f"<p>{html(drift['notebook'])} ({html(params)}) rerun on "
        f"{'the snapshots ' + _value(drift['snapshots']['new']) if drift['snapshots']['new'] else 'the current data'}"
        f" (published on {_value(drift['snapshots']['old']) if drift['snapshots']['old'] else 'loose raw files'}). "
        f"<strong>{html(verdict)}</strong></p>\n"
        f"<p>Raw files: {html(files) if files else 'unchanged'}.</p>\n"
        '<h2>Numbers</h2><div class="wrap"><table><tr><th>number</th><th>published</th><th>now</th><th>delta</th>'
        f"<th>status</th></tr>\n{rows}</table></div>\n"
        f"<h2>Events behind the changes</h2>\n{sections or '<p>None.</p>'}\n</body></html>\n"
    )
