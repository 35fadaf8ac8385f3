"""Figures for articles: the house style, the layout every chart shares, one
builder per kind of chart, and :func:`save_figure`.

What belongs here: turning a metric table (:mod:`analysis.metrics`) or the
processed events into a publishable :class:`matplotlib.figure.Figure`, and
writing that figure with its data and alt text.  What does not: computing
numbers (``metrics``), reading data (``loaders``), notebooks and reports.

Rules every figure follows:

* built on :class:`matplotlib.figure.Figure` directly, on an Agg canvas: no
  pyplot, no GUI backend, no global figure registry, never shown.  Safe in
  headless notebooks and batch runs (a figure is freed when dropped);
* drawn in the house style (``analysis/styles/house.mplstyle``, also loadable
  as ``plt.style.use("analysis.styles.house")``);
* title and subtitle top left, notes and the source line bottom left, all
  flush with the left edge of the chart's tick labels;
* the source line is computed from the data's provenance
  (:func:`analysis.provenance.get`), never typed by the caller; data without
  provenance get "Source: unknown." and a warning;
* a large "SYNTHETIC DATA" mark across the figure exactly when the provenance
  says synthetic rows are included;
* unknown numbers are never drawn as zero: they are left out and said so;
* every builder records the numbers it drew and an alt-text sentence
  (:class:`ChartRecord`, :func:`chart_record`); :func:`save_figure` writes
  them beside the images, byte-identically across runs and processes.

Example::

    from analysis import metrics, plots
    daily = metrics.attacks_per_day(events, start="2023-01-01", end="2023-06-30", rolling=7)
    fig = plots.attacks_per_day_chart(daily, window=7)
    plots.save_figure(fig, "figures/attacks_per_day")   # .png .svg .csv .alt.txt

Builders are not thread-safe (matplotlib's rcParams are process-global while
a figure is built or saved); use processes for parallel batch runs.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
import warnings
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import matplotlib as mpl
import matplotlib.style
import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib import patheffects, ticker, transforms
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from analysis import config, provenance, storage
from analysis.errors import ParameterError
from analysis.provenance import Provenance

__all__ = [
    "STYLE", "PALETTE", "ChartRecord", "use_house_style", "house_style", "new_figure", "finish_figure",
    "chart_record", "attacks_per_day_chart", "breakdown_chart", "civilian_harm_chart", "air_attacks_chart",
    "event_map", "save_figure",
]

STYLE = "analysis.styles.house"
WIDTH_IN = 6.5  # article width
# Okabe-Ito colours (Okabe & Ito 2008), in the order categories receive them.
BLUE, VERMILLION, GREEN, ORANGE, SKY, PURPLE, BLACK, YELLOW = (
    "#0072B2", "#D55E00", "#009E73", "#E69F00", "#56B4E9", "#CC79A7", "#000000", "#F0E442")
PALETTE = (BLUE, VERMILLION, GREEN, ORANGE, SKY, PURPLE)
TEXT, GREY, LIGHT_GREY = "#222222", "#6B6B6B", "#C4C4C4"
SKY_LIGHT, VERMILLION_LIGHT = "#B9DDF3", "#F0B999"  # lighter tints for secondary series
NOT_GIVEN = "(not given)"  # metrics.UNKNOWN_GROUP
OTHER = "Other"
SYNTHETIC_MARK = "SYNTHETIC DATA"
UNKNOWN_SOURCE = "Source: unknown."
FORMATS = ("png", "svg", "pdf")

_RECORD_ATTR = "_analysis_chart"
_MARGIN_IN = 0.18  # outer margin of every figure
_GAP_IN = 0.10  # between the title block / notes and the chart
_TEXT_STYLE = {  # role -> Text properties
    "title": {"fontsize": 13.5, "fontweight": "bold", "color": TEXT},
    "subtitle": {"fontsize": 10, "color": "#3A3A3A"},
    "note": {"fontsize": 7.5, "color": GREY},
    "source": {"fontsize": 7.5, "color": GREY},
}
# Never break a line before a month, a year or a dash: '1 Jan 2023' and '1 Jan –' stay together.
_BREAK = re.compile(r" (?!(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b|\d{4}\b|–)")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_LABELS = {"event_type": "event type", "sub_event_type": "event sub-type", "admin1": "oblast",
           "weapon_category": "weapon", "source_dataset": "source", "violence_type": "type of violence",
           "events_fatalities_unknown": "events with unknown fatalities"}
_VALUES = {"launched": "Missiles and drones launched", "destroyed": "Missiles and drones reported destroyed",
           "civilians_killed": "Civilians killed", "events_fatalities_unknown": "Events with unknown fatalities"}
_WEAPONS = {"all": "Missiles and drones", "drone": "Drones", "cruise missile": "Cruise missiles",
            "ballistic missile": "Ballistic missiles", "guided aerial bomb": "Guided aerial bombs",
            "anti-ship missile": "Anti-ship missiles", "surface-to-air missile": "Surface-to-air missiles",
            "aircraft": "Aircraft", "other": "Other weapons", "unknown": "Weapons of unknown type"}
# GeoNames spellings of large cities that newsrooms write differently.
_CITY_NAMES = {"Zaporizhzhya": "Zaporizhzhia", "Mykolayiv": "Mykolaiv", "Vinnytsya": "Vinnytsia",
               "Kryvyy Rih": "Kryvyi Rih", "Kamyanske": "Kamianske", "Makiyivka": "Makiivka",
               "Syevyerodonetsk": "Sievierodonetsk", "Bilhorod-Dnistrovskyy": "Bilhorod-Dnistrovskyi"}


# ================================================================ style
@functools.lru_cache(maxsize=1)
def _house_params() -> dict:
    path = importlib.resources.files("analysis.styles") / "house.mplstyle"
    return dict(mpl.rc_params_from_file(path, use_default_template=False))


def use_house_style() -> None:
    """Switch the whole session to the house style (matplotlib defaults + house.mplstyle)."""
    matplotlib.style.use(["default", _house_params()])


@contextmanager
def house_style() -> Iterator[None]:
    """Apply the house style temporarily, on top of matplotlib's defaults (not the user's matplotlibrc)."""
    with matplotlib.style.context(["default", _house_params()]):
        yield


def _styled(builder):
    """Run a figure builder inside :func:`house_style`."""
    @functools.wraps(builder)
    def wrapper(*args, **kwargs):
        with house_style():
            return builder(*args, **kwargs)
    return wrapper


# ================================================================ words and numbers
def _day(value, long: bool = False, year: bool = True) -> str:
    """'5 Mar 2023' (long: '5 March 2023'), English whatever the locale."""
    t = pd.Timestamp(value)
    month = _MONTHS[t.month - 1] if long else _MONTHS[t.month - 1][:3]
    return f"{t.day} {month} {t.year}" if year else f"{t.day} {month}"


def _span(first, last, long: bool = False) -> str:
    """'1 Jan – 30 Jun 2023' (long: '1 January to 30 June 2023'); the year once when shared."""
    first, last = pd.Timestamp(first), pd.Timestamp(last)
    if first.normalize() == last.normalize():
        return _day(first, long)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}{' to ' if long else '–'}{_day(last, long)}"  # '1–9 Mar 2023'
    return f"{_day(first, long, year=first.year != last.year)}{' to ' if long else ' – '}{_day(last, long)}"


def _n(value) -> str:
    return f"{int(round(float(value))):,}"


def _plural(count, word: str, plural: str | None = None) -> str:
    return f"{_n(count)} {word if int(count) == 1 else plural or word + 's'}"


def _label(column: str) -> str:
    return _LABELS.get(column, column.replace("_", " "))


def _floats(values) -> np.ndarray:
    """A column as float64 with NaN for unknown (<NA>) values."""
    return pd.Series(values).to_numpy(dtype="float64", na_value=np.nan)


def _num(dates) -> np.ndarray:
    """Dates as matplotlib date numbers (days)."""
    return mdates.date2num(np.asarray(pd.to_datetime(pd.Series(dates)).to_numpy(), dtype="datetime64[ms]"))


# ================================================================ figures, records, layout
@dataclass(frozen=True, eq=False)
class ChartRecord:
    """What a finished figure knows about itself; :func:`save_figure` writes it beside the images.

    ``data`` is the table of the numbers drawn (written as ``<stem>.csv``),
    ``alt_text`` the description of the chart ending with the source line.
    """

    kind: str
    title: str
    source_line: str
    is_synthetic: bool
    alt_text: str
    data: pd.DataFrame


def chart_record(fig: Figure) -> ChartRecord | None:
    """The record a builder or :func:`finish_figure` attached to ``fig``, or None."""
    return getattr(fig, _RECORD_ATTR, None)


def new_figure(height: float = 4.2, width: float = WIDTH_IN) -> tuple[Figure, Axes]:
    """A figure with one axes on an Agg canvas (no pyplot); call inside :func:`house_style`."""
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _require(frame: pd.DataFrame, columns: Sequence[str], builder: str, metric: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ParameterError(f"{builder} needs the column(s) {', '.join(missing)} (as in the output of "
                             f"analysis.{metric}); the frame has: {', '.join(map(str, frame.columns))}")
    if frame.empty:
        raise ParameterError(f"{builder}: the frame has no rows, there is nothing to draw")


def _provenance_of(data: pd.DataFrame | None, stacklevel: int = 4) -> Provenance | None:
    """The data's provenance; None (with a warning: the figure will say 'Source: unknown.') if absent."""
    prov = provenance.get(data) if data is not None else None
    if prov is None:
        warnings.warn("the plotted data carry no provenance (DataFrame.attrs['provenance']); the figure "
                      f"says {UNKNOWN_SOURCE!r}. Pass the frame a metric returned.", UserWarning,
                      stacklevel=stacklevel)
    return prov


