"""The house style: article width, colours, the matplotlib style sheet and the decorator builders run in.

The style sheet is ``analysis/styles/house.mplstyle`` (also loadable as
``plt.style.use("analysis.styles.house")``); it is applied on top of
matplotlib's defaults, never on top of the user's matplotlibrc.
"""

from __future__ import annotations

import functools
import importlib.resources
from contextlib import contextmanager
from typing import Iterator, Sequence

import matplotlib as mpl
import matplotlib.style

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


def styled(builder):
    """Run a figure builder inside :func:`house_style`."""
    @functools.wraps(builder)
    def wrapper(*args, **kwargs):
        with house_style():
            return builder(*args, **kwargs)
    return wrapper


def group_colors(groups: Sequence[str]) -> list[str]:
    """Palette colours in order; grey for the '(not given)' and 'Other' groups."""
    colors, palette = [], iter(PALETTE * (len(groups) // len(PALETTE) + 1))
    for group in groups:
        colors.append(GREY if group == NOT_GIVEN else LIGHT_GREY if group == OTHER else next(palette))
    return colors
