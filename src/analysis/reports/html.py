"""report.html: an executed notebook rendered without code, scripts or remote resources.

Data are escaped where reports write them (:mod:`analysis.escaping`); this page
adds defence in depth:

* the nbconvert "lab" template without its script blocks (require.js, MathJax,
  Mermaid, widgets): a report needs no script and loads nothing from the network;
* a Content-Security-Policy that forbids every script, plugin, frame, form,
  remote image, font or stylesheet (only inline styles and ``data:`` images);
* a last pass over the page that drops any ``<script>`` element, ``on*``
  attribute, and ``javascript:``/``data:`` link that got in all the same.
"""

from __future__ import annotations

import re
from pathlib import Path

from analysis import storage
from analysis.reports.parameters import notebook_title

CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
       "base-uri 'none'; form-action 'none'")  # frame-ancestors is ignored in a <meta>
_CSS = """
body { overflow-wrap: break-word; }
.analysis-figure img { max-width: 100%; height: auto; }
.analysis-alt { font-family: var(--jp-content-font-family, sans-serif); white-space: normal;
                word-break: normal; overflow-wrap: break-word; color: #444; margin: .3em 0 1em; }
.analysis-alt summary { cursor: pointer; }
.analysis-table { overflow-x: auto; max-width: 100%; }
.jp-OutputArea-output { overflow-x: auto; }
/* more specific than nbconvert's ':not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td' */
body .jp-RenderedHTMLCommon div.analysis-table td, body .jp-RenderedHTMLCommon div.analysis-table th {
  white-space: normal; word-break: normal; overflow-wrap: normal; text-align: left; vertical-align: top; }
body .jp-RenderedHTMLCommon div.analysis-table .number { text-align: right; }
body .jp-RenderedHTMLCommon div.analysis-table .date { white-space: nowrap; }
"""
_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
<meta http-equiv="Content-Security-Policy" content="{{ resources.analysis_csp }}">
<style type="text/css">{{ resources.analysis_css }}</style>
{%- endblock extra_css -%}
"""
_URL_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href", "srcset", "background", "poster", "data")
_SAFE_DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp);base64,", re.I)
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.I)


def write_html(executed: Path, target: Path) -> dict:
    """The executed notebook as HTML without code cells' input or prompts, scripts or remote resources."""
    import jinja2
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            extra_loaders=[jinja2.DictLoader({"analysis-report.html.j2": _TEMPLATE})],
                            template_file="analysis-report.html.j2")
    title = notebook_title(nb, executed.stem)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}, "analysis_csp": CSP,
                                                         "analysis_css": _CSS})
    storage.write_text(target, defuse(body))
    return {"html": target}


def defuse(page: str) -> str:
    """The page without <script> elements, on* attributes, or script and data URLs (data images in <img> stay)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, "html.parser")
    for element in soup.find_all(["script", "iframe", "object", "embed", "base", "frame", "frameset"]):
        element.decompose()
    for element in soup.find_all(True):
        for name in list(element.attrs):
            value = element.attrs[name]
            if name.lower().startswith("on") or name.lower() == "srcdoc":
                del element.attrs[name]
            elif name.lower() in _URL_ATTRIBUTES and not _safe_url(element.name, name.lower(), str(value)):
                del element.attrs[name]
    return str(soup)


def _safe_url(tag: str, attribute: str, value: str) -> bool:
    """Relative and http(s)/mailto URLs; data: only for images in <img src>."""
    compact = re.sub(r"[\x00-\x20\x7f]+", "", value)  # browsers ignore these inside a scheme
    if tag == "img" and attribute == "src" and _SAFE_DATA_IMAGE.match(compact):
        return True
    scheme = _SCHEME.match(compact)
    return scheme is None or scheme.group(1).lower() in ("http", "https", "mailto")
