"""Explore customer health interactively: the points table, threshold, horizon, discount rate,
and one customer's capital trajectory. Each widget wraps pure functions of :mod:`workbench.health`
and :mod:`workbench.health.clv`; static reports show the same information as tables.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from workbench.widgets._refresh import Refresher, View

__all__ = ["explore_capital", "explore_value", "explore_customer"]


def explore_capital(crm, *, as_of, points=None, rules=None):
    """Edit the points table, the start level and the break threshold, then recompute.

    Shows the customers per status and the distribution of the capital at ``as_of``. The
    threshold cannot reach the start level (a capital must start above its break threshold).
    """
    import ipywidgets as w

    from workbench.health import CapitalRules, capital_events, points_table, tolerance_capital
    from workbench.plotting._base import new_figure
    from workbench.plotting.health import plot_capital_distribution

    rules = rules or CapitalRules()
    table = points_table(points)
    events = capital_events(crm, as_of=as_of, rules=rules)
    boxes = {e: w.FloatText(value=float(p), description=e.replace("_", " "), layout=w.Layout(width="260px"),
                            style={"description_width": "140px"}) for e, p in table["points"].items()}
    slow = {"step": 1, "continuous_update": False}
    start = w.FloatSlider(value=rules.start, min=rules.floor + 1, max=rules.ceiling, description="start",
                          **slow)
    threshold = w.FloatSlider(value=rules.threshold, min=rules.floor, max=rules.start - 1,
                              description="threshold", **slow)
    decay = w.FloatSlider(value=rules.decay_per_rhythm, min=0, max=50, description="wear / rhythm", **slow)
    button = w.Button(description="Recompute", button_style="primary")

    def cap_threshold(change) -> None:
        threshold.max = change["new"] - 1  # the slider clamps its value below the start level

    start.observe(cap_threshold, names="value")

    def render() -> list:
        r = dataclasses.replace(rules, start=start.value, threshold=threshold.value,
                                decay_per_rhythm=decay.value)
        points = {e: b.value for e, b in boxes.items()}
        cap = tolerance_capital(events, as_of=as_of, rules=r, points=points)
        fig = new_figure(detached=True)
        plot_capital_distribution(cap.customers, threshold=r.threshold, near_margin=r.near_margin,
                                  ax=fig.add_subplot())
        changed = [f"{e} {v:g}" for e, v in points.items() if v != table.loc[e, "points"]]
        return [f"start {r.start:g}, threshold {r.threshold:g}, wear {r.decay_per_rhythm:g} per rhythm; "
                f"points changed: {', '.join(changed) or 'none'}", cap.status_counts(), fig]

    view = View()
    refresher = Refresher(render, view=view, controls=[*boxes.values(), start, threshold, decay, button])
    button.on_click(refresher.request)
    refresher.request()
    grid = w.GridBox(list(boxes.values()), layout=w.Layout(grid_template_columns="repeat(3, 270px)"))
    box = w.VBox([w.HTML("<b>Points table</b>"), grid, w.HBox([start, threshold, decay]), button, view.box])
    box.view, box.refresher = view, refresher
    return box


def explore_value(model, orders: pd.DataFrame, *, as_of, top: int = 10):
    """Pick the CLV horizon and the yearly discount rate: totals, distribution and top customers."""
    import ipywidgets as w

    horizon = w.IntSlider(value=12, min=1, max=60, description="horizon (months)",
                          style={"description_width": "120px"}, continuous_update=False)
    rate = w.FloatSlider(value=0.10, min=0.0, max=0.5, step=0.01, description="discount / year",
                         readout_format=".0%", style={"description_width": "120px"},
                         continuous_update=False)

    def render() -> list:
        scores = model.score(orders, as_of=as_of, horizon_months=horizon.value, discount_rate=rate.value)
        return [
            f"{len(scores):,} customers over {horizon.value} months at {rate.value:.0%} a year: "
            f"total CLV {scores['clv'].sum():,.0f}, mean "
            f"{scores['clv'].mean():,.0f}, median {scores['clv'].median():,.0f}; "
            f"undiscounted expected revenue {scores['expected_revenue'].sum():,.0f}",
            scores.sort_values("clv", ascending=False).head(top)[
                ["purchases", "p_alive", "expected_purchases", "expected_spend", "clv"]],
        ]

    view = View()
    refresher = Refresher(render, view=view, controls=[horizon, rate])
    refresher.watch(horizon, rate)
    refresher.request()
    box = w.VBox([w.HBox([horizon, rate]), view.box])
    box.view, box.refresher = view, refresher
    return box


def explore_customer(capital, *, table: pd.DataFrame | None = None):
    """Look one customer up: the capital trajectory, its events, and the health row if given."""
    import ipywidgets as w

    from workbench.plotting._base import new_figure
    from workbench.plotting.health import plot_capital_trajectories

    ids = list(capital.customers.sort_values("capital", kind="stable").index)
    picker = w.Combobox(value=ids[0] if ids else "", options=ids[:5000], description="customer",
                        placeholder="customer id", ensure_option=False,
                        continuous_update=False)  # looked up on Enter, not on each key
    r = capital.rules

    def render() -> list:
        cid = picker.value.strip()
        if cid not in capital.customers.index:
            raise ValueError(f"{cid!r}: no such customer with a purchase by {capital.as_of:%Y-%m-%d}")
        traj = capital.customer(cid)
        fig = new_figure((10, 4), detached=True)
        plot_capital_trajectories(traj, threshold=r.threshold, near_margin=r.near_margin, ax=fig.add_subplot())
        parts = [fig]
        if table is not None and cid in table.index:
            parts.append(table.loc[[cid]].T)
        parts.append(traj[traj["event"] != "inactivity_starts"])
        return parts

    view = View()
    refresher = Refresher(render, view=view, controls=[picker])
    refresher.watch(picker)
    refresher.request()
    box = w.VBox([picker, view.box])
    box.view, box.refresher = view, refresher
    return box
