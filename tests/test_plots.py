"""Figures: house style, layout, builders, source lines, SYNTHETIC marks, alt text and deterministic saving.

Frames are built by hand with the metric output columns (schemas.py) and a
Provenance attached, so each expectation can be counted by eye.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import matplotlib as mpl
import matplotlib.style
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from analysis import plots
from analysis.metrics import provenance
from analysis.figures import save as figure_save
from analysis.errors import ParameterError
from analysis.metrics.provenance import Provenance

ACLED_UCDP = Provenance(("ACLED", "UCDP GED"), "2023-01-01", "2023-06-30", False)
DATE = "datetime64[ms]"


# ---------------------------------------------------------------- hand-made metric frames
def attacks_daily(prov: Provenance | None = ACLED_UCDP, rolling: bool = True) -> pd.DataFrame:
    """ATTACKS_PER_DAY for 1 Jan - 30 Jun 2023: 3 a day, 14 on 5 March, 2 imprecise on 1 June."""
    days = pd.date_range("2023-01-01", "2023-06-30", unit="ms")
    attacks = np.full(len(days), 3, dtype="int64")
    attacks[days == pd.Timestamp("2023-03-05")] = 14
    imprecise = np.zeros(len(days), dtype="int64")
    imprecise[days == pd.Timestamp("2023-06-01")] = 2
    frame = pd.DataFrame({"event_date": days, "attacks": attacks, "attacks_imprecise_date": imprecise})
    if rolling:
        frame["attacks_rolling_mean"] = frame["attacks"].rolling(7, min_periods=7).mean().astype("Float64")
    return provenance.attach(frame, prov) if prov else frame


def attacks_by_type() -> pd.DataFrame:
    """ATTACKS_PER_DAY with by='event_type': 10 days x 3 groups (long format, as the metric returns)."""
    days = pd.date_range("2023-03-01", "2023-03-10", unit="ms")
    counts = {"Battles": 2, "Explosions/Remote violence": 5, "(not given)": 2}
    frame = pd.DataFrame([(d, group, n) for group, n in counts.items() for d in days],
                         columns=["event_date", "event_type", "attacks"])
    frame["attacks_imprecise_date"] = 0
    return provenance.attach(frame.astype({"event_date": DATE}), ACLED_UCDP)


def harm_by_city() -> pd.DataFrame:
    """CIVILIAN_HARM_BY_CITY: Bakhmut's killed toll is unknown (3 incidents); Kharkiv has 2 unknown of 5."""
    frame = pd.DataFrame({
        "settlement": ["Kramatorsk", "Kharkiv", "Uman", "Bakhmut"],
        "admin1": ["Donetsk", "Kharkiv", "Cherkasy", "Donetsk"],
        "geonameid": pd.array([704508, 706483, 691005, 712451], dtype="Int64"),
        "is_place_matched": [True, True, True, True],
        "incidents": [2, 5, 1, 3],
        "civilians_killed": pd.array([15, 9, 23, None], dtype="Int64"),
        "civilians_injured": pd.array([64, None, 28, 4], dtype="Int64"),
        "incidents_killed_unknown": [0, 2, 0, 3],
        "incidents_injured_unknown": [0, 5, 0, 2],
        "first_date": pd.to_datetime(["2023-01-10", "2023-02-01", "2023-04-28", "2023-03-03"]).astype(DATE),
        "last_date": pd.to_datetime(["2023-02-01", "2023-06-20", "2023-04-28", "2023-05-30"]).astype(DATE),
    })
    return provenance.attach(frame, Provenance(("ACLED", "news reports (hand-coded)"), "2023-01-10", "2023-06-20",
                                               False))


