"""Kernel start-up on a busy machine: liveness by process, no leaked kernels or files, retries, never exit 3."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import psutil
import pytest

from analysis.reports import execution
from analysis.reports import kernels
from analysis.reports import runner
from analysis.reports.execution import KernelStartError

pytestmark = pytest.mark.slow


def _kernel_processes() -> list[psutil.Process]:
    """This process's kernels (children running ipykernel), zombies excluded."""
    found = []
    for child in psutil.Process().children():
        try:
            if child.status() != psutil.STATUS_ZOMBIE and "ipykernel_launcher" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


def _kernel_files() -> list[str]:
    return sorted(p.name for p in execution.kernel_dir().iterdir())


@pytest.fixture
def kernel(seed_dirs):
    execution.ensure_kernelspec()
    km = execution.start_kernel()
    yield km
    execution.shutdown(km)


def test_warm_up_waits_for_a_live_kernel_that_misses_heartbeats(kernel):
    """A stopped kernel answers no heartbeat; it is alive all the same, and is used once it runs again.

    (jupyter_client's client without a parent kernel manager declares it dead after
    1 s without heartbeat replies: the cause of the failures under CPU load.)
    """
    pid = kernel.provisioner.process.pid
    os.kill(pid, signal.SIGSTOP)
    resume = threading.Timer(4.0, os.kill, (pid, signal.SIGCONT))
    resume.start()
    try:
        kernels.warm_up(kernel)
    finally:
        resume.cancel()
        os.kill(pid, signal.SIGCONT)
    kernels.reset(kernel)  # and the kernel is really usable


def test_a_kernel_that_really_died_is_recognised(kernel):
    kernel.provisioner.process.kill()
    kernel.provisioner.process.wait()
    with pytest.raises(KernelStartError, match="died"):
        kernels.warm_up(kernel)


def test_shutdown_removes_the_connection_file_and_sockets(kernel):
    kernels._run_silently(kernel, "pass")  # the kernel has bound its sockets
    name = os.path.basename(kernel.connection_file)
    files = _kernel_files()
    assert name in files and sum(f.startswith(name[:-5] + "-") for f in files) == 5  # shell, iopub, stdin, control, hb
    execution.shutdown(kernel)
    assert not any(f.startswith(name[:-5]) for f in _kernel_files())


def test_a_kernel_that_fails_to_start_leaves_nothing_behind(seed_dirs, monkeypatch):
    from jupyter_client.manager import AsyncKernelManager

    async def launch_then_fail(self, **kwargs):
        self.write_connection_file()
        raise RuntimeError("simulated launch failure")

    before = _kernel_files()
    monkeypatch.setattr(AsyncKernelManager, "start_kernel", launch_then_fail)
    with pytest.raises(KernelStartError, match="simulated launch failure"):
        execution.start_kernel()
    assert _kernel_files() == before


def test_a_pool_never_holds_more_kernels_than_its_size(seed_dirs, monkeypatch):
    """Warm-ups that fail shut their kernel down: the pool of 2 never has a third kernel running."""
    execution.ensure_kernelspec()
    real, failures, counts = kernels.warm_up, iter(range(3)), []

    def flaky(km):
        counts.append(len(_kernel_processes()))  # this kernel is running: count it and the others
        if next(failures, None) is not None:
            raise KernelStartError("simulated warm-up failure")
        real(km)

    monkeypatch.setattr(kernels, "warm_up", flaky)
    with kernels.KernelPool(2) as pool:
        got, refused = [], 0
        while len(got) < 2:
            try:
                got.append(pool.acquire())
            except KernelStartError:
                refused += 1
        assert refused == 3 and pool.live == 2
        assert len(_kernel_processes()) == 2 and len([f for f in _kernel_files() if f.endswith(".json")]) == 2
        for km in got:
            pool.release(km, clean=False)  # replaced: shut down first, then a fresh one starts
    assert 5 <= len(counts) <= 7 and max(counts) <= 2  # 3 failed, 2 ready, up to 2 replacements before close
    assert _kernel_processes() == [] and _kernel_files() == [] and pool.live == 0


def test_kernel_folders_of_processes_gone_are_swept(seed_dirs):
    root = execution.kernel_dir().parent
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = root / gone.stdout.strip()
    dead.mkdir(mode=0o700)
    for name in ("0123456789ab.json", "0123456789ab-1", "0123456789ab-2"):
        (dead / name).write_text("")
    alive = root / str(os.getppid())  # a running process: its kernels may be running
    alive.mkdir(mode=0o700, exist_ok=True)
    (alive / "keep.json").write_text("")
    try:
        assert execution.sweep_stale_kernel_files() >= 1
        assert not dead.exists() and (alive / "keep.json").exists()
    finally:
        (alive / "keep.json").unlink()
        alive.rmdir()


def test_runner_sockets_nobody_answers_on_are_swept(tmp_path, monkeypatch):
    import socket

    xdg = tmp_path / "x"
    xdg.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(xdg))
    stale = runner.socket_dir() / "stale.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(stale))
    server.close()  # the file stays, nobody listens: what a killed runner leaves
    assert stale.exists()
    runner.sweep_stale_files()
    assert not stale.exists()


# ---------------------------------------------------------------- a single report whose kernel does not start
def _never_starts(calls):
    def execute(*args, **kwargs):
        calls.append(1)
        raise KernelStartError("the kernel did not start: simulated")

    return execute


def test_a_report_whose_kernel_never_starts_exits_1_not_3(seed_dirs, cli, monkeypatch):
    calls = []
    monkeypatch.setattr(execution, "execute", _never_starts(calls))
    code, out, err = cli("report", "05-data-quality", "--no-runner")
    assert code == 1 and "the kernel did not start: simulated (after 3 attempts)" in err
    assert "internal error" not in err and len(calls) == execution.KERNEL_START_RETRIES + 1


def test_a_report_the_runner_cannot_start_a_kernel_for_runs_in_process(seed_dirs, cli, monkeypatch):
    monkeypatch.setenv("ANALYSIS_RUNNER", "on")

    def runner_answers(request, on_progress=None):  # the answer the runner sends after its own retries
        return runner._raise_errors({"error": {"type": "KernelStartError",
                                               "message": "the kernel did not start: simulated (after 3 attempts)"}})

    monkeypatch.setattr(runner, "submit", runner_answers)
    code, out, err = cli("report", "05-data-quality")
    assert code == 0, err
    assert "could not start a kernel" in err and "running in this process" in err and out.startswith("succeeded: ")


def test_errors_from_the_runner_keep_their_type():
    from analysis.errors import InputError

    with pytest.raises(InputError, match="^x.csv: unreadable$"):
        runner._raise_errors({"error": {"type": "InputError", "message": "x.csv: unreadable"}})
    with pytest.raises(KernelStartError) as caught:
        runner._raise_errors({"error": {"type": "KernelStartError", "message": "no kernel"}})
    assert caught.value.exit_code == 1
