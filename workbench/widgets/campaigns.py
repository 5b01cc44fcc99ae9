"""Explore campaign ROI interactively: campaign, attribution window and model, costs, budget."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["explore_campaigns"]


def _costs_with(costs: pd.DataFrame, campaign_id: str, fixed: float, per_contact: float) -> pd.DataFrame:
    """`costs` with the picked campaign's costs replaced by the widget's assumptions."""
    out = costs.copy()
    row = out["campaign_id"] == campaign_id
    out.loc[row, "fixed_cost"] = fixed
    out.loc[row, "cost_per_contact"] = per_contact
    out.loc[row, "total_cost"] = fixed + per_contact * out.loc[row, "contacts_made"]
    out.loc[row, "cost_source"] = "assumed (widget)"
    return out


def explore_campaigns(portfolio, *, margin_rate: float | None = None, window_days: int = 30,
                      half_life_days: float = 7.0, as_of=None, fixed_cost: float | None = None,
                      cost_per_contact: float | None = None):
    """Pick a campaign, the attribution window and model, its costs and the budget.

    Shows the campaign's funnel, its incremental effects and ROI under the costs entered,
    what each attribution model credits it with, and the budget reallocation across kinds x
    sales bands for the budget chosen. Outcomes are recomputed when the window changes.

    Parameters
    ----------
    portfolio : Portfolio
        From :func:`workbench.campaigns.portfolio`.
    margin_rate, fixed_cost, cost_per_contact
        As in :func:`~workbench.campaigns.line_margins` and :func:`~workbench.campaigns.campaign_costs`.
    as_of : date, optional
        Date of the segments used by the reallocation (default: the last order date).
    """
    import ipywidgets as w
    from IPython.display import display

    from workbench import campaigns as C
    from workbench.plotting import campaigns as P

    p = portfolio
    base_costs = C.campaign_costs(p.campaigns, p.contacts, fixed_cost=fixed_cost,
                                  cost_per_contact=cost_per_contact)
    lines = C.line_margins(p.orders, products=p.products, margin_rate=margin_rate)
    as_of = pd.Timestamp(as_of) if as_of is not None else p.orders["order_date"].max()
    today = float((base_costs["cost_per_contact"] * base_costs["contacts_made"]).sum())
    ui = _controls(w, list(p.campaigns["campaign_id"]), window_days, half_life_days, today, C.MODELS)
    out = w.Output()
    cache: dict[int, pd.DataFrame] = {}

    def outcomes(days: int) -> pd.DataFrame:
        if days not in cache:
            cache[days] = C.contact_outcomes(p.contacts, p.orders, campaigns=p.campaigns,
                                             products=p.products, window_days=days,
                                             margin_rate=margin_rate)
        return cache[days]

    def load_costs(*_):
        row = base_costs.loc[base_costs["campaign_id"] == ui["campaign"].value].iloc[0]
        ui["fixed"].value = 0.0 if math.isnan(row["fixed_cost"]) else float(row["fixed_cost"])
        ui["per"].value = 0.0 if math.isnan(row["cost_per_contact"]) else float(row["cost_per_contact"])

    def refresh(*_):
        out.clear_output(wait=True)
        cid = ui["campaign"].value
        with out:
            _show(C, P, display, p, outcomes(ui["window"].value), lines, cid, ui["window"].value,
                  ui["model"].value, ui["half"].value,
                  _costs_with(base_costs, cid, ui["fixed"].value, ui["per"].value),
                  ui["budget"].value, as_of)

    ui["campaign"].observe(load_costs, names="value")
    for control in ui.values():
        control.observe(refresh, names="value")
    load_costs()
    refresh()
    return w.VBox([w.HBox([ui["campaign"], ui["window"]]), w.HBox([ui["model"], ui["half"]]),
                   w.HBox([ui["fixed"], ui["per"]]), ui["budget"], out])


def _controls(w, campaign_ids, window_days, half_life_days, today, models) -> dict:
    """The explorer's controls: campaign, window, model, half-life, costs, budget."""
    style = {"description_width": "initial"}
    return {
        "campaign": w.Dropdown(options=campaign_ids, description="Campaign", style=style),
        "window": w.IntSlider(value=window_days, min=1, max=120, description="Window (days)",
                              style=style),
        "model": w.Dropdown(options=list(models), description="Attribution model", style=style),
        "half": w.FloatSlider(value=half_life_days, min=1, max=60, step=1,
                              description="Half-life (days)", style=style),
        "fixed": w.FloatText(description="Fixed cost", style=style),
        "per": w.FloatText(description="Cost per contact", style=style),
        "budget": w.FloatSlider(value=today, min=0, max=max(3 * today, 1.0),
                                step=max(today / 100, 0.01), description="Variable budget",
                                style=style, readout_format=",.0f"),
    }


def _show(C, P, display, p, o, lines, cid, days, model, half, costs, budget, as_of) -> None:
    import matplotlib.pyplot as plt

    f = C.funnel(o, campaigns=p.campaigns, costs=costs)
    if (f["campaign_id"] == cid).any() and f.loc[f["campaign_id"] == cid, "contacts"].sum() > 0:
        ax = P.plot_funnel(C.funnel_stages(f, cid))
        plt.show()
        plt.close(ax.figure)
    inc = C.incrementality(o[o["campaign_id"] == cid], costs=costs)
    cols = ["arm", "basis", "n_treated", "n_control", "conversion_lift", "revenue_lift", "margin_lift",
            "margin_low", "margin_high", "cost", "roi", "roi_low", "roi_high", "attributed_roi", "message"]
    display(inc[[c for c in cols if c in inc]] if len(inc) else C.campaign_checks(
        p.campaigns[p.campaigns["campaign_id"] == cid], p.contacts, costs=costs))
    att = C.attribution(o, lines, window_days=days, half_life_days=half, models=[model])
    display(att[att["campaign_id"] == cid])
    seg = C.add_segments(o)
    now = C.current_segments(p.customers, p.orders, as_of=as_of,
                             edges=C.sales_band_edges(o["pre_sales_6m"]))
    cells = C.allocation_cells(seg, by=C.SALES_BAND, costs=costs, audience=now)
    frozen = float(cells.loc[cells["status"] != "optimised", "n_today"].mul(
        cells["cost_per_contact"].fillna(0)).sum())
    alloc = C.allocate_budget(cells, budget=max(budget, frozen))
    display(C.allocation_summary(alloc).round(2))
    if np.isfinite(alloc["spend_after"]).all():
        ax = P.plot_allocation(C.allocation_summary(alloc))
        plt.show()
        plt.close(ax.figure)
