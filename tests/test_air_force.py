"""Air Force daily missile and drone reports: the real sample, time styles, rejections,
weapon categories, sources, and the daily-counts table built from them.

The real sample is read in place (``../shared/realdata/missile_attacks``), never
copied; small files are written to ``tmp_path``.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest

from analysis.build import dailycounts
from analysis.tables import schemas
from analysis.build.dedupe import IdRegistry
from analysis.build.ingest import ingest_file, open_file
from analysis.sources import air_force
from analysis.sources.base import Failures
from conftest import MISSILE_SAMPLE, per_test_under_mutmut, realdata_path, to_csv_text

REFERENCE_TABLE = "missile_attacks/missiles_and_uavs.csv"

ROW = {
    "time_start": "2023-03-14 18:00", "time_end": "2023-03-15 08:30", "model": "Shahed-136/131",
    "launch_place": "Kursk oblast and Primorsko-Akhtarsk", "target": "Ukraine", "launched": "10.0",
    "destroyed": "8.0", "not_reach_goal": "", "source": "kpszsu/posts/pfbid0test",
}


def write_rows(tmp_path, rows: list[dict], name: str = "attacks.csv", columns=air_force.ALL_COLUMNS):
    """A CSV in the full 22-column layout (``affected region`` included); unset columns empty."""
    path = tmp_path / name
    path.write_text(to_csv_text([{**ROW, **row} for row in rows], list(columns)), encoding="utf-8")
    return path


def ingest(path, registry=None):
    result = ingest_file(path, path.name, registry=registry)
    result.ledger.check()
    return result


def read_raw(path) -> pd.DataFrame:
    """The CSV as plain pandas reads it: every value a string, nothing converted."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


# ---------------------------------------------------------------- the real sample
@pytest.fixture(scope="module")
def sample():
    return realdata_path(MISSILE_SAMPLE)


@pytest.fixture(scope=per_test_under_mutmut)
def sample_result(sample):
    return ingest_file(sample, "missile_attacks_daily.csv")


@pytest.fixture(scope=per_test_under_mutmut)
def sample_raw(sample):
    return read_raw(sample)


@pytest.mark.realdata
def test_every_row_of_the_real_sample_is_accounted_for(sample_result):
    ledger = sample_result.ledger
    ledger.check()
    assert ledger.format == "air_force"
    assert ledger.variant == "air_force (22 of 22 columns)"
    assert (ledger.rows, ledger.accepted, ledger.rejected, ledger.merged, ledger.warned) == (3468, 3468, 0, 0, 3)
    assert len(sample_result.accepted) == 3468 and sample_result.rejects.empty and sample_result.merged.empty
    assert ledger.warnings == []  # every column of the file is known


@pytest.mark.realdata
def test_real_warnings_are_the_unknown_models_and_one_inconsistent_row(sample_result, sample_raw):
    warned = sample_result.warnings
    assert warned["rule"].value_counts().to_dict() == {
        "unknown_weapon_model": 2, "destroyed_plus_not_reached_exceeds_launched": 1}
    by_line = warned.set_index("raw_line")
    assert sorted(by_line.index) == [1503, 1590, 2045]
    for line in (1590, 2045):  # the models as plain pandas reads them on those lines
        assert by_line.loc[line, "value"] == sample_raw.loc[line - 2, "model"]
    assert set(sample_raw.loc[[1588, 2043], "model"]) == {"Фенікс", "Картограф"}
    row = sample_raw.loc[1501]
    assert float(row["destroyed"]) + float(row["not_reach_goal"]) > float(row["launched"])


@pytest.mark.realdata
def test_real_accepted_rows_are_consistent(sample_result, sample_raw):
    rows = sample_result.accepted
    schemas.AIR_ATTACKS.validate(rows, lazy=True)
    known = rows["launched"].notna() & rows["destroyed"].notna()
    assert (rows.loc[known, "destroyed"] <= rows.loc[known, "launched"]).all()
    assert (rows["window_end"] >= rows["window_start"]).all()
    assert (rows["count_date"] == rows["window_end"].dt.normalize()).all()
    assert rows["report_id"].is_unique and rows["report_id"].str.fullmatch(r"air_force:[0-9a-f]{16}").all()
    assert (rows["source_dataset"] == "air_force").all() and not rows["is_synthetic"].any()
    # unknown counts stay unknown, as many as empty cells in the file
    assert rows["launched"].isna().sum() == (sample_raw["launched"] == "").sum() == 3
    assert rows["not_reached_target"].isna().sum() == (sample_raw["not_reach_goal"] == "").sum() == 2879
    assert (rows["weapon_model"].to_numpy() == sample_raw["model"].str.strip().to_numpy()).all()


