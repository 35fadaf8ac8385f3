"""Name keys: how two spellings of a place are compared.

A name's *exact key* is its NFKC, case-folded form without apostrophe-like
characters, hyphens/underscores as spaces, whitespace collapsed.  Its *loose
key* also transliterates Cyrillic (Ukrainian national system, Russian letters
added), drops diacritics and spaces and merges spelling variants (i/y/j/ii/yi,
kh/h, g/h, ts/c, ya/ia/a, doubled letters...), so that "Avdiyivka",
"Avdijivka" and "Авдіївка" agree.  All functions work on whole Series.
"""

from __future__ import annotations

import re
import threading
from typing import Callable

import numpy as np
import pandas as pd

_APOSTROPHES = "'’ʼ`”″‘′ʹʻ´\""
_APOSTROPHE_RE = "[" + re.escape(_APOSTROPHES) + "]"
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ye", "ж": "zh", "з": "z",
    "и": "y", "і": "i", "ї": "yi", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ь": "", "ю": "yu", "я": "ya", "ъ": "", "ы": "y", "э": "e", "ё": "yo", "ў": "u",
    "ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i", "ʹ": "",
}
_TRANSLIT_TABLE = str.maketrans(_CYRILLIC)
# Applied in order to a transliterated, lower-case key; upper case marks digraphs.
_LOOSE_RULES = (
    ("tsch", "C"), ("shch", "S"), ("sch", "S"), ("ch", "C"), ("sh", "S"), ("zh", "Z"), ("kh", "h"),
    ("ts", "c"), ("tz", "c"), ("g", "h"), ("w", "v"), ("x", "ks"), ("q", "k"),
    ("[yj]e", "e"), ("[iyj]u", "u"), ("[iyj]a", "a"), ("[yj]", "i"),
)
# Russian/Ukrainian neuter and plural adjective endings: Krymskoye, Krymskoe, Krymskie -> Krymske.
_ADJECTIVE_END_RE = r"(?:[oi]?[yj]|[oi])e\b"
MIN_KEY_CHARS = 3  # shorter alternate names (IATA codes, abbreviations) are not keys


def exact_keys(values: pd.Series) -> pd.Series:
    """NFKC, case-folded, apostrophes dropped, hyphens as spaces, whitespace collapsed."""
    s = values.astype("str").str.normalize("NFKC").str.casefold()
    s = s.str.replace(_APOSTROPHE_RE, "", regex=True).str.replace(r"[-_‐‑‒–—]", " ", regex=True)
    return s.str.replace(r"\s+", " ", regex=True).str.strip()


def transliterate(keys: pd.Series) -> pd.Series:
    """Cyrillic to Latin (Ukrainian national system, Russian letters added), diacritics dropped."""
    s = keys.str.translate(_TRANSLIT_TABLE).str.normalize("NFKD")
    return s.str.replace(r"[\u0300-\u036f]", "", regex=True)


def loose_keys(exact: pd.Series) -> pd.Series:
    """Transliterated, spelling variants merged, spaces dropped; "" when nothing Latin is left."""
    s = transliterate(exact).str.replace(_ADJECTIVE_END_RE, "e", regex=True)
    s = s.str.replace(r"[^a-z0-9]", "", regex=True)
    for pattern, replacement in _LOOSE_RULES:
        s = s.str.replace(pattern, replacement, regex=True)
    return s.str.replace(r"(.)\1+", r"\1", regex=True)


class TextMemo:
    """A fact about a text (a location names water, an oblast...) computed once per process and text.

    ``compute`` turns a str Series of distinct texts into one value each (a numpy array of ``dtype``).
    A large file's chunks repeat the same few thousand place names: each chunk's texts are found in a
    hash index of the texts seen so far, and only new ones are computed.  Facts that depend on the
    project's settings are kept apart by ``key`` (the countries, say).  Thread-safe.
    """

    _MAX_TEXTS = 500_000  # then it starts again: it holds a few hundred bytes per text

    def __init__(self, compute: Callable[[pd.Series], np.ndarray], dtype) -> None:
        self._compute, self._dtype = compute, np.dtype(dtype)
        self._known: dict[tuple, tuple[pd.Index, np.ndarray]] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget every text (the next call computes its texts again)."""
        with self._lock:
            self._known.clear()

    def values(self, texts: pd.Series, key: tuple = ()) -> np.ndarray:
        """The fact for each of ``texts`` (a str Series without missing values), in their order."""
        with self._lock:
            index, values = self._known.get(key) or (pd.Index([], dtype="str"), np.empty(0, self._dtype))
            where = index.get_indexer(texts)
            if (where < 0).any():
                if len(index) > self._MAX_TEXTS:
                    index, values, where = pd.Index([], dtype="str"), np.empty(0, self._dtype), np.full(len(texts), -1)
                new = pd.Series(texts.to_numpy()[where < 0], dtype="str").drop_duplicates().reset_index(drop=True)
                values = np.concatenate([values, np.asarray(self._compute(new), dtype=self._dtype)])
                index = index.append(pd.Index(new, dtype="str"))
                self._known[key] = (index, values)
                where = index.get_indexer(texts)
        return values[where]
