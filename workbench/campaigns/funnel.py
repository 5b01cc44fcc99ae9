"""Campaign ROI, part 4: the funnel of each campaign and the figures of each group.

Private to :mod:`workbench.campaigns`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.campaigns.outcomes import CONTROL, FLAGS

__all__ = ["RATES", "FUNNEL_STAGES", "rate_definitions", "funnel", "funnel_stages", "arm_summary"]

#: rate -> (numerator, denominator, what it says). Every rate states its denominator.
RATES = {
    "delivery_rate": ("delivered", "sent", "messages that reached the contact"),
    "bounce_rate": ("bounced", "sent", "e-mails that bounced"),
    "undeliverable_rate": ("undeliverable", "sent", "mail or calls not delivered"),
    "open_rate": ("opened", "delivered", "delivered e-mails opened"),
    "click_through_rate": ("clicked", "opened", "opened e-mails clicked (click-to-open)"),
    "click_rate": ("clicked", "delivered", "delivered e-mails clicked"),
    "unsubscribe_rate": ("unsubscribed", "delivered", "delivered e-mails ending in unsubscribe"),
    "attendance_rate": ("attended", "delivered", "invitations that led to attendance"),
    "response_rate": ("responded", "sent", "visit, reply or registration"),
    "conversion_rate": ("converted", "sent", "bought in the attribution window"),
}
#: The funnel, in order; a stage the source does not track is left out of a campaign's funnel.
FUNNEL_STAGES = ("sent", "delivered", "opened", "clicked", "converted")


def rate_definitions() -> pd.DataFrame:
    """Every funnel rate with its numerator and denominator, as a table."""
    return pd.DataFrame([{"rate": k, "numerator": n, "denominator": d, "meaning": m}
                         for k, (n, d, m) in RATES.items()])


def funnel(outcomes: pd.DataFrame, *, campaigns: pd.DataFrame | None = None,
           costs: pd.DataFrame | None = None, control: str = CONTROL) -> pd.DataFrame:
    """Per campaign and treated arm: funnel counts, rates (see :data:`RATES`), attributed results.

    Counts are the contacts with the flag true; a flag the source does not hold, or holds
    empty for the whole arm, is "not tracked" (NaN, and so are the rates that use it). When
    the ``sent`` flag is not tracked, every treated contact counts as sent. ``converted`` =
    bought in the attribution window; revenue and margin are what the arm's contacts bought
    in the window: *attributed*, not incremental (see :func:`workbench.campaigns.incrementality`).
    Campaigns of `campaigns` without any contact get a row of zeros. `costs` adds the cost
    and the attributed cost per conversion.
    """
    rows = []
    for (cid, arm), g in outcomes[outcomes["group"] != control].groupby(["campaign_id", "group"], sort=True):
        row = {"campaign_id": cid, "arm": arm, "kind": g["kind"].iat[0], "contacts": len(g)}
        for flag in FLAGS:
            tracked = flag in g and g[flag].notna().any()
            row[flag] = int(g[flag].fillna(False).astype(bool).sum()) if tracked else np.nan
        if np.isnan(row["sent"]):
            row["sent"] = len(g)
        row |= {"converted": int(g["converted"].sum()), "revenue": float(g["revenue"].sum()),
                "margin": float(g["margin"].sum())}
        rows.append(row)
    out = pd.DataFrame(rows, columns=["campaign_id", "arm", "kind", "contacts", *FLAGS, "converted",
                                      "revenue", "margin"])
    out[["contacts", *FLAGS, "converted"]] = out[["contacts", *FLAGS, "converted"]].astype("Int64")
    if campaigns is not None:
        missing = campaigns.loc[~campaigns["campaign_id"].isin(out["campaign_id"])]
        empty = pd.DataFrame({"campaign_id": missing["campaign_id"], "arm": "(no contact)",
                              "kind": missing["kind"] if "kind" in missing else "(no kind)",
                              "contacts": 0, "sent": 0, "converted": 0, "revenue": 0.0, "margin": 0.0})
        out = pd.concat([out, empty], ignore_index=True) if len(empty) else out
    for rate, (num, den, _) in RATES.items():
        out[rate] = (out[num] / out[den].where(out[den] > 0)).astype("float64")
    if costs is not None:
        out = _add_costs(out, costs)
    return out.sort_values(["campaign_id", "arm"], kind="stable").reset_index(drop=True)


def _add_costs(out: pd.DataFrame, costs: pd.DataFrame) -> pd.DataFrame:
    c = costs.set_index("campaign_id")
    made = out.groupby("campaign_id")["sent"].transform("sum")
    share = (out["sent"] / made.where(made > 0)).fillna(0)
    out["cost"] = (out["campaign_id"].map(c["fixed_cost"]) * share
                   + out["campaign_id"].map(c["cost_per_contact"]) * out["sent"]).astype("float64")
    out["cost_per_conversion"] = (out["cost"] / out["converted"].where(out["converted"] > 0)).astype("float64")
    return out


def funnel_stages(funnel_table: pd.DataFrame, campaign_id: str, *, arm: str | None = None) -> pd.DataFrame:
    """One campaign's funnel as stages: count, share of sent, share of the previous stage.

    Stages not tracked are left out; the arms of a multi-arm campaign are added up unless
    `arm` is given.
    """
    rows = funnel_table[funnel_table["campaign_id"] == campaign_id]
    if arm is not None:
        rows = rows[rows["arm"] == arm]
    if rows.empty:
        known = ", ".join(funnel_table["campaign_id"].astype(str).unique()[:20])
        raise ValueError(f"campaign {campaign_id!r}{'' if arm is None else f' arm {arm!r}'} is not in "
                         f"the funnel table; campaigns: {known}")
    stages = []
    for stage in FUNNEL_STAGES:
        if rows[stage].notna().any():
            stages.append({"stage": stage, "count": int(rows[stage].sum())})
    out = pd.DataFrame(stages)
    out["share_of_sent"] = out["count"] / out["count"].iat[0] if out["count"].iat[0] else np.nan
    prev = out["count"].shift(1)
    out["share_of_previous"] = out["count"] / prev.where(prev > 0)
    out["denominator"] = ["-", *out["stage"].iloc[:-1]]
    out.insert(0, "campaign_id", campaign_id)
    return out


def arm_summary(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Per campaign and group (control included): contacts and what the group did in the window.

    response_rate = responded / contacts of the group (NaN when the source does not track
    responses: the column is always there); conversion_rate =
    converted / contacts; revenue_per_contact and margin_per_contact over every contact of
    the group (0 for non-buyers); revenue_per_buyer over the converted only.
    """
    g = outcomes.groupby(["campaign_id", "group"], sort=True)
    out = g.agg(kind=("kind", "first"), contacts=("customer_id", "size"),
                buyers=("converted", "sum"), revenue=("revenue", "sum"), margin=("margin", "sum"))
    out["responded"] = g["responded"].agg(lambda s: s.fillna(False).astype(bool).sum()
                                          if s.notna().any() else np.nan) \
        if "responded" in outcomes else np.nan  # not tracked: NaN, never 0
    out["response_rate"] = (out["responded"] / out["contacts"]).astype("float64")
    out["conversion_rate"] = out["buyers"] / out["contacts"]
    out["revenue_per_contact"] = out["revenue"] / out["contacts"]
    out["margin_per_contact"] = out["margin"] / out["contacts"]
    bought = outcomes["revenue"].where(outcomes["converted"], 0.0)
    buyers_revenue = bought.groupby([outcomes["campaign_id"], outcomes["group"]]).sum()
    out["revenue_per_buyer"] = buyers_revenue / out["buyers"].where(out["buyers"] > 0)
    return out.reset_index()
