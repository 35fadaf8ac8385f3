"""The build of a baseline revision against the working tree's, interleaved with DuckDB's copy, on one input.

A change to the build is judged by two benchmark runs, before and after, minutes apart; on a shared machine
DuckDB's copy alone moved by 11% between two such runs (RESULTS.md, 5 December 2026), as much as the change
itself.  Here each round builds the same input with the baseline's code and with the current code and converts
it with DuckDB, one after another, so that the three see the same machine; the rounds alternate which build
goes first.  After the rounds it says whether the two builds wrote the same bytes (every output file; the
manifest records the code's fingerprint, so it differs by design).

    .venv-bench/bin/python benchmarks/ab.py dab0fd8 --size 1m --rounds 5

The baseline runs from a git worktree of the revision (``benchmarks/cache/ab_<size>/baseline``, removed at
the end, or at the next run of that size if this one was killed), through ``PYTHONPATH``, with this
environment's packages: a baseline that needs other versions of them is not comparable this way.  Results go to
``benchmarks/results/<date>-ab-<revision>-<size>.json``.  No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from run import (ANALYSIS, CACHE, GDELT, RESULTS, ROOT, SIZES, TASKS, gdelt_folder, input_file, machine, measure,
                 summarise)

_NOT_COMPARED = {"manifest.json", "manifest.sha256"}  # they record the code's fingerprint


def commit_of(revision: str) -> str:
    """The full commit id of ``revision``; a usage error (exit 2) if it names no commit here."""
    found = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], cwd=ROOT,
                           capture_output=True, text=True)
    if found.returncode:
        print(f"ab.py: {revision!r} is not a commit of this repository", file=sys.stderr)
        raise SystemExit(2)
    return found.stdout.strip()


def output_hashes(processed: Path) -> dict[str, str]:
    """sha256 of every output file of the current generation but the manifest."""
    current = processed / "current"
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(current.iterdir()) if p.is_file() and p.name not in _NOT_COMPARED}


def compare(revision: str, label: str, rounds: int) -> dict:
    commit = commit_of(revision)
    rows = SIZES[label.removeprefix(GDELT)]
    source = gdelt_folder(rows) if label.startswith(GDELT) else input_file(rows)
    inputs = sorted(source.glob("*.export.CSV")) if source.is_dir() else [source]
    work = CACHE / f"ab_{label}"
    shutil.rmtree(work, ignore_errors=True)  # with the baseline's worktree of a run that was killed, if any:
    subprocess.run(["git", "worktree", "prune"], cwd=ROOT, check=True)  # git then forgets that worktree too
    (work / "raw").mkdir(parents=True)
    for path in inputs:
        os.link(path, work / "raw" / path.name)
    tree = work / "baseline"
    try:
        subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(tree), commit], cwd=ROOT, check=True)
        arms = {"baseline": tree / "src", "current": ROOT / "src"}
        for arm, src in arms.items():  # each arm imports its own code, whatever this environment installed
            where = measure([sys.executable, "-c", "import analysis; print(analysis.__file__)"],
                            env={"PYTHONPATH": str(src)}, stdout=True)["stdout"].strip()
            if not Path(where).resolve().is_relative_to(src.resolve()):
                raise RuntimeError(f"the {arm} build would import analysis from {where}, not from {src}")
        runs: dict[str, list[dict]] = {"baseline": [], "current": [], "duckdb_copy": []}
        parquet = work / "duckdb.parquet"
        for number in range(rounds):
            print(f"[{label}] round {number + 1} of {rounds} ...", file=sys.stderr, flush=True)
            for arm in (("baseline", "current") if number % 2 == 0 else ("current", "baseline")):
                runs[arm].append(measure([*ANALYSIS, "build", "--force", "-q", "--raw-dir", str(work / "raw"),
                                          "--processed-dir", str(work / f"processed_{arm}")],
                                         env={"PYTHONPATH": str(arms[arm])}))
            parquet.unlink(missing_ok=True)
            runs["duckdb_copy"].append(measure([*TASKS, "duckdb_copy", str(source), str(parquet)]))
        results = {name: summarise(measured) for name, measured in runs.items()}
        built = all(results[arm]["exit_codes"] == [0] for arm in arms)
        identical = built and output_hashes(work / "processed_baseline") == output_hashes(work / "processed_current")
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
    copy = results["duckdb_copy"]["median_s"]
    return {"machine": machine(), "baseline_commit": commit, "size": label, "rows": rows, "rounds": rounds,
            **results, "identical_outputs": identical,
            "ratio_to_copy": {arm: results[arm]["median_s"] / copy for arm in arms},
            "ratio_to_copy_per_round": {arm: [b["seconds"] / c["seconds"] for b, c in zip(runs[arm], runs["duckdb_copy"])]
                                        for arm in arms},
            "current_over_baseline": results["current"]["median_s"] / results["baseline"]["median_s"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("baseline", help="the revision to compare with (a commit, tag or branch)")
    parser.add_argument("--size", default="1m", help=f"input size: {', '.join(SIZES)}, or gdelt-<size>")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of (baseline, current, DuckDB)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the JSON result")
    args = parser.parse_args(argv)
    if args.size.removeprefix(GDELT) not in SIZES or args.rounds < 1:
        parser.error(f"--size must be one of {', '.join(SIZES)} (or gdelt-<size>) and --rounds at least 1")
    report = compare(args.baseline, args.size, args.rounds)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{report['machine']['date']}-ab-{report['baseline_commit'][:7]}-{args.size}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    for arm in ("baseline", "current", "duckdb_copy"):
        r = report[arm]
        ratio = f"  {report['ratio_to_copy'][arm]:.2f}x the copy" if arm in report["ratio_to_copy"] else ""
        print(f"{arm:12} median {r['median_s']:7.2f} s  CPU {r['median_cpu_s']:7.2f} s{ratio}")
    print(f"current / baseline: {report['current_over_baseline']:.3f}; outputs "
          f"{'byte-identical' if report['identical_outputs'] else 'DIFFERENT (or a build failed)'}; {path}")
    failed = [arm for arm in ("baseline", "current", "duckdb_copy") if report[arm]["error"]]
    for arm in failed:
        print(f"FAILED {arm}: {report[arm]['error']}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
