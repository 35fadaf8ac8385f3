"""Running report notebooks with papermill into ``reports/<notebook>/<parameter-slug>/``.

A run writes, atomically:

* ``<notebook>.ipynb``  the executed notebook (failures and timeouts marked in it);
* ``report.html``       an HTML rendering without code (nbconvert ``exclude_input``);
* ``figures/``          the figures the notebook saved (PNG, SVG, data CSV, alt text);
* ``numbers.json``      every number the report states, with definition and parameters;
* ``evidence.parquet``  the rows behind each number (:mod:`analysis.reports.reporting`);
* ``run.json``          parameters, input sha256s, snapshots and table sha256s, versions, start time,
                        duration, status (what ``analysis drift`` reruns it with).

A report notebook declares its parameters, with their types, meanings and
checks, in its cell tagged ``parameters`` (:mod:`analysis.reports.parameters`).  Given
values are checked against that declaration before any kernel starts
(:func:`analysis.reports.parameters.check_parameters`): unknown names, wrong types,
lists or mappings, and values a declared check refuses each give a
:class:`ParameterError` that lists the notebook's parameters.  This module
knows nothing of what a parameter means.  The notebook learns its name and
checked values from its folder (:func:`analysis.reports.parameters.run_parameters`),
so it writes neither.

Checked values are canonical, and :func:`report_slug` gives distinct parameters
distinct folders.

Notebooks run in the project's own kernel (:data:`KERNEL_NAME`, registered in
this environment on first use), never whatever the notebook's metadata names,
with the ``notebooks/`` folder as working directory, as in JupyterLab.
Parameter values are passed to papermill as values, which writes them as
Python literals; nothing is pasted into code as text.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from analysis import config, storage
from analysis.errors import ParameterError
from analysis.fingerprint import dist_version
from analysis.reports.parameters import (RESERVED, check_parameters, notebook_parameters, notebook_title, parameters_cell,
                                 read_notebook, write_run_parameters)

KERNEL_NAME = "conflict-analysis"
DEFAULT_TIMEOUT_S = 600


# ---------------------------------------------------------------- notebooks
def list_notebooks() -> list[Path]:
    """Report notebooks: numbered notebooks in notebooks/ that declare a report_dir parameter.

    A numbered notebook without a parameters cell is an exploration notebook, not
    a report; a parameters cell whose declaration is wrong is an error.
    """
    found = []
    for path in sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]-*.ipynb")):
        nb = read_notebook(path)
        try:
            parameters_cell(nb, path.name)
        except ParameterError:
            continue
        if any(param.name in RESERVED for param in notebook_parameters(path, nb)):
            found.append(path)
    return found


def describe_notebooks() -> str:
    """Every report notebook with its title and declared parameters (for listings and help)."""
    lines = []
    for path in list_notebooks():
        lines.append(f"{path.stem}: {notebook_title(read_notebook(path), path.stem)}")
        lines += [f"  {p.describe()}" for p in notebook_parameters(path) if p.name not in RESERVED]
    return "\n".join(lines)


def resolve_notebook(name: str | Path) -> Path:
    """A notebook from a path, a file name, a stem ('01-daily-briefing') or its number ('01')."""
    candidates = [Path(name), config.NOTEBOOKS_DIR / str(name), config.NOTEBOOKS_DIR / f"{name}.ipynb"]
    candidates += sorted(config.NOTEBOOKS_DIR.glob(f"{name}-*.ipynb")) if re.fullmatch(r"\d\d", str(name)) else []
    for path in candidates:
        if path.suffix == ".ipynb" and path.is_file():
            return path.resolve()
    known = ", ".join(p.stem for p in sorted(config.NOTEBOOKS_DIR.glob("*.ipynb")))
    raise ParameterError(f"no notebook {str(name)!r}; notebooks: {known}")


# ---------------------------------------------------------------- where a report goes
_SLUG_MAX_BYTES = 120  # the readable part; '~' and the hash follow (file names may have 255 bytes)
_HASH_CHARS = 16


def report_slug(values: dict) -> str:
    """The folder name of a report: one safe path component, distinct for distinct parameters.

    ``name=value`` parts in declaration order joined by ``_``
    ('date=2023-03-14_window_days=7_oblast=all'; "" is written 'all').  Values keep
    Unicode letters and digits and '_', '.', '-', '+'; anything else becomes '-'.
    Values hold no '=', so a notebook's names (identifiers, in a fixed order) and
    such values can be read back.  When the text does not give the parameters back
    exactly (another character, '..', a trailing '.', 'all' itself, a non-NFC
    spelling, a name longer than 120 bytes), '~' and a hash of the parameters
    follow, so distinct parameters of one notebook never share a folder.
    """
    if not values:
        return "default"
    parts, exact = [], True
    for name, value in values.items():
        name_text = "".join(ch if ch == "_" or _kept(ch) and ch not in ".-+" else "-"
                            for ch in unicodedata.normalize("NFC", str(name)))
        value_text, value_exact = _slug_value(value)
        parts.append(f"{name_text}={value_text}")
        exact = exact and value_exact and isinstance(name, str) and name.isidentifier() and name_text == name
    slug = "_".join(parts)
    if len(slug.encode()) > _SLUG_MAX_BYTES:
        slug, exact = slug.encode()[:_SLUG_MAX_BYTES].decode("utf-8", "ignore"), False
    if exact:
        return slug
    return f"{slug.strip('._-+') or 'parameters'}~{_parameters_hash(values)}"


def _kept(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LN" or ch in ".-+"


def _slug_value(value) -> tuple[str, bool]:
    """A value's text in a slug, and whether that text gives the value back exactly."""
    if isinstance(value, bool):
        return ("true" if value else "false"), True
    if value == "" and isinstance(value, str):
        return "all", True
    text = repr(value) if isinstance(value, (int, float)) else str(value)
    safe = "".join(ch if _kept(ch) or ch == "_" else "-" for ch in unicodedata.normalize("NFC", text))
    safe = re.sub(r"\.{2,}", ".", safe)
    exact = isinstance(value, (str, int, float)) and safe == text and text != "all" and not text.endswith(".")
    return safe, exact


