"""What the data-quality report says: what was read, kept and rejected, whether it adds up."""

from __future__ import annotations

import pandas as pd

from workbench.findings._text import Findings, Writer, plural


def quality(*, recon: pd.DataFrame, rejects: pd.DataFrame, locale: str = "en",
            currency: str = "€") -> list[str]:
    """Sentences of the data-quality report.

    Parameters
    ----------
    recon : DataFrame
        ``quality.reconciliation``: table, read, excluded, accepted, rejected, balanced.
    rejects : DataFrame
        ``quality.reject_summary``: table, column, rule, problems, rows (most frequent first).
    """
    w = Writer(locale=locale, currency=currency)
    read, accepted = int(recon["read"].sum()), int(recon["accepted"].sum())
    rejected, excluded = int(recon["rejected"].sum()), int(recon["excluded"].sum())
    out = [f"{w.count(read)} rows read in {len(recon)} {plural(len(recon), 'table')}: "
           f"{w.count(accepted)} accepted ({w.fraction(accepted / read if read else None)}), "
           f"{w.count(rejected)} rejected, {w.count(excluded)} excluded by the mapping."]
    unbalanced = recon.loc[~recon["balanced"].astype(bool), "table"].tolist()
    out.append("The counts add up in every table (read = accepted + rejected + excluded)."
               if not unbalanced else
               f"The counts do NOT add up in {', '.join(map(str, unbalanced))}: rows were lost "
               "between reading and checking; do not use these tables before this is explained.")
    if len(rejects):
        top = rejects.iloc[0]
        out.append(f"The most frequent problem is {top['table']}.{top['column']} ({top['rule']}): "
                   f"{w.count(top['problems'])} {plural(int(top['problems']), 'row')}; section 4 lists "
                   "where each rejected row stands in the source.")
        worst = recon.assign(bad=recon["rejected"] / recon["read"].where(recon["read"] > 0))
        worst = worst.sort_values("bad", ascending=False).iloc[0]
        out.append(f"The table with the most rejects is {worst['table']}: "
                   f"{w.fraction(worst['bad'])} of its rows.")
    else:
        out.append("No row was rejected: every value met the contract.")
    empty = recon.loc[recon["accepted"] == 0, "table"].tolist()
    if empty:
        out.append(f"No usable row in {', '.join(map(str, empty))}: the reports that need "
                   f"{plural(len(empty), 'it', 'them')} will skip those sections.")
    return Findings(out, {"Rows read": (read, "count"), "Rows rejected": (rejected, "count"),
                          "Tables that do not add up": (len(unbalanced), "count")})
