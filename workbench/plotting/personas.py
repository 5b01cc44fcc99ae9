"""Plots of persona discovery (:mod:`workbench.personas`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.plotting._base import axes as _axes
from workbench.plotting._base import shows_figure

__all__ = ["plot_model_choice", "plot_projection", "plot_trait_heatmap", "plot_sizes",
           "plot_stability", "plot_category_affinity", "plot_product_fit", "plot_incidents",
           "plot_drilldown"]


def _named(ids, names: dict | None) -> list[str]:
    return [f"{i} · {names[i]}" if names and i in names else str(i) for i in ids]


@shows_figure
def plot_model_choice(choice: pd.DataFrame, *, ax=None):
    """Silhouette (and BIC for mixtures) per number of personas, the chosen one marked."""
    ax = _axes(ax, figsize=(8, 3.5))
    ax.plot(choice["k"], choice["silhouette"], marker="o", color="tab:blue", label="silhouette")
    ax.set(xlabel="number of personas", ylabel="silhouette (higher is better)",
           title="How many personas? Separation per number of personas")
    ax.set_xticks(choice["k"])
    if "chosen" in choice and choice["chosen"].any():
        k = int(choice.loc[choice["chosen"], "k"].iloc[0])
        ax.axvline(k, color="tab:red", linestyle="--", label=f"chosen: {k}")
    handles, labels = ax.get_legend_handles_labels()
    if choice["bic"].notna().any():
        twin = ax.twinx()
        twin.plot(choice["k"], choice["bic"], marker="s", color="tab:grey", label="BIC")
        twin.set_ylabel("BIC (lower is better)")
        h2, l2 = twin.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    ax.legend(handles, labels, loc="best", fontsize="small")
    return ax


@shows_figure
def plot_projection(projection: pd.DataFrame, *, names: dict | None = None, explained=None,
                    max_points: int = 5000, seed: int = 0, ax=None):
    """Customers on the first two principal components, coloured by persona."""
    import seaborn as sns

    ax = _axes(ax, figsize=(8, 6))
    shown = projection
    if len(shown) > max_points:
        shown = shown.sample(max_points, random_state=seed)
    order = sorted(projection["persona"].unique(), key=lambda p: (len(p), p))
    hue = dict(zip(order, _named(order, names), strict=True))
    sns.scatterplot(x=shown["x"], y=shown["y"], hue=shown["persona"].map(hue),
                    hue_order=[hue[p] for p in order], s=12, alpha=0.6, linewidth=0, ax=ax)
    share = [""] * 2 if explained is None else [f" ({100 * v:.0f} % of variance)" for v in explained]
    ax.set(xlabel=f"component 1{share[0]}", ylabel=f"component 2{share[1]}",
           title="Customers in two dimensions, coloured by persona")
    ax.legend(title="persona", fontsize="small", markerscale=2, loc="best")
    return ax


def _trait_label(r) -> str:
    feature = str(r.feature).replace("=", ": ").replace("_", " ")
    return feature if pd.isna(r.level) else f"{feature} = {str(r.level).replace('_', ' ')}"


@shows_figure
def plot_trait_heatmap(traits: pd.DataFrame, *, names: dict | None = None, top: int = 18, ax=None):
    """Effect size of each trait per persona against the base (red above, blue below)."""
    import seaborn as sns

    t = traits.assign(trait=[_trait_label(r) for r in traits.itertuples()])
    wide = t.pivot_table(index="trait", columns="persona", values="effect", aggfunc="first")
    keep = wide.abs().max(axis=1).sort_values(ascending=False).head(top).index
    wide = wide.loc[keep]
    wide.columns = _named(wide.columns, names)
    ax = _axes(ax, figsize=(2.2 + 1.6 * wide.shape[1], 1.2 + 0.38 * len(wide)))
    lim = max(1.0, float(np.nanmax(np.abs(wide.to_numpy()))))
    sns.heatmap(wide.clip(-lim, lim), cmap="RdBu_r", center=0, vmin=-lim, vmax=lim, annot=True,
                fmt=".1f", annot_kws={"size": 8}, cbar_kws={"label": "effect size (d or h)"}, ax=ax)
    ax.set(xlabel="", ylabel="", title="What sets each persona apart (effect size against the base)")
    ax.tick_params(axis="x", labelrotation=20)
    return ax


@shows_figure
def plot_sizes(summary: pd.DataFrame, *, ax=None):
    """Share of customers and share of revenue per persona (from ``cards.table()``)."""
    labels = _named(summary["persona"], dict(zip(summary["persona"], summary["name"], strict=True)))
    ax = _axes(ax, figsize=(9, 1.2 + 0.7 * len(summary)))
    y = np.arange(len(summary))
    ax.barh(y - 0.2, summary["share_pct"], height=0.4, color="tab:blue", label="% of customers")
    if summary["revenue_share_pct"].notna().any():
        ax.barh(y + 0.2, summary["revenue_share_pct"], height=0.4, color="tab:orange", label="% of revenue")
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set(xlabel="%", title="Size and value of each persona")
    ax.legend(loc="lower right", fontsize="small")
    return ax


@shows_figure
def plot_stability(stability: pd.DataFrame, *, names: dict | None = None, ax=None):
    """Bootstrap Jaccard per persona, with the usual thresholds (0.6 fair, 0.75 stable)."""
    ax = _axes(ax, figsize=(8, 1.2 + 0.5 * len(stability)))
    labels = _named(stability.index, names)
    ax.barh(labels, stability["jaccard"], color="tab:green", label="mean")
    ax.scatter(stability["jaccard_min"], labels, color="black", marker="|", s=200, label="lowest")
    ax.axvline(0.6, color="tab:orange", linestyle=":", label="fair from 0.6")
    ax.axvline(0.75, color="tab:green", linestyle="--", label="stable from 0.75")
    ax.invert_yaxis()
    ax.set(xlim=(0, 1), xlabel="bootstrap Jaccard with the best-matching refitted persona",
           title="Is each persona found again on resampled customers?")
    ax.legend(loc="lower left", fontsize="small")
    return ax


def _index_heatmap(wide: pd.DataFrame, title: str, label: str, ax):
    import seaborn as sns

    ax = _axes(ax, figsize=(2.5 + 0.9 * wide.shape[1], 1.2 + 0.5 * len(wide)))
    sns.heatmap(wide, cmap="RdBu_r", center=100, vmin=0, vmax=300, annot=True, fmt=".0f",
                annot_kws={"size": 8}, cbar_kws={"label": label}, ax=ax)
    ax.set(xlabel="", ylabel="", title=title)
    ax.tick_params(axis="x", labelrotation=30)
    return ax


@shows_figure
def plot_category_affinity(affinity: pd.DataFrame, *, names: dict | None = None, ax=None):
    """Persona x category spend index (100 = the base's share; 200 = twice as much)."""
    wide = affinity.pivot_table(index="persona", columns="category", values="index", fill_value=0)
    wide.index = _named(wide.index, names)
    return _index_heatmap(wide, "Category affinity: index of each persona's spend share",
                          "index (100 = base)", ax)


@shows_figure
def plot_product_fit(fit: pd.DataFrame, *, ax=None):
    """Fit index of a new product per persona (100 = the average customer)."""
    rows = fit[fit["persona"] != "all customers"]
    labels = _named(rows["persona"], dict(zip(rows["persona"], rows["name"], strict=True)))
    colors = rows["verdict"].map({"good fit": "tab:green", "average fit": "tab:olive"}).fillna("tab:red")
    ax = _axes(ax, figsize=(8, 1.2 + 0.5 * len(rows)))
    ax.barh(labels, rows["fit_index"].fillna(0), color=colors)
    ax.axvline(100, color="grey", linestyle="--")
    ax.invert_yaxis()
    ax.set(xlabel="fit index (100 = average customer; green: good fit)", title="Who is the new product for?")
    return ax


@shows_figure
def plot_incidents(profile: pd.DataFrame, *, names: dict | None = None, ax=None):
    """Incidents per 100 customers, per persona and kind."""
    import seaborn as sns

    wide = profile.pivot_table(index="persona", columns="kind", values="per_100_customers", fill_value=0)
    wide.index = _named(wide.index, names)
    ax = _axes(ax, figsize=(2.5 + 1.1 * wide.shape[1], 1.2 + 0.5 * len(wide)))
    wide.columns = [str(c).replace("_", " ") for c in wide.columns]
    sns.heatmap(wide, cmap="Reds", annot=True, fmt=".0f", annot_kws={"size": 8},
                cbar_kws={"label": "per 100 customers"}, ax=ax)
    ax.set(xlabel="", ylabel="", title="Service incidents per 100 customers")
    ax.tick_params(axis="x", labelrotation=30)
    return ax


@shows_figure
def plot_drilldown(table: pd.DataFrame, *, value: str = "mean_monetary", ax=None):
    """Share of customers and of revenue per group, and an average (from ``drilldown``)."""
    by = table.columns[0]
    if value not in table:
        raise ValueError(f"{value!r} is not a column of the drill-down ({', '.join(table.columns[1:])})")
    ax = _axes(ax, figsize=(9, 1.2 + 0.5 * len(table)))
    labels = table[by].astype(str)
    y = np.arange(len(table))
    ax.barh(y - 0.2, table["customers_pct"], height=0.4, color="tab:blue", label="% of customers")
    if "revenue_pct" in table:
        ax.barh(y + 0.2, table["revenue_pct"], height=0.4, color="tab:orange", label="% of revenue")
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    twin = ax.twiny()
    twin.plot(table[value], y, marker="D", color="black", linestyle="none", label=value.replace("_", " "))
    twin.set_xlabel(value.replace("_", " ") + " (diamonds)")
    ax.set(xlabel="%", title=f"By {by.replace('_', ' ')}")
    ax.legend(loc="lower right", fontsize="small")
    return ax
