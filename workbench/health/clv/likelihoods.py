"""Input checks, closed forms and the maximum-likelihood engine behind :mod:`workbench.health.clv`.

No state. Every model expression works on numpy arrays and is written in log space where
the published form multiplies large and small factors; pandas only appears in the input
checks (column lookup, keeping a Series' index).

References
----------
- P. S. Fader, B. G. S. Hardie, K. L. Lee (2005), "Counting your customers the easy way:
  an alternative to the Pareto/NBD model", Marketing Science 24(2). (BG/NBD)
- P. S. Fader, B. G. S. Hardie (2005), "A note on deriving the Pareto/NBD model and
  related expressions". (Pareto/NBD likelihood with the A0 term, P(alive), E[Y(t)])
- P. S. Fader, B. G. S. Hardie (2013), "The gamma-gamma model of monetary value".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import gammaln, hyp2f1

logger = logging.getLogger(__name__)

#: Bounds of the optimiser on log-parameters: exp(+-15) spans 3e-7 .. 3e6.
LOG_BOUND = 15.0


class ConvergenceError(RuntimeError):
    """The maximum-likelihood fit did not converge to an interior optimum."""


# --------------------------------------------------------------------------- input checks


def columns(data: pd.DataFrame, names: Sequence[str]) -> list[pd.Series]:
    missing = [c for c in names if c not in data.columns]
    if missing:
        raise ValueError(f"summary is missing column(s) {missing}; expected {list(names)} "
                         "(as made by rfm_summary)")
    return [data[c] for c in names]


def first_bad(mask: np.ndarray, index) -> str:
    i = int(np.flatnonzero(mask)[0])
    return f"index {index[i]!r}" if index is not None else f"position {i}"


def rfm_arrays(frequency, recency, T):
    """Validated float arrays (x, t_x, T) and the index of the first Series, if any."""
    if isinstance(frequency, pd.DataFrame):
        frequency, recency, T = columns(frequency, ("frequency", "recency", "T"))
    if recency is None or T is None:
        raise ValueError("pass a summary DataFrame, or frequency, recency and T")
    index = next((s.index for s in (frequency, recency, T) if isinstance(s, pd.Series)), None)
    x, t_x, T = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (frequency, recency, T)))
    if x.size == 0:
        raise ValueError("no customers: frequency, recency and T are empty")
    checks = [
        (~(np.isfinite(x) & np.isfinite(t_x) & np.isfinite(T)),
         "frequency, recency and T must be finite numbers (NaN or inf found)"),
        ((x < 0) | (t_x < 0) | (T < 0), "frequency, recency and T must not be negative"),
        (x != np.floor(x), "frequency must be a whole number of repeat purchases"),
        ((x > 0) & (t_x == 0), "frequency > 0 with recency 0: a customer with repeat purchases "
         "has recency = age at the last repeat purchase > 0"),
        ((x == 0) & (t_x > 0), "frequency 0 with recency > 0: recency is the age at the last "
         "repeat purchase (0 without repeats), not the time since the last purchase"),
        (t_x > T, "recency > T: the last repeat purchase cannot come after the end of "
         "observation T (are recency and T in the same time unit?)"),
    ]
    for bad, message in checks:
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{message}; {int(bad.sum())} customer(s), e.g. "
                             f"{first_bad(bad, index)} (frequency={x.flat[j]:g}, "
                             f"recency={t_x.flat[j]:g}, T={T.flat[j]:g})")
    return x, t_x, T, index


def wrap(values: np.ndarray, index, name: str):
    if index is not None and np.ndim(values) == 1 and len(values) == len(index):
        return pd.Series(values, index=index, name=name)
    return values if np.ndim(values) else float(values)


def times(t) -> np.ndarray:
    t = np.asarray(t, dtype=float)
    if not np.all(np.isfinite(t) & (t >= 0)):
        raise ValueError("t must be finite and >= 0 (a horizon in the model's time unit)")
    return t


def unique_rows(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Distinct rows of the given 1-d columns and how many times each occurs."""
    rows, counts = np.unique(np.column_stack(columns), axis=0, return_counts=True)
    return list(rows.T), counts.astype(float)


