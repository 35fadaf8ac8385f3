"""Conflict-event analysis: validated, normalised events, metrics, figures and reports.

The public API (README, "Python API"); each name loads its module on first use,
so ``import analysis`` stays fast::

    import analysis
    events = analysis.load_events()          # builds data/processed if needed
    daily = analysis.metrics.attacks_per_day(events, rolling=7)
    fig = analysis.plots.attacks_per_day_chart(daily)
    result = analysis.run_report("01-daily-briefing", date="2023-03-14")
    analysis.init("my-project")              # a new project folder, as `analysis init`

Every path is the current project's: the folder with ``analysis.toml`` at or
above the current directory (:mod:`analysis.config`).
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# name -> (module, attribute in it)
_LAZY = {
    "load_events": ("analysis.metrics.loaders", "load_events"),
    "scan_events": ("analysis.metrics.loaders", "scan_events"),
    "scan_daily_counts": ("analysis.metrics.loaders", "scan_daily_counts"),
    "load_daily_counts": ("analysis.metrics.loaders", "load_daily_counts"),
    "load_manifest": ("analysis.metrics.loaders", "load_manifest"),
    "load_ledger_file": ("analysis.metrics.loaders", "load_ledger_file"),
    "ensure_built": ("analysis.metrics.loaders", "ensure_built"),
    "snapshot": ("analysis.metrics.loaders", "snapshot"),
    "run_report": ("analysis.api", "run_report"),
    "init": ("analysis.project", "init"),
}
# the stages a script or notebook reaches through ``analysis.<name>`` (README, "How it is built")
_SUBMODULES = {"config", "tables", "sources", "places", "build", "metrics", "plots", "figures", "reports", "wording"}


def __getattr__(name: str):
    if name in _LAZY:
        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module), attribute)
    if name in _SUBMODULES:
        return importlib.import_module(f"analysis.{name}")
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")


__all__ = sorted(_LAZY) + sorted(_SUBMODULES)
