"""Price grid, share curves and curve crossings of the price sensitivity meter.

Private to :mod:`workbench.pricing.psm` (which documents the counting rules and the crossings).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd

CURVES = ("too_cheap", "cheap", "not_cheap", "expensive", "not_expensive", "too_expensive")

#: Named sets of price points, each a pair of curves whose crossing defines it.
DEFINITIONS: dict[str, dict[str, tuple[str, str]]] = {
    # Van Westendorp (1976).
    "classic": {
        "pmc": ("too_cheap", "not_cheap"),
        "pme": ("too_expensive", "not_expensive"),
        "opp": ("too_cheap", "too_expensive"),
        "ipp": ("cheap", "expensive"),
    },
    # The Japanese PSM layout (the psm_jp published results).
    "japanese": {
        "highest_acceptable": ("too_expensive", "cheap"),
        "compromise": ("expensive", "cheap"),
        "ideal": ("too_expensive", "too_cheap"),
        "lowest_acceptable": ("expensive", "too_cheap"),
    },
}

#: The acceptable price range: (pair for its low end, pair for its high end).
RANGE_DEFINITIONS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    # Van Westendorp: from the point of marginal cheapness to that of marginal expensiveness.
    "original": (("too_cheap", "not_cheap"), ("too_expensive", "not_expensive")),
    # Used by several research firms (Conjoint.ly, Quantilope...): too_cheap x expensive to
    # too_expensive x cheap, the Japanese lowest and highest acceptable prices.
    "narrower": (("too_cheap", "expensive"), ("too_expensive", "cheap")),
}


_TOL = 1e-12  # shares closer than this count as equal (sums of float weights)
_MAX_GRID = 200_000


def _grid(values: np.ndarray, grid, warnings: list[str]) -> np.ndarray:
    lo, hi = float(np.min(values)), float(np.max(values))
    if lo == hi:
        raise ValueError(
            f"every answer of every respondent is {lo:g}: the survey has no price "
            "spread, so the curves cannot cross; check the data"
        )
    if isinstance(grid, str):
        if grid != "observed":
            raise ValueError(f"grid={grid!r}: use 'observed', a step (e.g. 50) or an array")
        return np.unique(values)
    if np.ndim(grid) == 0:
        step = float(grid)
        if not step > 0 or not math.isfinite(step):
            raise ValueError(f"grid step must be a positive number, not {grid!r}")
        start, stop = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
        if stop - start + 1 > _MAX_GRID:
            raise ValueError(
                f"grid step {step:g} gives {stop - start + 1:,} prices over "
                f"{lo:g}–{hi:g}; use a larger step"
            )
        return np.round(np.arange(start, stop + 1) * step, 10)
    arr = np.unique(np.asarray(grid, dtype=float))
    if arr.size < 2 or not np.isfinite(arr).all() or (arr < 0).any():
        raise ValueError("a grid array needs at least two finite prices >= 0")
    if arr[0] > lo or arr[-1] < hi:
        warnings.append(
            f"the grid {arr[0]:g}–{arr[-1]:g} does not cover the answers "
            f"{lo:g}–{hi:g}: the curves are cut at the grid's ends"
        )
    return arr


def _weighted_count(values, w, grid, rule: str) -> np.ndarray:
    """Sum of the weights of the respondents whose value satisfies ``value <rule> p``."""
    order = np.argsort(values, kind="stable")
    v = values[order]
    cum = np.concatenate([[0.0], np.cumsum(w[order])])
    total = cum[-1]
    if rule == "<=":
        return cum[np.searchsorted(v, grid, side="right")]
    if rule == "<":
        return cum[np.searchsorted(v, grid, side="left")]
    if rule == ">=":
        return total - cum[np.searchsorted(v, grid, side="left")]
    return total - cum[np.searchsorted(v, grid, side="right")]  # ">"


def _curves(values, w, grid, cheap_rule: str, ties: str = "count") -> pd.DataFrame:
    """The six share curves on `grid` (see the module documentation of workbench.pricing.psm)."""
    if cheap_rule not in (">=", ">"):
        raise ValueError(f"cheap_rule={cheap_rule!r}: use '>=' or '>'")
    if ties not in ("count", "half"):
        raise ValueError(f"ties={ties!r}: use 'count' or 'half'")
    if ties == "half" and cheap_rule != ">=":
        raise ValueError(
            "cheap_rule only applies with ties='count'; with ties='half' an answer equal to "
            "the price counts half on every curve: drop cheap_rule"
        )
    total = w.sum()

    def count(k: int, rule: str) -> np.ndarray:
        return _weighted_count(values[:, k], w, grid, rule)

    if ties == "half":
        falling = {k: (count(k, ">=") + count(k, ">")) / 2 for k in (0, 1)}
        rising = {k: (count(k, "<=") + count(k, "<")) / 2 for k in (2, 3)}
        share = {
            "too_cheap": falling[0],
            "cheap": falling[1],
            "not_cheap": total - falling[1],
            "expensive": rising[2],
            "not_expensive": total - rising[2],
            "too_expensive": rising[3],
        }
    else:
        below = "<" if cheap_rule == ">=" else "<="
        share = {
            "too_cheap": count(0, cheap_rule),
            "cheap": count(1, cheap_rule),
            "not_cheap": count(1, below),
            "expensive": count(2, "<="),
            "not_expensive": count(2, ">"),
            "too_expensive": count(3, "<="),
        }
    return pd.DataFrame(
        {k: v / total for k, v in share.items()}, index=pd.Index(grid, name="price")
    )


def curve_crossings(
    curves: pd.DataFrame,
    first: str,
    second: str,
    *,
    interpolation: Literal["linear", "none"] = "linear",
) -> pd.DataFrame:
    """Every crossing (and touch) of two curves on their grid.

    Returns
    -------
    DataFrame
        One row per event, by price: ``first``, ``second``, ``kind`` (``"cross"``: sign
        change between two grid prices; ``"tie"``: equal over ``[low, high]`` and crossing
        there; ``"touch"``: equal over ``[low, high]`` without crossing), ``price``,
        ``share`` (the height of the curves there: a crossing at 1 % rests on a handful of
        respondents), ``low``, ``high`` (the grid interval that brackets the event) and
        ``first_above_before``.
    """
    if interpolation not in ("linear", "none"):
        raise ValueError(f"interpolation={interpolation!r}: use 'linear' or 'none'")
    for c in (first, second):
        if c not in curves.columns:
            raise ValueError(f"no curve {c!r}; the curves are {', '.join(curves.columns)}")
    x = curves.index.to_numpy(float)
    f = curves[first].to_numpy(float)
    d = f - curves[second].to_numpy(float)
    s = np.where(np.abs(d) <= _TOL, 0.0, np.sign(d))
    nz = np.flatnonzero(s)
    left, right = nz[:-1], nz[1:]
    events = (right > left + 1) | (s[left] != s[right])  # skip same-sign neighbours
    rows = [
        {"first": first, "second": second, **_event(x, f, d, s, i, j, interpolation)}
        for i, j in zip(left[events], right[events], strict=True)
    ]
    columns = ["first", "second", "kind", "price", "share", "low", "high", "first_above_before"]
    return pd.DataFrame(rows, columns=columns)


def _event(x, f, d, s, i: int, j: int, interpolation: str) -> dict:
    """One crossing, tie or touch between the non-zero differences at grid indices i < j."""
    if j == i + 1:
        kind, low, high = "cross", x[i], x[j]
        if interpolation == "linear":
            t = d[i] / (d[i] - d[j])
            price, share = x[i] + (x[j] - x[i]) * t, f[i] + (f[j] - f[i]) * t
        else:
            price, share = x[j], f[j]
    else:
        kind = "tie" if s[i] != s[j] else "touch"
        low, high = x[i + 1], x[j - 1]
        price, share = ((low + high) / 2 if interpolation == "linear" else low), f[i + 1]
    return {
        "kind": kind,
        "price": float(price),
        "share": float(share),
        "low": float(low),
        "high": float(high),
        "first_above_before": bool(s[i] > 0),
    }


def _definitions(definitions) -> dict[str, tuple[str, str]]:
    if isinstance(definitions, str):
        if definitions not in DEFINITIONS:
            raise ValueError(
                f"definitions={definitions!r}: use one of "
                f"{', '.join(DEFINITIONS)} or a mapping point -> (curve, curve)"
            )
        return dict(DEFINITIONS[definitions])
    pairs = {}
    for name, pair in dict(definitions).items():
        if len(pair) != 2 or any(c not in CURVES for c in pair) or pair[0] == pair[1]:
            raise ValueError(
                f"definitions[{name!r}] = {pair!r}: a point is a pair of two "
                f"different curves among {', '.join(CURVES)}"
            )
        pairs[str(name)] = (pair[0], pair[1])
    if not pairs or {"range_low", "range_high"} & set(pairs):
        raise ValueError("definitions must name at least one point, and not range_low/high")
    return pairs


def _pick(name, pair, events, curves, *, crossing, on_missing, warnings) -> float:
    """The crossing price of one point, following the `crossing` and `on_missing` policies."""
    found = events[events["kind"] != "touch"]
    first, second = pair
    if found.empty:
        d = curves[first] - curves[second]
        side = "equal to" if (d.abs() <= _TOL).all() else "above" if (d >= -_TOL).all() else "below"
        msg = (
            f"{name}: the curves {first!r} and {second!r} do not cross on the grid "
            f"{curves.index[0]:g}–{curves.index[-1]:g} ({first!r} stays {side} {second!r})"
        )
        if on_missing == "raise":
            raise ValueError(
                msg + "; widen the grid or check the answers (a mislabelled "
                "column?), or pass on_missing='nan' to get NaN with a warning"
            )
        warnings.append(msg + "; the point is NaN")
        return math.nan
    if len(found) > 1:
        at = ", ".join(f"{p:g}" for p in found["price"])
        msg = f"{name}: the curves {first!r} and {second!r} cross {len(found)} times (at {at})"
        if crossing == "error":
            raise ValueError(msg + "; pass crossing='first' or 'last' to choose one")
        warnings.append(f"{msg}; using the {crossing} one")
    return float(found["price"].iloc[0 if crossing == "first" else -1])


def _round(x: float, rounding: str | None, unit: float) -> float:
    if rounding is None or not math.isfinite(x):
        return x
    q = round(x / unit, 9)  # so that 265.0000000001 rounds up to 265, not 266
    n = {"up": math.ceil, "down": math.floor, "nearest": lambda v: math.floor(v + 0.5)}[rounding](q)
    return round(n * unit, 10)
