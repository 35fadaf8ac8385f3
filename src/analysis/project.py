"""A project folder, and ``analysis init DIR`` that creates one.

A project is a folder holding ``analysis.toml`` (how the package finds it and
what the file may set: :mod:`analysis.config`).  ``init`` creates::

    DIR/analysis.toml        the settings, a copy of the repository's own
    DIR/data/raw/            the bundled example: the seed files of the repository's data/raw/
    DIR/data/processed/      where `analysis build` writes (with its README)
    DIR/notebooks/           the report notebooks
    DIR/reports/             where reports are written

The seed files are the repository's own files, kept once: pyproject.toml's
``[tool.hatch.build.targets.wheel.force-include]`` copies each into the wheel under
``analysis/seed/``; in a source checkout (an editable install) the same list is
read from pyproject.toml and the files are taken from the checkout.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tomllib
from pathlib import Path

from analysis import config
from analysis.errors import ProjectError

SEED_PREFIX = "analysis/seed/"  # where the wheel holds the seed files
# Folders every project has, even when no seed file lands in them (the cache is made when needed).
PROJECT_FOLDERS = tuple(default for name, (_, _, default) in config.FOLDERS.items() if name != "CACHE_DIR")


def seed_files() -> dict[str, Path]:
    """Every seed file: its path inside a new project -> the file to copy."""
    packaged = Path(__file__).resolve().parent / "seed"
    if packaged.is_dir():  # installed from a wheel
        return {path.relative_to(packaged).as_posix(): path for path in sorted(packaged.rglob("*")) if path.is_file()}
    checkout = Path(__file__).resolve().parents[2]  # src/analysis/project.py in a source checkout
    try:
        listed = tomllib.loads((checkout / "pyproject.toml").read_text(encoding="utf-8"))
        listed = listed["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError):
        raise ProjectError("this installation of the package holds no seed project files (no analysis/seed/ "
                           "and no source checkout); reinstall the package") from None
    return {target.removeprefix(SEED_PREFIX): checkout / source
            for source, target in sorted(listed.items()) if target.startswith(SEED_PREFIX)}


def init(directory: str | Path) -> Path:
    """Create a project in ``directory`` (new, empty, or holding nothing the project needs); return its path.

    The project is built in a hidden folder beside ``directory`` and moved into
    place at the end (renamed as a whole when ``directory`` does not exist yet;
    otherwise entry by entry, ``analysis.toml`` last), so an interrupted ``init``
    leaves no half project.  Refused with :class:`ProjectError` (exit code 2):
    a folder that already holds a project, or files or non-empty folders where
    the project's would go.
    """
    if not str(directory).strip():  # `analysis init "$DIR"` with DIR unset: never the current folder by accident
        raise ProjectError("give the folder for the new project: `analysis init DIR` (`.` for this folder)")
    target = Path(directory).expanduser().absolute()
    files = seed_files()
    _refuse_conflicts(target, {Path(name).parts[0] for name in [*files, *PROJECT_FOLDERS]})
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.parent / f".{target.name}.init-{secrets.token_hex(4)}"
        staging.mkdir()  # the usual permissions (mkdtemp would make it private)
    except OSError as exc:
        raise ProjectError(f"cannot create the project {target}: {exc.strerror or exc}") from None
    try:
        for name, source in files.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, staging / name)
        for name in PROJECT_FOLDERS:
            (staging / name).mkdir(parents=True, exist_ok=True)
        if target.exists():
            entries = sorted(staging.iterdir(), key=lambda path: path.name == config.PROJECT_FILE)  # the marker last
            for entry in entries:
                os.replace(entry, target / entry.name)  # an empty folder of the same name is replaced
        else:
            os.rename(staging, target)
    except OSError as exc:
        raise ProjectError(f"cannot create the project {target}: {exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _refuse_conflicts(target: Path, names: set[str]) -> None:
    """Raise if ``target`` is a project, is not a folder, or holds a file or non-empty folder named in ``names``."""
    if not target.exists():
        return
    if not target.is_dir():
        raise ProjectError(f"{target} exists and is not a folder; give a new or empty folder to `analysis init`")
    if (target / config.PROJECT_FILE).exists():
        raise ProjectError(f"{target} already holds a project ({config.PROJECT_FILE}); nothing was changed")
    conflicts = sorted(name for name in names if (target / name).exists() or (target / name).is_symlink())
    conflicts = [name for name in conflicts if not _empty_folder(target / name)]
    if conflicts:
        raise ProjectError(f"{target} already holds {', '.join(conflicts)}; `analysis init` would overwrite them. "
                           "Give a new or empty folder; nothing was changed")


def _empty_folder(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink() and not any(path.iterdir())
