"""A project folder found from where the user stands; `analysis init`; the wheel; the public API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

import analysis
from analysis import config, project
from analysis.errors import ParameterError, ProjectError

REPO = Path(__file__).resolve().parents[1]
ENV_NAMES = [config.PROJECT_ENV, *(variable for variable, _, _ in config.FOLDERS.values() if variable)]


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """A current folder in no project, no ANALYSIS_*_DIR variables, and config's paths looked up when read
    (other tests' monkeypatch.setattr(config, ...) leave the values they read set on the module)."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    for name in config.LAZY_PATHS:
        if name in vars(config):
            monkeypatch.delattr(config, name)
    here = tmp_path / "elsewhere"
    here.mkdir()
    monkeypatch.chdir(here)
    return here


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- finding the project
def test_the_project_is_found_by_walking_up_from_a_subfolder(nowhere, tmp_path, monkeypatch):
    made = project.init(tmp_path / "proj")
    monkeypatch.chdir(made / "notebooks")
    assert config.PROJECT_DIR == made.resolve()
    assert config.RAW_DIR == made / "data" / "raw" and config.PROCESSED_DIR == made / "data" / "processed"
    assert config.REPORTS_DIR == made / "reports" and config.NOTEBOOKS_DIR == made / "notebooks"
    assert config.CACHE_DIR == made / ".cache"
    monkeypatch.chdir(tmp_path)  # the project is below, not above: not found
    with pytest.raises(ProjectError, match=f"no analysis.toml found in {tmp_path}"):
        config.PROJECT_DIR


def test_the_nearest_project_wins_and_the_repository_is_one(nowhere, tmp_path):
    outer = project.init(tmp_path / "outer")
    inner = project.init(outer / "data" / "raw" / "inner")
    assert config.find_project(inner / "notebooks") == inner.resolve()
    assert config.find_project(outer / "data" / "raw") == outer.resolve()
    assert config.find_project(REPO / "src" / "analysis") == REPO


def test_paths_are_read_when_used_not_at_import(nowhere, tmp_path):
    made = project.init(tmp_path / "proj")
    code = ("import os; from analysis import config; a = config.RAW_DIR; os.chdir(os.environ['OTHER']); "
            "print(a); print(config.RAW_DIR)")
    other = project.init(tmp_path / "other")
    run = subprocess.run([sys.executable, "-c", code], cwd=made / "notebooks", capture_output=True, text=True,
                         env={**os.environ, "OTHER": str(other)}, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [str(made / "data" / "raw"), str(other / "data" / "raw")]
    nothing = subprocess.run([sys.executable, "-c", "import analysis, analysis.config, analysis.cli"], cwd=nowhere,
                             capture_output=True, text=True, timeout=120)
    assert nothing.returncode == 0 and nothing.stderr == ""  # importing needs no project


def test_environment_variables_override_the_project(nowhere, tmp_path, monkeypatch):
    made = project.init(tmp_path / "proj")
    monkeypatch.setenv("ANALYSIS_PROJECT_DIR", str(made))  # from anywhere
    assert config.PROJECT_DIR == made.resolve() and config.NOTEBOOKS_DIR == made.resolve() / "notebooks"
    monkeypatch.setenv("ANALYSIS_RAW_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("ANALYSIS_CACHE_DIR", str(tmp_path / "cache"))
    assert config.RAW_DIR == tmp_path / "mine" and config.CACHE_DIR == tmp_path / "cache"
    assert config.PROCESSED_DIR == made.resolve() / "data" / "processed"
    assert config.environment() == {
        "ANALYSIS_PROJECT_DIR": str(made.resolve()), "ANALYSIS_RAW_DIR": str(tmp_path / "mine"),
        "ANALYSIS_PROCESSED_DIR": str(made.resolve() / "data" / "processed"),
        "ANALYSIS_REPORTS_DIR": str(made.resolve() / "reports"), "ANALYSIS_CACHE_DIR": str(tmp_path / "cache")}
    monkeypatch.setenv("ANALYSIS_PROJECT_DIR", str(tmp_path))
    with pytest.raises(ProjectError, match=f"ANALYSIS_PROJECT_DIR={tmp_path}: no analysis.toml there"):
        config.PROJECT_DIR


def test_folders_need_no_project_when_their_variables_name_them(nowhere, tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_PROCESSED_DIR", str(tmp_path / "p"))
    assert config.PROCESSED_DIR == tmp_path / "p"
    with pytest.raises(ProjectError):
        config.RAW_DIR


def test_outside_a_project_the_cache_is_the_users(nowhere, tmp_path, monkeypatch, cli):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert config.CACHE_DIR == tmp_path / "xdg" / "conflict-analysis"
    code, out, err = cli("synth", "--rows", "5", "--out", "demo.csv")  # needs the gazetteer, not a project
    assert code == 0 and (nowhere / "demo.csv").is_file(), err


def test_analysis_toml_may_move_folders_and_a_bad_setting_is_named(nowhere, tmp_path, monkeypatch):
    made = project.init(tmp_path / "proj")
    monkeypatch.chdir(made)
    (made / "analysis.toml").write_text('[paths]\nraw = "/srv/raw"\nreports = "out/reports"\n', encoding="utf-8")
    assert config.RAW_DIR == Path("/srv/raw") and config.REPORTS_DIR == made.resolve() / "out" / "reports"
    assert config.PROCESSED_DIR == made.resolve() / "data" / "processed"  # not set: the default
    (made / "analysis.toml").write_text('title = "x"\n[paths]\nrow = "data/raw"\ncache = 3\n', encoding="utf-8")
    with pytest.raises(ProjectError) as error:
        config.RAW_DIR
    assert ("unknown setting title; unknown setting paths.row; paths.cache must be a folder name in quotes"
            in str(error.value))
    (made / "analysis.toml").write_text("[paths\n", encoding="utf-8")
    with pytest.raises(ProjectError, match="cannot read .*analysis.toml"):
        config.RAW_DIR


def test_an_edited_analysis_toml_is_read_again_even_at_the_same_size_and_time(nowhere, tmp_path, monkeypatch):
    """Settings are parsed once per content, never kept by the file's size and time (a second edit can leave both
    as they were)."""
    made = project.init(tmp_path / "proj")
    monkeypatch.chdir(made)
    settings = made / "analysis.toml"
    settings.write_text('[project]\ncountries = ["Sudan"]\n', encoding="utf-8")
    assert config.COUNTRIES == ("Sudan",) and config.COUNTRY == "Sudan"
    stat = settings.stat()
    settings.write_text('[project]\ncountries = ["Niger"]\n', encoding="utf-8")
    os.utime(settings, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert settings.stat().st_size == stat.st_size and config.COUNTRIES == ("Niger",)
    settings.write_text('[project]\ncountries = "Niger"\n', encoding="utf-8")
    with pytest.raises(ProjectError, match="project.countries must be a list"):
        config.COUNTRIES


def test_commands_outside_a_project_exit_2_with_a_message(nowhere, cli):
    message = f"error: no analysis.toml found in {nowhere.resolve()} or above; run `analysis init DIR`"
    for args in (["build"], ["run-all"], ["report", "01", "--no-runner"], ["batch", "01", "--grid", "date=2023-03-14"],
                 ["runner", "status"]):
        code, out, err = cli(*args)
        assert code == 2 and err.startswith(message) and "Traceback" not in err, (args, err)
    code, out, err = cli("validate", str(REPO / "data" / "raw" / "news_rferl_2023-03-14.csv"))
    assert code == 0 and "7 accepted" in out  # checking files needs no project
    assert list(nowhere.iterdir()) == []


def test_the_repository_is_a_project_with_the_default_settings():
    settings = tomllib.loads((REPO / "analysis.toml").read_text(encoding="utf-8"))
    assert settings == {"paths": {key: default for _, key, default in config.FOLDERS.values()},
                        "project": {"countries": list(config.DEFAULT_COUNTRIES)}}


# ---------------------------------------------------------------- analysis init
def test_init_creates_a_project_from_the_seed_files(nowhere, cli):
    code, out, err = cli("init", "new/proj")
    made = nowhere / "new" / "proj"
    assert code == 0 and f"created the project {made}" in out and "cd new/proj && analysis run-all" in out, err
    made_files = tree(made)
    assert made_files == {name: (REPO / name).read_bytes() for name in SEED}
    assert all((made / name).is_dir() for name in ("data/raw", "data/processed", "notebooks", "reports"))
    assert sorted(p.name for p in nowhere.iterdir()) == ["new"] and [p.name for p in (nowhere / "new").iterdir()] == [
        "proj"]  # no staging folder left beside it


def test_init_fills_an_existing_folder_that_holds_nothing_in_the_way(nowhere):
    target = nowhere / "proj"
    (target / "reports").mkdir(parents=True)  # empty: fine
    (target / "README.md").write_text("mine\n", encoding="utf-8")
    project.init(target)
    assert (target / "README.md").read_text(encoding="utf-8") == "mine\n"
    assert (target / "analysis.toml").is_file() and (target / "notebooks" / "01-daily-briefing.ipynb").is_file()


@pytest.mark.parametrize("prepare, fragment", [
    (lambda d: project.init(d), "already holds a project (analysis.toml); nothing was changed"),
    (lambda d: (d / "data" / "raw").mkdir(parents=True), "already holds data;"),
    (lambda d: (d.mkdir(), (d / "notebooks").write_text("x")), "already holds notebooks;"),
    (lambda d: d.write_text("x"), "exists and is not a folder"),
])
def test_init_refuses_a_project_or_files_in_the_way(nowhere, cli, prepare, fragment):
    target = nowhere / "proj"
    prepare(target)
    before = {p: p.read_bytes() if p.is_file() else None for p in sorted(nowhere.rglob("*"))}
    code, out, err = cli("init", target)
    assert code == 2 and fragment in err and "Traceback" not in err, err
    assert {p: p.read_bytes() if p.is_file() else None for p in sorted(nowhere.rglob("*"))} == before


@pytest.mark.parametrize("directory", ["", "  "])
def test_init_without_a_folder_is_a_usage_error_and_creates_nothing(nowhere, cli, monkeypatch, directory):
    monkeypatch.chdir(nowhere)  # an empty DIR (a shell variable unset) never means the current folder
    code, out, err = cli("init", directory)
    assert code == 2 and "give the folder for the new project" in err and "Traceback" not in err, err
    assert list(nowhere.iterdir()) == []


SEED = sorted(tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
              ["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"])


def test_the_seed_is_every_tracked_notebook_raw_file_and_article_listed_once():
    tracked = subprocess.run(["git", "ls-files", "notebooks", "data/raw", "articles"], cwd=REPO, capture_output=True,
                             text=True)
    if tracked.returncode != 0:
        pytest.skip("not a git checkout")
    assert SEED == sorted([*tracked.stdout.split(), "analysis.toml", "data/processed/README.md"])
    assert {name: path.resolve() for name, path in project.seed_files().items()} == {n: REPO / n for n in SEED}


# ---------------------------------------------------------------- the public API
def test_the_package_exports_only_what_exists():
    assert "numbers" not in analysis.__all__
    for name in analysis.__all__:
        assert getattr(analysis, name) is not None, name
    assert analysis.init is project.init and analysis.run_report.__module__ == "analysis.api"
    assert {"load_events", "metrics", "plots", "run_report", "init"} <= set(analysis.__all__)


def test_run_report_checks_parameters_before_any_kernel(seed_dirs):
    with pytest.raises(ParameterError, match="date: 2021-01-01 is outside the events' coverage"):
        analysis.run_report("01", date="2021-01-01")
    with pytest.raises(ParameterError, match="no notebook 'nope'"):
        analysis.run_report("nope")
    assert not seed_dirs[2].exists()


@pytest.mark.slow
def test_run_report_from_python_takes_values_and_returns_the_report(seed_dirs):
    import datetime

    result = analysis.run_report("01-daily-briefing", {"date": "2023-03-01"}, date=datetime.date(2023, 3, 14),
                                 window_days=1)
    assert result.ok, result.error
    assert result.parameters == {"date": "2023-03-14", "window_days": 1, "oblast": ""}
    assert result.report_dir.parent == seed_dirs[2] / "01-daily-briefing"
    numbers = json.loads((result.report_dir / "numbers.json").read_text(encoding="utf-8"))
    assert numbers["parameters"] == result.parameters and (result.report_dir / "report.html").is_file()


# ---------------------------------------------------------------- the wheel, installed elsewhere
def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Files under root (not .git, .venv or bytecode) with size and modification time."""
    found = {}
    for path in root.rglob("*"):
        parts = path.relative_to(root).parts
        if {".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis"} & set(parts) or not path.is_file():
            continue
        stat = path.stat()
        found[path.relative_to(root).as_posix()] = (stat.st_size, stat.st_mtime_ns)
    return found


@pytest.mark.slow
def test_the_wheel_installed_in_a_fresh_environment_inits_builds_and_reports(tmp_path):
    """Build the wheel, install it into a new virtual environment, and use it in a temporary folder.

    The new environment sees this one's site-packages through a .pth line (no downloads): the
    dependencies come from there, the package from the wheel, which comes first on sys.path.
    """
    repo_before = {name: snapshot(REPO / name) for name in ("data", "notebooks", "reports", "src")}
    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                            "-w", str(wheels), str(REPO)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next(wheels.glob("conflict_analysis-*.whl"))

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                                "--no-index", str(wheel)], capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr[-2000:]
    site_before = snapshot(site)

    # nbconvert's templates are data files of this environment's prefix: shown to the new one through
    # JUPYTER_PATH (only them: the kernel must be the one the wheel registers in the new environment)
    jupyter = tmp_path / "jupyter"
    jupyter.mkdir()
    (jupyter / "nbconvert").symlink_to(Path(sys.prefix) / "share" / "jupyter" / "nbconvert")
    env = {k: v for k, v in os.environ.items() if not (k.startswith(("ANALYSIS_", "JUPYTER")) or k == "PYTHONPATH")}
    env.update(ANALYSIS_RUNNER="off", PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", JUPYTER_PATH=str(jupyter))
    work = tmp_path / "work"
    work.mkdir()

    def run(*args, cwd):
        done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=1200)
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-3000:])
        return done.stdout

    where = run(python, "-c", "import analysis; print(analysis.__file__)", cwd=work)
    assert Path(where.strip()).is_relative_to(site), where  # the wheel's package, not this checkout's
    run("analysis", "init", "proj", cwd=work)
    proj = work / "proj"
    assert sorted(tree(proj)) == SEED
    run("analysis", "build", cwd=proj / "notebooks")  # from a subfolder: the project is found above it
    assert (proj / "data" / "processed" / "events.parquet").is_file()
    run("analysis", "report", "01-daily-briefing", "-p", "date", "2023-03-14", "-p", "window_days", "7", cwd=proj)
    report = proj / "reports" / "01-daily-briefing" / "date=2023-03-14_window_days=7_oblast=all"
    numbers = json.loads((report / "numbers.json").read_text(encoding="utf-8"))
    assert numbers["notebook"] == "01-daily-briefing"
    assert numbers["parameters"] == {"date": "2023-03-14", "window_days": 7, "oblast": ""}
    stated = {n["name"]: n["value"] for n in numbers["numbers"]}
    assert stated["attacks_in_window"] == 49 and stated["attacks_on_date"] == 16
    run_record = json.loads((report / "run.json").read_text(encoding="utf-8"))
    assert run_record["status"] == "succeeded"
    kernel = json.loads((venv / "share" / "jupyter" / "kernels" / "conflict-analysis" / "kernel.json").read_text())
    assert kernel["argv"][0] == str(python)  # the report ran on the new environment's kernel
    assert (report / "report.html").is_file() and (proj / "reports" / "index.html").is_file()

    assert snapshot(site) == site_before  # nothing written into the installed package
    assert not (site.parent / "data").exists() and not (site.parent / "reports").exists()
    assert {name: snapshot(REPO / name) for name in repo_before} == repo_before  # nor into this repository
