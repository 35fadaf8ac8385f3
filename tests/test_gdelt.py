"""The GDELT 2.0 events reader (headerless, tab-separated, 61 columns) and the synthetic GDELT generator.

The sample rows are written here, by hand, in the documented layout: the column
names come from ../shared/realdata/gdelt/gdelt2_events_columns.tsv, read in place.
"""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from analysis import config
from analysis.build import build
from analysis.build.dedupe import IdRegistry
from analysis.build.gdelt_synth import file_names, write_gdelt_files
from analysis.build.summary import build_summary
from analysis.build.ingest import ingest_file, open_file
from analysis.errors import InputError
from analysis.sources import gdelt
from analysis.sources.base import Failures
from conftest import realdata_path

COLUMNS_FILE = "gdelt/gdelt2_events_columns.tsv"


@pytest.fixture(scope="module")
def columns() -> list[str]:
    """The 61 documented column names, from the shared file (third-party: read in place, never copied)."""
    return realdata_path(COLUMNS_FILE).read_text(encoding="utf-8").strip("\r\n").split("\t")


def _line(columns: list[str], **values: str) -> str:
    """One record: an attack in Kramatorsk reported on 15 March 2024, with ``values`` changed."""
    row = dict.fromkeys(columns, "")
    row.update(GLOBALEVENTID="1163012345", SQLDATE="20240315", MonthYear="202403", Year="2024",
               FractionDate="2024.2027", Actor1Code="RUS", Actor1Name="RUSSIA", Actor2Code="UKR",
               Actor2Name="UKRAINE", IsRootEvent="1", EventCode="195", EventBaseCode="195", EventRootCode="19",
               QuadClass="4", GoldsteinScale="-10.0", NumMentions="6", NumSources="2", NumArticles="6",
               AvgTone="-7.1", ActionGeo_Type="4", ActionGeo_FullName="Kramatorsk, Donets'ka Oblast', Ukraine",
               ActionGeo_CountryCode="UP", ActionGeo_ADM1Code="UP05", ActionGeo_Lat="48.7231",
               ActionGeo_Long="37.5563", ActionGeo_FeatureID="-1037440", DATEADDED="20240315101500",
               SOURCEURL="https://www.example.com/news/kramatorsk")
    row.update(values)
    return "\t".join(row[c] for c in columns)


@pytest.fixture
def sample(tmp_path, columns):
    """Ten records; the comment says what each must become (line numbers are the file's, no header)."""
    lines = [
        _line(columns),  # 1 accepted: attack (19 Fight / 195 aerial), Donetsk
        _line(columns, GLOBALEVENTID="1163012346", EventCode="040", EventBaseCode="040", EventRootCode="04",
              QuadClass="1", ActionGeo_ADM1Code="UP14",
              ActionGeo_FullName="Luhansk, Luhans'ka Oblast', Ukraine"),  # 2 accepted: not an attack, Luhansk
        _line(columns, GLOBALEVENTID="1163012347", EventCode="183", EventBaseCode="183", EventRootCode="18",
              ActionGeo_ADM1Code="UP99"),  # 3 accepted: attack; an unknown FIPS admin1 code stays as given
        _line(columns, GLOBALEVENTID="1163012348", EventCode="141", EventBaseCode="141", EventRootCode="14",
              Actor1Name='"PROTESTERS', SOURCEURL='https://example.org/a"b'),  # 4 accepted: a protest, not an
        # attack; a quote is a character, even at the start of a field (no quoting in GDELT's files)
        _line(columns, GLOBALEVENTID="1163012349", ActionGeo_CountryCode="RS", ActionGeo_ADM1Code="RS48",
              ActionGeo_FullName="Belgorod, Belgorod, Russia", ActionGeo_Lat="50.6", ActionGeo_Long="36.6"),  # 5
        _line(columns, GLOBALEVENTID="1163012350", SQLDATE="2024031"),  # 6 rejected: 7 digits
        "\t".join(_line(columns, GLOBALEVENTID="1163012351").split("\t")[:60]),  # 7 rejected: 60 fields
        _line(columns, GLOBALEVENTID="1163012352", EventCode="202", EventBaseCode="202", EventRootCode="20",
              ActionGeo_Type="1", ActionGeo_FullName="Ukraine", ActionGeo_ADM1Code="UP",
              ActionGeo_Lat="49", ActionGeo_Long="32"),  # 8 accepted: attack, placed at the country only
        _line(columns, GLOBALEVENTID="1163012353", ActionGeo_CountryCode="", ActionGeo_Type="0",
              ActionGeo_FullName="", ActionGeo_ADM1Code="", ActionGeo_Lat="", ActionGeo_Long=""),  # 9 rejected
        _line(columns, GLOBALEVENTID="1163012354", SQLDATE="20240230"),  # 10 rejected: no 30 February
    ]
    path = tmp_path / "20240315101500.export.CSV"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_reader_knows_the_61_documented_columns_in_order(columns):
    assert len(columns) == 61 and tuple(columns) == gdelt.GDELT_COLUMNS


