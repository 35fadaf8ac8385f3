"""Distances on the Earth and the country's land extent.

:func:`haversine_km` is the package's one distance function (one Earth
radius, :data:`EARTH_RADIUS_KM`): the matcher's distance checks, the
``place_distance_km`` column and the event map's city spacing all use it.
:func:`off_land` flags rows at sea or just across a border, which are kept,
warned about and never matched to a settlement.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import countries
from analysis.places.names import TextMemo, exact_keys

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG), in kilometres


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (numpy broadcasting; NaN in, NaN out)."""
    lat1, lon1, lat2, lon2 = (np.radians(a) for a in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def coordinates(events: pd.DataFrame, column: str) -> np.ndarray:
    """A coordinate column as float64 degrees, NaN where missing or not a number."""
    values = events[column]
    if not pd.api.types.is_numeric_dtype(values.dtype):
        values = pd.to_numeric(values, errors="coerce")
    return values.astype("float64").to_numpy(na_value=np.nan)


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
    water = _WATER.values(pd.Series(np.asarray(uniques, dtype=object), dtype="str"))
    return np.append(water, False)[codes]


def _names_water(locations: pd.Series) -> np.ndarray:
    return exact_keys(locations).str.contains(_WATER_RE, regex=True).fillna(False).to_numpy(dtype=bool)


_WATER = TextMemo(_names_water, bool)  # the build asks twice per chunk: to warn, and to match


def off_land(events: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Rows coded to a project country: (coordinates outside its land extent, location naming water).

    The land extent is :func:`analysis.countries.land_box` (data); farther than
    its region extent the schema rejects the row, so what is flagged here lies
    at sea or just across a border.  Inside the extent, events at sea are told
    by their location names (no coastline is shipped).  Such rows are kept,
    warned about, and never matched to a settlement.
    """
    lat, lon = coordinates(events, "latitude"), coordinates(events, "longitude")
    in_country = np.zeros(len(events), dtype=bool)
    outside = np.zeros(len(events), dtype=bool)
    for place in countries.configured():
        box = countries.land_box(place)
        rows = events["country"].eq(place.name).fillna(False).to_numpy(dtype=bool)
        with np.errstate(invalid="ignore"):
            inside = ((lat >= box["lat_min"]) & (lat <= box["lat_max"]) & (lon >= box["lon_min"])
                      & (lon <= box["lon_max"]))
        in_country |= rows
        outside |= rows & ~np.isnan(lat) & ~np.isnan(lon) & ~inside
    return outside, in_country & is_water_location(events["location"])


def _whose_land() -> str:
    """ "Ukraine's" for one country, else "their country's"."""
    configured = countries.configured()
    return f"{configured[0].name}'s" if len(configured) == 1 else "their country's"


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
                      f"coordinates lie outside {_whose_land()} land extent (at sea or just across a border); "
                      "kept as the source coded it, place left unmatched")
    if water.any():
        failures.warn(water, events["location"], location, WARN_WATER_LOCATION,
                      "the location names a sea, strait or island off the coast, not a settlement; kept as the "
                      "source coded it, place left unmatched")

