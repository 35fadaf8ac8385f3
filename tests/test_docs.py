"""The README's commands, the Makefile, .ci/run and the generated docs agree with the code."""

from __future__ import annotations

import re
import subprocess
import sys

from analysis import config

ROOT = config.PROJECT_DIR
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _setup_block() -> list[str]:
    section = README.split("## Two commands", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]


def test_readme_gives_exactly_two_setup_commands():
    assert _setup_block() == ["make run", "make test"]


def test_makefile_targets_install_on_first_use_and_run_the_documented_jobs():
    dry_run = subprocess.run(["make", "-n", "-B", "run", "test"], cwd=ROOT, capture_output=True, text=True, check=True)
    text = dry_run.stdout
    assert "-m venv .venv" in text and "pip install" in text and "-c constraints.txt" in text
    assert ".venv/bin/analysis run-all" in text
    assert ".venv/bin/python -m pytest" in text


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "CI=true" in ci


def test_data_dictionary_is_generated_from_the_schemas():
    from analysis.reports.templates import data_dictionary

    committed = (ROOT / "docs" / "data_dictionary.md").read_text(encoding="utf-8")
    assert committed == data_dictionary(), "run `analysis dictionary --out docs/data_dictionary.md`"


def test_every_command_in_the_readme_table_exists():
    documented = set(re.findall(r"^\| `analysis ([a-z-]+)", README, re.M))
    result = subprocess.run([sys.executable, "-m", "analysis", "--help"], capture_output=True, text=True, check=True)
    for command in documented:
        assert command in result.stdout, command


def test_readme_paths_exist():
    for path in re.findall(r"^\| `((?:data|src|notebooks|tests|docs)/[^`]*)`", README, re.M):
        assert (ROOT / path).exists(), path


def test_bundled_files_named_in_the_readme_exist():
    for name in re.findall(r"^- `([\w.-]+\.csv)`", README, re.M):
        assert (config.PROJECT_DIR / "data" / "raw" / name).exists(), name


def test_bundled_synthetic_files_regenerate_from_the_documented_commands(tmp_path):
    import shlex

    entries = README.split("## Bundled data", 1)[1].split("\n## ", 1)[0].split("\n- `")
    commands = [(entry.split("`", 1)[0], re.search(r"`(analysis synth [^`]+)`", entry).group(1))
                for entry in entries if entry.startswith("synthetic_")]
    assert {name for name, _ in commands} == {"synthetic_acled_demo.csv", "synthetic_air_force_demo.csv"}
    for name, command in commands:
        out = tmp_path / name
        args = shlex.split(command)[1:]
        assert args[-2:] == ["--out", f"data/raw/{name}"], command  # synth writes only where told
        args[-1] = str(out)
        subprocess.run([sys.executable, "-m", "analysis", *args], check=True, capture_output=True)
        assert out.read_bytes() == (ROOT / "data" / "raw" / name).read_bytes(), command
