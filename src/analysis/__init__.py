"""Conflict-event analysis: validated, normalised events, metrics, figures and reports.

The names notebooks need are importable from here; they load their modules on
first use, so ``import analysis`` stays fast::

    import analysis
    events = analysis.load_events()          # builds data/processed if needed
    daily = analysis.metrics.attacks_per_day(events, rolling=7)
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_LAZY = {
    "load_events": "analysis.loaders",
    "load_daily_counts": "analysis.loaders",
    "load_manifest": "analysis.loaders",
    "load_ledger_file": "analysis.loaders",
    "ensure_built": "analysis.loaders",
    "snapshot": "analysis.loaders",
}
_SUBMODULES = {"metrics", "plots", "places", "reports", "schemas", "config", "numbers", "dailycounts"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"analysis.{name}")
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")


__all__ = sorted(_LAZY) + sorted(_SUBMODULES)
