"""The benchmark suite runs (at a tiny size); no timing is asserted here or anywhere."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import shutil
import sys
from datetime import date

import pytest

from analysis import config

pytestmark = pytest.mark.slow

NEW_TARGETS = {"attacks_per_day, DuckDB path, warm", "attacks_per_day, DuckDB path, fresh",
               "civilian_harm_by_city, DuckDB path, warm", "civilian_harm_by_city, DuckDB path, fresh"}


def _run_module():
    spec = importlib.util.spec_from_file_location("bench_run", config.PROJECT_DIR / "benchmarks" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_suite_runs_and_writes_its_results(tmp_path):
    out = tmp_path / "results"
    result = subprocess.run([sys.executable, str(config.PROJECT_DIR / "benchmarks" / "run.py"), "--sizes", "10k",
                             "--gdelt-sizes", "10k", "--dask", "--repeats", "1", "--no-reports", "--out", str(out),
                             "--markdown", str(tmp_path / "R.md")],
                            capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(next(out.glob("*.json")).read_text())
    measured = report["sizes"]["10k"]
    for name in ("validate", "build", "noop_build", "attacks_per_day", "civilian_harm_by_city", "duckdb_copy",
                 "duckdb_attacks_per_day", "duckdb_civilian_harm_by_city", "warm_attacks_per_day",
                 "warm_duckdb_civilian_harm_by_city", "metric_imports"):
        assert measured[name]["exit_codes"] == [0] and measured[name]["median_s"] > 0, name
    assert report["machine"]["cores"] and report["machine"]["versions"]["duckdb"]
    assert {r["measure"] for r in report["ratios"]} == {
        "build", "attacks_per_day", "civilian_harm_by_city", "attacks_per_day, warm process",
        "civilian_harm_by_city, warm process", *NEW_TARGETS}
    assert len(measured["warm_attacks_per_day"]["runs_s"]) == 3
    assert measured["build"]["median_cpu_s"] > 0
    bounds = {(b["measure"], b["bound"]): b for b in report["bounds"] if b["size"] == "10k"}
    cores = report["machine"]["cores"]
    build = bounds[("build", f"CPU seconds / {cores} cores")]
    assert build["bound_s"] == pytest.approx(measured["build"]["median_cpu_s"] / cores)
    assert build["ratio"] == pytest.approx(build["bound_s"] / measured["duckdb_copy"]["median_s"])
    assert bounds[("civilian_harm_by_city", "imports alone")]["bound_s"] == measured["metric_imports"]["median_s"]
    assert bounds[("build", "reading the input (cat > /dev/null)")]["bound_s"] == measured["floor_cat"]["median_s"]
    assert bounds[("attacks_per_day, DuckDB path", "imports alone")]["bound_s"] == measured["scan_imports"]["median_s"]
    floor = bounds[("civilian_harm_by_city, DuckDB path", "pandas and DuckDB imports alone (any pandas result)")]
    assert floor["bound_s"] == measured["pandas_duckdb_imports"]["median_s"] > 0
    assert floor["ratio"] == pytest.approx(floor["bound_s"] / measured["duckdb_civilian_harm_by_city"]["median_s"])
    markdown = (tmp_path / "R.md").read_text()
    assert "| build | 10k |" in markdown and "## What bounds the unmet targets" in markdown

    # the new measurements, on the ACLED file and on synthetic GDELT in many files
    gdelt = report["sizes"]["gdelt-10k"]
    assert gdelt["input"] == "gdelt" and gdelt["input_files"] > 1 and "validate" not in gdelt
    for size in (measured, gdelt):
        for name in ("floor_cat", "build", "duckdb_copy", "scan_attacks_per_day", "scan_civilian_harm_by_city",
                     "warm_scan_attacks_per_day", "warm_scan_civilian_harm_by_city", "dask_metrics"):
            assert size[name]["exit_codes"] == [0] and size[name]["median_s"] > 0, name
        for name in ("attacks_per_day", "civilian_harm_by_city", "scan_attacks_per_day",
                     "scan_civilian_harm_by_city", "warm_scan_attacks_per_day"):
            assert size[name]["peak_rss_mb"] > 0, name
        dask = size["dask_metrics"]
        assert dask["identical"] == {"attacks_per_day": True, "civilian_harm_by_city": True}
        assert dask["all_identical"] and dask["error"] is None
        assert set(dask["dask_s"]) == set(dask["pandas_s"]) == {"attacks_per_day", "civilian_harm_by_city"}
    assert {r["size"] for r in report["ratios"] if r["measure"] in NEW_TARGETS} == {"10k", "gdelt-10k"}
    assert report["scaling"] == [] and report["memory"] == []  # no 2.5M/25M sizes ran
    plot = tmp_path / "scaling.png"
    assert report["plot"] == "scaling.png" and plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "![Wall time against rows, log-log](scaling.png)" in markdown and "## Dask" in markdown


def test_growth_and_memory_targets_are_read_off_the_sizes_that_ran():
    run = _run_module()
    entry = lambda seconds, rss: {"median_s": seconds, "peak_rss_mb": rss}  # noqa: E731
    sizes = {"2.5m": {"rows": 2_500_000, "build": entry(10.0, 1500.0)},
             "25m": {"rows": 25_000_000, "build": entry(120.0, 3000.0), "attacks_per_day": entry(5.0, 2000.0),
                     "scan_attacks_per_day": entry(1.0, 300.0)}}
    [growth] = run.scaling(sizes)
    assert (growth["measure"], growth["from"], growth["to"]) == ("build", "2.5m", "25m")
    assert growth["rows_ratio"] == 10 and growth["time_ratio"] == 12 and not growth["meets_target"]
    memory = {(r["size"], r["measure"]): r["meets_target"] for r in run.memory(sizes)}
    assert memory == {("2.5m", "build"): True, ("25m", "build"): False, ("25m", "attacks_per_day"): False,
                      ("25m", "scan_attacks_per_day"): True}  # the 25M build: 3,000 MB against 2 GB
    assert run.scaling({"2.5m": sizes["2.5m"]}) == []


def test_what_a_ratio_compares_is_measured_round_by_round(tmp_path):
    """One run of each command per round, each after its own preparation: a slow spell of the machine falls
    on both sides of a ratio, not on the build's five runs alone."""
    run = _run_module()
    log = tmp_path / "log"
    step = lambda text: ["sh", "-c", f"echo {text} >> {log}"]  # noqa: E731
    found = run.alternated({"build": (step("build"), None),
                            "copy": (step("copy"), lambda: log.open("a").write("remove-parquet\n"))}, 3)
    assert log.read_text().split() == ["build", "remove-parquet", "copy"] * 3
    assert set(found) == {"build", "copy"}
    assert len(found["build"]["runs_s"]) == len(found["copy"]["runs_s"]) == 3
    assert found["copy"]["exit_codes"] == [0] and found["copy"]["error"] is None
    failing = run.alternated({"fails": (["sh", "-c", "echo broken >&2; exit 3"], None)}, 2)["fails"]
    assert failing["exit_codes"] == [3] and "broken" in failing["error"]