def test_sample_rows_map_to_canonical_events(sample):
    result = ingest_file(sample, raw_file=sample.name)
    ledger = result.ledger
    assert (ledger.format, ledger.rows, ledger.accepted, ledger.rejected) == ("gdelt", 10, 5, 5)
    events = result.accepted.set_index("raw_line")
    assert events.index.tolist() == [1, 2, 3, 4, 8]  # physical lines: there is no header line
    assert events["event_id"].tolist() == ["gdelt:1163012345", "gdelt:1163012346", "gdelt:1163012347",
                                           "gdelt:1163012348", "gdelt:1163012352"]
    assert events["is_attack"].tolist() == [True, False, True, False, True]  # roots 19, 04, 18, 14, 20
    assert events["event_type"].tolist() == ["CAMEO 19: Fight", "CAMEO 04: Consult", "CAMEO 18: Assault",
                                             "CAMEO 14: Protest", "CAMEO 20: Use unconventional mass violence"]
    assert events["sub_event_type"].tolist()[0] == "CAMEO 195: Employ aerial weapons"
    assert events["sub_event_type"].isna().tolist() == [False, True, False, True, False]
    assert (events["event_date"] == pd.Timestamp("2024-03-15")).all()
    assert (events["event_end_date"] == events["event_date"]).all() and (events["date_precision"] == "day").all()
    for column in ("fatalities", "injured", "civilians_killed", "civilians_injured", "buildings_damaged"):
        assert events[column].isna().all(), column  # unknown, never 0
    assert events["is_casualties_unknown"].all() and events["is_civilian_targeting"].isna().all()
    assert (events["country"] == "Ukraine").all()  # FIPS UP
    assert events["admin1"].tolist()[:4] == ["Donetsk", "Luhansk", "UP99", "Donetsk"]
    assert pd.isna(events.loc[8, "admin1"])  # ADM1Code "UP" is the country itself
    assert events["location"].tolist()[:4] == ["Kramatorsk", "Luhansk", "Kramatorsk", "Kramatorsk"]
    assert pd.isna(events.loc[8, "location"]) and events.loc[8, "geo_precision"] == "country"
    assert events.loc[1, ["latitude", "longitude"]].tolist() == [48.7231, 37.5563]
    assert events.loc[1, "source_url"] == "https://www.example.com/news/kramatorsk"
    assert events.loc[1, "source_name"] == "example.com" and events.loc[4, "source_url"] == 'https://example.org/a"b'
    assert events.loc[4, "actor1"] == '"PROTESTERS'
    assert events["notes"].str.startswith(gdelt.CAVEAT).all()
    assert "not a verified event" in gdelt.CAVEAT and "no casualty figures" in gdelt.CAVEAT
    assert events.loc[1, "publication_date"] == pd.Timestamp("2024-03-15") and not events["is_synthetic"].any()


