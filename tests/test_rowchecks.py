"""The schemas' checks, run by analysis.tables.rowchecks, find exactly the failures pandera finds, on every table."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import config
from analysis.build import ingest, quarantine
from analysis.tables import rowchecks
from analysis.tables import schemas
from analysis.sources import READERS
from conftest import to_csv_text
from hostile import NEWS_ROW

BUNDLED = {"events": "synthetic_acled_demo.csv", "claims": "claims_rferl_2023-03-14.csv",
           "air_attacks": "synthetic_air_force_demo.csv"}

# Values that break (or may break) a rule, per dtype; None is a missing value.
BREAKERS = {
    "str": [None, "", "not a known value", "x y", "acled:x\n", "synthetic-acled:ok", "Battles", "day"],
    "Int64": [None, -1, 0, 7, 10_000],
    "Float64": [None, -91.0, 95.0, 90.0, -180.0, 48.0, 200.0, 37.5],
    "datetime64[ms]": [pd.NaT, pd.Timestamp("1900-01-01"), pd.Timestamp("2100-01-01"), pd.Timestamp("2023-03-14")],
    "bool": [True, False],
    "boolean": [pd.NA, True, False],
    "int64": [0, 1, 2, 5],
}


@functools.cache
def _valid_chunk(table: str) -> pd.DataFrame:
    """Accepted typed rows of a bundled file (before place matching), as the build validates them."""
    path = config.RAW_DIR / BUNDLED[table]
    chunks = [item.accepted for item in ingest.iter_ingest(path, path.name) if isinstance(item, ingest.ChunkResult)]
    frame = pd.concat(chunks, ignore_index=True).head(40)
    frame = pd.concat([frame] * (1 + 8 // len(frame)), ignore_index=True)  # a file of one claim: repeat it
    assert len(frame) >= 8 and rowchecks.failures(frame, schemas.TABLES[table].chunk_schema).empty
    return frame


def _kind(dtype) -> str:
    return "str" if isinstance(dtype, pd.StringDtype) else "datetime64[ms]" if str(dtype).startswith("datetime") \
        else str(dtype)


def _normalised(found: pd.DataFrame, schema) -> set:
    """(row, column, rule); frame-level rules name no column (pandera lists every column of the row)."""
    frame_rules = {str(c.error) for c in schema.checks}
    return {(int(r), "" if rule in frame_rules else c, rule) for r, c, rule in found.itertuples(index=False)}


def _broken(frame: pd.DataFrame, edits: list) -> pd.DataFrame:
    frame = frame.copy()
    for row, column_number, choice in edits:
        column = frame.columns[column_number % len(frame.columns)]
        options = BREAKERS[_kind(frame[column].dtype)]
        values = frame[column].astype(object).to_numpy().copy()
        values[row % len(frame)] = options[choice % len(options)]
        frame[column] = pd.Series(values, index=frame.index).astype(frame[column].dtype)
    return frame


@pytest.mark.parametrize("table", list(BUNDLED))
@settings(max_examples=40, deadline=None)
@given(edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 100), st.integers(0, 100)), max_size=12))
def test_row_checks_and_pandera_find_the_same_failures(table, edits):
    schema = schemas.TABLES[table].chunk_schema
    frame = _broken(_valid_chunk(table), edits)
    fast = _normalised(rowchecks.failures(frame, schema), schema)
    assert fast == _normalised(quarantine.pandera_failures(frame, schema), schema)
    assert not edits or all(isinstance(r, int) for r, _, _ in fast)


@pytest.mark.parametrize("table", list(BUNDLED))
def test_every_breaking_value_in_every_column_is_judged_alike(table):
    schema = schemas.TABLES[table].chunk_schema
    valid = _valid_chunk(table)
    for column_number, column in enumerate(valid.columns):
        options = BREAKERS[_kind(valid[column].dtype)]
        frame = _broken(valid, [(row, column_number, row) for row in range(len(options))])
        fast = _normalised(rowchecks.failures(frame, schema), schema)
        assert fast == _normalised(quarantine.pandera_failures(frame, schema), schema), column


def test_a_known_breakage_is_found_with_pandera_s_rule_names():
    schema = schemas.TABLES["events"].chunk_schema
    frame = _valid_chunk("events").head(4).copy()
    frame.loc[0, "fatalities"] = -1
    frame.loc[1, "event_type"] = "Foo"
    frame.loc[2, "country"] = None
    frame.loc[3, "event_end_date"] = frame.loc[3, "event_date"] - pd.Timedelta(days=2)
    found = _normalised(rowchecks.failures(frame, schema), schema)
    assert found == {(0, "fatalities", "negative_count"), (1, "event_type", "unknown_event_type"),
                     (2, "country", "not_nullable"), (3, "", "end_date_before_start_date")}


def test_a_frame_of_the_wrong_shape_is_a_reader_bug_not_bad_input():
    schema = schemas.TABLES["events"].chunk_schema
    frame = _valid_chunk("events")
    with pytest.raises(rowchecks.SchemaMismatch, match="fatalities"):
        rowchecks.failures(frame.astype({"fatalities": "float64"}), schema)
    with pytest.raises(rowchecks.SchemaMismatch, match="out of order"):
        rowchecks.failures(frame[list(reversed(frame.columns))], schema)
    with pytest.raises(rowchecks.SchemaMismatch, match="unexpected"):
        rowchecks.failures(frame.assign(extra=1), schema)


def test_every_schema_the_build_validates_is_run_and_others_fall_back_to_pandera():
    for table in schemas.TABLES.values():
        rowchecks.failures(schemas.empty_frame(table.chunk_schema), table.chunk_schema)
    for reader in READERS.values():
        for layout in reader.layouts:
            rowchecks.failures(pd.DataFrame({c: pd.Series(dtype="str") for c in layout.required}), layout.schema)
    full = schemas.TABLES["events"].schema  # unique ids: left to pandera (and to the build's de-duplication)
    with pytest.raises(rowchecks.Unsupported):
        rowchecks.failures(_valid_chunk("events"), full)
    twice = pd.concat([_valid_chunk("events").head(2)] * 2, ignore_index=True)
    found = quarantine.schema_failures(twice, full)
    assert set(found["rule"]) == {"field_uniqueness"} and sorted(found["row"]) == [0, 1, 2, 3]


def test_raw_layout_checks_refuse_missing_cells():
    layout = READERS["acled"].layouts[0]
    frame = pd.DataFrame({c: pd.Series(["x", None], dtype="str") for c in layout.required})
    found = rowchecks.failures(frame, layout.schema)
    assert set(found["rule"]) == {"not_nullable"} and set(found["row"]) == {1}
    assert np.array_equal(np.sort(found["column"].unique()), np.sort(list(layout.required)))


def test_frame_rules_name_columns_of_their_own_schema():
    """The columns a rejection names come from the rule's registration on the schema, and exist there."""
    for table in schemas.TABLES.values():
        for check in table.schema.checks:
            assert schemas.rule_columns(check), check.error
            assert set(schemas.rule_columns(check)) <= set(table.schema.columns), check.error
    assert schemas.rule_columns(schemas.DESTROYED_WITHIN_LAUNCHED) == ("launched", "destroyed")
    assert schemas.rule_columns(schemas.CANONICAL_EVENTS.columns["event_id"].checks[0]) == ()