def _parameters_hash(values: dict) -> str:
    canonical = [[str(name), type(value).__name__,
                  value if value is None or isinstance(value, (str, int, float, bool)) else repr(value)]
                 for name, value in values.items()]
    return hashlib.sha256(json.dumps(canonical, ensure_ascii=True).encode()).hexdigest()[:_HASH_CHARS]


def report_dir(notebook: Path, values: dict, reports_root: Path | None = None) -> Path:
    root = Path(reports_root or config.REPORTS_DIR).resolve()
    target = (root / notebook.stem / report_slug(values)).resolve()
    if not target.is_relative_to(root) or target.parent.parent != root:
        raise ParameterError(f"parameters {values} would write outside {root}")
    return target


# ---------------------------------------------------------------- running
@dataclass
class RunResult:
    notebook: str
    parameters: dict
    report_dir: Path | None
    status: str  # "succeeded" or "failed"
    error: str | None = None
    duration_s: float = 0.0
    outputs: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"


def run_report(notebook: str | Path, given: dict | None = None, *, timeout_s: float = DEFAULT_TIMEOUT_S,
               reports_root: Path | None = None, kernels=None, write_index: bool = True) -> RunResult:
    """Check parameters, execute the notebook with papermill, write the report files."""
    from analysis.reports import execution
    from analysis.metrics.loaders import PIN_FILE, snapshot

    path = resolve_notebook(notebook)
    data = snapshot()  # one build for run.json and the notebook (which reads it through PIN_FILE)
    manifest = data.manifest()
    values = check_parameters(path, given or {}, manifest=manifest)
    out = report_dir(path, values, reports_root)
    out.mkdir(parents=True, exist_ok=True)
    started = datetime.now(timezone.utc)
    clock = time.perf_counter()
    storage.write_text(out / PIN_FILE, f"{data.directory}\n")
    told = write_run_parameters(out, path, values)  # the notebook's name and values, for its Report
    try:
        outcome = execution.execute(path, out / f"{path.stem}.ipynb", {**values, "report_dir": str(out)},
                                    timeout_s=timeout_s, kernels=kernels)
    finally:
        (out / PIN_FILE).unlink(missing_ok=True)
        told.unlink(missing_ok=True)
    outputs = execution.write_html(out / f"{path.stem}.ipynb", out / config.HTML_FILE)
    result = RunResult(path.stem, values, out, "succeeded" if outcome.ok else "failed", outcome.error,
                       round(time.perf_counter() - clock, 3), outputs)
    storage.write_json(out / config.RUN_FILE, _run_record(path, result, manifest, started))
    if write_index:
        write_reports_index(reports_root)
    return result


