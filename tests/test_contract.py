"""One contract: the pandera schema objects decide, for the build, `analysis validate` and the metrics alike.

Metrics check their results with :mod:`analysis.tables.rowchecks`, which runs the
schema's own checks; here it must judge every frame as pandera does, and a rule
changed on a schema object must change every path that uses it.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import build, config, metrics
from analysis.metrics import loaders
from analysis.tables import rowchecks
from analysis.tables import schemas
from conftest import events_frame, per_test_under_mutmut

D = pd.Timestamp
AIR_FILE = config.PROJECT_DIR / "data" / "raw" / "synthetic_air_force_demo.csv"


@pytest.fixture(scope=per_test_under_mutmut)
def outputs():
    events = events_frame([
        {"event_date": D("2023-03-01"), "fatalities": 2, "civilians_killed": 1, "civilians_injured": 4},
        {"event_date": D("2023-03-03"), "is_civilian_targeting": True},
        {"event_date": D("2023-03-04"), "event_type": "Battles", "sub_event_type": "Armed clash"},
    ])
    air = pd.DataFrame({"count_date": pd.to_datetime(["2024-05-01", "2024-05-02"]).astype(schemas.DATE),
                        "weapon_category": pd.array(["drone", "drone"], dtype="str"),
                        "launched": np.array([10, 0]), "destroyed": np.array([8, 0]),
                        "share_destroyed": pd.array([0.8, None], dtype="Float64")})
    return {
        "attacks_per_day": metrics.attacks_per_day(events, rolling=2),
        "civilian_harm_by_city": metrics.civilian_harm_by_city(events),
        "period_comparison": metrics.compare_periods(events, ("2023-03-03", "2023-03-04"), ("2023-03-01", "2023-03-02")),
        "event_summary": metrics.summarise_events(events, freq="week"),
        "air_attacks_per_day": air,
    }


def _pandera_accepts(frame: pd.DataFrame, name: str) -> bool:
    try:
        schemas.METRIC_SCHEMAS[name].validate(frame, lazy=True)
        return True
    except (pa.errors.SchemaErrors, pa.errors.SchemaError):
        return False


MUTATIONS = ["none", "negative", "null", "float_for_int", "drop_column", "extra_column", "reorder", "frame_rule"]


def _mutate(frame: pd.DataFrame, name: str, how: str, column: str) -> pd.DataFrame:
    frame = frame.copy()
    numeric = pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(frame[column])
    if how == "negative" and numeric and len(frame):
        frame.loc[frame.index[0], column] = -1
    elif how == "null" and len(frame):
        frame[column] = frame[column].astype(object).where(frame.index != frame.index[0], None).astype(
            frame[column].dtype if str(frame[column].dtype) in ("Int64", "Float64", "str") else object)
    elif how == "float_for_int" and str(frame[column].dtype) in ("int64", "Int64"):
        frame[column] = frame[column].astype("float64")
    elif how == "drop_column":
        frame = frame.drop(columns=column)
    elif how == "extra_column":
        frame["surprise"] = 1
    elif how == "reorder":
        frame = frame[[column, *[c for c in frame.columns if c != column]]]
    elif how == "frame_rule" and name == "air_attacks_per_day":
        frame.loc[frame.index[0], "destroyed"] = 11
    return frame


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_both_validators_agree(outputs, data):
    name = data.draw(st.sampled_from(sorted(outputs)))
    frame = outputs[name]
    column = data.draw(st.sampled_from(list(frame.columns)))
    how = data.draw(st.sampled_from(MUTATIONS))
    mutated = _mutate(frame, name, how, column)
    found = rowchecks.problems(mutated, schemas.METRIC_SCHEMAS[name])
    assert (found == []) == _pandera_accepts(mutated, name), (name, column, how, found)


def test_valid_outputs_pass_and_a_broken_one_raises(outputs):
    for name, frame in outputs.items():
        assert rowchecks.check(frame, schemas.METRIC_SCHEMAS[name]) is frame
    broken = outputs["attacks_per_day"].assign(attacks=-1)
    with pytest.raises(rowchecks.ContractError, match=r"attacks_per_day: attacks: breaks greater_than_or_equal_to\(0\)"):
        rowchecks.check(broken, schemas.ATTACKS_PER_DAY)
    air = outputs["air_attacks_per_day"]
    assert rowchecks.problems(air.assign(destroyed=[11, 0]), schemas.AIR_ATTACKS_PER_DAY) == [
        "breaks destroyed_exceeds_launched"]
    assert rowchecks.problems(air.assign(share_destroyed=pd.array([1.5, None], dtype="Float64")),
                              schemas.AIR_ATTACKS_PER_DAY) == ["share_destroyed: breaks in_range(0, 1)"]
    assert rowchecks.problems(air.drop(columns="launched"), schemas.AIR_ATTACKS_PER_DAY) == [
        "column 'launched' is missing"]
    assert rowchecks.problems(air.astype({"launched": "float64"}), schemas.AIR_ATTACKS_PER_DAY) == [
        "launched: dtype float64 is not int64"]


@pytest.mark.parametrize("schema, column, prefix", [
    (schemas.PROCESSED_EVENTS, "event_id", "acled:"),
    (schemas.CLAIMS, "claim_id", "claim:"),
    (schemas.AIR_ATTACKS, "report_id", "air_force:"),
])
def test_id_formats_refuse_whitespace_anywhere_including_a_trailing_newline(schema, column, prefix):
    check = schema.columns[column].checks[0]
    ids = pd.Series([f"{prefix}UKR1", f"synthetic-{prefix}x-2", f"{prefix}a b", f"{prefix}a\tb",
                     f"{prefix}x\n", f"{prefix}", f"other:{prefix}1"], dtype="str")
    passed = check(ids).check_output.tolist()
    assert passed == [True, True, False, False, False, False, False]


# ---------------------------------------------------------------- one rule, changed in one place
def _at_most_half_destroyed(df: pd.DataFrame) -> pd.Series:
    ok = df["destroyed"].isna() | df["launched"].isna() | (df["destroyed"] * 2 <= df["launched"])
    return ok.fillna(True).astype(bool)


def _schemas_holding(check: pa.Check) -> list[pa.DataFrameSchema]:
    found = [s for s in vars(schemas).values() if isinstance(s, pa.DataFrameSchema)]
    return [s for s in found if any(c is check for c in s.checks)]


def test_one_rule_changed_in_one_place_changes_the_build_validate_and_the_metrics(tmp_path, monkeypatch, cli):
    """destroyed <= launched is declared once and registered on the reports read and on their daily sums.

    Replacing that one declaration (as editing it in schemas.py would) changes
    which rows the build rejects, what `analysis validate` reports, and which
    metric results pass their check: no other copy of the rule exists.
    """
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(AIR_FILE, raw)
    build.build(raw, tmp_path / "before", quiet=True)
    old_counts = loaders.load_daily_counts(processed_dir=tmp_path / "before", build=False)
    metrics.air_attacks_per_day(old_counts)  # passes the rule as written
    assert _json_errors(cli, raw / AIR_FILE.name) == []

    holders = _schemas_holding(schemas.DESTROYED_WITHIN_LAUNCHED)
    assert sorted(s.name for s in holders) == ["air_attacks", "air_attacks_per_day"]
    stricter = schemas.frame_rule(_at_most_half_destroyed, "destroyed_exceeds_half_launched", "launched", "destroyed")
    for schema in holders:
        monkeypatch.setattr(schema, "checks", [stricter if c is schemas.DESTROYED_WITHIN_LAUNCHED else c
                                               for c in schema.checks])

    with pytest.raises(rowchecks.ContractError, match="air_attacks_per_day: breaks destroyed_exceeds_half_launched"):
        metrics.air_attacks_per_day(old_counts)

    text = pd.read_csv(AIR_FILE, dtype=str, keep_default_na=False)
    broken = text[text["destroyed"].astype(float) * 2 > text["launched"].astype(float)]
    expected = pd.DataFrame({
        "raw_line": broken.index.to_numpy() + 2, "column": "launched,destroyed",
        "value": broken["launched"] + ", " + broken["destroyed"], "rule": "destroyed_exceeds_half_launched"})
    expected["message"] = ("'launched,destroyed' = '" + expected["value"]
                           + "' breaks rule destroyed_exceeds_half_launched")
    assert 100 < len(expected) < len(text)

    after = build.build(raw, tmp_path / "after", quiet=True)
    assert after.ok
    rejects = loaders.load_ledger_file(config.REJECTS_FILE, processed_dir=tmp_path / "after")
    assert (rejects["raw_file"] == AIR_FILE.name).all()
    got = rejects.drop(columns="raw_file").astype({"raw_line": "int64"}).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected.reset_index(drop=True), check_dtype=False)

    errors = pd.DataFrame(_json_errors(cli, raw / AIR_FILE.name))
    assert errors.rename(columns={"line": "raw_line"}).to_dict("records") == got.to_dict("records")

    new_counts = loaders.load_daily_counts(processed_dir=tmp_path / "after", build=False)
    daily = metrics.air_attacks_per_day(new_counts)
    assert (daily["destroyed"] * 2 <= daily["launched"]).all() and daily["launched"].sum() > 0


def _json_errors(cli, path) -> list[dict]:
    code, out, err = cli("validate", "--json", path)
    assert code in (0, 1), out + err
    return json.loads(out)[0]["errors"]


def test_a_bound_changed_on_its_schema_changes_the_build_and_validate(tmp_path, monkeypatch, cli):
    """A value check is read from the schema object too: a tighter bound there rejects more rows everywhere."""
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(AIR_FILE, raw)
    launched = schemas.AIR_ATTACKS.columns["launched"]
    monkeypatch.setattr(launched, "checks", [pa.Check.ge(5, error="fewer_than_five_launched")])

    text = pd.read_csv(AIR_FILE, dtype=str, keep_default_na=False)
    lines = (text.index[text["launched"].astype(float) < 5] + 2).tolist()
    assert 10 < len(lines) < len(text)
    build.build(raw, tmp_path / "processed", quiet=True)
    rejects = loaders.load_ledger_file(config.REJECTS_FILE, processed_dir=tmp_path / "processed")
    assert rejects["raw_line"].astype(int).tolist() == lines
    assert set(rejects["rule"]) == {"fewer_than_five_launched"} and set(rejects["column"]) == {"launched"}
    errors = _json_errors(cli, raw / AIR_FILE.name)
    assert [(e["line"], e["value"], e["rule"]) for e in errors] == list(zip(lines, text["launched"].iloc[
        [n - 2 for n in lines]], rejects["rule"]))
