"""The settlement matcher: a place as a source writes it -> a canonical oblast and a GeoNames settlement.

How a location is matched (``match_places``)
--------------------------------------------
Only rows whose ``country`` is one of ``config.COUNTRIES`` are matched, each
to places of its own country.  Rows of other
countries get ``place_match`` "unmatched" when they have a location and
"no_place" when they have none; an empty location is always "no_place".
Rows at sea or outside the country's land extent (:func:`off_land`:
coordinates outside the country's land extent, or a location such as "Black
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
   location that names an oblast (step 2).  A country without region data
   (:mod:`analysis.countries`) names a GeoNames admin1 code by the spelling
   most rows matched to a settlement with that code give, among the rows
   matched together.

Matching works on unique (location, oblast) pairs through merges against an
exploded key table; only the per-row distance check runs on all rows, as
numpy arrays over the rows x candidates of their pair.
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd

from analysis import config, countries
from analysis.places import gazetteer
from analysis.places.geo import coordinates, haversine_km, off_land
from analysis.places.names import TextMemo, exact_keys, loose_keys
from analysis.places.regions import normalise_admin1, region_groups, region_keys, region_lookup

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

_TIERS = ("name", "alternate_name", "transliteration", "district")
_MAX_PAIRS_PER_CHUNK = 4_000_000  # rows x candidates held in memory at once
_PREPARE_LOCK = threading.Lock()


def prepare() -> None:
    """Load the gazetteer, its name keys and the oblast spellings (once per process, about 0.5 s).

    Thread-safe: the build calls it in a background thread while the first
    chunk of a file is parsed, and :func:`match_places` waits for it.
    """
    with _PREPARE_LOCK:
        gazetteer.shared()
        gazetteer.key_tables()
        region_lookup()


# ================================================================ locations
def _location_queries(locations: pd.Series) -> pd.DataFrame:
    """The keys to look up for each unique location (index = location number).

    Only the part before a comma counts ("Kramatorsk, Donetsk oblast"), without
    parentheses ("Hranitne village (Volnovakha raion)").  Columns: loc (location
    number), key (exact key), loose (loose key), is_district (the key names a
    settlement the location is part of).  Areas (oblast, raion...) get no key.
    """
    head = locations.str.replace(r"\([^)]*\)", " ", regex=True).str.split(",", n=1).str[0].astype("str")
    base = exact_keys(head)
    is_area = base.str.contains(_AREA_RE, regex=True)
    bare = base.str.replace(_SETTLEMENT_PREFIX_RE, "", regex=True).str.replace(_SETTLEMENT_SUFFIX_RE, "", regex=True)
    feature = bare.str.replace(_FEATURE_PREFIX_RE, "", regex=True).str.replace(_FEATURE_SUFFIX_RE, "", regex=True)
    dash = exact_keys(head.str.split(_DASH_RE, n=1, regex=True).str[0].astype("str"))
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
    queries["loose"] = loose_keys(queries["key"])
    return queries.reset_index(drop=True)


_CANDIDATES: dict[tuple, tuple] = {}  # gazetteer.version() -> the candidates of the locations seen so far
_CANDIDATES_LOCK = threading.Lock()
_MAX_KNOWN_LOCATIONS = 500_000  # then the cache starts again: it holds a few hundred bytes per location


def _location_candidates(locations: pd.Series) -> pd.DataFrame:
    """Every gazetteer place each location may name: loc (its position in ``locations``), geonameid, tier
    (index into _TIERS), sorted by loc and geonameid.

    Results depend only on the location text (and the gazetteer), so they are kept for the process:
    a large file's chunks repeat the same few thousand names.  They are held as one array of
    candidates with each known location's start and count in it, found through a hash index of the
    known locations, so that a chunk costs a lookup of its own locations (a merge and a set lookup
    of the whole cache took about 10 ms of every chunk of 100,000 rows).
    """
    version = gazetteer.version()  # a GeoNames dump added to the project gives new candidates
    with _CANDIDATES_LOCK:
        known, starts, counts, gids, tiers = _CANDIDATES.get(version) or _NO_CANDIDATES
        where = known.get_indexer(locations)
        if (where < 0).any():
            if len(known) > _MAX_KNOWN_LOCATIONS:
                known, starts, counts, gids, tiers = _NO_CANDIDATES
                where = np.full(len(locations), -1)
            new = pd.Series(locations.to_numpy()[where < 0], dtype="str").drop_duplicates().reset_index(drop=True)
            found = _compute_location_candidates(new)  # sorted by loc (in new), then geonameid
            added = np.bincount(found["loc"].to_numpy(), minlength=len(new))
            starts = np.concatenate([starts, len(gids) + np.cumsum(added) - added])
            counts = np.concatenate([counts, added])
            gids = np.concatenate([gids, found["geonameid"].to_numpy(dtype=np.int64)])
            tiers = np.concatenate([tiers, found["tier"].to_numpy(dtype=np.int8)])
            known = known.append(pd.Index(new, dtype="str"))
            _CANDIDATES.clear()  # the locations of another gazetteer are not needed again
            _CANDIDATES[version] = (known, starts, counts, gids, tiers)
            where = known.get_indexer(locations)
    n = counts[where]
    first = np.repeat(starts[where] - (np.cumsum(n) - n), n) + np.arange(n.sum())
    return pd.DataFrame({"loc": np.repeat(np.arange(len(locations), dtype=np.int64), n),
                         "geonameid": gids[first], "tier": tiers[first]})


_NO_CANDIDATES = (pd.Index([], dtype="str"), np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64),
                  np.empty(0, np.int8))


def _compute_location_candidates(locations: pd.Series) -> pd.DataFrame:
    queries = _location_queries(locations)
    exact_table, loose_table = gazetteer.key_tables()
    by_exact = queries.merge(exact_table, on="key")
    by_loose = queries.drop(columns="key").rename(columns={"loose": "key"}).merge(loose_table, on="key")
    by_loose["tier"] = 2
    found = pd.concat([by_exact[["loc", "geonameid", "tier", "is_district"]],
                       by_loose[["loc", "geonameid", "tier", "is_district"]]], ignore_index=True)
    found["tier"] = found["tier"].where(~found["is_district"], 3).astype("int8")
    found = found.sort_values(["loc", "geonameid", "tier"]).drop_duplicates(["loc", "geonameid"])
    return found[["loc", "geonameid", "tier"]].reset_index(drop=True)


def _area_oblasts(locations: pd.Series) -> np.ndarray:
    """The canonical oblast a location such as "Donetsk oblast" names, else None (object array)."""
    return _AREA_OBLASTS.values(locations, tuple(config.COUNTRIES))


def _compute_area_oblasts(locations: pd.Series) -> np.ndarray:
    names_oblast = exact_keys(locations).str.contains(_OBLAST_RE, regex=True)
    oblast = normalise_admin1(locations.astype(object).where(names_oblast))
    oblast = oblast.where(oblast.isin(list(region_keys()))).to_numpy(dtype=object)
    return np.where(pd.isna(oblast), None, oblast)


_AREA_OBLASTS = TextMemo(_compute_area_oblasts, object)  # per location text, for the project's countries


# ================================================================ ranking
def _ranked_pair_candidates(pairs: pd.DataFrame, candidates: pd.DataFrame) -> pd.DataFrame:
    """Candidates of each (location, oblast) pair, sorted by pair then preference without coordinates.

    ``pairs`` has columns pair, loc, code (the pair's region key or "") and country (the rows' country);
    only candidates in that country are kept.
    Adds oblast_rank: 0 same region (or the pair has none), 1 paired city/region, 2 other.
    """
    gaz = gazetteer.shared()[["geonameid", "country", "region", "latitude", "longitude", "population"]]
    ranked = pairs.merge(candidates, on="loc").merge(gaz, on="geonameid", suffixes=("", "_place"))
    ranked = ranked[ranked["country"] == ranked["country_place"]].drop(columns="country_place")
    groups = region_groups()
    same = ranked["region"] == ranked["code"]
    group = ranked["region"].map(groups) == ranked["code"].map(groups)
    unknown = ranked["code"] == ""
    ranked["oblast_rank"] = np.select([same | unknown, group], [0, 1], 2).astype("int8")
    ranked = ranked.sort_values(["pair", "oblast_rank", "tier", "population", "geonameid"],
                                ascending=[True, True, True, False, True], kind="stable")
    return ranked.reset_index(drop=True)


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
    dist = haversine_km(lat[rep], lon[rep], ranked["latitude"].to_numpy()[cand], ranked["longitude"].to_numpy()[cand])
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


# ================================================================ matching
def _oblast_numbers(admin1: pd.Series) -> np.ndarray:
    """Per row, the number of a canonical region (1 + its place in ``region_keys()``; 0 = none)."""
    number = {name: i + 1 for i, name in enumerate(region_keys())}
    codes, uniques = pd.factorize(admin1, use_na_sentinel=True)
    numbers = [number.get(value, 0) for value in uniques] + [0]
    return np.asarray(numbers, dtype=np.int64)[codes]


def _country_numbers(country: pd.Series) -> np.ndarray:
    """Per row, the place of its country in ``config.COUNTRIES`` (-1: another country)."""
    codes, uniques = pd.factorize(country, use_na_sentinel=True)  # a few distinct values: look those up
    numbers = pd.Index(list(config.COUNTRIES)).get_indexer(np.asarray(uniques, dtype=object))
    return np.append(numbers, -1)[codes]


def _pair_table(loc_codes: np.ndarray, oblast_numbers: np.ndarray,
                country_numbers: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
    """Row -> pair number, and the unique (location, region, country) pairs: pair, loc, code (region key,
    "" = none), country."""
    keys = list(region_keys().values())
    n_regions, n_countries = len(keys) + 1, len(config.COUNTRIES)
    row_pair, pair_keys = pd.factorize((loc_codes.astype(np.int64) * n_regions + oblast_numbers) * n_countries
                                       + country_numbers)
    pair_keys = np.asarray(pair_keys, dtype=np.int64)
    region = (pair_keys // n_countries) % n_regions
    codes = [keys[r - 1] if r else "" for r in region]
    return row_pair, pd.DataFrame({"pair": np.arange(len(pair_keys)), "loc": pair_keys // n_countries // n_regions,
                                   "code": codes,
                                   "country": np.asarray(config.COUNTRIES, dtype=object)[pair_keys % n_countries]})


def _resolve_rows(loc_codes: np.ndarray, locations: pd.Series, oblast_numbers: np.ndarray, country_numbers: np.ndarray,
                  lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: geonameid (-1 = none), match tier (index into _TIERS) and distance (km).

    ``loc_codes`` number each row's location in ``locations`` (unique strings);
    ``oblast_numbers`` are the rows' region numbers (0 = unknown), ``country_numbers`` their countries'.
    """
    row_pair, pairs = _pair_table(loc_codes, oblast_numbers, country_numbers)
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


