"""The index of a run as a dashboard: per report its status, headline figures (with the change
since the previous run of the same schedule), warnings and links; parameters behind a
disclosure element. Reports of a grid (one per sales rep...) share one sortable table, one row
per report, so that a reader compares them without opening any.

Private to :mod:`workbench.report`. Every value is escaped; the page loads nothing (its small
sorting script is inline) and shows no folder of the machine (links are relative).
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from workbench.display import MISSING, format_value

log = logging.getLogger(__name__)

__all__ = ["index_page", "previous_run"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.35em 0.7em; text-align: left; vertical-align: top; }
th { background: #f3f5f8; }
td.num { text-align: right; white-space: nowrap; }
th.sortable { cursor: pointer; }
th.sortable::after { content: " \\2195"; color: #888; font-size: 0.8em; }
.ok { color: #1b5e20; font-weight: bold; }
.failed { color: #fff; background: #b00020; font-weight: bold; }
.warnings { color: #e65100; font-weight: bold; }
.cancelled { color: #fff; background: #6b6b6b; font-weight: bold; }
.up { color: #1b5e20; } .down { color: #b00020; } .change { font-size: 0.85em; display: block; }
.headline { display: inline-block; margin-right: 1.4em; }
.headline b { font-size: 1.15em; }
.label { color: #555; font-size: 0.85em; display: block; }
details summary { cursor: pointer; color: #1565c0; }
code { white-space: pre-wrap; }
.findings { color: #333; font-size: 0.9em; max-width: 50em; }
"""

#: Sorts a table by the clicked header (numbers by their data-sort value); no network, no library.
_SORT_SCRIPT = """<script>
document.querySelectorAll("table.sortable th.sortable").forEach(function (th) {
  th.addEventListener("click", function () {
    var table = th.closest("table"), body = table.tBodies[0], col = th.cellIndex;
    var dir = th.dataset.dir === "asc" ? -1 : 1; th.dataset.dir = dir === 1 ? "asc" : "desc";
    var key = function (row) { var c = row.cells[col]; var v = c.dataset.sort;
      return v === undefined ? c.textContent.trim().toLowerCase() : parseFloat(v); };
    Array.from(body.rows).sort(function (a, b) {
      var x = key(a), y = key(b);
      if (typeof x === "number" && isNaN(x)) return 1; if (typeof y === "number" && isNaN(y)) return -1;
      return (x > y ? 1 : x < y ? -1 : 0) * dir; }).forEach(function (r) { body.appendChild(r); });
  });
});
</script>"""


def previous_run(out_dir: Path) -> dict[str, Any] | None:
    """The run before this one in the same schedule folder (dated runs ``<base>/<date>/``):
    ``{"date", "headlines": {report: {label: {value, kind}}}}``, or None."""
    out_dir = Path(out_dir)
    if not _DATE.match(out_dir.name) or not out_dir.parent.is_dir():
        return None
    earlier = sorted((p for p in out_dir.parent.iterdir()
                      if p.is_dir() and _DATE.match(p.name) and p.name < out_dir.name
                      and (p / "run.json").is_file()), reverse=True)
    for folder in earlier:
        try:
            data = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            log.warning("%s: unreadable run record (%s); no comparison with it", folder, exc)
            continue
        return {"date": folder.name,
                "headlines": {r.get("name"): r.get("headlines") or {} for r in data.get("reports", [])}}
    return None


