"""Plots of price acceptability (:mod:`workbench.pricing.psm`, :mod:`workbench.pricing`).

Each function draws what a compute function returned: the Van Westendorp curves of a
:class:`~workbench.pricing.psm.PSMResult` (one survey or one per group), the Newton-Miller-Smith
curves, the cost-plus floor against each group's acceptable range (:func:`verdict_table`),
and the prices customers paid (:func:`paid_prices`) under the floor and the survey ranges.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from workbench.plotting._base import axes as _axes
from workbench.plotting._base import empty as _empty
from workbench.plotting._base import shows_figure, subplots

__all__ = [
    "plot_psm",
    "plot_psm_groups",
    "plot_nms",
    "plot_floor_vs_range",
    "plot_accepted_prices",
]

_CURVE_STYLE = {  # label, colour, line style
    "too_cheap": ("too cheap", "#1f4e99", "-"),
    "cheap": ("cheap", "#6fa8dc", "--"),
    "not_cheap": ("not cheap", "#6fa8dc", "-"),
    "expensive": ("expensive", "#f6a04d", "--"),
    "not_expensive": ("not expensive", "#f6a04d", "-"),
    "too_expensive": ("too expensive", "#c0392b", "-"),
}
_SHORT = {
    "pmc": "PMC",
    "pme": "PME",
    "opp": "OPP",
    "ipp": "IPP",
    "highest_acceptable": "highest",
    "compromise": "compromise",
    "ideal": "ideal",
    "lowest_acceptable": "lowest",
}
VERDICT_COLORS = {
    "viable": "#2e8b57",
    "squeezed": "#e6a23c",
    "not viable": "#c0392b",
    "no range": "#9e9e9e",
    "no floor": "#9e9e9e",
}


def _drawn_curves(pairs: Mapping[str, tuple[str, str]]) -> list[str]:
    """The curves to draw: those the points use, "not cheap/expensive" rather than both sides."""
    used = {c for pair in pairs.values() for c in pair}
    if "not_cheap" in used:
        used.discard("cheap")
    if "not_expensive" in used:
        used.discard("expensive")
    return [c for c in _CURVE_STYLE if c in used]


def _marker_height(result, name: str, price: float, drawn: list[str]) -> float:
    first = result.pairs[name][0]
    x = result.curves.index.to_numpy(float)
    if first in drawn:
        return float(np.interp(price, x, result.curves[first]))
    return 1 - float(np.interp(price, x, result.curves[first]))  # its complement is drawn


@shows_figure
def plot_psm(result, *, ax=None, title: str | None = None, legend: bool = True):
    """The classic Van Westendorp chart: the cumulative curves, every price point marked and
    labelled where its two curves cross, and the acceptable range shaded."""
    ax = _axes(ax, figsize=(9, 4.2))
    drawn = _drawn_curves(result.pairs)
    for curve in drawn:
        label, color, style = _CURVE_STYLE[curve]
        ax.plot(
            result.curves.index, 100 * result.curves[curve], style, color=color, label=label, lw=2
        )
    low, high = result.acceptable_range
    if np.isfinite(low) and np.isfinite(high):
        ax.axvspan(
            low, high, color="#2e8b57", alpha=0.1, label=f"acceptable {low:,.4g}–{high:,.4g}"
        )
    chosen = result.crossings[result.crossings["chosen"]].drop_duplicates("point")
    raw = chosen.set_index("point")["price"]
    found = [(raw[n], n, p) for n, p in result.points.items() if n in raw and np.isfinite(p)]
    for k, (x, name, price) in enumerate(sorted(found)):
        y = 100 * _marker_height(result, name, x, drawn)
        top = 96 - 11 * k  # labels stacked from the top, cheapest first: they never overlap
        ax.plot(x, y, "o", color="black", ms=6, zorder=5)
        ax.plot([x, x], [y, top], ":", color="black", lw=0.8)
        ax.annotate(
            f"{_SHORT.get(name, name)} {price:,.4g}",
            (x, top),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8.5,
            fontweight="bold",
            bbox=dict(facecolor="white", alpha=0.85, edgecolor="none", pad=1),
        )
    n = result.counts["used"]
    ax.set(
        xlabel="price",
        ylabel="% of respondents",
        ylim=(-2, 102),
        title=title or f"Price sensitivity meter ({n} respondents)",
    )
    if legend:
        ax.legend(fontsize=8, loc="center right", framealpha=0.9)
    return ax


@shows_figure
def plot_psm_groups(results: Mapping, *, ncols: int = 3, sharex: bool = False, axes=None):
    """:func:`plot_psm` side by side, one panel per group (from ``psm_group_results``).

    Returns the array of Axes (unused panels are hidden)."""
    n = max(len(results), 1)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    if axes is None:
        axes = subplots(
            nrows, ncols, figsize=(5.2 * ncols, 3.6 * nrows), sharex=sharex, sharey=True, squeeze=False
        )
    flat = np.asarray(axes).ravel()
    if not results:
        _empty(flat[0], "No group has enough respondents for a price sensitivity meter")
    spare = len(results) < len(flat)  # an unused panel holds the legend, clear of the curves
    for k, (key, result) in enumerate(results.items()):
        label = " · ".join(map(str, key)) if isinstance(key, tuple) else str(key)
        title = f"{label} (n={result.counts['used']})"
        plot_psm(result, ax=flat[k], title=title, legend=k == 0 and not spare)
        flat[k].title.set_fontsize(10)
    for ax in flat[len(results) :]:
        ax.set_axis_off()
    if results and spare:
        handles, labels = flat[0].get_legend_handles_labels()
        labels = ["acceptable range" if t.startswith("acceptable") else t for t in labels]
        flat[len(results)].legend(handles, labels, loc="center", fontsize=9, title="curves")
    return axes


@shows_figure
def plot_nms(result, *, ax=None, title: str | None = None):
    """Newton-Miller-Smith curves: the trial share (left axis) and revenue / profit per
    respondent (right axis), with their optimal prices. ``None`` draws a note instead."""
    ax = _axes(ax, figsize=(9, 3.8))
    if result is None:
        return _empty(
            ax,
            "No Newton-Miller-Smith curves: the survey has no purchase-likelihood "
            "answers (likelihood_cheap, likelihood_expensive) for this product",
        )
    t = result.table
    ax.plot(t.index, 100 * t["trial"], color="#1f4e99", lw=2, label="trial (share buying)")
    ax.set(
        xlabel="price",
        ylabel="% expected to buy",
        title=title or "Newton-Miller-Smith: trial, revenue and profit",
    )
    twin = ax.twinx()
    colors = {"revenue": "#2e8b57", "profit": "#c0392b"}
    for col in [c for c in ("revenue", "profit") if c in t]:
        twin.plot(t.index, t[col], color=colors[col], lw=1.8, label=f"{col} per respondent")
    twin.set_ylabel("revenue / profit per respondent")
    for k, (objective, price) in enumerate(result.optimal.items()):
        if np.isfinite(price):
            color = colors.get(objective, "#1f4e99")
            ax.axvline(price, color=color, ls=":", lw=1.5)
            ax.annotate(
                f"best {objective}: {price:,.4g}",
                (price, 0.95 - 0.08 * k),
                xycoords=("data", "axes fraction"),
                xytext=(3, 0),
                textcoords="offset points",
                fontsize=8,
                color=color,
                fontweight="bold",
                bbox=dict(facecolor="white", alpha=0.85, edgecolor="none", pad=1),
            )
    lines = ax.get_legend_handles_labels()
    more = twin.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize=8, loc="center right")
    return ax


_NOTE = dict(textcoords="offset points", fontweight="bold")
_BOX = dict(
    whis=(5, 95),
    showfliers=False,
    widths=0.5,
    patch_artist=True,
    boxprops=dict(facecolor="#dfe9f5"),
    medianprops=dict(color="#1f4e99", lw=2),
)
_WHITE = dict(facecolor="white", alpha=0.85, edgecolor="none", pad=1)


def _floor_row(ax, yi: float, r) -> None:
    """One group's range bar (coloured by verdict), recommended price, history ceiling, verdict."""
    color = VERDICT_COLORS.get(r.verdict, "#9e9e9e")
    if np.isfinite(r.range_low) and np.isfinite(r.range_high):
        width = r.range_high - r.range_low
        ax.barh(yi, width, left=r.range_low, height=0.55, color=color, alpha=0.35, edgecolor=color)
    ceiling = getattr(r, "ceiling", np.nan)
    if np.isfinite(ceiling) and getattr(r, "ceiling_source", "") == "purchase history":
        ax.plot(ceiling, yi, "v", color="black", ms=7)
    price = getattr(r, "recommended_price", np.nan)
    if np.isfinite(price):
        ax.plot(price, yi, "D", color=color, ms=7, markeredgecolor="black")
    where = dict(xycoords=("axes fraction", "data"), xytext=(4, 0), va="center")
    ax.annotate(r.verdict, (1.0, yi), **where, fontsize=8, color=color, **_NOTE)


