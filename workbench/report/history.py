"""Runs of one schedule kept side by side: dated folders, a ``latest`` link, a schedule index.

With ``dated: true`` a schedule writes each run into ``<out>/<date>/`` (the run's resolved
``as_of``, or its date when the notebooks take none), so that rerunning a date replaces that
date's reports and older runs stay. After each run, ``<out>/latest`` points at the newest date
(a relative symbolic link, or a ``latest.html`` redirect where links cannot be made) and
``<out>/index.html`` / ``history.json`` list every run with its status.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
from pathlib import Path

from workbench.exports import atomic_path

log = logging.getLogger(__name__)

__all__ = ["dated_folder", "publish_history", "list_runs"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def dated_folder(base: Path, *, as_of: str | None, today: str) -> Path:
    """``base/<as_of>`` when the run has an ``as_of`` date, else ``base/<today>``."""
    day = as_of if as_of and _DATE.match(str(as_of)) else today
    return base / str(day)


def list_runs(base: Path) -> list[dict]:
    """One entry per dated run under `base`, newest first, from each folder's ``run.json``."""
    runs = []
    for folder in sorted((p for p in base.iterdir() if p.is_dir() and _DATE.match(p.name)),
                         reverse=True):
        record = folder / "run.json"
        if not record.is_file():
            continue
        try:
            data = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            log.warning("%s: unreadable run record (%s); left out of the history", record, exc)
            continue
        reports = data.get("reports", [])
        runs.append({
            "date": folder.name,
            "started": data.get("started"),
            "today": data.get("today"),
            "reports": len(reports),
            "failed": sum(r.get("status") == "failed" for r in reports),
            "not_ok": sum(r.get("status") != "ok" for r in reports),
            "index": f"{folder.name}/index.html",
        })
    return runs


def _link_latest(base: Path, newest: str) -> None:
    link = base / "latest"
    try:
        if link.is_symlink() or link.exists():
            link.unlink()
        os.symlink(newest, link, target_is_directory=True)
    except OSError as exc:  # no symbolic links here (some file systems): a redirect page instead
        log.info("%s: cannot link latest (%s); writing latest.html", base, exc)
    page = (f'<!DOCTYPE html><meta charset="utf-8"><meta http-equiv="refresh" '
            f'content="0; url={html.escape(newest)}/index.html"><title>Latest run</title>'
            f'<a href="{html.escape(newest)}/index.html">Latest run: {html.escape(newest)}</a>')
    with atomic_path(base / "latest.html") as tmp:  # whole or not at all
        tmp.write_text(page, encoding="utf-8")


def publish_history(base: Path, *, title: str) -> list[dict]:
    """Update ``latest``, ``index.html`` and ``history.json`` of a schedule's folder."""
    runs = list_runs(base)
    if not runs:
        return runs
    _link_latest(base, runs[0]["date"])
    with atomic_path(base / "history.json") as tmp:  # whole or not at all
        tmp.write_text(json.dumps(runs, indent=2), encoding="utf-8")
    rows = "\n".join(
        f'<tr><td><a href="{html.escape(r["index"])}">{html.escape(r["date"])}</a></td>'
        f'<td>{r["reports"]}</td><td class="{"failed" if r["failed"] else "ok"}">{r["failed"]}</td>'
        f'<td>{html.escape(str(r["started"] or ""))}</td></tr>'
        for r in runs
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border-bottom:1px solid #ddd;padding:.3em .8em;text-align:left}}
.failed{{color:#b00020;font-weight:bold}}.ok{{color:#1b5e20}}</style></head>
<body><h1>{html.escape(title)}</h1>
<p>Latest run: <a href="{html.escape(runs[0]["index"])}">{html.escape(runs[0]["date"])}</a>
({len(runs)} run(s) kept; each date's folder holds its reports).</p>
<table><thead><tr><th>Date (as of)</th><th>Reports</th><th>Failed</th><th>Started (UTC)</th></tr>
</thead><tbody>
{rows}
</tbody></table></body></html>
"""
    with atomic_path(base / "index.html") as tmp:  # whole or not at all
        tmp.write_text(page, encoding="utf-8")
    return runs
