"""What the persona report says: how many personas, the largest and the most valuable, and
whether they are stable enough to act on."""

from __future__ import annotations

import pandas as pd

from workbench.findings._text import Findings, Writer


def personas(*, personas: pd.DataFrame, silhouette: float | None = None,
             bootstrap_ari: float | None = None, affinity: pd.DataFrame | None = None,
             locale: str = "en", currency: str = "€") -> list[str]:
    """Sentences of the persona report.

    Parameters
    ----------
    personas : DataFrame
        ``PersonaCards.table()``: name, customers, share_pct, revenue_share_pct,
        revenue_per_customer, stability.
    silhouette, bootstrap_ari : float, optional
        Quality of the chosen clustering and mean agreement of its bootstrap refits.
    affinity : DataFrame, optional
        ``personas.category_affinity``: persona, category, spend_share_pct, base_share_pct,
        index; gives what each persona buys most above the base (what the group wants).
    """
    w = Writer(locale=locale, currency=currency)
    total = int(personas["customers"].sum())
    fit = f" (silhouette {w.number(silhouette)})" if silhouette is not None else ""
    out = [f"{w.count(total)} customers fall into {len(personas)} personas{fit}."]
    largest = personas.sort_values("customers", ascending=False).iloc[0]
    share = (f" and {w.pct(largest['revenue_share_pct'])} of revenue"
             if pd.notna(largest["revenue_share_pct"]) else "")
    out.append(f"The largest, '{largest['name']}', holds {w.pct(largest['share_pct'])} of customers{share}.")
    if personas["revenue_per_customer"].notna().any():
        richest = personas.sort_values("revenue_per_customer", ascending=False).iloc[0]
        poorest = personas.sort_values("revenue_per_customer").iloc[0]
        out.append(f"'{richest['name']}' spends the most per customer ({w.money(richest['revenue_per_customer'])}, "
                   f"{w.pct(richest['revenue_share_pct'])} of revenue from {w.pct(richest['share_pct'])} of customers); "
                   f"'{poorest['name']}' the least ({w.money(poorest['revenue_per_customer'])}).")
    wants = _wants(personas, affinity, w) if affinity is not None and len(affinity) else ""
    if wants:
        out.append(f"What each buys most above the average customer: {wants}.")
    if bootstrap_ari is not None:
        verdict = ("stable: the same groups come back on resampled customers" if bootstrap_ari >= 0.8
                   else "only moderately stable: treat the boundaries as soft" if bootstrap_ari >= 0.6
                   else "NOT stable: resampled customers give other groups; do not act on them as they stand")
        out.append(f"The personas are {verdict} (bootstrap agreement {w.number(bootstrap_ari)}).")
    unstable = personas.loc[personas["stability"].astype(str).str.contains("unstable", na=False), "name"]
    if len(unstable):
        out.append(f"Unstable on their own: {', '.join(map(str, unstable))}.")
    return Findings(out[:6], {"Personas": (len(personas), "count"),
                              "Largest persona": (largest["share_pct"], "percent"),
                              "Bootstrap agreement": (bootstrap_ari, "number")})


def _wants(personas: pd.DataFrame, affinity: pd.DataFrame, w: Writer) -> str:
    """``'P1 name' premium (73.0 % of spend vs 13.0 %); ...``: per persona, largest first, the
    category with the highest index above the base (its share of all customers' spend)."""
    top = (affinity[affinity["index"] > 100].sort_values("index", ascending=False)
           .drop_duplicates("persona").set_index("persona"))
    parts = []
    for _, row in personas.sort_values("customers", ascending=False).iterrows():
        if row["persona"] in top.index:
            best = top.loc[row["persona"]]
            parts.append(f"'{row['name']}' {best['category']} ({w.pct(best['spend_share_pct'])} of "
                         f"spend vs {w.pct(best['base_share_pct'])})")
    return "; ".join(parts)
