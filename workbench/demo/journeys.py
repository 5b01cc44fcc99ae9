"""Planted journeys: the interactions (web visits, e-mail clicks, calls...) before purchases.

Private to :mod:`workbench.demo`. Journeys are drawn after the orders, from a stream of their
own, so that every other table (and its planted truth) is the same with or without them.

- **Converting journeys**: a purchase (an order with a positive line) with no other purchase
  of the customer in the :data:`QUIET_DAYS` before it gets, with probability :data:`TRACKED`,
  a journey whose path is drawn from
  :data:`PATHS` with probability proportional to share x conversion; its touches come 0.2 to 3
  days apart, the last one before the purchase day.
- **Journeys without a purchase**: at random days of the customer's active years, kept only
  when no purchase and no other attempt falls within :data:`QUIET_DAYS` (so that the journey
  stays apart from every other), with a path drawn in proportion to share x (1 - conversion).

A path's conversion rate in the data is therefore its converting journeys over all its
journeys, counted exactly per path in the truth (``journeys.paths``); the planted
``conversion`` is what the rates approach as the data grow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.demo.draws import BLOCK
from workbench.demo.tables import frame, identifiers

__all__ = ["PATHS", "CHANNEL_KINDS", "QUIET_DAYS", "interaction_table", "journey_tally"]

#: channel -> the kind of interaction it records
CHANNEL_KINDS = {"web": "visit", "email": "click", "call_centre": "call", "social": "ad_click",
                 "store": "store_visit", "sales_force": "meeting"}

#: Planted paths: channels in order, share of all journeys, conversion (a purchase ends it).
PATHS = {
    "web > email": {"share": 0.25, "conversion": 0.30},
    "call_centre": {"share": 0.15, "conversion": 0.45},
    "social > web": {"share": 0.20, "conversion": 0.10},
    "email": {"share": 0.20, "conversion": 0.15},
    "web > web > store": {"share": 0.10, "conversion": 0.35},
    "sales_force > call_centre": {"share": 0.10, "conversion": 0.50},
}

#: Days around a journey without any other purchase of the customer (a session gap of 30
#: days then always separates journeys).
QUIET_DAYS = 45
#: Journeys without a purchase attempted per customer and year of activity.
NON_CONVERTING_RATE = 12.0
#: Share of the purchases (apart from their customer's previous one) whose journey was tracked;
#: the others are purchases with no recorded touch (a walk-in, an untracked call).
TRACKED = 0.35

_STEPS = [p.split(" > ") for p in PATHS]
_CHANNELS = list(CHANNEL_KINDS)


def _cdf(weights) -> np.ndarray:
    w = np.asarray(weights, float)
    out = np.cumsum(w / w.sum())
    out[-1] = 1.0
    return out


_CONVERTING = _cdf([p["share"] * p["conversion"] for p in PATHS.values()])
_NON_CONVERTING = _cdf([p["share"] * (1 - p["conversion"]) for p in PATHS.values()])


def _touches(rng, path_idx: np.ndarray, end_day: np.ndarray, cust: np.ndarray, last_gap):
    """Touch rows (customer, day, channel) of journeys ending at `end_day` (placed backwards):
    the last touch `last_gap` days before the end, each earlier one 0.2 to 3 days before."""
    lengths = np.array([len(_STEPS[k]) for k in path_idx], int)
    journey = np.repeat(np.arange(len(path_idx)), lengths)
    step = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    gap = rng.uniform(0.2, 3.0, size=len(journey))
    gap = np.where(step == lengths[journey] - 1, np.asarray(last_gap)[journey], gap)
    before_end = pd.Series(gap[::-1]).groupby(journey[::-1]).cumsum().to_numpy()[::-1]
    channel = np.array([_CHANNELS.index(_STEPS[k][s])
                        for k, s in zip(path_idx[journey], step, strict=True)], int)
    return cust[journey], end_day[journey] - before_end, channel


def interaction_table(w, lo: int, ids, orders: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The ``interactions`` rows of a chunk and its tally (journeys and purchases per path).

    Each block of :data:`~workbench.demo.draws.BLOCK` customers draws from its own stream, so
    the rows do not depend on the chunk size.
    """
    bought = orders[orders["amount"] > 0]
    heads = bought.groupby(["customer_id", "order_id"], sort=False)["order_date"].min().reset_index()
    heads = heads.sort_values(["customer_id", "order_date"], kind="stable", ignore_index=True)
    code = {c: i for i, c in enumerate(np.asarray(ids))}
    cust = heads["customer_id"].map(code).to_numpy(int)
    day = ((heads["order_date"] - w.start).dt.total_seconds() / 86400).to_numpy()
    parts, tally = [], {"converting": 0, "journeys": 0, "purchases_without_journey": 0}
    bounds = np.searchsorted(cust, np.arange(0, len(np.asarray(ids)) + BLOCK, BLOCK))
    for b, (a, z) in enumerate(zip(bounds[:-1], bounds[1:], strict=False)):
        rng = np.random.default_rng(np.random.SeedSequence(w.seed, spawn_key=(9, lo // BLOCK + b)))
        rows, counts = _block(w, rng, cust[a:z], day[a:z])
        parts.append(rows)
        for k in tally:
            tally[k] = tally[k] + counts[k]
    c, d, ch = (np.concatenate([p[i] for p in parts]) for i in range(3))
    order = np.lexsort((d, c))
    channels = np.array(_CHANNELS, dtype=object)[ch[order]]
    table = frame("interactions", dict(
        interaction_id=identifiers("I", w.number("interaction", len(order)), 9),
        customer_id=np.asarray(ids, dtype=object)[c[order]],
        timestamp=w.dates(d[order]),
        channel=channels,
        kind=np.array([CHANNEL_KINDS[x] for x in channels], dtype=object),
        campaign_id=np.full(len(order), None, dtype=object),
        value=np.full(len(order), np.nan),
    ))
    return table, tally


def _block(w, rng, cust: np.ndarray, day: np.ndarray):
    """Touches of one block's customers: (customer, day, channel) arrays, and the counts."""
    same = np.r_[False, cust[1:] == cust[:-1]]
    gap_before = np.where(same, np.diff(day, prepend=np.nan), np.inf)
    eligible = (gap_before > QUIET_DAYS) & (rng.random(len(day)) < TRACKED)
    k_conv = np.searchsorted(_CONVERTING, rng.random(eligible.sum()), side="right")
    conv = _touches(rng, k_conv, np.floor(day[eligible]), cust[eligible],
                    rng.uniform(0.1, 1.0, size=eligible.sum()))

    first = pd.Series(day).groupby(cust).min()
    starts = first.to_numpy()
    attempts = rng.poisson(NON_CONVERTING_RATE * np.clip((w.days - starts) / 365.25, 0, None))
    who = np.repeat(first.index.to_numpy(), attempts)
    when = np.repeat(starts, attempts) + rng.random(attempts.sum()) * np.repeat(w.days - starts,
                                                                                attempts)
    span = float(w.days + 1)  # one number per (customer, day), sorted like the purchases
    bought_key = cust * span + day
    tried_key = who * span + when
    i = np.searchsorted(bought_key, tried_key)
    prev = np.where(i > 0, bought_key[np.maximum(i - 1, 0)], -np.inf)
    nxt = np.where(i < len(bought_key), bought_key[np.minimum(i, len(bought_key) - 1)], np.inf)
    near = (tried_key - prev < QUIET_DAYS) | (nxt - tried_key < QUIET_DAYS)
    crowded = np.zeros(len(who), bool)  # within QUIET_DAYS of the customer's previous attempt
    if len(who):
        order = np.lexsort((when, who))
        close = (np.diff(who[order]) == 0) & (np.diff(when[order]) < QUIET_DAYS)
        crowded[order[1:]] = close
    keep = ~near & ~crowded & (when < w.days - 1 - QUIET_DAYS) & (when > QUIET_DAYS)
    k_none = np.searchsorted(_NON_CONVERTING, rng.random(keep.sum()), side="right")
    none = _touches(rng, k_none, when[keep], who[keep], np.zeros(keep.sum()))
    rows = tuple(np.r_[a, b] for a, b in zip(conv, none, strict=True))
    counts = {"converting": np.bincount(k_conv, minlength=len(PATHS)),
              "journeys": np.bincount(k_conv, minlength=len(PATHS))
              + np.bincount(k_none, minlength=len(PATHS)),
              "purchases_without_journey": int((~eligible).sum())}
    return rows, counts


def journey_tally(tallies) -> dict:
    """The truth of the journeys: per path its journeys and purchases, and the planted rates."""
    conv = sum(t["converting"] for t in tallies)
    total = sum(t["journeys"] for t in tallies)
    return {
        "paths": {name: {**planted, "journeys": int(n), "purchases": int(c),
                         "rate_in_data": float(c / n) if n else None}
                  for (name, planted), n, c in zip(PATHS.items(), total, conv, strict=True)},
        "purchases_without_journey": int(sum(t["purchases_without_journey"] for t in tallies)),
        "quiet_days": QUIET_DAYS,
        "rule": f"a share {TRACKED} of the purchases with no other purchase in the "
                f"{QUIET_DAYS} days before end a journey; journeys without a purchase lie {QUIET_DAYS} days "
                "or more from any purchase; touches 0.2-3 days apart",
    }
