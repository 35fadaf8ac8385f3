"""The exact wording of the messages a user reads when a file or a parameter is wrong.

A message is part of what the tool promises ("a clear error naming file, line,
column, value and rule"), so it is pinned word for word here: a change to one is
deliberate and shows in this file.  Found necessary by the mutation run
(docs/mutation.md): these messages could change without any other test noticing.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis import metrics, sources
from analysis.errors import InputError, ParameterError

ACLED = sources.READERS["acled"].layouts[0].required
AIR_FORCE = sources.READERS["air_force"].layouts[0].required
KNOWN = "Known formats: acled, ucdp_ged, news, reported_claim, air_force, gdelt; force one with --format."
ACLED_LAYOUT = "acled (ACLED export (current API layout since March 2023, or the earlier Export Tool layout); "


def _detect_error(columns, forced=None) -> InputError:
    with pytest.raises(InputError) as caught:
        sources.detect(Path("raw/x.csv"), tuple(columns), forced)
    return caught.value


def test_the_required_columns_are_what_the_messages_below_count():
    assert len(ACLED) == 17 and ACLED[:4] == ("event_id_cnty", "event_date", "time_precision", "event_type")
    assert AIR_FORCE == ("time_start", "time_end", "model", "launched", "destroyed")


def test_an_unknown_header_names_the_closest_format_its_share_and_the_first_twelve_missing_columns():
    error = _detect_error(["event_id_cnty", "event_date", "year"])  # 2 of ACLED's 17: 11.8% -> "12%"
    assert error.path == "raw/x.csv" and error.line is None
    assert str(error) == (
        "raw/x.csv: the header matches no known format. Closest: " + ACLED_LAYOUT + "12% of its required columns "
        "present), which also needs: time_precision, event_type, sub_event_type, actor1, actor2, country, admin1, "
        "admin2, location, latitude, longitude, geo_precision and 3 more. " + KNOWN
    )


def test_thirteen_missing_columns_show_twelve_and_one_more():
    error = _detect_error(ACLED[:4])  # 4 of 17 present: 23.5% -> "24%", 13 missing
    assert str(error) == (
        "raw/x.csv: the header matches no known format. Closest: " + ACLED_LAYOUT + "24% of its required columns "
        "present), which also needs: sub_event_type, actor1, actor2, country, admin1, admin2, location, latitude, "
        "longitude, geo_precision, source, notes and 1 more. " + KNOWN
    )


def test_twelve_missing_columns_are_all_listed():
    error = _detect_error(ACLED[:5])
    assert "which also needs: actor1, actor2, country, admin1, admin2, location, latitude, longitude, " \
        "geo_precision, source, notes, fatalities. Known" in str(error)


def test_the_closest_format_is_the_one_with_the_largest_share_of_its_columns_not_the_most_columns():
    # 4 of air_force's 5 (80%) beats 5 of ACLED's 17 (29%), although ACLED has more columns present.
    error = _detect_error(AIR_FORCE[:4] + ACLED[:5])
    assert str(error) == (
        "raw/x.csv: the header matches no known format. Closest: air_force (Ukrainian Air Force daily missile and "
        "drone attack reports (Petro Ivaniuk's dataset); 80% of its required columns present), which also needs: "
        "destroyed. " + KNOWN
    )


CLAIM = ("date", "metric", "value", "claimant", "description", "source_name", "publication_date")


def test_a_header_fitting_two_formats_is_read_by_the_one_that_knows_more_of_its_columns():
    # all 7 claim columns against air_force's 5, then air_force's 5 and 3 more of its own (8) against the 7
    assert sources.detect(Path("raw/x.csv"), AIR_FORCE + CLAIM)[0].name == "reported_claim"
    assert sources.detect(Path("raw/x.csv"), AIR_FORCE + CLAIM + ("target", "carrier", "source"))[0].name == "air_force"


def test_a_header_fitting_two_formats_equally_is_refused_not_guessed():
    error = _detect_error(AIR_FORCE + CLAIM + ("target", "carrier"))  # 7 known columns each
    assert (error.path, error.line) == ("raw/x.csv", 1)
    assert str(error) == ("raw/x.csv, line 1: the header fits reported_claim and air_force equally well; "
                          "force one with --format")


def test_a_forced_format_names_the_file_line_one_and_every_missing_column():
    error = _detect_error(["event_id_cnty"], forced="acled")
    assert (error.path, error.line) == ("raw/x.csv", 1)
    assert str(error) == (
        "raw/x.csv, line 1: the header lacks column(s) required by the acled format: event_date, time_precision, "
        "event_type, sub_event_type, actor1, actor2, country, admin1, admin2, location, latitude, longitude, "
        "geo_precision, source, notes, fatalities"
    )


def test_an_unknown_forced_format_lists_the_known_ones():
    assert str(_detect_error(["a"], forced="gdelt1")) == (
        "raw/x.csv: unknown format 'gdelt1'; known formats: acled, ucdp_ged, news, reported_claim, air_force, gdelt"
    )


@pytest.mark.parametrize(("call", "message"), [
    (lambda: metrics.window("2023-13-01", 7), "date='2023-13-01' is not a date; write it as YYYY-MM-DD"),
    (lambda: metrics.window(" March ", 7), "date=' March ' is not a date; write it as YYYY-MM-DD"),
    (lambda: metrics.previous_period("2023-02-30", "2023-03-01"),
     "start='2023-02-30' is not a date; write it as YYYY-MM-DD"),
    (lambda: metrics.previous_period("2023-03-01", "March"), "end='March' is not a date; write it as YYYY-MM-DD"),
])
def test_a_date_parameter_that_is_not_a_day_is_named_with_its_value(call, message):
    with pytest.raises(ParameterError) as caught:
        call()
    assert str(caught.value) == message


# ---------------------------------------------------------------- files that cannot be read as CSV
def test_the_first_byte_windows_1252_leaves_undefined_is_found_with_its_line_across_blocks(tmp_path):
    from analysis.sources import csvfile

    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\nok,\xe9t\xe9\nthird,line\nbad,\x90here\x81\n")  # 0xe9 is defined (e acute)
    for block_size in (4, 7, 1024):  # the line count must carry over block boundaries
        assert csvfile.first_undefined_cp1252_byte(path, block_size) == (4, 0x90)
    path.write_bytes(b"a,b\n\x9d\n")
    assert csvfile.first_undefined_cp1252_byte(path) == (2, 0x9d)
    path.write_bytes(b"a,b\n\xe9,\x80\n")  # every byte defined
    assert csvfile.first_undefined_cp1252_byte(path) == (None, 0)


def test_a_file_that_is_neither_utf8_nor_windows_1252_names_the_line_and_the_byte(tmp_path):
    from analysis.build.ingest import ingest_file
    from conftest import acled_rows, to_csv_text

    lines = to_csv_text(acled_rows(3)).encode("utf-8").splitlines(keepends=True)
    lines[2] = lines[2].replace(b"Kramatorsk", b"Kramatorsk\x8f", 1)
    path = tmp_path / "x.csv"
    path.write_bytes(b"".join(lines))
    with pytest.raises(InputError) as caught:
        ingest_file(path, "x.csv")
    assert (caught.value.path, caught.value.line) == (str(path), 3)
    assert caught.value.reason == ("the file is neither UTF-8 nor Windows-1252: byte 0x8f means nothing in either; "
                                   "re-save it as 'CSV UTF-8'")


def test_an_unclosed_quote_is_explained_and_other_parser_errors_are_quoted():
    from analysis.sources.csvfile import _explain_parser_error as explain  # noqa: PLC2701 (the message's one home)

    assert explain(ValueError("EOF inside string starting at row 3")) == (
        "a quoted field is never closed (an unmatched double quote), so the rest of the file would be read as one "
        "value; fix the quoting (EOF inside string starting at row 3)")
    assert explain(ValueError("unexpected end of data: Quoted field")).startswith("a quoted field is never closed")
    assert explain(ValueError("Expected 3 fields in line 5, saw 4")) == \
        "the file cannot be parsed as CSV: Expected 3 fields in line 5, saw 4"


# ---------------------------------------------------------------- rules of the hand-coded claims
def test_a_claim_dated_after_its_publication_is_rejected_by_name(tmp_path):
    from analysis.build.ingest import ingest_file

    header = ("claim_id,date,period_days,metric,value,claimant,oblast,places,description,source_name,source_url,"
              "publication_date\n")
    path = tmp_path / "claims.csv"
    path.write_text(header
                    + "a,2023-03-14,1,attacks_repelled,102,General Staff,,,said so,RFE/RL,,2023-03-14\n"
                    + "b,2023-03-15,1,attacks_repelled,90,General Staff,,,said so,RFE/RL,,2023-03-14\n",
                    encoding="utf-8")
    result = ingest_file(path, "claims.csv")
    assert (result.ledger.rows, result.ledger.accepted, result.ledger.rejected) == (2, 1, 1)
    assert result.rejects[["raw_line", "column", "value", "rule"]].values.tolist() == [
        [3, "date", "2023-03-15", "claim_after_publication"]]
    assert result.rejects["message"].tolist() == ["the claim's date is after the report's publication_date"]


def test_the_air_force_reader_messages_word_for_word():
    import pandas as pd

    from analysis.sources import air_force
    from analysis.sources.base import Failures

    row = {"time_start": "2023-03-14 18:00", "time_end": "2023-03-15 08:30", "model": "Shahed-136/131",
           "launched": "3.0", "destroyed": "3.0", "not_reach_goal": "", "source": "kpszsu/posts/1",
           "is_synthetic": "false"}
    rows = [{"model": "Flying saucer"}, {"source": "SomePage/posts/2"}, {"not_reach_goal": "1.0"},
            {"time_start": "yesterday"}, {"time_end": " "}, {"is_synthetic": "maybe"}]
    failures = Failures()
    air_force.parse(pd.DataFrame([{**row, **r} for r in rows]).astype("str"), failures)
    warned = dict(zip(failures.warnings_frame()["rule"], failures.warnings_frame()["message"]))
    assert warned == {
        "unknown_weapon_model": "the model matches no pattern of air_force.WEAPON_PATTERNS; "
                                "weapon_category is 'unknown' (row kept)",
        "unknown_source_page": "the page, channel or site is not in air_force.SOURCE_PAGES; "
                               "source_name is it as written",
        "destroyed_plus_not_reached_exceeds_launched": "destroyed + not_reach_goal exceeds launched "
                                                       "(row kept; which number is wrong is unknown)",
    }
    rejected = dict(zip(failures.frame()["rule"], failures.frame()["message"]))
    assert rejected == {
        "unparseable_date": "'time_start' is not a date or date and time in a known style "
                            "(2022-09-28, 2025-03-06 21:00, 2023-05-16 3:30)",
        "required_value_missing": "'time_end' is required but empty",
        "not_a_boolean": "'is_synthetic' must be one of true, 1, yes, y, t / false, 0, no, n, f",
    }


def test_a_reader_declaration_names_the_known_tables_and_accepts_a_callable_variant():
    from analysis.sources.base import Layout, Reader

    layouts = (Layout("v1", ("a",)),)
    with pytest.raises(ValueError) as bad:
        Reader("mine", "event", layouts, lambda raw, failures: raw)
    assert str(bad.value) == "reader 'mine': unknown target table 'event'; one of events, claims, air_attacks"
    reader = Reader("mine", "events", layouts, lambda raw, failures: raw, variant=lambda columns: "mine v1")
    assert reader.describe({"a"}) == "mine v1"
    with pytest.raises(ValueError, match="reader 'mine': parse \\(and variant, if given\\) must be callable"):
        Reader("mine", "events", layouts, lambda raw, failures: raw, variant="v1")


# ---------------------------------------------------------------- rules of the hand-coded news events
def _news_messages(*changes: dict) -> list[tuple[str, str]]:
    from analysis.sources import news
    from analysis.sources.base import Failures

    row = {"date": "2023-03-14", "place": "Kramatorsk", "oblast": "Donetsk", "event_type": "Battles",
           "description": "clashes", "source_name": "RFE/RL", "publication_date": "2023-03-14"}
    columns = list(news.TEMPLATE_COLUMNS) + [c for change in changes for c in change if c not in news.TEMPLATE_COLUMNS]
    raw = pd.DataFrame([{c: {**row, **change}.get(c, "") for c in columns} for change in changes], dtype="str")
    failures = Failures()
    news.parse(raw, failures)
    return [tuple(r) for r in failures.frame()[["column", "message"]].itertuples(index=False)]


def test_each_news_rule_names_its_column_in_words_a_journalist_reads():
    assert _news_messages({"place": "", "oblast": ""}, {"event_type": "Airstrike"}, {"sub_event_type": "Drone"},
                          {"source_url": "www.a.org"}, {"date": "2023-03-15"}, {"end_date": "16.03.2023"},
                          {"publication_date": "March"}, {"date": "x"}) == [
        ("place", "give the place (settlement) or at least the oblast"),
        ("date", "'date' is not a date in a known style (e.g. 2023-03-14)"),
        ("end_date", "'end_date' is not a date in a known style (e.g. 2023-03-14)"),
        ("publication_date", "'publication_date' is not a date in a known style (e.g. 2023-03-14)"),
        ("date", "the event date is after the report's publication_date"),
        ("event_type", "event_type must be one of: Battles; Explosions/Remote violence; Violence against civilians; "
                       "Protests; Riots; Strategic developments"),
        ("sub_event_type", "sub_event_type must be an ACLED sub-event type, e.g. 'Shelling/artillery/missile attack'"),
        ("source_url", "source_url must start with http:// or https://"),
    ]


def test_a_bad_news_flag_or_coordinate_names_its_column():
    assert _news_messages({"is_civilian_targeting": "maybe", "latitude": "48,7", "longitude": "E37"}) == [
        ("latitude", "'latitude' must be a decimal number or empty"),
        ("longitude", "'longitude' must be a decimal number or empty"),
        ("is_civilian_targeting", "'is_civilian_targeting' must be one of true, 1, yes, y, t / false, 0, no, n, f"),
    ]


def test_a_claims_date_that_is_not_iso_names_its_column():
    from analysis.sources import claims
    from analysis.sources.base import Failures

    row = {"date": "13.03.2023", "metric": "m", "value": "1", "claimant": "GS", "description": "d",
           "source_name": "s", "publication_date": "14 March 2023"}
    failures = Failures()
    claims.parse(pd.DataFrame([{c: row.get(c, "") for c in claims.TEMPLATE_COLUMNS}], dtype="str"), failures)
    assert failures.frame()[["column", "message"]].values.tolist() == [
        ["date", "'date' is not a date in a known style (e.g. 2023-03-14)"],
        ["publication_date", "'publication_date' is not a date in a known style (e.g. 2023-03-14)"],
    ]


def test_an_unreadable_acled_date_names_three_styles_it_would_read(tmp_path):
    from analysis.build.ingest import ingest_file
    from conftest import ACLED_ROW, to_csv_text

    path = tmp_path / "dates.csv"
    path.write_text(to_csv_text([{**ACLED_ROW, "event_date": "yesterday"}]), encoding="utf-8")
    assert ingest_file(path, "dates.csv").rejects[["column", "value", "rule", "message"]].values.tolist() == [
        ["event_date", "yesterday", "unparseable_date",
         "'event_date' is not a date in a known style (e.g. 2023-03-14, 14 March 2023, 14/03/2023 00:00:00)"]]


def test_an_empty_required_date_is_one_rejection_not_two():
    """ACLED's event_date and the news template's date and publication_date are required: an empty one is
    rejected once, by the date parser, not also by the list of required columns."""
    assert _news_messages({"date": "", "publication_date": ""}) == [
        ("date", "'date' is required but empty"), ("publication_date", "'publication_date' is required but empty")]


def test_an_empty_acled_date_is_one_rejection(tmp_path):
    from analysis.build.ingest import ingest_file
    from conftest import ACLED_ROW, to_csv_text

    path = tmp_path / "dates.csv"
    path.write_text(to_csv_text([{**ACLED_ROW, "event_date": " "}]), encoding="utf-8")
    assert ingest_file(path, "dates.csv").rejects[["raw_line", "column", "value", "rule", "message"]].values.tolist() == [
        [2, "event_date", " ", "required_value_missing", "'event_date' is required but empty"]]


# ---------------------------------------------------------------- the header row
@pytest.mark.parametrize("text, line, message", [
    ("", None, "the file is empty; expected a CSV file with a header row"),
    ("a,b\x00\n1,2\n", 1, "the header row contains NUL bytes: not a CSV text file"),
    (" , \n1,2\n", 1, "the first line is blank; expected a header row naming the columns"),
    ("a;b;c\n1;2;3\n", 1, "the header has a single column but contains semicolons: the file seems to be "
                          "semicolon-separated; every supported format is comma-separated, so re-export it with "
                          "commas as delimiters"),
    ("b,a,B,c,A,\n", 1, "the header repeats the column(s) a, b"),
    ('a,"' + "x" * 200_000 + '"\n', 1, "the header row cannot be parsed as CSV (field larger than field limit (131072))"),
])
def test_a_header_that_cannot_be_read_is_refused_naming_the_file_and_its_first_line(tmp_path, text, line, message):
    from analysis.sources import csvfile

    path = tmp_path / "x.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        csvfile.read_header(path, "utf-8")
    assert (caught.value.path, caught.value.line, caught.value.reason) == (str(path), line, message)


def test_a_quote_never_closed_is_refused_at_its_line(tmp_path):
    from analysis.build.ingest import ingest_file
    from conftest import ACLED_ROW, to_csv_text

    lines = to_csv_text([{**ACLED_ROW, "event_id_cnty": f"UKR{i}"} for i in range(3)]).splitlines(keepends=True)
    lines[2] = lines[2].replace("Kramatorsk.", 'Kramatorsk."')  # the second record (line 3) opens a quote
    path = tmp_path / "quote.csv"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        ingest_file(path, "quote.csv")
    assert (caught.value.path, caught.value.line, caught.value.reason) == (
        str(path), 3, "a quoted field is never closed (an unmatched double quote on this line), so the rest of the "
                      "file would be read as one value; fix the quoting")


@pytest.mark.parametrize("head, line, message", [
    (b"PK\x03\x04rest of a workbook", None,
     "this is a zip archive or an Excel .xlsx workbook, not a CSV file; export the sheet as CSV (comma-separated) first"),
    (b"e\x00v\x00e\x00n\x00t\x00\n\x001\x00", 1,
     "this looks like a binary file (its first line contains NUL bytes), not a CSV text file; if it was saved as "
     "UTF-16 by Excel, re-save it as 'CSV UTF-8'"),
    (b"event id,notes\x00\n1,2\n", 1,  # a NUL after a space: the first line is judged whole
     "this looks like a binary file (its first line contains NUL bytes), not a CSV text file; if it was saved as "
     "UTF-16 by Excel, re-save it as 'CSV UTF-8'"),
])
def test_a_file_that_is_not_text_is_refused_naming_it(tmp_path, head, line, message):
    from analysis.sources import csvfile

    path = tmp_path / "x.csv"
    path.write_bytes(head)
    with pytest.raises(InputError) as caught:
        csvfile.check_not_binary(path)
    assert (caught.value.path, caught.value.line, caught.value.reason) == (str(path), line, message)


@pytest.mark.parametrize("length", [10, 300_000])  # short, and beyond Python's CSV field limit (131,072)
@pytest.mark.parametrize("valid_rows", [1, 0])  # after a valid record, or the file's only record
def test_a_quote_never_closed_on_the_last_line_is_refused_however_long(tmp_path, length, valid_rows):
    from analysis.build.ingest import ingest_file
    from conftest import ACLED_ROW, to_csv_text

    path = tmp_path / "last.csv"
    header, *rows = to_csv_text([ACLED_ROW]).splitlines(keepends=True)
    path.write_text(header + "".join(rows[:valid_rows]) + 'UKR9,"' + "x" * length + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        ingest_file(path, "last.csv")
    assert (caught.value.path, caught.value.line) == (str(path), 2 + valid_rows)
    assert "a quoted field is never closed" in caught.value.reason


def test_a_quote_inside_an_unquoted_field_of_a_malformed_row_is_a_character_not_broken_quoting(tmp_path):
    """Only a quote that opens a field can swallow the rest of the file; an inch mark in a row with a field too
    many leaves one malformed row, rejected, and the file is read."""
    from analysis.build.ingest import ingest_file
    from conftest import ACLED_ROW, to_csv_text

    lines = to_csv_text([{**ACLED_ROW, "event_id_cnty": f"UKR{i}"} for i in range(3)]).splitlines(keepends=True)
    lines[2] = lines[2].replace(",Kramatorsk,", ',Kramatorsk 5" west,').rstrip("\n") + ",extra\n"
    path = tmp_path / "inch.csv"
    path.write_text("".join(lines), encoding="utf-8")
    result = ingest_file(path, "inch.csv")
    assert (result.ledger.accepted, result.ledger.rejected) == (2, 1)
    assert result.rejects[["raw_line", "rule"]].values.tolist() == [[3, "too_many_fields"]]


@pytest.mark.parametrize("chunked", [True, False])
def test_quoting_damage_in_a_chunk_before_the_last_is_refused_as_in_the_last(tmp_path, monkeypatch, chunked):
    """A quote opened on line 5 and closed by the next quote, two lines on, merges three records into one
    malformed record (odd quotes over several lines): the file is refused at that line, in whichever chunk
    of the read it falls (the first of several, or the only one, with valid records after it)."""
    from analysis import config
    from analysis.build.ingest import ingest_file
    from conftest import ACLED_ROW, to_csv_text

    lines = to_csv_text([{**ACLED_ROW, "event_id_cnty": f"UKR{i}"} for i in range(40)]).splitlines(keepends=True)
    lines[4] = lines[4].replace("Kramatorsk.", 'Kramatorsk."')  # line 5 opens a quote...
    lines[6] = lines[6].replace("Kramatorsk.", 'Kramatorsk. "a strike"')  # ...the first quote on line 7 closes it
    path = tmp_path / "damaged.csv"
    path.write_text("".join(lines), encoding="utf-8")
    if chunked:
        monkeypatch.setattr(config, "CSV_READ_BLOCK_BYTES", 2048)  # several blocks, gathered into chunks of 5 rows
    with pytest.raises(InputError) as caught:
        ingest_file(path, "damaged.csv", chunk_rows=5 if chunked else None)
    assert (caught.value.path, caught.value.line) == (str(path), 5)
    assert caught.value.reason.startswith("a quoted field is never closed")


@pytest.mark.parametrize("value, rule, message", [
    ("three", "not_a_number",
     "'fatalities' must be a whole number written with the digits 0-9 (no thousands separators) or empty"),
    ("2.5", "not_a_whole_number", "'fatalities' must be a whole number"),
    ("1e19", "count_out_of_range", "'fatalities' is beyond 1,000,000,000, more than any real count"),
])
def test_a_count_that_is_not_a_whole_number_is_rejected_with_its_rule_and_words(tmp_path, value, rule, message):
    from analysis.build.ingest import ingest_file
    from conftest import ACLED_ROW, to_csv_text

    path = tmp_path / "counts.csv"
    path.write_text(to_csv_text([{**ACLED_ROW, "fatalities": value}]), encoding="utf-8")
    assert ingest_file(path, "counts.csv").rejects[["raw_line", "column", "value", "rule", "message"]].values.tolist() == [
        [2, "fatalities", value, rule, message]]
