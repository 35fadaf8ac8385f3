"""The four charts of metric tables: attacks per day, a breakdown by group, civilian harm by settlement,
and missiles and drones launched and destroyed.

Each builder takes the frame a metric returns (:mod:`analysis.metrics`),
draws it in the house style (:mod:`analysis.figures.style`), lays it out
(:func:`analysis.figures.layout.finish`) and records the numbers it drew and
an alt-text sentence.  Unknown numbers are never drawn as zero: they are left
out and said so.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch

from analysis import wording
from analysis.errors import ParameterError
from analysis.figures import axes, layout, words
from analysis.figures.style import (BLUE, OTHER, SKY, SKY_LIGHT, VERMILLION, VERMILLION_LIGHT, group_colors,
                                    styled)


# ================================================================ attacks per day
def _attacks_table(daily: pd.DataFrame) -> pd.DataFrame:
    """The columns the attacks chart draws, in date order, one row per day."""
    if daily["event_date"].duplicated().any():
        raise ParameterError("attacks_per_day_chart: several rows per day (a by= breakdown?); draw it with "
                             "breakdown_chart(daily, by=...)")
    columns = [c for c in ("event_date", "attacks", "attacks_imprecise_date", "attacks_rolling_mean") if c in daily]
    return daily[columns].sort_values("event_date", kind="stable").reset_index(drop=True)


def _attacks_alt(table: pd.DataFrame, kind: str, average: str) -> str:
    dates, attacks = table["event_date"], table["attacks"].to_numpy()
    span = wording.day_range(dates.iloc[0], dates.iloc[-1])
    text = f"{'Bar' if kind == 'bar' else 'Line'} chart of attacks per day from {span}."
    total = int(attacks.sum())
    if total == 0:
        return text + " No attacks were recorded in the period."
    peak = attacks.max()
    peak_days = dates[attacks == peak]
    text += f" The highest was {words.n(peak)} on {wording.day(peak_days.iloc[0])}"
    if len(peak_days) > 1:
        text += f" (and on {words.plural(len(peak_days) - 1, 'other day')})"
    rolling = axes.floats(table["attacks_rolling_mean"]) if "attacks_rolling_mean" in table else np.array([np.nan])
    if not np.isnan(rolling[-1]):
        text += f"; the {average} was {rolling[-1]:.1f} at the end of the period"
    text += f". In all, {words.plural(total, 'attack')}"
    imprecise = int(table["attacks_imprecise_date"].sum()) if "attacks_imprecise_date" in table else 0
    if imprecise:
        text += f", {words.n(imprecise)} of them dated only approximately by the source"
    return text + "."


@styled
def attacks_per_day_chart(daily: pd.DataFrame, title: str | None = None, subtitle: str | None = None,
                          kind: str = "bar", window: int | None = None) -> Figure:
    """Attacks per day (``metrics.attacks_per_day``) as bars or a line, with the rolling mean as a line.

    Attacks the source dates only approximately (``attacks_imprecise_date``)
    are drawn as a lighter top part of each bar.  ``window`` names the rolling
    mean's length in days for the legend and alt text (default:
    ``daily.attrs["rolling_days"]`` when the metric records it).
    """
    layout.require(daily, ["event_date", "attacks"], "attacks_per_day_chart", "metrics.attacks_per_day")
    if kind not in ("bar", "line"):
        raise ParameterError(f"kind={kind!r}; choose 'bar' or 'line'")
    table = _attacks_table(daily)
    window = window or daily.attrs.get("rolling_days")
    average = f"{window}-day average" if window else "rolling average"
    first, last = table["event_date"].iloc[0], table["event_date"].iloc[-1]
    x, attacks = axes.num(table["event_date"]), table["attacks"].to_numpy(dtype="float64")
    fig, ax = layout.new_figure(4.2)
    handles, labels = [], []
    if kind == "bar":
        imprecise = table["attacks_imprecise_date"].to_numpy(dtype="float64") if "attacks_imprecise_date" in table \
            else np.zeros(len(table))
        width = axes.bar_width(len(table), 1)
        handles.append(ax.bar(x, attacks - imprecise, width, color=SKY, label="Attacks"))
        labels.append("Attacks")
        if imprecise.any():
            handles.append(ax.bar(x, imprecise, width, bottom=attacks - imprecise, color=SKY_LIGHT,
                                  label="Attacks dated approximately"))
            labels.append("Of which dated only approximately")
    else:
        alone = "attacks_rolling_mean" not in table
        handles += ax.plot(x, attacks, color=BLUE if alone else SKY, linewidth=1.8 if alone else 1.1, label="Attacks")
        labels.append("Attacks")
    if "attacks_rolling_mean" in table:
        handles += ax.plot(x, axes.floats(table["attacks_rolling_mean"]), color=BLUE, linewidth=2.2, label=average)
        labels.append(average[0].upper() + average[1:])
    axes.date_axis(ax, first, last)
    axes.count_axis(ax, attacks.max())
    if len(handles) > 1:
        layout.top_legend(ax, handles, labels)
    return layout.finish(fig, ax, layout.provenance_of(daily), kind="attacks_per_day",
                          title=title or f"Attacks per day, {wording.day_range(first, last, short=True)}",
                          subtitle=subtitle or "Attack events recorded each day, counted on the day each began",
                          notes=(), alt=_attacks_alt(table, kind, average), plotted=table)


# ================================================================ breakdown
def _date_column(frame: pd.DataFrame) -> str:
    for column in ("event_date", "period_start_date", "count_date"):
        if column in frame:
            return column
    raise ParameterError("breakdown_chart needs a date column: event_date (metrics.attacks_per_day), "
                         "period_start_date (metrics.summarise_events) or count_date (metrics.air_attacks_per_day)")


def _wide_by_group(rows: pd.DataFrame, date: str, by: str, value: str, top: int) -> pd.DataFrame:
    """Periods x groups, groups ordered by total (desc) then name, groups totalling 0 left out;
    beyond ``top`` folded into 'Other'."""
    groups = words.group_labels(rows[by])
    wide = rows.assign(_group=groups).pivot_table(index=date, columns="_group", values=value, aggfunc="sum",
                                                 fill_value=0, observed=True, dropna=False)
    wide = wide.astype("float64").rename_axis(columns=None)
    totals = wide.sum()
    order = sorted((g for g in wide.columns if totals[g] != 0), key=lambda g: (-totals[g], str(g)))
    wide = wide[order or list(wide.columns[:1])]  # groups with nothing to draw are left out
    if len(order) > top:
        kept = order[:max(top - 1, 1)]
        wide = wide[kept].assign(**{OTHER: wide[order[len(kept):]].sum(axis=1)})
    integral = bool((wide.to_numpy() == np.round(wide.to_numpy())).all())
    return wide.astype("int64") if integral else wide


def _breakdown_alt(wide: pd.DataFrame, kind: str, what: str, by: str, step: int, first, last) -> str:
    period = words.period_word(step)
    text = (f"Stacked {'bar' if kind == 'bar' else 'area'} chart of {what.lower()} per {period} by {words.label(by)} "
            f"from {wording.day_range(first, last)}.")
    totals = wide.sum()
    total = totals.sum()
    if total == 0:
        return text + f" The total is 0 in every {period}."
    lead = totals.index[0]
    text += (f" {lead} accounted for the most, {words.n(totals.iloc[0])} of {words.n(total)} "
             f"({totals.iloc[0] / total:.0%})")
    others = [f"{g} ({words.n(v)})" for g, v in totals.iloc[1:4].items()]
    if others:
        text += "; followed by " + ", ".join(others)
    per_period = wide.sum(axis=1)
    return text + f". The highest total was {words.n(per_period.max())} {words.when(per_period.idxmax(), step)}."


@styled
def breakdown_chart(frame: pd.DataFrame, by: str = "event_type", value: str = "attacks", kind: str = "bar",
                    top: int = 6, title: str | None = None, subtitle: str | None = None) -> Figure:
    """Stacked bars (or areas) of ``value`` per period, one layer per group of ``by``.

    Takes ``metrics.attacks_per_day(..., by=...)`` (daily), ``metrics.summarise_events``
    (weekly/monthly; other grouping columns are summed over) or
    ``metrics.air_attacks_per_day`` (``by="weapon_category"``).  Groups are
    ordered by total (largest at the bottom) then name; beyond ``top`` they are
    folded into "Other".  Unknown values are left out and said so in a note.
    """
    date = _date_column(frame)
    layout.require(frame, [date, by, value], "breakdown_chart", "metrics.attacks_per_day(by=...)")
    if kind not in ("bar", "area"):
        raise ParameterError(f"kind={kind!r}; choose 'bar' or 'area'")
    rows = frame
    if by == "weapon_category" and rows[by].nunique() > 1:
        rows = rows[rows[by] != "all"]  # 'all' is the total of the others
    if by == "weapon_category":
        rows = rows.assign(weapon_category=rows[by].map(lambda c: words.WEAPONS.get(c, c)))
    wide = _wide_by_group(rows, date, by, value, top)
    step = axes.step_days(rows[date])
    what = words.VALUES.get(value, value.replace("_", " ").capitalize())
    values = wide.to_numpy(dtype="float64")
    colors = group_colors(list(wide.columns))
    fig, ax = layout.new_figure(4.4)
    if step == 1:
        x, width = axes.num(wide.index), np.full(len(wide), axes.bar_width(len(wide), 1))
        axes.date_axis(ax, wide.index[0], wide.index[-1])
    else:
        x, width = axes.period_axis(ax, pd.DatetimeIndex(wide.index), step)
    if kind == "bar":
        bottoms = np.cumsum(values, axis=1) - values
        handles = [ax.bar(x, values[:, i], width, bottom=bottoms[:, i], color=colors[i], label=str(group))
                   for i, group in enumerate(wide.columns)]
    else:
        handles = ax.stackplot(x, values.T, colors=colors, labels=[str(g) for g in wide.columns], linewidth=0)
    axes.count_axis(ax, values.sum(axis=1).max())
    layout.top_legend(ax, handles, [str(g) for g in wide.columns])
    notes = _breakdown_notes(rows, value)
    prov = layout.provenance_of(frame)
    first, last = axes.covered(wide.index[0], axes.period_end(wide.index[-1], step), prov)
    plotted = wide.rename_axis(date).reset_index()
    return layout.finish(fig, ax, prov, kind="breakdown",
                          title=title or f"{what} per {words.period_word(step)} by {words.label(by)}, "
                                         f"{wording.day_range(first, last, short=True)}",
                          subtitle=subtitle or f"Stacked by {words.label(by)}; the largest group at the bottom",
                          notes=notes, alt=_breakdown_alt(wide, kind, what, by, step, first, last), plotted=plotted)


def _breakdown_notes(rows: pd.DataFrame, value: str) -> list[str]:
    """Say what is unknown instead of drawing it as zero."""
    notes = []
    unknown = int(rows[value].isna().sum())
    if unknown:
        notes.append(f"{words.label(value).capitalize()} unknown in {words.plural(unknown, 'row')} of the table; "
                     "those are left out, not counted as zero.")
    if value == "fatalities" and "events_fatalities_unknown" in rows:
        events = int(rows["events_fatalities_unknown"].sum())
        if events:
            notes.append(f"{words.plural(events, 'event')} with no number of fatalities are not counted.")
    return notes


# ================================================================ civilian harm
def _rank_cities(by_city: pd.DataFrame) -> pd.DataFrame:
    """Settlements by civilians killed (unknown last), then incidents, then name (as the metric sorts)."""
    return by_city.sort_values(["civilians_killed", "incidents", "settlement", "admin1"],
                               ascending=[False, False, True, True], na_position="last", kind="stable")


def _place_label(rows: pd.DataFrame) -> list[str]:
    """'Kramatorsk (Donetsk)'; an asterisk marks places not matched to the gazetteer."""
    admin1 = rows["admin1"].astype("object").where(rows["admin1"].notna(), None)
    star = ~rows["is_place_matched"].astype(bool) if "is_place_matched" in rows else pd.Series(False, rows.index)
    return [f"{s}{'*' if m else ''}" + (f" ({a})" if a and a != s else "")
            for s, a, m in zip(rows["settlement"], admin1, star)]


def _harm_texts(values: np.ndarray, unknown: np.ndarray) -> list[str]:
    """'14', '14; 2 incidents with unknown toll', or '2 incidents with unknown toll' (never a 0 for unknown)."""
    return ["; ".join(([words.n(v)] if not np.isnan(v) else []) + ([f"{words.plural(u, 'incident')} with unknown toll"]
                                                               if u else [])) or "unknown"
            for v, u in zip(values, unknown)]


def _harm_label(ax: Axes, x: float, y: float, text: str, unknown: int) -> None:
    ax.annotate(text, (x, y), xytext=(3, 0), textcoords="offset points", va="center", ha="left", fontsize=7.5,
                color="#333333", annotation_clip=False, gid="analysis-unknown-toll" if unknown else None)


def _text_width_in(fig: Figure, text: str, size: float) -> float:
    renderer = fig.canvas.get_renderer()
    return renderer.get_text_width_height_descent(text, FontProperties(size=size), ismath=False)[0] / renderer.dpi


def _harm_xmax(fig: Figure, values: np.ndarray, texts: list[str], ticklabels: list[str]) -> float:
    """The x-limit at which every bar plus its label fits inside the axes (widths measured)."""
    tick_size = mpl.rcParams["ytick.labelsize"]
    ticks_in = max(_text_width_in(fig, t, tick_size) for t in ticklabels)
    axes_in = fig.get_figwidth() - 2 * layout.MARGIN_IN - ticks_in - 0.2
    label_in = np.array([_text_width_in(fig, t, 7.5) for t in texts]) + 0.12
    share = np.clip(1 - label_in / axes_in, 0.15, 1)  # share of the axes width the bar may take
    return float(max(np.nanmax(np.append(np.nan_to_num(values) / share, 1.0)), 1.0))


def _harm_bars(ax: Axes, rows: pd.DataFrame, y: np.ndarray, h: float = 0.4) -> tuple[np.ndarray, list[str]]:
    """Killed (upper) and injured (lower) bars per row with their labels; returns the values and label texts.

    Unknown values get no bar; a row where both are unknown gets one centred label.
    """
    series = [(axes.floats(rows["civilians_killed"]), rows["incidents_killed_unknown"].to_numpy(), -h / 2, VERMILLION),
              (axes.floats(rows["civilians_injured"]), rows["incidents_injured_unknown"].to_numpy(), h / 2,
               VERMILLION_LIGHT)]
    both_unknown = np.isnan(series[0][0]) & np.isnan(series[1][0])
    label = ("Civilians killed", "Civilians injured")
    all_texts = []
    for (values, unknown, offset, color), name in zip(series, label):
        known = ~np.isnan(values)
        ax.barh(y[known] + offset, values[known], h, color=color, label=name)
        texts = _harm_texts(values, unknown)
        shown = ~both_unknown
        for yi, xi, text, u in zip((y + offset)[shown], np.nan_to_num(values)[shown],
                                   np.array(texts, dtype=object)[shown], unknown[shown]):
            _harm_label(ax, xi, yi, text, u)
        all_texts += texts
    unknown_rows = np.maximum(series[0][1], series[1][1])
    for yi, u in zip(y[both_unknown], unknown_rows[both_unknown]):
        _harm_label(ax, 0.0, yi, f"{words.plural(u, 'incident')} with unknown toll (killed and injured)", u)
    return np.concatenate([series[0][0], series[1][0]]), all_texts


def _harm_which(total: int, n: int, top: int) -> str:
    """Which settlements are shown, in words (the metric may already have cut the table to ``top``)."""
    if total > n or n == top:
        return f"Top {n} settlements by civilians killed, then by number of incidents"
    every = {1: "The only settlement", 2: "Both settlements"}.get(n, f"All {n} settlements")
    return f"{every} with civilian-harm incidents, by civilians killed"


@styled
def civilian_harm_chart(by_city: pd.DataFrame, top: int = 15, title: str | None = None,
                        subtitle: str | None = None) -> Figure:
    """Horizontal bars of civilians killed and injured per settlement (``metrics.civilian_harm_by_city``).

    The ``top`` settlements with most civilians killed, labelled "settlement
    (oblast)".  Where incidents give no number, the bar is not drawn as 0: the
    label says "n incidents with unknown toll".
    """
    columns = list(_civ_columns())
    layout.require(by_city, columns, "civilian_harm_chart", "metrics.civilian_harm_by_city")
    rows = _rank_cities(by_city).head(top).reset_index(drop=True)
    n = len(rows)
    y = np.arange(n, dtype="float64")
    fig, ax = layout.new_figure(1.75 + 0.36 * max(n, 3))
    ticklabels = _place_label(rows)
    values, texts = _harm_bars(ax, rows, y)
    ax.set_xlim(0, _harm_xmax(fig, values, texts, ticklabels))
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_yticks(y, labels=ticklabels)
    for label in ax.get_yticklabels():
        label.set_parse_math(False)  # place names from the data: '$' is a character, not mathtext
    ax.xaxis.set_visible(False)
    ax.grid(False)
    ax.spines[["bottom", "left"]].set_visible(False)
    ax.axvline(0, color="#555555", linewidth=0.8)
    layout.top_legend(ax, [Patch(color=VERMILLION), Patch(color=VERMILLION_LIGHT)],
                      ["Civilians killed", "Civilians injured"])
    first, last = rows["first_date"].min(), rows["last_date"].max()
    which = _harm_which(len(by_city), n, top)
    return layout.finish(fig, ax, layout.provenance_of(by_city), kind="civilian_harm",
                          title=title or f"Civilians killed and injured by settlement, "
                                         f"{wording.day_range(first, last, short=True)}",
                          subtitle=subtitle or which, notes=_harm_notes(rows), alt=_harm_alt(rows, which, first, last),
                          plotted=rows[columns])


def _civ_columns() -> tuple[str, ...]:
    return ("settlement", "admin1", "geonameid", "is_place_matched", "incidents", "civilians_killed",
            "civilians_injured", "incidents_killed_unknown", "incidents_injured_unknown", "first_date", "last_date")


def _harm_notes(rows: pd.DataFrame) -> list[str]:
    notes = ["Tolls add up the incidents that give a number; incidents that give none are counted as "
             "unknown, not as zero."]
    if (~rows["is_place_matched"].astype(bool)).any():
        notes.append("* Place not found in the GeoNames gazetteer; name as written by the source.")
    return notes


def _harm_alt(rows: pd.DataFrame, which: str, first, last) -> str:
    text = f"Horizontal bar chart of civilians killed and injured: {which[0].lower() + which[1:]}, " \
           f"{wording.day_range(first, last)}."
    lead = rows.iloc[0]
    place = _place_label(rows.head(1))[0].replace("*", "")
    killed = "an unknown number" if pd.isna(lead["civilians_killed"]) else words.n(lead["civilians_killed"])
    injured = "an unknown number" if pd.isna(lead["civilians_injured"]) else words.n(lead["civilians_injured"])
    text += (f" {place} had the most: {killed} killed and {injured} injured in "
             f"{words.plural(lead['incidents'], 'incident')}.")
    unknown = rows["incidents_killed_unknown"]
    if unknown.sum():
        text += (f" For {words.plural(unknown.sum(), 'incident')} in {words.plural((unknown > 0).sum(), 'settlement')} "
                 "the number of civilians killed is unknown.")
    return text


# ================================================================ air attacks
def _air_rows(daily_air: pd.DataFrame, category: str | None) -> pd.DataFrame:
    """One row per day: the chosen category, the 'all' rows, or the sum over categories."""
    columns = ["count_date", "weapon_category", "launched", "destroyed"]
    categories = sorted(daily_air["weapon_category"].dropna().unique())
    if category is not None:
        if category not in categories:
            raise ParameterError(f"weapon_category {category!r} is not in the table; it has: {', '.join(categories)}")
        rows = daily_air[daily_air["weapon_category"] == category][columns]
    elif "all" in categories or len(categories) == 1:
        rows = daily_air[daily_air["weapon_category"] == ("all" if "all" in categories else categories[0])][columns]
    else:
        rows = daily_air.groupby("count_date", as_index=False)[["launched", "destroyed"]].sum()
        rows = rows.assign(weapon_category="all")[columns]
    if rows["count_date"].duplicated().any():
        raise ParameterError("air_attacks_chart: several rows per day and category; pass metrics.air_attacks_per_day")
    rows = rows.sort_values("count_date", kind="stable").reset_index(drop=True)
    launched = rows["launched"].astype("float64")
    return rows.assign(share_destroyed=(rows["destroyed"] / launched.where(launched > 0)).astype("Float64"))


def _air_alt(rows: pd.DataFrame, what: str) -> str:
    first, last = rows["count_date"].iloc[0], rows["count_date"].iloc[-1]
    text = f"Bar chart of {what.lower()} launched and reported destroyed per day from {wording.day_range(first, last)}."
    launched, destroyed = int(rows["launched"].sum()), int(rows["destroyed"].sum())
    if launched == 0:
        return text + " None were reported launched in the period."
    peak = rows.loc[rows["launched"].idxmax()]
    return (text + f" In all, {words.n(launched)} were launched and {words.n(destroyed)} ({destroyed / launched:.0%}) "
            f"reported destroyed. The most launched on one day was {words.n(peak['launched'])} on "
            f"{wording.day(peak['count_date'])}.")


@styled
def air_attacks_chart(daily_air: pd.DataFrame, category: str | None = None, title: str | None = None,
                      subtitle: str | None = None) -> Figure:
    """Missiles and drones launched (wide light bars) and reported destroyed (narrow dark bars) per day.

    Takes ``metrics.air_attacks_per_day``; ``category`` picks one weapon
    category, else the 'all' rows are drawn or the categories are summed.
    """
    layout.require(daily_air, ["count_date", "weapon_category", "launched", "destroyed"], "air_attacks_chart",
                   "metrics.air_attacks_per_day")
    rows = _air_rows(daily_air, category)
    cat = rows["weapon_category"].iloc[0]
    what = words.WEAPONS.get(cat, f"{cat.capitalize()}")
    x = axes.num(rows["count_date"])
    width = axes.bar_width(len(rows), 1)
    fig, ax = layout.new_figure(4.2)
    launched = ax.bar(x, rows["launched"].to_numpy(dtype="float64"), width, color=SKY_LIGHT, label="Launched")
    destroyed = ax.bar(x, rows["destroyed"].to_numpy(dtype="float64"), width * 0.55, color=BLUE,
                       label="Reported destroyed")
    first, last = rows["count_date"].iloc[0], rows["count_date"].iloc[-1]
    axes.date_axis(ax, first, last)
    axes.count_axis(ax, rows["launched"].max())
    layout.top_legend(ax, [launched, destroyed], ["Launched", "Reported destroyed"])
    return layout.finish(fig, ax, layout.provenance_of(daily_air), kind="air_attacks",
                          title=title or f"{what} launched and reported destroyed, "
                                         f"{wording.day_range(first, last, short=True)}",
                          subtitle=subtitle or "Per report day (the day an overnight attack ends); numbers destroyed "
                                               "as claimed, not independently verified",
                          notes=(), alt=_air_alt(rows, what), plotted=rows)
