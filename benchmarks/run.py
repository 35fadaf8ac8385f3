"""The benchmark suite: the package against the tools users would pick instead, as ratios.

Run it with ``make bench`` (or ``.venv/bin/python benchmarks/run.py``; ``--help``
for options).  For each input size it generates a deterministic synthetic
ACLED file (cached in ``benchmarks/cache/``), then measures, each in a fresh
process, the median wall time of several runs and the peak resident memory:

* the floor: ``cat > /dev/null`` of the raw input bytes (``floor_cat``);
* ``validate``, a full ``build``, a no-op ``build``;
* ``attacks_per_day`` and ``civilian_harm_by_city`` on the processed data, loading included:
  on pandas (``analysis.load_events``) and on the DuckDB path (``analysis.scan_events()``,
  tasks ``scan_*``);
* DuckDB converting the same CSV to Parquet, and running the two aggregates as hand-written SQL;
* the two aggregates (pandas and DuckDB path) and DuckDB's SQL repeated inside one warm
  process (imports excluded, as in a notebook kernel or the report runner);
* lower bounds for the targets that are not met: the build's CPU seconds over
  the cores, the imports alone of a fresh metric process, the ``cat`` of the input;
* with ``--dask``, both metrics through ``scan_events(engine="dask")`` on a local
  cluster in a fresh process, checked equal to the pandas results (``dask_metrics``).

and once, on the first ACLED size, one report and a batch of 24 reports against
the plain ``papermill`` command line running the same notebook one after another.
What a target's ratio compares is measured round by round (the build, then DuckDB's copy,
then the build again...), so that both sides see the same spells of a shared machine.

``--gdelt-sizes`` adds synthetic GDELT inputs of those sizes (label ``gdelt-<size>``),
one file per 15 minutes (:mod:`analysis.build.gdelt_synth`, cached like the ACLED files),
measured the same way except ``validate``.  10M and 25M rows run only when asked
(``--sizes 2.5m,25m --gdelt-sizes 25m``).  After a run, ``scaling.png`` (beside
the Markdown table) plots wall time against rows, log-log.

Results go to ``benchmarks/results/<date>.json`` and ``benchmarks/RESULTS.md``,
with the machine (cores, RAM) and the versions.  No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / "cache"
RESULTS = HERE / "results"
PY = sys.executable
ANALYSIS = [PY, "-m", "analysis"]
TASKS = [PY, str(HERE / "tasks.py")]
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000, "2.5m": 2_500_000, "10m": 10_000_000,
         "25m": 25_000_000}
GDELT = "gdelt-"  # label prefix of the GDELT inputs
METRIC_TASKS = ("attacks_per_day", "civilian_harm_by_city", "scan_attacks_per_day", "scan_civilian_harm_by_city",
                "duckdb_attacks_per_day", "duckdb_civilian_harm_by_city")
IMPORT_TASKS = ("metric_imports", "scan_imports", "pandas_duckdb_imports")  # the floors of the fresh metric tasks
REPORT_NOTEBOOK = "01-daily-briefing"

# (name, ours, reference, target ratio ours/reference, what the issue asks)
TARGETS = [
    ("build", "build", "duckdb_copy", 2.5, "build <= 2.5x DuckDB CSV->Parquet (1M rows)"),
    ("attacks_per_day", "attacks_per_day", "duckdb_attacks_per_day", 2.0, "<= 2x DuckDB, loading included"),
    ("civilian_harm_by_city", "civilian_harm_by_city", "duckdb_civilian_harm_by_city", 2.0,
     "<= 2x DuckDB, loading included"),
    ("attacks_per_day, warm process", "warm_attacks_per_day", "warm_duckdb_attacks_per_day", 2.0,
     "(for information: imports excluded)"),
    ("civilian_harm_by_city, warm process", "warm_civilian_harm_by_city", "warm_duckdb_civilian_harm_by_city", 2.0,
     "(for information: imports excluded)"),
    ("attacks_per_day, DuckDB path, warm", "warm_scan_attacks_per_day", "warm_duckdb_attacks_per_day", 1.5,
     "scan_events() <= 1.5x hand-written DuckDB SQL, warm"),
    ("attacks_per_day, DuckDB path, fresh", "scan_attacks_per_day", "duckdb_attacks_per_day", 2.0,
     "scan_events() <= 2x hand-written DuckDB SQL, fresh process"),
    ("civilian_harm_by_city, DuckDB path, warm", "warm_scan_civilian_harm_by_city",
     "warm_duckdb_civilian_harm_by_city", 1.5, "scan_events() <= 1.5x hand-written DuckDB SQL, warm"),
    ("civilian_harm_by_city, DuckDB path, fresh", "scan_civilian_harm_by_city", "duckdb_civilian_harm_by_city", 2.0,
     "scan_events() <= 2x hand-written DuckDB SQL, fresh process"),
    ("one report", "report", "papermill_report", 0.6, "<= 0.6x the papermill command line"),
    ("one report, runner not yet started", "report_first_call", "papermill_report", 0.6, "(for information)"),
    ("one report, no runner", "report_in_process", "papermill_report", 0.6, "(for information)"),
    ("batch of 24", "batch_24", "papermill_24", 0.3, "<= 0.3x 24 sequential papermill commands"),
    ("batch of 24, no runner", "batch_24_in_process", "papermill_24", 0.3, "(for information)"),
]
# (what, measures, sizes it applies to, limit in bytes): peak RSS of fresh processes
MEMORY_TARGETS = [
    ("build at 1M rows <= 1.5 GB", ("build",), ("1m",), 1.5e9),
    ("build at 2.5M rows <= 2 GB", ("build",), ("2.5m",), 2e9),
    ("build at 25M rows <= 2 GB", ("build",), ("25m", GDELT + "25m"), 2e9),
    ("metrics on 25M rows <= 1.5 GB", ("attacks_per_day", "civilian_harm_by_city", "scan_attacks_per_day",
                                       "scan_civilian_harm_by_city"), ("25m", GDELT + "25m"), 1.5e9),
]
# (measure, from size, to size, target ratio of the times): growth no worse than linear, with some slack
SCALING_TARGETS = [("build", "2.5m", "25m", 11.0), ("build", GDELT + "2.5m", GDELT + "25m", 11.0)]
# the series of the scaling plot: measure -> legend
PLOTTED = {"build": "build", "duckdb_copy": "DuckDB CSV->Parquet", "attacks_per_day": "attacks_per_day (pandas)",
           "civilian_harm_by_city": "civilian_harm_by_city (pandas)",
           "scan_attacks_per_day": "attacks_per_day (DuckDB path)",
           "scan_civilian_harm_by_city": "civilian_harm_by_city (DuckDB path)", "floor_cat": "floor: cat > /dev/null"}


def measure(cmd: list[str], env: dict | None = None, cwd: Path = ROOT, stdout: bool = False) -> dict:
    """Run ``cmd`` in a fresh process: wall and CPU seconds, peak RSS of it and its children (MB), exit code.

    Peak RSS is that of the largest of the process and the descendants it
    waited for (``wait4``).  With ``stdout`` its standard output is kept too.
    Output goes to temporary files, so a chatty process cannot block on a pipe.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})},
                                stdout=out if stdout else subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: tell Popen, so it does not wait again
        err.seek(0)
        stderr = err.read().decode(errors="replace")[-2000:]
        out.seek(0)
        text = out.read().decode(errors="replace") if stdout else None
    code = proc.returncode
    result = {"seconds": seconds, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024,
              "exit_code": code, "stderr": stderr if code else ""}
    if stdout:
        result["stdout"] = text
    return result


