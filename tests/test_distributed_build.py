"""The distributed build (``build(..., scheduler=...)``): a large file read as a Dask task per chunk, snapshot
pages as tasks; every output, the ledger and the file errors as the in-process build's, byte for byte."""

from __future__ import annotations

import json
import shutil

import pytest

from analysis import cluster, config
from analysis.build import build, distributed, parts
from analysis.fetch.snapshots import SnapshotWriter, snapshots_root
from analysis.sources import csvfile
from conftest import acled_rows, to_csv_text

ROWS = 1500  # about 520 kB: 64 kB blocks of about 180 rows each make some 9 chunks


@pytest.fixture(scope="module")
def local_cluster():
    """One local Dask cluster (a worker process per core) for the module, closed after it."""
    yield cluster.client("local")
    cluster.close()


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of about 180 rows; files over 20 kB read alone; the encoding guessed from the first 4 kB.

    These settings are changed in this process only (the workers keep theirs): the chunks are parsed here.
    """
    monkeypatch.setattr(config, "CSV_CHUNK_ROWS", 50)
    monkeypatch.setattr(config, "BATCH_FILE_BYTES", 20_000)
    monkeypatch.setattr(csvfile, "_SNIFF_ENCODING_BYTES", 4096)
    added = []  # the part of every chunk added: by Part.add in process, by Part.add_finished from the cluster
    for name in ("add", "add_finished"):
        real = getattr(parts.Part, name)

        def counted(self, *args, real=real):
            added.append(self.path.name)
            return real(self, *args)

        monkeypatch.setattr(parts.Part, name, counted)
    return added


def _same_builds(raw, tmp_path) -> tuple:
    local = build(raw, tmp_path / "in-process", quiet=True)
    on_cluster = build(raw, tmp_path / "on-cluster", quiet=True, scheduler="local")
    assert local.file_errors == on_cluster.file_errors
    assert local.manifest["inputs"] == on_cluster.manifest["inputs"]  # every file's ledger, hash and warnings
    assert local.manifest["totals"] == on_cluster.manifest["totals"]
    outputs = local.manifest["outputs"]
    assert outputs == on_cluster.manifest["outputs"]
    for name in outputs:
        assert (on_cluster.generation / name).read_bytes() == (local.generation / name).read_bytes(), name
    return local, on_cluster


def test_a_large_file_read_a_chunk_a_task_gives_the_same_ledger_and_bytes(seed_dirs, local_cluster, small_chunks,
                                                                        tmp_path):
    raw, _, _ = seed_dirs
    rows = acled_rows(ROWS)
    for n in (10, 400, 800, 1300):  # rejected rows in several chunks
        rows[n]["fatalities"] = "-1"
    rows[1200] = dict(rows[5])  # an id repeated chunks later (merged into line 7)
    rows[1400] = {**rows[30], "fatalities": "9"}  # and repeated with other values (a conflict warning)
    text = to_csv_text(rows).splitlines()
    text[700] += ",an extra field"  # a malformed record
    text.insert(900, "")  # a blank line
    (raw / "a_large.csv").write_text("\n".join(text) + "\n", encoding="utf-8")

    late = acled_rows(ROWS)  # ASCII for its first 4 kB and well beyond: Windows-1252 only near the end
    late = [{**row, "event_id_cnty": f"UKR{5000 + i}"} for i, row in enumerate(late)]
    late[-2]["notes"] = "Caf\u00e9 hit"
    late[-1] = dict(rows[2])  # repeats an id of a_large.csv
    (raw / "b_late_cp1252.csv").write_bytes(to_csv_text(late).encode("cp1252"))

    broken = to_csv_text([{**row, "event_id_cnty": f"UKR{9000 + i}"} for i, row in enumerate(acled_rows(ROWS))])
    cut = broken.rindex("\n", 0, len(broken) - 2000)  # a quote never closed, chunks into the file
    (raw / "c_broken.csv").write_text(broken[:cut] + '\n"UKR99999,2023-03-01' + broken[cut:], encoding="utf-8")
    (raw / "d_empty.csv").write_bytes(b"")

    local, on_cluster = _same_builds(raw, tmp_path)
    inputs = {entry["path"]: entry for entry in local.manifest["inputs"]}
    assert (inputs["a_large.csv"]["rejected"], inputs["a_large.csv"]["merged"]) == (5, 2)  # 4 rules, 1 malformed
    assert inputs["a_large.csv"]["blank_rows"] == 1 and inputs["a_large.csv"]["warned"] >= 0
    assert (inputs["b_late_cp1252.csv"]["encoding"], inputs["b_late_cp1252.csv"]["merged"]) == ("cp1252", 1)
    assert {e["path"] for e in local.file_errors} == {"c_broken.csv", "d_empty.csv"}
    # the cluster build wrote the large files a chunk at a time: several chunks each, their results added here
    chunks = small_chunks.count("00000-events.parquet") // 2  # a_large.csv, in both builds
    assert chunks >= 8, small_chunks
    assert small_chunks.count("00001-events.parquet") > 2 * chunks  # b_late: some chunks as UTF-8, then all again


def test_the_ledger_of_a_chunked_file_needs_every_chunks_counts(seed_dirs, local_cluster, small_chunks, tmp_path,
                                                                monkeypatch):
    raw, _, _ = seed_dirs
    rows = acled_rows(ROWS)
    rows[1000]["fatalities"] = "-1"
    (raw / "a_large.csv").write_text(to_csv_text(rows), encoding="utf-8")
    monkeypatch.setattr(distributed, "COUNTS", tuple(c for c in distributed.COUNTS if c != "rejected"))
    with pytest.raises(AssertionError, match="ledger does not balance"):
        build(raw, tmp_path / "on-cluster", quiet=True, scheduler="local")


def _page(records: list[dict]) -> bytes:
    return json.dumps({"status": 200, "success": True, "count": len(records), "data": records}).encode("utf-8")


def test_snapshot_pages_read_as_tasks_give_the_same_ledger_and_bytes(seed_dirs, local_cluster, tmp_path):
    raw, _, _ = seed_dirs
    rows = acled_rows(9)
    rows[4]["fatalities"] = "-1"
    writer = SnapshotWriter.open("acled", {"country": "Ukraine"}, root=snapshots_root(raw))
    for start in (0, 3, 6):
        writer.add_page(_page(rows[start:start + 3]))
    base = writer.commit(9).name
    update = SnapshotWriter.open("acled", {"country": "Ukraine", "timestamp": 1}, kind="update", parent=base,
                                 root=snapshots_root(raw))
    update.add_page(_page([{**rows[1], "fatalities": "7"}, rows[7]]))
    update.add_page(json.dumps({"status": 200, "success": True, "count": 1, "data": [
        {"event_id_cnty": rows[2]["event_id_cnty"], "deleted_timestamp": "1700000000"}]}).encode("utf-8"),
        kind="deleted")
    update.commit(2, 1)
    shutil.copy(raw / next(p.name for p in raw.glob("news_*.csv")), raw / "news_copy.csv")  # repeats: merged

    local, _ = _same_builds(raw, tmp_path)
    totals = local.manifest["totals"]
    assert totals["rejected"] and totals["merged"] and totals["deleted"] == 1


def test_a_chunks_errors_come_back_as_the_in_process_build_raises_them(tmp_path):
    # no cluster: the outcomes a chunk task returns, as this process takes them (a gazetteer file that cannot
    # be read stops the build; a chunk's input error leaves its file out)
    from analysis.build.ingest import Ledger
    from analysis.gazetteer_files import GazetteerFileError
    from analysis.errors import InputError

    ledger = Ledger(path="a.csv", format="acled", variant="", encoding="utf-8", sha256="", size_bytes=1)
    with pytest.raises(GazetteerFileError, match=r"SD.txt, line 3: not a GeoNames dump"):
        distributed._add(None, ledger, tmp_path / "a.csv", ("gazetteer", "SD.txt", "not a GeoNames dump", 3))
    with pytest.raises(InputError, match=r"a.csv, line 7: broken") as caught:
        distributed._add(None, ledger, tmp_path / "a.csv", ("input", 7, "broken"))
    assert not isinstance(caught.value, GazetteerFileError) and caught.value.reason == "broken"
    assert distributed.COUNTS == ("rows", "accepted", "rejected", "merged", "deleted", "blank_rows", "hxl_rows",
                                  "warned")
