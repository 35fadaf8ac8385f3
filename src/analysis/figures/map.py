"""The event map: one dot per event at its reported location, without a basemap.

An equirectangular view (aspect 1/cos(mean latitude)) with a graticule, a
scale bar and the most populous gazetteer places in view for orientation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import patheffects, ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from analysis import countries, wording
from analysis.metrics import provenance
from analysis.figures import axes, layout, words
from analysis.figures.style import GREY, LIGHT_GREY, OTHER, TEXT, WIDTH_IN, group_colors, styled
from analysis.places import haversine_km, load_gazetteer
from analysis.metrics.provenance import Provenance

# GeoNames spellings of large cities that newsrooms write differently.
_CITY_NAMES = {"Zaporizhzhya": "Zaporizhzhia", "Mykolayiv": "Mykolaiv", "Vinnytsya": "Vinnytsia",
               "Kryvyy Rih": "Kryvyi Rih", "Kamyanske": "Kamianske", "Makiyivka": "Makiivka",
               "Syevyerodonetsk": "Sievierodonetsk", "Bilhorod-Dnistrovskyy": "Bilhorod-Dnistrovskyi"}
_MAP_COLUMNS = ("event_id", "event_date", "latitude", "longitude", "event_type", "sub_event_type", "fatalities",
                "is_casualties_unknown", "settlement", "admin1", "geo_precision", "source_dataset", "is_synthetic")


def _filter_events(events: pd.DataFrame, start, end) -> pd.DataFrame:
    """Events whose first day lies in [start, end] (either may be None)."""
    dates = pd.to_datetime(events["event_date"])
    keep = pd.Series(True, index=events.index)
    if start is not None:
        keep &= dates >= pd.Timestamp(start)
    if end is not None:
        keep &= dates < pd.Timestamp(end).normalize() + pd.Timedelta(days=1)
    return events[keep]


def _rows_provenance(rows: pd.DataFrame, events: pd.DataFrame) -> Provenance | None:
    """Provenance of exactly the rows drawn when the event columns allow it, else the frame's."""
    if {"source_dataset", "is_synthetic", "event_date"} <= set(rows.columns):
        return provenance.of_rows(rows)
    return layout.provenance_of(events, stacklevel=5)


def _view_extent(points: pd.DataFrame, extent) -> tuple[float, float, float, float]:
    """(lon_min, lon_max, lat_min, lat_max): given, 'country' (the project's countries' land), or the points
    padded and not too tall."""
    if isinstance(extent, str) and extent == "country" or (extent is None and points.empty):
        box = countries.union([countries.land_box(place) for place in countries.configured()])
        return box["lon_min"], box["lon_max"], box["lat_min"], box["lat_max"]
    if extent is not None:
        return tuple(float(v) for v in extent)
    lon, lat = points["longitude"].astype("float64"), points["latitude"].astype("float64")
    lat_mid, lat_half = (lat.min() + lat.max()) / 2, max(lat.max() - lat.min(), 0.8) * 0.56
    aspect = 1 / np.cos(np.radians(lat_mid))
    lon_half = max((lon.max() - lon.min()) * 0.56, lat_half * aspect * 1.25)  # at least 1.25 : 1 wide
    lon_mid = (lon.min() + lon.max()) / 2
    return lon_mid - lon_half, lon_mid + lon_half, lat_mid - lat_half, lat_mid + lat_half


def _major_cities(view: tuple[float, float, float, float], n: int) -> pd.DataFrame:
    """The ``n`` most populous gazetteer places inside the view, skipping those close to a bigger one
    (city districts and suburbs); columns name, latitude, longitude."""
    lon0, lon1, lat0, lat1 = view
    inset_lon, inset_lat = (lon1 - lon0) * 0.03, (lat1 - lat0) * 0.04
    g = load_gazetteer()
    inside = g[g["longitude"].between(lon0 + inset_lon, lon1 - inset_lon)
               & g["latitude"].between(lat0 + inset_lat, lat1 - inset_lat)]
    inside = inside.sort_values(["population", "geonameid"], ascending=[False, True], kind="stable").head(300)
    lat, lon = inside["latitude"].to_numpy(), inside["longitude"].to_numpy()
    width_km = haversine_km((lat0 + lat1) / 2, lon0, (lat0 + lat1) / 2, lon1)
    near = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :]) < max(15.0, 0.08 * width_km)
    # Prominence: how many languages name the place (cities have dozens of names, city districts a few),
    # then population.  A place near a more prominent one is left out (it is a district or a suburb).
    names = inside["alternatenames"].map(len).to_numpy(dtype="float64")
    prominence = names + inside["population"].to_numpy() / 1e9
    shadowed = (near & (prominence[None, :] > prominence[:, None])).any(axis=1)
    cities = inside[~shadowed].head(max(n, 0))
    return cities.assign(name=cities["name"].replace(_CITY_NAMES))[["name", "latitude", "longitude"]]


