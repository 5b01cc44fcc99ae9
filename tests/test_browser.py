"""Reports opened in a real browser (headless Chromium): links work, hostile data stays inert."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from workbench import report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (.ci/run installs the Debian package)")

# Each payload would mark the page if it ran.
PAYLOADS = [
    "<script>document.documentElement.setAttribute('data-pwned', 'script')</script>",
    "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned', 'img')\">",
    "<svg onload=\"document.documentElement.setAttribute('data-pwned', 'svg')\"></svg>",
]


def dom(path, tmp_path) -> str:
    """The page's DOM after scripts had the time to run."""
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'chromium-profile'}", "--virtual-time-budget=3000",
         "--dump-dom", path.resolve().as_uri()],
        capture_output=True, text=True, timeout=120, check=True)
    return proc.stdout


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    rows = "\n".join(f'C{i},"{p.replace(chr(34), chr(34) * 2)}"' for i, p in enumerate(PAYLOADS))
    (data / "customers.csv").write_text(f"customer_id,name\n{rows}\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("reports")
    return report.run([report.resolve_notebooks(["hostile_names"], notebooks_dir="tests/notebooks")[0],
                       report.resolve_notebooks(["00_data_quality"], notebooks_dir="notebooks")[0]],
                      out_dir=out, parameters={"data": str(data)}, workers=2, progress=False)


def test_index_opens_and_links_each_report(hostile_run, tmp_path):
    page = dom(hostile_run.index, tmp_path)
    assert 'href="00_data_quality.html"' in page
    assert 'href="hostile_names.html"' in page
    assert hostile_run.ok, [r.error for r in hostile_run.reports]


def test_hostile_customer_names_do_not_run_in_the_browser(hostile_run, tmp_path):
    result = next(r for r in hostile_run.reports if r.name == "hostile_names")
    page = dom(result.html, tmp_path)
    assert "data-pwned" not in page.split("<body", 1)[0]  # the root element was never marked
    assert 'data-pwned="' not in page
    # the names are there, shown as text
    assert "&lt;script&gt;document.documentElement.setAttribute" in page
    assert "&lt;img src=x onerror=" in page
