"""Exceptions that carry a message meant for the person at the keyboard.

Anything raised as an :class:`InputError` is printed by the CLI as a one-line
(or few-line) message and turned into a non-zero exit code, never a traceback.
"""

from __future__ import annotations


class AnalysisError(Exception):
    """Base class of errors the CLI reports without a traceback."""

    exit_code = 2


class InputError(AnalysisError):
    """A raw input file cannot be read as a whole (empty, binary, unknown layout...)."""

    def __init__(self, path, message: str, *, line: int | None = None):
        self.path = str(path)
        self.line = line
        where = f"{self.path}, line {line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")
        self.reason = message


class OutputError(AnalysisError):
    """An output folder cannot be written (read-only, not a folder, no permission): the user's to fix."""

    def __init__(self, path, message: str):
        self.path = str(path)
        super().__init__(f"{self.path}: {message}")


class ParameterError(AnalysisError):
    """A report or CLI parameter is invalid; raised before any work starts."""


class DataNotBuiltError(AnalysisError):
    """The processed data are missing and could not be built."""


class ProjectError(AnalysisError):
    """No project folder (``analysis.toml``) where one is needed, a bad ``analysis.toml``, or ``init`` refused."""
