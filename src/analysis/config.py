"""Paths and constants of the project, and nothing else.

Importing this module has no side effects: it reads no files, creates no
directories and imports nothing heavy.  Everything that needs a path or a
tunable constant takes it from here, so the README, the CLI and the tests agree.

Environment variables relocate the data (used by benchmarks, tests, and the
report runner to hand its folders to notebook kernels): ``ANALYSIS_RAW_DIR``,
``ANALYSIS_PROCESSED_DIR``, ``ANALYSIS_REPORTS_DIR`` and ``ANALYSIS_CACHE_DIR``.
"""

from __future__ import annotations

import os
from pathlib import Path

# ---------------------------------------------------------------- paths
PROJECT_DIR = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_DIR / "data"
RAW_DIR = Path(os.environ.get("ANALYSIS_RAW_DIR", DATA_DIR / "raw"))
PROCESSED_DIR = Path(os.environ.get("ANALYSIS_PROCESSED_DIR", DATA_DIR / "processed"))
NOTEBOOKS_DIR = PROJECT_DIR / "notebooks"
REPORTS_DIR = Path(os.environ.get("ANALYSIS_REPORTS_DIR", PROJECT_DIR / "reports"))
CACHE_DIR = Path(os.environ.get("ANALYSIS_CACHE_DIR", PROJECT_DIR / ".cache"))  # derived, safe to delete
SHARED_DIR = PROJECT_DIR.parent / "shared"
REALDATA_DIR = SHARED_DIR / "realdata"

# Names of the files a build writes into PROCESSED_DIR.
EVENTS_FILE = "events.parquet"
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

# ---------------------------------------------------------------- versions
# Bump SCHEMA_VERSION whenever a column of a processed table changes meaning.
SCHEMA_VERSION = "1.0.0"

# ---------------------------------------------------------------- parsing
CSV_CHUNK_ROWS = 100_000  # rows parsed per chunk: bounds memory on large files
MAX_FIELD_CHARS = 20_000  # longer fields are rejected (usually a broken quote)
SNIFF_BYTES = 64 * 1024  # bytes read to detect binary files and delimiters
ROWS_IN_ERROR_PREVIEW = 10  # rejections printed per file by `validate`

# ---------------------------------------------------------------- geography
COUNTRY = "Ukraine"
# Ukraine's land extent including Crimea, with a small margin (degrees).  A row
# coded to Ukraine with coordinates outside it (at sea, across a border) is kept
# with a warning and its place left unmatched.
UKRAINE_BBOX = {"lat_min": 44.0, "lat_max": 52.6, "lon_min": 22.0, "lon_max": 40.4}
# Where an event coded to Ukraine can be at all: the land extent, the whole Black
# Sea and Sea of Azov, and about 1 degree beyond the land borders.  Coordinates
# outside it are a mistake (swapped latitude/longitude always land outside it,
# as do 0,0 and dropped minus signs or decimal points) and the row is rejected.
UKRAINE_REGION_BBOX = {"lat_min": 40.5, "lat_max": 53.6, "lon_min": 21.0, "lon_max": 42.0}
GAZETTEER_MIN_POPULATION = 500
# A gazetteer candidate farther than this from the given coordinates is not
# accepted as the place the name refers to (km).  Donetsk's city districts lie
# up to about 20 km from its centre; at 35-40 km same-named villages start to
# be taken for each other.
MAX_PLACE_DISTANCE_KM = 25.0

# ---------------------------------------------------------------- dates
EARLIEST_EVENT_DATE = "1989-01-01"  # start of UCDP GED coverage
LATEST_EVENT_DATE = "2035-12-31"  # guards against typos such as 2203
