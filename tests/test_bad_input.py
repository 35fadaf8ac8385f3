"""Bad input gets a clear message naming file, line, column, value and rule, and a non-zero exit.

Each case runs the real console entry point (in-process) on a small file.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import decimal
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from analysis import config
from analysis.build.ingest import ingest_file
from analysis.sources import csvfile
from analysis.sources.base import MAX_COUNT, Failures, parse_count
from conftest import ACLED_ROW, acled_rows, to_csv_text
from hostile import FORMATS, HOSTILE_COUNTS, HOSTILE_NUMBERS, valid_rows


def _json(cli, path):
    code, out, err = cli("validate", "--json", path)
    assert "Traceback" not in out + err
    return code, json.loads(out)[0]


def test_valid_file_exits_zero(cli, write_csv):
    code, out, err = cli("validate", write_csv(acled_rows(3)))
    assert code == 0, out + err
    assert "3 accepted, 0 rejected" in out


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("", "the file is empty"),
        ("\n\n  \n", "the file is empty"),
        ("event_id_cnty;event_date;event_type;country\nUKR1;2023-03-14;Battles;Ukraine\n", "semicolon-separated"),
        ("event_id_cnty\tevent_date\tevent_type\nUKR1\t2023-03-14\tBattles\n", "tab-separated"),
        ("foo,bar\n1,2\n", "matches no known format"),
    ],
    ids=["empty", "blank-lines-only", "semicolon-delimiter", "tab-delimiter", "unknown-layout"],
)
def test_unreadable_files(cli, write_csv, content, fragment):
    path = write_csv(content)
    code, out, err = cli("validate", path)
    assert code == 2
    assert fragment in out
    assert str(path) in out
    assert "Traceback" not in out + err


def test_unknown_layout_names_closest_and_missing_columns(cli, write_csv):
    row = {k: v for k, v in ACLED_ROW.items() if k not in ("fatalities", "location")}
    code, out, _ = cli("validate", write_csv([row]))
    assert code == 2
    assert "Closest: acled" in out and "fatalities" in out and "location" in out


def test_header_only(cli, write_csv):
    code, result = _json(cli, write_csv(to_csv_text(acled_rows(1)).splitlines()[0] + "\n"))
    assert code == 1
    assert result["rows"] == 0 and result["format"] == "acled"
    assert "no data rows" in " ".join(result["warnings"])


def test_binary_file(cli, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(b"\x00\x01\x02\xffsome binary\x00" * 50)
    code, out, _ = cli("validate", path)
    assert code == 2 and "binary" in out


def test_xlsx_saved_as_csv(cli, tmp_path):
    path = tmp_path / "events.csv"
    path.write_bytes(b"PK\x03\x04" + b"\x14\x00" * 100)
    code, out, _ = cli("validate", path)
    assert code == 2 and "Excel" in out


def test_utf8_bom_is_accepted(cli, write_csv):
    path = write_csv("\ufeff" + to_csv_text(acled_rows(2)))
    code, result = _json(cli, path)
    assert code == 0 and result["accepted"] == 2
    assert any("byte-order mark" in w for w in result["warnings"])


def test_windows_1252_is_accepted_and_decoded(cli, write_csv):
    rows = acled_rows(1)
    rows[0]["notes"] = "Shelling near Mar’yinka – “heavy” damage"
    code, result = _json(cli, write_csv(rows, encoding="cp1252"))
    assert code == 0 and result["encoding"] == "cp1252"
    from analysis.build.ingest import ingest_file


def test_windows_1252_values_survive(write_csv):
    from analysis.build.ingest import ingest_file

    rows = acled_rows(1)
    rows[0]["notes"] = "Shelling near Mar’yinka – “heavy” damage"
    accepted = ingest_file(write_csv(rows, encoding="cp1252")).accepted
    assert accepted.loc[0, "notes"] == "Shelling near Mar’yinka – “heavy” damage"


def test_missing_required_column_with_forced_format(cli, write_csv):
    row = {k: v for k, v in ACLED_ROW.items() if k != "fatalities"}
    code, out, _ = cli("validate", "--format", "acled", write_csv([row]))
    assert code == 2
    assert "fatalities" in out and "line 1" in out


def test_extra_columns_are_reported_and_ignored(cli, write_csv):
    rows = [{**r, "actor_dyad": "x", "my_note": "y"} for r in acled_rows(2)]
    code, result = _json(cli, write_csv(rows))
    assert code == 0 and result["accepted"] == 2
    assert any("my_note" in w for w in result["warnings"])


def test_extra_column_in_strict_news_template_is_an_error(cli, write_csv):
    from analysis.sources.news import TEMPLATE_COLUMNS

    row = dict.fromkeys(TEMPLATE_COLUMNS, "")
    row.update(date="2023-03-14", place="Kramatorsk", oblast="Donetsk", event_type="Battles",
               description="x", source_name="y", publication_date="2023-03-14", civilian_kiled="1")
    code, out, _ = cli("validate", write_csv([row]))
    assert code == 2
    assert "civilian_kiled" in out and "did you mean 'civilians_killed'" in out


def _reject(cli, write_csv, change: dict, n: int = 3, row: int = 1):
    rows = acled_rows(n)
    rows[row].update(change)
    code, result = _json(cli, write_csv(rows))
    assert code == 1, result
    assert result["accepted"] == n - 1 and result["rejected"] == 1
    return result["errors"]


@pytest.mark.parametrize(
    "change, column, rule",
    [
        ({"event_date": "31/02/2023"}, "event_date", "unparseable_date"),
        ({"event_date": "yesterday"}, "event_date", "unparseable_date"),
        ({"latitude": "95.2"}, "latitude", "latitude_out_of_range"),
        ({"longitude": "-200"}, "longitude", "longitude_out_of_range"),
        ({"latitude": "40.7", "longitude": "-74.0"}, "latitude,longitude", "coordinates_outside_country"),
        ({"fatalities": "-3"}, "fatalities", "negative_count"),
        ({"fatalities": "three"}, "fatalities", "not_a_number"),
        ({"fatalities": "2.5"}, "fatalities", "not_a_whole_number"),
        ({"latitude": "48,72"}, "latitude", "not_a_number"),
        ({"geo_precision": "7"}, "geo_precision", "unknown_code"),
        ({"event_type": "Bombing"}, "event_type", "unknown_event_type"),
        ({"event_id_cnty": ""}, "event_id_cnty", "required_value_missing"),
        ({"year": "2021"}, "year", "year_disagrees_with_date"),
    ],
)
def test_bad_values_are_rejected_with_line_column_value_rule(cli, write_csv, change, column, rule):
    errors = _reject(cli, write_csv, change)
    assert len(errors) == 1, errors
    assert errors[0]["line"] == 3  # header is line 1, the bad row is the second data row
    assert errors[0]["column"] == column
    assert errors[0]["rule"] == rule
    value = next(iter(change.values())) if len(change) == 1 else None
    if value is not None:
        assert errors[0]["value"] == value


def test_text_report_names_file_line_column_value_rule(cli, write_csv):
    rows = acled_rows(3)
    rows[2]["fatalities"] = "-3"
    path = write_csv(rows)
    code, out, _ = cli("validate", path)
    assert code == 1
    assert str(path) in out
    assert "line 4: fatalities = '-3': negative_count" in out


def test_duplicate_ids_are_merged_not_lost(cli, write_csv):
    rows = acled_rows(3) + [dict(acled_rows(3)[0]), {**acled_rows(3)[1], "fatalities": "9"}]
    code, result = _json(cli, write_csv(rows))
    assert result["accepted"] == 3 and result["merged"] == 2 and result["rejected"] == 0
    merged = {m["line"]: m for m in result["merged_rows"]}
    assert merged[5]["merged_into_line"] == 2 and merged[5]["is_identical"]
    assert merged[6]["merged_into_line"] == 3 and not merged[6]["is_identical"]
    assert code == 0


def test_quoted_newlines_keep_real_line_numbers(cli, write_csv):
    rows = acled_rows(4)
    rows[0]["notes"] = "first line\nsecond line\nthird line"
    rows[2]["fatalities"] = "-1"
    code, result = _json(cli, write_csv(rows))
    assert result["accepted"] == 3
    # header 1; row 1 spans lines 2-4; row 2 is line 5; row 3 (bad) is line 6
    assert result["errors"][0]["line"] == 6


def test_extremely_long_field(cli, write_csv):
    rows = acled_rows(3)
    rows[1]["notes"] = "x" * 1_000_000
    code, result = _json(cli, write_csv(rows))
    assert code == 1 and result["accepted"] == 2
    assert result["errors"][0]["rule"] == "field_too_long" and result["errors"][0]["line"] == 3
    assert len(result["errors"][0]["value"]) < 300


def test_unclosed_quote_is_a_clear_file_error(cli, write_csv):
    text = to_csv_text(acled_rows(3))
    lines = text.splitlines(keepends=True)
    lines[-1] = lines[-1].replace('Kramatorsk.",', "Kramatorsk.,", 1)  # the quote opened here never closes
    code, out, _ = cli("validate", write_csv("".join(lines)))
    assert code == 2 and "quoted field is never closed" in out


def test_row_with_too_many_fields(cli, write_csv):
    text = to_csv_text(acled_rows(3))
    lines = text.splitlines(keepends=True)
    lines[2] = lines[2].rstrip("\n") + ",surplus,values\n"
    code, result = _json(cli, write_csv("".join(lines)))
    assert code == 1 and result["accepted"] == 2
    assert result["errors"][0]["rule"] == "too_many_fields" and result["errors"][0]["line"] == 3


def test_blank_lines_are_not_data_rows(cli, write_csv):
    text = to_csv_text(acled_rows(2))
    head, *rows = text.splitlines(keepends=True)
    code, result = _json(cli, write_csv(head + rows[0] + "\n" + rows[1]))
    assert code == 0 and result["rows"] == 2 and result["blank_rows"] == 1


def test_several_problems_in_one_row_count_once(cli, write_csv):
    rows = acled_rows(3)
    rows[1].update(fatalities="-1", latitude="99")
    code, result = _json(cli, write_csv(rows))
    assert result["rejected"] == 1 and len(result["errors"]) == 2
    assert {e["rule"] for e in result["errors"]} == {"negative_count", "latitude_out_of_range"}


def test_windows_1252_bytes_after_the_first_megabytes_are_found(tmp_path):
    """The encoding is guessed from the start of the file and confirmed while parsing."""
    from analysis.build import build
    from analysis.build.ingest import ingest_file

    rows = acled_rows(20_000)  # about 6 MB of plain ASCII
    rows[-1]["notes"] = "Shelling near Mar’yinka – “heavy” damage"
    path = tmp_path / "raw" / "late.csv"
    path.parent.mkdir()
    path.write_bytes(to_csv_text(rows).encode("cp1252"))
    assert path.stat().st_size > 5 * 1024 * 1024
    result = ingest_file(path, "late.csv")
    assert result.ledger.encoding == "cp1252" and result.ledger.accepted == 20_000
    assert result.accepted["notes"].iloc[-1] == "Shelling near Mar’yinka – “heavy” damage"
    report = build(path.parent, tmp_path / "processed")
    entry = report.manifest["inputs"][0]
    assert (entry["encoding"], entry["accepted"]) == ("cp1252", 20_000)


def test_validate_merges_repeats_across_the_files_it_is_given(cli, tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(to_csv_text(acled_rows(3)))
    second.write_text(to_csv_text([acled_rows(3)[2], {**acled_rows(3)[0], "event_id_cnty": "UKR5"}]))
    code, out, err = cli("validate", "--json", first, second)
    results = json.loads(out)
    assert [(r["accepted"], r["merged"]) for r in results] == [(3, 0), (1, 1)]
    assert results[1]["merged_rows"][0] == {"line": 2, "event_id": "acled:UKR1002", "merged_into_line": 4,
                                            "merged_into_file": str(first), "is_identical": True}
    assert code == 0


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=60), noise=st.binary(max_size=4), at=st.integers(min_value=0), block=st.integers(1, 9))
def test_the_background_scan_judges_utf8_as_python_does_at_any_block_size(tmp_path_factory, text, noise, at, block):
    data = text.encode("utf-8")
    data = data[: at % (len(data) + 1)] + noise + data[at % (len(data) + 1):]  # perhaps broken bytes anywhere
    path = tmp_path_factory.mktemp("scan") / "f.csv"
    path.write_bytes(data)
    try:
        data.decode("utf-8")
        expected = True
    except UnicodeDecodeError:
        expected = False
    scan = csvfile.scan_file(path, block_size=block)
    assert scan.is_utf8 == expected
    assert (scan.size_bytes, scan.sha256) == (len(data), hashlib.sha256(data).hexdigest())


@pytest.mark.parametrize("data, cut", [
    (b"", 0), (b"ab", 2), (b"a\xc3", 1), (b"a\xc3\xa9", 3), (b"a\xe2\x82", 1), (b"a\xe2\x82\xac", 4),
    (b"a\xf0\x9f\x98", 1), (b"a\xf0\x9f\x98\x80", 5), (b"a\x80\x80\x80\x80", 5),
])
def test_a_block_is_validated_up_to_its_last_whole_character_and_no_shorter(data, cut):
    """The scan validates each block up to the end of its last complete UTF-8 character (a, é, €, an emoji)
    and carries only the cut character to the next block; four continuation bytes are left to validation."""
    from analysis.sources.csvfile import _utf8_boundary  # noqa: PLC2701 (the boundary rule's one home)

    assert _utf8_boundary(data) == cut


# ---------------------------------------------------------------- hostile numbers, in every count column
_COUNT_CASES = [(fmt, column) for fmt, (_, _, columns) in FORMATS.items() for column in columns]


@pytest.mark.parametrize("fmt, column", _COUNT_CASES, ids=[f"{f}-{c}" for f, c in _COUNT_CASES])
def test_hostile_counts_are_rejected_by_rule_in_every_count_column(tmp_path, fmt, column):
    """One home for counts: every count column of every format rejects the same values by the same rules."""
    values = list(HOSTILE_COUNTS)
    rows = valid_rows(fmt, len(values) + 2)
    for row, value in zip(rows[1:], values):
        row[column] = value
    path = tmp_path / f"{fmt}.csv"
    path.write_text(to_csv_text(rows), encoding="utf-8")
    result = ingest_file(path, path.name)
    ledger = result.ledger
    assert (ledger.format, ledger.rows, ledger.accepted, ledger.rejected) == (fmt, len(rows), 2, len(values))
    found = {(r.raw_line, r.column, r.value, r.rule) for r in result.rejects.itertuples()}
    expected = {(line, column, value, rule) for line, (value, rule) in enumerate(HOSTILE_COUNTS.items(), start=3)}
    assert expected <= found  # line 2 is the first (valid) row
    assert set(result.accepted["raw_line"]) == {2, len(rows) + 1}


@pytest.mark.parametrize("value, expected", [("-0", 0), ("+5", 5), (" 7 ", 7), ("1e+05", 100_000), ("12.000", 12),
                                             ("1000000000", 1_000_000_000), ("", None)])
def test_whole_numbers_in_other_spellings_are_read(write_csv, value, expected):
    rows = acled_rows(2)
    rows[1]["fatalities"] = value
    result = ingest_file(write_csv(rows), "f.csv")
    assert result.ledger.accepted == 2
    got = result.accepted["fatalities"].iloc[1]
    assert (got is pd.NA) if expected is None else got == expected


@pytest.mark.parametrize("column, value, rule", [
    ("latitude", "1e308", "latitude_out_of_range"), ("latitude", "-1e309", "latitude_out_of_range"),
    ("longitude", "inf", "longitude_out_of_range"), ("latitude", "nan", "not_a_number"),
    ("latitude", "４８.７", "not_a_number"), ("event_date", "99999-01-01", "unparseable_date"),
    ("year", "99999", "year_disagrees_with_date"), ("year", "1e19", "count_out_of_range"),
    ("time_precision", "1e19", "unknown_code"), ("geo_precision", "99999999999999999999", "unknown_code"),
])
def test_hostile_numbers_in_coordinate_date_and_code_columns(cli, write_csv, column, value, rule):
    errors = _reject(cli, write_csv, {column: value})
    assert [(e["line"], e["column"], e["value"], e["rule"]) for e in errors] == [(3, column, value, rule)]


def test_huge_count_through_the_cli_validate_and_build(cli, tmp_path):
    """The reported crash: 'internal error: TypeError: cannot safely cast non-equivalent float64 to int64'."""
    raw = tmp_path / "raw"
    raw.mkdir()
    rows = acled_rows(4)
    rows[2]["fatalities"] = "99999999999999999999"
    (raw / "acled.csv").write_text(to_csv_text(rows), encoding="utf-8")
    code, out, err = cli("validate", raw / "acled.csv")
    assert code == 1 and "internal error" not in err
    assert "line 4: fatalities = '99999999999999999999': count_out_of_range" in out
    code, out, err = cli("build", "--raw-dir", raw, "--processed-dir", tmp_path / "processed")
    assert code == 0 and "internal error" not in err, err
    manifest = json.loads((tmp_path / "processed" / "manifest.json").read_text())
    assert [(e["rows"], e["accepted"], e["rejected"]) for e in manifest["inputs"]] == [(4, 3, 1)]
    rejects = pd.read_csv(tmp_path / "processed" / "rejects.csv", dtype=str)
    assert rejects[["raw_line", "column", "value", "rule"]].values.tolist() == [
        ["4", "fatalities", "99999999999999999999", "count_out_of_range"]]


# ---------------------------------------------------------------- NUL bytes
def _with_nul_at_line(rows: int, line: int, column: str = "notes") -> str:
    records = acled_rows(rows)
    records[line - 2][column] = "before\x00after"
    return to_csv_text(records)


@pytest.mark.parametrize("rows, line", [(5, 3), (400, 380), (400, 2), (400, 401)],
                         ids=["first-64KiB", "after-64KiB", "first-row", "last-row"])
def test_a_nul_byte_rejects_its_record_wherever_it_is(tmp_path, rows, line):
    text = _with_nul_at_line(rows, line)
    offset = text.encode().index(b"\x00")
    assert (offset < config.SNIFF_BYTES) == (rows == 5 or line == 2)
    path = tmp_path / "nul.csv"
    path.write_bytes(text.encode())
    result = ingest_file(path, "nul.csv")
    assert (result.ledger.rows, result.ledger.accepted, result.ledger.rejected) == (rows, rows - 1, 1)
    assert result.rejects[["raw_line", "column", "value", "rule"]].values.tolist() == [
        [line, "notes", "before\\x00after", "nul_byte"]]


def test_a_zero_filled_tail_is_rejected_and_the_rows_before_it_kept(cli, tmp_path):
    """What a crash during a copy leaves: the file ends in a block of NUL bytes."""
    raw = tmp_path / "raw"
    raw.mkdir()
    path = raw / "tail.csv"
    path.write_bytes(to_csv_text(acled_rows(300)).encode() + b"\x00" * 70_000)
    code, out, err = cli("build", "--raw-dir", raw, "--processed-dir", tmp_path / "processed")
    assert code == 0 and "internal error" not in err
    entry = json.loads((tmp_path / "processed" / "manifest.json").read_text())["inputs"][0]
    assert (entry["rows"], entry["accepted"], entry["rejected"]) == (301, 300, 1)
    rejects = pd.read_csv(tmp_path / "processed" / "rejects.csv", dtype=str, keep_default_na=False)
    assert rejects[["raw_line", "rule"]].values.tolist() == [["302", "too_few_fields"]]
    assert rejects["value"].iloc[0].startswith("\\x00\\x00") and "\x00" not in rejects["value"].iloc[0]


@pytest.mark.parametrize("content, fragment", [
    (b"event_id_cnty,event\x00_date\n", "first line contains NUL bytes"),
    ("event_id_cnty,event_date\n".encode("utf-16-le"), "first line contains NUL bytes"),
    (b"\xff\xfe" + "event_id_cnty\n".encode("utf-16-le"), "UTF-16"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls workbook"),
    (b"\x1f\x8b\x08\x00" + b"\x00" * 100, "gzip"),
])
def test_binary_and_utf16_files_are_file_errors(cli, tmp_path, content, fragment):
    path = tmp_path / "bin.csv"
    path.write_bytes(content)
    code, out, err = cli("validate", path)
    assert code == 2 and fragment in out and "internal error" not in err


# ---------------------------------------------------------------- folders, other files, unreadable files
def test_folders_and_non_csv_files_in_the_raw_folder_are_skipped_with_a_note(cli, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "acled.csv").write_text(to_csv_text(acled_rows(2)), encoding="utf-8")
    (raw / "x.csv").mkdir()
    (raw / "README.txt").write_text("These files come from ACLED.\n")
    (raw / "events.xlsx").write_bytes(b"PK\x03\x04")
    (raw / ".gitkeep").write_text("")
    code, out, err = cli("build", "--raw-dir", raw, "--processed-dir", tmp_path / "processed")
    assert code == 0, out + err
    manifest = json.loads((tmp_path / "processed" / "manifest.json").read_text())
    assert [e["path"] for e in manifest["inputs"]] == ["acled.csv"] and manifest["file_errors"] == []
    assert manifest["skipped_files"] == [
        {"path": "README.txt", "reason": "not a .csv file"},
        {"path": "events.xlsx", "reason": "not a .csv file; export it as CSV (comma-separated) to use it"},
        {"path": "x.csv", "reason": "a folder, not a file (folders in the raw-data folder are not read)"},
    ]
    assert "skipped x.csv: a folder, not a file" in out and "skipped README.txt: not a .csv file" in out


def test_a_raw_folder_without_csv_files_names_what_it_skipped(cli, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "README.txt").write_text("notes\n")
    code, out, err = cli("build", "--raw-dir", raw, "--processed-dir", tmp_path / "processed")
    assert code == 2 and "no raw files" in err and "skipped README.txt: not a .csv file" in err


def test_validate_a_folder_or_a_missing_file(cli, tmp_path):
    (tmp_path / "x.csv").mkdir()
    code, out, err = cli("validate", tmp_path / "x.csv", tmp_path / "missing.csv")
    assert code == 2 and "internal error" not in err
    assert f"{tmp_path / 'x.csv'}: is a folder, not a file" in out and "missing.csv: no such file" in out


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="running as root: chmod 000 does not stop root from reading (see the monkeypatched test)")
def test_a_file_without_read_permission(cli, tmp_path):
    path = tmp_path / "secret.csv"
    path.write_text(to_csv_text(acled_rows(2)), encoding="utf-8")
    path.chmod(0)
    try:
        code, out, err = cli("validate", path)
    finally:
        path.chmod(0o644)
    assert code == 2 and "cannot be read: Permission denied" in out and "internal error" not in err


def _denied(path, *args, **kwargs):
    raise PermissionError(errno.EACCES, "Permission denied", str(path))


def test_an_unreadable_raw_file_is_exit_2_and_the_rest_is_built(cli, tmp_path, monkeypatch):
    """Permission denied, simulated where the file is first opened (tests may run as root)."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a_good.csv").write_text(to_csv_text(acled_rows(2)), encoding="utf-8")
    (raw / "b_secret.csv").write_text(to_csv_text(acled_rows(2)), encoding="utf-8")
    real = csvfile.check_not_binary
    monkeypatch.setattr(csvfile, "check_not_binary", lambda p: _denied(p) if p.name == "b_secret.csv" else real(p))
    code, out, err = cli("validate", raw / "b_secret.csv")
    assert code == 2 and "b_secret.csv: the file cannot be read: Permission denied" in out
    code, out, err = cli("build", "--raw-dir", raw, "--processed-dir", tmp_path / "processed")
    assert code == 2 and "internal error" not in err
    assert "UNREADABLE b_secret.csv: the file cannot be read: Permission denied" in out
    manifest = json.loads((tmp_path / "processed" / "manifest.json").read_text())
    assert [e["path"] for e in manifest["inputs"]] == ["a_good.csv"]