def test_rejects_name_the_physical_line_and_the_rule(sample):
    rejects = ingest_file(sample, raw_file=sample.name).rejects.sort_values("raw_line")
    assert list(zip(rejects["raw_line"], rejects["rule"], rejects["column"])) == [
        (5, "country_not_configured", "ActionGeo_CountryCode"),
        (6, "unparseable_date", "SQLDATE"),
        (7, "too_few_fields", ""),
        (9, "country_not_configured", "ActionGeo_CountryCode"),
        (10, "unparseable_date", "SQLDATE"),
    ]
    russia = rejects[rejects["raw_line"] == 5].iloc[0]
    assert russia["value"] == "RS (Russia)" and "not a configured country (Ukraine = UP)" in russia["message"]
    assert "could not place" in rejects[rejects["raw_line"] == 9].iloc[0]["message"]
    assert rejects[rejects["raw_line"] == 6].iloc[0]["value"] == "2024031"
    assert rejects[rejects["raw_line"] == 7].iloc[0]["message"] == "the row has 60 fields, the gdelt format 61"


def test_fips_codes_map_to_the_configured_countries(columns, monkeypatch):
    """Sudan is SU and South Sudan OD in FIPS 10-4 (ISO: SD, SS); parsed without a build (no gazetteer)."""
    monkeypatch.setattr(config, "COUNTRIES", ("Sudan", "South Sudan"), raising=False)
    lines = [
        _line(columns, ActionGeo_CountryCode="SU", ActionGeo_ADM1Code="SU29"),
        _line(columns, GLOBALEVENTID="2", ActionGeo_CountryCode="OD", ActionGeo_ADM1Code="OD03"),
        _line(columns, GLOBALEVENTID="3"),  # Ukraine (UP) is not configured here
        _line(columns, GLOBALEVENTID="4", ActionGeo_CountryCode="BN"),  # Benin
        _line(columns, GLOBALEVENTID="5", ActionGeo_CountryCode="SD"),  # Sudan's ISO code, no FIPS 10-4 code
    ]
    raw = pd.DataFrame([line.split("\t") for line in lines], columns=columns, dtype="str")
    failures = Failures()
    events = gdelt.parse(raw, failures)
    assert events["country"].tolist()[:2] == ["Sudan", "South Sudan"] and events["country"][2:].isna().all()
    assert events["admin1"].tolist()[:2] == ["SU29", "OD03"]  # no FIPS region table: the code as given
    rejected = failures.frame()
    assert rejected["row"].tolist() == [2, 3, 4] and set(rejected["rule"]) == {"country_not_configured"}
    assert rejected["value"].tolist() == ["UP (Ukraine)", "BN (Benin)", "SD (not a FIPS 10-4 country code)"]
    assert "(Sudan = SU, South Sudan = OD)" in rejected["message"].iloc[0]


def test_a_gdelt_file_is_recognised_by_its_published_name_or_its_first_line(tmp_path, columns):
    assert gdelt.recognise("20240315101500.export.CSV", "") and gdelt.recognise("20240315101500.export.csv", "")
    assert not gdelt.recognise("20240315101500.export.CSV.zip", "") and not gdelt.recognise("x.csv", "a,b")
    good = _line(columns)
    assert gdelt.recognise("anything.csv", good)
    assert not gdelt.recognise("anything.csv", "\t".join(good.split("\t")[:60]))  # 60 fields
    assert not gdelt.recognise("anything.csv", good.replace("20240315", "2024-03-15", 1))  # SQLDATE not 8 digits
    assert not gdelt.recognise("anything.csv", "x" + good)  # GLOBALEVENTID not numeric
    renamed = tmp_path / "gdelt_ukraine.csv"  # several records: the first line alone is read, up to its newline
    renamed.write_text(good + "\r\n" + _line(columns, GLOBALEVENTID="1163012399") + "\r\n", encoding="utf-8")
    opened = open_file(renamed)
    assert opened.reader.name == "gdelt" and opened.header.lines == 0 and opened.header.delimiter == "\t"
    no_url = tmp_path / "gdelt_no_url.csv"  # a first record whose last field (SOURCEURL) is empty: still 61 fields
    no_url.write_text(_line(columns, SOURCEURL="") + "\r\n", encoding="utf-8")
    assert open_file(no_url).reader.name == "gdelt"
    broken_first = tmp_path / "odd.csv"  # neither the name nor the first line says GDELT: refused, or forced
    broken_first.write_text("\t".join(good.split("\t")[:60]) + "\n" + good + "\n", encoding="utf-8")
    with pytest.raises(InputError):
        open_file(broken_first)
    forced = ingest_file(broken_first, forced_format="gdelt")
    assert forced.ledger.accepted == 1 and forced.rejects["raw_line"].tolist() == [1]


