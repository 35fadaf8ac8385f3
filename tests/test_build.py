"""``analysis build``: outputs, manifest, skipping, determinism, atomicity, raw files untouched."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from analysis import config
from analysis.build import build, is_up_to_date
from conftest import ACLED_SAMPLE, UCDP_SAMPLE, acled_rows, to_csv_text

REPO_RAW = config.PROJECT_DIR / "data" / "raw"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def raw_dir(tmp_path):
    """A raw folder holding the bundled seed files."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for path in REPO_RAW.glob("*_rferl_*.csv"):
        shutil.copy(path, raw / path.name)
    return raw


def test_build_writes_every_output_and_a_balanced_manifest(raw_dir, tmp_path, write_csv):
    bad = acled_rows(4)
    bad[1]["fatalities"] = "-2"
    (raw_dir / "acled_small.csv").write_text(to_csv_text(bad + [bad[0]]), encoding="utf-8")
    out = tmp_path / "processed"
    report = build(raw_dir, out)
    assert report.ok and not report.skipped
    for name in ("events.parquet", "claims.parquet", "rejects.csv", "merged.csv", "warnings.csv",
                 "unmatched_places.csv", "manifest.json"):
        assert (out / name).exists(), name
    manifest = json.loads((out / "manifest.json").read_text())
    by_file = {e["path"]: e for e in manifest["inputs"]}
    acled = by_file["acled_small.csv"]
    assert (acled["rows"], acled["accepted"], acled["rejected"], acled["merged"]) == (5, 3, 1, 1)
    assert acled["sha256"] == _sha(raw_dir / "acled_small.csv")
    for entry in manifest["inputs"]:
        assert entry["accepted"] + entry["rejected"] + entry["merged"] == entry["rows"]
    assert manifest["schema_version"] == config.SCHEMA_VERSION
    assert manifest["package_version"] and manifest["libraries"]["pandas"].startswith("3")
    events = pd.read_parquet(out / "events.parquet")
    assert len(events) == manifest["outputs"]["events.parquet"]["rows"] == 3 + 7
    rejects = pd.read_csv(out / "rejects.csv")
    assert rejects.loc[0, ["raw_file", "raw_line", "column", "value", "rule"]].tolist() == [
        "acled_small.csv", 3, "fatalities", -2, "negative_count"]
    merged = pd.read_csv(out / "merged.csv")
    assert merged.loc[0, ["raw_line", "merged_into_line"]].tolist() == [6, 2]


def test_processed_events_follow_the_processed_schema(raw_dir, tmp_path):
    from analysis.tables.schemas import PROCESSED_EVENTS

    out = tmp_path / "processed"
    build(raw_dir, out)
    events = pd.read_parquet(out / "events.parquet")
    PROCESSED_EVENTS.validate(events, lazy=True)
    kramatorsk = events[events["location"] == "Kramatorsk"]
    assert set(kramatorsk["geonameid"]) == {704508}
    lyman = events[events["location"] == "Lyman"].iloc[0]
    assert lyman["geonameid"] == 704204  # Lyman in Donetsk oblast, not the Kharkiv or Odesa homonyms
    assert events["admin1"].eq("Donetsk").all()


def test_second_build_is_skipped_and_touching_does_not_rebuild(raw_dir, tmp_path):
    out = tmp_path / "processed"
    build(raw_dir, out)
    before = _sha(out / "events.parquet")
    assert build(raw_dir, out).skipped
    news = next(raw_dir.glob("news_*.csv"))
    os.utime(news, ns=(time.time_ns(), time.time_ns()))  # same bytes, new mtime
    assert build(raw_dir, out).skipped
    news.write_text(news.read_text() + news.read_text().splitlines()[1].replace("apartment-strike", "copy") + "\n")
    report = build(raw_dir, out)
    assert not report.skipped and _sha(out / "events.parquet") != before


# Every file a build writes into its generation folder (a test below keeps this list complete).
PROCESSED_FILES = ("events.parquet", "claims.parquet", "air_attacks.parquet", "daily_counts.parquet", "rejects.csv",
                   "merged.csv", "warnings.csv", "deleted.csv", "unmatched_places.csv", "manifest.json", "manifest.sha256")


