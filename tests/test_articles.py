"""Article bundles: article.yaml checked, built into out/ (index.html, manifest.json), its quoted numbers checked."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from analysis import config
from analysis.reports import article_page, articles

REPO = Path(__file__).resolve().parents[1]
SEED = "rferl-2023-03-14"
SEED_FILE = REPO / "articles" / SEED / "article.yaml"
KRAMATORSK_INJURED = "news:rferl-20230314-kramatorsk-apartment-strike:civilians_injured"

MINIMAL = """\
title: A test article
date: 2023-03-14
source: {publisher: RFE/RL, title: A report, date: 2023-03-14}
reports:
  briefing: {notebook: 01-daily-briefing, parameters: {date: 2023-03-14, window_days: 1}}
numbers:
  - {report: briefing, number: attacks_on_date}
"""


@pytest.fixture
def articles_dir(tmp_path, monkeypatch):
    folder = tmp_path / "articles"
    folder.mkdir()
    monkeypatch.setattr(config, "ARTICLES_DIR", folder)
    return folder


def write_article(folder: Path, text: str, slug: str = "a") -> Path:
    path = folder / slug / "article.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- the article file
def test_the_seed_article_names_the_reports_and_numbers_of_the_article():
    spec = articles.parse(__import__("yaml").safe_load(SEED_FILE.read_text(encoding="utf-8")), SEED, SEED_FILE.parent)
    assert spec.date == "2023-03-14" and spec.source["publisher"] == "RFE/RL"
    assert spec.reports["briefing"].parameters == {"date": "2023-03-14", "window_days": 7, "oblast": "Donetsk"}
    assert spec.reports["station-strike"].parameters["date"] == "2022-04-08"
    quoted = {(q.report, q.name) for q in spec.numbers}
    assert ("briefing", KRAMATORSK_INJURED) in quoted and ("briefing", "claim:attacks_repelled:2023-03-14:"
                                                                       "claims_rferl_2023-03-14.csv:2") in quoted
    assert {r for r, name in quoted if name == "attacks"} == {"bakhmut", "lyman", "avdiivka", "maryinka", "shakhtarsk"}


def test_broken_yaml_is_a_usage_error_naming_file_and_line(articles_dir, cli):
    path = write_article(articles_dir, MINIMAL.replace("numbers:\n", "numbers: [\n"))
    code, out, err = cli("article", "build", "a")
    assert code == 2 and f"{path}, line 7, column 3" in err and "not valid YAML" in err and "Traceback" not in err, err


@pytest.mark.parametrize("edit, fragment", [
    (lambda t: t.replace("title: A test article\n", ""), "(top level): missing key 'title'"),
    (lambda t: t + "colour: red\n", "(top level): unknown key 'colour'"),
    (lambda t: t.replace("date: 2023-03-14\nsource", "date: 14/03/2023\nsource"),
     "date: expected a day YYYY-MM-DD, got '14/03/2023'"),
    (lambda t: t.replace("  briefing:", "  Brief/../x:"), "reports.Brief/../x: 'Brief/../x' is not a report id"),
    (lambda t: t.replace("window_days: 1}", "window_days: [1, 2]}"),
     "reports.briefing.parameters: 'window_days': [1, 2]"),
    (lambda t: t.replace("{report: briefing, number", "{report: brefing, number"),
     "numbers[0].report: 'brefing' is not a report listed under reports (briefing)"),
    (lambda t: t.replace("number: attacks_on_date", "number: ''"), "numbers[0].number: expected text"),
    (lambda t: t.replace("numbers:\n  - {report: briefing, number: attacks_on_date}\n", "numbers: []\n"),
     "numbers: an article quotes at least one number"),
    (lambda t: "- just\n- a list\n", "(top level): expected a mapping"),
])
def test_a_wrong_key_or_value_is_a_usage_error_naming_file_key_and_value(articles_dir, cli, edit, fragment):
    path = write_article(articles_dir, edit(MINIMAL))
    code, out, err = cli("article", "build", "a")
    assert code == 2 and f"error: {path}: " in err and fragment in err and "Traceback" not in err, err


def test_an_unknown_notebook_or_parameter_is_refused_before_any_report_runs(seed_dirs, articles_dir, cli, monkeypatch):
    monkeypatch.setattr(articles.runner, "batch", lambda *a, **k: pytest.fail("a report ran"))
    path = write_article(articles_dir, MINIMAL.replace("01-daily-briefing", "99-nope"))
    code, out, err = cli("article", "build", "a")
    assert code == 2 and f"{path}: reports.briefing: no notebook '99-nope'" in err, err
    write_article(articles_dir, MINIMAL.replace("window_days: 1", "window_days: 1, colour: red"))
    code, out, err = cli("article", "build", "a")
    assert code == 2 and "reports.briefing: 01-daily-briefing: unknown parameter 'colour'" in err, err


@pytest.mark.parametrize("slug", ["../a", "a/b", "", ".", "_x", "a b", "a\nb"])
def test_a_slug_is_one_safe_folder_name(articles_dir, cli, slug):
    code, out, err = cli("article", "check", slug)
    assert code == 2 and "a slug is one folder name" in err, err


def test_an_article_that_does_not_exist_or_is_not_built_is_a_usage_error(articles_dir, cli):
    code, out, err = cli("article", "build", "missing")
    assert code == 2 and "no article 'missing'" in err, err
    write_article(articles_dir, MINIMAL)
    code, out, err = cli("article", "check", "a")
    assert code == 2 and "article a is not built yet" in err and "analysis article build a" in err, err


def test_an_unknown_number_or_figure_name_is_refused_with_the_reports_names(articles_dir):
    write_article(articles_dir, MINIMAL.replace("number: attacks_on_date", "number: '<b>nope</b>'")
                  + "figures:\n  - {report: briefing, figure: nope}\n")
    spec = articles.load("a")
    numbers = {"briefing": {"numbers": [{"name": "attacks_on_date", "value": 3}]}}
    with pytest.raises(articles.ArticleError, match=r"numbers\[0\]\.number: '<b>nope</b>' is not a number of report "
                                                    r"briefing \(its numbers: attacks_on_date\)"):
        articles.quoted_numbers(spec, numbers)
    folder = articles_dir / "report"
    (folder / "figures").mkdir(parents=True)
    (folder / "figures" / "event-map.png").write_bytes(b"png")
    with pytest.raises(articles.ArticleError, match=r"figures\[0\]\.figure: 'nope' is not a figure of report "
                                                    r"briefing \(its figures: event-map\)"):
        articles.figure_files(spec, {"briefing": folder})


# ---------------------------------------------------------------- the index page
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000640000003208060000000000000000")


def test_the_index_page_escapes_every_text_from_the_article_and_the_reports(articles_dir):
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    write_article(articles_dir, MINIMAL.replace("title: A test article", f"title: '{hostile}'")
                  .replace("publisher: RFE/RL", f"publisher: '{hostile}'"))
    spec = articles.load("a")
    quoted = [{"report": "briefing", "label": hostile, "name": hostile, "value": 3, "unit": "events",
               "sentence": hostile, "definition": hostile, "source": hostile}]
    figures = [{"report": "briefing", "name": "map", "label": hostile, "alt": f"A map. Source: {hostile}",
                "png": PNG, "files": ["figures/briefing/map.png", "figures/briefing/javascript:alert(1).csv"]}]
    runs = {"briefing": {"notebook": hostile, "parameters": {"city": hostile}, "run_id": "0123"}}
    page = article_page.index_html(spec, quoted, figures, runs)
    assert "<script" not in page and "onerror=" not in page.replace("onerror=&quot;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and 'href="javascript' not in page
    assert "<dd>3 events</dd>" in page and "Source: &lt;script&gt;" in page
    assert page == article_page.index_html(spec, quoted, figures, runs)


def test_values_are_shown_with_their_unit_and_missing_ones_as_not_given():
    assert article_page.value_text(1234, "people") == "1,234 people"
    assert article_page.value_text(None, "people") == "not given"
    assert article_page.value_text(2.5) == "2.5"
    assert article_page.source_line("Map of 4 attacks. Source: ACLED. Events to 14 Mar 2023.") == \
        "Source: ACLED. Events to 14 Mar 2023."


# ---------------------------------------------------------------- check, with drift stood in
class FakeDrift:
    def __init__(self, numbers):
        self.numbers = numbers

    def to_json(self):
        return {"numbers": self.numbers}


def built_bundle(articles_dir: Path) -> Path:
    """article 'a' as if built: out/manifest.json and out/reports/briefing/{run,numbers}.json."""
    write_article(articles_dir, MINIMAL)
    kept = articles_dir / "a" / "out" / "reports" / "briefing"
    kept.mkdir(parents=True)
    (kept / "run.json").write_text(json.dumps({"notebook": "01-daily-briefing", "parameters": {}}), encoding="utf-8")
    (kept / "numbers.json").write_text(json.dumps({"numbers": [{"name": "attacks_on_date", "value": 16}]}),
                                       encoding="utf-8")
    (articles_dir / "a" / "out" / "manifest.json").write_text("{}", encoding="utf-8")
    return kept


@pytest.mark.parametrize("new, code, line", [
    (16, 0, "holds    briefing: attacks_on_date: 16 -> 16"),
    (17, 1, "CHANGED  briefing: attacks_on_date: 16 -> 17 (+1)"),
])
def test_check_exits_1_naming_a_quoted_number_that_changed(articles_dir, cli, monkeypatch, new, code, line):
    kept = built_bundle(articles_dir)
    seen = []

    def fake(record, snapshots=None):
        seen.append((record.name, (record / "numbers.json").read_bytes(), snapshots))
        status = "unchanged" if new == 16 else "changed"
        return FakeDrift([{"name": "attacks_on_date", "status": status, "old": 16, "new": new, "delta": new - 16,
                           "events": {"added": [{"id": "acled:1"}], "removed": [],
                                      "revised": [{"id": "acled:2", "fields": ["fatalities"]}]} if new != 16 else None},
                          {"name": "not_quoted", "status": "changed", "old": 1, "new": 2, "delta": 1}])

    monkeypatch.setattr(articles, "report_drift", fake)
    result, out, err = cli("article", "check", "a", "--snapshot", "acled=20240101T000000Z")
    assert result == code and line in out and "1 quoted numbers: " in out and "not_quoted" not in out, (out, err)
    assert seen == [("briefing", (kept / "numbers.json").read_bytes(), {"acled": "20240101T000000Z"})]
    assert ("added: acled:1\n" in out and "revised: acled:2 (fatalities revised)\n" in out) == (new != 16)
    assert "removed" not in out
    assert not list((articles_dir / "a" / "out").glob("reports/briefing/drift*"))  # out/ is never touched


def test_check_rejects_a_snapshot_that_is_not_source_equals_stamp(articles_dir, cli):
    built_bundle(articles_dir)
    code, out, err = cli("article", "check", "a", "--snapshot", "acled")
    assert code == 2 and "--snapshot 'acled': expected SOURCE=STAMP with SOURCE one of acled, ucdp_ged" in err, err


# ---------------------------------------------------------------- the seed bundle, built and checked
def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_the_seed_article_builds_byte_identically_and_checks_clean_until_a_quoted_number_changes(
        seed_dirs, articles_dir, cli):
    raw, processed, reports = seed_dirs
    (articles_dir / SEED).mkdir()
    shutil.copy(SEED_FILE, articles_dir / SEED / "article.yaml")
    code, out, err = cli("article", "build", SEED)
    assert code == 0 and f"built {articles_dir / SEED / 'out' / 'index.html'}" in out, err
    bundle = articles_dir / SEED / "out"
    first = tree(bundle)
    manifest = json.loads(first["manifest.json"])
    assert manifest["files"] == {name: hashlib.sha256(data).hexdigest() for name, data in first.items()
                                 if name != "manifest.json"}
    assert set(manifest["reports"]) == {"briefing", "station-strike", "bakhmut", "lyman", "avdiivka", "maryinka",
                                        "shakhtarsk"}
    assert manifest["reports"]["briefing"]["parameters"] == {"date": "2023-03-14", "window_days": 7,
                                                             "oblast": "Donetsk"}
    assert all(len(r["run_id"]) == 16 and r["status"] == "succeeded" for r in manifest["reports"].values())
    quoted = {(n["report"], n["name"]): n["value"] for n in json.loads(first["numbers.json"])["numbers"]}
    assert quoted == {
        ("briefing", "news:rferl-20230314-kramatorsk-apartment-strike:civilians_killed"): 1,
        ("briefing", KRAMATORSK_INJURED): 3,
        ("briefing", "claim:attacks_repelled:2023-03-14:claims_rferl_2023-03-14.csv:2"): 102,
        ("station-strike", "news:rferl-20220408-kramatorsk-railway-station-strike:civilians_killed"): 58,
        **{(place, "attacks"): 1 for place in ("bakhmut", "lyman", "avdiivka", "maryinka", "shakhtarsk")}}
    page = first["index.html"].decode()
    assert "1 civilian was killed and 3 civilians were injured" in page and "<dd>3 people</dd>" in page
    assert "reported 102 attacks repelled on 14 March 2023" in page and "<dd>102 attacks repelled</dd>" in page
    assert "On 8 April 2022 in Kramatorsk (Donetsk), 58 civilians were killed" in page
    for place in ("Bakhmut", "Lyman", "Avdiyivka", "Maryinka", "Shakhtarsk"):
        assert f"1 attack event was recorded in {place}." in page
    assert "Ukrainian Commanders Favor Defending Bakhmut" in page, page[:3000]
    alt = first["figures/briefing/attacks-per-day.alt.txt"].decode().strip()
    assert alt.startswith("Bar chart of attacks per day from 8 to 14 March 2023.") and f'alt="{alt}"' in page
    assert "In all, 6 attacks. Source: news reports (hand-coded)." in alt  # Kramatorsk and the five places
    assert {"figures/briefing/attacks-per-day.png", "figures/briefing/attacks-per-day.svg",
            "figures/briefing/attacks-per-day.csv", "reports/briefing/run.json"} <= set(first)
    assert "started_at" not in first["reports/briefing/run.json"].decode()

    code, out, err = cli("article", "build", SEED)  # a rerun on unchanged inputs: the same bytes
    assert code == 0 and tree(bundle) == first, err
    assert bundle.is_symlink() and len(list((articles_dir / SEED / ".builds").iterdir())) == 1

    code, out, err = cli("article", "check", SEED)
    assert code == 0 and "9 quoted numbers: 0 changed" in out, (out, err)

    news = raw / "news_rferl_2023-03-14.csv"
    text = news.read_text(encoding="utf-8")
    assert ",missile,1,3,1,3,6," in text
    news.write_text(text.replace(",missile,1,3,1,3,6,", ",missile,1,4,1,4,6,", 1), encoding="utf-8")
    assert cli("build", "-q")[0] == 0
    code, out, err = cli("article", "check", SEED)
    assert code == 1 and f"CHANGED  briefing: {KRAMATORSK_INJURED}: 3 -> 4 (+1)" in out, (out, err)
    assert "9 quoted numbers: 1 changed" in out and tree(bundle) == first  # the published bundle is unchanged


# ---------------------------------------------------------------- building, with the reports stood in
HOSTILE = '<img src=x onerror=alert(1)>'


def fake_reports(root: Path, monkeypatch) -> Path:
    """A report folder as a run leaves it, and articles.run_reports returning it without running anything."""
    folder = root / "reports" / "01-daily-briefing" / "x"
    (folder / "figures").mkdir(parents=True)
    numbers = {"numbers": [{"name": "attacks_on_date", "value": 16, "unit": "events", "sentence": "16 attacks.",
                            "definition": "Attack events.", "source": "Source: ACLED."},
                           {"name": HOSTILE, "value": 2, "sentence": HOSTILE, "definition": HOSTILE, "source": None}]}
    (folder / "numbers.json").write_text(json.dumps(numbers), encoding="utf-8")
    (folder / "run.json").write_text(json.dumps({"notebook": "01-daily-briefing", "parameters": {"date": "2023-03-14"},
                                                 "status": "succeeded", "started_at": "2026-01-01T00:00:00+00:00",
                                                 "duration_s": 1.5, "outputs": ["run.json"]}), encoding="utf-8")
    for suffix, data in ((".png", PNG), (".svg", b"<svg/>"), (".csv", b"day,attacks\n"), (".alt.txt", b"A map.\n")):
        (folder / "figures" / f"map{suffix}").write_bytes(data)
    monkeypatch.setattr(articles, "run_reports", lambda article, **options: {"briefing": folder})
    return folder


def test_a_build_switches_once_and_a_failed_build_leaves_the_last_one(articles_dir, monkeypatch):
    folder = fake_reports(articles_dir.parent, monkeypatch)
    path = write_article(articles_dir, MINIMAL + f"  - {{report: briefing, number: '{HOSTILE}', label: '{HOSTILE}'}}\n"
                         "figures:\n  - {report: briefing, figure: map}\n")
    out = articles.build("a")
    first = tree(out)
    assert out.is_symlink() and sorted(first) == [
        "figures/briefing/map.alt.txt", "figures/briefing/map.csv", "figures/briefing/map.png",
        "figures/briefing/map.svg", "index.html", "manifest.json", "numbers.json", "reports/briefing/numbers.json",
        "reports/briefing/run.json"]
    run = json.loads(first["reports/briefing/run.json"])
    assert not {"started_at", "duration_s", "outputs"} & set(run) and len(run["run_id"]) == 16
    page = first["index.html"].decode()
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page and "<dd>16 events</dd>" in page
    (folder / "run.json").write_text((folder / "run.json").read_text().replace("1.5", "9.0"), encoding="utf-8")
    assert tree(articles.build("a")) == first  # another run's time changes nothing

    path.write_text(path.read_text().replace("number: attacks_on_date", "number: gone"), encoding="utf-8")
    with pytest.raises(articles.ArticleError, match=r"numbers\[0\]\.number: 'gone' is not a number"):
        articles.build("a")
    path.write_text(path.read_text().replace("number: gone", "number: attacks_on_date"), encoding="utf-8")
    real = articles.storage.write_json

    def full_disk(target, obj):
        if Path(target).name == "manifest.json":
            raise OSError(28, "No space left on device")
        real(target, obj)

    monkeypatch.setattr(articles.storage, "write_json", full_disk)
    with pytest.raises(articles.OutputError, match="cannot write the article's bundle: No space left on device"):
        articles.build("a")
    assert tree(out) == first and [p.name for p in (articles_dir / "a" / ".builds").iterdir()] == [
        out.resolve().name]  # no partial folder left