def test_an_io_error_half_way_through_a_file_drops_that_file_only(tmp_path, monkeypatch):
    from analysis.build import build

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a_good.csv").write_text(to_csv_text(acled_rows(2)), encoding="utf-8")
    (raw / "b_bad_disk.csv").write_text(to_csv_text(acled_rows(3)), encoding="utf-8")
    real = csvfile.iter_records

    def failing(path, *args, **kwargs):
        for chunk in real(path, *args, **kwargs):
            yield chunk
            if path.name == "b_bad_disk.csv":
                raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(csvfile, "iter_records", failing)
    report = build(raw, tmp_path / "processed")
    assert report.file_errors == [{"path": "b_bad_disk.csv", "line": None,
                                   "error": "the file cannot be read: Input/output error"}]
    assert pd.read_parquet(tmp_path / "processed" / "events.parquet")["raw_file"].tolist() == ["a_good.csv"] * 2


def test_an_unwritable_processed_folder_is_exit_2(cli, tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "acled.csv").write_text(to_csv_text(acled_rows(2)), encoding="utf-8")
    (tmp_path / "file").write_text("")
    code, out, err = cli("build", "--raw-dir", raw, "--processed-dir", tmp_path / "file" / "processed")
    assert code == 2 and "cannot write the processed data" in err and "internal error" not in err

    import tempfile

    monkeypatch.setattr(tempfile, "mkdtemp", lambda prefix="", dir=None: _denied(Path(dir) / f"{prefix}x"))
    code, out, err = cli("build", "--raw-dir", raw, "--processed-dir", tmp_path / "processed")
    assert code == 2 and "internal error" not in err
    assert f"{tmp_path / 'processed'}: cannot write the processed data (Permission denied" in err


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"),  # Python's own writes
                                   OSError("IOError: No space left on device. Detail: [errno 28]")],  # pyarrow's
                         ids=["errno", "arrow"])
