"""Plots of RFM scoring (:mod:`workbench.rfm`): each draws a table a compute function returned."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.plotting._base import axes as _axes
from workbench.plotting._base import shows_figure, subplots

__all__ = ["plot_rfm_distributions", "plot_grades", "plot_segments", "plot_rf_heatmap",
           "plot_migration", "plot_flows", "plot_seasonality", "plot_seasonality_by_segment",
           "plot_pareto"]

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


@shows_figure
def plot_rfm_distributions(table: pd.DataFrame, *, axes=None):
    """Histograms of recency (days), frequency (purchases) and net revenue of the purchasers.

    Frequency and revenue use a log scale on x when they span more than two decades (long tails).
    Returns the three Axes.
    """
    import seaborn as sns

    if axes is None:
        axes = subplots(1, 3, figsize=(12, 3.4))
    buyers = table[table["frequency"].fillna(0) > 0]
    specs = [("recency_days", "days since the last purchase", "tab:blue"),
             ("frequency", "purchases", "tab:green"), ("monetary", "net revenue", "tab:orange")]
    for ax, (col, label, color) in zip(axes, specs, strict=True):
        x = buyers[col].astype(float)
        positive = x[x > 0]
        log = col != "recency_days" and len(positive) and positive.max() / max(positive.min(), 1e-9) > 100
        sns.histplot(positive if log else x, bins=40, log_scale=bool(log), color=color, ax=ax)
        ax.set(xlabel=label + (" (log scale)" if log else ""), ylabel="customers",
               title=f"{col}: median {x.median():,.0f}")
    return axes


@shows_figure
def plot_grades(summary: pd.DataFrame, *, ax=None):
    """Customers and revenue share per grade (from :meth:`RFMResult.grade_summary`)."""
    ax = _axes(ax, figsize=(7, 3.2))
    share = 100 * summary["revenue"] / summary["revenue"].sum()
    x = np.arange(len(summary))
    ax.bar(x - 0.2, summary["customers_pct"], width=0.4, label="% of customers", color="tab:blue")
    ax.bar(x + 0.2, share, width=0.4, label="% of net revenue", color="tab:orange")
    ax.set_xticks(x, summary["grade"] + " · " + summary["label"].fillna(""))
    ax.set(ylabel="%", title="Customers and revenue by grade")
    ax.legend(fontsize="small")
    return ax


@shows_figure
def plot_segments(kpis: pd.DataFrame, *, ax=None):
    """Segment sizes and value: share of customers and of net revenue, average basket as text.

    Draws :func:`workbench.rfm.segment_kpis` (segments with no customer are left out).
    """
    k = kpis[kpis["customers"] > 0].reset_index(drop=True)
    ax = _axes(ax, figsize=(9, 0.45 * len(k) + 1.4))
    y = np.arange(len(k))
    ax.barh(y - 0.2, k["customers_pct"], height=0.4, label="% of customers", color="tab:blue")
    ax.barh(y + 0.2, k["revenue_share_pct"].fillna(0), height=0.4, label="% of net revenue",
            color="tab:orange")
    for i, row in k.iterrows():
        if pd.notna(row["avg_basket"]):
            ax.text(max(row["customers_pct"], row["revenue_share_pct"]) + 0.5, i,
                    f"basket {row['avg_basket']:,.0f}", va="center", fontsize="small")
    ax.set_yticks(y, k.iloc[:, 0].astype(str))
    ax.invert_yaxis()
    ax.set(xlabel="%", title="Segments: size and value")
    ax.set_xlim(0, max(k["customers_pct"].max(), k["revenue_share_pct"].max()) * 1.3)
    ax.legend(loc="lower right", fontsize="small")
    return ax


@shows_figure
def plot_rf_heatmap(table: pd.DataFrame, *, value: str = "customers", ax=None):
    """Recency score x frequency score: customers (or mean net revenue, ``value="monetary"``)."""
    import seaborn as sns

    ax = _axes(ax, figsize=(6, 4.5))
    t = table.dropna(subset=["r_score", "f_score"])
    if value == "customers":
        grid = pd.crosstab(t["r_score"].astype(int), t["f_score"].astype(int))
        fmt, title = "d", "Customers by recency and frequency score"
    else:
        grid = t.pivot_table(index="r_score", columns="f_score", values=value, aggfunc="mean")
        grid.index, grid.columns = grid.index.astype(int), grid.columns.astype(int)
        fmt, title = ",.0f", f"Mean {value} by recency and frequency score"
    grid = grid.sort_index(ascending=False)
    sns.heatmap(grid, annot=True, fmt=fmt, cmap="Blues", cbar=False, ax=ax)
    ax.set(xlabel="frequency score (5 = most purchases)", ylabel="recency score (5 = most recent)",
           title=title)
    return ax


@shows_figure
def plot_migration(matrix: pd.DataFrame, *, ax=None):
    """Heatmap of a migration matrix (:func:`workbench.rfm.migration_matrix`), row shares in %."""
    import seaborn as sns

    ax = _axes(ax, figsize=(1.1 * matrix.shape[1] + 3, 0.5 * matrix.shape[0] + 1.8))
    shares = 100 * matrix.div(matrix.sum(axis=1).where(lambda s: s > 0), axis=0)
    sns.heatmap(shares, annot=matrix, fmt="d", cmap="Purples", cbar_kws={"label": "% of the row"}, ax=ax)
    ax.set(xlabel=matrix.columns.name or "to", ylabel=matrix.index.name or "from",
           title="Segment migration (customers; colour = share of the row)")
    ax.tick_params(axis="x", rotation=35)
    return ax


@shows_figure
def plot_flows(flows: pd.DataFrame, *, ax=None, min_share: float = 0.005):
    """Flow chart of migrations: stacked bars before (left) and after (right), bands between.

    Draws :func:`workbench.rfm.segment_flows`; flows below `min_share` of customers are hidden.
    """
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MPath

    ax = _axes(ax, figsize=(9, 6))
    f = flows[flows["customers"] >= min_share * flows["customers"].sum()]
    known = list(flows["from"].cat.categories) if isinstance(flows["from"].dtype, pd.CategoricalDtype) else []
    order = [c for c in dict.fromkeys([*known, *sorted(f["from"]), *sorted(f["to"])])
             if c in set(f["from"]) | set(f["to"])]
    rank = {name: i for i, name in enumerate(order)}
    f = f.assign(src=f["from"].map(rank).astype(int), dst=f["to"].map(rank).astype(int))
    total = f["customers"].sum()
    gap = 0.01 * total
    colors = dict(zip(order, _palette(len(order)), strict=True))
    pos = {}
    for side, col in ((0, "from"), (1, "to")):
        y = 0.0
        for name in order:
            size = int(f.loc[f[col] == name, "customers"].sum())
            if size:
                pos[(side, name)] = [y, y]
                ax.bar(side, size, bottom=y, width=0.12, color=colors[name], edgecolor="white")
                ax.text(side + (-0.08 if side == 0 else 0.08), y + size / 2, f"{name} ({size:,})",
                        ha="right" if side == 0 else "left", va="center", fontsize="small")
                y += size + gap
    for row in f.sort_values(["src", "dst"]).itertuples():
        a, b = pos[(0, order[row.src])], pos[(1, order[row.dst])]
        y0, y1 = a[1], b[1]
        a[1] += row.customers
        b[1] += row.customers
        verts = [(0.06, y0), (0.5, y0), (0.5, y1), (0.94, y1), (0.94, y1 + row.customers),
                 (0.5, y1 + row.customers), (0.5, y0 + row.customers), (0.06, y0 + row.customers), (0.06, y0)]
        codes = [MPath.MOVETO, MPath.CURVE4, MPath.CURVE4, MPath.CURVE4, MPath.LINETO,
                 MPath.CURVE4, MPath.CURVE4, MPath.CURVE4, MPath.CLOSEPOLY]
        ax.add_patch(PathPatch(MPath(verts, codes), facecolor=colors[order[row.src]], alpha=0.35, lw=0))
    ax.set_xlim(-0.9, 1.9)
    ax.invert_yaxis()
    ax.set_axis_off()
    ax.set_title("Where the customers of each segment went")
    return ax


def _palette(n: int):
    import seaborn as sns

    return sns.color_palette("tab20", n)


@shows_figure
def plot_seasonality(cells: pd.DataFrame, *, segment: str | None = None, measure: str = "revenue", ax=None):
    """Month x weekday heatmap of the sales index (1 = average day) of one segment.

    Draws :func:`workbench.rfm.seasonality`; `segment` defaults to the first one (``All``).
    """
    import seaborn as sns

    ax = _axes(ax, figsize=(6.5, 5))
    segment = segment or cells["segment"].iloc[0]
    c = cells[cells["segment"] == segment]
    if measure == "revenue" and not c["revenue"].any():  # purchase dates only: count orders
        measure = "orders"
    grid = c.pivot_table(index="month", columns="weekday", values=f"{measure}_index")
    grid.index = [_MONTHS[m - 1] for m in grid.index]
    grid.columns = [_WEEKDAYS[d] for d in grid.columns]
    sns.heatmap(grid, annot=True, fmt=".2f", cmap="RdBu_r", center=1.0, cbar=False, ax=ax)
    ax.set(xlabel="", ylabel="", title=f"Seasonality of {measure} ({segment}): index, 1 = average day")
    return ax


@shows_figure
def plot_seasonality_by_segment(index: pd.DataFrame, *, ax=None):
    """Heatmap of the monthly (or weekday) index per segment (:func:`workbench.rfm.seasonality_index`)."""
    import seaborn as sns

    grid = index.T
    ax = _axes(ax, figsize=(10, 0.45 * len(grid) + 1.5))
    grid.columns = (_MONTHS if grid.shape[1] == 12 else _WEEKDAYS)[: grid.shape[1]]
    sns.heatmap(grid, annot=True, fmt=".1f", cmap="RdBu_r", center=1.0, cbar=False, ax=ax)
    ax.set(xlabel="", ylabel="", title="Sales index by segment (1 = the segment's average day)")
    return ax


@shows_figure
def plot_pareto(curve: pd.DataFrame, summary: dict | None = None, *, ax=None):
    """Pareto curve of revenue (:func:`workbench.rfm.pareto_curve`), marking the top-20 % share."""
    ax = _axes(ax, figsize=(6, 4.5))
    ax.plot(curve["customers_share_pct"], curve["revenue_share_pct"], color="tab:blue", lw=2,
            label="customers, best first")
    ax.plot([0, 100], [0, 100], color="grey", ls="--", lw=1, label="equal revenue per customer")
    if summary:
        x, y = 100 * summary["top_share"], summary["top_revenue_share_pct"]
        ax.plot([x, x, 0], [0, y, y], color="tab:red", lw=1)
        ax.annotate(f"top {x:.0f} % of customers: {y:.1f} % of revenue", (x, y), xytext=(x + 5, y - 12),
                    fontsize="small", color="tab:red")
    ax.set(xlabel="% of purchasers", ylabel="% of net revenue", xlim=(0, 100), ylim=(0, 105),
           title="Revenue concentration (Pareto curve)")
    ax.legend(loc="lower right", fontsize="small")
    return ax
