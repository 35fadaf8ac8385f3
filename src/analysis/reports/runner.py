"""A long-lived report runner: warm kernels kept between ``analysis report`` commands.

A single report run from a fresh command pays for importing papermill and
nbconvert, starting a kernel and importing pandas in it: most of its wall
time.  The first ``analysis report`` (or ``batch``/``run-all``) therefore
starts this runner in the background; it keeps a
:class:`analysis.reports.kernels.KernelPool` and answers later commands over a Unix
socket, and exits by itself after :data:`IDLE_S` seconds without work.

* One runner per environment: the socket name hashes the Python executable,
  the package's code fingerprint (:mod:`analysis.fingerprint`, the one the
  build records) and the data folders, so changed code or other folders get a
  fresh runner (the old one idles out).
* Requests and answers are JSON lines; a batch streams progress lines.
* Errors meant for users travel back as their type and message and are raised
  again in the command, which exits as it would without the runner.
* ``ANALYSIS_RUNNER=off`` (or ``--no-runner``) runs everything in the command's
  own process instead; so does any failure to start or reach the runner.
* ``analysis runner status`` / ``analysis runner stop`` (this project and data; ``--all``: every runner).
* Everything lives in this user's private folder (:mod:`analysis.private`): a
  folder someone else made, a symlink, or loose permissions are refused; the
  client checks that the process answering on the socket runs as this user
  (``SO_PEERCRED``), and the log is opened without following links.
* A report whose kernel does not start is tried again on fresh kernels, then in
  the command's own process; it never ends as an internal error.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

from analysis import config, fingerprint, private, reports
from analysis.errors import AnalysisError
from analysis.reports import RunResult
from analysis.reports.execution import KernelStartError, ensure_kernelspec, sweep_stale_kernel_files
from analysis.reports.kernels import KernelPool

IDLE_S = float(os.environ.get("ANALYSIS_RUNNER_IDLE_S", 900))
START_TIMEOUT_S = 60


# ---------------------------------------------------------------- where the runner listens
def _folders() -> dict[str, str]:
    return config.environment()


def socket_dir() -> Path:
    """This user's private folder of runner sockets and logs (checked: see :mod:`analysis.private`)."""
    return private.private_dir("runners")