def air_daily() -> pd.DataFrame:
    """AIR_ATTACKS_PER_DAY, by weapon category: 5 days x (drone, cruise missile)."""
    days = pd.date_range("2023-05-01", "2023-05-05", unit="ms")
    frame = pd.DataFrame({
        "count_date": list(days) * 2,
        "weapon_category": ["cruise missile"] * 5 + ["drone"] * 5,
        "launched": [0, 10, 0, 4, 2, 20, 30, 0, 8, 12],
        "destroyed": [0, 9, 0, 3, 2, 18, 25, 0, 8, 10],
    }).astype({"count_date": DATE})
    launched = frame["launched"].astype("float64")
    frame["share_destroyed"] = (frame["destroyed"] / launched.where(launched > 0)).astype("Float64")
    return provenance.attach(frame, Provenance(("Ukrainian Air Force daily reports",), "2023-05-01", "2023-05-05",
                                               False, "Reports"))


def map_events(synthetic: bool = False) -> pd.DataFrame:
    """Processed-event columns: 6 events, 1 outside the date range, 1 without coordinates, 1 unknown toll."""
    frame = pd.DataFrame({
        "event_id": [f"acled:M{i}" for i in range(6)],
        "event_date": pd.to_datetime(["2023-03-01", "2023-03-02", "2023-03-03", "2023-03-04", "2023-03-05",
                                      "2023-04-20"]).astype(DATE),
        "latitude": pd.array([48.02, 48.59, 49.98, 46.64, None, 50.45], dtype="Float64"),
        "longitude": pd.array([37.80, 38.00, 36.25, 32.61, None, 30.52], dtype="Float64"),
        "event_type": ["Battles", "Explosions/Remote violence", "Explosions/Remote violence",
                       "Explosions/Remote violence", "Battles", "Battles"],
        "fatalities": pd.array([2, 0, None, 12, 1, 5], dtype="Int64"),
        "is_casualties_unknown": [False] * 6,
        "settlement": ["Donetsk", "Bakhmut", "Kharkiv", "Kherson", None, "Kyiv"],
        "admin1": ["Donetsk", "Donetsk", "Kharkiv", "Kherson", "Donetsk", "Kyiv City"],
        "source_dataset": ["acled", "acled", "ucdp_ged", "acled", "acled", "acled"],
        "is_synthetic": [synthetic] + [False] * 5,
        "is_attack": [True] * 6,
    })
    return frame


def texts(fig: Figure) -> list[str]:
    """Every text drawn on the figure (figure texts, axes texts, ticks, legend)."""
    fig.canvas.draw()
    found = [t.get_text() for t in fig.findobj(mpl.text.Text) if t.get_visible()]
    return [t for t in found if t]


def by_gid(fig: Figure, gid: str) -> list:
    return [a for a in fig.findobj() if a.get_gid() == gid]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------- style
def test_house_style_loads_by_dotted_name_from_the_installed_package():
    assert importlib.resources.files("analysis.styles").joinpath("house.mplstyle").is_file()
    import matplotlib.pyplot as plt

    with mpl.rc_context():
        plt.style.use("analysis.styles.house")
        assert mpl.rcParams["svg.hashsalt"] == "analysis-house-style"
        assert mpl.rcParams["svg.fonttype"] == "path"
        assert not mpl.rcParams["axes.spines.top"] and not mpl.rcParams["axes.spines.right"]
        assert mpl.rcParams["axes.grid"] and mpl.rcParams["axes.grid.axis"] == "y"
        assert mpl.rcParams["font.sans-serif"][0] == "DejaVu Sans"
        colors = [c.upper() for c in mpl.rcParams["axes.prop_cycle"].by_key()["color"]]
        assert colors[:len(plots.PALETTE)] == [c.upper() for c in plots.PALETTE]


def test_house_style_context_restores_the_callers_settings():
    with mpl.rc_context({"svg.hashsalt": "mine", "axes.grid": False}):
        with plots.house_style():
            assert mpl.rcParams["svg.hashsalt"] == "analysis-house-style"
            assert mpl.rcParams["axes.grid"]
        assert mpl.rcParams["svg.hashsalt"] == "mine"
        assert not mpl.rcParams["axes.grid"]


