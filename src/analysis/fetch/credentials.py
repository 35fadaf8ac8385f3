"""Credentials for the providers' APIs: from the environment or a private file outside the project.

Where they come from, first found wins per value:

- environment variables ``ACLED_EMAIL``, ``ACLED_PASSWORD`` and ``UCDP_API_TOKEN``;
- the user's credentials file, ``~/.config/analysis/credentials.toml`` (or ``$XDG_CONFIG_HOME/analysis/...``;
  ``ANALYSIS_CREDENTIALS`` names another file)::

      [acled]
      email = "me@example.org"
      password = "..."

      [ucdp]
      token = "..."

  The file must be a regular file of this user with mode 0600 (or stricter), and must lie outside the
  project folder (where it could be committed); otherwise :class:`CredentialsError` (exit code 2) says why.

A secret is held in :class:`Secret`, whose ``str`` and ``repr`` are ``***``: a secret printed,
logged or put in an exception by mistake shows nothing.  :func:`redact` replaces secret values in a
text (a server's error message that echoes them, say) before it reaches the user.
"""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path

from analysis import config
from analysis.errors import AnalysisError, ProjectError

CREDENTIALS_ENV = "ANALYSIS_CREDENTIALS"
# environment variable -> (table, key) in the credentials file
SOURCES = {
    "ACLED_EMAIL": ("acled", "email"),
    "ACLED_PASSWORD": ("acled", "password"),
    "UCDP_API_TOKEN": ("ucdp", "token"),
}


class CredentialsError(AnalysisError):
    """Credentials missing, refused by the provider, or kept in a file others could read."""

    exit_code = 2


class Secret:
    """A secret string that never shows itself: ``str``/``repr`` give ``***``; ``.reveal()`` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __reduce__(self):  # never pickled into a file or a child process by accident
        raise TypeError("a Secret cannot be pickled")


@dataclass(frozen=True)
class AcledLogin:
    email: str
    password: Secret


def credentials_file() -> Path:
    """The user's credentials file (it may not exist)."""
    named = os.environ.get(CREDENTIALS_ENV)
    if named:
        return Path(named).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "analysis" / "credentials.toml"


def _check_private_file(path: Path) -> None:
    st = os.lstat(path)
    uid = os.getuid()
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
        problem = "is not a regular file (a symbolic link or something else)"
    elif st.st_uid != uid:
        problem = f"is owned by uid {st.st_uid}, not by you (uid {uid})"
    elif stat.S_IMODE(st.st_mode) & 0o077:
        problem = f"has mode {stat.S_IMODE(st.st_mode):04o}: others can read it; run `chmod 600 {path}`"
    else:
        try:
            project = config.find_project()
        except ProjectError:
            return
        if path.resolve().is_relative_to(project):
            problem = f"lies inside the project {project}, where it could be committed; keep it outside"
        else:
            return
    raise CredentialsError(f"credentials file {path} {problem}")


def _from_file(path: Path) -> dict[str, str]:
    """{environment variable name: value} found in the credentials file; {} when there is no file."""
    if not os.path.lexists(path):
        return {}
    _check_private_file(path)
    try:
        settings = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CredentialsError(f"cannot read the credentials file {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:  # the message names line and column, never the value
        raise CredentialsError(f"credentials file {path} is not valid TOML ({exc})") from None
    found = {}
    for variable, (table, key) in SOURCES.items():
        value = settings.get(table, {}).get(key) if isinstance(settings.get(table), dict) else None
        if value is not None:
            if not isinstance(value, str) or not value:
                raise CredentialsError(f"credentials file {path}: [{table}] {key} must be text in quotes")
            found[variable] = value
    return found


def _lookup(*variables: str) -> dict[str, str]:
    found = {v: os.environ[v] for v in variables if os.environ.get(v)}
    missing = [v for v in variables if v not in found]
    if missing:
        from_file = _from_file(credentials_file())
        found.update({v: from_file[v] for v in missing if v in from_file})
    missing = [v for v in variables if v not in found]
    if missing:
        where = ", ".join(f"[{SOURCES[v][0]}] {SOURCES[v][1]}" for v in missing)
        raise CredentialsError(f"missing {', '.join(missing)}: set the environment variable(s), or put {where} in "
                               f"{credentials_file()} (mode 0600)")
    return found


def acled_login() -> AcledLogin:
    """The ACLED account's email and password."""
    found = _lookup("ACLED_EMAIL", "ACLED_PASSWORD")
    return AcledLogin(found["ACLED_EMAIL"], Secret(found["ACLED_PASSWORD"]))


def ucdp_token() -> Secret:
    """The UCDP API access token."""
    return Secret(_lookup("UCDP_API_TOKEN")["UCDP_API_TOKEN"])


def redact(text: str, *secrets: Secret | str | None) -> str:
    """``text`` with every secret value (and its URL-encoded form) replaced by ``***``."""
    from urllib.parse import quote, quote_plus

    for secret in secrets:
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if not value:
            continue
        for form in {value, quote(value, safe=""), quote_plus(value)}:
            text = text.replace(form, "***")
    return text