def test_the_ab_comparison_builds_both_revisions_beside_duckdb_and_compares_their_bytes(tmp_path):
    ab = config.PROJECT_DIR / "benchmarks" / "ab.py"
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=config.PROJECT_DIR, capture_output=True, text=True,
                          check=True).stdout.strip()
    # what a killed run leaves: the baseline's worktree, registered with git
    stale = config.PROJECT_DIR / "benchmarks" / "cache" / "ab_10k" / "baseline"
    shutil.rmtree(stale.parent, ignore_errors=True)
    subprocess.run(["git", "worktree", "prune"], cwd=config.PROJECT_DIR, check=True)
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(stale), head], cwd=config.PROJECT_DIR,
                   check=True)
    result = subprocess.run([sys.executable, str(ab), "HEAD", "--size", "10k", "--rounds", "2", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    written = list(tmp_path.glob(f"*-ab-{head[:7]}-10k.json"))
    assert len(written) == 1 and written[0].name.startswith(date.today().isoformat()[:4])
    report = json.loads(written[0].read_text())
    assert report["baseline_commit"] == head and report["rounds"] == 2 and report["rows"] == 10_000
    src_changed = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "src"], cwd=config.PROJECT_DIR).returncode
    if not src_changed:  # a clean checkout (CI): the same code on both sides writes the same bytes
        assert report["identical_outputs"] is True
    for arm in ("baseline", "current", "duckdb_copy"):
        assert report[arm]["exit_codes"] == [0] and len(report[arm]["runs_s"]) == 2 and report[arm]["error"] is None
    copy = report["duckdb_copy"]["median_s"]
    assert report["ratio_to_copy"]["current"] == pytest.approx(report["current"]["median_s"] / copy)
    assert report["ratio_to_copy_per_round"]["baseline"] == pytest.approx(
        [b / c for b, c in zip(report["baseline"]["runs_s"], report["duckdb_copy"]["runs_s"])])
    assert report["current_over_baseline"] == pytest.approx(report["current"]["median_s"] / report["baseline"]["median_s"])
    assert "byte-identical" in result.stdout and "current / baseline" in result.stdout
    trees = subprocess.run(["git", "worktree", "list"], cwd=config.PROJECT_DIR, capture_output=True, text=True).stdout
    assert "ab_10k" not in trees and not stale.exists()  # the stale worktree and this run's are both gone


def test_the_ab_comparison_refuses_a_revision_that_is_not_a_commit(tmp_path):
    ab = config.PROJECT_DIR / "benchmarks" / "ab.py"
    before = subprocess.run(["git", "worktree", "list"], cwd=config.PROJECT_DIR, capture_output=True, text=True).stdout
    result = subprocess.run([sys.executable, str(ab), "no-such-revision", "--size", "10k", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "'no-such-revision' is not a commit of this repository" in result.stderr
    assert "Traceback" not in result.stderr and not list(tmp_path.iterdir())
    after = subprocess.run(["git", "worktree", "list"], cwd=config.PROJECT_DIR, capture_output=True, text=True).stdout
    assert after == before and not (config.PROJECT_DIR / "benchmarks" / "cache" / "ab_10k" / "baseline").exists()
    option = subprocess.run([sys.executable, str(ab), "--size", "10k", "--out", str(tmp_path), "--", "--output=x"],
                            capture_output=True, text=True, timeout=300)
    assert option.returncode == 2 and "'--output=x' is not a commit" in option.stderr  # never passed to git as an option
    bad_size = subprocess.run([sys.executable, str(ab), "HEAD", "--size", "3m"], capture_output=True, text=True,
                              timeout=300)
    assert bad_size.returncode == 2 and "--size must be one of" in bad_size.stderr
