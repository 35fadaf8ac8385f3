"""Reading ahead and writing behind keep order, bound memory, surface failures and clean up."""

import threading
import time

import pytest

from analysis.threads import WriteBehind, read_ahead


def test_read_ahead_yields_every_item_in_order():
    assert list(read_ahead(iter(range(1000)))) == list(range(1000))


def test_read_ahead_of_nothing_is_nothing():
    assert list(read_ahead(iter([]))) == []


def test_read_ahead_produces_the_next_item_in_another_thread_while_the_caller_works():
    made_in = []

    def source():
        for number in range(3):
            made_in.append(threading.current_thread().name)
            yield number

    seen = []
    for number in read_ahead(source(), name="reader"):
        time.sleep(0.05)  # the caller's work on this item; meanwhile the next one is made
        seen.append((number, len(made_in)))
    assert made_in == ["reader"] * 3
    assert seen[0][1] == 2  # item 1 was produced while item 0 was being worked on


def test_read_ahead_raises_the_sources_error_after_the_items_before_it():
    def source():
        yield 1
        yield 2
        raise ValueError("line 3 is broken")

    seen = []
    with pytest.raises(ValueError, match="line 3 is broken"):
        for item in read_ahead(source()):
            seen.append(item)
    assert seen == [1, 2]


def test_read_ahead_stops_the_producer_and_closes_the_source_when_the_caller_stops_early():
    produced, closed = [], []

    def source():
        try:
            for number in range(1000):
                produced.append(number)
                yield number
        finally:
            closed.append(True)

    reader = read_ahead(source())
    assert next(reader) == 0
    reader.close()
    assert closed == [True]
    assert len(produced) <= 2  # the item handed over and at most the one being made
    assert not [t for t in threading.enumerate() if t.name == "read-ahead"]


def test_write_behind_runs_calls_in_order_and_waits_for_the_last_one():
    done = []
    with WriteBehind() as behind:
        for number in range(5):
            behind.submit(lambda n: (time.sleep(0.01), done.append(n)), number)
    assert done == [0, 1, 2, 3, 4]


def _disk_full():
    raise OSError("disk full")


def test_write_behind_raises_a_failed_write_at_the_next_submit():
    with pytest.raises(OSError, match="disk full"):
        with WriteBehind() as behind:
            behind.submit(_disk_full)
            behind.submit(lambda: None)


def test_write_behind_raises_a_failed_last_write_on_exit():
    with pytest.raises(OSError, match="disk full"):
        with WriteBehind() as behind:
            behind.submit(_disk_full)


def test_write_behind_lets_the_callers_error_win_after_the_pending_write_finished():
    done = []
    with pytest.raises(KeyError):
        with WriteBehind() as behind:
            behind.submit(lambda: (time.sleep(0.05), done.append("written")))
            raise KeyError("caller failed")
    assert done == ["written"]


def test_a_forked_child_ingests_a_file_after_its_parent_did(tmp_path):
    """A fork copies the module's scan pool without its threads; the child must get a pool of its own."""
    import os
    import signal

    from analysis.build.ingest import ingest_file
    from conftest import acled_rows, to_csv_text

    path = tmp_path / "acled.csv"
    path.write_text(to_csv_text(acled_rows(3)), encoding="utf-8")
    assert ingest_file(path).ledger.accepted == 3  # the parent's scan threads exist now
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if its own ingest completes with the same count
        code = 3
        try:
            code = 0 if ingest_file(path).ledger.accepted == 3 else 1
        finally:
            os._exit(code)
    for _ in range(1200):  # a hang is what this test is about: give up after about two minutes, not sooner
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the forked child's ingest never finished: its scan pool had no threads")
    assert os.waitstatus_to_exitcode(status) == 0
