"""One estimator for lifetime value: repeat purchases x spend, per customer and as a forecast.

Private to :mod:`workbench.health.clv`, which re-exports :class:`LifetimeValue` and :data:`MODELS`.
Logs under ``workbench.health.clv``.
"""

from __future__ import annotations

import logging
from typing import Self

import numpy as np
import pandas as pd

from workbench.health.clv.checks import fit_problems, holdout_check
from workbench.health.clv.fitters import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter
from workbench.health.clv.likelihoods import ConvergenceError
from workbench.health.clv.summary import _purchase_days, rfm_summary
from workbench.notices import warn

logger = logging.getLogger(__name__)
MODELS = {"bg/nbd": BetaGeoFitter, "pareto/nbd": ParetoNBDFitter}
_MONTH_DAYS = 365.25 / 12
SCORE_COLUMNS = ["frequency", "recency", "T", "monetary_value", "purchases", "first_purchase",
                 "last_purchase", "p_alive", "expected_purchases", "expected_spend",
                 "expected_revenue", "clv"]


class LifetimeValue:
    """Repeat purchases (BG/NBD or Pareto/NBD) and spend per purchase (Gamma-Gamma).

    Parameters
    ----------
    model : {"pareto/nbd", "bg/nbd"}
        Repeat-purchase model. The Pareto/NBD lets a customer leave before any repeat
        purchase (the BG/NBD sets P(alive) = 1 for them), which matters for one-time buyers.
    freq : {"W", "D"} or float
        Time unit of the models (weeks by default).
    penalizer_coef : float
        Passed to the fitters (0: plain maximum likelihood).

    Attributes
    ----------
    summary_ : DataFrame
        :func:`~workbench.health.clv.rfm_summary` at ``calibration_end`` (exact times, not rounded).
    transactions_ : BetaGeoFitter or ParetoNBDFitter
    spend_ : GammaGammaFitter
        Fitted on the customers with repeat purchases of positive mean value.
    calibration_end_ : Timestamp
    counts_ : dict
        Customers fitted, left out (first purchase after calibration_end), with repeat
        purchases, and with repeat purchases whose mean value is <= 0 (returns exceeding
        purchases on the same days: left out of the spend fit, they get the population mean).
    """

    def __init__(self, *, model: str = "pareto/nbd", freq: str | float = "W",
                 penalizer_coef: float = 0.0):
        self.model = model
        self.freq = freq
        self.penalizer_coef = penalizer_coef

    def __repr__(self) -> str:
        if not hasattr(self, "transactions_"):
            return f"<LifetimeValue {self.model}: not fitted>"
        return (f"<LifetimeValue {self.model} fitted to {self.calibration_end_:%Y-%m-%d}: "
                f"{self.transactions_!r}, {self.spend_!r}>")

    def fit(self, orders: pd.DataFrame, *, calibration_end) -> Self:
        """Fit both models on the purchases up to ``calibration_end`` (inclusive)."""
        if self.model not in MODELS:
            raise ValueError(f"model={self.model!r}: choose one of {', '.join(MODELS)}")
        summary = rfm_summary(orders, calibration_end=calibration_end, freq=self.freq, round_to=None)
        self.summary_ = summary
        self.unit_days_ = float(summary.attrs["unit_days"])
        self.calibration_end_ = summary.attrs["calibration_end"]
        self.transactions_ = MODELS[self.model](penalizer_coef=self.penalizer_coef,
                                                unreliable="keep").fit(summary)
        repeat = summary["frequency"] > 0
        bad = repeat & (summary["monetary_value"] <= 0)
        self.spend_, spend_failure = None, None
        if (repeat & ~bad).any():
            try:
                self.spend_ = GammaGammaFitter(penalizer_coef=self.penalizer_coef,
                                               unreliable="keep").fit(summary[repeat & ~bad])
            except ConvergenceError as exc:  # values in money are left empty, the rest stands
                spend_failure = str(exc)
        self.problems_ = fit_problems(self.model, self.transactions_, self.spend_, spend_failure)
        for problem in self.problems_:
            warn(problem)
        self.counts_ = {"customers": len(summary),
                        "first_purchase_after_calibration": summary.attrs["excluded_after_calibration"],
                        "with_repeat_purchases": int(repeat.sum()),
                        "repeat_value_not_positive": int(bad.sum())}
        if bad.any():
            logger.info("LifetimeValue: %d customer(s) whose repeat purchases net to <= 0 are left "
                        "out of the spend fit and get the population mean", int(bad.sum()))
        return self

    @property
    def reliable_(self) -> bool:
        """False when either fit is unreliable or the spend model could not be fitted."""
        self._check()
        return not self.problems_

    def _check(self) -> None:
        if not hasattr(self, "transactions_"):
            raise RuntimeError("LifetimeValue is not fitted yet: call fit(orders, calibration_end=...)")

    def parameters(self) -> pd.DataFrame:
        """Estimates, standard errors and 95 % intervals of both models, one row per parameter."""
        self._check()
        parts = [self.transactions_.summary.assign(model=self.model,
                                                   reliable=self.transactions_.reliable_)]
        if self.spend_ is not None:
            parts.append(self.spend_.summary.assign(model="gamma-gamma", reliable=self.spend_.reliable_))
        out = pd.concat(parts).reset_index()
        return out[["model", "parameter", "estimate", "se", "lower_95", "upper_95", "reliable"]]

    def summary_at(self, orders: pd.DataFrame, *, as_of) -> pd.DataFrame:
        """The customers' histories at ``as_of`` (fitted parameters are kept: no refit)."""
        self._check()
        return rfm_summary(orders, calibration_end=as_of, freq=self.freq, round_to=None)

    def expected_spend(self, summary: pd.DataFrame) -> pd.Series:
        """Expected value of a future purchase; the population mean where the history says nothing."""
        if self.spend_ is None:  # no amounts: no value in money
            return pd.Series(np.nan, index=summary.index, name="expected_spend")
        usable = summary["frequency"].where(summary["monetary_value"] > 0, 0)
        return self.spend_.conditional_expected_average_profit(usable, summary["monetary_value"])

    def probability_no_purchase(self, summary: pd.DataFrame, *, days: float) -> pd.Series:
        """P(no purchase in the next ``days`` | history): gone, or still there but not buying.

        ``1 - P(alive) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x))``: the second factor
        is the chance that a customer who stays makes no purchase in ``t``, his purchase rate
        being gamma(r + x, alpha + T) given his history. Exact for the BG/NBD (a customer
        leaves only right after a purchase); for the Pareto/NBD it leaves out leaving during
        the window, so it slightly understates the probability.
        """
        self._check()
        if not days > 0:
            raise ValueError(f"days={days!r}: give a window of days > 0")
        t = float(days) / self.unit_days_
        p = self.transactions_.params_
        x, T = summary["frequency"].to_numpy(float), summary["T"].to_numpy(float)
        stay_silent = ((p["alpha"] + T) / (p["alpha"] + T + t)) ** (p["r"] + x)
        alive = np.asarray(self.transactions_.conditional_probability_alive(summary))
        return pd.Series(1 - alive * (1 - stay_silent), index=summary.index, name="p_no_purchase")

    def score(self, orders: pd.DataFrame, *, as_of, horizon_months: int = 12,
              discount_rate: float = 0.10) -> pd.DataFrame:
        """Per customer at ``as_of``: P(alive), expected purchases, spend, revenue and CLV.

        Parameters
        ----------
        orders : DataFrame
            Order lines (contract columns); the fitted parameters are applied to the
            histories up to ``as_of`` (scores are recomputed as new data arrive, no refit).
        as_of : date-like
            Scoring date, inclusive.
        horizon_months : int
            CLV horizon in months (of 365.25 / 12 days).
        discount_rate : float
            Yearly discount rate; each month's expected revenue is discounted by
            ``(1 + discount_rate) ** (k / 12)`` for month k.

        Returns
        -------
        DataFrame indexed by customer_id with the summary columns, ``purchases`` (purchase
        days), ``first_purchase``, ``last_purchase``, ``p_alive``, ``expected_purchases`` and
        ``expected_revenue`` over the horizon (undiscounted), ``expected_spend`` per purchase
        and ``clv`` (discounted). ``attrs`` holds the settings.
        """
        if int(horizon_months) != horizon_months or horizon_months < 1:
            raise ValueError(f"horizon_months={horizon_months!r}: give a whole number of months >= 1")
        if not -1 < discount_rate < 10:
            raise ValueError(f"discount_rate={discount_rate!r}: a yearly rate such as 0.10 (10 %)")
        s = self.summary_at(orders, as_of=as_of)
        cum = self._cumulative(s, int(horizon_months))
        spend = self.expected_spend(s).to_numpy()
        monthly = np.diff(cum, axis=1)
        discount = (1 + discount_rate) ** (np.arange(1, int(horizon_months) + 1) / 12)
        out = s.copy()
        out["purchases"] = out["frequency"] + 1
        age = pd.to_timedelta(out["T"] * self.unit_days_, unit="D").dt.round("D")
        out["first_purchase"] = s.attrs["calibration_end"] - age
        out["last_purchase"] = out["first_purchase"] + pd.to_timedelta(
            out["recency"] * self.unit_days_, unit="D").dt.round("D")
        out["p_alive"] = np.asarray(self.transactions_.conditional_probability_alive(s))
        out["expected_purchases"] = cum[:, -1]
        out["expected_spend"] = spend
        out["expected_revenue"] = cum[:, -1] * spend
        out["clv"] = (monthly / discount).sum(axis=1) * spend
        out.attrs.update(as_of=s.attrs["calibration_end"], horizon_months=int(horizon_months),
                         discount_rate=float(discount_rate), model=self.model,
                         not_yet_customers=s.attrs["excluded_after_calibration"],
                         unreliable=list(self.problems_))
        return out[SCORE_COLUMNS]

    def _cumulative(self, s: pd.DataFrame, months: int, *, step_days=None) -> np.ndarray:
        """Expected purchases from the scoring date to the end of each month: (customers, months + 1)."""
        days = np.arange(months + 1) * _MONTH_DAYS if step_days is None else np.asarray(step_days)
        t = days / self.unit_days_
        x, tx, T = (s[c].to_numpy(float)[:, None] for c in ("frequency", "recency", "T"))
        return np.asarray(self.transactions_.conditional_expected_number_of_purchases_up_to_time(
            t[None, :], x, tx, T))

    def forecast(self, orders: pd.DataFrame, *, as_of, months: int = 12) -> pd.DataFrame:
        """Expected purchases and revenue of today's customers, month by month after ``as_of``.

        Periods are calendar months: the first runs from the day after ``as_of`` to the end
        of its month. Customers acquired later are not in the forecast (the models do not
        forecast acquisition).

        Returns
        -------
        DataFrame indexed by ``month`` (1, 2, ...) with ``period_end``, ``expected_purchases``,
        ``expected_revenue`` and ``expected_revenue_cumulative``.
        """
        if int(months) != months or months < 1:
            raise ValueError(f"months={months!r}: give a whole number of months >= 1")
        s = self.summary_at(orders, as_of=as_of)
        start = s.attrs["calibration_end"]
        return self._forecast(s, pd.date_range(start + pd.Timedelta(days=1), periods=int(months),
                                                freq="ME"))

    def _forecast(self, s: pd.DataFrame, ends: pd.DatetimeIndex) -> pd.DataFrame:
        start = s.attrs["calibration_end"]
        per = np.diff(self._cumulative(s, 0, step_days=np.r_[0, (ends - start).days]), axis=1)
        spend = self.expected_spend(s).to_numpy()[:, None]
        out = pd.DataFrame({"period_end": ends, "expected_purchases": per.sum(axis=0),
                            "expected_revenue": (per * spend).sum(axis=0)},
                           index=pd.RangeIndex(1, len(ends) + 1, name="month"))
        out["expected_revenue_cumulative"] = out["expected_revenue"].cumsum()
        out.attrs.update(as_of=start, customers=len(s))
        return out

    def holdout_check(self, orders: pd.DataFrame, *, observation_end, max_frequency: int = 7):
        """Actual vs predicted holdout purchases by calibration frequency (see ``clv.holdout_check``)."""
        self._check()
        s = rfm_summary(orders, calibration_end=self.calibration_end_, observation_end=observation_end,
                        freq=self.freq, round_to=None)
        return holdout_check(self.transactions_, s, max_frequency=max_frequency)

    def forecast_vs_actual(self, orders: pd.DataFrame, *, observation_end) -> pd.DataFrame:
        """Month by month over the holdout: expected against actual purchases and revenue.

        The model's customers are those who had bought by ``calibration_end``; their actual
        purchases (purchase days) and revenue (the purchase days' net amounts) are compared
        with the forecast made at ``calibration_end``. Revenue from customers whose first
        purchase came later is shown apart (``new_customer_revenue``): the model does not
        forecast acquisition. Return-only days are not purchases and count in neither.
        """
        self._check()
        cal = self.calibration_end_
        obs = pd.Timestamp(observation_end).normalize()
        if obs <= cal:
            raise ValueError(f"observation_end {obs.date()} must be after calibration_end {cal.date()}")
        ends = pd.date_range(cal + pd.Timedelta(days=1), obs, freq="ME")
        ends = ends[ends < obs].append(pd.DatetimeIndex([obs]))
        fc = self._forecast(self.summary_, ends)
        days = _purchase_days(orders)
        days = days[(days["day"] > cal) & (days["day"] <= obs)]
        month = np.searchsorted(fc["period_end"].to_numpy(), days["day"].to_numpy()) + 1
        cohort = days["customer_id"].isin(self.summary_.index).to_numpy()
        for col, mask, how in (("actual_purchases", cohort, "size"), ("actual_revenue", cohort, "sum"),
                               ("new_customer_revenue", ~cohort, "sum")):
            grouped = days.loc[mask, "amount"].groupby(month[mask]).agg(how)
            fc[col] = grouped.reindex(fc.index, fill_value=0).to_numpy()
        fc["actual_revenue_cumulative"] = fc["actual_revenue"].cumsum()
        return fc



