"""scripts/mutation_score.py: the score `make mutate` reports (docs/mutation.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "mutation_score.py"
RESULTS = """\
    analysis.metrics.x_window__mutmut_1: killed
    analysis.metrics.x_window__mutmut_2: survived
    analysis.metrics.x_window__mutmut_3: timeout
    analysis.metrics.x_window__mutmut_4: not checked
    analysis.sources.base.xǁReaderǁ__post_init____mutmut_1: killed
    analysis.sources.base.xǁReaderǁ__post_init____mutmut_2: no tests
    analysis.build.ingest.x_read_file__mutmut_1: survived
"""


def test_the_score_counts_killed_and_timeout_over_what_ran_in_the_selected_mutants():
    out = subprocess.run([sys.executable, str(SCRIPT), "analysis.metrics.*", "analysis.sources.*"], input=RESULTS,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == [
        "analysis.metrics: 66.7% (2 caught of 3 run; survived 1, no tests 0, not run 1)",
        "analysis.sources.base: 50.0% (1 caught of 2 run; survived 0, no tests 1, not run 0)",
        "mutation score: 60.0% (3 caught of 5 run; survived 1, no tests 1, not run 1)",  # ingest is not selected
    ]


def test_pending_lists_the_selected_mutants_not_run_yet_by_their_exact_names():
    results = RESULTS + "    analysis.build.ingest.x_read_file__mutmut_2: not checked\n"
    out = subprocess.run([sys.executable, str(SCRIPT), "--pending", "analysis.metrics.*", "analysis.sources.*"],
                         input=results, capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["analysis.metrics.x_window__mutmut_4"]  # ingest's is not selected


def test_mutation_runs_leave_out_tests_that_start_a_dask_cluster():
    """Every mutant reaching a test that starts a local Dask cluster timed out in mutmut's forked test process (and
    counted as killed).  conftest marks such tests ``cluster``; the mutation run deselects them."""
    import tomllib

    config = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    args = config["tool"]["mutmut"]["pytest_add_cli_args"]
    assert "not cluster" in args[args.index("-m") + 1]
    assert any(m.startswith("cluster:") for m in config["tool"]["pytest"]["ini_options"]["markers"])