def test_house_font_is_matplotlibs_bundled_dejavu():
    from matplotlib import font_manager

    with plots.house_style():
        path = font_manager.findfont(font_manager.FontProperties(family=mpl.rcParams["font.sans-serif"][0]))
    assert Path(path).name == "DejaVuSans.ttf"
    assert Path(mpl.get_data_path()) in Path(path).parents


# ---------------------------------------------------------------- builders
def test_attacks_chart_draws_one_bar_per_day_and_the_rolling_mean():
    daily = attacks_daily()
    fig = plots.attacks_per_day_chart(daily, window=7)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    bars = {c.get_label(): c for c in ax.containers}
    assert len(bars["Attacks"]) == len(daily) == 181
    assert len(bars["Attacks dated approximately"]) == 181  # the lighter top part of each bar
    heights = np.array([p.get_height() for p in bars["Attacks"]]) + \
        np.array([p.get_height() for p in bars["Attacks dated approximately"]])
    assert heights.tolist() == daily["attacks"].tolist()
    line = [l for l in ax.get_lines() if l.get_label() == "7-day average"][0]
    np.testing.assert_allclose(line.get_ydata(), daily["attacks_rolling_mean"].to_numpy("float64", na_value=np.nan))
    assert "Attacks per day, 1 Jan – 30 Jun 2023" in texts(fig)


def test_attacks_chart_as_line_and_without_imprecise_dates():
    daily = attacks_daily(rolling=False).assign(attacks_imprecise_date=0)
    fig = plots.attacks_per_day_chart(daily, kind="line")
    assert not fig.axes[0].containers
    assert len(fig.axes[0].get_lines()[0].get_xdata()) == 181
    with pytest.raises(ParameterError, match="kind"):
        plots.attacks_per_day_chart(daily, kind="pie")


def test_attacks_chart_refuses_a_breakdown_frame():
    with pytest.raises(ParameterError, match="breakdown_chart"):
        plots.attacks_per_day_chart(attacks_by_type())


def test_breakdown_stacks_groups_ordered_by_total_then_name():
    frame = attacks_by_type()
    fig = plots.breakdown_chart(frame, by="event_type")
    ax = fig.axes[0]
    assert len(ax.patches) == 10 * 3
    order = [c.get_label() for c in ax.containers]
    assert order == ["Explosions/Remote violence", "(not given)", "Battles"]  # 50, then 20 and 20 by name
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == order
    tops = {round(p.get_y() + p.get_height(), 6) for p in ax.containers[-1]}
    assert tops == {9.0}  # 5 + 2 + 2 stacked


def test_breakdown_folds_small_groups_into_other_and_reads_event_summary():
    months = pd.date_range("2023-01-01", "2023-04-01", freq="MS", unit="ms")
    oblasts = ["Donetsk", "Kharkiv", "Kherson", "Zaporizhzhia", "Luhansk", "Sumy", "Mykolaiv", "Odesa"]
    frame = pd.DataFrame([(m, o, 10 * (8 - i)) for m in months for i, o in enumerate(oblasts)],
                         columns=["period_start_date", "admin1", "events"])
    provenance.attach(frame, ACLED_UCDP)
    fig = plots.breakdown_chart(frame, by="admin1", value="events", top=4)
    labels = [c.get_label() for c in fig.axes[0].containers]
    assert labels == ["Donetsk", "Kharkiv", "Kherson", "Other"]
    record = plots.chart_record(fig)
    assert record.data["Other"].tolist() == [50 + 40 + 30 + 20 + 10] * 4
    assert "Events per month by oblast, 1 Jan – 30 Apr 2023" in texts(fig)


