"""The snapshot store (analysis.fetch.snapshots): partial folders, resume, one-rename commit, chains, checks."""

from __future__ import annotations

import hashlib
import json
import os
import stat

import pytest

from analysis.errors import InputError, ProjectError
from analysis.fetch import snapshots
from analysis.fetch.snapshots import SnapshotWriter
from analysis.private import PrivateDirError

REQUEST = {"country": "Ukraine", "event_date": "2022-01-01|2022-06-30"}


def _page(*ids: str) -> bytes:
    return json.dumps({"status": 200, "success": True, "count": len(ids),
                       "data": [{"event_id_cnty": i} for i in ids]}).encode("utf-8")


def test_commit_writes_the_manifest_and_renames_the_partial_folder_once(tmp_path):
    writer = SnapshotWriter.open("acled", REQUEST, root=tmp_path)
    first, second = _page("UKR1", "UKR2"), _page("UKR3")
    writer.add_page(first)
    writer.add_page(second)
    assert writer.pages_done == 2
    folder = writer.commit(3, extra={"max_timestamp": 1656633600})
    assert snapshots.STAMP.fullmatch(folder.name) and folder.parent == tmp_path / "acled"
    assert sorted(p.name for p in (tmp_path / "acled").iterdir()) == [folder.name]  # no partial folder left
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "page-00001.json", "page-00002.json"]
    assert (folder / "page-00001.json").read_bytes() == first  # pages exactly as received
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest == {
        "source": "acled", "snapshot": folder.name, "created_utc": folder.name, "kind": "base", "parent": None,
        "request": REQUEST, "pages": 2, "rows": 3, "deleted_rows": 0,
        "files": {"page-00001.json": hashlib.sha256(first).hexdigest(),
                  "page-00002.json": hashlib.sha256(second).hexdigest()},
        "extra": {"max_timestamp": 1656633600}}
    assert snapshots.latest("acled", root=tmp_path).path == folder


def test_before_the_commit_there_is_only_a_private_partial_folder(tmp_path):
    writer = SnapshotWriter.open("acled", REQUEST, root=tmp_path)
    writer.add_page(_page("UKR1"))
    [partial] = (tmp_path / "acled").iterdir()
    assert partial.name.startswith(".partial-") and partial == writer.folder
    assert stat.S_IMODE(partial.stat().st_mode) == 0o700
    assert snapshots.latest("acled", root=tmp_path) is None and snapshots.chain("acled", root=tmp_path) == []


def test_a_killed_fetch_resumes_its_pages_and_state(tmp_path):
    writer = SnapshotWriter.open("acled", REQUEST, root=tmp_path)
    assert (writer.pages_done, writer.state) == (0, {})
    writer.add_page(_page("UKR1"))
    writer.save_state({"next_page": 2})
    (writer.folder / ".page-00002.json.x.tmp").write_bytes(b'{"data": [')  # a page write killed midway
    writer.close()  # the process dies: the system releases its lock; its pages stay

    again = SnapshotWriter.open("acled", dict(REQUEST), root=tmp_path)
    assert (again.pages_done, again.state) == (1, {"next_page": 2})
    assert sorted(p.name for p in again.folder.iterdir()) == ["page-00001.json", "state.json"]
    assert again.add_page(_page("UKR2")).name == "page-00002.json"
    partial = again.folder
    folder = again.commit(2)
    other = SnapshotWriter.open("acled", {**REQUEST, "country": "Sudan"}, root=tmp_path)
    assert other.folder.name.startswith(".partial-") and other.folder != partial and other.pages_done == 0
    assert "state.json" not in {p.name for p in folder.iterdir()}  # the resume point is not part of a snapshot
    assert json.loads((folder / "manifest.json").read_text())["pages"] == 2


def test_a_partial_folder_open_to_others_is_refused(tmp_path):
    writer = SnapshotWriter.open("acled", REQUEST, root=tmp_path)
    writer.add_page(_page("UKR1"))
    writer.close()  # a fetch that stopped, leaving its pages
    os.chmod(writer.folder, 0o755)
    with pytest.raises(PrivateDirError, match="0755"):
        SnapshotWriter.open("acled", REQUEST, root=tmp_path)