@pytest.mark.realdata
@pytest.mark.parametrize(
    "time_start, time_end, model, launched, destroyed, window_start, window_end",
    [
        ("2026-02-28 18:00", "2026-03-01 08:30", "Shahed-136/131", 123, 110, "2026-02-28 18:00", "2026-03-01 08:30"),
        ("2023-05-16 3:30", "2023-05-16 07:00", "X-47 Kinzhal", 6, 6, "2023-05-16 03:30", "2023-05-16 07:00"),
        ("2025-03-06 21:00 ", "2025-03-07 10:00", "Shahed-136/131", 194, 100, "2025-03-06 21:00", "2025-03-07 10:00"),
        ("2024-05-16", "2024-05-16 ", "Lancet", 1, 1, "2024-05-16 00:00", "2024-05-16 23:59:59.999"),
        ("2024-12-27 23:00", "2024-12-28 08:30", "Shahed-136/131", 16, 15, "2024-12-27 23:00", "2024-12-28 08:30"),
    ],
)
def test_spot_checked_windows(sample_result, sample_raw, time_start, time_end, model, launched, destroyed,
                              window_start, window_end):
    raw = sample_raw[(sample_raw["time_start"] == time_start) & (sample_raw["time_end"] == time_end)
                     & (sample_raw["model"] == model)]
    assert len(raw) == 1
    rows = sample_result.accepted
    row = rows[rows["raw_line"] == raw.index[0] + 2].iloc[0]  # no quoted newlines: line = index + 2
    assert (row["window_start"], row["window_end"]) == (pd.Timestamp(window_start), pd.Timestamp(window_end))
    assert row["count_date"] == pd.Timestamp(window_end).normalize()
    assert row["weapon_model"] == model
    assert (row["launched"], row["destroyed"]) == (launched, destroyed)
    assert (float(raw["launched"].iloc[0]), float(raw["destroyed"].iloc[0])) == (launched, destroyed)


@pytest.mark.realdata
def test_daily_totals_match_plain_pandas(sample_result, sample_raw):
    """Counts land on the calendar day of time_end, for every day of the sample."""
    counts = dailycounts.from_air_attacks(sample_result.accepted)
    day = pd.to_datetime(sample_raw["time_end"].str.strip().str.slice(0, 10))
    for metric, column in (("launched", "launched"), ("destroyed", "destroyed"),
                           ("not_reached_target", "not_reach_goal")):
        numbers = pd.to_numeric(sample_raw[column].replace("", None))
        expected = numbers.groupby(day).sum(min_count=1).dropna().astype("int64")
        ours = counts[counts["metric"] == metric].groupby("count_date")["value"].sum().astype("int64")
        ours.index = ours.index.astype("datetime64[ns]")
        expected.index = expected.index.astype("datetime64[ns]")
        pd.testing.assert_series_equal(ours, expected, check_names=False)
    assert counts.loc[(counts["count_date"] == "2026-03-01") & (counts["metric"] == "launched"), "value"].sum() == 123
    assert len(counts) == 3465 + 3462 + 589  # known launched + destroyed + not reached
    assert (counts["period_days"] == 1).all() and not counts["is_reported_claim"].any()


@pytest.mark.realdata
def test_real_sample_has_no_duplicates_and_ids_are_stable(sample, sample_raw):
    key = ["time_start", "time_end", "model", "launch_place", "target", "source"]
    stripped = sample_raw.apply(lambda c: c.str.strip())
    assert not stripped.duplicated().any() and not stripped.duplicated(key).any()
    assert stripped.duplicated(["time_start", "time_end", "model"]).sum() == 46  # why the id needs more fields
    registry = IdRegistry()
    first = ingest(sample, registry)
    again = ingest(sample, registry)  # the same file read a second time: every row a merged duplicate
    assert (again.ledger.accepted, again.ledger.merged) == (0, 3468)
    assert again.merged["is_identical"].all()
    assert (again.merged["raw_line"] == again.merged["merged_into_line"]).all()
    assert set(again.merged["event_id"]) == set(first.accepted["report_id"])


@pytest.mark.realdata
def test_reading_in_small_chunks_gives_the_same_rows(sample, sample_result):
    chunked = ingest_file(sample, "missile_attacks_daily.csv", chunk_rows=100)  # about a dozen chunks
    assert (chunked.ledger.accepted, chunked.ledger.warned) == (3468, 3)
    pd.testing.assert_frame_equal(chunked.accepted, sample_result.accepted)


@pytest.mark.realdata
def test_weapon_categories_agree_with_the_reference_table_where_documented(sample_raw):
    reference = read_raw(realdata_path(REFERENCE_TABLE))
    theirs = reference["category"].map({
        "UAV": "drone", "ballistic missile": "ballistic missile", "cruise missile": "cruise missile",
        "guided bomb": "guided aerial bomb", "surface-to-air missile": "surface-to-air missile",
        "surface-to-air and ballistic": "other"})
    assert theirs.notna().all(), "a category of the reference table is not mapped"
    ours = air_force.weapon_category(reference["model"])
    differ = reference.loc[ours != theirs, "model"].tolist()
    assert dict(zip(differ, ours[ours != theirs])) == {
        "3M22 Zircon": "anti-ship missile", "P-800 Oniks": "anti-ship missile", "X-22": "anti-ship missile",
        "X-32": "anti-ship missile", "X-35": "anti-ship missile", "X-22 and X-32": "anti-ship missile",
        "X-31": "other", "X-31P": "other", "X-31PD": "other",  # anti-radiation air-to-surface missiles
        "X-22 and X-31P": "other", "X-59 and X-35": "other", "X-101/X-555 and Kalibr and X-22": "other",
        "X-47 Kinzhal and Iskander-M/KN-23": "ballistic missile",  # the reference calls only this Kinzhal cruise
        "Unknown Missile": "unknown",
    }
    assert (len(reference), int((ours == theirs).sum())) == (64, 50)
    # weighted by rows of the daily file: 3,293 of the 3,459 rows whose model the reference lists
    models = sample_raw["model"].str.strip()
    listed = models.isin(reference["model"])
    agree = air_force.weapon_category(models[listed]).to_numpy() == \
        models[listed].map(dict(zip(reference["model"], theirs))).to_numpy()
    assert (int(listed.sum()), int(agree.sum())) == (3459, 3293)


