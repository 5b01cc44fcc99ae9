"""The per-customer health table, its explanations, segments, and a replay of the plan over time.

Private to :mod:`workbench.health`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.health.capital import CapitalResult, tolerance_capital
from workbench.health.plan import HISTORY_COLUMNS, action_plan, contact_history
from workbench.health.risk import BANDS, churn_risk
from workbench.notices import warn

__all__ = ["health_table", "near_threshold", "capital_drivers", "Health", "assess", "replay_plan",
           "read_segments", "clv_by_segment", "rfm_segments"]

logger = logging.getLogger(__name__)


def capital_drivers(capital: CapitalResult, customer_ids=None) -> pd.DataFrame:
    """The rows that took capital away since each customer's peak (events and inactivity).

    Returns the trajectory rows dated on or after the peak with negative points, for the given
    customers (default: those ``broken`` or ``near`` the threshold), oldest first.
    """
    if customer_ids is None:
        customer_ids = capital.customers.index[capital.customers["status"] != "ok"]
    ids = pd.Index(pd.Series(list(customer_ids), dtype=str))
    t = capital.trajectory[capital.trajectory["customer_id"].isin(ids)]
    peak = t["customer_id"].map(capital.customers["peak_date"])
    return t[(t["date"] >= peak) & (t["points"] < 0)].reset_index(drop=True)


def near_threshold(capital: CapitalResult, *, max_events: int = 4) -> pd.DataFrame:
    """Customers under or near the break threshold, each with what brought them there.

    Returns one row per ``broken`` or ``near`` customer, lowest capital first: ``capital``,
    ``status``, ``peak``, ``peak_date``, ``drop`` (peak - capital), ``inactivity_points``,
    ``event_points`` (points rounded to 0.1) and ``drivers``: the ``max_events`` largest
    losses since the peak (inactivity summed into one), in date order.
    """
    c = capital.customers[capital.customers["status"] != "ok"]
    d = capital_drivers(capital, c.index)
    d = d.assign(kind=np.where(d["event"] == "inactivity", "inactivity", d["event"]))
    inact = d[d["kind"] == "inactivity"].groupby("customer_id").agg(points=("points", "sum"),
                                                                       date=("date", "max"))
    inact["event"] = "inactivity"
    ev = d[d["kind"] != "inactivity"][["customer_id", "date", "event", "points"]]
    both = pd.concat([ev, inact.reset_index()], ignore_index=True)
    both = both.sort_values(["customer_id", "points"]).groupby("customer_id").head(max_events)
    both = both.sort_values(["customer_id", "date"])
    both["text"] = (both["event"].astype(str) + " " + both["points"].map("{:+.1f}".format).astype(str)
                    + " (" + both["date"].dt.strftime("%Y-%m-%d") + ")")
    out = c[["capital", "status", "peak", "peak_date"]].copy()
    out["drop"] = out["peak"] - out["capital"]
    out["inactivity_points"] = inact["points"].reindex(out.index).fillna(0.0)
    out["event_points"] = d[d["kind"] != "inactivity"].groupby("customer_id")["points"].sum().reindex(
        out.index).fillna(0.0)
    out["drivers"] = both.groupby("customer_id")["text"].agg("; ".join).reindex(out.index).fillna("")
    points = ["capital", "peak", "drop", "inactivity_points", "event_points"]
    out[points] = out[points].round(1)
    return out.sort_values(["capital", "drop"], ascending=[True, False])


def _complaints(capital: CapitalResult) -> pd.DataFrame:
    t = capital.trajectory
    filed = t[t["event"] == "complaint"]
    solved = set(t.loc[t["event"] == "complaint_resolved", "ref"].dropna())
    g = filed.assign(open=~filed["ref"].isin(solved)).groupby("customer_id")
    return pd.DataFrame({"complaints": g.size(), "open_complaints": g["open"].sum(),
                         "days_since_complaint": (capital.as_of - g["date"].max()).dt.days})


def health_table(scores: pd.DataFrame, capital: CapitalResult, risk: pd.DataFrame, *,
                 segments: pd.Series | None = None) -> pd.DataFrame:
    """Everything the scenarios read, one row per customer, with a ``why`` in words.

    Columns: ``purchases``, ``first_purchase``, ``last_purchase``, ``days_since_first_purchase``,
    ``days_since_purchase``, ``intervals_since_purchase``, ``rhythm_days``, ``p_alive``,
    ``p_no_purchase``, ``expected_purchases``, ``expected_revenue``, ``clv``, ``clv_percentile``
    (0-1, share of customers with a lower CLV), ``capital``, ``capital_status``, ``capital_peak``,
    ``risk_score``, ``risk_band``, ``complaints``, ``open_complaints``, ``days_since_complaint``
    (NaN without complaint), ``segment`` (when given) and ``why``.
    """
    as_of = capital.as_of
    t = scores[["purchases", "first_purchase", "last_purchase", "p_alive", "expected_purchases",
                "expected_revenue", "clv"]].copy()
    t["days_since_first_purchase"] = (as_of - t["first_purchase"]).dt.days
    for col in ("days_since_purchase", "intervals_since_purchase", "rhythm_days", "p_no_purchase",
                "capital", "capital_status", "risk_score", "risk_band"):
        t[col] = risk[col]
    t["clv_percentile"] = t["clv"].rank(method="min", pct=True) - 1 / max(len(t), 1)
    t["capital_peak"] = capital.customers["peak"].reindex(t.index)
    comp = _complaints(capital).reindex(t.index)
    t["complaints"] = comp["complaints"].fillna(0).astype(int)
    t["open_complaints"] = comp["open_complaints"].fillna(0).astype(int)
    t["days_since_complaint"] = comp["days_since_complaint"]
    if segments is not None:
        t["segment"] = segments.reindex(t.index).astype("object").fillna("(no segment)")
        left_out = segments[~segments.index.isin(t.index)]
        t.attrs["not_scored"] = left_out.astype("object").fillna("(no segment)").value_counts().to_dict()
        if len(left_out):
            warn(f"Customer health: {len(left_out)} customer(s) of the segments have no purchase day "
                 "by as_of (returns only, or no order) and get no score; the segment table counts "
                 "them apart (column not_scored).")
    drivers = near_threshold(capital)["drivers"].reindex(t.index)
    t["why"] = _why(t, drivers)
    t.attrs["unreliable"] = list(scores.attrs.get("unreliable", []))
    return t


def _why(t: pd.DataFrame, drivers: pd.Series) -> pd.Series:
    text = ("capital " + t["capital"].map("{:.0f}".format).astype(str) + " (" + t["capital_status"].astype(str)
            + "), risk " + t["risk_band"].astype(str) + " (" + t["risk_score"].map("{:.2f}".format).astype(str)
            + "), P(alive) " + t["p_alive"].map("{:.2f}".format).astype(str)
            + ", CLV " + t["clv"].map("{:,.0f}".format).astype(str)
            + ", last purchase " + t["days_since_purchase"].map("{:.0f}".format).astype(str) + " days ago ("
            + t["intervals_since_purchase"].map("{:.1f}".format).astype(str) + " x rhythm)")
    comp = t["days_since_complaint"].notna()
    text[comp] += ("; complaint " + t.loc[comp, "days_since_complaint"].map("{:.0f}".format).astype(str)
                   + " days ago" + np.where(t.loc[comp, "open_complaints"] > 0, " (open)", ""))
    has = drivers.fillna("") != ""
    text[has] += "; since the peak: " + drivers[has]
    return text


@dataclass
class Health:
    """One assessment date: CLV scores, tolerance capital, churn risk, and the health table."""

    as_of: pd.Timestamp
    scores: pd.DataFrame
    capital: CapitalResult
    risk: pd.DataFrame
    table: pd.DataFrame


def assess(crm, model, *, as_of, points=None, rules=None, risk_rules=None, horizon_months: int = 12,
           discount_rate: float = 0.10, segments: pd.Series | None = None) -> Health:
    """Score every customer at ``as_of`` with a fitted :class:`~workbench.health.clv.LifetimeValue`.

    Runs :meth:`LifetimeValue.score`, :func:`tolerance_capital`, :func:`churn_risk` and
    :func:`health_table` on the data up to ``as_of`` (the model's parameters are kept).
    """
    orders = crm["orders"]
    scores = model.score(orders, as_of=as_of, horizon_months=horizon_months, discount_rate=discount_rate)
    capital = tolerance_capital(crm, as_of=as_of, points=points, rules=rules)
    risk = churn_risk(scores, capital, model=model, rules=risk_rules)
    return Health(as_of=capital.as_of, scores=scores, capital=capital, risk=risk,
                  table=health_table(scores, capital, risk, segments=segments))


def replay_plan(crm, model, *, start, end, scenarios=None, min_gap_days: int = 30, **assess_options):
    """Re-run the assessment and the plan at each month end after ``start`` up to ``end``.

    Scores are recomputed on the data known at each run (``end`` is always the last run);
    the solicitation history is the campaign contacts up to that date plus the actions of
    the earlier runs. ``assess_options`` go to :func:`assess` (points, rules, horizon...).

    Returns
    -------
    (actions, counts): every action of every run (with its ``date``), and per run and
    scenario the counts of :class:`ActionPlan`.
    """
    customers = crm["customers"] if "customers" in crm else None
    done, counts = [], []
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if end <= start:
        raise ValueError(f"end {end.date()} must be after start {start.date()}")
    runs = pd.date_range(start + pd.Timedelta(days=1), end, freq="ME")
    for day in runs[runs < end].append(pd.DatetimeIndex([end])):
        health = assess(crm, model, as_of=day, **assess_options)
        history = pd.concat([contact_history(crm, as_of=day), *[p.history() for p in done]],
                            ignore_index=True)[HISTORY_COLUMNS] if done else contact_history(crm, as_of=day)
        plan = action_plan(health.table, as_of=day, scenarios=scenarios, history=history,
                           customers=customers, min_gap_days=min_gap_days)
        done.append(plan)
        counts.append(plan.counts.assign(date=day))
        logger.info("plan of %s: %d actions", day.date(), len(plan.actions))
    actions = pd.concat([p.actions for p in done], ignore_index=True)
    return actions, pd.concat(counts, ignore_index=True)


def read_segments(path: str | Path) -> pd.Series:
    """Segment labels indexed by ``customer_id``, from a segments file.

    The file is read by :func:`workbench.personas.read_segments` (CSV or Parquet, ``customer_id``
    and a label column, ``segment`` when there are several).
    """
    from workbench.personas import read_segments as read

    frame = read(path)
    return pd.Series(frame["segment"].to_numpy(), index=frame["customer_id"].to_numpy(), name="segment")


def rfm_segments(crm, *, as_of) -> pd.Series:
    """The RFM segment of each customer at ``as_of`` (``wb.rfm.score`` with its defaults)."""
    from workbench import rfm

    result = rfm.score(crm, as_of=as_of, rfmcca=False)
    t = result.table
    return pd.Series(t["segment"].astype(str).to_numpy(), index=t["customer_id"].astype(str),
                     name="segment")


def clv_by_segment(table: pd.DataFrame) -> pd.DataFrame:
    """Per segment: customers, total and mean CLV, share of the CLV, P(alive), risk.

    ``table`` is :func:`health_table` output with a ``segment`` column. Sorted by total CLV;
    customers without a segment form their own row, so totals reconcile. ``not_scored`` counts
    the segment's customers that have no score (returns only, no purchase day: see
    :func:`health_table`), so that every customer of the segments is counted.
    """
    if "segment" not in table:
        raise ValueError("the health table has no segment column: pass segments= to health_table")
    g = table.groupby("segment", observed=True)
    at_risk = table["risk_band"].isin(BANDS[2:])
    out = pd.DataFrame({"customers": g.size(), "clv_total": g["clv"].sum(), "clv_mean": g["clv"].mean(),
                        "expected_revenue": g["expected_revenue"].sum(), "p_alive_mean": g["p_alive"].mean(),
                        "risk_score_mean": g["risk_score"].mean(),
                        "at_risk_pct": 100 * at_risk.groupby(table["segment"]).mean()})
    out["clv_share_pct"] = 100 * out["clv_total"] / out["clv_total"].sum()
    not_scored = pd.Series(table.attrs.get("not_scored", {}), dtype="int64")
    out = out.reindex(out.index.union(not_scored.index))
    out["customers"] = out["customers"].fillna(0).astype(int)
    out["not_scored"] = not_scored.reindex(out.index).fillna(0).astype(int)
    out.index.name = "segment"
    out = out.sort_values("clv_total", ascending=False, na_position="last").reset_index()
    out.attrs = {"unreliable": list(table.attrs.get("unreliable", []))}
    return out