#: The columns of :func:`compare_models`, whether or not each fit converged.
COMPARE_COLUMNS = ["status", "log_likelihood", "parameters", "holdout_actual",
                   "holdout_predicted", "predicted_over_actual", "mae_by_frequency",
                   "mean_p_alive"]


def compare_models(orders: pd.DataFrame, *, calibration_end, observation_end,
                   models=("bg/nbd", "pareto/nbd"), freq: str | float = "W") -> pd.DataFrame:
    """Fit each repeat-purchase model on the calibration period and score it on the holdout.

    Returns one row per model: ``status`` (``ok``, or why the fit failed: a model that does
    not converge is reported, not hidden), ``log_likelihood``, the parameters (as text),
    ``holdout_actual`` and ``holdout_predicted`` (total repeat purchases of the calibration
    customers in the holdout), their ratio, ``mae_by_frequency`` (mean absolute gap of the
    holdout check rows) and ``mean_p_alive`` at calibration_end. The columns are always
    :data:`COMPARE_COLUMNS`, with missing values where a fit failed, so a table's shape never
    depends on which fits converged on a given machine.
    """
    from workbench.health.clv.likelihoods import ConvergenceError

    summary = rfm_summary(orders, calibration_end=calibration_end, observation_end=observation_end,
                          freq=freq, round_to=None)
    rows = []
    for name in models:
        if name not in MODELS:
            raise ValueError(f"model {name!r}: choose among {', '.join(MODELS)}")
        try:
            fitted = MODELS[name]().fit(summary)
        except ConvergenceError as exc:
            rows.append({"model": name, "status": "did not converge: " + str(exc).split(": ", 1)[-1][:160]})
            continue
        check = holdout_check(fitted, summary)
        predicted = fitted.conditional_expected_number_of_purchases_up_to_time(
            summary["duration_holdout"].to_numpy(), summary)
        rows.append({"model": name, "status": "ok", "log_likelihood": fitted.log_likelihood_,
                     "parameters": ", ".join(f"{k} {v:.4g}" for k, v in fitted.params_.items()),
                     "holdout_actual": int(summary["frequency_holdout"].sum()),
                     "holdout_predicted": float(np.sum(predicted)),
                     "mae_by_frequency": float((check["actual"] - check["predicted"]).abs().mean()),
                     "mean_p_alive": float(np.mean(fitted.conditional_probability_alive(summary)))})
    out = pd.DataFrame(rows, columns=["model", *COMPARE_COLUMNS]).set_index("model")
    out = out.astype({"status": "str", "parameters": "str", "log_likelihood": "float64",
                      "holdout_actual": "Int64", "holdout_predicted": "float64",
                      "mae_by_frequency": "float64", "mean_p_alive": "float64"})
    out["predicted_over_actual"] = out["holdout_predicted"] / out["holdout_actual"].astype("float64")
    return out
