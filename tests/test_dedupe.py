"""One merge path for repeated ids: in one chunk, across chunks, across files; one Windows-1252 retry.

Every case runs through the three ways raw files are read: ``ingest_file``
(in memory), ``analysis validate`` (streaming) and ``analysis build``; each must
give the hand-computed merged rows, ledgers and warnings below.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import config
from analysis.build import ingest
from analysis.build import build
from analysis.build.dedupe import DIFFERENT_CONTENT_RULE, Batch, IdRegistry, described
from analysis.build.ingest import ingest_file
from analysis.build.validation import validate_files
from conftest import acled_rows, to_csv_text

LEDGER = ("rows", "accepted", "rejected", "merged", "warned")


def three_paths(raw: Path, tmp_path: Path) -> dict[str, dict]:
    """Per path: ledgers {file: (rows, accepted, rejected, merged, warned)}, merged rows and warnings (file names)."""
    files = sorted(raw.glob("*.csv"))
    registry = IdRegistry()
    memory = [ingest_file(path, path.name, registry) for path in files]
    streamed = validate_files(files)
    report = build(raw, tmp_path / "processed", force=True, quiet=True)
    built_merged = pd.read_csv(report.generation / config.MERGED_FILE, dtype={"raw_line": "int64"},
                               keep_default_na=False)
    built_warnings = pd.read_csv(report.generation / config.WARNINGS_FILE, keep_default_na=False)
    return {
        "memory": {"ledgers": {r.ledger.path: tuple(getattr(r.ledger, k) for k in LEDGER) for r in memory},
                   "encodings": {r.ledger.path: r.ledger.encoding for r in memory},
                   "accepted": pd.concat([r.accepted for r in memory], ignore_index=True),
                   "merged": _merged(pd.concat([r.merged for r in memory])),
                   "warnings": _warnings(pd.concat([r.warnings for r in memory]))},
        "validate": {"ledgers": {Path(r["path"]).name: tuple(r[k] for k in LEDGER) for r in streamed},
                     "encodings": {Path(r["path"]).name: r["encoding"] for r in streamed},
                     "merged": [(Path(r["path"]).name, m["line"], m["event_id"], Path(m["merged_into_file"]).name,
                                 m["merged_into_line"], m["is_identical"]) for r in streamed for m in r["merged_rows"]],
                     "warnings": [(Path(r["path"]).name, w["line"], w["rule"]) for r in streamed
                                  for w in r["row_warnings"]]},
        "build": {"ledgers": {e["path"]: tuple(e[k] for k in LEDGER) for e in report.manifest["inputs"]},
                  "encodings": {e["path"]: e["encoding"] for e in report.manifest["inputs"]},
                  "merged": _merged(built_merged),
                  "warnings": _warnings(built_warnings[built_warnings["rule"] != DIFFERENT_CONTENT_RULE]),
                  "conflicts": built_warnings[built_warnings["rule"] == DIFFERENT_CONTENT_RULE][
                      ["raw_file", "raw_line", "value", "message"]].values.tolist()},
    }


def _merged(frame: pd.DataFrame) -> list[tuple]:
    return [(r.raw_file, int(r.raw_line), r.event_id, r.merged_into_file, int(r.merged_into_line),
             bool(r.is_identical)) for r in frame.itertuples()]


def _warnings(frame: pd.DataFrame) -> list[tuple]:
    return [(r.raw_file, int(r.raw_line), r.rule) for r in frame.itertuples()]


def assert_every_path(results: dict, ledgers: dict, merged: list, warnings: list) -> None:
    for path, got in results.items():
        assert got["ledgers"] == ledgers, path
        assert got["merged"] == merged, path
        assert got["warnings"] == warnings, path


def conflict(file: str, line: int, event_id: str, kept: str, other_file: bool = False) -> list:
    return [file, line, event_id, f"id {event_id} is also at {kept}, with different content; {kept} was kept and "
            "this row merged into it (its values are not in the output)" + ("; two files give this id" * other_file)]


@pytest.fixture
def raw(tmp_path) -> Path:
    folder = tmp_path / "raw"
    folder.mkdir()
    return folder


def test_repeats_in_one_chunk_merge_into_the_first_row_and_lose_their_warnings(raw, tmp_path):
    rows = acled_rows(2)  # lines 2 and 3
    rows += [dict(rows[0]),  # line 4: the same content as line 2
             {**rows[1], "fatalities": "2"},  # line 5: another count than line 3
             {**rows[0], "latitude": "43.5", "longitude": "33.5"}]  # line 6: at sea, which alone is a warning
    (raw / "one.csv").write_text(to_csv_text(rows))
    results = three_paths(raw, tmp_path)
    assert_every_path(results, ledgers={"one.csv": (5, 2, 0, 3, 0)}, warnings=[], merged=[
        ("one.csv", 4, "acled:UKR1000", "one.csv", 2, True),
        ("one.csv", 5, "acled:UKR1001", "one.csv", 3, False),
        ("one.csv", 6, "acled:UKR1000", "one.csv", 2, False)])
    assert results["build"]["conflicts"] == [conflict("one.csv", 5, "acled:UKR1001", "one.csv line 3"),
                                             conflict("one.csv", 6, "acled:UKR1000", "one.csv line 2")]


def test_a_new_row_at_sea_keeps_its_warning(raw, tmp_path):
    rows = acled_rows(2) + [{**acled_rows(1)[0], "event_id_cnty": "UKR9", "latitude": "43.5", "longitude": "33.5"}]
    (raw / "one.csv").write_text(to_csv_text(rows))
    assert_every_path(three_paths(raw, tmp_path), ledgers={"one.csv": (3, 3, 0, 0, 1)}, merged=[],
                      warnings=[("one.csv", 4, "coordinates_outside_land_extent")])


def test_repeats_across_chunks_merge_into_rows_of_earlier_chunks(raw, tmp_path, monkeypatch):
    monkeypatch.setattr(config, "CSV_CHUNK_ROWS", 100)  # the smallest block: 64 KiB, about 180 of these rows
    rows = acled_rows(400)  # lines 2 to 401
    rows += [dict(rows[0]), {**rows[1], "notes": "Another account."}, dict(rows[399])]  # lines 402 to 404
    (raw / "long.csv").write_text(to_csv_text(rows))
    chunks = [chunk.accepted["raw_line"].tolist() for chunk in ingest.iter_ingest(raw / "long.csv", "long.csv")]
    assert len(chunks) == 3 and 2 in chunks[0] and 3 in chunks[0] and 402 in chunks[2]  # the premise
    results = three_paths(raw, tmp_path)
    assert_every_path(results, ledgers={"long.csv": (403, 400, 0, 3, 0)}, warnings=[], merged=[
        ("long.csv", 402, "acled:UKR1000", "long.csv", 2, True),
        ("long.csv", 403, "acled:UKR1001", "long.csv", 3, False),
        ("long.csv", 404, "acled:UKR1399", "long.csv", 401, True)])
    assert results["build"]["conflicts"] == [conflict("long.csv", 403, "acled:UKR1001", "long.csv line 3")]
    events = pd.read_parquet(tmp_path / "processed" / config.EVENTS_FILE, columns=["raw_line"])
    assert events["raw_line"].tolist() == list(range(2, 402))


def test_repeats_across_files_merge_into_the_earlier_file(raw, tmp_path):
    rows = acled_rows(3)  # a.csv lines 2 to 4
    (raw / "a.csv").write_text(to_csv_text(rows))
    (raw / "b.csv").write_text(to_csv_text([dict(rows[2]), {**rows[0], "fatalities": "5"},
                                            {**rows[1], "event_id_cnty": "UKR1005"}]))
    results = three_paths(raw, tmp_path)
    assert_every_path(results, ledgers={"a.csv": (3, 3, 0, 0, 0), "b.csv": (3, 1, 0, 2, 0)}, warnings=[], merged=[
        ("b.csv", 2, "acled:UKR1002", "a.csv", 4, True),
        ("b.csv", 3, "acled:UKR1000", "a.csv", 2, False)])
    assert results["build"]["conflicts"] == [conflict("b.csv", 3, "acled:UKR1000", "a.csv line 2", other_file=True)]


def test_a_file_not_utf8_after_its_first_megabytes_is_read_again_whole_by_every_path(raw, tmp_path):
    """The first, UTF-8 attempt leaves nothing behind: no row is counted, kept or merged twice."""
    rows = acled_rows(12_500)  # about 4.4 MB of plain ASCII: the encoding is guessed from the first 4 MiB
    rows += [{**rows[0], "notes": "Shelling near Mar’yinka – “heavy” damage"},  # line 12502: into line 2
             {**rows[1], "event_id_cnty": "UKR99999", "notes": "Café hit"}]  # line 12503: new
    (raw / "late.csv").write_bytes(to_csv_text(rows).encode("cp1252"))
    assert (raw / "late.csv").stat().st_size > 4 * 1024 * 1024 + 200_000
    with (raw / "late.csv").open("rb") as handle:
        handle.read(4 * 1024 * 1024).decode("ascii")  # the premise: the first 4 MiB are plain ASCII
    results = three_paths(raw, tmp_path)
    assert_every_path(results, ledgers={"late.csv": (12_502, 12_501, 0, 1, 0)}, warnings=[],
                      merged=[("late.csv", 12_502, "acled:UKR1000", "late.csv", 2, False)])
    assert [results[path]["encodings"] for path in results] == [{"late.csv": "cp1252"}] * 3
    assert results["memory"]["accepted"]["notes"].iloc[-1] == "Café hit"
    assert results["build"]["conflicts"] == [conflict("late.csv", 12_502, "acled:UKR1000", "late.csv line 2")]
    events = pd.read_parquet(tmp_path / "processed" / config.EVENTS_FILE, columns=["raw_line", "notes"])
    assert len(events) == 12_501 and events["notes"].iloc[-1] == "Café hit"


# ---------------------------------------------------------------- the registry itself
def _rows(ids: list[str], file: str, values: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"event_id": ids, "value": values, "raw_file": file,
                         "raw_line": np.arange(2, len(ids) + 2, dtype="int64")})


def test_batches_merged_together_or_one_by_one_give_the_same_rows():
    first, second = _rows(["x", "y", "x"], "a", [1, 2, 1]), _rows(["y", "z", "z"], "b", [3, 4, 4])
    together = IdRegistry().merge("t", Batch.of_rows(first, "event_id"), Batch.of_rows(second, "event_id"))
    registry = IdRegistry()
    (one,), merged_one = registry.merge("t", Batch.of_rows(first, "event_id"))
    (two,), merged_two = registry.merge("t", Batch.of_rows(second, "event_id"))
    assert [m.tolist() for m in together[0]] == [one.tolist(), two.tolist()] == [[False, False, True],
                                                                                 [True, False, True]]
    assert _merged(together[1]) == _merged(pd.concat([merged_one, merged_two])) == [
        ("a", 4, "x", "a", 2, True), ("b", 2, "y", "a", 3, False), ("b", 4, "z", "b", 3, True)]


def test_a_later_repeat_finds_its_kept_row_behind_the_rows_merged_away_before_it():
    # file a keeps A(line 2), B(4), C(6), D(7) and merges lines 3 and 5 away; each later repeat must find the
    # kept row by its place among the kept rows, counting the rows merged away before it, not one less or more
    batches = [_rows(["A", "A", "B", "B", "C", "D"], "a", [1, 1, 2, 2, 3, 4]),
               _rows(["D", "C", "B"], "b", [4, 3, 2]), _rows(["A", "D", "E"], "c", [1, 4, 5])]
    registry = IdRegistry()
    merges = [registry.merge("t", Batch.of_rows(rows, "event_id")) for rows in batches]
    assert [one.tolist() for (one,), _ in merges] == [[False, True, False, True, False, False],
                                                       [True, True, True], [True, True, False]]
    assert _merged(pd.concat([merged for _, merged in merges])) == [
        ("a", 3, "A", "a", 2, True), ("a", 5, "B", "a", 4, True), ("b", 2, "D", "a", 7, True),
        ("b", 3, "C", "a", 6, True), ("b", 4, "B", "a", 4, True), ("c", 2, "A", "a", 2, True),
        ("c", 3, "D", "a", 7, True)]


def test_only_repeats_and_the_rows_they_repeat_are_read_in_full():
    asked = []

    def batch(rows: pd.DataFrame) -> Batch:
        def describe(positions):
            asked.append((rows["raw_file"].iloc[0], sorted(positions.tolist())))
            return described(rows.iloc[positions], "event_id")
        return Batch(rows["event_id"], describe)

    registry = IdRegistry()
    registry.merge("t", batch(_rows(["a", "b", "c", "d"], "one", [1, 2, 3, 4])))
    assert asked == []  # no repeat: nothing hashed
    (repeat,), merged = registry.merge("t", batch(_rows(["e", "c", "f", "e"], "two", [5, 3, 6, 7])))
    assert repeat.tolist() == [False, True, False, True]
    assert sorted(asked) == [("one", [2]), ("two", [0, 1, 3])]
    assert _merged(merged) == [("two", 3, "c", "one", 4, True), ("two", 5, "e", "two", 2, False)]


def test_tables_keep_their_ids_apart():
    registry = IdRegistry()
    registry.merge("events", Batch.of_rows(_rows(["x"], "a", [1]), "event_id"))
    (repeat,), merged = registry.merge("claims", Batch.of_rows(_rows(["x"], "b", [1]), "event_id"))
    assert not repeat.any() and merged.empty


def test_only_repeats_with_different_content_are_warned_about_each_with_its_kept_row():
    import pandas as pd

    from analysis.build.dedupe import DIFFERENT_CONTENT_RULE, conflict_warnings

    merged = pd.DataFrame({
        "raw_file": ["a.csv", "b.csv", "a.csv"], "raw_line": [3, 7, 4], "event_id": ["acled:X1", "acled:X1", "acled:X2"],
        "merged_into_file": ["a.csv", "a.csv", "a.csv"], "merged_into_line": [2, 2, 2],
        "is_identical": [True, False, False],
    })
    warnings = conflict_warnings(merged)
    assert warnings[["raw_file", "raw_line", "column", "value", "rule"]].values.tolist() == [
        ["b.csv", 7, "", "acled:X1", DIFFERENT_CONTENT_RULE], ["a.csv", 4, "", "acled:X2", DIFFERENT_CONTENT_RULE]]
    assert warnings["message"].tolist() == [
        "id acled:X1 is also at a.csv line 2, with different content; a.csv line 2 was kept and this row merged "
        "into it (its values are not in the output); two files give this id",
        "id acled:X2 is also at a.csv line 2, with different content; a.csv line 2 was kept and this row merged "
        "into it (its values are not in the output)"]
    # the warnings are rejects rows: exactly the REJECTS columns, numbered from 0 (no stray index column)
    assert warnings.columns.tolist() == ["raw_file", "raw_line", "column", "value", "rule", "message"]
    assert warnings.index.tolist() == [0, 1]
    assert str(warnings["raw_line"].dtype) == "int64"
