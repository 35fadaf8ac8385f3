"""Reading and rewriting large Parquet parts and CSV files a piece at a time gives what reading them whole gives.

The build reads a 25-million-row file in small pyarrow blocks gathered into chunks (csvfile.iter_records) and
looks up, hashes and drops rows of its part a row group at a time (analysis.build.partrows): memory then
stays bounded (benchmarks/). These tests pin that the pieces change nothing: the same records, lines,
malformed records and rows as in one piece.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings, strategies as st

from analysis import config
from analysis.build import partrows
from analysis.sources import csvfile


def write_part(path, rows: int, group_rows: int) -> pa.Table:
    table = pa.table({"event_id": [f"acled:UKR{n}" for n in range(rows)], "raw_line": np.arange(2, rows + 2),
                      "notes": [None if n % 7 == 3 else "x" * (n % 5) for n in range(rows)]})
    pq.write_table(table, path, row_group_size=group_rows)
    return table


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(1, 60), group_rows=st.integers(1, 25), data=st.data())
def test_rows_at_positions_are_the_rows_of_the_whole_table(tmp_path_factory, rows, group_rows, data):
    path = tmp_path_factory.mktemp("part") / "part.parquet"
    table = write_part(path, rows, group_rows)
    positions = np.array(data.draw(st.lists(st.integers(0, rows - 1), max_size=30)), dtype=np.int64)
    assert partrows.rows_at(path, positions).equals(table.take(positions))  # any order, repeats too
    assert partrows.rows_at(path, positions, ["raw_line"]).equals(table.select(["raw_line"]).take(positions))
    whole = pd.util.hash_pandas_object(table.column("event_id").to_pandas(), index=False).to_numpy()
    for rows_per_call in (1, group_rows, 2 * group_rows + 1, rows + 1):  # a group, several, all at a time
        hashed = partrows.column_map(path, "event_id", lambda ids: pd.util.hash_pandas_object(
            ids.to_pandas(), index=False).to_numpy(), np.uint64, rows_per_call)
        assert hashed.dtype == np.uint64 and (hashed == whole).all()

    drop = np.unique(positions)
    partrows.rewrite_without(path, drop)
    kept = np.setdiff1d(np.arange(rows), drop)
    assert pq.read_table(path).equals(table.take(kept))
    assert not list(path.parent.glob("*.tmp"))


def test_rows_at_nothing_and_out_of_range(tmp_path):
    path = tmp_path / "part.parquet"
    write_part(path, 10, 4)
    assert partrows.rows_at(path, np.array([], dtype=np.int64), ["event_id"]).num_rows == 0
    assert partrows.rows_at(path, np.array([], dtype=np.int64)).schema.names == ["event_id", "raw_line", "notes"]
    with pytest.raises(IndexError, match="out of range for part.parquet"):
        partrows.rows_at(path, np.array([10]))
    partrows.rewrite_without(path, np.arange(10))  # every row dropped: an empty table, same columns
    assert pq.read_table(path).num_rows == 0 and pq.read_schema(path).names == ["event_id", "raw_line", "notes"]


def _records(path, chunk_rows=None):
    header = csvfile.read_header(path, "utf-8")
    chunks = list(csvfile.iter_records(path, header, "utf-8", chunk_rows=chunk_rows))
    frame = pd.concat([c.frame for c in chunks], ignore_index=True)
    return chunks, frame, np.concatenate([c.lines for c in chunks]), [m for c in chunks for m in c.malformed]


_VALUE = st.text(alphabet="ab ,\"\n", max_size=12)


@settings(max_examples=40, deadline=None)
@given(records=st.lists(st.one_of(st.tuples(_VALUE, _VALUE), st.tuples(_VALUE), st.tuples(_VALUE, _VALUE, _VALUE)),
                        min_size=1, max_size=60),
       block=st.sampled_from([16, 64, 256]))
def test_small_read_blocks_give_the_same_records_lines_and_malformed_records(tmp_path_factory, records, block):
    """Quoted newlines and records of the wrong width across block boundaries: the same as one block."""
    def quoted(value: str) -> str:
        return '"' + value.replace('"', '""') + '"'

    path = tmp_path_factory.mktemp("csv") / "events.csv"
    path.write_text("event_id,notes\n" + "".join(",".join(map(quoted, r)) + "\n" for r in records), encoding="utf-8")
    _, whole, whole_lines, whole_malformed = _records(path)
    assert len(whole) + len(whole_malformed) == len(records)  # the premise: every record is read
    original = config.CSV_READ_BLOCK_BYTES
    try:
        config.CSV_READ_BLOCK_BYTES = block
        chunks, frame, lines, malformed = _records(path, chunk_rows=3)
    finally:
        config.CSV_READ_BLOCK_BYTES = original
    pd.testing.assert_frame_equal(frame, whole)
    assert lines.tolist() == whole_lines.tolist() and malformed == whole_malformed
    assert all(len(c.frame) >= 3 for c in chunks[:-1])  # blocks gathered up to chunk_rows


def test_read_blocks_are_gathered_into_chunks_of_chunk_rows(tmp_path, monkeypatch):
    """Blocks of 4 KiB (about 60 records each) make chunks of 1,000 records; line numbers run on."""
    path = tmp_path / "events.csv"
    path.write_text("event_id,notes\n" + "".join(f"UKR{n},\"note {n}\nsecond line\"\n" for n in range(5_000)))
    monkeypatch.setattr(config, "CSV_READ_BLOCK_BYTES", 4096)
    chunks, frame, lines, malformed = _records(path, chunk_rows=1_000)
    assert all(1_000 <= len(c.frame) < 1_100 for c in chunks[:-1]) and len(frame) == 5_000 and not malformed
    assert lines.tolist() == list(range(2, 10_002, 2))  # each record spans two lines


def test_a_record_longer_than_a_read_block_is_read_after_the_records_before_it_once(tmp_path, monkeypatch):
    """pyarrow stops at a record longer than its block; the file is parsed again in larger blocks and the
    records already yielded are skipped: each record once, in order, on its own line, malformed ones too."""
    path = tmp_path / "events.csv"
    rows = [f"UKR{n},\"note {n}\"\n" for n in range(3_000)]
    rows[2_500] = "UKR2500,\"" + "long\n" * 5_000 + "\"\n"  # 25 KB over 5,001 lines: longer than 8 blocks of 2 KiB
    rows[100] = "UKR100\n"  # malformed, in a chunk yielded before the long record stopped the first parse
    rows[2_600] = "UKR2600,too,many\n"
    path.write_text("event_id,notes\n" + "".join(rows))
    monkeypatch.setattr(config, "CSV_READ_BLOCK_BYTES", 2048)
    chunks, frame, lines, malformed = _records(path, chunk_rows=500)
    assert len(chunks) >= 5  # the premise: chunks were yielded before the long record stopped the first parse
    assert frame["event_id"].tolist() == [f"UKR{n}" for n in range(3_000) if n not in (100, 2_600)]
    assert frame.loc[2_499, "notes"] == "long\n" * 5_000
    expected = [n + 2 if n <= 2_500 else n + 2 + 5_000 for n in range(3_000)]
    assert lines.tolist() == [line for n, line in enumerate(expected) if n not in (100, 2_600)]
    assert malformed == [(102, 1, "UKR100"), (2_600 + 2 + 5_000, 3, "UKR2600,too,many")]


def test_a_record_longer_than_the_largest_block_is_an_input_error(tmp_path, monkeypatch):
    from analysis.errors import InputError

    path = tmp_path / "events.csv"
    path.write_text("event_id,notes\nUKR1,\"" + "x" * 5_000 + "\"\nUKR2,short\n")
    monkeypatch.setattr(config, "CSV_READ_BLOCK_BYTES", 256)
    monkeypatch.setattr(csvfile, "_LARGEST_BLOCK", 2048)
    with pytest.raises(InputError) as caught:
        _records(path, chunk_rows=10)
    assert (caught.value.path, caught.value.line) == (str(path), None)
    assert caught.value.reason.startswith("the file cannot be parsed as CSV: ")
    assert "straddl" in caught.value.reason  # pyarrow's own words follow: the record outgrew the largest block


def test_the_row_estimate_for_progress_is_exact_for_a_small_file_and_close_for_a_large_one(tmp_path):
    """The progress bar's total: the data rows of a file read whole, or extrapolated from its first 4 MiB."""
    small = tmp_path / "small.csv"
    small.write_text("a,b\n" + "1,2\n" * 9, encoding="utf-8")
    assert csvfile.sniff(small).estimated_rows == 9
    large = tmp_path / "large.csv"
    large.write_text("a,b\n" + "1234567,89\n" * 1_000_000, encoding="utf-8")  # 11 MB, beyond the sample
    assert abs(csvfile.sniff(large).estimated_rows - 1_000_000) <= 1