def test_one_fetch_at_a_time_per_source_and_a_fetch_that_saved_nothing_leaves_nothing(tmp_path):
    first = SnapshotWriter.open("acled", REQUEST, root=tmp_path)
    with pytest.raises(ProjectError, match=r"^another fetch of acled is writing to .*acled now; wait for it"):
        SnapshotWriter.open("acled", {**REQUEST, "country": "Sudan"}, root=tmp_path)
    SnapshotWriter.open("ucdp_ged", REQUEST, root=tmp_path).close()  # other sources are not held up
    first.close()  # failed before its first page (a refused login): no empty partial folder stays behind
    assert list((tmp_path / "acled").iterdir()) == []
    with SnapshotWriter.open("acled", REQUEST, root=tmp_path) as second:  # the lock went with the first
        second.add_page(_page("UKR1"))
    assert [p.name.startswith(".partial-") for p in (tmp_path / "acled").iterdir()] == [True]  # pages are kept


def test_updates_name_their_parent_and_chains_run_base_first(tmp_path):
    base = SnapshotWriter.open("acled", REQUEST, root=tmp_path)
    base.add_page(_page("UKR1"))
    b = base.commit(1).name
    first = SnapshotWriter.open("acled", {"since": 1}, kind="update", parent=b, root=tmp_path)
    first.add_page(_page("UKR1"))
    first.add_page(b'{"data": [{"event_id_cnty": "UKR2", "deleted_timestamp": "1656633600"}]}', kind="deleted")
    u1 = first.commit(1, 1).name
    second = SnapshotWriter.open("acled", {"since": 2}, kind="update", parent=u1, root=tmp_path)
    u2 = second.commit(0).name
    assert b < u1 < u2  # stamps of one second are made distinct, in order
    assert [s.stamp for s in snapshots.chain("acled", root=tmp_path)] == [b, u1, u2]
    assert [s.stamp for s in snapshots.chain("acled", u1, root=tmp_path)] == [b, u1]
    assert [s.stamp for s in snapshots.chain("acled", b, root=tmp_path)] == [b]
    middle = snapshots.chain("acled", u1, root=tmp_path)[1]
    assert middle.manifest["parent"] == b and middle.manifest["deleted_rows"] == 1
    assert [p.name for p in middle.files("deleted")] == ["deleted-00001.json"]
    with pytest.raises(ValueError, match="no snapshot acled=20990101T000000Z"):
        snapshots.chain("acled", "20990101T000000Z", root=tmp_path)
    assert snapshots.chain("ucdp_ged", root=tmp_path) == []
    with pytest.raises(ValueError, match="parent"):
        SnapshotWriter.open("acled", REQUEST, kind="update", root=tmp_path)


def test_an_update_whose_parent_is_gone_cannot_be_read(tmp_path):
    base = SnapshotWriter.open("acled", REQUEST, root=tmp_path)
    b = base.commit(0)
    SnapshotWriter.open("acled", {"since": 1}, kind="update", parent=b.name, root=tmp_path).commit(0)
    (b / "manifest.json").unlink()  # no longer a complete snapshot
    with pytest.raises(InputError, match="parent snapshot"):
        snapshots.chain("acled", root=tmp_path)


@pytest.mark.parametrize("damage, says", [
    (lambda f: (f / "page-00001.json").write_bytes(_page("UKR9")), "corrupted snapshot file: its sha256 is"),
    (lambda f: (f / "page-00001.json").unlink(), "missing"),
    (lambda f: (f / "page-00009.json").write_bytes(_page("UKR9")), "does not list"),
])
def test_a_snapshot_whose_files_differ_from_its_manifest_fails_the_check(tmp_path, damage, says):
    writer = SnapshotWriter.open("acled", REQUEST, root=tmp_path)
    writer.add_page(_page("UKR1"))
    folder = writer.commit(1)
    snapshots.verify(snapshots.latest("acled", root=tmp_path))  # intact: no error
    damage(folder)
    with pytest.raises(InputError, match=says):
        snapshots.verify(snapshots.latest("acled", root=tmp_path))
