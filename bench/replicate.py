"""A bigger company for the benchmarks: the demo's customers and order lines copied N times.

``workbench demo-data --customers 10000000`` runs at about 1M customers per 4 minutes here; the
copy takes about a minute. Copy k of a customer is ``<customer_id>-k`` (its orders and lines
are suffixed the same way), products are shared; only the tables RFM reads are written
(customers, products, orders). Scores are not those of a generated company of that size
(every copy has the same history), which is fine for time and memory.

Usage::

    workbench demo-data --out bench/out/demo1m_pq --customers 1000000 --format parquet
    python bench/replicate.py --source bench/out/demo1m_pq --times 10 --out bench/out/demo10m_pq
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb


def replicate(source: Path, out: Path, times: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    copies = f"(SELECT '-' || k::VARCHAR AS sfx FROM range({times}) AS r(k))"
    con.execute(f"COPY (SELECT * FROM read_parquet('{source / 'products.parquet'}')) "
                f"TO '{out / 'products.parquet'}' (FORMAT parquet)")
    con.execute(f"COPY (SELECT * REPLACE (customer_id || sfx AS customer_id) "
                f"FROM read_parquet('{source / 'customers.parquet'}'), {copies}) "
                f"TO '{out / 'customers.parquet'}' (FORMAT parquet)")
    con.execute(f"COPY (SELECT * REPLACE (customer_id || sfx AS customer_id, order_id || sfx AS order_id, "
                f"line_id || sfx AS line_id) FROM read_parquet('{source / 'orders.parquet'}'), {copies}) "
                f"TO '{out / 'orders.parquet'}' (FORMAT parquet)")
    for name in ("customers", "orders"):
        n = con.execute(f"SELECT count(*) FROM read_parquet('{out / (name + '.parquet')}')").fetchone()[0]
        print(f"{name}: {n:,} rows")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--times", type=int, default=10)
    args = ap.parse_args()
    replicate(args.source, args.out, args.times)


if __name__ == "__main__":
    main()
