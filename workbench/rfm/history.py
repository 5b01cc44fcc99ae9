"""Score history: the same scoring at several dates, segment migrations, grade drops.

Private to :mod:`workbench.rfm`, which re-exports the functions.
"""

from __future__ import annotations

import pandas as pd

from workbench.rfm.core import NoPurchaseYet

__all__ = ["score_history", "history_dates", "migration_matrix", "segment_flows", "grade_changes",
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
