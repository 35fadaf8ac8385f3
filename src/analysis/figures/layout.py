"""The layout every chart shares, and the record a finished figure carries.

Title and subtitle top left, notes and the source line bottom left, all flush
with the left edge of the chart's tick labels; a legend in rows above the
chart; a large "SYNTHETIC DATA" mark across the figure exactly when the
provenance says synthetic rows are included.  The source line is computed from
the data's provenance (:func:`analysis.metrics.provenance.get`), never typed by the
caller; data without provenance get "Source: unknown." and a warning.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import transforms
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.layout_engine import ConstrainedLayoutEngine

from analysis import wording
from analysis.metrics import provenance
from analysis.errors import ParameterError
from analysis.figures.style import GREY, TEXT, VERMILLION, WIDTH_IN, house_style
from analysis.metrics.provenance import Provenance

SYNTHETIC_MARK = "SYNTHETIC DATA"
UNKNOWN_SOURCE = "Source: unknown."
MARGIN_IN = 0.18  # outer margin of every figure
_RECORD_ATTR = "_analysis_chart"
_GAP_IN = 0.10  # between the title block / notes and the chart
_TEXT_STYLE = {  # role -> Text properties
    "title": {"fontsize": 13.5, "fontweight": "bold", "color": TEXT},
    "subtitle": {"fontsize": 10, "color": "#3A3A3A"},
    "note": {"fontsize": 7.5, "color": GREY},
    "source": {"fontsize": 7.5, "color": GREY},
}
# Never break a line before a month, a year or a dash: '1 Jan 2023' and '1 Jan –' stay together.
_BREAK = re.compile(r" (?!(?:" + "|".join(name[:3] for name in wording.MONTHS) + r")[a-z]*\b|\d{4}\b|–)")


@dataclass(frozen=True, eq=False)
class ChartRecord:
    """What a finished figure knows about itself; :func:`analysis.plots.save_figure` writes it beside the images.

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
    """A figure with one axes on an Agg canvas (no pyplot); call inside :func:`analysis.plots.house_style`."""
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def require(frame: pd.DataFrame, columns: Sequence[str], builder: str, metric: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ParameterError(f"{builder} needs the column(s) {', '.join(missing)} (as in the output of "
                             f"analysis.{metric}); the frame has: {', '.join(map(str, frame.columns))}")
    if frame.empty:
        raise ParameterError(f"{builder}: the frame has no rows, there is nothing to draw")


def provenance_of(data: pd.DataFrame | None, stacklevel: int = 4) -> Provenance | None:
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
    width_in = fig.get_figwidth() - 2 * MARGIN_IN
    texts, offset = [], MARGIN_IN
    for i, (role, text) in enumerate(items):
        style = _TEXT_STYLE[role]
        prop = FontProperties(size=style["fontsize"], weight=style.get("fontweight", "normal"))
        shift = transforms.ScaledTranslation(0, -offset if from_top else offset, fig.dpi_scale_trans)
        artist = fig.text(MARGIN_IN / fig.get_figwidth(), 1.0 if from_top else 0.0,
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
    engine = ConstrainedLayoutEngine(rect=(MARGIN_IN / width, bottom, 1 - 2 * MARGIN_IN / width, top - bottom),
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


def finish(fig: Figure, ax: Axes, prov: Provenance | None, *, kind: str, title: str, subtitle: str | None,
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
    SYNTHETIC mark, and a record so :func:`analysis.plots.save_figure` can write it (``data`` becomes the CSV).

    Build the chart with :func:`new_figure` inside ``with house_style():`` and call this last.
    """
    if not hasattr(fig.canvas, "get_renderer"):  # e.g. a bare Figure(): measure text with Agg
        FigureCanvasAgg(fig)
    with house_style():
        prov = provenance_of(data, stacklevel=3)
        alt = alt_text or f"Chart: {title}." + (f" {subtitle}." if subtitle else "")
        return finish(fig, ax, prov, kind="custom", title=title, subtitle=subtitle, notes=notes, alt=alt,
                      plotted=data)


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


def top_legend(ax: Axes, handles: list, labels: list[str]) -> None:
    """A frameless legend in rows above the axes, left-aligned with the title (see :func:`_align_left`)."""
    fig = ax.figure
    ncols = _legend_columns(fig, labels, fig.get_figwidth() - 2 * MARGIN_IN - 0.1)
    # matplotlib fills columns first; reorder so that the entries read left to right, row by row
    rows = -(-len(labels) // ncols)
    order = [i * ncols + j for j in range(ncols) for i in range(rows) if i * ncols + j < len(labels)]
    handles, labels = [handles[i] for i in order], [labels[i] for i in order]
    legend = ax.legend(handles, labels, loc="lower left", bbox_to_anchor=(0, 1.02), ncols=ncols,
                       borderaxespad=0.3, frameon=False)
    for text in legend.get_texts():
        text.set_parse_math(False)
    legend.set_gid("analysis-legend")

