"""Benchmark: the commands users type, whole process, against hand-written baselines on the same files.

For a demo company written as Parquet and as CSV (``workbench demo-data``), each command runs in
its own process under ``/usr/bin/time -v`` (wall time and peak resident memory of the whole
process, interpreter and imports included), interleaved, and the median of ``--repeat`` runs
is kept:

- ``workbench rfm --data DIR --as-of ... --out ...``: tables read when used (orders, customers
  and products, the parents orders refer to), every contract check, RFM, scores, RFMCCA, grid,
  segments, the per-customer export;
- ``workbench validate DIR --as-of ...``: every table of the source, every check, the summary;
- ``duckdb sql``: one hand-written DuckDB query on the orders file (recency, frequency,
  monetary, NTILE scores, CASE segments; the same as ``bench_rfm.py``), no checks;
- ``pandas``: read the orders file's four columns, groupby, ``qcut`` scores, no checks;
- ``main rfm`` (with ``--main /work/main``): ``workbench rfm`` of another checkout, e.g. main's
  pandas load of text files, to compare paths on the same files in the same run.

Each run reports wall time, CPU time (user + system: steadier than wall time on a shared
machine) and peak RSS.

Usage::

    python bench/bench_cli.py --data bench/out/demo1m_pq bench/out/demo1m_csv --repeat 3
    python bench/bench_cli.py --data bench/out/demo10m_pq --only "workbench rfm" "duckdb sql" \
        --memory-limit 2GB --repeat 1
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_rfm import AS_OF, SQL  # noqa: E402  (a script beside this one)

COMMANDS = ("workbench rfm", "workbench validate", "duckdb sql", "pandas", "main rfm")
#: A checkout of another branch (``--main /work/main``): its ``.venv/bin/workbench`` runs "main rfm".
OTHER: dict[str, Path] = {}


def _orders(folder: Path) -> tuple[Path, str]:
    for suffix, kind in ((".parquet", "parquet"), (".csv", "csv"), (".csv.gz", "csv")):
        if (folder / f"orders{suffix}").exists():
            return folder / f"orders{suffix}", kind
    raise SystemExit(f"{folder}: no orders file")


def _argv(command: str, folder: Path, out: Path, memory_limit: str) -> list[str]:
    exe = Path(sys.executable).parent / "workbench"
    limit = ["--memory-limit", memory_limit] if memory_limit else []
    if command == "main rfm":  # the other checkout's command line, as its users type it
        return [str(OTHER["main"] / ".venv" / "bin" / "workbench"), "rfm", "--data", str(folder), "--as-of", AS_OF,
                "--out", str(out / f"rfm_main_{folder.name}.parquet")]
    if command == "workbench rfm":
        return [str(exe), "rfm", "--data", str(folder), "--as-of", AS_OF, "--out",
                str(out / f"rfm_{folder.name}.parquet"), *limit]
    if command == "workbench validate":
        return [str(exe), "validate", str(folder), "--as-of", AS_OF, *limit]
    return [sys.executable, __file__, "--child", command, str(folder), memory_limit]


def _child(command: str, folder: Path, memory_limit: str) -> None:
    file, kind = _orders(folder)
    if command == "duckdb sql":
        import duckdb

        config = {"memory_limit": memory_limit} if memory_limit else {}
        reader = f"read_{kind}('{file}')"
        sql = SQL.replace("read_parquet('{file}')", reader).format(as_of=AS_OF)
        out = duckdb.connect(config=config).sql(sql).df()
    else:
        import numpy as np
        import pandas as pd

        cols = ["customer_id", "order_id", "order_date", "amount"]
        o = pd.read_parquet(file, columns=cols) if kind == "parquet" else pd.read_csv(
            file, usecols=cols, parse_dates=["order_date"], dtype={"customer_id": str, "order_id": str})
        o = o[o["order_date"] <= pd.Timestamp(AS_OF)]
        g = o[o["amount"] > 0].groupby("customer_id")
        out = pd.DataFrame({"frequency": g["order_id"].nunique(), "last": g["order_date"].max(),
                            "monetary": o.groupby("customer_id")["amount"].sum()})
        out = out[out["frequency"] > 0]
        out["r"] = 5 - pd.qcut((pd.Timestamp(AS_OF) - out["last"]).dt.days.rank(method="first"), 5, labels=False)
        out["f"] = 1 + pd.qcut(out["frequency"].rank(method="first"), 5, labels=False)
        out["m"] = 1 + pd.qcut(out["monetary"], 5, labels=False)
        out["segment"] = np.where((out["r"] >= 4) & (out["f"] >= 4), "Champions", "Other")
    sys.stdout.write(f"{len(out)} customers\n")


def _measure(argv: list[str]) -> dict:
    proc = subprocess.run(["/usr/bin/time", "-v", *argv], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", proc.stderr).group(1)
    seconds = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall.split(":"))))
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1)) / 1024
    cpu = sum(float(re.search(rf"{k} time \(seconds\): (\S+)", proc.stderr).group(1)) for k in ("User", "System"))
    return {"wall_s": seconds, "peak_mb": peak, "cpu_s": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, nargs="+", help="demo folders (Parquet and/or CSV)")
    parser.add_argument("--only", choices=COMMANDS, nargs="+", default=list(COMMANDS))
    parser.add_argument("--repeat", type=int, default=3, help="runs per command (the median is kept)")
    parser.add_argument("--memory-limit", default="", help="DuckDB memory_limit for every engine run")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--main", type=Path, help="another checkout (with its .venv) for the 'main rfm' command")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.main:
        OTHER["main"] = args.main
    elif "main rfm" in args.only:
        args.only = [c for c in args.only if c != "main rfm"]
    if args.child:
        _child(args.child[0], Path(args.child[1]), args.child[2])
        return
    args.out.mkdir(parents=True, exist_ok=True)
    runs: dict[tuple[str, str], list[dict]] = {}
    for _ in range(args.repeat):
        for folder in args.data:  # interleaved: a busy moment does not hit one command only
            for command in args.only:
                r = _measure(_argv(command, folder, args.out, args.memory_limit))
                runs.setdefault((folder.name, command), []).append(r)
                sys.stderr.write(f"{folder.name:<14} {command:<20} {r['wall_s']:7.1f} s {r['cpu_s']:7.1f} s CPU "
                                 f"{r['peak_mb']:8,.0f} MB\n")
    rows = []
    for (folder, command), rs in runs.items():
        rows.append({"data": folder, "command": command,
                     "wall_s": statistics.median(r["wall_s"] for r in rs),
                     "peak_mb": statistics.median(r["peak_mb"] for r in rs),
                     "cpu_s": statistics.median(r["cpu_s"] for r in rs), "runs": rs})
    sys.stdout.write("| data | command | wall s (median) | CPU s (median) | peak MB (median) | wall / sql | "
                     "peak / sql |\n")
    sys.stdout.write("|---|---|---|---|---|---|---|\n")
    for r in rows:
        sql = next((x for x in rows if x["data"] == r["data"] and x["command"] == "duckdb sql"), None)
        ratio = (f"{r['wall_s'] / sql['wall_s']:.2f}", f"{r['peak_mb'] / sql['peak_mb']:.2f}") if sql else ("", "")
        sys.stdout.write(f"| {r['data']} | `{r['command']}` | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['peak_mb']:,.0f} | "
                         f"{ratio[0]} | {ratio[1]} |\n")
    (args.out / "bench_cli.json").write_text(json.dumps(
        {"as_of": AS_OF, "memory_limit": args.memory_limit, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
