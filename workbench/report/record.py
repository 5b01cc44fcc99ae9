"""Recording a run: key figures, ``summary.json``, ``manifest.json``, ``run.json``, the index.

Private to :mod:`workbench.report`. Notebooks publish key figures as a display bundle
(:func:`summary_bundle`); the runner collects them from the executed notebook into the report's
summary, beside a manifest of what the run used (parameters, data fingerprint, seed, versions).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from workbench.notices import RESULT_WARNING_PREFIX
from workbench.report.plan import Job
from workbench.report.results import (
    FINDINGS_MIMETYPE,
    STATUSES,
    STOP_ERROR,
    SUMMARY_MIMETYPE,
    WARNINGS_MIMETYPE,
    ReportResult,
    RunResult,
)

_RESULT_WARNING = re.compile(r"\b" + re.escape(RESULT_WARNING_PREFIX) + r"(.+)")
#: A plain ``warnings.warn`` (UserWarning) raised by the workbench package itself counts too.
_PACKAGE_WARNING = re.compile(r"[/\\]workbench[/\\][\w/\\]+\.py:\d+: UserWarning: (.+)")

_VERSIONED = {
    "pandas": "pandas",
    "numpy": "numpy",
    "duckdb": "duckdb",
    "ibis": "ibis-framework",
    "papermill": "papermill",
    "nbconvert": "nbconvert",
    "workbench": "crm-workbench",
}


def timestamp() -> str:
    """Now, in UTC, to the second (ISO 8601): when a run or a report started."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def error_text(error: dict | None) -> str | None:
    """``"<name>: <message>"`` of an error recorded as ``{"name", "message"}``."""
    return f"{error['name']}: {error['message']}" if error else None


def jsonable(value: Any, name: str) -> Any:
    """Convert numpy scalars, Timestamps, dates, NaN/NaT/NA to plain JSON values."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, f"{name}[{k!r}]") for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v, f"{name}[{i}]") for i, v in enumerate(value)]
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    if hasattr(value, "isoformat"):  # datetime, date, pandas Timestamp
        return value.isoformat()
    if hasattr(value, "tolist") and getattr(value, "ndim", 1) in (0, 1):  # numpy scalar/array
        return jsonable(value.tolist(), name)
    if hasattr(value, "to_dict") and getattr(value, "ndim", 0) == 1:  # pandas Series
        return jsonable(value.to_dict(), name)
    raise TypeError(
        f"publish(): {name} is a {type(value).__name__}, which cannot go into summary.json; "
        "pass numbers, strings, dates, or lists/dicts of them"
    )


def summary_bundle(figures: Mapping[str, Any]) -> dict[str, Any]:
    """Display bundle of :func:`workbench.report.publish`: the figures, a table and plain text."""
    from workbench.display import escape_markdown, figure_label, figure_text

    values = {k: jsonable(v, k) for k, v in figures.items()}
    rows = "\n".join(f"| {escape_markdown(figure_label(k))} | {escape_markdown(figure_text(k, v))} |"
                     for k, v in values.items())
    return {
        SUMMARY_MIMETYPE: values,
        "text/markdown": f"| Key figure | Value |\n|---|---|\n{rows}\n",
        "text/plain": "\n".join(f"{k}: {v}" for k, v in values.items()),
    }


def collect_figures(nb: Any) -> dict[str, Any]:
    """Key figures an executed notebook published (several calls merged, later values win)."""
    figures: dict[str, Any] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            figures.update(output.get("data", {}).get(SUMMARY_MIMETYPE, {}))
    return figures


def findings_bundle(sentences, headlines: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Display bundle of :func:`workbench.report.findings`: the sentences (and the headline
    figures ``{label: {"value", "kind"}}`` for the index), collectable and shown."""
    texts = [" ".join(str(s).split()) for s in sentences if str(s).strip()]
    # a list, not a mapping: the executed notebook is written with sorted keys, and the order
    # of the headlines is the order the index shows them in
    heads = [{"label": str(k), "value": jsonable(v.get("value"), str(k)),
              "kind": str(v.get("kind", "number"))} for k, v in (headlines or {}).items()]
    shown = "\n".join(f"- {t.replace('&', '&amp;').replace('<', '&lt;')}" for t in texts)
    return {
        FINDINGS_MIMETYPE: {"findings": texts, "headlines": heads},
        "text/markdown": f"**What this report says**\n\n{shown}\n",
        "text/plain": "\n".join(texts),
    }


