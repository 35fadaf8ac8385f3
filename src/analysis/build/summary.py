"""Text summaries of a build for the terminal: the ledger, rejections, unmatched places, outputs."""

from __future__ import annotations

from pathlib import Path

from analysis import config
from analysis.build.snapshots import is_revision
from analysis.tables.vocabulary import EVENT_DATASETS

DIFFERENT_CONTENT_RULE = "duplicate_id_different_content"  # the rule of dedupe.conflict_warnings


def build_summary(report, processed_dir: Path, top: int = 10) -> str:
    """What the build read, kept, rejected and could not place, in a few lines."""
    m = report.manifest
    head = ("processed data are up to date (inputs and code unchanged); nothing rebuilt"
            if report.skipped else f"built {processed_dir}")
    lines = [head, "", f"{'file':44} {'format':16} {'rows':>9} {'accepted':>9} {'rejected':>9} {'merged':>7}"]
    for e in m["inputs"]:
        lines.append(f"{e['path'][:44]:44} {e['format'][:16]:16} {e['rows']:>9,} {e['accepted']:>9,} "
                     f"{e['rejected']:>9,} {e['merged']:>7,}")
    t = m["totals"]
    lines.append(f"{'total':44} {'':16} {t['rows']:>9,} {t['accepted']:>9,} {t['rejected']:>9,} {t['merged']:>7,}")
    if t.get("deleted"):
        lines.append(f"{t['deleted']:,} accepted rows were deleted by their source in a later snapshot (left the "
                     f"events table; counted as deleted): see {processed_dir / config.DELETED_FILE}")
    for source, stamps in sorted(m.get("snapshots", {}).items()):
        lines.append(f"snapshots of {source}: {' -> '.join(stamps)}")
    if t.get("warned"):
        lines.append(f"{t['warned']:,} accepted rows carry warnings (suspicious, not rejected): "
                     f"see {processed_dir / config.WARNINGS_FILE}")
    for err in m.get("file_errors", []):
        lines.append(f"UNREADABLE {err['path']}: {err['error']}")
    for entry in m.get("skipped_files", []):
        lines.append(f"skipped {entry['path']}: {entry['reason']}")
    files = report.generation or processed_dir  # the files of this very manifest's build
    lines += (_conflicting_ids(files, processed_dir, top) + _rejections(files, processed_dir, top)
              + _unmatched(files, processed_dir, top))
    if m.get("is_synthetic"):
        lines += ["", "NOTE: the build includes SYNTHETIC events (analysis synth); every figure and report made "
                      "from them is marked as such."]
    lines += _media_reports_beside_events(m.get("coverage", []))
    lines += ["", "coverage:"] + [
        f"  {c['source_dataset']}{' (synthetic)' if c['is_synthetic'] else ''}: {c['rows']:,} "
        f"row{'' if c['rows'] == 1 else 's'}, "
        f"{c['first_date']} to {c['last_date']}" for c in m.get("coverage", [])]
    lines += ["", f"outputs in {processed_dir}: " + ", ".join(sorted(m["outputs"])) + f", {config.MANIFEST_FILE}"]
    return "\n".join(lines)


def _media_reports_beside_events(coverage: list[dict]) -> list[str]:
    """GDELT rows are media reports, not events: say so loudly when one events table holds both."""
    datasets = {c["source_dataset"] for c in coverage}
    others = sorted(datasets & set(EVENT_DATASETS) - {"gdelt"})
    if "gdelt" not in datasets or not others:
        return []
    return ["", f"NOTE: the events table holds GDELT's machine-coded media reports beside the events of "
                f"{', '.join(others)}; every metric counts both alike (a GDELT report of an attack adds to "
                f"attacks per day). Keep GDELT files in a project of their own."]


def _conflicting_ids(files: Path, processed_dir: Path, top: int) -> list[str]:
    """Loud: ids that two rows (of one file or two) give different content; only the first row was kept."""
    import pandas as pd

    path = processed_dir / config.MERGED_FILE
    if not (files / config.MERGED_FILE).exists():
        return []
    merged = pd.read_csv(files / config.MERGED_FILE, dtype=str, keep_default_na=False)
    differ = merged[(merged["is_identical"].str.lower() != "true")
                    & ~is_revision(merged["raw_file"], merged["merged_into_file"])]  # a revision is no conflict
    if differ.empty:
        return []
    pairs = differ.groupby(["raw_file", "merged_into_file"])["event_id"].nunique().sort_values(ascending=False)
    ids = differ["event_id"].nunique()
    files = "two files" if (differ["raw_file"] != differ["merged_into_file"]).any() else "two rows of one file"
    out = ["", f"WARNING: {ids:,} id{'' if ids == 1 else 's'} appear{'s' if ids == 1 else ''} in {files} with "
               f"different content: the first row was kept, the other merged and its values dropped "
               f"(rule {DIFFERENT_CONTENT_RULE} in {processed_dir / config.WARNINGS_FILE}; pairs in {path}):"]
    out += [f"  {n:>7,}  {dup}{' (within the file)' if dup == kept else ' repeats ids of ' + kept}"
            for (dup, kept), n in pairs.head(top).items()]
    return out


def _rejections(files: Path, processed_dir: Path, top: int) -> list[str]:
    import pandas as pd

    path = processed_dir / config.REJECTS_FILE
    if not (files / config.REJECTS_FILE).exists():
        return []
    rejects = pd.read_csv(files / config.REJECTS_FILE, dtype=str, keep_default_na=False)
    if rejects.empty:
        return []
    by_rule = rejects.groupby(["raw_file", "rule"]).size().sort_values(ascending=False).head(top)
    out = ["", f"rejections by rule (details in {path}):"]
    out += [f"  {n:>7,}  {file}: {rule}" for (file, rule), n in by_rule.items()]
    return out


def _unmatched(files: Path, processed_dir: Path, top: int) -> list[str]:
    import pandas as pd

    path = processed_dir / config.UNMATCHED_PLACES_FILE
    if not (files / config.UNMATCHED_PLACES_FILE).exists():
        return []
    unmatched = pd.read_csv(files / config.UNMATCHED_PLACES_FILE,
                            dtype={"location": str, "admin1": str, "rows": "int64"}, keep_default_na=False)
    if unmatched.empty:
        return ["", "every location matched a gazetteer settlement"]
    out = ["", f"{len(unmatched):,} location names matched no gazetteer settlement "
               f"({unmatched['rows'].sum():,} events kept, flagged is_place_matched=False; all in {path}):"]
    out += [f"  {r.rows:>7,}  {r.location} ({r.admin1 or 'no oblast'})" for r in unmatched.head(top).itertuples()]
    return out
