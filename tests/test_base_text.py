"""The readers' vectorised text steps (analysis.sources.base) agree with their one-value definitions.

They run on Arrow kernels and on distinct values for speed; each property compares a whole column with
what Python's ``str`` gives value by value, on any text (Unicode whitespace, empty, missing) and any index.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.sources import base
from analysis.sources.base import Failures

_SPACES = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2007\u200a\u2028\u2029\u202f\u205f\u3000"
_TEXT = st.text(alphabet=st.sampled_from(_SPACES) | st.characters(codec="utf-8") | st.sampled_from("12.0"),
                max_size=8)
_VALUES = st.lists(st.none() | _TEXT, max_size=30)


def _series(values: list, shuffled: bool) -> pd.Series:
    index = np.arange(len(values))[::-1] * 3 if shuffled else None  # any index, not only 0..n-1
    return pd.Series(values, dtype="str", index=index, name="raw")


@settings(max_examples=150, deadline=None)
@given(_VALUES, st.booleans())
def test_clean_text_is_python_strip_with_empty_as_missing(values, shuffled):
    raw = _series(values, shuffled)
    out = base.clean_text(raw)
    expected = [None if v is None or not v.strip() else v.strip() for v in values]
    assert out.dtype == "str" and out.name == "raw" and out.index.equals(raw.index)
    assert [None if pd.isna(v) else v for v in out] == expected


def test_clean_text_keeps_text_and_index_without_empties():
    raw = pd.Series([" Kharkiv ", "Izium", "\u00a0Kupiansk\u3000"], dtype="str", index=[7, 3, 5])
    assert base.clean_text(raw).to_dict() == {7: "Kharkiv", 3: "Izium", 5: "Kupiansk"}


@settings(max_examples=150, deadline=None)
@given(_VALUES, st.booleans(), st.data())
def test_prefixed_ids_prefix_each_id_and_mark_synthetic_rows(values, shuffled, data):
    synthetic = np.array(data.draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values))), dtype=bool)
    out = base.prefixed_ids(_series(values, shuffled), "acled", synthetic)
    expected = [None if v is None else ("synthetic-acled:" if s else "acled:") + v for v, s in zip(values, synthetic)]
    assert out.dtype == "str" and out.name == "raw"
    assert [None if pd.isna(v) else v for v in out] == expected


def test_prefixed_ids_examples():
    ids = pd.Series(["UKR1", "UKR2"], dtype="str")
    assert base.prefixed_ids(ids, "acled", np.array([False, True])).tolist() == ["acled:UKR1", "synthetic-acled:UKR2"]
    assert base.prefixed_ids(ids, "ucdp", np.zeros(2, dtype=bool)).tolist() == ["ucdp:UKR1", "ucdp:UKR2"]


_CODES = {"1": "day", "2": "week", "3": "month"}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.none() | _TEXT | st.sampled_from(["1", " 2 ", "3.0", "2.00", "1.0\n", "4", ""]), max_size=30),
       st.booleans(), st.booleans())
def test_map_codes_maps_each_value_and_fails_unknown_codes(values, allow_empty, shuffled):
    raw = _series(values, shuffled)
    failures = Failures()
    out = base.map_codes(raw, _CODES, "time_precision", failures, allow_empty=allow_empty)
    keys = [None if v is None else re.sub(r"\.0$", "", v.strip()) for v in values]
    expected = [None if k is None else _CODES.get(k) for k in keys]
    bad = [k is None or (k not in _CODES and not (allow_empty and k == "")) for k in keys]
    assert out.dtype == "str" and out.index.equals(raw.index)
    assert [None if pd.isna(v) else v for v in out] == expected
    found = failures.frame()
    assert found["row"].tolist() == [i for i, b in enumerate(bad) if b]  # rows by position, in order
    assert set(found["rule"]) <= {"unknown_code"}
    shown = {row: value for row, value in zip(found["row"], found["value"]) if values[row] is not None}
    assert shown == {row: values[row][:base.MAX_VALUE_CHARS] for row in shown}  # the value as written


def test_map_codes_examples():
    failures = Failures()
    out = base.map_codes(pd.Series(["1", " 2.0 ", "9", ""], dtype="str"), _CODES, "time_precision", failures,
                         allow_empty=True)
    assert [None if pd.isna(v) else v for v in out] == ["day", "week", None, None]
    assert failures.frame()[["row", "value", "rule"]].values.tolist() == [[2, "9", "unknown_code"]]