def _wrap(text: str, prop: FontProperties, width_in: float, renderer) -> str:
    """Greedy word wrap to ``width_in`` inches, measured with the figure's renderer."""
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in _BREAK.split(paragraph):
            trial = f"{line} {word}" if line else word
            width_px = renderer.get_text_width_height_descent(trial, prop, ismath=False)[0]
            if line and width_px / renderer.dpi > width_in:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    return "\n".join(lines)


def _stack_texts(fig: Figure, items: Sequence[tuple[str, str]], from_top: bool) -> tuple[list, float]:
    """Place (role, text) items top-down (or bottom-up) from the figure's edge; return texts and band height."""
    renderer = fig.canvas.get_renderer()
    width_in = fig.get_figwidth() - 2 * _MARGIN_IN
    texts, offset = [], _MARGIN_IN
    for i, (role, text) in enumerate(items):
        style = _TEXT_STYLE[role]
        prop = FontProperties(size=style["fontsize"], weight=style.get("fontweight", "normal"))
        shift = transforms.ScaledTranslation(0, -offset if from_top else offset, fig.dpi_scale_trans)
        artist = fig.text(_MARGIN_IN / fig.get_figwidth(), 1.0 if from_top else 0.0,
                          _wrap(text, prop, width_in, renderer), transform=fig.transFigure + shift,
                          va="top" if from_top else "bottom", ha="left", linespacing=1.3, parse_math=False,
                          gid=f"analysis-{role}" if role != "note" else f"analysis-note-{i}", **style)
        height_in = artist.get_window_extent(renderer).height / fig.dpi
        offset += height_in + (0.06 if role == "title" else 0.04)
        texts.append(artist)
    return texts, offset


def _layout(fig: Figure, top_in: float, bottom_in: float) -> None:
    """Constrained layout of the axes between the title block and the source block, then frozen."""
    width, height = fig.get_size_inches()
    bottom = (bottom_in + _GAP_IN) / height
    top = 1 - (top_in + _GAP_IN) / height
    engine = ConstrainedLayoutEngine(rect=(_MARGIN_IN / width, bottom, 1 - 2 * _MARGIN_IN / width, top - bottom),
                                     h_pad=0.02, w_pad=0.02, hspace=0.0, wspace=0.0)
    fig.set_layout_engine(engine)
    engine.execute(fig)
    fig.set_layout_engine("none")  # positions stay exactly as measured; saving never re-lays out


