"""Benchmark: `workbench rfm` on the 11.2M-line demo company through each engine.

- ``duckdb``: the Parquet folder read by the embedded DuckDB (the default);
- ``pg -> duckdb``: the same tables in PostgreSQL, streamed by COPY into the embedded DuckDB (the
  default for a ``postgresql://`` source);
- ``in postgres``: ``--engine postgres``, checks and RFM computed by PostgreSQL through Ibis;
- ``spark``: ``--engine spark`` on a local Spark session (``local[N]``, N = the cores), from .venv-spark/.

A throwaway PostgreSQL (tests/pg_server.py) is started and loaded with customers, products and
orders (the three tables RFM reads); loading time is printed but not counted. Each command runs
in its own process, timed whole (interpreter, imports, load, checks, RFM with RFMCCA, export).

Usage::

    workbench demo-data --out bench/out/demo1m_pq --customers 1000000 --format parquet
    python bench/bench_engines.py --data bench/out/demo1m_pq [--only duckdb "in postgres"] [--timeout 1800]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2025-12-31"
TABLES = ("customers", "products", "orders")
ENGINES = ("duckdb", "pg -> duckdb", "in postgres", "spark")


def _server():
    sys.path.insert(0, str(ROOT / "tests"))  # the tests' throwaway server, reused as is
    from pg_server import PASSWORD, PgServer, binaries

    bindir = binaries()
    if bindir is None:
        raise SystemExit("PostgreSQL binaries not found (apt-get install postgresql)")
    return PgServer(bindir).start(), PASSWORD


def _load_pg(server, folder: Path) -> float:
    """The three tables into PostgreSQL: DuckDB writes CSV, COPY FROM STDIN reads it in blocks."""
    import duckdb

    start = time.perf_counter()
    duck = duckdb.connect()
    with server.connect() as con, tempfile.TemporaryDirectory() as tmp:
        for name in TABLES:
            rel = duck.sql(f"SELECT * FROM read_parquet('{folder / (name + '.parquet')}')")
            columns = ", ".join(f'"{c}" {_pg_type(str(t))}' for c, t in zip(rel.columns, rel.types, strict=True))
            con.execute(f'CREATE TABLE "{name}" ({columns})')
            csv = Path(tmp) / f"{name}.csv"
            duck.sql(f"COPY (SELECT * FROM read_parquet('{folder / (name + '.parquet')}')) TO '{csv}' (HEADER false)")
            with con.cursor().copy(f'COPY "{name}" FROM STDIN (FORMAT csv)') as copy, csv.open("rb") as fh:
                while block := fh.read(8 << 20):
                    copy.write(block)
            con.execute(f'ANALYZE "{name}"')
    return time.perf_counter() - start


def _pg_type(kind: str) -> str:
    kind = kind.upper()
    if kind in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT"):
        return "bigint"
    if kind in ("DOUBLE", "FLOAT") or kind.startswith("DECIMAL"):
        return "double precision"
    if kind.startswith("TIMESTAMP"):
        return "timestamp"
    return {"DATE": "date", "BOOLEAN": "boolean"}.get(kind, "text")


def _spark_folder(folder: Path, out: Path) -> Path:
    """Spark refuses nanosecond timestamps: the three tables rewritten in microseconds (by DuckDB)."""
    import duckdb

    out.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        if not (out / f"{name}.parquet").exists():
            rel = duckdb.sql(f"SELECT * FROM read_parquet('{folder / (name + '.parquet')}')")
            cols = ", ".join(f'CAST("{c}" AS TIMESTAMP) AS "{c}"' if str(t) == "TIMESTAMP_NS" else f'"{c}"'
                             for c, t in zip(rel.columns, rel.types, strict=True))
            duckdb.sql(f"COPY (SELECT {cols} FROM read_parquet('{folder / (name + '.parquet')}')) "
                       f"TO '{out / (name + '.parquet')}' (FORMAT parquet)")
    return out


def _time(command: list[str], env: dict, timeout: int) -> tuple[float | None, int, str]:
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, -1, f"stopped after {timeout} s"
    tail = (done.stdout.splitlines() or [""])[0] if done.returncode == 0 else done.stderr.strip()[-300:]
    return time.perf_counter() - start, done.returncode, tail


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "out" / "demo1m_pq")
    parser.add_argument("--only", nargs="*", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--timeout", type=int, default=1800, help="seconds allowed per engine")
    args = parser.parse_args()
    folder = args.data.resolve()
    out = Path(tempfile.mkdtemp(prefix="bench-engines-"))
    server = None
    env = dict(os.environ)
    results, tables = {}, {}
    try:
        if {"pg -> duckdb", "in postgres"} & set(args.only):
            server, password = _server()
            _say(f"PostgreSQL loaded in {_load_pg(server, folder):.1f} s (not counted)")
            env["PGPASSWORD"] = password
        for engine in args.only:
            data = server.url() if engine in ("pg -> duckdb", "in postgres") else str(folder)
            python = ROOT / ".venv" / "bin" / "workbench"
            extra = []
            if engine == "in postgres":
                extra = ["--engine", "postgres"]
            elif engine == "spark":
                python = ROOT / ".venv-spark" / "bin" / "workbench"
                data = str(_spark_folder(folder, ROOT / "bench" / "out" / (folder.name + "_spark")))
                extra = ["--engine", "spark"]
            written = out / f"{engine.replace(' ', '_').replace('>', '')}.parquet"
            command = [str(python), "rfm", "--data", data, "--as-of", AS_OF, "--out", str(written), *extra]
            seconds, code, tail = _time(command, env, args.timeout)
            results[engine] = seconds if code == 0 else None
            tables[engine] = written if code == 0 else None
            shown = f"{seconds:8.1f} s" if seconds is not None else "   (none)"
            _say(f"{engine:14} {shown}  exit {code}  {tail}")
    finally:
        if server is not None:
            server.stop()
    base = results.get("duckdb")
    if base:
        _say("\nratio to duckdb: " + ", ".join(f"{k} {v / base:.2f}" for k, v in results.items() if v))
    for engine, written in tables.items():
        if engine != "duckdb" and written is not None and tables.get("duckdb") is not None:
            _say(f"{engine} vs duckdb: {_differences(written, tables['duckdb'])}")


def _differences(got: Path, expected: Path) -> str:
    """Rows that differ, column by column (floats beyond 1e-9 relative), between two exports."""
    import numpy as np
    import pandas as pd

    a = pd.read_parquet(got).set_index("customer_id").sort_index()
    b = pd.read_parquet(expected).set_index("customer_id").sort_index()
    if not a.index.equals(b.index) or list(a.columns) != list(b.columns):
        return f"not the same customers or columns ({len(a)} vs {len(b)} rows)"
    counts = {}
    for col in a.columns:
        x, y = a[col], b[col]
        if pd.api.types.is_float_dtype(x) and pd.api.types.is_float_dtype(y):
            same = np.isclose(x.to_numpy(float), y.to_numpy(float), rtol=1e-9, atol=0, equal_nan=True)
        else:
            same = (x.astype("string").fillna("<NA>") == y.astype("string").fillna("<NA>")).to_numpy(bool)
        if (~same).sum():
            counts[col] = int((~same).sum())
    return f"{len(a):,} rows; identical" if not counts else f"{len(a):,} rows; differing: {counts}"


if __name__ == "__main__":
    main()