def _blank_codes(values: pd.Series) -> tuple[np.ndarray, pd.Series, np.ndarray]:
    """factorize: codes, unique values as str, and per row whether the value is missing or blank."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    uniques = pd.Series(np.asarray(uniques, dtype=object), dtype="str")
    blank = np.append(uniques.str.strip().eq("").to_numpy(dtype=bool), True)
    return codes, uniques, blank[codes]


def _gazetteer_lookup(gid: np.ndarray, column: str) -> pd.Series:
    """The gazetteer's ``column`` (a string column) for each geonameid; missing where gid < 0."""
    gaz = gazetteer.shared()
    # a hash lookup: searchsorted into the sorted ids took 8 times as long on a chunk's 100,000 rows
    return _take_str(gaz[column].tolist(), pd.Index(gaz["geonameid"]).get_indexer(gid))


def _take_str(labels: list[str], positions: np.ndarray) -> pd.Series:
    """A str Series of ``labels[position]``, missing where position is -1 (fast for millions of rows)."""
    array = pd.array(labels, dtype="str")
    return pd.Series(array.take(positions, allow_fill=True))


def _place_columns(events: pd.DataFrame, admin1: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    """The place columns of every row, and admin1 filled where it was missing and is now known."""
    loc_codes, locations, no_location = _blank_codes(events["location"])
    country_numbers = _country_numbers(events["country"])
    in_country = country_numbers >= 0
    outside, water = off_land(events)
    todo = np.flatnonzero(~no_location & in_country & ~outside & ~water)  # at sea or abroad: no settlement
    n = len(events)
    gid, tier, dist = np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64), np.full(n, np.nan)
    area = np.full(n, None, dtype=object)
    if len(todo):
        gid[todo], tier[todo], dist[todo] = _resolve_rows(
            loc_codes[todo], locations, _oblast_numbers(admin1)[todo], country_numbers[todo],
            coordinates(events, "latitude")[todo], coordinates(events, "longitude")[todo])
        area[todo] = _area_oblasts(locations)[loc_codes[todo]]
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
    fill = np.where(pd.isna(fill), _source_region_names(gid, admin1), fill)
    fill = np.where(pd.isna(fill), area, fill)
    return columns.set_axis(events.index), _fill_admin1(admin1, fill)


