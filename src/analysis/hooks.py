"""Test hook: stop a build at a named point, deterministically (no timing races).

The build calls :func:`checkpoint` at the points listed in ``pipeline.STAGES``.
With neither variable set it only counts.  The tests set, for a build run in a
subprocess:

* ``ANALYSIS_TEST_KILL_AT=<stage>[:<n>]``: the n-th time (default 1) the build
  reaches ``<stage>`` it kills itself with SIGKILL, as ``kill -9`` would;
* ``ANALYSIS_TEST_PAUSE_AT=<stage>[:<n>]``: it prints ``paused at <stage>:<n>``
  on stderr and waits until it is killed.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections import Counter

_reached: Counter = Counter()


def checkpoint(stage: str) -> None:
    _reached[stage] += 1
    for variable in ("ANALYSIS_TEST_KILL_AT", "ANALYSIS_TEST_PAUSE_AT"):
        spec = os.environ.get(variable)
        if not spec:
            continue
        name, _, count = spec.partition(":")
        if name != stage or _reached[stage] != int(count or 1):
            continue
        if variable == "ANALYSIS_TEST_KILL_AT":
            os.kill(os.getpid(), signal.SIGKILL)
        print(f"paused at {stage}:{_reached[stage]}", file=sys.stderr, flush=True)
        threading.Event().wait()  # until killed