def test_comma_separated_files_with_a_header_are_still_detected_by_header(tmp_path):
    path = tmp_path / "ucdp.csv"
    path.write_text("id,best\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="matches no known format"):
        open_file(path)


def test_the_generator_is_deterministic_and_names_files_as_gdelt_publishes_them(tmp_path):
    first = write_gdelt_files(tmp_path / "a", rows=120, seed=3, start="2024-03-15 10:05", files=5)
    again = write_gdelt_files(tmp_path / "b", rows=120, seed=3, start="2024-03-15 10:05", files=5)
    other = write_gdelt_files(tmp_path / "c", rows=120, seed=4, start="2024-03-15 10:05", files=5)
    assert [p.name for p in first] == file_names("2024-03-15 10:05", 5) == [
        "20240315100000.export.CSV", "20240315101500.export.CSV", "20240315103000.export.CSV",
        "20240315104500.export.CSV", "20240315110000.export.CSV"]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in again]
    assert [p.read_bytes() for p in first] != [p.read_bytes() for p in other]
    rows = pd.concat([pd.read_csv(p, sep="\t", header=None, names=list(gdelt.GDELT_COLUMNS), dtype=str,
                                  keep_default_na=False, quoting=3) for p in first], ignore_index=True)
    assert len(rows) == 120 and all(p.read_text().count("\n") == 24 for p in first)
    assert all(line.count("\t") == 60 for p in first for line in p.read_text().splitlines())
    assert rows["GLOBALEVENTID"].is_unique and rows["SQLDATE"].str.fullmatch(r"\d{8}").all()
    assert set(rows["EventRootCode"]) <= set(gdelt.ROOT_CODES) and {"18", "19"} <= set(rows["EventRootCode"])
    assert (rows["EventBaseCode"].str[:2] == rows["EventRootCode"]).all()
    assert set(rows["ActionGeo_CountryCode"]) <= {"UP", "RS"}
    ukraine = rows[rows["ActionGeo_CountryCode"] == "UP"]
    assert ukraine["ActionGeo_Lat"].astype(float).between(44.0, 52.6).all()  # Ukraine's land extent
    assert ukraine["ActionGeo_Long"].astype(float).between(22.0, 40.4).all()
    assert rows["SOURCEURL"].str.startswith(gdelt.SYNTHETIC_URL).all()
    assert (rows["DATEADDED"].str[:12] >= "202403151000").all()


def test_synthetic_gdelt_files_build_end_to_end(tmp_path):
    raw = tmp_path / "raw"
    paths = write_gdelt_files(raw, rows=80, seed=1, files=4, other_share=0.1)
    report = build(raw, tmp_path / "processed")
    assert report.ok
    manifest = json.loads((tmp_path / "processed" / "manifest.json").read_text())
    inputs = {e["path"]: e for e in manifest["inputs"]}
    assert sorted(inputs) == [p.name for p in paths]
    assert all(e["format"] == "gdelt" and e["accepted"] + e["rejected"] == e["rows"] == 20 for e in inputs.values())
    events = pd.read_parquet(tmp_path / "processed" / "events.parquet")
    rejects = pd.read_csv(tmp_path / "processed" / "rejects.csv")
    accepted = sum(e["accepted"] for e in inputs.values())
    assert len(events) == accepted and accepted + len(rejects) == 80 and accepted > 60
    assert set(rejects["rule"]) <= {"country_not_configured"}
    assert events["event_id"].str.startswith("synthetic-gdelt:").all() and events["is_synthetic"].all()
    assert (events["country"] == "Ukraine").all() and events["fatalities"].isna().all()
    assert events["is_attack"].any() and not events["is_attack"].all()


def test_a_build_mixing_gdelt_reports_with_events_says_so_and_one_of_gdelt_alone_does_not(tmp_path):
    raw = tmp_path / "raw"
    write_gdelt_files(raw, rows=8, seed=3, files=1, other_share=0.0)
    alone = build(raw, tmp_path / "alone")
    assert "NOTE: the events table holds GDELT" not in build_summary(alone, tmp_path / "alone")
    shutil.copy(config.RAW_DIR / "news_rferl_2023-03-14.csv", raw)
    mixed = build(raw, tmp_path / "mixed")
    assert ("NOTE: the events table holds GDELT's machine-coded media reports beside the events of news; every "
            "metric counts both alike") in build_summary(mixed, tmp_path / "mixed")


