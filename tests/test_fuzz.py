"""No input file may crash ``validate`` or ``build``: property tests on arbitrary bytes and hostile rows.

Every run ends with exit code 0, 1 or 2 (never an internal error), the ledger of
every file balances (rows = accepted + rejected + merged), ``validate`` and
``build`` agree on every file, and the output tables hold exactly the accepted
rows.  The many examples run the library in-process; a handful run the real
command line in a subprocess.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from analysis.build import build
from analysis.errors import AnalysisError
from analysis.sources.base import MAX_COUNT
from analysis.build.validation import validate_files
from hostile import FORMATS, HOSTILE_NUMBERS, valid_rows

NASTY_TEXT = [
    "", " ", '"', '""', 'say "hi"', "a,b", "line\nbreak", "cr\ronly", "\r\n", "\x00", "a\x00b", "\ufeff",
    "Київ", "Mar’yinka", "=cmd|' /C calc'!A0", "#tag", "\u2028", "\x1a", "ÿþ", "NULL", "None", "N/A", "True",
    "x" * 20_001, "2023-03-14", "2023-02-30", "Battles", "UKR1000",
]
CELLS = st.sampled_from(HOSTILE_NUMBERS + NASTY_TEXT) | st.text(max_size=12)
ENCODINGS = ["utf-8", "utf-8-sig", "cp1252"]
_QUIET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@st.composite
def hostile_files(draw) -> bytes:
    """A file of one format: its valid header and rows with random cells, records and bytes spoilt."""
    fmt = draw(st.sampled_from(sorted(FORMATS)))
    _, _, counts = FORMATS[fmt]
    rows = valid_rows(fmt, draw(st.integers(1, 8)))
    columns = list(rows[0])
    for _ in range(draw(st.integers(0, 10))):
        row = draw(st.sampled_from(rows))
        column = draw(st.sampled_from(list(counts) * 3 + columns))  # counts three times as often
        row[column] = draw(CELLS)
    records = [[row[c] for c in columns] for row in rows]
    for _ in range(draw(st.integers(0, 2))):  # duplicate, truncate or extend a record
        i = draw(st.integers(0, len(records) - 1))
        action = draw(st.sampled_from(["duplicate", "truncate", "extend"]))
        if action == "duplicate":
            records.insert(draw(st.integers(0, len(records))), list(records[i]))
        elif action == "truncate":
            records[i] = records[i][: draw(st.integers(0, len(columns) - 1))]
        else:
            records[i] = records[i] + ["surplus"]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(columns)
    writer.writerows(records)
    data = buffer.getvalue().encode(draw(st.sampled_from(ENCODINGS)), errors="replace")
    if draw(st.booleans()):  # stray bytes anywhere after the header: Latin-1, broken UTF-8, NUL, quotes
        header_end = data.index(b"\n") + 1
        at = draw(st.integers(header_end, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    return data


def _validate(path) -> tuple[int, dict]:
    """``analysis validate`` in-process: (exit code, the file's result); checks its ledger."""
    try:
        result = validate_files([path])[0]
    except AnalysisError:
        return 2, {}
    assert result["exit_code"] in (0, 1, 2)
    if result["error"] is None:
        assert result["rows"] == result["accepted"] + result["rejected"] + result["merged"]
        assert len({e["line"] for e in result["errors"]}) == result["rejected"]
    else:
        assert result["exit_code"] == 2
    return result["exit_code"], result


def _build(raw, processed) -> tuple[int, dict]:
    """``analysis build`` in-process: (exit code, manifest); checks every ledger and the outputs against them."""
    try:
        report = build(raw, processed, force=True, progress=False, quiet=True)
    except AnalysisError:
        return 2, {}
    manifest = report.manifest
    accepted = 0
    for entry in manifest["inputs"]:
        assert entry["rows"] == entry["accepted"] + entry["rejected"] + entry["merged"], entry
        accepted += entry["accepted"]
    tables = [pd.read_parquet(processed / name) for name in ("events.parquet", "claims.parquet", "air_attacks.parquet")]
    assert sum(len(t) for t in tables) == accepted
    for table in tables:  # accepted counts are whole numbers in [0, MAX_COUNT]
        for column in ("fatalities", "injured", "civilians_killed", "civilians_injured", "buildings_damaged", "value",
                       "launched", "destroyed", "not_reached_target", "period_days"):
            if column in table:
                assert table[column].dropna().between(0, MAX_COUNT).all(), column
    rejects = pd.read_csv(processed / "rejects.csv", dtype=str, keep_default_na=False)
    assert "\x00" not in "".join(rejects["value"])
    assert len(rejects[["raw_file", "raw_line"]].drop_duplicates()) == manifest["totals"]["rejected"]
    return (2 if report.file_errors else 0), manifest


def _check_both(data: bytes, tmp_path_factory) -> None:
    raw = tmp_path_factory.mktemp("raw")
    path = raw / "fuzz.csv"
    path.write_bytes(data)
    code, result = _validate(path)
    built, manifest = _build(raw, raw.parent / f"{raw.name}-processed")
    if code == 2:  # the file is unreadable as a whole: the build says so and builds the rest (here: nothing)
        assert built == 2 and [e["path"] for e in manifest["file_errors"]] == ["fuzz.csv"]
    else:  # validate and build agree on every count
        assert built == 0
        entry = manifest["inputs"][0]
        keys = ("format", "rows", "accepted", "rejected", "merged", "blank_rows")
        assert {k: entry[k] for k in keys} == {k: result[k] for k in keys}


_HEADERS = st.sampled_from([",".join(row).encode() + b"\n" for row, _, _ in FORMATS.values()])


@settings(max_examples=15, deadline=None, suppress_health_check=_QUIET)
@given(data=st.binary(max_size=300) | st.tuples(_HEADERS, st.binary(max_size=300)).map(b"".join))
@example(data=b"\x00")
@example(data=b'"')
@example(data=b"\xef\xbb\xbf")
@example(data=b"a\n" + b"\x00" * 10)
def test_arbitrary_bytes(data, tmp_path_factory):
    """Any bytes, alone or after the header of a format."""
    _check_both(data, tmp_path_factory)


@settings(max_examples=10, deadline=None, suppress_health_check=_QUIET)
@given(data=hostile_files())
def test_arbitrary_rows_of_every_format(data, tmp_path_factory):
    _check_both(data, tmp_path_factory)


@settings(max_examples=50, deadline=None, suppress_health_check=_QUIET)
@given(data=hostile_files())
def test_validate_of_arbitrary_rows_of_every_format(data, tmp_path_factory):
    """validate alone is fast: many more examples than with the build."""
    path = tmp_path_factory.mktemp("raw") / "fuzz.csv"
    path.write_bytes(data)
    _validate(path)


# ---------------------------------------------------------------- the command line, in a subprocess
def test_the_command_line_on_hostile_files_of_every_format(tmp_path):
    """One file per format with a hostile count and a NUL byte, and a README: no traceback, balanced ledgers."""
    raw = tmp_path / "raw"
    raw.mkdir()
    rows = {fmt: valid_rows(fmt, 4) for fmt in FORMATS}
    rows["acled"][1]["fatalities"] = "99999999999999999999"
    rows["ucdp_ged"][2]["deaths_a"] = "1e19"
    rows["news"][1]["civilians_killed"] = "１２"
    rows["reported_claim"][3]["value"] = "-1e308"
    rows["air_force"][0]["launched"] = "inf"
    for fmt, records in rows.items():
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, fieldnames=list(records[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
        (raw / f"{fmt}.csv").write_bytes(buffer.getvalue().encode() + b"x,a\x00b\n")
    (raw / "README.txt").write_text("not data\n")
    run = [sys.executable, "-m", "analysis"]
    files = sorted(raw.glob("*.csv"))
    validate = subprocess.run([*run, "validate", "--json", *files], capture_output=True, text=True)
    built = subprocess.run([*run, "build", "-q", "--raw-dir", raw, "--processed-dir", tmp_path / "processed"],
                           capture_output=True, text=True)
    for proc in (validate, built):
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    assert validate.returncode == 1 and built.returncode == 0, validate.stderr + built.stderr
    results = json.loads(validate.stdout)
    # every file: 5 rows, the hostile one and the short 'x,a\x00b' record rejected
    assert [(r["rows"], r["accepted"], r["rejected"]) for r in results] == [(5, 3, 2)] * 5
    for result in results:
        assert {e["rule"] for e in result["errors"]} in ({"count_out_of_range", "too_few_fields"},
                                                         {"not_a_number", "too_few_fields"}), result["errors"]
    manifest = json.loads((tmp_path / "processed" / "manifest.json").read_text())
    assert [(e["rows"], e["accepted"], e["rejected"]) for e in manifest["inputs"]] == [(5, 3, 2)] * 5
    assert manifest["skipped_files"] == [{"path": "README.txt", "reason": "not a .csv file"}]
