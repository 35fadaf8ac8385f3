"""Deterministic synthetic GDELT 2.0 event exports, for tests and scale benchmarks.

``write_gdelt_files(folder, rows, seed, start, files)`` writes ``files`` small files
named as GDELT publishes them, one per 15 minutes from ``start``
(``20240101000000.export.CSV``, ``20240101001500.export.CSV``, ...): 61
tab-separated columns, no header, ``\\n`` line ends.  The same arguments always
give the same bytes.  Rows are synthetic and marked as such: every SOURCEURL is
on the reserved domain ``synthetic.invalid``, which the GDELT reader turns into
``is_synthetic`` and the ``synthetic-gdelt:`` id prefix.  GLOBALEVENTIDs carry a
number derived from all the arguments, so files made with different arguments
never share an id.

Value domains are GDELT's: CAMEO root codes with rough real proportions (about
one row in nine coded 18-20, the attacks), base and event codes that belong to
their root, QuadClass and Goldstein scale per root, FIPS 10-4 country and admin1
codes, settlements of a fixed table (:data:`PLACES`) with their
coordinates (so they lie inside the country; Ukraine and Russia only), ActionGeo types 4 (city), 5
(admin1) and 1 (country).  ``other_share`` of the rows are placed in a country
that is not configured (Russia, FIPS RS, by default), as in real global files.
"""

from __future__ import annotations

import csv
import re
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import countries
from analysis.sources.gdelt import BASE_CODES, GDELT_COLUMNS, ROOT_CODES, SYNTHETIC_URL

# CAMEO root -> (share of rows, QuadClass, Goldstein scale), rough proportions of GDELT's conflict-country rows.
ROOT_MIX = {
    "01": (14.0, 1, 0.0), "02": (3.0, 1, 3.0), "03": (6.0, 1, 4.0), "04": (17.0, 1, 1.0), "05": (5.0, 1, 3.5),
    "06": (2.0, 2, 6.0), "07": (2.5, 2, 7.0), "08": (2.0, 2, 5.0), "09": (2.0, 3, -2.0), "10": (3.0, 3, -5.0),
    "11": (6.0, 3, -2.0), "12": (2.0, 3, -4.0), "13": (3.0, 3, -6.0), "14": (2.0, 4, -6.5), "15": (1.5, 4, -7.2),
    "16": (1.5, 4, -4.0), "17": (5.0, 4, -5.0), "18": (3.5, 4, -9.0), "19": (9.0, 4, -10.0), "20": (0.3, 4, -10.0),
}
# Actors: (code, name, country code).
ACTORS = (("RUS", "RUSSIA", "RUS"), ("UKR", "UKRAINE", "UKR"), ("UKRMIL", "UKRAINIAN", "UKR"),
          ("RUSMIL", "RUSSIAN", "RUS"), ("UKRCVL", "CIVILIAN", "UKR"), ("", "", ""))
OTHER_COUNTRIES = ("Russia",)
# Settlements the generator places events in: (FIPS 10-4 admin1 code, name, latitude, longitude, weight), weighted
# towards the front line.  A fixed table, not the gazetteer: the bytes must not depend on a package's data.
PLACES = {
    "Ukraine": (
        ("05", "Kramatorsk", 48.7231, 37.5563, 8), ("05", "Donetsk", 48.0159, 37.8028, 6),
        ("05", "Bakhmut", 48.5947, 38.0008, 6), ("05", "Pokrovsk", 48.2820, 37.1758, 6),
        ("07", "Kharkiv", 49.9935, 36.2304, 8), ("07", "Kupiansk", 49.7106, 37.6153, 4),
        ("26", "Zaporizhzhia", 47.8388, 35.1396, 6), ("08", "Kherson", 46.6354, 32.6169, 6),
        ("14", "Luhansk", 48.5740, 39.3078, 3), ("04", "Dnipro", 48.4647, 35.0462, 3),
        ("21", "Sumy", 50.9077, 34.7981, 3), ("16", "Mykolaiv", 46.9750, 31.9946, 2),
        ("02", "Chernihiv", 51.4982, 31.2893, 1), ("12", "Kyiv", 50.4501, 30.5234, 6),
        ("17", "Odesa", 46.4825, 30.7233, 3), ("15", "Lviv", 49.8397, 24.0297, 1),
        ("18", "Poltava", 49.5883, 34.5514, 1), ("27", "Zhytomyr", 50.2547, 28.6587, 1),
    ),
    "Russia": (
        ("09", "Belgorod", 50.5997, 36.5983, 4), ("41", "Kursk", 51.7373, 36.1874, 2),
        ("10", "Bryansk", 53.2521, 34.3717, 1), ("48", "Moscow", 55.7558, 37.6173, 3),
    ),
}
# Where GDELT puts an event it can place only in the country (ActionGeo_Type 1): a point inside it.
CENTROIDS = {"Ukraine": (49.0, 32.0), "Russia": (60.0, 100.0)}
_GEO_TYPES = (("4", 0.8), ("5", 0.15), ("1", 0.05))


