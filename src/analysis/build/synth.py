"""Deterministic synthetic ACLED-format events, for demos, tests and benchmarks.

``write_synthetic_acled(path, rows, seed)`` writes a CSV in ACLED's current
31-column API layout plus one extra column, ``is_synthetic`` (= true), which
the ACLED reader turns into the ``is_synthetic`` flag and the ``synthetic-``
id prefix, so synthetic rows can never be mistaken for, or merged with, real
ACLED events.  The same ``rows``/``seed``/dates always give the same bytes.
Every id also carries what made its file (:func:`file_tag`: seed, rows, first
and last day), so two synthetic files made with different parameters never
share an id: ``UKR-s2023-n750-20230101-20230630-900123``.  Air Force reports
carry the tag in their ``source`` (part of their id).

Distributions are rough but realistic for Ukraine since February 2022:
* intensity varies by day (a smooth random wave around a weekly rhythm);
* oblasts weighted towards the front (Donetsk about 40%);
* settlements drawn from the GeoNames gazetteer within the oblast, weighted by
  the square root of population;
* ACLED event types and sub-types in proportions close to ACLED's Ukraine data;
* fatalities zero-inflated (most events report none), with notes saying
  "Casualties unknown." for a share of the zeros, as ACLED does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis import storage, wording
from analysis.places import load_gazetteer
from analysis.sources.acled import CURRENT_COLUMNS

OBLAST_WEIGHTS = {
    "Donetsk": 40, "Kharkiv": 12, "Zaporizhzhia": 11, "Kherson": 10, "Luhansk": 7, "Dnipropetrovsk": 5,
    "Sumy": 5, "Mykolaiv": 3, "Chernihiv": 2, "Kyiv City": 1, "Kyiv": 1, "Odesa": 1.5, "Zhytomyr": 0.5,
    "Poltava": 0.5, "Lviv": 0.3, "Vinnytsia": 0.3, "Khmelnytskyi": 0.2, "Kirovohrad": 0.2,
}
# (event_type, sub_event_type, share, P(no fatalities), mean fatalities when some)
EVENT_MIX = [
    ("Explosions/Remote violence", "Shelling/artillery/missile attack", 50.0, 0.78, 2.5),
    ("Explosions/Remote violence", "Air/drone strike", 17.0, 0.72, 3.0),
    ("Explosions/Remote violence", "Remote explosive/landmine/IED", 1.5, 0.5, 1.5),
    ("Explosions/Remote violence", "Grenade", 0.5, 0.6, 1.2),
    ("Battles", "Armed clash", 19.0, 0.65, 4.0),
    ("Battles", "Government regains territory", 0.8, 0.8, 3.0),
    ("Battles", "Non-state actor overtakes territory", 0.4, 0.8, 3.0),
    ("Violence against civilians", "Attack", 2.5, 0.3, 1.5),
    ("Violence against civilians", "Abduction/forced disappearance", 0.6, 1.0, 0.0),
    ("Strategic developments", "Disrupted weapons use", 3.0, 1.0, 0.0),
    ("Strategic developments", "Arrests", 0.8, 1.0, 0.0),
    ("Strategic developments", "Looting/property destruction", 0.4, 1.0, 0.0),
    ("Protests", "Peaceful protest", 2.5, 1.0, 0.0),
    ("Riots", "Mob violence", 0.2, 0.9, 1.0),
]
RUSSIA, UKRAINE, CIVILIANS = "Military Forces of Russia (2000-)", "Military Forces of Ukraine (2019-)", "Civilians (Ukraine)"
_VERBS = {"Shelling/artillery/missile attack": "Russian forces shelled", "Air/drone strike": "Russian forces struck",
          "Armed clash": "Russian and Ukrainian forces clashed near", "Attack": "Russian forces attacked civilians in",
          "Peaceful protest": "residents protested in", "Disrupted weapons use": "Ukrainian air defence shot down drones over"}


def file_tag(seed: int, start: str, end: str, rows: int | None = None) -> str:
    """What distinguishes one generated file from another, for its ids: ``s<seed>[-n<rows>]-<start>-<end>``."""
    size = "" if rows is None else f"-n{rows}"
    return f"s{seed}{size}-{pd.Timestamp(start):%Y%m%d}-{pd.Timestamp(end):%Y%m%d}"


def synthetic_acled(rows: int, seed: int = 0, start: str = "2022-02-24", end: str = "2023-12-31") -> pd.DataFrame:
    """A frame of ``rows`` synthetic events in ACLED's current layout (strings), plus is_synthetic."""
    return _synthetic(rows, np.random.default_rng(seed), start, end, f"UKR-{file_tag(seed, start, end, rows)}-")


