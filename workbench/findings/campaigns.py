"""What the campaign-ROI report says: which campaigns paid for themselves against a control group,
which lost money, what cannot be measured, and what a reallocation would add."""

from __future__ import annotations

import pandas as pd

from workbench.findings._text import Findings, Writer, plural

_INCREMENTAL = "incremental (vs control)"  # workbench.campaigns.BASIS_INCREMENTAL


def _arm(row) -> str:
    arm = "" if pd.isna(row.get("arm")) or str(row.get("arm")) in ("", "all", "treated", "target") else f", arm {row['arm']}"
    return f"{row['campaign_id']} ({row['kind']}{arm})"


def campaigns(*, effects: pd.DataFrame, costs: pd.DataFrame | None = None,
              allocation: pd.DataFrame | None = None, sales_rep: str = "", locale: str = "en",
              currency: str = "€") -> list[str]:
    """Sentences of the campaign-ROI report.

    Parameters
    ----------
    effects : DataFrame
        ``campaigns.incrementality``: one row per campaign arm with basis, cost, incr_margin, roi
        (``(incremental margin - cost) / cost``) and its interval roi_low, roi_high.
    costs : DataFrame, optional
        ``campaigns.campaign_costs`` (total_cost per campaign).
    allocation : DataFrame, optional
        ``campaigns.allocate_budget``: margin_today, margin_after.
    """
    w = Writer(locale=locale, currency=currency)
    out = []
    who = f" on {sales_rep}'s customers" if sales_rep else ""
    n = effects["campaign_id"].nunique()
    measured = effects[(effects["basis"] == _INCREMENTAL) & effects["roi"].notna()]
    spent = f", for a total cost of {w.money(costs['total_cost'].sum(min_count=1))}" if costs is not None else ""
    out.append(f"{w.count(n)} {plural(n, 'campaign')}{who}{spent}; {w.count(measured['campaign_id'].nunique())} "
               "can be measured against a control group.")
    losing_arms = int((measured["roi"] < 0).sum())
    head = {"Total cost": (costs["total_cost"].sum(min_count=1) if costs is not None else None, "money"),
            "Incremental margin": (measured["incr_margin"].sum(min_count=1), "money"),
            "Arms losing money": (losing_arms, "count")}
    if len(measured):
        back = (measured["incr_margin"] / measured["cost"]).rename("back")
        ranked = measured.assign(back=back).sort_values("roi", ascending=False)
        best = ranked.iloc[0]
        if best["roi"] > 0:
            sure = "" if best["roi_low"] > 0 else " (the interval still includes a loss)"
            out.append(f"Best: {_arm(best)} returned {w.money(best['back'])} of incremental margin per "
                       f"{currency} spent against its control group (ROI {w.fraction(best['roi'])}){sure}.")
        losing = ranked[ranked["roi"] < 0].sort_values("roi")
        if len(losing):
            names = "; ".join(f"{_arm(r)} lost {w.money(-r['roi'])} per {currency} spent "
                              f"(cost {w.money(r['cost'])})" for _, r in losing.head(2).iterrows())
            more = f"; {len(losing) - 2} more in the ROI table" if len(losing) > 2 else ""
            sure = int((losing["roi_high"] < 0).sum())
            doubt = (f" For {w.count(sure)} of them the loss is clear: the whole interval is below zero."
                     if sure else "")
            out.append(f"{w.count(len(losing))} {plural(len(losing), 'campaign arm')} lost money against "
                       f"{plural(len(losing), 'its', 'their')} control group: {names}{more}.{doubt}")
        else:
            out.append("No measured campaign lost money against its control group.")
    unmeasured = effects.loc[effects["basis"] != _INCREMENTAL, "campaign_id"].nunique()
    if unmeasured:
        out.append(f"{w.count(unmeasured)} {plural(unmeasured, 'campaign')} had no control group: "
                   f"{plural(unmeasured, 'its', 'their')} figures are attributed, not proven.")
    if allocation is not None and len(allocation):
        gain = float(allocation["margin_after"].sum() - allocation["margin_today"].sum())
        if gain > 0:
            out.append(f"Moving the same budget across action kinds and segments would add about "
                       f"{w.money(gain)} of expected incremental margin (section on reallocation).")
    return Findings(out[:6], head)