# ---------------------------------------------------------------- times
@pytest.mark.parametrize(
    "time_start, time_end, window_start, window_end, count_date",
    [
        ("2022-09-28", "2022-09-28", "2022-09-28 00:00", "2022-09-28 23:59:59.999", "2022-09-28"),
        ("2025-03-06 21:00 ", "2025-03-07 10:00", "2025-03-06 21:00", "2025-03-07 10:00", "2025-03-07"),
        ("2023-05-16 3:30", "2023-05-16 07:00", "2023-05-16 03:30", "2023-05-16 07:00", "2023-05-16"),
        ("2024-05-16", "2024-05-16 ", "2024-05-16 00:00", "2024-05-16 23:59:59.999", "2024-05-16"),
        ("2025-11-21", "2025-11-21 15:00", "2025-11-21 00:00", "2025-11-21 15:00", "2025-11-21"),
        ("2024-10-28 19:00", "2024-10-29", "2024-10-28 19:00", "2024-10-29 23:59:59.999", "2024-10-29"),
        ("2026-02-28 18:00", "2026-03-01 08:30", "2026-02-28 18:00", "2026-03-01 08:30", "2026-03-01"),
        ("2023-12-31 18:00", "2024-01-01 08:30", "2023-12-31 18:00", "2024-01-01 08:30", "2024-01-01"),
        (" 2023-05-16T03:30:15", "2023-05-16  07:00:00", "2023-05-16 03:30:15", "2023-05-16 07:00", "2023-05-16"),
    ],
)
def test_time_styles_windows_and_count_date(tmp_path, time_start, time_end, window_start, window_end, count_date):
    result = ingest(write_rows(tmp_path, [{"time_start": time_start, "time_end": time_end}]))
    assert result.ledger.accepted == 1, result.rejects.to_string()
    row = result.accepted.iloc[0]
    assert row["window_start"] == pd.Timestamp(window_start)
    assert row["window_end"] == pd.Timestamp(window_end)
    assert row["count_date"] == pd.Timestamp(count_date)
    assert result.accepted["window_start"].dtype == schemas.DATE == result.accepted["count_date"].dtype


def test_same_window_in_two_styles_has_one_id(tmp_path):
    rows = [{"time_start": "2023-05-16 3:30", "time_end": "2023-05-16 07:00"},
            {"time_start": " 2023-05-16 03:30 ", "time_end": "2023-05-16T07:00"},
            {"time_start": "2023-05-16 3:30", "time_end": "2023-05-16 07:00", "destroyed": "9.0"}]
    result = ingest(write_rows(tmp_path, rows))
    assert (result.ledger.accepted, result.ledger.merged) == (1, 2)
    assert result.merged["raw_line"].tolist() == [3, 4]
    assert result.merged["merged_into_line"].tolist() == [2, 2]
    assert result.merged["is_identical"].tolist() == [True, False]  # counts are not part of the id


def test_id_depends_on_place_target_and_source_but_not_position(tmp_path):
    variants = [{}, {"launch_place": "Kursk oblast"}, {"target": "south"}, {"source": "PvKPivden/posts/x"},
                {"model": "Iskander-M"}, {"time_end": "2023-03-15 08:00"}]
    forward = ingest(write_rows(tmp_path, variants, "forward.csv")).accepted
    backward = ingest(write_rows(tmp_path, variants[::-1], "backward.csv")).accepted
    assert forward["report_id"].is_unique and len(forward) == len(variants)
    assert forward["report_id"].tolist() == backward["report_id"].tolist()[::-1]


def test_parse_times_rejects_unknown_styles():
    values = pd.Series(["2023-05-16 24:00", "yesterday", "16.05.2023", "2023-02-30", "", "2023-05-16 3:30"],
                       dtype="str")
    failures = Failures()
    parsed = air_force.parse_times(values, "time_start", failures, end_of_day=False)
    assert parsed.iloc[-1] == pd.Timestamp("2023-05-16 03:30") and parsed.iloc[:-1].isna().all()
    rules = failures.frame().set_index("row")["rule"].sort_index()
    assert rules.to_dict() == {0: "unparseable_date", 1: "unparseable_date", 2: "unparseable_date",
                               3: "unparseable_date", 4: "required_value_missing"}


