"""Executing reports: the kernel, one report's execute-render-record, the parallel pool.

Private to :mod:`workbench.report`. A notebook's failure never ends the run: it becomes the
content of its report (marked failed), and so does a crashed worker.
"""

from __future__ import annotations

import logging
import sys
import time
from html import escape
from pathlib import Path
from typing import Any

from workbench.exports import atomic_path
from workbench.report.guard import (
    Cancelled,
    ignore_sigint,
    publish,
    staging,
    stop_children,
    withdraw,
)
from workbench.report.plan import Job
from workbench.report.record import (
    collect_findings,
    collect_warnings,
    error_text,
    record,
    status_of,
    tidy_stopped,
    timestamp,
)
from workbench.report.results import STOP_ERROR, ReportResult, RunConfigError

logger = logging.getLogger(__name__)


def skip_iri_grammars() -> None:
    """Keep jsonschema from importing ``rfc3987_syntax`` in this process (call before nbformat).

    nbformat and papermill import jsonschema's format checkers, and jsonschema imports
    ``rfc3987_syntax`` for its "iri" formats when installed (nbformat's ``format-nongpl`` extra
    installs it), which builds about 35 Lark parsers at import: 1-2 s in the runner and again in
    each worker (python-jsonschema/jsonschema#1428). No notebook schema uses the iri formats;
    with the module marked absent, jsonschema leaves those two formats unchecked. A process that
    imported jsonschema already is left as it is.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)


def _worker_start() -> None:
    """Each pool worker: Ctrl-C is the runner's, and no iri grammars (see :func:`skip_iri_grammars`)."""
    ignore_sigint()
    skip_iri_grammars()


def _kernel_manager_class() -> type:
    """AsyncKernelManager that always launches ``sys.executable -m ipykernel_launcher``.

    An installed ``python3`` kernel spec may point at another interpreter (a user-level spec
    shadows the environment's), which would run reports without this package; building the
    spec from ``sys.executable`` makes the kernel the runner's own Python, whatever is installed.
    """
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpec

    class CurrentPythonKernelManager(AsyncKernelManager):
        @property
        def kernel_spec(self) -> KernelSpec:
            if self._kernel_spec is None:
                # kernel logs below ERROR (e.g. ipykernel 7's "running over TCP without
                # encryption", on loopback) reach the terminal on every report, never the report
                argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                        "--IPKernelApp.log_level=ERROR"]
                self._kernel_spec = KernelSpec(
                    argv=argv, display_name=f"Python ({sys.executable})", language="python"
                )
            return self._kernel_spec

    return CurrentPythonKernelManager


def kernel_options(kernel_name: str | None) -> dict[str, Any]:
    """papermill's kernel arguments: the named spec, or by default this very Python."""
    if kernel_name is None:
        return {
            "kernel_name": "python3",
            "language": "python",
            "kernel_manager_class": _kernel_manager_class(),
        }
    return {"kernel_name": kernel_name}