def _fit_height_to_aspect(fig: Figure, ax: Axes, max_height: float = 9.0) -> bool:
    """For fixed-aspect axes (maps): change the figure height so the axes fill the width, without slack."""
    if ax.get_aspect() == "auto":
        return False
    ax.apply_aspect()
    width, height = fig.get_size_inches()
    given, used = ax.get_position(original=True), ax.get_position(original=False)
    slack_h, slack_w = (given.height - used.height) * height, (given.width - used.width) * width
    delta = -slack_h if slack_h > 0.01 else slack_w * used.height * height / (used.width * width)
    if abs(delta) < 0.01:
        return False
    fig.set_size_inches(width, min(max(height + delta, 2.5), max_height))
    return True


def _align_left(fig: Figure, ax: Axes, texts: list) -> None:
    """Move the texts and a top legend flush with the left edge of the axes' tick labels."""
    renderer = fig.canvas.get_renderer()
    legend = ax.get_legend()
    if legend is not None:
        legend.set_visible(False)  # measure the axes without the legend, which is re-anchored below
    x0 = min(ax.get_tightbbox(renderer).x0, ax.bbox.x0) / fig.bbox.width
    if legend is not None:
        legend.set_visible(True)
        if legend.get_gid() == "analysis-legend":
            legend.set_bbox_to_anchor((x0, 1.0), transform=transforms.blended_transform_factory(
                fig.transFigure, ax.transAxes))
    for text in texts:
        text.set_x(x0)


def _synthetic_mark(fig: Figure) -> None:
    """A large, semi-transparent diagonal 'SYNTHETIC DATA' across the figure."""
    width, height = fig.get_size_inches()
    size = 46 * min(1.0, width / WIDTH_IN, height / 3.6)
    fig.text(0.5, 0.5, SYNTHETIC_MARK, rotation=26, rotation_mode="anchor", ha="center", va="center",
             fontsize=size, fontweight="bold", color=VERMILLION, alpha=0.3, zorder=100, parse_math=False,
             gid="analysis-synthetic-mark")


def _finish(fig: Figure, ax: Axes, prov: Provenance | None, *, kind: str, title: str, subtitle: str | None,
            notes: Sequence[str], alt: str, plotted: pd.DataFrame) -> Figure:
    """Title block, notes, source line, layout, SYNTHETIC mark and the chart record."""
    source = prov.source_line() if prov is not None else UNKNOWN_SOURCE
    top, top_in = _stack_texts(fig, [("title", title)] + ([("subtitle", subtitle)] if subtitle else []), True)
    bottom, bottom_in = _stack_texts(fig, [("source", source)] + [("note", n) for n in reversed(notes)], False)
    _layout(fig, top_in, bottom_in)
    for _ in range(3):  # maps: converges in one or two rounds (tick labels may change with the size)
        if not _fit_height_to_aspect(fig, ax):
            break
        _layout(fig, top_in, bottom_in)
    _align_left(fig, ax, top + bottom)
    synthetic = bool(prov is not None and prov.is_synthetic)
    if synthetic:
        _synthetic_mark(fig)
    record = ChartRecord(kind=kind, title=title, source_line=source, is_synthetic=synthetic,
                         alt_text=f"{alt.strip()} {source}", data=_without_default_index(plotted))
    setattr(fig, _RECORD_ATTR, record)
    return fig


def _without_default_index(frame: pd.DataFrame) -> pd.DataFrame:
    """A named index is data (kept, written to the CSV); an unnamed one is renumbered from 0."""
    return frame if any(name is not None for name in frame.index.names) else frame.reset_index(drop=True)


def finish_figure(fig: Figure, ax: Axes, data: pd.DataFrame, title: str, subtitle: str | None = None,
                  notes: Sequence[str] = (), alt_text: str | None = None) -> Figure:
    """Give a hand-made chart the house layout: title block, source line from ``data``'s provenance,
    SYNTHETIC mark, and a record so :func:`save_figure` can write it (``data`` becomes the CSV).

    Build the chart with :func:`new_figure` inside ``with house_style():`` and call this last.
    """
    if not hasattr(fig.canvas, "get_renderer"):  # e.g. a bare Figure(): measure text with Agg
        FigureCanvasAgg(fig)
    with house_style():
        prov = _provenance_of(data, stacklevel=3)
        alt = alt_text or f"Chart: {title}." + (f" {subtitle}." if subtitle else "")
        return _finish(fig, ax, prov, kind="custom", title=title, subtitle=subtitle, notes=notes, alt=alt,
                       plotted=data)


# ================================================================ axes helpers
class _DateTicks(ticker.Formatter):
    """English, locale-independent date ticks; the year is added under the first tick and where it changes."""

    def __init__(self, unit: str):
        self.unit = unit  # "day", "month" or "year"

    def __call__(self, x, pos=None):
        return self.format_ticks([x])[0]

    def format_ticks(self, values):
        lo, hi = sorted(self.axis.get_view_interval()) if self.axis is not None else (-np.inf, np.inf)
        labels, shown_year = [], None
        for value in values:
            day = mdates.num2date(value)
            if self.unit == "year":
                labels.append(str(day.year))
                continue
            text = _MONTHS[day.month - 1][:3] if self.unit == "month" else f"{day.day} {_MONTHS[day.month - 1][:3]}"
            if lo <= value <= hi and day.year != shown_year:
                text, shown_year = f"{text}\n{day.year}", day.year
            labels.append(text)
        return labels


