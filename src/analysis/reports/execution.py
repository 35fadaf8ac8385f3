"""Executing one notebook with papermill in the project's kernel, and rendering it to HTML.

* :func:`ensure_kernelspec` registers the kernel ``conflict-analysis`` in this
  environment (``<venv>/share/jupyter/kernels``), pointing at this Python, with
  ``PYTHONHASHSEED=0`` so that notebooks behave the same in every run; JupyterLab
  offers the same kernel.
* :func:`execute` runs papermill with that kernel named explicitly and the
  notebooks folder as working directory.  A failing cell, a timeout or a dying
  kernel gives a failed :class:`Outcome`; papermill marks failing cells in the
  saved notebook itself, and timeouts and dead kernels, which it does not mark,
  are marked here (a banner cell at the top and an error output on the cell).
* :func:`write_html` renders the executed notebook without code.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from analysis import config, escaping, private, storage
from analysis.reports import html as report_html
from analysis.errors import AnalysisError

KERNEL_NAME = "conflict-analysis"
KERNEL_ENV = {"PYTHONHASHSEED": "0"}


@dataclass
class Outcome:
    ok: bool
    error: str | None = None


class KernelStartError(AnalysisError, RuntimeError):
    """The kernel did not start; the run may be retried.  A report that fails so exits 1, never 3."""

    exit_code = 1


# A kernel's start-up (process, zmq sockets, kernel_info) and the warm-up imports can take
# minutes on a loaded 2-core machine; liveness is judged by the kernel process, never by
# heartbeat replies, so these limits only bound a kernel that is alive but never answers.
KERNEL_START_TIMEOUT_S = 300
KERNEL_START_RETRIES = 2  # a run whose kernel did not start is tried again on a fresh kernel, this many times


_KERNELSPEC_LOCK = threading.Lock()


def ensure_kernelspec() -> None:
    """Register (or repair) this environment's kernel under KERNEL_NAME (thread-safe)."""
    with _KERNELSPEC_LOCK:
        _ensure_kernelspec()


def _ensure_kernelspec() -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
        if spec.argv[0] == sys.executable and spec.env == KERNEL_ENV:
            return
    except NoSuchKernel:
        pass
    from ipykernel.kernelspec import install

    path = Path(install(kernel_name=KERNEL_NAME, display_name="Python (conflict-analysis)", prefix=sys.prefix))
    spec_file = path / "kernel.json"
    spec = json.loads(spec_file.read_text())
    spec["argv"][0] = sys.executable
    spec["env"] = KERNEL_ENV
    storage.write_json(spec_file, spec)


def execute(notebook: Path, output: Path, parameters: dict, timeout_s: float, kernels=None) -> Outcome:
    """Run ``notebook`` with ``parameters``; the executed notebook ends at ``output`` in every case."""
    ensure_kernelspec()
    import papermill

    tmp = output.with_name(f".{output.stem}.tmp.ipynb")
    km = kernels.acquire() if kernels is not None else start_kernel()
    outcome = Outcome(False, "interrupted")
    try:
        papermill.execute_notebook(
            _with_our_kernel(notebook), str(tmp), parameters=parameters, kernel_name=KERNEL_NAME, language="python",
            cwd=str(config.NOTEBOOKS_DIR),
            execution_timeout=timeout_s, progress_bar=False, log_output=False, start_timeout=KERNEL_START_TIMEOUT_S,
            request_save_on_cell_execute=True,  # the partial notebook must exist if a cell times out
            km=km)
        outcome = Outcome(True)
    except papermill.PapermillExecutionError as exc:
        outcome = Outcome(False, f"cell {exc.exec_count} raised {exc.ename}: {exc.evalue}")
    except Exception as exc:  # noqa: BLE001 - timeouts, dead kernels, kernel start failures
        outcome = _interrupted(notebook, tmp, exc, timeout_s)
    finally:
        if kernels is not None:
            kernels.release(km, clean=outcome.ok)
        else:
            shutdown(km)
    if tmp.exists():
        _stable_cell_ids(tmp)
        os.replace(tmp, output)
    return outcome


