"""`analysis drift`: a published report rerun on changed data names the numbers that moved and the events behind them.

The slow test builds a five-event ACLED file, publishes the city profile of
Kramatorsk (1-5 March 2023), then revises one event, deletes another and adds
one, and checks drift against numbers counted by hand.  The fast tests check
the comparison itself on hand-made records.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import ACLED_ROW, to_csv_text

from analysis import config
from analysis.reports import drift as drift_module
from analysis.reports.drift_html import drift_html

HOSTILE = '<script>alert("drift")</script>'
ATTACK = {"event_type": "Explosions/Remote violence", "sub_event_type": "Shelling/artillery/missile attack"}
ABDUCTION = {"event_type": "Violence against civilians", "sub_event_type": "Abduction/forced disappearance"}


def _row(number: int, day: int, civilian: bool, fatalities: int = 0, location: str = "Kramatorsk", **extra) -> dict:
    return {**ACLED_ROW, **ATTACK, "event_id_cnty": f"UKR{number}", "event_date": f"2023-03-{day:02d}",
            "location": location, "civilian_targeting": "Civilian targeting" if civilian else "",
            "fatalities": str(fatalities), "notes": f"Event {number}.", **extra}


PUBLISHED = [_row(1001, 1, True, 1), _row(1002, 2, False, 0), _row(1003, 3, False, 2), _row(1004, 4, True, 1),
             _row(1005, 6, False, 0, location="Sloviansk", latitude="48.8521", longitude="37.6050",
                  admin2="Kramatorskyi", admin3="Slovianska")]
# 1002 revised (fatalities 0 -> 3, now civilian targeting, a hostile note); 1003 deleted; 1006 added (an abduction:
# civilian harm, not an attack).
CURRENT = [PUBLISHED[0], _row(1002, 2, True, 3, notes=HOSTILE), PUBLISHED[3], PUBLISHED[4],
           _row(1006, 5, True, 0, **ABDUCTION)]
PARAMS = {"city": "Kramatorsk", "start": "2023-03-01", "end": "2023-03-05"}


@pytest.fixture
def project(tmp_path, monkeypatch):
    raw, processed, reports = tmp_path / "raw", tmp_path / "processed", tmp_path / "reports"
    raw.mkdir()
    (raw / "acled.csv").write_text(to_csv_text(PUBLISHED), encoding="utf-8")
    monkeypatch.setattr(config, "RAW_DIR", raw)
    monkeypatch.setattr(config, "PROCESSED_DIR", processed)
    monkeypatch.setattr(config, "REPORTS_DIR", reports)
    return raw, processed


def _numbers(found: dict) -> dict:
    return {n["name"]: n for n in found["numbers"]}


def _ids(events: dict) -> dict:
    return {category: [item["id"] for item in items] for category, items in events.items() if items}


@pytest.mark.slow
def test_drift_names_the_events_behind_each_changed_number(project, cli, monkeypatch):
    from analysis import reports
    from analysis.build import build

    raw, processed = project
    published = reports.run_report("02-city-profile", PARAMS, write_index=False)
    assert published.ok, published.error
    report_dir = published.report_dir
    numbers = json.loads((report_dir / "numbers.json").read_text())["numbers"]
    assert {n["name"]: n["value"] for n in numbers} == {"attacks": 4, "civilian_harm_incidents": 2,
                                                         "civilians_killed": None, "civilians_injured": None}
    assert {n["name"]: n["evidence"]["rows"] for n in numbers} == {"attacks": 4, "civilian_harm_incidents": 2,
                                                                    "civilians_killed": 2, "civilians_injured": 2}
    run = json.loads((report_dir / "run.json").read_text())
    assert run["snapshots"] == {}  # loose CSV files, no snapshot chain
    published_files = {p.name: p.read_bytes() for p in report_dir.iterdir() if p.is_file()}

    # unchanged data: every number holds, exit 0
    code, out, err = cli("drift", report_dir)
    assert code == 0, err
    unchanged = json.loads((report_dir / "drift.json").read_text())
    assert unchanged["changed"] is False and unchanged["inputs"] == {"added": [], "removed": [], "changed": []}
    assert [(n["name"], n["status"], n["delta"], n["events"]) for n in unchanged["numbers"]] == [
        ("attacks", "unchanged", 0, None), ("civilian_harm_incidents", "unchanged", 0, None),
        ("civilians_killed", "unchanged", None, None), ("civilians_injured", "unchanged", None, None)]
    assert "0 of 4 numbers changed" in out

    # the source revises 1002, deletes 1003 and adds 1006
    (raw / "acled.csv").write_text(to_csv_text(CURRENT), encoding="utf-8")
    code, out, err = cli("drift", report_dir)
    assert code == 1, err
    found = json.loads((report_dir / "drift.json").read_text())
    assert found["changed"] is True and found["inputs"]["changed"] == ["acled.csv"]
    by_name = _numbers(found)
    attacks, incidents = by_name["attacks"], by_name["civilian_harm_incidents"]
    assert (attacks["old"], attacks["new"], attacks["delta"], attacks["status"]) == (4, 3, -1, "changed")
    assert (incidents["old"], incidents["new"], incidents["delta"], incidents["status"]) == (2, 4, 2, "changed")
    assert _ids(attacks["events"]) == {"removed": ["acled:UKR1003"], "revised": ["acled:UKR1002"]}
    assert _ids(incidents["events"]) == {"added": ["acled:UKR1002", "acled:UKR1006"]}
    revised = attacks["events"]["revised"][0]
    assert revised["fields"] == ["fatalities", "is_civilian_targeting", "notes"]  # in the table's column order
    assert (revised["old"]["values"]["is_civilian_targeting"], revised["new"]["values"]["is_civilian_targeting"]) \
        == (False, True)
    assert revised["old"]["values"]["fatalities"] == 0 and revised["new"]["values"]["fatalities"] == 3
    assert revised["new"]["values"]["notes"] == HOSTILE and revised["old"]["values"]["notes"] == "Event 1002."
    assert (revised["old"]["raw_file"], revised["old"]["raw_line"]) == ("acled.csv", 3)
    assert (revised["new"]["raw_file"], revised["new"]["raw_line"]) == ("acled.csv", 3)
    removed = attacks["events"]["removed"][0]
    assert (removed["raw_file"], removed["raw_line"]) == ("acled.csv", 4) and "fields" not in removed
    added_1002, added_1006 = incidents["events"]["added"]
    assert added_1002["fields"] == ["fatalities", "is_civilian_targeting", "notes"]  # revised into the number
    assert (added_1006["raw_file"], added_1006["raw_line"], "fields" in added_1006) == ("acled.csv", 6, False)
    assert by_name["civilians_killed"]["status"] == "unchanged"  # ACLED gives no civilian toll: still unknown
    page = (report_dir / "drift.html").read_text()
    assert HOSTILE not in page and "&lt;script&gt;alert(&quot;drift&quot;)&lt;/script&gt;" in page
    assert "acled:UKR1003" in page and "2 of 4 numbers changed" in page
    assert "2 of 4 numbers changed" in out and "UKR1003" in out and "is_civilian_targeting" in out

    # the build says the source deleted 1003 (as snapshot builds write deleted.csv; here a file of its own name
    # beside it, which the build's no-op check leaves alone)
    monkeypatch.setattr(drift_module, "DELETED_FILE", "deleted-by-the-test.csv")
    build(raw, processed, progress=False)
    generation = (processed / "current").resolve()
    (generation / drift_module.DELETED_FILE).write_text(
        "event_id,raw_file,raw_line,snapshot\nacled:UKR1003,snapshots/acled/20260101T000000Z/deleted-00001.json,1,"
        "acled/20260101T000000Z\n", encoding="utf-8")
    first = drift_module.drift(report_dir)
    json_bytes, html_bytes = (report_dir / "drift.json").read_bytes(), (report_dir / "drift.html").read_bytes()
    assert first.changed and first.to_json() == json.loads(json_bytes)
    deleted = _numbers(first.to_json())["attacks"]["events"]["deleted"]
    assert deleted == [{"id": "acled:UKR1003", "raw_file": "acled.csv", "raw_line": 4,
                        "deletion": {"raw_file": "snapshots/acled/20260101T000000Z/deleted-00001.json",
                                     "raw_line": 1, "snapshot": "acled/20260101T000000Z"}}]
    assert "removed" not in _ids(_numbers(first.to_json())["attacks"]["events"])
    drift_module.drift(report_dir)
    assert (report_dir / "drift.json").read_bytes() == json_bytes  # byte-identical on a rerun
    assert (report_dir / "drift.html").read_bytes() == html_bytes
    # the published report was never touched, and no rerun folder is left beside it
    assert all((report_dir / name).read_bytes() == data for name, data in published_files.items())
    assert sorted(p.name for p in report_dir.parent.iterdir()) == [report_dir.name]

    # a report published before reports recorded their evidence: values compared, events said to be unknown
    (report_dir / "evidence.parquet").unlink()
    older = drift_module.drift(report_dir, write=False).to_json()
    assert older["evidence_recorded"] is False and older["changed"] is True
    assert [(n["status"], n["events"]) for n in older["numbers"]][:2] == [("changed", None), ("changed", None)]


# ---------------------------------------------------------------- usage errors (no kernel)
def test_drift_of_a_folder_that_is_no_report_is_a_usage_error(project, tmp_path, cli):
    code, _, err = cli("drift", tmp_path)
    assert code == 2 and "is not a report folder" in err and "Traceback" not in err


def test_drift_of_a_report_of_an_unknown_notebook_is_a_usage_error(project, tmp_path, cli):
    folder = tmp_path / "reports" / "99-gone" / "default"
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"notebook": "99-gone", "parameters": {}}))
    (folder / "numbers.json").write_text(json.dumps({"notebook": "99-gone", "parameters": {}, "numbers": []}))
    code, _, err = cli("drift", folder)
    assert code == 2 and "no notebook '99-gone'" in err


@pytest.mark.parametrize("spec", ["acled", "=20260101T000000Z", "acled=", "gdelt=20260101T000000Z"])
def test_a_malformed_snapshot_pin_is_a_usage_error(project, tmp_path, cli, spec):
    code, _, err = cli("drift", tmp_path, "--snapshot", spec)
    assert code == 2 and "SOURCE=STAMP" in err


def test_a_pin_naming_no_snapshot_is_a_usage_error_before_any_rerun(project, tmp_path, cli):
    folder = tmp_path / "reports" / "02-city-profile" / "default"
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"notebook": "02-city-profile", "parameters": {}}))
    (folder / "numbers.json").write_text(json.dumps({"notebook": "02-city-profile", "parameters": {}, "numbers": []}))
    code, _, err = cli("drift", folder, "--snapshot", "acled=20260101T000000Z")
    assert code == 2 and "20260101T000000Z" in err and "Traceback" not in err
    assert not list(tmp_path.glob(".drift-*"))  # the temporary build is gone


# ---------------------------------------------------------------- the comparison, by hand
def test_numbers_are_compared_by_name_with_old_new_and_delta():
    old = [{"name": "a", "value": 4, "unit": "events", "sentence": "4."},
           {"name": "b", "value": None, "unit": "people", "sentence": "unknown."},
           {"name": "c", "value": 2, "unit": "events", "sentence": "2."},
           {"name": "gone", "value": 1, "unit": "events", "sentence": "1."}]
    new = [{"name": "a", "value": 3, "unit": "events", "sentence": "3."},
           {"name": "b", "value": 5, "unit": "people", "sentence": "5."},
           {"name": "c", "value": 2, "unit": "events", "sentence": "2."},
           {"name": "new", "value": 7, "unit": "events", "sentence": "7."}]
    compared = drift_module.compare_numbers(old, new)
    assert [(n["name"], n["status"], n["old"], n["new"], n["delta"]) for n in compared] == [
        ("a", "changed", 4, 3, -1), ("b", "changed", None, 5, None), ("c", "unchanged", 2, 2, 0),
        ("gone", "removed", 1, None, None), ("new", "added", None, 7, None)]
    assert compared[0]["old_sentence"] == "4." and compared[0]["new_sentence"] == "3."


def test_revised_fields_names_only_the_fields_that_differ():
    old = pd.DataFrame({"raw_file": ["a.csv", "a.csv"], "raw_line": [2, 3],
                        "fields": ['{"fatalities":0,"notes":"x","latitude":null}', '{"fatalities":1,"notes":"y"}']},
                       index=pd.Index(["acled:1", "acled:2"], name="row_id"))
    new = pd.DataFrame({"raw_file": ["b.csv", "a.csv"], "raw_line": [7, 3],
                        "fields": ['{"fatalities":3,"notes":"x","latitude":null}', '{"fatalities":1,"notes":"y"}']},
                       index=pd.Index(["acled:1", "acled:2"], name="row_id"))
    revised = drift_module.revised_fields(old, new)
    assert list(revised.index) == ["acled:1"]  # acled:2 moved nowhere and kept its fields
    row = revised.loc["acled:1"]
    assert row["fields"] == ["fatalities"] and row["old_values"] == {"fatalities": 0}
    assert row["new_values"] == {"fatalities": 3}
    assert (row["old_file"], row["old_line"], row["new_file"], row["new_line"]) == ("a.csv", 2, "b.csv", 7)


def test_drift_html_escapes_every_value():
    hostile = {"report": "02-city-profile/<b>x</b>", "notebook": "02-city-profile", "parameters": {"city": HOSTILE},
               "changed": True, "snapshots": {"old": {}, "new": {}}, "evidence_recorded": True,
               "inputs": {"added": [], "removed": [], "changed": [HOSTILE]},
               "numbers": [{"name": HOSTILE, "unit": "events", "status": "changed", "old": 1, "new": 2, "delta": 1,
                            "old_sentence": HOSTILE, "new_sentence": "2.",
                            "events": {"added": [{"id": HOSTILE, "raw_file": HOSTILE, "raw_line": 2}],
                                       "removed": [], "deleted": [],
                                       "revised": [{"id": "acled:1", "raw_file": "a.csv", "raw_line": 2,
                                                    "fields": [HOSTILE],
                                                    "old": {"raw_file": "a", "raw_line": 2, "values": {HOSTILE: 1}},
                                                    "new": {"raw_file": "a", "raw_line": 2,
                                                            "values": {HOSTILE: HOSTILE}}}]}}]}
    page = drift_html(hostile)
    assert "<script" not in page and "<b>x" not in page
    assert page.count("&lt;script&gt;") >= 7
    assert 'Content-Security-Policy' in page


def test_a_pinned_rerun_builds_the_snapshots_into_a_temporary_folder(project, monkeypatch):
    raw, processed = project
    calls = []

    def build(raw_dir, processed_dir, *, snapshots=None, progress=None):
        calls.append((raw_dir, processed_dir, snapshots))
        (processed_dir / "generations" / "1").mkdir(parents=True)
        (processed_dir / "current").symlink_to("generations/1")

    from analysis.metrics import loaders

    monkeypatch.setattr(drift_module, "build", build)
    with drift_module._data({"acled": "20260101T000000Z"}):
        (_, pinned, pins), = calls
        assert pins == {"acled": "20260101T000000Z"} and config.PROCESSED_DIR == pinned != processed
        assert config.environment()["ANALYSIS_PROCESSED_DIR"] == str(pinned)  # the rerun's kernel reads it
        assert pinned.parent.parent == processed.parent
        # loads read the pinned build as built: never rebuilt from the latest snapshots
        assert loaders.snapshot().directory == pinned.absolute() / "generations" / "1"
    assert config.PROCESSED_DIR == processed and not pinned.exists()
    with pytest.raises(Exception, match="nothing built"):  # unpinned again: the project's (empty) processed folder
        loaders.snapshot(build=False)


def test_every_number_a_report_notebook_states_names_the_rows_it_comes_from():
    """Each ``report.state(...)`` in a report notebook passes ``data=``: the rows behind it go to evidence.parquet."""
    import ast

    from analysis.reports import list_notebooks

    for path in list_notebooks():
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        calls = [n for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Call)
                 and isinstance(n.func, ast.Attribute) and n.func.attr == "state"]
        assert calls, path.name
        for call in calls:
            assert "data" in {k.arg for k in call.keywords}, f"{path.name}:{call.lineno} states a number without data="


@pytest.mark.slow
def test_drift_after_an_update_snapshot_names_the_revised_and_the_deleted_event(project):
    """Fetch-shaped data: a base snapshot, a report, an update that revises 1002, adds 1006 and deletes 1003.

    The snapshot store is analysis.fetch.snapshots; the build reads its chains.
    """
    from analysis.fetch import snapshots
    import time

    from analysis import reports

    raw, _ = project
    (raw / "acled.csv").unlink()
    root = snapshots.snapshots_root(raw)

    def page(records):
        return json.dumps({"status": 200, "success": True, "count": len(records), "data": records}).encode()

    writer = snapshots.SnapshotWriter.open("acled", {"country": "Ukraine"}, root=root)
    writer.add_page(page(PUBLISHED))
    base = writer.commit(len(PUBLISHED)).name
    published = reports.run_report("02-city-profile", PARAMS, write_index=False)
    assert json.loads((published.report_dir / "run.json").read_text())["snapshots"] == {"acled": [base]}
    time.sleep(1.1)  # stamps are whole seconds
    writer = snapshots.SnapshotWriter.open("acled", {"country": "Ukraine", "timestamp": 1}, kind="update",
                                           parent=base, root=root)
    writer.add_page(page([CURRENT[1], CURRENT[4]]))
    writer.add_page(json.dumps({"data": [{"event_id_cnty": "UKR1003", "deleted_timestamp": "1700000000"}]}).encode(),
                    kind="deleted")
    update = writer.commit(2, 1).name
    found = drift_module.drift(published.report_dir).to_json()
    assert found["snapshots"] == {"old": {"acled": [base]}, "new": {"acled": [base, update]}}
    attacks = _numbers(found)["attacks"]
    assert (attacks["old"], attacks["new"], attacks["delta"]) == (4, 3, -1)
    assert _ids(attacks["events"]) == {"deleted": ["acled:UKR1003"], "revised": ["acled:UKR1002"]}
    assert attacks["events"]["deleted"][0]["deletion"] == {
        "raw_file": f"snapshots/acled/{update}/deleted-00001.json", "raw_line": 1, "snapshot": f"acled/{update}"}
    revised = attacks["events"]["revised"][0]
    assert revised["fields"] == ["fatalities", "is_civilian_targeting", "notes"]
    assert (revised["old"]["raw_file"], revised["old"]["raw_line"]) == (f"snapshots/acled/{base}/page-00001.json", 2)
    assert (revised["new"]["raw_file"], revised["new"]["raw_line"]) == (f"snapshots/acled/{update}/page-00001.json", 1)
    pinned = drift_module.drift(published.report_dir, {"acled": base})
    assert not pinned.changed and pinned.to_json()["snapshots"]["new"] == {"acled": [base]}
