"""``analysis validate``: check raw files and describe, per file, what would be accepted.

Produces one plain dict per file (the ``--json`` output) and a text rendering.
A file that cannot be read at all gets ``error`` set instead of counts.
"""

from __future__ import annotations

import re
from pathlib import Path

from analysis import config
from analysis.errors import InputError
from analysis.gazetteer_files import GazetteerFileError
from analysis.build.dedupe import IdRegistry
from analysis.build.ingest import open_file, validate_streaming

EXIT_OK, EXIT_REJECTED, EXIT_UNREADABLE = 0, 1, 2


def validate_files(paths: list[Path], forced_format: str | None = None) -> list[dict]:
    """Ingest each file (ids de-duplicated across the files, as in a build)."""
    registry = IdRegistry()
    return [_validate_one(Path(p), forced_format, registry) for p in paths]


def _validate_one(path: Path, forced_format: str | None, registry: IdRegistry) -> dict:
    result = {"path": str(path), "format": None, "variant": None, "encoding": None, "rows": 0, "accepted": 0,
              "rejected": 0, "merged": 0, "warned": 0, "blank_rows": 0, "warnings": [], "errors": [],
              "row_warnings": [], "error": None}
    if not path.is_file():
        what = ("is a folder, not a file" if path.is_dir() else "is not a regular file" if path.exists()
                else "no such file")
        return {**result, "error": f"{path}: {what}", "exit_code": EXIT_UNREADABLE}
    try:
        opened = open_file(path, forced_format)
        ingested = validate_streaming(path, str(path), registry, forced_format, opened=opened)
    except GazetteerFileError:  # the project's gazetteer file, not the file validated
        raise
    except InputError as exc:
        return {**result, "error": str(exc), "line": exc.line, "exit_code": EXIT_UNREADABLE}
    ledger = ingested.ledger
    errors = ingested.rejects.sort_values(["raw_line", "column"], kind="stable")
    result.update({k: getattr(ledger, k) for k in ("format", "variant", "encoding", "rows", "accepted", "rejected",
                                                   "merged", "warned", "blank_rows", "warnings")})
    result["errors"] = _records(errors)
    result["row_warnings"] = _records(ingested.warnings)
    result["merged_rows"] = [
        {"line": int(r.raw_line), "event_id": r.event_id, "merged_into_line": int(r.merged_into_line),
         "merged_into_file": r.merged_into_file, "is_identical": bool(r.is_identical)}
        for r in ingested.merged.itertuples()
    ]
    result["exit_code"] = EXIT_REJECTED if ledger.rejected or ledger.rows == 0 else EXIT_OK
    return result


def _records(frame) -> list[dict]:
    return [{"line": int(r.raw_line), "column": r.column, "value": r.value, "rule": r.rule, "message": r.message}
            for r in frame.itertuples()]


def format_results(results: list[dict], show: int = config.ROWS_IN_ERROR_PREVIEW) -> str:
    """Human-readable report of :func:`validate_files`."""
    blocks = [_format_one(r, show) for r in results]
    if len(results) > 1:
        total = {k: sum(r[k] for r in results) for k in ("rows", "accepted", "rejected", "merged")}
        unreadable = sum(1 for r in results if r["error"])
        blocks.append(f"total: {len(results)} files ({unreadable} unreadable), {total['rows']:,} rows: "
                      f"{total['accepted']:,} accepted, {total['rejected']:,} rejected, {total['merged']:,} merged")
    return "\n\n".join(blocks) + "\n"


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _printable(text: str) -> str:
    """Control characters from a raw file (NUL, escape sequences) shown as \\xNN, never sent to the terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _format_one(r: dict, show: int) -> str:
    if r["error"]:
        return f"{r['path']}\n  ERROR {_printable(r['error'])}"
    lines = [r["path"], f"  format    {r['variant']}  (encoding {r['encoding']})",
             f"  rows      {r['rows']:,}: {r['accepted']:,} accepted, {r['rejected']:,} rejected, "
             f"{r['merged']:,} merged duplicates"]
    lines += [f"  note      {_printable(w)}" for w in r["warnings"]]
    if r["rows"] == 0:
        lines.append("  PROBLEM   the file has a header but no data rows")
    if r["errors"]:
        lines.append(f"  first rejections ({len(r['errors']):,} problems in {r['rejected']:,} rows):")
        for e in r["errors"][:show]:
            value = e["value"] if len(e["value"]) <= 60 else e["value"][:57] + "..."
            lines.append(f"    line {e['line']}: {_printable(e['column']) or '(row)'} = {value!r}: {e['rule']} "
                         f"({_printable(e['message'])})")
    if r["row_warnings"]:
        lines.append(f"  warnings (rows kept) in {r['warned']:,} rows, e.g.:")
        for e in r["row_warnings"][:3]:
            lines.append(f"    line {e['line']}: {_printable(e['column'])} = {e['value']!r}: {e['rule']}")
    for m in r.get("merged_rows", [])[:show]:
        lines.append(f"    line {m['line']}: duplicate of {m['event_id']} (line {m['merged_into_line']}"
                     f"{'' if m['merged_into_file'] == r['path'] else ' of ' + m['merged_into_file']})"
                     f"{'' if m['is_identical'] else ', with different values'}")
    return "\n".join(lines)
