"""Explore customer health interactively: the points table, threshold, horizon, discount rate,
and one customer's capital trajectory. Each widget wraps pure functions of :mod:`workbench.health`
and :mod:`workbench.health.clv`; static reports show the same information as tables.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

__all__ = ["explore_capital", "explore_value", "explore_customer"]


def _say(text: str) -> None:
    import html

    from IPython.display import HTML, display

    display(HTML(f"<p>{html.escape(text)}</p>"))


def _show_plot(draw) -> None:
    import matplotlib.pyplot as plt

    draw()
    plt.show()


def explore_capital(crm, *, as_of, points=None, rules=None):
    """Edit the points table, the start level and the break threshold, then recompute.

    Shows the customers per status and the distribution of the capital at ``as_of``.
    """
    import ipywidgets as w
    from IPython.display import display

    from workbench.health import CapitalRules, capital_events, points_table, tolerance_capital
    from workbench.plotting.health import plot_capital_distribution

    rules = rules or CapitalRules()
    table = points_table(points)
    events = capital_events(crm, as_of=as_of, rules=rules)
    boxes = {e: w.FloatText(value=float(p), description=e.replace("_", " "), layout=w.Layout(width="260px"),
                            style={"description_width": "140px"}) for e, p in table["points"].items()}
    start = w.FloatSlider(value=rules.start, min=rules.floor + 1, max=rules.ceiling, step=1, description="start")
    threshold = w.FloatSlider(value=rules.threshold, min=rules.floor, max=rules.ceiling - 1, step=1,
                              description="threshold")
    decay = w.FloatSlider(value=rules.decay_per_rhythm, min=0, max=50, step=1, description="wear / rhythm")
    button = w.Button(description="Recompute", button_style="primary")
    out = w.Output()

    def refresh(*_):
        out.clear_output(wait=True)
        with out:
            try:
                r = dataclasses.replace(rules, start=start.value, threshold=threshold.value,
                                        decay_per_rhythm=decay.value)
                cap = tolerance_capital(events, as_of=as_of, rules=r,
                                        points={e: b.value for e, b in boxes.items()})
            except ValueError as exc:  # e.g. threshold above the start level
                _say(f"Cannot compute: {exc}")
                return
            display(cap.status_counts())
            _show_plot(lambda: plot_capital_distribution(cap.customers, threshold=r.threshold,
                                                         near_margin=r.near_margin))

    button.on_click(refresh)
    refresh()
    grid = w.GridBox(list(boxes.values()), layout=w.Layout(grid_template_columns="repeat(3, 270px)"))
    return w.VBox([w.HTML("<b>Points table</b>"), grid, w.HBox([start, threshold, decay]), button, out])


def explore_value(model, orders: pd.DataFrame, *, as_of, top: int = 10):
    """Pick the CLV horizon and the yearly discount rate: totals, distribution and top customers."""
    import ipywidgets as w
    from IPython.display import display

    horizon = w.IntSlider(value=12, min=1, max=60, description="horizon (months)",
                          style={"description_width": "120px"})
    rate = w.FloatSlider(value=0.10, min=0.0, max=0.5, step=0.01, description="discount / year",
                         readout_format=".0%", style={"description_width": "120px"})
    out = w.Output()

    def refresh(*_):
        out.clear_output(wait=True)
        with out:
            scores = model.score(orders, as_of=as_of, horizon_months=horizon.value, discount_rate=rate.value)
            _say(f"{len(scores):,} customers: total CLV {scores['clv'].sum():,.0f}, mean "
                 f"{scores['clv'].mean():,.0f}, median {scores['clv'].median():,.0f}; "
                 f"undiscounted expected revenue {scores['expected_revenue'].sum():,.0f}")
            display(scores.sort_values("clv", ascending=False).head(top)[
                ["purchases", "p_alive", "expected_purchases", "expected_spend", "clv"]])

    horizon.observe(refresh, names="value")
    rate.observe(refresh, names="value")
    refresh()
    return w.VBox([w.HBox([horizon, rate]), out])


def explore_customer(capital, *, table: pd.DataFrame | None = None):
    """Look one customer up: the capital trajectory, its events, and the health row if given."""
    import ipywidgets as w
    from IPython.display import display

    from workbench.plotting.health import plot_capital_trajectories

    ids = list(capital.customers.sort_values("capital", kind="stable").index)
    picker = w.Combobox(value=ids[0] if ids else "", options=ids[:5000], description="customer",
                        placeholder="customer id", ensure_option=False)
    out = w.Output()
    r = capital.rules

    def refresh(*_):
        out.clear_output(wait=True)
        with out:
            cid = picker.value.strip()
            if cid not in capital.customers.index:
                _say(f"{cid!r}: no such customer with a purchase by {capital.as_of:%Y-%m-%d}")
                return
            traj = capital.customer(cid)
            _show_plot(lambda: plot_capital_trajectories(traj, threshold=r.threshold, near_margin=r.near_margin))
            if table is not None and cid in table.index:
                display(table.loc[[cid]].T)
            display(traj[traj["event"] != "inactivity_starts"])

    picker.observe(refresh, names="value")
    refresh()
    return w.VBox([picker, out])
