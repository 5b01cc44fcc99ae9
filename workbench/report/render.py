"""HTML side of the report runner: sanitised nbconvert rendering, the run header, the index page.

Private to :mod:`workbench.report`. Everything a report shows that comes from data goes through
:func:`clean_html` (outputs and markdown) or :func:`html.escape` (header, index), so a customer
named ``<script>alert(1)</script>`` is displayed as text, never run.

Why not nbconvert's own ``sanitize_html=True`` alone: its ``clean_html`` filter allows only
bleach's default tags plus div/pre/code/span/table/tr/td, so it escapes ``<th>``, ``<thead>``,
``<tbody>`` (a pandas table loses its header row, shown as literal tags) and ``<h1>``/``<p>``
from markdown cells. We keep ``sanitize_html=True`` (it also drops ``application/javascript``
outputs) and replace the filter by one with a wider, still script-free allowlist.
"""

from __future__ import annotations

import copy
import html
import logging
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import nbformat

__all__ = ["clean_html", "header_cell", "made_cell", "sections_of", "public_value",
           "without_machine_paths", "machine_roots", "public_files", "render_report",
           "failure_page", "index_page"]

_TAGS = frozenset(
    """a abbr acronym b blockquote br caption code col colgroup dd del details div dl dt em
    figcaption figure h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q s samp small span
    strong sub summary sup table tbody td tfoot th thead tr tt u ul var""".split()
)
_COMMON_ATTRIBUTES = ["class", "id", "title", "style", "align", "dir", "lang"]
_ATTRIBUTES = {
    "*": _COMMON_ATTRIBUTES,
    "a": [*_COMMON_ATTRIBUTES, "href"],
    "table": [*_COMMON_ATTRIBUTES, "border"],
    "td": [*_COMMON_ATTRIBUTES, "colspan", "rowspan", "valign"],
    "th": [*_COMMON_ATTRIBUTES, "colspan", "rowspan", "valign", "scope"],
    "col": [*_COMMON_ATTRIBUTES, "span"],
    "colgroup": [*_COMMON_ATTRIBUTES, "span"],
    "ol": [*_COMMON_ATTRIBUTES, "start", "type"],
}
_IMG_ATTRIBUTES = {*_COMMON_ATTRIBUTES, "alt", "width", "height"}
_RASTER_DATA_URI = re.compile(r"data:image/(png|jpeg|gif|webp);base64,", re.IGNORECASE)
_EXTRA_CSS = ["padding", "margin", "border", "border-left", "border-radius", "max-width"]
#: <style> elements are dropped with their content before bleach runs (bleach would otherwise
#: show the CSS as text); pandas' scoped table CSS is cosmetic, the lab theme styles tables.
_STYLE_ELEMENT = re.compile(r"<style\b[^>]*>.*?</style\s*>", re.IGNORECASE | re.DOTALL)
_WIDGET_MIMETYPES = (
    "application/vnd.jupyter.widget-view+json",
    "application/vnd.jupyter.widget-state+json",
)


def _allow_attribute(tag: str, name: str, value: str) -> bool:
    if tag == "img":
        # Raster data URIs only (figures, notebook attachments): a report loads nothing from the
        # network (no tracking image from a data value), and never SVG data URIs or javascript:.
        if name == "src":
            return bool(_RASTER_DATA_URI.match(value))
        return name in _IMG_ATTRIBUTES
    return name in _ATTRIBUTES.get(tag, _COMMON_ATTRIBUTES)


def clean_html(element: Any) -> str:
    """Sanitise an HTML fragment: keep tables, text styling and raster images, escape the rest.

    Parameters
    ----------
    element : str or bytes
        HTML from a ``text/html`` output, or a markdown cell already converted to HTML.

    Returns
    -------
    str
        The fragment with ``<script>``, event handlers (``onerror=``...), ``javascript:`` URLs,
        iframes, forms and ``<style>`` elements removed or escaped into visible text.
    """
    import bleach
    from bleach.css_sanitizer import ALLOWED_CSS_PROPERTIES, CSSSanitizer

    text = element.decode() if isinstance(element, bytes) else str(element)
    return bleach.clean(
        _STYLE_ELEMENT.sub("", text),
        tags=_TAGS,
        attributes=_allow_attribute,
        protocols={"http", "https", "mailto", "data"},
        strip=False,
        strip_comments=True,
        css_sanitizer=CSSSanitizer(allowed_css_properties=[*ALLOWED_CSS_PROPERTIES, *_EXTRA_CSS]),
    )