# ---------------------------------------------------------------- rejections
def test_bad_values_are_rejected_with_rule_column_and_line(tmp_path):
    rows = [
        {},  # line 2: valid
        {"launched": "5.0", "destroyed": "7.0"},  # 3
        {"launched": "-1.0", "destroyed": ""},  # 4
        {"launched": "many"},  # 5
        {"time_start": "yesterday 18:00"},  # 6
        {"time_start": "2023-03-15 18:00", "time_end": "2023-03-15 08:30"},  # 7: window ends before it starts
        {"launched": "2.5"},  # 8
        {"model": "  "},  # 9
        {"not_reach_goal": "-3.0"},  # 10
        {"time_end": ""},  # 11
        {"launched": "3.0", "destroyed": "2.0", "not_reach_goal": "2.0", "target": "south"},  # 12: warned, kept
    ]
    result = ingest(write_rows(tmp_path, rows))
    assert (result.ledger.rows, result.ledger.accepted, result.ledger.rejected, result.ledger.warned) == (11, 2, 9, 1)
    assert result.accepted["raw_line"].tolist() == [2, 12]
    got = set(result.rejects[["raw_line", "column", "rule"]].itertuples(index=False, name=None))
    assert got == {
        (3, "launched,destroyed", "destroyed_exceeds_launched"),
        (4, "launched", "negative_count"),
        (5, "launched", "not_a_number"),
        (6, "time_start", "unparseable_date"),
        (7, "time_start,time_end", "window_end_before_start"),
        (8, "launched", "not_a_whole_number"),
        (9, "model", "required_value_missing"),
        (10, "not_reach_goal", "negative_count"),
        (11, "time_end", "required_value_missing"),
    }
    values = result.rejects.set_index("raw_line")["value"]
    assert (values[3], values[5], values[6]) == ("5.0, 7.0", "many", "yesterday 18:00")
    warned = result.warnings.iloc[0]
    assert (warned["raw_line"], warned["rule"]) == (12, "destroyed_plus_not_reached_exceeds_launched")


def test_empty_counts_are_unknown_not_zero(tmp_path):
    result = ingest(write_rows(tmp_path, [{"launched": "", "destroyed": "0.0", "not_reach_goal": ""}]))
    row = result.accepted.iloc[0]
    assert row["launched"] is pd.NA and row["not_reached_target"] is pd.NA and row["destroyed"] == 0


def test_minimal_header_is_detected_and_read(tmp_path):
    path = tmp_path / "narrow.csv"
    path.write_text("Time_Start,time_end,MODEL,launched,destroyed\n"
                    "2023-03-14 18:00,2023-03-15 08:30,Kalibr,4.0,3.0\n", encoding="utf-8")
    opened = open_file(path)
    reader, layout = opened.reader, opened.layout
    assert reader is air_force.READER and layout.name == "air_force"
    result = ingest(path)
    assert result.ledger.variant == "air_force (5 of 22 columns)"
    row = result.accepted.iloc[0]
    assert (row["weapon_model"], row["weapon_category"], row["launched"], row["destroyed"]) == (
        "Kalibr", "cruise missile", 4, 3)
    assert pd.isna(row["launch_place"]) and pd.isna(row["target"]) and row["not_reached_target"] is pd.NA
    assert row["source_name"] == "Ukrainian Air Force" and pd.isna(row["source_url"])


def test_synthetic_rows_are_flagged_and_prefixed(tmp_path):
    path = write_rows(tmp_path, [{"is_synthetic": "true"}, {"is_synthetic": "false", "model": "Kalibr"}],
                      columns=air_force.ALL_COLUMNS + ("is_synthetic",))
    rows = ingest(path).accepted
    assert rows["is_synthetic"].tolist() == [True, False]
    assert rows["report_id"].str.startswith("synthetic-air_force:").tolist() == [True, False]


