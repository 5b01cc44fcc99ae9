"""Plots of the campaign ROI tables (:mod:`workbench.campaigns`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.plotting._base import axes as _axes
from workbench.plotting._base import empty as _empty
from workbench.plotting._base import shows_figure

__all__ = ["plot_funnel", "plot_funnel_rates", "plot_lifts", "plot_roi_by_kind", "plot_attribution",
           "plot_segment_effects", "plot_allocation", "plot_qini", "plot_response_rates"]

_SHOWN_RATES = ("delivery_rate", "open_rate", "click_through_rate", "unsubscribe_rate",
                "attendance_rate", "response_rate", "conversion_rate")
_UNITS = {"conversion": "percentage points", "revenue": "revenue per contact",
          "margin": "margin per contact"}


@shows_figure
def plot_funnel(stages: pd.DataFrame, *, ax=None):
    """One campaign's funnel (from :func:`workbench.campaigns.funnel_stages`): count per stage,
    with the share of the previous stage (its denominator) and of the contacts sent."""
    ax = _axes(ax, figsize=(8, 0.6 * len(stages) + 1.2))
    if stages.empty:
        return _empty(ax, "No contact: no funnel")
    y = np.arange(len(stages))[::-1]
    width, first = stages["count"].to_numpy(float), stages["stage"].iat[0]
    ax.barh(y, width, left=(width.max() - width) / 2, color="tab:blue", height=0.7)
    for yi, r in zip(y, stages.itertuples(), strict=True):
        step = "" if r.denominator == "-" else f"  {r.share_of_previous:.1%} of {r.denominator}"
        ax.text(width.max() / 2, yi, f"{r.stage}: {r.count:,.0f}{step}  ({r.share_of_sent:.1%} of {first})",
                ha="center", va="center", color="black", fontsize=9,
                bbox=dict(facecolor="white", alpha=0.8, edgecolor="none", pad=1))
    ax.set(yticks=[], xticks=[], title=f"Funnel of {stages['campaign_id'].iat[0]}")
    ax.spines[:].set_visible(False)
    return ax


@shows_figure
def plot_funnel_rates(funnel: pd.DataFrame, *, rates=_SHOWN_RATES, ax=None):
    """Heat map of the funnel rates (from :func:`workbench.campaigns.funnel`), one row per arm;
    blank = not tracked. Column labels carry the denominators."""
    import seaborn as sns

    from workbench.campaigns import RATES

    shown = [r for r in rates if r in funnel and funnel[r].notna().any()]
    ax = _axes(ax, figsize=(1.3 * len(shown) + 3, 0.35 * len(funnel) + 1.6))
    if not shown:
        return _empty(ax, "No funnel rate tracked")
    label = funnel["campaign_id"] + np.where(funnel["arm"].isin(["target"]), "", " · " + funnel["arm"]) \
        + " (" + funnel["kind"] + ")"
    grid = funnel.set_index(label)[shown].astype(float) * 100
    grid.columns = [f"{r.replace('_rate', '').replace('_', ' ')}\n/ {RATES[r][1]}" for r in shown]
    spread = (grid - grid.min()) / (grid.max() - grid.min()).replace(0, 1)  # colour within a column
    sns.heatmap(spread, annot=grid, fmt=".1f", cmap="Blues", cbar=False, ax=ax, vmin=0, vmax=1.3,
                annot_kws={"fontsize": 8}, linewidths=0.5, linecolor="white")
    ax.set(xlabel="", ylabel="", title="Funnel rates in % (darker = higher within the column; blank = not tracked)")
    ax.tick_params(axis="x", labelsize=8, rotation=0)
    return ax


@shows_figure
def plot_lifts(table: pd.DataFrame, *, metric: str = "margin", label: str = "campaign_id", ax=None):
    """Forest plot of lifts with their intervals (from :func:`workbench.campaigns.incrementality`
    or :func:`~workbench.campaigns.effects_by`); rows without a control group are named, not drawn."""
    if metric not in _UNITS:
        raise ValueError(f"metric must be one of {', '.join(_UNITS)}, not {metric!r}")
    ax = _axes(ax, figsize=(8, 0.38 * len(table) + 1.5))
    if table.empty:
        return _empty(ax, "No campaign to show")
    names = table[label].astype(str)
    if "arm" in table and table["arm"].nunique() > 1:
        names = names + " · " + table["arm"].astype(str)
    if "kind" in table and label != "kind":
        names = names + " (" + table["kind"].astype(str) + ")"
    scale = 100 if metric == "conversion" else 1
    lift, low, high = (table[f"{metric}_{s}"].to_numpy(float) * scale for s in ("lift", "low", "high"))
    y = np.arange(len(table))[::-1]
    sig = (low > 0) | (high < 0)
    for color, mask, text in (("tab:green", sig & (lift > 0), "interval above 0"),
                              ("tab:red", sig & (lift < 0), "interval below 0"),
                              ("tab:grey", ~sig & np.isfinite(lift), "interval includes 0")):
        if mask.any():
            ax.errorbar(lift[mask], y[mask], xerr=[lift[mask] - low[mask], high[mask] - lift[mask]],
                        fmt="o", color=color, capsize=3, label=text)
    for yi in y[~np.isfinite(lift)]:
        ax.text(0, yi, "no control group: not measurable", va="center", ha="center", fontsize=8,
                color="tab:grey", style="italic")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, names)
    ax.set(xlabel=f"incremental {metric} ({_UNITS[metric]}), treated - control",
           title=f"Incremental {metric}, with intervals")
    ax.legend(loc="best", fontsize="small")
    return ax


@shows_figure
def plot_roi_by_kind(audit: pd.DataFrame, *, variable: bool = False, ax=None):
    """Benefit / cost per action kind (from :func:`workbench.campaigns.action_audit`) with its
    interval; 1 = break-even. Kinds without a controlled campaign are named, not drawn."""
    col = "benefit_cost_variable" if variable else "benefit_cost"
    ax = _axes(ax, figsize=(8, 0.5 * len(audit) + 1.5))
    if audit.empty:
        return _empty(ax, "No action kind to show")
    y = np.arange(len(audit))[::-1]
    v, lo, hi = (audit[f"{col}{s}"].to_numpy(float) for s in ("", "_low", "_high"))
    ok = np.isfinite(v)
    ax.barh(y[ok], v[ok], color=np.where(v[ok] >= 1, "tab:green", "tab:orange"), alpha=0.7)
    ax.errorbar(v[ok], y[ok], xerr=[v[ok] - lo[ok], hi[ok] - v[ok]], fmt="none", color="black", capsize=3)
    for yi in y[~ok]:
        ax.text(0, yi, "  no control group: attributed only", va="center", fontsize=8,
                color="tab:grey", style="italic")
    ax.axvline(1, color="black", linestyle="--", linewidth=0.8)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, audit["kind"])
    basis = "variable cost per contact" if variable else "full cost per contact (fixed share included)"
    ax.set(xlabel=f"incremental margin per contact / {basis}",
           title="Benefit / cost by action kind, with intervals (1 = break-even)")
    return ax


@shows_figure
def plot_attribution(attribution: pd.DataFrame, *, value: str = "revenue", ax=None):
    """Attributed `value` per campaign under each model (from :func:`workbench.campaigns.attribution`)."""
    ax = _axes(ax, figsize=(10, 4))
    if attribution.empty:
        return _empty(ax, "No purchase touched by a campaign")
    wide = attribution.pivot_table(index="campaign_id", columns="model", values=value, aggfunc="sum")
    wide = wide[[m for m in ("last_touch", "first_touch", "linear", "time_decay") if m in wide]]
    wide.plot.bar(ax=ax, width=0.8)
    ax.set(xlabel="", ylabel=f"attributed {value}", title=f"Attributed {value} by model (not incremental)")
    ax.legend(title="model", fontsize="small")
    ax.tick_params(axis="x", rotation=0, labelsize=8)
    return ax


@shows_figure
def plot_segment_effects(effects: pd.DataFrame, *, by: str, metric: str = "margin", ax=None):
    """Lifts per segment, one colour per action kind (from :func:`workbench.campaigns.effects_by`
    with ``["kind", by]``); cells without a measure are left out of the plot, not of the table."""
    shown = effects[np.isfinite(effects[f"{metric}_lift"].astype(float))]
    ax = _axes(ax, figsize=(9, 0.32 * len(shown) + 1.6))
    if shown.empty:
        return _empty(ax, "No segment with a controlled measure")
    scale = 100 if metric == "conversion" else 1
    y = np.arange(len(shown))[::-1]
    kinds = list(dict.fromkeys(shown["kind"]))
    colors = dict(zip(kinds, [f"C{i}" for i in range(len(kinds))], strict=True))
    for kind in kinds:
        m = (shown["kind"] == kind).to_numpy()
        lift, lo, hi = (shown[f"{metric}_{s}"].to_numpy(float)[m] * scale for s in ("lift", "low", "high"))
        ax.errorbar(lift, y[m], xerr=[lift - lo, hi - lift], fmt="o", capsize=3, color=colors[kind],
                    label=kind)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, shown["kind"].astype(str) + " · " + shown[by].astype(str), fontsize=8)
    ax.set(xlabel=f"incremental {metric} ({_UNITS[metric]})", title=f"Incremental {metric} by {by}")
    ax.legend(fontsize="small", loc="best")
    return ax


@shows_figure
def plot_allocation(summary: pd.DataFrame, *, ax=None):
    """Variable spend per action kind today and after reallocation (from
    :func:`workbench.campaigns.allocation_summary`), with the budget left unspent."""
    ax = _axes(ax, figsize=(9, 0.6 * len(summary) + 1.5))
    if summary.empty:
        return _empty(ax, "Nothing to allocate")
    y = np.arange(len(summary))[::-1]
    ax.barh(y + 0.2, summary["spend_today"], height=0.4, color="tab:grey", label="today")
    ax.barh(y - 0.2, summary["spend_after"], height=0.4, color="tab:blue", label="after reallocation")
    for yi, r in zip(y, summary.itertuples(), strict=True):
        if r.kind != "(unspent)":
            ax.text(max(r.spend_today, r.spend_after), yi,
                    f"  {r.n_today:,.0f} -> {r.n_after:,.0f} contacts", va="center", fontsize=8)
    ax.set_yticks(y, summary["kind"])
    ax.set(xlabel="variable spend", title="Budget by action kind: today and after reallocation")
    ax.margins(x=0.25)
    ax.legend(fontsize="small", loc="lower right")
    return ax


@shows_figure
def plot_qini(curve: pd.DataFrame | None, *, ax=None):
    """Qini curve (from :func:`workbench.campaigns.qini_curve`): incremental outcome when
    targeting the contacts with the highest predicted uplift first, against random targeting.
    None (no uplift model) draws a note instead."""
    ax = _axes(ax, figsize=(6, 4))
    if curve is None or curve.empty:
        return _empty(ax, "No uplift model: no Qini curve")
    ax.plot(100 * curve["share_targeted"], curve["incremental"], label="uplift model", color="tab:blue")
    ax.plot(100 * curve["share_targeted"], curve["random"], "--", color="tab:grey", label="random targeting")
    ax.set(xlabel="% of contacts targeted (highest predicted uplift first)",
           ylabel="incremental outcome (treated - scaled control)",
           title=f"Qini curve (coefficient {curve['qini'].iat[0]:.3g})")
    ax.legend(fontsize="small")
    return ax


@shows_figure
def plot_response_rates(rates: pd.DataFrame, *, label: str | list[str] = "campaign_id", ax=None):
    """Response rates with their intervals (from :func:`workbench.campaigns.response_rates`),
    one line per row; the `label` columns name the rows."""
    shown = rates[rates["recorded"] > 0]
    ax = _axes(ax, figsize=(8, 0.3 * len(shown) + 1.4))
    if shown.empty:
        return _empty(ax, "No recorded response")
    cols = [label] if isinstance(label, str) else list(label)
    names = shown[cols].astype(str).agg(" · ".join, axis=1).to_numpy()
    y = np.arange(len(shown))[::-1]
    rate = shown["response_rate"].to_numpy(float)
    err = np.clip(np.vstack([rate - shown["response_low"].to_numpy(float),
                             shown["response_high"].to_numpy(float) - rate]), 0, None)
    ax.errorbar(rate, y, xerr=err, fmt="o", color="tab:blue", capsize=3)
    ax.set(yticks=y, yticklabels=names, xlabel="response rate (responded / recorded), with interval",
           title="Response rates")
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    return ax