def _synthetic(rows: int, rng: np.random.Generator, start: str, end: str, id_prefix: str) -> pd.DataFrame:
    dates = _dates(rng, rows, pd.Timestamp(start), pd.Timestamp(end))
    places = _places(rng, rows)
    mix = _event_mix(rng, rows)
    fatalities = _fatalities(rng, mix)
    frame = _assemble(rng, dates, places, mix, fatalities, id_prefix)
    return frame.sort_values(["event_date", "event_id_cnty"], kind="stable").reset_index(drop=True)


def write_synthetic_acled(path: Path, rows: int, seed: int = 0, start: str = "2022-02-24",
                          end: str = "2023-12-31", part_rows: int = 2_500_000) -> Path:
    """Write :func:`synthetic_acled` to ``path`` atomically and return the path.

    More than ``part_rows`` rows are generated and appended in parts of at
    most that many (each sorted by date, with its own random stream and ids
    ``...-p<part>-...``), so that memory stays that of one part: 25 million
    rows in one frame do not fit in 24 GiB.
    """
    if rows <= part_rows:
        storage.write_csv(Path(path), synthetic_acled(rows, seed, start, end))
        return Path(path)
    parts = -(-rows // part_rows)
    with storage.atomic_path(Path(path)) as tmp:
        for part in range(parts):
            size = rows // parts + (1 if part < rows % parts else 0)
            frame = _synthetic(size, np.random.default_rng([seed, part]), start, end,
                               f"UKR-{file_tag(seed, start, end, rows)}-p{part}-")
            storage.neutralise_formulas(frame).to_csv(tmp, mode="a", header=part == 0, index=False,
                                                      lineterminator="\n", encoding="utf-8")
    return Path(path)


def _dates(rng: np.random.Generator, rows: int, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    days = pd.date_range(start, end, freq="D")
    if len(days) == 0:
        raise ValueError(f"empty date range {start:%Y-%m-%d}..{end:%Y-%m-%d}")
    t = np.arange(len(days))
    wave = np.convolve(rng.normal(0, 1, len(days) + 60), np.ones(61) / 61, mode="valid")[: len(days)]
    weights = np.exp(1.5 * wave / (wave.std() or 1)) * (1 + 0.15 * np.sin(2 * np.pi * t / 7))
    return np.sort(rng.choice(days.to_numpy(), size=rows, p=weights / weights.sum()))


def _places(rng: np.random.Generator, rows: int) -> pd.DataFrame:
    gaz = load_gazetteer()
    gaz = gaz[gaz["admin1"].isin(OBLAST_WEIGHTS)].sort_values("geonameid").reset_index(drop=True)
    oblast_w = gaz["admin1"].map(OBLAST_WEIGHTS) / gaz.groupby("admin1")["admin1"].transform("size")
    # weight within an oblast by sqrt(population), normalised so oblast shares hold
    pop_w = np.sqrt(gaz["population"].clip(lower=1))
    pop_w = pop_w / pop_w.groupby(gaz["admin1"]).transform("mean")
    weights = (oblast_w * pop_w).to_numpy()
    picks = rng.choice(len(gaz), size=rows, p=weights / weights.sum())
    return gaz.iloc[picks].reset_index(drop=True)


def _event_mix(rng: np.random.Generator, rows: int) -> pd.DataFrame:
    mix = pd.DataFrame(EVENT_MIX, columns=["event_type", "sub_event_type", "share", "p_zero", "mean"])
    picks = rng.choice(len(mix), size=rows, p=(mix["share"] / mix["share"].sum()).to_numpy())
    return mix.iloc[picks].reset_index(drop=True)


def _fatalities(rng: np.random.Generator, mix: pd.DataFrame) -> np.ndarray:
    some = rng.random(len(mix)) >= mix["p_zero"].to_numpy()
    counts = 1 + rng.geometric(1 / np.maximum(mix["mean"].to_numpy(), 1.0)) - 1
    return np.where(some, counts, 0)


def _assemble(rng, dates, places: pd.DataFrame, mix: pd.DataFrame, fatalities: np.ndarray,
              id_prefix: str) -> pd.DataFrame:
    rows = len(dates)
    day = pd.to_datetime(dates)
    near = rng.random(rows) < 0.3
    jitter = np.where(near[:, None], rng.uniform(-0.04, 0.04, (rows, 2)), 0.0)
    civilians = mix["event_type"].eq("Violence against civilians").to_numpy() | (rng.random(rows) < 0.15)
    protest = mix["event_type"].isin(["Protests", "Riots"]).to_numpy()
    unknown = (fatalities == 0) & (rng.random(rows) < 0.7) & ~protest
    verb = mix["sub_event_type"].map(_VERBS).fillna("an event was recorded in").to_numpy()
    location = places["name"].to_numpy()
    notes = ("On " + wording.days(day) + ", " + verb + " " + location + ", " + places["admin1"].to_numpy()
             + "." + np.where(unknown, " Casualties unknown.", "") + " [synthetic]")
    frame = pd.DataFrame({
        "event_id_cnty": id_prefix + pd.Series(rng.permutation(rows) + 900000).astype(str),
        "event_date": day.strftime("%Y-%m-%d"),
        "year": day.year.astype(str),
        "time_precision": np.where(rng.random(rows) < 0.97, "1", "2"),
        "disorder_type": np.where(protest, "Demonstrations", "Political violence"),
        "event_type": mix["event_type"], "sub_event_type": mix["sub_event_type"],
        "actor1": np.where(protest, "Protesters (Ukraine)", RUSSIA), "assoc_actor_1": "",
        "inter1": np.where(protest, "6", "8"),
        "actor2": np.where(civilians, CIVILIANS, np.where(protest, "", UKRAINE)), "assoc_actor_2": "",
        "inter2": np.where(civilians, "7", np.where(protest, "0", "1")),
        "interaction": np.where(civilians, "78", np.where(protest, "60", "18")),
        "civilian_targeting": np.where(civilians & ~protest, "Civilian targeting", ""),
        "iso": "804", "region": "Europe", "country": "Ukraine",
        "admin1": places["admin1"], "admin2": "", "admin3": "", "location": location,
        "latitude": (places["latitude"].to_numpy() + jitter[:, 0]).round(4).astype(str),
        "longitude": (places["longitude"].to_numpy() + jitter[:, 1]).round(4).astype(str),
        "geo_precision": np.where(near, "2", "1"),
        "source": "Synthetic generator", "source_scale": "Other", "notes": notes,
        "fatalities": fatalities.astype(str), "tags": "",
        "timestamp": (day + pd.Timedelta(days=7)).as_unit("s").astype("int64").astype(str),
        "is_synthetic": "true",
    })
    return frame[list(CURRENT_COLUMNS) + ["is_synthetic"]]


# ---------------------------------------------------------------- Air Force daily reports
# (model, share of nights it appears, mean launched when it does, share destroyed)
AIR_MIX = [
    ("Shahed-136/131", 0.75, 40.0, 0.85),
    ("X-101/X-555", 0.12, 25.0, 0.85),
    ("Kalibr", 0.08, 10.0, 0.8),
    ("Iskander-M/KN-23", 0.2, 3.0, 0.3),
    ("X-59/X-69", 0.05, 4.0, 0.5),
]


def synthetic_air_force(seed: int = 0, start: str = "2023-01-01", end: str = "2023-06-30") -> pd.DataFrame:
    """Nightly synthetic Air Force reports (18:00 to 08:00) in the real format, plus is_synthetic."""
    rng = np.random.default_rng(seed)
    nights = pd.date_range(start, end, freq="D")
    mix = pd.DataFrame(AIR_MIX, columns=["model", "p", "mean", "share"])
    grid = mix.merge(pd.DataFrame({"night": nights}), how="cross")
    grid = grid[rng.random(len(grid)) < grid["p"].to_numpy()].reset_index(drop=True)
    launched = 1 + rng.poisson(grid["mean"].to_numpy() - 1)
    destroyed = rng.binomial(launched, grid["share"].to_numpy())
    frame = pd.DataFrame({
        "time_start": (grid["night"] + pd.Timedelta(hours=18)).dt.strftime("%Y-%m-%d %H:%M"),
        "time_end": (grid["night"] + pd.Timedelta(hours=32)).dt.strftime("%Y-%m-%d %H:%M"),
        "model": grid["model"], "launch_place": "", "target": "Ukraine",
        "launched": launched.astype(float).astype(str), "destroyed": destroyed.astype(float).astype(str),
        "source": f"kpszsu/posts/synthetic-{file_tag(seed, start, end)}", "is_synthetic": "true",
    })
    return frame.sort_values(["time_start", "model"], kind="stable").reset_index(drop=True)


def write_synthetic_air_force(path: Path, seed: int = 0, start: str = "2023-01-01", end: str = "2023-06-30") -> Path:
    storage.write_csv(Path(path), synthetic_air_force(seed, start, end))
    return Path(path)
