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
