"""Scenarios that chain: who is where in each sequence, what is due next, what broke the order.

Private to :mod:`workbench.health` (see :class:`~workbench.health.Scenarios` for ``after``,
``delay_days`` and ``unless``). The action plan asks :func:`gate` which customers a chained
scenario may reach today; :func:`positions` says, per customer and sequence, the last step
taken, the next one and when it is due; :func:`sequence_violations` checks a replay.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.health.scenarios import Scenarios

__all__ = ["gate", "positions", "sequence_violations"]


def _last(hist: pd.DataFrame, scenario: str, index) -> pd.Series:
    rows = hist[hist["scenario"] == scenario]
    return rows.groupby("customer_id")["date"].max().reindex(index)


def _purchased_since(health: pd.DataFrame, since: pd.Series, as_of) -> np.ndarray:
    """The customer bought after `since` (from ``days_since_purchase`` at `as_of`)."""
    if "days_since_purchase" not in health:
        return np.zeros(len(health), bool)
    last_purchase = as_of - pd.to_timedelta(health["days_since_purchase"].astype("float64"), unit="D")
    return (last_purchase.to_numpy() > since.to_numpy()) & since.notna().to_numpy()


def gate(scen: Scenarios, name: str, hist: pd.DataFrame, health: pd.DataFrame, as_of):
    """For chained scenario `name`: (may fire today, waiting until, sequence stopped).

    A step may fire when the step before it fired (its latest date), this step has not fired
    since, ``delay_days`` have passed, and its ``unless`` does not hold.
    """
    row = scen.row(name)
    before = _last(hist, row["after"], health.index)
    mine = _last(hist, name, health.index)
    started = before.notna() & ~(mine >= before)
    due = before + pd.Timedelta(days=row["delay_days"])
    stop = started.to_numpy() & scen.stops(health, name, _purchased_since(health, before, as_of))
    ready = started.to_numpy() & (due <= as_of).to_numpy() & ~stop
    waiting = started.to_numpy() & (due > as_of).to_numpy() & ~stop
    return ready, due.where(waiting), stop


def positions(scen: Scenarios, hist: pd.DataFrame, actions: pd.DataFrame, health: pd.DataFrame,
              as_of) -> pd.DataFrame:
    """Per customer and sequence: last step, its date, next step, when due, status.

    Status: ``due`` (the next step may fire now), ``waiting`` (its delay runs), ``stopped``
    (its ``unless`` holds) or ``done`` (the last step fired).
    """
    columns = ["customer_id", "sequence", "last_step", "last_date", "next_step", "due", "status"]
    seen = pd.concat([hist[["customer_id", "date", "scenario"]],
                      actions[["customer_id", "date", "scenario"]]], ignore_index=True)
    rows = []
    for root, chain in scen.sequences().items():
        steps = seen[seen["scenario"].isin(chain)].copy()
        if steps.empty:
            continue
        steps["rank"] = steps["scenario"].map({s: i for i, s in enumerate(chain)})
        last = steps.sort_values(["date", "rank"]).groupby("customer_id").tail(1)
        for r in last.itertuples(index=False):
            nxt = chain[r.rank + 1] if r.rank + 1 < len(chain) else None
            if nxt is None:
                rows.append((r.customer_id, root, r.scenario, r.date, None, pd.NaT, "done"))
                continue
            due = r.date + pd.Timedelta(days=scen.row(nxt)["delay_days"])
            one = health.loc[[r.customer_id]] if r.customer_id in health.index else None
            bought = (_purchased_since(one, pd.Series([r.date], index=one.index), as_of)
                      if one is not None else np.zeros(1, bool))
            stopped = one is not None and bool(scen.stops(one, nxt, bought)[0])
            status = "stopped" if stopped else ("waiting" if due > as_of else "due")
            rows.append((r.customer_id, root, r.scenario, r.date, nxt, due, status))
    return pd.DataFrame(rows, columns=columns)


def sequence_violations(actions: pd.DataFrame, *, scenarios=None,
                        history: pd.DataFrame | None = None) -> pd.DataFrame:
    """Chained actions that fired out of order (should be none): without the step before,
    before its delay, or twice for one firing of the step before.

    Returns one row per violation: customer_id, scenario, date, after, after_date, rule.
    """
    scen = Scenarios.coerce(scenarios)
    parts = [actions[["customer_id", "date", "scenario"]]]
    if history is not None and len(history):
        parts.append(history[["customer_id", "date", "scenario"]])
    s = pd.concat(parts, ignore_index=True)
    s = s.assign(customer_id=s["customer_id"].astype(str), date=pd.to_datetime(s["date"]).dt.normalize())
    out = []
    for r in scen.rows:
        if not r["after"]:
            continue
        mine = s[s["scenario"] == r["scenario"]].sort_values("date")
        before = s[s["scenario"] == r["after"]].sort_values("date")
        pair = pd.merge_asof(mine, before.rename(columns={"date": "after_date"})[
            ["customer_id", "after_date"]], left_on="date", right_on="after_date",
            by="customer_id", direction="backward", allow_exact_matches=False)
        missing = pair["after_date"].isna()
        early = ~missing & ((pair["date"] - pair["after_date"]).dt.days < r["delay_days"])
        twice = ~missing & pair.duplicated(["customer_id", "after_date"])
        for rule, mask in (("without the step before", missing), ("before its delay", early),
                           ("twice for one step before", twice)):
            if mask.any():
                out.append(pair[mask].assign(after=r["after"], rule=rule))
    if not out:
        return pd.DataFrame(columns=["customer_id", "scenario", "date", "after", "after_date", "rule"])
    return pd.concat(out, ignore_index=True)[["customer_id", "scenario", "date", "after",
                                              "after_date", "rule"]]