def spend_arrays(frequency, monetary_value):
    """Validated float arrays (x, zbar) for the Gamma-Gamma model and the Series index."""
    if isinstance(frequency, pd.DataFrame):
        frequency, monetary_value = columns(frequency, ("frequency", "monetary_value"))
    if monetary_value is None:
        raise ValueError("pass a summary DataFrame, or frequency and monetary_value")
    index = next((s.index for s in (frequency, monetary_value) if isinstance(s, pd.Series)),
                 None)
    x, m = np.broadcast_arrays(np.asarray(frequency, float), np.asarray(monetary_value, float))
    if x.size == 0:
        raise ValueError("no customers: frequency and monetary_value are empty")
    for bad, msg in ((~(np.isfinite(x) & np.isfinite(m)), "must be finite numbers"),
                     ((x < 0) | (x != np.floor(x)), "frequency must be a whole number >= 0"),
                     ((x > 0) & (m <= 0), "monetary_value must be > 0 where frequency > 0 "
                      "(the Gamma-Gamma model needs positive spend; drop or fix them)")):
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{msg}; {int(bad.sum())} row(s), e.g. {first_bad(bad, index)} "
                             f"(frequency={x.flat[j]:g}, monetary_value={m.flat[j]:g})")
    return x, m, index


# --------------------------------------------------------------------------- BG/NBD