def check_kernel(kernel_name: str) -> None:
    """Fail early on an unknown kernel spec; warn if it runs another Python than this one."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        argv0 = KernelSpecManager().get_kernel_spec(kernel_name).argv[0]
    except NoSuchKernel as exc:
        raise RunConfigError(f"no Jupyter kernel named {kernel_name!r}") from exc
    # jupyter_client replaces a bare "python"/"python3" by the launching sys.executable.
    if argv0 not in ("python", "python3", f"python3.{sys.version_info[1]}", sys.executable):
        logger.warning(
            "kernel %r runs %s, not this Python (%s): reports may see other package versions "
            "than the manifest records; omit kernel_name to use this Python",
            kernel_name,
            argv0,
            sys.executable,
        )


def execute(job: Job, error: dict | None = None) -> ReportResult:
    """Execute, render and record one report; with ``error``, only record that failure.

    Never raises for a notebook's failure: the error goes into the report.
    """
    import nbformat

    started, t0 = timestamp(), time.perf_counter()
    stage = staging(job.out_dir, job.name)  # built here, published when complete
    ipynb, html = stage / f"{job.name}.ipynb", stage / f"{job.name}.html"
    if "output_dir" in job.given:
        Path(job.given["output_dir"]).mkdir(parents=True, exist_ok=True)
    if error is None:
        error = _papermill(job, ipynb)
    stopped = error is not None and error["name"] == STOP_ERROR
    if stopped:  # wb.report.stop(): the notebook said why it cannot serve the source
        error = None
    if ipynb.is_file():
        nb = nbformat.read(ipynb, as_version=4)
        if stopped:
            nbformat.write(tidy_stopped(nb), ipynb)
    else:  # failed before papermill wrote anything (e.g. the kernel did not start)
        nb = _prepared(job.notebook, solutions=job.solutions)
        nbformat.write(nb, ipynb)
    page, error = _render(job, nb, error, started=started, duration_s=time.perf_counter() - t0)
    html.write_text(page, encoding="utf-8")
    result = record(job, nb, job.out_dir / html.name, started, time.perf_counter() - t0, error, into=stage)
    from workbench.report import render

    render.public_files(stage, roots=_machine_roots(job))  # the manifest, summary and notebook too
    publish(stage, job.out_dir)
    return result


#: Cells tagged so hold an interactive explorer: a static report cannot use it, so a headless
#: run does not execute it (nbclient skips cells tagged ``skip-execution``) and the report says
#: what it is. The explorers are unit-tested directly.
WIDGET_TAG = "widget"
#: Cells tagged so hold an exercise's solution: removed from the run (and so from the report)
#: unless the run asks for them (``workbench run --solutions``, ``solutions: true``).
SOLUTION_TAG = "solution"


def _prepared(path: Path, *, solutions: bool = False):
    """The notebook as it runs: widget cells marked for nbclient to skip, solutions removed
    unless `solutions`."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    if not solutions:
        nb.cells = [c for c in nb.cells if SOLUTION_TAG not in c.get("metadata", {}).get("tags", [])]
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if WIDGET_TAG in tags and "skip-execution" not in tags:
            cell.metadata["tags"] = [*tags, "skip-execution"]
    return nb


def _papermill(job: Job, ipynb: Path) -> dict | None:
    """Execute the notebook into `ipynb`: None if it ran, else its error ``{name, message}``."""
    import papermill as pm

    from workbench.report.engine import register

    try:
        pm.execute_notebook(
            _prepared(job.notebook, solutions=job.solutions),
            ipynb,
            engine_name=register(),
            parameters=job.given,
            cwd=str(job.notebook.parent),
            execution_timeout=job.timeout,
            progress_bar=False,
            log_output=False,
            **kernel_options(job.kernel_name),
        )
    except Exception as exc:  # the failure is the report's content, not the run's end
        error = {
            "name": getattr(exc, "ename", type(exc).__name__),
            "message": str(getattr(exc, "evalue", exc)),
        }
        if error["name"] == STOP_ERROR:  # wb.report.stop(): a clean stop, not a failure
            logger.info("%s stopped cleanly: %s", job.name, error["message"])
        else:
            logger.warning("%s failed: %s: %s", job.name, error["name"], error["message"])
        return error
    return None


def _render(job: Job, nb: Any, error: dict | None, *, started: str, duration_s: float):
    """The report's HTML page, and the error (a rendering failure if there was none before)."""
    from workbench.report import render

    warnings = collect_warnings(nb)
    header = render.header_cell(
        title=job.name,
        status=status_of(error, warnings),
        error=error_text(error),
        warnings=warnings,
        findings=collect_findings(nb),
        sections=render.sections_of(nb),
    )
    footer = render.made_cell(parameters=job.parameters, given=job.given, started=started,
                              duration_s=duration_s, run_dir=job.out_dir)
    title = job.name + (" (FAILED)" if error else "")
    try:
        page = render.render_report(nb, title=title, header=header, show_code=job.show_code,
                                    footer=footer)
    except Exception as exc:  # a report must exist even when nbconvert fails
        error = error or {"name": type(exc).__name__, "message": f"rendering failed: {exc}"}
        page = render.failure_page(title=title, message=error_text(error))
    return render.without_machine_paths(page, roots=_machine_roots(job)), error


def _machine_roots(job: Job) -> dict[str, str]:
    """Folders of this machine a report must not show: see :func:`render.machine_roots`."""
    from workbench.report import render

    return render.machine_roots(job.out_dir, [job.notebook])


