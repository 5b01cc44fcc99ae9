"""Score history: the same scoring at several dates, segment migrations, grade drops.

Private to :mod:`workbench.rfm`, which re-exports the functions.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from workbench.notices import warn
from workbench.rfm.core import NoPurchaseYet

__all__ = ["score_history", "history_dates", "span_plan", "SpanPlan", "migration_matrix", "segment_flows", "grade_changes",
           "NOT_YET"]

#: Label of customers who were not known (no line, not in customers) at the earlier date.
NOT_YET = "Not yet a customer"
_KEEP = ["as_of", "customer_id", "status", "recency_days", "frequency", "monetary", "r_score",
         "f_score", "m_score", "points", "grade", "segment"]


def history_dates(as_of, *, periods: int, months: int = 3) -> list[pd.Timestamp]:
    """`periods` dates `months` apart, oldest first, ending at `as_of` (e.g. the last 5 quarters)."""
    if periods < 1 or months < 1:
        raise ValueError(f"periods={periods}, months={months}: both must be at least 1")
    as_of = pd.Timestamp(as_of)
    return [as_of - pd.DateOffset(months=months * k) for k in range(periods)][::-1]


#: A comparison whose earlier scoring sees fewer days of orders than this is "thin".
THIN_WINDOW_DAYS = 90


@dataclass(frozen=True)
class SpanPlan:
    """Comparison and history dates that the orders' span allows (see :func:`span_plan`).

    ``compare_months`` 0 and ``history`` empty mean the span allows none; ``sentences`` say
    what was chosen and why, for the report.
    """

    first_order: pd.Timestamp
    span_months: int
    compare_months: int
    previous_as_of: pd.Timestamp | None
    history: list[pd.Timestamp]
    sentences: list[str]


def span_plan(orders, *, as_of, compare_months: int = 0, history_quarters: int = 0) -> SpanPlan:
    """The comparison date and history dates the data's span allows, stated in sentences.

    Parameters
    ----------
    orders : DataFrame or Ibis table
        Order lines with ``order_date``.
    as_of : date-like
        Scoring date.
    compare_months : int
        Months between the scoring and its comparison; 0 derives it: 12 when the history
        spans two years, else the longest of 6, 3, 1 months that leaves as much history before
        the comparison date. A comparison date with fewer than :data:`THIN_WINDOW_DAYS` days of
        orders before it gives a ``ResultWarning`` (thin window); one before the first order,
        no comparison.
    history_quarters : int
        Dates of the score history; 0 derives it: up to 5, 3 months apart (1 month apart when
        the history is shorter than a year), none before the first order's next period.
    """
    as_of = pd.Timestamp(as_of).normalize()
    first = _first_order(orders, as_of)
    end = as_of + pd.Timedelta(days=1)  # whole months: 2024-01-01 to 2025-12-31 is 24
    months = (end.year - first.year) * 12 + end.month - first.month - (end.day < first.day)
    said = [f"Orders from {first:%Y-%m-%d} to {as_of:%Y-%m-%d}: {months} month(s) of history."]
    if compare_months <= 0:
        compare_months = 12 if months >= 24 else next((m for m in (6, 3, 1) if m <= months // 2), 0)
        said.append(f"Comparison {compare_months} months before as_of (derived from the span; "
                    "parameter compare_months)." if compare_months else
                    "No comparison: the history is too short for an earlier scoring date.")
    previous = as_of - pd.DateOffset(months=compare_months) if compare_months else None
    if previous is not None and previous < first:
        said.append(f"No comparison: {previous:%Y-%m-%d}, {compare_months} months before as_of, "
                    f"is before the first order ({first:%Y-%m-%d}); lower compare_months.")
        compare_months, previous = 0, None
    elif previous is not None and (previous - first).days < THIN_WINDOW_DAYS:
        warn(f"Thin comparison window: the scoring of {previous:%Y-%m-%d} sees only "
             f"{(previous - first).days} days of orders (from {first:%Y-%m-%d}), so its new and "
             "lapsed customers, and the changes against it, are not comparable with a full year; "
             "lower compare_months.")
    step = 3 if months >= 12 else 1
    periods = min(history_quarters or 5, months // step)
    history = history_dates(as_of, periods=periods, months=step) if periods >= 2 else []
    said.append(f"Score history: {len(history)} dates {step} month(s) apart, from "
                f"{history[0]:%Y-%m-%d} (parameter history_quarters)." if history else
                "No score history: the orders span less than two periods.")
    return SpanPlan(first, months, compare_months, previous, history, said)


def _first_order(orders, as_of: pd.Timestamp) -> pd.Timestamp:
    if isinstance(orders, pd.DataFrame):
        dates = pd.to_datetime(orders["order_date"])
        first = dates[dates <= as_of].min()
    else:  # an Ibis table: one aggregation in the engine
        t = orders.filter(orders.order_date.cast("date") <= as_of.date())
        first = t.order_date.min().to_pyarrow().as_py()
    if first is None or pd.isna(first):
        raise NoPurchaseYet(f"no order on or before {as_of:%Y-%m-%d}: nothing to compare or to "
                            "follow over time")
    return pd.Timestamp(first).normalize()


def score_history(source, *, dates, scorer=None, bins: int = 5, grid=None, segments=None,
                  customers=None) -> pd.DataFrame:
    """Scores, points, grade and segment of every customer at each of `dates` (a long table).

    One scorer serves every date, so that a score change is a change of behaviour, not of the
    cut points: the given fitted `scorer`, else one fitted on the latest date. The grid and the
    segment rules are those :func:`workbench.rfm.score` takes. Each date is one engine
    aggregation; the potential classes and RFMCCA profile are left out.
    """
    from workbench.rfm.pipeline import score

    dates = sorted(pd.Timestamp(d) for d in dates)
    if not dates:
        raise ValueError("give at least one date, e.g. quarter ends: pd.date_range(end=as_of, periods=8, freq='QE')")
    last = score(source, as_of=dates[-1], customers=customers, scorer=scorer, bins=bins, grid=grid,
                 segments=segments, rfmcca=False)
    scorer = last.scorer if scorer is None else scorer
    parts = []
    for d in dates[:-1]:
        try:
            parts.append(score(source, as_of=d, customers=customers, scorer=scorer, grid=last.grid,
                               segments=last.segments, rfmcca=False).table)
        except NoPurchaseYet:  # a date before any purchase: nobody to score yet
            pass
    parts.append(last.table)
    out = pd.concat([p[[c for c in _KEEP if c in p]] for p in parts], ignore_index=True)
    out["segment"] = pd.Categorical(out["segment"].astype(str),
                                    categories=[*last.table["segment"].cat.categories])
    out.attrs.update(grade_order=last.grid.grade_order, scorer=scorer)
    return out


def _pair(history: pd.DataFrame, start, end, by: str) -> pd.DataFrame:
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    dates = set(history["as_of"])
    for d in (start, end):
        if d not in dates:
            raise ValueError(f"{d:%Y-%m-%d} is not a date of the history "
                             f"({', '.join(f'{x:%Y-%m-%d}' for x in sorted(dates))})")
    a = history.loc[history["as_of"] == start, ["customer_id", by]].set_index("customer_id")[by]
    b = history.loc[history["as_of"] == end, ["customer_id", by]].set_index("customer_id")[by]
    both = pd.DataFrame({"from": a.astype(str).reindex(b.index).fillna(NOT_YET), "to": b.astype(str)})
    lost = a.index.difference(b.index)
    if len(lost):  # known at the start, absent at the end: cannot happen with cumulative data
        both = pd.concat([both, pd.DataFrame({"from": a[lost].astype(str), "to": "Left the data"})])
    return both


def migration_matrix(history: pd.DataFrame, *, start, end, by: str = "segment",
                     normalize: bool = False) -> pd.DataFrame:
    """Customers by `by` at `start` (rows) and at `end` (columns); with `normalize`, row shares in %.

    Customers not yet known at `start` form the row ``Not yet a customer``.
    """
    pair = _pair(history, start, end, by)
    order = _order(history, by)
    rows = [r for r in [NOT_YET, *order] if r in set(pair["from"])]
    cols = [c for c in order if c in set(pair["to"])]
    m = pd.crosstab(pair["from"], pair["to"]).reindex(index=rows, columns=cols, fill_value=0)
    if normalize:
        m = (100 * m.div(m.sum(axis=1).where(lambda s: s > 0), axis=0)).round(1)
    m.index.name, m.columns.name = f"{by} at {pd.Timestamp(start):%Y-%m-%d}", f"{by} at {pd.Timestamp(end):%Y-%m-%d}"
    return m


def _order(history: pd.DataFrame, by: str) -> list[str]:
    if by == "grade" and history.attrs.get("grade_order"):
        return list(history.attrs["grade_order"])
    if isinstance(history[by].dtype, pd.CategoricalDtype):
        return [str(c) for c in history[by].cat.categories]
    return sorted(history[by].dropna().astype(str).unique())


def segment_flows(history: pd.DataFrame, *, start, end, by: str = "segment") -> pd.DataFrame:
    """Long table ``from, to, customers`` of the migrations (for a flow chart), largest first."""
    pair = _pair(history, start, end, by)
    flows = pair.groupby(["from", "to"]).size().rename("customers").reset_index()
    flows = flows.sort_values("customers", ascending=False).reset_index(drop=True)
    present = set(flows["from"]) | set(flows["to"])
    order = [c for c in [NOT_YET, *_order(history, by), "Left the data"] if c in present]
    for col in ("from", "to"):
        flows[col] = pd.Categorical(flows[col], categories=order)
    return flows


def grade_changes(history: pd.DataFrame, *, start, end, dropped_only: bool = True) -> pd.DataFrame:
    """Customers whose grade changed between `start` and `end` (only drops by default).

    Columns: customer_id, grade_start, grade_end, steps (negative = worse), points_start,
    points_end, points_change, segment_start, segment_end; biggest drops first.
    """
    order = history.attrs.get("grade_order") or sorted(history["grade"].dropna().unique())
    rank = {g: i for i, g in enumerate(order)}
    cols = ["customer_id", "grade", "points", "segment"]
    a = history.loc[history["as_of"] == pd.Timestamp(start), cols].set_index("customer_id")
    b = history.loc[history["as_of"] == pd.Timestamp(end), cols].set_index("customer_id")
    if a.empty or b.empty:
        raise ValueError("start and end must both be dates of the history")
    j = a.merge(b, left_index=True, right_index=True, suffixes=("_start", "_end"), how="inner")
    j["steps"] = j["grade_start"].astype(str).map(rank) - j["grade_end"].astype(str).map(rank)
    j["points_change"] = j["points_end"] - j["points_start"]
    j = j[j["steps"] < 0] if dropped_only else j[j["steps"] != 0]
    j = j.sort_values(["steps", "points_change"]).reset_index()
    return j[["customer_id", "grade_start", "grade_end", "steps", "points_start", "points_end",
              "points_change", "segment_start", "segment_end"]]
