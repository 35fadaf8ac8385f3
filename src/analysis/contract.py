"""A fast check of metric outputs against their pandera schemas, without importing pandera.

The pandera schemas in :mod:`analysis.schemas` stay the one documented
contract.  Importing pandera costs a fresh process about 0.2 s, which is most
of what a metric on a small table takes, so metrics check their results with
:func:`check` instead: it reads ``contracts.json``, a compiled copy of the
metric schemas (columns, dtypes, nullability, value checks and frame rules)
written by :func:`compile_schemas`.  Tests keep the file equal to what the
schemas compile to and check that both validators accept and reject the same
frames.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import rowchecks, vocabulary

CONTRACTS_FILE = Path(__file__).with_name("contracts.json")


class ContractError(AssertionError):
    """A metric produced a frame that breaks its schema: a bug, not bad input."""


# ---------------------------------------------------------------- compiling (imports pandera)
def _check_spec(check) -> dict:
    stats = {k: v for k, v in (check.statistics or {}).items()}
    if check.name == "isin":
        stats = {"allowed_values": sorted(stats["allowed_values"], key=str)}
    return {"name": check.name, **stats}


def compile_schemas() -> dict:
    """The metric schemas of :mod:`analysis.schemas` as plain data."""
    from analysis.schemas import METRIC_SCHEMAS

    compiled = {}
    for name, schema in METRIC_SCHEMAS.items():
        columns = {col.name: {"dtype": str(col.dtype), "nullable": col.nullable, "required": col.required,
                              "checks": [_check_spec(c) for c in col.checks]}
                   for col in schema.columns.values()}
        compiled[name] = {"strict": schema.strict is True, "columns": columns,
                          "frame_checks": [c.name for c in schema.checks]}
    return compiled


def write_contracts(path: Path = CONTRACTS_FILE) -> None:
    from analysis import storage

    storage.write_text(path, json.dumps(compile_schemas(), indent=1, sort_keys=True, default=str) + "\n")


# ---------------------------------------------------------------- checking (no pandera)
@lru_cache(maxsize=1)
def contracts() -> dict:
    return json.loads(CONTRACTS_FILE.read_text(encoding="utf-8"))


def problems(frame: pd.DataFrame, name: str) -> list[str]:
    """What in ``frame`` breaks the compiled schema ``name`` (empty when it conforms)."""
    spec, found = contracts()[name], []
    for column, rules in spec["columns"].items():
        if column not in frame:
            if rules["required"]:
                found.append(f"column {column!r} is missing")
            continue
        series = frame[column]
        if not rowchecks.dtype_ok(series, rules["dtype"]):
            found.append(f"{column}: dtype {series.dtype} is not {rules['dtype']}")
            continue
        present = series.notna()
        if not rules["nullable"] and not present.all():
            found.append(f"{column}: {int((~present).sum())} missing values")
        for check in rules["checks"]:
            ok = rowchecks.value_test(check["name"], check)(series[present])
            if not bool(np.asarray(ok, dtype=bool).all()):
                found.append(f"{column}: breaks {check['name']}")
    if spec["strict"]:
        found += [f"unexpected column {c!r}" for c in frame.columns if c not in spec["columns"]]
    for rule in spec["frame_checks"]:
        if not found and not bool(getattr(vocabulary, rule)(frame).all()):
            found.append(f"breaks {rule}")
    return found


def check(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Return ``frame`` if it conforms to the compiled schema ``name``, else raise ContractError."""
    found = problems(frame, name)
    if found:
        raise ContractError(f"{name}: " + "; ".join(found))
    return frame
