"""The ``workbench`` command: demo data, validation, headless report runs.

Exit codes (stable, for cron and CI):

- 0: success (``validate``: the source loaded; rejected rows are listed but not fatal unless ``--strict``);
- 1: some report failed (``run``; a report with status ``warnings`` ran to the end: exit 0), or rows were rejected with ``validate --strict``;
- 2: bad usage: unknown option or parameter, bad schedule or mapping file;
- 3: a fatal data problem: a file that cannot be read, a required column missing;
- 4: the system refused a write or a read (read-only folder, disk full, name too long, no
  permission): the message names the file; no partial file is left as a result;
- 130: interrupted (Ctrl-C, or SIGTERM for ``run``, which then marks unfinished reports cancelled).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import pandas as pd

__all__ = ["main"]

log = logging.getLogger("workbench")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_DATA, EXIT_OS, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workbench", description=__doc__.split("\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo-data", help="write the planted-truth demo company to files")
    demo.add_argument("--out", required=True, type=Path, help="folder to write into")
    demo.add_argument("--customers", type=int, default=None,
                      help="number of customers (default 4000; 400 for a --shape)")
    demo.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    demo.add_argument("--format", choices=["csv", "parquet"], default="csv", dest="file_format")
    demo.add_argument("--chunk-customers", type=int, default=100_000,
                      help="customers generated per chunk: bounds memory for large sizes")
    demo.add_argument("--shape", default=None, metavar="NAME",
                      help="write a degraded variant, a shape real exports have: "
                           "no_control_groups, two_years, survey_only... (see data/README.md)")

    val = sub.add_parser("validate", help="load a source, check it against the contract, print the summary")
    val.add_argument("data", help="folder of exports, a file, a DuckDB database, or 'demo'")
    val.add_argument("--mapping", help="YAML mapping of the export's columns onto the contract")
    val.add_argument("--as-of", help="analysis date: later dates are impossible (YYYY-MM-DD)")
    val.add_argument("--rejects", type=Path, help="write the rejects (one line per problem) to this CSV")
    val.add_argument("--strict", action="store_true", help="exit 1 when any row is rejected")
    val.add_argument("--memory-limit", help="DuckDB memory_limit, e.g. 2GB (beyond it the engine spills to disk)")
    val.add_argument("--pseudonymise", action="store_true", help="replace customer ids by keyed hashes, drop names, e-mails, phones, addresses")
    val.add_argument("--allow-outside", action="store_true",
                     help="let the mapping's file: read outside the data folder")

    run = sub.add_parser("run", help="execute notebooks headless and render HTML reports")
    run.add_argument("notebooks", nargs="*", help="notebook names (e.g. 00_data_quality); none = all")
    run.add_argument("--all", action="store_true", help="run every notebook in notebooks/")
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                     metavar=("NAME", "VALUE"), help="set a notebook parameter (repeatable)")
    run.add_argument("--parameters", type=Path, help="YAML file of parameters")
    run.add_argument("--schedule", type=Path, help="YAML schedule with a parameter grid")
    run.add_argument("--out", type=Path, help="run folder (default reports/<run name>)")
    run.add_argument("--name", default="latest", help="run name, used for the default --out")
    run.add_argument("--show-code", action="store_true", help="show code cells in the HTML (trainers)")
    run.add_argument("--solutions", action="store_true",
                     help="run and show the exercises' solutions (cells tagged solution; trainers)")
    run.add_argument("--workers", type=int, default=None, help="parallel processes (default: 2 or fewer)")
    run.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    run.add_argument("--notebooks-dir", type=Path, default=None, help="where the notebooks are")
    run.add_argument("--pdf", action="store_true",
                     help="also print each report as PDF with headless Chromium (the index links both)")
    run.add_argument("--today", default=None,
                     help="the run's date (YYYY-MM-DD) for relative dates such as "
                          "'as_of: end of last month' (default: today); replays a past run")
    run.add_argument("--pseudonymise", action="store_true",
                     help="every report and export with keyed-hash customer ids and no names, "
                          "e-mails, phones or addresses (sets the notebooks' pseudonymise parameter)")

    sch = sub.add_parser("schedule", help="print (or install) a crontab line or systemd timer "
                                          "that runs a schedule")
    sch.add_argument("schedule", type=Path, help="the schedule's YAML file")
    sch.add_argument("--cron", required=True,
                     help='when, as a cron expression, e.g. "0 6 1 * *" (06:00 on the 1st) or @monthly')
    sch.add_argument("--systemd", action="store_true", help="a systemd user timer instead of cron")
    sch.add_argument("--install", action="store_true",
                     help="install it (user crontab, or ~/.config/systemd/user) instead of printing it")
    sch.add_argument("--log", type=Path, default=None,
                     help="file the runs append their output to (default: reports/<schedule>.log)")

    from workbench.cli_slides import add_parser as add_slides

    add_slides(sub)

    rfm = sub.add_parser("rfm", help="score every customer (RFM, points, grade, segment, class) to CSV/Parquet")
    rfm.add_argument("--data", required=True, help="folder of exports, a file, a DuckDB database, or 'demo'")
    rfm.add_argument("--mapping", help="YAML mapping of the export's columns onto the contract")
    rfm.add_argument("--as-of", required=True, help="analysis date (YYYY-MM-DD), inclusive")
    rfm.add_argument("--out", required=True, type=Path, help="file to write: .csv or .parquet")
    rfm.add_argument("--grid", default="", help="YAML scoring grid (default: data/grids/default_grid.yml)")
    rfm.add_argument("--bins", type=int, default=5, help="quantile bins per dimension (default 5)")
    rfm.add_argument("--seed", type=int, default=42, help="demo data only: seed (default 42)")
    rfm.add_argument("--memory-limit", help="DuckDB memory_limit, e.g. 2GB (beyond it the engine spills to disk)")
    rfm.add_argument("--pseudonymise", action="store_true", help="replace customer ids by keyed hashes, drop names, e-mails, phones, addresses")
    rfm.add_argument("--allow-outside", action="store_true",
                     help="let the mapping's file: read outside the data folder")
    rfm.add_argument("--engine", choices=["duckdb", "postgres", "spark"], default="duckdb",
                     help="where to check and compute: the embedded DuckDB (default; a database is read "
                          "into it), inside PostgreSQL, or on Spark (a folder of Parquet files)")
    rfm.add_argument("--spark-master", default=None,
                     help="--engine spark: the cluster's master (spark://host:7077, yarn...); default local[N], N = the cores")
    rfm.add_argument("--partitions", type=int, default=1,
                     help="score N ranges of customers one after the other, each appended to --out (same rows as "
                          "1): memory holds one range's table, about 330 MB per million customers; default 1")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    from workbench.data.mapping import MappingError
    from workbench.data.sources import SourceError
    from workbench.data.validation import ContractError

    try:
        from workbench.cli_slides import slides_command

        commands = {"demo-data": _demo, "validate": _validate, "run": _run, "rfm": _rfm,
                    "schedule": _schedule, "slides": slides_command}
        return commands[args.command](args)
    except MappingError as exc:
        _err(f"mapping error: {exc}")
        return EXIT_USAGE
    except (SourceError, ContractError) as exc:
        _err(f"data error: {exc}")
        return EXIT_DATA
    except OSError as exc:  # read-only folder, disk full, name too long: a message, not a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        _err(f"system error: {where}{exc.strerror or exc}")
        return EXIT_OS
    except KeyboardInterrupt:
        _err("interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:  # DuckDB past its memory limit: a message, not a traceback
        if type(exc).__name__ != "OutOfMemoryException":
            raise
        why = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if not hasattr(args, "memory_limit"):
            _err(f"out of memory: the engine could not get the memory one step needed ({why})")
            return EXIT_OS
        limit = args.memory_limit
        _err(f"out of memory: the engine needed more than {f'--memory-limit {limit}' if limit else 'it could get'} "
             f"for one step ({why}); nothing was written. Give it more with --memory-limit: it spills what it "
             "can to disk, but some steps (distinct orders per customer) must fit")
        return EXIT_OS


def _err(message: str) -> None:
    sys.stderr.write(f"workbench: {message}\n")


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


_BAD = object()


def _date_option(value: str | None, option: str):
    """A YYYY-MM-DD option as a Timestamp; None if absent; _BAD (after saying why) if unreadable."""
    if value in (None, ""):
        return None
    try:
        return pd.Timestamp(pd.to_datetime(value, format="%Y-%m-%d"))
    except (ValueError, TypeError):
        _err(f"{option} {value!r} is not a date: write it as YYYY-MM-DD, e.g. 2025-12-31")
        return _BAD


def _demo(args) -> int:
    from workbench import demo

    if args.shape is not None and args.shape not in demo.SHAPES:
        _err(f"--shape {args.shape}: no such shape; give one of {', '.join(demo.SHAPES)}")
        return EXIT_USAGE
    out = demo.write(args.out, customers=args.customers, seed=args.seed, file_format=args.file_format,
                     chunk_customers=args.chunk_customers, progress=sys.stderr.isatty(),
                     shape=args.shape)
    size = args.customers or (4000 if args.shape is None else demo.SHAPE_CUSTOMERS)
    what = "demo company" if args.shape is None else f"demo shape {args.shape}"
    _out(f"{what} written to {out} ({size} customers, seed {args.seed})")
    return EXIT_OK


def _validate(args) -> int:
    from workbench.data.dataset import load
    from workbench.data.quality import summary_text
    from workbench.exports import write_csv

    as_of = _date_option(args.as_of, "--as-of")
    if as_of is _BAD:
        return EXIT_USAGE
    crm = load(args.data, mapping=args.mapping, as_of=as_of, allow_outside=args.allow_outside,
               pseudonymise=args.pseudonymise, memory_limit=args.memory_limit).load_all()
    _out(summary_text(crm))
    if args.rejects is not None:
        try:  # with a BOM, so that Excel shows accents
            write_csv(crm.rejects, args.rejects)
        except OSError as exc:
            _err(f"cannot write the rejects to {args.rejects}: {exc.strerror or exc}")
            return EXIT_USAGE
        _out(f"rejects written to {args.rejects}")
    return EXIT_FAILED if (args.strict and not crm.ok) else EXIT_OK


def _run(args) -> int:
    from workbench import report

    today = _date_option(args.today, "--today")
    if today is _BAD:
        return EXIT_USAGE
    today = None if today is None else today.date()
    try:
        parameters = report.load_parameters_file(args.parameters) if args.parameters else {}
        parameters.update(report.parse_parameter_pairs(args.parameter))
        if args.pseudonymise:
            import os
            import secrets

            from workbench.data.privacy import KEY_VARIABLE

            parameters["pseudonymise"] = True
            # one key for the whole run, inherited by its kernels: pseudonyms match across reports
            os.environ.setdefault(KEY_VARIABLE, secrets.token_hex(32))
        refused = _password_in_url(parameters.get("data"))
        if refused:
            _err(refused)
            return EXIT_USAGE
        if args.schedule:
            result = report.run_schedule(args.schedule, out_dir=args.out, overrides=parameters,
                                         show_code=args.show_code or None, workers=args.workers,
                                         notebooks_dir=args.notebooks_dir, today=today,
                                         pdf=args.pdf or None, solutions=args.solutions or None)
        else:
            names = None if (args.all or not args.notebooks) else args.notebooks
            notebooks = report.resolve_notebooks(names, notebooks_dir=args.notebooks_dir or "notebooks")
            out = args.out or Path("reports") / args.name
            result = report.run(notebooks, parameters=parameters, out_dir=out,
                                show_code=args.show_code, workers=args.workers,
                                timeout=args.timeout, notebooks_dir=args.notebooks_dir or "notebooks",
                                today=today, pdf=args.pdf, solutions=args.solutions)
    except report.RunConfigError as exc:
        _err(str(exc))
        return EXIT_USAGE
    for r in result.reports:
        _out(f"{r.status:8}  {r.duration_s:6.1f}s  {r.html}" + (f"  {r.pdf.name}" if r.pdf else ""))
        if r.error:
            _err(f"{r.name} failed: {r.error}")
        for warning in r.warnings:
            _out(f"          warning: {warning}")
    _out(f"index: {result.index}")
    return result.exit_code


def _password_in_url(data) -> str | None:
    """Why a `data` URL holding a password is refused (parameters land in manifests), else None."""
    from workbench.data.postgres import is_postgres, mask_url, parse_url

    if not is_postgres(data) or not parse_url(data).has_password:
        return None
    return (f"data {mask_url(data)}: a report keeps its parameters (manifest, index), so the URL must not "
            "hold the password; leave it out and set PGPASSWORD, or a line in ~/.pgpass "
            "(host:port:database:user:password)")


def _schedule(args) -> int:
    """Print or install the crontab line / systemd units that run a schedule (exit 2 if bad)."""
    from workbench import report
    from workbench.report import cron

    path = args.schedule.resolve()
    try:
        report.load_schedule(path)
        expression = cron.check_cron(args.cron)
        if args.systemd:
            cron.on_calendar(expression)
    except (report.RunConfigError, ValueError) as exc:
        _err(str(exc))
        return EXIT_USAGE
    program = Path(sys.executable).with_name("workbench")
    log_file = (args.log or Path("reports") / f"{path.stem}.log").resolve()
    command = cron.ScheduleCommand(path, program, Path.cwd().resolve(), log_file)
    if not args.install:
        if args.systemd:
            for name, text in command.systemd_units(expression).items():
                _out(f"# {name}\n{text}")
        else:
            _out(command.cron_line(expression))
        return EXIT_OK
    log_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        if args.systemd:
            folder = Path.home() / ".config" / "systemd" / "user"
            for unit in cron.write_systemd_units(command, expression, folder=folder):
                _out(f"wrote {unit}")
            _out(f"enable it: systemctl --user daemon-reload && systemctl --user enable --now "
                 f"{command.name}.timer")
        else:
            _out(f"installed in your crontab: {cron.install_crontab(command, expression)}")
    except OSError as exc:
        _err(f"cannot install: {exc}")
        return EXIT_USAGE
    return EXIT_OK


def _rfm(args) -> int:
    """Score every customer and write the per-customer table; exit 2 for a bad grid, 3 for bad data."""
    import pandas as pd

    from workbench import rfm
    from workbench.data.dataset import load

    if args.out.suffix.lower() not in (".csv", ".parquet"):
        _err(f"--out {args.out}: give a .csv or .parquet file")
        return EXIT_USAGE
    try:
        as_of = pd.Timestamp(args.as_of)
        grid = rfm.ScoringGrid.coerce(args.grid)
    except ValueError as exc:  # a bad date, or rfm.GridError
        _err(f"usage error: {exc}")
        return EXIT_USAGE
    if args.partitions < 1 or (args.partitions > 1 and args.engine != "duckdb"):
        _err(f"--partitions {args.partitions}: give 1 or more, with the embedded engine (--engine duckdb)")
        return EXIT_USAGE
    if args.engine != "duckdb":
        return _rfm_remote(args, as_of, grid)
    crm = load(args.data, mapping=args.mapping, as_of=as_of, seed=args.seed,
               allow_outside=args.allow_outside, pseudonymise=args.pseudonymise, memory_limit=args.memory_limit)
    if args.partitions > 1:  # range by range, straight into the file (rfm.score_to_file)
        def score():
            return rfm.score_to_file(crm, args.out, as_of=as_of, partitions=args.partitions, grid=grid,
                                     bins=args.bins, progress=sys.stderr.isatty())
    else:
        def score():
            return rfm.score(crm, as_of=as_of, grid=grid, bins=args.bins)
    return _rfm_scored(score, args, as_of, notes=lambda: crm.notes, quality=lambda: crm.loaded_quality)


def _rfm_scored(score, args, as_of, *, notes, quality) -> int:
    """Score (a grid or input error is an exit code), export, and print the summary; `notes` and `quality`
    are read after scoring, which loads the tables it needs. `score` gives an RFMResult (exported
    here) or the PartitionedRun of rfm.score_to_file (which wrote the file itself)."""
    from workbench import rfm

    try:
        result = score()
    except rfm.GridError as exc:
        _err(f"grid error: {exc}")
        return EXIT_USAGE
    except rfm.RFMInputError as exc:
        _err(f"data error: {exc}")
        return EXIT_DATA
    if isinstance(result, rfm.PartitionedRun):
        path, grades, sizes = result.path, result.grades, result.segment_sizes
        how = f" in {result.partitions} partitions"
    else:
        path, grades, sizes, how = rfm.export(result, args.out), result.grade_summary(), result.segment_report.sizes, ""
    counts = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in result.counts.items())
    _out(f"{result.counts['customers']:,} customers scored as of {as_of:%Y-%m-%d}{how} -> {path} ({counts})")
    _out(grades.to_string(index=False))
    _out(sizes.to_string(index=False))
    for note in [*notes(), *result.notes]:
        _out(f"note: {note}")
    quality = quality()
    rejected = int(quality["rejected"].sum())  # the tables scoring read; no others
    if rejected:
        _out(f"note: {rejected:,} rows of {', '.join(quality['table'])} were rejected at loading "
             "(run `workbench validate` for the reasons)")
    return EXIT_OK


def _rfm_remote(args, as_of, grid) -> int:
    """RFM computed where the data lives (PostgreSQL, Spark): the per-customer table comes back, nothing else."""
    from workbench import rfm
    from workbench.data.backends import backend_errors, load_remote

    if args.pseudonymise or args.memory_limit:
        _err(f"--engine {args.engine}: --pseudonymise and --memory-limit apply to the embedded engine only")
        return EXIT_USAGE
    source = load_remote(args.data, engine=args.engine, mapping=args.mapping, as_of=as_of, seed=args.seed,
                         tables=["customers", "products", "orders"], spark_master=args.spark_master)
    if "orders" not in source:
        _err(f"data error: RFM scoring needs the orders table, which {source.source} does not provide")
        return EXIT_DATA
    customers = source.table("customers") if "customers" in source else None

    def score():
        with backend_errors(source):
            return rfm.score(source.table("orders"), customers=customers, as_of=as_of, grid=grid, bins=args.bins)

    return _rfm_scored(score, args, as_of, notes=lambda: source.notes, quality=lambda: source.quality)
