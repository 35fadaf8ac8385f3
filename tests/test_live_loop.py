"""The whole live-data loop against a real local server: fetch, build, report, fetch --update, drift.

ACLED's API is played by tests/fetch_server.py on 127.0.0.1 over five hand-made Kramatorsk events.
After the report is published, ACLED revises one event and deletes another; the update fetch records
both, and drift must name exactly those two events and the numbers they moved.
"""

from __future__ import annotations

import json
import time

import pytest

from analysis import config
from analysis.fetch import snapshots
from analysis.fetch.acled import fetch_acled
from analysis.reports import drift as drift_module
from fetch_server import FakeAcled, fast, manifest, serving
from test_drift import PARAMS, PUBLISHED, _ids, _numbers, _row

EMAIL, PASSWORD = "analyst@example.org", "loop-pa55-never-shown"
STAMP = 1700000000  # ACLED's `timestamp` of the published version of every event


@pytest.mark.slow
def test_fetch_build_report_update_and_drift_name_exactly_the_revised_and_the_deleted_event(
        tmp_path, monkeypatch):
    from analysis import reports

    records = [dict(row, timestamp=str(STAMP)) for row in PUBLISHED]
    fake = FakeAcled(records, EMAIL, PASSWORD)
    with serving(fake, monkeypatch, tmp_path, "ACLED_API_URL", ACLED_EMAIL=EMAIL, ACLED_PASSWORD=PASSWORD) as server:
        monkeypatch.setattr(config, "RAW_DIR", server.raw)
        monkeypatch.setattr(config, "PROCESSED_DIR", tmp_path / "processed")
        monkeypatch.setattr(config, "REPORTS_DIR", tmp_path / "reports")
        base = fetch_acled("Ukraine", "2023-03-01", "2023-03-31", options=fast(), page_size=2)
        assert (manifest(base)["rows"], manifest(base)["pages"]) == (5, 3)

        published = reports.run_report("02-city-profile", PARAMS, write_index=False)
        assert published.ok, published.error
        run = json.loads((published.report_dir / "run.json").read_text(encoding="utf-8"))
        assert run["snapshots"] == {"acled": [base.name]}
        assert not drift_module.drift(published.report_dir).changed  # nothing changed yet

        time.sleep(1.1)  # snapshot stamps are whole seconds
        # ACLED revises 1002 (now 3 killed, civilian targeting) and deletes 1003
        fake.records[1] = dict(_row(1002, 2, True, 3), timestamp=str(STAMP + 50))
        gone = fake.records.pop(2)
        fake.deleted = [{"event_id_cnty": gone["event_id_cnty"], "deleted_timestamp": STAMP + 60}]
        update = fetch_acled(None, update=True, options=fast(), page_size=2)
        assert (manifest(update)["kind"], manifest(update)["parent"]) == ("update", base.name)
        assert [s.stamp for s in snapshots.chain("acled")] == [base.name, update.name]

        found = drift_module.drift(published.report_dir)
    assert found.changed
    numbers = _numbers(found.to_json())
    changed = {name: (n["old"], n["new"], n["delta"]) for name, n in numbers.items() if n["status"] != "unchanged"}
    # attacks in Kramatorsk 1-5 March: 1001..1004 -> 1003 deleted; civilian harm: 1001, 1004 -> + 1002
    assert changed == {"attacks": (4, 3, -1), "civilian_harm_incidents": (2, 3, 1)}
    assert _ids(numbers["attacks"]["events"]) == {"deleted": ["acled:UKR1003"], "revised": ["acled:UKR1002"]}
    assert _ids(numbers["civilian_harm_incidents"]["events"]) == {"added": ["acled:UKR1002"]}
    mentioned = {item["id"] for n in numbers.values() for items in (n["events"] or {}).values() for item in items}
    assert mentioned == {"acled:UKR1002", "acled:UKR1003"}  # exactly the two events ACLED touched
    revised = numbers["attacks"]["events"]["revised"][0]
    assert revised["fields"] == ["fatalities", "is_civilian_targeting"]
    assert revised["new"]["raw_file"] == f"snapshots/acled/{update.name}/page-00001.json"
    for path in [*tmp_path.rglob("*.json"), *tmp_path.rglob("*.html")]:
        assert PASSWORD not in path.read_text(encoding="utf-8", errors="replace"), path
