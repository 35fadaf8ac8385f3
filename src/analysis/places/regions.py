"""Oblasts: the GeoNames admin1 table and the normalisation of an oblast's many spellings.

``OBLASTS`` maps GeoNames admin1 codes ("01".."27") to canonical oblast names;
:func:`normalise_admin1` maps any known spelling (any script, nominative or
adjectival, Ukrainian or Russian transliteration, with or without the word
oblast/region/область) to its canonical name.
"""

from __future__ import annotations

import functools
import threading

import numpy as np
import pandas as pd

from analysis.places.names import exact_keys, loose_keys, transliterate

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
CODE_BY_OBLAST = {name: code for code, name in OBLASTS.items()}
# A city with the status of an oblast shares the preference of the oblast around it.
OBLAST_GROUP = {code: {"12": "13", "20": "11"}.get(code, code) for code in OBLASTS}

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


@functools.lru_cache(maxsize=1)
def oblast_lookup() -> tuple[dict[str, str], dict[str, str]]:
    """(loose key of a spelling -> oblast, loose key of a city stem -> city with oblast status)."""
    def table(spellings: dict[str, tuple[str, ...]]) -> dict[str, str]:
        pairs = pd.DataFrame([(v, name) for name, variants in spellings.items() for v in variants],
                             columns=["variant", "name"])
        pairs["key"] = loose_keys(exact_keys(pairs["variant"].str.replace(".", " ", regex=False)))
        clash = pairs.drop_duplicates(["key", "name"])["key"].duplicated(keep=False)
        if clash.any():
            raise AssertionError(f"ambiguous oblast spellings: {pairs.loc[clash.to_numpy(), 'variant'].tolist()}")
        return dict(zip(pairs["key"], pairs["name"]))

    return table(_OBLAST_ALIASES), table(_CITY_STEMS)


def _normalise_unique_admin1(values: pd.Series) -> pd.Series:
    """Canonical oblast of each (unique, non-missing) value, or the value itself when unknown."""
    aliases, cities = oblast_lookup()
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