def socket_path() -> Path:
    """The socket of the runner for this code and these folders (short: Unix sockets have a length limit)."""
    identity = [sys.executable, fingerprint.code_fingerprint(), _folders()]  # this Python, this code, these folders
    key = hashlib.sha1(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
    return socket_dir() / f"{key}.sock"


def enabled() -> bool:
    return os.environ.get("ANALYSIS_RUNNER", "on").lower() not in ("off", "0", "no", "false")


# ---------------------------------------------------------------- the client side
def submit(request: dict, on_progress=None) -> dict:
    """Send a request to the runner (starting it if needed) and return its result."""
    path = socket_path()
    with _connect(path) as conn:
        conn.sendall((json.dumps(request) + "\n").encode())
        for line in conn.makefile("r", encoding="utf-8"):
            message = json.loads(line)
            if "progress" in message:
                if on_progress:
                    on_progress(message["progress"])
                continue
            return _raise_errors(message)
    raise ConnectionError("the report runner closed the connection without an answer")


def _connect(path: Path) -> socket.socket:
    try:
        return _open(path)
    except OSError:
        pass
    _start(path)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            return _open(path)
        except OSError:
            time.sleep(0.05)
    raise ConnectionError(f"the report runner did not start within {START_TIMEOUT_S} s (log: {_log_path(path)})")


def _open(path: Path) -> socket.socket:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(str(path))
        _check_peer(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


def _check_peer(conn: socket.socket, path: Path) -> None:
    """Refuse a runner socket served by a process of another user (Linux: SO_PEERCRED)."""
    if not hasattr(socket, "SO_PEERCRED"):
        return
    pid, uid, _ = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    if uid != os.getuid():
        raise private.PrivateDirError(f"the report runner socket {path} is served by uid {uid} (pid {pid}), "
                                      f"not by you (uid {os.getuid()}); refusing to use it")


def _log_path(path: Path) -> Path:
    return path.with_suffix(".log")


def _start(path: Path) -> None:
    """Start a runner in the background, detached from this command."""
    print("starting the report runner in the background (warm kernels; it stops after "
          f"{IDLE_S / 60:g} idle minutes; `analysis runner stop` stops it now)", file=sys.stderr, flush=True)
    log = private.open_log(_log_path(path))
    try:
        subprocess.Popen([sys.executable, "-m", "analysis.reports.runner", str(path)], stdin=subprocess.DEVNULL, stdout=log,
                         stderr=log, env={**os.environ, **_folders()}, start_new_session=True, cwd=config.PROJECT_DIR)
    finally:
        os.close(log)


def _raise_errors(message: dict) -> dict:
    error = message.get("error")
    if not error:
        return message["result"]
    kind = _user_errors().get(error["type"])
    if kind is not None:
        exc = kind.__new__(kind)  # its own type, with the message as given (whatever its __init__ takes)
        AnalysisError.__init__(exc, error["message"])
        raise exc
    raise RuntimeError(f"{error['type']}: {error['message']}")


def _user_errors() -> dict[str, type]:
    """Every AnalysisError class by name (an error raised in the runner is raised again as its own type)."""
    found, todo = {}, [AnalysisError]
    while todo:
        kind = todo.pop()
        found[kind.__name__] = kind
        todo.extend(kind.__subclasses__())
    return found


def running() -> list[Path]:
    """Sockets of runners that answer (sockets nobody answers on are removed)."""
    alive = []
    for path in sorted(socket_dir().glob("*.sock")):
        try:
            _open(path).close()
            alive.append(path)
        except OSError:
            path.unlink(missing_ok=True)
    return alive


def ping(path: Path) -> dict | None:
    """What the runner at ``path`` says about itself (pid, project, folders), or None if it does not answer."""
    try:
        with _open(path) as conn:
            conn.sendall(b'{"action": "ping"}\n')
            line = conn.makefile("r", encoding="utf-8").readline()
        return json.loads(line)["result"] if line else None
    except (OSError, ValueError, KeyError):
        return None


def status(all_runners: bool = False) -> str:
    """This project's runners (``all_runners``: every runner of this user), each with its project's path."""
    project, current = str(config.PROJECT_DIR), socket_path()
    lines = []
    for path in running():
        info = ping(path)
        if info is None or (not all_runners and info.get("project") != project):
            continue
        note = "" if path != current else " (this code and data)"
        lines.append(f"  project {info.get('project', '?')}{note}\n    pid {info['pid']}, "
                     f"{info.get('kernels', '?')} kernel(s), {info.get('busy', '?')} request(s) running, "
                     f"data {info.get('folders', {}).get('ANALYSIS_PROCESSED_DIR', '?')}\n    socket {path}")
    if all_runners:
        head = f"{len(lines)} report runner(s) of this user"
    else:
        head = f"{len(lines)} report runner(s) for project {project}"
    return head + "".join(f"\n{line}" for line in lines)


def stop(path: Path) -> bool:
    """Ask the runner at ``path`` to stop; True if one answered."""
    try:
        with _open(path) as conn:
            conn.sendall(b'{"action": "stop"}\n')
            conn.makefile("r").readline()
        return True
    except OSError:
        return False


def stop_all() -> int:
    """Ask every runner of this user to stop; return how many were asked."""
    return sum(stop(path) for path in running())


# ---------------------------------------------------------------- the runner itself
class Runner:
    """Serves report and batch requests with one warm kernel pool until idle for IDLE_S."""

    def __init__(self, path: Path) -> None:
        private.check_private(path.parent)
        sweep_stale_files()
        ensure_kernelspec()
        self.path = path
        self.pool = KernelPool(os.cpu_count() or 1)
        self.last_active = time.monotonic()
        self.busy = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def serve(self) -> None:
        self.path.unlink(missing_ok=True)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(self.path))
        os.chmod(self.path, 0o600)
        server.listen(16)
        server.settimeout(1.0)
        try:
            while not self.stopping.is_set() and not self._idle():
                try:
                    conn, _ = server.accept()
                except socket.timeout:
                    continue
                threading.Thread(target=self._handle, args=(conn,), daemon=True).start()
        finally:
            server.close()
            self.path.unlink(missing_ok=True)
            self.pool.close()
            _log_path(self.path).unlink(missing_ok=True)  # a clean exit leaves nothing behind

    def _idle(self) -> bool:
        with self.lock:
            return self.busy == 0 and time.monotonic() - self.last_active > IDLE_S

    def _handle(self, conn: socket.socket) -> None:
        with conn, _Busy(self):
            stream = conn.makefile("rw", encoding="utf-8")
            line = stream.readline()
            if not line:
                return
            request = json.loads(line)
            reply = self._answer(request, stream)
            stream.write(json.dumps(reply, default=str) + "\n")
            stream.flush()

    def _answer(self, request: dict, stream) -> dict:
        try:
            if request["action"] == "stop":
                self.stopping.set()
                return {"result": "stopping"}
            if request["action"] == "ping":
                return {"result": {"pid": os.getpid(), "socket": str(self.path), "project": str(config.PROJECT_DIR),
                                   "folders": _folders(), "kernels": self.pool.live, "busy": self.busy - 1}}
            return {"result": self._run(request, stream)}
        except AnalysisError as exc:
            return {"error": {"type": type(exc).__name__, "message": str(exc)}}
        except Exception as exc:  # noqa: BLE001 - reported to the command, the runner keeps serving
            return {"error": {"type": type(exc).__name__, "message": str(exc)}}

    def _run(self, request: dict, stream) -> dict | list:
        if request["action"] == "report":
            result = reports.run_with_retries(Path(request["notebook"]), request["parameters"], request["timeout_s"],
                                              None, None, self.pool, write_index=True, keep_going=False)
            return _as_dict(result)
        if request["action"] == "batch":
            def progress(done: int) -> None:
                stream.write(json.dumps({"progress": done}) + "\n")
                stream.flush()

            runs = [(reports.resolve_notebook(nb), params) for nb, params in request["runs"]]
            results = reports.run_many(runs, jobs=request.get("jobs"), timeout_s=request["timeout_s"],
                                       kernels=self.pool, progress=False, on_done=progress)
            return [_as_dict(r) for r in results]
        raise ValueError(f"unknown action {request['action']!r}")


class _Busy:
    def __init__(self, runner: Runner) -> None:
        self.runner = runner

    def __enter__(self):
        with self.runner.lock:
            self.runner.busy += 1

    def __exit__(self, *exc) -> None:
        with self.runner.lock:
            self.runner.busy -= 1
            self.runner.last_active = time.monotonic()


def _as_dict(result) -> dict:
    return {"notebook": result.notebook, "parameters": result.parameters,
            "report_dir": str(result.report_dir) if result.report_dir else None, "status": result.status,
            "error": result.error, "duration_s": result.duration_s}


def from_dict(data: dict):
    return RunResult(data["notebook"], data["parameters"], Path(data["report_dir"]) if data["report_dir"] else None,
                     data["status"], data["error"], data["duration_s"])


# ---------------------------------------------------------------- what the commands call
def report(notebook, given: dict, timeout_s: float):
    """Run one report through the runner when it is enabled, else (or if unreachable) in this process."""
    path = reports.resolve_notebook(notebook)
    if enabled():
        try:
            return from_dict(submit({"action": "report", "notebook": str(path), "parameters": given,
                                     "timeout_s": timeout_s}))
        except KernelStartError as exc:
            print(f"note: the report runner could not start a kernel ({exc}); running in this process",
                  file=sys.stderr)
        except (ConnectionError, OSError) as exc:
            print(f"note: report runner unavailable ({exc}); running in this process", file=sys.stderr)
    # kernel start failures are retried; the last one is a KernelStartError: exit 1, never 3
    return reports.run_with_retries(path, given, timeout_s, None, None, None, write_index=True, keep_going=False)


def batch(runs: list[tuple], jobs: int | None, timeout_s: float):
    """Run (notebook, parameters) pairs through the runner when enabled, else in this process."""
    runs = [(reports.resolve_notebook(nb), params) for nb, params in runs]
    if enabled():
        try:
            with reports.BatchProgress(True, len(runs)) as advance:
                results = submit({"action": "batch", "runs": [(str(p), params) for p, params in runs],
                                  "jobs": jobs, "timeout_s": timeout_s}, on_progress=lambda done: advance())
            return [from_dict(r) for r in results]
        except (ConnectionError, OSError) as exc:
            print(f"note: report runner unavailable ({exc}); running in this process", file=sys.stderr)
    return reports.run_many(runs, jobs=jobs, timeout_s=timeout_s)


def sweep_stale_files() -> None:
    """At runner start: remove sockets no runner answers on and the kernel files of processes gone."""
    running()
    sweep_stale_kernel_files()


def _main(path: Path) -> None:
    import signal

    runner = Runner(path)
    signal.signal(signal.SIGTERM, lambda *_: runner.stopping.set())  # shut the kernels down, remove the socket
    runner.serve()


if __name__ == "__main__":
    _main(Path(sys.argv[1]))
