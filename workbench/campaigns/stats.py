"""Campaign ROI, part 2: differences in means with intervals (Welch t, bootstrap) and pooling.

Private to :mod:`workbench.campaigns`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["METHODS", "difference", "pool", "check_confidence"]

METHODS = ("welch", "bootstrap")
_COLUMNS = ["diff", "se", "low", "high", "p_value", "t", "df"]


def check_confidence(confidence: float) -> None:
    if not (isinstance(confidence, int | float) and 0.5 <= confidence < 1):
        raise ValueError(f"confidence must be a level between 0.5 and 1 (0.95 for 95 %), not {confidence!r}")


def difference(treated, control, *, confidence: float = 0.95, method: str = "welch",
               n_boot: int = 2000, rng: np.random.Generator | None = None) -> dict[str, float]:
    """Difference of means treated - control, its standard error, interval and two-sided p-value.

    ``"welch"``: Welch's t (unequal variances, Welch-Satterthwaite degrees of freedom), the
    interval diff +/- t(df) x se. ``"bootstrap"``: each group resampled with replacement
    `n_boot` times; percentile interval, se = sd of the resampled differences, p-value =
    twice the smaller share of resampled differences on either side of 0 (at least 1/n_boot).
    Needs two values per group; otherwise every figure is NaN.
    """
    check_confidence(confidence)
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    x, y = np.asarray(treated, float), np.asarray(control, float)
    if len(x) < 2 or len(y) < 2:
        return dict.fromkeys(_COLUMNS, math.nan)
    if method == "bootstrap":
        return _bootstrap(x, y, confidence, n_boot, rng or np.random.default_rng(0))
    return _welch(x, y, confidence)


def _welch(x: np.ndarray, y: np.ndarray, confidence: float) -> dict[str, float]:
    diff = x.mean() - y.mean()
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    se = math.sqrt(vx + vy)
    if se == 0:
        return dict(diff=diff, se=0.0, low=diff, high=diff, p_value=1.0 if diff == 0 else 0.0,
                    t=math.nan, df=math.nan)
    df = (vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    t = diff / se
    q = stats.t.ppf(0.5 + confidence / 2, df)
    return dict(diff=diff, se=se, low=diff - q * se, high=diff + q * se,
                p_value=float(2 * stats.t.sf(abs(t), df)), t=t, df=df)


def _bootstrap(x, y, confidence, n_boot, rng) -> dict[str, float]:
    if n_boot < 100:
        raise ValueError(f"n_boot must be at least 100 resamples for an interval, not {n_boot}")
    diffs = _resampled_means(x, n_boot, rng) - _resampled_means(y, n_boot, rng)
    alpha = 1 - confidence
    low, high = np.quantile(diffs, [alpha / 2, 1 - alpha / 2])
    side = min((diffs <= 0).mean(), (diffs >= 0).mean())
    return dict(diff=x.mean() - y.mean(), se=float(diffs.std(ddof=1)), low=low, high=high,
                p_value=float(min(1.0, max(2 * side, 1 / n_boot))), t=math.nan, df=math.nan)


def _resampled_means(x: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Means of `n_boot` resamples of `x`, in chunks to bound memory."""
    out = np.empty(n_boot)
    step = max(1, 2_000_000 // len(x))
    for lo in range(0, n_boot, step):
        hi = min(n_boot, lo + step)
        out[lo:hi] = x[rng.integers(0, len(x), size=(hi - lo, len(x)))].mean(axis=1)
    return out


def pool(parts: pd.DataFrame, *, confidence: float = 0.95) -> dict[str, float]:
    """Weighted mean of per-campaign differences (weight ``n``), with a normal interval.

    `parts` has ``diff``, ``se`` and ``n`` (treated contacts) per campaign: the pooled figure is
    the average effect per treated contact over those campaigns; its variance is
    sum(w^2 se^2) / sum(w)^2 (campaigns are independent samples).
    """
    ok = parts.dropna(subset=["diff", "se"])
    if ok.empty or ok["n"].sum() == 0:
        return dict(diff=math.nan, se=math.nan, low=math.nan, high=math.nan, p_value=math.nan)
    w = ok["n"].to_numpy(float)
    diff = float(np.dot(w, ok["diff"]) / w.sum())
    se = float(math.sqrt(np.dot(w**2, ok["se"] ** 2)) / w.sum())
    q = stats.norm.ppf(0.5 + confidence / 2)
    p = float(2 * stats.norm.sf(abs(diff / se))) if se > 0 else (1.0 if diff == 0 else 0.0)
    return dict(diff=diff, se=se, low=diff - q * se, high=diff + q * se, p_value=p)
