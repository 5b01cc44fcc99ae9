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

import html
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

import nbformat

__all__ = ["clean_html", "header_cell", "render_report", "failure_page", "index_page"]

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
    parameters: Mapping[str, Any],
    given: Iterable[str],
    started: str,
    duration_s: float,
    warnings: Iterable[str] = (),
) -> Any:
    """Markdown cell stating the run: status, error or warnings, parameters used (escaped), date."""
    import nbformat

    given = set(given)
    warnings = list(warnings)
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
    rows = "".join(
        f"<tr><td>{_value_html(name)}</td><td>{_value_html(value)}</td><td>"
        f"{'runner' if name == 'output_dir' else 'given' if name in given else 'default'}"
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
        f'<div class="crm-report-header"><h2>{html.escape(title)}</h2>{banner}'
        f"<p>Run {html.escape(started)}, {duration_s:.1f} s.</p>{table}</div>"
    )
    return nbformat.v4.new_markdown_cell(source, metadata={"tags": ["crm-report-header"]})


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


def render_report(nb: Any, *, title: str, header: Any, show_code: bool) -> str:
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
    """
    import copy

    from nbconvert import HTMLExporter

    nb = copy.deepcopy(nb)
    _drop_widgets(nb)
    nb.cells.insert(0, header)
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


def _warnings_html(report: Any) -> str:
    """A report's warnings for the index, one per line, escaped."""
    return "<br>".join(html.escape(w) for w in getattr(report, "warnings", []) or [])


def index_page(reports: Iterable[Any], *, title: str, created: str) -> str:
    """Index of a run: one row per report with link, status, duration, parameters and error.

    ``reports`` are :class:`workbench.report.ReportResult`; every value is escaped.
    """
    reports = list(reports)
    rows = []
    for r in reports:
        href = html.escape(quote(r.html.name), quote=True)
        params = "<br>".join(
            f"{html.escape(str(k))} = {_value_html(v)}" for k, v in r.parameters.items()
        )
        pdf = getattr(r, "pdf", None)
        pdf_link = (f' · <a href="{html.escape(quote(pdf.name), quote=True)}">PDF</a>'
                    if pdf else "")
        link = html.escape(r.name) if r.status == "cancelled" else \
            f'<a href="{href}">{html.escape(r.name)}</a>{pdf_link}'
        rows.append(
            f"<tr><td>{link}</td>"
            f'<td class="{html.escape(r.status)}">{html.escape(r.status)}</td>'
            f"<td>{r.duration_s:.1f} s</td><td>{html.escape(r.notebook.name)}</td>"
            f"<td>{params}</td><td>{_value_html(r.error) if r.error else _warnings_html(r)}</td></tr>"
        )
    failed = sum(r.status == "failed" for r in reports)
    warned = sum(r.status == "warnings" for r in reports)
    cancelled = sum(r.status == "cancelled" for r in reports)
    body = (
        f"<h1>{html.escape(title)}</h1><p>{html.escape(created)}: {len(rows)} report(s), "
        f"{failed} failed, {warned} with warnings"
        f"{f', {cancelled} cancelled' if cancelled else ''}.</p><table><thead><tr><th>Report</th>"
        "<th>Status</th><th>Duration</th>"
        "<th>Notebook</th><th>Parameters</th><th>Error or warnings</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    return _PAGE.format(title=html.escape(title), body=body)
