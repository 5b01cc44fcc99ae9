"""Campaign ROI, part 1: the portfolio, the costs and one row of outcomes per contact.

Private to :mod:`workbench.campaigns`, which documents the method and re-exports the API.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["CONTROL", "FLAGS", "Portfolio", "portfolio", "campaign_costs", "line_margins",
           "margin_basis", "contact_outcomes", "window_note"]

log = logging.getLogger(__name__)

#: The group name of the hold-out group, as the contract spells it.
CONTROL = "control"
#: Funnel flags of ``campaign_contacts``, in funnel order.
FLAGS = ("sent", "delivered", "bounced", "undeliverable", "opened", "clicked", "unsubscribed",
         "attended", "responded")
#: Length of the pre-contact period whose sales place a contact in a sales band.
PRE_MONTHS = 6


@dataclass
class Portfolio:
    """The tables a campaign analysis reads, restricted to one sales rep's customers or not.

    Attributes
    ----------
    customers, campaigns, contacts, orders : DataFrame
        Contract tables. ``campaigns`` gains ``portfolio_share``: the share of each
        campaign's contacted customers that are in the portfolio (1 for the whole base); the
        fixed cost of a campaign is apportioned by it.
    products : DataFrame or None
        The product catalogue (unit costs), when loaded.
    sales_rep : str
        The rep whose portfolio this is; ``""`` for every customer.
    scope : DataFrame
        Per table: rows in the source, rows kept, rows left out because they belong to other
        reps' customers. Nothing else is left out.
    """

    customers: pd.DataFrame
    campaigns: pd.DataFrame
    contacts: pd.DataFrame
    orders: pd.DataFrame
    products: pd.DataFrame | None = None
    sales_rep: str = ""
    scope: pd.DataFrame = field(default_factory=pd.DataFrame)


def portfolio(crm, *, sales_rep: str = "", control: str = CONTROL) -> Portfolio:
    """The campaign tables of `crm`, restricted to the customers of `sales_rep` when given.

    Parameters
    ----------
    crm : CRMData
        Loaded data with ``campaign_contacts``; ``campaigns`` (without it, the campaigns are
        the contacts' campaign ids, without kind, dates or costs) and ``orders`` (without
        it, an empty orders table: nothing bought can be measured) when the source has them;
        ``customers`` too when `sales_rep` is given; ``products`` for unit costs.
    sales_rep : str
        A value of ``customers.sales_rep``; ``""`` keeps every customer.
    control : str
        Name of the hold-out group (not contacted, so not counted in the cost share).
    """
    crm.require("campaign_contacts", purpose="Campaign ROI")
    customers = crm.tables.get("customers", pd.DataFrame(columns=["customer_id"]))
    contacts = crm["campaign_contacts"]
    orders = crm.tables.get("orders")
    if orders is None:  # response-only data: what contacts bought cannot be measured
        log.warning("%s has no orders table: Campaign ROI shows response rates only", crm.source)
        orders = pd.DataFrame({"order_id": pd.Series(dtype="str"), "customer_id": pd.Series(dtype="str"),
                               "order_date": pd.Series(dtype="datetime64[ns]"),
                               "amount": pd.Series(dtype="float64")})
    campaigns = crm.tables.get("campaigns")
    if campaigns is None:
        log.warning("%s has no campaigns table: the campaigns are the campaign_ids of the contacts, "
                    "without kind, dates or costs", crm.source)
        campaigns = pd.DataFrame({"campaign_id": contacts["campaign_id"].drop_duplicates().sort_values()})
    campaigns = campaigns.copy()
    mine = None
    if sales_rep:
        mine = _rep_customers(customers, sales_rep, crm.source)
        sent = _contacted(contacts, control)
        share = sent[contacts["customer_id"].isin(mine)].groupby(contacts["campaign_id"]).sum() / \
            sent.groupby(contacts["campaign_id"]).sum().replace(0, np.nan)
        campaigns["portfolio_share"] = campaigns["campaign_id"].map(share).fillna(0.0).astype(float)
    else:
        campaigns["portfolio_share"] = 1.0
    tables = {"customers": customers, "campaign_contacts": contacts, "orders": orders}
    rows, kept = [], {}
    for name, frame in tables.items():
        keep = frame if mine is None else frame[frame["customer_id"].isin(mine)]
        kept[name] = keep.reset_index(drop=True)
        rows.append({"table": name, "rows": len(frame), "kept": len(keep),
                     "other_reps": len(frame) - len(keep)})
    rows.append({"table": "campaigns", "rows": len(campaigns), "kept": len(campaigns), "other_reps": 0})
    return Portfolio(customers=kept["customers"], campaigns=campaigns,
                     contacts=kept["campaign_contacts"], orders=kept["orders"],
                     products=crm.tables.get("products"), sales_rep=sales_rep,
                     scope=pd.DataFrame(rows))


def _rep_customers(customers: pd.DataFrame, sales_rep: str, source: str) -> pd.Index:
    if "sales_rep" not in customers:
        raise ValueError(f"sales_rep={sales_rep!r}: {source} has no customers.sales_rep column, so "
                         "no portfolio can be selected; map the rep column, or leave sales_rep empty")
    reps = customers["sales_rep"].dropna()
    wanted = [sales_rep] if sales_rep in set(reps) else [r.strip() for r in sales_rep.split(";")]
    missing = [r for r in wanted if r not in set(reps)]
    if missing:  # "A; B": several reps (the "other" bucket of a schedule's grid drawn from data)
        known = ", ".join(f"{r!r}" for r in sorted(reps.unique())) or "none"
        raise ValueError(f"sales_rep={sales_rep!r} is not a rep of any customer; the reps are: {known}")
    return pd.Index(customers.loc[customers["sales_rep"].isin(wanted), "customer_id"])


def _contacted(contacts: pd.DataFrame, control: str) -> pd.Series:
    """1 for a contact that was made (not control, and ``sent`` not False), else 0."""
    made = contacts["group"] != control
    if "sent" in contacts:
        made &= contacts["sent"].fillna(True).astype(bool)
    return made.astype(int)


def campaign_costs(campaigns: pd.DataFrame, contacts: pd.DataFrame, *,
                   fixed_cost: float | None = None, cost_per_contact: float | None = None,
                   control: str = CONTROL) -> pd.DataFrame:
    """Cost of each campaign: fixed + per contact x contacts made, and where each figure comes from.

    The campaigns table's ``fixed_cost`` and ``cost_per_contact`` come first; `fixed_cost`
    and `cost_per_contact` fill in the campaigns that have none (``cost_source`` says
    "assumed"); a campaign still without either has no total cost, and its ROI is not
    computed (``cost_source`` "missing"). Contacts made = non-control contacts whose ``sent``
    is not False. With a ``portfolio_share`` column (one rep's portfolio), the fixed cost is
    apportioned by it.
    """
    for name, value in (("fixed_cost", fixed_cost), ("cost_per_contact", cost_per_contact)):
        if value is not None and not (np.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a cost >= 0 (or None for no assumption), not {value!r}")
    out = campaigns[["campaign_id"]].copy()
    for col in ("name", "kind", "channel"):
        out[col] = campaigns[col] if col in campaigns else pd.Series(pd.NA, index=out.index, dtype="str")
    out["kind"] = out["kind"].fillna("(no kind)")
    made = _contacted(contacts, control).groupby(contacts["campaign_id"]).sum()
    out["contacts_made"] = out["campaign_id"].map(made).fillna(0).astype(int)
    sources = []
    for col, assumed in (("fixed_cost", fixed_cost), ("cost_per_contact", cost_per_contact)):
        given = campaigns[col].astype(float) if col in campaigns else pd.Series(np.nan, index=out.index)
        out[col] = given.fillna(np.nan if assumed is None else assumed)
        sources.append(np.where(given.notna(), "table", np.where(out[col].notna(), "assumed", "missing")))
    share = campaigns["portfolio_share"].astype(float) if "portfolio_share" in campaigns else 1.0
    out["fixed_cost"] = out["fixed_cost"] * share
    out["total_cost"] = out["fixed_cost"] + out["cost_per_contact"] * out["contacts_made"]
    out["cost_source"] = [_source_text(f, c) for f, c in zip(*sources, strict=True)]
    return out.reset_index(drop=True)


def _source_text(fixed: str, per_contact: str) -> str:
    if fixed == per_contact:
        return {"table": "campaigns table", "assumed": "assumed (parameters)",
                "missing": "missing"}[fixed]
    return f"fixed cost {fixed}, cost per contact {per_contact}"


def line_margins(orders: pd.DataFrame, *, products: pd.DataFrame | None = None,
                 margin_rate: float | None = None) -> pd.DataFrame:
    """Order lines with their ``margin`` and ``margin_basis``.

    margin = amount - quantity x products.unit_cost (joined on ``product_id``) where the
    product and its unit cost and the quantity are known; otherwise amount x `margin_rate`.
    Returns lose their cost too (negative quantity), free samples cost their unit cost.

    Raises
    ------
    ValueError
        If some lines have no unit cost and `margin_rate` is None.
    """
    if margin_rate is not None and not (np.isfinite(margin_rate) and -1 <= margin_rate <= 1):
        raise ValueError(f"margin_rate must be a share of revenue between -1 and 1 (0.4 for 40 %), "
                         f"not {margin_rate!r}")
    out = orders[["order_id", "customer_id", "order_date", "amount"]].copy()
    unit_cost = pd.Series(np.nan, index=orders.index)
    if products is not None and "unit_cost" in products and "product_id" in orders:
        unit_cost = orders["product_id"].map(products.set_index("product_id")["unit_cost"]).astype(float)
    qty = orders["quantity"].astype(float) if "quantity" in orders else pd.Series(np.nan, index=orders.index)
    costed = unit_cost.notna() & qty.notna()
    if not costed.all() and margin_rate is None:
        raise ValueError(
            f"{(~costed).sum():,} of {len(orders):,} order lines have no unit cost (no products "
            "table, no product_id, no unit_cost or no quantity): give margin_rate, the gross "
            "margin as a share of revenue (e.g. 0.4), to value them")
    rate = np.nan if margin_rate is None else margin_rate
    out["margin"] = np.where(costed, out["amount"] - qty * unit_cost, out["amount"] * rate)
    out["margin_basis"] = np.where(costed, "unit cost of the product",
                                   f"assumed margin rate {rate:.0%}")
    return out


def margin_basis(orders: pd.DataFrame, *, products: pd.DataFrame | None = None,
                 margin_rate: float | None = None) -> pd.DataFrame:
    """How the margin of the order lines is known: lines, revenue and margin per basis."""
    lines = line_margins(orders, products=products, margin_rate=margin_rate)
    out = lines.groupby("margin_basis").agg(lines=("amount", "size"), revenue=("amount", "sum"),
                                            margin=("margin", "sum")).reset_index()
    out["share_of_lines"] = out["lines"] / max(len(lines), 1)
    out["margin_rate"] = out["margin"] / out["revenue"].where(out["revenue"] != 0)
    return out


def contact_outcomes(contacts: pd.DataFrame, orders: pd.DataFrame, *, campaigns: pd.DataFrame,
                     products: pd.DataFrame | None = None, window_days: int = 30,
                     margin_rate: float | None = None, control: str = CONTROL) -> pd.DataFrame:
    """One row per contact (or held-out customer) with what they bought in the window after it.

    Parameters
    ----------
    contacts, orders, campaigns, products : DataFrame
        Contract tables (``products`` optional: unit costs for the margin).
    window_days : int
        Attribution window: orders dated in (contact day, contact day + window_days] count.
        The contact day itself is left out: an order that day may precede the contact.
    margin_rate : float, optional
        Gross margin share for order lines without a unit cost (see :func:`line_margins`).
    control : str
        Name of the hold-out group.

    Returns
    -------
    DataFrame
        campaign_id, customer_id, group, kind, treated (group is not `control`), contacted
        (treated and ``sent`` not False: the contacts that cost money), contact_date,
        the funnel flags the source holds, converted (a positive order line in the window),
        orders, revenue, margin (net of returns in the window), and pre_sales_6m (net sales in
        the six months before the contact day, a pre-treatment covariate). The contact day is
        the day of ``sent_at``; for contacts without one (hold-outs) the campaign's
        ``start_date``, else its earliest ``sent_at``. Contacts with no day at all are left out
        and counted by :func:`workbench.campaigns.campaign_checks`.
    """
    if int(window_days) != window_days or window_days < 1:
        raise ValueError(f"window_days must be a whole number of days >= 1, not {window_days!r}")
    base = _with_contact_date(contacts, campaigns, control)
    undated = base["contact_date"].isna()
    if undated.any():  # a warning, so that the report's banner says it
        warnings.warn(f"{int(undated.sum()):,} of {len(base):,} contacts have no date (no sent_at, and "
                      "their campaign no start_date): left out of what the contacts bought; map "
                      "campaign_contacts.sent_at or campaigns.start_date", stacklevel=2)
    base = base[~undated].reset_index(drop=True)
    lines = line_margins(orders, products=products, margin_rate=margin_rate)
    sums = _window_sums(base, lines, int(window_days))
    out = base.merge(sums, on=["campaign_id", "customer_id"], how="left", validate="one_to_one")
    for col in ("orders", "revenue", "margin", "pre_sales_6m"):
        out[col] = out[col].fillna(0).astype("int64" if col == "orders" else "float64")
    out["converted"] = out["orders"] > 0
    note = window_note(out, window_days=int(window_days))
    if note and len(lines):
        warnings.warn(note, stacklevel=2)
    return out


def window_note(outcomes: pd.DataFrame, *, window_days: int) -> str:
    """"" when some contact bought in its window; else the sentence saying none did and what to check."""
    if len(outcomes) == 0 or (outcomes["orders"] > 0).any() or (outcomes["revenue"] != 0).any():
        return ""
    return (f"No contact bought in the {window_days} days after its contact day (no order falls in any "
            "attribution window): every conversion, revenue and lift below is 0. Check that the orders "
            "cover the campaigns' dates, or widen attribution_window_days.")


def _with_contact_date(contacts: pd.DataFrame, campaigns: pd.DataFrame, control: str) -> pd.DataFrame:
    flags = [f for f in FLAGS if f in contacts]
    out = contacts[["campaign_id", "customer_id", "group", *flags]].copy()
    kind = campaigns.set_index("campaign_id")["kind"] if "kind" in campaigns else pd.Series(dtype="str")
    out.insert(3, "kind", out["campaign_id"].map(kind).astype("str").fillna("(no kind)"))
    out.insert(4, "treated", out["group"] != control)
    sent = contacts["sent"].fillna(True).astype(bool) if "sent" in contacts else True
    out.insert(5, "contacted", out["treated"] & sent)
    own = contacts["sent_at"].dt.normalize() if "sent_at" in contacts else pd.Series(pd.NaT, index=out.index)
    start = campaigns.set_index("campaign_id")["start_date"] if "start_date" in campaigns else None
    first_sent = own.groupby(contacts["campaign_id"]).min()
    fallback = out["campaign_id"].map(first_sent)
    if start is not None:
        fallback = out["campaign_id"].map(start.dt.normalize()).fillna(fallback)
    out.insert(6, "contact_date", own.fillna(fallback).astype("datetime64[ns]"))
    return out


def _window_sums(base: pd.DataFrame, lines: pd.DataFrame, window_days: int) -> pd.DataFrame:
    """Per contact, inside the engine: orders, revenue, margin in the window; sales before it."""
    import ibis

    keys = ibis.memtable(base[["campaign_id", "customer_id", "contact_date"]])
    o = ibis.memtable(lines[["customer_id", "order_id", "order_date", "amount", "margin"]]
                      .rename(columns={"customer_id": "buyer"}))
    day, od = keys.contact_date.cast("date"), o.order_date.cast("date")
    after = keys.join(o, [keys.customer_id == o.buyer, od > day,
                          od <= day + ibis.interval(days=window_days)])
    won = after.group_by(["campaign_id", "customer_id"]).aggregate(
        orders=ibis.cases((after.amount > 0, after.order_id), else_=None).nunique(),
        revenue=after.amount.sum(), margin=after.margin.sum())
    before = keys.join(o, [keys.customer_id == o.buyer, od < day,
                           od >= day - ibis.interval(months=PRE_MONTHS)])
    pre = before.group_by(["campaign_id", "customer_id"]).aggregate(pre_sales_6m=before.amount.sum())
    won = _typed(won.to_pandas(), base, orders="int64", revenue="float64", margin="float64")
    pre = _typed(pre.to_pandas(), base, pre_sales_6m="float64")
    return won.merge(pre, on=["campaign_id", "customer_id"], how="outer")


def _typed(frame: pd.DataFrame, base: pd.DataFrame, **dtypes: str) -> pd.DataFrame:
    """An empty engine result rebuilt with real types (its Arrow columns have none to merge on)."""
    if len(frame):
        return frame
    keys = {k: pd.Series([], dtype=base[k].dtype) for k in ("campaign_id", "customer_id")}
    return pd.DataFrame(keys | {k: pd.Series([], dtype=v) for k, v in dtypes.items()})
