"""The exact text a reader sees for tables and incidents (found unpinned by the mutation run, docs/mutation.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

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
    assert second == ("On 15 March 2023 in Near Lyman, an unknown number of civilians were killed and an unknown "
                      "number of civilians were injured. Source: X.")


def test_incident_sentences_name_the_settlement_else_the_location_and_count_the_rest(tmp_path, monkeypatch):
    """The matched settlement, not the place as written; "an unnamed place" when neither is known; the note on
    the rest in the plural, and none when every incident was stated; 20 incidents unless told."""
    shown = []
    monkeypatch.setattr(Report, "_show_markdown", staticmethod(lambda markdown, plain: shown.append(plain)))
    events = events_frame([
        {"event_date": D("2023-03-14"), "is_civilian_targeting": True, "settlement": "Sloviansk",
         "location": "Sloviansk outskirts", "civilians_killed": 2, "source_name": "A"},
        {"event_date": D("2023-03-15"), "is_civilian_targeting": True, "settlement": None, "location": None,
         "admin1": None, "civilians_killed": 1, "civilians_injured": 0, "source_name": "B"},
        *({"event_date": D("2023-03-16"), "is_civilian_targeting": True, "source_name": "C"} for _ in range(20)),
    ])
    incidents = metrics.civilian_harm_incidents(events)
    Report("a", {}, tmp_path / "a").state_incidents(incidents.head(2), limit=2)
    assert shown == [
        "On 14 March 2023 in Sloviansk (Donetsk), 2 civilians were killed and an unknown number of civilians were "
        "injured. Source: A.",
        "On 15 March 2023 in an unnamed place, 1 civilian was killed and 0 civilians were injured. Source: B."]
    shown.clear()
    Report("b", {}, tmp_path / "b").state_incidents(incidents, limit=19)
    assert len(shown) == 20 and shown[-1] == "... and 3 more incidents (all in the table below)."
    shown.clear()
    Report("c", {}, tmp_path / "c").state_incidents(incidents)
    assert len(shown) == 21 and shown[-1] == "... and 2 more incidents (all in the table below)."
    numbers = json.loads((tmp_path / "c" / "numbers.json").read_text(encoding="utf-8"))["numbers"]
    assert len(numbers) == 40  # killed and injured of the first 20


# ---------------------------------------------------------------- what a notebook displays (display hook captured)
def _displayed(monkeypatch) -> list:
    """Every IPython display(...) call a report makes, as (args, kwargs)."""
    import IPython.display

    calls = []
    monkeypatch.setattr(IPython.display, "display", lambda *args, **kwargs: calls.append((args, kwargs)))
    return calls


def test_a_table_is_displayed_raw_as_html_and_plain_text_of_its_first_rows(tmp_path, monkeypatch):
    calls = _displayed(monkeypatch)
    Report("t", {}, tmp_path).table(pd.DataFrame({"n": [1, 2, 3]}), limit=2)
    assert calls == [(({
        "text/html": '<div class="analysis-table" style="overflow-x:auto"><table><thead><tr><th class="number">n'
                     '</th></tr></thead><tbody><tr><td class="number">1</td></tr><tr><td class="number">2</td></tr>'
                     '</tbody></table><p class="analysis-more">First 2 of 3 rows.</p></div>',
        "text/plain": "   n\n0  1\n1  2"},), {"raw": True})]


def test_a_table_shows_200_rows_unless_told_and_says_so_only_when_rows_are_left_out(tmp_path, monkeypatch):
    calls = _displayed(monkeypatch)
    report = Report("t", {}, tmp_path)
    report.table(pd.DataFrame({"n": range(201)}))
    report.table(pd.DataFrame({"n": range(200)}))
    (left_out,), _ = calls[0]
    assert left_out["text/html"].count("<tr><td") == 200 and '<td class="number">199</td>' in left_out["text/html"]
    assert left_out["text/html"].endswith('<p class="analysis-more">First 200 of 201 rows.</p></div>')
    assert left_out["text/plain"].splitlines()[-1] == "199  199" and len(left_out["text/plain"].splitlines()) == 201
    (whole,), _ = calls[1]
    assert whole["text/html"].count("<tr><td") == 200 and "analysis-more" not in whole["text/html"]
    assert "First" not in table_html(pd.DataFrame({"n": [1, 2]}), limit=2)
    assert table_html(pd.DataFrame({"n": range(201)})).endswith("First 200 of 201 rows.</p></div>")


def test_sentences_and_notes_are_displayed_raw_as_escaped_markdown_and_plain_text(tmp_path, monkeypatch):
    calls = _displayed(monkeypatch)
    Report("t", {}, tmp_path).note("5 <b>x</b>")
    assert calls == [(({"text/markdown": r"5 \<b\>x\<\/b\>", "text/plain": "5 <b>x</b>"},), {"raw": True})]


def test_outside_ipython_the_plain_text_is_printed(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "IPython.display", None)  # importing it now fails, as without IPython
    report = Report("t", {}, tmp_path)
    report.note("5 <b>x</b>")
    report.table(pd.DataFrame({"n": [1]}))
    assert capsys.readouterr().out == "5 <b>x</b>\n   n\n0  1\n"


def _png(tmp_path, width: int):
    """Enough of a PNG for the <img>: signature and IHDR with the width in pixels (bytes 16-20)."""
    path = tmp_path / "chart.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + width.to_bytes(4, "big") + (10).to_bytes(4, "big"))
    return path


def test_a_figure_is_shown_as_the_saved_png_with_its_alt_text_on_one_line(tmp_path, monkeypatch):
    import base64

    calls = _displayed(monkeypatch)
    png = _png(tmp_path, 1000)
    alt = tmp_path / "chart.txt"
    alt.write_text("Attacks per day in Kharkiv: \"<b>\" &\nmore – 2023\n", encoding="utf-8")
    Report._show_png(png, alt)
    data = base64.b64encode(png.read_bytes()).decode("ascii")
    text = "Attacks per day in Kharkiv: &quot;&lt;b&gt;&quot; &amp; more – 2023"
    assert calls == [(({
        "text/html": f'<figure class="analysis-figure" style="margin:0"><img src="data:image/png;base64,{data}" '
                     f'alt="{text}" width="480" style="max-width:100%;height:auto"><figcaption><details '
                     f'class="analysis-alt"><summary>Description of the chart</summary><p>{text}</p></details>'
                     f'</figcaption></figure>',
        "text/plain": 'Attacks per day in Kharkiv: "<b>" & more – 2023'},), {"raw": True})]


def test_a_figure_without_alt_text_is_shown_with_an_empty_alt_and_says_figure(tmp_path, monkeypatch):
    calls = _displayed(monkeypatch)
    png = _png(tmp_path, 1250)
    Report._show_png(png, None)
    Report._show_png(png, tmp_path / "no-such-alt.txt")
    for (bundle,), kwargs in calls:
        assert bundle["text/plain"] == "(figure)" and kwargs == {"raw": True}
        assert ' alt="" width="600" ' in bundle["text/html"] and "<p></p></details>" in bundle["text/html"]
    assert len(calls) == 2


def test_cells_of_numpy_scalars_read_like_those_of_columns():
    from analysis.reports.reporting import _cell

    assert [_cell(v) for v in (np.bool_(True), np.bool_(False), np.int64(1234567), np.uint8(7), np.int32(-5))] == [
        "yes", "no", "1,234,567", "7", "-5"]
    assert [_cell(v) for v in (np.float32(2.5), np.float32(1234567.0), 1234567.0, 0.000123456, np.str_("<i>"))] == [
        "2.5", "1,234,567", "1,234,567", "0.000123", "&lt;i&gt;"]


# ---------------------------------------------------------------- the notebook a kernel runs (IPython shell faked)
def _shell(monkeypatch, namespace):
    import IPython

    class Shell:
        user_ns = namespace

    monkeypatch.setattr(IPython, "get_ipython", lambda: None if namespace is None else Shell())


def test_outside_a_kernel_or_without_a_session_the_notebook_is_unnamed(monkeypatch):
    from analysis.reports.reporting import _interactive_run

    _shell(monkeypatch, None)  # plain IPython or no shell: get_ipython() is None
    assert _interactive_run() == ("notebook", {})
    _shell(monkeypatch, {"__session__": "", "days": 7})
    assert _interactive_run() == ("notebook", {})
    monkeypatch.setitem(sys.modules, "IPython", None)  # no IPython at all
    assert _interactive_run() == ("notebook", {})


def test_the_session_names_the_notebook_jupyter_or_vs_code(monkeypatch, tmp_path):
    from analysis.reports.reporting import _interactive_run

    _shell(monkeypatch, {"__vsc_ipynb_file__": str(tmp_path / "gone" / "my-brief.ipynb"), "days": 7})
    assert _interactive_run() == ("my-brief", {})  # not found anywhere: its name, no declared parameters
    from types import SimpleNamespace

    from analysis import config
    from analysis.reports import parameters

    (tmp_path / "brief.ipynb").write_text("{}", encoding="utf-8")
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", tmp_path)
    declared = {tmp_path / "brief.ipynb": ["days", "oblast", "report_dir"]}  # nbformat's schema check is slow
    monkeypatch.setattr(parameters, "notebook_parameters",
                        lambda path: [SimpleNamespace(name=n) for n in declared[Path(path)]])
    _shell(monkeypatch, {"__session__": "elsewhere/brief.ipynb", "days": 3, "report_dir": "x", "unrelated": 1})
    # found in notebooks/ (the session path is relative to the server): the declared parameters the kernel holds
    assert _interactive_run() == ("brief", {"days": 3})