def collect_findings(nb: Any) -> list[str]:
    """The sentences an executed notebook gave :func:`workbench.report.findings`, in order."""
    found: list[str] = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            found += output.get("data", {}).get(FINDINGS_MIMETYPE, {}).get("findings", [])
    return list(dict.fromkeys(found))


#: Figures inside a warning (counts, shares, prices, dates, respondent ids' digits).
_FIGURES = re.compile(r"\d+(?:[.,]\d+)*")


def _alike_once(warnings: list[str]) -> list[str]:
    """Warnings that differ only in their figures (one per group or subset of the data: the same
    swapped survey per persona and per product) as one, the first, saying how many more there are."""
    alike: dict[str, list[str]] = {}
    for text in warnings:
        alike.setdefault(_FIGURES.sub("#", text), []).append(text)
    out = []
    for texts in alike.values():
        more = len(texts) - 1
        out.append(texts[0] if not more else
                   f"{texts[0]} (and {more} more warning{'s' if more > 1 else ''} like this one, on other "
                   "groups or subsets of the data: see the cells below)")
    return out


def collect_headlines(nb: Any) -> dict[str, Any]:
    """Headline figures given with the findings (later calls win): ``{label: {value, kind}}``."""
    found: dict[str, Any] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            for item in output.get("data", {}).get(FINDINGS_MIMETYPE, {}).get("headlines", []):
                found[item["label"]] = {"value": item.get("value"), "kind": item.get("kind", "number")}
    return found


def warnings_bundle(message: str) -> dict[str, Any]:
    """Display bundle of :func:`workbench.report.warn`: the warning, visible and collectable."""
    text = " ".join(str(message).split())
    shown = text.replace("&", "&amp;").replace("<", "&lt;")
    return {
        WARNINGS_MIMETYPE: {"warnings": [text]},
        "text/markdown": f"> **Warning:** {shown}\n",
        "text/plain": f"Warning: {text}",
    }


def collect_warnings(nb: Any) -> list[str]:
    """Every warning of an executed notebook, in order, each once.

    Three sources: :func:`workbench.report.warn` bundles, the
    :class:`workbench.notices.ResultWarning` lines methods wrote to the cells' stderr, and the
    plain ``UserWarning`` lines raised from a module of the workbench package.
    """
    found: list[str] = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            found += output.get("data", {}).get(WARNINGS_MIMETYPE, {}).get("warnings", [])
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                text = output.get("text", "")
                found += [m.group(1).strip() for m in _RESULT_WARNING.finditer(text)]
                found += [m.group(1).strip() for m in _PACKAGE_WARNING.finditer(text)]
    return _alike_once(list(dict.fromkeys(found)))


def tidy_stopped(nb: Any) -> Any:
    """A notebook stopped by :func:`workbench.report.stop`: no traceback, no papermill error cell.

    The stop is the notebook's answer, not a failure: its message (shown by ``stop`` as a
    warning) stays; the exception's traceback and papermill's "An Exception was encountered"
    cell go. Modifies and returns `nb`.
    """
    nb.cells = [c for c in nb.cells
                if "papermill-error-cell-tag" not in c.get("metadata", {}).get("tags", [])]
    for cell in nb.cells:
        if cell.get("outputs"):
            cell.outputs = [o for o in cell.outputs
                            if not (o.get("output_type") == "error" and o.get("ename") == STOP_ERROR)]
    return nb


def status_of(error: dict | None, warnings: list[str]) -> str:
    """``failed`` if the notebook did not run to the end, else ``warnings`` or ``ok``."""
    return "failed" if error else "warnings" if warnings else "ok"


def _versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str | None] = {"python": sys.version.split()[0]}
    for key, dist in _VERSIONED.items():
        try:
            found[key] = version(dist)
        except PackageNotFoundError:
            found[key] = None
    return found


def write_json(path: Path, content: Any) -> None:
    """Indented UTF-8 JSON; what JSON cannot hold is written as its ``str``."""
    from workbench.exports import atomic_path

    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(content, indent=2, ensure_ascii=False, default=str) + "\n")