def repeated(cmd: list[str], repeats: int, env: dict | None = None, before=None) -> dict:
    """Median wall time and the largest peak RSS over ``repeats`` fresh runs."""
    runs = []
    for _ in range(repeats):
        if before:
            before()
        runs.append(measure(cmd, env))
    return summarise(runs)


def alternated(commands: dict[str, tuple[list[str], Callable[[], None] | None]], repeats: int) -> dict[str, dict]:
    """Each of ``commands`` (name -> command and what to do before each of its runs) measured as
    :func:`repeated` does, round by round: one run of each command per round.

    The machine's speed drifts (DuckDB's copy took 1.3 s in one round and 2.1 s in the next on the shared
    2-core host): runs taken side by side see the same spells, so their ratio is fairer than that of
    runs taken minutes apart.
    """
    runs: dict[str, list[dict]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, (cmd, before) in commands.items():
            if before:
                before()
            runs[name].append(measure(cmd))
    return {name: summarise(found) for name, found in runs.items()}


def summarise(runs: list[dict]) -> dict:
    """Median wall and CPU time, every run's wall time, the largest peak RSS, the exit codes and the first error
    of runs of :func:`measure`."""
    failed = [r for r in runs if r["exit_code"] != 0]
    return {"median_s": statistics.median(r["seconds"] for r in runs), "runs_s": [r["seconds"] for r in runs],
            "median_cpu_s": statistics.median(r["cpu_s"] for r in runs), "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            "exit_codes": sorted({r["exit_code"] for r in runs}), "error": failed[0]["stderr"] if failed else None}


def warm(task: str, processed: Path, repeats: int) -> dict:
    """A task repeated inside one process after its imports (see tasks.warm): median of the runs.

    Peak RSS is that of the whole process, over all its runs.
    """
    run = measure([*TASKS, "warm", task, str(processed), str(max(repeats, 3))], stdout=True)
    if run["exit_code"]:
        return {"median_s": float("nan"), "runs_s": [], "peak_rss_mb": run["peak_rss_mb"],
                "exit_codes": [run["exit_code"]], "error": run["stderr"]}
    runs = json.loads(run["stdout"].strip().splitlines()[-1])["runs_s"]
    return {"median_s": statistics.median(runs), "runs_s": runs, "peak_rss_mb": run["peak_rss_mb"],
            "exit_codes": [0], "error": None}


def input_file(rows: int, seed: int = 1) -> Path:
    """The cached synthetic ACLED input of a size (generated once, outside git)."""
    path = CACHE / f"synthetic_acled_{rows}_{seed}.csv"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        print(f"generating {rows:,} rows ...", file=sys.stderr, flush=True)
        subprocess.run([*ANALYSIS, "synth", "--rows", str(rows), "--seed", str(seed), "--out", str(path)], check=True)
    return path


def gdelt_folder(rows: int, seed: int = 1) -> Path:
    """The cached synthetic GDELT input of a size: a folder of 15-minute files (generated once, outside git)."""
    path = CACHE / f"synthetic_gdelt_{rows}_{seed}"
    if not path.exists():
        partial = path.with_name(path.name + ".partial")  # renamed when complete: an interrupted run starts again
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        print(f"generating {rows:,} GDELT rows ...", file=sys.stderr, flush=True)
        subprocess.run([*TASKS, "gdelt_files", str(partial), str(rows), str(seed)], cwd=ROOT, check=True)
        partial.rename(path)
    return path


def dask_check(processed: Path) -> dict:
    """Both metrics through Dask on a local cluster in a fresh process, against pandas (see tasks.dask_metrics)."""
    run = measure([*TASKS, "dask_metrics", str(processed)], stdout=True)
    result = {"median_s": run["seconds"], "runs_s": [run["seconds"]], "median_cpu_s": run["cpu_s"],
              "peak_rss_mb": run["peak_rss_mb"], "exit_codes": [run["exit_code"]],
              "error": run["stderr"] if run["exit_code"] else None}
    if not run["exit_code"]:
        detail = json.loads(run["stdout"].strip().splitlines()[-1])
        result.update(detail)
        result["all_identical"] = bool(detail["identical"]) and all(detail["identical"].values())
        if not result["all_identical"]:
            result["error"] = f"Dask results differ from pandas: {detail['differences']}"
    return result


def bench_size(label: str, rows: int, repeats: int, dask: bool = False) -> dict:
    gdelt = label.startswith(GDELT)
    source = gdelt_folder(rows) if gdelt else input_file(rows)
    inputs = sorted(source.glob("*.export.CSV")) if gdelt else [source]
    work = CACHE / f"work_{label}"
    raw, processed = work / "raw", work / "processed"
    shutil.rmtree(work, ignore_errors=True)
    raw.mkdir(parents=True)
    for path in inputs:
        os.link(path, raw / path.name)  # the build reads every file in raw/
    build_cmd = [*ANALYSIS, "build", "--raw-dir", str(raw), "--processed-dir", str(processed), "-q"]
    print(f"[{label}] measuring ...", file=sys.stderr, flush=True)
    size_mb = sum(p.stat().st_size for p in inputs) / 1e6
    result = {"rows": rows, "input": "gdelt" if gdelt else "acled", "input_files": len(inputs), "input_mb": size_mb}
    if not gdelt:
        result["csv_mb"] = size_mb
    # the floor: reading the raw bytes once (from the page cache, as the build reads them right after)
    result["floor_cat"] = repeated(["find", str(raw), "-type", "f", "-exec", "cat", "{}", "+"], max(repeats, 3))
    if not gdelt:  # validate takes the files as arguments: too many for a command line at GDELT's sizes
        result["validate"] = repeated([*ANALYSIS, "validate", str(raw / source.name)], repeats)
    parquet = work / "duckdb.parquet"
    # what a ratio compares is measured side by side (see alternated): the build with DuckDB's copy, the fresh
    # metric processes with DuckDB's SQL and with the imports alone
    result.update(alternated({"build": ([*build_cmd, "--force"], None),
                              "duckdb_copy": ([*TASKS, "duckdb_copy", str(source), str(parquet)],
                                              lambda: parquet.unlink(missing_ok=True))}, repeats))
    result["noop_build"] = repeated(build_cmd, max(repeats, 3))
    result.update(alternated({task: ([*TASKS, task] if task in IMPORT_TASKS else [*TASKS, task, str(processed)], None)
                              for task in (*IMPORT_TASKS, *METRIC_TASKS)}, repeats))
    for task in METRIC_TASKS:
        result[f"warm_{task}"] = warm(task, processed, repeats)
    if dask:
        print(f"[{label}] Dask ...", file=sys.stderr, flush=True)
        result["dask_metrics"] = dask_check(processed)
    return result


def bench_reports(label: str, repeats: int) -> dict:
    """One report and a batch of 24, against the papermill command line, on the processed data of ``label``."""
    work = CACHE / f"work_{label}"
    env = {"ANALYSIS_RAW_DIR": str(work / "raw"), "ANALYSIS_PROCESSED_DIR": str(work / "processed"),
           "ANALYSIS_REPORTS_DIR": str(work / "reports")}
    days = [f"2023-{m:02d}-{d:02d}" for m in (3, 4, 5, 6) for d in (3, 8, 13, 18, 23, 28)]
    notebook = ROOT / "notebooks" / f"{REPORT_NOTEBOOK}.ipynb"
    out = work / "papermill"
    out.mkdir(parents=True, exist_ok=True)

    def papermill(day: str) -> list[str]:
        return [str(Path(PY).parent / "papermill"), str(notebook), str(out / f"{day}.ipynb"), "-k", "conflict-analysis",
                "--cwd", str(ROOT / "notebooks"), "-p", "date", day, "-p", "report_dir", str(out / day),
                "--no-progress-bar"]

    subprocess.run([*ANALYSIS, "build", "-q"], env={**os.environ, **env}, check=True)
    clear = lambda: shutil.rmtree(work / "reports", ignore_errors=True)  # noqa: E731
    stop_runners = lambda: subprocess.run([*ANALYSIS, "runner", "stop", "--all"], capture_output=True)  # noqa: E731
    report = [*ANALYSIS, "report", REPORT_NOTEBOOK, "-p", "date", days[0]]
    env = {**env, "ANALYSIS_RUNNER": "on"}
    result = {"report_first_call": repeated(report, 1, env, lambda: (stop_runners(), clear()))}  # starts the runner
    result["report"] = repeated(report, repeats, env, clear)  # the runner is warm now
    result["runner_process_tree_rss_mb"] = runner_rss_mb()
    result["report_in_process"] = repeated([*report, "--no-runner"], repeats, env, clear)
    result["papermill_report"] = repeated(papermill(days[0]), repeats, env)
    grid = ["--grid", "date=" + ",".join(days)]
    result["batch_24"] = repeated([*ANALYSIS, "batch", REPORT_NOTEBOOK, *grid, "-j", str(os.cpu_count())], 1, env, clear)
    result["batch_24_in_process"] = repeated([*ANALYSIS, "batch", REPORT_NOTEBOOK, *grid, "--no-runner"], 1, env, clear)
    stop_runners()
    sequential = [measure(papermill(day), env) for day in days]
    result["papermill_24"] = {"median_s": sum(r["seconds"] for r in sequential),
                              "median_cpu_s": sum(r["cpu_s"] for r in sequential),
                              "peak_rss_mb": max(r["peak_rss_mb"] for r in sequential),
                              "exit_codes": sorted({r["exit_code"] for r in sequential}), "runs_s": [],
                              "error": next((r["stderr"] for r in sequential if r["exit_code"]), None)}
    return result


def runner_rss_mb() -> float:
    """Resident memory of the background report runner and its kernels (not seen by the command's rusage)."""
    import psutil

    total = 0.0
    for proc in psutil.process_iter(["cmdline"]):
        if "analysis.reports.runner" in " ".join(proc.info["cmdline"] or []):
            for member in [proc, *proc.children(recursive=True)]:
                total += member.memory_info().rss / 2**20
    return total


def machine() -> dict:
    import psutil

    versions = {name: metadata.version(name) for name in
                ("conflict-analysis", "pandas", "pyarrow", "pandera", "duckdb", "papermill", "nbconvert")}
    return {"date": date.today().isoformat(), "cores": os.cpu_count(),
            "ram_gb": round(psutil.virtual_memory().total / 2**30, 1), "python": platform.python_version(),
            "platform": platform.platform(), "versions": versions}


def ratios(sizes: dict, reports: dict | None) -> list[dict]:
    rows = []
    for name, ours, ref, target, what in TARGETS:
        source = [(label, r) for label, r in sizes.items()] if not ref.startswith("papermill") \
            else ([("reports", reports)] if reports else [])
        for label, result in source:
            if ours in result and ref in result:
                ratio = result[ours]["median_s"] / result[ref]["median_s"]
                rows.append({"measure": name, "size": label, "ours_s": result[ours]["median_s"],
                             "reference_s": result[ref]["median_s"], "ratio": ratio, "target": target,
                             "meets_target": ratio <= target, "what": what})
    return rows


def bounds(sizes: dict, cores: int) -> list[dict]:
    """Lower bounds on the package's times, measured in the same run, against the reference's whole time.

    * build: its CPU seconds spread perfectly over all cores; no scheduling of
      the same work can finish sooner.
    * metrics in a fresh process: the imports they need (pandas, pyarrow and
      the package's modules), before any data is read; on the DuckDB path,
      the package's imports with DuckDB and narwhals (``scan_imports``); and ``import pandas, duckdb`` alone,
      which any DuckDB path returning pandas frames (as the issue asks) needs, this package's or another's.
    * build: ``cat > /dev/null`` of its input, the bytes read once and nothing done with them.
    """
    rows = []
    for label, result in sizes.items():
        if "build" in result and "duckdb_copy" in result and "median_cpu_s" in result["build"]:
            floor = result["build"]["median_cpu_s"] / cores
            rows.append({"measure": "build", "size": label, "bound": f"CPU seconds / {cores} cores",
                         "bound_s": floor, "reference_s": result["duckdb_copy"]["median_s"]})
        if "floor_cat" in result and "duckdb_copy" in result:
            rows.append({"measure": "build", "size": label, "bound": "reading the input (cat > /dev/null)",
                         "bound_s": result["floor_cat"]["median_s"], "reference_s": result["duckdb_copy"]["median_s"]})
        for metric in ("attacks_per_day", "civilian_harm_by_city"):
            if "metric_imports" in result and f"duckdb_{metric}" in result:
                rows.append({"measure": metric, "size": label, "bound": "imports alone",
                             "bound_s": result["metric_imports"]["median_s"],
                             "reference_s": result[f"duckdb_{metric}"]["median_s"]})
            if "scan_imports" in result and f"duckdb_{metric}" in result:
                rows.append({"measure": f"{metric}, DuckDB path", "size": label, "bound": "imports alone",
                             "bound_s": result["scan_imports"]["median_s"],
                             "reference_s": result[f"duckdb_{metric}"]["median_s"]})
            if "pandas_duckdb_imports" in result and f"duckdb_{metric}" in result:
                rows.append({"measure": f"{metric}, DuckDB path", "size": label,
                             "bound": "pandas and DuckDB imports alone (any pandas result)",
                             "bound_s": result["pandas_duckdb_imports"]["median_s"],
                             "reference_s": result[f"duckdb_{metric}"]["median_s"]})
    for row in rows:
        row["ratio"] = row["bound_s"] / row["reference_s"]
    return rows


def memory(sizes: dict) -> list[dict]:
    """Peak RSS of the measures a memory target names, at the sizes it names that ran."""
    rows = []
    for what, measures, labels, limit in MEMORY_TARGETS:
        for label in labels:
            for name in measures:
                value = sizes.get(label, {}).get(name)
                if value and value.get("peak_rss_mb") is not None:
                    rows.append({"target": what, "size": label, "measure": name, "peak_rss_mb": value["peak_rss_mb"],
                                 "limit_mb": limit / 2**20, "meets_target": value["peak_rss_mb"] * 2**20 <= limit})
    return rows


def scaling(sizes: dict) -> list[dict]:
    """Growth of a measure's time between two sizes (rows x10 from 2.5M to 25M), where both ran."""
    rows = []
    for name, small, large, target in SCALING_TARGETS:
        if name in sizes.get(small, {}) and name in sizes.get(large, {}):
            ratio = sizes[large][name]["median_s"] / sizes[small][name]["median_s"]
            rows.append({"measure": name, "from": small, "to": large,
                         "rows_ratio": sizes[large]["rows"] / sizes[small]["rows"], "time_ratio": ratio,
                         "target": target, "meets_target": ratio <= target})
    return rows


def plot_scaling(report: dict, path: Path) -> Path:
    """Wall time against rows, log-log, for the plotted measures; ACLED solid, GDELT dashed.

    Deterministic: the same results give the same bytes (no date or software in the PNG's metadata).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 5.5), dpi=100)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for (name, legend), color in zip(PLOTTED.items(), colors):
        for gdelt, style, marker in ((False, "-", "o"), (True, "--", "s")):
            points = sorted((r["rows"], r[name]["median_s"]) for label, r in report["sizes"].items()
                            if label.startswith(GDELT) == gdelt and name in r and r[name]["median_s"] > 0)
            if points:
                ax.plot(*zip(*points), linestyle=style, marker=marker, color=color,
                        label=f"{legend}{', GDELT' if gdelt else ''}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("rows of input")
    ax.set_ylabel("median wall time, fresh process (s)")
    ax.set_title(f"Scaling on {report['machine']['cores']} cores")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", metadata={"Software": None})
    plt.close(fig)
    return path


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [f"# Benchmark results ({m['date']})", "",
             f"Machine: {m['cores']} cores, {m['ram_gb']} GiB RAM, Python {m['python']}, {m['platform']}.",
             "Versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()) + ".", "",
             "Median wall time of fresh processes; peak RSS is the largest of the runs. Ratios compare the "
             "package with the reference tool in the same run.", "",
             "## Ratios against the targets", "",
             "| measure | size | package (s) | reference (s) | ratio | target | met |", "|---|---|---|---|---|---|---|"]
    for r in report["ratios"]:
        lines.append(f"| {r['measure']} | {r['size']} | {r['ours_s']:.2f} | {r['reference_s']:.2f} | "
                     f"{r['ratio']:.2f} | <= {r['target']} | {'yes' if r['meets_target'] else '**no**'} |")
    if report.get("bounds"):
        lines += ["", "## What bounds the unmet targets", "",
                  "Lower bounds on the package's time from the same run: the build's CPU seconds spread perfectly "
                  "over all cores, and the imports a fresh metric process needs before it reads any data. A ratio "
                  "above the target here means that the target cannot be met by running the same work in parallel "
                  "or faster (build), or by any work on the data (metrics): only less CPU work, or not importing "
                  "pandas, could.", "",
                  "| measure | size | bound | bound (s) | reference (s) | ratio |", "|---|---|---|---|---|---|"]
        for r in report["bounds"]:
            lines.append(f"| {r['measure']} | {r['size']} | {r['bound']} | {r['bound_s']:.2f} | "
                         f"{r['reference_s']:.2f} | {r['ratio']:.2f} |")
    if report.get("memory"):
        lines += ["", "## Memory against the targets", "",
                  "Peak RSS of fresh processes (MiB; the largest of the runs).", "",
                  "| target | size | measure | peak RSS (MiB) | limit (MiB) | met |", "|---|---|---|---|---|---|"]
        for r in report["memory"]:
            lines.append(f"| {r['target']} | {r['size']} | {r['measure']} | {r['peak_rss_mb']:.0f} | "
                         f"{r['limit_mb']:.0f} | {'yes' if r['meets_target'] else '**no**'} |")
    dask = {label: r["dask_metrics"] for label, r in report["sizes"].items() if "dask_metrics" in r}
    if dask:
        lines += ["", "## Dask", "",
                  "Both metrics through `analysis.scan_events(engine=\"dask\")` on a local cluster (one worker "
                  "process per core) in a fresh process, each checked with `pandas.testing.assert_frame_equal` "
                  "against the same metric on pandas in that process. The whole process includes the imports, "
                  "the cluster's start and the pandas runs; its peak RSS (under Every measurement) is that of the "
                  "largest single process, the client or one worker, not their sum.", "",
                  "| size | whole process (s) | cluster start (s) | attacks_per_day Dask (s) | pandas (s) | "
                  "civilian_harm_by_city Dask (s) | pandas (s) | identical to pandas |",
                  "|---|---|---|---|---|---|---|---|"]
        for label, d in dask.items():
            if d.get("identical") is None:
                lines.append(f"| {label} | {d['median_s']:.2f} | failed (exit {d['exit_codes']}) | | | | | |")
                continue
            cell = lambda part, name: f"{d[part][name]:.2f}" if name in d[part] else "-"  # noqa: E731
            lines.append(f"| {label} | {d['median_s']:.2f} | {d['cluster_start_s']:.2f} | "
                         f"{cell('dask_s', 'attacks_per_day')} | {cell('pandas_s', 'attacks_per_day')} | "
                         f"{cell('dask_s', 'civilian_harm_by_city')} | {cell('pandas_s', 'civilian_harm_by_city')} | "
                         f"{'yes' if d['all_identical'] else '**no**'} |")
    if report.get("plot"):
        lines += ["", "## Scaling", "", f"![Wall time against rows, log-log]({report['plot']})", "",
                  "Median wall time of fresh processes against rows of input, log-log: the build, DuckDB's "
                  "CSV-to-Parquet copy, the two metrics on pandas and on the DuckDB path, and the floor "
                  "(`cat > /dev/null` of the input). GDELT inputs dashed."]
        for r in report.get("scaling", []):
            lines += ["", f"Growth of the {r['measure']} from {r['from']} to {r['to']} rows ({r['rows_ratio']:.0f}x "
                          f"the rows): {r['time_ratio']:.2f}x the time (target <= {r['target']:g}: "
                          f"{'met' if r['meets_target'] else '**not met**'})."]
        if not report.get("scaling"):
            lines += ["", "Growth of the build from 2.5M to 25M rows (target <= 11x the time): not measured in "
                          "this run (it needs both sizes)."]
    lines += ["", "## Every measurement", "", "| size | measure | median (s) | CPU (s) | peak RSS (MB) | exit |",
              "|---|---|---|---|---|---|"]
    for label, result in {**report["sizes"], **({"reports": report["reports"]} if report.get("reports") else {})}.items():
        for name, value in result.items():
            if isinstance(value, dict):
                rss = "-" if value["peak_rss_mb"] is None else f"{value['peak_rss_mb']:.0f}"
                cpu = f"{value['median_cpu_s']:.2f}" if value.get("median_cpu_s") is not None else "-"
                lines.append(f"| {label} | {name} | {value['median_s']:.2f} | {cpu} | {rss} | "
                             f"{','.join(map(str, value['exit_codes']))} |")
    if report.get("reports"):
        lines += ["", "Report rows through the runner measure the command only: the runner and its warm kernels "
                      "live in their own processes, which held "
                      f"{report['reports'].get('runner_process_tree_rss_mb', 0):.0f} MB in all after the warm runs."]
    lines += ["", "Targets on memory: build at 1M rows <= 1.5 GB and at 2.5M rows <= 2 GB peak RSS; "
                  "the metrics on 25M rows <= 1.5 GB; no-op build at 2.5M rows <= 0.5 s.", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100k,1m,2.5m",
                        help=f"comma-separated ACLED sizes, from {', '.join(SIZES)}; '' for none")
    parser.add_argument("--gdelt-sizes", default="",
                        help="comma-separated sizes of synthetic GDELT input (many 15-minute files), as --sizes")
    parser.add_argument("--dask", action="store_true",
                        help="also both metrics through Dask on a local cluster, checked against pandas (slow start)")
    parser.add_argument("--repeats", type=int, default=3, help="fresh runs per measurement (median)")
    parser.add_argument("--large-repeats", type=int, default=None,
                        help="fresh runs per measurement at 10M rows and more (default: --repeats)")
    parser.add_argument("--no-reports", action="store_true", help="skip the report and batch measurements")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the JSON results")
    parser.add_argument("--markdown", type=Path, default=HERE / "RESULTS.md", help="Markdown table to write")
    parser.add_argument("--from-json", type=Path, default=None,
                        help="write the Markdown (and plot) again from a results JSON, measuring nothing")
    args = parser.parse_args(argv)
    if args.from_json:
        report = json.loads(args.from_json.read_text())
        report["memory"] = memory(report["sizes"])
        report["scaling"] = scaling(report["sizes"])
        args.markdown.write_text(markdown(report))
        return 0
    labels = [s.strip() for s in args.sizes.split(",") if s.strip()]
    labels += [GDELT + s.strip() for s in args.gdelt_sizes.split(",") if s.strip()]
    unknown = [label for label in labels if label.removeprefix(GDELT) not in SIZES]
    if unknown or not labels:
        parser.error(f"sizes {unknown or 'none'}: give sizes from {', '.join(SIZES)}")
    def repeats(rows: int) -> int:
        return args.repeats if args.large_repeats is None or rows < 10_000_000 else args.large_repeats

    sizes = {}
    for label in labels:
        rows = SIZES[label.removeprefix(GDELT)]
        sizes[label] = bench_size(label, rows, repeats(rows), args.dask)
    acled = [label for label in labels if not label.startswith(GDELT)]
    reports = None if args.no_reports or not acled else bench_reports(acled[0], args.repeats)
    report = {"machine": machine(), "sizes": sizes, "reports": reports}
    report["ratios"] = ratios(sizes, reports)
    report["bounds"] = bounds(sizes, report["machine"]["cores"])
    report["memory"] = memory(sizes)
    report["scaling"] = scaling(sizes)
    plot = plot_scaling(report, args.markdown.parent / "scaling.png")
    report["plot"] = os.path.relpath(plot, args.markdown.parent)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{report['machine']['date']}.json").write_text(json.dumps(report, indent=2) + "\n")
    args.markdown.write_text(markdown(report))
    print(markdown(report))
    failures = [f"{label}/{name}: {v['error']}" for label, r in {**sizes, "reports": reports or {}}.items()
                for name, v in r.items() if isinstance(v, dict) and v.get("error")]
    for failure in failures:
        print("FAILED", failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
