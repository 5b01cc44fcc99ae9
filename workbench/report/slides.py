"""Slide decks from notebooks: reveal.js, inlined, so that a deck opens offline from one file.

Slide breaks come from the cells' ``slideshow.slide_type`` metadata when a cell has it (as
Jupyter's slide editor writes it: ``slide``, ``subslide``, ``fragment``, ``skip``, ``notes``),
else from the headings: a markdown cell starting with ``#`` or ``##`` opens a slide, with
``###`` a sub-slide (below the slide, reached with the down arrow). The parameters cell,
explorers (tagged ``widget``) and, unless asked for, exercise solutions (tagged ``solution``)
are left out; code is hidden unless asked for, as in the reports. Outputs are sanitised as in
the reports (:func:`workbench.report.render.clean_html`).

The vendored reveal.js (``workbench/report/reveal/``, MIT) is inlined; the theme's web-font
``@import`` is dropped, so nothing is fetched when the deck opens.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from workbench.report.execute import SOLUTION_TAG, WIDGET_TAG
from workbench.report.render import clean_html

__all__ = ["Slide", "slide_types", "slides", "render_deck"]

_HEADING = re.compile(r"^\s*(#{1,3})\s")
_IMPORT = re.compile(r"@import\s+url\([^)]*\)\s*;")
_ANCHOR = re.compile(r"<a[^>]*class=\"anchor-link\"[^>]*>.*?</a>", re.DOTALL)


@dataclass
class Slide:
    """One slide: its HTML fragments (each cell gives one) and its sub-slides."""

    parts: list[str] = field(default_factory=list)
    subslides: list[list[str]] = field(default_factory=list)


def _tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def slide_types(nb: Any, *, solutions: bool = False) -> list[str]:
    """The slide type of every cell: the cell's ``slideshow`` metadata, else from its heading.

    ``slide``, ``subslide``, ``fragment``, ``-`` (continues the current slide), ``skip`` or
    ``notes`` (speaker notes: left out of the deck).
    """
    out = []
    for cell in nb["cells"]:
        tags = _tags(cell)
        given = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
        if "parameters" in tags or WIDGET_TAG in tags or (SOLUTION_TAG in tags and not solutions):
            out.append("skip")
        elif given:
            out.append(given)
        elif cell["cell_type"] == "markdown" and (m := _HEADING.match("".join(cell["source"]))):
            out.append("subslide" if len(m.group(1)) == 3 else "slide")
        else:
            out.append("-")
    return out


def _markdown(text: str) -> str:
    from nbconvert.filters import markdown2html

    return clean_html(_ANCHOR.sub("", markdown2html(text)))  # no heading's "¶" link


def _output_html(output: Any) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        return "" if output.get("name") == "stderr" else f"<pre>{html.escape(''.join(output['text']))}</pre>"
    if kind == "error":
        return f"<pre class=\"error\">{html.escape(output.get('ename', ''))}: {html.escape(output.get('evalue', ''))}</pre>"
    data = output.get("data", {})
    if "image/png" in data:
        return f"<img alt=\"figure\" src=\"data:image/png;base64,{''.join(data['image/png']).strip()}\">"
    if "text/html" in data:
        return clean_html("".join(data["text/html"]))
    if "text/markdown" in data:
        return _markdown("".join(data["text/markdown"]))
    if "text/plain" in data:
        return f"<pre>{html.escape(''.join(data['text/plain']))}</pre>"
    return ""


def _cell_html(cell: Any, *, show_code: bool) -> str:
    if cell["cell_type"] == "markdown":
        return _markdown("".join(cell["source"]))
    if cell["cell_type"] != "code":
        return ""
    parts = []
    if show_code and "".join(cell["source"]).strip():
        parts.append(f"<pre class=\"code\"><code>{html.escape(''.join(cell['source']))}</code></pre>")
    parts += [h for h in (_output_html(o) for o in cell.get("outputs", [])) if h]
    return "\n".join(parts)


def slides(nb: Any, *, show_code: bool = False, solutions: bool = False) -> list[Slide]:
    """The deck's slides, in order; empty cells and skipped cells give nothing."""
    deck: list[Slide] = []
    for cell, kind in zip(nb["cells"], slide_types(nb, solutions=solutions), strict=True):
        if kind in ("skip", "notes"):
            continue
        body = _cell_html(cell, show_code=show_code)
        if kind == "slide" or not deck:
            deck.append(Slide())
        slide = deck[-1]
        if kind == "subslide":
            slide.subslides.append([])
        if not body:
            continue
        if kind == "fragment":
            body = f"<div class=\"fragment\">{body}</div>"
        (slide.subslides[-1] if slide.subslides else slide.parts).append(body)
    return [s for s in deck if s.parts or any(s.subslides)]


def _vendored(name: str) -> str:
    return resources.files("workbench.report").joinpath("reveal", name).read_text(encoding="utf-8")


_STYLE = """
.reveal .slides section { height: 100%; overflow-y: auto; text-align: left; }
.reveal .slides section h1, .reveal .slides section h2 { text-align: left; }
.reveal { font-size: 28px; }
.reveal h1 { font-size: 1.8em; } .reveal h2 { font-size: 1.4em; } .reveal h3 { font-size: 1.15em; }
.reveal table { font-size: 0.55em; margin: 0.4em 0; }
.reveal pre { font-size: 0.5em; box-shadow: none; width: 100%; }
.reveal img { max-height: 70vh; }
.reveal pre.error { color: #a00; }
"""


def render_deck(nb: Any, *, title: str, show_code: bool = False, solutions: bool = False) -> str:
    """A reveal.js deck of `nb` as one self-contained HTML page (scripts and styles inline).

    Raises
    ------
    ValueError
        When the notebook gives no slide (no cell with content).
    """
    deck = slides(nb, show_code=show_code, solutions=solutions)
    if not deck:
        raise ValueError(f"{title}: the notebook gives no slide (no markdown, no output)")
    sections = []
    for s in deck:
        main = "<section>" + "\n".join(s.parts) + "</section>" if s.parts else ""
        subs = "".join("<section>" + "\n".join(p) + "</section>" for p in s.subslides if p)
        sections.append(f"<section>{main}{subs}</section>" if subs else main)
    theme = _IMPORT.sub("", _vendored("white.css"))
    script = _vendored("reveal.js").replace("</script", "<\\/script")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title>\n"
        f"<style>{_vendored('reveal.css')}</style>\n<style>{theme}</style>\n<style>{_STYLE}</style>\n"
        "</head><body><div class=\"reveal\"><div class=\"slides\">\n"
        + "\n".join(sections)
        + f"\n</div></div>\n<script>{script}</script>\n"
        "<script>Reveal.initialize({hash: true, width: 1280, height: 800, margin: 0.04});</script>\n"
        "</body></html>\n"
    )
