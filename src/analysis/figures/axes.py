"""Axes every chart shares: dates along x (days, weeks, months), counts along y.

Tick labels are English and locale-independent (:mod:`analysis.wording`);
the year is written under the first tick and where it changes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib import ticker
from matplotlib.axes import Axes

from analysis import wording
from analysis.metrics.provenance import Provenance


def floats(values) -> np.ndarray:
    """A column as float64 with NaN for unknown (<NA>) values."""
    return pd.Series(values).to_numpy(dtype="float64", na_value=np.nan)


def num(dates) -> np.ndarray:
    """Dates as matplotlib date numbers (days)."""
    return mdates.date2num(np.asarray(pd.to_datetime(pd.Series(dates)).to_numpy(), dtype="datetime64[ms]"))


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
            date = mdates.num2date(value)
            if self.unit == "year":
                labels.append(str(date.year))
                continue
            text = _tick_text(date, self.unit == "month")
            if lo <= value <= hi and date.year != shown_year:
                text, shown_year = f"{text}\n{date.year}", date.year
            labels.append(text)
        return labels


def _tick_text(date, monthly: bool) -> str:
    """'Mar' for a month, '5 Mar' for a day."""
    return wording.month(date, short=True, year=False) if monthly else wording.day(date, short=True, year=False)


def date_axis(ax: Axes, first: pd.Timestamp, last: pd.Timestamp, step_days: int = 1) -> None:
    """Date x-axis from ``first`` to ``last`` (period starts) with day, week, month or year ticks."""
    x0, x1 = num([first, last])
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


def covered(first: pd.Timestamp, last: pd.Timestamp, prov: Provenance | None
            ) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The periods' span, narrowed to the days the data cover (a week or month may be covered in part)."""
    if prov is not None and prov.first_date and prov.last_date:
        first = max(pd.Timestamp(first), pd.Timestamp(prov.first_date))
        last = min(pd.Timestamp(last), pd.Timestamp(prov.last_date))
    return pd.Timestamp(first), pd.Timestamp(last)


def period_axis(ax: Axes, starts: pd.DatetimeIndex, step: int) -> tuple[np.ndarray, np.ndarray]:
    """Weeks or months on the x-axis: bars centred on their period, one label per period (thinned to ~10).

    Returns the bar centres and widths (date units: days).
    """
    ends = starts[1:].append(pd.DatetimeIndex([period_end(starts[-1], step) + pd.Timedelta(days=1)]))
    left, right = num(starts), num(ends)
    centres = (left + right) / 2
    ax.set_xlim(left[0] - 0.1 * step, right[-1] + 0.1 * step)
    monthly = step >= 28
    labels, shown_year = [], None
    for start in starts:
        text = _tick_text(start, monthly)
        if start.year != shown_year:
            text, shown_year = f"{text}\n{start.year}", start.year
        labels.append(text)
    every = -(-len(starts) // 10)
    ax.set_xticks(centres[::every], labels=labels[::every])
    ax.tick_params(axis="x", length=0)
    return centres, (right - left) * (0.8 if len(starts) <= 200 else 1.0)


def count_axis(ax: Axes, top: float) -> None:
    """Whole-number y-axis from 0 with thousands separators (a maximum of 1 gives ticks 0 and 1, never 0.5)."""
    ax.set_ylim(0, max(float(top), 1.0) * 1.06)
    # min_n_ticks=2: with 3, MaxNLocator falls back to steps below 1 on small counts (0, 0.5, 1 shown as 0, 0, 1)
    ax.yaxis.set_major_locator(ticker.MaxNLocator(nbins=5, steps=[1, 2, 5, 10], integer=True, min_n_ticks=2))
    ax.yaxis.set_major_formatter(ticker.StrMethodFormatter("{x:,.0f}"))


def bar_width(periods: int, step_days: int) -> float:
    """Bars with gaps while they are wide enough to show them; touching bars for long series."""
    return step_days * (0.8 if periods <= 200 else 1.0)


def step_days(dates: pd.Series) -> int:
    """Days between consecutive periods: 1 (days), 7 (weeks) or about 30 (months)."""
    unique = pd.Series(pd.to_datetime(dates).unique()).sort_values()
    if len(unique) < 2:
        return 1
    return int(np.median(np.diff(unique.to_numpy()).astype("timedelta64[D]").astype("int64")))


def period_end(last: pd.Timestamp, step: int) -> pd.Timestamp:
    """The last day of the period that starts on ``last``."""
    if 28 <= step <= 31:
        return last + pd.offsets.MonthEnd(0)
    return last + pd.Timedelta(days=step - 1)
