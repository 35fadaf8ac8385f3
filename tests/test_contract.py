"""The compiled metric contract equals the pandera schemas, and both judge frames alike."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import contract, metrics, schemas
from conftest import events_frame

D = pd.Timestamp


def test_contracts_file_is_compiled_from_the_schemas():
    committed = json.loads(contract.CONTRACTS_FILE.read_text())
    assert committed == json.loads(json.dumps(contract.compile_schemas(), default=str)), \
        "run analysis.contract.write_contracts()"


@pytest.fixture(scope="module")
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


MUTATIONS = ["none", "negative", "null", "float_for_int", "drop_column", "extra_column", "frame_rule"]


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
    assert (contract.problems(mutated, name) == []) == _pandera_accepts(mutated, name), (name, column, how)


def test_valid_outputs_pass_and_a_broken_one_raises(outputs):
    for name, frame in outputs.items():
        contract.check(frame, name)
    broken = outputs["attacks_per_day"].assign(attacks=-1)
    with pytest.raises(contract.ContractError, match="attacks: breaks greater_than_or_equal_to"):
        contract.check(broken, "attacks_per_day")


@pytest.mark.parametrize("schema, column, prefix", [
    (schemas.PROCESSED_EVENTS, "event_id", "acled:"),
    (schemas.REPORTED_CLAIMS, "claim_id", "claim:"),
    (schemas.AIR_ATTACK_REPORTS, "report_id", "airforce:"),
])
def test_id_formats_refuse_whitespace_anywhere_including_a_trailing_newline(schema, column, prefix):
    check = schema.columns[column].checks[0]
    ids = pd.Series([f"{prefix}UKR1", f"synthetic-{prefix}x-2", f"{prefix}a b", f"{prefix}a\tb",
                     f"{prefix}x\n", f"{prefix}", f"other:{prefix}1"], dtype="str")
    passed = check(ids).check_output.tolist()
    assert passed == [True, True, False, False, False, False, False]
