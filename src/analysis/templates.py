"""Hand-coding templates and the data dictionary, both generated from the code.

The template headers come from the readers and the data dictionary from the
pandera schemas' column descriptions, so neither can drift from what the
package actually reads and writes.
"""

from __future__ import annotations

from analysis import schemas
from analysis.errors import ParameterError

_TYPE_NAMES = {"str": "text", "string[pyarrow]": "text", "Int64": "integer", "int64": "integer",
               "Float64": "decimal", "float64": "decimal", "bool": "true/false", "boolean": "true/false"}
_TEMPLATES = {"news": "analysis.sources.news", "claims": "analysis.sources.claims"}


def template_header(kind: str) -> str:
    """The CSV header line of a hand-coding template ('news' or 'claims')."""
    if kind not in _TEMPLATES:
        raise ParameterError(f"unknown template {kind!r}; choose one of: {', '.join(_TEMPLATES)}")
    import importlib

    module = importlib.import_module(_TEMPLATES[kind])
    return ",".join(module.TEMPLATE_COLUMNS) + "\n"


def data_dictionary() -> str:
    """Markdown: every column of every table the build writes, with type and meaning."""
    tables = [
        ("events.parquet", schemas.PROCESSED_EVENTS),
        ("claims.parquet", schemas.REPORTED_CLAIMS),
        ("air_attacks.parquet", schemas.AIR_ATTACK_REPORTS),
        ("daily_counts.parquet", schemas.DAILY_COUNTS),
        ("rejects.csv and warnings.csv", schemas.REJECTS),
        ("merged.csv", schemas.MERGED),
    ]
    out = ["# Data dictionary", "",
           "Generated from the pandera schemas in `src/analysis/schemas.py` by `analysis dictionary`; "
           "do not edit by hand.", ""]
    for title, schema in tables:
        out += [f"## {title}", "", schema.description or "", "",
                "| column | type | nullable | meaning |", "|---|---|---|---|"]
        for name, column in schema.columns.items():
            dtype = _TYPE_NAMES.get(str(column.dtype), "date" if str(column.dtype).startswith("datetime64") else str(column.dtype))
            out.append(f"| `{name}` | {dtype} | {'yes' if column.nullable else 'no'} | {column.description or ''} |")
        out.append("")
    return "\n".join(out)
