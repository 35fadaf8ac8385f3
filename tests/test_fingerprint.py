"""The code fingerprint: every package file, one home, used by the build and the report runner alike.

Tests change files in a copy of the package (``fingerprint.PACKAGE_DIR`` points
at the copy), so the code that runs is unchanged while the fingerprint sees the
change the way it would see an edit to the real package.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis import build, config, fingerprint
from analysis.metrics import loaders
from analysis.reports import runner

# every file of the package, whatever the layout: a hand-kept list once left out the module that decides rejects
CHANGED = [p.relative_to(fingerprint.PACKAGE_DIR).as_posix() for p in fingerprint.package_files()]


@pytest.fixture
def package(tmp_path, monkeypatch) -> Path:
    """A copy of the package that the fingerprint reads instead of the installed one."""
    copy = tmp_path / "pkg" / "analysis"
    shutil.copytree(fingerprint.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(fingerprint, "PACKAGE_DIR", copy)
    return copy


@pytest.fixture
def seed_raw(tmp_path) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    for path in (config.PROJECT_DIR / "data" / "raw").glob("*_rferl_*.csv"):
        shutil.copy(path, raw / path.name)
    return raw


def _edit(path: Path) -> None:
    path.write_bytes(path.read_bytes() + b"\n# an edit\n")


def test_every_module_and_data_file_of_the_package_is_fingerprinted():
    files = {p.relative_to(fingerprint.PACKAGE_DIR).as_posix() for p in fingerprint.package_files()}
    modules = {p.relative_to(fingerprint.PACKAGE_DIR).as_posix() for p in fingerprint.PACKAGE_DIR.rglob("*.py")}
    assert modules <= files
    assert {"sources/acled.py", "places/match.py", "styles/house.mplstyle"} <= files
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in files)
    assert [p.relative_to(fingerprint.PACKAGE_DIR).as_posix() for p in fingerprint.package_files()] == sorted(files)


def test_the_fingerprint_depends_only_on_names_and_bytes(package, tmp_path):
    value = fingerprint.code_fingerprint()
    assert len(value) == 64 and value == fingerprint.code_fingerprint()
    other = tmp_path / "elsewhere" / "analysis"  # another folder, fresh mtimes: the same code
    shutil.copytree(package, other)
    assert fingerprint.code_fingerprint(other) == value
    (package / "sources" / "acled.py").touch()  # a newer mtime is not a change
    (package / "__pycache__").mkdir(exist_ok=True)
    (package / "__pycache__" / "rowchecks.cpython-311.pyc").write_bytes(b"byte code")
    (package / ".rowchecks.py.swp").write_bytes(b"an editor's file")
    assert fingerprint.code_fingerprint() == value


@pytest.mark.parametrize("name", CHANGED)
def test_changing_any_file_changes_the_fingerprint(package, name):
    before = fingerprint.code_fingerprint()
    _edit(package / name)
    assert fingerprint.code_fingerprint() != before


def test_adding_removing_or_renaming_a_module_changes_the_fingerprint(package):
    seen = {fingerprint.code_fingerprint()}
    (package / "sources" / "newformat.py").write_text("TARGET = 'events'\n", encoding="utf-8")
    seen.add(fingerprint.code_fingerprint())
    (package / "sources" / "newformat.py").rename(package / "sources" / "other.py")
    seen.add(fingerprint.code_fingerprint())
    (package / "sources" / "other.py").unlink()
    (package / "sources" / "claims.py").unlink()
    seen.add(fingerprint.code_fingerprint())
    assert len(seen) == 4


def test_the_schema_version_is_part_of_the_fingerprint(package, monkeypatch):
    before = fingerprint.code_fingerprint()
    monkeypatch.setattr(config, "SCHEMA_VERSION", config.SCHEMA_VERSION + ".1")
    assert fingerprint.code_fingerprint() != before


@pytest.mark.slow
def test_a_change_to_any_module_rebuilds_and_an_unchanged_package_does_not(package, seed_raw, tmp_path):
    processed = tmp_path / "processed"
    first = loaders.ensure_built(seed_raw, processed)
    assert first["code_fingerprint"] == fingerprint.code_fingerprint()
    assert build.build(seed_raw, processed).skipped  # nothing changed: no rebuild
    for name in CHANGED:
        original = (package / name).read_bytes()
        _edit(package / name)
        assert not build.is_up_to_date(seed_raw, processed), f"a change to {name} would reuse stale data"
        (package / name).write_bytes(original)
        assert build.is_up_to_date(seed_raw, processed), name
    _edit(package / "sources" / "acled.py")  # decides which rows are rejected
    rebuilt = loaders.ensure_built(seed_raw, processed)
    assert rebuilt["code_fingerprint"] == fingerprint.code_fingerprint() != first["code_fingerprint"]
    assert build.read_manifest(processed) == rebuilt  # a new generation is current
    assert rebuilt["outputs"] == first["outputs"]  # the same code ran: the same data, only the fingerprint moved
    assert build.build(seed_raw, processed).skipped


def test_the_runner_and_the_build_use_the_same_fingerprint(package, seed_raw, tmp_path, monkeypatch):
    processed = tmp_path / "processed"
    recorded = loaders.ensure_built(seed_raw, processed)["code_fingerprint"]
    socket = runner.socket_path()
    for name in ("sources/news.py", "places/match.py", "sources/ucdp.py"):
        _edit(package / name)  # changed code: a rebuild and a fresh runner
        assert not build.is_up_to_date(seed_raw, processed) and runner.socket_path() != socket
        assert fingerprint.code_fingerprint() != recorded
    # both ask analysis.fingerprint: the value the build compares is the value that names the runner's socket
    monkeypatch.setattr(fingerprint, "code_fingerprint", lambda package_dir=None: recorded)
    assert build.is_up_to_date(seed_raw, processed) and runner.socket_path() == socket