def test_a_full_disk_while_writing_is_exit_2_and_keeps_the_previous_build(cli, tmp_path, monkeypatch, error):
    import pyarrow.parquet as pq

    raw, out_dir = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    (raw / "acled.csv").write_text(to_csv_text(acled_rows(2)), encoding="utf-8")
    assert cli("build", "--raw-dir", raw, "--processed-dir", out_dir)[0] == 0
    before = {p.name: p.read_bytes() for p in out_dir.iterdir() if p.is_file()}
    (raw / "acled.csv").write_text(to_csv_text(acled_rows(3)), encoding="utf-8")

    def full(*args, **kwargs):
        raise error

    monkeypatch.setattr(pq, "write_table", full)
    monkeypatch.setattr(pq.ParquetWriter, "write_table", full)
    code, out, err = cli("build", "--raw-dir", raw, "--processed-dir", out_dir)
    assert code == 2 and "internal error" not in err
    assert "cannot write the processed data" in err and "No space left on device" in err
    assert {p.name: p.read_bytes() for p in out_dir.iterdir() if p.is_file()} == before


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="running as root: a read-only folder does not stop root from writing (see the test above)")
def test_a_read_only_processed_folder_is_exit_2(cli, tmp_path):
    raw, out_dir = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    out_dir.mkdir()
    (raw / "acled.csv").write_text(to_csv_text(acled_rows(2)), encoding="utf-8")
    out_dir.chmod(0o555)
    try:
        code, out, err = cli("build", "--raw-dir", raw, "--processed-dir", out_dir)
    finally:
        out_dir.chmod(0o755)
    assert code == 2 and "cannot write the processed data" in err and "internal error" not in err


