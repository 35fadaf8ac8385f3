"""A pool of warm kernels: started ahead of need, with the analysis modules already imported.

Most of a report's wall time is fixed cost: starting a kernel (about 1.7 s)
and importing pandas, matplotlib and the package inside it (about 1.5 s), and
on two cores that cost is CPU the reports compete for.  So a kernel that ran a
notebook successfully is reset and reused, up to :data:`MAX_USES` times:

* the reset clears the user namespace (``%reset -f``), closes figures, returns
  to the notebooks folder and sets the execution count back to 1, silently;
* a kernel whose notebook failed, timed out or died is shut down, never reused;
* warm-up and reset run as silent executions (no execution count, no history),
  so an executed notebook is the same as from a fresh kernel (tested).
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import ThreadPoolExecutor

from analysis.execution import KernelStartError, _shutdown, start_kernel

WARM_UP = ("import analysis, analysis.loaders, analysis.metrics, analysis.plots, analysis.reporting, "
           "analysis.wording, analysis.quality, pandas, pyarrow.parquet, matplotlib")
WARM_UP_TIMEOUT_S = 120
MAX_USES = 25
RESET = ("get_ipython().run_line_magic('reset', '-f')\n"
         "import gc, os, matplotlib.pyplot as _plt\n"
         "_plt.close('all'); os.chdir({cwd!r}); gc.collect()\n"
         "get_ipython().execution_count = 1\n"
         "del gc, os, _plt")


def _run_silently(km, code: str) -> None:
    from jupyter_client.blocking import BlockingKernelClient

    client = BlockingKernelClient()
    client.load_connection_info(km.get_connection_info())
    client.start_channels()
    try:
        client.wait_for_ready(timeout=WARM_UP_TIMEOUT_S)
        reply = client.execute_interactive(code, silent=True, store_history=False, timeout=WARM_UP_TIMEOUT_S)
        if reply["content"]["status"] != "ok":
            raise KernelStartError(f"preparing the kernel failed: {reply['content'].get('evalue')}")
    finally:
        client.stop_channels()


def warm_up(km) -> None:
    """Import the modules report notebooks use, silently, in a started kernel."""
    _run_silently(km, WARM_UP)


def reset(km) -> None:
    """Make a used kernel like a fresh warm one: empty namespace, execution count 1, notebooks folder."""
    from analysis import config

    _run_silently(km, RESET.format(cwd=str(config.NOTEBOOKS_DIR)))


class KernelPool:
    """Up to ``size`` warm kernels; a kernel that ran cleanly is reset and reused."""

    def __init__(self, size: int) -> None:
        self._ready: queue.Queue = queue.Queue()
        self._uses: dict[int, int] = {}
        self._closed = threading.Event()
        self._starter = ThreadPoolExecutor(max_workers=max(size, 1), thread_name_prefix="kernel-start")
        for _ in range(size):
            self._starter.submit(self._add)

    def _add(self) -> None:
        if self._closed.is_set():
            return
        try:
            km = start_kernel()
            warm_up(km)
            self._uses[id(km)] = 0
            self._ready.put(km)
        except Exception as exc:  # noqa: BLE001 - handed to whoever acquires it
            self._ready.put(exc if isinstance(exc, KernelStartError) else KernelStartError(str(exc)))

    def acquire(self, timeout: float = WARM_UP_TIMEOUT_S * 2):
        """A warm kernel manager (blocks until one is ready)."""
        try:
            item = self._ready.get(timeout=timeout)
        except queue.Empty:
            raise KernelStartError(f"no kernel became ready within {timeout:g} s") from None
        if isinstance(item, Exception):
            self._starter.submit(self._add)  # try again for the next caller
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
        _shutdown(km)
        self._starter.submit(self._add)

    def close(self) -> None:
        """Stop starting kernels and shut down the ready ones."""
        self._closed.set()
        self._starter.shutdown(wait=True)
        while not self._ready.empty():
            item = self._ready.get_nowait()
            if not isinstance(item, Exception):
                _shutdown(item)

    def __enter__(self) -> "KernelPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
