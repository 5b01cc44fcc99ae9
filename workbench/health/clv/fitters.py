"""The BG/NBD, Pareto/NBD and Gamma-Gamma estimators (private to :mod:`workbench.health.clv`).

Settings in ``__init__``, ``fit`` returns ``self``, learned attributes end in ``_``. Closed
forms and the optimiser live in :mod:`workbench.health.clv.likelihoods`. Logs under ``workbench.health.clv``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Self

import numpy as np
import pandas as pd

from workbench.health.clv import likelihoods as lk

logger = logging.getLogger(__name__)


class _Fitter:
    """Shared MLE machinery: settings in __init__, learned attributes end in ``_``."""

    _names: tuple[str, ...] = ()
    _labels: tuple[str, ...] = ()
    _model = ""
    _log_se: np.ndarray

    def __init__(self, *, penalizer_coef: float = 0.0,
                 starts: Sequence[Sequence[float]] | None = None, max_iter: int = 2000,
                 unreliable: str = "raise"):
        self.penalizer_coef = penalizer_coef
        self.starts = starts
        self.max_iter = max_iter
        self.unreliable = unreliable

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"<{type(self).__name__}: not fitted>"
        ps = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"<{type(self).__name__}: {ps}, fitted on {self.n_customers_} customers>"

    def _fit(self, loglik, default_starts, weights: np.ndarray) -> Self:
        if self.penalizer_coef < 0:
            raise ValueError(f"penalizer_coef={self.penalizer_coef}: must be >= 0")
        res = lk.fit_mle(loglik, self.starts or default_starts, names=self._names,
                         model=self._model, weights=weights, penalizer_coef=self.penalizer_coef,
                         max_iter=self.max_iter, unreliable=self.unreliable)
        self.problems_ = list(res.problems)
        self.params_ = dict(zip(self._names, map(float, res.params), strict=True))
        self.standard_errors_ = dict(zip(self._names, map(float, res.se), strict=True))
        self._log_se = res.log_se
        self.log_likelihood_ = res.log_likelihood
        self.n_customers_ = n = int(weights.sum())
        self.n_iter_ = res.n_iterations
        if self.problems_:
            logger.warning("%s fit is unreliable: %s", self._model, "; ".join(self.problems_))
        logger.info("%s fitted on %d customers: %s, log-likelihood %.3f", self._model, n,
                    self.params_, self.log_likelihood_)
        return self

    def _p(self) -> tuple[float, ...]:
        if not hasattr(self, "params_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted yet: call fit() first")
        return tuple(self.params_.values())

    @property
    def reliable_(self) -> bool:
        """False when a parameter is at its bound or its interval spans orders of magnitude."""
        self._p()
        return not self.problems_

    @property
    def summary(self) -> pd.DataFrame:
        """Estimates, standard errors and 95% intervals.

        The standard errors come from a central finite-difference Hessian of the negative
        log-likelihood in log-parameters (delta method back to the natural scale); the
        intervals are ``exp(log(theta) +- 1.96 se(log theta))``, so they stay positive.
        """
        est = np.array(self._p())
        z = 1.959963984540054
        df = pd.DataFrame({"estimate": est, "se": list(self.standard_errors_.values()),
                           "lower_95": est * np.exp(-z * self._log_se),
                           "upper_95": est * np.exp(z * self._log_se)},
                          index=pd.Index(self._labels or self._names, name="parameter"))
        df.attrs.update(log_likelihood=self.log_likelihood_, n_customers=self.n_customers_)
        return df


class _TransactionFitter(_Fitter):
    """BG/NBD and Pareto/NBD share fitting and prediction; subclasses set the formulas."""

    def fit(self, frequency, recency=None, T=None) -> Self:
        """Fit by maximum likelihood.

        Parameters
        ----------
        frequency : DataFrame or array-like
            A summary with columns ``frequency``, ``recency``, ``T`` (see
            :func:`rfm_summary`), or the frequencies, with ``recency`` and ``T`` given.

        Returns
        -------
        self
        """
        x, t_x, T, _ = lk.rfm_arrays(frequency, recency, T)
        scale = float(np.mean(T)) or 1.0
        starts = [self._start(scale), (1.0,) * len(self._names)]
        (x, t_x, T), counts = lk.unique_rows(x.ravel(), t_x.ravel(), T.ravel())
        return self._fit(self._loglik_of(x, t_x, T), starts, counts)

    def _loglik_of(self, x, t_x, T):
        """The per-history log-likelihood as a function of the parameters alone."""
        return lambda p: self._ll(p, x, t_x, T)

    def conditional_expected_number_of_purchases_up_to_time(self, t, frequency, recency=None,
                                                               T=None):
        """Expected purchases in (T, T + t] of a customer with history (x, t_x, T).

        Parameters
        ----------
        t : float or array-like
            Horizon in the model's time unit (broadcast against the histories).
        frequency, recency, T : float, array-like or Series
            Repeat purchases x, age at the last repeat purchase t_x, age at calibration end.
            A summary DataFrame may be passed as ``frequency`` with recency=T=None.

        Returns
        -------
        Series (indexed like the inputs' Series), ndarray or float.
        """
        p = self._p()
        x, t_x, T, index = lk.rfm_arrays(frequency, recency, T)
        return lk.wrap(self._cond(p, lk.times(t), x, t_x, T), index, "expected_purchases")

    def conditional_probability_alive(self, frequency, recency=None, T=None):
        """Probability that a customer with history (x, t_x, T) is still active at T.

        Takes the same histories as
        :meth:`conditional_expected_number_of_purchases_up_to_time` and returns likewise.
        """
        p = self._p()
        x, t_x, T, index = lk.rfm_arrays(frequency, recency, T)
        return lk.wrap(self._alive(p, x, t_x, T), index, "p_alive")

    def expected_number_of_purchases_up_to_time(self, t):
        """Unconditional expected repeat purchases in (0, t] of a new customer.

        Parameters
        ----------
        t : float or array-like
            Ages in the model's time unit, any shape.

        Returns
        -------
        Series (if ``t`` is one), ndarray or float.
        """
        index = t.index if isinstance(t, pd.Series) else None
        return lk.wrap(self._uncond(self._p(), lk.times(t)), index, "expected_purchases")


class BetaGeoFitter(_TransactionFitter):
    """BG/NBD model (Fader, Hardie & Lee 2005): Poisson purchases with gamma(r, alpha)
    rates; after each purchase the customer drops out with probability p ~ beta(a, b).

    Parameters
    ----------
    penalizer_coef : float
        Adds ``penalizer_coef * sum(params**2)`` to the mean negative log-likelihood.
    starts : sequence of parameter vectors (r, alpha, a, b), optional
        Starting points of the optimiser; by default (1, mean T, 1, 1) and (1, 1, 1, 1).
    max_iter : int
        Iterations of L-BFGS-B per start.
    unreliable : {"raise", "keep"}
        A parameter at the search bound or a flat likelihood: raise ``ConvergenceError``, or
        keep the optimum and list the reasons in ``problems_`` (the fit is then unreliable).

    Attributes
    ----------
    params_ : dict
        r, alpha, a, b.
    problems_ : list of str
        Why the fit should not be trusted (bounds, intervals spanning orders of magnitude);
        empty when it is reliable (``reliable_``).
    standard_errors_ : dict
        From a finite-difference Hessian (see ``summary``).
    log_likelihood_ : float
        Total log-likelihood at the optimum (penalty excluded).
    n_customers_ : int
    n_iter_ : int
        L-BFGS-B iterations of the kept start.

    Notes
    -----
    The conditional expectation uses the Gaussian hypergeometric function and is
    undefined at exactly a = 1.
    """

    _names = ("r", "alpha", "a", "b")
    _model = "BG/NBD"
    _ll = staticmethod(lk.bgnbd_loglik)
    _cond = staticmethod(lk.bgnbd_conditional_expected)
    _alive = staticmethod(lk.bgnbd_prob_alive)
    _uncond = staticmethod(lk.bgnbd_expected)

    def _start(self, scale: float) -> tuple[float, ...]:
        return (1.0, scale, 1.0, 1.0)


class ParetoNBDFitter(_TransactionFitter):
    """Pareto/NBD model (Schmittlein, Morrison & Colombo 1987): Poisson purchases with
    gamma(r, alpha) rates and exponential lifetimes with gamma(s, beta) dropout rates.

    The likelihood is Fader & Hardie's (2005 note) form with the A0 term computed in
    log space, switching the 2F1 representation on alpha >= beta. Same settings and
    attributes as :class:`BetaGeoFitter`; ``params_`` holds r, alpha, s, beta.
    """

    _names = ("r", "alpha", "s", "beta")
    _model = "Pareto/NBD"
    _ll = staticmethod(lk.pnbd_loglik)
    _cond = staticmethod(lk.pnbd_conditional_expected)
    _alive = staticmethod(lk.pnbd_prob_alive)
    _uncond = staticmethod(lk.pnbd_expected)

    def _loglik_of(self, x, t_x, T):
        # where 2F1 is evaluated depends on the histories only: found once, not on every call
        pairs = lk.HistoryPairs(x, t_x, T)
        return lambda p: lk.pnbd_loglik(p, x, t_x, T, pairs=pairs)

    def _start(self, scale: float) -> tuple[float, ...]:
        return (1.0, scale, 1.0, scale)


class GammaGammaFitter(_Fitter):
    """Gamma-Gamma spend model (Fader & Hardie 2013): a customer's transaction values are
    gamma(p, nu) with nu ~ gamma(q, v); v is the scale the note calls gamma.

    Fitted on the customers with frequency > 0 (others are left out and logged); it assumes
    spend is independent of purchase frequency. Settings as :class:`BetaGeoFitter`.

    Attributes
    ----------
    params_ : dict  p, q, v (``summary`` labels v as "gamma", the note's name)
    standard_errors_, log_likelihood_, n_customers_ : as the other fitters
    """

    _names = ("p", "q", "v")
    _labels = ("p", "q", "gamma")
    _model = "Gamma-Gamma"

    def fit(self, frequency, monetary_value=None) -> Self:
        """Fit on ``(frequency, monetary_value)`` of the customers with frequency > 0.

        ``frequency`` may be a summary DataFrame with both columns (see :func:`rfm_summary`).
        """
        x, m, _ = lk.spend_arrays(frequency, monetary_value)
        keep = x.ravel() > 0
        if (~keep).any():
            logger.info("Gamma-Gamma: %d customer(s) with frequency 0 left out of the fit",
                        int((~keep).sum()))
        if not keep.any():
            raise ValueError("no customer has frequency > 0: nothing to fit spend on")
        starts = [(1.0, 2.0, float(np.mean(m.ravel()[keep]))), (1.0, 1.0, 1.0)]
        (x, m), counts = lk.unique_rows(x.ravel()[keep], m.ravel()[keep])
        return self._fit(lambda p: lk.gg_loglik(p, x, m), starts, counts)

    def conditional_expected_average_profit(self, frequency, monetary_value=None):
        """E[mean spend | x, zbar]: a weighted mean of zbar and the population mean p v/(q-1).

        Customers with frequency 0 get the population mean. Needs q > 1. ``frequency`` may
        be a summary DataFrame with both columns.
        """
        p = self._p()
        if p[1] <= 1:
            raise ValueError(f"q = {p[1]:.3g} <= 1: the mean spend is undefined for this fit")
        x, m, index = lk.spend_arrays(frequency, monetary_value)
        return lk.wrap(lk.gg_conditional_mean(p, x, np.where(x > 0, m, 0.0)), index, "expected_spend")

    def customer_lifetime_value(self, transaction_model: _TransactionFitter, frequency,
                                recency=None, T=None, monetary_value=None, *, time: int = 12, discount_rate: float = 0.01,
                                freq_days: float = 7.0, period_days: float = 30.0):
        """Discounted value of each customer's expected purchases over ``time`` periods.

        ``CLV = sum_{k=1..time} E[spend] * (E[Y(k P)] - E[Y((k-1) P)]) / (1 + d)^k`` with
        P = period_days / freq_days model time units, E[Y] the transaction model's
        conditional expected purchases and E[spend] the conditional expected average
        profit. This is lifetimes' formula; lifetimes fixed P to 30 units for freq="D"
        and 4.345 for "W", whatever the data's unit (its README applies P = 30 to weekly
        data, i.e. 30-week "months").

        Parameters
        ----------
        transaction_model : fitted BetaGeoFitter or ParetoNBDFitter
        frequency, recency, T, monetary_value : array-like or Series
            Or a summary DataFrame with the four columns, passed as ``frequency``.
        time : int
            Number of periods (months by default).
        discount_rate : float
            Discount rate per period.
        freq_days : float
            Length of the model's time unit in days (7 when fitted on weeks).
        period_days : float
            Length of a period in days.

        Returns
        -------
        Series (when inputs are Series) or ndarray of CLV, in monetary units.
        """
        if int(time) != time or time < 1 or discount_rate <= -1 or freq_days <= 0 or period_days <= 0:
            raise ValueError("time must be a whole number >= 1, discount_rate > -1, "
                             "freq_days and period_days > 0")
        if isinstance(frequency, pd.DataFrame):
            frequency, recency, T, monetary_value = lk.columns(
                frequency, ("frequency", "recency", "T", "monetary_value"))
        spend = np.asarray(self.conditional_expected_average_profit(frequency, monetary_value))
        x, t_x, T, index = lk.rfm_arrays(frequency, recency, T)
        step = period_days / freq_days
        cum = [np.asarray(transaction_model.conditional_expected_number_of_purchases_up_to_time(
            k * step, x, t_x, T)) for k in range(int(time) + 1)]
        value = sum(spend * (cum[k] - cum[k - 1]) / (1 + discount_rate) ** k
                    for k in range(1, int(time) + 1))
        return lk.wrap(value, index, "clv")