@pytest.mark.parametrize("removed", ["current/rejects.csv", "rejects.csv"])
def test_a_missing_output_or_stable_name_triggers_a_rebuild(raw_dir, tmp_path, removed):
    out = tmp_path / "processed"
    build(raw_dir, out)
    good = (out / "rejects.csv").read_bytes()
    (out / removed).unlink()
    assert not is_up_to_date(raw_dir, out)
    assert not build(raw_dir, out).skipped and (out / "rejects.csv").read_bytes() == good


def test_the_processed_files_are_the_outputs_of_the_manifest_and_the_manifest(raw_dir, tmp_path):
    out = tmp_path / "processed"
    report = build(raw_dir, out)
    assert sorted(p.name for p in report.generation.iterdir()) == sorted(PROCESSED_FILES)
    assert sorted(report.manifest["outputs"]) == sorted(PROCESSED_FILES[:-2])
    for name in PROCESSED_FILES:  # the stable names read the current build
        assert os.readlink(out / name) == f"current/{name}" and (out / name).read_bytes() == (
            report.generation / name).read_bytes()
    assert (out / "manifest.sha256").read_text() == f"{_sha(out / 'manifest.json')}  manifest.json\n"


@pytest.mark.parametrize("name", PROCESSED_FILES)
def test_a_same_size_corruption_of_any_processed_file_triggers_a_rebuild_that_restores_it(raw_dir, tmp_path, name):
    out = tmp_path / "processed"
    build(raw_dir, out)
    path = out / name
    good = path.read_bytes()
    with open(path, "r+b") as handle:  # one bit of one byte in the middle; the size stays the same
        handle.seek(len(good) // 2)
        byte = handle.read(1)
        handle.seek(len(good) // 2)
        handle.write(bytes([byte[0] ^ 0x01]))
    assert path.stat().st_size == len(good) and path.read_bytes() != good
    assert not is_up_to_date(raw_dir, out)
    report = build(raw_dir, out)
    assert not report.skipped and path.read_bytes() == good
    assert build(raw_dir, out).skipped


def test_building_twice_gives_byte_identical_outputs(raw_dir, tmp_path, realdata):
    shutil.copy(realdata(ACLED_SAMPLE), raw_dir / "acled_sample.csv")
    shutil.copy(realdata(UCDP_SAMPLE), raw_dir / "ucdp_sample.csv")
    first, second = tmp_path / "a", tmp_path / "b"
    build(raw_dir, first)
    build(raw_dir, second, force=True)
    for name in ("events.parquet", "claims.parquet", "rejects.csv", "merged.csv", "warnings.csv",
                 "unmatched_places.csv"):
        assert _sha(first / name) == _sha(second / name), name


def test_build_in_separate_processes_is_byte_identical(raw_dir, tmp_path):
    hashes = []
    for name in ("p1", "p2"):
        out = tmp_path / name
        subprocess.run([sys.executable, "-m", "analysis", "build", "--raw-dir", raw_dir, "--processed-dir", out,
                        "--quiet"], check=True, capture_output=True)
        hashes.append(_sha(out / "events.parquet"))
    assert hashes[0] == hashes[1]


class _InlineWrites:
    """WriteBehind without the thread: every write runs at once, in the caller."""

    def __init__(self, name=""):
        pass

    def submit(self, call, *args, **kwargs):
        call(*args, **kwargs)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


def test_reading_ahead_and_writing_behind_give_the_same_bytes_as_plain_sequential_steps(
        raw_dir, tmp_path, monkeypatch):
    from analysis.build import ingest
    from analysis.build import parts
    from analysis.build.synth import write_synthetic_acled

    monkeypatch.setattr(config, "CSV_CHUNK_ROWS", 700)  # many chunks, so the threads overlap
    write_synthetic_acled(raw_dir / "synthetic.csv", rows=6_000, seed=3)
    build(raw_dir, tmp_path / "threaded")
    monkeypatch.setattr(ingest, "read_ahead", lambda items, name="": items)
    monkeypatch.setattr(parts, "WriteBehind", _InlineWrites)
    build(raw_dir, tmp_path / "sequential")
    for name in ("events.parquet", "claims.parquet", "rejects.csv", "merged.csv", "warnings.csv",
                 "unmatched_places.csv"):
        assert _sha(tmp_path / "threaded" / name) == _sha(tmp_path / "sequential" / name), name
    events = pd.read_parquet(tmp_path / "threaded" / "events.parquet")
    synthetic = events[events["raw_file"] == "synthetic.csv"]
    assert len(synthetic) > 5_000 and synthetic["raw_line"].is_monotonic_increasing  # chunks kept in file order
    assert len(_row_groups(tmp_path / "threaded")) > 1


def _row_groups(processed: Path) -> list:
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(processed / "events.parquet").metadata
    return [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]


@pytest.mark.parametrize("chosen, expected", [(None, "jemalloc"), ("system", "system")])
def test_arrow_uses_jemalloc_unless_the_user_chose_a_memory_pool(chosen, expected):
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if chosen:
        env["ARROW_DEFAULT_MEMORY_POOL"] = chosen
    code = ("import pyarrow as pa; from analysis import storage; storage.prefer_jemalloc(); "
            "print(pa.default_memory_pool().backend_name)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected


def test_a_gazetteer_failure_in_the_background_is_retried_where_places_are_matched_not_printed(
        raw_dir, tmp_path, monkeypatch, capsys):
    from analysis import places

    calls, real = [], places.prepare

    def flaky() -> None:
        calls.append(threading.current_thread().name)
        if calls[-1] == "gazetteer":
            raise OSError("gazetteer cache unreadable")
        real()

    unhandled = []
    monkeypatch.setattr(places, "prepare", flaky)  # the build's background thread calls places.prepare
    monkeypatch.setattr(places.match, "prepare", flaky)  # match_places calls it again (parts.Part's writer thread)
    monkeypatch.setattr(threading, "excepthook", unhandled.append)  # where a thread's uncaught error would go
    report = build(raw_dir, tmp_path / "processed")
    assert report.ok and calls[0] == "gazetteer" and len(calls) > 1 and "gazetteer" not in calls[1:]
    assert not unhandled and "Traceback" not in capsys.readouterr().err


def test_build_never_modifies_raw_files(raw_dir, tmp_path):
    before = {p.name: (_sha(p), p.stat().st_mtime_ns) for p in raw_dir.iterdir()}
    build(raw_dir, tmp_path / "processed")
    assert {p.name: (_sha(p), p.stat().st_mtime_ns) for p in raw_dir.iterdir()} == before


def test_unreadable_file_is_reported_and_the_rest_is_built(raw_dir, tmp_path, cli):
    (raw_dir / "broken.csv").write_text("a;b;c\n1;2;3\n")
    out = tmp_path / "processed"
    code, stdout, stderr = cli("build", "--raw-dir", raw_dir, "--processed-dir", out)
    assert code == 2
    assert "UNREADABLE broken.csv" in stdout and "semicolon" in stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["file_errors"][0]["path"] == "broken.csv"
    assert len(pd.read_parquet(out / "events.parquet")) == 7


def test_empty_raw_folder_is_a_clear_error(tmp_path, cli):
    (tmp_path / "raw").mkdir()
    code, out, err = cli("build", "--raw-dir", tmp_path / "raw", "--processed-dir", tmp_path / "p")
    assert code == 2 and "no raw files" in err and "Traceback" not in err


def test_killed_build_leaves_previous_outputs_readable(raw_dir, tmp_path):
    out = tmp_path / "processed"
    build(raw_dir, out)
    previous = json.loads((out / "manifest.json").read_text())
    from analysis.build.synth import write_synthetic_acled

    write_synthetic_acled(raw_dir / "synthetic_big.csv", rows=3_000, seed=1)
    env = {**os.environ, "ANALYSIS_TEST_KILL_AT": "output_written:1"}  # parts written, the first output too
    proc = subprocess.run([sys.executable, "-m", "analysis", "build", "--raw-dir", raw_dir, "--processed-dir", out,
                           "--quiet"], env=env, capture_output=True)
    assert proc.returncode == -signal.SIGKILL
    assert list(out.glob(".build-*/*.parquet")) and len(list((out / "generations").iterdir())) == 2  # killed mid-way
    assert json.loads((out / "manifest.json").read_text()) == previous
    for name, info in previous["outputs"].items():
        assert _sha(out / name) == info["sha256"], name
    assert len(pd.read_parquet(out / "events.parquet")) == previous["outputs"]["events.parquet"]["rows"]
    report = build(raw_dir, out)  # the next build completes and clears the leftovers
    assert not report.skipped and report.manifest["totals"]["rows"] == previous["totals"]["rows"] + 3_000
    assert not list(out.glob(".build-*")) and len(list((out / "generations").iterdir())) == 2  # current, previous


def test_processed_real_acled_rows_are_normalised(raw_dir, tmp_path, realdata):
    shutil.copy(realdata(ACLED_SAMPLE), raw_dir / "acled_sample.csv")
    out = tmp_path / "processed"
    build(raw_dir, out)
    events = pd.read_parquet(out / "events.parquet").set_index("event_id")
    zaporizhzhia = events.loc["acled:UKR58571"]
    assert (zaporizhzhia["admin1"], zaporizhzhia["settlement"], zaporizhzhia["fatalities"]) == (
        "Zaporizhzhia", "Zaporizhzhya", 26)  # the oblast in our spelling, the city in GeoNames'
    assert events.loc["acled:UKR53103", "settlement"] == "Mariupol"
    district = events[events["location"] == "Donetsk - Kuibyshivskyi"]
    assert len(district) and (district["geonameid"] == 709717).all() and (district["place_match"] == "district").all()
    kyiv = events[events["location"] == "Kyiv"]
    assert set(kyiv["admin1"]) == {"Kyiv City"} and set(kyiv["geonameid"]) == {703448}
    assert set(events["admin1"].dropna()) <= set(__import__("analysis.places", fromlist=["region_names"]).region_names("Ukraine").values())


def test_large_inputs_report_progress_when_not_on_a_terminal_unless_quiet(raw_dir, tmp_path, monkeypatch, capsys,
                                                                          cli):
    from analysis.build.synth import write_synthetic_acled

    monkeypatch.setattr(config, "CSV_CHUNK_ROWS", 1_000)
    write_synthetic_acled(raw_dir / "synthetic.csv", rows=5_000, seed=2)
    build(raw_dir, tmp_path / "processed", progress=False)
    err = capsys.readouterr().err
    assert err.count("synthetic.csv: ") >= 4 and "synthetic.csv: 5,000 of ~5,000 rows" in err
    code, stdout, stderr = cli("build", "--force", "-q", "--raw-dir", raw_dir, "--processed-dir", tmp_path / "processed")
    assert (code, stdout, stderr) == (0, "", "")


def test_repeats_across_files_are_merged_into_the_first_file(raw_dir, tmp_path):
    rows = acled_rows(3)
    (raw_dir / "a_first.csv").write_text(to_csv_text(rows), encoding="utf-8")
    later = [dict(rows[1]), {**rows[2], "fatalities": "7"}, {**rows[0], "event_id_cnty": "UKR999"}]
    (raw_dir / "b_later.csv").write_text(to_csv_text(later), encoding="utf-8")
    out = tmp_path / "processed"
    build(raw_dir, out)
    manifest = json.loads((out / "manifest.json").read_text())
    by_file = {e["path"]: e for e in manifest["inputs"]}
    assert (by_file["a_first.csv"]["accepted"], by_file["a_first.csv"]["merged"]) == (3, 0)
    assert (by_file["b_later.csv"]["accepted"], by_file["b_later.csv"]["merged"]) == (1, 2)
    merged = pd.read_csv(out / "merged.csv").set_index("raw_line")
    assert merged.loc[2, ["merged_into_file", "merged_into_line", "is_identical"]].tolist() == ["a_first.csv", 3, True]
    assert merged.loc[3, ["merged_into_file", "merged_into_line", "is_identical"]].tolist() == ["a_first.csv", 4, False]
    events = pd.read_parquet(out / "events.parquet")
    acled = events[events["source_dataset"] == "acled"]
    assert acled["event_id"].is_unique and len(acled) == 4
    assert acled.set_index("event_id").loc["acled:UKR1002", "fatalities"] == 1  # the first version is kept
    assert manifest["outputs"]["events.parquet"]["rows"] == len(events)