def test_same_files_twice_are_merged_not_counted_twice(tmp_path):
    paths = write_gdelt_files(tmp_path / "raw", rows=10, seed=2, files=1, other_share=0.0)
    registry = IdRegistry()
    first = ingest_file(paths[0], registry=registry)
    copy = tmp_path / "20990101000000.export.CSV"
    copy.write_bytes(paths[0].read_bytes())
    second = ingest_file(copy, registry=registry)
    assert first.ledger.accepted == 10 and (second.ledger.accepted, second.ledger.merged) == (0, 10)


def test_the_reader_loops_over_no_row_in_python(sample, columns, monkeypatch):
    """GDELT's files are the largest the build reads: its reader must stay in Arrow's kernels.  pandas answers
    some string methods (split with a limit, extract) one Python string at a time; those are made to fail
    here, so a new one in the reader fails this test instead of slowing every GDELT build."""
    from pandas.core.arrays.string_ import BaseStringArray
    from pandas.core.strings.object_array import ObjectStringArrayMixin

    lines = sample.read_text(encoding="utf-8").splitlines()
    raw = pd.DataFrame([line.split("\t") for line in lines if line.count("\t") == 60], columns=columns, dtype="str")
    expected = gdelt.parse(raw, Failures())

    def per_row(*args, **kwargs):
        raise AssertionError("a string method ran one Python string at a time")

    monkeypatch.setattr(BaseStringArray, "_str_map", per_row)
    monkeypatch.setattr(ObjectStringArrayMixin, "_str_map", per_row)
    parsed = gdelt.parse(raw, Failures())
    pd.testing.assert_frame_equal(parsed, expected)
    assert parsed["location"].tolist()[:2] == ["Kramatorsk", "Luhansk"]
    assert parsed["source_name"].tolist()[:4] == ["example.com"] * 3 + ["example.org"]


def test_each_gdelt_rule_names_the_line_column_value_and_rule(tmp_path, columns):
    """One broken value per line, each hand-checked against the reader's rules (no header: line 1 is a record)."""
    lines = [
        _line(columns, GLOBALEVENTID=""),
        _line(columns, GLOBALEVENTID="11630x2"),
        _line(columns, GLOBALEVENTID="1163012402", SQLDATE=""),
        _line(columns, GLOBALEVENTID="1163012403", DATEADDED="2024031510150"),  # 13 digits
        _line(columns, GLOBALEVENTID="1163012404", DATEADDED="20241399999999"),  # 14 digits, no such time
        _line(columns, GLOBALEVENTID="1163012405", EventRootCode="99"),
        _line(columns, GLOBALEVENTID="1163012406", EventRootCode=""),
        _line(columns, GLOBALEVENTID="1163012407", ActionGeo_Lat="north"),
        _line(columns, GLOBALEVENTID="1163012408", ActionGeo_Long="east"),
        _line(columns, GLOBALEVENTID="1163012409", ActionGeo_Type="9"),
        _line(columns, GLOBALEVENTID="1163012410", SOURCEURL="", DATEADDED=""),  # accepted: both may be empty
        _line(columns, GLOBALEVENTID="1163012411", SOURCEURL="HTTPS://www.Example.com/x", EventRootCode="2",
              EventBaseCode="020", EventCode="020"),  # accepted: root "2" is "02"; a scheme in capitals
    ]
    path = tmp_path / "20240315101500.export.CSV"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = ingest_file(path, raw_file=path.name)
    roots = "01, 02, 03, 04, 05, 06, 07, 08, 09, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20"
    added = "'DATEADDED' must be a time written YYYYMMDDHHMMSS (e.g. 20240315101500)"
    rejects = result.rejects.sort_values("raw_line")
    assert list(rejects[["raw_line", "column", "value", "rule", "message"]].itertuples(index=False, name=None)) == [
        (1, "GLOBALEVENTID", "", "required_value_missing", "'GLOBALEVENTID' is required but empty"),
        (2, "GLOBALEVENTID", "11630x2", "id_not_a_whole_number",
         "'GLOBALEVENTID' must be a whole number (GDELT event id, e.g. 1163012345)"),
        (3, "SQLDATE", "", "required_value_missing", "'SQLDATE' is required but empty"),
        (4, "DATEADDED", "2024031510150", "unparseable_date", added),
        (5, "DATEADDED", "20241399999999", "unparseable_date", added),
        (6, "EventRootCode", "99", "unknown_code", f"'EventRootCode' must be one of {roots}"),
        (7, "EventRootCode", "", "unknown_code", f"'EventRootCode' must be one of {roots}"),
        (8, "ActionGeo_Lat", "north", "not_a_number", "'ActionGeo_Lat' must be a decimal number or empty"),
        (9, "ActionGeo_Long", "east", "not_a_number", "'ActionGeo_Long' must be a decimal number or empty"),
        (10, "ActionGeo_Type", "9", "unknown_code", "'ActionGeo_Type' must be one of 1, 2, 3, 4, 5"),
    ]
    accepted = result.accepted.set_index("raw_line")
    assert accepted.index.tolist() == [11, 12] and result.ledger.rejected == 10
    assert accepted["is_synthetic"].tolist() == [False, False]  # no address is not a synthetic one
    assert pd.isna(accepted.loc[11, "source_name"]) and pd.isna(accepted.loc[11, "publication_date"])
    assert accepted.loc[12, "source_name"] == "Example.com"
    assert (accepted.loc[12, "event_type"], accepted.loc[12, "is_attack"]) == ("CAMEO 02: Appeal", False)