# ---------------------------------------------------------------- counts against an exact reference
_ASCII_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _reference_count(value: str):
    """What a count cell must become, computed exactly with Decimal: an int, None (empty) or a rule."""
    text = value.strip()
    if not text:
        return None
    if not _ASCII_NUMBER.fullmatch(text):
        return "not_a_number"
    mantissa, _, exponent = text.lower().partition("e")
    if exponent and abs(int(exponent)) > 10**6:  # beyond Decimal: zero, huge or tiny
        if not re.search("[1-9]", mantissa):
            return 0
        return "count_out_of_range" if int(exponent) > 0 else "not_a_whole_number"
    number = Decimal(text)
    with decimal.localcontext(decimal.Context(Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)):
        fraction = number != number.to_integral_value()
    if number.copy_abs() > MAX_COUNT:
        # a fraction a hair above the limit reads as the limit in float64: either rule names it rightly
        return "count_out_of_range" if not fraction or abs(number) >= MAX_COUNT + 1 else "either"
    return "not_a_whole_number" if fraction else int(number)


_NUMBERISH = st.one_of(
    st.integers(-3 * MAX_COUNT, 3 * MAX_COUNT).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
    st.from_regex(_ASCII_NUMBER, fullmatch=True),
    st.text(alphabet="0123456789+-.eE,_ xnaIf١", max_size=10),
    st.sampled_from(HOSTILE_NUMBERS),
)


