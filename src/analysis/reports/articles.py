"""Article bundles: ``articles/<slug>/article.yaml`` names the reports an article uses and what it quotes.

An article file lists (see ``articles/rferl-2023-03-14/article.yaml``)::

    title: ...                      # the article's title
    date: 2023-03-14                # its publication day
    source: {publisher: ..., title: ..., date: ..., url: ...}   # what it reports on (url optional)
    reports:                        # id -> a report run: notebook and parameters
      briefing: {notebook: 01-daily-briefing, parameters: {date: 2023-03-14, window_days: 1}}
    numbers:                        # the numbers it quotes: report id + name in that report's numbers.json
      - {report: briefing, number: attacks_on_date, label: "Attacks that day"}   # label optional
    figures:                        # the figures it shows: report id + figure name (figures/<name>.png)
      - {report: briefing, figure: event-map}

:func:`build` runs every listed report through the report runner (as ``analysis batch`` does),
then writes ``articles/<slug>/out/`` in one switch (a new folder under ``.builds/``, then the
``out`` link replaced atomically): ``index.html`` (each quoted number as its report's sentence
with value, definition and source; each figure with its alt text and source line; everything
escaped), ``numbers.json`` (the quoted numbers), ``figures/<report>/`` (PNG, SVG, CSV, alt text),
``reports/<report>/`` (the report's ``numbers.json`` and its run record without times, what drift
needs) and ``manifest.json`` (sha256 of every other file, each report's parameters and run id).
Nothing in ``out/`` holds a time or a temporary path: a rebuild on unchanged inputs gives the same bytes.

:func:`check` is drift over every quoted number: each report is rerun on the current data and
its quoted numbers compared with the built ones.

A broken article file (YAML syntax, a wrong key or value, an unknown report, notebook, number or
figure) is an :class:`ArticleError` naming the file, the key and the value (exit 2).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from analysis import config, escaping, storage
from analysis.errors import AnalysisError, OutputError, ParameterError
from analysis.metrics.loaders import ensure_built
from analysis.reports import DEFAULT_TIMEOUT_S, report_dir, resolve_notebook, runner
from analysis.reports.article_page import index_html
from analysis.reports.html import defuse
from analysis.reports.parameters import check_parameters, date_text
from analysis.reports.drift import drift as report_drift
from analysis.reports.reporting import EVIDENCE_FILE, FIGURES_DIR

ARTICLE_FILE = "article.yaml"
OUT_DIR = "out"  # a link to the last complete build in BUILDS_DIR
BUILDS_DIR = ".builds"
INDEX_FILE = "index.html"
MANIFEST_FILE = "manifest.json"
QUOTED_FILE = "numbers.json"
REPORTS_SUBDIR = "reports"
# What out/reports/<id>/ keeps of a report: its numbers, and (when the report writes it) the evidence drift reads.
RECORD_FILES = (config.NUMBERS_FILE, EVIDENCE_FILE)
# Left out of the kept run record: the times differ between reruns on the same inputs, and "outputs" names
# files of the report folder, which the bundle does not keep.
VOLATILE_RUN_KEYS = ("started_at", "duration_s", "outputs")
FIGURE_FILES = (".png", ".svg", ".csv", ".alt.txt")
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_KEYS = {"title": True, "date": True, "source": True, "reports": True, "numbers": True, "figures": False}
_SOURCE_KEYS = {"publisher": True, "title": True, "date": True, "url": False}


class ArticleError(AnalysisError):
    """The article file or folder is broken (file, key, value): a usage error, exit 2."""


class ArticleReportFailed(AnalysisError):
    """A report the article uses failed: exit 1, as ``analysis report``."""

    exit_code = 1


@dataclass(frozen=True)
class ReportUse:
    id: str
    notebook: str
    parameters: dict


@dataclass(frozen=True)
class Quote:
    report: str
    name: str  # a number's name in the report's numbers.json, or a figure's name in its figures/
    label: str | None = None


@dataclass
class Article:
    slug: str
    folder: Path
    title: str
    date: str
    source: dict
    reports: dict[str, ReportUse]
    numbers: list[Quote]
    figures: list[Quote] = field(default_factory=list)

    @property
    def file(self) -> Path:
        return self.folder / ARTICLE_FILE

    @property
    def out(self) -> Path:
        return self.folder / OUT_DIR


# ---------------------------------------------------------------- reading article.yaml
def _shown(value) -> str:
    text = repr(value)
    return escaping.plain(text if len(text) <= 80 else text[:77] + "...")


def article_folder(slug: str) -> Path:
    """``articles/<slug>/`` of the current project; a slug that is not one safe folder name is refused."""
    if not isinstance(slug, str) or not _SLUG.fullmatch(slug) or slug in (".", ".."):
        raise ArticleError(f"article {_shown(slug)}: a slug is one folder name of letters, digits, '.', '_' and '-'")
    folder = Path(config.ARTICLES_DIR) / slug
    if not (folder / ARTICLE_FILE).is_file():
        known = sorted(p.parent.name for p in Path(config.ARTICLES_DIR).glob(f"*/{ARTICLE_FILE}"))
        raise ArticleError(f"no article {slug!r}: {folder / ARTICLE_FILE} does not exist "
                           f"(articles: {', '.join(known) or 'none'})")
    return folder


def load(slug: str) -> Article:
    """The checked article ``slug``: every key and value of its article.yaml, or an :class:`ArticleError`."""
    folder = article_folder(slug)
    path = folder / ARTICLE_FILE
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ArticleError(f"{path}{where}: not valid YAML: {problem}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ArticleError(f"cannot read {path}: {exc}") from None
    return parse(spec, slug, folder)


def parse(spec, slug: str, folder: Path) -> Article:
    """An :class:`Article` from the loaded YAML ``spec``; errors name the file, the key and the value."""
    path = folder / ARTICLE_FILE

    def fail(key: str, message: str):
        raise ArticleError(f"{path}: {key}: {message}")

    top = _mapping(spec, "(top level)", _KEYS, fail)
    source = _mapping(top["source"], "source", _SOURCE_KEYS, fail)
    reports = {}
    for rid, use in _mapping(top["reports"], "reports", None, fail).items():
        key = f"reports.{escaping.plain(rid)}"
        if not isinstance(rid, str) or not _ID.fullmatch(rid):
            fail(key, f"{_shown(rid)} is not a report id (lower-case letters, digits and '-', at most 63)")
        entry = _mapping(use, key, {"notebook": True, "parameters": False}, fail)
        params = _mapping(entry.get("parameters") or {}, f"{key}.parameters", None, fail)
        for name, value in params.items():
            if not isinstance(name, str) or isinstance(value, (list, dict)) or value is None:
                fail(f"{key}.parameters", f"{_shown(name)}: {_shown(value)} is not a parameter name and a single value")
        reports[rid] = ReportUse(rid, _text(entry["notebook"], f"{key}.notebook", fail),
                                 {n: date_text(v) if isinstance(v, datetime.date) else v for n, v in params.items()})
    if not reports:
        fail("reports", "an article uses at least one report")
    quotes = {kind: [_quote(item, f"{kind}[{i}]", attr, reports, fail)
                     for i, item in enumerate(_list(top.get(kind) or [], kind, fail))]
              for kind, attr in (("numbers", "number"), ("figures", "figure"))}
    if not quotes["numbers"]:
        fail("numbers", "an article quotes at least one number")
    return Article(slug, folder, _text(top["title"], "title", fail), _day(top["date"], "date", fail),
                   {k: _day(v, f"source.{k}", fail) if k == "date" else _text(v, f"source.{k}", fail)
                    for k, v in source.items()},
                   reports, quotes["numbers"], quotes["figures"])


def _mapping(value, key: str, keys: dict | None, fail) -> dict:
    if not isinstance(value, dict):
        fail(key, f"expected a mapping (name: value), got {_shown(value)}")
    if keys is not None:
        unknown = [k for k in value if k not in keys]
        if unknown:
            fail(key, f"unknown key {_shown(unknown[0])} (keys: {', '.join(keys)})")
        missing = [k for k, required in keys.items() if required and k not in value]
        if missing:
            fail(key, f"missing key {missing[0]!r}")
    return value


def _list(value, key: str, fail) -> list:
    if not isinstance(value, list):
        fail(key, f"expected a list (- item), got {_shown(value)}")
    return value


def _text(value, key: str, fail) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 500:
        fail(key, f"expected text (1 to 500 characters), got {_shown(value)}")
    return value


def _day(value, key: str, fail) -> str:
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return datetime.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    fail(key, f"expected a day YYYY-MM-DD, got {_shown(value)}")


def _quote(item, key: str, attr: str, reports: dict, fail) -> Quote:
    entry = _mapping(item, key, {"report": True, attr: True, "label": False}, fail)
    rid = entry["report"]
    if rid not in reports:
        fail(f"{key}.report", f"{_shown(rid)} is not a report listed under reports ({', '.join(reports)})")
    label = entry.get("label")
    return Quote(rid, _text(entry[attr], f"{key}.{attr}", fail),
                 None if label is None else _text(label, f"{key}.label", fail))


# ---------------------------------------------------------------- running the reports
def planned_runs(article: Article) -> dict[str, tuple[Path, dict]]:
    """Each report's notebook and checked parameters, before any kernel starts (unknown ones: ArticleError)."""
    planned, folders, notebooks = {}, {}, {}
    for rid, use in article.reports.items():
        try:
            notebooks[rid] = resolve_notebook(use.notebook)
        except ParameterError as exc:
            raise ArticleError(f"{article.file}: reports.{rid}: {exc}") from None
    ensure_built()  # parameters are checked against the data's coverage, as `analysis report` does
    for rid, use in article.reports.items():
        notebook = notebooks[rid]
        try:
            values = check_parameters(notebook, use.parameters)
        except ParameterError as exc:
            raise ArticleError(f"{article.file}: reports.{rid}: {exc}") from None
        folder = report_dir(notebook, values)
        if folder in folders:
            raise ArticleError(f"{article.file}: reports.{rid}: the same notebook and parameters as "
                               f"reports.{folders[folder]}; list a report once")
        folders[folder] = rid
        planned[rid] = (notebook, values)
    return planned


