"""Numbers and dates in words, the way an article writes them.

Small, tested helpers so that report sentences read naturally ("1 civilian was
killed", "58 civilians were killed", "14 March 2023") and never say "0" for
"unknown".
"""

from __future__ import annotations

import pandas as pd


def day(value) -> str:
    """'14 March 2023'."""
    return f"{pd.Timestamp(value):%-d %B %Y}"


def day_range(start, end) -> str:
    """'8 to 14 March 2023', '28 February to 6 March 2023', or one day."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if start == end:
        return day(start)
    if start.year != end.year:
        return f"{day(start)} to {day(end)}"
    if start.month != end.month:
        return f"{start:%-d %B} to {day(end)}"
    return f"{start:%-d} to {day(end)}"


def count(n, singular: str, plural: str | None = None) -> str:
    """'1 attack', '3 attacks', '1,234 attacks'."""
    n = int(n)
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"


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