# ---------------------------------------------------------------- weapon categories
@pytest.mark.parametrize(
    "model, category",
    [
        ("Shahed-136/131", "drone"), ("Geran-2", "drone"), ("Шахед-136", "drone"), ("Unknown UAV", "drone"),
        ("Reconnaissance UAV", "drone"), ("Orlan-10 and ZALA and Supercam", "drone"), ("Lancet", "drone"),
        ("Молнія", "drone"), ("Привет-82", "drone"), ("Gerbera", "drone"),
        ("Shahed-136/131 and Lancet", "drone"),
        ("X-101/X-555", "cruise missile"), ("Kh-101", "cruise missile"), ("Х-101", "cruise missile"),
        ("Kalibr", "cruise missile"),
        ("Iskander-K", "cruise missile"), ("X-59/X-69", "cruise missile"), ("X-59MK2", "cruise missile"),
        ("Kh-69", "cruise missile"), ("X-101/X-555 and Kalibr and Iskander-K", "cruise missile"),
        ("Banderol", "cruise missile"),
        ("Iskander-M", "ballistic missile"), ("KN-23", "ballistic missile"), ("Iskander-M/KN-23", "ballistic missile"),
        ("X-47 Kinzhal", "ballistic missile"), ("X-47 Kinzhal and Iskander-M", "ballistic missile"),
        ("Ballistic Missile", "ballistic missile"), ("Intercontinental Ballistic Missile", "ballistic missile"),
        ("X-22", "anti-ship missile"), ("X-22 and X-32", "anti-ship missile"), ("P-800 Oniks", "anti-ship missile"),
        ("3M22 Zircon", "anti-ship missile"), ("X-35", "anti-ship missile"),
        ("C-300", "surface-to-air missile"), ("C-300/C-400", "surface-to-air missile"),
        ("S-400", "surface-to-air missile"),
        ("KAB", "guided aerial bomb"), ("КАБ-500", "guided aerial bomb"), ("GBU", "guided aerial bomb"),
        ("Aerial Bomb", "guided aerial bomb"),
        ("X-31P", "other"), ("X-31PD", "other"),
        ("C-300 and Iskander-M", "other"), ("Iskander-M and Iskander-K", "other"),
        ("X-101/X-555 and Kalibr and Iskander-M/KN-23", "other"), ("X-59 and X-35", "other"),
        ("Unknown Missile", "unknown"), ("Картограф", "unknown"), ("Flying saucer", "unknown"),
        ("Shahed-136/131 and Flying saucer", "unknown"),
    ],
)
def test_weapon_category(model, category):
    assert air_force.weapon_category(pd.Series([model], dtype="str")).iloc[0] == category


def test_unknown_model_is_accepted_as_unknown_with_a_warning(tmp_path):
    rows = [{"model": "Flying saucer"}, {"model": "Unknown Missile"}, {"model": "Kalibr"}]
    result = ingest(write_rows(tmp_path, rows))
    assert result.ledger.accepted == 3 and result.ledger.warned == 1
    assert result.accepted["weapon_category"].tolist() == ["unknown", "unknown", "cruise missile"]
    warned = result.warnings.iloc[0]
    assert (warned["raw_line"], warned["column"], warned["value"], warned["rule"]) == (
        2, "model", "Flying saucer", "unknown_weapon_model")


def test_every_pattern_category_is_a_schema_category():
    assert {cat for cat, _, _ in air_force.WEAPON_PATTERNS} <= set(schemas.WEAPON_CATEGORIES)


# ---------------------------------------------------------------- sources
@pytest.mark.parametrize(
    "source, name, url, warned",
    [
        ("kpszsu/posts/pfbid02m1", "Ukrainian Air Force", "https://www.facebook.com/kpszsu/posts/pfbid02m1", False),
        ("PvKPivden/videos/6988/", "Ukrainian Air Force, Air Command South",
         "https://www.facebook.com/PvKPivden/videos/6988/", False),
        ("pvkshid/posts/x", "Ukrainian Air Force, Air Command East", "https://www.facebook.com/pvkshid/posts/x", False),
        ("GeneralStaff.ua/posts/x", "General Staff of the Armed Forces of Ukraine",
         "https://www.facebook.com/GeneralStaff.ua/posts/x", False),
        ("watch/?v=1216014506516442", "Ukrainian Air Force",
         "https://www.facebook.com/watch/?v=1216014506516442", False),
        ("https://t.me/kpszsu/44624", "Ukrainian Air Force", "https://t.me/kpszsu/44624", False),
        ("kharkivoda.gov.ua/news/123125", "Kharkiv Regional Military Administration",
         "https://kharkivoda.gov.ua/news/123125", False),
        ("https://t.me/somechannel/1", "t.me/somechannel", "https://t.me/somechannel/1", True),
        ("SomePage/posts/2", "facebook.com/SomePage", "https://www.facebook.com/SomePage/posts/2", True),
        ("Air Force morning report", "Air Force morning report", None, True),
        ("", "Ukrainian Air Force", None, False),
    ],
)
def test_source_name_and_url(source, name, url, warned):
    failures = Failures()
    names, urls = air_force.parse_source(pd.Series([source], dtype="str"), failures)
    assert names.iloc[0] == name
    assert (pd.isna(urls.iloc[0]) if url is None else urls.iloc[0] == url)
    assert len(failures.warnings_frame()) == int(warned) and failures.frame().empty


# ---------------------------------------------------------------- daily counts
def dates(*values: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values), format="ISO8601")).astype(schemas.DATE)


