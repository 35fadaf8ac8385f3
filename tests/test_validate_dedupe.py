"""``analysis validate`` merges repeated ids from compact chunk descriptions, by id hash first.

The registry compares ids by their 64-bit hash and reads their text only where a hash occurs more
than once; these tests make hashes collide on purpose (a constant, or one hash for every id ending
in the same character) and check that different ids are never merged, within a chunk, across
chunks and across files, and that validate's merged rows and counts are those of the in-memory path.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import config
from analysis.build import dedupe, pipeline
from analysis.build.dedupe import Batch, Descriptions, IdRegistry, described
from analysis.build.ingest import ingest_file
from analysis.build.validation import validate_files
from conftest import acled_rows, to_csv_text


def _constant(ids) -> np.ndarray:
    return np.full(len(ids), 7, dtype=np.uint64)


def _last_character(ids) -> np.ndarray:
    """Every id ending in the same character gets the same hash: many collisions, some real repeats."""
    if isinstance(ids, (pyarrow.Array, pyarrow.ChunkedArray)):
        ids = ids.to_numpy(zero_copy_only=False)
    return pd.util.hash_array(pd.Series(np.asarray(ids, dtype=object)).str[-1:].to_numpy(dtype=object))


HASHES = {"real": dedupe.id_hashes, "constant": _constant, "last_character": _last_character}


@pytest.fixture(params=sorted(HASHES))
def hashed(request, monkeypatch):
    """Every way ids are hashed: the real hash, and two that make different ids collide."""
    monkeypatch.setattr(dedupe, "id_hashes", HASHES[request.param])
    monkeypatch.setattr(pipeline, "id_hashes", HASHES[request.param])
    return request.param


def _merged(result: dict) -> list[tuple]:
    return [(Path(result["path"]).name, m["line"], m["event_id"], Path(m["merged_into_file"]).name,
             m["merged_into_line"], m["is_identical"]) for m in result["merged_rows"]]


def _counts(result: dict) -> tuple:
    return tuple(result[k] for k in ("rows", "accepted", "rejected", "merged", "warned"))


# ---------------------------------------------------------------- hand-computed, with real and colliding hashes
def test_repeats_in_one_chunk(tmp_path, hashed):
    rows = acled_rows(3)  # lines 2 to 4: UKR1000, UKR1001, UKR1002
    rows += [dict(rows[2]), {**rows[0], "fatalities": "4"}, {**rows[1], "event_id_cnty": "UKR1010"}]  # 5, 6, 7
    path = tmp_path / "one.csv"
    path.write_text(to_csv_text(rows))
    (result,) = validate_files([path])
    assert _counts(result) == (6, 4, 0, 2, 0)
    assert _merged(result) == [("one.csv", 5, "acled:UKR1002", "one.csv", 4, True),
                               ("one.csv", 6, "acled:UKR1000", "one.csv", 2, False)]


def test_repeats_across_chunks(tmp_path, hashed, monkeypatch):
    monkeypatch.setattr(config, "CSV_CHUNK_ROWS", 100)  # the smallest block: about 180 of these rows a chunk
    rows = acled_rows(400)  # lines 2 to 401
    rows += [dict(rows[399]), {**rows[5], "notes": "Another account."}, {**rows[7], "event_id_cnty": "UKR1400"},
             dict(rows[0])]  # lines 402 to 405
    path = tmp_path / "long.csv"
    path.write_text(to_csv_text(rows))
    (result,) = validate_files([path])
    assert _counts(result) == (404, 401, 0, 3, 0)
    assert _merged(result) == [("long.csv", 402, "acled:UKR1399", "long.csv", 401, True),
                               ("long.csv", 403, "acled:UKR1005", "long.csv", 7, False),
                               ("long.csv", 405, "acled:UKR1000", "long.csv", 2, True)]


def test_repeats_across_files(tmp_path, hashed):
    rows = acled_rows(3)  # a.csv lines 2 to 4
    (tmp_path / "a.csv").write_text(to_csv_text(rows))
    other = {**rows[1], "event_id_cnty": "UKR1011"}
    (tmp_path / "b.csv").write_text(to_csv_text([other, dict(rows[2]), {**rows[0], "fatalities": "5"}, other]))
    (tmp_path / "c.csv").write_text(to_csv_text([{**rows[1], "event_id_cnty": "UKR1011"}, dict(rows[1])]))
    a, b, c = validate_files([tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"])
    assert [_counts(r) for r in (a, b, c)] == [(3, 3, 0, 0, 0), (4, 1, 0, 3, 0), (2, 0, 0, 2, 0)]
    assert _merged(b) == [("b.csv", 3, "acled:UKR1002", "a.csv", 4, True),
                          ("b.csv", 4, "acled:UKR1000", "a.csv", 2, False),
                          ("b.csv", 5, "acled:UKR1011", "b.csv", 2, True)]
    assert _merged(c) == [("c.csv", 2, "acled:UKR1011", "b.csv", 2, True),
                          ("c.csv", 3, "acled:UKR1001", "a.csv", 3, True)]


# ---------------------------------------------------------------- the registry and the compact descriptions
def _rows(ids: list[str], file: str, values: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"event_id": ids, "value": values, "raw_file": file,
                         "raw_line": np.arange(2, len(ids) + 2, dtype="int64")})


def _tuples(merged: pd.DataFrame) -> list[tuple]:
    return [(r.raw_file, int(r.raw_line), r.event_id, r.merged_into_file, int(r.merged_into_line),
             bool(r.is_identical)) for r in merged.itertuples()]


def test_ids_that_share_a_hash_are_never_merged():
    rows = _rows(["x", "y", "x", "z", "y"], "a", [1, 2, 1, 3, 4])

    def batch(frame: pd.DataFrame) -> Batch:
        ids = frame["event_id"].to_numpy(dtype=object)
        return Batch(None, lambda positions: described(frame.iloc[positions], "event_id"),
                     hashes=np.zeros(len(frame), dtype=np.uint64), ids_at=ids.__getitem__)

    registry = IdRegistry()
    (repeat,), merged = registry.merge("t", batch(rows))
    assert repeat.tolist() == [False, False, True, False, True]
    assert _tuples(merged) == [("a", 4, "x", "a", 2, True), ("a", 6, "y", "a", 3, False)]
    (repeat,), merged = registry.merge("t", batch(_rows(["w", "z", "v"], "b", [5, 3, 6])))
    assert repeat.tolist() == [False, True, False]
    assert _tuples(merged) == [("b", 3, "z", "a", 5, True)]


def test_only_rows_whose_hash_repeats_are_read_by_id():
    asked = []
    ids = np.array(["a", "b", "c", "d"], dtype=object)

    def ids_at(positions):
        asked.append(sorted(positions.tolist()))
        return ids[positions]

    hashes = np.array([1, 2, 1, 3], dtype=np.uint64)  # a and c share a hash
    (repeat,), merged = IdRegistry().merge("t", Batch(None, lambda p: None, hashes=hashes, ids_at=ids_at))
    assert asked == [[0, 2]] and not repeat.any() and merged.empty


def _descriptions(frame: pd.DataFrame, cuts: list[int]) -> Batch:
    store = Descriptions("event_id")
    for start, end in zip([0] + cuts, cuts + [len(frame)]):
        store.add(frame.iloc[start:end])
    return store.batch()


def test_descriptions_answer_as_the_rows_themselves():
    rows = _rows(["x", "y", "z", "x", "w"], "a.csv", [1, 2, 3, 4, 5])
    batch = _descriptions(rows, [2, 2, 4])  # chunks of 2, 0, 2 and 1 rows
    assert batch.hashes.tolist() == dedupe.id_hashes(rows["event_id"]).tolist()
    assert batch.ids_at(np.array([4, 0, 3])).tolist() == ["w", "x", "x"]
    assert batch.describe(np.array([3, 1])).to_dict("list") == described(rows.iloc[[3, 1]], "event_id").drop(
        columns="id").to_dict("list")


id_lists = st.lists(st.lists(st.sampled_from([f"E{n}" for n in range(12)]), max_size=25), min_size=1, max_size=3)


@settings(max_examples=150, deadline=None)
@given(files=id_lists, cuts=st.lists(st.integers(0, 25), max_size=4), coarse=st.booleans())
def test_descriptions_merge_as_rows_held_in_memory(files, cuts, coarse):
    frames = [_rows(ids, f"f{n}.csv", [len(i) % 3 for i in ids]) for n, ids in enumerate(files)]
    by_rows, by_descriptions = IdRegistry(), IdRegistry()
    with pytest.MonkeyPatch.context() as patch:
        if coarse:  # ids ending alike share a hash
            patch.setattr(dedupe, "id_hashes", _last_character)
        seen: dict[str, tuple] = {}
        for frame in frames:
            one = by_rows.merge("t", Batch.of_rows(frame, "event_id"))
            two = by_descriptions.merge("t", _descriptions(frame, sorted(c for c in cuts if c <= len(frame))))
            assert [r.tolist() for r in one[0]] == [r.tolist() for r in two[0]]
            assert _tuples(one[1]) == _tuples(two[1])
            first = ~frame["event_id"].duplicated().to_numpy() & ~frame["event_id"].isin(seen).to_numpy()
            assert (~one[0][0]).tolist() == first.tolist()  # kept: the first row of each id not seen before
            for row in frame.itertuples():  # by hand: where each id was first seen
                seen.setdefault(row.event_id, (row.raw_file, row.raw_line))
            assert [(r.merged_into_file, r.merged_into_line) for r in two[1].itertuples()] == [
                seen[i] for i in frame["event_id"][one[0][0]]]


# ---------------------------------------------------------------- validate against the in-memory path
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.lists(st.lists(st.integers(0, 250), min_size=1, max_size=300), min_size=1, max_size=2),
       coarse=st.booleans())
def test_validate_merges_as_the_in_memory_path(tmp_path_factory, files, coarse):
    folder = tmp_path_factory.mktemp("raw")
    paths = []
    for n, numbers in enumerate(files):
        rows = [{**acled_rows(1)[0], "event_id_cnty": f"UKR{k}", "fatalities": str(k % 2 + (i % 7 == 0))}
                for i, k in enumerate(numbers)]
        paths.append(folder / f"f{n}.csv")
        paths[-1].write_text(to_csv_text(rows))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(config, "CSV_CHUNK_ROWS", 100)  # several chunks per file
        if coarse:
            patch.setattr(dedupe, "id_hashes", _last_character)
        streamed = validate_files(paths)
        registry = IdRegistry()
        memory = [ingest_file(path, str(path), registry) for path in paths]
    for result, ingested in zip(streamed, memory):
        ledger = ingested.ledger
        assert _counts(result) == (ledger.rows, ledger.accepted, ledger.rejected, ledger.merged, ledger.warned)
        assert _merged(result) == [(Path(r.raw_file).name, int(r.raw_line), r.event_id,
                                    Path(r.merged_into_file).name, int(r.merged_into_line), bool(r.is_identical))
                                   for r in ingested.merged.itertuples()]
    expected = sum(len(set(numbers) - set().union(*map(set, files[:n]))) for n, numbers in enumerate(files))
    assert sum(r["accepted"] for r in streamed) == expected  # one row kept per id
