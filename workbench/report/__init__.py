"""Run notebooks as reports: execute (papermill), render (nbconvert), record (summary, manifest).

A run writes into one folder, for every report ``<name>``::

    <name>.html           the rendered report, code hidden unless ``show_code``
    <name>.ipynb          the executed notebook (with the error, if it failed)
    <name>.summary.json   status, error and the figures the notebook published
    <name>.manifest.json  notebook, parameters, data fingerprint, seed, versions, timing
    <name>/               the notebook's ``output_dir`` (only kept if it wrote something)

plus ``index.html`` and ``run.json`` listing every report of the run.

Parameter rule
--------------
Parameters given for a run apply to every selected notebook and must be declared in each one's
``parameters`` cell, except the shared names :data:`SHARED_PARAMETERS` (``data``, ``mapping``,
``as_of``, ``output_dir``, ``seed``), which go only to the notebooks that declare them (at least
one must). ``output_dir`` is set by the runner to the report's folder and cannot be given.
Values are converted to the declared type (``int``, ``float``, ``bool``, ``str``, ``list``,
``dict``; ``X | None`` accepts ``None``); undeclared parameters keep their defaults. Every
check runs before anything executes. A relative ``data`` or ``mapping`` path that exists from
the caller's folder (or, in a YAML file, from the file's folder) is made absolute, because
notebooks run in their own folder.

Statuses (:data:`STATUSES`): ``ok``; ``warnings`` when the notebook ran to the end but some
result should not be trusted as it stands (:func:`warn` in a notebook, or a
:class:`workbench.notices.ResultWarning` from a method: both are listed in the report's banner,
its ``summary.json`` and the index); ``failed``.

Exit codes (for cron): :data:`EXIT_OK` no report failed (with or without warnings),
:data:`EXIT_FAILED_REPORTS` some report failed, :data:`EXIT_USAGE` bad usage (:class:`RunConfigError`: unknown notebook or parameter,
bad value, bad schedule).

Layout: this module is the API; one role per private module, as in papermill:
``params`` (read, declare, convert), ``plan`` (jobs, names, fingerprints),
``execute`` (kernel, execution, parallel pool), ``render`` (sanitised rendering,
index page), ``record`` (summary, manifest, ``run.json``), ``schedule`` (YAML
schedules) and ``results`` (exit codes, shared names, errors and results).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from workbench.report import guard as _guard
from workbench.report.dates import resolve_dates as _resolve_dates
from workbench.report.execute import cancelled_result as _cancelled_result
from workbench.report.execute import check_kernel as _check_kernel
from workbench.report.execute import execute_all as _execute_all
from workbench.report.execute import skip_iri_grammars as _skip_iri_grammars
from workbench.report.grid import expand_grid as _expand_grid
from workbench.report.history import dated_folder as _dated_folder
from workbench.report.history import publish_history as _publish_history
from workbench.report.params import anchor_paths as _anchor_paths
from workbench.report.params import read_yaml_mapping as _read_yaml_mapping
from workbench.report.pdf import find_chromium as _find_chromium
from workbench.report.pdf import print_pdf as _print_pdf
from workbench.report.plan import fingerprint, resolve_notebooks
from workbench.report.plan import plan as _plan
from workbench.report.record import findings_bundle as _findings_bundle
from workbench.report.record import summary_bundle as _summary_bundle
from workbench.report.record import timestamp as _timestamp
from workbench.report.record import warnings_bundle as _warnings_bundle
from workbench.report.record import write_index as _write_index
from workbench.report.results import (
    DEFAULT_NOTEBOOKS_DIR,
    EXIT_FAILED_REPORTS,
    EXIT_OK,
    EXIT_USAGE,
    FINDINGS_MIMETYPE,
    SHARED_PARAMETERS,
    STATUSES,
    SUMMARY_MIMETYPE,
    WARNINGS_MIMETYPE,
    NotServed,
    ReportResult,
    RunConfigError,
    RunResult,
)
from workbench.report.schedule import load_schedule

__all__ = [
    "EXIT_OK",
    "EXIT_FAILED_REPORTS",
    "EXIT_USAGE",
    "SHARED_PARAMETERS",
    "STATUSES",
    "SUMMARY_MIMETYPE",
    "WARNINGS_MIMETYPE",
    "FINDINGS_MIMETYPE",
    "RunConfigError",
    "ReportResult",
    "RunResult",
    "resolve_notebooks",
    "parse_parameter_pairs",
    "load_parameters_file",
    "run",
    "run_schedule",
    "load_schedule",
    "publish",
    "findings",
    "warn",
    "stop",
    "require",
    "NotServed",
    "fingerprint",
]

logger = logging.getLogger(__name__)


def parse_parameter_pairs(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    """``-p NAME VALUE`` pairs as a dict of strings (converted later, per notebook).

    Raises
    ------
    RunConfigError
        If a name is not an identifier or is given twice.
    """
    params: dict[str, str] = {}
    for name, value in pairs:
        if not name.isidentifier():
            raise RunConfigError(f"-p {name} {value}: {name!r} is not a parameter name")
        if name in params:
            raise RunConfigError(f"-p {name}: given twice ({params[name]!r} and {value!r})")
        params[name] = value
    return params


def load_parameters_file(path: str | Path) -> dict[str, Any]:
    """Parameters from a YAML mapping ``name: value``; relative data paths anchored to the file.

    Raises
    ------
    RunConfigError
        If the file cannot be read or is not a mapping of identifiers.
    """
    path = Path(path)
    params = _read_yaml_mapping(path)
    bad = [k for k in params if not k.isidentifier()]
    if bad:
        raise RunConfigError(f"{path}: {bad[0]!r} is not a parameter name")
    return _anchor_paths(params, path.parent)


def publish(**figures: Any) -> None:
    """Publish key figures of a notebook into its report's ``summary.json``.

    Displays them as a small table and as a ``application/vnd.crm-workbench.summary+json``
    output that the runner collects; several calls are merged (later values win).

    Parameters
    ----------
    **figures
        JSON-serialisable values: numbers (numpy scalars included), strings, dates and
        Timestamps (stored as ISO text), lists or dicts of them. NaN becomes ``null``.

    Raises
    ------
    TypeError
        If a value cannot be stored as JSON (e.g. a DataFrame).
    """
    bundle = _summary_bundle(figures)
    from IPython import get_ipython

    if get_ipython() is None:
        logger.info("published (no IPython kernel): %s", bundle[SUMMARY_MIMETYPE])
        return
    from IPython.display import display

    display(bundle, raw=True)


def findings(sentences) -> None:
    """Say what the report says, in three to six sentences computed from this run's results.

    The runner shows them under the report's title ("What this report says"), before the
    warnings and the sections, and keeps them in ``summary.json``; in JupyterLab they show
    where the call stands. The sentences come from the methods (``wb.rfm.findings(...)``...).

    Parameters
    ----------
    sentences : iterable of str
        Plain text (shown escaped); empty ones are dropped. A
        :class:`workbench.findings.Findings` also carries the report's headline figures
        (``.headlines``), which the run's index shows and compares with the previous run.
    """
    bundle = _findings_bundle(list(sentences), getattr(sentences, "headlines", None))
    from IPython import get_ipython

    if get_ipython() is None:
        logger.info("findings: %s", bundle["text/plain"])
        return
    from IPython.display import display

    display(bundle, raw=True)


def warn(message: str) -> None:
    """Say, in the notebook and in its report's banner, that a result should not be trusted.

    The report's status becomes ``warnings`` (still exit 0), the message goes into
    ``summary.json``, the banner at the top of the report and the run's index. Methods warn
    through :func:`workbench.notices.warn` (a ``ResultWarning``), which the runner collects too.
    """
    bundle = _warnings_bundle(message)
    from IPython import get_ipython

    if get_ipython() is None:
        logger.warning("%s", bundle["text/plain"])
        return
    from IPython.display import display

    display(bundle, raw=True)


def stop(message: str) -> None:
    """Stop the notebook cleanly: it cannot serve this source, and says why in one sentence.

    Shows `message` as a warning (the report's status is ``warnings``, the message in its
    banner and the index; exit code 0) and raises :class:`NotServed`, which the runner records
    as a clean stop, not a failure: the cells after it do not run. Interactively, the exception
    shows and the next cells would fail: run no further.

    Raises
    ------
    NotServed
        Always.
    """
    warn(f"This notebook cannot serve this source: {message}")
    raise NotServed(message)


def require(crm: Any, *tables: str | tuple[str, ...], purpose: str) -> None:
    """Stop the notebook cleanly (:func:`stop`) unless the source holds the tables it needs.

    For a notebook's load cell: a source without what the notebook is about (a price survey,
    campaign data, orders) ends the report with one sentence saying what is missing and what to
    map, status ``warnings``, instead of a traceback further down.

    Parameters
    ----------
    crm : CRMData
        The loaded source (anything supporting ``name in crm``).
    *tables : str or tuple of str
        Tables needed; a tuple means one of them is enough, e.g.
        ``("campaign_contacts", "campaign_stats")``.
    purpose : str
        What the notebook does, e.g. ``"RFM scoring"``: the sentence starts with it.

    Raises
    ------
    NotServed
        Through :func:`stop`, naming every need the source misses.
    """
    missing = []
    for need in tables:
        options = (need,) if isinstance(need, str) else tuple(need)
        if not any(name in crm for name in options):
            missing.append(" or ".join(options))
    if missing:
        plural = "s" if len(missing) > 1 else ""
        stop(f"{purpose} needs the table{plural} {', '.join(missing)}, which this source does not "
             "hold; add the file, or map it in the mapping file.")


def run(
    notebooks: Sequence[str | Path] | None,
    *,
    out_dir: str | Path,
    parameters: Mapping[str, Any] | None = None,
    grid: Mapping[str, Sequence[Any]] | None = None,
    show_code: bool = False,
    workers: int | None = None,
    timeout: float | None = 600,
    progress: bool = True,
    kernel_name: str | None = None,
    notebooks_dir: str | Path = DEFAULT_NOTEBOOKS_DIR,
    today: dt.date | str | None = None,
    notebook_parameters: Mapping[str, Mapping[str, Any]] | None = None,
    pdf: bool = False,
    solutions: bool = False,
) -> RunResult:
    """Run notebooks as HTML reports into ``out_dir``, with ``index.html`` and ``run.json``.

    Parameters
    ----------
    notebooks : sequence of str or Path, or None
        Names or paths (see :func:`resolve_notebooks`); ``None`` or ``["all"]`` for all.
    out_dir : str or Path
        Run folder (created), e.g. ``reports/demo``.
    parameters : mapping, optional
        Values (CLI strings are converted); see the module's parameter rule.
    grid : mapping of name to list or spec, optional
        One report per combination of values (cartesian product), named
        ``<notebook>__<name>-<value>``. A value may be ``{"from": "customers.sales_rep"}``
        (with ``min_customers``, ``other``): the values are read from the data when the run
        starts (:mod:`workbench.report.grid`).
    show_code : bool
        Show code cells in the HTML (for trainers).
    workers : int, optional
        Parallel processes; default ``min(2, cpu count)``.
    timeout : float or None
        Seconds per cell before the report fails; ``None`` for no limit.
    progress : bool
        tqdm progress bar on stderr.
    kernel_name : str, optional
        Jupyter kernel spec; default: this Python (``sys.executable``), whatever is installed.
    notebooks_dir : str or Path
        Where names are looked up.
    today : date or str, optional
        The run's date, against which relative dates (``as_of: end of last month``, see
        :mod:`workbench.report.dates`) are resolved once, before anything runs; default: the
        date when the run starts. Give it to replay a past run.
    notebook_parameters : mapping of notebook stem to mapping, optional
        Parameters for one notebook only (each must be declared by it), beside `parameters`.
    pdf : bool
        Also print each report as ``<name>.pdf`` with headless Chromium (one page or more per
        section; :mod:`workbench.report.pdf`); the index links both. A report whose PDF cannot
        be printed keeps its HTML and says why in its error.
    solutions : bool
        Run and show the exercise solutions (cells tagged ``solution``); by default they are
        removed from the run, so a report handed to trainees does not give them away.

    Returns
    -------
    RunResult
        ``.ok`` is False if any report failed; a failed report still has its HTML. On SIGINT or
        SIGTERM, queued reports never start, running kernels and workers are stopped, the
        unfinished reports are ``cancelled`` in the index and ``exit_code`` is 130.

    Raises
    ------
    RunConfigError
        Before anything runs: unknown notebook or parameter, unconvertible value, or another
        run writing into ``out_dir`` (``<out_dir>/.workbench-run.lock``).
    OSError
        The system refused a write (read-only folder, disk full): every file is written under a
        temporary name and renamed when complete, so no partial file is left as a result.
    """
    _skip_iri_grammars()
    if isinstance(notebooks, str | Path):
        notebooks = [notebooks]
    names = None if notebooks is None else [str(n) for n in notebooks]
    found = resolve_notebooks(names, notebooks_dir=notebooks_dir)
    if kernel_name is not None:
        _check_kernel(kernel_name)
    paths = list(dict.fromkeys(p.resolve() for p in found))
    out = Path(out_dir).resolve()  # notebooks run in their own folder: paths must not be relative
    params = _anchor_paths(dict(parameters or {}), Path.cwd())
    grid = _anchor_paths(dict(grid or {}), Path.cwd())
    context, params, grid, labels = _resolve(params, grid, today)
    per_notebook = {}
    for stem, extra in (notebook_parameters or {}).items():
        extra = _anchor_paths(dict(extra), Path.cwd())
        per_notebook[stem] = _resolve(extra, {}, context["today"])[1]
    jobs = _plan(paths, params, grid, out, show_code, timeout, kernel_name, labels, per_notebook,
                 solutions=solutions)
    chromium = _find_chromium() if pdf else None
    with _guard.run_lock(out):  # a second run into the same folder is refused
        _guard.clean_staging(out)
        started, t0 = _timestamp(), time.perf_counter()
        workers = workers or min(2, os.cpu_count() or 1)
        try:
            with _guard.cancel_on_signals():
                try:
                    reports = _execute_all(jobs, workers=workers, progress=progress)
                except _guard.Cancelled:  # between two reports: nothing left running
                    reports = [_cancelled_result(job) for job in jobs]
                if chromium:
                    try:
                        _print_all([r for r in reports if r.status != "cancelled"], chromium)
                    except _guard.Cancelled:  # the reports stand; the PDFs not printed are said so
                        _guard.stop_children()
            result = RunResult(out, reports)
            _write_index(result, started=started, duration_s=time.perf_counter() - t0, context=context)
        finally:  # what an unfinished report left is never presented as a result
            _guard.clean_staging(out)
    logger.info(
        "%d report(s) in %s, %d failed; index: %s",
        len(reports),
        out,
        sum(r.status == "failed" for r in reports),
        result.index,
    )
    return result


def _print_all(reports: list[ReportResult], chromium: str) -> None:
    """Print each report's HTML as PDF beside it; a failure is said in the report's error."""
    for r in reports:
        try:
            r.pdf = _print_pdf(r.html, r.html.with_suffix(".pdf"), chromium=chromium)
        except OSError as exc:
            logger.warning("%s: no PDF: %s", r.name, exc)
            r.error = f"{r.error + '; ' if r.error else ''}no PDF: {exc}"


def _resolve(params: dict, grid: dict, today) -> tuple[dict, dict, dict, dict]:
    """Resolve relative dates once, then draw grid values from the data, for the whole run."""
    try:
        day = dt.date.fromisoformat(str(today)) if today is not None else dt.date.today()
        params, dates = _resolve_dates(params, today=day)
        lists = {k: v for k, v in grid.items() if not isinstance(v, Mapping)}
        lists, grid_dates = _resolve_dates(lists, today=day)
    except ValueError as exc:
        raise RunConfigError(str(exc)) from None
    grid = {**grid, **lists}
    grid, drawn = _expand_grid(grid, params)
    context = {"today": day.isoformat(), "dates": {**dates, **grid_dates},
               "grid_from_data": {k: g.record() for k, g in drawn.items()}}
    return context, params, grid, {k: g.labels for k, g in drawn.items()}


def run_schedule(
    path: str | Path,
    *,
    out_dir: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    show_code: bool | None = None,
    workers: int | None = None,
    progress: bool = True,
    kernel_name: str | None = None,
    notebooks_dir: str | Path | None = None,
    today: dt.date | str | None = None,
    pdf: bool | None = None,
    solutions: bool | None = None,
) -> RunResult:
    """Run a YAML schedule: ``notebooks``, ``parameters``, ``grid``, ``workers``, ``show_code``.

    Optional keys: ``timeout`` (seconds per cell), ``out`` and ``notebooks_dir`` (relative to
    the file), ``notebook_parameters`` (``{stem: {name: value}}``, for one notebook only),
    ``dated`` (each run in ``<out>/<as_of>/``, with ``latest`` and a schedule index:
    :mod:`workbench.report.history`). Relative ``data``/``mapping``/``score_store`` paths
    resolve from the file's folder; relative dates from `today` (see :func:`run`).

    Parameters
    ----------
    path : str or Path
        The schedule file.
    out_dir : str or Path, optional
        Overrides the file's ``out``; default ``reports/<file stem>``.
    overrides : mapping, optional
        Parameters replacing the file's (e.g. from ``-p``).
    show_code, workers, kernel_name, notebooks_dir, progress, today, pdf, solutions
        As in :func:`run`; ``None`` keeps the file's value (``pdf: true``, ``solutions: true``
        in the file).

    Raises
    ------
    RunConfigError
        Unknown key or wrong type in the file (naming both), or any :func:`run` usage error.
    """
    path = Path(path)
    spec = load_schedule(path)
    base = path.parent
    names = spec.get("notebooks", "all")
    folder = notebooks_dir or (base / spec["notebooks_dir"] if "notebooks_dir" in spec else None)
    parameters = _anchor_paths(spec.get("parameters", {}), base) | dict(overrides or {})
    out = Path(out_dir or (base / spec["out"] if "out" in spec else Path("reports", path.stem)))
    day = dt.date.fromisoformat(str(today)) if today is not None else dt.date.today()
    if spec.get("dated", False):
        try:
            as_of = _resolve_dates({"as_of": parameters.get("as_of")}, today=day)[0]["as_of"]
        except ValueError as exc:
            raise RunConfigError(str(exc)) from None
        run_out = _dated_folder(out, as_of=as_of, today=day.isoformat())
    else:
        run_out = out
    result = run(
        [names] if isinstance(names, str) else names,
        out_dir=run_out,
        parameters=parameters,
        grid=_anchor_paths(spec.get("grid", {}), base),
        notebook_parameters={k: _anchor_paths(v, base)
                             for k, v in spec.get("notebook_parameters", {}).items()},
        pdf=spec.get("pdf", False) if pdf is None else pdf,
        solutions=spec.get("solutions", False) if solutions is None else solutions,
        show_code=spec.get("show_code", False) if show_code is None else show_code,
        workers=workers or spec.get("workers"),
        timeout=spec.get("timeout", 600),
        progress=progress,
        kernel_name=kernel_name,
        notebooks_dir=folder or DEFAULT_NOTEBOOKS_DIR,
        today=day,
    )
    if spec.get("dated", False):
        _publish_history(out.resolve(), title=f"Runs of {path.stem}")
    return result