@settings(max_examples=100, deadline=None)
@given(values=st.lists(_NUMBERISH, min_size=1, max_size=20))
@example(values=["1e-400", "2.0000000000000001", "100e-2", "1e400", "1000000000.0000000001", "0e999999999999",
                 "0E7000000000000000000", "1e-7000000000000000000", "-1e7000000000000000000", "12.50e1"])
def test_parse_count_agrees_with_an_exact_reference(values):
    failures = Failures()
    parsed = parse_count(pd.Series(values, dtype="str"), "n", failures)
    rejected = failures.frame().set_index("row")["rule"]
    for row, value in enumerate(values):
        expected = _reference_count(value)
        if expected == "either":
            assert rejected.get(row) in ("count_out_of_range", "not_a_whole_number") and parsed[row] is pd.NA
        elif isinstance(expected, str):
            assert rejected.get(row) == expected and parsed[row] is pd.NA, (value, expected)
        else:
            assert row not in rejected.index, (value, rejected.get(row))
            assert (parsed[row] is pd.NA) if expected is None else parsed[row] == expected, (value, parsed[row])


def test_long_counts_and_counts_with_exponents_are_judged_whole_by_their_digits():
    # over 15 characters or with an exponent, float64 may round to a whole number: the digits decide
    values = ["30.000000000000000", "2.0000000000000001", "1250e-2", "12.50e1", "1e-400", "0.000000000000000e5",
              "1E-400"]  # an exponent in capitals too
    failures = Failures()
    parsed = parse_count(pd.Series(values, dtype="str"), "n", failures)
    assert parsed.tolist() == [30, pd.NA, pd.NA, 125, pd.NA, 0, pd.NA]
    assert failures.frame()[["row", "value", "rule"]].values.tolist() == [
        [1, "2.0000000000000001", "not_a_whole_number"], [2, "1250e-2", "not_a_whole_number"],
        [4, "1e-400", "not_a_whole_number"], [6, "1E-400", "not_a_whole_number"]]


