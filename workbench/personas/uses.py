"""Putting personas to use: category affinity, new-product fit, recurring service incidents.

Private to :mod:`workbench.personas`. Every aggregation runs in the engine (Ibis on DuckDB),
joining the order lines or incidents with the persona of each customer. The base is the
labelled customers: customers left out of the persona analysis are left out here too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.data.dataset import CRMData
from workbench.display import escape_markdown as _md
from workbench.rfm import purchase_lines


def _labels_table(labels):
    import ibis

    s = pd.Series(labels)
    if s.empty:
        raise ValueError("labels is empty: give one persona per customer (e.g. model.labels_)")
    frame = pd.DataFrame({"customer_id": s.index.astype("str"), "persona": s.astype("str").to_numpy()})
    return ibis.memtable(frame), frame


def _lines(crm: CRMData, labels, as_of):
    crm.require("orders", purpose="persona uses")
    lab, _ = _labels_table(labels)
    t = crm.table("orders")
    t = purchase_lines(t.filter(t.order_date.cast("date") <= pd.Timestamp(as_of).date()))
    return t.join(lab, "customer_id")


def category_affinity(crm: CRMData, labels, *, as_of) -> pd.DataFrame:
    """Per persona and category: spend share, its index against the base (100 = average) and
    penetration (share of the persona's customers who bought in it)."""
    j = _lines(crm, labels, as_of)
    if "category" not in j.columns:
        raise ValueError("orders has no category column: map one to see category affinity")
    cat = j.category.fill_null("not stated").name("category")
    agg = j.group_by(["persona", cat]).aggregate(spend=j.amount.sum(), buyers=j.customer_id.nunique())
    _, frame = _labels_table(labels)
    size = frame["persona"].value_counts()
    m = _complete(agg.to_pandas(), size.index)
    total = m.groupby("persona")["spend"].transform("sum")
    base = m.groupby("category")["spend"].sum() / m["spend"].sum()
    m["spend_share_pct"] = 100 * m["spend"] / total
    m["base_share_pct"] = 100 * m["category"].map(base)
    m["index"] = (100 * m["spend_share_pct"] / m["base_share_pct"]).round(0)
    m["penetration_pct"] = 100 * m["buyers"] / m["persona"].map(size)
    m = m.sort_values(["persona", "index"], ascending=[True, False], kind="stable")
    return m.round({"spend_share_pct": 1, "base_share_pct": 1, "penetration_pct": 1}).reset_index(drop=True)


def _complete(m: pd.DataFrame, personas) -> pd.DataFrame:
    """Every persona x category pair, with zero spend where a persona bought none."""
    grid = pd.MultiIndex.from_product([sorted(personas), sorted(m["category"].unique())],
                                      names=["persona", "category"])
    m = m.set_index(["persona", "category"]).reindex(grid)
    return m.fillna({"spend": 0.0, "buyers": 0}).astype({"buyers": "int64"}).reset_index()


def product_fit(crm: CRMData, labels, *, as_of, category: str, price: float | None = None,
                channel: str | None = None, names: dict | None = None, currency: str = "") -> pd.DataFrame:
    """How well a new product (category, price, channel) fits each persona.

    Three observed shares per persona: of its spend in `category`; of its lines in that
    category bought at `price` or more (what it has accepted to pay); of its orders through
    `channel`. Their product, against the same product for all labelled customers, is the fit
    index (100 = as good a fit as the average customer; above 120 a good fit, under 80 a poor
    one). `price` and `channel` are optional: None leaves that share out.
    """
    if price is not None and not price > 0:
        raise ValueError(f"price must be a positive amount (or None to leave it out), not {price!r}")
    j = _lines(crm, labels, as_of)
    if price is not None and "unit_price" not in j.columns and "quantity" not in j.columns:
        raise ValueError("orders have neither unit_price nor quantity, so the prices paid are "
                         "unknown: leave the price out of the product profile (price=None)")
    for col, value in (("category", category), ("channel", channel)):
        if value is None:
            continue
        if col not in j.columns:
            raise ValueError(f"orders has no {col} column: leave {col} out of the product profile")
        known = sorted(x for x in j.select(col).distinct().to_pandas()[col].dropna())
        if value not in known:
            raise ValueError(f"{col} {value!r} is not in the orders; known: {', '.join(map(str, known))}")
    in_cat = j.category == category
    parts = dict(spend=j.amount.sum(), cat_spend=in_cat.ifelse(j.amount, 0).sum(),
                 cat_lines=in_cat.cast("int64").sum(), orders=j.order_id.nunique())
    if price is not None:
        unit = j.unit_price if "unit_price" in j.columns else j.amount / j.quantity
        parts["cat_lines_at_price"] = (in_cat & (unit >= price)).cast("int64").sum()
    if channel is not None:
        parts["channel_orders"] = (j.channel == channel).ifelse(j.order_id, None).nunique()
    per = j.group_by("persona").aggregate(**parts).to_pandas()
    total = per.drop(columns="persona").sum().to_frame().T.assign(persona="all customers")
    out = pd.concat([per.sort_values("persona"), total], ignore_index=True)
    return _fit_scores(out, category, price, channel, names or {}, currency)


def _fit_scores(m: pd.DataFrame, category, price, channel, names, currency) -> pd.DataFrame:
    m["category_share_pct"] = 100 * m["cat_spend"] / m["spend"]
    score = m["category_share_pct"].copy()
    if price is not None:
        m["price_accepted_pct"] = 100 * m["cat_lines_at_price"] / m["cat_lines"].where(m["cat_lines"] > 0)
        m["price_accepted_pct"] = m["price_accepted_pct"].fillna(0.0)
        score = score * m["price_accepted_pct"] / 100
    if channel is not None:
        m["channel_share_pct"] = 100 * m["channel_orders"] / m["orders"]
        score = score * m["channel_share_pct"] / 100
    base = float(score.iloc[-1])
    m["fit_index"] = (100 * score / base).round(0) if base > 0 else np.nan
    m["verdict"] = np.select([m["fit_index"] >= 120, m["fit_index"] >= 80],
                             ["good fit", "average fit"], "poor fit")
    m.loc[m["fit_index"].isna(), "verdict"] = "nobody in the base bought so"
    m.insert(1, "name", [names.get(p, p) for p in m["persona"]])
    m["why"] = [_why(r, category, price, channel, currency) for r in m.itertuples()]
    keep = ["persona", "name", "category_share_pct"]
    keep += ["price_accepted_pct"] if price is not None else []
    keep += ["channel_share_pct"] if channel is not None else []
    out = m[keep + ["fit_index", "verdict", "why"]].round(1)
    head = out.iloc[:-1].sort_values("fit_index", ascending=False, kind="stable")
    return pd.concat([head, out.iloc[-1:]], ignore_index=True)


def _why(r, category, price, channel, currency) -> str:
    text = f"{r.category_share_pct:.0f} % of their spend is {category}"
    if price is not None:
        text += (f"; {r.price_accepted_pct:.0f} % of their {category} purchases were at "
                 f"{currency}{price:,.0f} or more")
    if channel is not None:
        text += f"; {r.channel_share_pct:.0f} % of their orders go through {channel}"
    return text


def incident_profile(crm: CRMData, labels, *, as_of) -> pd.DataFrame:
    """Per persona and incident kind: incidents per 100 customers, share of the persona's
    incidents against the base (index, 100 = average), satisfaction and unresolved share."""
    crm.require("incidents", purpose="recurring incidents per persona")
    lab, frame = _labels_table(labels)
    t = crm.table("incidents")
    t = t.filter(t.date.cast("date") <= pd.Timestamp(as_of).date()).join(lab, "customer_id")
    parts = dict(incidents=t.count(), customers_with=t.customer_id.nunique())
    if "satisfaction" in t.columns:
        parts["mean_satisfaction"] = t.satisfaction.mean()
    if "resolved_date" in t.columns:
        parts["unresolved"] = t.resolved_date.isnull().cast("int64").sum()
    m = t.group_by(["persona", "kind"]).aggregate(**parts).to_pandas()
    size = frame["persona"].value_counts()
    m["per_100_customers"] = (100 * m["incidents"] / m["persona"].map(size)).round(1)
    m["share_pct"] = (100 * m["incidents"] / m.groupby("persona")["incidents"].transform("sum")).round(1)
    base = 100 * m.groupby("kind")["incidents"].sum() / m["incidents"].sum()
    m["index"] = (100 * m["share_pct"] / m["kind"].map(base)).round(0)
    if "unresolved" in m:
        m["unresolved_pct"] = (100 * m.pop("unresolved") / m["incidents"]).round(1)
    if "mean_satisfaction" in m:
        m["mean_satisfaction"] = m["mean_satisfaction"].astype("float64").round(2)
    return m.sort_values(["persona", "per_100_customers"], ascending=[True, False],
                         kind="stable").reset_index(drop=True)


def recurring_incidents(profile: pd.DataFrame, *, names: dict | None = None, min_incidents: int = 5) -> pd.DataFrame:
    """Per persona: its most frequent incident kind and its most over-represented one, in words."""
    rows = []
    for p, g in profile.groupby("persona", sort=True):
        top = g.loc[g["per_100_customers"].idxmax()]
        enough = g[g["incidents"] >= min_incidents]
        over = enough.loc[enough["index"].idxmax()] if len(enough) else top
        name = (names or {}).get(p, p)
        text = (f"{_md(name)}: {_md(top['kind'].replace('_', ' '))} is their most frequent incident "
                f"({top['per_100_customers']:.0f} per 100 customers)")
        if over["index"] >= 120:
            text += (f"; {_md(over['kind'].replace('_', ' '))} is over-represented ({over['share_pct']:.0f} % "
                     f"of their incidents, index {over['index']:.0f})")
        rows.append({"persona": p, "name": name, "most_frequent": top["kind"],
                     "per_100_customers": top["per_100_customers"], "over_represented": over["kind"],
                     "index": over["index"], "finding": text + "."})
    return pd.DataFrame(rows)