def test_civilian_harm_never_draws_unknown_as_zero():
    by_city = harm_by_city()
    fig = plots.civilian_harm_chart(by_city)
    ax = fig.axes[0]
    bars = {c.get_label(): c for c in ax.containers}
    assert len(bars["Civilians killed"]) == 3  # Bakhmut's toll is unknown: no bar, not a 0-length bar
    assert len(bars["Civilians injured"]) == 3  # Kharkiv's injured unknown
    assert sorted(p.get_width() for p in bars["Civilians killed"]) == [9, 15, 23]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Uman (Cherkasy)", "Kramatorsk (Donetsk)", "Kharkiv", "Bakhmut (Donetsk)"]
    notes = [a.get_text() for a in by_gid(fig, "analysis-unknown-toll")]
    assert "3 incidents with unknown toll" in notes  # Bakhmut killed
    assert "9; 2 incidents with unknown toll" in notes  # Kharkiv killed
    assert "5 incidents with unknown toll" in notes  # Kharkiv injured
    assert not any(t == "0" for t in texts(fig))


def test_civilian_harm_top_limits_rows():
    fig = plots.civilian_harm_chart(harm_by_city(), top=2)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["Uman (Cherkasy)", "Kramatorsk (Donetsk)"]
    assert "Top 2 settlements by civilians killed, then by number of incidents" in texts(fig)


def test_air_attacks_sums_categories_or_draws_one():
    daily = air_daily()
    fig = plots.air_attacks_chart(daily)
    bars = {c.get_label(): c for c in fig.axes[0].containers}
    assert [p.get_height() for p in bars["Launched"]] == [20, 40, 0, 12, 14]
    assert [p.get_height() for p in bars["Reported destroyed"]] == [18, 34, 0, 11, 12]
    fig = plots.air_attacks_chart(daily, category="drone")
    bars = {c.get_label(): c for c in fig.axes[0].containers}
    assert [p.get_height() for p in bars["Launched"]] == [20, 30, 0, 8, 12]
    assert any(t.startswith("Drones launched and reported destroyed") for t in texts(fig))
    with pytest.raises(ParameterError, match="not in the table"):
        plots.air_attacks_chart(daily, category="balloon")


def test_event_map_draws_the_events_in_range_with_unknown_tolls_hollow():
    events = map_events()
    fig = plots.event_map(events, start="2023-03-01", end="2023-03-31")
    ax = fig.axes[0]
    dots = {c.get_gid(): len(c.get_offsets()) for c in ax.collections
            if (c.get_gid() or "").startswith("analysis-events")}
    assert sum(dots.values()) == 4  # 5 in March, one of them without coordinates
    assert dots["analysis-events-0-unknown"] == 1  # Kharkiv's fatalities are unknown: a hollow ring
    np.testing.assert_allclose(ax.get_aspect(), 1 / np.cos(np.radians(np.mean(ax.get_ylim()))))
    cities = [t.get_text() for t in ax.texts]
    assert "Kharkiv" in cities and "Donetsk" in cities
    assert "1 event without coordinates are not shown." in texts(fig)
    assert plots.chart_record(fig).data["event_id"].tolist() == ["acled:M0", "acled:M1", "acled:M2", "acled:M3"]
    assert "Attacks by location, 1–31 Mar 2023" in texts(fig)


def test_event_map_provenance_covers_only_the_rows_drawn():
    events = map_events(synthetic=True)  # the synthetic row is on 1 March
    in_march = plots.event_map(events, start="2023-03-01", end="2023-03-31")
    assert plots.chart_record(in_march).source_line == "Source: ACLED; UCDP GED. Events to 5 Mar 2023. " \
                                                       "Includes SYNTHETIC data, not real data."
    april = plots.event_map(events, start="2023-04-01", end="2023-04-30")
    assert plots.chart_record(april).source_line == "Source: ACLED. Events to 20 Apr 2023."
    assert not by_gid(april, "analysis-synthetic-mark")


def test_builders_do_not_touch_pyplots_figure_registry():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plots.attacks_per_day_chart(attacks_daily())
    plots.civilian_harm_chart(harm_by_city())
    assert plt.get_fignums() == before