def _floor_panel(table: pd.DataFrame, by: str, ax) -> None:
    table = table.reset_index(drop=True)
    y = np.arange(len(table))[::-1]
    for yi, r in zip(y, table.itertuples(), strict=True):
        _floor_row(ax, yi, r)
    floor = table["floor"].dropna()
    if len(floor):
        x = floor.iloc[0]
        ax.axvline(x, color="black", lw=2, ls="--")
        where = dict(xycoords=("data", "axes fraction"), xytext=(4, 4))
        ax.annotate(f"floor {x:,.4g}", (x, 0.0), **where, fontsize=9, bbox=_WHITE, **_NOTE)
    ax.set_yticks(y, table[by].astype(str))
    ax.set_xlabel("price")


@shows_figure
def plot_floor_vs_range(verdicts: pd.DataFrame, *, by: str = "segment", axes=None):
    """The cost-plus floor (dashed line) against each group's acceptable range (bar, coloured
    by verdict), the recommended price (diamond) and a purchase-history ceiling (triangle)
    when it is the binding one. One panel per product (from :func:`verdict_table`).

    Returns the array of Axes."""
    products = list(dict.fromkeys(verdicts["product_id"])) if len(verdicts) else []
    rows = max(verdicts[by].nunique(), 1) if by in verdicts else 1
    if axes is None:
        n = max(len(products), 1)
        axes = subplots(n, 1, figsize=(9, (0.45 * rows + 1.3) * n), squeeze=False)
    flat = np.asarray(axes).ravel()
    if not products:
        _empty(flat[0], "No verdict to draw")
        return axes
    if by not in verdicts:
        raise ValueError(f"the verdict table has no {by!r} column; pass by= the group column")
    for ax, pid in zip(flat, products, strict=False):
        _floor_panel(verdicts[verdicts["product_id"] == pid], by, ax)
        ax.set_title(f"{pid}: cost-plus floor vs the range each group accepts", fontsize=10)
    _floor_legend(flat[0].figure, verdicts)
    return axes