def test_checks_it_does_not_apply_are_left_to_pandera():
    frame = _valid_chunk("air_attacks")
    schema = schemas.TABLES["air_attacks"].chunk_schema
    warns = schema.update_column("launched", checks=[pa.Check.ge(10**9, raise_warning=True)])
    with pytest.raises(rowchecks.Unsupported):
        rowchecks.failures(frame, warns)
    with pytest.warns(UserWarning):  # pandera only warns: nothing is rejected
        assert quarantine.schema_failures(frame, warns).empty
    grouped = schema.update_column("launched", checks=[pa.Check(lambda groups: True, groupby="weapon_category")])
    with pytest.raises(rowchecks.Unsupported):
        rowchecks.failures(frame, grouped)
    plain = pa.DataFrameSchema(schema.columns, checks=[pa.Check(lambda df: df["launched"] > 30, error="many")])
    with pytest.raises(rowchecks.Unsupported):  # a frame check not registered with schemas.frame_rule
        rowchecks.failures(frame, plain)
    found = quarantine.schema_failures(frame, plain)
    assert set(found["rule"]) == {"many"} and set(found["row"]) == set(np.flatnonzero(frame["launched"] <= 30))


def test_a_rejection_by_a_frame_rule_names_its_columns_and_their_values(tmp_path):
    """civilians_injured_exceeds_injured named no column ('' = '') while ingest kept its own map of rules."""
    path = tmp_path / "news.csv"
    rows = [{**NEWS_ROW, "event_id": "a", "injured": "2", "civilians_injured": "5"}]
    path.write_text(to_csv_text(rows, list(NEWS_ROW)), encoding="utf-8")
    rejects = ingest.ingest_file(path, "news.csv", forced_format="news").rejects
    assert rejects[["raw_line", "column", "value", "rule", "message"]].to_dict("records") == [{
        "raw_line": 2, "column": "civilians_injured,injured", "value": "5, 2",
        "rule": "civilians_injured_exceeds_injured",
        "message": "'civilians_injured,injured' = '5, 2' breaks rule civilians_injured_exceeds_injured"}]