def test_parsed_rows_keep_the_raw_rows_index(sample, columns):
    raw = pd.DataFrame([line.split("\t") for line in sample.read_text(encoding="utf-8").splitlines()[:2]],
                       columns=columns, dtype="str", index=[10, 11])
    parsed = gdelt.parse(raw, Failures())
    assert parsed.index.tolist() == [10, 11]
    for column in ("weapon", "fatalities", "is_civilian_targeting", "event_id", "source_name"):
        assert parsed[column].index.tolist() == [10, 11], column
    assert parsed["event_id"].tolist() == ["gdelt:1163012345", "gdelt:1163012346"]
    assert parsed["weapon"].isna().all() and parsed["fatalities"].isna().all()


def test_a_region_code_is_read_only_for_its_own_country(columns, monkeypatch):
    """Ukraine's FIPS regions (UP05 = Donetsk) must not name a Sudanese row's SU05 or a mis-coded Ukrainian row."""
    monkeypatch.setattr(config, "COUNTRIES", ("Ukraine", "Sudan"), raising=False)
    lines = [
        _line(columns, ActionGeo_ADM1Code="UP05"),
        _line(columns, GLOBALEVENTID="2", ActionGeo_CountryCode="SU", ActionGeo_ADM1Code="SU05"),
        _line(columns, GLOBALEVENTID="3", ActionGeo_ADM1Code="RS05"),  # placed in Ukraine, a Russian region code
        _line(columns, GLOBALEVENTID="4", ActionGeo_ADM1Code="UP5"),  # too short to be a region
    ]
    raw = pd.DataFrame([line.split("\t") for line in lines], columns=columns, dtype="str")
    events = gdelt.parse(raw, Failures())
    assert events["country"].tolist() == ["Ukraine", "Sudan", "Ukraine", "Ukraine"]
    assert events["admin1"].tolist() == ["Donetsk", "SU05", "RS05", "UP5"]


def test_notes_and_country_messages_are_written_out_in_full(sample):
    result = ingest_file(sample, raw_file=sample.name)
    events = result.accepted.set_index("raw_line")
    assert events.loc[1, "notes"] == (gdelt.CAVEAT + " Place as coded: Kramatorsk, Donets'ka Oblast', Ukraine. "
                                      "Media attention: mentions 6, sources 2, articles 6.")
    rejects = result.rejects.set_index("raw_line")
    assert (rejects.loc[9, "value"], rejects.loc[9, "message"]) == (
        "", "'ActionGeo_CountryCode' is empty: GDELT could not place the event in a country")
    assert rejects.loc[5, "message"] == (
        "'ActionGeo_CountryCode' (FIPS 10-4) is not a configured country (Ukraine = UP); "
        "add the country to [project] countries to keep its rows")


