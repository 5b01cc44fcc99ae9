"""Churn risk: P(alive), tolerance capital and recency combined into a score and bands.

Private to :mod:`workbench.health`. Three components, each a risk between 0 and 1:

- ``risk_model``: the model's probability of no purchase in the next ``window_days``
  (gone, or still there but silent), built on P(alive);
- ``risk_capital``: 0 at or above the starting capital, 1 at or below the break threshold,
  linear in between;
- ``risk_recency``: ``1 - 2 ** (-intervals / half_life_rhythms)`` where ``intervals`` is the
  time since the last purchase in units of the customer's own purchase rhythm (0.5 after
  ``half_life_rhythms`` intervals).

``risk_score`` is their weighted mean; bands cut it at ``cuts``, and a broken capital puts a
customer at least in ``broken_band``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from workbench.notices import warn

__all__ = ["RiskRules", "BANDS", "churn_risk", "evaluate_risk", "RiskEvaluation", "no_purchase_between"]

BANDS = ("low", "medium", "high", "critical")
COMPONENTS = ("risk_model", "risk_capital", "risk_recency")


@dataclass(frozen=True)
class RiskRules:
    """How the three components are computed, weighted and cut into bands."""

    window_days: float = 182.0
    half_life_rhythms: float = 2.0
    weight_model: float = 1.0
    weight_capital: float = 1.0
    weight_recency: float = 1.0
    cuts: tuple[float, float, float] = (0.25, 0.5, 0.75)
    broken_band: str = "high"

    def __post_init__(self) -> None:
        if not (self.window_days > 0 and self.half_life_rhythms > 0):
            raise ValueError("window_days and half_life_rhythms must be > 0")
        weights = (self.weight_model, self.weight_capital, self.weight_recency)
        if min(weights) < 0 or sum(weights) == 0:
            raise ValueError(f"weights {weights}: each >= 0 and at least one > 0")
        c = tuple(self.cuts)
        if len(c) != 3 or not 0 < c[0] < c[1] < c[2] < 1:
            raise ValueError(f"cuts {c}: three increasing values between 0 and 1 (low|medium|high|critical)")
        if self.broken_band not in BANDS:
            raise ValueError(f"broken_band {self.broken_band!r}: one of {', '.join(BANDS)}")

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([(k, str(v)) for k, v in asdict(self).items()], columns=["rule", "value"])


def churn_risk(scores: pd.DataFrame, capital, *, model, rules: RiskRules | None = None) -> pd.DataFrame:
    """Risk score and band per customer.

    Parameters
    ----------
    scores : DataFrame
        :meth:`LifetimeValue.score` at the analysis date (``frequency``, ``T``, ``p_alive``,
        ``last_purchase``...).
    capital : CapitalResult
        :func:`tolerance_capital` at the same date.
    model : LifetimeValue
        The fitted model behind ``scores`` (for P(no purchase)).
    rules : RiskRules

    Returns
    -------
    DataFrame indexed by customer_id: ``p_alive``, ``p_no_purchase``, ``capital``,
    ``capital_status``, ``days_since_purchase``, ``rhythm_days``, ``intervals_since_purchase``,
    the three components, ``risk_score`` and ``risk_band``. A customer without capital (none
    in practice: both come from the same orders) is scored on the other components, counted
    in ``attrs["missing_capital"]``.
    """
    rules = rules or RiskRules()
    as_of = pd.Timestamp(scores.attrs.get("as_of", capital.as_of))
    if as_of != capital.as_of:
        raise ValueError(f"scores are as of {as_of:%Y-%m-%d} but the capital as of {capital.as_of:%Y-%m-%d}: "
                         "compute both at the same date")
    cap = capital.customers.reindex(scores.index)
    r = capital.rules
    out = pd.DataFrame(index=scores.index)
    out["p_alive"] = scores["p_alive"]
    out["p_no_purchase"] = model.probability_no_purchase(scores, days=rules.window_days)
    out["capital"] = cap["capital"]
    out["capital_status"] = cap["status"]
    out["days_since_purchase"] = (as_of - scores["last_purchase"]).dt.days
    out["rhythm_days"] = cap["rhythm_days"].fillna(capital.rhythm_days)
    out["intervals_since_purchase"] = out["days_since_purchase"] / out["rhythm_days"]
    out["risk_model"] = out["p_no_purchase"]
    out["risk_capital"] = ((r.start - out["capital"]) / (r.start - r.threshold)).clip(0, 1)
    out["risk_recency"] = 1 - np.exp2(-out["intervals_since_purchase"] / rules.half_life_rhythms)
    w = pd.Series([rules.weight_model, rules.weight_capital, rules.weight_recency], index=list(COMPONENTS))
    comp = out[list(COMPONENTS)]
    out["risk_score"] = (comp * w).sum(axis=1) / comp.notna().mul(w).sum(axis=1)
    out["risk_band"] = _bands(out["risk_score"], out["capital_status"] == "broken", rules)
    out.attrs.update(as_of=as_of, missing_capital=int(cap["capital"].isna().sum()),
                     rules=rules)
    return out


def _bands(score: pd.Series, broken: pd.Series, rules: RiskRules) -> pd.Series:
    code = np.searchsorted(np.asarray(rules.cuts), score.to_numpy(), side="right")
    code = np.where(broken.to_numpy(bool), np.maximum(code, BANDS.index(rules.broken_band)), code)
    return pd.Series(pd.Categorical.from_codes(code, categories=list(BANDS), ordered=True),
                     index=score.index, name="risk_band")


def no_purchase_between(orders: pd.DataFrame, *, after, until) -> pd.Series:
    """True for each customer who had bought by ``after`` and made no purchase in (after, until].

    A purchase is a day with at least one line of amount >= 0, as in ``clv.rfm_summary``.
    The observable outcome against which a risk score can be checked on a holdout period.
    """
    from workbench.health.clv.summary import _purchase_days

    after, until = pd.Timestamp(after).normalize(), pd.Timestamp(until).normalize()
    if until <= after:
        raise ValueError(f"until {until.date()} must be after {after.date()}")
    days = _purchase_days(orders)
    known = days.loc[days["day"] <= after, "customer_id"].unique()
    bought = days.loc[(days["day"] > after) & (days["day"] <= until), "customer_id"].unique()
    out = pd.Series(~pd.Index(known).isin(bought), index=pd.Index(known, name="customer_id"),
                    name="no_purchase")
    return out.sort_index()


@dataclass
class RiskEvaluation:
    """How well risk scores rank an outcome (churned = True).

    Attributes
    ----------
    metrics : DataFrame
        Per score: ``auc``, ``precision_top`` (share of churners among the ``top_share``
        riskiest), ``lift_top`` (that share over the base rate), ``base_rate``, ``customers``.
    bands : DataFrame
        Per risk band: customers, churners, churn rate.
    counts : dict
        Customers evaluated, and those left out (scored without outcome, or outcome without score).
    """

    metrics: pd.DataFrame
    bands: pd.DataFrame
    top_share: float
    counts: dict = field(default_factory=dict)


def evaluate_risk(risk: pd.DataFrame, outcome: pd.Series, *, top_share: float = 0.10,
                  scores=("risk_score", *COMPONENTS)) -> RiskEvaluation:
    """AUC and precision in the riskiest ``top_share`` of each score against ``outcome``.

    Parameters
    ----------
    risk : DataFrame
        :func:`churn_risk` output.
    outcome : Series of bool
        True when the customer churned (lapsed, or no purchase in a holdout period),
        indexed by customer_id. Only customers in both are evaluated; the others are counted.
    top_share : float
        Share of customers, riskiest first, in which precision is measured (ties broken by
        customer id, so the count is exact).
    """
    from sklearn.metrics import roc_auc_score

    if not 0 < top_share <= 1:
        raise ValueError(f"top_share={top_share!r}: a share between 0 and 1, e.g. 0.10")
    common = risk.index.intersection(outcome.index)
    y = outcome.reindex(common).astype(bool)
    single = y.nunique() < 2
    if single:  # everybody came back (or nobody did): the AUC is undefined, the rest stands
        who = "every one churned" if len(y) and y.iloc[0] else "none churned"
        warn(f"Risk evaluation: of the {len(common)} customers scored, {who}, so the AUC is "
             "undefined (left empty) and precision says nothing; evaluate on a period where some "
             "customers leave (an earlier calibration_end) before trusting the risk score.")
    k = int(np.ceil(top_share * len(common)))
    rows = []
    for col in scores:
        s = risk.loc[common, col]
        ok = s.notna()
        order = s[ok].sort_index().sort_values(ascending=False, kind="stable").index[:k]
        auc = np.nan if single or y[ok].nunique() < 2 else roc_auc_score(y[ok], s[ok])
        rows.append({"score": col, "auc": auc,
                     "precision_top": y[order].mean(), "lift_top": y[order].mean() / y[ok].mean() if y[ok].mean() else np.nan,
                     "base_rate": y[ok].mean(), "customers": int(ok.sum())})
    bands = pd.DataFrame({"band": risk.loc[common, "risk_band"], "churned": y}).groupby(
        "band", observed=False)["churned"].agg(customers="size", churners="sum")
    bands["churn_rate"] = bands["churners"] / bands["customers"].where(bands["customers"] > 0)
    counts = {"evaluated": len(common), "scored_without_outcome": len(risk.index.difference(outcome.index)),
              "outcome_without_score": len(outcome.index.difference(risk.index))}
    return RiskEvaluation(metrics=pd.DataFrame(rows).set_index("score"), bands=bands.reset_index(),
                          top_share=top_share, counts=counts)
