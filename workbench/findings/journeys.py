"""What the customer-journeys report says: how many journeys convert, the most frequent path,
and which channel the purchases depend on most."""

from __future__ import annotations

import pandas as pd

from workbench.findings._text import Findings, Writer


def journeys(*, summary: pd.DataFrame, paths: pd.DataFrame, credit: pd.DataFrame,
             locale: str = "en", currency: str = "€") -> list[str]:
    """Sentences of the customer-journeys report.

    Parameters
    ----------
    summary : DataFrame
        ``JourneyResult.summary()``: what, count (journeys with a touch first, then converted).
    paths : DataFrame
        ``top_paths``: path, journeys, conversion (most frequent first).
    credit : DataFrame
        ``attribution``: model, channel, conversions, share (``markov`` rows by removal effect).
    """
    w = Writer(locale=locale, currency=currency)
    if summary.empty or len(summary) < 2:
        return Findings(["No journey with a recorded touch: nothing to say about paths or channels."])
    journeys, converted = int(summary["count"].iat[0]), int(summary["count"].iat[1])
    out = [f"{w.count(journeys)} journeys with at least one touch; {w.count(converted)} ended with a "
           f"purchase ({w.fraction(converted / journeys if journeys else None)})."]
    if len(paths):
        top = paths.iloc[0]
        out.append(f"The most frequent path is {top['path']}: {w.count(top['journeys'])} journeys, "
                   f"{w.fraction(top['conversion'])} of them converted.")
        best = paths.sort_values("conversion", ascending=False).iloc[0]
        worst = paths.sort_values("conversion").iloc[0]
        if best["path"] != worst["path"]:
            out.append(f"Among the frequent paths, {best['path']} converts best ({w.fraction(best['conversion'])}) "
                       f"and {worst['path']} worst ({w.fraction(worst['conversion'])}).")
    markov = credit[credit["model"] == "markov"].sort_values("share", ascending=False)
    if len(markov):
        lead = markov.iloc[0]
        out.append(f"Purchases depend most on {lead['channel']}: it earns {w.fraction(lead['share'])} of the "
                   "credit when each channel is removed in turn (Markov attribution).")
    return Findings(out, {"Journeys": (journeys, "count"),
                          "Converted": (converted / journeys if journeys else None, "fraction")})