def file_names(start: str, files: int) -> list[str]:
    """The published names of ``files`` consecutive 15-minute files from ``start``."""
    first = pd.Timestamp(start).floor("15min")
    return [f"{first + pd.Timedelta(minutes=15 * i):%Y%m%d%H%M%S}.export.CSV" for i in range(files)]


def write_gdelt_files(folder: Path, rows: int, seed: int = 0, start: str = "2024-03-15 00:00", files: int = 4,
                      countries_: tuple[str, ...] = ("Ukraine",), other_share: float = 0.05) -> list[Path]:
    """Write ``rows`` synthetic GDELT rows spread over ``files`` files; return their paths, in time order."""
    if rows < 0 or files < 1:
        raise ValueError("rows must be >= 0 and files >= 1")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frame = synthetic_gdelt(rows, seed, start, files, countries_, other_share)
    paths = []
    for name, part in zip(file_names(start, files), np.array_split(np.arange(rows), files)):
        path = folder / name
        frame.iloc[part].to_csv(path, sep="\t", header=False, index=False, lineterminator="\n",
                                quoting=csv.QUOTE_NONE, encoding="utf-8")
        paths.append(path)
    return paths


def synthetic_gdelt(rows: int, seed: int = 0, start: str = "2024-03-15 00:00", files: int = 4,
                    countries_: tuple[str, ...] = ("Ukraine",), other_share: float = 0.05) -> pd.DataFrame:
    """The rows :func:`write_gdelt_files` writes, as a frame of strings in :data:`GDELT_COLUMNS` order."""
    rng = np.random.default_rng(seed)
    when = pd.Timestamp(start).floor("15min").strftime("%Y%m%d%H%M")
    tag = re.sub(r"[^A-Za-z0-9.+-]", "_", f"s{seed}-n{rows}-{when}-f{files}-{'+'.join(countries_)}-o{other_share}")
    first_id = (zlib.crc32(tag.encode()) % 900_000 + 100_000) * 10**9
    added = pd.Timestamp(start).floor("15min") + pd.to_timedelta(
        np.repeat(np.arange(files), [len(p) for p in np.array_split(np.arange(rows), files)]) * 15, unit="min")
    lag = rng.choice([0, 0, 0, 0, 0, 0, 1, 1, 2], size=rows)  # a report is mostly about the same day
    day = (added.normalize() - pd.to_timedelta(lag, unit="D"))
    roots = list(ROOT_MIX)
    weights = np.array([ROOT_MIX[r][0] for r in roots])
    root = np.array(roots)[rng.choice(len(roots), size=rows, p=weights / weights.sum())]
    base_code = _base_codes(rng, root)
    geo = _places(rng, rows, countries_, other_share)
    actor1 = np.array(ACTORS[:5], dtype=object)[rng.choice(5, size=rows)]
    actor2 = np.array(ACTORS, dtype=object)[rng.choice(len(ACTORS), size=rows)]
    mentions = rng.geometric(0.3, size=rows)
    sources = np.minimum(rng.geometric(0.6, size=rows), mentions)
    ids = first_id + np.arange(rows, dtype=np.int64)
    out = pd.DataFrame({c: np.full(rows, "", dtype=object) for c in GDELT_COLUMNS})
    out["GLOBALEVENTID"] = ids.astype(str)
    out["SQLDATE"] = day.strftime("%Y%m%d")
    out["MonthYear"] = day.strftime("%Y%m")
    out["Year"] = day.strftime("%Y")
    out["FractionDate"] = [f"{y + (d - 1) / 365:.4f}" for y, d in zip(day.year, day.day_of_year)]
    for n, actor in (("1", actor1), ("2", actor2)):
        out[f"Actor{n}Code"] = [a[0] for a in actor]
        out[f"Actor{n}Name"] = [a[1] for a in actor]
        out[f"Actor{n}CountryCode"] = [a[2] for a in actor]
    out["IsRootEvent"] = rng.choice(["0", "1"], size=rows, p=[0.4, 0.6])
    out["EventCode"] = base_code
    out["EventBaseCode"] = base_code
    out["EventRootCode"] = root
    out["QuadClass"] = [str(ROOT_MIX[r][1]) for r in root]
    out["GoldsteinScale"] = [f"{ROOT_MIX[r][2]:.1f}" for r in root]
    out["NumMentions"] = mentions.astype(str)
    out["NumSources"] = sources.astype(str)
    out["NumArticles"] = mentions.astype(str)
    out["AvgTone"] = np.char.mod("%.6f", np.round(rng.normal(-4.0, 2.5, size=rows), 6))
    for prefix in ("Actor1Geo", "ActionGeo"):
        for column in ("Type", "FullName", "CountryCode", "ADM1Code", "Lat", "Long", "FeatureID"):
            out[f"{prefix}_{column}"] = geo[column].to_numpy()
    out["DATEADDED"] = added.strftime("%Y%m%d%H%M%S")
    out["SOURCEURL"] = [f"{SYNTHETIC_URL}gdelt/{tag}/{i}" for i in ids]
    return out


