"""The ``analysis`` command line: parse arguments, call the library, print results.

Commands stay thin; the work happens in library modules, which are imported
inside each command so that ``analysis --help`` and a no-op ``analysis build``
start fast.  Errors meant for users (:class:`analysis.errors.AnalysisError`)
are printed as messages with a non-zero exit code, never as tracebacks.

Exit codes: 0 success; 1 rows were rejected or a report failed; 2 bad input
(unreadable file, bad parameter, no project where one is needed); 3 internal
error; 130 interrupted.
"""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from analysis import config
from analysis.errors import AnalysisError, ParameterError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Validated, normalised conflict-event data, metrics, figures and reports.",
)


def _echo_err(message: str) -> None:
    typer.echo(message, err=True)


# ---------------------------------------------------------------- project
@app.command()
def init(directory: str = typer.Argument(..., help="Folder for the new project (new or empty).")) -> None:
    """Create a project: analysis.toml, data/raw/ with the bundled example, data/processed/, notebooks/, reports/."""
    import shlex

    from analysis.project import init as create

    project = create(directory)
    typer.echo(f"created the project {project}\n"
               f"next: cd {shlex.quote(str(directory))} && analysis run-all   (builds, runs every report, "
               "prints where reports/index.html is)")


# ---------------------------------------------------------------- validate
@app.command()
def validate(
    paths: List[Path] = typer.Argument(..., help="Raw CSV files to check."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array, one object per file."),
    format: Optional[str] = typer.Option(None, "--format", help="Force a format instead of detecting it."),
    show: int = typer.Option(config.ROWS_IN_ERROR_PREVIEW, "--show", help="Rejections printed per file."),
) -> None:
    """Check raw files without building: format, rows, accepted, rejected, and why."""
    from analysis.build.validation import validate_files

    results = validate_files(paths, forced_format=format)
    if as_json:
        typer.echo(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    else:
        from analysis.build.validation import format_results

        typer.echo(format_results(results, show=show))
    worst = max((r["exit_code"] for r in results), default=0)
    raise typer.Exit(worst)


# ---------------------------------------------------------------- build
@app.command()
def build(
    force: bool = typer.Option(False, "--force", help="Rebuild even if inputs and code are unchanged."),
    raw_dir: Optional[Path] = typer.Option(None, "--raw-dir", help="Folder of raw CSV files [default: the "
                                                                  "project's data/raw]."),
    processed_dir: Optional[Path] = typer.Option(None, "--processed-dir", help="Output folder [default: the "
                                                                              "project's data/processed]."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only problems."),
    snapshot: Optional[List[str]] = typer.Option(None, "--snapshot", metavar="SOURCE=STAMP",
                                                 help="End SOURCE's snapshot chain at STAMP (e.g. acled="
                                                      "20261202T101500Z) instead of the latest; repeatable."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", metavar="ADDRESS|local",
                                            help="Read the raw files as Dask tasks: on a local cluster ('local') "
                                                 "or the scheduler at tcp://host:port. Same outputs."),
) -> None:
    """Build data/processed/ from every file in data/raw/ and the snapshot chains (skipped when nothing changed)."""
    from analysis.build import build as run
    from analysis.build.snapshots import parse_pins

    pins = parse_pins(snapshot)
    raw_dir, processed_dir = raw_dir or config.RAW_DIR, processed_dir or config.PROCESSED_DIR
    report = run(raw_dir, processed_dir, force=force, quiet=quiet, snapshots=pins, scheduler=scheduler)
    if not quiet or not report.ok:
        from analysis.build.summary import build_summary

        typer.echo(build_summary(report, processed_dir))
    raise typer.Exit(0 if report.ok else 2)  # a raw file could not be read (the rest was built)


# ---------------------------------------------------------------- fetch
class FetchSource(str, Enum):
    acled = "acled"
    ucdp = "ucdp"


@app.command()
def fetch(
    source: FetchSource = typer.Argument(..., help="'acled' or 'ucdp' (UCDP GED)."),
    country: Optional[str] = typer.Option(None, "--country", help="Country name (UCDP: or its Gleditsch-Ward "
                                                                  "number). Required unless --update."),
    start: Optional[str] = typer.Option(None, "--start", help="First day (YYYY-MM-DD)."),
    end: Optional[str] = typer.Option(None, "--end", help="Last day (YYYY-MM-DD)."),
    update: bool = typer.Option(False, "--update", help="ACLED: only events changed or deleted since the latest "
                                                        "snapshot."),
    version: Optional[str] = typer.Option(None, "--version", help="UCDP: the GED release (default 25.1)."),
) -> None:
    """Fetch events from ACLED's or UCDP's API into a new snapshot under data/raw/snapshots/ (resumes a stopped one)."""
    from analysis.fetch.acled import fetch_acled
    from analysis.fetch.ucdp import fetch_ucdp

    if source is FetchSource.acled:
        if version is not None:
            raise ParameterError("--version is for ucdp only")
        if country is None and not update:
            raise ParameterError("fetch acled: give --country NAME (or --update)")
        path = fetch_acled(country, start, end, update=update)
    else:
        if update:
            raise ParameterError("--update is for acled only (UCDP releases are fixed versions)")
        if country is None:
            raise ParameterError("fetch ucdp: give --country NAME")
        path = fetch_ucdp(country, **({"version": version} if version else {}), start=start, end=end)
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    deleted = f", {manifest.get('deleted_rows', 0):,} deleted" if manifest.get("kind") == "update" else ""
    typer.echo(f"{manifest.get('kind', 'base')} snapshot {path}: {manifest.get('pages', 0)} pages, "
               f"{manifest.get('rows', 0):,} events{deleted}")


# ---------------------------------------------------------------- reports
def _pairs(args: list[str]) -> dict:
    """``-p name value`` pairs from the command's extra arguments."""
    given, rest = {}, list(args)
    while rest:
        flag = rest.pop(0)
        if flag not in ("-p", "--parameter") or len(rest) < 2:
            raise ParameterError(f"unexpected argument {flag!r}; give parameters as -p name value")
        name, value = rest.pop(0), rest.pop(0)
        given[name] = value
    return given


def _given_parameters(args: list[str], params_file: Optional[Path]) -> dict:
    """Parameters from ``-f params.yaml`` (overridden by ``-p name value``), as JSON-ready values.

    YAML scalars are kept as typed values (the notebook's types decide what fits);
    unquoted dates become 'YYYY-MM-DD' (date-times their ISO text); lists and
    mappings are passed on for :func:`analysis.reports.parameters.check_parameters` to refuse.
    """
    from analysis.api import parameter_value

    given = {}
    if params_file:
        import yaml

        try:
            loaded = yaml.safe_load(params_file.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ParameterError(f"cannot read parameters file {params_file}: {exc}") from None
        if not isinstance(loaded, dict):
            raise ParameterError(f"{params_file} must hold a mapping of parameter names to values")
        for name, value in loaded.items():
            if not isinstance(name, str):
                raise ParameterError(f"{params_file}: parameter names are text, not {name!r}")
            given[name] = parameter_value(value)
    given.update(_pairs(args))
    return given


def _runner_choice(no_runner: bool) -> None:
    if no_runner:
        os.environ["ANALYSIS_RUNNER"] = "off"


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def report(
    ctx: typer.Context,
    notebook: str = typer.Argument(..., help="Notebook name, number ('01') or path."),
    params_file: Optional[Path] = typer.Option(None, "-f", "--file", help="YAML file of parameters."),
    timeout: float = typer.Option(600, "--timeout", help="Seconds a cell may run before the report fails."),
    no_runner: bool = typer.Option(False, "--no-runner", help="Run in this process, not the background runner."),
) -> None:
    """Run one report notebook into reports/<notebook>/<parameters>/; parameters as -p name value."""
    from analysis.api import run_report

    _runner_choice(no_runner)
    result = run_report(notebook, _given_parameters(ctx.args, params_file), timeout_s=timeout)
    typer.echo(f"{result.status}: {result.report_dir / config.HTML_FILE}")
    if result.error:
        typer.echo(f"error: {result.error}", err=True)
    raise typer.Exit(0 if result.ok else 1)


@app.command()
def notebooks() -> None:
    """List the report notebooks with their declared parameters (type, default, meaning, checks)."""
    from analysis.reports import describe_notebooks

    typer.echo(describe_notebooks())


@app.command()
def batch(
    notebook: str = typer.Argument(..., help="Notebook name, number ('01') or path."),
    grid: Optional[List[str]] = typer.Option(None, "--grid", help="name=v1,v2,... (repeatable; all combinations)."),
    grid_file: Optional[Path] = typer.Option(None, "--grid-file", help="CSV with one combination per row."),
    jobs: Optional[int] = typer.Option(None, "-j", "--jobs", min=1, help="Reports run at once (default: cores)."),
    timeout: float = typer.Option(600, "--timeout", help="Seconds a cell may run before a report fails."),
    no_runner: bool = typer.Option(False, "--no-runner", help="Run in this process, not the background runner."),
) -> None:
    """Run a notebook for every combination of parameters, in parallel, and write reports/index.html."""
    from analysis.reports import runner
    from analysis.reports import batch_summary, parse_grid, read_grid_file

    if bool(grid) == bool(grid_file):
        raise ParameterError("give either --grid name=v1,v2 ... or --grid-file FILE")
    _runner_choice(no_runner)
    combos = parse_grid(grid) if grid else read_grid_file(grid_file)
    results = runner.batch([(notebook, combo) for combo in combos], jobs=jobs, timeout_s=timeout)
    typer.echo(batch_summary(results))
    typer.echo(f"index: {config.REPORTS_DIR / 'index.html'}")
    raise typer.Exit(0 if all(r.ok for r in results) else 1)


@app.command("runner")
def runner_command(
    action: str = typer.Argument(..., help="'status' or 'stop'."),
    all_runners: bool = typer.Option(False, "--all", help="Every runner of this user, not only this project's."),
) -> None:
    """The background report runner: show this project's (or --all), or stop the one for this project and data."""
    from analysis.reports import runner

    if action == "status":
        typer.echo(runner.status(all_runners))
    elif action == "stop":
        stopped = runner.stop_all() if all_runners else int(runner.stop(runner.socket_path()))
        typer.echo(f"asked {stopped} report runner(s) to stop")
    else:
        raise ParameterError(f"runner {action!r}: choose 'status' or 'stop'")


# ---------------------------------------------------------------- drift of published numbers
@app.command("drift")
def drift_command(
    report_dir: Path = typer.Argument(..., help="A report folder: reports/<notebook>/<parameters>."),
    snapshot: Optional[List[str]] = typer.Option(None, "--snapshot", help="SOURCE=STAMP: rerun on the data of that "
                                                 "snapshot chain end (repeatable) [default: the current data]."),
    timeout: float = typer.Option(600, "--timeout", help="Seconds a cell of the rerun may run."),
) -> None:
    """Rerun a report with its recorded parameters; list the numbers that changed and the events behind each.

    Writes drift.json and drift.html beside the report.  Exit 0: every number holds; 1: some changed.
    """
    from rich.console import Console

    from analysis.build.snapshots import parse_pins
    from analysis.reports.drift import DRIFT_HTML, drift, terminal_table

    found = drift(report_dir, parse_pins(snapshot or []), timeout_s=timeout)
    console = Console()
    (console if console.is_terminal else Console(width=200)).print(terminal_table(found))  # a log keeps whole ids
    changed = sum(n["status"] != "unchanged" for n in found.numbers)
    typer.echo(f"{changed} of {len(found.numbers)} numbers changed: {Path(report_dir) / DRIFT_HTML}")
    raise typer.Exit(1 if found.changed else 0)


# ---------------------------------------------------------------- article bundles
article_app = typer.Typer(no_args_is_help=True, help="Article bundles: articles/<slug>/article.yaml -> out/.")
app.add_typer(article_app, name="article")


@article_app.command("build")
def article_build(
    slug: str = typer.Argument(..., help="The article's folder name under articles/."),
    jobs: Optional[int] = typer.Option(None, "-j", "--jobs", min=1, help="Reports run at once (default: cores)."),
    timeout: float = typer.Option(600, "--timeout", help="Seconds a cell may run before a report fails."),
    no_runner: bool = typer.Option(False, "--no-runner", help="Run in this process, not the background runner."),
) -> None:
    """Run the article's reports and write articles/<slug>/out/ (index.html, manifest.json) in one switch."""
    from analysis.reports import articles

    _runner_choice(no_runner)
    out = articles.build(slug, jobs=jobs, timeout_s=timeout)
    typer.echo(f"built {out / articles.INDEX_FILE}")


@article_app.command("check")
def article_check(
    slug: str = typer.Argument(..., help="The article's folder name under articles/."),
    snapshot: Optional[List[str]] = typer.Option(None, "--snapshot", help="SOURCE=STAMP: data pinned to a snapshot."),
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
) -> None:
    """Drift over every number the article quotes: exit 0 when all still hold, 1 when one changed."""
    from analysis.build.snapshots import parse_pins
    from analysis.reports import articles

    result = articles.check(slug, parse_pins(snapshot or []) or None)
    typer.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False, default=str) if as_json
               else articles.check_summary(result))
    raise typer.Exit(1 if result.changed else 0)


# ---------------------------------------------------------------- the main job
@app.command("run-all")
def run_all(
    force: bool = typer.Option(False, "--force", help="Rebuild even if inputs and code are unchanged."),
    jobs: Optional[int] = typer.Option(None, "-j", "--jobs", min=1, help="Reports run at once (default: cores)."),
) -> None:
    """The main job: build data/processed, run every report notebook, print where the index is."""
    from analysis.build import build as run
    from analysis.reports import batch_summary, run_all_reports
    from analysis.build.summary import build_summary

    built = run(config.RAW_DIR, config.PROCESSED_DIR, force=force)
    typer.echo(build_summary(built, config.PROCESSED_DIR))
    typer.echo("")
    results = run_all_reports(jobs=jobs)
    typer.echo(batch_summary(results))
    typer.echo(f"\nreports: {config.REPORTS_DIR / 'index.html'}")
    raise typer.Exit(0 if built.ok and all(r.ok for r in results) else 1)


# ---------------------------------------------------------------- synth
@app.command()
def synth(
    rows: int = typer.Option(1000, "--rows", min=1, help="Number of events to generate (ACLED only)."),
    seed: int = typer.Option(0, "--seed", help="Random seed: the same seed gives the same file."),
    out: Optional[Path] = typer.Option(None, "--out", help="Output CSV (required: synth never writes into "
                                                           "data/raw/ by itself)."),
    start: str = typer.Option("2022-02-24", "--start", help="First day (YYYY-MM-DD)."),
    end: str = typer.Option("2023-12-31", "--end", help="Last day (YYYY-MM-DD)."),
    kind: str = typer.Option("acled", "--kind", help="'acled' (events) or 'air-force' (nightly reports)."),
) -> None:
    """Write a deterministic synthetic file (ACLED events or Air Force reports) for demos, tests and benchmarks.

    Ids carry the seed, size and dates, so files made with other parameters never share an id.
    """
    from analysis.build import synth as generators

    if out is None:
        raise ParameterError("synth: give --out FILE (where to write the synthetic CSV); it never writes into "
                             "data/raw/ unless told to")
    if kind == "acled":
        path = generators.write_synthetic_acled(out, rows=rows, seed=seed, start=start, end=end)
        typer.echo(f"wrote {rows:,} synthetic ACLED events to {path}")
    elif kind == "air-force":
        path = generators.write_synthetic_air_force(out, seed=seed, start=start, end=end)
        typer.echo(f"wrote synthetic Air Force reports for {start}..{end} to {path}")
    else:
        raise ParameterError(f"--kind {kind!r}: choose 'acled' or 'air-force'")


# ---------------------------------------------------------------- templates and docs
@app.command()
def template(
    kind: str = typer.Argument(..., help="'news' (events from articles) or 'claims' (officially reported counts)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the CSV header here instead of printing it."),
) -> None:
    """Print (or write) the CSV header of a hand-coding template."""
    from analysis.reports.templates import template_header

    header = template_header(kind)
    if out:
        from analysis import storage

        if out.exists():
            raise AnalysisError(f"{out} exists; not overwriting it")
        storage.write_text(out, header)
        typer.echo(f"wrote the {kind} template header to {out}")
    else:
        typer.echo(header, nl=False)


@app.command()
def dictionary(out: Optional[Path] = typer.Option(None, "--out", help="Write Markdown here instead of printing.")) -> None:
    """The data dictionary: every column of every processed table, from the schemas."""
    from analysis.reports.templates import data_dictionary

    text = data_dictionary()
    if out:
        from analysis import storage

        storage.write_text(out, text)
        typer.echo(f"wrote {out}")
    else:
        typer.echo(text, nl=False)


# ---------------------------------------------------------------- entry point
def _click_errors() -> tuple[tuple[type, ...], tuple[type, ...]]:
    """The usage-error and abort classes of the click that typer runs on.

    typer vendors its own copy of click (``typer._click``) in recent versions
    and uses the real ``click`` in older ones; both are found from typer's
    public ``BadParameter`` and ``Abort`` rather than from a private import.
    """
    usage = {c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"}
    aborts = {typer.Abort}
    try:
        import click

        usage.add(click.ClickException)
        aborts.add(click.exceptions.Abort)
    except ImportError:  # pragma: no cover - typer without the real click
        pass
    return tuple(usage), tuple(aborts)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the app and turn user errors into messages and exit codes.

    Usage errors (unknown option, missing argument, bad value) print click's
    usage message and exit 2, like any other error that is the user's.
    """
    usage_errors, aborts = _click_errors()
    try:
        code = app(args=argv, prog_name="analysis", standalone_mode=False)  # click returns the code of typer.Exit here
    except AnalysisError as exc:
        _echo_err(f"error: {exc}")
        sys.exit(exc.exit_code)
    except usage_errors as exc:
        exc.show()
        if getattr(exc, "ctx", None) is None:  # click knew no command to show the usage of
            _echo_err("Try 'analysis --help' (or 'analysis COMMAND --help') for help.")
        sys.exit(2)
    except (KeyboardInterrupt, *aborts):
        _echo_err("interrupted")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if os.environ.get("ANALYSIS_DEBUG"):
            raise
        _echo_err(f"internal error: {type(exc).__name__}: {exc}\n"
                  "This is a bug in the analysis package, not in your data; set ANALYSIS_DEBUG=1 to see the traceback.")
        sys.exit(3)
    sys.exit(code if isinstance(code, int) else 0)
