"""Reports printed as PDF by headless Chromium: one page or more per section, linked from the index."""

from __future__ import annotations

import shutil

import nbformat
import pytest

from workbench import report

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None,
                                reason="Chromium not installed (.ci/run installs the Debian package)")


def _sections(folder):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('n: int = 3  # rows')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Three sections\n\n*Do sections start pages?*"), params]
    for name in ("Alpha", "Bravo", "Charlie"):
        nb.cells += [nbformat.v4.new_markdown_cell(f"## Section {name}\n\nText of {name}."),
                     nbformat.v4.new_code_cell(f'import pandas as pd\npd.DataFrame({{"{name}": range(n)}})')]
    path = folder / "sections.ipynb"
    nbformat.write(nb, path)
    return path


def test_each_section_starts_a_page_and_the_index_links_the_pdf(tmp_path):
    from pypdf import PdfReader

    result = report.run(_sections(tmp_path), out_dir=tmp_path / "out", pdf=True, progress=False)
    assert result.ok, result.reports[0].error
    pdf = result.reports[0].pdf
    assert pdf == tmp_path / "out" / "sections.pdf" and pdf.is_file()
    pages = [p.extract_text() for p in PdfReader(str(pdf)).pages]
    assert len(pages) >= 3
    # the first page names every section (contents); each section's text starts its own page
    assert all(f"Section {name}" in pages[0] for name in ("Alpha", "Bravo", "Charlie"))
    starts = [next(i for i, text in enumerate(pages) if f"Text of {name}" in text)
              for name in ("Alpha", "Bravo", "Charlie")]
    assert len(set(starts)) == 3 and starts == sorted(starts)  # one page each, in order
    made = next(i for i, text in enumerate(pages) if "How this report was made" in text and i > 0)
    assert made > starts[-1]  # the parameters come last, on a page of their own
    assert 'href="sections.pdf"' in result.index.read_text(encoding="utf-8")
    assert not list((tmp_path / "out").glob(".*.partial"))


def test_pdf_without_chromium_is_a_usage_error_before_anything_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("WORKBENCH_CHROMIUM", raising=False)
    with pytest.raises(report.RunConfigError, match="apt-get install chromium"):
        report.run(_sections(tmp_path), out_dir=tmp_path / "out", pdf=True, progress=False)
    assert not (tmp_path / "out").exists()
