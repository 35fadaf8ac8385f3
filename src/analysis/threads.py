"""Background threads for the steps of a build that release the GIL: reading ahead, writing behind.

pyarrow parses CSV blocks and encodes Parquet row groups without holding
Python's GIL, so on a two-core laptop the next chunk can be read, and the last
one written, while pandas works on the current one.  Both helpers keep the
order of the items, hold at most one item beyond the caller's (bounded
memory), and re-raise a background failure in the calling thread.
"""

from __future__ import annotations

import os
import queue
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Iterator, TypeVar

T = TypeVar("T")
_DONE = object()
_POLL_S = 0.05


def read_ahead(items: Iterator[T], name: str = "read-ahead") -> Iterator[T]:
    """Yield the items of ``items`` while a background thread produces the next one.

    At most one item beyond the one the caller holds exists at a time.  An
    exception raised by ``items`` is raised here, after the items before
    it.  If the caller stops early (or fails), the producer stops after the
    item it is working on and ``items`` is closed.
    """
    source = iter(items)
    handoff: queue.Queue = queue.Queue()
    free = threading.Semaphore(1)  # the producer may make one item before the caller takes it
    stop = threading.Event()

    def wait_for_room() -> bool:
        while not free.acquire(timeout=_POLL_S):
            if stop.is_set():
                return False
        return not stop.is_set()

    def produce() -> None:
        try:
            while wait_for_room():
                try:
                    item = next(source)
                except StopIteration:
                    handoff.put((False, _DONE))
                    return
                handoff.put((True, item))
        except BaseException as exc:  # handed to the consumer, raised there
            handoff.put((False, exc))

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            is_item, value = handoff.get()
            free.release()
            if is_item:
                yield value
            elif value is _DONE:
                return
            else:
                raise value
    finally:
        stop.set()
        thread.join()
        close = getattr(items, "close", None)
        if close:
            close()


class ForkSafePool:
    """A thread pool for a module's lifetime that a forked child replaces with its own.

    A fork copies a ``ThreadPoolExecutor`` but not its threads: the child's
    pool believes its workers exist, and work submitted there waits forever
    (a build in a ``fork``-started worker hung this way).
    """

    def __init__(self, max_workers: int, name: str) -> None:
        self._max_workers, self._name = max_workers, name
        self._start()
        os.register_at_fork(after_in_child=self._start)

    def _start(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=self._max_workers, thread_name_prefix=self._name)

    def submit(self, call: Callable, *args, **kwargs) -> Future:
        return self._pool.submit(call, *args, **kwargs)


class WriteBehind:
    """Run calls (writes) one after another on a background thread, in order.

    ``submit`` waits for the previous call first, so at most one is pending and
    its failure surfaces on the next ``submit`` or on ``wait``.
    """

    def __init__(self, name: str = "write-behind") -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._pending: Future | None = None

    def submit(self, call: Callable, *args, **kwargs) -> None:
        self.wait()
        self._pending = self._pool.submit(call, *args, **kwargs)

    def wait(self) -> None:
        """Block until the pending call is done; raise its exception, if any."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __enter__(self) -> "WriteBehind":
        return self

    def __exit__(self, kind, exc, tb) -> None:
        try:
            if kind is None:
                self.wait()
            elif self._pending is not None:
                self._pending.exception()  # let it finish; the caller's exception wins
        finally:
            self._pool.shutdown(wait=True)
