"""Plots of lifetime value and customer health (:mod:`workbench.health.clv`, :mod:`workbench.health`).

Each draws a table a compute function returned; none computes anything itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.plotting._base import axes as _axes
from workbench.plotting._base import shows_figure

__all__ = ["plot_capital_trajectories", "plot_capital_distribution", "plot_p_alive_matrix",
           "plot_holdout_check", "plot_forecast", "plot_tracking", "plot_clv_by_segment",
           "plot_risk_bands", "plot_action_counts"]

_BAND_COLORS = {"low": "tab:green", "medium": "gold", "high": "tab:orange", "critical": "tab:red"}
_MARKED = ("purchase", "first_purchase", "inactivity", "inactivity_starts", "as_of")


def _threshold_band(ax, threshold, near_margin, *, vertical: bool = False) -> None:
    """Shade the break zone (red) and the near zone (orange) along the capital axis."""
    if threshold is None:
        return
    span, line = (ax.axvspan, ax.axvline) if vertical else (ax.axhspan, ax.axhline)
    low = (ax.get_xlim() if vertical else ax.get_ylim())[0]
    span(low, threshold, color="tab:red", alpha=0.08, lw=0)
    line(threshold, color="tab:red", lw=1, ls="--", label=f"break threshold ({threshold:g})")
    if near_margin:
        span(threshold, threshold + near_margin, color="tab:orange", alpha=0.08, lw=0,
             label=f"near it (+{near_margin:g})")


@shows_figure
def plot_capital_trajectories(trajectory: pd.DataFrame, *, customers=None, threshold: float | None = None,
                              near_margin: float | None = None, label_events: bool = True, ax=None):
    """Capital over time of a few customers (rows of ``CapitalResult.trajectory``).

    Lines join the capital after each row (wear included, so slopes are inactivity); dots
    mark purchases, triangles the other events (red when they cost points, green when they
    add). With ``label_events``, the events other than purchases are named when a single
    customer is drawn.
    """
    ax = _axes(ax, figsize=(10, 4))
    ids = list(dict.fromkeys(trajectory["customer_id"])) if customers is None else [str(c) for c in customers]
    if not ids:
        raise ValueError("no customer to draw: give customer ids that have a trajectory")
    colors = dict(zip(ids, [f"C{i % 10}" for i in range(len(ids))], strict=True))
    for cid in ids:
        t = trajectory[trajectory["customer_id"] == cid]
        if t.empty:
            raise ValueError(f"customer {cid!r} has no trajectory (no purchase by the analysis date?)")
        ax.plot(t["date"], t["capital"], color=colors[cid], lw=1.6, label=cid)
        buys = t[t["event"].isin(["purchase", "first_purchase"])]
        ax.scatter(buys["date"], buys["capital"], s=14, color=colors[cid], zorder=3)
        ev = t[~t["event"].isin(_MARKED)]
        ax.scatter(ev["date"], ev["capital"], s=40, marker="v", zorder=4,
                   c=np.where(ev["points"] < 0, "tab:red", "tab:green"))
        if label_events and len(ids) == 1:
            for (_, row), k in zip(ev.iterrows(), range(len(ev)), strict=True):
                ax.annotate(row["event"].replace("_", " "), (row["date"], row["capital"]), fontsize=7,
                            xytext=(4, 8 if k % 2 else -12), textcoords="offset points", rotation=0)
    ax.set_ylim(bottom=min(0, ax.get_ylim()[0]))
    _threshold_band(ax, threshold, near_margin)
    ax.set(xlabel="", ylabel="tolerance capital",
           title="Tolerance capital over time" + (f": {ids[0]}" if len(ids) == 1 else ""))
    ax.legend(fontsize="small", loc="upper left", ncol=min(len(ids) + 1, 4))
    return ax


@shows_figure
def plot_capital_distribution(customers: pd.DataFrame, *, threshold: float | None = None,
                              near_margin: float | None = None, ax=None):
    """Histogram of today's capital (``CapitalResult.customers``), threshold zone shaded."""
    ax = _axes(ax)
    ax.hist(customers["capital"], bins=50, color="tab:blue", alpha=0.8)
    _threshold_band(ax, threshold, near_margin, vertical=True)
    counts = customers["status"].value_counts()
    ax.set(xlabel="tolerance capital at the analysis date", ylabel="customers",
           title="Capital today: " + ", ".join(f"{counts.get(s, 0):,} {s}" for s in ("broken", "near", "ok")))
    if threshold is not None:
        ax.legend(fontsize="small")
    return ax


@shows_figure
def plot_p_alive_matrix(matrix: pd.DataFrame, *, ax=None):
    """P(alive) over repeat purchases x time since the last purchase (``clv.p_alive_matrix``)."""
    ax = _axes(ax, figsize=(8, 4.5))
    grid = matrix[matrix["frequency"] > 0].pivot(index="frequency", columns="time_since_last", values="p_alive")
    x, y = grid.columns.to_numpy(float), grid.index.to_numpy(float)
    mesh = ax.pcolormesh(x, y, grid.to_numpy(), cmap="RdYlGn", vmin=0, vmax=1, shading="nearest")
    zero = matrix[matrix["frequency"] == 0]
    if len(zero):
        ax.scatter(zero["time_since_last"], [0] * len(zero), c=zero["p_alive"], cmap="RdYlGn", vmin=0, vmax=1,
                   s=120, marker="s", edgecolor="k")
    ax.figure.colorbar(mesh, ax=ax, label="P(alive)")
    title = "Probability that a customer is still active"
    if matrix.attrs.get("unreliable"):
        title += "\n(UNRELIABLE FIT: see the warnings)"
    ax.set(xlabel="time since the last purchase (model time units)", ylabel="repeat purchases",
           title=title)
    return ax


