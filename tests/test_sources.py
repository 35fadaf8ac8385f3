"""The readers' declared interface (sources.base.Reader), their registry (sources.READERS), and the vectorised
text steps they share (sources.base), which must agree with their one-value definitions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from analysis import config
from analysis.build import build
from analysis.build.ingest import ingest_file, open_file
from analysis.sources import (READERS, acled, air_force, base, claims, detect, detect_headerless, gdelt, news,
                              register, ucdp)
from analysis.sources.base import Failures, Layout, Reader
from analysis.tables import schemas


def test_every_registered_reader_declares_the_interface():
    assert list(READERS) == ["acled", "ucdp_ged", "news", "reported_claim", "air_force", "gdelt"]
    assert [m.READER for m in (acled, ucdp, news, claims, air_force, gdelt)] == list(READERS.values())
    for name, reader in READERS.items():
        assert isinstance(reader, Reader) and reader.name == name
        assert name in schemas.SOURCE_DATASETS  # its rows' source_dataset
        table = schemas.TABLES[reader.target]
        assert reader.layouts and all(isinstance(layout, Layout) for layout in reader.layouts)
        known = frozenset().union(*(layout.known for layout in reader.layouts))
        assert set(reader.source_columns) <= set(table.schema.columns), name
        assert set(reader.source_columns.values()) <= known, name
        with pytest.raises(TypeError):
            reader.source_columns["x"] = "y"  # read-only: a reader is declared once
    assert {n for n, r in READERS.items() if r.target == "events"} == set(schemas.EVENT_DATASETS)
    assert [n for n, r in READERS.items() if r.strict_columns] == ["news", "reported_claim"]
    assert [n for n, r in READERS.items() if r.variant is None] == ["news", "reported_claim"]


@pytest.mark.parametrize("table, good, bad", [
    ("events", ["acled:UKR1", "ucdp_ged:147997", "news:x-1", "synthetic-acled:UKR-1"],
     ["ucdp:147997", "airforce:ab", "air_force:ab", "acled:", "acled:a b"]),
    ("air_attacks", ["air_force:0123456789abcdef", "synthetic-air_force:0123456789abcdef"],
     ["airforce:0123456789abcdef", "synthetic-airforce:ab", "acled:UKR1"]),
])
def test_ids_are_prefixed_with_the_dataset_name(table, good, bad):
    check = schemas.TABLES[table].schema.columns[schemas.TABLES[table].id_column].checks[0]
    assert check(pd.Series(good + bad, dtype="str")).check_output.tolist() == [True] * len(good) + [False] * len(bad)


def test_a_reader_declaration_is_checked():
    layouts = (Layout("x", required=("a",)),)
    with pytest.raises(ValueError, match="unknown target table 'event'"):
        Reader("x", "event", layouts, lambda raw, failures: raw)
    with pytest.raises(ValueError, match="lowercase identifier"):
        Reader("Air-Force", "events", layouts, lambda raw, failures: raw)
    with pytest.raises(ValueError, match="one or more Layout"):
        Reader("x", "events", (), lambda raw, failures: raw)
    with pytest.raises(ValueError, match=r"^reader 'x': layouts must be one or more Layout$"):
        Reader("x", "events", (layouts[0], "a"), lambda raw, failures: raw)
    with pytest.raises(ValueError, match=r"^reader 'x': parse \(and variant, if given\) must be callable$"):
        Reader("x", "events", layouts, "parse")
    with pytest.raises(ValueError, match=r"^reader 'x': parse \(and variant, if given\) must be callable$"):
        Reader("x", "events", layouts, lambda raw, failures: raw, variant="acled")
    with pytest.raises(ValueError, match=r"^reader name 'X1Y' must be a lowercase identifier \(it prefixes ids\)$"):
        Reader("x1y".upper(), "events", layouts, lambda raw, failures: raw)
    declared = Reader("x_2", "claims", list(layouts), lambda raw, failures: raw, source_columns={"a": "b"})
    assert declared.layouts == layouts and isinstance(declared.layouts, tuple)  # a list is frozen
    assert dict(declared.source_columns) == {"a": "b"}
    with pytest.raises(TypeError):
        declared.source_columns["c"] = "d"
    with pytest.raises(TypeError, match=r"^a reader is declared as analysis.sources.base.Reader, not module$"):
        register(acled)  # a module is not a reader
    with pytest.raises(ValueError, match=r"^a reader named 'acled' is registered already$"):
        register(acled.READER)
    assert list(READERS) == ["acled", "ucdp_ged", "news", "reported_claim", "air_force", "gdelt"]


# ---------------------------------------------------------------- files without a header (detect_headerless)
GDELT_LINE = "1093123456\t20230314\t" + "\t".join([""] * 59)  # 61 tab-separated fields


def test_a_headerless_file_is_recognised_by_its_name_or_first_line_unless_another_format_is_forced():
    gdelt_found = (gdelt.READER, gdelt.LAYOUTS[0])
    assert GDELT_LINE.count("\t") == 60
    assert detect_headerless(Path("raw/20230314120000.export.CSV"), "x,y") == gdelt_found  # the published name
    assert detect_headerless(Path("raw/events.tsv"), GDELT_LINE) == gdelt_found  # the first line
    assert detect_headerless(Path("raw/acled.csv"), "event_id_cnty,event_date,year") is None  # a header: not here
    assert detect_headerless(Path("raw/acled.csv"), "event_id_cnty,event_date,year", "gdelt") == gdelt_found
    assert detect_headerless(Path("raw/20230314120000.export.CSV"), GDELT_LINE, "acled") is None  # forced wins


TWO = Reader("two_layouts", "claims", (Layout("two_header", required=("a", "b")),
                                       Layout("two_raw", required=("a", "b"), header=False, delimiter="|",
                                              recognise=lambda name, line: name.endswith(".two"))),
             lambda raw, failures: raw)


def test_a_headerless_layout_needs_recognise_and_has_no_optional_columns():
    """Without a header the columns are known by position only: every one is required, and the layout is
    found by ``recognise``.  A reader defined otherwise is refused when it is defined, with the reason."""
    message = ("layout 'raw' has no header: its columns are all required, in file order, and it needs "
               "recognise(file_name, first_line)")
    recognise = lambda name, line: True  # noqa: E731
    for bad in ({"optional": ("c",), "recognise": recognise}, {}, {"optional": ("c",)}):
        with pytest.raises(ValueError) as raised:
            Layout("raw", required=("a", "b"), header=False, **bad)
        assert str(raised.value) == message
    assert Layout("raw", required=("a", "b"), header=False, recognise=recognise).known == {"a", "b"}
    assert Layout("csv", required=("a",), optional=("b",)).known == {"a", "b"}  # a header: optional columns too


def test_a_headerless_layout_after_a_header_layout_of_the_same_reader_is_recognised():
    register(TWO)
    try:
        assert detect_headerless(Path("raw/x.two"), "1|2") == (TWO, TWO.layouts[1])
        assert detect_headerless(Path("raw/x.csv"), "a,b") is None
    finally:
        del READERS[TWO.name]


WIDE_OR_NARROW = Reader("wide_or_narrow", "claims", (Layout("wide", required=("a", "b", "c")),
                                                     Layout("narrow", required=("a", "b"))),
                        lambda raw, failures: raw)


def test_a_forced_format_of_several_layouts_reads_with_the_one_missing_fewest_columns():
    register(WIDE_OR_NARROW)
    try:
        assert detect(Path("raw/x.csv"), ("a", "b"), "wide_or_narrow") == (WIDE_OR_NARROW, WIDE_OR_NARROW.layouts[1])
        assert detect(Path("raw/x.csv"), ("a", "b", "c"), "wide_or_narrow") == (WIDE_OR_NARROW,
                                                                                WIDE_OR_NARROW.layouts[0])
    finally:
        del READERS[WIDE_OR_NARROW.name]


# ---------------------------------------------------------------- a new format: the reader and one registration line
def _parse_tally(raw: pd.DataFrame, failures: Failures) -> pd.DataFrame:
    """A tiny format of claimed counts: day, what, count, who, outlet."""
    base.require(raw, ("what", "who", "outlet"), failures)
    day = base.parse_dates(raw["day"], ("%d.%m.%Y",), "day", failures)
    return pd.DataFrame({
        "claim_id": "claim:tally-" + raw["day"].str.strip() + "-" + raw["what"].str.strip(),
        "source_dataset": "reported_claim",
        "count_date": day,
        "period_days": 1,
        "metric": base.clean_text(raw["what"]),
        "value": base.parse_count(raw["count"], "count", failures),
        "claimant": base.clean_text(raw["who"]),
        "admin1": pd.Series(None, index=raw.index, dtype="str"),
        "location": pd.Series(None, index=raw.index, dtype="str"),
        "notes": pd.Series(None, index=raw.index, dtype="str"),
        "source_name": base.clean_text(raw["outlet"]),
        "source_url": pd.Series(None, index=raw.index, dtype="str"),
        "publication_date": pd.Series(pd.NaT, index=raw.index, dtype=schemas.DATE),
        "is_synthetic": False,
    }, index=raw.index)


TALLY = Reader("tally", "claims", (Layout("tally", required=("day", "what", "count", "who", "outlet"),
                                          description="claimed counts, one a line (a test format)"),),
               _parse_tally, source_columns={"count_date": "day", "value": "count"},
               variant=lambda columns: f"tally ({len(columns)} columns)")


@pytest.fixture
def tally():
    register(TALLY)
    yield TALLY
    del READERS[TALLY.name]


def test_a_new_format_is_detected_and_built_with_no_other_change(tally, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "tally.csv").write_text("Day,What,Count,Who,Outlet\n"
                                   "14.03.2023,attacks_repelled,102,General Staff,RFE/RL\n"
                                   "15.03.2023,attacks_repelled,many,General Staff,RFE/RL\n"
                                   "16.03.2023,drones_downed,12,Air Force,Ukrinform\n", encoding="utf-8")
    opened = open_file(raw / "tally.csv")
    assert opened.reader is tally and opened.layout is tally.layouts[0]
    result = ingest_file(raw / "tally.csv", "tally.csv")
    assert (result.ledger.format, result.ledger.variant) == ("tally", "tally (5 columns)")
    assert (result.ledger.accepted, result.ledger.rejected) == (2, 1)
    assert result.rejects[["raw_line", "column", "value", "rule"]].values.tolist() == [
        [3, "count", "many", "not_a_number"]]

    processed = tmp_path / "processed"
    build(raw, processed, quiet=True)
    rows = pd.read_parquet(processed / config.CLAIMS_FILE)
    assert rows["claim_id"].tolist() == ["claim:tally-14.03.2023-attacks_repelled", "claim:tally-16.03.2023-drones_downed"]
    assert rows["value"].tolist() == [102, 12]
    assert rows["count_date"].dt.strftime("%Y-%m-%d").tolist() == ["2023-03-14", "2023-03-16"]
    assert len(pd.read_parquet(processed / config.EVENTS_FILE)) == 0
    inputs = json.loads((processed / config.MANIFEST_FILE).read_text(encoding="utf-8"))["inputs"]
    assert [(i["format"], i["table"]) for i in inputs] == [("tally", "claims")]



_TEXTS = st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from(list(",:/?#.-+ aZ9\nü\u2028")), max_size=24),
                            st.from_regex(r"([A-Za-z][A-Za-z0-9+.-]{0,3}:/?/)?(www\.|WWW\.)?[^\x00]{0,12}", fullmatch=True)),
                  max_size=30)  # None, short texts of separators, and addresses with or without scheme and www.


@given(texts=_TEXTS)
def test_before_first_is_the_text_up_to_its_first_separator(texts):
    values = pd.Series(texts, dtype="str", index=range(5, 5 + len(texts)))
    expected = [None if t is None else t.split(",", 1)[0] for t in texts]
    pd.testing.assert_series_equal(base.before_first(values, ","), pd.Series(expected, dtype="str", index=values.index))


@given(texts=_TEXTS)
def test_extract_gives_the_first_group_as_re_search_finds_it(texts):
    values = pd.Series(texts, dtype="str", index=range(3, 3 + len(texts)))
    pattern = r"^[A-Za-z][A-Za-z0-9+.-]*://(?:www\.)?(?P<host>[^/:?#]+)"
    found = [None if t is None else re.search(pattern, t) for t in texts]
    expected = pd.Series([m.group(1) if m else None for m in found], dtype="str", index=values.index)
    pd.testing.assert_series_equal(base.extract(values, pattern), expected)


def test_frame_of_gives_every_chunk_s_records_in_order_however_they_are_held():
    """Arrow tables of one schema are converted once; a chunk already converted, or another set of columns,
    goes through pandas.  Either way: every record in order, index 0..n-1, the same string dtype."""
    import numpy as np
    import pyarrow as pa

    from analysis.sources import csvfile

    def chunk(table):
        return csvfile.RawChunk(table, np.arange(1, len(table) + 1, dtype=np.int64))

    a, b = pa.table({"x": ["1", None], "y": ["a", "b"]}), pa.table({"x": ["3"], "y": [""]})
    expected = pd.DataFrame({"x": ["1", None, "3"], "y": ["a", "b", ""]}, dtype="str")
    converted = chunk(b)
    converted.frame  # noqa: B018 - held as a pandas frame from now on
    for chunks in ([chunk(a), chunk(b)], [chunk(a), converted], [converted, chunk(a), chunk(b)]):
        pd.testing.assert_frame_equal(csvfile.frame_of(chunks), expected if len(chunks) == 2 else pd.concat(
            [expected.iloc[2:], expected], ignore_index=True))
    narrow = csvfile.frame_of([chunk(a), chunk(pa.table({"x": ["4"]}))])
    pd.testing.assert_frame_equal(narrow, pd.DataFrame({"x": ["1", None, "4"], "y": ["a", "b", None]}, dtype="str"))
    pd.testing.assert_frame_equal(csvfile.frame_of([chunk(b)]), expected.iloc[2:].reset_index(drop=True))


# ---------------------------------------------------------------- the text steps, against their one-value definitions
# They run on Arrow kernels and on distinct values for speed; each property compares a whole column with what
# Python's ``str`` gives value by value, on any text (Unicode whitespace, empty, missing) and any index.
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
    assert out.dtype == "str" and out.name == "raw" and out.index.equals(raw.index)
    assert [None if pd.isna(v) else v for v in out] == expected
    found = failures.frame()
    assert found["row"].tolist() == [i for i, b in enumerate(bad) if b]  # rows by position, in order
    assert set(found["rule"]) <= {"unknown_code"}
    shown = {row: value for row, value in zip(found["row"], found["value"]) if values[row] is not None}
    assert shown == {row: values[row][:base.MAX_VALUE_CHARS] for row in shown}  # the value as written


_DATE_TEXT = st.sampled_from(["2022-05-09", " 2022-05-09 ", "15 July 2022", "14/08/2020 00:00:00", "9 May 2022",
                               "2023-02-29", "2022-13-01", "31/02/2022 00:00:00", "July 2022", "", "  ", "x", "NA"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.none() | _DATE_TEXT | _TEXT, max_size=30), st.booleans(), st.booleans())
def test_parse_dates_gives_each_value_what_parsing_it_alone_gives(values, required, shuffled):
    """Each distinct value is parsed once; every row gets the date, or the failure, its value has alone."""
    raw = _series(values, shuffled)
    failures = Failures()
    out = base.parse_dates(raw, acled.DATE_FORMATS, "event_date", failures, required=required)

    def alone(value):
        for fmt in acled.DATE_FORMATS:
            parsed = pd.to_datetime(pd.Series([value], dtype="str").str.strip(), format=fmt, errors="coerce")
            if parsed.notna().all():
                return parsed.dt.normalize().astype(schemas.DATE).iloc[0]
        return None

    expected = [alone(v) for v in values]
    assert out.dtype == schemas.DATE and out.index.equals(raw.index)
    assert [None if pd.isna(v) else v for v in out] == expected
    blank = [v is not None and pd.Series([v], dtype="str").str.strip().iloc[0] == "" for v in values]
    rules = {(row, rule) for row, rule in zip(failures.frame()["row"], failures.frame()["rule"])}
    assert rules == ({(i, "unparseable_date") for i, e in enumerate(expected) if e is None and not blank[i]}
                     | {(i, "required_value_missing") for i, b in enumerate(blank) if b and required})


@settings(max_examples=150, deadline=None)
@given(st.lists(st.none() | st.sampled_from(["20240315", "20240229", "20230229", "2024031", " 20240315", "x", ""])
                | _TEXT, max_size=30), st.booleans())
def test_per_distinct_gives_every_row_what_the_step_gives_it(values, shuffled):
    """A step run on distinct values and given back to the rows equals the step run on every row (here GDELT's
    day parsing, and an upper-casing), index and name kept."""
    raw = _series(values, shuffled)
    for step in (lambda t: pd.to_datetime(t.where(t.str.fullmatch(r"[0-9]{8}")), format="%Y%m%d", errors="coerce"),
                 lambda t: t.str.upper()):
        pd.testing.assert_series_equal(base.per_distinct(raw, step), step(raw))


def test_map_codes_examples():
    failures = Failures()
    out = base.map_codes(pd.Series(["1", " 2.0 ", "9", ""], dtype="str"), _CODES, "time_precision", failures,
                         allow_empty=True)
    assert [None if pd.isna(v) else v for v in out] == ["day", "week", None, None]
    assert failures.frame()[["row", "value", "rule"]].values.tolist() == [[2, "9", "unknown_code"]]
