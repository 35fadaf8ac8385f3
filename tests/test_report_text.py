"""The exact text a reader sees for tables and incidents (found unpinned by the mutation run, docs/mutation.md)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from analysis import metrics
from analysis.reports.reporting import Report, table_html
from conftest import events_frame

D = pd.Timestamp


def test_table_cells_by_type_dates_flags_counts_shares_text_and_unknowns():
    frame = pd.DataFrame({"when": [D("2023-03-14"), D("2023-03-14 09:30")], "is_flag": np.array([True, False]),
                          "count": np.array([1234567, 0], dtype="int64"), "share": [0.12345, 3.0],
                          "note": ["<b>x</b>", None]})
    assert table_html(frame) == (
        '<div class="analysis-table" style="overflow-x:auto"><table><thead><tr><th class="date">when</th>'
        '<th class="text">is flag</th><th class="number">count</th><th class="number">share</th>'
        '<th class="text">note</th></tr></thead><tbody>'
        '<tr><td class="date">2023-03-14</td><td class="text">yes</td><td class="number">1,234,567</td>'
        '<td class="number">0.123</td><td class="text">&lt;b&gt;x&lt;/b&gt;</td></tr>'
        '<tr><td class="date">2023-03-14 09:30</td><td class="text">no</td><td class="number">0</td>'
        '<td class="number">3</td><td class="text">unknown</td></tr></tbody></table></div>')


def test_incident_sentences_numbers_and_the_note_on_the_rest(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(Report, "_show_markdown", staticmethod(lambda markdown, plain: shown.append(plain)))
    events = events_frame([
        {"event_date": D("2023-03-14"), "event_end_date": D("2023-03-16"), "is_civilian_targeting": True,
         "civilians_killed": 1, "civilians_injured": 3, "weapon": "missile", "source_name": "RFE/RL"},
        {"event_date": D("2023-03-15"), "is_civilian_targeting": True, "settlement": None, "location": "Near Lyman",
         "admin1": None, "civilians_killed": None, "source_name": "X"},
        {"event_date": D("2023-03-15"), "is_civilian_targeting": True, "civilians_killed": 2, "source_name": "Y"},
    ])
    incidents = metrics.civilian_harm_incidents(events)
    Report("t", {}, tmp_path).state_incidents(incidents, limit=2)
    numbers = json.loads((tmp_path / "numbers.json").read_text(encoding="utf-8"))["numbers"]
    first = ("On 14 March 2023 in Kramatorsk (Donetsk), 1 civilian was killed and 3 civilians were injured "
             "(missile). Source: RFE/RL.")
    assert [(n["name"], n["value"], n["unit"]) for n in numbers] == [
        ("acled:T0:civilians_killed", 1, "people"), ("acled:T0:civilians_injured", 3, "people"),
        ("acled:T1:civilians_killed", None, "people"), ("acled:T1:civilians_injured", None, "people")]
    assert numbers[0]["sentence"] == numbers[1]["sentence"] == first
    assert numbers[0]["definition"] == ("Civilians killed in this incident, as reported by its source "
                                        "(empty if not given).")
    assert numbers[1]["definition"] == ("Civilians injured in this incident, as reported by its source "
                                        "(empty if not given).")
    # the source line ends on the incident's last day (it lasted 14-16 March), not its first
    assert numbers[0]["source"] == "Source: ACLED. Events to 16 Mar 2023."
    assert (numbers[2]["raw_file"], numbers[2]["raw_line"], numbers[2]["event_id"]) == ("test.csv", 3, "acled:T1")
    second = numbers[2]["sentence"]
    assert second.startswith("On 15 March 2023 in Near Lyman, ") and second.endswith(". Source: X.")
    assert "(" not in second  # no region, no weapon: nothing in brackets
    # the injured number is not shown twice: one sentence per incident, then the note on the rest
    assert shown == [first, second, "... and 1 more incident (all in the table below)."]