def _value_html(value: Any) -> str:
    # <code> keeps MathJax away from values holding '$'; newlines become <br> so a value can
    # never end the surrounding markdown HTML block.
    text = value if isinstance(value, str) else repr(value)
    return "<code>" + html.escape(text).replace("\n", "<br>") + "</code>"


def header_cell(
    *,
    title: str,
    status: str,
    error: str | None,
    warnings: Iterable[str] = (),
    findings: Iterable[str] = (),
    sections: Iterable[str] = (),
) -> Any:
    """Markdown cell opening a report: title, "What this report says", status, contents.

    `findings` are the sentences the notebook gave :func:`workbench.report.findings`; `sections`
    the ``##`` headings of its markdown cells (see :func:`sections_of`), linked as a short table
    of contents. Every value is escaped. The parameters go to :func:`made_cell`, at the end.
    """
    import nbformat

    warnings, findings, sections = list(warnings), list(findings), list(sections)
    if status == "ok":
        banner = '<p style="color: #1b5e20; font-weight: bold">Status: ok</p>'
    elif status == "warnings":
        items = "".join(f"<li>{html.escape(w)}</li>" for w in warnings)
        banner = (
            '<div style="background-color: #fff4e5; border-left: 0.4em solid #e65100; '
            'padding: 0.4em 0.8em"><p style="color: #e65100; font-weight: bold; '
            f'font-size: 1.2em">Status: warnings ({len(warnings)}): some results should not be '
            f"trusted as they stand</p><ul>{items}</ul></div>"
        )
    else:
        banner = (
            '<p style="color: #ffffff; background-color: #b00020; font-weight: bold; '
            f'font-size: 1.3em; padding: 0.4em">FAILED: {html.escape(error or "unknown error")}</p>'
        )
    said = (
        '<div class="crm-findings" style="font-size: 1.1em; border-left: 0.4em solid #1565c0; '
        'padding: 0.2em 0.8em; margin: 0.6em 0"><h3>What this report says</h3><ul>'
        + "".join(f"<li>{html.escape(f)}</li>" for f in findings) + "</ul></div>"
        if findings else "")
    toc = (
        '<p class="crm-toc"><strong>Contents:</strong> '
        + " · ".join(f'<a href="#{html.escape(quote(anchor), quote=True)}">{html.escape(text)}</a>'
                     for text, anchor in sections)
        + ' · <a href="#How-this-report-was-made">How this report was made</a></p>'
        if sections else "")
    source = (f'<div class="crm-report-header"><p style="color: #666">Report '
              f"<code>{html.escape(title)}</code></p>{said}{banner}{toc}</div>")
    return nbformat.v4.new_markdown_cell(source, metadata={"tags": ["crm-report-header"]})


def public_value(value: Any, *, run_dir: Path | None) -> Any:
    """A parameter as a report shows it: an absolute path relative to the run folder when it is
    inside, else by its file name only (a report never shows the machine's folders)."""
    if not isinstance(value, str) or not value.startswith(("/", "~")) and not re.match(
            r"^[A-Za-z]:[\\/]", value):
        return value
    path = Path(value)
    if run_dir is not None:
        try:
            return path.resolve().relative_to(Path(run_dir).resolve()).as_posix() or "."
        except ValueError:
            pass
    return path.name


def made_cell(
    *,
    parameters: Mapping[str, Any],
    given: Iterable[str],
    started: str,
    duration_s: float,
    run_dir: Path | None = None,
) -> Any:
    """Markdown cell closing a report: "How this report was made", its parameters (escaped, no
    machine path: see :func:`public_value`) and when it ran."""
    import nbformat

    given = set(given)
    rows = "".join(
        f"<tr><td>{_value_html(name)}</td><td>{_value_html(public_value(value, run_dir=run_dir))}"
        f"</td><td>{'runner' if name == 'output_dir' else 'given' if name in given else 'default'}"
        "</td></tr>"
        for name, value in parameters.items()
    )
    table = (
        "<table><thead><tr><th>Parameter</th><th>Value</th><th>Source</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        if rows
        else "<p>No parameters.</p>"
    )
    source = (
        '<div class="crm-report-made"><h2 id="How-this-report-was-made">How this report was made'
        f"</h2><p>Run {html.escape(started)}, {duration_s:.1f} s, with these parameters "
        "(paths relative to the run folder):</p>"
        f"{table}</div>"
    )
    return nbformat.v4.new_markdown_cell(source, metadata={"tags": ["crm-report-made"]})


