"""Usage errors are the user's: every subcommand answers a bad option, a missing
argument and a bad value with click's usage message and exit code 2, never
"internal error" (exit 3) and never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from analysis import cli

COMMANDS = ["init", "validate", "build", "report", "notebooks", "batch", "runner", "run-all", "synth", "template",
            "dictionary", "fetch"]
COMMANDS += ["drift"]

# (argv, what the message must say); none of these may start any work.
CASES = {
    "bad option": [([name, "--no-such-option"], "No such option") for name in COMMANDS if name != "report"]
    + [(["--no-such-option"], "No such option"), (["no-such-command"], "No such command")],
    "missing argument": [
        (["init"], "Missing argument"),
        (["validate"], "Missing argument"),
        (["report"], "Missing argument"),
        (["batch"], "Missing argument"),
        (["runner"], "Missing argument"),
        (["template"], "Missing argument"),
        (["build", "--raw-dir"], "requires an argument"),
        (["run-all", "--jobs"], "requires an argument"),
        (["synth", "--seed"], "requires an argument"),
        (["dictionary", "--out"], "requires an argument"),
        (["report", "01", "--timeout"], "requires an argument"),
        (["notebooks", "extra"], "unexpected extra argument"),
        (["fetch"], "Missing argument"),
        (["drift"], "Missing argument"),
    ],
    "bad value": [
        (["validate", "x.csv", "--show", "many"], "Invalid value"),
        (["build", "--force=maybe"], "does not take a value"),
        (["report", "01", "--timeout", "soon"], "Invalid value"),
        (["batch", "01", "--grid", "date=2023-03-14", "-j", "0"], "Invalid value"),
        (["batch", "01", "--grid", "date=2023-03-14", "-j", "two"], "Invalid value"),
        (["run-all", "-j", "0"], "Invalid value"),
        (["run-all", "-j", "-3"], "Invalid value"),
        (["synth", "--rows", "0"], "Invalid value"),
        (["synth", "--rows", "abc"], "Invalid value"),
        (["synth", "--seed", "1.5"], "Invalid value"),
        (["fetch", "gdelt"], "Invalid value"),
        (["drift", "reports/x/y", "--timeout", "soon"], "Invalid value"),
    ],
}


def _run(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    return exit_info.value.code, capsys.readouterr()


@pytest.mark.parametrize("argv,says", [case for cases in CASES.values() for case in cases],
                         ids=[" ".join(argv) for cases in CASES.values() for argv, _ in cases])
def test_usage_errors_exit_2_with_a_usage_message(argv, says, capsys):
    code, out = _run(argv, capsys)
    assert code == 2, out
    assert "internal error" not in out.err and "Traceback" not in out.err
    assert "Error:" in out.err and says in out.err
    assert "Usage: analysis" in out.err or "Try 'analysis --help'" in out.err


def test_every_command_is_covered_by_each_kind_of_usage_error():
    covered = {kind: {argv[0] for argv, _ in cases} for kind, cases in CASES.items()}
    listed = {command.name or command.callback.__name__ for command in cli.app.registered_commands}
    assert set(COMMANDS) == listed
    assert set(COMMANDS) - {"report"} <= covered["bad option"]
    assert set(COMMANDS) <= covered["missing argument"]
    # their values: the next test (init's: tests/test_project.py)
    assert set(COMMANDS) - {"runner", "template", "dictionary", "init", "notebooks"} <= covered["bad value"]


def test_report_passes_unknown_options_on_as_parameters_and_refuses_them(capsys):
    """``report`` takes ``-p name value`` pairs after its options; anything else is a usage error (exit 2)."""
    code, out = _run(["report", "01", "--no-such-option"], capsys)
    assert code == 2
    assert "unexpected argument '--no-such-option'" in out.err and "internal error" not in out.err


@pytest.mark.parametrize("argv", [["runner", "restart"], ["template", "letters"], ["synth", "--kind", "gdelt"]])
def test_bad_choices_are_parameter_errors(argv, capsys):
    code, out = _run(argv, capsys)
    assert code == 2
    assert out.err.startswith("error: ") and "internal error" not in out.err


def test_help_and_no_arguments(capsys):
    code, out = _run(["--help"], capsys)
    assert code == 0 and "Usage: analysis" in out.out
    code, out = _run([], capsys)  # a bare `analysis` shows the help, as a usage error
    assert code == 2 and "Usage: analysis" in (out.out + out.err)


def test_the_console_script_gives_the_same_exit_code():
    """The installed entry point goes through the same main() (one subprocess, to be sure)."""
    result = subprocess.run([sys.executable, "-m", "analysis", "build", "--bogus"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "No such option: --bogus" in result.stderr and "internal error" not in result.stderr


def test_notebooks_lists_each_report_and_the_parameters_it_declares(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["notebooks"])
    lines = capsys.readouterr().out.splitlines()
    assert exit_info.value.code in (0, None)
    assert "01-daily-briefing: Daily briefing" in lines
    assert ("  window_days (int, default 7): days covered, ending on `date` [a whole number of days >= 1 whose "
            "window ending on date lies inside its coverage]") in lines
    assert not any(line.strip().startswith("report_dir") for line in lines)