def test_after_a_long_record_every_later_block_is_read_whole(tmp_path, monkeypatch):
    """The parse started again after a long record skips the records already yielded, and only those: the
    blocks after them (here several of 128 KiB) are read whole."""
    path = tmp_path / "events.csv"
    rows = [f"UKR{n},note {n}\n" for n in range(40_000)]
    rows[8_000] = "UKR8000,\"" + "long\n" * 5_000 + "\"\n"  # 25 KB, 130 KB into the file: past pyarrow's read-ahead
    path.write_text("event_id,notes\n" + "".join(rows))
    monkeypatch.setattr(config, "CSV_READ_BLOCK_BYTES", 2048)
    chunks, frame, lines, malformed = _records(path, chunk_rows=500)
    assert frame["event_id"].tolist() == [f"UKR{n}" for n in range(40_000)] and not malformed
    assert lines.tolist() == [n + 2 if n <= 8_000 else n + 2 + 5_000 for n in range(40_000)]


def test_the_first_line_is_decoded_with_undecodable_bytes_replaced(tmp_path):
    """A byte Windows-1252 leaves undefined (0x81) in the first line does not stop format recognition."""
    path = tmp_path / "odd.csv"
    path.write_bytes(b"a\x81b\tc\r\nsecond\tline\r\n")
    assert csvfile.first_line(path, "cp1252") == "a\ufffdb\tc"


def test_the_encoding_guess_forgives_a_character_cut_by_the_sample_and_not_one_cut_by_the_file_end(tmp_path, monkeypatch):
    """The encoding is guessed from the file's first bytes: a UTF-8 character cut at the end of that sample is
    UTF-8 all the same, but one cut at the end of a file read whole is not UTF-8."""
    monkeypatch.setattr(csvfile, "_SNIFF_ENCODING_BYTES", 7)  # "a,b\nК" and half of "и"
    long = tmp_path / "long.csv"
    long.write_bytes("a,b\nКиїв,1\n".encode("utf-8"))
    assert csvfile.sniff(long).encoding == "utf-8-sig"
    cut = tmp_path / "cut.csv"
    cut.write_bytes("a,b\nК".encode("utf-8") + "и".encode("utf-8")[:1])  # 7 bytes: the whole file, cut
    assert csvfile.sniff(cut).encoding == "cp1252"