# ---------------------------------------------------------------- layout, source line, SYNTHETIC mark
def test_title_subtitle_and_source_are_flush_left_and_outside_the_chart():
    fig = plots.attacks_per_day_chart(attacks_daily())
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    title, subtitle, source = (by_gid(fig, g)[0] for g in ("analysis-title", "analysis-subtitle", "analysis-source"))
    boxes = [t.get_window_extent(renderer) for t in (title, subtitle, source)]
    chart = ax.get_tightbbox(renderer)
    assert max(b.x0 for b in boxes) - min(b.x0 for b in boxes) < 1.5  # px: one left edge
    assert abs(boxes[0].x0 - chart.x0) < 2.5
    assert boxes[0].y0 > boxes[1].y1 > boxes[1].y0 > chart.y1  # title above subtitle above the chart (legend too)
    assert boxes[2].y1 < chart.y0  # source below the tick labels
    figure = fig.bbox
    assert all(figure.x0 <= b.x0 and b.x1 <= figure.x1 and figure.y0 <= b.y0 and b.y1 <= figure.y1 for b in boxes)


def test_source_line_is_derived_from_the_provenance(tmp_path):
    fig = plots.attacks_per_day_chart(attacks_daily())
    assert "Source: ACLED; UCDP GED. Events to 30 Jun 2023." in texts(fig)
    paths = plots.save_figure(fig, tmp_path / "a")
    assert "<!-- Source: ACLED; UCDP GED. Events to 30 Jun 2023. -->" in paths["svg"].read_text()

    other = attacks_daily(Provenance(("UCDP GED",), "2023-01-01", "2023-05-31", False))
    fig = plots.attacks_per_day_chart(other)
    line = by_gid(fig, "analysis-source")[0].get_text()
    assert line == "Source: UCDP GED. Events to 31 May 2023."
    assert "ACLED" not in line


def test_missing_provenance_says_source_unknown():
    with pytest.warns(UserWarning, match="no provenance"):
        fig = plots.attacks_per_day_chart(attacks_daily(prov=None))
    assert by_gid(fig, "analysis-source")[0].get_text() == "Source: unknown."


@pytest.mark.parametrize("synthetic", [False, True])
def test_synthetic_mark_appears_exactly_when_the_data_are_synthetic(tmp_path, synthetic):
    prov = Provenance(("ACLED",), "2023-01-01", "2023-06-30", synthetic)
    figures = [plots.attacks_per_day_chart(attacks_daily(prov)),
               plots.breakdown_chart(provenance.attach(attacks_by_type(), prov)),
               plots.civilian_harm_chart(provenance.attach(harm_by_city(), prov),
                                         title="Civilians killed and injured in the towns and cities of Ukraine, "
                                               "10 Jan – 20 Jun 2023"),
               plots.air_attacks_chart(provenance.attach(air_daily(), prov)),
               plots.event_map(map_events(synthetic))]
    for i, fig in enumerate(figures):
        assert (plots.SYNTHETIC_MARK in texts(fig)) is synthetic
        for line in by_gid(fig, "analysis-title")[0].get_text().split("\n")[1:]:  # wrapped, never inside a date
            assert not re.match(r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|\d{4}\b)", line), line
        assert plots.chart_record(fig).is_synthetic is synthetic
        svg = plots.save_figure(fig, tmp_path / f"f{i}")["svg"].read_text()
        assert ('id="analysis-synthetic-mark"' in svg) is synthetic
        assert (f"<!-- {plots.SYNTHETIC_MARK} -->" in svg) is synthetic


def test_custom_figures_get_the_same_layout_via_finish_figure(tmp_path):
    data = provenance.attach(pd.DataFrame({"x": [1, 2, 3], "y": [2.5, 1.0, 4.0]}), ACLED_UCDP)
    with plots.house_style():
        fig, ax = plots.new_figure()
        ax.plot(data["x"], data["y"])
    plots.finish_figure(fig, ax, data, "My chart", "A subtitle")
    assert "Source: ACLED; UCDP GED. Events to 30 Jun 2023." in texts(fig)
    paths = plots.save_figure(fig, tmp_path / "custom")
    pd.testing.assert_frame_equal(pd.read_csv(paths["csv"]), data)
    with pytest.raises(ParameterError, match="finish_figure"):
        plots.save_figure(Figure(), tmp_path / "bare")