def bgnbd_loglik(params: Sequence[float], x, t_x, T) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (FHL 2005, eq. 6), in log space."""
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.log(a) - np.log(b + x - 1) - (r + x) * np.log(alpha + t_x)
    a4 = np.where(x > 0, a4, -np.inf)
    return a1 + a2 + np.logaddexp(a3, a4)


def _bgnbd_log_odds_dead(params, x, t_x, T) -> np.ndarray:
    """log of delta(x>0) a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x); -inf when x = 0."""
    r, alpha, a, b = params
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(a) - np.log(b + x - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(x > 0, out, -np.inf)


def bgnbd_prob_alive(params, x, t_x, T) -> np.ndarray:
    """P(alive | x, t_x, T) for the BG/NBD (FHL 2005, eq. 11)."""
    return np.exp(-np.logaddexp(0.0, _bgnbd_log_odds_dead(params, x, t_x, T)))


def bgnbd_conditional_expected(params, t, x, t_x, T) -> np.ndarray:
    """E[Y(t) | x, t_x, T] for the BG/NBD (FHL 2005, eq. 10). Requires a != 1."""
    r, alpha, a, b = params
    z = t / (alpha + T + t)
    hyp = hyp2f1(r + x, b + x, a + b + x - 1, z)
    term = 1.0 - np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t))) * hyp
    return (a + b + x - 1) / (a - 1) * term * bgnbd_prob_alive(params, x, t_x, T)


def bgnbd_expected(params, t) -> np.ndarray:
    """Unconditional E[X(t)] for a customer observed from time 0 (FHL 2005, eq. 9)."""
    r, alpha, a, b = params
    hyp = hyp2f1(r, b, a + b - 1, t / (alpha + t))
    return (a + b - 1) / (a - 1) * (1.0 - (alpha / (alpha + t)) ** r * hyp)


# --------------------------------------------------------------------------- Pareto/NBD


def pnbd_log_a0(params, x, t_x, T, *, pairs: HistoryPairs | None = None) -> np.ndarray:
    """log A0 of Fader & Hardie's Pareto/NBD note (eq. 19-20), with the alpha >= beta switch.

    A0 is a difference of two positive terms (the t_x term is the larger); it is taken
    as log(u1) + log1p(-u2/u1) so that no term is exponentiated on its own. ``pairs`` (made
    once from the same x, t_x, T) spares the search for repeated 2F1 arguments on every call.
    """
    r, alpha, s, beta = params
    rsx = r + s + x
    if alpha >= beta:
        big, second = alpha, s + 1.0
    else:
        big, second = beta, r + x
    diff = abs(alpha - beta)
    with np.errstate(divide="ignore", invalid="ignore"):
        if pairs is None:
            h_tx, h_T = _hyp2f1_once(rsx, second, diff / (big + t_x), diff / (big + T))
        else:
            h_tx, h_T = pairs.hyp2f1(r, s, alpha >= beta, diff, big)
        log_u1 = np.log(h_tx) - rsx * np.log(big + t_x)
        log_u2 = np.log(h_T) - rsx * np.log(big + T)
        return log_u1 + np.log1p(-np.exp(log_u2 - log_u1))


def _hyp2f1_once(a, b, z1, z2) -> tuple[np.ndarray, np.ndarray]:
    """hyp2f1(a, b, a + 1, z1) and hyp2f1(a, b, a + 1, z2), each distinct argument evaluated once.

    The same values as two direct calls, element by element (hyp2f1 is evaluated on the very
    same arguments): customers share frequencies, ages and last-purchase ages, and near z = 1
    (large s and beta, which the Pareto/NBD optimiser visits) one evaluation costs tens of
    microseconds, so the fit spent most of its time on repeated arguments.
    """
    a, b, z1, z2 = np.broadcast_arrays(*(np.asarray(v, float) for v in (a, b, z1, z2)))
    keys = np.column_stack([np.concatenate([a.ravel(), a.ravel()]), np.concatenate([b.ravel(), b.ravel()]),
                            np.concatenate([z1.ravel(), z2.ravel()])])
    if len(keys) < 64:
        return hyp2f1(a, b, a + 1, z1), hyp2f1(a, b, a + 1, z2)
    distinct, inverse = np.unique(keys, axis=0, return_inverse=True)
    values = hyp2f1(distinct[:, 0], distinct[:, 1], distinct[:, 0] + 1, distinct[:, 2])[inverse.ravel()]
    return values[:a.size].reshape(a.shape), values[a.size:].reshape(a.shape)


class HistoryPairs:
    """The distinct (x, t) pairs of histories (x, t_x, T), t being t_x or T: where A0's 2F1 is
    evaluated, found once for all the likelihood calls of a fit.

    2F1's arguments are functions of (x, t) and the parameters alone, so evaluating it once
    per distinct pair and spreading the values back gives, element by element, the very values
    of :func:`_hyp2f1_once`, without sorting every customer's arguments again on each call.
    """

    def __init__(self, x, t_x, T):
        x, t_x, T = np.broadcast_arrays(*(np.asarray(v, float) for v in (x, t_x, T)))
        self.shape = x.shape
        both = np.column_stack([np.concatenate([x.ravel(), x.ravel()]),
                                np.concatenate([t_x.ravel(), T.ravel()])])
        distinct, inverse = np.unique(both, axis=0, return_inverse=True)
        self.x, self.t, self.inverse = distinct[:, 0], distinct[:, 1], inverse.ravel()

    def hyp2f1(self, r, s, alpha_ge_beta: bool, diff, big) -> tuple[np.ndarray, np.ndarray]:
        """hyp2f1(r+s+x, s+1 or r+x, r+s+x+1, diff/(big+t)) at t_x and at T, per history."""
        rsx = r + s + self.x
        second = s + 1.0 if alpha_ge_beta else r + self.x
        values = hyp2f1(rsx, second, rsx + 1, diff / (big + self.t))[self.inverse]
        n = values.size // 2
        return values[:n].reshape(self.shape), values[n:].reshape(self.shape)


def pnbd_loglik(params, x, t_x, T, *, pairs: HistoryPairs | None = None) -> np.ndarray:
    """Per-customer Pareto/NBD log-likelihood (Fader & Hardie note, eq. 18).

    ``pairs``: ``HistoryPairs(x, t_x, T)`` made once, when the same histories are evaluated
    at many parameters (the optimiser); the values are the same with or without.
    """
    r, alpha, s, beta = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    first = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    log_a0 = pnbd_log_a0(params, x, t_x, T, pairs=pairs)
    second = np.log(s) - np.log(r + s + x) + log_a0
    # t_x == T gives A0 = 0 (log -inf): logaddexp handles it.
    second = np.where(np.isnan(second) & (t_x == T), -np.inf, second)
    return a1 + np.logaddexp(first, second)


def pnbd_prob_alive(params, x, t_x, T) -> np.ndarray:
    """P(alive | x, t_x, T) for the Pareto/NBD (note, eq. 23)."""
    r, alpha, s, beta = params
    log_odds = (np.log(s) - np.log(r + s + x) + (r + x) * np.log(alpha + T)
                + s * np.log(beta + T) + pnbd_log_a0(params, x, t_x, T))
    log_odds = np.where(np.isnan(log_odds) & (t_x == T), -np.inf, log_odds)
    return np.exp(-np.logaddexp(0.0, log_odds))


def _one_minus_ratio_over(s_minus_1, ratio_log):
    """(1 - exp((s-1) * ratio_log)) / (s-1), with its limit -ratio_log at s = 1."""
    if abs(s_minus_1) < 1e-10:
        return -ratio_log
    return -np.expm1(s_minus_1 * ratio_log) / s_minus_1


def pnbd_conditional_expected(params, t, x, t_x, T) -> np.ndarray:
    """E[Y(t) | x, t_x, T] for the Pareto/NBD (note, eq. 25; s = 1 by its limit)."""
    r, alpha, s, beta = params
    factor = _one_minus_ratio_over(s - 1.0, np.log(beta + T) - np.log(beta + T + t))
    return (r + x) * (beta + T) / (alpha + T) * factor * pnbd_prob_alive(params, x, t_x, T)


def pnbd_expected(params, t) -> np.ndarray:
    """Unconditional E[X(t)] for the Pareto/NBD (note, eq. 17)."""
    r, alpha, s, beta = params
    return r * beta / alpha * _one_minus_ratio_over(s - 1.0, np.log(beta) - np.log(beta + t))


# --------------------------------------------------------------------------- Gamma-Gamma


def gg_loglik(params, x, zbar) -> np.ndarray:
    """Per-customer log density of the mean spend zbar given x (Fader & Hardie 2013, eq. 3)."""
    p, q, v = params
    px = p * x
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v)
            + (px - 1) * np.log(zbar) + px * np.log(x) - (px + q) * np.log(v + x * zbar))


def gg_conditional_mean(params, x, zbar) -> np.ndarray:
    """E[M | p, q, v, zbar, x] = (p (v + x zbar)) / (p x + q - 1) (2013 note, eq. 5)."""
    p, q, v = params
    return p * (v + x * zbar) / (p * x + q - 1)


# --------------------------------------------------------------------------- MLE engine


@dataclass(frozen=True)
class MLEResult:
    """What :func:`fit_mle` found: natural-scale parameters and their uncertainty."""

    params: np.ndarray
    log_likelihood: float
    se: np.ndarray
    log_se: np.ndarray
    n_iterations: int
    start: np.ndarray
    problems: tuple[str, ...] = ()


#: An interval whose upper end is this many times its lower end says the data do not pin the
#: parameter down (four orders of magnitude).
WIDE_INTERVAL_RATIO = 1e4


def fit_problems(names: Sequence[str], params: np.ndarray, log_se: np.ndarray) -> list[str]:
    """Why a fit should not be trusted: parameters at the search bounds, huge 95 % intervals."""
    problems = []
    for name, value, lse in zip(names, params, log_se, strict=True):
        if abs(np.log(value)) > LOG_BOUND - 1e-3:
            problems.append(f"{name} = {value:.3g} ran to the edge of the search range")
        elif not np.isfinite(lse):
            problems.append(f"{name} = {value:.3g} has no standard error (flat likelihood)")
        elif 2 * 1.959963984540054 * lse > np.log(WIDE_INTERVAL_RATIO):  # log space: no overflow
            z = 1.959963984540054 * lse
            problems.append(f"{name} = {value:.3g} has a 95 % interval {value * np.exp(-z):.3g} to "
                            f"{value * np.exp(z):.3g}, {2 * z / np.log(10):.0f} orders of magnitude wide")
    return problems


def fit_mle(loglik: Callable[[np.ndarray], np.ndarray], starts: Sequence[Sequence[float]], *,
            names: Sequence[str], model: str, weights: np.ndarray | None = None,
            penalizer_coef: float = 0.0, max_iter: int = 2000,
            unreliable: str = "raise") -> MLEResult:
    """Maximise ``sum(weights * loglik(params))`` over positive parameters.

    ``weights`` counts identical customers (rows of ``loglik`` are then unique histories).

    The optimiser (L-BFGS-B, central-difference gradients) works on log-parameters and
    on the *mean* negative log-likelihood plus ``penalizer_coef * sum(params**2)`` (the
    lifetimes convention), from each start; the best converged run is kept.
    Standard errors come from a central finite-difference Hessian of the total negative
    log-likelihood (penalty included, times n) in log-parameters, mapped back by the delta
    method: ``se(theta) = theta * se(log theta)``.

    Raises :class:`ConvergenceError` when no start converges, when a parameter runs to the
    edge of the search range, or when the Hessian at the optimum is not positive definite
    (a flat direction: the data do not identify the model). With ``unreliable="keep"`` the
    last two return the optimum found, standard errors NaN where undefined, and the reasons
    in ``problems`` (see :func:`fit_problems`): the caller labels the fit unreliable.
    """
    if unreliable not in ("raise", "keep"):
        raise ValueError(f"unreliable={unreliable!r}: 'raise' or 'keep'")
    if weights is None:
        weights = np.ones(len(loglik(np.asarray(starts[0], dtype=float))))
    n = float(np.sum(weights))

    def objective(log_p: np.ndarray) -> float:
        p = np.exp(log_p)
        with np.errstate(all="ignore"):
            value = -np.dot(weights, loglik(p)) / n + penalizer_coef * np.sum(p**2)
        return float(value) if np.isfinite(value) else 1e12

    runs = []
    for start in starts:
        x0 = np.log(np.asarray(start, dtype=float))
        res = optimize.minimize(objective, x0, method="L-BFGS-B", jac="3-point",
                                bounds=[(-LOG_BOUND, LOG_BOUND)] * len(x0),
                                options={"maxiter": max_iter, "ftol": 1e-14, "gtol": 1e-9})
        ok = np.isfinite(res.fun) and res.fun < 1e11 and (
            res.success or np.max(np.abs(res.jac)) < 1e-5)
        logger.debug("%s start %s: %s (f=%.6f, ok=%s)", model, start, res.message, res.fun, ok)
        runs.append((ok, res, x0))
    good = [(res.fun, i) for i, (ok, res, _) in enumerate(runs) if ok]
    if not good:
        msgs = "; ".join(str(res.message) for _, res, _ in runs)
        raise ConvergenceError(
            f"{model} fit did not converge from any of {len(runs)} starting points ({msgs}). "
            "Check the inputs (time unit, outliers) or set penalizer_coef > 0.")
    res, x0 = runs[min(good)[1]][1:]
    at_bound = [nm for nm, v in zip(names, res.x, strict=True) if abs(v) > LOG_BOUND - 1e-3]
    if unreliable == "keep":
        params = np.exp(res.x)
        log_se = _log_se(lambda lp: n * objective(lp), res.x)
        log_se = np.full(len(params), np.nan) if log_se is None else log_se
        with np.errstate(all="ignore"):
            ll = float(np.dot(weights, loglik(params)))
        return MLEResult(params=params, log_likelihood=ll, se=params * log_se, log_se=log_se,
                         n_iterations=int(res.nit), start=np.exp(x0),
                         problems=tuple(fit_problems(names, params, log_se)))
    if at_bound:
        raise ConvergenceError(
            f"{model} fit did not converge: parameter(s) {', '.join(at_bound)} ran to the edge "
            f"of the search range ({np.exp(res.x)}); the data do not identify them. "
            "Set penalizer_coef > 0 or use more customers / a longer calibration period.")
    params = np.exp(res.x)
    log_se = _log_se(lambda lp: n * objective(lp), res.x)
    if log_se is None:
        shown = ", ".join(f"{nm}={v:.4g}" for nm, v in zip(names, params, strict=True))
        raise ConvergenceError(
            f"{model} fit did not converge to an interior optimum: the log-likelihood is flat "
            f"in some direction at {shown} (Hessian not positive definite), so the data do not "
            "identify the parameters (e.g. too few repeat purchases). "
            "Set penalizer_coef > 0 or use more customers / a longer calibration period.")
    with np.errstate(all="ignore"):
        ll = float(np.dot(weights, loglik(params)))
    return MLEResult(params=params, log_likelihood=ll, se=params * log_se, log_se=log_se,
                     n_iterations=int(res.nit), start=np.exp(x0),
                     problems=tuple(fit_problems(names, params, log_se)))


def _log_se(f: Callable[[np.ndarray], float], x: np.ndarray, *,
            h: float = 1e-3) -> np.ndarray | None:
    """Standard errors of log-parameters from a central-difference Hessian of ``f``.

    None when the Hessian is not positive definite (no proper interior optimum).
    """
    k = len(x)
    hess = np.empty((k, k))
    f0 = f(x)
    e = np.eye(k) * h
    for i in range(k):
        hess[i, i] = (f(x + e[i]) - 2 * f0 + f(x - e[i])) / h**2
        for j in range(i):
            hess[i, j] = hess[j, i] = (f(x + e[i] + e[j]) - f(x + e[i] - e[j])
                                       - f(x - e[i] + e[j]) + f(x - e[i] - e[j])) / (4 * h**2)
    try:
        np.linalg.cholesky(hess)
    except np.linalg.LinAlgError:
        return None
    return np.sqrt(np.diag(np.linalg.inv(hess)))