def _value_html(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return "<code>" + html.escape(text).replace("\n", "<br>") + "</code>"


def _formatted(value, kind: str, locale: str, currency: str) -> str:
    try:
        return format_value(value, kind=kind, locale=locale, currency=currency)
    except ValueError:  # an unknown locale in a report's parameters: the default writing
        return format_value(value, kind=kind, currency=currency)


def _change(value, before, kind: str, locale: str, currency: str, date: str) -> str:
    """``+12 since 2025-10-31`` (percentages in points), or nothing."""
    if not isinstance(value, int | float) or not isinstance(before, int | float):
        return ""
    delta = value - before
    if delta == 0:
        return f'<span class="change">= since {html.escape(date)}</span>'
    if kind in ("percent", "fraction"):
        points = delta * 100 if kind == "fraction" else delta
        text = _formatted(abs(points), "number", locale, currency) + " pts"
    else:
        text = _formatted(abs(delta), kind, locale, currency)
    sign, css = ("+", "up") if delta > 0 else ("−", "down")
    return f'<span class="change {css}">{sign}{html.escape(text)} since {html.escape(date)}</span>'


def _headline(report, label: str, previous) -> tuple[str, Any]:
    """The headline cell's HTML and its sort value."""
    item = (getattr(report, "headlines", None) or {}).get(label)
    if not item:
        return MISSING, None
    locale = str(report.parameters.get("locale", "en"))
    currency = str(report.parameters.get("currency", "€"))
    value, kind = item.get("value"), item.get("kind", "number")
    shown = html.escape(_formatted(value, kind, locale, currency))
    if previous:
        before = (previous["headlines"].get(report.name) or {}).get(label, {}).get("value")
        shown += _change(value, before, kind, locale, currency, previous["date"])
    return shown, value


def _links(r) -> str:
    if r.status == "cancelled":
        return html.escape(r.name)
    href = html.escape(quote(r.html.name), quote=True)
    pdf = getattr(r, "pdf", None)
    pdf_link = f' · <a href="{html.escape(quote(pdf.name), quote=True)}">PDF</a>' if pdf else ""
    return f'<a href="{href}">{html.escape(r.name)}</a>{pdf_link}'


def _notes(r) -> str:
    if r.error:
        return _value_html(r.error)
    return "<br>".join(html.escape(w) for w in getattr(r, "warnings", []) or [])


def _parameters(r, *, public) -> str:
    rows = "<br>".join(f"{html.escape(str(k))} = {_value_html(public(v))}"
                       for k, v in r.parameters.items())
    return f"<details><summary>{len(r.parameters)} parameters</summary>{rows}</details>"


def _single_rows(reports, previous, public) -> str:
    rows = []
    for r in reports:
        heads = "".join(
            f'<span class="headline"><span class="label">{html.escape(label)}</span>'
            f"<b>{_headline(r, label, previous)[0]}</b></span>"
            for label in (getattr(r, "headlines", None) or {}))
        said = getattr(r, "findings", None) or []
        first = f'<div class="findings">{html.escape(said[0])}</div>' if said else ""
        rows.append(
            f'<tr><td>{_links(r)}</td><td class="{html.escape(r.status)}">{html.escape(r.status)}</td>'
            f"<td>{heads or MISSING}{first}</td><td>{_notes(r)}</td>"
            f"<td>{_parameters(r, public=public)}<br><small>{r.duration_s:.1f} s</small></td></tr>")
    return ("<table><thead><tr><th>Report</th><th>Status</th><th>Headline figures</th>"
            "<th>Warnings or error</th><th>How it was made</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _grid_table(notebook: str, reports, previous, public) -> str:
    """One sortable row per report of a grid, the same headline columns for each."""
    varying = [k for k in reports[0].parameters  # output_dir differs by construction: not a grid key
               if k != "output_dir" and len({repr(r.parameters.get(k)) for r in reports}) > 1]
    labels = list(dict.fromkeys(label for r in reports for label in (getattr(r, "headlines", None) or {})))
    head = "".join(f'<th class="sortable">{html.escape(h)}</th>'
                   for h in [*varying, "Status", *labels, "Warnings"]) + "<th>Report</th><th>How it was made</th>"
    rows = []
    for r in reports:
        cells = [f"<td>{html.escape(str(r.parameters.get(k)))}</td>" for k in varying]
        cells.append(f'<td class="{html.escape(r.status)}">{html.escape(r.status)}</td>')
        for label in labels:
            shown, value = _headline(r, label, previous)
            sort = "" if not isinstance(value, int | float) else f' data-sort="{value}"'
            cells.append(f'<td class="num"{sort or " data-sort=NaN"}>{shown}</td>')
        n = len(getattr(r, "warnings", []) or [])
        cells.append(f'<td class="num" data-sort="{n}" title="{html.escape(_plain_notes(r), quote=True)}">'
                     f"{n if not r.error else 'failed'}</td>")
        cells.append(f"<td>{_links(r)}</td><td>{_parameters(r, public=public)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    by = ", ".join(varying) or "report"
    return (f"<h2>{html.escape(notebook)}: one report per {html.escape(by)}</h2>"
            "<p>Click a column to sort.</p>"
            f'<table class="sortable"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')


def _plain_notes(r) -> str:
    return r.error or " | ".join(getattr(r, "warnings", []) or [])


def index_page(reports: Iterable[Any], *, title: str, created: str,
               previous: Mapping[str, Any] | None = None, public=lambda v: v) -> str:
    """Index of a run (see the module); ``reports`` are :class:`workbench.report.ReportResult`.

    Parameters
    ----------
    previous : mapping, optional
        :func:`previous_run`: the headline figures of the previous run, to show the changes.
    public : callable
        How a parameter value is shown (paths without the machine's folders).
    """
    reports = list(reports)
    groups: dict[str, list] = {}
    for r in reports:
        groups.setdefault(r.notebook.stem if hasattr(r.notebook, "stem") else str(r.notebook), []).append(r)
    singles = [r for g in groups.values() if len(g) == 1 for r in g]
    grids = {k: g for k, g in groups.items() if len(g) > 1}
    failed = sum(r.status == "failed" for r in reports)
    warned = sum(r.status == "warnings" for r in reports)
    cancelled = sum(r.status == "cancelled" for r in reports)
    since = (f" Changes are since the previous run ({html.escape(previous['date'])})."
             if previous else "")
    body = (
        f"<h1>{html.escape(title)}</h1><p>{html.escape(created)}: {len(reports)} report(s), "
        f"{failed} failed, {warned} with warnings"
        f"{f', {cancelled} cancelled' if cancelled else ''}.{since}</p>"
        + "".join(_grid_table(k, g, previous, public) for k, g in grids.items())
        + (_single_rows(singles, previous, public) if singles else "")
        + (_SORT_SCRIPT if grids else "")
    )
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}'
            f"</title>\n<style>{_STYLE}</style></head>\n<body>\n{body}\n</body></html>\n")
