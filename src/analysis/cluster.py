"""The Dask cluster this process computes on: a local one, started on first use, or an existing one.

The metrics' Dask engine (``analysis.scan_events(engine="dask")``) and the
distributed build (``analysis build --scheduler``) both use it.
"""

from __future__ import annotations

import logging
import os
import threading

from analysis import config
from analysis.errors import ParameterError

LOCAL = "local"
_lock = threading.Lock()
_dask_client = None  # (scheduler, distributed.Client): one cluster per process, reused


def client(scheduler: str | None = None):
    """The Dask client computations go to: a local cluster (None or "local"), or the scheduler at ``tcp://...``.

    The local cluster has one worker process per core, started on first use and
    reused by later calls in the same process.
    """
    global _dask_client
    key = LOCAL if scheduler in (None, LOCAL) else str(scheduler)
    if key != LOCAL and not key.startswith(("tcp://", "tls://")):
        raise ParameterError(f"scheduler={scheduler!r}; give 'local' or a Dask scheduler address tcp://host:port")
    with _lock:
        if _dask_client is not None and _dask_client[0] == key and _dask_client[1].status == "running":
            return _dask_client[1]
        connected = _connect(key)  # a scheduler that cannot be reached leaves the current client as it was
        if _dask_client is not None:
            close()
        _dask_client = (key, connected)
        return connected


def _connect(key: str):
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ParameterError("a Dask cluster needs Dask: pip install 'conflict-analysis[dask]'") from None

    if key == LOCAL:
        cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        return Client(cluster, set_as_default=True)
    try:
        return Client(key, timeout=f"{config.SCHEDULER_TIMEOUT_S}s", set_as_default=True)
    except (OSError, TimeoutError) as error:
        raise ParameterError(f"cannot reach the Dask scheduler at {key}: {error}") from None


def close() -> None:
    """Close this process's Dask client (and its local cluster)."""
    global _dask_client
    if _dask_client is None:
        return
    _, dask_client = _dask_client
    _dask_client = None
    cluster = dask_client.cluster
    dask_client.close()
    if cluster is not None:
        cluster.close()