def test_notes_of_an_event_whose_place_has_no_name_give_no_place(columns):
    raw = pd.DataFrame([_line(columns, ActionGeo_FullName="", ActionGeo_Type="1").split("\t")], columns=columns,
                       dtype="str")
    events = gdelt.parse(raw, Failures())
    assert events["notes"].tolist() == [gdelt.CAVEAT + " Media attention: mentions 6, sources 2, articles 6."]


def test_a_project_whose_countries_have_no_fips_code_is_told_so(columns, monkeypatch):
    """GeoNames gives the Aland Islands no FIPS 10-4 code: GDELT can place no row there."""
    monkeypatch.setattr(config, "COUNTRIES", ("Aland Islands",), raising=False)
    raw = pd.DataFrame([_line(columns).split("\t"), _line(columns, GLOBALEVENTID="2", SQLDATE="2024-03-15").split("\t")],
                       columns=columns, dtype="str")
    failures = Failures()
    gdelt.parse(raw, failures)
    rejected = failures.frame().sort_values(["row", "rule"])
    assert list(zip(rejected["row"], rejected["rule"], rejected["message"])) == [
        (0, "country_not_configured", "'ActionGeo_CountryCode' (FIPS 10-4) is not a configured country (none with a "
                                      "FIPS code); add the country to [project] countries to keep its rows"),
        (1, "country_not_configured", "'ActionGeo_CountryCode' (FIPS 10-4) is not a configured country (none with a "
                                      "FIPS code); add the country to [project] countries to keep its rows"),
        (1, "unparseable_date", "'SQLDATE' must be a day written YYYYMMDD (e.g. 20240315)"),
    ]


@pytest.mark.parametrize("quoted", [{"Actor1Name": '"PROTESTERS'}, {"GLOBALEVENTID": '"1163012361'},
                                    {"ActionGeo_FullName": 'Kyiv,"Kyyiv, Misto, Ukraine'}])
def test_a_short_record_holding_a_lone_quote_is_rejected_not_taken_for_broken_quoting(tmp_path, columns, quoted):
    """GDELT's files have no quoting, so a malformed record with an odd number of double quotes is one bad row
    (rejected for its field count), not a quote that swallowed the rest of the file: wherever the quote stands,
    even where a comma-separated file would open a quoted field with it (the record's start, after a comma)."""
    short = "\t".join(_line(columns, **{"GLOBALEVENTID": "1163012361", **quoted}).split("\t")[:60])
    for lines, line in (([_line(columns), short], 2), ([short], 1)):  # after a valid record, or alone
        path = tmp_path / "20240315101500.export.CSV"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = ingest_file(path, raw_file=path.name)
        assert (result.ledger.rows, result.ledger.accepted, result.ledger.rejected) == (len(lines), len(lines) - 1, 1)
        assert result.rejects[["raw_line", "rule"]].values.tolist() == [[line, "too_few_fields"]]


def test_a_short_record_holding_a_lone_quote_in_a_chunk_before_the_last_is_one_rejected_row(tmp_path, columns,
                                                                                          monkeypatch):
    """As above, in the first of several chunks of the read: a file without quoting is never refused for a quote."""
    rows = [_line(columns, GLOBALEVENTID=str(1163012300 + n)) for n in range(30)]
    rows[2] = "\t".join(_line(columns, GLOBALEVENTID='"1163012302').split("\t")[:60])
    path = tmp_path / "20240315101500.export.CSV"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.setattr(config, "CSV_READ_BLOCK_BYTES", 2048)  # several blocks, gathered into chunks of 5 rows
    result = ingest_file(path, raw_file=path.name, chunk_rows=5)
    assert (result.ledger.rows, result.ledger.accepted, result.ledger.rejected) == (30, 29, 1)
    assert result.rejects[["raw_line", "rule"]].values.tolist() == [[3, "too_few_fields"]]