def _stable_cell_ids(path: Path) -> None:
    """Cells papermill adds get random ids; give them fixed ones so reruns give the same files."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    fixed = {"injected-parameters": "injected-parameters", "report-failure": "report-failure"}
    for cell in nb["cells"]:
        for tag in cell.get("metadata", {}).get("tags", []):
            if tag in fixed:
                cell["id"] = fixed[tag]
    storage.write_text(path, json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def kernel_environment() -> dict:
    """The kernel's environment: this process's, with the data folders the runner uses.

    Notebooks call ``analysis.load_events()``; passing the folders makes them
    read exactly the data the runner checked the parameters against.
    """
    return {**os.environ, **KERNEL_ENV, **config.environment()}


def start_kernel():
    """Start the project's kernel with the runner's folders in its environment; return its manager.

    A kernel that fails to start is shut down and its files removed before
    :class:`KernelStartError` is raised: nothing is left running.
    """
    import asyncio

    km = new_kernel_manager()
    try:
        asyncio.run(km.start_kernel(env=kernel_environment(), cwd=str(config.NOTEBOOKS_DIR),
                                    extra_arguments=["--HistoryManager.enabled=False"]))  # reports keep no history
    except Exception as exc:  # noqa: BLE001
        shutdown(km)
        raise KernelStartError(f"the kernel did not start: {type(exc).__name__}: {exc}") from exc
    return km


def new_kernel_manager():
    """A kernel manager for the project's kernel over IPC sockets in this process's private folder.

    Its connection file and sockets are ``<kernel_dir>/<id>.json`` and ``<kernel_dir>/<id>-<n>``
    (no TCP ports, nothing in a shared folder); :func:`shutdown` removes them.
    """
    import uuid

    from jupyter_client.manager import AsyncKernelManager

    folder = kernel_dir()
    name = uuid.uuid4().hex[:12]  # kernels started at once must not pick the same files
    return AsyncKernelManager(kernel_name=KERNEL_NAME, transport="ipc", ip=str(folder / name),
                              connection_file=str(folder / f"{name}.json"))


_SWEEP_LOCK = threading.Lock()
_swept = False


def kernel_dir() -> Path:
    """This process's private folder of kernel files; the first call removes those of processes gone."""
    global _swept
    with _SWEEP_LOCK:
        if not _swept:
            sweep_stale_kernel_files()
            _swept = True
            import atexit

            atexit.register(_remove_own_kernel_dir)
        return private.private_dir("kernels", str(os.getpid()))


def sweep_stale_kernel_files() -> int:
    """Remove the kernel folders of processes no longer running (their kernels exit with them); return how many."""
    import shutil
    import stat

    root = private.private_dir("kernels")
    removed = 0
    for entry in os.scandir(root):
        if not entry.name.isdigit() or int(entry.name) == os.getpid() or _process_exists(int(entry.name)):
            continue
        if stat.S_ISDIR(entry.stat(follow_symlinks=False).st_mode):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            os.unlink(entry.path)
        removed += 1
    return removed


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's: the folder is not that process's, but leave it alone
    return True


def _remove_own_kernel_dir() -> None:
    try:
        os.rmdir(private.runtime_root() / "kernels" / str(os.getpid()))  # only if empty: every kernel shut down
    except OSError:
        pass


def shutdown(km) -> None:
    """Stop a kernel this module started and remove its connection file and sockets.

    (papermill leaves kernels it was handed running.)
    """
    import asyncio

    try:
        if km.has_kernel:
            asyncio.run(km.shutdown_kernel(now=True))  # also removes its connection file and IPC sockets
    except Exception:  # noqa: BLE001 - the process may already be gone
        pass
    km.cleanup_connection_file()  # a kernel that never launched, or a shutdown that failed half-way
    km.cleanup_ipc_files()


def _with_our_kernel(notebook: Path):
    """The notebook, its metadata naming the project's kernel (the one that really runs it)."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Python (conflict-analysis)",
                                 "language": "python"}
    return nb


def _interrupted(notebook: Path, tmp: Path, exc: Exception, timeout_s: float) -> Outcome:
    """A run stopped by something papermill does not record in the notebook: record it."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    started = tmp.exists() and bool(_started_cells(tmp))
    if isinstance(exc, CellTimeoutError):
        message = f"timed out: a cell ran longer than the {timeout_s:g} s limit"
    elif isinstance(exc, DeadKernelError):
        message = f"the kernel died while running: {exc}"
    elif not started and isinstance(exc, (RuntimeError, TimeoutError)):
        raise KernelStartError(f"the kernel did not start: {type(exc).__name__}: {exc}") from exc
    else:
        message = f"execution stopped: {type(exc).__name__}: {exc}"
    if not tmp.exists():
        tmp.write_bytes(notebook.read_bytes())
    _mark_failure(tmp, message)
    return Outcome(False, message)


def _started_cells(path: Path) -> list[dict]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [c for c in nb["cells"] if c.get("metadata", {}).get("papermill", {}).get("status") != "pending"]


def _mark_failure(path: Path, message: str) -> None:
    """Add a banner at the top and an error output on the cell that was running."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    # papermill leaves the interrupted cell "running" or even "completed": take the last one started
    started = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
               and c.get("metadata", {}).get("papermill", {}).get("status", "pending") != "pending"]
    where = f"In cell {started[-1] + 1}: " if started else ""
    if started:
        cell = nb.cells[started[-1]]
        cell.metadata.papermill.update(status="failed", exception=True)
        cell.outputs.append(nbformat.v4.new_output("error", ename="ReportInterrupted", evalue=message, traceback=[message]))
    banner = nbformat.v4.new_markdown_cell(
        f'<span style="color:red; font-size:1.5em">**This report did not finish.** {where}'
        f'{escaping.markdown(message)}</span>')  # the message may quote data
    banner.metadata["tags"] = ["report-failure"]
    nb.cells.insert(0, banner)
    nb.metadata.setdefault("papermill", {})["exception"] = True
    storage.write_text(path, nbformat.writes(nb))


def write_html(executed: Path, target: Path) -> dict:
    """The executed notebook as HTML without code, scripts or remote resources (see :mod:`analysis.reports.html`)."""
    return report_html.write_html(executed, target)