def test_control_characters_of_a_raw_file_never_reach_the_terminal(cli, write_csv):
    rows = acled_rows(3)
    rows[1]["event_type"] = "Bombing\x1b[2J\x07"
    rows[2]["notes"] = "ok\x00"
    code, out, err = cli("validate", write_csv(rows, columns=[*rows[0], "extra\x1b]0;title\x07"]))
    assert code == 1
    assert "\x1b" not in out + err and "\x07" not in out + err and "\x00" not in out + err
    assert "'event_type' = 'Bombing\\x1b[2J\\x07' breaks rule unknown_event_type" in out
    assert "line 4: notes = 'ok\\\\x00': nul_byte" in out and "extra\\x1b]0;title\\x07" in out


def test_a_rejected_value_is_shown_by_its_first_200_characters(write_csv):
    """The ledger shows what was wrong, not a whole pasted article: a rejected value is cut at 200 characters
    (``base.MAX_VALUE_CHARS``); a value of exactly 200 is shown whole."""
    rows = [{**ACLED_ROW, "event_id_cnty": "UKR1", "fatalities": "x" * 150 + "y" * 150},
            {**ACLED_ROW, "event_id_cnty": "UKR2", "fatalities": "z" * 200}]
    result = ingest_file(write_csv(rows), "long.csv")
    assert result.rejects.sort_values("raw_line")[["column", "value", "rule"]].values.tolist() == [
        ["fatalities", "x" * 150 + "y" * 50, "not_a_number"], ["fatalities", "z" * 200, "not_a_number"]]
