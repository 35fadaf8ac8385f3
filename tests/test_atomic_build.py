"""A build is atomic as a whole: killed at any point, readers see all of the old build or all of the new one.

The builds run in a subprocess and stop at named points through the test hook
(``ANALYSIS_TEST_KILL_AT`` / ``ANALYSIS_TEST_PAUSE_AT``, see analysis.hooks):
no timing races.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis import config
from analysis.metrics import loaders
from analysis.build import build, is_up_to_date
from analysis.errors import DataNotBuiltError, OutputError
from analysis.build.generations import STAGES
from conftest import acled_rows, to_csv_text

REPO_RAW = config.PROJECT_DIR / "data" / "raw"
AFTER_SWITCH = {"switched", "linked", "cleaned"}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def raws(tmp_path):
    """Two raw folders: the seed files ("old"), and the seed files plus a small ACLED file ("new")."""
    old, new = tmp_path / "raw_old", tmp_path / "raw_new"
    for folder in (old, new):
        folder.mkdir()
        for path in REPO_RAW.glob("*_rferl_*.csv"):
            shutil.copy(path, folder / path.name)
    rows = acled_rows(5)
    rows[2]["fatalities"] = "-1"  # one rejected row, one merged: every ledger file changes
    (new / "acled_small.csv").write_text(to_csv_text(rows + [rows[0]]), encoding="utf-8")
    return old, new


def _build_in_subprocess(raw: Path, out: Path, **hook) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANALYSIS_TEST_")} | hook
    return subprocess.Popen([sys.executable, "-m", "analysis", "build", "--force", "--quiet", "--raw-dir", str(raw),
                             "--processed-dir", str(out)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)


def _consistent_build(out: Path) -> dict:
    """What readers see is one whole build: check it, return its manifest."""
    data = loaders.snapshot(out, build=False)
    manifest = data.manifest()
    assert loaders.load_manifest(out, build=False) == manifest == json.loads((out / "manifest.json").read_text())
    for name, info in manifest["outputs"].items():
        assert _sha(data.directory / name) == info["sha256"], name
        assert _sha(out / name) == info["sha256"], name  # the stable names read the same build
    totals, outputs = manifest["totals"], manifest["outputs"]
    events = loaders.load_events(processed_dir=out, build=False)
    assert len(events) == outputs["events.parquet"]["rows"]
    tables = ("events.parquet", "claims.parquet", "air_attacks.parquet")
    assert sum(len(pd.read_parquet(out / name)) for name in tables) == totals["accepted"]
    rejects = loaders.load_ledger_file(config.REJECTS_FILE, out)
    assert len(rejects.drop_duplicates(["raw_file", "raw_line"])) == totals["rejected"]
    assert len(loaders.load_ledger_file(config.MERGED_FILE, out)) == totals["merged"]
    assert len(loaders.load_daily_counts(processed_dir=out, build=False)) == outputs["daily_counts.parquet"]["rows"]
    return manifest


def _inputs(manifest: dict) -> list[str]:
    return sorted(entry["path"] for entry in manifest["inputs"])


def _no_leftovers(out: Path) -> None:
    assert not list(out.glob(".build-*")) and not list(out.glob(".*.tmp"))
    assert len(list((out / config.GENERATIONS_DIR).iterdir())) <= 2  # the current build and the previous one


def test_a_build_killed_at_any_point_leaves_the_old_build_or_the_new_one_never_a_mix(raws, tmp_path):
    old_raw, new_raw = raws
    out = tmp_path / "processed"
    old = build(old_raw, out).manifest
    outputs = len(old["outputs"])
    points = [(stage, n) for stage in STAGES for n in range(1, (outputs if stage == "output_written" else 1) + 1)]
    assert len(points) == len(STAGES) - 1 + outputs == 17  # 9 outputs, deleted.csv included
    for stage, n in points:
        report = build(old_raw, out)  # the build after a killed one succeeds (and cleans up)
        assert report.ok and _inputs(_consistent_build(out)) == _inputs(old)
        _no_leftovers(out)
        proc = _build_in_subprocess(new_raw, out, ANALYSIS_TEST_KILL_AT=f"{stage}:{n}")
        proc.communicate()
        assert proc.returncode == -signal.SIGKILL, f"{stage}:{n} was not reached"
        seen = _consistent_build(out)
        expected = old_raw if stage not in AFTER_SWITCH else new_raw
        assert _inputs(seen) == sorted(p.name for p in expected.iterdir()), f"{stage}:{n}"
        assert is_up_to_date(expected, out) and not is_up_to_date(old_raw if expected == new_raw else new_raw, out)
    report = build(new_raw, out)
    assert report.ok and _inputs(_consistent_build(out)) == ["acled_small.csv", *_inputs(old)]
    _no_leftovers(out)


def _paused(proc: subprocess.Popen, stage: str) -> None:
    """Wait (without a timeout) until the build prints that it paused at ``stage``."""
    for line in proc.stderr:
        if line.startswith(f"paused at {stage}"):
            return
    raise AssertionError(f"the build ended ({proc.wait()}) before it paused at {stage}")


def test_a_reader_keeps_reading_its_build_while_a_new_build_switches(raws, tmp_path):
    old_raw, new_raw = raws
    out = tmp_path / "processed"
    build(old_raw, out)
    reader = loaders.snapshot(out, build=False)  # resolved once, before the next build
    manifest = reader.manifest()
    first_events = reader.events()
    proc = _build_in_subprocess(new_raw, out, ANALYSIS_TEST_PAUSE_AT="switched")
    try:
        _paused(proc, "switched")  # the new build is current now, the old one is still there
        assert _inputs(loaders.load_manifest(out, build=False)) == ["acled_small.csv", *_inputs(manifest)]
        assert reader.manifest() == manifest
        for name, info in manifest["outputs"].items():
            assert _sha(reader.directory / name) == info["sha256"], name
        assert reader.events().equals(first_events)
        assert len(first_events) == manifest["outputs"]["events.parquet"]["rows"]
        assert len(reader.ledger_file(config.MERGED_FILE)) == manifest["totals"]["merged"] == 0
    finally:
        proc.kill()
        proc.wait()
    build(new_raw, out)  # one more complete build: the reader's build is still the previous one
    assert reader.events().equals(first_events)
    build(old_raw, out)  # and one more: it is gone, and says so clearly
    with pytest.raises(DataNotBuiltError, match="load the data again"):
        reader.events()
    assert len(loaders.load_events(processed_dir=out, build=False)) == len(first_events)


def test_a_failed_build_leaves_no_generation_behind(raws, tmp_path, monkeypatch):
    from analysis.build import pipeline

    old_raw, new_raw = raws
    out = tmp_path / "processed"
    build(old_raw, out)
    before = sorted(p.name for p in (out / config.GENERATIONS_DIR).iterdir())

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pipeline, "_write_daily_counts", disk_full)
    with pytest.raises(OutputError, match="No space left on device"):  # the user's to fix: exit 2
        build(new_raw, out)
    assert sorted(p.name for p in (out / config.GENERATIONS_DIR).iterdir()) == before
    assert _inputs(_consistent_build(out)) == sorted(p.name for p in old_raw.iterdir())


def test_a_processed_folder_of_the_old_layout_is_rebuilt_into_generations(raws, tmp_path):
    old_raw, _ = raws
    out = tmp_path / "processed"
    out.mkdir()
    for name in ("events.parquet", "manifest.json", "rejects.csv"):  # plain files, as earlier versions wrote
        (out / name).write_text("old layout")
    assert not is_up_to_date(old_raw, out)
    with pytest.raises(DataNotBuiltError):
        loaders.load_events(processed_dir=out, build=False)
    report = build(old_raw, out)
    assert not report.skipped and (out / "events.parquet").is_symlink()
    assert _inputs(_consistent_build(out)) == sorted(p.name for p in old_raw.iterdir())


def test_a_report_reads_the_build_its_run_json_records_even_if_a_build_switches_meanwhile(seed_dirs, tmp_path,
                                                                                         monkeypatch):
    import nbformat

    from analysis import reports
    from analysis.reports import execution

    raw, processed, _ = seed_dirs
    nb = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell('report_dir: str = ""  # set by the runner')
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters, nbformat.v4.new_code_cell(
        'import analysis\nfrom analysis.reports.reporting import Report\nreport = Report("t", {}, report_dir)\n'
        'report.state("inputs", len(analysis.load_manifest()["inputs"]), "inputs", "input files")\n'
        'report.state("events", len(analysis.load_events()), "events", "events")')]
    path = tmp_path / "20-inputs.ipynb"
    nbformat.write(nb, path)
    real = execution.execute

    def a_build_switches_first(*args, **kwargs):  # after run_report resolved its build, before the notebook runs
        (raw / "acled_small.csv").write_text(to_csv_text(acled_rows(3)), encoding="utf-8")
        assert not build(raw, processed).skipped
        return real(*args, **kwargs)

    monkeypatch.setattr(execution, "execute", a_build_switches_first)
    result = reports.run_report(path, {})
    assert result.ok, result.error
    run = json.loads((result.report_dir / "run.json").read_text())
    numbers = {n["name"]: n["value"] for n in json.loads((result.report_dir / "numbers.json").read_text())["numbers"]}
    assert len(run["inputs"]) == 2 and numbers == {"inputs": 2, "events": 7}  # the seed build, as run.json says
    assert not (result.report_dir / loaders.PIN_FILE).exists()
    assert len(loaders.load_events()) == 10  # outside the report: the new build


def test_a_distributed_build_killed_after_its_reads_leaves_the_old_build_and_no_worker(raws, tmp_path):
    # the Dask workers read every file, then the build is killed: readers still see the old build, the
    # local cluster's worker processes go with the build, and the next distributed build succeeds with the
    # same outputs as the in-process build
    psutil = pytest.importorskip("psutil")  # comes with Dask's distributed
    old_raw, new_raw = raws
    out = tmp_path / "processed"
    old = build(old_raw, out).manifest
    proc = subprocess.Popen([sys.executable, "-m", "analysis", "build", "--force", "--quiet", "--raw-dir",
                             str(new_raw), "--processed-dir", str(out), "--scheduler", "local"],
                            env={k: v for k, v in os.environ.items() if not k.startswith("ANALYSIS_TEST_")}
                            | {"ANALYSIS_TEST_PAUSE_AT": "read"}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        _paused(proc, "read")
        workers = psutil.Process(proc.pid).children(recursive=True)
        assert sum("dask" in " ".join(w.cmdline()) or "dask" in w.name() for w in workers) >= 1
    finally:
        proc.kill()
        proc.wait()
    _, alive = psutil.wait_procs(workers, timeout=60)  # Dask's nannies notice that their parent is gone
    for process in alive:
        process.kill()
    assert not alive, f"worker processes outlived the killed build: {alive}"
    assert _inputs(_consistent_build(out)) == _inputs(old)
    assert is_up_to_date(old_raw, out)
    from analysis import cluster

    try:
        on_cluster = build(new_raw, out, scheduler="local")
    finally:
        cluster.close()  # the local cluster this process started
    assert on_cluster.ok and _inputs(_consistent_build(out)) == ["acled_small.csv", *_inputs(old)]
    _no_leftovers(out)
    in_process = build(new_raw, tmp_path / "in-process")
    assert on_cluster.manifest["outputs"] == in_process.manifest["outputs"]
