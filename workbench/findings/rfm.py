"""What the RFM report says: the best grade's weight, the segments that grow or shrink,
revenue concentration and the customers who lost a grade."""

from __future__ import annotations

import pandas as pd

from workbench.findings._text import Findings, Writer, plural


def rfm(*, grades: pd.DataFrame, kpis: pd.DataFrame, drops: pd.DataFrame, since=None, until=None,
        concentration: dict | None = None, previous_as_of=None,
        stored_drops: pd.DataFrame | None = None,
        locale: str = "en", currency: str = "€") -> list[str]:
    """Sentences of the RFM report.

    Parameters
    ----------
    grades : DataFrame
        ``RFMResult.grade_summary()``: grade, label, customers, customers_pct, revenue (best first).
    kpis : DataFrame
        ``rfm.segment_kpis`` by segment (with ``customers_change`` when compared with a
        previous date).
    drops : DataFrame
        ``rfm.grade_changes`` between `since` and `until` (one row per customer who lost a grade).
    concentration : dict, optional
        ``rfm.concentration``: ``top_revenue_share_pct``, ``gini``.
    stored_drops : DataFrame, optional
        Customers graded lower than at the last stored run (the score store).
    """
    w = Writer(locale=locale, currency=currency)
    out, head = [], {}
    total_customers = int(grades["customers"].sum())
    revenue = float(grades["revenue"].sum())
    if total_customers and len(grades):
        best = grades.iloc[0]
        share = 100 * float(best["revenue"]) / revenue if revenue > 0 else None
        money = f" and make {w.pct(share)} of net revenue ({w.money(best['revenue'])})" if share is not None else ""
        out.append(f"{w.count(best['customers'])} of {w.count(total_customers)} customers "
                   f"({w.pct(best['customers_pct'])}) are grade {best['grade']}{money}.")
        head = {f"Grade {best['grade']} customers": (best["customers"], "count"),
                f"Grade {best['grade']} revenue share": (share, "percent")}
        worst = grades.iloc[-1]
        out.append(f"{w.count(worst['customers'])} customers ({w.pct(worst['customers_pct'])}) are in "
                   f"the lowest grade, {worst['grade']}.")
    if len(kpis):
        top = kpis.sort_values("revenue_share_pct", ascending=False).iloc[0]
        out.append(f"The segment '{top['segment']}' brings the most revenue: {w.pct(top['revenue_share_pct'])} "
                   f"from {w.count(top['customers'])} customers.")
        if "customers_change" in kpis and kpis["customers_change"].notna().any():
            fall = kpis.sort_values("customers_change").iloc[0]
            if fall["customers_change"] < 0:
                out.append(f"The segment '{fall['segment']}' lost the most customers: "
                           f"{w.count(-fall['customers_change'])} fewer than on "
                           + (f"{pd.Timestamp(previous_as_of):%Y-%m-%d}." if previous_as_of is not None
                              else "the previous date."))
    if concentration:
        out.append(f"The top 20 % of purchasers make {w.pct(concentration['top_revenue_share_pct'])} of "
                   f"net revenue (Gini {w.number(concentration['gini'])}).")
    n = len(drops)
    dated = (f" between {pd.Timestamp(since):%Y-%m-%d} and {pd.Timestamp(until):%Y-%m-%d}"
             if since is not None and until is not None else "")
    out.append(f"{w.count(n)} {plural(n, 'customer')} lost at least one grade{dated}"
               + (": they are listed in section 8." if n else "."))
    if stored_drops is not None and len(stored_drops):
        out.append(f"{w.count(len(stored_drops))} {plural(len(stored_drops), 'customer')} "
                   "got a lower grade than at the last stored run.")
    head["Lost a grade"] = (n, "count")
    return Findings(out[:6], head)