def _run_record(path: Path, result: RunResult, manifest: dict, started: datetime) -> dict:
    return {
        "notebook": path.stem,
        "notebook_sha256": storage.sha256_file(path),
        "parameters": result.parameters,
        "status": result.status,
        "error": result.error,
        "started_at": started.isoformat(timespec="seconds"),
        "duration_s": result.duration_s,
        "kernel": KERNEL_NAME,
        "inputs": [{"path": e["path"], "sha256": e["sha256"]} for e in manifest.get("inputs", [])],
        "snapshots": manifest.get("snapshots", {}),  # {source: [stamp, ...]} of the chain built; {} for loose files
        "tables": {name: manifest.get("outputs", {}).get(name, {}).get("sha256")
                   for name in (config.EVENTS_FILE, config.DAILY_COUNTS_FILE)},
        "build": {k: manifest.get(k) for k in ("schema_version", "code_fingerprint", "is_synthetic")},
        "versions": {"python": sys.version.split()[0],
                     **{n: dist_version(n) for n in ("conflict-analysis", "pandas", "pandera", "matplotlib",
                                                     "papermill", "nbconvert", "ipykernel")}},
        "outputs": sorted({str(p.relative_to(result.report_dir)) for p in result.report_dir.rglob("*")
                           if p.is_file() and not p.name.startswith(".")} | {config.RUN_FILE}),  # itself, every run
    }


# ---------------------------------------------------------------- batches
def parse_grid(specs: list[str]) -> list[dict]:
    """Every combination of ``name=v1,v2`` specs, in the order given (last name varies fastest)."""
    import itertools

    axes = []
    for spec in specs:
        name, sep, values = spec.partition("=")
        if not sep or not name.strip():
            raise ParameterError(f"--grid {spec!r}: write name=value1,value2,...")
        axes.append([(name.strip(), v.strip()) for v in values.split(",")])
    return [dict(combo) for combo in itertools.product(*axes)]


def read_grid_file(path: Path) -> list[dict]:
    """One combination per row of a CSV whose header names the parameters."""
    import csv

    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = [dict(row) for row in csv.DictReader(handle)]
    except OSError as exc:
        raise ParameterError(f"cannot read grid file {path}: {exc}") from None
    if not rows:
        raise ParameterError(f"grid file {path} has no rows")
    return rows


def run_batch(notebook: str | Path, combos: list[dict], **options) -> list[RunResult]:
    """Run one notebook for every combination in parallel; one failure never stops the others."""
    path = resolve_notebook(notebook)
    return run_many([(path, combo) for combo in combos], **options)


def run_all_reports(**options) -> list[RunResult]:
    """Every report notebook with its default parameters (the main job's reports)."""
    return run_many([(path, {}) for path in list_notebooks()], **options)


def run_many(runs: list[tuple[Path, dict]], *, jobs: int | None = None, timeout_s: float = DEFAULT_TIMEOUT_S,
             reports_root: Path | None = None, retries: int | None = None, progress: bool = True,
             kernels=None, on_done=None) -> list[RunResult]:
    """Run (notebook, parameters) pairs in parallel and write reports/index.html.

    Parameters are checked before any kernel starts; a bad combination becomes a
    failed result with the reason.  Kernel start failures are retried (``retries``,
    default :data:`analysis.reports.execution.KERNEL_START_RETRIES`).  Runs take warm
    kernels from a :class:`analysis.reports.kernels.KernelPool` (one per run).
    """
    import os
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from analysis.reports.execution import kernel_dir
    from analysis.metrics.loaders import ensure_built

    ensure_built()
    kernel_dir()  # an unsafe private folder stops the batch here (exit 2), not each run
    jobs = jobs or os.cpu_count() or 1
    results: list[RunResult | None] = [None] * len(runs)
    runnable = []
    for i, (path, combo) in enumerate(runs):
        try:
            check_parameters(path, combo)
            runnable.append(i)
        except ParameterError as exc:
            results[i] = RunResult(path.stem, combo, None, "failed", str(exc).splitlines()[0])
    own_pool = kernels is None and len(runnable) > 1
    if own_pool:
        from analysis.reports.execution import ensure_kernelspec
        from analysis.reports.kernels import KernelPool

        ensure_kernelspec()
        kernels = KernelPool(min(jobs, len(runnable)))
    try:
        with BatchProgress(progress, len(runs)) as advance, ThreadPoolExecutor(max_workers=jobs) as pool:
            done = 0
            for _ in range(len(runs) - len(runnable)):
                advance()
                done += 1
                if on_done:
                    on_done(done)
            futures = {pool.submit(run_with_retries, runs[i][0], runs[i][1], timeout_s, reports_root, retries,
                                   kernels): i for i in runnable}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                advance()
                done += 1
                if on_done:
                    on_done(done)
    finally:
        if own_pool:
            kernels.close()
    write_reports_index(reports_root)
    return results