def record(
    job: Job, nb, html: Path, started: str, duration: float, error: dict | None,
    *, into: Path | None = None,
) -> ReportResult:
    """Write the report's summary and manifest (in `into`, default the run folder); drop its
    ``output_dir`` if it stayed empty."""
    into = into or job.out_dir
    warnings = collect_warnings(nb)
    status = status_of(error, warnings)
    figures = collect_figures(nb)
    findings = collect_findings(nb)
    headlines = collect_headlines(nb)
    exports = []
    if "output_dir" in job.given:
        folder = Path(job.given["output_dir"])
        exports = sorted(p.relative_to(job.out_dir).as_posix() for p in folder.rglob("*"))
        if not exports:
            folder.rmdir()
    write_json(
        into / f"{job.name}.summary.json",
        {"report": job.name, "status": status, "error": error, "warnings": warnings,
         "findings": findings, "headlines": headlines, "figures": figures},
    )
    write_json(
        into / f"{job.name}.manifest.json",
        _manifest(job, status, error, started=started, duration=duration, exports=exports)
        | {"warnings": warnings},
    )
    return ReportResult(
        job.name,
        job.notebook,
        html,
        status,
        round(duration, 3),
        dict(job.parameters),
        error_text(error),
        figures,
        warnings=warnings,
        findings=findings,
        headlines=headlines,
    )


def _public_parameters(parameters: Mapping[str, Any], run_dir: Path) -> dict[str, Any]:
    """Parameters as the records show them: a path relative to the run folder, or by its file
    name (:func:`workbench.report.render.public_value`), never a folder of the machine."""
    from workbench.report.render import public_value

    return {name: public_value(value, run_dir=run_dir) for name, value in parameters.items()}


def _manifest(job: Job, status: str, error: dict | None, *, started, duration, exports) -> dict:
    return {
        "report": job.name,
        "notebook": str(job.notebook.resolve()),
        "status": status,
        "error": error,
        "parameters": jsonable(_public_parameters(job.parameters, job.out_dir), "parameters"),
        "given": sorted(job.given),
        "data_fingerprint": job.fingerprints.get("data"),
        "mapping_fingerprint": job.fingerprints.get("mapping"),
        "seed": job.parameters.get("seed"),
        # customer ids as keyed hashes, no names, e-mails, phones or addresses (data/privacy.py)
        "pseudonymised": bool(job.parameters.get("pseudonymise", False)),
        "versions": _versions(),
        "kernel": job.kernel_name or f"{Path(sys.executable).name} (the runner's Python)",
        "started": started,
        "duration_s": round(duration, 3),
        "exports": exports,
    }


def write_index(result: RunResult, *, started: str, duration_s: float,
                context: Mapping[str, Any] | None = None) -> None:
    """Write the run's ``index.html`` and ``run.json`` (with `context`: today, dates, grids)."""
    from workbench.report import render
    from workbench.report.index import previous_run

    name = result.out_dir.name  # a dated run of a schedule is named by its schedule too
    title = (f"Reports: {result.out_dir.parent.name}, {name}"
             if re.fullmatch(r"\d{4}-\d{2}-\d{2}", name) else f"Reports: {name}")
    page = render.index_page(result.reports, title=title, created=started,
                             previous=previous_run(result.out_dir),
                             public=lambda v: render.public_value(v, run_dir=result.out_dir))
    roots = render.machine_roots(result.out_dir, [r.notebook for r in result.reports])
    page = render.without_machine_paths(page, roots=roots)
    from workbench.exports import atomic_path

    with atomic_path(result.index) as tmp:
        tmp.write_text(page, encoding="utf-8")
    reports = [
        dataclasses.asdict(r) | {"notebook": str(r.notebook), "html": r.html.name,
                                 "parameters": _public_parameters(r.parameters, result.out_dir),
                                 "pdf": r.pdf.name if r.pdf else None}
        for r in result.reports
    ]
    listed = jsonable(dict(context or {}), "context") | {"reports": jsonable(reports, "reports")}
    public = json.loads(render.without_machine_paths(
        json.dumps(listed, ensure_ascii=False, default=str), roots=roots))
    write_json(
        result.out_dir / "run.json",
        {
            "ok": result.ok,
            "statuses": {s: sum(r.status == s for r in result.reports) for s in STATUSES},
            "started": started,
            "duration_s": round(duration_s, 3),
            **public,  # the context and the reports without machine paths
        },
    )
