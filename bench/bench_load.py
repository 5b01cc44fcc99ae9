"""Benchmark: load + validate + per-customer aggregation (recency, frequency, monetary).

Generates the demo company as Parquet at two sizes (about 1M and 10M order lines), then runs
each pipeline in a fresh process (so that peak memory is its own) and prints wall time,
rows per second and peak RSS, with ratios against a plain pandas baseline measured in the
same run on the same files:

- ``workbench``: ``wb.load`` (read, parse, contract checks incl. referential integrity
  against customers, rejects) then ``rfm_table`` inside the engine (Ibis on DuckDB);
- ``engine only``: ``rfm_table`` on ``ibis.read_parquet`` (no pandas, no validation): the
  path for data too large for pandas;
- ``pandas baseline``: ``pd.read_parquet`` and a groupby, no checks.

Usage: ``python bench/bench_load.py [--sizes 1000000 10000000] [--out bench/out]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

AS_OF = "2025-12-31"
LINES_PER_CUSTOMER = 10  # the demo generator's average, used to size the customer base


def _child(pipeline: str, folder: Path) -> dict:
    import pandas as pd

    started = time.perf_counter()
    stages = {}
    if pipeline == "workbench":
        import workbench as wb
        from workbench.rfm import rfm_table

        crm = wb.load(folder, tables=["customers", "orders"], as_of=AS_OF)
        stages["load_validate_s"] = time.perf_counter() - started
        t = time.perf_counter()
        rfm = rfm_table(crm.table("orders"), as_of=AS_OF)
        stages["aggregate_s"] = time.perf_counter() - t
        lines = int(crm.quality.set_index("table").loc["orders", "read"])
        stages["rejected"] = int(crm.quality["rejected"].sum())
    elif pipeline == "engine only":
        import ibis

        from workbench.rfm import rfm_table

        orders = ibis.read_parquet(folder / "orders.parquet")
        rfm = rfm_table(orders, as_of=AS_OF)
        lines = int(orders.count().to_pyarrow().as_py())
    elif pipeline == "pandas baseline":
        orders = pd.read_parquet(folder / "orders.parquet",
                                 columns=["customer_id", "order_id", "order_date", "amount"])
        stages["load_validate_s"] = time.perf_counter() - started
        t = time.perf_counter()
        orders = orders[orders["order_date"] <= pd.Timestamp(AS_OF)]
        bought = orders[orders["amount"] > 0]
        rfm = pd.DataFrame({
            "frequency": bought.groupby("customer_id")["order_id"].nunique(),
            "monetary": orders.groupby("customer_id")["amount"].sum(),
            "last": bought.groupby("customer_id")["order_date"].max(),
        })
        rfm["recency_days"] = (pd.Timestamp(AS_OF) - rfm["last"]).dt.days
        stages["aggregate_s"] = time.perf_counter() - t
        lines = len(orders)
    else:
        raise ValueError(pipeline)
    return {
        "pipeline": pipeline, "lines": lines, "customers": len(rfm),
        "wall_s": time.perf_counter() - started,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        **stages,
    }


def _generate(out: Path, lines: int) -> Path:
    from workbench import demo

    customers = max(1000, lines // LINES_PER_CUSTOMER)
    folder = out / f"demo_{customers}"
    if not (folder / "orders.parquet").exists():
        t = time.perf_counter()
        demo.write(folder, customers=customers, seed=7, file_format="parquet", progress=True)
        sys.stderr.write(f"generated {customers:,} customers in {time.perf_counter() - t:.1f}s -> {folder}\n")
    return folder


def _run(pipeline: str, folder: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", pipeline, str(folder)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{pipeline} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000],
                        help="approximate order lines per size")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    parser.add_argument("--child", nargs=2, metavar=("PIPELINE", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.stdout.write(json.dumps(_child(args.child[0], Path(args.child[1]))) + "\n")
        return
    args.out.mkdir(parents=True, exist_ok=True)
    header = (f"{'lines':>11} {'pipeline':<16} {'wall s':>7} {'load+check s':>12} {'aggregate s':>11} "
              f"{'lines/s':>11} {'peak MB':>8} {'time x base':>11} {'mem x base':>10}")
    rows = []
    for size in args.sizes:
        folder = _generate(args.out, size)
        results = [_run(p, folder) for p in ("pandas baseline", "workbench", "engine only")]
        base = results[0]
        for r in results:
            r["time_ratio"] = r["wall_s"] / base["wall_s"]
            r["mem_ratio"] = r["peak_mb"] / base["peak_mb"]
            rows.append(r)
    sys.stdout.write(header + "\n")
    for r in rows:
        sys.stdout.write(
            f"{r['lines']:>11,} {r['pipeline']:<16} {r['wall_s']:>7.2f} "
            f"{r.get('load_validate_s', float('nan')):>12.2f} {r.get('aggregate_s', float('nan')):>11.2f} "
            f"{r['lines'] / r['wall_s']:>11,.0f} {r['peak_mb']:>8,.0f} {r['time_ratio']:>11.2f} "
            f"{r['mem_ratio']:>10.2f}\n")
    (args.out / "results.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