# ---------------------------------------------------------------- saving
def test_save_writes_images_data_and_alt_text(tmp_path):
    daily = attacks_daily()
    fig = plots.attacks_per_day_chart(daily, window=7)
    paths = plots.save_figure(fig, tmp_path / "out" / "attacks", pdf=True)
    assert set(paths) == {"png", "svg", "pdf", "csv", "alt"}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "attacks.alt.txt", "attacks.csv", "attacks.pdf", "attacks.png", "attacks.svg"]
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths["pdf"].read_bytes()[:5] == b"%PDF-"
    from PIL import Image

    with Image.open(paths["png"]) as image:
        assert image.size == (1300, 840)  # 6.5 x 4.2 in at 200 dpi

    back = pd.read_csv(paths["csv"], parse_dates=["event_date"])
    expected = daily.assign(attacks_rolling_mean=daily["attacks_rolling_mean"].to_numpy("float64", na_value=np.nan))
    pd.testing.assert_frame_equal(back, expected, check_dtype=False, rtol=1e-5)
    assert b"\r\n" not in paths["csv"].read_bytes()

    alt = paths["alt"].read_text()
    assert alt.startswith("Bar chart of attacks per day from 1 January to 30 June 2023.")
    assert "The highest was 14 on 5 March 2023" in alt
    assert "the 7-day average was 3.0 at the end of the period" in alt
    assert alt.rstrip().endswith("Source: ACLED; UCDP GED. Events to 30 Jun 2023.")


def test_save_data_and_alt_text_overrides(tmp_path):
    fig = plots.civilian_harm_chart(harm_by_city())
    plotted = plots.chart_record(fig).data
    assert plotted["settlement"].tolist() == ["Uman", "Kramatorsk", "Kharkiv", "Bakhmut"]
    paths = plots.save_figure(fig, tmp_path / "harm")
    back = pd.read_csv(paths["csv"], parse_dates=["first_date", "last_date"])
    assert back["civilians_killed"].isna().tolist() == [False, False, False, True]  # unknown stays empty, not 0
    pd.testing.assert_frame_equal(back, plotted, check_dtype=False)
    alt = paths["alt"].read_text()
    assert "10 January to 20 June 2023" in alt and "Uman (Cherkasy) had the most: 23 killed" in alt

    table = pd.DataFrame({"settlement": ["Uman"], "n": [1]})
    paths = plots.save_figure(fig, tmp_path / "harm", data=table, alt_text="Custom words.", formats=("png",))
    assert set(paths) == {"png", "csv", "alt"}
    assert paths["csv"].read_text() == "settlement,n\nUman,1\n"
    assert paths["alt"].read_text() == "Custom words.\n"


def test_save_rejects_unknown_formats(tmp_path):
    fig = plots.air_attacks_chart(air_daily())
    with pytest.raises(ParameterError, match="formats"):
        plots.save_figure(fig, tmp_path / "x", formats=("png", "gif"))
    assert not list(tmp_path.iterdir())