def reports_frame() -> pd.DataFrame:
    """Three validated report rows: overnight, same day with unknowns, and a window over two midnights."""
    frame = pd.DataFrame({
        "report_id": pd.Series(["air_force:a", "air_force:b", "air_force:c"], dtype="str"),
        "source_dataset": pd.Series(["air_force"] * 3, dtype="str"),
        "window_start": dates("2024-03-01 18:00", "2024-03-02 00:00", "2024-03-01 07:00"),
        "window_end": dates("2024-03-02 08:30", "2024-03-02 23:59:59.999", "2024-03-03 09:00"),
        "count_date": dates("2024-03-02", "2024-03-02", "2024-03-03"),
        "weapon_model": pd.Series(["Shahed-136/131", "Orlan-10", "Kalibr"], dtype="str"),
        "weapon_category": pd.Series(["drone", "drone", "cruise missile"], dtype="str"),
        "launched": pd.array([10, 5, 0], dtype="Int64"),
        "destroyed": pd.array([8, None, 0], dtype="Int64"),
        "not_reached_target": pd.array([1, None, None], dtype="Int64"),
        "launch_place": pd.Series(["Kursk oblast", None, "Black Sea"], dtype="str"),
        "target": pd.Series(["Ukraine", "south", "Ukraine"], dtype="str"),
        "source_name": pd.Series(["Ukrainian Air Force", "Ukrainian Air Force, Air Command South",
                                  "Ukrainian Air Force"], dtype="str"),
        "source_url": pd.Series(["https://www.facebook.com/kpszsu/posts/a", None, None], dtype="str"),
        "is_synthetic": [False, False, True],
        "raw_file": pd.Series(["a.csv"] * 3, dtype="str"),
        "raw_line": pd.Series([2, 3, 4], dtype="int64"),
    })
    return schemas.AIR_ATTACKS.validate(frame)


def claims_frame(tmp_path) -> pd.DataFrame:
    text = (
        "date,period_days,metric,value,claimant,description,source_name,publication_date\n"
        "2024-03-02,1,attacks_repelled,102,General Staff of the Armed Forces of Ukraine,'102 attacks',"
        "RFE/RL,2024-03-02\n"
        "2024-03-01,7,drones_destroyed,300,Ministry of Defence of Ukraine,'300 drones in a week',Reuters,2024-03-02\n"
    )
    path = tmp_path / "claims.csv"
    path.write_text(text, encoding="utf-8")
    return ingest(path).accepted


def test_from_air_attacks_long_form():
    counts = dailycounts.from_air_attacks(reports_frame())
    got = counts[["raw_line", "metric", "value", "count_date", "period_days"]].astype({"value": "int64"})
    expected = pd.DataFrame({
        "raw_line": [2, 2, 2, 3, 4, 4],
        "metric": ["launched", "destroyed", "not_reached_target", "launched", "launched", "destroyed"],
        "value": [10, 8, 1, 5, 0, 0],
        "count_date": pd.to_datetime(["2024-03-02"] * 4 + ["2024-03-03"] * 2).astype(schemas.DATE),
        "period_days": [1, 1, 1, 1, 2, 2],
    }).astype({"metric": "str", "raw_line": "int64", "period_days": "int64"})
    pd.testing.assert_frame_equal(got, expected)
    assert not counts["is_reported_claim"].any()
    assert counts["claimant"].tolist() == counts["source_name"].tolist()
    assert counts["claimant"].iloc[3] == "Ukrainian Air Force, Air Command South"
    assert counts["weapon_category"].tolist() == ["drone"] * 4 + ["cruise missile"] * 2
    assert counts["is_synthetic"].tolist() == [False] * 4 + [True] * 2
    assert (counts["source_dataset"] == "air_force").all()
    schemas.DAILY_COUNTS.validate(counts)


def test_from_air_attacks_of_nothing_is_an_empty_typed_frame():
    counts = dailycounts.from_air_attacks(reports_frame().iloc[:0])
    assert counts.empty
    assert counts.dtypes.to_dict() == schemas.empty_frame(schemas.DAILY_COUNTS).dtypes.to_dict()


def test_from_claims_marks_claims(tmp_path):
    counts = dailycounts.from_claims(claims_frame(tmp_path))
    assert counts["is_reported_claim"].all()
    assert counts["weapon_model"].isna().all() and counts["weapon_category"].isna().all()
    assert counts["metric"].tolist() == ["attacks_repelled", "drones_destroyed"]
    assert counts["value"].tolist() == [102, 300] and counts["period_days"].tolist() == [1, 7]
    assert counts["claimant"].tolist() == ["General Staff of the Armed Forces of Ukraine",
                                           "Ministry of Defence of Ukraine"]
    assert (counts["source_dataset"] == "reported_claim").all()
    schemas.DAILY_COUNTS.validate(counts)


def test_combine_sorts_deterministically_and_validates(tmp_path):
    air = dailycounts.from_air_attacks(reports_frame())
    claims = dailycounts.from_claims(claims_frame(tmp_path))
    combined = dailycounts.combine(air, claims)
    again = dailycounts.combine(claims, air.iloc[::-1])
    pd.testing.assert_frame_equal(combined, again)
    key = list(zip(combined["count_date"].astype(str), combined["source_dataset"], combined["metric"],
                   combined["raw_line"]))
    assert key == [
        ("2024-03-01", "reported_claim", "drones_destroyed", 3),
        ("2024-03-02", "air_force", "destroyed", 2),
        ("2024-03-02", "air_force", "launched", 3),  # Orlan-10 sorts before Shahed-136/131
        ("2024-03-02", "air_force", "launched", 2),
        ("2024-03-02", "air_force", "not_reached_target", 2),
        ("2024-03-02", "reported_claim", "attacks_repelled", 2),
        ("2024-03-03", "air_force", "destroyed", 4),
        ("2024-03-03", "air_force", "launched", 4),
    ]
    assert combined["weapon_model"].iloc[2] == "Orlan-10"
    assert combined.index.tolist() == list(range(len(combined)))
    schemas.DAILY_COUNTS.validate(combined)
    empty = dailycounts.combine()
    assert empty.empty and list(empty.columns) == list(schemas.DAILY_COUNTS.columns)