def _record_crash(job: Job, exc: Exception) -> ReportResult:
    """A failed report for a job whose execution or recording raised; never raises itself."""
    error = {"name": type(exc).__name__, "message": str(exc)}
    logger.error("%s failed: %s", job.name, error_text(error))
    try:
        return execute(job, error=error)
    except Exception as again:  # recording is what broke: write the bare minimum
        html = job.out_dir / f"{job.name}.html"
        job.out_dir.mkdir(parents=True, exist_ok=True)
        message = f"{error_text(error)}; then, recording the failure: {type(again).__name__}: {again}"
        with atomic_path(html) as tmp:
            tmp.write_text(f"<!DOCTYPE html><title>{escape(job.name)}</title><h1>{escape(job.name)}: "
                           f"failed</h1><pre>{escape(message)}</pre>", encoding="utf-8")
        return ReportResult(name=job.name, notebook=job.notebook, html=html, status="failed",
                            duration_s=0.0, parameters=dict(job.given), error=message, figures={})


def execute_all(jobs: list[Job], *, workers: int, progress: bool) -> list[ReportResult]:
    """Every job's report, in job order: one by one, or in a pool of spawned processes.

    On :class:`~workbench.report.guard.Cancelled` (SIGINT, SIGTERM) queued reports never start,
    the workers and kernels are stopped, and every unfinished report is ``cancelled``.
    """
    from tqdm import tqdm

    results: dict[str, ReportResult] = {}
    bar = tqdm(
        total=len(jobs), desc="reports", unit="report", file=sys.stderr, disable=not progress
    )
    with bar:
        try:
            if workers <= 1 or len(jobs) == 1:
                _sequential(jobs, results, bar)
            else:
                _pool(jobs, results, bar, workers)
        except Cancelled:
            stopped = stop_children()
            logger.warning("run cancelled: %d report(s) unfinished, %d process(es) stopped",
                           len(jobs) - len(results), stopped)
    return [results.get(job.name) or cancelled_result(job) for job in jobs]


def _sequential(jobs: list[Job], results: dict, bar) -> None:
    for job in jobs:
        try:
            results[job.name] = execute(job)
        except Exception as exc:  # a bug of the runner itself: this report fails, not the run
            results[job.name] = _record_crash(job, exc)
        bar.update()


def _pool(jobs: list[Job], results: dict, bar, workers: int) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # spawn: no forked copies of the parent's threads or zmq state in the workers
    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_start)
    try:
        futures = {pool.submit(execute, job): job for job in longest_first(jobs)}
        for future in as_completed(futures):
            job = futures[future]
            try:
                results[job.name] = future.result()
            except Exception as exc:  # worker crashed: record it, keep the others
                results[job.name] = _record_crash(job, exc)
            bar.update()
            bar.set_postfix(failed=sum(r.status == "failed" for r in results.values()))
    except BaseException:  # cancelled, or the runner itself failed (disk full...)
        pool.shutdown(wait=False, cancel_futures=True)  # queued reports never start
        stop_children()  # and no worker or kernel outlives the runner
        raise
    pool.shutdown()


def longest_first(jobs: list[Job]) -> list[Job]:
    """The jobs in the order a pool should start them: the longest expected first.

    With the reports of a run in one folder, the run is over when its longest report is done;
    started last, it would run alone at the end while the other workers sit idle. A report's
    expected length is its duration in the ``run.json`` a previous run left in its folder, else
    (first run) its number of code cells; ties keep the job order.
    """
    import json

    import nbformat

    recorded: dict[tuple[Path, str], float] = {}
    for folder in {job.out_dir for job in jobs}:
        try:
            reports = json.loads((folder / "run.json").read_text(encoding="utf-8"))["reports"]
            recorded |= {(folder, r["name"]): float(r["duration_s"]) for r in reports}
        except (OSError, ValueError, KeyError, TypeError):
            pass  # no earlier run here, or a record this version cannot read

    def cells(job: Job) -> int:
        try:
            return sum(c.cell_type == "code" for c in nbformat.read(job.notebook, as_version=4).cells)
        except Exception:  # an unreadable notebook fails in execute(), not here
            return 0

    known = all((job.out_dir, job.name) in recorded for job in jobs)
    key = (lambda job: recorded[job.out_dir, job.name]) if known else cells
    return sorted(jobs, key=key, reverse=True)


def cancelled_result(job: Job) -> ReportResult:
    """A report the run did not finish: no page of an earlier run stays in its place."""
    withdraw(job.out_dir, job.name)
    return ReportResult(name=job.name, notebook=job.notebook, html=job.out_dir / f"{job.name}.html",
                        status="cancelled", duration_s=0.0, parameters=dict(job.parameters),
                        error="cancelled: the run was interrupted (SIGINT or SIGTERM) before "
                              "this report was finished", figures={})
