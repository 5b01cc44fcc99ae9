"""Every notebook runs headless through the runner on the demo company, as `make reports` does."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from workbench import report

pytestmark = pytest.mark.notebook

NOTEBOOKS = sorted(p.stem for p in report.resolve_notebooks(None, notebooks_dir="notebooks"))


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    # with the exercises' solutions, so that they run (and fail the test when they break)
    return report.run(report.resolve_notebooks(None, notebooks_dir="notebooks"), out_dir=out,
                      workers=2, progress=False, solutions=True)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_on_demo_data_and_renders(demo_run, name):
    result = next(r for r in demo_run.reports if r.name == name)
    assert result.status == "ok", f"{name} failed: {result.error}"
    html = result.html.read_text(encoding="utf-8")
    assert "data:image/png;base64" in html, f"{name}: no plot in the report"
    summary = json.loads(result.html.with_name(f"{name}.summary.json").read_text())
    assert summary["status"] == "ok" and summary["figures"], f"{name}: published no key figure"
    manifest = json.loads(result.html.with_name(f"{name}.manifest.json").read_text())
    assert manifest["parameters"]["data"] == "demo"


def test_index_links_every_report(demo_run):
    index = demo_run.index.read_text(encoding="utf-8")
    for name in NOTEBOOKS:
        assert f'href="{name}.html"' in index
    assert demo_run.ok


def test_data_quality_report_on_demo_reconciles(demo_run):
    result = next(r for r in demo_run.reports if r.name == "00_data_quality")
    figures = result.figures
    assert figures["balanced"] is True
    # the demo company plants two bad rows of each kind (demo.REJECT_KINDS) for this lesson
    assert figures["rows_rejected"] == 14
    assert figures["rows_read"] == figures["rows_accepted"] + 14
    assert figures["rows_accepted"] > 50_000


def test_data_quality_report_on_a_french_export_through_a_mapping(tmp_path):
    result = report.run(
        report.resolve_notebooks(["00_data_quality"], notebooks_dir="notebooks"), out_dir=tmp_path,
        parameters={"data": "data/examples/fr_export", "mapping": "data/examples/fr_export/mapping.yml"},
        workers=1, progress=False)
    assert result.ok, result.reports[0].error
    figures = result.reports[0].figures
    assert (figures["rows_read"], figures["rows_accepted"], figures["rows_rejected"]) == (13, 13, 0)
    html = result.reports[0].html.read_text(encoding="utf-8")
    assert "clients.csv" in html and "ventes.csv" in html  # the reconciliation names each file


def test_a_batch_over_two_sales_reps_gives_two_dashboards(tmp_path, root):
    schedule = tmp_path / "per_rep.yml"
    schedule.write_text(
        f"notebooks: [04_campaign_roi]\nnotebooks_dir: {root / 'notebooks'}\n"
        "parameters: {data: demo, uplift_features: ''}\n"
        "grid:\n  sales_rep: [Alice Martin, Chloé Durand]\nworkers: 2\n", encoding="utf-8")
    result = report.run_schedule(schedule, out_dir=tmp_path / "out", progress=False)
    assert result.ok, [r.error for r in result.reports]
    assert len(result.reports) == 2 and len({r.html for r in result.reports}) == 2
    figures = {r.figures["sales_rep"]: r.figures for r in result.reports}
    assert set(figures) == {"Alice Martin", "Chloé Durand"}
    # each dashboard covers its own rep's customers only
    assert figures["Alice Martin"]["contacts_made"] != figures["Chloé Durand"]["contacts_made"]
    index = result.index.read_text(encoding="utf-8")
    assert all(f'href="{r.html.name}"' in index for r in result.reports)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (.ci/run installs the Debian package)")
def test_every_report_opens_offline_with_every_table_and_figure(demo_run, tmp_path):
    """Network blocked (every host unresolvable, every proxy refused): the page still shows all."""
    pages = [r.html for r in demo_run.reports] + [demo_run.index]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        remote = re.findall(r"<(?:script|link|img|iframe)\b[^>]*(?:src|href)=[\"']?(?:https?:)?//[^>]*>", text)
        assert remote == [], f"{page.name} loads from the network: {remote[:3]}"
        proc = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
             "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={tmp_path / 'profile'}",
             "--virtual-time-budget=3000", "--dump-dom", page.resolve().as_uri()],
            capture_output=True, text=True, timeout=120, check=True)
        dom = proc.stdout
        for tag in ("<table", "<img"):
            assert dom.count(tag) == text.count(tag), f"{page.name}: {tag} {dom.count(tag)} shown of {text.count(tag)}"
        if page != demo_run.index:
            assert dom.count('src="data:image/png;base64') >= 1, f"{page.name}: no figure shown"
            assert dom.count("<table") >= 1, f"{page.name}: no table shown"


# ------------------------------------------------ reports a manager reads (issue 15), on the demo

_IMAGES = re.compile(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+")


def _page(path) -> str:
    return _IMAGES.sub("", path.read_text(encoding="utf-8"))  # base64 may hold any short string


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_demo_report_says_what_it_found_first_and_shows_tables_for_people(demo_run, name):
    from pathlib import Path

    result = next(r for r in demo_run.reports if r.name == name)
    assert 3 <= len(result.findings) <= 6, result.findings
    assert 2 <= len(result.headlines) <= 3, result.headlines
    page = _page(result.html)
    said, status = page.index("What this report says"), page.index("Status: ok")
    first_section = page.index('<h2 id="1-')
    assert said < status < page.index("Contents:") < first_section < page.index(
        '<h2 id="How-this-report-was-made"')
    for root in ("/work/", "/tmp/", "/home/", str(Path.home()) + "/", str(demo_run.out_dir)):
        assert root not in page, f"{name} shows the machine path {root}"
    assert "&lt;NA&gt;" not in page and ">NaN<" not in page and ">nan<" not in page
    assert not re.search(r"<tbody>\s*<tr>\s*<th>0</th>", page), f"{name}: a bare row index"
    tables = re.findall(r'<table[^>]*class="dataframe[^"]*"', page)
    assert all("crm-table" in t for t in tables), f"{name}: a table not shown through wb.display"


def test_no_file_of_the_demo_run_shows_a_folder_of_the_machine(demo_run):
    """Reports, executed notebooks, summaries, manifests, run.json and the index (issue 15)."""
    import sys
    import tempfile
    from pathlib import Path

    folders = {"/work/", "/home/", str(Path.home()) + "/", str(demo_run.out_dir),
               str(Path(tempfile.gettempdir()).resolve()) + "/", sys.prefix, str(Path.cwd())}
    files = [p for p in demo_run.out_dir.iterdir() if p.suffix in (".html", ".json", ".ipynb")]
    assert len(files) == 4 * len(NOTEBOOKS) + 2
    for path in files:
        text = _page(path)
        for folder in folders:
            assert folder not in text, f"{path.name} shows the machine path {folder}"
    manifest = json.loads((demo_run.out_dir / "02_rfm_scoring.manifest.json").read_text())
    assert manifest["notebook"] == "notebooks/02_rfm_scoring.ipynb"
    assert manifest["parameters"]["output_dir"] == "02_rfm_scoring"


def test_published_key_figures_are_written_for_people(demo_run):
    page = _page(next(r for r in demo_run.reports if r.name == "04_campaign_roi").html)
    assert "<td>Response rate</td>" in page and "<td>response_rate</td>" not in page
    assert not re.search(r"<td>0\.\d{3,}</td>", page)  # a rate written as 0.085
    for result in demo_run.reports:  # no mapping printed as Python writes it ({'purchasers': 3999, ...})
        assert not re.search(r"<pre>\{'", _page(result.html)), result.name


def test_demo_index_shows_every_reports_headlines(demo_run):
    from workbench.display import format_value

    index = _page(demo_run.index)
    for result in demo_run.reports:
        for label, item in result.headlines.items():
            assert label in index
            assert format_value(item["value"], kind=item["kind"]) in index, (result.name, label)
    assert "<details><summary>" in index


def test_rfm_findings_state_the_grades_of_the_exported_scores(demo_run):
    import pandas as pd

    result = next(r for r in demo_run.reports if r.name == "02_rfm_scoring")
    scores = pd.read_csv(result.html.with_suffix("") / "rfm_scores.csv")
    best = scores[scores["grade"] == "A"]
    share = 100 * best["monetary"].sum() / scores["monetary"].sum()
    assert result.findings[0] == (
        f"{len(best):,} of {len(scores):,} customers ({100 * len(best) / len(scores):.1f} %) are grade A "
        f"and make {share:.1f} % of net revenue (€{best['monetary'].sum():,.0f}).")
    assert (len(best), len(scores)) == (609, 4000)  # the demo company's grade A, as the issue reads it


def test_campaign_findings_name_every_measured_loss_of_the_run(demo_run):
    import pandas as pd

    result = next(r for r in demo_run.reports if r.name == "04_campaign_roi")
    effects = pd.read_csv(result.html.with_suffix("") / "campaign_incrementality.csv")
    measured = effects[(effects["basis"] == "incremental (vs control)") & effects["roi"].notna()]
    losing = measured[measured["roi"] < 0].sort_values("roi")
    assert len(losing) > 0  # the demo company plants campaigns that do not pay
    text = " ".join(result.findings)
    assert f"{len(losing)} campaign arms lost money" in text
    assert f"{losing['campaign_id'].iat[0]} ({losing['kind'].iat[0]}) lost €" in text
    best = measured.sort_values("roi").iloc[-1]
    assert f"Best: {best['campaign_id']} ({best['kind']}) returned" in text
    assert result.headlines["Arms losing money"]["value"] == len(losing)


@pytest.mark.parametrize(("name", "figure", "kind"), [
    ("00_data_quality", "rows_read", "count"), ("05_customer_health", "capital_broken", "count"),
    ("06_customer_journeys", "journeys", "count"), ("03_price_acceptability", "viable", "count"),
    ("01_persona_discovery", "personas", "count")])
def test_findings_carry_the_figures_the_report_publishes(demo_run, name, figure, kind):
    from workbench.display import format_value

    result = next(r for r in demo_run.reports if r.name == name)
    assert format_value(result.figures[figure], kind=kind) in " ".join(result.findings)


def test_health_and_journey_findings_state_the_figures_of_their_exports(demo_run):
    """The lifetime value and the most frequent path, as the run's own exports hold them."""
    import pandas as pd

    from workbench.display import format_value

    health = next(r for r in demo_run.reports if r.name == "05_customer_health")
    clv = pd.read_csv(health.html.with_suffix("") / "health_clv_scores.csv")
    assert health.findings[0].startswith(
        f"{len(clv):,} customers are worth {format_value(clv['clv'].sum(), kind='money')} over the next")
    journeys = next(r for r in demo_run.reports if r.name == "06_customer_journeys")
    top = pd.read_csv(journeys.html.with_suffix("") / "journeys_paths.csv").sort_values(
        "journeys", ascending=False).iloc[0]
    assert (f"The most frequent path is {top['path']}: {top['journeys']:,} journeys, "
            f"{format_value(top['conversion'], kind='fraction')} of them converted.") in journeys.findings
