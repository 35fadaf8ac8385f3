"""Regions: the first-level divisions (GeoNames admin1) of the project's countries and their many spellings.

A country's regions, their canonical (newsroom) names and their aliases are data
(:mod:`analysis.countries`, ``analysis/country_data/<country>.toml``): Ukraine's
27 oblasts, keyed by GeoNames admin1 code ("01".."27").  A region is known
across countries by its *key*, "<ISO2>.<admin1 code>" ("UA.05").
:func:`normalise_admin1` maps any known spelling (any script, nominative or
adjectival, Ukrainian or Russian transliteration, with or without the word
oblast/region/область) to its canonical name.  A country without a data file
has no canonical names here: its rows keep the sources' spellings, which the
matcher ties to admin1 codes (:mod:`analysis.places.match`).
"""

from __future__ import annotations

import functools
import threading

import numpy as np
import pandas as pd

from analysis import config, countries
from analysis.places.names import exact_keys, loose_keys, transliterate


def region_names(country: str | None = None) -> dict[str, str]:
    """admin1 code -> canonical region name of ``country`` (default: the project's first); {} without data."""
    return dict(countries.country(country or config.COUNTRY).regions)


@functools.lru_cache(maxsize=8)
def _region_tables(names: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    keys, groups, word_of = {}, {}, {}
    for place in (countries.country(name) for name in names):
        for code, name in place.regions.items():
            if name in keys:
                raise AssertionError(f"region {name!r} is named in two countries' data")
            keys[name] = f"{place.iso2}.{code}"
            groups[keys[name]] = f"{place.iso2}.{place.region_groups.get(code, code)}"
            word_of[name] = place.region_word
    return keys, groups, word_of


def region_keys() -> dict[str, str]:
    """Canonical region name -> region key ("Donetsk" -> "UA.05"), over the project's countries with data."""
    return _region_tables(tuple(config.COUNTRIES))[0]


def region_groups() -> dict[str, str]:
    """Region key -> the key it shares preference with: a city with the status of a region and the region
    around it ("UA.12" Kyiv City -> "UA.13" Kyiv); every other key maps to itself."""
    return _region_tables(tuple(config.COUNTRIES))[1]


def region_phrase(name: str) -> str:
    """A region named in a sentence: "Donetsk oblast" (the country's region word), else the name as written."""
    word = _region_tables(tuple(config.COUNTRIES))[2].get(name)
    return f"{name} {word}" if word else name


# Region-level words, after transliteration: "Donetsk oblast", "Донецька область".
_REGION_WORDS = frozenset({"oblast", "oblasti", "obl", "region", "province", "rehion", "oblastʹ"})
# Words that make "Kyiv" the city: "Kyiv city", "м. Київ", "Kiev Special Republican city".
_CITY_WORDS = frozenset({"city", "m", "misto", "horod", "gorod", "h", "g", "special", "republican", "municipality"})


def region_lookup() -> tuple[dict[str, str], dict[str, str]]:
    """(loose key of a spelling -> region, loose key of a city stem -> city with region status)."""
    return _lookup(tuple(config.COUNTRIES))


@functools.lru_cache(maxsize=8)
def _lookup(names: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
    places = [countries.country(name) for name in names]
    aliases = {name: spellings for place in places for name, spellings in place.aliases.items()}
    stems = {name: spellings for place in places for name, spellings in place.city_stems.items()}

    def table(spellings: dict[str, tuple[str, ...]]) -> dict[str, str]:
        if not spellings:
            return {}
        pairs = pd.DataFrame([(v, name) for name, variants in spellings.items() for v in variants],
                             columns=["variant", "name"])
        pairs["key"] = loose_keys(exact_keys(pairs["variant"].str.replace(".", " ", regex=False)))
        clash = pairs.drop_duplicates(["key", "name"])["key"].duplicated(keep=False)
        if clash.any():
            raise AssertionError(f"ambiguous region spellings: {pairs.loc[clash.to_numpy(), 'variant'].tolist()}")
        return dict(zip(pairs["key"], pairs["name"]))

    return table(aliases), table(stems)


def _normalise_unique_admin1(values: pd.Series) -> pd.Series:
    """Canonical region of each (unique, non-missing) value, or the value itself when unknown."""
    aliases, cities = region_lookup()
    words = transliterate(exact_keys(values.str.replace(r"[.,()\[\]]", " ", regex=True))).str.split()
    stem = words.map(lambda ws: [w for w in ws if w not in _REGION_WORDS])
    city = stem.map(lambda ws: [w for w in ws if w not in _CITY_WORDS])
    has_city = (stem.str.len() > city.str.len()).to_numpy()

    def lookup(parts: pd.Series, table: dict[str, str]) -> pd.Series:
        return loose_keys(parts.str.join(" ").astype("str")).map(table).astype(object)

    found = lookup(words, aliases)
    found = found.fillna(lookup(city, cities).where(has_city))
    found = found.fillna(lookup(stem, aliases).where(stem.str.len() > 0))
    return found.fillna(values.astype(object))


_ADMIN1_NORMALISED: dict[tuple, dict[str, object]] = {}  # countries -> spelling -> canonical region (or spelling)
_ADMIN1_LOCK = threading.Lock()


def _normalised_uniques(uniques: list) -> np.ndarray:
    """Normalised spelling of each unique value, remembered per value.

    A large file's chunks repeat the same few dozen spellings in a different
    order, so only spellings not seen before are normalised.
    """
    with _ADMIN1_LOCK:
        known = _ADMIN1_NORMALISED.setdefault(tuple(config.COUNTRIES), {})
        new = [value for value in uniques if value not in known]
        if new:
            found = _normalise_unique_admin1(pd.Series(new, dtype="str")).tolist()
            known.update(zip(new, found))
        return np.asarray([known[value] for value in uniques] + [None], dtype=object)


def normalise_admin1(values: pd.Series) -> pd.Series:
    """Map every known spelling of a region of the project's countries to its canonical name (``region_names``).

    Case, apostrophes, hyphens, Cyrillic script and the words oblast/region/
    область/obl. do not matter: "Donetska oblast", "Донецька область",
    "Donetsk region" -> "Donetsk"; "Kiev Special Republican city", "м. Київ"
    -> "Kyiv City"; "Zaporozhye" -> "Zaporizhzhia".  Unknown values (another
    country's region, "Rostov oblast") come back unchanged, missing values stay
    missing, the index and a string dtype are kept.  Works on unique values.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    result = _normalised_uniques(np.asarray(uniques, dtype=object).tolist())[codes]
    dtype = values.dtype if isinstance(values.dtype, pd.StringDtype) else object
    missing = codes < 0
    if dtype is object and missing.any():  # keep None, nan or pd.NA as they were
        result[missing] = values.to_numpy(dtype=object)[missing]
    return pd.Series(result, index=values.index, name=values.name, dtype=dtype)

