"""What the customer-health report says: lifetime value, who is about to leave, how well the
risk score did on the holdout, and what the plan proposes."""

from __future__ import annotations

import pandas as pd

from workbench.findings._text import Findings, Writer


def health(*, scores: pd.DataFrame, capital_counts, auc: float | None = None,
           precision_top: float | None = None, predicted_over_actual: float | None = None,
           actions: pd.DataFrame | None = None, horizon_months: int = 12,
           locale: str = "en", currency: str = "€") -> list[str]:
    """Sentences of the customer-health report.

    Parameters
    ----------
    scores : DataFrame
        Lifetime-value scores: one row per customer with ``clv``.
    capital_counts : mapping
        Tolerance capital: customers ``broken`` and ``near`` the threshold.
    auc, precision_top : float, optional
        The risk score on the holdout period (area under the ROC curve, precision of the top 10 %).
    predicted_over_actual : float, optional
        Holdout check of the purchase model: predicted / actual purchases.
    actions : DataFrame, optional
        The action plan (one row per action, with ``action``).
    """
    w = Writer(locale=locale, currency=currency)
    n = len(scores)
    top = scores["clv"].sort_values(ascending=False)
    top_share = top.head(max(1, n // 10)).sum() / top.sum() if top.sum() > 0 else None
    out = [f"{w.count(n)} customers are worth {w.money(top.sum())} over the next {horizon_months} "
           f"months (expected lifetime value); the top 10 % hold {w.fraction(top_share)} of it."]
    broken, near = int(capital_counts["broken"]), int(capital_counts["near"])
    out.append(f"{w.count(broken)} customers have used up their tolerance capital (about to leave) "
               f"and {w.count(near)} more are near the threshold.")
    if auc is not None:
        good = "useful" if auc >= 0.7 else "weak" if auc >= 0.6 else "no better than chance"
        top10 = f"; {w.fraction(precision_top)} of its top 10 % did stop buying" if precision_top is not None else ""
        out.append(f"On the holdout period the churn-risk score was {good} (AUC {w.number(auc)}){top10}.")
    if predicted_over_actual is not None:
        gap = predicted_over_actual - 1
        how = "over" if gap > 0 else "under"
        out.append(f"The purchase model {how}-predicted the holdout purchases by {w.fraction(abs(gap))}.")
    if actions is not None:
        kinds = actions["action"].value_counts() if "action" in actions and len(actions) else pd.Series(dtype=int)
        lead = f", mostly {kinds.index[0]} ({w.count(kinds.iloc[0])})" if len(kinds) else ""
        out.append(f"The plan proposes {w.count(len(actions))} actions{lead}.")
    return Findings(out[:6], {"Lifetime value": (top.sum(), "money"),
                              "About to leave": (broken, "count"),
                              "Actions planned": (None if actions is None else len(actions), "count")})