def test_combine_refuses_invalid_counts():
    air = dailycounts.from_air_attacks(reports_frame())
    broken = air.assign(value=pd.array([-1] + [1] * (len(air) - 1), dtype="Int64"))
    with pytest.raises(pa.errors.SchemaErrors):
        dailycounts.combine(broken)


def test_the_published_report_id_of_a_row_is_pinned(tmp_path):
    """Air-attack ids are published (air_attacks.parquet, evidence): the same row keeps the same id across versions.

    The value is the package's own hash of the row's window and text columns (as of schema 1.1.0); if it must
    change, bump config.SCHEMA_VERSION: every published id changes with it.
    """
    spaced = {"launch_place": " Kursk  oblast and Primorsko-Akhtarsk ", "model": "Shahed-136/131 "}
    result = ingest(write_rows(tmp_path, [{}, spaced, {"target": "south"}]))
    assert result.accepted["report_id"].tolist() == ["air_force:f54ab6cc581196b0", "air_force:afd0cf2eb012ff9b"]
    assert result.merged["raw_line"].tolist() == [3]  # spacing is not part of the id


# ---------------------------------------------------------------- the reader on hand-written frames (mutation run)
def raw_frame(rows: list[dict], index=None) -> pd.DataFrame:
    """Rows as the reader receives them: every value a string, the columns of ``ROW`` (plus any extra)."""
    return pd.DataFrame([{**ROW, **row} for row in rows], index=index).astype("str")


@pytest.mark.parametrize(
    "source, name, url",
    [
        # links are recognised whatever their case (the code matches with case=False)
        ("HTTPS://T.ME/kpszsu/44624", "Ukrainian Air Force", "HTTPS://T.ME/kpszsu/44624"),
        ("Https://Www.Facebook.com/PvKPivden/posts/1", "Ukrainian Air Force, Air Command South",
         "Https://Www.Facebook.com/PvKPivden/posts/1"),
        ("https://m.facebook.com/pvkshid/videos/2", "Ukrainian Air Force, Air Command East",
         "https://m.facebook.com/pvkshid/videos/2"),
        ("https://www.facebook.com/kpszsu/posts/3", "Ukrainian Air Force", "https://www.facebook.com/kpszsu/posts/3"),
        ("https://facebook.com/PvkCenter/posts/4", "Ukrainian Air Force, Air Command Centre",
         "https://facebook.com/PvkCenter/posts/4"),
        ("https://fb.com/PvkZahid/posts/5", "Ukrainian Air Force, Air Command West", "https://fb.com/PvkZahid/posts/5"),
        ("kpszsu/Posts/pfbid0", "Ukrainian Air Force", "https://www.facebook.com/kpszsu/Posts/pfbid0"),
        ("Watch/?v=12", "Ukrainian Air Force", "https://www.facebook.com/Watch/?v=12"),
        ("KharkivODA.gov.ua/news/1", "Kharkiv Regional Military Administration", "https://KharkivODA.gov.ua/news/1"),
        # Facebook links naming no page are the Air Force's
        ("permalink.php?story_fbid=1&id=2", "Ukrainian Air Force",
         "https://www.facebook.com/permalink.php?story_fbid=1&id=2"),
        ("story.php?story_fbid=1&id=2", "Ukrainian Air Force", "https://www.facebook.com/story.php?story_fbid=1&id=2"),
        ("https://t.me", "Ukrainian Air Force", "https://t.me"),
        ("https://www.facebook.com/", "Ukrainian Air Force", "https://www.facebook.com/"),
    ],
)
def test_source_links_in_any_case_and_pageless_links_are_known(source, name, url):
    failures = Failures()
    names, urls = air_force.parse_source(pd.Series([source], dtype="str"), failures)
    assert (names.iloc[0], urls.iloc[0]) == (name, url)
    assert failures.warnings_frame().empty and failures.frame().empty


def test_unknown_source_page_warning_names_row_column_and_raw_value():
    values = pd.Series(["kpszsu/posts/1", " SomePage/posts/2 ", "HTTPS://T.ME/OtherChannel/9", "",
                        "https://Example.org/report/7"], dtype="str")
    failures = Failures()
    names, urls = air_force.parse_source(values, failures)
    # the host names a page that is on no platform (not its first path segment)
    assert names.tolist() == ["Ukrainian Air Force", "facebook.com/SomePage", "t.me/OtherChannel",
                              "Ukrainian Air Force", "Example.org"]
    assert urls.iloc[[0, 1, 2, 4]].tolist() == [
        "https://www.facebook.com/kpszsu/posts/1", "https://www.facebook.com/SomePage/posts/2",
        "HTTPS://T.ME/OtherChannel/9", "https://Example.org/report/7"]
    assert pd.isna(urls.iloc[3]) and names.dtype == urls.dtype == "str"
    warned = failures.warnings_frame()
    assert warned[["row", "column", "value", "rule"]].values.tolist() == [
        [1, "source", " SomePage/posts/2 ", "unknown_source_page"],
        [2, "source", "HTTPS://T.ME/OtherChannel/9", "unknown_source_page"],
        [4, "source", "https://Example.org/report/7", "unknown_source_page"]]


