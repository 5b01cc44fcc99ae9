"""``workbench slides NOTEBOOK``: a reveal.js deck that opens offline (its own module: cli.py
stays a table of contents)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

__all__ = ["add_parser", "slides_command"]


def add_parser(sub) -> None:
    """The ``slides`` sub-command's options."""
    sl = sub.add_parser("slides", help="write a reveal.js slide deck of a notebook, that opens offline")
    sl.add_argument("notebook", help="notebook name (e.g. 02_rfm_scoring) or path")
    sl.add_argument("--out", type=Path, default=None,
                    help="the deck's HTML file (default reports/slides/<notebook>.slides.html)")
    sl.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                    metavar=("NAME", "VALUE"), help="set a notebook parameter for the run (repeatable)")
    sl.add_argument("--solutions", action="store_true", help="run and show the exercises' solutions")
    sl.add_argument("--show-code", action="store_true", help="show the code of each cell")
    sl.add_argument("--notebooks-dir", type=Path, default=Path("notebooks"), help="where the notebooks are")
    source = sl.add_mutually_exclusive_group()
    source.add_argument("--from-report", type=Path, default=None, metavar="IPYNB",
                        help="use a notebook a run already executed (reports/<run>/<name>.ipynb) "
                             "instead of running it")
    source.add_argument("--no-run", action="store_true",
                        help="the notebook as it stands, without running it (narrative and any outputs)")
    sl.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")


def _executed(args, notebook: Path, folder: Path):
    """The executed notebook (None after saying why when the run failed)."""
    import nbformat

    from workbench import report

    parameters = report.parse_parameter_pairs(args.parameter)
    result = report.run([notebook], out_dir=folder, parameters=parameters, workers=1,
                        progress=False, timeout=args.timeout, notebooks_dir=args.notebooks_dir,
                        solutions=args.solutions)
    r = result.reports[0]
    if r.status == "failed":
        sys.stderr.write(f"workbench: {notebook.stem} failed: {r.error} (report: {r.html})\n")
        return None
    return nbformat.read(folder / f"{r.name}.ipynb", as_version=4)


def slides_command(args) -> int:
    """Run (or read) the notebook and write its deck; exit 1 if the run failed, 2 for bad usage."""
    import nbformat

    from workbench import report
    from workbench.report.slides import render_deck

    try:
        notebook = report.resolve_notebooks([args.notebook], notebooks_dir=args.notebooks_dir)[0]
    except report.RunConfigError as exc:
        sys.stderr.write(f"workbench: {exc}\n")
        return 2
    out = args.out or Path("reports") / "slides" / f"{notebook.stem}.slides.html"
    if args.from_report is not None:
        nb = nbformat.read(args.from_report, as_version=4)
    elif args.no_run:
        nb = nbformat.read(notebook, as_version=4)
    else:
        try:
            with tempfile.TemporaryDirectory(prefix="workbench-slides-") as folder:
                nb = _executed(args, notebook, Path(folder))
        except report.RunConfigError as exc:
            sys.stderr.write(f"workbench: {exc}\n")
            return 2
        if nb is None:
            return 1
    title = next((c.source.lstrip("# ").splitlines()[0] for c in nb.cells
                  if c.cell_type == "markdown" and c.source.startswith("#")), notebook.stem)
    page = render_deck(nb, title=title, show_code=args.show_code, solutions=args.solutions)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    sys.stdout.write(f"slides: {out} (open it in a browser; arrows to move, Esc for the overview)\n")
    return 0
