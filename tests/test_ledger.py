"""Nothing lost: corrupt random cells and rows of valid files; every record ends in exactly one bucket.

The expected record start lines are computed independently with Python's csv
module, so the property also checks the line numbers the package reports.
"""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from analysis.build.dedupe import IdRegistry
from analysis.build.ingest import ingest_file
from conftest import ACLED_ROW, acled_rows

COLUMNS = list(ACLED_ROW)
NASTY = ["", "-1", "abc", "9999-99-99", "2023-02-30", "95.5", "-181", "1e9", "3.5", '"', "line\nbreak",
         "Київ", "Mar'yinka", " 7 ", "NaN", "None", "#tag", "x" * 25_000, "0", "Battles", "UKR1000"]


@st.composite
def corrupted_files(draw):
    n = draw(st.integers(min_value=1, max_value=25))
    rows = [dict(r) for r in acled_rows(n)]
    for _ in range(draw(st.integers(min_value=0, max_value=12))):  # corrupt cells
        row = draw(st.integers(min_value=0, max_value=n - 1))
        column = draw(st.sampled_from(COLUMNS))
        rows[row][column] = draw(st.sampled_from(NASTY) | st.text(max_size=12))
    terminator = draw(st.sampled_from(["\n", "\r\n"]))
    if terminator == "\n":  # csv.writer leaves a lone \r unquoted then: a broken file, not this test's subject
        rows = [{k: v.replace("\r", "") for k, v in r.items()} for r in rows]
    records = [[r[c] for c in COLUMNS] for r in rows]
    for _ in range(draw(st.integers(min_value=0, max_value=4))):  # duplicate, truncate or extend rows
        i = draw(st.integers(min_value=0, max_value=len(records) - 1))
        action = draw(st.sampled_from(["duplicate", "truncate", "extend"]))
        if action == "duplicate":
            records.insert(draw(st.integers(0, len(records))), list(records[i]))
        elif action == "truncate":
            records[i] = records[i][: draw(st.integers(1, len(COLUMNS) - 1))]
        else:
            records[i] = records[i] + ["surplus"] * draw(st.integers(1, 3))
    return records, terminator


def _write(records, terminator="\n", *, tmp_path) -> tuple:
    return _write_file(records, tmp_path, terminator)


def _write_file(records, tmp_path, terminator: str = "\n") -> tuple:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=terminator)  # quotes fields holding \r or \n
    writer.writerow(COLUMNS)
    writer.writerows(records)
    text = buffer.getvalue().replace("\x00", "")
    path = tmp_path / "corrupted.csv"
    path.write_bytes(text.encode("utf-8"))
    return path, text


def _record_start_lines(text: str) -> list[int]:
    """1-based start line of every non-blank data record, by the csv module."""
    reader = csv.reader(io.StringIO(text, newline="\n"))  # lines end at \n, as grep -n and sed count them
    next(reader)
    starts, line = [], reader.line_num + 1
    for record in reader:
        if any(field for field in record):
            starts.append(line)
        line = reader.line_num + 1
    return starts


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(corrupted=corrupted_files())
@example(corrupted=([[""], [acled_rows(1)[0][c] for c in COLUMNS]], "\n"))  # '""': one empty field is a blank record
def test_every_record_is_accepted_rejected_or_merged_exactly_once(corrupted, tmp_path):
    path, text = _write(*corrupted, tmp_path=tmp_path)
    result = ingest_file(path, "corrupted.csv", IdRegistry())
    ledger = result.ledger
    expected_lines = _record_start_lines(text)

    assert ledger.rows == len(expected_lines)
    assert ledger.accepted + ledger.rejected + ledger.merged == ledger.rows
    accepted = set(result.accepted["raw_line"])
    rejected = set(result.rejects["raw_line"])
    merged = set(result.merged["raw_line"])
    assert len(accepted) == ledger.accepted and len(rejected) == ledger.rejected and len(merged) == ledger.merged
    assert not (accepted & rejected) and not (accepted & merged) and not (rejected & merged)
    assert accepted | rejected | merged == set(expected_lines)
    assert result.accepted["event_id"].is_unique
    assert set(result.merged["merged_into_line"]) <= accepted


def test_records_with_too_few_fields_are_rejected_not_silently_padded(tmp_path):
    records = [[ACLED_ROW[c] for c in COLUMNS][:-3]]  # tags, timestamp and fatalities missing
    path, _ = _write(records, tmp_path=tmp_path)
    result = ingest_file(path, "short.csv")
    assert result.ledger.rejected == 1


def test_line_numbers_hold_across_many_chunks(tmp_path):
    """A file of about 1 MB read in 64 KB blocks, with malformed and multi-line records spread through it."""
    rows = [dict(r) for r in acled_rows(3000)]
    for i in range(0, 3000, 97):
        rows[i]["notes"] = "first\nsecond"
    records = [[r[c] for c in COLUMNS] for r in rows]
    for i in range(5, 3000, 211):
        records[i] = records[i][:10]  # too few fields
    for i in range(7, 3000, 307):
        records[i] = records[i] + ["extra"]  # too many fields
    path, text = _write(records, tmp_path=tmp_path)
    result = ingest_file(path, "big.csv", IdRegistry(), chunk_rows=100)
    expected = _record_start_lines(text)
    got = sorted(set(result.accepted["raw_line"]) | set(result.rejects["raw_line"]) | set(result.merged["raw_line"]))
    assert got == expected
    bad = result.rejects.set_index("raw_line")["rule"]
    assert (bad == "too_few_fields").sum() == len(range(5, 3000, 211))
    assert (bad == "too_many_fields").sum() == len(range(7, 3000, 307))
    assert bad.loc[expected[5]] == "too_few_fields" and bad.loc[expected[7]] == "too_many_fields"


