"""What the data-quality report says: what was read, kept and rejected, whether it adds up."""

from __future__ import annotations

import pandas as pd

from workbench.findings._text import Findings, Writer, plural

#: Share of rejected rows under which a source whose counts add up is called trustworthy.
TRUSTED_REJECTS = 0.01


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
           f"{w.count(accepted)} accepted ({w.share(accepted, read)}), "
           f"{w.count(rejected)} rejected, {w.count(excluded)} excluded by the mapping."]
    unbalanced = recon.loc[~recon["balanced"].astype(bool), "table"].tolist()
    if unbalanced:
        out.append(f"The counts do NOT add up in {', '.join(map(str, unbalanced))}: rows were lost "
                   "between reading and checking; do not use these tables before this is explained.")
    elif rejected <= TRUSTED_REJECTS * read:
        out.append("The source can be trusted: the counts add up in every table (read = accepted + "
                   f"rejected + excluded) and the {w.count(rejected)} {plural(rejected, 'rejected row')} "
                   f"{'is' if rejected == 1 else 'are'} set aside with {'its' if rejected == 1 else 'their'} reasons."
                   if rejected else
                   "The source can be trusted: the counts add up in every table (read = accepted + "
                   "rejected + excluded).")
    else:
        out.append("The counts add up in every table (read = accepted + rejected + excluded), but "
                   f"{w.share(rejected, read)} of the rows were rejected: read why (section 4) "
                   "before trusting the reports built on this source.")
    if len(rejects):
        top = rejects.iloc[0]
        out.append(f"The most frequent problem is {top['table']}.{top['column']} ({top['rule']}): "
                   f"{w.count(top['problems'])} {plural(int(top['problems']), 'row')}; section 4 lists "
                   "where each rejected row stands in the source.")
        worst = recon.assign(bad=recon["rejected"] / recon["read"].where(recon["read"] > 0))
        worst = worst.sort_values("bad", ascending=False).iloc[0]
        out.append(f"The table with the most rejects is {worst['table']}: "
                   f"{w.share(int(worst['rejected']), int(worst['read']))} of its rows.")
    else:
        out.append("No row was rejected: every value met the contract.")
    empty = recon.loc[recon["accepted"] == 0, "table"].tolist()
    if empty:
        out.append(f"No usable row in {', '.join(map(str, empty))}: the reports that need "
                   f"{plural(len(empty), 'it', 'them')} will skip those sections.")
    return Findings(out, {"Rows read": (read, "count"), "Rows rejected": (rejected, "count"),
                          "Tables that do not add up": (len(unbalanced), "count")})
