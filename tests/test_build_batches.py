"""Small raw files read in groups and validated in batches (GDELT's one file every 15 minutes): the same
ledger, rows and bytes as when every file is read on its own; row groups of the events table coalesced."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings, strategies as st

from analysis import config
from analysis.build import build, dedupe, parts, pipeline
from analysis.build.gdelt_synth import write_gdelt_files
from analysis.build import ingest
from analysis.build.ingest import Piece, ingest_pieces, read_records
from analysis.tables import schemas
from conftest import acled_rows, to_csv_text

LEDGER_FILES = ("rejects.csv", "merged.csv", "warnings.csv", "deleted.csv", "unmatched_places.csv")


def _mixed_raw(raw):
    """Small files of every kind a batch must keep apart: ACLED with a rejected row, a malformed record, a blank
    line and ids repeated within and across files; GDELT; a header without rows; an unreadable (empty) file;
    a Windows-1252 file; an ACLED file with a column less (another batch key)."""
    raw.mkdir()
    write_gdelt_files(raw, rows=60, seed=5, files=3, other_share=0.2)
    rows = acled_rows(12)
    bad = [dict(r) for r in rows[:4]]
    bad[1]["fatalities"] = "-2"
    text = to_csv_text(bad + [rows[0]])
    lines = text.splitlines()
    lines.insert(3, "")  # a blank record
    lines.insert(5, lines[2] + ",extra")  # too many fields
    (raw / "a_acled.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (raw / "b_acled.csv").write_text(to_csv_text(rows[3:8]), encoding="utf-8")  # UKR1003 repeats a's
    (raw / "c_empty.csv").write_bytes(b"")
    (raw / "d_header_only.csv").write_text(to_csv_text(rows[:1]).splitlines()[0] + "\n", encoding="utf-8")
    cp1252 = [{**r, "notes": "Caf\u00e9 hit"} for r in rows[8:10]]
    (raw / "e_cp1252.csv").write_bytes(to_csv_text(cp1252).encode("cp1252"))
    fewer = [{k: v for k, v in r.items() if k != "tags"} for r in rows[10:12]]
    (raw / "f_acled_no_tags.csv").write_text(to_csv_text(fewer), encoding="utf-8")
    return raw


def _outputs(out):
    manifest = json.loads((out / "manifest.json").read_text())
    return manifest, pd.read_parquet(out / "events.parquet"), {n: (out / n).read_bytes() for n in LEDGER_FILES}


@pytest.mark.parametrize("chunk_rows", [100_000, 7])
def test_small_files_in_batches_give_the_ledger_rows_and_bytes_of_files_read_alone(tmp_path, monkeypatch,
                                                                                    chunk_rows):
    raw = _mixed_raw(tmp_path / "raw")
    monkeypatch.setattr(config, "CSV_CHUNK_ROWS", chunk_rows)
    batches = []
    real = parts.ingest_pieces
    monkeypatch.setattr(parts, "ingest_pieces", lambda pieces, *a: batches.append(
        sorted({p.raw_file for p in pieces})) or real(pieces, *a))
    batched = build(raw, tmp_path / "batched", quiet=True)
    if chunk_rows > 100:  # the GDELT files in one batch, the ACLED ones of the same columns in another
        assert sorted(map(tuple, batches))[:2] == [
            ("20240315000000.export.CSV", "20240315001500.export.CSV", "20240315003000.export.CSV"),
            ("a_acled.csv", "b_acled.csv", "e_cp1252.csv")]  # d_header_only.csv: no records, in no chunk
    else:  # a batch of several files holds no more than chunk_rows records (a (6 records) and b (5) apart)
        assert ["a_acled.csv"] in batches and ["b_acled.csv", "e_cp1252.csv"] in batches
    monkeypatch.setattr(config, "BATCH_FILE_BYTES", 0)  # every file alone, streamed chunk by chunk
    batches.clear()
    alone = build(raw, tmp_path / "alone", quiet=True)
    assert batches == []
    manifest, events, ledgers = _outputs(tmp_path / "batched")
    manifest_alone, events_alone, ledgers_alone = _outputs(tmp_path / "alone")
    assert manifest["inputs"] == manifest_alone["inputs"] and manifest["totals"] == manifest_alone["totals"]
    assert batched.file_errors == alone.file_errors == [
        {"path": "c_empty.csv", "line": None, "error": "the file is empty; expected a CSV file with a header row"}]
    pd.testing.assert_frame_equal(events, events_alone)
    assert ledgers == ledgers_alone
    inputs = {e["path"]: e for e in manifest["inputs"]}
    a = inputs["a_acled.csv"]
    assert (a["rows"], a["accepted"], a["rejected"], a["merged"], a["blank_rows"]) == (6, 3, 2, 1, 1)
    assert (inputs["b_acled.csv"]["accepted"], inputs["b_acled.csv"]["merged"]) == (4, 1)
    assert inputs["d_header_only.csv"]["warnings"] == ["the file has a header but no data rows"]
    assert inputs["e_cp1252.csv"]["encoding"] == "cp1252" and inputs["e_cp1252.csv"]["accepted"] == 2
    rejects = pd.read_csv(tmp_path / "batched" / "rejects.csv")
    assert rejects.loc[rejects["raw_file"] == "a_acled.csv", ["raw_line", "rule"]].values.tolist() == [
        [3, "negative_count"], [6, "too_many_fields"]]


def test_ingest_pieces_counts_each_file_in_its_own_ledger(tmp_path):
    rows = acled_rows(5)
    rows[1]["fatalities"] = "x"
    (tmp_path / "a.csv").write_text(to_csv_text(rows[:3]), encoding="utf-8")
    (tmp_path / "b.csv").write_text(to_csv_text(rows[3:]) + "\n", encoding="utf-8")  # and a blank record
    read = [read_records(tmp_path / name, name) for name in ("a.csv", "b.csv")]
    opened = read[0][0]
    pieces = [Piece(chunks[0], ledger.path, ledger, True) for _, chunks, ledger in read]
    result = ingest_pieces(pieces, opened.reader, opened.layout, schemas.TABLES["events"])
    a, b = read[0][2], read[1][2]
    assert (a.rows, a.accepted, a.rejected, a.blank_rows) == (3, 2, 1, 0)
    assert (b.rows, b.accepted, b.rejected, b.blank_rows) == (2, 2, 0, 1)
    assert result.accepted[["raw_file", "raw_line"]].values.tolist() == [
        ["a.csv", 2], ["a.csv", 4], ["b.csv", 2], ["b.csv", 3]]
    assert result.rejects[["raw_file", "raw_line", "column", "value"]].values.tolist() == [
        ["a.csv", 3, "fatalities", "x"]]


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 6).flatmap(lambda width: st.lists(st.lists(
    st.none() | st.sampled_from(["", "#", "#adm1", "#date +start", " #x", "x", "UKR1"]), min_size=width,
    max_size=width), max_size=6)))
def test_hxl_tag_rows_are_told_by_their_fields(records):
    """A tag row: every field that is not empty starts with '#', and at least one field is not empty (a missing
    field counts as not empty and not a tag)."""
    width = len(records[0]) if records else 0
    frame = pd.DataFrame(records, columns=[f"c{i}" for i in range(width)], dtype="str")
    expected = [any(v != "" for v in r) and all(v is not None and v.startswith("#") for v in r if v != "")
                for r in records]
    assert ingest._hxl_rows(frame).tolist() == expected


def test_many_small_parts_make_full_row_groups(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    write_gdelt_files(raw, rows=500, seed=4, files=20, other_share=0.0)
    monkeypatch.setattr(config, "CSV_CHUNK_ROWS", 60)  # batches of two files (25 rows each), ten parts
    report = build(raw, tmp_path / "processed", quiet=True)
    events = pq.ParquetFile(tmp_path / "processed" / "events.parquet")
    sizes = [events.metadata.row_group(i).num_rows for i in range(events.num_row_groups)]
    assert report.manifest["outputs"]["events.parquet"]["rows"] == sum(sizes) == 500
    assert sizes == [60] * 8 + [20]


def test_a_batch_is_written_while_the_next_is_read_and_a_failure_there_stops_the_build(tmp_path, monkeypatch):
    """A batch's part is still matching and writing when the next batch's files are read (both are open at
    once), and parts are collected in file order; a failure on that thread stops the build, leaving the
    processed folder as it was (no part, no work folder)."""
    raw = tmp_path / "raw"
    write_gdelt_files(raw, rows=500, seed=4, files=20, other_share=0.0)
    monkeypatch.setattr(config, "CSV_CHUNK_ROWS", 60)  # batches of two files, ten parts
    reading_while_writing, real_read = [], parts.read_records
    opened = {"now": 0, "most": 0}
    real_init, real_exit = parts.Part.__init__, parts.Part.__exit__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        opened["now"] += 1
        opened["most"] = max(opened["most"], opened["now"])

    def exit_(self, *args):
        opened["now"] -= 1
        return real_exit(self, *args)

    monkeypatch.setattr(parts.Part, "__init__", init)
    monkeypatch.setattr(parts.Part, "__exit__", exit_)
    monkeypatch.setattr(parts, "read_records", lambda *a: reading_while_writing.append(opened["now"]) or real_read(*a))
    build(raw, tmp_path / "processed", quiet=True)
    assert opened == {"now": 0, "most": 2} and max(reading_while_writing) == 1
    alone = tmp_path / "alone"
    monkeypatch.setattr(config, "BATCH_FILE_BYTES", 0)  # every file on its own: the same table
    build(raw, alone, quiet=True)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "processed" / "events.parquet"),
                                  pd.read_parquet(alone / "events.parquet"))

    monkeypatch.setattr(config, "BATCH_FILE_BYTES", 1 << 20)
    before = sorted(p.name for p in (tmp_path / "processed").iterdir())
    calls = []
    real_finish = parts.finish

    def finish(target, item):
        calls.append(target)
        if len(calls) == 3:  # the third batch, while the fourth is read
            raise RuntimeError("matching failed")
        return real_finish(target, item)

    monkeypatch.setattr(parts, "finish", finish)
    with pytest.raises(RuntimeError, match="matching failed"):
        build(raw, tmp_path / "processed", quiet=True, force=True)
    assert opened["now"] == 0 and sorted(p.name for p in (tmp_path / "processed").iterdir()) == before


def test_unmatched_places_and_coverage_read_a_row_group_at_a_time_are_those_of_the_whole_table(tmp_path,
                                                                                               monkeypatch):
    from analysis import places
    from analysis.build.synth import write_synthetic_acled

    raw = tmp_path / "raw"
    raw.mkdir()
    write_synthetic_acled(raw / "synthetic.csv", rows=300, seed=3)
    rows = acled_rows(40)
    for number, row in enumerate(rows):
        row["location"] = ["Nowhereville", "Elsewhere", "Nowhereville"][number % 3]
        row["admin1"] = ["Donetsk", "Kharkiv", ""][number % 3]
    (raw / "unmatched.csv").write_text(to_csv_text(rows), encoding="utf-8")
    monkeypatch.setattr(config, "CSV_CHUNK_ROWS", 50)  # row groups of 50 rows
    report = build(raw, tmp_path / "processed", quiet=True)
    events = pd.read_parquet(tmp_path / "processed" / "events.parquet")
    assert pq.ParquetFile(tmp_path / "processed" / "events.parquet").num_row_groups > 5
    expected = places.unmatched_summary(events)
    assert len(expected) >= 3 and expected["rows"].sum() >= 40
    written = pd.read_csv(tmp_path / "processed" / "unmatched_places.csv", keep_default_na=False)
    assert written.astype(str).values.tolist() == expected.fillna("").astype(str).values.tolist()
    coverage = {(c["source_dataset"], c["is_synthetic"]): c for c in report.manifest["coverage"]}
    for (source, synthetic), group in events.groupby(["source_dataset", "is_synthetic"]):
        entry = coverage[(source, bool(synthetic))]
        assert entry["rows"] == len(group)
        assert entry["first_date"] == group["event_date"].min().strftime("%Y-%m-%d")
        assert entry["last_date"] == group["event_end_date"].max().strftime("%Y-%m-%d")


def test_only_rows_whose_id_hash_repeats_go_to_the_registry_and_a_shared_hash_changes_nothing(tmp_path,
                                                                                              monkeypatch):
    for name, ids in {"a.parquet": ["x", "y", "z"], "b.parquet": ["w", "x", "v", "z"]}.items():
        pq.write_table(pyarrow.table({"event_id": ids}), tmp_path / name)
    files = [tmp_path / "a.parquet", tmp_path / "b.parquet"]
    assert [list(c) for c in pipeline._repeat_candidates(files, "event_id")] == [[0, 2], [1, 3]]
    raw = _mixed_raw(tmp_path / "raw")
    build(raw, tmp_path / "distinct", quiet=True)
    collide = lambda ids: np.zeros(len(ids), dtype=np.uint64)  # noqa: E731 - every id the same hash
    monkeypatch.setattr(pipeline, "id_hashes", collide)  # the build's pre-filter
    monkeypatch.setattr(dedupe, "id_hashes", collide)  # and the registry's own comparison
    build(raw, tmp_path / "colliding", quiet=True)
    first, second = _outputs(tmp_path / "distinct"), _outputs(tmp_path / "colliding")
    assert first[0]["inputs"] == second[0]["inputs"] and first[0]["outputs"] == second[0]["outputs"]
    assert first[2] == second[2] and any(e["merged"] for e in first[0]["inputs"])
