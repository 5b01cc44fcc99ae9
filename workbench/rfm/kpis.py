"""Key indicators: KPIs by segment, seasonality of sales, revenue concentration.

Private to :mod:`workbench.rfm`, which re-exports the functions.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

__all__ = ["segment_kpis", "seasonality", "seasonality_index", "pareto_curve", "concentration"]

_WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _kpis(table: pd.DataFrame, by: str, level: float) -> pd.DataFrame:
    z = NormalDist().inv_cdf(0.5 + level / 2)
    t = table[table["frequency"].fillna(0) > 0]
    rows = []
    groups = table[by].cat.categories if isinstance(table[by].dtype, pd.CategoricalDtype) \
        else sorted(table[by].dropna().unique())
    total_revenue = float(t["monetary"].sum())
    for name in groups:
        all_g, g = table[table[by] == name], t[t[by] == name]
        m, f = g["monetary"].to_numpy(float), g["frequency"].to_numpy(float)
        basket = m.sum() / f.sum() if f.sum() else np.nan
        # ratio estimator with customers as clusters: the orders of one customer are not independent
        se = np.sqrt(((m - basket * f) ** 2).sum() / (len(g) * (len(g) - 1))) / f.mean() if len(g) > 1 else np.nan
        rows.append({by: name, "customers": len(all_g), "purchasers": len(g),
                     "revenue": m.sum(), "revenue_share_pct": 100 * m.sum() / total_revenue if total_revenue else np.nan,
                     "purchases": int(f.sum()), "avg_basket": basket,
                     "avg_basket_low": basket - z * se, "avg_basket_high": basket + z * se,
                     "purchases_per_customer": f.mean() if len(g) else np.nan,
                     "median_recency_days": float(np.median(g["recency_days"].to_numpy(float))) if len(g) else np.nan})
    out = pd.DataFrame(rows)
    out.insert(2, "customers_pct", 100 * out["customers"] / max(len(table), 1))
    return out


def segment_kpis(table: pd.DataFrame, *, by: str = "segment", previous: pd.DataFrame | None = None,
                 level: float = 0.95) -> pd.DataFrame:
    """KPIs per segment (or grade, class...): customers, revenue share, average basket, frequency.

    Revenue is the net revenue to date (the M of RFM) of the segment's purchasers; the average
    basket is revenue / purchases, with a `level` confidence interval from the ratio estimator
    that treats each customer's orders as a cluster (normal approximation). With `previous` (the
    scored table of an earlier date, same settings), ``*_prev`` columns and changes are added.
    """
    if by not in table:
        raise ValueError(f"the table has no {by!r} column to group by: score it first (rfm.score)")
    out = _kpis(table, by, level)
    if previous is None:
        return out
    prev = _kpis(previous, by, level).set_index(by)
    for col in ("customers", "revenue_share_pct", "avg_basket", "purchases_per_customer"):
        out[f"{col}_prev"] = out[by].map(prev[col]).astype(float).to_numpy()
    out["customers_change"] = out["customers"] - out["customers_prev"].fillna(0)
    out["revenue_share_change_pts"] = out["revenue_share_pct"] - out["revenue_share_pct_prev"]
    out["avg_basket_change_pct"] = 100 * (out["avg_basket"] / out["avg_basket_prev"] - 1)
    return out


def seasonality(orders, *, as_of, segments: pd.DataFrame | None = None, start=None) -> pd.DataFrame:
    """Sales per month x weekday cell, per segment, normalised by the calendar.

    Sales are gross purchase lines (amount > 0) by order date, from `start` (default: the first
    order) to `as_of`, computed in the engine. For each cell: ``days`` in the calendar,
    ``revenue``, ``orders`` (distinct), and ``revenue_index`` / ``orders_index``: the cell's
    amount per calendar day divided by the segment's amount per day over the period (1 = average).

    `segments`: a table with ``customer_id`` and ``segment`` (e.g. the scored table); absent,
    all customers form the segment ``All``.
    """
    import ibis

    from workbench.rfm.core import _as_ibis, purchase_lines

    t = _as_ibis(orders)
    as_of = pd.Timestamp(as_of)
    t = purchase_lines(t.filter(t.order_date.cast("date") <= as_of.date()))
    if start is not None:
        t = t.filter(t.order_date.cast("date") >= pd.Timestamp(start).date())
    if segments is not None:
        seg = ibis.memtable(segments[["customer_id", "segment"]].astype({"segment": "str", "customer_id": "str"}))
        t = t.join(seg, "customer_id")
    else:
        t = t.mutate(segment=ibis.literal("All"))
    day = t.order_date.cast("date")
    daily = t.group_by(segment=t.segment, day=day).aggregate(revenue=t.amount.sum(),
                                                            orders=t.order_id.nunique()).to_pandas()
    if daily.empty:
        raise ValueError(f"no purchase line up to {as_of:%Y-%m-%d}: nothing to show a seasonality of")
    daily["day"] = pd.to_datetime(daily["day"])
    first = pd.Timestamp(start) if start is not None else daily["day"].min()
    calendar = pd.DataFrame({"day": pd.date_range(first, as_of, freq="D")})
    calendar["month"], calendar["weekday"] = calendar["day"].dt.month, calendar["day"].dt.day_of_week
    days = calendar.groupby(["month", "weekday"]).size().rename("days")
    daily["month"], daily["weekday"] = daily["day"].dt.month, daily["day"].dt.day_of_week
    cells = daily.groupby(["segment", "month", "weekday"])[["revenue", "orders"]].sum()
    segs = cells.index.get_level_values(0).unique()
    full = pd.MultiIndex.from_product([segs, range(1, 13), range(7)], names=["segment", "month", "weekday"])
    cells = cells.reindex(full, fill_value=0).reset_index()
    cells = cells.merge(days.reset_index(), on=["month", "weekday"], how="left").fillna({"days": 0})
    for col in ("revenue", "orders"):
        per_day = cells.groupby("segment", observed=True)[col].transform("sum") / len(calendar)
        cells[f"{col}_index"] = (cells[col] / cells["days"].where(cells["days"] > 0)) / per_day
    cells["weekday_name"] = cells["weekday"].map(dict(enumerate(_WEEKDAYS)))
    if segments is not None and isinstance(segments["segment"].dtype, pd.CategoricalDtype):
        present = set(cells["segment"])
        cells["segment"] = pd.Categorical(cells["segment"], categories=[
            str(c) for c in segments["segment"].cat.categories if str(c) in present])
    return cells


def seasonality_index(cells: pd.DataFrame, *, by: str = "month", measure: str = "revenue") -> pd.DataFrame:
    """Index by month (1-12) or weekday (0 = Monday) per segment, from :func:`seasonality` cells.

    Index = amount per calendar day of that month (weekday) / amount per day over the period.
    """
    if by not in ("month", "weekday"):
        raise ValueError(f"by={by!r}: use 'month' or 'weekday'")
    if measure not in ("revenue", "orders"):
        raise ValueError(f"measure={measure!r}: use 'revenue' or 'orders'")
    if measure == "revenue" and not cells["revenue"].any():  # purchase dates only: count orders
        measure = "orders"
    g = cells.groupby(["segment", by], observed=True)[[measure, "days"]].sum()
    seg = cells.groupby("segment", observed=True)
    total = seg[measure].sum() / seg["days"].sum()
    g["index"] = (g[measure] / g["days"]) / total.reindex(g.index.get_level_values(0)).to_numpy()
    return g["index"].unstack(0)


def pareto_curve(table: pd.DataFrame, *, points: int | None = 200) -> pd.DataFrame:
    """Cumulative share of revenue against the share of customers, best customers first.

    Purchasers only (prospects have no revenue), sorted by net revenue; customers with a net
    revenue <= 0 come last and make the curve end at 100 %. `points` thins the curve for plotting
    (None keeps one row per customer).
    """
    m = np.sort(table.loc[table["frequency"].fillna(0) > 0, "monetary"].to_numpy(float))[::-1]
    if len(m) == 0:
        return pd.DataFrame(columns=["customers_share_pct", "revenue_share_pct"])
    cum = np.cumsum(m) / m.sum()
    x = np.arange(1, len(m) + 1) / len(m)
    idx = np.arange(len(m)) if points is None or len(m) <= points else \
        np.unique(np.linspace(0, len(m) - 1, points).round().astype(int))
    return pd.DataFrame({"customers_share_pct": np.r_[0, 100 * x[idx]], "revenue_share_pct": np.r_[0, 100 * cum[idx]]})


def concentration(table: pd.DataFrame, *, top: float = 0.2) -> dict:
    """Revenue concentration of purchasers: share of the top `top` customers, Gini, 80 % point.

    Returns a dict: purchasers, revenue, top_share (`top` as a fraction), top_customers,
    top_revenue_share_pct, customers_for_80pct_revenue_pct, gini, non_positive (customers whose
    net revenue is <= 0, counted in the denominator).
    """
    m = np.sort(table.loc[table["frequency"].fillna(0) > 0, "monetary"].to_numpy(float))[::-1]
    n, total = len(m), float(m.sum())
    if n == 0 or total <= 0:
        raise ValueError("no purchaser with a positive net revenue: concentration is undefined")
    k = int(np.ceil(top * n))
    cum = np.cumsum(m) / total
    asc = m[::-1]
    gini = float((2 * np.arange(1, n + 1) - n - 1) @ asc / (n * asc.sum()))
    return {"purchasers": n, "revenue": total, "top_share": top, "top_customers": k,
            "top_revenue_share_pct": round(100 * float(cum[k - 1]), 2),
            "customers_for_80pct_revenue_pct": round(100 * (int(np.searchsorted(cum, 0.8)) + 1) / n, 2),
            "gini": round(gini, 4), "non_positive": int((m <= 0).sum())}
