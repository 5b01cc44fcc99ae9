"""Campaign ROI, part 5: rule-based attribution of purchases to the campaigns that touched them.

Private to :mod:`workbench.campaigns`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["MODELS", "attribution", "attribution_summary"]

#: The attribution models, in the order they are shown.
MODELS = ("last_touch", "first_touch", "linear", "time_decay")


def _check(window_days: int, half_life_days: float, models) -> list[str]:
    if int(window_days) != window_days or window_days < 1:
        raise ValueError(f"window_days must be a whole number of days >= 1, not {window_days!r}")
    if not (np.isfinite(half_life_days) and half_life_days > 0):
        raise ValueError(f"half_life_days must be > 0 (the days after which a touch counts half), "
                         f"not {half_life_days!r}")
    models = [models] if isinstance(models, str) else list(models)
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise ValueError(f"unknown attribution model(s) {', '.join(map(repr, unknown))}; "
                         f"use {', '.join(MODELS)}")
    return models


def _purchases(lines: pd.DataFrame) -> pd.DataFrame:
    """Purchases: an order's lines of one day with a positive net amount (returns come later)."""
    p = lines.groupby(["customer_id", "order_id", "order_date"], as_index=False, sort=False).agg(
        revenue=("amount", "sum"), margin=("margin", "sum"))
    p = p[p["revenue"] > 0].reset_index(drop=True)
    p["purchase"] = np.arange(len(p))
    return p


def _touch_pairs(touches: pd.DataFrame, purchases: pd.DataFrame, window_days: int) -> pd.DataFrame:
    """(purchase, campaign, lag in days) for every touch in the window before a purchase."""
    import ibis

    t = ibis.memtable(touches[["campaign_id", "customer_id", "contact_date"]])
    p = ibis.memtable(purchases[["purchase", "customer_id", "order_date"]].rename(
        columns={"customer_id": "buyer"}))
    day, od = t.contact_date.cast("date"), p.order_date.cast("date")
    j = t.join(p, [t.customer_id == p.buyer, od > day, od <= day + ibis.interval(days=window_days)])
    out = j.select("purchase", "campaign_id", lag=od.delta(day, unit="day")).to_pandas()
    out["lag"] = out["lag"].astype(float)
    return out


def _credits(pairs: pd.DataFrame, half_life_days: float) -> pd.DataFrame:
    """Credit of each touch under each model; the credits of one purchase add up to 1."""
    g = pairs.groupby("purchase")["lag"]
    out = pairs.copy()
    last, first = pairs["lag"] == g.transform("min"), pairs["lag"] == g.transform("max")
    out["last_touch"] = last / last.groupby(pairs["purchase"]).transform("sum")
    out["first_touch"] = first / first.groupby(pairs["purchase"]).transform("sum")
    out["linear"] = 1 / g.transform("size")
    decay = 0.5 ** (pairs["lag"] / half_life_days)
    out["time_decay"] = decay / decay.groupby(pairs["purchase"]).transform("sum")
    return out


def attribution(touches: pd.DataFrame, lines: pd.DataFrame, *, window_days: int = 30,
                half_life_days: float = 7.0, models=MODELS) -> pd.DataFrame:
    """Purchases credited to the campaigns that touched the buyer in the window before them.

    A touch is a contact made (``contacted``: treated and sent) on its ``contact_date``; it
    may claim a purchase dated in (contact day, contact day + `window_days`]. When several
    campaigns touched a buyer before a purchase, the models share it:

    - ``last_touch``: all to the latest touch (ties share equally);
    - ``first_touch``: all to the earliest touch in the window;
    - ``linear``: equal shares;
    - ``time_decay``: shares proportional to 0.5 ** (days before the purchase / `half_life_days`).

    These are *attributed* figures: they credit the campaign with purchases that would
    partly have happened anyway; only a control group measures what it caused.

    Parameters
    ----------
    touches : DataFrame
        :func:`workbench.campaigns.contact_outcomes` (rows with ``contacted`` true are used).
    lines : DataFrame
        :func:`workbench.campaigns.line_margins` (order lines with their margin).

    Returns
    -------
    DataFrame
        Long table: campaign_id, kind, model, conversions (credited purchases), revenue,
        margin. Purchases are gross of later returns.
    """
    models = _check(window_days, half_life_days, models)
    made = touches[touches["contacted"]]
    purchases = _purchases(lines)
    pairs = _credits(_touch_pairs(made, purchases, int(window_days)), half_life_days)
    pairs = pairs.merge(purchases[["purchase", "revenue", "margin"]], on="purchase")
    kinds = touches.drop_duplicates("campaign_id").set_index("campaign_id")["kind"]
    parts = []
    for model in models:
        w = pairs[model]
        agg = pd.DataFrame({"campaign_id": pairs["campaign_id"], "conversions": w,
                            "revenue": w * pairs["revenue"], "margin": w * pairs["margin"]})
        agg = agg.groupby("campaign_id", as_index=False).sum()
        full = pd.DataFrame({"campaign_id": kinds.index}).merge(agg, how="left").fillna(0.0)
        parts.append(full.assign(model=model))
    out = pd.concat(parts, ignore_index=True)
    out.insert(1, "kind", out["campaign_id"].map(kinds))
    return out[["campaign_id", "kind", "model", "conversions", "revenue", "margin"]]


def attribution_summary(touches: pd.DataFrame, lines: pd.DataFrame, *, window_days: int = 30) -> pd.DataFrame:
    """How many purchases no campaign, one campaign or several campaigns touched.

    Rows: purchases by number of touches in the window (0, 1, 2, 3+), with revenue and
    share of purchases. Only purchases touched by 2+ campaigns differ between the models.
    """
    _check(window_days, 1.0, MODELS)
    purchases = _purchases(lines)
    pairs = _touch_pairs(touches[touches["contacted"]], purchases, int(window_days))
    n = pairs.groupby("purchase").size().reindex(purchases["purchase"], fill_value=0).to_numpy()
    label = np.where(n >= 3, "3+", n.astype(str))
    out = pd.DataFrame({"touches": label, "revenue": purchases["revenue"]}).groupby(
        "touches", as_index=False).agg(purchases=("revenue", "size"), revenue=("revenue", "sum"))
    out = pd.DataFrame({"touches": ["0", "1", "2", "3+"]}).merge(out, how="left").fillna(0)
    out["purchases"] = out["purchases"].astype(int)
    out["share_of_purchases"] = out["purchases"] / max(len(purchases), 1)
    return out
