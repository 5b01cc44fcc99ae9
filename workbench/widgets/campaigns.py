"""Explore campaign ROI interactively: campaign, attribution window and model, costs, budget."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from workbench.widgets._refresh import Refresher, View

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

    from workbench import campaigns as C

    p = portfolio
    base_costs = C.campaign_costs(p.campaigns, p.contacts, fixed_cost=fixed_cost,
                                  cost_per_contact=cost_per_contact)
    lines = C.line_margins(p.orders, products=p.products, margin_rate=margin_rate)
    as_of = pd.Timestamp(as_of) if as_of is not None else p.orders["order_date"].max()
    today = float((base_costs["cost_per_contact"] * base_costs["contacts_made"]).sum())
    ui = _controls(w, list(p.campaigns["campaign_id"]), window_days, half_life_days, today, C.MODELS)
    cache: dict[int, pd.DataFrame] = {}

    def outcomes(days: int) -> pd.DataFrame:
        if days not in cache:
            cache[days] = C.contact_outcomes(p.contacts, p.orders, campaigns=p.campaigns,
                                             products=p.products, window_days=days,
                                             margin_rate=margin_rate)
        return cache[days]

    def render() -> list:
        cid = ui["campaign"].value
        return _parts(C, p, outcomes(ui["window"].value), lines, cid, ui["window"].value,
                      ui["model"].value, ui["half"].value,
                      _costs_with(base_costs, cid, ui["fixed"].value, ui["per"].value),
                      ui["budget"].value, as_of)

    view = View()
    refresher = Refresher(render, view=view, controls=ui.values())

    def campaign_changed(*_):
        """The campaign's own costs fill the cost boxes, then one refresh (not three)."""
        row = base_costs.loc[base_costs["campaign_id"] == ui["campaign"].value].iloc[0]
        with refresher.quiet():
            ui["fixed"].value = 0.0 if math.isnan(row["fixed_cost"]) else float(row["fixed_cost"])
            ui["per"].value = 0.0 if math.isnan(row["cost_per_contact"]) else float(row["cost_per_contact"])
        refresher.request()

    ui["campaign"].observe(campaign_changed, names="value")
    refresher.watch(*(c for k, c in ui.items() if k != "campaign"))
    campaign_changed()
    box = w.VBox([w.HBox([ui["campaign"], ui["window"]]), w.HBox([ui["model"], ui["half"]]),
                  w.HBox([ui["fixed"], ui["per"]]), ui["budget"], view.box])
    box.view, box.refresher = view, refresher
    return box


def _controls(w, campaign_ids, window_days, half_life_days, today, models) -> dict:
    """The explorer's controls: campaign, window, model, half-life, costs, budget."""
    style = {"description_width": "initial"}
    slow = {"style": style, "continuous_update": False}  # a refresh when the slider is released
    return {
        "campaign": w.Dropdown(options=campaign_ids, description="Campaign", style=style),
        "window": w.IntSlider(value=window_days, min=1, max=120, description="Window (days)", **slow),
        "model": w.Dropdown(options=list(models), description="Attribution model", style=style),
        "half": w.FloatSlider(value=half_life_days, min=1, max=60, step=1,
                              description="Half-life (days)", **slow),
        "fixed": w.FloatText(description="Fixed cost", style=style),
        "per": w.FloatText(description="Cost per contact", style=style),
        "budget": w.FloatSlider(value=today, min=0, max=max(3 * today, 1.0),
                                step=max(today / 100, 0.01), description="Variable budget",
                                readout_format=",.0f", **slow),
    }


def _parts(C, p, o, lines, cid, days, model, half, costs, budget, as_of) -> list:
    """The funnel chart, the effects, the attribution, the reallocation and its chart."""
    from workbench.plotting import campaigns as P
    from workbench.plotting._base import new_figure

    parts = []
    f = C.funnel(o, campaigns=p.campaigns, costs=costs)
    if (f["campaign_id"] == cid).any() and f.loc[f["campaign_id"] == cid, "contacts"].sum() > 0:
        stages = C.funnel_stages(f, cid)
        fig = new_figure((8, 0.6 * len(stages) + 1.2), detached=True)
        P.plot_funnel(stages, ax=fig.add_subplot())
        parts.append(fig)
    else:
        parts.append(f"{cid}: no contact made, no funnel to draw")
    inc = C.incrementality(o[o["campaign_id"] == cid], costs=costs)
    cols = ["arm", "basis", "n_treated", "n_control", "conversion_lift", "revenue_lift", "margin_lift",
            "margin_low", "margin_high", "cost", "roi", "roi_low", "roi_high", "attributed_roi", "message"]
    parts.append(inc[[c for c in cols if c in inc]] if len(inc) else C.campaign_checks(
        p.campaigns[p.campaigns["campaign_id"] == cid], p.contacts, costs=costs))
    att = C.attribution(o, lines, window_days=days, half_life_days=half, models=[model])
    parts.append(att[att["campaign_id"] == cid])
    seg = C.add_segments(o)
    now = C.current_segments(p.customers, p.orders, as_of=as_of,
                             edges=C.sales_band_edges(o["pre_sales_6m"]))
    cells = C.allocation_cells(seg, by=C.SALES_BAND, costs=costs, audience=now)
    frozen = float(cells.loc[cells["status"] != "optimised", "n_today"].mul(
        cells["cost_per_contact"].fillna(0)).sum())
    alloc = C.allocate_budget(cells, budget=max(budget, frozen))
    summary = C.allocation_summary(alloc)
    parts.append(summary.round(2))
    if np.isfinite(alloc["spend_after"]).all():
        fig = new_figure((9, 0.6 * len(summary) + 1.5), detached=True)
        P.plot_allocation(summary, ax=fig.add_subplot())
        parts.append(fig)
    else:
        parts.append("The reallocation has cells without a cost per contact: no chart")
    return parts
