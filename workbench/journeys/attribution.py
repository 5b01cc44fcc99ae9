"""What each channel contributes: Markov-chain removal effects beside the heuristic rules.

The **Markov model** (Anderl, Becker, von Wangenheim and Schumann, 2016; the method of the R
package ChannelAttribution) reads every concluded journey as a walk ``(start) -> channel ->
... -> (conversion)`` or ``-> (null)``, estimates first-order transition probabilities from the
moves counted in the engine, and asks, for each channel, how much the probability of reaching
``(conversion)`` from ``(start)`` falls when the channel is **removed** (every move into it
goes to ``(null)`` instead). The channel's share of the conversions is its removal effect over
the sum of all removal effects. Unlike first or last touch, a channel that opens journeys
others close gets its due, and a channel that appears everywhere but changes nothing gets little.

The heuristic rules credit each converting journey's purchase to its touches: ``first_touch``,
``last_touch``, ``linear`` (equal parts) or ``time_decay`` (weight halving every
``half_life_days`` before the purchase).
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

__all__ = ["removal_effects", "markov_attribution", "heuristic_attribution", "MODELS"]

START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"
MODELS = ("first_touch", "last_touch", "linear", "time_decay")


def _conversion_probability(P: np.ndarray, states: list[str]) -> float:
    """P(reach (conversion) from (start)) for the absorbing chain with transition matrix P."""
    transient = [i for i, s in enumerate(states) if s not in (CONVERSION, NULL)]
    conv = states.index(CONVERSION)
    Q = P[np.ix_(transient, transient)]
    R = P[transient, conv]
    x = np.linalg.solve(np.eye(len(transient)) - Q, R)
    return float(x[transient.index(states.index(START))])


def removal_effects(transitions: pd.DataFrame) -> pd.DataFrame:
    """Removal effect of each channel from counted moves (``from``, ``to``, ``n``).

    Returns one row per channel: ``removal_effect`` (1 - P(conversion without it) / P(with
    all)), ``share`` (of the sum of removal effects) and the chain's ``p_conversion``.
    """
    channels = sorted(set(transitions["from"]) - {START})
    states = [START, *channels, CONVERSION, NULL]
    idx = {s: i for i, s in enumerate(states)}
    counts = np.zeros((len(states), len(states)))
    for frm, to, n in transitions[["from", "to", "n"]].itertuples(index=False):
        counts[idx[frm], idx[to]] += n
    counts[idx[CONVERSION], idx[CONVERSION]] = counts[idx[NULL], idx[NULL]] = 1
    rows = counts.sum(axis=1, keepdims=True)
    P = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)
    base = _conversion_probability(P, states)
    effects = {}
    for c in channels:
        Pc = P.copy()
        into = Pc[:, idx[c]].copy()
        Pc[:, idx[c]] = 0
        Pc[:, idx[NULL]] += into
        Pc[idx[c], :] = 0
        Pc[idx[c], idx[NULL]] = 1
        effects[c] = 1 - _conversion_probability(Pc, states) / base if base > 0 else np.nan
    out = pd.DataFrame({"channel": channels, "removal_effect": [effects[c] for c in channels]})
    total = out["removal_effect"].sum()
    out["share"] = out["removal_effect"] / total if total > 0 else np.nan
    out.attrs["p_conversion"] = base
    return out.sort_values("share", ascending=False, ignore_index=True)


def markov_attribution(transitions: pd.DataFrame, *, conversions: int) -> pd.DataFrame:
    """Conversions credited to each channel by its share of the removal effects."""
    effects = removal_effects(transitions)
    return effects.assign(model="markov", conversions=effects["share"] * conversions)


def heuristic_attribution(events, *, half_life_days: float = 7.0) -> pd.DataFrame:
    """Conversions credited per channel by each rule of :data:`MODELS`, counted in the engine.

    `events` is :func:`workbench.journeys.paths.journey_events`; only converting journeys count.
    """
    if half_life_days <= 0:
        raise ValueError(f"half_life_days={half_life_days!r}: a number of days > 0")
    t = events.filter(events.converted)
    whole = ibis.window(group_by=["customer_id", "journey"])
    t = t.mutate(purchase_ts=t.ts.max(where=t.is_purchase).over(whole),
                 steps=t.step.max().over(whole))
    touches = t.filter(~t.is_purchase)
    age = (touches.purchase_ts.epoch_seconds() - touches.ts.epoch_seconds()) / 86400.0
    touches = touches.mutate(decay=(ibis.literal(0.5) ** (age / half_life_days)))
    touches = touches.mutate(decay_total=touches.decay.sum().over(whole))
    credit = touches.mutate(
        first_touch=(touches.step == 1).cast("float64"),
        last_touch=(touches.step == touches.steps).cast("float64"),
        linear=1.0 / touches.steps.cast("float64"),
        time_decay=touches.decay / touches.decay_total,
    )
    sums = credit.group_by("channel").aggregate(
        **{m: credit[m].sum() for m in MODELS}).to_pandas()
    long = sums.melt(id_vars="channel", var_name="model", value_name="conversions")
    long["share"] = long["conversions"] / long.groupby("model")["conversions"].transform("sum")
    return long.sort_values(["model", "conversions"], ascending=[True, False], ignore_index=True)
