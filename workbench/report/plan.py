"""Planning a run: the notebooks, then one job per notebook and grid combination.

Private to :mod:`workbench.report`. Every check runs here, before anything executes. A job holds
the converted parameters, the report's unique name, and the fingerprints of its data and
mapping for the manifest.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.report.params import coerce, declared_parameters
from workbench.report.results import (
    DEFAULT_NOTEBOOKS_DIR,
    PATH_PARAMETERS,
    SHARED_PARAMETERS,
    RunConfigError,
)


@dataclass(frozen=True)
class Job:
    """One report to execute: ``given`` goes to papermill, ``parameters`` adds the defaults."""

    name: str
    notebook: Path
    out_dir: Path
    given: dict[str, Any]
    parameters: dict[str, Any]
    fingerprints: dict[str, str]
    show_code: bool
    timeout: float | None
    kernel_name: str | None
    #: Run the cells tagged ``solution`` (exercise solutions); by default they are left out.
    solutions: bool = False


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
        ``"sha256:<hex>"`` over the file's size and content, or for a folder over every file's
        relative path, size and content in sorted order (hidden files skipped), streamed in
        1 MiB chunks;
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


def _check_names(notebooks: list[Path], declared: dict[Path, dict], names: list[str]) -> None:
    """Apply the parameter rule to the given names; RunConfigError naming every offence."""
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


#: Longest report name: with ``.manifest.json`` and a ``-2`` suffix it stays far below 255 bytes.
MAX_NAME = 120


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "_", text).strip("._") or "x"


def report_name(stem: str, combo: Mapping[str, Any], taken: set[str]) -> str:
    """File-safe report name ``<stem>__<name>-<value>...``, suffixed ``-2``... if `taken`."""
    base = "__".join([_slug(stem), *(f"{_slug(k)}-{_slug(str(v))}" for k, v in combo.items())])
    if len(base) > MAX_NAME:  # file systems refuse names over 255 bytes: cap, and hash the rest
        base = f"{base[:MAX_NAME - 13]}-{hashlib.sha256(base.encode()).hexdigest()[:12]}"
    name, i = base, 2
    while name.lower() in taken:
        name, i = f"{base}-{i}", i + 1
    taken.add(name.lower())
    return name


def plan(notebooks, parameters, grid, out_dir, show_code, timeout, kernel_name,
         labels: Mapping[str, Mapping[str, str]] | None = None,
         per_notebook: Mapping[str, Mapping[str, Any]] | None = None,
         solutions: bool = False) -> list[Job]:
    """One job per notebook and grid combination (notebook-major), named uniquely.

    `labels` name a grid value in report names when the value itself would not (the
    ``other`` bucket of a grid drawn from data: ``{"sales_rep": {"A; B": "Other reps"}}``).
    `per_notebook` adds parameters for one notebook only, by stem (``{"04_campaign_roi":
    {"uplift_features": ""}}``): each must be declared by that notebook.

    Raises
    ------
    RunConfigError
        Listing every problem at once: a name both given and in the grid, an empty grid, a name
        no notebook may take (see the parameter rule), a value that does not convert.
    """
    grid = {k: (list(v) if isinstance(v, list | tuple) else [v]) for k, v in grid.items()}
    both = sorted(set(parameters) & set(grid))
    if both:
        raise RunConfigError(f"parameter(s) {', '.join(both)} given both as value and in grid")
    if any(not values for values in grid.values()):
        raise RunConfigError("every grid parameter needs at least one value")
    declared = {nb: declared_parameters(nb) for nb in notebooks}
    _check_names(notebooks, declared, [*parameters, *grid])
    per_notebook = dict(per_notebook or {})
    stems = {nb.stem: nb for nb in notebooks}
    unknown = sorted(set(per_notebook) - set(stems))
    if unknown:
        raise RunConfigError(f"parameters for notebook(s) {', '.join(unknown)}, which the run does "
                             f"not include ({', '.join(stems)})")
    for stem, extra in per_notebook.items():
        _check_names([stems[stem]], declared, list(extra))
    combos = [dict(zip(grid, vals, strict=True)) for vals in itertools.product(*grid.values())]
    jobs, taken, problems, prints = [], set(), [], {}
    for nb, combo in itertools.product(notebooks, combos):
        decl = declared[nb]
        given = {}
        for name, value in {**parameters, **per_notebook.get(nb.stem, {}), **combo}.items():
            if name in decl:
                try:
                    given[name] = coerce(value, decl[name])
                except ValueError as exc:
                    problems.append(f"notebook {nb.stem}, parameter {name!r}: {exc}")
        shown = {k: (labels or {}).get(k, {}).get(v, v) for k, v in combo.items()}
        name = report_name(nb.stem, shown, taken)
        if "output_dir" in decl:
            given["output_dir"] = str((out_dir / name).resolve())
        effective = {k: d.default for k, d in decl.items()} | given
        fps = {}
        for key in (k for k in PATH_PARAMETERS if isinstance(effective.get(k), str)):
            target = str(nb.parent / Path(effective[key]).expanduser())
            target = target if Path(target).exists() else effective[key]
            if target not in prints:
                prints[target] = fingerprint(target)
            fps[key] = prints[target]
        jobs.append(Job(name, nb, out_dir, given, effective, fps, show_code, timeout, kernel_name,
                        solutions))
    if problems:
        raise RunConfigError("\n".join(problems))
    return jobs
