"""Numbers and dates in words, the way an article writes them.

Small, tested helpers so that report sentences read naturally ("1 civilian was
killed", "58 civilians were killed", "14 March 2023") and never say "0" for
"unknown".

This is the one home of dates as words: report sentences, chart titles, alt
texts, axis ticks and source lines all call :func:`day`, :func:`day_range` or
:func:`month`.  Month names are written out here, never taken from
``strftime("%B")``, so the words are English whatever the locale and the
platform.
"""

from __future__ import annotations

import pandas as pd

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def month(value, short: bool = False, year: bool = True) -> str:
    """'March 2023' (short: 'Mar 2023'); without the year 'March' or 'Mar'."""
    t = pd.Timestamp(value)
    name = MONTHS[t.month - 1][:3] if short else MONTHS[t.month - 1]
    return f"{name} {t.year}" if year else name


def day(value, short: bool = False, year: bool = True) -> str:
    """'14 March 2023' (short: '14 Mar 2023'); without the year '14 March' or '14 Mar'."""
    t = pd.Timestamp(value)
    return f"{t.day} {month(t, short, year)}"


def days(values) -> pd.Series:
    """:func:`day` for many dates at once, as whole-column operations: '14 March 2023' for each value."""
    t = pd.DatetimeIndex(values)
    names = pd.Series(MONTHS, dtype=object).iloc[t.month - 1].to_numpy()
    return pd.Series(t.day.astype(str).to_numpy(), dtype=object) + " " + names + " " + t.year.astype(str).to_numpy()


def day_range(start, end, short: bool = False) -> str:
    """'8 to 14 March 2023', '28 February to 6 March 2023', '30 December 2022 to 2 January 2023', or
    one day when both fall on the same day; the year is written once when it is shared.

    short: '8–14 Mar 2023', '28 Feb – 6 Mar 2023', '30 Dec 2022 – 2 Jan 2023' (chart titles).
    """
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if start.normalize() == end.normalize():
        return day(start, short)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}{'–' if short else ' to '}{day(end, short)}"
    return f"{day(start, short, year=start.year != end.year)}{' – ' if short else ' to '}{day(end, short)}"


def count(n, singular: str, plural: str | None = None) -> str:
    """'1 attack', '3 attacks', '1,234 attacks'."""
    n = int(n)
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"


def were(n) -> str:
    """The verb agreeing with a count: 'was' for 1, 'were' otherwise ('no attacks were', '3 attacks were')."""
    return "was" if n is not None and not pd.isna(n) and int(n) == 1 else "were"


def people(n, noun: str, verb_past: str) -> str:
    """'1 civilian was killed', '3 civilians were injured', 'an unknown number of civilians were killed'."""
    if n is None or pd.isna(n):
        return f"an unknown number of {noun}s were {verb_past}"
    n = int(n)
    return f"{n:,} {noun}{'' if n == 1 else 's'} {'was' if n == 1 else 'were'} {verb_past}"


def percent(share) -> str:
    """'85%' (or 'no share' when undefined)."""
    return "no share" if share is None or pd.isna(share) else f"{share:.0%}"


def change(absolute, relative) -> str:
    """'up 12 (+25%)', 'down 3 (-10%)', 'unchanged', 'up 4 (from none)'."""
    if pd.isna(absolute):
        return "not comparable"
    absolute = int(absolute)
    if absolute == 0:
        return "unchanged"
    direction = "up" if absolute > 0 else "down"
    share = "from none" if pd.isna(relative) else f"{relative:+.0%}"
    return f"{direction} {abs(absolute):,} ({share})"
