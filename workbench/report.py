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

Exit codes (for cron): :data:`EXIT_OK` all reports ok, :data:`EXIT_FAILED_REPORTS` some report
failed, :data:`EXIT_USAGE` bad usage (:class:`RunConfigError`: unknown notebook or parameter,
bad value, bad schedule).
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import difflib
import hashlib
import itertools
import json
import logging
import math
import os
import re
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "EXIT_OK",
    "EXIT_FAILED_REPORTS",
    "EXIT_USAGE",
    "SHARED_PARAMETERS",
    "SUMMARY_MIMETYPE",
    "RunConfigError",
    "ReportResult",
    "RunResult",
    "resolve_notebooks",
    "parse_parameter_pairs",
    "load_parameters_file",
    "run",
    "run_schedule",
    "publish",
    "fingerprint",
]

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED_REPORTS, EXIT_USAGE = 0, 1, 2
SHARED_PARAMETERS = frozenset({"data", "mapping", "as_of", "output_dir", "seed"})
SUMMARY_MIMETYPE = "application/vnd.crm-workbench.summary+json"
DEFAULT_NOTEBOOKS_DIR = Path("notebooks")
_PATH_PARAMETERS = ("data", "mapping")
_SCHEDULE_KEYS = {
    "notebooks": (list, str),
    "parameters": dict,
    "grid": dict,
    "workers": int,
    "show_code": bool,
    "timeout": (int, float, type(None)),
    "out": str,
    "notebooks_dir": str,
}
_VERSIONED = {
    "pandas": "pandas",
    "numpy": "numpy",
    "duckdb": "duckdb",
    "ibis": "ibis-framework",
    "papermill": "papermill",
    "nbconvert": "nbconvert",
    "workbench": "crm-workbench",
}
_TRUE, _FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}
_KINDS = ("int", "float", "bool", "str", "list", "dict")


class RunConfigError(ValueError):
    """Bad usage detected before anything runs (the CLI exits with :data:`EXIT_USAGE`)."""


@dataclass
class ReportResult:
    """Outcome of one report. ``parameters`` are the values used, defaults included."""

    name: str
    notebook: Path
    html: Path
    status: str  # "ok" | "failed"
    duration_s: float
    parameters: dict[str, Any]
    error: str | None = None
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunResult:
    """Outcome of a run: its folder, its reports and the index page."""

    out_dir: Path
    reports: list[ReportResult]

    @property
    def ok(self) -> bool:
        return all(r.status == "ok" for r in self.reports)

    @property
    def index(self) -> Path:
        return self.out_dir / "index.html"

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.ok else EXIT_FAILED_REPORTS


@dataclass(frozen=True)
class _Declared:
    type: str | None  # int, float, bool, str, list, dict, or None when unknown
    nullable: bool
    default: Any


@dataclass(frozen=True)
class _Job:
    name: str
    notebook: Path
    out_dir: Path
    given: dict[str, Any]
    parameters: dict[str, Any]
    fingerprints: dict[str, str]
    show_code: bool
    timeout: float | None
    kernel_name: str | None


# --------------------------------------------------------------------------- publishing


