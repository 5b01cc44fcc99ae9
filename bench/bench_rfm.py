"""Benchmark: RFM table + quantile scores + segments from a Parquet file of order lines.

Three pipelines on the same file, each in a fresh process (so that peak memory is its own),
from file to a scored table of one row per customer in pandas:

- ``workbench``: ``rfm.score(ibis.read_parquet(file), rfmcca=False)``: the RFM aggregation in
  the engine (Ibis on DuckDB), then quantile scores, grid points, grades and segments;
- ``duckdb sql``: one hand-written DuckDB query (same RFM semantics, NTILE scores, CASE segments);
- ``pandas``: ``pd.read_parquet`` + groupby + ``qcut`` scores + ``np.select`` segments.

All three count distinct orders with a positive line as frequency, the net amount as monetary
and the days since the last purchase as recency. Prints wall time, peak RSS and the ratios the
issue sets as targets (time against the SQL query, memory against pandas).

Usage::

    python bench/bench_rfm.py --customers 1000000              # about 10M order lines
    python bench/bench_rfm.py --customers 10000000 --only "duckdb sql" workbench --memory-limit 2GB
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
PIPELINES = ("pandas", "duckdb sql", "workbench")

SQL = """
WITH rfm AS (
  SELECT customer_id,
         count(DISTINCT CASE WHEN amount > 0 THEN order_id END) AS frequency,
         sum(amount) AS monetary,
         min(CASE WHEN amount > 0 THEN order_date::DATE END) AS first_purchase,
         max(CASE WHEN amount > 0 THEN order_date::DATE END) AS last_purchase,
         count(*) AS lines
  FROM read_parquet('{file}') WHERE order_date::DATE <= DATE '{as_of}' GROUP BY customer_id
), scored AS (
  SELECT *, DATE '{as_of}' - last_purchase AS recency_days,
         6 - ntile(5) OVER (ORDER BY DATE '{as_of}' - last_purchase) AS r_score,
         ntile(5) OVER (ORDER BY frequency) AS f_score,
         ntile(5) OVER (ORDER BY monetary) AS m_score
  FROM rfm WHERE frequency > 0
)
SELECT *, CASE
    WHEN r_score >= 4 AND f_score >= 4 AND m_score >= 4 THEN 'Champions'
    WHEN r_score >= 3 AND f_score >= 3 THEN 'Loyal'
    WHEN DATE '{as_of}' - first_purchase <= 90 THEN 'New'
    WHEN r_score >= 4 THEN 'Promising'
    WHEN r_score = 3 THEN 'Need attention'
    WHEN f_score >= 3 THEN 'At risk'
    WHEN r_score = 2 THEN 'About to sleep'
    ELSE 'Hibernating' END AS segment
