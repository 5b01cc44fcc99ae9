"""Plots of the data-quality views (:mod:`workbench.data.quality`)."""

from __future__ import annotations

import pandas as pd

from workbench.plotting._base import axes as _axes
from workbench.plotting._base import shows_figure

__all__ = ["plot_volumes", "plot_rejects", "plot_reconciliation"]


@shows_figure
def plot_volumes(volumes: pd.DataFrame, *, columns=("orders", "new_buyers"), ax=None):
    """Counts per period (from :func:`workbench.data.quality.volumes_over_time`), one line each."""
    import seaborn as sns

    ax = _axes(ax)
    shown = [c for c in columns if c in volumes]
    if volumes.empty:
        ax.text(0.5, 0.5, "No dated table (orders, contacts, incidents) in this source",
                ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    if not shown:
        raise ValueError(f"none of {', '.join(columns)} in the volumes table ({', '.join(volumes.columns)})")
    long = volumes[shown].reset_index().melt("period", var_name="series", value_name="count")
    sns.lineplot(long, x="period", y="count", hue="series", marker="o", ax=ax)
    ax.set(xlabel="", ylabel="count", title="Volumes over time")
    if "revenue" in volumes:
        twin = ax.twinx()
        twin.bar(volumes.index, volumes["revenue"], width=20, alpha=0.2, color="grey")
        twin.set_ylabel("net revenue (bars)")
    return ax


@shows_figure
def plot_rejects(summary: pd.DataFrame, *, ax=None):
    """Rejected rows by table, column and rule (from :func:`workbench.data.quality.reject_summary`)."""
    ax = _axes(ax, figsize=(8, max(2.0, 0.4 * len(summary) + 1)))
    if summary.empty:
        ax.text(0.5, 0.5, "No rejected rows", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    labels = summary["table"] + "." + summary["column"] + ": " + summary["rule"]
    ax.barh(labels[::-1], summary["rows"][::-1], color="tab:red")
    ax.set(xlabel="rejected rows", title="Why rows were rejected")
    return ax


@shows_figure
def plot_reconciliation(recon: pd.DataFrame, *, ax=None):
    """Stacked bars per table: accepted, rejected, excluded (from :func:`workbench.data.quality.reconciliation`)."""
    ax = _axes(ax, figsize=(8, max(2.0, 0.5 * len(recon) + 1)))
    left = pd.Series(0, index=recon.index)
    for col, color in (("accepted", "tab:green"), ("rejected", "tab:red"), ("excluded", "tab:grey")):
        share = 100 * recon[col] / recon["read"].where(recon["read"] > 0, 1)
        ax.barh(recon["table"], share, left=left, color=color, label=col)
        left = left + share
    ax.set(xlabel="% of rows read", xlim=(0, 100), title="Rows read: accepted, rejected, excluded")
    ax.legend(loc="lower right", fontsize="small")
    ax.invert_yaxis()
    return ax
