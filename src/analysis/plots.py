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
  (:func:`analysis.metrics.provenance.get`), never typed by the caller; data without
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

The code lives in :mod:`analysis.figures` (style, words, axes, layout,
charts, map, save); this module is the public face notebooks use and holds no
logic of its own.

Builders are not thread-safe (matplotlib's rcParams are process-global while
a figure is built or saved); use processes for parallel batch runs.
"""

from __future__ import annotations

from analysis.figures.charts import (air_attacks_chart, attacks_per_day_chart, breakdown_chart,
                                     civilian_harm_chart)
from analysis.figures.layout import (SYNTHETIC_MARK, UNKNOWN_SOURCE, ChartRecord, chart_record, finish_figure,
                                     new_figure)
from analysis.figures.map import event_map
from analysis.figures.save import FORMATS, save_figure
from analysis.figures.style import PALETTE, STYLE, WIDTH_IN, house_style, use_house_style

__all__ = [
    "STYLE", "PALETTE", "WIDTH_IN", "SYNTHETIC_MARK", "UNKNOWN_SOURCE", "FORMATS", "ChartRecord", "use_house_style",
    "house_style", "new_figure", "finish_figure", "chart_record", "attacks_per_day_chart", "breakdown_chart",
    "civilian_harm_chart", "air_attacks_chart", "event_map", "save_figure",
]
