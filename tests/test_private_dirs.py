"""Per-user private runtime folders: created 0700, refused when someone else could have made or opened them."""

from __future__ import annotations

import os
import socket
import stat

import pytest

from analysis import private
from analysis.reports import runner
from analysis.private import PrivateDirError


@pytest.fixture
def runtime(tmp_path, monkeypatch):
    """A private XDG_RUNTIME_DIR in tmp: the root of runtime folders is <it>/analysis."""
    xdg = tmp_path / "xdg"
    xdg.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(xdg))
    return xdg / "analysis"


def _mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_folders_are_created_private_whatever_the_umask(runtime):
    old = os.umask(0)
    try:
        folder = private.private_dir("runners")
    finally:
        os.umask(old)
    assert folder == runtime / "runners"
    assert _mode(runtime) == 0o700 and _mode(folder) == 0o700
    assert private.private_dir("runners") == folder  # an existing private folder is accepted


def test_a_folder_pre_created_with_group_or_other_bits_is_refused(runtime):
    runtime.mkdir()
    os.chmod(runtime, 0o755)
    with pytest.raises(PrivateDirError) as caught:
        private.private_dir("runners")
    assert str(runtime) in str(caught.value) and "mode 0755, not 0700" in str(caught.value)
    assert not (runtime / "runners").exists()  # nothing was put into it


def test_a_subfolder_with_loose_mode_is_refused_too(runtime):
    (runtime / "kernels").mkdir(parents=True)
    os.chmod(runtime, 0o700)
    os.chmod(runtime / "kernels", 0o770)
    with pytest.raises(PrivateDirError, match="kernels has mode 0770"):
        private.private_dir("kernels")


def test_a_symlink_instead_of_the_folder_is_refused(runtime, tmp_path):
    elsewhere = tmp_path / "attacker"
    elsewhere.mkdir(mode=0o700)  # even a target that looks private: the link itself is the problem
    runtime.symlink_to(elsewhere)
    with pytest.raises(PrivateDirError) as caught:
        private.private_dir("runners")
    assert f"{runtime} is a symbolic link" in str(caught.value)
    assert list(elsewhere.iterdir()) == []


def test_a_file_instead_of_the_folder_is_refused(runtime):
    runtime.write_text("not a folder")
    with pytest.raises(PrivateDirError, match="is not a directory"):
        private.private_dir()


def test_a_folder_owned_by_another_user_is_refused(runtime, monkeypatch):
    private.private_dir("runners")
    monkeypatch.setattr(os, "getuid", lambda: 4242)  # we are now someone else; the folder belongs to uid 0
    with pytest.raises(PrivateDirError) as caught:
        private.check_private(runtime)
    assert "is owned by uid 0, not by you (uid 4242)" in str(caught.value)


def test_a_folder_another_user_created_first_in_tmp_is_refused(tmp_path, monkeypatch):
    """The attack: another user creates /tmp/analysis-<victim uid> before the victim's first report."""
    shared_tmp = tmp_path / "tmp"
    shared_tmp.mkdir()
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setattr("tempfile.gettempdir", lambda: str(shared_tmp))
    monkeypatch.setattr(os, "getuid", lambda: 4242)  # the victim; the folder below is the "attacker's" (uid 0)
    (shared_tmp / "analysis-4242").mkdir(mode=0o700)
    with pytest.raises(PrivateDirError, match=r"analysis-4242 is owned by uid 0, not by you \(uid 4242\)"):
        runner.socket_dir()


def test_xdg_runtime_dir_of_another_user_is_not_used(tmp_path, monkeypatch):
    xdg = tmp_path / "xdg"
    xdg.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(xdg))
    monkeypatch.setattr(os, "getuid", lambda: 4242)  # e.g. sudo kept the invoking user's XDG_RUNTIME_DIR
    assert private.runtime_root().name == "analysis-4242"


def test_the_report_command_refuses_an_unsafe_runner_folder_with_exit_2(runtime, cli, monkeypatch):
    monkeypatch.setenv("ANALYSIS_RUNNER", "on")
    runtime.mkdir(mode=0o700)
    (runtime / "runners").mkdir(mode=0o777)
    os.chmod(runtime / "runners", 0o777)
    code, out, err = cli("report", "05-data-quality")
    assert code == 2 and f"{runtime / 'runners'} has mode 0777, not 0700" in err
    assert "internal error" not in err and "Traceback" not in err


@pytest.mark.slow
def test_a_report_in_process_refuses_an_unsafe_kernel_folder_with_exit_2(runtime, cli, seed_dirs):
    runtime.mkdir(mode=0o700)
    (runtime / "kernels").symlink_to(runtime)
    code, out, err = cli("report", "05-data-quality", "--no-runner")
    assert code == 2 and f"{runtime / 'kernels'} is a symbolic link" in err and "internal error" not in err


def test_the_log_is_created_0600_and_appended(tmp_path):
    log = tmp_path / "runner.log"
    for text in (b"one\n", b"two\n"):
        fd = private.open_log(log)
        os.write(fd, text)
        os.close(fd)
    assert log.read_bytes() == b"one\ntwo\n" and _mode(log) == 0o600


def test_a_symlinked_log_is_refused_and_its_target_untouched(runtime, tmp_path, monkeypatch):
    target = tmp_path / "victim.txt"
    target.write_text("precious\n")
    sock = runner.socket_dir() / "0123456789abcdef.sock"
    runner._log_path(sock).symlink_to(target)
    started = []
    monkeypatch.setattr("subprocess.Popen", lambda *a, **k: started.append(a))
    with pytest.raises(PrivateDirError, match="is a symbolic link"):
        runner._start(sock)
    assert target.read_text() == "precious\n" and started == []


def test_a_fifo_or_folder_as_log_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "fifo.log")
    with pytest.raises(PrivateDirError, match="fifo.log"):
        private.open_log(tmp_path / "fifo.log")
    (tmp_path / "dir.log").mkdir()
    with pytest.raises(PrivateDirError, match="dir.log"):
        private.open_log(tmp_path / "dir.log")


@pytest.fixture
def listening(runtime):
    path = runner.socket_dir() / "peer.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    yield path
    server.close()


def test_a_runner_socket_served_by_another_user_is_refused(listening, monkeypatch):
    runner._open(listening).close()  # served by us: accepted
    monkeypatch.setattr(os, "getuid", lambda: 4242)  # now the server (uid 0) is someone else
    with pytest.raises(PrivateDirError, match=r"served by uid 0 .* not by you \(uid 4242\)"):
        runner._open(listening)


def test_the_runner_refuses_to_serve_from_a_folder_that_is_not_private(tmp_path):
    open_folder = tmp_path / "open"
    open_folder.mkdir()
    os.chmod(open_folder, 0o755)
    with pytest.raises(PrivateDirError, match="mode 0755"):
        runner.Runner(open_folder / "x.sock")
