"""The benchmark suite runs (at a tiny size); no timing is asserted here or anywhere."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from analysis import config

pytestmark = pytest.mark.slow


def test_the_benchmark_suite_runs_and_writes_its_results(tmp_path):
    out = tmp_path / "results"
    result = subprocess.run([sys.executable, str(config.PROJECT_DIR / "benchmarks" / "run.py"), "--sizes", "10k",
                             "--repeats", "1", "--no-reports", "--out", str(out), "--markdown", str(tmp_path / "R.md")],
                            capture_output=True, text=True, timeout=600)
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
        "civilian_harm_by_city, warm process"}
    assert len(measured["warm_attacks_per_day"]["runs_s"]) == 3
    assert measured["build"]["median_cpu_s"] > 0
    bounds = {(b["measure"], b["bound"]): b for b in report["bounds"]}
    cores = report["machine"]["cores"]
    build = bounds[("build", f"CPU seconds / {cores} cores")]
    assert build["bound_s"] == pytest.approx(measured["build"]["median_cpu_s"] / cores)
    assert build["ratio"] == pytest.approx(build["bound_s"] / measured["duckdb_copy"]["median_s"])
    assert bounds[("civilian_harm_by_city", "imports alone")]["bound_s"] == measured["metric_imports"]["median_s"]
    markdown = (tmp_path / "R.md").read_text()
    assert "| build | 10k |" in markdown and "## What bounds the unmet targets" in markdown