_HEADING = re.compile(r"^##\s+(.+?)\s*#*\s*$", re.MULTILINE)


def sections_of(nb: Any) -> list[tuple[str, str]]:
    """``(text, anchor)`` of each ``##`` heading of the notebook's markdown cells, in order.

    The anchor is the id nbconvert gives the heading (its text, spaces as ``-``)."""
    found = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for match in _HEADING.finditer(cell.source):
                text = match.group(1).strip()
                plain = re.sub(r"[*_`]", "", text)
                found.append((plain, text.replace(" ", "-")))
    return found


def without_machine_paths(page: str, *, roots: Mapping[str, str]) -> str:
    """`page` with each absolute folder of `roots` replaced by what it maps to (longest first):
    the run folder by nothing (paths become relative), others by a short name. A folder is
    only replaced where it starts a path (never inside a figure's base64 data, whose only
    "=" are its padding at the end: a path after "=" is a path, as in ``python=/usr/...``)."""
    for root in sorted(roots, key=len, reverse=True):
        if len(root) < 2:
            continue
        for form in {root, html.escape(root)}:
            pattern = re.compile(r"(?<![A-Za-z0-9+/])" + re.escape(form) + r"(/|(?![\w.-]))")
            page = pattern.sub(lambda m, r=roots[root]: (r if m.group(1) else r.rstrip("/") or "."),
                               page)
    return page


def machine_roots(out_dir: Path, notebooks: Iterable[Path] = ()) -> dict[str, str]:
    """Folders of this machine no file of a run may show, and what replaces each: the run
    folder (paths become relative to it), each notebook's folder (``notebooks/``) and project
    (relative to it), the package's project, the Python environment, the home and the
    temporary folders."""
    import sys
    import tempfile

    out_dir = Path(out_dir)
    roots = {str(out_dir.resolve()): "", str(out_dir): "", str(out_dir.absolute()): ""}
    for notebook in notebooks:
        folder = Path(notebook).resolve().parent
        roots.setdefault(str(folder.parent), "")
        roots[str(folder)] = "notebooks/"
    roots.setdefault(str(Path(__file__).resolve().parents[2]), "")  # where workbench/ is installed
    roots.setdefault(sys.prefix, "(python)/")
    roots.setdefault(str(Path.home()), "~/")
    roots.setdefault(str(Path(tempfile.gettempdir()).resolve()), "(temporary folder)/")
    return {root: short for root, short in roots.items() if root not in ("/", ".", "")}


#: Text files of a run checked for machine paths before they are published (the HTML is
#: cleaned when it is rendered; figures and exports hold data, not paths).
_PUBLIC_SUFFIXES = (".json", ".ipynb")


def public_files(folder: Path, *, roots: Mapping[str, str]) -> None:
    """Rewrite the JSON records and the executed notebook in `folder` without machine paths
    (:func:`without_machine_paths`): the replacements hold no quote or backslash, so the JSON
    stays valid."""
    for path in Path(folder).iterdir():
        if path.is_file() and path.name.endswith(_PUBLIC_SUFFIXES):
            text = path.read_text(encoding="utf-8")
            public = without_machine_paths(text, roots=roots)
            if public != text:
                path.write_text(public, encoding="utf-8")


#: What a report shows in place of an interactive widget.
WIDGET_NOTE = ("*Interactive explorer: open this notebook in JupyterLab to use it. "
               "The tables and plots above show the values this run used.*")


def _drop_widgets(nb: Any) -> None:
    """Remove ipywidgets state and views: the widget manager would render them with live JS."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if "widget" in cell.get("metadata", {}).get("tags", []):  # skipped by the runner
            cell.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": WIDGET_NOTE})]
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if any(m in data for m in _WIDGET_MIMETYPES):
                # the text fallback ("VBox(children=...") means nothing to a reader: say what it is
                data.clear()
                data["text/markdown"] = WIDGET_NOTE
        cell.outputs = [o for o in cell.get("outputs", []) if "data" not in o or o["data"]]


def _drop_findings(nb: Any) -> None:
    """The findings are shown under the title: not a second time where the notebook made them."""
    from workbench.report.results import FINDINGS_MIMETYPE

    for cell in nb.cells:
        if cell.cell_type == "code" and cell.get("outputs"):
            cell.outputs = [o for o in cell.outputs if FINDINGS_MIMETYPE not in o.get("data", {})]


class _NoAltTextWarning(logging.Filter):
    """nbconvert warns that plots have no alt text on every report: true, known, not actionable."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Alternative text is missing" not in record.getMessage()