def _floor_legend(fig, verdicts: pd.DataFrame) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    shown = [v for v in VERDICT_COLORS if v in set(verdicts["verdict"])]
    handles = [Patch(color=VERDICT_COLORS[v], alpha=0.5, label=f"range: {v}") for v in shown]
    handles.append(Line2D([], [], color="black", ls="--", lw=2, label="cost-plus floor"))
    handles.append(
        Line2D(
            [],
            [],
            marker="D",
            ls="",
            color="grey",
            markeredgecolor="black",
            label="recommended price",
        )
    )
    if "ceiling_source" in verdicts and (verdicts["ceiling_source"] == "purchase history").any():
        handles.append(
            Line2D([], [], marker="v", ls="", color="black", label="purchase-history ceiling")
        )
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 6), fontsize=8)


@shows_figure
def plot_accepted_prices(
    lines: pd.DataFrame,
    *,
    by: str = "segment",
    category: str | None = None,
    ranges: pd.DataFrame | None = None,
    floor: float | None = None,
    percentile: float = 0.9,
    ax=None,
):
    """Distribution of the unit prices each group paid (box: quartiles, whiskers 5-95 %,
    diamond: the `percentile` ceiling), over the group's survey range (shaded, from
    ``ranges`` with ``by``, ``range_low``, ``range_high``) and the cost-plus ``floor``.

    ``lines`` comes from :func:`workbench.pricing.paid_prices`; ``category`` keeps one
    category. Prices are drawn on a log scale when they span more than a decade."""
    if category is not None and pd.isna(category):
        return _empty(_axes(ax), "The product has no category: no purchase history to compare")
    data = lines if category is None else lines[lines["category"] == category]
    groups = sorted(data[by].dropna().astype(str).unique()) if by in data else []
    ax = _axes(ax, figsize=(9, 0.55 * max(len(groups), 2) + 1.4))
    if not groups:
        return _empty(ax, f"No purchase{' in ' + category if category else ''} to draw")
    values = [data.loc[data[by].astype(str) == g, "unit_price"].to_numpy(float) for g in groups]
    y = np.arange(len(groups))[::-1]
    ax.boxplot(values, positions=y, orientation="horizontal", **_BOX)
    ceilings = [np.quantile(v, percentile) for v in values]
    ax.plot(ceilings, y, "D", color="#1f4e99", ms=6, label=f"{percentile:.0%} paid at most")
    if ranges is not None and len(ranges):
        _range_bands(ax, ranges, by, groups, y)
    if floor is not None and np.isfinite(floor):
        ax.axvline(floor, color="black", ls="--", lw=2, label=f"cost-plus floor {floor:,.4g}")
    _price_axis(ax, np.concatenate(values))
    ax.set_yticks(y, [f"{g} ({len(v):,} lines)" for g, v in zip(groups, values, strict=True)])
    what = f"in {category}" if category else "per line"
    ax.set(xlabel="unit price paid", title=f"Prices customers paid {what}")
    ax.legend(fontsize=8, loc="lower right")
    return ax


def _range_bands(ax, ranges: pd.DataFrame, by: str, groups: list[str], y) -> None:
    """Each group's survey range as a shaded band behind its box, and a legend entry."""
    from matplotlib.patches import Patch

    spans = ranges.assign(_g=ranges[by].astype(str)).drop_duplicates("_g").set_index("_g")
    for yi, g in zip(y, groups, strict=True):
        if g in spans.index and np.isfinite(spans.loc[g, ["range_low", "range_high"]]).all():
            low, high = spans.loc[g, "range_low"], spans.loc[g, "range_high"]
            ax.barh(yi, high - low, left=low, height=0.8, color="#2e8b57", alpha=0.18, zorder=0)
    band = Patch(color="#2e8b57", alpha=0.3)
    ax.add_artist(ax.legend([band], ["survey acceptable range"], loc="upper right", fontsize=8))


def _price_axis(ax, prices: np.ndarray) -> None:
    """A log scale with plain tick labels when prices span more than a decade."""
    if prices.size and prices.min() > 0 and prices.max() / prices.min() > 10:
        from matplotlib.ticker import LogLocator, StrMethodFormatter

        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        ax.xaxis.set_minor_formatter(StrMethodFormatter(""))