def _jsonable(value: Any, name: str) -> Any:
    """Convert numpy scalars, Timestamps, dates, NaN/NaT/NA to plain JSON values."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v, f"{name}[{k!r}]") for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v, f"{name}[{i}]") for i, v in enumerate(value)]
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    if hasattr(value, "isoformat"):  # datetime, date, pandas Timestamp
        return value.isoformat()
    if hasattr(value, "tolist") and getattr(value, "ndim", 1) in (0, 1):  # numpy scalar/array
        return _jsonable(value.tolist(), name)
    if hasattr(value, "to_dict") and getattr(value, "ndim", 0) == 1:  # pandas Series
        return _jsonable(value.to_dict(), name)
    raise TypeError(
        f"publish(): {name} is a {type(value).__name__}, which cannot go into summary.json; "
        "pass numbers, strings, dates, or lists/dicts of them"
    )


def _summary_bundle(figures: Mapping[str, Any]) -> dict[str, Any]:
    values = {k: _jsonable(v, k) for k, v in figures.items()}

    def cell(v: Any) -> str:
        text = json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v
        return text.replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|")

    rows = "\n".join(f"| {cell(k)} | {cell(v)} |" for k, v in values.items())
    return {
        SUMMARY_MIMETYPE: values,
        "text/markdown": f"| Key figure | Value |\n|---|---|\n{rows}\n",
        "text/plain": "\n".join(f"{k}: {v}" for k, v in values.items()),
    }


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


def _collect_figures(nb: Any) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            figures.update(output.get("data", {}).get(SUMMARY_MIMETYPE, {}))
    return figures


# --------------------------------------------------------------------------- inputs


def _data_files(folder: Path) -> list[Path]:
    """Files under ``folder`` sorted by relative path, hidden files and folders skipped."""
    files = [
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    ]
    return sorted(files, key=lambda p: p.relative_to(folder).as_posix())


def fingerprint(data: str) -> str:
    """Fingerprint a data source for the manifest.

    Parameters
    ----------
    data : str
        A file or folder path, or anything else (``"demo"``, a database URL...).

    Returns
    -------
    str
        ``"sha256:<hex>"`` over the file's content, or for a folder over every file's relative
        path and content in sorted order (hidden files skipped), streamed in 1 MiB chunks;
        ``"literal:<data>"`` (password of a URL masked) when ``data`` is not an existing path.
    """
    path = Path(str(data)).expanduser()
    if not path.exists():
        return "literal:" + re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", str(data))
    files = [path] if path.is_file() else _data_files(path)
    digest = hashlib.sha256()
    for file in files:
        if path.is_dir():
            digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        digest.update(str(file.stat().st_size).encode() + b"\0")
        with file.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def resolve_notebooks(
    names: Sequence[str] | None, *, notebooks_dir: str | Path = DEFAULT_NOTEBOOKS_DIR
) -> list[Path]:
    """Notebook paths for names (stems, ``x.ipynb`` or paths); ``None``/``"all"`` gives all.

    "All" is ``notebooks_dir/*.ipynb`` sorted (``00_``, ``01_``...). Duplicates are dropped.

    Raises
    ------
    RunConfigError
        For a name that matches no notebook (with close matches), or an empty folder.
    """
    folder = Path(notebooks_dir)
    available = sorted(folder.glob("*.ipynb"))
    if not names or list(names) == ["all"]:
        if not available:
            raise RunConfigError(f"no notebooks (*.ipynb) in {folder}")
        return available
    found: list[Path] = []
    for name in names:
        path = Path(name)
        candidates = [path] if path.suffix == ".ipynb" and path.is_file() else []
        candidates += [folder / (name if name.endswith(".ipynb") else f"{name}.ipynb")]
        hit = next((c for c in candidates if c.is_file()), None)
        if hit is None:
            stems = [p.stem for p in available]
            close = difflib.get_close_matches(Path(name).stem, stems, n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise RunConfigError(
                f"notebook {name!r} not found in {folder}{hint} Available: {', '.join(stems)}"
            )
        if hit.resolve() not in {p.resolve() for p in found}:
            found.append(hit)
    return found


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


def _read_yaml_mapping(path: Path) -> dict[str, Any]:
    import yaml

    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RunConfigError(f"{path}: cannot read YAML: {exc}") from exc
    if content is None:
        return {}
    if not isinstance(content, dict) or not all(isinstance(k, str) for k in content):
        raise RunConfigError(f"{path}: expected a mapping of names to values at the top level")
    return content


def _anchor_paths(params: dict[str, Any], base: Path) -> dict[str, Any]:
    """Make relative ``data``/``mapping`` paths (or lists of) that exist under ``base`` absolute."""

    def anchor(value: Any) -> Any:
        if isinstance(value, list | tuple):
            return [anchor(v) for v in value]
        if isinstance(value, str) and value and not Path(value).is_absolute():
            if (base / value).exists():
                return str((base / value).resolve())
        return value

    return {k: anchor(v) if k in _PATH_PARAMETERS else v for k, v in params.items()}


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


# --------------------------------------------------------------------------- declarations


def _annotation_type(node: ast.expr | None) -> tuple[str | None, bool]:
    if node is None:
        return None, False
    if isinstance(node, ast.Constant) and isinstance(node.value, str):  # "int" as a string
        try:
            return _annotation_type(ast.parse(node.value, mode="eval").body)
        except SyntaxError:
            return None, False
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):  # X | None
        sides = [s for s in (node.left, node.right) if not _is_none(s)]
        kind = _annotation_type(sides[0])[0] if len(sides) == 1 else None
        return kind, len(sides) == 1
    if isinstance(node, ast.Subscript) and getattr(node.value, "id", "") == "Optional":
        return _annotation_type(node.slice)[0], True
    if isinstance(node, ast.Subscript):  # list[str], dict[str, int]
        node = node.value
    name = getattr(node, "id", None)
    return (name if name in _KINDS else None), False


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _declared_parameters(notebook: Path) -> dict[str, _Declared]:
    """Names, types and defaults of the ``parameters``-tagged cell, read with :mod:`ast`.

    papermill's ``inspect_notebook`` is not used: its regex silently drops annotated names
    whose annotation holds ``|`` (``as_of: str | None = None``), the form ruff's UP rules write.
    """
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    cell = next((c for c in nb.cells if "parameters" in c.metadata.get("tags", [])), None)
    if cell is None:
        return {}
    source = "\n".join(
        line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))
    )
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise RunConfigError(f"{notebook}: parameters cell is not valid Python: {exc}") from exc
    declared: dict[str, _Declared] = {}
    for stmt in tree.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [getattr(stmt, "target", None)]
        for target in targets:
            if not isinstance(target, ast.Name) or getattr(stmt, "value", None) is None:
                continue
            try:
                default, literal = ast.literal_eval(stmt.value), True
            except (ValueError, TypeError, SyntaxError, RecursionError):
                default, literal = f"<{ast.get_source_segment(source, stmt.value)}>", False
            kind, nullable = _annotation_type(getattr(stmt, "annotation", None))
            if kind is None and literal and type(default).__name__ in _KINDS:
                kind = type(default).__name__
            declared[target.id] = _Declared(kind, nullable or default is None, default)
    return declared


def _coerce(value: Any, decl: _Declared) -> Any:
    """Convert ``value`` (often a CLI string) to the declared type; ValueError if impossible."""
    try:
        return _convert(value, decl)
    except (ValueError, TypeError) as exc:
        expected = decl.type + (" or None" if decl.nullable else "")
        raise ValueError(f"cannot convert {value!r} to the declared type {expected}") from exc


def _convert(value: Any, decl: _Declared) -> Any:
    kind = decl.type
    if value is None or (decl.nullable and isinstance(value, str) and value in ("None", "null")):
        if decl.nullable or kind is None:
            return None
        raise ValueError("None")
    if kind is None:
        return value
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
    elif kind in ("int", "float") and not isinstance(value, bool):
        if isinstance(value, str):
            value = value.strip()
            return int(value) if kind == "int" else float(value)
        if isinstance(value, int | float):
            if kind == "float":
                return float(value)
            if float(value).is_integer():
                return int(value)
    elif kind == "str":
        if isinstance(value, str):
            return value
        if isinstance(value, dt.date | int | float) and not isinstance(value, bool):
            return value.isoformat() if isinstance(value, dt.date) else str(value)
    else:  # list, dict
        import yaml

        parsed = yaml.safe_load(value) if isinstance(value, str) else value
        if isinstance(parsed, list if kind == "list" else dict):
            return parsed
    raise ValueError(value)


# --------------------------------------------------------------------------- planning


def _check_names(notebooks: list[Path], declared: dict[Path, dict], names: list[str]) -> None:
    problems = []
    for name in names:
        if name == "output_dir":
            problems.append("'output_dir' is set by the runner (to each report's folder)")
            continue
        missing = [nb for nb in notebooks if name not in declared[nb]]
        if name in SHARED_PARAMETERS and len(missing) < len(notebooks):
            continue
        for nb in missing:
            known = sorted(declared[nb])
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            problems.append(
                f"notebook {nb.stem} ({nb}) has no parameter {name!r}.{hint} "
                f"Known parameters: {', '.join(known) or '(none)'}"
            )
    if problems:
        rule = (
            f"Parameters other than {', '.join(sorted(SHARED_PARAMETERS))} must be declared "
            "by every selected notebook; those must be declared by at least one."
        )
        raise RunConfigError("\n".join([*problems, rule]))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "_", text).strip("._") or "x"


def _report_name(stem: str, combo: Mapping[str, Any], taken: set[str]) -> str:
    base = "__".join([_slug(stem), *(f"{_slug(k)}-{_slug(str(v))}" for k, v in combo.items())])
    name, i = base, 2
    while name.lower() in taken:
        name, i = f"{base}-{i}", i + 1
    taken.add(name.lower())
    return name


def _plan(notebooks, parameters, grid, out_dir, show_code, timeout, kernel_name) -> list[_Job]:
    grid = {k: (list(v) if isinstance(v, list | tuple) else [v]) for k, v in grid.items()}
    both = sorted(set(parameters) & set(grid))
    if both:
        raise RunConfigError(f"parameter(s) {', '.join(both)} given both as value and in grid")
    if any(not values for values in grid.values()):
        raise RunConfigError("every grid parameter needs at least one value")
    declared = {nb: _declared_parameters(nb) for nb in notebooks}
    _check_names(notebooks, declared, [*parameters, *grid])
    combos = [dict(zip(grid, vals, strict=True)) for vals in itertools.product(*grid.values())]
    jobs, taken, problems, prints = [], set(), [], {}
    for nb, combo in itertools.product(notebooks, combos):
        decl = declared[nb]
        given = {}
        for name, value in {**parameters, **combo}.items():
            if name in decl:
                try:
                    given[name] = _coerce(value, decl[name])
                except ValueError as exc:
                    problems.append(f"notebook {nb.stem}, parameter {name!r}: {exc}")
        name = _report_name(nb.stem, combo, taken)
        if "output_dir" in decl:
            given["output_dir"] = str((out_dir / name).resolve())
        effective = {k: d.default for k, d in decl.items()} | given
        fps = {}
        for key in (k for k in _PATH_PARAMETERS if isinstance(effective.get(k), str)):
            target = str(nb.parent / Path(effective[key]).expanduser())
            target = target if Path(target).exists() else effective[key]
            if target not in prints:
                prints[target] = fingerprint(target)
            fps[key] = prints[target]
        jobs.append(_Job(name, nb, out_dir, given, effective, fps, show_code, timeout, kernel_name))
    if problems:
        raise RunConfigError("\n".join(problems))
    return jobs


# --------------------------------------------------------------------------- execution


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
                argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
                self._kernel_spec = KernelSpec(
                    argv=argv, display_name=f"Python ({sys.executable})", language="python"
                )
            return self._kernel_spec

    return CurrentPythonKernelManager


def _kernel_options(kernel_name: str | None) -> dict[str, Any]:
    if kernel_name is None:
        return {
            "kernel_name": "python3",
            "language": "python",
            "kernel_manager_class": _kernel_manager_class(),
        }
    return {"kernel_name": kernel_name}


def _check_kernel(kernel_name: str) -> None:
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


def _versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str | None] = {"python": sys.version.split()[0]}
    for key, dist in _VERSIONED.items():
        try:
            found[key] = version(dist)
        except PackageNotFoundError:
            found[key] = None
    return found


def _write_json(path: Path, content: Any) -> None:
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False, default=str) + "\n")


def _execute(job: _Job, error: dict | None = None) -> ReportResult:
    """Execute, render and record one report; with ``error``, only record that failure.

    Never raises for a notebook's failure: the error goes into the report.
    """
    import nbformat

    from workbench import _report_html

    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    ipynb, html = job.out_dir / f"{job.name}.ipynb", job.out_dir / f"{job.name}.html"
    ipynb.unlink(missing_ok=True)  # never render a previous run's notebook
    if "output_dir" in job.given:
        Path(job.given["output_dir"]).mkdir(parents=True, exist_ok=True)
    if error is None:
        import papermill as pm

        try:
            pm.execute_notebook(
                job.notebook,
                ipynb,
                parameters=job.given,
                cwd=str(job.notebook.parent),
                execution_timeout=job.timeout,
                progress_bar=False,
                log_output=False,
                **_kernel_options(job.kernel_name),
            )
        except Exception as exc:  # the failure is the report's content, not the run's end
            error = {
                "name": getattr(exc, "ename", type(exc).__name__),
                "message": str(getattr(exc, "evalue", exc)),
            }
            logger.warning("%s failed: %s: %s", job.name, error["name"], error["message"])
    if ipynb.is_file():
        nb = nbformat.read(ipynb, as_version=4)
    else:  # failed before papermill wrote anything (e.g. the kernel did not start)
        nb = nbformat.read(job.notebook, as_version=4)
        nbformat.write(nb, ipynb)
    text = f"{error['name']}: {error['message']}" if error else None
    header = _report_html.header_cell(
        title=job.name,
        status="failed" if error else "ok",
        error=text,
        parameters=job.parameters,
        given=job.given,
        started=started,
        duration_s=time.perf_counter() - t0,
    )
    title = job.name + (" (FAILED)" if error else "")
    try:
        page = _report_html.render_report(nb, title=title, header=header, show_code=job.show_code)
    except Exception as exc:  # a report must exist even when nbconvert fails
        error = error or {"name": type(exc).__name__, "message": f"rendering failed: {exc}"}
        text = f"{error['name']}: {error['message']}"
        page = _report_html.failure_page(title=title, message=text)
    html.write_text(page, encoding="utf-8")
    return _record(job, nb, html, started, time.perf_counter() - t0, error)


def _record(job, nb, html, started, duration, error) -> ReportResult:
    status = "failed" if error else "ok"
    figures = _collect_figures(nb)
    exports = []
    if "output_dir" in job.given:
        folder = Path(job.given["output_dir"])
        exports = sorted(p.relative_to(job.out_dir).as_posix() for p in folder.rglob("*"))
        if not exports:
            folder.rmdir()
    _write_json(
        job.out_dir / f"{job.name}.summary.json",
        {"report": job.name, "status": status, "error": error, "figures": figures},
    )
    _write_json(
        job.out_dir / f"{job.name}.manifest.json",
        {
            "report": job.name,
            "notebook": str(job.notebook.resolve()),
            "status": status,
            "error": error,
            "parameters": _jsonable(job.parameters, "parameters"),
            "given": sorted(job.given),
            "data_fingerprint": job.fingerprints.get("data"),
            "mapping_fingerprint": job.fingerprints.get("mapping"),
            "seed": job.parameters.get("seed"),
            "versions": _versions(),
            "kernel": job.kernel_name or sys.executable,
            "started": started,
            "duration_s": round(duration, 3),
            "exports": exports,
        },
    )
    return ReportResult(
        job.name,
        job.notebook,
        html,
        status,
        round(duration, 3),
        dict(job.parameters),
        f"{error['name']}: {error['message']}" if error else None,
        figures,
    )


def _execute_all(jobs: list[_Job], *, workers: int, progress: bool) -> list[ReportResult]:
    from tqdm import tqdm

    results: dict[str, ReportResult] = {}
    bar = tqdm(
        total=len(jobs), desc="reports", unit="report", file=sys.stderr, disable=not progress
    )
    with bar:
        if workers <= 1 or len(jobs) == 1:
            for job in jobs:
                results[job.name] = _execute(job)
                bar.update()
        else:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor, as_completed

            # spawn: no forked copies of the parent's threads or zmq state in the workers
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                futures = {pool.submit(_execute, job): job for job in jobs}
                for future in as_completed(futures):
                    job = futures[future]
                    try:
                        results[job.name] = future.result()
                    except Exception as exc:  # worker crashed: record it, keep the others
                        error = {"name": type(exc).__name__, "message": str(exc)}
                        results[job.name] = _execute(job, error=error)
                    bar.update()
                    bar.set_postfix(failed=sum(r.status != "ok" for r in results.values()))
    return [results[job.name] for job in jobs]


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
    grid : mapping of name to list, optional
        One report per combination of values (cartesian product), named
        ``<notebook>__<name>-<value>``.
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

    Returns
    -------
    RunResult
        ``.ok`` is False if any report failed; a failed report still has its HTML.

    Raises
    ------
    RunConfigError
        Before anything runs: unknown notebook or parameter, unconvertible value.
    """
    if isinstance(notebooks, str | Path):
        notebooks = [notebooks]
    names = None if notebooks is None else [str(n) for n in notebooks]
    found = resolve_notebooks(names, notebooks_dir=notebooks_dir)
    if kernel_name is not None:
        _check_kernel(kernel_name)
    paths = list(dict.fromkeys(p.resolve() for p in found))
    out = Path(out_dir)
    params = _anchor_paths(dict(parameters or {}), Path.cwd())
    grid = _anchor_paths(dict(grid or {}), Path.cwd())
    jobs = _plan(paths, params, grid, out, show_code, timeout, kernel_name)
    out.mkdir(parents=True, exist_ok=True)
    started, t0 = dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), time.perf_counter()
    workers = workers or min(2, os.cpu_count() or 1)
    reports = _execute_all(jobs, workers=workers, progress=progress)
    result = RunResult(out, reports)
    _write_index(result, started=started, duration_s=time.perf_counter() - t0)
    logger.info(
        "%d report(s) in %s, %d failed; index: %s",
        len(reports),
        out,
        sum(r.status != "ok" for r in reports),
        result.index,
    )
    return result


def _write_index(result: RunResult, *, started: str, duration_s: float) -> None:
    from workbench import _report_html

    title = f"Reports: {result.out_dir.name}"
    page = _report_html.index_page(result.reports, title=title, created=started)
    result.index.write_text(page, encoding="utf-8")
    reports = [
        dataclasses.asdict(r) | {"notebook": str(r.notebook), "html": r.html.name}
        for r in result.reports
    ]
    _write_json(
        result.out_dir / "run.json",
        {
            "ok": result.ok,
            "started": started,
            "duration_s": round(duration_s, 3),
            "reports": _jsonable(reports, "reports"),
        },
    )


# --------------------------------------------------------------------------- schedules


def _load_schedule(path: Path) -> dict[str, Any]:
    content = _read_yaml_mapping(path)
    for key, value in content.items():
        if key not in _SCHEDULE_KEYS:
            close = difflib.get_close_matches(key, _SCHEDULE_KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise RunConfigError(
                f"{path}: unknown key {key!r}{hint}; allowed: {', '.join(_SCHEDULE_KEYS)}"
            )
        expected = _SCHEDULE_KEYS[key]
        if not isinstance(value, expected) or (isinstance(value, bool) and expected is int):
            want = " or ".join(
                t.__name__ for t in (expected if isinstance(expected, tuple) else (expected,))
            )
            raise RunConfigError(
                f"{path}: key {key!r} must be {want}, got {type(value).__name__} {value!r}"
            )
    notebooks = content.get("notebooks", "all")
    if isinstance(notebooks, list) and not all(isinstance(n, str) for n in notebooks):
        raise RunConfigError(f"{path}: key 'notebooks' must list notebook names")
    if content.get("workers", 1) < 1:
        raise RunConfigError(f"{path}: key 'workers' must be at least 1")
    for section in ("parameters", "grid"):
        for name, values in content.get(section, {}).items():
            if not str(name).isidentifier():
                raise RunConfigError(f"{path}: {section}.{name} is not a parameter name")
            if section == "grid" and (not isinstance(values, list) or not values):
                raise RunConfigError(f"{path}: grid.{name} must be a non-empty list of values")
    return content


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
) -> RunResult:
    """Run a YAML schedule: ``notebooks``, ``parameters``, ``grid``, ``workers``, ``show_code``.

    Optional keys: ``timeout`` (seconds per cell), ``out`` and ``notebooks_dir`` (relative to
    the file). Relative ``data``/``mapping`` paths resolve from the file's folder.

    Parameters
    ----------
    path : str or Path
        The schedule file.
    out_dir : str or Path, optional
        Overrides the file's ``out``; default ``reports/<file stem>``.
    overrides : mapping, optional
        Parameters replacing the file's (e.g. from ``-p``).
    show_code, workers, kernel_name, notebooks_dir, progress
        As in :func:`run`; ``None`` keeps the file's value.

    Raises
    ------
    RunConfigError
        Unknown key or wrong type in the file (naming both), or any :func:`run` usage error.
    """
    path = Path(path)
    spec = _load_schedule(path)
    base = path.parent
    names = spec.get("notebooks", "all")
    folder = notebooks_dir or (base / spec["notebooks_dir"] if "notebooks_dir" in spec else None)
    return run(
        [names] if isinstance(names, str) else names,
        out_dir=out_dir or (base / spec["out"] if "out" in spec else Path("reports", path.stem)),
        parameters=_anchor_paths(spec.get("parameters", {}), base) | dict(overrides or {}),
        grid=_anchor_paths(spec.get("grid", {}), base),
        show_code=spec.get("show_code", False) if show_code is None else show_code,
        workers=workers or spec.get("workers"),
        timeout=spec.get("timeout", 600),
        progress=progress,
        kernel_name=kernel_name,
        notebooks_dir=folder or DEFAULT_NOTEBOOKS_DIR,
    )