FROM scored
"""


def _pandas(file: Path):
    import numpy as np
    import pandas as pd

    o = pd.read_parquet(file, columns=["customer_id", "order_id", "order_date", "amount"])
    o = o[o["order_date"] <= pd.Timestamp(AS_OF)]
    bought = o[o["amount"] > 0]
    g = bought.groupby("customer_id")
    rfm = pd.DataFrame({"frequency": g["order_id"].nunique(), "first": g["order_date"].min(),
                        "last": g["order_date"].max(), "monetary": o.groupby("customer_id")["amount"].sum()})
    rfm = rfm[rfm["frequency"] > 0]
    rfm["recency_days"] = (pd.Timestamp(AS_OF) - rfm["last"]).dt.days
    rfm["r_score"] = 5 - pd.qcut(rfm["recency_days"].rank(method="first"), 5, labels=False)
    rfm["f_score"] = 1 + pd.qcut(rfm["frequency"].rank(method="first"), 5, labels=False)
    rfm["m_score"] = 1 + pd.qcut(rfm["monetary"], 5, labels=False)
    r, f, m = rfm["r_score"], rfm["f_score"], rfm["m_score"]
    rfm["segment"] = np.select(
        [(r >= 4) & (f >= 4) & (m >= 4), (r >= 3) & (f >= 3),
         (pd.Timestamp(AS_OF) - rfm["first"]).dt.days <= 90, r >= 4, r == 3, f >= 3, r == 2],
        ["Champions", "Loyal", "New", "Promising", "Need attention", "At risk", "About to sleep"],
        default="Hibernating")
    return rfm


def _child(pipeline: str, file: Path, memory_limit: str) -> dict:
    started = time.perf_counter()
    config = {"memory_limit": memory_limit} if memory_limit else {}
    if pipeline == "pandas":
        out = _pandas(file)
    elif pipeline == "duckdb sql":
        import duckdb

        out = duckdb.connect(config=config).sql(SQL.format(file=file, as_of=AS_OF)).df()
    elif pipeline == "workbench":
        import ibis

        from workbench import rfm

        con = ibis.duckdb.connect(**config)  # the engine: an embedded DuckDB, optionally capped
        out = rfm.score(con.read_parquet(file), as_of=AS_OF, rfmcca=False).table
    else:
        raise ValueError(pipeline)
    wall = time.perf_counter() - started
    segments = out["segment"].astype(str).value_counts().to_dict()
    return {"pipeline": pipeline, "customers": len(out), "wall_s": wall,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "champions": segments.get("Champions", 0)}


def _generate(out: Path, customers: int) -> Path:
    from workbench import demo

    folder = out / f"demo_{customers}"
    if not (folder / "orders.parquet").exists():
        t = time.perf_counter()
        demo.write(folder, customers=customers, seed=7, file_format="parquet",
                   chunk_customers=min(customers, 250_000), progress=sys.stderr.isatty())
        sys.stderr.write(f"generated {customers:,} customers in {time.perf_counter() - t:.0f}s -> {folder}\n")
    return folder / "orders.parquet"


def _run(pipeline: str, file: Path, memory_limit: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", pipeline, str(file), memory_limit],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{pipeline} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _lines(file: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(file).metadata.num_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="demo customers (~10 lines each)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    parser.add_argument("--only", choices=PIPELINES, nargs="+", default=list(PIPELINES))
    parser.add_argument("--repeat", type=int, default=1, help="runs per pipeline (the fastest is kept)")
    parser.add_argument("--memory-limit", default="",
                        help="DuckDB memory_limit for both engine pipelines, e.g. 2GB (default: DuckDB's own)")
    parser.add_argument("--child", nargs=3, metavar=("PIPELINE", "FILE", "LIMIT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.stdout.write(json.dumps(_child(args.child[0], Path(args.child[1]), args.child[2])) + "\n")
        return
    file = _generate(args.out, args.customers)
    lines = _lines(file)
    results = {}
    for _ in range(args.repeat):
        for p in args.only:  # interleaved, so that a busy moment does not hit one pipeline only
            r = _run(p, file, args.memory_limit)
            if p not in results or r["wall_s"] < results[p]["wall_s"]:
                results[p] = r
    limit = f", DuckDB memory_limit {args.memory_limit}" if args.memory_limit else ""
    sys.stdout.write(f"{lines:,} order lines, {args.customers:,} customers, as of {AS_OF}{limit}\n")
    sys.stdout.write(f"{'pipeline':<12} {'customers':>10} {'wall s':>8} {'peak MB':>9} "
                     f"{'time / sql':>11} {'mem / pandas':>13}\n")
    for p, r in results.items():
        t = r["wall_s"] / results["duckdb sql"]["wall_s"] if "duckdb sql" in results else float("nan")
        m = r["peak_mb"] / results["pandas"]["peak_mb"] if "pandas" in results else float("nan")
        sys.stdout.write(f"{p:<12} {r['customers']:>10,} {r['wall_s']:>8.2f} {r['peak_mb']:>9,.0f} "
                         f"{t:>11.2f} {m:>13.2f}\n")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"rfm_{args.customers}.json").write_text(json.dumps(
        {"lines": lines, "customers": args.customers, "memory_limit": args.memory_limit,
         "results": results}, indent=2))


if __name__ == "__main__":
    main()