def _base_codes(rng: np.random.Generator, root: np.ndarray) -> np.ndarray:
    """A CAMEO base code of each root: one of the named ones for 18-20, else the root's own ('040')."""
    out = np.char.add(root.astype("U2"), "0").astype(object)
    for r in ("18", "19", "20"):
        mine = root == r
        codes = sorted(c for c in BASE_CODES if c.startswith(r))
        out[mine] = np.array(codes)[rng.choice(len(codes), size=int(mine.sum()))]
    assert set(np.unique(root)) <= set(ROOT_CODES)
    return out


def _cities(name: str) -> pd.DataFrame:
    """The settlements of :data:`PLACES` of a country, with its FIPS codes and its regions' names."""
    if name not in PLACES:
        raise ValueError(f"the GDELT generator knows places of {', '.join(PLACES)} only, not {name!r}")
    place = countries.country(name)
    table = pd.DataFrame(PLACES[name], columns=["adm1", "city", "lat", "lon", "weight"])
    region = [place.fips_regions.get(code, city) for code, city in zip(table["adm1"], table["city"])]
    return pd.DataFrame({
        "city": table["city"], "region": region, "country": name, "fips": place.fips,
        "adm1": place.fips + table["adm1"], "lat": table["lat"], "lon": table["lon"],
        "id": [str(-1_000_000 - i) for i in range(len(table))], "weight": table["weight"].astype(float),
    })


def _places(rng: np.random.Generator, rows: int, configured: tuple[str, ...], other_share: float) -> pd.DataFrame:
    """ActionGeo columns: a settlement of a configured country (or, for ``other_share``, of another one)."""
    other = rng.random(rows) < other_share
    which = np.where(other, rng.choice(len(OTHER_COUNTRIES), size=rows) + len(configured),
                     rng.choice(len(configured), size=rows))
    parts = []
    for k, name in enumerate(configured + OTHER_COUNTRIES):
        mine = np.flatnonzero(which == k)
        if not len(mine):
            continue
        cities = _cities(name)
        picked = cities.iloc[rng.choice(len(cities), size=len(mine), p=cities["weight"] / cities["weight"].sum())]
        kind = np.array([t for t, _ in _GEO_TYPES])[rng.choice(3, size=len(mine), p=[p for _, p in _GEO_TYPES])]
        centre = CENTROIDS[name]
        is_city, is_country = kind == "4", kind == "1"
        full = np.where(is_city, picked["city"] + ", " + picked["region"] + ", " + name,
                        np.where(is_country, name, picked["region"] + ", " + name))
        lat = np.where(is_country, centre[0], picked["lat"].to_numpy())
        lon = np.where(is_country, centre[1], picked["lon"].to_numpy())
        parts.append(pd.DataFrame({
            "Type": kind, "FullName": full, "CountryCode": picked["fips"].to_numpy(),
            "ADM1Code": np.where(is_country, picked["fips"], picked["adm1"]),
            "Lat": np.char.mod("%.4f", lat), "Long": np.char.mod("%.4f", lon),
            "FeatureID": np.where(is_city, picked["id"], picked["adm1"]),
        }, index=mine))
    if not parts:
        return pd.DataFrame(columns=["Type", "FullName", "CountryCode", "ADM1Code", "Lat", "Long", "FeatureID"])
    return pd.concat(parts).sort_index()