def _date_axis(ax: Axes, first: pd.Timestamp, last: pd.Timestamp, step_days: int = 1) -> None:
    """Date x-axis from ``first`` to ``last`` (period starts) with day, week, month or year ticks."""
    x0, x1 = _num([first, last])
    ax.set_xlim(x0 - 0.6 * step_days, x1 + 0.6 * step_days)
    days = (last - first).days + step_days
    if days <= 16:
        locator, unit = mdates.DayLocator(interval=max(1, -(-days // 8))), "day"
    elif days <= 100:
        locator, unit = mdates.WeekdayLocator(byweekday=mdates.MO, interval=1 if days <= 56 else 2), "day"
    elif days <= 3 * 365:
        months = days / 30.44
        locator, unit = mdates.MonthLocator(interval=1 if months <= 8 else 2 if months <= 16 else 3 if months <= 27
                                            else 6), "month"
    else:
        locator, unit = mdates.YearLocator(base=max(1, round(days / 365 / 8))), "year"
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(_DateTicks(unit))


def _covered(first: pd.Timestamp, last: pd.Timestamp, prov: Provenance | None
             ) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The periods' span, narrowed to the days the data cover (a week or month may be covered in part)."""
    if prov is not None and prov.first_date and prov.last_date:
        first = max(pd.Timestamp(first), pd.Timestamp(prov.first_date))
        last = min(pd.Timestamp(last), pd.Timestamp(prov.last_date))
    return pd.Timestamp(first), pd.Timestamp(last)


def _period_axis(ax: Axes, starts: pd.DatetimeIndex, step: int) -> tuple[np.ndarray, np.ndarray]:
    """Weeks or months on the x-axis: bars centred on their period, one label per period (thinned to ~10).

    Returns the bar centres and widths (date units: days).
    """
    ends = starts[1:].append(pd.DatetimeIndex([_period_end(starts[-1], step) + pd.Timedelta(days=1)]))
    left, right = _num(starts), _num(ends)
    centres = (left + right) / 2
    ax.set_xlim(left[0] - 0.1 * step, right[-1] + 0.1 * step)
    monthly = step >= 28
    labels, shown_year = [], None
    for start in starts:
        text = _MONTHS[start.month - 1][:3] if monthly else f"{start.day} {_MONTHS[start.month - 1][:3]}"
        if start.year != shown_year:
            text, shown_year = f"{text}\n{start.year}", start.year
        labels.append(text)
    every = -(-len(starts) // 10)
    ax.set_xticks(centres[::every], labels=labels[::every])
    ax.tick_params(axis="x", length=0)
    return centres, (right - left) * (0.8 if len(starts) <= 200 else 1.0)


def _count_axis(ax: Axes, top: float) -> None:
    """Whole-number y-axis from 0 with thousands separators (a maximum of 1 gives ticks 0 and 1, never 0.5)."""
    ax.set_ylim(0, max(float(top), 1.0) * 1.06)
    # min_n_ticks=2: with 3, MaxNLocator falls back to steps below 1 on small counts (0, 0.5, 1 shown as 0, 0, 1)
    ax.yaxis.set_major_locator(ticker.MaxNLocator(nbins=5, steps=[1, 2, 5, 10], integer=True, min_n_ticks=2))
    ax.yaxis.set_major_formatter(ticker.StrMethodFormatter("{x:,.0f}"))


def _bar_width(periods: int, step_days: int) -> float:
    """Bars with gaps while they are wide enough to show them; touching bars for long series."""
    return step_days * (0.8 if periods <= 200 else 1.0)


def _legend_columns(fig: Figure, labels: list[str], available_in: float) -> int:
    """The most columns whose measured width fits (entries run left to right, row by row)."""
    renderer = fig.canvas.get_renderer()
    prop = FontProperties(size=mpl.rcParams["legend.fontsize"])
    em = prop.get_size_in_points() / 72
    extra = (mpl.rcParams["legend.handlelength"] + mpl.rcParams["legend.handletextpad"]
             + mpl.rcParams["legend.columnspacing"]) * em
    widths = np.array([max(renderer.get_text_width_height_descent(line, prop, ismath=False)[0]
                           for line in label.split("\n")) / renderer.dpi
                       for label in labels]) + extra  # labels from the data may hold line breaks
    for ncols in range(len(labels), 1, -1):
        rows = -(-len(labels) // ncols)
        padded = np.append(widths, np.zeros(rows * ncols - len(widths))).reshape(rows, ncols)
        if padded.max(axis=0).sum() <= available_in:
            return ncols
    return 1


def _top_legend(ax: Axes, handles: list, labels: list[str]) -> None:
    """A frameless legend in rows above the axes, left-aligned with the title (see :func:`_align_left`)."""
    fig = ax.figure
    ncols = _legend_columns(fig, labels, fig.get_figwidth() - 2 * _MARGIN_IN - 0.1)
    # matplotlib fills columns first; reorder so that the entries read left to right, row by row
    rows = -(-len(labels) // ncols)
    order = [i * ncols + j for j in range(ncols) for i in range(rows) if i * ncols + j < len(labels)]
    handles, labels = [handles[i] for i in order], [labels[i] for i in order]
    legend = ax.legend(handles, labels, loc="lower left", bbox_to_anchor=(0, 1.02), ncols=ncols,
                       borderaxespad=0.3, frameon=False)
    for text in legend.get_texts():
        text.set_parse_math(False)
    legend.set_gid("analysis-legend")


def _group_colors(groups: Sequence[str]) -> list[str]:
    """Palette colours in order; grey for the '(not given)' and 'Other' groups."""
    colors, palette = [], iter(PALETTE * (len(groups) // len(PALETTE) + 1))
    for group in groups:
        colors.append(GREY if group == NOT_GIVEN else LIGHT_GREY if group == OTHER else next(palette))
    return colors


def _group_labels(values: pd.Series) -> pd.Series:
    """Group names as text; missing values become '(not given)', as in the metrics."""
    return values.where(values.notna(), NOT_GIVEN).astype("str")


def _step_days(dates: pd.Series) -> int:
    """Days between consecutive periods: 1 (days), 7 (weeks) or about 30 (months)."""
    unique = pd.Series(pd.to_datetime(dates).unique()).sort_values()
    if len(unique) < 2:
        return 1
    return int(np.median(np.diff(unique.to_numpy()).astype("timedelta64[D]").astype("int64")))


def _period_word(step: int) -> str:
    return {1: "day", 7: "week"}.get(step, "month" if 28 <= step <= 31 else f"{step} days")


def _period_end(last: pd.Timestamp, step: int) -> pd.Timestamp:
    if 28 <= step <= 31:
        return last + pd.offsets.MonthEnd(0)
    return last + pd.Timedelta(days=step - 1)


def _when(date: pd.Timestamp, step: int) -> str:
    """'on 5 March 2023', 'in the week of 6 March 2023', 'in March 2023'."""
    if step == 1:
        return f"on {_day(date, long=True)}"
    if step == 7:
        return f"in the week of {_day(date, long=True)}"
    if 28 <= step <= 31:
        return f"in {_MONTHS[date.month - 1]} {date.year}"
    return f"in the period starting {_day(date, long=True)}"


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
    span = _span(dates.iloc[0], dates.iloc[-1], True)
    text = f"{'Bar' if kind == 'bar' else 'Line'} chart of attacks per day from {span}."
    total = int(attacks.sum())
    if total == 0:
        return text + " No attacks were recorded in the period."
    peak = attacks.max()
    peak_days = dates[attacks == peak]
    text += f" The highest was {_n(peak)} on {_day(peak_days.iloc[0], long=True)}"
    if len(peak_days) > 1:
        text += f" (and on {_plural(len(peak_days) - 1, 'other day')})"
    rolling = _floats(table["attacks_rolling_mean"]) if "attacks_rolling_mean" in table else np.array([np.nan])
    if not np.isnan(rolling[-1]):
        text += f"; the {average} was {rolling[-1]:.1f} at the end of the period"
    text += f". In all, {_plural(total, 'attack')}"
    imprecise = int(table["attacks_imprecise_date"].sum()) if "attacks_imprecise_date" in table else 0
    if imprecise:
        text += f", {_n(imprecise)} of them dated only approximately by the source"
    return text + "."


@_styled
def attacks_per_day_chart(daily: pd.DataFrame, title: str | None = None, subtitle: str | None = None,
                          kind: str = "bar", window: int | None = None) -> Figure:
    """Attacks per day (``metrics.attacks_per_day``) as bars or a line, with the rolling mean as a line.

    Attacks the source dates only approximately (``attacks_imprecise_date``)
    are drawn as a lighter top part of each bar.  ``window`` names the rolling
    mean's length in days for the legend and alt text (default:
    ``daily.attrs["rolling_days"]`` when the metric records it).
    """
    _require(daily, ["event_date", "attacks"], "attacks_per_day_chart", "metrics.attacks_per_day")
    if kind not in ("bar", "line"):
        raise ParameterError(f"kind={kind!r}; choose 'bar' or 'line'")
    table = _attacks_table(daily)
    window = window or daily.attrs.get("rolling_days")
    average = f"{window}-day average" if window else "rolling average"
    first, last = table["event_date"].iloc[0], table["event_date"].iloc[-1]
    x, attacks = _num(table["event_date"]), table["attacks"].to_numpy(dtype="float64")
    fig, ax = new_figure(4.2)
    handles, labels = [], []
    if kind == "bar":
        imprecise = table["attacks_imprecise_date"].to_numpy(dtype="float64") if "attacks_imprecise_date" in table \
            else np.zeros(len(table))
        width = _bar_width(len(table), 1)
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
        handles += ax.plot(x, _floats(table["attacks_rolling_mean"]), color=BLUE, linewidth=2.2, label=average)
        labels.append(average[0].upper() + average[1:])
    _date_axis(ax, first, last)
    _count_axis(ax, attacks.max())
    if len(handles) > 1:
        _top_legend(ax, handles, labels)
    return _finish(fig, ax, _provenance_of(daily), kind="attacks_per_day",
                   title=title or f"Attacks per day, {_span(first, last)}",
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
    groups = _group_labels(rows[by])
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
    period = _period_word(step)
    text = (f"Stacked {'bar' if kind == 'bar' else 'area'} chart of {what.lower()} per {period} by {_label(by)} "
            f"from {_span(first, last, True)}.")
    totals = wide.sum()
    total = totals.sum()
    if total == 0:
        return text + f" The total is 0 in every {period}."
    lead = totals.index[0]
    text += f" {lead} accounted for the most, {_n(totals.iloc[0])} of {_n(total)} ({totals.iloc[0] / total:.0%})"
    others = [f"{g} ({_n(v)})" for g, v in totals.iloc[1:4].items()]
    if others:
        text += "; followed by " + ", ".join(others)
    per_period = wide.sum(axis=1)
    return text + f". The highest total was {_n(per_period.max())} {_when(per_period.idxmax(), step)}."


@_styled
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
    _require(frame, [date, by, value], "breakdown_chart", "metrics.attacks_per_day(by=...)")
    if kind not in ("bar", "area"):
        raise ParameterError(f"kind={kind!r}; choose 'bar' or 'area'")
    rows = frame
    if by == "weapon_category" and rows[by].nunique() > 1:
        rows = rows[rows[by] != "all"]  # 'all' is the total of the others
    if by == "weapon_category":
        rows = rows.assign(weapon_category=rows[by].map(lambda c: _WEAPONS.get(c, c)))
    wide = _wide_by_group(rows, date, by, value, top)
    step = _step_days(rows[date])
    what = _VALUES.get(value, value.replace("_", " ").capitalize())
    values = wide.to_numpy(dtype="float64")
    colors = _group_colors(list(wide.columns))
    fig, ax = new_figure(4.4)
    if step == 1:
        x, width = _num(wide.index), np.full(len(wide), _bar_width(len(wide), 1))
        _date_axis(ax, wide.index[0], wide.index[-1])
    else:
        x, width = _period_axis(ax, pd.DatetimeIndex(wide.index), step)
    if kind == "bar":
        bottoms = np.cumsum(values, axis=1) - values
        handles = [ax.bar(x, values[:, i], width, bottom=bottoms[:, i], color=colors[i], label=str(group))
                   for i, group in enumerate(wide.columns)]
    else:
        handles = ax.stackplot(x, values.T, colors=colors, labels=[str(g) for g in wide.columns], linewidth=0)
    _count_axis(ax, values.sum(axis=1).max())
    _top_legend(ax, handles, [str(g) for g in wide.columns])
    notes = _breakdown_notes(rows, value)
    prov = _provenance_of(frame)
    first, last = _covered(wide.index[0], _period_end(wide.index[-1], step), prov)
    plotted = wide.rename_axis(date).reset_index()
    return _finish(fig, ax, prov, kind="breakdown",
                   title=title or f"{what} per {_period_word(step)} by {_label(by)}, {_span(first, last)}",
                   subtitle=subtitle or f"Stacked by {_label(by)}; the largest group at the bottom",
                   notes=notes, alt=_breakdown_alt(wide, kind, what, by, step, first, last), plotted=plotted)


def _breakdown_notes(rows: pd.DataFrame, value: str) -> list[str]:
    """Say what is unknown instead of drawing it as zero."""
    notes = []
    unknown = int(rows[value].isna().sum())
    if unknown:
        notes.append(f"{_label(value).capitalize()} unknown in {_plural(unknown, 'row')} of the table; "
                     "those are left out, not counted as zero.")
    if value == "fatalities" and "events_fatalities_unknown" in rows:
        events = int(rows["events_fatalities_unknown"].sum())
        if events:
            notes.append(f"{_plural(events, 'event')} with no number of fatalities are not counted.")
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
    return ["; ".join(([_n(v)] if not np.isnan(v) else []) + ([f"{_plural(u, 'incident')} with unknown toll"]
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
    axes_in = fig.get_figwidth() - 2 * _MARGIN_IN - max(_text_width_in(fig, t, tick_size) for t in ticklabels) - 0.2
    label_in = np.array([_text_width_in(fig, t, 7.5) for t in texts]) + 0.12
    share = np.clip(1 - label_in / axes_in, 0.15, 1)  # share of the axes width the bar may take
    return float(max(np.nanmax(np.append(np.nan_to_num(values) / share, 1.0)), 1.0))


def _harm_bars(ax: Axes, rows: pd.DataFrame, y: np.ndarray, h: float = 0.4) -> tuple[np.ndarray, list[str]]:
    """Killed (upper) and injured (lower) bars per row with their labels; returns the values and label texts.

    Unknown values get no bar; a row where both are unknown gets one centred label.
    """
    series = [(_floats(rows["civilians_killed"]), rows["incidents_killed_unknown"].to_numpy(), -h / 2, VERMILLION),
              (_floats(rows["civilians_injured"]), rows["incidents_injured_unknown"].to_numpy(), h / 2,
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
        _harm_label(ax, 0.0, yi, f"{_plural(u, 'incident')} with unknown toll (killed and injured)", u)
    return np.concatenate([series[0][0], series[1][0]]), all_texts


def _harm_which(total: int, n: int, top: int) -> str:
    """Which settlements are shown, in words (the metric may already have cut the table to ``top``)."""
    if total > n or n == top:
        return f"Top {n} settlements by civilians killed, then by number of incidents"
    every = {1: "The only settlement", 2: "Both settlements"}.get(n, f"All {n} settlements")
    return f"{every} with civilian-harm incidents, by civilians killed"


@_styled
def civilian_harm_chart(by_city: pd.DataFrame, top: int = 15, title: str | None = None,
                        subtitle: str | None = None) -> Figure:
    """Horizontal bars of civilians killed and injured per settlement (``metrics.civilian_harm_by_city``).

    The ``top`` settlements with most civilians killed, labelled "settlement
    (oblast)".  Where incidents give no number, the bar is not drawn as 0: the
    label says "n incidents with unknown toll".
    """
    columns = list(_civ_columns())
    _require(by_city, columns, "civilian_harm_chart", "metrics.civilian_harm_by_city")
    rows = _rank_cities(by_city).head(top).reset_index(drop=True)
    n = len(rows)
    y = np.arange(n, dtype="float64")
    fig, ax = new_figure(1.75 + 0.36 * max(n, 3))
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
    _top_legend(ax, [Patch(color=VERMILLION), Patch(color=VERMILLION_LIGHT)], ["Civilians killed", "Civilians injured"])
    first, last = rows["first_date"].min(), rows["last_date"].max()
    which = _harm_which(len(by_city), n, top)
    return _finish(fig, ax, _provenance_of(by_city), kind="civilian_harm",
                   title=title or f"Civilians killed and injured by settlement, {_span(first, last)}",
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
           f"{_span(first, last, True)}."
    lead = rows.iloc[0]
    place = _place_label(rows.head(1))[0].replace("*", "")
    killed = "an unknown number" if pd.isna(lead["civilians_killed"]) else _n(lead["civilians_killed"])
    injured = "an unknown number" if pd.isna(lead["civilians_injured"]) else _n(lead["civilians_injured"])
    text += f" {place} had the most: {killed} killed and {injured} injured in {_plural(lead['incidents'], 'incident')}."
    unknown = rows["incidents_killed_unknown"]
    if unknown.sum():
        text += (f" For {_plural(unknown.sum(), 'incident')} in {_plural((unknown > 0).sum(), 'settlement')} "
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
    text = f"Bar chart of {what.lower()} launched and reported destroyed per day from {_span(first, last, True)}."
    launched, destroyed = int(rows["launched"].sum()), int(rows["destroyed"].sum())
    if launched == 0:
        return text + " None were reported launched in the period."
    peak = rows.loc[rows["launched"].idxmax()]
    return (text + f" In all, {_n(launched)} were launched and {_n(destroyed)} ({destroyed / launched:.0%}) "
            f"reported destroyed. The most launched on one day was {_n(peak['launched'])} on "
            f"{_day(peak['count_date'], long=True)}.")


@_styled
def air_attacks_chart(daily_air: pd.DataFrame, category: str | None = None, title: str | None = None,
                      subtitle: str | None = None) -> Figure:
    """Missiles and drones launched (wide light bars) and reported destroyed (narrow dark bars) per day.

    Takes ``metrics.air_attacks_per_day``; ``category`` picks one weapon
    category, else the 'all' rows are drawn or the categories are summed.
    """
    _require(daily_air, ["count_date", "weapon_category", "launched", "destroyed"], "air_attacks_chart",
             "metrics.air_attacks_per_day")
    rows = _air_rows(daily_air, category)
    cat = rows["weapon_category"].iloc[0]
    what = _WEAPONS.get(cat, f"{cat.capitalize()}")
    x = _num(rows["count_date"])
    width = _bar_width(len(rows), 1)
    fig, ax = new_figure(4.2)
    launched = ax.bar(x, rows["launched"].to_numpy(dtype="float64"), width, color=SKY_LIGHT, label="Launched")
    destroyed = ax.bar(x, rows["destroyed"].to_numpy(dtype="float64"), width * 0.55, color=BLUE,
                       label="Reported destroyed")
    first, last = rows["count_date"].iloc[0], rows["count_date"].iloc[-1]
    _date_axis(ax, first, last)
    _count_axis(ax, rows["launched"].max())
    _top_legend(ax, [launched, destroyed], ["Launched", "Reported destroyed"])
    return _finish(fig, ax, _provenance_of(daily_air), kind="air_attacks",
                   title=title or f"{what} launched and reported destroyed, {_span(first, last)}",
                   subtitle=subtitle or "Per report day (the day an overnight attack ends); numbers destroyed "
                                        "as claimed, not independently verified",
                   notes=(), alt=_air_alt(rows, what), plotted=rows)


# ================================================================ event map
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
    return _provenance_of(events, stacklevel=5)


def _view_extent(points: pd.DataFrame, extent) -> tuple[float, float, float, float]:
    """(lon_min, lon_max, lat_min, lat_max): given, 'ukraine', or the points padded and not too tall."""
    box = config.UKRAINE_BBOX
    if isinstance(extent, str) and extent == "ukraine" or (extent is None and points.empty):
        return box["lon_min"], box["lon_max"], box["lat_min"], box["lat_max"]
    if extent is not None:
        return tuple(float(v) for v in extent)
    lon, lat = points["longitude"].astype("float64"), points["latitude"].astype("float64")
    lat_mid, lat_half = (lat.min() + lat.max()) / 2, max(lat.max() - lat.min(), 0.8) * 0.56
    aspect = 1 / np.cos(np.radians(lat_mid))
    lon_half = max((lon.max() - lon.min()) * 0.56, lat_half * aspect * 1.25)  # at least 1.25 : 1 wide
    lon_mid = (lon.min() + lon.max()) / 2
    return lon_mid - lon_half, lon_mid + lon_half, lat_mid - lat_half, lat_mid + lat_half


def _haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    lat1, lon1, lat2, lon2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


def _major_cities(view: tuple[float, float, float, float], n: int) -> pd.DataFrame:
    """The ``n`` most populous gazetteer places inside the view, skipping those close to a bigger one
    (city districts and suburbs); columns name, latitude, longitude."""
    from analysis.places import load_gazetteer

    lon0, lon1, lat0, lat1 = view
    inset_lon, inset_lat = (lon1 - lon0) * 0.03, (lat1 - lat0) * 0.04
    g = load_gazetteer()
    inside = g[g["longitude"].between(lon0 + inset_lon, lon1 - inset_lon)
               & g["latitude"].between(lat0 + inset_lat, lat1 - inset_lat)]
    inside = inside.sort_values(["population", "geonameid"], ascending=[False, True], kind="stable").head(300)
    lat, lon = inside["latitude"].to_numpy(), inside["longitude"].to_numpy()
    width_km = _haversine_km((lat0 + lat1) / 2, lon0, (lat0 + lat1) / 2, lon1)
    near = _haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :]) < max(15.0, 0.08 * width_km)
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
    values = _floats(points[size_by])
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
    largest = np.nanmax(np.append(_floats(points[size_by]), 0))
    refs = [v for v in (1, 5, 10, 20, 50, 100) if v <= largest][-3:]
    if len(refs) < 2:
        return [], []
    word = "killed" if size_by == "fatalities" else _label(size_by)
    handles = [Line2D([], [], linestyle="", marker="o", markersize=float(np.sqrt(min(12 + 3 * v, 400))),
                      markerfacecolor=LIGHT_GREY, markeredgewidth=0) for v in refs]
    return handles, [f"{v} {word}" for v in refs]


def _draw_events(ax: Axes, points: pd.DataFrame, color_by: str, size_by: str | None, top: int
                 ) -> tuple[list, list[str], list[str]]:
    """One scatter per category (filled) plus hollow rings where the size value is unknown.

    Returns legend handles and labels, and the category labels alone (for the alt text).
    """
    categories = _group_labels(points[color_by]) if color_by in points else pd.Series("Events", index=points.index)
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
    for i, (category, color) in enumerate(zip(order, _group_colors(order))):
        group = drawn[drawn["_cat"] == category]
        for hollow, subset in ((False, group[~group["_unknown"]]), (True, group[group["_unknown"]])):
            if len(subset):
                ax.scatter(subset["longitude"].astype("float64"), subset["latitude"].astype("float64"),
                           s=subset["_s"], zorder=2, alpha=0.9 if hollow else 0.6,
                           facecolors="none" if hollow else color, edgecolors=color,
                           linewidths=0.9 if hollow else 0, gid=f"analysis-events-{i}{'-unknown' if hollow else ''}")
        handles.append(Line2D([], [], linestyle="", marker="o", markersize=6, color=color, alpha=0.8))
        labels.append(f"{category} ({_n(counts[category])})")
    categories_labels = list(labels)
    key_handles, key_labels = _size_key(points, size_by)
    handles, labels = handles + key_handles, labels + key_labels
    if unknown.any():
        handles.append(Line2D([], [], linestyle="", marker="o", markersize=6, markerfacecolor="none",
                              markeredgecolor=GREY))
        labels.append(f"{_label(size_by).capitalize()} unknown")
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
    text = f"Map of {_plural(len(points), what.lower()[:-1], what.lower())} from {span}, each a dot at its " \
           f"reported location"
    if points.empty:
        return f"Map with no {what.lower()} from {span}."
    text += f", coloured by {_label(color_by)}: " + ", ".join(labels[:6]) + "."
    if "settlement" in points and points["settlement"].notna().any():
        places = points.assign(_admin1=points["admin1"] if "admin1" in points else "").groupby(
            ["settlement", "_admin1"], dropna=False).size().reset_index(name="n")
        lead = places.sort_values(["n", "settlement"], ascending=[False, True], kind="stable").iloc[0]
        where = f"{lead['settlement']}" + (f" ({lead['_admin1']})" if isinstance(lead["_admin1"], str)
                                           and lead["_admin1"] and lead["_admin1"] != lead["settlement"] else "")
        text += f" The settlement with the most is {where}, with {_n(lead['n'])}."
    return text


def _map_notes(rows: pd.DataFrame, points: pd.DataFrame) -> list[str]:
    notes = []
    missing = len(rows) - len(points)
    if missing:
        notes.append(f"{_plural(missing, 'event')} without coordinates are not shown.")
    if "geo_precision" in points:
        vague = int((~points["geo_precision"].isin(["settlement", "near_settlement"])).sum())
        if vague:
            notes.append(f"{_n(vague)} of {_n(len(points))} dots mark a district, oblast or approximate "
                         "location given by the source, not the exact place.")
    return notes


@_styled
def event_map(events: pd.DataFrame, start=None, end=None, color_by: str = "event_type",
              size_by: str | None = "fatalities", cities: int = 10, extent=None, top: int = 6,
              title: str | None = None, subtitle: str | None = None) -> Figure:
    """A dot map of events (processed events table) whose first day lies between ``start`` and ``end``.

    No basemap: an equirectangular view (aspect 1/cos(mean latitude)) with a
    graticule, a scale bar and the ``cities`` most populous gazetteer places in
    view for orientation.  Dots are coloured by ``color_by`` (largest groups
    first, beyond ``top`` folded into "Other"); their area grows with
    ``size_by``; unknown values are hollow rings, not zero-sized dots.
    ``extent`` is (lon_min, lon_max, lat_min, lat_max), "ukraine", or None
    (fit the events).
    """
    _require(events, ["event_date", "latitude", "longitude"], "event_map", "load_events()")
    rows = _filter_events(events, start, end)
    points = rows[rows["latitude"].notna() & rows["longitude"].notna()]
    view = _view_extent(points, extent)
    lon0, lon1, lat0, lat1 = view
    map_h = (WIDTH_IN - 0.8) * (lat1 - lat0) / np.cos(np.radians((lat0 + lat1) / 2)) / (lon1 - lon0)
    fig, ax = new_figure(float(np.clip(map_h + 1.9, 3.6, 8.5)))
    _map_axes(ax, view)
    handles, labels, category_labels = _draw_events(ax, points, color_by, size_by, top)
    _draw_cities(ax, _major_cities(view, cities), view)
    _scale_bar(ax, view)
    if handles:
        _top_legend(ax, handles, labels)
    what = "Attacks" if "is_attack" in rows and len(rows) and rows["is_attack"].all() else "Events"
    dates = pd.to_datetime(rows["event_date"])
    first = pd.Timestamp(start) if start is not None else dates.min()
    last = pd.Timestamp(end) if end is not None else dates.max()
    dated = pd.notna(first) and pd.notna(last)
    sized = f"; dot area grows with {_label(size_by)}" if size_by and size_by in points else ""
    return _finish(fig, ax, _rows_provenance(rows, events), kind="event_map",
                   title=title or f"{what} by location, {_span(first, last) if dated else 'no dates'}",
                   subtitle=subtitle or f"Each dot is one event at its reported location, coloured by "
                                        f"{_label(color_by)}{sized}",
                   notes=_map_notes(rows, points),
                   alt=_map_alt(points, what, _span(first, last, True) if dated else "the chosen period", color_by,
                                category_labels),
                   plotted=_map_table(points, size_by))


def _map_table(points: pd.DataFrame, size_by: str | None) -> pd.DataFrame:
    """The events drawn, with the columns a reader needs to check them, in date order."""
    extra = [size_by] if size_by and size_by in points and size_by not in _MAP_COLUMNS else []
    columns = [c for c in _MAP_COLUMNS if c in points] + extra
    return points[columns].sort_values([c for c in ("event_date", "event_id") if c in columns], kind="stable")


# ================================================================ saving
def _metadata(fmt: str, record: ChartRecord, alt: str) -> dict:
    """Metadata without dates or software versions, so the same figure gives the same bytes."""
    if fmt == "png":
        return {"Software": None, "Title": record.title, "Description": alt}
    if fmt == "svg":
        return {"Date": None, "Creator": None, "Title": record.title, "Description": alt}
    return {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None, "Title": record.title,
            "Subject": alt}


def _write_table(path: Path, frame: pd.DataFrame) -> None:
    """CSV: UTF-8, '\\n' line ends, 6 significant digits for floats, the index only when it is named,
    formula-like text neutralised (:func:`analysis.storage.write_csv`)."""
    named = any(name is not None for name in frame.index.names)
    storage.write_csv(path, frame, index=named, float_format="%.6g")


def _targets(stem: Path, formats: Sequence[str]) -> dict[str, Path]:
    targets = {fmt: stem.with_name(f"{stem.name}.{fmt}") for fmt in formats}
    targets["csv"] = stem.with_name(f"{stem.name}.csv")
    targets["alt"] = stem.with_name(f"{stem.name}.alt.txt")
    return targets


def save_figure(fig: Figure, path_stem: str | Path, data: pd.DataFrame | None = None,
                formats: Sequence[str] = ("png", "svg"), pdf: bool = False, alt_text: str | None = None,
                dpi: int = 200) -> dict[str, Path]:
    """Write ``<stem>.png``, ``<stem>.svg`` (``<stem>.pdf`` with ``pdf=True``), ``<stem>.csv`` and
    ``<stem>.alt.txt``; return the paths by kind ("png", "svg", "pdf", "csv", "alt").

    ``fig`` must come from a builder or :func:`finish_figure` (it carries its
    title, source line, data and alt text).  ``data`` replaces the table written
    as CSV (default: the numbers the builder drew); ``alt_text`` replaces the
    alt text.  All files are written to temporary files first and renamed into
    place only when every one was written, so a failure leaves the previous
    files intact.  The bytes depend only on the figure: no dates or versions
    in the metadata, fixed SVG hash salt, text as paths, bundled fonts.
    """
    record = chart_record(fig)
    if record is None:
        raise ParameterError("save_figure: this figure has no source line or record; build it with a plots "
                             "builder or call plots.finish_figure(fig, ax, data, title) first")
    fmts = [f for f in FORMATS if f in set(formats) | ({"pdf"} if pdf else set())]
    unknown = set(formats) - set(FORMATS)
    if unknown or not fmts:
        raise ParameterError(f"formats={tuple(formats)!r}; choose from {', '.join(FORMATS)}")
    alt = (alt_text or record.alt_text).strip()
    targets = _targets(Path(path_stem), fmts)
    with house_style(), ExitStack() as stack:
        temps = {key: stack.enter_context(storage.atomic_path(path)) for key, path in targets.items()}
        for fmt in fmts:
            fig.savefig(temps[fmt], format=fmt, dpi=dpi, metadata=_metadata(fmt, record, alt))
        _write_table(temps["csv"], record.data if data is None else data)
        temps["alt"].write_bytes((alt + "\n").encode("utf-8"))
    return targets
