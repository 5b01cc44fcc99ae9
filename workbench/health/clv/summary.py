"""Orders -> per-customer frequency / recency / T / monetary value (private to :mod:`workbench.health.clv`).

Logs under ``workbench.health.clv``, the module that documents and re-exports it.
"""

from __future__ import annotations

import logging

import pandas as pd

logger = logging.getLogger(__name__)

_UNITS = {"D": 1.0, "W": 7.0}


def _unit_days(freq: str | float) -> float:
    if isinstance(freq, str):
        if freq not in _UNITS:
            raise ValueError(f"freq={freq!r}: use 'D' (days), 'W' (weeks) or a number of days")
        return _UNITS[freq]
    if not freq > 0:
        raise ValueError(f"freq={freq!r}: a time unit must be a positive number of days")
    return float(freq)


def _purchase_days(orders: pd.DataFrame) -> pd.DataFrame:
    """One row per customer and purchase day: customer_id, day, amount (net of the day).

    A day is a purchase day when it has at least one line that is not a return
    (amount >= 0, so $0.00 lines count); return-only days are dropped.
    """
    missing = [c for c in ("customer_id", "order_date", "amount") if c not in orders.columns]
    if missing:
        raise ValueError(f"orders is missing column(s) {missing}; expected the contract's "
                         "customer_id, order_date, amount")
    if orders.empty:
        raise ValueError("orders is empty: no purchases to summarise")
    dates = pd.to_datetime(orders["order_date"])
    amount = pd.to_numeric(orders["amount"], errors="coerce")
    for name, bad in (("order_date", dates.isna()), ("amount", amount.isna()),
                      ("customer_id", orders["customer_id"].isna())):
        if bad.any():
            raise ValueError(f"orders: {int(bad.sum())} row(s) have no valid {name} "
                             f"(e.g. index {bad[bad].index[0]!r}); fix or drop them first")
    lines = pd.DataFrame({"customer_id": orders["customer_id"], "day": dates.dt.normalize(),
                          "amount": amount, "buy": amount >= 0})
    days = lines.groupby(["customer_id", "day"], sort=True).agg(
        amount=("amount", "sum"), buy=("buy", "any")).reset_index()
    return days.loc[days["buy"], ["customer_id", "day", "amount"]]


def _as_date(value, like: pd.Series) -> pd.Timestamp:
    ts = pd.Timestamp(value).normalize()
    tz = getattr(like.dt, "tz", None)
    return ts.tz_localize(tz) if tz is not None and ts.tz is None else ts


def rfm_summary(orders: pd.DataFrame, *, calibration_end, observation_end=None,
                freq: str | float = "W", round_to: int | None = 2) -> pd.DataFrame:
    """Frequency / recency / T / monetary value per customer, the input of the CLV models.

    Parameters
    ----------
    orders : DataFrame
        Order lines with the contract columns ``customer_id``, ``order_date``, ``amount``.
        Lines of the same customer and day are one purchase; a day counts as a purchase
        day when it has at least one line with ``amount >= 0`` (returns are negative
        lines; a return-only day is not a purchase and is ignored), and its value is the
        day's net amount (returns of the same day included; it can be <= 0 when they
        outweigh the day's purchases, which :class:`GammaGammaFitter` then rejects).
    calibration_end : date-like
        Last day of the calibration period, inclusive.
    observation_end : date-like, optional
        Last day of the holdout period, inclusive; adds the holdout columns.
    freq : {"W", "D"} or float
        Time unit: weeks (7 days), days, or a number of days.
    round_to : int or None
        Decimals of ``recency``, ``T`` and ``duration_holdout`` (2 reproduces the CDNOW
        summary of Fader & Hardie); None keeps them exact.

    Returns
    -------
    DataFrame indexed by ``customer_id`` with ``frequency`` (purchase days after the first,
    up to calibration_end), ``recency`` (first to last purchase day), ``T`` (first purchase
    day to calibration_end), ``monetary_value`` (mean value of the repeat purchase days,
    0 when frequency is 0) and, with ``observation_end``, ``frequency_holdout``,
    ``monetary_holdout`` (mean value of the holdout purchase days, 0 if none) and
    ``duration_holdout``. ``attrs["excluded_after_calibration"]`` counts customers whose
    first purchase falls after calibration_end (left out, and logged).
    """
    unit = _unit_days(freq)
    days = _purchase_days(orders)
    cal = _as_date(calibration_end, days["day"])
    obs = None if observation_end is None else _as_date(observation_end, days["day"])
    if obs is not None and obs <= cal:
        raise ValueError(f"observation_end {obs.date()} must be after calibration_end {cal.date()}")
    n_excluded = days["customer_id"].nunique() - days.loc[days["day"] <= cal, "customer_id"].nunique()
    if n_excluded:
        logger.info("rfm_summary: %d customer(s) first bought after %s and are left out",
                    n_excluded, cal.date())
    calib = days[days["day"] <= cal]
    if calib.empty:
        raise ValueError(f"no purchase on or before calibration_end {cal.date()}")
    g = calib.groupby("customer_id", sort=True)["day"]
    first, last = g.min(), g.max()
    repeat = calib[calib["day"] > g.transform("min")]

    def _t(delta: pd.Series) -> pd.Series:
        t = delta.dt.days / unit
        return t.round(round_to) if round_to is not None else t

    out = pd.DataFrame({
        "frequency": (g.size() - 1).astype("int64"),
        "recency": _t(last - first),
        "T": _t(cal - first),
        "monetary_value": repeat.groupby("customer_id")["amount"].mean().reindex(
            first.index, fill_value=0.0),
    })
    if obs is not None:
        hold = days[(days["day"] > cal) & (days["day"] <= obs)
                    & days["customer_id"].isin(first.index)]
        hg = hold.groupby("customer_id")["amount"]
        out["frequency_holdout"] = hg.size().reindex(first.index, fill_value=0).astype("int64")
        out["monetary_holdout"] = hg.mean().reindex(first.index, fill_value=0.0)
        duration = (obs - cal).days / unit
        out["duration_holdout"] = round(duration, round_to) if round_to is not None else duration
    out.index.name = "customer_id"
    out.attrs.update(excluded_after_calibration=int(n_excluded), calibration_end=cal,
                     observation_end=obs, unit_days=unit)
    return out


def default_calibration_end(orders: pd.DataFrame, *, as_of, holdout_months: int = 6) -> pd.Timestamp:
    """End of the calibration period that the data's span allows: a holdout to ``as_of`` of
    ``holdout_months`` months, or a third of the history (at least one month) when shorter.

    Parameters
    ----------
    orders : DataFrame
        Order lines with ``order_date``.
    as_of : date-like
        End of the holdout period.
    holdout_months : int
        The longest holdout (6 months: the demo's and the usual choice).

    Raises
    ------
    ValueError
        If no order is dated on or before ``as_of``, or the history is under two months.
    """
    as_of = pd.Timestamp(as_of).normalize()
    dates = pd.to_datetime(orders["order_date"])
    dates = dates[dates <= as_of]
    if dates.empty:
        raise ValueError(f"no order dated on or before as_of {as_of.date()}: nothing to calibrate on")
    months = (as_of.year - dates.min().year) * 12 + as_of.month - dates.min().month
    if months < 2:
        raise ValueError(f"the orders span {months} month(s) up to {as_of.date()}: a calibration "
                         "period and a holdout need at least two months of history")
    holdout = max(1, min(int(holdout_months), months // 3))
    end = as_of - pd.DateOffset(months=holdout)
    return end + pd.offsets.MonthEnd(0) if as_of.is_month_end else end