@pytest.mark.parametrize("chunk_rows", [None, 2], ids=["one chunk", "chunks of two records"])
def test_blank_records_are_counted_and_a_malformed_record_is_rejected_naming_the_header(tmp_path, chunk_rows):
    """Hand-counted ledger: empty lines and records whose only field is empty ('""', malformed as records)
    are blank rows, counted in every chunk; a record with a field too many is a data row, rejected."""
    rows = [[r[c] for c in COLUMNS] for r in acled_rows(4)]
    # lines: 1 header, 2 row, 3 '""', 4 empty, 5 row + extra field, 6 '""', 7 row, 8 empty, 9 row
    records = [rows[0], [""], [], rows[1] + ["extra"], [""], rows[2], [], rows[3]]
    path, _ = _write(records, tmp_path=tmp_path)
    result = ingest_file(path, "blank.csv", IdRegistry(), **({"chunk_rows": chunk_rows} if chunk_rows else {}))
    ledger = result.ledger
    assert (ledger.rows, ledger.blank_rows, ledger.accepted, ledger.rejected, ledger.merged) == (4, 4, 3, 1, 0)
    assert result.rejects[["raw_line", "column", "rule", "message"]].values.tolist() == [
        [5, "", "too_many_fields", f"the row has {len(COLUMNS) + 1} fields, the header {len(COLUMNS)}"]]


def test_blank_rows_in_every_chunk_of_a_large_file_are_all_counted(tmp_path):
    """A file of about 1 MB read in 64 KB blocks: the blank rows of each chunk add up in the file's ledger."""
    records = []
    for i, row in enumerate(acled_rows(3000)):
        records.append([row[c] for c in COLUMNS])
        if i % 50 == 0:
            records.append([])  # an empty line: 60 of them
        if i % 75 == 0:
            records.append([""])  # '""': 40 of them
    path, _ = _write(records, tmp_path=tmp_path)
    ledger = ingest_file(path, "big.csv", IdRegistry(), chunk_rows=100).ledger
    assert (ledger.rows, ledger.blank_rows, ledger.accepted) == (3000, 100, 3000)


@pytest.mark.parametrize("warned", [-1, 3])
def test_a_ledger_with_more_warned_rows_than_accepted_or_fewer_than_none_does_not_balance(warned):
    """Warned rows are accepted rows that carry a warning: a count outside 0..accepted is a counting bug."""
    from analysis.build.ingest import Ledger

    ledger = Ledger("x.csv", "acled", "acled", "utf-8", "0" * 64, 10, rows=3, accepted=2, rejected=1, warned=warned)
    with pytest.raises(AssertionError) as caught:
        ledger.check()
    assert str(caught.value) == f"x.csv: {warned} warned of 2 accepted rows"
    Ledger("x.csv", "acled", "acled", "utf-8", "0" * 64, 10, rows=3, accepted=2, rejected=1, warned=2).check()


@pytest.mark.parametrize("ended", ["accepted", "rejected", "merged", "deleted"])
def test_a_ledger_balances_with_rows_in_every_end_and_not_with_one_row_too_many_in_any(ended):
    """Each of the four ends counts once: a row deleted by the source in a later snapshot still balances the
    ledger, and one row too many in any end does not."""
    from analysis.build.ingest import Ledger

    ends = {"accepted": 4, "rejected": 3, "merged": 2, "deleted": 1}
    Ledger("x.csv", "acled", "acled", "utf-8", "0" * 64, 10, rows=10, **ends).check()
    with pytest.raises(AssertionError) as caught:
        Ledger("x.csv", "acled", "acled", "utf-8", "0" * 64, 10, rows=10, **{**ends, ended: ends[ended] + 1}).check()
    assert str(caught.value) == "x.csv: ledger does not balance (11 != 10 rows)"


def test_a_value_that_is_only_a_line_break_still_moves_the_line_numbers_after_it(tmp_path):
    """The one newline of a column (a note that is just a line break, the other notes empty) is counted: the
    record after it is numbered from its physical line."""
    from analysis.build.ingest import ingest_file
    from conftest import ACLED_ROW, to_csv_text

    rows = [{**ACLED_ROW, "event_id_cnty": f"UKR{i}", "notes": ""} for i in range(3)]
    rows[1]["notes"] = "\n"  # lines 3-4
    rows[2]["event_date"] = "not a date"  # line 5
    path = tmp_path / "breaks.csv"
    path.write_text(to_csv_text(rows), encoding="utf-8")
    result = ingest_file(path, "breaks.csv")
    assert result.rejects[["raw_line", "column"]].values.tolist() == [[5, "event_date"]]
    assert result.accepted["raw_line"].tolist() == [2, 3]
