"""Holdout checks and views of a fitted transaction model (private to :mod:`workbench.health.clv`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.health.clv import likelihoods as lk
from workbench.health.clv.fitters import _TransactionFitter
from workbench.health.clv.summary import _as_date, _purchase_days, _unit_days


def holdout_check(model: _TransactionFitter, summary: pd.DataFrame, *,
                  max_frequency: int = 7) -> pd.DataFrame:
    """Mean actual vs predicted holdout purchases by calibration frequency.

    Parameters
    ----------
    model : fitted BetaGeoFitter or ParetoNBDFitter
    summary : DataFrame
        :func:`rfm_summary` output with ``observation_end`` (holdout columns).
    max_frequency : int
        Frequencies from this value up are pooled in one row labelled ``"7+"``.

    Returns
    -------
    DataFrame indexed by calibration frequency ("0", "1", ..., "7+") with ``customers``,
    ``actual`` (mean frequency_holdout) and ``predicted`` (mean conditional expected
    purchases over duration_holdout).
    """
    if "frequency_holdout" not in summary.columns:
        raise ValueError("summary has no holdout columns: build it with "
                         "rfm_summary(..., observation_end=...)")
    x, tx, T, xh, dur = lk.columns(summary, ("frequency", "recency", "T", "frequency_holdout",
                                           "duration_holdout"))
    predicted = model.conditional_expected_number_of_purchases_up_to_time(dur.to_numpy(), x, tx, T)
    clipped = np.minimum(x.to_numpy(), max_frequency).astype(int)
    labels = [str(k) for k in range(max_frequency)] + [f"{max_frequency}+"]
    group = pd.Categorical.from_codes(clipped, categories=labels)
    out = pd.DataFrame({"actual": xh.to_numpy(float), "predicted": np.asarray(predicted)}).groupby(
        group, observed=False).agg(customers=("actual", "size"), actual=("actual", "mean"),
                                   predicted=("predicted", "mean"))
    out.index = pd.Index(labels, name="frequency")
    return out


def expected_vs_actual_by_period(model: _TransactionFitter, orders: pd.DataFrame, *,
                                 calibration_end, observation_end,
                                 freq: str | float = "W") -> pd.DataFrame:
    """Actual vs expected repeat purchases of the cohort, period by period (tracking data).

    The cohort is the customers whose first purchase day is on or before
    ``calibration_end`` (as in :func:`rfm_summary`). Periods of ``freq`` start on the
    cohort's first purchase day; period k covers days [start + (k-1) u, start + k u - 1].
    Expected counts sum the unconditional E[X(t)] of each customer, t being the age at
    the end of the period (in the time unit; exact, not rounded).

    Returns
    -------
    DataFrame indexed by ``period`` (1, 2, ...) with ``period_end``, ``actual``,
    ``expected``, ``actual_cumulative``, ``expected_cumulative``.
    """
    unit = _unit_days(freq)
    days = _purchase_days(orders)
    cal = _as_date(calibration_end, days["day"])
    obs = _as_date(observation_end, days["day"])
    first = days[days["day"] <= cal].groupby("customer_id")["day"].min()
    if first.empty:
        raise ValueError(f"no purchase on or before calibration_end {cal.date()}")
    days = days[days["customer_id"].isin(first.index) & (days["day"] <= obs)]
    repeat_day = days.loc[days["day"] > days["customer_id"].map(first), "day"]
    start = first.min()
    n_periods = int(np.ceil(((obs - start).days + 1) / unit))
    ends = np.minimum(np.arange(1, n_periods + 1) * unit - 1, (obs - start).days)
    period = np.floor((repeat_day - start).dt.days / unit).astype(int) + 1
    actual = np.bincount(period, minlength=n_periods + 1)[1:]
    births = ((first - start).dt.days).value_counts()
    age = np.maximum(ends[:, None] - births.index.to_numpy()[None, :], 0) / unit
    cum_expected = np.asarray(model.expected_number_of_purchases_up_to_time(age)) @ births.to_numpy()
    return pd.DataFrame({
        "period_end": start + pd.to_timedelta(ends, unit="D"),
        "actual": actual,
        "expected": np.diff(cum_expected, prepend=0.0),
        "actual_cumulative": np.cumsum(actual),
        "expected_cumulative": cum_expected,
    }, index=pd.RangeIndex(1, n_periods + 1, name="period"))


def p_alive_matrix(model: _TransactionFitter, *, T: float, max_frequency: int = 20,
                   recency_steps: int = 40) -> pd.DataFrame:
    """P(alive) of a customer of age ``T`` over repeat purchases x time since the last purchase.

    Parameters
    ----------
    model : fitted BetaGeoFitter or ParetoNBDFitter
    T : float
        Customer age (time since the first purchase) in the model's time unit, the same for
        every cell; the age of the oldest customers (the largest ``T`` of the summary) shows
        the whole range.
    max_frequency : int
        Repeat purchases shown: 0 to this value.
    recency_steps : int
        Number of values of the time since the last purchase, evenly spaced from 0 to ``T``.

    Returns
    -------
    DataFrame with one row per cell: ``frequency``, ``time_since_last`` (T - recency, in the
    model's unit) and ``p_alive``; ``attrs["unreliable"]`` lists the fit's problems (empty when
    it is reliable). A customer without repeat purchase (frequency 0) last
    bought at age 0, so that row has a single cell, at ``time_since_last = T``.
    """
    if not (np.isfinite(T) and T > 0):
        raise ValueError(f"T={T!r}: give the customer age, > 0, in the model's time unit")
    if max_frequency < 1 or recency_steps < 2:
        raise ValueError("max_frequency must be >= 1 and recency_steps >= 2")
    since = np.linspace(0.0, float(T), int(recency_steps))
    x = np.repeat(np.arange(1, int(max_frequency) + 1), len(since))
    s = np.tile(since, int(max_frequency))
    keep = s < T  # frequency > 0 needs a repeat purchase after age 0
    x, s = np.r_[0, x[keep]], np.r_[float(T), s[keep]]
    alive = np.asarray(model.conditional_probability_alive(x, float(T) - s, np.full(len(x), float(T))))
    out = pd.DataFrame({"frequency": x.astype("int64"), "time_since_last": s, "p_alive": alive})
    out.attrs["unreliable"] = list(getattr(model, "problems_", []))  # the plot labels it so
    return out


def split_summary(orders: pd.DataFrame, *, calibration_end, observation_end) -> pd.DataFrame:
    """The calibration / holdout split in numbers: one row per period.

    Columns: ``first_day``, ``last_day``, ``days``, ``order_lines``, ``purchase_days`` (customer
    days with a purchase), ``buyers`` and ``new_buyers`` (first purchase in the period).
    Lines after ``observation_end`` are counted in a third row, ``after``, when there are any.
    """
    days = _purchase_days(orders)
    cal = _as_date(calibration_end, days["day"])
    obs = _as_date(observation_end, days["day"])
    if obs <= cal:
        raise ValueError(f"observation_end {obs.date()} must be after calibration_end {cal.date()}")
    line_day = pd.to_datetime(orders["order_date"]).dt.normalize()
    first = days.groupby("customer_id")["day"].min()
    start = min(line_day.min(), cal)
    periods = [("calibration", start, cal), ("holdout", cal + pd.Timedelta(days=1), obs)]
    if line_day.max() > obs:
        periods.append(("after", obs + pd.Timedelta(days=1), line_day.max()))
    rows = []
    for name, lo, hi in periods:
        d = days[(days["day"] >= lo) & (days["day"] <= hi)]
        rows.append({"period": name, "first_day": lo, "last_day": hi, "days": (hi - lo).days + 1,
                     "order_lines": int(((line_day >= lo) & (line_day <= hi)).sum()),
                     "purchase_days": len(d), "buyers": d["customer_id"].nunique(),
                     "new_buyers": int(((first >= lo) & (first <= hi)).sum())})
    return pd.DataFrame(rows).set_index("period")


def fit_problems(model: str, transactions, spend, spend_failure: str | None = None) -> list[str]:
    """Why a lifetime-value fit should not be trusted as it stands, each with what to try.

    ``transactions`` and ``spend`` are the fitted repeat-purchase and Gamma-Gamma models
    (``spend`` None when it was not fitted: no money, or ``spend_failure`` says why).
    """
    out = []
    if transactions.problems_:
        other = "pareto/nbd" if model == "bg/nbd" else "bg/nbd"
        out.append(f"The {model} fit is unreliable: {'; '.join(transactions.problems_)}. "
                   "P(alive), expected purchases and lifetime values built on it are unreliable "
                   f"too; try {other} (parameter model), a longer calibration period "
                   "(calibration_end) or more customers.")
    if spend_failure is not None:
        out.append(f"The spend model (Gamma-Gamma) could not be fitted ({spend_failure}), so "
                   "every value in money is left empty; calibrate on a longer period "
                   "(calibration_end) or more customers.")
    elif spend is None:
        out.append("No customer has repeat purchases with a positive amount, so the spend model "
                   "(Gamma-Gamma) is skipped and every value in money is left empty; map "
                   "orders.amount to get lifetime values.")
    elif spend.problems_:
        out.append(f"The spend fit (Gamma-Gamma) is unreliable: {'; '.join(spend.problems_)}. "
                   "Expected spend and lifetime values are unreliable; check the amounts "
                   "(returns, outliers) or calibrate on more customers.")
    return out
