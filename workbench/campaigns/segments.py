"""Campaign ROI, part 6: the segments effects are split by (file labels, sector, sales band).

Private to :mod:`workbench.campaigns`.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

__all__ = ["NO_LABEL", "SALES_BAND", "sales_band_edges", "sales_bands",
           "add_segments", "current_segments"]

log = logging.getLogger(__name__)

#: Label of a contact whose segment is unknown (kept, never dropped).
NO_LABEL = "(none)"
SALES_BAND = "sales_band_6m"


def sales_band_edges(pre_sales) -> np.ndarray:
    """Tertiles of the positive six-month sales: the edges between low, mid and high bands."""
    x = np.asarray(pre_sales, float)
    x = x[np.isfinite(x) & (x > 0)]
    if len(x) == 0:
        return np.array([np.nan, np.nan])
    return np.quantile(x, [1 / 3, 2 / 3])


def sales_bands(pre_sales, edges) -> pd.Series:
    """Band of each six-month sales figure: none (<= 0), low, mid, high (cut at `edges`)."""
    x = pd.Series(np.asarray(pre_sales, float))
    lo, hi = edges
    labels = ["0 none", f"1 low (<= {lo:,.0f})", f"2 mid ({lo:,.0f}-{hi:,.0f})", f"3 high (> {hi:,.0f})"]
    band = np.select([x <= 0, x <= lo, x <= hi], labels[:3], labels[3]) if np.isfinite(lo) \
        else np.where(x <= 0, labels[0], "1 positive")
    return pd.Series(band, index=x.index, dtype="str")


def _attach(frame: pd.DataFrame, *, customers, segments, columns) -> pd.DataFrame:
    out = frame.copy()
    sources = []
    if customers is not None:
        cols = ["sector", *columns]
        absent = [c for c in columns if c not in customers]
        if absent:
            raise ValueError(f"segment column(s) {', '.join(absent)} not in customers (columns: "
                             f"{', '.join(customers.columns)}); keep them with the mapping's extra:")
        sources.append(customers[["customer_id", *[c for c in cols if c in customers]]])
    if segments is not None:
        sources.append(segments)
    for src in sources:
        labels = [c for c in src.columns if c != "customer_id"]
        clash = [c for c in labels if c in out]
        if clash:
            raise ValueError(f"segment column(s) {', '.join(clash)} given twice (customers and the "
                             "segments file, or an outcome column); rename one")
        out = out.merge(src, on="customer_id", how="left", validate="many_to_one")
        for c in labels:
            out[c] = out[c].astype("str").fillna(NO_LABEL).replace({"": NO_LABEL, "nan": NO_LABEL})
    if "sector" not in out:  # a source without sectors: one "(none)" segment, not a missing column
        out["sector"] = NO_LABEL
    return out


def add_segments(outcomes: pd.DataFrame, *, customers: pd.DataFrame | None = None,
                 segments: pd.DataFrame | None = None, columns=(), edges=None) -> pd.DataFrame:
    """Outcomes with segment columns: sales band, sector, file labels, chosen customer columns.

    ``sales_band_6m`` comes from ``pre_sales_6m`` (sales in the six months *before* the
    contact, so the campaign cannot move a contact between bands): none, then low / mid /
    high at the tertiles of the positive values (`edges` to reuse given ones). ``sector``
    and `columns` come from `customers` (``sector`` is "(none)" throughout when the source has
    no sectors), labels from `segments` (customer_id and label
    columns, e.g. :func:`workbench.personas.read_segments` of a persona or RFM export).
    A contact whose label is unknown gets "(none)": it stays in every table. File labels
    are the customers' labels when the file was made, possibly after the campaign.
    """
    edges = sales_band_edges(outcomes["pre_sales_6m"]) if edges is None else np.asarray(edges, float)
    out = _attach(outcomes, customers=customers, segments=segments, columns=list(columns))
    out[SALES_BAND] = sales_bands(out["pre_sales_6m"], edges).to_numpy()
    return out


def current_segments(customers: pd.DataFrame, orders: pd.DataFrame, *, as_of, edges,
                     segments: pd.DataFrame | None = None, columns=()) -> pd.DataFrame:
    """Every customer's segments today: the same columns as :func:`add_segments`, as of `as_of`.

    The sales band uses the net sales of the six months up to `as_of` (inclusive) and the
    same `edges` as the contacts, so "high" means the same thing before and after.
    """
    as_of = pd.Timestamp(as_of)
    recent = orders[(orders["order_date"] > as_of - pd.DateOffset(months=6))
                    & (orders["order_date"] <= as_of)]
    sales = recent.groupby("customer_id")["amount"].sum()
    base = customers.drop(columns=[c for c in customers if c != "customer_id"])
    base["pre_sales_6m"] = base["customer_id"].map(sales).fillna(0.0).astype(float)
    out = _attach(base, customers=customers, segments=segments, columns=list(columns))
    out[SALES_BAND] = sales_bands(out["pre_sales_6m"], np.asarray(edges, float)).to_numpy()
    consent = [c for c in ("consent_email", "consent_mail", "consent_phone") if c in customers]
    return out.merge(customers[["customer_id", *consent]], on="customer_id", how="left") if consent else out