def run_reports(article: Article, *, jobs: int | None = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> dict[str, Path]:
    """Run every report of the article (through the report runner, in parallel); their folders by id."""
    planned = planned_runs(article)
    results = runner.batch([(notebook, values) for notebook, values in planned.values()], jobs, timeout_s)
    failed = [f"reports.{rid} ({r.notebook}): {r.error}" for rid, r in zip(planned, results) if not r.ok]
    if failed:
        raise ArticleReportFailed(f"{article.file}: a report failed, nothing was built: " + "; ".join(failed))
    return {rid: Path(r.report_dir) for rid, r in zip(planned, results)}


def read_json(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArticleError(f"cannot read {path}: {exc}") from None


def quoted_numbers(article: Article, numbers_by_report: dict[str, dict]) -> list[dict]:
    """The quoted numbers, each the report's own entry with ``report`` and ``label`` added; unknown names refused."""
    found = []
    for i, quote in enumerate(article.numbers):
        stated = {n["name"]: n for n in numbers_by_report[quote.report]["numbers"]}
        if quote.name not in stated:
            names = ", ".join(list(stated)[:12]) + (", ..." if len(stated) > 12 else "")
            raise ArticleError(f"{article.file}: numbers[{i}].number: {_shown(quote.name)} is not a number of "
                               f"report {quote.report} (its numbers: {names or 'none'})")
        found.append({"report": quote.report, "label": quote.label, **stated[quote.name]})
    return found


def figure_files(article: Article, folders: dict[str, Path]) -> list[tuple[Quote, dict[str, Path]]]:
    """Each quoted figure with its files by suffix; a figure the report did not save is refused."""
    found = []
    for i, quote in enumerate(article.figures):
        saved = sorted(p.name[:-4] for p in (folders[quote.report] / FIGURES_DIR).glob("*.png"))
        if quote.name not in saved:
            raise ArticleError(f"{article.file}: figures[{i}].figure: {_shown(quote.name)} is not a figure of "
                               f"report {quote.report} (its figures: {', '.join(saved) or 'none'})")
        stem = folders[quote.report] / FIGURES_DIR / quote.name
        found.append((quote, {suffix: Path(f"{stem}{suffix}") for suffix in FIGURE_FILES
                              if Path(f"{stem}{suffix}").is_file()}))
    return found


def run_record(run: dict) -> dict:
    """A report's run.json without what differs on every rerun (times), and its run id: a hash of the rest
    (notebook and its sha256, parameters, inputs' sha256s, build, versions, status)."""
    kept = {k: v for k, v in run.items() if k not in VOLATILE_RUN_KEYS}
    canonical = json.dumps(kept, sort_keys=True, ensure_ascii=True, default=str).encode()
    return {**kept, "run_id": hashlib.sha256(canonical).hexdigest()[:16]}


# ---------------------------------------------------------------- building the bundle
def build(slug: str, *, jobs: int | None = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> Path:
    """Run the article's reports and write ``articles/<slug>/out/`` in one switch; return ``out``."""
    article = load(slug)
    folders = run_reports(article, jobs=jobs, timeout_s=timeout_s)
    numbers = {rid: read_json(folder / config.NUMBERS_FILE) for rid, folder in folders.items()}
    runs = {rid: run_record(read_json(folder / config.RUN_FILE)) for rid, folder in folders.items()}
    quoted = quoted_numbers(article, numbers)
    figures = figure_files(article, folders)
    builds = article.folder / BUILDS_DIR
    try:
        builds.mkdir(exist_ok=True)
        staging = builds / f".partial-{secrets.token_hex(6)}"
        staging.mkdir()
    except OSError as exc:
        raise OutputError(builds, f"cannot write the article's bundle: {exc.strerror or exc}") from None
    try:
        for rid, folder in folders.items():
            for name in RECORD_FILES:
                if (folder / name).is_file():
                    storage.write_bytes(staging / REPORTS_SUBDIR / rid / name, (folder / name).read_bytes())
            storage.write_json(staging / REPORTS_SUBDIR / rid / config.RUN_FILE, runs[rid])
        shown = []
        for quote, files in figures:
            for suffix, source in files.items():
                storage.write_bytes(staging / FIGURES_DIR / quote.report / f"{quote.name}{suffix}", source.read_bytes())
            alt = files[".alt.txt"].read_text(encoding="utf-8") if ".alt.txt" in files else ""
            shown.append({"report": quote.report, "name": quote.name, "label": quote.label, "alt": alt,
                          "png": files[".png"].read_bytes(),
                          "files": [f"{FIGURES_DIR}/{quote.report}/{quote.name}{s}" for s in files]})
        storage.write_json(staging / QUOTED_FILE, {"article": slug, "numbers": quoted})
        storage.write_text(staging / INDEX_FILE, defuse(index_html(article, quoted, shown, runs)))
        storage.write_json(staging / MANIFEST_FILE, _manifest(article, runs, staging))
        final = builds / hashlib.sha256((staging / MANIFEST_FILE).read_bytes()).hexdigest()[:16]
        if not final.exists():  # else the same bytes were built before (the name hashes every file): kept as is
            os.rename(staging, final)
        _switch(article.out, final)
    except OSError as exc:  # a full disk, a read-only folder: the last complete bundle stays in place
        raise OutputError(article.folder, f"cannot write the article's bundle: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return article.out


def _manifest(article: Article, runs: dict[str, dict], staging: Path) -> dict:
    files = {p.relative_to(staging).as_posix(): storage.sha256_file(p)
             for p in sorted(staging.rglob("*")) if p.is_file() and p.name != MANIFEST_FILE}
    return {"article": article.slug, "title": article.title, "date": article.date, "source": article.source,
            "reports": {rid: {"notebook": run.get("notebook"), "parameters": run.get("parameters"),
                              "run_id": run["run_id"], "status": run.get("status")} for rid, run in runs.items()},
            "numbers": [{"report": q.report, "name": q.name} for q in article.numbers],
            "figures": [{"report": q.report, "name": q.name} for q in article.figures],
            "files": files}


def _switch(out: Path, final: Path) -> None:
    """Point ``out`` at ``final`` in one atomic rename; remove the builds it no longer names."""
    if out.exists() and not out.is_symlink():  # a plain folder (copied, or made by hand): moved aside first
        os.rename(out, final.parent / f".old-{secrets.token_hex(6)}")
    storage.replace_symlink(out, f"{BUILDS_DIR}/{final.name}")
    for old in final.parent.iterdir():
        if old.name != final.name:
            shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------- checking the quoted numbers (drift)
@dataclass
class Check:
    """The quoted numbers compared with a rerun: per number report, name, status, old, new, delta, events."""

    slug: str
    numbers: list[dict]

    @property
    def changed(self) -> bool:
        return any(n["status"] != "unchanged" for n in self.numbers)

    def to_json(self) -> dict:
        return {"article": self.slug, "changed": self.changed, "numbers": self.numbers}


def check(slug: str, snapshots: dict[str, str] | None = None) -> Check:
    """Drift over every number the built article quotes: each report it quotes from is rerun on the current
    data (or the ``snapshots``) from the run record kept in ``out/reports/<id>/``, never touching ``out/``."""
    article = load(slug)
    if not (article.out / MANIFEST_FILE).is_file():
        raise ArticleError(f"article {slug} is not built yet ({article.out / MANIFEST_FILE} is missing); "
                           f"run `analysis article build {slug}` first")
    compared = []
    for rid in dict.fromkeys(q.report for q in article.numbers):
        kept = article.out / REPORTS_SUBDIR / rid
        if not (kept / config.RUN_FILE).is_file() or not (kept / config.NUMBERS_FILE).is_file():
            raise ArticleError(f"{article.file}: reports.{rid} is not in the built bundle ({kept}); "
                               f"run `analysis article build {slug}` again")
        notebook = read_json(kept / config.RUN_FILE).get("notebook")
        with tempfile.TemporaryDirectory(prefix=".article-check-") as tmp:
            record = Path(tmp) / escaping.plain(str(notebook)).replace("/", "-") / rid
            shutil.copytree(kept, record)
            found = report_drift(record, snapshots)
        by_name = {n["name"]: n for n in found.to_json()["numbers"]}
        for quote in (q for q in article.numbers if q.report == rid):
            if quote.name not in by_name:
                raise ArticleError(f"{article.file}: number {quote.name!r} of reports.{rid} is not in the built "
                                   f"bundle; run `analysis article build {slug}` again")
            number = by_name[quote.name]
            compared.append({"report": rid, "name": quote.name, "label": quote.label,
                             **{k: number.get(k) for k in ("status", "old", "new", "delta", "events")}})
    order = {(q.report, q.name): i for i, q in enumerate(article.numbers)}
    return Check(slug, sorted(compared, key=lambda n: order[n["report"], n["name"]]))


def _event_text(item) -> str:
    """An event behind a change as drift names it: its id, and the fields that changed in a revision."""
    if not isinstance(item, dict):
        return escaping.plain(item)
    text = escaping.plain(item.get("id") or item.get("event_id") or item)
    return text + (f" ({', '.join(map(escaping.plain, item['fields']))} revised)" if item.get("fields") else "")


def check_summary(result: Check) -> str:
    """One line per quoted number (changed ones first named 'CHANGED', with old -> new and the events behind)."""
    lines = []
    for n in result.numbers:
        head = "CHANGED  " if n["status"] != "unchanged" else "holds    "
        delta = f" ({n['delta']:+g})" if isinstance(n.get("delta"), (int, float)) and n["delta"] else ""
        lines.append(f"{head}{n['report']}: {n['name']}: {n['old']!r} -> {n['new']!r}{delta}"
                     + ("" if n["status"] in ("unchanged", "changed") else f" [{n['status']}]"))
        for kind, items in (n.get("events") or {}).items() if n["status"] != "unchanged" else ():
            if items:
                lines.append(f"           {kind}: {', '.join(_event_text(item) for item in items)}")
    changed = sum(n["status"] != "unchanged" for n in result.numbers)
    lines.append(f"{len(result.numbers)} quoted numbers: {changed} changed")
    return "\n".join(lines)