def _dot_sizes(points: pd.DataFrame, size_by: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Marker areas (pt^2) growing linearly with ``size_by``; and which values are unknown."""
    if size_by is None or size_by not in points:
        return np.full(len(points), 20.0), np.zeros(len(points), dtype=bool)
    values = axes.floats(points[size_by])
    unknown = np.isnan(values)
    if size_by == "fatalities" and "is_casualties_unknown" in points:
        unknown |= points["is_casualties_unknown"].fillna(False).to_numpy(dtype=bool)
    return np.clip(12 + 3 * np.nan_to_num(values), 12, 400) * ~unknown + 14 * unknown, unknown


def _scale_bar(ax: Axes, view: tuple[float, float, float, float]) -> None:
    """A kilometre scale bar in the lower left corner of the map."""
    lon0, lon1, lat0, lat1 = view
    lat = lat0 + (lat1 - lat0) * 0.06
    km_per_degree = 111.32 * np.cos(np.radians(lat))
    target = (lon1 - lon0) * km_per_degree * 0.18
    km = max(v for v in (1, 2, 5, 10, 20, 50, 100, 200, 500) if v <= max(target, 1))
    x0 = lon0 + (lon1 - lon0) * 0.03
    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    ax.plot([x0, x0 + km / km_per_degree], [lat, lat], color=TEXT, linewidth=1.6, solid_capstyle="butt",
            path_effects=halo, zorder=5)
    ax.annotate(f"{km} km", (x0, lat), xytext=(0, 3), textcoords="offset points", fontsize=7.5, color=TEXT,
                path_effects=halo, zorder=5)


def _size_key(points: pd.DataFrame, size_by: str | None) -> tuple[list, list[str]]:
    """Legend entries for two or three reference values of ``size_by`` (same areas as the dots)."""
    if size_by is None or size_by not in points:
        return [], []
    largest = np.nanmax(np.append(axes.floats(points[size_by]), 0))
    refs = [v for v in (1, 5, 10, 20, 50, 100) if v <= largest][-3:]
    if len(refs) < 2:
        return [], []
    word = "killed" if size_by == "fatalities" else words.label(size_by)
    handles = [Line2D([], [], linestyle="", marker="o", markersize=float(np.sqrt(min(12 + 3 * v, 400))),
                      markerfacecolor=LIGHT_GREY, markeredgewidth=0) for v in refs]
    return handles, [f"{v} {word}" for v in refs]


def _draw_events(ax: Axes, points: pd.DataFrame, color_by: str, size_by: str | None, top: int
                 ) -> tuple[list, list[str], list[str]]:
    """One scatter per category (filled) plus hollow rings where the size value is unknown.

    Returns legend handles and labels, and the category labels alone (for the alt text).
    """
    categories = words.group_labels(points[color_by]) if color_by in points else pd.Series("Events", index=points.index)
    counts = categories.value_counts()
    order = sorted(counts.index, key=lambda c: (-counts[c], c))
    if len(order) > top:
        categories = categories.where(categories.isin(order[:top - 1]), OTHER)
        order = order[:top - 1] + [OTHER]
        counts = categories.value_counts()
    sizes, unknown = _dot_sizes(points, size_by)
    rank = pd.Series(range(len(order)), index=order)
    drawn = points.assign(_cat=categories, _rank=categories.map(rank).to_numpy(), _s=sizes, _unknown=unknown)
    drawn = drawn.sort_values(["_rank", "_s"], ascending=[True, False], kind="stable")
    handles, labels = [], []
    for i, (category, color) in enumerate(zip(order, group_colors(order))):
        group = drawn[drawn["_cat"] == category]
        for hollow, subset in ((False, group[~group["_unknown"]]), (True, group[group["_unknown"]])):
            if len(subset):
                ax.scatter(subset["longitude"].astype("float64"), subset["latitude"].astype("float64"),
                           s=subset["_s"], zorder=2, alpha=0.9 if hollow else 0.6,
                           facecolors="none" if hollow else color, edgecolors=color,
                           linewidths=0.9 if hollow else 0, gid=f"analysis-events-{i}{'-unknown' if hollow else ''}")
        handles.append(Line2D([], [], linestyle="", marker="o", markersize=6, color=color, alpha=0.8))
        labels.append(f"{category} ({words.n(counts[category])})")
    categories_labels = list(labels)
    key_handles, key_labels = _size_key(points, size_by)
    handles, labels = handles + key_handles, labels + key_labels
    if unknown.any():
        handles.append(Line2D([], [], linestyle="", marker="o", markersize=6, markerfacecolor="none",
                              markeredgecolor=GREY))
        labels.append(f"{words.label(size_by).capitalize()} unknown")
    return handles, labels, categories_labels


def _draw_cities(ax: Axes, cities: pd.DataFrame, view: tuple[float, float, float, float]) -> None:
    """City markers under the event dots; labels above them with a white halo, turned inwards near the right edge."""
    halo = [patheffects.withStroke(linewidth=2.6, foreground="white")]
    ax.scatter(cities["longitude"], cities["latitude"], s=14, marker="s", facecolors=TEXT, edgecolors="white",
               linewidths=0.6, zorder=1.5, gid="analysis-cities")
    right = cities["longitude"].to_numpy() > view[0] + 0.78 * (view[1] - view[0])
    for name, lat, lon, flip in zip(cities["name"], cities["latitude"], cities["longitude"], right):
        ax.annotate(name, (lon, lat), xytext=(-4 if flip else 4, 3), textcoords="offset points",
                    ha="right" if flip else "left", fontsize=8, fontweight="bold", color=TEXT,
                    path_effects=halo, zorder=4, annotation_clip=True)


def _map_axes(ax: Axes, view: tuple[float, float, float, float]) -> None:
    """Equirectangular view: aspect 1/cos(mean latitude), degree ticks, light graticule, thin frame."""
    lon0, lon1, lat0, lat1 = view
    ax.set_xlim(lon0, lon1)
    ax.set_ylim(lat0, lat1)
    ax.set_aspect(1 / np.cos(np.radians((lat0 + lat1) / 2)), adjustable="box", anchor="NW")
    ax.grid(True, axis="both", color="#E4E4E4", linewidth=0.6)
    for axis, hemispheres in ((ax.xaxis, "EW"), (ax.yaxis, "NS")):
        axis.set_major_locator(ticker.MaxNLocator(nbins=6, steps=[1, 2, 5, 10]))
        axis.set_major_formatter(ticker.FuncFormatter(
            lambda v, _, h=hemispheres: f"{abs(v):g}°{h[0] if v >= 0 else h[1]}"))
    ax.spines[:].set_visible(True)
    ax.spines[:].set_color(LIGHT_GREY)
    ax.spines[:].set_linewidth(0.6)
    ax.tick_params(length=0, labelsize=7.5, labelcolor=GREY)


def _map_alt(points: pd.DataFrame, what: str, span: str, color_by: str, labels: list[str]) -> str:
    text = f"Map of {words.plural(len(points), what.lower()[:-1], what.lower())} from {span}, each a dot at its " \
           f"reported location"
    if points.empty:
        return f"Map with no {what.lower()} from {span}."
    text += f", coloured by {words.label(color_by)}: " + ", ".join(labels[:6]) + "."
    if "settlement" in points and points["settlement"].notna().any():
        places = points.assign(_admin1=points["admin1"] if "admin1" in points else "").groupby(
            ["settlement", "_admin1"], dropna=False).size().reset_index(name="n")
        lead = places.sort_values(["n", "settlement"], ascending=[False, True], kind="stable").iloc[0]
        where = f"{lead['settlement']}" + (f" ({lead['_admin1']})" if isinstance(lead["_admin1"], str)
                                           and lead["_admin1"] and lead["_admin1"] != lead["settlement"] else "")
        text += f" The settlement with the most is {where}, with {words.n(lead['n'])}."
    return text


def _map_notes(rows: pd.DataFrame, points: pd.DataFrame) -> list[str]:
    notes = []
    missing = len(rows) - len(points)
    if missing:
        notes.append(f"{words.plural(missing, 'event')} without coordinates are not shown.")
    if "geo_precision" in points:
        vague = int((~points["geo_precision"].isin(["settlement", "near_settlement"])).sum())
        if vague:
            notes.append(f"{words.n(vague)} of {words.n(len(points))} dots mark a district, oblast or approximate "
                         "location given by the source, not the exact place.")
    return notes


@styled
def event_map(events: pd.DataFrame, start=None, end=None, color_by: str = "event_type",
              size_by: str | None = "fatalities", cities: int = 10, extent=None, top: int = 6,
              title: str | None = None, subtitle: str | None = None) -> Figure:
    """A dot map of events (processed events table) whose first day lies between ``start`` and ``end``.

    No basemap: an equirectangular view (aspect 1/cos(mean latitude)) with a
    graticule, a scale bar and the ``cities`` most populous gazetteer places in
    view for orientation.  Dots are coloured by ``color_by`` (largest groups
    first, beyond ``top`` folded into "Other"); their area grows with
    ``size_by``; unknown values are hollow rings, not zero-sized dots.
    ``extent`` is (lon_min, lon_max, lat_min, lat_max), "country" (the land
    extent of the project's countries), or None (fit the events).
    """
    layout.require(events, ["event_date", "latitude", "longitude"], "event_map", "load_events()")
    rows = _filter_events(events, start, end)
    points = rows[rows["latitude"].notna() & rows["longitude"].notna()]
    view = _view_extent(points, extent)
    lon0, lon1, lat0, lat1 = view
    map_h = (WIDTH_IN - 0.8) * (lat1 - lat0) / np.cos(np.radians((lat0 + lat1) / 2)) / (lon1 - lon0)
    fig, ax = layout.new_figure(float(np.clip(map_h + 1.9, 3.6, 8.5)))
    _map_axes(ax, view)
    handles, labels, category_labels = _draw_events(ax, points, color_by, size_by, top)
    _draw_cities(ax, _major_cities(view, cities), view)
    _scale_bar(ax, view)
    if handles:
        layout.top_legend(ax, handles, labels)
    what = "Attacks" if "is_attack" in rows and len(rows) and rows["is_attack"].all() else "Events"
    dates = pd.to_datetime(rows["event_date"])
    first = pd.Timestamp(start) if start is not None else dates.min()
    last = pd.Timestamp(end) if end is not None else dates.max()
    dated = pd.notna(first) and pd.notna(last)
    sized = f"; dot area grows with {words.label(size_by)}" if size_by and size_by in points else ""
    return layout.finish(fig, ax, _rows_provenance(rows, events), kind="event_map",
                          title=title or f"{what} by location, "
                                         f"{wording.day_range(first, last, short=True) if dated else 'no dates'}",
                          subtitle=subtitle or f"Each dot is one event at its reported location, coloured by "
                                               f"{words.label(color_by)}{sized}",
                          notes=_map_notes(rows, points),
                          alt=_map_alt(points, what, wording.day_range(first, last) if dated else "the chosen period",
                                       color_by, category_labels),
                          plotted=_map_table(points, size_by))


def _map_table(points: pd.DataFrame, size_by: str | None) -> pd.DataFrame:
    """The events drawn, with the columns a reader needs to check them, in date order."""
    extra = [size_by] if size_by and size_by in points and size_by not in _MAP_COLUMNS else []
    columns = [c for c in _MAP_COLUMNS if c in points] + extra
    return points[columns].sort_values([c for c in ("event_date", "event_id") if c in columns], kind="stable")