def _quiet_alt_text_warning() -> None:
    log = logging.getLogger("traitlets")
    if not any(isinstance(f, _NoAltTextWarning) for f in log.filters):
        log.addFilter(_NoAltTextWarning())


_OFFLINE_TEMPLATE = "workbench_offline.html.j2"


def _offline_loader():
    """nbconvert's ``lab`` page without what it loads from the network: require.js, MathJax,
    mermaid and the widget renderer come from CDNs (the page holds customer data, and must open
    offline); its CSS is already inline, its icons data URIs."""
    import jinja2

    blocks = ("html_head_js_requirejs", "jupyter_widgets", "html_head_js_mathjax",
              "html_head_js_mermaidjs")
    return jinja2.DictLoader({_OFFLINE_TEMPLATE: "{%- extends 'index.html.j2' -%}\n" + "\n".join(
        f"{{%- block {b} -%}}{{%- endblock {b} -%}}" for b in blocks)})


def _title_apart(cells: list) -> list:
    """The opening markdown cell cut after its title and the italic question under it: the
    method's introduction that follows comes after "What this report says", not before it."""
    if not cells or cells[0].cell_type != "markdown" or not cells[0].source.lstrip().startswith("# "):
        return cells
    paragraphs = cells[0].source.strip().split("\n\n")
    keep = 2 if len(paragraphs) > 1 and paragraphs[1].lstrip().startswith(("*", "_")) else 1
    if len(paragraphs) <= keep:
        return cells
    title, rest = copy.deepcopy(cells[0]), copy.deepcopy(cells[0])
    title.source = "\n\n".join(paragraphs[:keep])
    rest.source = "\n\n".join(paragraphs[keep:])
    if "id" in rest:  # nbformat 4.5 cell ids are unique
        rest["id"] = f"{rest['id']}-intro"
    return [title, rest]


def render_report(nb: Any, *, title: str, header: Any, show_code: bool,
                  footer: Any = None) -> str:
    """Render an executed notebook to sanitised, self-contained HTML (nbconvert's ``lab``
    template without its network scripts: nothing is fetched when the page opens).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook; copied, never modified.
    title : str
        Page title.
    header : nbformat.NotebookNode
        Cell from :func:`header_cell`, placed first.
    show_code : bool
        Show code cells' inputs and prompts (for trainers); hidden by default.
    footer : nbformat.NotebookNode, optional
        Cell from :func:`made_cell`, placed last.
    """
    from nbconvert import HTMLExporter

    nb = copy.deepcopy(nb)
    _drop_widgets(nb)
    _drop_findings(nb)
    nb.cells[:1] = _title_apart(nb.cells[:1])
    first = nb.cells[0] if nb.cells else None
    titled = first is not None and first.cell_type == "markdown" and first.source.lstrip().startswith("# ")
    nb.cells.insert(1 if titled else 0, header)  # under the notebook's title and question
    if footer is not None:
        nb.cells.append(footer)
    _quiet_alt_text_warning()
    exporter = HTMLExporter(
        template_name="lab",
        template_file=_OFFLINE_TEMPLATE,
        extra_loaders=[_offline_loader()],
        sanitize_html=True,
        filters={"clean_html": clean_html},
        exclude_input=not show_code,
        exclude_input_prompt=not show_code,
        exclude_output_prompt=not show_code,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }}
.ok {{ color: #1b5e20; font-weight: bold; }}
.failed {{ color: #fff; background: #b00020; font-weight: bold; }}
.warnings {{ color: #e65100; font-weight: bold; }}
.cancelled {{ color: #fff; background: #6b6b6b; font-weight: bold; }}
code {{ white-space: pre-wrap; }}
</style></head>
<body>
{body}
</body></html>
"""


def failure_page(*, title: str, message: str) -> str:
    """Stand-alone page for a report that could not be rendered at all."""
    body = (
        f"<h1>{html.escape(title)}</h1><p class='failed'>FAILED</p>"
        f"<pre>{html.escape(message)}</pre>"
    )
    return _PAGE.format(title=html.escape(title), body=body)


def index_page(reports: Iterable[Any], *, title: str, created: str, **options: Any) -> str:
    """The run's index: see :func:`workbench.report.index.index_page`."""
    from workbench.report.index import index_page as _index_page

    return _index_page(reports, title=title, created=created, **options)