@shows_figure
def plot_holdout_check(table: pd.DataFrame, *, ax=None):
    """Mean holdout purchases, actual vs predicted, by calibration frequency (``holdout_check``)."""
    ax = _axes(ax, figsize=(8, 3.5))
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["actual"], width=0.4, label="actual", color="tab:blue")
    ax.bar(x + 0.2, table["predicted"], width=0.4, label="predicted", color="tab:orange")
    ax.set_xticks(x, table.index.astype(str))
    ax.set(xlabel="repeat purchases in the calibration period", ylabel="mean purchases in the holdout",
           title="Holdout check by frequency")
    ax.legend(fontsize="small")
    return ax


@shows_figure
def plot_forecast(forecast: pd.DataFrame, *, ax=None):
    """Expected revenue per month, against the actual revenue when the table has it.

    Takes :meth:`LifetimeValue.forecast_vs_actual` (bars: actual revenue of the modelled
    customers; hatched: revenue of customers acquired later) or :meth:`LifetimeValue.forecast`.
    """
    ax = _axes(ax, figsize=(9, 3.8))
    x = forecast["period_end"].dt.strftime("%Y-%m")
    if "actual_revenue" in forecast:
        ax.bar(x, forecast["actual_revenue"], color="tab:blue", alpha=0.7, label="actual (modelled customers)")
        ax.bar(x, forecast["new_customer_revenue"], bottom=forecast["actual_revenue"], color="none",
               edgecolor="tab:blue", hatch="//", label="actual (customers acquired later)")
        ax.plot(x, forecast["expected_revenue"], "o-", color="tab:orange", label="forecast")
        title = "Revenue forecast against actuals"
    else:
        ax.bar(x, forecast["expected_revenue"], color="tab:orange", alpha=0.8, label="forecast")
        title = "Revenue forecast of today's customers"
    ax.set(xlabel="", ylabel="revenue per month", title=title)
    ax.tick_params(axis="x", rotation=45)
    ax.legend(fontsize="small")
    return ax


@shows_figure
def plot_tracking(track: pd.DataFrame, *, calibration_end=None, ax=None):
    """Cumulative repeat purchases, actual vs expected (``clv.expected_vs_actual_by_period``)."""
    ax = _axes(ax, figsize=(9, 3.5))
    ax.plot(track["period_end"], track["actual_cumulative"], label="actual", color="tab:blue")
    ax.plot(track["period_end"], track["expected_cumulative"], ls="--", label="model", color="tab:orange")
    if calibration_end is not None:
        ax.axvline(pd.Timestamp(calibration_end), color="grey", lw=1)
        ax.annotate(" end of calibration", (pd.Timestamp(calibration_end), ax.get_ylim()[1] * 0.9),
                    fontsize=8, color="grey")
    ax.set(xlabel="", ylabel="repeat purchases (cumulative)", title="Tracking: actual vs model")
    ax.legend(fontsize="small")
    return ax


@shows_figure
def plot_clv_by_segment(table: pd.DataFrame, *, ax=None):
    """Total CLV per segment, with customers and mean CLV in the labels (``health.clv_by_segment``)."""
    t = table.sort_values("clv_total")
    ax = _axes(ax, figsize=(9, max(2.5, 0.45 * len(t) + 1)))
    bars = ax.barh(t["segment"].astype(str), t["clv_total"], color="tab:purple", alpha=0.8)
    for bar, (_, row) in zip(bars, t.iterrows(), strict=True):
        ax.annotate(f" {row['customers']:,} customers, mean {row['clv_mean']:,.0f}, "
                    f"{row['at_risk_pct']:.0f} % at risk", (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                    va="center", fontsize=8)
    top = t["clv_total"].max()
    if np.isfinite(top) and top > 0:
        ax.set_xlim(0, top * 1.6)
    title = "Lifetime value by segment"
    if table.attrs.get("unreliable"):  # the fit behind these values should not be trusted
        title += " (UNRELIABLE FIT: see the warnings)"
    ax.set(xlabel="total CLV over the horizon (discounted)", ylabel="", title=title)
    return ax


@shows_figure
def plot_risk_bands(bands: pd.DataFrame, *, ax=None):
    """Customers and churn rate per risk band (``RiskEvaluation.bands``)."""
    ax = _axes(ax, figsize=(7, 3.2))
    labels = bands["band"].astype(str)
    rate = 100 * bands["churn_rate"].fillna(0)
    bars = ax.bar(labels, rate, color=[_BAND_COLORS.get(b, "grey") for b in labels])
    for bar, n in zip(bars, bands["customers"], strict=True):
        ax.annotate(f"{n:,} customers", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=8)
    ax.set(ylim=(0, 110), xlabel="risk band", ylabel="churned (%)", title="Observed churn by risk band")
    return ax


@shows_figure
def plot_action_counts(counts: pd.DataFrame, *, ax=None):
    """Actions per scenario, and the matched customers held back by each reason (``ActionPlan.counts``)."""
    t = counts[counts["scenario"] != "total"].iloc[::-1]
    ax = _axes(ax, figsize=(9, max(2.5, 0.5 * len(t) + 1)))
    parts = [("actions", "tab:green"), ("recent solicitation", "tab:grey"), ("cooldown", "tab:blue"),
             ("no consented channel", "tab:red"), ("another scenario first", "gold")]
    left = np.zeros(len(t))
    for col, color in parts:
        ax.barh(t["scenario"], t[col], left=left, color=color, label=col, alpha=0.85)
        left += t[col].to_numpy()
    ax.set(xlabel="customers matched", ylabel="", title="Action plan: actions and customers held back")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return ax
