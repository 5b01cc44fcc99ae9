"""Reports a manager reads: findings first, parameters last without machine paths, tables for
people, an index that is a dashboard (headlines, changes since the previous run, a sortable grid)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from workbench import report

pytestmark = pytest.mark.notebook

FIXTURES = Path(__file__).parent / "notebooks"
_IMAGES = re.compile(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+")


def _text(path: Path) -> str:
    """The page without figure data (whose base64 may hold any short string)."""
    return _IMAGES.sub("", path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("readers")
    plain = report.run(["readers"], notebooks_dir=FIXTURES, out_dir=base / "plain", progress=False)
    code = report.run(["readers"], notebooks_dir=FIXTURES, out_dir=base / "code", show_code=True,
                      progress=False)
    first = report.run(["readers"], notebooks_dir=FIXTURES, out_dir=base / "sched" / "2025-10-31",
                       grid={"rep": ["Alice", "Bruno"]}, parameters={"sales": 100.0},
                       progress=False)
    second = report.run(["readers"], notebooks_dir=FIXTURES, out_dir=base / "sched" / "2025-11-30",
                        grid={"rep": ["Alice", "Bruno"]}, parameters={"sales": 250.0},
                        progress=False)
    return {"plain": plain, "code": code, "first": first, "second": second}


def test_the_report_opens_with_what_it_says_then_status_then_contents(runs):
    result = runs["plain"].reports[0]
    assert result.status == "ok", result.error
    page = _text(result.html)
    order = [page.index(s) for s in ("Readers fixture", "What this report says", "Alice sold €1,752,772.",
                                     "Status: ok", "Contents:", "The method's introduction",
                                     '<h2 id="1-%C2%B7-Sales"',
                                     '<h2 id="2-%C2%B7-Findings"', '<h2 id="How-this-report-was-made"')]
    assert order == sorted(order)
    assert '<a href="#1-%C2%B7-Sales">1 · Sales</a>' in page  # the contents link nbconvert's ids
    assert page.count("Alice sold €1,752,772.") == 1  # shown under the title, not a second time
    summary = json.loads(result.html.with_suffix(".summary.json").read_text())
    assert summary["findings"][0] == "Alice sold €1,752,772."
    assert list(summary["headlines"]) == ["Sales", "Response"]


def test_no_path_of_the_machine_in_the_report_or_the_index(runs):
    run = runs["plain"]
    for path in (run.reports[0].html, run.index):
        page = _text(path)
        for root in (str(run.out_dir), str(run.out_dir.resolve()), str(Path.home()), "/tmp/", str(FIXTURES)):
            assert root not in page, f"{path.name} shows {root}"
    page = _text(run.reports[0].html)
    assert "exported to readers/frame.csv" in page  # relative to the run folder
    assert "<td><code>output_dir</code></td><td><code>readers</code></td><td>runner</td>" in page


def _machine_folders(run) -> set[str]:
    import sys
    import tempfile

    return {str(run.out_dir), str(run.out_dir.resolve()), str(Path.home()), str(FIXTURES),
            str(FIXTURES.resolve().parent.parent), sys.prefix, str(Path(tempfile.gettempdir()).resolve())}


@pytest.mark.parametrize("name", ["plain", "code", "second"])
def test_no_file_of_the_run_shows_a_folder_of_the_machine(runs, name):
    """Reports, executed notebooks, summaries, manifests, run.json, the index: every text file."""
    run = runs[name]
    files = [p for p in run.out_dir.rglob("*") if p.is_file() and p.suffix in
             (".html", ".json", ".ipynb", ".csv", ".md")]
    assert {p.suffix for p in files} >= {".html", ".json", ".ipynb"}
    for path in files:
        text = _text(path)
        for folder in _machine_folders(run):
            assert folder not in text, f"{path.relative_to(run.out_dir)} shows {folder}"
    manifest = json.loads((run.out_dir / f"{run.reports[0].name}.manifest.json").read_text())
    assert manifest["notebook"] == "notebooks/readers.ipynb"
    assert manifest["parameters"]["output_dir"] == run.reports[0].name
    listed = json.loads((run.out_dir / "run.json").read_text())
    assert listed["reports"][0]["parameters"]["output_dir"] == run.reports[0].name
    assert f"exported to {run.reports[0].name}/frame.csv" in _text(run.reports[0].html.with_suffix(".ipynb"))


def test_tables_are_written_for_people(runs):
    page = _text(runs["plain"].reports[0].html)
    assert "€1,752,772" in page and "9.1 %" in page and ">–<" in page
    assert "&lt;NA&gt;" not in page and ">NaN<" not in page
    assert not re.search(r"<tr>\s*<th>0</th>", page)  # no bare row number
    assert "First 25 of 40 rows; the full table is in the exports: tables/table_01.csv" in page
    assert (runs["plain"].out_dir / "readers" / "tables" / "table_01.csv").is_file()
    assert all("crm-table" in t for t in re.findall(r'<table[^>]*class="dataframe[^"]*"', page))


def test_show_code_keeps_the_findings_and_the_formatting(runs):
    page = _text(runs["code"].reports[0].html)
    assert "the-code-sentinel" in page and "What this report says" in page
    assert page.index("What this report says") < page.index("the-code-sentinel")
    assert "€1,752,772" in page
    assert "the-code-sentinel" not in _text(runs["plain"].reports[0].html)


def test_the_index_shows_headlines_with_the_change_since_the_previous_run(runs):
    index = runs["second"].index.read_text(encoding="utf-8")
    assert "Changes are since the previous run (2025-10-31)" in index
    assert index.count('<table class="sortable">') == 1  # the grid: one row per rep
    rows = re.findall(r"<tr><td>(Alice|Bruno)</td>.*?</tr>", index, re.S)
    assert rows == ["Alice", "Bruno"]
    assert '<th class="sortable">rep</th>' in index and ">output_dir</th>" not in index
    assert '<th class="sortable">Sales</th>' in index and '<th class="sortable">Response</th>' in index
    assert 'data-sort="250' in index and "€250" in index and "+€150 since 2025-10-31" in index
    assert "<details><summary>" in index and "<script>" in index and "src=" not in index
    first = runs["first"].index.read_text(encoding="utf-8")
    assert "since 2025-" not in first  # no earlier run: no change shown


def test_a_single_report_lists_its_headlines_in_the_index(runs):
    index = runs["plain"].index.read_text(encoding="utf-8")
    assert "Headline figures" in index and "€1,752,772" in index and "9.1 %" in index
    assert "Alice sold €1,752,772." in index  # the first finding beside them
