"""A pool of warm kernels: started ahead of need, with the analysis modules already imported.

Most of a report's wall time is fixed cost: starting a kernel (about 1.7 s)
and importing pandas, matplotlib and the package inside it (about 1.5 s), and
on two cores that cost is CPU the reports compete for.  So a kernel that ran a
notebook successfully is reset and reused, up to :data:`MAX_USES` times:

* the reset clears the user namespace (``%reset -f``), closes figures, returns
  to the notebooks folder and sets the execution count back to 1, silently;
* a kernel whose notebook failed, timed out or died is shut down, never reused;
* warm-up and reset run as silent executions (no execution count, no history),
  so an executed notebook is the same as from a fresh kernel (tested);
* a kernel is judged alive by its process (the client's parent is the kernel
  manager), never by the 1-second heartbeat, which a busy machine misses;
* a kernel whose start or warm-up failed is shut down at once: the pool never
  holds more than ``size`` kernels.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import ThreadPoolExecutor

from analysis import config
from analysis.reports.execution import KERNEL_START_TIMEOUT_S, KernelStartError, shutdown, start_kernel

WARM_UP = ("import analysis, analysis.metrics.loaders, analysis.metrics, analysis.plots, analysis.reports.reporting, "
           "analysis.wording, analysis.metrics.quality, pandas, pyarrow.parquet, matplotlib")
MAX_USES = 25
RESET = ("get_ipython().run_line_magic('reset', '-f')\n"
         "import gc, os, matplotlib.pyplot as _plt\n"
         "_plt.close('all'); os.chdir({cwd!r}); gc.collect()\n"
         "get_ipython().execution_count = 1\n"
         "del gc, os, _plt")


def _run_silently(km, code: str) -> None:
    from jupyter_client.blocking import BlockingKernelClient

    # parent=km: "is the kernel alive?" asks the manager, which checks the process; without a parent
    # jupyter_client asks the heartbeat, which declares a live kernel dead after 1 s without a reply
    client = BlockingKernelClient(parent=km)
    client.load_connection_info(km.get_connection_info())
    client.start_channels()
    try:
        client.wait_for_ready(timeout=KERNEL_START_TIMEOUT_S)
        reply = client.execute_interactive(code, silent=True, store_history=False, timeout=KERNEL_START_TIMEOUT_S)
        if reply["content"]["status"] != "ok":
            raise KernelStartError(f"preparing the kernel failed: {reply['content'].get('evalue')}")
    except (RuntimeError, TimeoutError) as exc:
        if isinstance(exc, KernelStartError):
            raise
        raise KernelStartError(f"the kernel did not get ready: {exc}") from exc
    finally:
        client.stop_channels()


def warm_up(km) -> None:
    """Import the modules report notebooks use, silently, in a started kernel."""
    _run_silently(km, WARM_UP)


def reset(km) -> None:
    """Make a used kernel like a fresh warm one: empty namespace, execution count 1, notebooks folder."""
    _run_silently(km, RESET.format(cwd=str(config.NOTEBOOKS_DIR)))


class KernelPool:
    """Up to ``size`` warm kernels; a kernel that ran cleanly is reset and reused.

    Each of the ``size`` slots holds one item at a time: a kernel starting, ready
    or in use, or the error of a start that failed (handed to the next caller,
    after which the slot starts a fresh kernel).  :attr:`live` counts the kernels
    started and not yet shut down; it never exceeds ``size``.
    """

    def __init__(self, size: int) -> None:
        self.size = max(size, 1)
        self._ready: queue.Queue = queue.Queue()
        self._uses: dict[int, int] = {}
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self.live = 0
        self._starter = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix="kernel-start")
        for _ in range(self.size):
            self._starter.submit(self._add)

    def _add(self) -> None:
        if self._closed.is_set():
            return
        km = None
        try:
            km = self._start()
            warm_up(km)
            self._uses[id(km)] = 0
            self._ready.put(km)
        except Exception as exc:  # noqa: BLE001 - handed to whoever acquires it
            if km is not None:
                self._stop(km)  # a kernel whose warm-up failed is never left running
            self._ready.put(exc if isinstance(exc, KernelStartError) else KernelStartError(str(exc)))

    def _start(self):
        with self._lock:
            if self.live >= self.size:
                raise AssertionError(f"kernel pool of {self.size} asked to start kernel {self.live + 1}")
            self.live += 1
        try:
            return start_kernel()  # shuts down what it started if it fails
        except BaseException:
            with self._lock:
                self.live -= 1
            raise

    def _stop(self, km) -> None:
        shutdown(km)
        with self._lock:
            self.live -= 1

    def _refill(self) -> None:
        if not self._closed.is_set():
            try:
                self._starter.submit(self._add)
            except RuntimeError:  # closed meanwhile
                pass

    def acquire(self):
        """A warm kernel manager; waits while kernels start or are in use (a failed start raises)."""
        while True:
            if self._closed.is_set():
                raise KernelStartError("the kernel pool was closed")
            try:
                item = self._ready.get(timeout=1.0)
                break
            except queue.Empty:
                continue
        if isinstance(item, Exception):
            self._refill()  # try again for the next caller
            raise item
        return item

    def release(self, km, clean: bool = False) -> None:
        """Reuse a kernel that ran cleanly (reset first); replace any other."""
        uses = self._uses.pop(id(km), 0) + 1
        if clean and uses < MAX_USES and not self._closed.is_set():
            try:
                reset(km)
                self._uses[id(km)] = uses
                self._ready.put(km)
                return
            except Exception:  # noqa: BLE001 - a kernel that cannot be reset is replaced
                pass
        self._stop(km)
        self._refill()

    def close(self) -> None:
        """Stop starting kernels and shut down the ready ones (kernels in use are shut down on release)."""
        self._closed.set()
        self._starter.shutdown(wait=True)
        while not self._ready.empty():
            item = self._ready.get_nowait()
            if not isinstance(item, Exception):
                self._stop(item)

    def __enter__(self) -> "KernelPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