def test_save_is_atomic_and_all_or_nothing(tmp_path, monkeypatch):
    fig = plots.attacks_per_day_chart(attacks_daily())
    paths = plots.save_figure(fig, tmp_path / "a")
    before = {k: p.read_bytes() for k, p in paths.items()}

    changed = plots.attacks_per_day_chart(attacks_daily(rolling=False))
    original = Figure.savefig

    def failing_savefig(self, fname, *args, **kwargs):
        if kwargs.get("format") == "svg":
            Path(fname).write_bytes(b"<svg half-writ")
            raise OSError("disk full")
        return original(self, fname, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", failing_savefig)
    with pytest.raises(OSError, match="disk full"):
        plots.save_figure(changed, tmp_path / "a")
    assert {k: p.read_bytes() for k, p in paths.items()} == before  # the PNG written first was not moved in
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths.values())  # no temp files

    monkeypatch.setattr(Figure, "savefig", original)
    monkeypatch.setattr(figure_save, "_write_table", lambda path, frame: (_ for _ in ()).throw(ValueError("bad table")))
    with pytest.raises(ValueError, match="bad table"):
        plots.save_figure(changed, tmp_path / "a")
    assert {k: p.read_bytes() for k, p in paths.items()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_saving_twice_in_one_process_gives_the_same_bytes(tmp_path):
    fig = plots.breakdown_chart(attacks_by_type())
    first = plots.save_figure(fig, tmp_path / "one", pdf=True)
    second = plots.save_figure(plots.breakdown_chart(attacks_by_type()), tmp_path / "two", pdf=True)
    assert {k: sha256(p) for k, p in first.items()} == {k: sha256(p) for k, p in second.items()}


_SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from test_plots import air_daily, attacks_by_type, attacks_daily, harm_by_city, map_events
    from analysis import plots

    out = sys.argv[1]
    figures = {{
        "attacks": plots.attacks_per_day_chart(attacks_daily(), window=7),
        "breakdown": plots.breakdown_chart(attacks_by_type()),
        "harm": plots.civilian_harm_chart(harm_by_city()),
        "air": plots.air_attacks_chart(air_daily()),
        "map": plots.event_map(map_events(synthetic=True), start="2023-03-01", end="2023-03-31"),
    }}
    for name, fig in figures.items():
        plots.save_figure(fig, f"{{out}}/{{name}}", pdf=True)
""")


@pytest.mark.slow
def test_output_is_byte_identical_across_processes(tmp_path):
    script = tmp_path / "make_figures.py"
    script.write_text(_SCRIPT.format(tests=str(Path(__file__).parent)))
    digests = []
    for run, seed in (("run1", "1"), ("run2", "4242")):
        out = tmp_path / run
        out.mkdir()
        env = {**os.environ, "PYTHONHASHSEED": seed, "MPLBACKEND": "agg"}
        subprocess.run([sys.executable, str(script), str(out)], check=True, env=env, cwd=tmp_path,
                       capture_output=True, timeout=300)
        digests.append({p.name: sha256(p) for p in sorted(out.iterdir())})
    assert len(digests[0]) == 5 * 5  # png, svg, pdf, csv, alt.txt per figure
    assert digests[0] == digests[1]


def test_builders_take_what_the_metrics_return(tmp_path):
    from conftest import events_frame

    from analysis import metrics

    D = pd.Timestamp
    events = events_frame([
        {"event_date": D("2023-03-01"), "fatalities": 2, "latitude": 48.74, "longitude": 37.58},
        {"event_date": D("2023-03-01"), "event_type": "Battles", "sub_event_type": "Armed clash", "fatalities": 3,
         "latitude": 48.6, "longitude": 38.0},
        {"event_date": D("2023-03-03"), "fatalities": 1, "civilians_killed": 1, "latitude": 48.74, "longitude": 37.58},
        {"event_date": D("2023-03-06"), "civilians_killed": None, "is_civilian_targeting": True,
         "admin1": "Kharkiv", "settlement": "Kharkiv", "location": "Kharkiv", "geonameid": 706483},
        {"event_date": D("2023-03-10"), "fatalities": 0, "is_casualties_unknown": True, "latitude": 48.0,
         "longitude": 37.8},
    ])
    daily = metrics.attacks_per_day(events, rolling=3)
    figures = {
        "daily": plots.attacks_per_day_chart(daily, window=3),
        "types": plots.breakdown_chart(metrics.attacks_per_day(events, by="event_type")),
        "weekly": plots.breakdown_chart(metrics.summarise_events(events, freq="week"), value="events"),
        "harm": plots.civilian_harm_chart(metrics.civilian_harm_by_city(events)),
        "map": plots.event_map(events),
    }
    for name, fig in figures.items():
        last = "6 Mar" if name == "harm" else "10 Mar"  # the harm table's provenance covers its incidents
        assert plots.chart_record(fig).source_line == f"Source: ACLED. Events to {last} 2023.", name
        plots.save_figure(fig, tmp_path / name)
    assert len(figures["daily"].axes[0].containers[0]) == 10
    weekly = figures["weekly"].axes[0]
    assert [t.get_text() for t in weekly.get_xticklabels()] == ["27 Feb\n2023", "6 Mar"]  # one label per week
    assert "Events per week by event type, 1–10 Mar 2023" in texts(figures["weekly"])  # the days covered
    unknown = [a.get_text() for a in by_gid(figures["harm"], "analysis-unknown-toll")]
    assert unknown == ["1 incident with unknown toll",  # Kramatorsk's injured
                       "1 incident with unknown toll (killed and injured)"]  # Kharkiv: one line for both
    dots = sum(len(c.get_offsets()) for c in figures["map"].axes[0].collections
               if (c.get_gid() or "").startswith("analysis-events"))
    assert dots == 4


# ---------------------------------------------------------------- count axes and text from the data
@pytest.mark.parametrize("peak, expected", [(0, [0, 1]), (1, [0, 1]), (2, [0, 1, 2]), (3, [0, 1, 2, 3]),
                                            (9, [0, 2, 4, 6, 8]), (14, [0, 5, 10])])
def test_count_axes_tick_whole_numbers_only(peak, expected):
    """A maximum of 1 gave ticks 0, 0.25, 0.5, ... labelled '0, 0, 0, 1, 1'; now only whole numbers."""
    frame = attacks_daily(rolling=False).head(10).assign(attacks=0, attacks_imprecise_date=0)
    frame.loc[3, "attacks"] = peak
    for fig in (plots.attacks_per_day_chart(frame), plots.air_attacks_chart(air_daily().assign(
            launched=lambda f: np.where(f.index == 1, peak, 0), destroyed=0))):
        ax = fig.axes[0]
        fig.canvas.draw()
        lo, hi = ax.get_ylim()
        ticks = [t for t in ax.get_yticks() if lo <= t <= hi]
        assert ticks == expected
        labels = [t.get_text() for t in ax.get_yticklabels() if lo <= t.get_position()[1] <= hi]
        assert labels == [f"{t:,}" for t in expected]  # no label repeated, none fractional


DATA_TEXT = "$\\frac{1}{0}$ <b>x</b> & 50% ^_^ $x"  # mathtext that would not even parse


def test_text_from_the_data_is_drawn_literally_never_as_mathtext(tmp_path):
    by_city = harm_by_city()
    by_city.loc[2, "settlement"] = DATA_TEXT  # Uman, the settlement with most killed (named in the alt text)
    fig = plots.civilian_harm_chart(by_city)
    assert f"{DATA_TEXT} (Cherkasy)" in texts(fig)
    paths = plots.save_figure(fig, tmp_path / "harm")  # a mathtext parse would raise here
    assert DATA_TEXT in paths["alt"].read_text()
    groups = attacks_by_type().replace({"Battles": DATA_TEXT})
    fig = plots.breakdown_chart(provenance.attach(groups, ACLED_UCDP), by="event_type")
    assert any(t.startswith(DATA_TEXT) for t in texts(fig))
    paths = plots.save_figure(fig, tmp_path / "breakdown")
    import xml.etree.ElementTree as ET

    ET.parse(paths["svg"])  # the alt text in the SVG's metadata is escaped XML
    assert DATA_TEXT in ET.tostring(ET.parse(paths["svg"]).getroot(), encoding="unicode").replace("&amp;", "&") \
        .replace("&lt;", "<").replace("&gt;", ">")
