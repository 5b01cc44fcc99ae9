"""Plots of the customer journeys (:mod:`workbench.journeys`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.plotting._base import axes as _axes
from workbench.plotting._base import empty as _empty
from workbench.plotting._base import shows_figure

__all__ = ["plot_paths", "plot_channel_contributions"]

_PALETTE = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown",
            "tab:pink", "tab:olive", "tab:cyan", "tab:gray"]


@shows_figure
def plot_paths(paths: pd.DataFrame, *, ax=None):
    """The typical paths as a sequence chart (from :meth:`Journeys.top_paths`): one line per
    path, its touches as coloured boxes in order, then the purchase, with the journeys and the
    conversion rate and its interval at the right."""
    ax = _axes(ax, figsize=(10, 0.55 * max(len(paths), 1) + 1.2))
    if paths.empty:
        return _empty(ax, "No journey with a touch: no path to show")
    steps = [p.split(" > ") for p in paths["path"]]
    channels = list(dict.fromkeys(c for s in steps for c in s))
    colour = {c: _PALETTE[i % len(_PALETTE)] for i, c in enumerate(channels)}
    width = max(len(s) for s in steps) + 1
    for row, (s, r) in enumerate(zip(steps, paths.itertuples(), strict=True)):
        y = len(paths) - 1 - row
        for x, channel in enumerate(s):
            ax.add_patch(_box(x, y, colour[channel]))
            ax.text(x + 0.45, y, channel.replace("_", " "), ha="center", va="center",
                    fontsize=8, color="white")
        ax.add_patch(_box(len(s), y, "#dddddd"))
        ax.text(len(s) + 0.45, y, "purchase?", ha="center", va="center", fontsize=8)
        ax.text(width + 0.1, y, f"{r.journeys:,} journeys · {r.conversion:.0%} buy "
                f"[{r.conversion_low:.0%}–{r.conversion_high:.0%}]", va="center", fontsize=9)
    ax.set(xlim=(-0.1, width + 3.2), ylim=(-0.7, len(paths) - 0.3), xticks=[], yticks=[],
           title="Most frequent paths, touches in order (share that end in a purchase, 95 % "
                 "interval)")
    ax.spines[:].set_visible(False)
    return ax


def _box(x, y, colour):
    from matplotlib.patches import FancyBboxPatch

    return FancyBboxPatch((x, y - 0.3), 0.9, 0.6, boxstyle="round,pad=0.02", color=colour)


@shows_figure
def plot_channel_contributions(attribution: pd.DataFrame, *, ax=None):
    """Share of the conversions credited to each channel, Markov removal effect beside the
    heuristic rules (from :meth:`Journeys.attribution`)."""
    ax = _axes(ax, figsize=(10, 3.8))
    if attribution.empty:
        return _empty(ax, "No converting journey: nothing to credit")
    table = attribution.pivot_table(index="channel", columns="model", values="share",
                                    aggfunc="sum").fillna(0)
    models = [m for m in ("markov", "first_touch", "last_touch", "linear", "time_decay")
              if m in table]
    table = table.sort_values("markov" if "markov" in table else models[0], ascending=False)
    x = np.arange(len(table))
    w = 0.8 / len(models)
    for i, m in enumerate(models):
        ax.bar(x + (i - (len(models) - 1) / 2) * w, 100 * table[m], w,
               label=m.replace("_", " ") + (" (removal effect)" if m == "markov" else ""),
               color="black" if m == "markov" else _PALETTE[i % len(_PALETTE)],
               alpha=1 if m == "markov" else 0.7)
    ax.set_xticks(x, [c.replace("_", " ") for c in table.index])
    ax.set(ylabel="% of conversions credited", title="What each channel contributes")
    ax.legend(fontsize=8, ncols=3)
    return ax
