"""Builds from snapshot chains: same readers as the CSV files, revisions, deletions, pins, no-op, corruption."""

from __future__ import annotations

import csv
import hashlib
import json

import pandas as pd
import pytest

from analysis import config
from analysis.build import build
from analysis.errors import InputError
from analysis.fetch.snapshots import SnapshotWriter, snapshots_root
from conftest import ACLED_SAMPLE, UCDP_SAMPLE


def _rows(path, n: int) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return [row for _, row in zip(range(n), csv.DictReader(handle))]


def _acled_page(records: list[dict]) -> bytes:
    return json.dumps({"status": 200, "success": True, "count": len(records), "data": records}).encode("utf-8")


def _write_csv(path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _events(processed) -> pd.DataFrame:
    return pd.read_parquet(processed / config.EVENTS_FILE).set_index("event_id")


def _build_both(raw, rows: list[dict], tmp_path):
    """Build ``raw`` (its snapshots) and, apart, the same rows as a loose CSV file: (report, events, CSV's events)."""
    report = build(raw, tmp_path / "processed", quiet=True)
    loose = tmp_path / "loose"
    loose.mkdir()
    _write_csv(loose / "rows.csv", rows)
    build(loose, tmp_path / "from-csv", quiet=True)
    return report, _events(tmp_path / "processed"), _events(tmp_path / "from-csv")


@pytest.fixture
def acled(realdata, tmp_path):
    """A raw folder with an ACLED base snapshot of 6 real rows (2 pages of 3) and the rows themselves."""
    rows = _rows(realdata(ACLED_SAMPLE), 6)
    raw = tmp_path / "raw"
    raw.mkdir()
    writer = SnapshotWriter.open("acled", {"country": "Ukraine"}, root=snapshots_root(raw))
    writer.add_page(_acled_page(rows[:3]))
    writer.add_page(_acled_page(rows[3:]))
    return raw, rows, writer.commit(6).name


def _update(raw, base: str, revised: dict, deleted_ids: list[str]) -> str:
    writer = SnapshotWriter.open("acled", {"country": "Ukraine", "timestamp": 1}, kind="update", parent=base,
                                 root=snapshots_root(raw))
    writer.add_page(_acled_page([revised]))
    writer.add_page(json.dumps({"status": 200, "success": True, "count": len(deleted_ids), "data": [
        {"event_id_cnty": i, "deleted_timestamp": "1700000000"} for i in deleted_ids]}).encode("utf-8"), kind="deleted")
    return writer.commit(1, len(deleted_ids)).name


def test_a_snapshot_page_builds_exactly_like_the_same_rows_in_a_csv_file(acled, tmp_path):
    raw, rows, base = acled
    report, events, expected = _build_both(raw, rows, tmp_path)
    ids = [f"acled:{r['event_id_cnty']}" for r in rows]
    assert list(events.index) == ids == list(expected.index)
    pd.testing.assert_frame_equal(events.drop(columns=["raw_file", "raw_line"]),
                                  expected.drop(columns=["raw_file", "raw_line"]))
    page = f"snapshots/acled/{base}/page-00002.json"
    assert events.loc[ids[3:], "raw_file"].tolist() == [page] * 3
    assert events["raw_line"].tolist() == [1, 2, 3, 1, 2, 3]  # position in the page; the CSV's: lines 2..7
    assert expected["raw_line"].tolist() == [2, 3, 4, 5, 6, 7]
    m = report.manifest
    assert m["snapshots"] == {"acled": [base]}
    assert [(e["path"], e["rows"], e["accepted"]) for e in m["inputs"]] == [
        (f"snapshots/acled/{base}/page-00001.json", 3, 3), (page, 3, 3)]
    assert m["skipped_files"] == []  # the snapshots folder is not a skipped loose entry


def test_an_update_revises_one_event_and_deletes_another(acled, tmp_path):
    raw, rows, base = acled
    processed = tmp_path / "processed"
    build(raw, processed, quiet=True)
    revised = {**rows[1], "fatalities": "7", "timestamp": "1700000000"}
    update = _update(raw, base, revised, [rows[4]["event_id_cnty"], "UKR999999999"])
    report = build(raw, processed, quiet=True)

    events = _events(processed)
    assert sorted(events.index) == sorted(f"acled:{rows[i]['event_id_cnty']}" for i in (0, 1, 2, 3, 5))
    kept = events.loc[f"acled:{rows[1]['event_id_cnty']}"]
    assert (kept["fatalities"], kept["raw_file"], kept["raw_line"]) == (7, f"snapshots/acled/{update}/page-00001.json", 1)

    merged = pd.read_csv(processed / config.MERGED_FILE)
    assert merged.to_dict("records") == [{
        "raw_file": f"snapshots/acled/{base}/page-00001.json", "raw_line": 2, "event_id": f"acled:{rows[1]['event_id_cnty']}",
        "merged_into_file": f"snapshots/acled/{update}/page-00001.json", "merged_into_line": 1, "is_identical": False}]
    warnings = pd.read_csv(processed / config.WARNINGS_FILE)
    assert "duplicate_id_different_content" not in set(warnings["rule"])  # a revision is no conflict
    deleted = pd.read_csv(processed / config.DELETED_FILE)
    assert deleted.to_dict("records") == [
        {"event_id": f"acled:{rows[4]['event_id_cnty']}", "raw_file": f"snapshots/acled/{update}/deleted-00001.json",
         "raw_line": 1, "snapshot": f"acled/{update}"},
        {"event_id": "acled:UKR999999999", "raw_file": f"snapshots/acled/{update}/deleted-00001.json",
         "raw_line": 2, "snapshot": f"acled/{update}"}]  # an id never seen: recorded, not an error

    m = report.manifest
    assert m["snapshots"] == {"acled": [base, update]}
    ledger = {e["path"].split("/", 2)[2]: (e["rows"], e["accepted"], e["rejected"], e["merged"], e["deleted"])
              for e in m["inputs"]}
    assert ledger == {f"{base}/page-00001.json": (3, 2, 0, 1, 0), f"{base}/page-00002.json": (3, 2, 0, 0, 1),
                      f"{update}/page-00001.json": (1, 1, 0, 0, 0)}
    t = m["totals"]
    assert (t["rows"], t["accepted"], t["rejected"], t["merged"], t["deleted"]) == (7, 5, 0, 1, 1)
    assert t["accepted"] + t["rejected"] + t["merged"] + t["deleted"] == t["rows"]
    files = {e["path"]: e["sha256"] for e in m["snapshot_files"]}
    assert sorted(files) == sorted(f"snapshots/acled/{s}/{n}" for s, n in [
        (base, "manifest.json"), (base, "page-00001.json"), (base, "page-00002.json"),
        (update, "manifest.json"), (update, "page-00001.json"), (update, "deleted-00001.json")])
    assert all(files[p] == _sha(raw / p) for p in files)
    assert m["outputs"][config.DELETED_FILE]["rows"] == 2


def test_pins_choose_the_chain_and_the_no_op_build_notices_pins_and_new_snapshots(acled, tmp_path):
    raw, rows, base = acled
    processed = tmp_path / "processed"
    assert not build(raw, processed, quiet=True).skipped
    assert build(raw, processed, quiet=True).skipped
    update = _update(raw, base, {**rows[0], "fatalities": "3"}, [rows[2]["event_id_cnty"]])
    report = build(raw, processed, quiet=True)  # a new snapshot: rebuilt
    assert not report.skipped and report.manifest["snapshots"] == {"acled": [base, update]}
    assert len(_events(processed)) == 5
    assert build(raw, processed, quiet=True).skipped

    pinned = build(raw, processed, quiet=True, snapshots={"acled": base})  # a different pin: rebuilt
    assert not pinned.skipped and pinned.manifest["snapshots"] == {"acled": [base]}
    assert len(_events(processed)) == 6 and pd.read_csv(processed / config.DELETED_FILE).empty
    assert build(raw, processed, quiet=True, snapshots={"acled": base}).skipped
    assert not build(raw, processed, quiet=True).skipped  # unpinned again: the latest chain


def test_a_partial_snapshot_is_ignored_by_the_build(acled, tmp_path):
    raw, rows, base = acled
    processed = tmp_path / "processed"
    build(raw, processed, quiet=True)
    before = _sha(processed / config.EVENTS_FILE)
    crashed = SnapshotWriter.open("acled", {"country": "Ukraine", "timestamp": 1}, kind="update", parent=base,
                                  root=snapshots_root(raw))
    crashed.add_page(_acled_page([{**rows[0], "fatalities": "99"}]))  # killed before its commit
    assert build(raw, processed, quiet=True).skipped
    report = build(raw, processed, quiet=True, force=True)
    assert report.manifest["snapshots"] == {"acled": [base]} and _sha(processed / config.EVENTS_FILE) == before


def test_a_corrupted_snapshot_stops_the_build(acled, tmp_path, cli):
    raw, rows, base = acled
    page = raw / "snapshots" / "acled" / base / "page-00002.json"
    page.write_bytes(page.read_bytes().replace(b'"fatalities": "0"', b'"fatalities": "9"', 1))
    with pytest.raises(InputError, match="corrupted snapshot file") as caught:
        build(raw, tmp_path / "processed", quiet=True)
    assert caught.value.path == str(page)
    code, out, err = cli("build", "--raw-dir", raw, "--processed-dir", tmp_path / "processed")
    assert code == 2 and "corrupted snapshot file" in err and "page-00002.json" in err and "Traceback" not in err
    assert not (tmp_path / "processed" / config.EVENTS_FILE).exists()


def test_loose_csv_files_and_snapshots_build_together(acled, tmp_path):
    raw, rows, base = acled
    loose_rows = [{**rows[0], "event_id_cnty": "UKRLOOSE1"}]
    _write_csv(raw / "acled_loose.csv", loose_rows)
    report = build(raw, tmp_path / "processed", quiet=True)
    events = _events(tmp_path / "processed")
    assert events.loc["acled:UKRLOOSE1", ["raw_file", "raw_line"]].tolist() == ["acled_loose.csv", 2]
    assert len(events) == 7 and report.manifest["inputs"][0]["path"] == "acled_loose.csv"


def test_ucdp_pages_with_json_numbers_build_like_the_csv_rows(realdata, tmp_path):
    rows = _rows(realdata(UCDP_SAMPLE), 3)
    typed = [{**r, "id": int(r["id"]), "latitude": float(r["latitude"]), "longitude": float(r["longitude"]),
              "best": int(r["best"]), "active_year": r["active_year"] == "True"} for r in rows]
    raw = tmp_path / "raw"
    raw.mkdir()
    writer = SnapshotWriter.open("ucdp_ged", {"Country": "369", "version": "25.1"}, root=snapshots_root(raw))
    writer.add_page(json.dumps({"TotalCount": 3, "TotalPages": 1, "PreviousPageUrl": "", "NextPageUrl": "",
                                "Result": typed}).encode("utf-8"))
    stamp = writer.commit(3).name
    report, events, expected = _build_both(raw, rows, tmp_path)
    assert list(events.index) == [f"ucdp_ged:{r['id']}" for r in rows]
    pd.testing.assert_frame_equal(events.drop(columns=["raw_file", "raw_line"]),
                                  expected.drop(columns=["raw_file", "raw_line"]))
    assert events["raw_line"].tolist() == [1, 2, 3]
    assert report.manifest["snapshots"] == {"ucdp_ged": [stamp]}


def test_the_cli_pins_a_snapshot_and_refuses_bad_pins(acled, tmp_path, cli):
    raw, rows, base = acled
    update = _update(raw, base, {**rows[0], "fatalities": "3"}, [])
    processed = tmp_path / "processed"
    code, out, err = cli("build", "--raw-dir", raw, "--processed-dir", processed, "--snapshot", f"acled={base}")
    assert code == 0 and f"snapshots of acled: {base}\n" in out
    manifest = json.loads((processed / config.MANIFEST_FILE).read_text())
    assert manifest["snapshots"] == {"acled": [base]}
    code, out, err = cli("build", "--raw-dir", raw, "--processed-dir", processed)
    assert code == 0 and f"snapshots of acled: {base} -> {update}" in out
    for pin, says in [("acled=20990101T000000Z", "no snapshot acled=20990101T000000Z"),
                      ("ucdp_ged=20990101T000000Z", "ucdp_ged has no complete snapshot"),
                      ("gdelt=20990101T000000Z", "expected SOURCE=STAMP"), ("acled", "expected SOURCE=STAMP"),
                      ("acled=yesterday", "expected SOURCE=STAMP")]:
        code, out, err = cli("build", "--raw-dir", raw, "--processed-dir", processed, "--snapshot", pin)
        assert code == 2 and says in err and "Traceback" not in err, (pin, err)
    code, out, err = cli("build", "--raw-dir", raw, "--processed-dir", processed,
                         "--snapshot", f"acled={base}", "--snapshot", f"acled={update}")
    assert code == 2 and "pins acled twice" in err


def test_an_empty_last_page_counts_nothing_and_a_page_that_is_not_json_is_a_file_error(acled, tmp_path, cli):
    raw, rows, base = acled
    writer = SnapshotWriter.open("acled", {"country": "Ukraine", "timestamp": 1}, kind="update", parent=base,
                                 root=snapshots_root(raw))
    writer.add_page(_acled_page([]))  # the API's empty last page
    writer.add_page(b'{"status": 200, "data": [{"event_id_cnty": "UKR1"')  # truncated, yet committed
    update = writer.commit(0).name
    report = build(raw, tmp_path / "processed", quiet=True)
    empty = next(e for e in report.manifest["inputs"] if e["path"].endswith(f"{update}/page-00001.json"))
    assert (empty["rows"], empty["accepted"], empty["warnings"]) == (0, 0, ["the page holds no records"])
    assert [(e["path"], e["error"][:28]) for e in report.file_errors] == [
        (f"snapshots/acled/{update}/page-00002.json", "the page is not valid JSON (")]
    assert len(_events(tmp_path / "processed")) == 6
    code, out, err = cli("build", "--raw-dir", raw, "--processed-dir", tmp_path / "processed", "--force")
    assert code == 2 and f"UNREADABLE snapshots/acled/{update}/page-00002.json" in out
