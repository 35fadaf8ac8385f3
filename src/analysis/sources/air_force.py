"""Reader for the daily missile and drone attack reports of the Ukrainian Air Force.

The format is Petro Ivaniuk's compilation of the Air Force's (and its regional
commands') morning posts: one row per weapon model per attack window, e.g.
"18:00 to 08:30 the next day, 123 Shahed-136/131 launched, 110 destroyed".
Columns are matched by name (any order, any case; ``affected region`` keeps its
space).  Facts about the format are in ``../shared/formats.md``; mapping
decisions:

* ``required`` holds only what the mapping cannot do without: ``time_start``,
  ``time_end``, ``model``, ``launched`` and ``destroyed``.  ``launch_place``,
  ``target``, ``not_reach_goal`` and ``source`` are mapped where present
  (absent = empty/unknown), so that older, narrower versions of the file read.
  The other columns are known but not mapped: ``target_main``,
  ``still_attacking``, ``border_crossing``, ``is_shahed``, ``num_hit_location``,
  ``num_fall_fragment_location``, ``carrier``, ``turbojet``,
  ``turbojet_destroyed``, ``affected region`` and the Python-literal columns
  (``destroyed_details``, ``launched_details``, ``launch_place_details``, e.g.
  ``{'south': 49, 'east': NaN}``).  None of them is parsed, so nothing is ever
  evaluated.
* ``window_start`` / ``window_end`` from ``time_start`` / ``time_end``, keeping
  the time of day (Kyiv time as reported; no time zone is attached).  Accepted
  styles, mixed freely in one file: ``2022-09-28``, ``2025-03-06 21:00``,
  ``2023-05-16 3:30`` (hour without leading zero), with seconds, with ``T``
  instead of the space; surrounding and repeated spaces are ignored.  Anything
  else is rejected (``unparseable_date``); an empty value is rejected
  (``required_value_missing``).
* A date without a time means "some time that day": as ``time_start`` it is the
  start of the day (00:00), as ``time_end`` the end of the day
  (23:59:59.999), so that the window covers the whole day and never ends
  before it starts (``2024-10-28 19:00`` to ``2024-10-29`` ends late on the
  29th).  The real sample has 2,098 date-only starts and 1,325 date-only ends.
* Windows may span midnight (18:00 to 08:30 the next day); ``window_end``
  before ``window_start`` is rejected by the schema (``window_end_before_start``).
* ``count_date`` is the calendar day of ``window_end``: the day of the morning
  report.  Daily counts attribute the whole window to that day, so the night of
  28 February to 1 March counts on 1 March.
* ``launched``, ``destroyed``, ``not_reached_target`` (= ``not_reach_goal``)
  are whole numbers written as floats (``123.0``); empty = unknown (<NA>), not
  0.  Non-numbers and fractions are rejected (``not_a_number``,
  ``not_a_whole_number``), negative numbers by the schema (``negative_count``).
  ``destroyed > launched`` is rejected by the schema
  (``destroyed_exceeds_launched``; no real row breaks it).
  ``destroyed + not_reached_target > launched`` is only a warning
  (``destroyed_plus_not_reached_exceeds_launched``): one real row has it
  (16 launched, 15 destroyed, 11 not reached) and it is unknown which number is
  wrong, or whether the two overlap.
* ``weapon_model`` is ``model`` as reported (required).  ``weapon_category`` is
  our own coding, from :data:`WEAPON_PATTERNS` (below, with reasons): a model
  of several weapons joined by " and " gets the category its parts share and
  ``other`` when they differ (``C-300 and Iskander-M``); a model matching no
  pattern gets ``unknown`` and a warning (``unknown_weapon_model``), it is not
  rejected.  Models known to be unidentified (``Unknown Missile``) are
  ``unknown`` without a warning.  Where we differ from the dataset's own
  reference table (``missiles_and_uavs.csv``) we do so on purpose: Kh-22/Kh-32,
  Kh-35, P-800 Oniks and 3M22 Zircon are anti-ship missiles (the reference
  says cruise), Kh-31 variants are anti-radiation air-to-surface missiles
  (``other``), Kinzhal is always ballistic, and "Unknown Missile" is not known
  to be a cruise missile.
* ``launch_place`` and ``target`` as written (" and "-joined lists stay text).
* ``source`` is a Facebook path (``kpszsu/posts/pfbid...``,
  ``PvKPivden/videos/...``, ``watch/?v=...``; the format drops the
  ``https://www.facebook.com/`` prefix, which ``source_url`` restores), a full
  URL (``https://t.me/kpszsu/44624``, kept as is) or a site path
  (``kharkivoda.gov.ua/news/123125`` -> ``https://`` + it).  ``source_name``
  names the page (:data:`SOURCE_PAGES`): ``kpszsu`` is the Air Force Command,
  ``PvKPivden``/``pvkshid``/``PvkZahid``/``PvkCenter`` its regional Air Commands
  South/East/West/Centre; a few rows cite the General Staff, the
  Commander-in-Chief, the chief of defence intelligence, a regional military
  administration or a monitoring channel, and keep that name.  A Facebook
  video without a page (``watch/?v=``) or an empty source is
  "Ukrainian Air Force".  A page not in the table keeps its name as written
  (``facebook.com/<page>``, ``t.me/<channel>``, the site, or the free text)
  and is reported (``unknown_source_page``); anything that is not a path or URL
  gets no ``source_url``.
* ``report_id`` = ``"air_force:"`` + 16 hex digits of
  ``pandas.util.hash_pandas_object`` over (window_start, window_end as ISO
  text, model, launch_place, target, source; stripped), which is
  deterministic and independent of the row's position and of whitespace and
  time style (``3:30`` = ``03:30``).  Counts are not part of the id: a second
  row for the same window, model, places and post is a duplicate report and is
  merged (``is_identical`` tells whether its counts agree).  The real sample
  has no exact duplicates and no id collisions; window and model alone would
  collide 46 times (two posts, or two launch places, for one window and model).
* ``is_synthetic`` is False, or read from an extra ``is_synthetic`` column
  (true/false), which also prefixes the id with ``synthetic-``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis.tables.schemas import DATE, WEAPON_CATEGORIES
from analysis.sources import base
from analysis.sources.base import Failures, Layout, Reader

NAME = "air_force"

ALL_COLUMNS = (
    "time_start", "time_end", "model", "launch_place", "target", "target_main", "launched", "destroyed",
    "not_reach_goal", "still_attacking", "border_crossing", "is_shahed", "num_hit_location",
    "num_fall_fragment_location", "carrier", "turbojet", "turbojet_destroyed", "affected region",
    "destroyed_details", "launched_details", "launch_place_details", "source",
)
_REQUIRED = ("time_start", "time_end", "model", "launched", "destroyed")
_MAPPED_OPTIONAL = ("launch_place", "target", "not_reach_goal", "source")
_EXTRAS = ("is_synthetic",)

LAYOUTS = (
    Layout(
        "air_force",
        required=_REQUIRED,
        optional=tuple(c for c in ALL_COLUMNS if c not in _REQUIRED) + _EXTRAS,
        description="Ukrainian Air Force daily missile and drone attack reports (Petro Ivaniuk's dataset)",
    ),
)

# Canonical column -> column of the file, so rejections name the column as written.
SOURCE_COLUMNS = {"window_start": "time_start", "window_end": "time_end", "count_date": "time_end",
                  "weapon_model": "model", "weapon_category": "model", "not_reached_target": "not_reach_goal",
                  "source_name": "source", "source_url": "source"}

DATE_ONLY_FORMAT = "%Y-%m-%d"
DATETIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")
END_OF_DAY = pd.Timedelta(days=1) - pd.Timedelta(milliseconds=1)

DEFAULT_SOURCE_NAME = "Ukrainian Air Force"

# ---------------------------------------------------------------- weapon categories
_KH = r"(?<![a-zа-я0-9])(?:x|kh|х)-?"  # Kh-101 is written X-101 (Latin X for Cyrillic Х) in the file
_END = r"(?![0-9])"

# Our own coding of models into schemas.WEAPON_CATEGORIES: (category, pattern, reason).
# Patterns are searched case-insensitively in each " and "-separated part of
# ``model``; a part matching patterns of two categories is "other" (mixed).
WEAPON_PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("drone",
     r"shahed|шахед|geran|герань|gerbera|гербера|\buav\b|бпла|drone|дрон|orlan|орлан|zala|supercam"
     r"|суперкам|lancet|ланцет|\bkub\b|merlin|mohajer|\borion\b|forpost|форпост|eleron|элерон|granat"
     r"|молні|молни|molni|privet|привет|привіт",
     "uncrewed aircraft: Shahed/Geran strike drones, reconnaissance drones (Orlan, ZALA, Supercam, Merlin, "
     "Forpost, Orion, Eleron, Granat, Mohajer), loitering munitions (Lancet, Kub, Molniya, Privet-82), "
     "'Unknown UAV', 'Reconnaissance UAV'"),
    ("cruise missile",
     rf"{_KH}(?:101|555|59|69){_END}|kalibr|калібр|калибр|iskander-?k\b|banderol|бандероль|cruise"
     r"|крилат",
     "land-attack cruise missiles: Kh-101/Kh-555 (air-launched), Kalibr (sea-launched), Iskander-K "
     "(ground-launched), the air-launched Kh-59/Kh-69 (incl. Kh-59MK2) and the small Banderol"),
    ("ballistic missile",
     rf"iskander-?m\b|\bkn-?2[34]\b|kinzhal|кинжал|кинджал|{_KH}47{_END}|ballistic|балістич"
     r"|oreshnik|орешник|tochka|точка",
     "ballistic missiles: Iskander-M, North Korean KN-23/KN-24, the aeroballistic Kh-47 Kinzhal, "
     "'Ballistic Missile', 'Intercontinental Ballistic Missile'"),
    ("anti-ship missile",
     rf"{_KH}(?:22|32|35){_END}|oniks|onyx|онікс|оникс|\bp-?800\b|zircon|tsirkon|циркон|anti-ship"
     r"|протикорабел",
     "missiles designed against ships, used against land targets: Kh-22/Kh-32, Kh-35, P-800 Oniks, "
     "3M22 Zircon (the dataset's reference table calls them cruise missiles)"),
    ("surface-to-air missile",
     r"(?<![a-zа-я0-9])[cсs]-?[34]00\b",
     "S-300/S-400 air-defence missiles fired at ground targets (written C-300 with a Latin C)"),
    ("guided aerial bomb",
     r"\bkab\b|\bкаб\b|\bgbu\b|bomb|бомб|umpk|умпк",
     "glide and guided bombs: KAB, GBU, UMPK kits; 'Aerial Bomb' too, since the reports track guided bombs"),
    ("aircraft",
     r"aircraft|helicopter|літак|гелікоптер",
     "crewed aircraft, where a report counts them as a 'model'"),
    ("other",
     rf"{_KH}(?:31|58|29|25){_END}",
     "other air-to-surface missiles, e.g. the anti-radiation Kh-31P/Kh-31PD and Kh-58 (no category fits)"),
    ("unknown",
     r"^\s*(?:(?:unknown|unidentified)\s+)?(?:missiles?|rockets?)\s*$",
     "named as unidentified ('Unknown Missile'): the category is not known, but the model is not a new one"),
)
_COMPILED = tuple((cat, re.compile(pattern, re.IGNORECASE)) for cat, pattern, _ in WEAPON_PATTERNS)
assert all(cat in WEAPON_CATEGORIES for cat, _ in _COMPILED)

# ---------------------------------------------------------------- sources
# Page, channel or site (lower case) -> who reported it.
SOURCE_PAGES = {
    "kpszsu": "Ukrainian Air Force",
    "pvkpivden": "Ukrainian Air Force, Air Command South",
    "pvkshid": "Ukrainian Air Force, Air Command East",
    "pvkzahid": "Ukrainian Air Force, Air Command West",
    "pvkcenter": "Ukrainian Air Force, Air Command Centre",
    "generalstaff.ua": "General Staff of the Armed Forces of Ukraine",
    "cincafu": "Commander-in-Chief of the Armed Forces of Ukraine",
    "chiefukrdiu": "Chief of Defence Intelligence of Ukraine",
    "war_monitor": "monitor (Telegram monitoring channel war_monitor)",
    "kharkivoda.gov.ua": "Kharkiv Regional Military Administration",
}
_FACEBOOK_PATH = r"^(?:watch/?\?v=|(?:permalink|story)\.php\?|[\w.\-]+/(?:posts|videos|photos|reels?|permalink)/)"
_SITE_PATH = r"^[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.(?:ua|com|org|net|gov|info|io|eu)(?:/|$)"
_URL = r"^https?://"


def variant(columns: set[str]) -> str:
    """Human name of the layout variant, for the validate report."""
    known = len(columns & set(ALL_COLUMNS))
    return f"air_force ({known} of {len(ALL_COLUMNS)} columns)"


def parse(raw: pd.DataFrame, failures: Failures) -> pd.DataFrame:
    """Raw Air Force report strings -> air-attack report columns (rows aligned with ``raw``)."""
    index = raw.index
    raw = raw.assign(**{c: pd.Series("", index=index, dtype="str") for c in _MAPPED_OPTIONAL if c not in raw})
    base.require(raw, ("model",), failures)
    start = parse_times(raw["time_start"], "time_start", failures, end_of_day=False)
    end = parse_times(raw["time_end"], "time_end", failures, end_of_day=True)
    model = base.clean_text(raw["model"])
    launched = base.parse_count(raw["launched"], "launched", failures)
    destroyed = base.parse_count(raw["destroyed"], "destroyed", failures)
    not_reached = base.parse_count(raw["not_reach_goal"], "not_reach_goal", failures)
    _check_outcomes(raw, launched, destroyed, not_reached, failures)
    category = _categories(model)
    failures.warn((category.isna() & model.notna()).to_numpy(bool), raw["model"], "model",
                  "unknown_weapon_model", "the model matches no pattern of air_force.WEAPON_PATTERNS; "
                  "weapon_category is 'unknown' (row kept)")
    source_name, source_url = parse_source(raw["source"], failures)
    synthetic = _synthetic_flag(raw, failures)
    report_id = _report_id(raw, start, end, synthetic)
    return pd.DataFrame(
        {
            "report_id": report_id,
            "source_dataset": NAME,
            "window_start": start,
            "window_end": end,
            "count_date": end.dt.normalize().astype(DATE),
            "weapon_model": model,
            "weapon_category": category.fillna("unknown").astype("str"),
            "launched": launched,
            "destroyed": destroyed,
            "not_reached_target": not_reached,
            "launch_place": base.clean_text(raw["launch_place"]),
            "target": base.clean_text(raw["target"]),
            "source_name": source_name,
            "source_url": source_url,
            "is_synthetic": synthetic,
        },
        index=index,
    )


# ---------------------------------------------------------------- times
def parse_times(values: pd.Series, column: str, failures: Failures, end_of_day: bool) -> pd.Series:
    """Date-and-time values in the styles of the format, keeping the time of day (vectorised).

    A date without a time is 00:00 of that day, or the last millisecond of it
    where ``end_of_day`` (the end of a window).  Empty values and values in no
    known style are failures.
    """
    text = values.str.strip().str.replace(r"\s+", " ", regex=True)
    out = pd.Series(pd.NaT, index=values.index, dtype=DATE)
    todo = (text != "").to_numpy(dtype=bool, copy=True)
    for fmt in (DATE_ONLY_FORMAT,) + DATETIME_FORMATS:
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        ok = parsed.notna().to_numpy()
        if ok.any():
            if fmt == DATE_ONLY_FORMAT and end_of_day:
                parsed = parsed + END_OF_DAY
            idx = np.flatnonzero(todo)[ok]
            out.iloc[idx] = parsed[ok].astype(DATE).to_numpy()
            todo[idx] = False
    failures.add(todo, values, column, "unparseable_date",
                 f"'{column}' is not a date or date and time in a known style "
                 "(2022-09-28, 2025-03-06 21:00, 2023-05-16 3:30)")
    failures.add((text == "").to_numpy(bool), values, column, "required_value_missing",
                 f"'{column}' is required but empty")
    return out


# ---------------------------------------------------------------- counts
def _check_outcomes(raw: pd.DataFrame, launched: pd.Series, destroyed: pd.Series, not_reached: pd.Series,
                    failures: Failures) -> None:
    """destroyed + not reached > launched is suspicious, not wrong (destroyed > launched is the schema's)."""
    over = ((destroyed + not_reached > launched) & (destroyed <= launched) & (not_reached >= 0)
            & (destroyed >= 0)).fillna(False).to_numpy(bool)
    shown = ("launched=" + raw["launched"].str.strip() + ", destroyed=" + raw["destroyed"].str.strip()
             + ", not_reach_goal=" + raw["not_reach_goal"].str.strip())
    failures.warn(over, shown, "launched,destroyed,not_reach_goal", "destroyed_plus_not_reached_exceeds_launched",
                  "destroyed + not_reach_goal exceeds launched (row kept; which number is wrong is unknown)")


# ---------------------------------------------------------------- weapons
def weapon_category(models: pd.Series) -> pd.Series:
    """Category of each model (schemas.WEAPON_CATEGORIES); 'unknown' where no pattern matches."""
    return _categories(models).fillna("unknown").astype("str")


def _categories(models: pd.Series) -> pd.Series:
    """Category of each model, <NA> where no pattern matches; computed once per distinct model."""
    mapping = {model: category_of(model) for model in pd.unique(models.dropna())}
    return models.map(mapping)


def category_of(model: str) -> str | None:
    """Category of one model string, None if some part of it matches no pattern.

    Several weapons joined by ' and ' get the category they share, or 'other'
    when they differ; so does one part matching patterns of two categories.
    """
    categories = set()
    for part in re.split(r"\s+and\s+", model.strip()):
        matched = {cat for cat, pattern in _COMPILED if pattern.search(part)}
        if not matched:
            return None
        categories.add(matched.pop() if len(matched) == 1 else "other")
    return categories.pop() if len(categories) == 1 else "other"


# ---------------------------------------------------------------- sources
def parse_source(values: pd.Series, failures: Failures) -> tuple[pd.Series, pd.Series]:
    """(source_name, source_url) from the ``source`` column; see the module docstring."""
    text = values.str.strip()
    is_url = text.str.contains(_URL, case=False, regex=True)
    is_facebook = ~is_url & text.str.contains(_FACEBOOK_PATH, case=False, regex=True)
    is_site = ~is_url & ~is_facebook & text.str.contains(_SITE_PATH, case=False, regex=True)
    url = pd.Series(None, index=values.index, dtype="str")
    url = url.mask(is_url, text).mask(is_facebook, "https://www.facebook.com/" + text).mask(is_site, "https://" + text)

    # The page, channel or site that published it: the first path segment of a
    # Facebook path or of a facebook.com / t.me URL, the host of other URLs and
    # sites, the text itself otherwise; '' for Facebook links naming no page.
    address = text.str.replace(_URL, "", case=False, regex=True).str.replace(r"(?i)^(?:www\.|m\.)", "", regex=True)
    host = address.str.extract(r"^([^/?#]*)", expand=False).fillna("")
    segment = address.str.extract(r"^[^/?#]*/([^/?#]*)", expand=False).fillna("")
    on_platform = is_url & host.str.lower().isin(["facebook.com", "fb.com", "t.me"])
    page = host.where(is_url | is_facebook | is_site, text).where(~on_platform, segment)
    page = page.mask(page.str.lower().isin(["watch", "permalink.php", "story.php"]), "")
    label = page.where(~on_platform, host.str.lower() + "/" + page).where(~is_facebook, "facebook.com/" + page)

    known = page.str.lower().map(SOURCE_PAGES)
    name = known.where(known.notna(), label)
    name = name.where(page != "", DEFAULT_SOURCE_NAME)
    unknown = (known.isna() & (page != "")).to_numpy(bool)
    failures.warn(unknown, values, "source", "unknown_source_page",
                  "the page, channel or site is not in air_force.SOURCE_PAGES; source_name is it as written")
    return name.astype("str"), url.astype("str")


# ---------------------------------------------------------------- ids
def _report_id(raw: pd.DataFrame, start: pd.Series, end: pd.Series, synthetic: np.ndarray) -> pd.Series:
    """'air_force:' + 16 hex digits of a deterministic hash of what identifies the report row."""
    key = pd.DataFrame({
        "window_start": start.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").fillna(""),
        "window_end": end.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").fillna(""),
        **{c: raw[c].str.strip().str.replace(r"\s+", " ", regex=True)
           for c in ("model", "launch_place", "target", "source")},
    }).astype("str")
    hashes = pd.util.hash_pandas_object(key, index=False).to_numpy(np.uint64)
    return base.prefixed_ids(pd.Series(_hex(hashes), index=raw.index), NAME, synthetic)


def _hex(hashes: np.ndarray) -> np.ndarray:
    """uint64 -> 16 lower-case hex digits each, without a Python loop."""
    digits = np.array(list("0123456789abcdef"))
    octets = hashes.astype(">u8").view(np.uint8).reshape(-1, 8)
    chars = np.stack([digits[octets >> 4], digits[octets & 15]], axis=2).reshape(-1, 16)
    return np.ascontiguousarray(chars).view("<U16").ravel()


def _synthetic_flag(raw: pd.DataFrame, failures: Failures) -> np.ndarray:
    if "is_synthetic" not in raw:
        return np.zeros(len(raw), dtype=bool)
    return base.parse_bool(raw["is_synthetic"], "is_synthetic", failures).to_numpy(bool)


READER = Reader(NAME, "air_attacks", LAYOUTS, parse, source_columns=SOURCE_COLUMNS, variant=variant)
