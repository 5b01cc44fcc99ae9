"""Campaign ROI, response rates: who responded, per campaign, group and segment, with intervals.

Needs only ``campaign_contacts.responded``: no orders, no dates. This is what response-only
exports (calls or mailings with an outcome, no order table) can show.

Private to :mod:`workbench.campaigns`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from workbench.campaigns.effects import BASIS_INCREMENTAL
from workbench.campaigns.outcomes import CONTROL
from workbench.campaigns.segments import NO_LABEL, _attach
from workbench.campaigns.stats import check_confidence

__all__ = ["wilson_interval", "response_rates", "response_contacts", "segment_candidates",
           "response_lift", "BASIS_NO_CONTROL_RESPONSE"]

BASIS_NO_CONTROL_RESPONSE = "rates only: no control response recorded"

#: Columns of the contacts (and sector, attached anyway) that a customer column may not shadow.
_TAKEN = ("customer_id", "campaign_id", "group", "kind", "responded", "sector")


def wilson_interval(successes, trials, *, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion successes / trials, element-wise.

    Unlike the normal (Wald) interval it stays inside [0, 1] and keeps a width when the
    count is 0 or equal to the trials; NaN where trials is 0.
    """
    check_confidence(confidence)
    k, n = np.asarray(successes, float), np.asarray(trials, float)
    z = stats.norm.ppf(0.5 + confidence / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
        # the interval holds p itself (rounding at k = 0 or k = n could leave it out by 1e-17)
        low = np.where(n > 0, np.clip(np.minimum(centre - half, p), 0, 1), np.nan)
        high = np.where(n > 0, np.clip(np.maximum(centre + half, p), 0, 1), np.nan)
    return low, high


def response_contacts(contacts: pd.DataFrame, *, campaigns: pd.DataFrame | None = None,
                      customers: pd.DataFrame | None = None, segments: pd.DataFrame | None = None,
                      columns=()) -> pd.DataFrame:
    """The contacts with their campaign's ``kind`` and the customers' segment labels.

    Segment columns are ``sector`` and `columns` of `customers`, and the labels of
    `segments` (see :func:`workbench.campaigns.add_segments`); unknown labels are "(none)".
    """
    if "responded" not in contacts:
        raise ValueError("campaign_contacts has no responded column: response rates need it; map "
                         "the outcome of each contact (visit, reply, registration) to responded")
    keep = ["campaign_id", "customer_id", "group", "responded"]
    out = contacts[keep].copy()
    kind = campaigns.set_index("campaign_id")["kind"] if campaigns is not None and "kind" in campaigns \
        else pd.Series(dtype="str")
    out.insert(3, "kind", out["campaign_id"].map(kind).astype("str").fillna("(no kind)"))
    return _attach(out, customers=customers, segments=segments, columns=list(columns))


def response_rates(contacts: pd.DataFrame, by: str | list[str], *,
                   confidence: float = 0.95) -> pd.DataFrame:
    """Response rate per value of `by`, with its Wilson interval.

    Parameters
    ----------
    contacts : DataFrame
        Contacts with ``responded`` (e.g. :func:`response_contacts`) and the `by` columns.
    by : str or list of str
        Columns to group by, e.g. ``["campaign_id", "group"]`` or ``["sector", "group"]``.

    Returns
    -------
    DataFrame
        The `by` columns, contacts, recorded (contacts whose response is known: the
        denominator), not_recorded (left out of the rate, never counted as a "no"), responded,
        response_rate = responded / recorded, response_low, response_high.
    """
    keys = [by] if isinstance(by, str) else list(by)
    absent = [k for k in keys if k not in contacts]
    if absent:
        raise ValueError(f"response_rates: {', '.join(absent)} not a column of the contacts "
                         f"(columns: {', '.join(map(str, contacts.columns))})")
    answered = contacts["responded"].astype("boolean")
    frame = contacts[keys].assign(_known=answered.notna().astype(int),
                                  _yes=answered.fillna(False).astype(int))
    for k in keys:
        frame[k] = frame[k].astype("str").fillna(NO_LABEL)
    g = frame.groupby(keys, sort=True, dropna=False)
    out = g.agg(contacts=("_known", "size"), recorded=("_known", "sum"), responded=("_yes", "sum"))
    out["not_recorded"] = out["contacts"] - out["recorded"]
    out["response_rate"] = out["responded"] / out["recorded"].where(out["recorded"] > 0)
    out["response_low"], out["response_high"] = wilson_interval(out["responded"], out["recorded"],
                                                                confidence=confidence)
    cols = ["contacts", "recorded", "not_recorded", "responded", "response_rate", "response_low",
            "response_high"]
    return out[cols].reset_index()


def segment_candidates(customers: pd.DataFrame | None, *, max_levels: int = 8) -> list[str]:
    """Customer columns that make readable segments, when none are given.

    Text or yes/no columns with 2 to `max_levels` distinct values (gender, country, sales
    rep, a mapping's extra columns such as Hillstrom's ``history_segment``...); consent
    columns are left out (they say who may be contacted, not who the customer is), and so
    are ``kind`` and ``sector`` (the first names the campaign's kind in the contacts, the
    second is always shown).
    """
    if customers is None:
        return []
    out = []
    for col in customers.columns:
        s = customers[col]
        if col in _TAKEN or col.startswith("consent_"):
            continue
        textual = pd.api.types.is_bool_dtype(s) or pd.api.types.is_string_dtype(s) \
            or pd.api.types.is_object_dtype(s)
        if textual and 2 <= s.nunique(dropna=True) <= max_levels:
            out.append(col)
    return out


def response_lift(contacts: pd.DataFrame, *, confidence: float = 0.95,
                  control: str = CONTROL) -> pd.DataFrame:
    """Each treated arm's response rate against its campaign's control group.

    Per campaign and arm: recorded contacts and response rate of the arm and of the control
    group, the lift (arm - control) with Newcombe's hybrid score interval (built from the two
    Wilson intervals, method 10 of Newcombe 1998) and the two-sided p-value of the pooled
    two-proportion z-test. Only contacts whose response is recorded count. A campaign whose
    control group has fewer than two recorded responses gets no lift (``basis`` says so).
    """
    rates = response_rates(contacts, ["campaign_id", "group"], confidence=confidence)
    ctrl = rates[rates["group"] == control].set_index("campaign_id")
    out = rates[rates["group"] != control].rename(columns={
        "group": "arm", "recorded": "n_treated", "responded": "responded_treated",
        "response_rate": "rate_treated", "response_low": "low_treated", "response_high": "high_treated"})
    out = out.drop(columns=["contacts", "not_recorded"])
    for col, src in (("n_control", "recorded"), ("responded_control", "responded"),
                     ("rate_control", "response_rate"), ("low_control", "response_low"),
                     ("high_control", "response_high")):
        out[col] = out["campaign_id"].map(ctrl[src]) if len(ctrl) else np.nan
    out["n_control"] = out["n_control"].fillna(0).astype(int)
    measured = out["n_control"] >= 2
    p1, p2 = out["rate_treated"], out["rate_control"]
    diff = (p1 - p2).where(measured)
    out["response_lift"] = diff
    out["lift_low"] = diff - np.sqrt((p1 - out["low_treated"]) ** 2 + (out["high_control"] - p2) ** 2)
    out["lift_high"] = diff + np.sqrt((out["high_treated"] - p1) ** 2 + (p2 - out["low_control"]) ** 2)
    n1, n2 = out["n_treated"], out["n_control"].where(measured)
    pooled = (out["responded_treated"] + out["responded_control"]) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (diff / se.where(se > 0)).astype(float)
    out["lift_p"] = 2 * stats.norm.sf(np.abs(z))
    out["basis"] = np.where(measured, BASIS_INCREMENTAL, BASIS_NO_CONTROL_RESPONSE)
    return out.reset_index(drop=True)
