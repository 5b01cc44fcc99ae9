"""Recency, frequency, monetary value per customer, computed inside the engine.

The aggregation is written once as an Ibis expression, so it runs inside DuckDB (the
embedded default) on a pandas frame, a Parquet file or a database table alike, never as a
Python loop over customers.

Semantics, as of ``as_of`` (inclusive; later lines are ignored):

- a *purchase* is an order (``order_id``) with at least one line of positive amount;
- ``frequency`` counts distinct purchases; several orders on the same day count separately;
- ``monetary`` is the net amount of all lines: returns and cancellations (negative lines)
  subtract; zero-amount lines (free samples) count for nothing;
- ``recency_days`` is the number of days from the last purchase to ``as_of``;
- customers with only returns or zero-amount lines have no purchase and no recency
  (their ``monetary`` is still shown, so nothing disappears).
"""

from __future__ import annotations

import logging

import pandas as pd

__all__ = ["rfm_table", "rfm_expr", "RFM_COLUMNS"]

log = logging.getLogger(__name__)

RFM_COLUMNS = ["customer_id", "recency_days", "frequency", "monetary", "first_purchase",
               "last_purchase", "tenure_days", "lines"]


def _as_ibis(orders):
    import ibis

    if isinstance(orders, ibis.Table):
        return orders
    if isinstance(orders, pd.DataFrame):
        missing = {"customer_id", "order_id", "order_date", "amount"} - set(orders.columns)
        if missing:
            raise ValueError(f"orders lacks the column(s) {', '.join(sorted(missing))} that RFM needs")
        return ibis.memtable(orders[["customer_id", "order_id", "order_date", "amount"]])
    raise TypeError(f"orders must be a pandas DataFrame or an Ibis table, not {type(orders).__name__}")


def rfm_expr(orders, *, as_of: str | pd.Timestamp):
    """The RFM aggregation as an Ibis expression (not yet executed)."""
    import ibis

    as_of = pd.Timestamp(as_of)
    t = _as_ibis(orders)
    t = t.filter(t.order_date.cast("date") <= as_of.date())
    purchase_date = ibis.cases((t.amount > 0, t.order_date.cast("date")), else_=None)
    purchase_order = ibis.cases((t.amount > 0, t.order_id), else_=None)
    agg = t.group_by("customer_id").aggregate(
        frequency=purchase_order.nunique(),
        monetary=t.amount.sum(),
        first_purchase=purchase_date.min(),
        last_purchase=purchase_date.max(),
        lines=t.count(),
    )
    as_of_date = ibis.literal(as_of.date())
    return agg.mutate(
        recency_days=as_of_date.delta(agg.last_purchase, unit="day"),
        tenure_days=as_of_date.delta(agg.first_purchase, unit="day"),
    ).select(*RFM_COLUMNS)


def rfm_table(orders, *, as_of: str | pd.Timestamp) -> pd.DataFrame:
    """One row per customer with an order line up to `as_of`: recency, frequency, monetary, tenure.

    Parameters
    ----------
    orders
        Order lines with canonical columns (pandas DataFrame), or an Ibis table (for
        example ``ibis.read_parquet(...)`` or ``crm.table("orders")``).
    as_of
        Analysis date, inclusive.
    """
    out = rfm_expr(orders, as_of=as_of).to_pandas()
    out = out.sort_values("customer_id", kind="stable").reset_index(drop=True)
    out["monetary"] = out["monetary"].astype("float64")
    for col in ("recency_days", "tenure_days", "frequency", "lines"):
        out[col] = out[col].astype("Int64")
    for col in ("first_purchase", "last_purchase"):
        out[col] = pd.to_datetime(out[col])
    return out
