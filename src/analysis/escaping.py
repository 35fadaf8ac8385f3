"""The one home of escaping: text from data or parameters never becomes markup.

Every string that comes from a raw file, an API or a report parameter is
passed through one of these before it is put into Markdown or HTML:

* :func:`markdown` for Markdown (report sentences and notes): the text renders
  literally, on one line, whatever it contains (tags, links, emphasis, headings,
  autolinks, math dollars, entities);
* :func:`html` for HTML text and quoted attribute values;
* :func:`relative_url` for links to the package's own files: always a relative
  path, never a ``javascript:`` or ``data:`` URL.

The package's own markup (bold, emphasis, links to its own files) is added
around the escaped text, never inside it.
"""

from __future__ import annotations

import html as _html
import string
import unicodedata
from urllib.parse import quote

_PUNCTUATION = frozenset(string.punctuation)  # every ASCII punctuation character may be backslash-escaped


def plain(text) -> str:
    """The text on one line: whitespace runs (line breaks included) become one space, control characters go."""
    text = "" if text is None else str(text)
    kept = "".join(c if c.isspace() or unicodedata.category(c) not in ("Cc", "Cs") else " " for c in text)
    return " ".join(kept.split())


def markdown(text) -> str:
    """Plain text as Markdown that renders to exactly that text (see :func:`plain`), never to markup.

    Every ASCII punctuation character is backslash-escaped (CommonMark, and the
    renderers of nbconvert and JupyterLab, read ``\\<`` as a literal ``<``), so
    no tag, link, emphasis, code span, heading, table, entity or math
    delimiter can start inside it.
    """
    return "".join("\\" + c if c in _PUNCTUATION else c for c in plain(text))


def html(text) -> str:
    """Text for HTML element content or a double- or single-quoted attribute value."""
    return _html.escape("" if text is None else str(text), quote=True)


def relative_url(path) -> str:
    """A link to one of the package's own files, relative to the page: './' + the percent-encoded path.

    Whatever ``path`` holds (``javascript:...``, ``//host``, ``../``), the result
    is a path below the page's folder: ':' and '\\' are encoded, and '.'/'..'
    segments and empty segments are dropped.
    """
    segments = [s for s in str(path).replace("\\", "/").split("/") if s not in ("", ".", "..")]
    return "./" + "/".join(quote(s, safe="=,+") for s in segments)