def run_with_retries(path: Path, combo: dict, timeout_s: float, reports_root, retries: int | None, kernels, *,
                     write_index: bool = False, keep_going: bool = True) -> RunResult:
    """:func:`run_report`, tried again on a fresh kernel when the kernel did not start.

    ``keep_going`` (batches): any error becomes a failed result, so one run never
    stops the others.  Otherwise (a single report) errors are raised, the last
    kernel start failure as a :class:`KernelStartError` (exit code 1).
    """
    from analysis.reports.execution import KERNEL_START_RETRIES, KernelStartError

    retries = KERNEL_START_RETRIES if retries is None else retries
    for attempt in range(1, retries + 2):
        try:
            return run_report(path, combo, timeout_s=timeout_s, reports_root=reports_root, kernels=kernels,
                              write_index=write_index)
        except KernelStartError as exc:
            if attempt <= retries:
                continue
            failure = KernelStartError(f"{exc} (after {attempt} attempts)")
            if not keep_going:
                raise failure from exc
            return RunResult(path.stem, combo, None, "failed", str(failure))
        except Exception as exc:  # noqa: BLE001 - one report's failure must not stop the batch
            if not keep_going:
                raise
            return RunResult(path.stem, combo, None, "failed", f"{type(exc).__name__}: {exc}")
    raise AssertionError("unreachable")


class BatchProgress:
    """A rich progress bar over the batch (plain lines when not on a terminal)."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled, self.total, self.done = enabled, total, 0

    def __enter__(self):
        if self.enabled and sys.stderr.isatty():
            from rich.progress import Progress

            self._bar = Progress(transient=False)
            self._bar.start()
            self._task = self._bar.add_task("reports", total=self.total)
        else:
            self._bar = None
        return self.advance

    def advance(self) -> None:
        self.done += 1
        if self._bar is not None:
            self._bar.advance(self._task)
        elif self.enabled:
            print(f"  reports: {self.done} of {self.total} done", file=sys.stderr, flush=True)

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()


def batch_summary(results: list[RunResult]) -> str:
    """A plain-text table of a batch's results."""
    lines = [f"{'status':10} {'duration':>9}  notebook: parameters", "-" * 72]
    for r in results:
        params = ", ".join(f"{k}={v}" for k, v in r.parameters.items())
        lines.append(f"{r.status:10} {r.duration_s:>8.1f}s  {r.notebook}: {params}")
        if r.error:
            lines.append(f"{'':21}{r.error}")
    failed = sum(not r.ok for r in results)
    lines.append(f"{len(results)} reports: {len(results) - failed} succeeded, {failed} failed")
    return "\n".join(lines)


# ---------------------------------------------------------------- the index of all reports
def write_reports_index(reports_root: Path | None = None) -> Path:
    """reports/index.html: every report with its parameters, status and links."""
    from analysis.reports.templates import reports_index_html

    root = Path(reports_root or config.REPORTS_DIR)
    runs = []
    for run_file in sorted(root.glob(f"*/*/{config.RUN_FILE}")):
        record = json.loads(run_file.read_text(encoding="utf-8"))
        record["href"] = run_file.parent.relative_to(root).as_posix()
        runs.append(record)
    target = root / "index.html"
    storage.write_text(target, reports_index_html(runs))
    return target