@pytest.mark.parametrize("model", ["Kalibr/Shahed-136", "Iskander-K/Iskander-M", "C-300/KAB"])
def test_one_model_part_matching_two_categories_is_other(model):
    assert air_force.category_of(model) == "other"
    assert air_force.weapon_category(pd.Series([model, "Kalibr"], dtype="str")).tolist() == ["other", "cruise missile"]


def test_parse_keeps_the_index_of_the_raw_rows_and_the_published_ids():
    failures = Failures()
    out = air_force.parse(raw_frame([{}, {"target": "south"}], index=[7, 3]), failures)
    assert out.index.tolist() == [7, 3]
    assert out["report_id"].tolist() == ["air_force:f54ab6cc581196b0", "air_force:afd0cf2eb012ff9b"]
    assert out["window_start"].tolist() == [pd.Timestamp("2023-03-14 18:00")] * 2
    assert out["launched"].tolist() == [10, 10] and out["weapon_category"].tolist() == ["drone", "drone"]
    assert failures.frame().empty and failures.warnings_frame().empty


def test_destroyed_plus_not_reached_warning_bounds_and_shown_values():
    rows = [
        {"launched": "3.0", "destroyed": "3.0", "not_reach_goal": "1.0"},  # 0: destroyed = launched, one more missed
        {"launched": "3.0", "destroyed": "0.0", "not_reach_goal": "5.0"},  # 1: none destroyed, more than launched missed
        {"launched": "3.0", "destroyed": "1.0", "not_reach_goal": "2.0"},  # 2: adds up exactly: no warning
        {"launched": "3.0", "destroyed": "3.0", "not_reach_goal": "0.0"},  # 3: no warning
        {"launched": " 4.0 ", "destroyed": "4.0 ", "not_reach_goal": " 2.0"},  # 4: shown stripped
        {"launched": "3.0", "destroyed": "4.0", "not_reach_goal": "1.0"},  # 5: destroyed > launched: the schema's rule
    ]
    failures = Failures()
    air_force.parse(raw_frame(rows), failures)
    warned = failures.warnings_frame()
    assert warned[["row", "column", "value", "rule"]].values.tolist() == [
        [r, "launched,destroyed,not_reach_goal", shown, "destroyed_plus_not_reached_exceeds_launched"]
        for r, shown in ((0, "launched=3.0, destroyed=3.0, not_reach_goal=1.0"),
                         (1, "launched=3.0, destroyed=0.0, not_reach_goal=5.0"),
                         (4, "launched=4.0, destroyed=4.0, not_reach_goal=2.0"))]


def test_parse_times_spacing_and_the_value_of_an_empty_time():
    values = pd.Series(["2023-05-16  07:00", " 2023-05-16\t3:30 ", "   ", "2023-05-16"], dtype="str")
    failures = Failures()
    parsed = air_force.parse_times(values, "time_end", failures, end_of_day=True)
    assert parsed.tolist()[:2] == [pd.Timestamp("2023-05-16 07:00"), pd.Timestamp("2023-05-16 03:30")]
    assert pd.isna(parsed.iloc[2]) and parsed.iloc[3] == pd.Timestamp("2023-05-16 23:59:59.999")
    assert failures.frame()[["row", "column", "value", "rule"]].values.tolist() == [
        [2, "time_end", "   ", "required_value_missing"]]


def test_a_bad_synthetic_flag_is_rejected_naming_its_column():
    failures = Failures()
    out = air_force.parse(raw_frame([{"is_synthetic": "maybe"}, {"is_synthetic": "true"}]), failures)
    assert out["is_synthetic"].tolist() == [False, True]
    assert out["report_id"].iloc[1] == "synthetic-air_force:f54ab6cc581196b0"
    assert failures.frame()[["row", "column", "value", "rule"]].values.tolist() == [
        [0, "is_synthetic", "maybe", "not_a_boolean"]]


def test_a_repeated_report_row_with_three_warnings_is_one_warned_row_and_one_merged(tmp_path):
    """The ledger counts warned rows, not warnings: a row with three warnings (unknown model, unknown page,
    destroyed + not reached over launched) repeated on the next line is kept once, warned once, merged once."""
    row = {"model": "Qwertyuiop", "source": "someunknownpage/posts/1", "launched": "3.0", "destroyed": "2.0",
           "not_reach_goal": "2.0"}
    result = ingest(write_rows(tmp_path, [row, row]))
    ledger = result.ledger
    assert (ledger.rows, ledger.accepted, ledger.merged, ledger.warned) == (2, 1, 1, 1)
    assert sorted(result.warnings["rule"]) == ["destroyed_plus_not_reached_exceeds_launched", "unknown_source_page",
                                               "unknown_weapon_model"]
    assert set(result.warnings["raw_line"]) == {2}
