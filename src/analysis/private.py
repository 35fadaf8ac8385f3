"""Per-user private runtime directories and log files, checked before use.

The runner's sockets and logs and the kernels' IPC sockets and connection files
live under one root per user: ``$XDG_RUNTIME_DIR/analysis`` when that folder is
ours, else ``<tmp>/analysis-<uid>``.  :func:`private_dir` creates each folder
with mode 0700, and refuses (:class:`PrivateDirError`, exit code 2) a folder that
is a symlink, not a directory, owned by another user, or open to group or others:
whoever could create or write it could answer our commands or read our kernels'
keys.  :func:`open_log` appends to a log without following symlinks.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from analysis.errors import AnalysisError


class PrivateDirError(AnalysisError):
    """A runtime folder, socket or log is not safely this user's own."""

    exit_code = 2


def runtime_root() -> Path:
    """This user's root of runtime folders (not created here)."""
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and os.path.isabs(xdg):
        try:
            st = os.lstat(xdg)
            if stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid():  # not e.g. another user's, kept by sudo
                return Path(xdg) / "analysis"
        except OSError:
            pass
    return Path(tempfile.gettempdir()) / f"analysis-{os.getuid()}"


def private_dir(*parts: str) -> Path:
    """``runtime_root()/parts...``, each level created 0700 or checked to be a private folder of ours."""
    path = runtime_root()
    _ensure(path)
    for part in parts:
        path = path / part
        _ensure(path)
    return path


def _ensure(path: Path) -> None:
    try:
        os.mkdir(path, 0o700)
        os.chmod(path, 0o700)  # whatever the umask
        return
    except FileExistsError:
        pass
    except OSError as exc:
        raise PrivateDirError(f"{path}: cannot create this private folder: {exc.strerror}") from None
    check_private(path)


def check_private(path: Path) -> None:
    """Refuse ``path`` unless it is a real directory (not a symlink), ours, with mode exactly 0700.

    (Plus, optionally, the sticky bit, which jupyter_client sets on the folder of connection files.)
    """
    try:
        st = os.lstat(path)
    except OSError as exc:
        raise PrivateDirError(f"{path}: cannot check this private folder: {exc.strerror}") from None
    uid = os.getuid()
    if stat.S_ISLNK(st.st_mode):
        problem = "is a symbolic link, not a directory"
    elif not stat.S_ISDIR(st.st_mode):
        problem = "is not a directory"
    elif st.st_uid != uid:
        problem = f"is owned by uid {st.st_uid}, not by you (uid {uid})"
    elif stat.S_IMODE(st.st_mode) & ~stat.S_ISVTX != 0o700:  # the sticky bit is harmless; jupyter_client sets it
        problem = f"has mode {stat.S_IMODE(st.st_mode):04o}, not 0700 (others could use it)"
    else:
        return
    raise PrivateDirError(f"{path} {problem}; refusing to use it. Remove it (or fix it) and try again.")


def open_log(path: Path) -> int:
    """A file descriptor appending to ``path`` (created 0600); refuses symlinks and anything but a regular file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK,
                     0o600)  # O_NONBLOCK: a FIFO planted there fails instead of blocking
    except OSError as exc:
        what = "is a symbolic link" if os.path.islink(path) else f"cannot be opened: {exc.strerror}"
        raise PrivateDirError(f"log file {path} {what}; refusing to write to it") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid():
        os.close(fd)
        raise PrivateDirError(f"log file {path} is not a regular file of yours; refusing to write to it")
    return fd
