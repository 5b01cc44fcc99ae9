"""`workbench slides`: slide breaks from headings, a deck that opens offline in Chromium."""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest

from workbench.cli import main
from workbench.report.slides import render_deck, slide_types, slides

CHROMIUM = "/usr/bin/chromium"


def _lesson() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb.cells = [
        md("# 99 · Lesson: a question?\n\n*The question.*"),
        code('n: int = 2  # a count\noutput_dir: str = "."  # exports', metadata={"tags": ["parameters"]}),
        code("import pandas as pd"),
        md("## 1 · First idea\n\nNarrative."),
        code("pd.DataFrame({'customers': [n, 3 * n]})"),
        md("### A detail\n\nBelow the first slide."),
        md("## 2 · Second idea"),
        code("n * 21", metadata={"tags": ["solution"]}),
        code("wb.widgets.something()", metadata={"tags": ["widget"]}),
        md("Speaker notes", metadata={"slideshow": {"slide_type": "notes"}}),
        md("A slide of its own, by metadata", metadata={"slideshow": {"slide_type": "slide"}}),
    ]
    nb.cells[4].outputs = [nbformat.v4.new_output(
        "execute_result", data={"text/html": "<table><tr><td>2</td></tr></table>", "text/plain": "2"},
        execution_count=1)]
    nb.cells[7].outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "42"},
                                                  execution_count=2)]
    return nb


def test_slide_breaks_from_headings_and_metadata():
    nb = _lesson()
    assert slide_types(nb) == ["slide", "skip", "-", "slide", "-", "subslide", "slide", "skip", "skip",
                               "notes", "slide"]
    deck = slides(nb)
    assert len(deck) == 4  # title, first idea (with a sub-slide), second idea, the metadata slide
    assert len(deck[1].subslides) == 1 and "<table>" in deck[1].parts[-1]
    assert not any("42" in p for s in deck for p in s.parts)  # the solution is left out
    assert any("42" in p for p in slides(nb, solutions=True)[2].parts)


def test_code_hidden_unless_asked():
    nb = _lesson()
    assert "import pandas" not in render_deck(nb, title="t")
    assert "import pandas" in render_deck(nb, title="t", show_code=True)


def test_deck_loads_nothing_from_the_network():
    page = render_deck(_lesson(), title="t")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page
    assert "Reveal.initialize" in page
    assert "¶" not in page  # headings without their anchor links


def test_an_empty_notebook_gives_no_deck():
    with pytest.raises(ValueError, match="no slide"):
        render_deck(nbformat.v4.new_notebook(), title="empty")


def test_cli_writes_a_deck_of_a_project_notebook_without_running_it(tmp_path):
    out = tmp_path / "deck.html"
    assert main(["slides", "02_rfm_scoring", "--no-run", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "Worked example" in page and "Exercises" in page
    assert main(["slides", "no_such_notebook", "--no-run", "--out", str(out)]) == 2


def test_cli_runs_the_notebook_first(tmp_path):
    folder = tmp_path / "nbs"
    folder.mkdir()
    nb = _lesson()
    nb.cells = [c for c in nb.cells if "widget" not in c.metadata.get("tags", [])]
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs = []
    nbformat.write(nb, folder / "lesson.ipynb")
    out = tmp_path / "deck.html"
    assert main(["slides", "lesson", "--notebooks-dir", str(folder), "--out", str(out),
                 "-p", "n", "5", "--solutions"]) == 0
    page = out.read_text(encoding="utf-8")
    assert "<td>15</td>" in page and "105" in page  # the table for n=5 and the solution 5 x 21


@pytest.mark.browser
@pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK), reason=f"{CHROMIUM} not installed")
def test_deck_opens_offline_in_chromium(tmp_path):
    playwright = pytest.importorskip("playwright.sync_api", reason="Playwright not installed")
    deck = tmp_path / "deck.html"
    assert main(["slides", "02_rfm_scoring", "--no-run", "--out", str(deck)]) == 0
    requested = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page()
            errors = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            def block(route):
                if not route.request.url.startswith(("file:", "data:")):
                    requested.append(route.request.url)
                    return route.abort()
                return route.continue_()

            page.route("**/*", block)
            page.goto(Path(deck).as_uri())
            page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=15_000)
            total = page.evaluate("() => Reveal.getTotalSlides()")
            titles = page.evaluate("() => Array.from(document.querySelectorAll('.slides section h2'))"
                                   ".map(h => h.textContent)")
            page.keyboard.press("ArrowRight")
            page.wait_for_function("() => Reveal.getIndices().h === 1", timeout=5_000)
        finally:
            browser.close()
    assert requested == [] and errors == []
    assert total >= 10
    assert any("Worked example" in t for t in titles) or any("scoring grid" in t for t in titles)
    assert any("Exercises" in t for t in titles)