def _source_region_names(gid: np.ndarray, admin1: pd.Series) -> np.ndarray:
    """Per row, the sources' name of the region of its matched settlement, for countries without region data.

    A GeoNames admin1 code of such a country is named by the spelling most rows matched to a settlement
    in it give (ties: the first in alphabetical order), among the rows at hand; None elsewhere.
    """
    names = np.full(len(gid), None, dtype=object)
    derived = [f"{place.iso2}." for place in countries.configured() if not place.has_data]
    if not derived or not (gid >= 0).any():
        return names
    region = _gazetteer_lookup(gid, "region")
    given = ~_blank_codes(admin1)[2] & region.str.startswith(tuple(derived)).fillna(False).to_numpy(dtype=bool)
    known = pd.DataFrame({"region": region[given].to_numpy(), "admin1": admin1.to_numpy(dtype=object)[given]})
    counts = known.groupby(["region", "admin1"]).size().rename("n").reset_index()
    best = counts.sort_values(["region", "n", "admin1"], ascending=[True, False, True]).drop_duplicates("region")
    found = region.map(dict(zip(best["region"], best["admin1"]))).to_numpy(dtype=object)
    return np.where(pd.isna(found), None, found)


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
    pairs = pd.DataFrame({"pair": [0], "loc": [0], "code": [region_keys().get(oblast, "")],
                          "country": [config.COUNTRY]})
    ranked = _ranked_pair_candidates(pairs, _location_candidates(pd.Series([name], dtype="str")))
    has_xy = not (pd.isna(latitude) or pd.isna(longitude))
    ranked["distance_km"] = haversine_km(np.full(len(ranked), latitude if has_xy else np.nan),
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
    gaz = gazetteer.shared().set_index("geonameid")
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
    return _ranked(unmatched.groupby(["location", "admin1"], dropna=False, sort=False).size())


def combine_unmatched(summaries: list[pd.DataFrame]) -> pd.DataFrame:
    """:func:`unmatched_summary` of a table from the summaries of its parts (row groups read one at a time)."""
    whole = pd.concat(summaries, ignore_index=True)
    return _ranked(whole.groupby(["location", "admin1"], dropna=False, sort=False)["rows"].sum())


def _ranked(counts: pd.Series) -> pd.DataFrame:
    summary = counts.rename("rows").reset_index()
    summary["rows"] = summary["rows"].astype("int64")
    summary = summary.sort_values(["rows", "location", "admin1"], ascending=[False, True, True], na_position="last")
    return summary.reset_index(drop=True)
