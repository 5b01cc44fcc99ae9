"""Van Westendorp price sensitivity meter (PSM) and its Newton-Miller-Smith extension.

Reads the contract's ``price_survey`` table: one row per respondent with the four answers
``too_cheap``, ``cheap``, ``expensive``, ``too_expensive`` (prices), optionally
``likelihood_cheap`` / ``likelihood_expensive`` (purchase probability, 0-1) and ``weight``.

The curves
----------
On a price grid, each curve is the (weighted) share of respondents whose answer puts the
price in that class:

=================  =============================================  ===================
curve              share of respondents with ...                  direction
=================  =============================================  ===================
``too_cheap``      ``too_cheap >= p`` (or ``> p``, see below)     falls with price
``cheap``          ``cheap >= p`` (or ``> p``)                    falls with price
``not_cheap``      ``1 - cheap``                                  rises with price
``expensive``      ``expensive <= p``                             rises with price
``not_expensive``  ``1 - expensive``                              falls with price
``too_expensive``  ``too_expensive <= p``                         rises with price
=================  =============================================  ===================

"Expensive" sides are always the empirical CDF (value ``<= p``). The literature has two
counting rules for the "cheap" sides, chosen with ``cheap_rule``: ``">="`` (a respondent who
named exactly ``p`` as cheap finds ``p`` cheap; the method the published ``psm_jp`` results
use) and ``">"`` (``1 - ECDF``, as in the R package *pricesensitivitymeter*).

Crossings
---------
A crossing of two curves is a change of sign of their difference along the grid. With
``interpolation="linear"`` the price is found by linear interpolation between the two grid
prices around the change; with ``"none"`` it is the first grid price past the change (where
the step curves of an observed grid really cross). When the difference is exactly zero over
some grid prices and changes sign across them (a *tie*), the crossing is the middle of the
tied interval (``"linear"``) or its first price (``"none"``). Equality with the same sign on
both sides is a *touch* and is not a crossing; equality at the ends of the grid is ignored.
Every pair the built-in definitions use is one rising and one falling curve, so it crosses at
most once; several crossings can only happen with custom pairs of same-direction curves,
and ``crossing`` says which one to use.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

__all__ = [
    "ANSWERS",
    "CURVES",
    "DEFINITIONS",
    "RANGE_DEFINITIONS",
    "POINT_LABELS",
    "JAPANESE_NAMES",
    "MIN_RESPONDENTS",
    "TooFewRespondentsError",
    "PSMResult",
    "NMSResult",
    "psm_curves",
    "curve_crossings",
    "price_sensitivity_meter",
    "psm_by_group",
    "newton_miller_smith",
]

logger = logging.getLogger(__name__)

ANSWERS = ("too_cheap", "cheap", "expensive", "too_expensive")
CURVES = ("too_cheap", "cheap", "not_cheap", "expensive", "not_expensive", "too_expensive")
LIKELIHOODS = ("likelihood_cheap", "likelihood_expensive")

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

POINT_LABELS = {
    "pmc": "point of marginal cheapness",
    "pme": "point of marginal expensiveness",
    "opp": "optimal price point",
    "ipp": "indifference price point",
    "highest_acceptable": "highest acceptable price",
    "compromise": "compromise (indifference) price",
    "ideal": "ideal price",
    "lowest_acceptable": "lowest price that guarantees quality",
    "range_low": "acceptable range: low end",
    "range_high": "acceptable range: high end",
}

#: English point names of the "japanese" definitions and the Japanese terms they translate.
JAPANESE_NAMES = {
    "highest_acceptable": "最高価格",
    "compromise": "妥協価格",
    "ideal": "理想価格",
    "lowest_acceptable": "最低品質保証価格",
}

#: Default minimum of usable respondents; practice asks for 30 or more per group.
MIN_RESPONDENTS = 5

_TOL = 1e-12  # shares closer than this count as equal (sums of float weights)
_MAX_GRID = 200_000


class TooFewRespondentsError(ValueError):
    """Fewer usable respondents than the analysis needs."""


# --------------------------------------------------------------------------- input


@dataclass
class _Answers:
    values: np.ndarray  # (n, 4) answers in ANSWERS order, usable rows only
    weights: np.ndarray
    frame: pd.DataFrame  # the usable rows of the survey
    counts: dict[str, int]
    warnings: list[str]


def _ids(frame: pd.DataFrame, mask, limit: int = 3) -> str:
    """The respondent ids (or row labels) under `mask`: the first `limit`, then a count."""
    ids = frame["respondent_id"] if "respondent_id" in frame else frame.index.to_series()
    sel = [str(v) for v in ids[np.asarray(mask)]]
    more = f" and {len(sel) - limit} more" if len(sel) > limit and limit > 1 else ""
    return ", ".join(sel[:limit]) + more


def _numeric(survey: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    missing = [c for c in columns if c not in survey.columns]
    if missing:
        raise ValueError(
            f"price_survey is missing column(s) {', '.join(map(repr, missing))}; needed: "
            f"{', '.join(columns)}. Map the survey's columns onto these contract names when "
            "loading (see workbench.contract)."
        )
    num = survey[list(columns)].apply(pd.to_numeric, errors="coerce").astype(float)
    for c in columns:
        bad = num[c].isna() & survey[c].notna()
        if bad.any():
            value = survey.loc[bad, c].iloc[0]
            raise ValueError(
                f"price_survey column {c!r}: {bad.sum()} value(s) are not numbers "
                f"(e.g. {value!r} for respondent {_ids(survey, bad, 1)}); fix them"
            )
        inf = np.isinf(num[c])
        if inf.any():
            raise ValueError(
                f"price_survey column {c!r} has infinite values "
                f"(respondent {_ids(survey, inf)}); fix or drop those rows"
            )
    return num


def _check_prices(num: pd.DataFrame, survey: pd.DataFrame) -> None:
    for c in ANSWERS:
        neg = num[c] < 0
        if neg.any():
            raise ValueError(
                f"price_survey column {c!r} has {neg.sum()} negative price(s) (respondent "
                f"{_ids(survey, neg)}: {num.loc[neg, c].iloc[0]:g}); prices must be >= 0: "
                "fix the source or drop those rows"
            )


def _weights(survey: pd.DataFrame, weights: str | None) -> np.ndarray:
    if weights is None:
        return np.ones(len(survey))
    if weights not in survey.columns:
        raise ValueError(
            f"weights={weights!r}: price_survey has no such column; "
            "pass weights=None for an unweighted analysis"
        )
    w = pd.to_numeric(survey[weights], errors="coerce").to_numpy(float)
    if np.isnan(w).any():
        raise ValueError(
            f"weight column {weights!r} has {np.isnan(w).sum()} missing or "
            "non-numeric value(s); fill them (1 = unweighted) or drop those rows"
        )
    if (w < 0).any() or np.isinf(w).any():
        raise ValueError(
            f"weight column {weights!r} must hold finite values >= 0 "
            f"(respondent {_ids(survey, (w < 0) | np.isinf(w))})"
        )
    return w


def _order_problem(frame: pd.DataFrame, values: np.ndarray, bad: np.ndarray) -> str:
    row = values[np.flatnonzero(bad)[0]]
    k = int(np.flatnonzero(np.diff(row) < 0)[0])
    return f"e.g. respondent {_ids(frame, bad, 1)}: {ANSWERS[k]} {row[k]:g} > {ANSWERS[k + 1]} {row[k + 1]:g}"


def _monotone(frame, values, w, monotone, counts, warnings):
    """Flag, exclude or repair respondents whose answers are not in increasing order."""
    if monotone not in ("flag", "exclude", "repair"):
        raise ValueError(f"monotone={monotone!r}: use 'flag', 'exclude' or 'repair'")
    bad = np.any(np.diff(values, axis=1) < 0, axis=1)
    counts["non_monotone"] = int(bad.sum())
    if not bad.any():
        return frame, values, w
    what = (
        f"{bad.sum()} of {len(bad)} respondents gave non-monotone answers (the order "
        f"too_cheap <= cheap <= expensive <= too_expensive fails; "
        f"{_order_problem(frame, values, bad)})"
    )
    if bad.all() and monotone != "repair":
        raise ValueError(
            f"all {what}: the columns are probably swapped or mislabelled in the "
            "source mapping; fix the mapping, or pass monotone='repair' to sort "
            "each respondent's answers"
        )
    if monotone == "repair":
        counts["repaired"] = int(bad.sum())
        warnings.append(f"{what}; repaired by sorting each one's four answers")
        return frame, np.sort(values, axis=1), w
    if monotone == "exclude":
        counts["excluded"] = int(bad.sum())
        warnings.append(f"{what}; excluded")
        return frame[~bad], values[~bad], w[~bad]
    warnings.append(
        f"{what}; kept (monotone='flag'): pass monotone='exclude' to drop them "
        "or 'repair' to sort their answers"
    )
    return frame, values, w


def _prepare(survey, *, weights, monotone, min_respondents, extra=()) -> _Answers:
    if not isinstance(survey, pd.DataFrame):
        raise TypeError(f"price_survey must be a pandas DataFrame, not {type(survey).__name__}")
    num = _numeric(survey, ANSWERS + tuple(extra))
    _check_prices(num, survey)
    w = _weights(survey, weights)
    counts = {
        "respondents": len(survey),
        "missing": 0,
        "non_monotone": 0,
        "excluded": 0,
        "repaired": 0,
        "used": 0,
    }
    warnings: list[str] = []
    missing = num.isna().any(axis=1).to_numpy()
    if missing.any():
        counts["missing"] = int(missing.sum())
        warnings.append(
            f"{missing.sum()} respondent(s) with a missing answer were excluded "
            f"({_ids(survey, missing)})"
        )
    frame, num, w = survey[~missing], num[~missing], w[~missing]
    values = num[list(ANSWERS)].to_numpy(float)
    if len(values):
        frame, values, w = _monotone(frame, values, w, monotone, counts, warnings)
    counts["used"] = len(values)
    if len(values) < min_respondents:
        raise TooFewRespondentsError(
            f"too few respondents: {len(values)} usable of {len(survey)} "
            f"({counts['missing']} with a missing answer, {counts['excluded']} excluded as "
            f"non-monotone); at least {min_respondents} are needed (min_respondents)"
        )
    if w.sum() <= 0:
        raise ValueError("the usable respondents' weights sum to 0; check the weight column")
    return _Answers(values, w, frame, counts, warnings)


def _log(warnings: list[str]) -> None:
    for message in warnings:
        logger.warning(message)


# --------------------------------------------------------------------------- grid and curves


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


def _curves(values, w, grid, cheap_rule: str) -> pd.DataFrame:
    if cheap_rule not in (">=", ">"):
        raise ValueError(f"cheap_rule={cheap_rule!r}: use '>=' or '>'")
    below = "<" if cheap_rule == ">=" else "<="
    total = w.sum()
    share = {
        "too_cheap": _weighted_count(values[:, 0], w, grid, cheap_rule),
        "cheap": _weighted_count(values[:, 1], w, grid, cheap_rule),
        "not_cheap": _weighted_count(values[:, 1], w, grid, below),
        "expensive": _weighted_count(values[:, 2], w, grid, "<="),
        "not_expensive": _weighted_count(values[:, 2], w, grid, ">"),
        "too_expensive": _weighted_count(values[:, 3], w, grid, "<="),
    }
    return pd.DataFrame(
        {k: v / total for k, v in share.items()}, index=pd.Index(grid, name="price")
    )


def psm_curves(
    survey: pd.DataFrame,
    *,
    grid: str | float | Sequence[float] = "observed",
    weights: str | None = None,
    cheap_rule: Literal[">=", ">"] = ">=",
    monotone: Literal["flag", "exclude", "repair"] = "flag",
) -> pd.DataFrame:
    """The six cumulative share curves of a Van Westendorp survey, indexed by price.

    Parameters
    ----------
    survey : DataFrame
        ``price_survey`` rows; rows with a missing answer are excluded (logged).
    grid : "observed", float or array
        ``"observed"``: every distinct answer; a step (e.g. 50): multiples of the step from
        ``step * floor(min / step)`` to ``step * ceil(max / step)``; or explicit prices.
    weights : str, optional
        Column of survey weights (e.g. ``"weight"``); None for one vote per respondent.
    cheap_rule : ">=" or ">"
        How "too cheap" and "cheap" count a respondent at price ``p`` (see module doc).
    monotone : "flag", "exclude" or "repair"
        What to do with respondents whose answers are out of order.

    Returns
    -------
    DataFrame
        Index ``price``; columns :data:`CURVES`, shares between 0 and 1.
    """
    ans = _prepare(survey, weights=weights, monotone=monotone, min_respondents=1)
    curves = _curves(ans.values, ans.weights, _grid(ans.values, grid, ans.warnings), cheap_rule)
    _log(ans.warnings)
    return curves


# --------------------------------------------------------------------------- crossings


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
        there; ``"touch"``: equal over ``[low, high]`` without crossing), ``price``, ``low``,
        ``high`` (the grid interval that brackets the event) and ``first_above_before``.
    """
    if interpolation not in ("linear", "none"):
        raise ValueError(f"interpolation={interpolation!r}: use 'linear' or 'none'")
    for c in (first, second):
        if c not in curves.columns:
            raise ValueError(f"no curve {c!r}; the curves are {', '.join(curves.columns)}")
    x = curves.index.to_numpy(float)
    d = (curves[first] - curves[second]).to_numpy(float)
    s = np.where(np.abs(d) <= _TOL, 0.0, np.sign(d))
    nz = np.flatnonzero(s)
    rows = []
    left, right = nz[:-1], nz[1:]
    events = (right > left + 1) | (s[left] != s[right])  # skip same-sign neighbours
    for i, j in zip(left[events], right[events], strict=True):
        if j == i + 1:
            kind, low, high = "cross", x[i], x[j]
            price = (
                x[i] + (x[j] - x[i]) * d[i] / (d[i] - d[j]) if interpolation == "linear" else x[j]
            )
        else:
            kind = "tie" if s[i] != s[j] else "touch"
            low, high = x[i + 1], x[j - 1]
            price = (low + high) / 2 if interpolation == "linear" else low
        rows.append(
            {
                "first": first,
                "second": second,
                "kind": kind,
                "price": float(price),
                "low": float(low),
                "high": float(high),
                "first_above_before": s[i] > 0,
            }
        )
    columns = ["first", "second", "kind", "price", "low", "high", "first_above_before"]
    return pd.DataFrame(rows, columns=columns)


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


@dataclass
class PSMResult:
    """What :func:`price_sensitivity_meter` found.

    Attributes
    ----------
    curves : DataFrame
        The share curves on the grid (see :func:`psm_curves`).
    points : dict
        Point name -> price (rounded as asked; NaN when missing and ``on_missing="nan"``).
    pairs : dict
        Point name -> the two curves whose crossing defines it (``range_low``/``range_high``
        included).
    acceptable_range : (float, float)
        Low and high ends of the acceptable price range, per ``range_definition``.
    crossings : DataFrame
        Every crossing and touch found for every pair, with ``point`` and ``chosen``.
    counts : dict
        respondents, missing (excluded for a missing answer), non_monotone (flagged),
        excluded (non-monotone, dropped), repaired, used.
    warnings : list of str
    settings : dict
        The options used, for reports and manifests.
    """

    curves: pd.DataFrame
    points: dict[str, float]
    pairs: dict[str, tuple[str, str]]
    acceptable_range: tuple[float, float]
    crossings: pd.DataFrame
    counts: dict[str, int]
    warnings: list[str] = field(default_factory=list)
    settings: dict[str, object] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per point and range end: label, Japanese term, price and its two curves."""
        prices = {
            **self.points,
            "range_low": self.acceptable_range[0],
            "range_high": self.acceptable_range[1],
        }
        rows = [
            {
                "point": name,
                "label": POINT_LABELS.get(name, name),
                "japanese": JAPANESE_NAMES.get(name, ""),
                "price": prices[name],
                "first": pair[0],
                "second": pair[1],
            }
            for name, pair in self.pairs.items()
        ]
        return pd.DataFrame(rows).set_index("point")

    def summary(self) -> pd.Series:
        """Points, range ends and counts as one flat row (used by :func:`psm_by_group`)."""
        low, high = self.acceptable_range
        return pd.Series({**self.points, "range_low": low, "range_high": high, **self.counts})

    def __repr__(self) -> str:
        pts = ", ".join(f"{k}={v:g}" for k, v in self.points.items())
        low, high = self.acceptable_range
        return (
            f"PSMResult({pts}; range {low:g}–{high:g}; {self.counts['used']} of "
            f"{self.counts['respondents']} respondents; {len(self.warnings)} warning(s))"
        )

    def _repr_html_(self) -> str:
        return self.to_frame()._repr_html_()


def price_sensitivity_meter(
    survey: pd.DataFrame,
    *,
    grid: str | float | Sequence[float] = "observed",
    interpolation: Literal["linear", "none"] = "linear",
    crossing: Literal["first", "last", "error"] = "first",
    definitions: str | Mapping[str, tuple[str, str]] = "classic",
    range_definition: Literal["original", "narrower"] = "original",
    monotone: Literal["flag", "exclude", "repair"] = "flag",
    weights: str | None = None,
    rounding: Literal["up", "down", "nearest"] | None = None,
    rounding_unit: float = 1.0,
    cheap_rule: Literal[">=", ">"] = ">=",
    on_missing: Literal["raise", "nan"] = "raise",
    min_respondents: int = MIN_RESPONDENTS,
) -> PSMResult:
    """Van Westendorp price points and acceptable range of a price survey.

    Parameters
    ----------
    survey : DataFrame
        ``price_survey`` rows (one product). Rows with a missing answer are excluded and
        counted; negative or non-numeric prices raise.
    grid, cheap_rule : see :func:`psm_curves`.
    interpolation : "linear" or "none"
        How a crossing between two grid prices is placed (see module doc).
    crossing : "first", "last" or "error"
        Which crossing to use when two curves cross more than once (all are reported in
        ``crossings`` anyway).
    definitions : "classic", "japanese" or mapping
        ``"classic"``: pmc = too_cheap x not_cheap, pme = too_expensive x not_expensive,
        opp = too_cheap x too_expensive, ipp = cheap x expensive. ``"japanese"``:
        highest_acceptable = too_expensive x cheap, compromise = expensive x cheap,
        ideal = too_expensive x too_cheap, lowest_acceptable = expensive x too_cheap
        (:data:`JAPANESE_NAMES` gives the Japanese terms). Or ``{name: (curve, curve)}``.
    range_definition : "original" or "narrower"
        ``"original"`` (Van Westendorp): pmc to pme. ``"narrower"`` (used by several research
        firms): too_cheap x expensive to too_expensive x cheap.
    monotone : "flag", "exclude" or "repair"
        Respondents whose answers break ``too_cheap <= cheap <= expensive <= too_expensive``
        (equal answers allowed) are always counted and warned about; ``"flag"`` keeps them,
        ``"exclude"`` drops them, ``"repair"`` sorts their four answers. If all of them are
        out of order, anything but ``"repair"`` raises.
    weights : str, optional
        Column of survey weights.
    rounding, rounding_unit : how points and range ends are rounded (None: not rounded),
        e.g. ``rounding="up"`` to the yen. ``crossings`` keeps the unrounded prices.
    on_missing : "raise" or "nan"
        Two curves that never cross raise a ValueError naming them and the grid, or give
        NaN and a warning.
    min_respondents : int
        Fewer usable respondents raise :class:`TooFewRespondentsError`.

    Returns
    -------
    PSMResult
    """
    pairs = _definitions(definitions)
    if range_definition not in RANGE_DEFINITIONS:
        raise ValueError(f"range_definition={range_definition!r}: use 'original' or 'narrower'")
    for arg, value, allowed in (
        ("crossing", crossing, ("first", "last", "error")),
        ("on_missing", on_missing, ("raise", "nan")),
        ("rounding", rounding, (None, "up", "down", "nearest")),
    ):
        if value not in allowed:
            raise ValueError(f"{arg}={value!r}: use one of {', '.join(map(repr, allowed))}")
    ans = _prepare(survey, weights=weights, monotone=monotone, min_respondents=min_respondents)
    warnings = list(ans.warnings)
    curves = _curves(ans.values, ans.weights, _grid(ans.values, grid, warnings), cheap_rule)
    low_pair, high_pair = RANGE_DEFINITIONS[range_definition]
    pairs = {**pairs, "range_low": low_pair, "range_high": high_pair}
    prices, tables = {}, []
    for name, (first, second) in pairs.items():
        events = curve_crossings(curves, first, second, interpolation=interpolation)
        prices[name] = _pick(
            name,
            (first, second),
            events,
            curves,
            crossing=crossing,
            on_missing=on_missing,
            warnings=warnings,
        )
        events = events.assign(point=name, chosen=events["price"] == prices[name])
        tables.append(events)
    rounded = {k: _round(v, rounding, rounding_unit) for k, v in prices.items()}
    low, high = rounded.pop("range_low"), rounded.pop("range_high")
    if low > high:
        warnings.append(
            f"the acceptable range is inverted ({low:g} > {high:g}): the survey "
            "answers overlap too much for a range; look at the curves"
        )
    settings = dict(
        grid=grid,
        interpolation=interpolation,
        crossing=crossing,
        definitions=definitions,
        range_definition=range_definition,
        monotone=monotone,
        weights=weights,
        rounding=rounding,
        rounding_unit=rounding_unit,
        cheap_rule=cheap_rule,
        on_missing=on_missing,
    )
    _log(warnings)
    crossings = pd.concat([t for t in tables if len(t)] or [tables[0]], ignore_index=True)
    return PSMResult(curves, rounded, pairs, (low, high), crossings, ans.counts, warnings, settings)


def psm_by_group(
    survey: pd.DataFrame,
    *,
    by: str | Sequence[str] = "persona",
    min_respondents: int = MIN_RESPONDENTS,
    **options,
) -> pd.DataFrame:
    """:func:`price_sensitivity_meter` for each group of respondents.

    Parameters
    ----------
    survey : DataFrame
        ``price_survey`` rows with the grouping column(s) merged in.
    by : str or list of str
        Grouping column(s), e.g. ``"persona"`` or ``["product_id", "persona"]``.
    min_respondents : int
        Groups with fewer usable respondents get no numbers, status
        ``"too few respondents"`` and the reason.
    **options
        Passed on to :func:`price_sensitivity_meter` (grid, definitions, ...).

    Returns
    -------
    DataFrame
        One row per group: the ``by`` columns, ``status`` (``"ok"``, ``"too few
        respondents"`` or ``"no result"``), the points, ``range_low``, ``range_high``, the
        counts and ``reason`` (the error, or the warnings of a computed group).
    """
    keys = [by] if isinstance(by, str) else list(by)
    absent = [k for k in keys if k not in survey.columns]
    if absent:
        raise ValueError(
            f"by: price_survey has no column {', '.join(map(repr, absent))}; "
            "merge the grouping column onto the survey first"
        )
    _numeric(survey, ANSWERS)  # a missing answer column is an error for all groups at once
    names = list(_definitions(options.get("definitions", "classic")))
    rows = []
    for key, group in survey.groupby(keys, dropna=False, sort=True):
        row = dict(zip(keys, key, strict=True))
        try:
            res = price_sensitivity_meter(group, min_respondents=min_respondents, **options)
        except TooFewRespondentsError as exc:
            row.update(status="too few respondents", respondents=len(group), reason=str(exc))
        except ValueError as exc:
            row.update(status="no result", respondents=len(group), reason=str(exc))
        else:
            row.update(status="ok", **res.summary(), reason="; ".join(res.warnings))
        rows.append(row)
    columns = [
        *keys,
        "status",
        *names,
        "range_low",
        "range_high",
        "respondents",
        "used",
        "missing",
        "non_monotone",
        "excluded",
        "repaired",
        "reason",
    ]
    out = pd.DataFrame(rows).reindex(columns=columns)
    counts = ["respondents", "used", "missing", "non_monotone", "excluded", "repaired"]
    out[counts] = out[counts].astype("Int64")
    return out


# --------------------------------------------------------------------------- Newton-Miller-Smith


def _purchase_probability(a: np.ndarray, lc: np.ndarray, le: np.ndarray, x: np.ndarray):
    """(respondents x prices) purchase probabilities; `a` holds ordered answers."""
    tc, c, e, te = (a[:, k, None] for k in range(4))
    lc, le = lc[:, None], le[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        rising = lc * (x - tc) / (c - tc)
        middle = np.where(e > c, lc + (le - lc) * (x - c) / (e - c), lc)
        falling = le * (te - x) / (te - e)
    return np.select([(x <= tc) | (x >= te), x < c, x <= e], [0.0, rising, middle], falling)


def _likelihoods(frame: pd.DataFrame, calibration) -> tuple[np.ndarray, np.ndarray]:
    out = []
    for col in LIKELIHOODS:
        v = pd.to_numeric(frame[col]).astype(float)
        if calibration is not None:
            unknown = sorted(set(v) - set(calibration))
            if unknown:
                raise ValueError(
                    f"{col}: values {unknown} are not in the calibration mapping "
                    f"({sorted(calibration)}); extend it"
                )
            v = v.map(calibration).astype(float)
        bad = (v < 0) | (v > 1)
        if bad.any():
            raise ValueError(
                f"{col} must be a probability between 0 and 1 (respondent "
                f"{_ids(frame, bad)}: {v[bad].iloc[0]:g}); for a rating scale "
                "pass calibration={5: 0.7, 4: 0.5, 3: 0.3, 2: 0.1, 1: 0.0}"
            )
        out.append(v.to_numpy(float))
    return out[0], out[1]


def _best(table: pd.DataFrame, column: str, warnings: list[str], why: str) -> float:
    values = table[column]
    if not (values > 0).any():
        warnings.append(f"{column} is never above 0 on the grid ({why}): no optimal price")
        return math.nan
    return float(values.idxmax())


@dataclass
class NMSResult:
    """What :func:`newton_miller_smith` found.

    Attributes
    ----------
    table : DataFrame
        Index ``price``; ``trial`` (expected share buying), ``revenue`` (price x trial, per
        respondent) and, with a unit cost, ``profit`` ((price - unit_cost) x trial).
    optimal : dict
        ``trial``, ``revenue`` (and ``profit``) -> the lowest grid price reaching the maximum.
    unit_cost : float or None
    counts, warnings, settings : as in :class:`PSMResult`.
    """

    table: pd.DataFrame
    optimal: dict[str, float]
    unit_cost: float | None
    counts: dict[str, int]
    warnings: list[str] = field(default_factory=list)
    settings: dict[str, object] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per objective: the optimal price and the table's values there."""
        rows = []
        for objective, price in self.optimal.items():
            at = self.table.loc[price] if math.isfinite(price) else None
            rows.append(
                {
                    "objective": objective,
                    "price": price,
                    **{c: (at[c] if at is not None else math.nan) for c in self.table},
                }
            )
        return pd.DataFrame(rows).set_index("objective")


def newton_miller_smith(
    survey: pd.DataFrame,
    *,
    grid: str | float | Sequence[float] = "observed",
    unit_cost: float | None = None,
    weights: str | None = None,
    monotone: Literal["exclude", "repair"] = "exclude",
    calibration: Mapping[float, float] | None = None,
    min_respondents: int = MIN_RESPONDENTS,
) -> NMSResult:
    """Newton-Miller-Smith trial, revenue and profit curves and their optimal prices.

    For each respondent, the purchase probability at price ``p`` is 0 at and below their
    ``too_cheap`` answer and at and above their ``too_expensive`` answer;
    ``likelihood_cheap`` at their ``cheap`` answer; ``likelihood_expensive`` at their
    ``expensive`` answer; linear between these four anchors. (When ``cheap == expensive``
    the value there is ``likelihood_cheap``; 0 wins when an anchor equals too_cheap or
    too_expensive.) The trial curve is the (weighted) mean over respondents.

    Parameters
    ----------
    survey : DataFrame
        ``price_survey`` rows with ``likelihood_cheap`` and ``likelihood_expensive``. Rows
        missing any answer or likelihood are excluded and counted as ``missing``.
    grid : see :func:`psm_curves`. Optima are searched on the grid: with the observed grid
        the trial optimum is exact (trial is linear between answers); the revenue and profit
        optima are as fine as the grid (use a step for a finer search).
    unit_cost : float, optional
        Adds ``profit`` and the profit-optimal price.
    weights : str, optional
        Column of survey weights.
    monotone : "exclude" or "repair"
        The probability needs ordered answers: out-of-order respondents are dropped or
        have their four answers sorted (counted either way).
    calibration : mapping, optional
        When the likelihoods are a rating scale, maps each scale value to a probability,
        e.g. Sawtooth's ``{5: 0.7, 4: 0.5, 3: 0.3, 2: 0.1, 1: 0.0}``.
    min_respondents : int
        Fewer usable respondents raise :class:`TooFewRespondentsError`.

    Returns
    -------
    NMSResult
    """
    if monotone not in ("exclude", "repair"):
        raise ValueError(
            f"monotone={monotone!r}: the purchase probability needs ordered "
            "answers; use 'exclude' or 'repair'"
        )
    if unit_cost is not None and not (math.isfinite(unit_cost) and unit_cost >= 0):
        raise ValueError(f"unit_cost must be a finite number >= 0, not {unit_cost!r}")
    absent = [c for c in LIKELIHOODS if c not in survey.columns]
    if absent:
        raise ValueError(
            f"the Newton-Miller-Smith extension needs {' and '.join(LIKELIHOODS)} "
            f"(purchase probability at the respondent's cheap and expensive "
            f"prices); price_survey has no {', '.join(absent)}"
        )
    ans = _prepare(
        survey,
        weights=weights,
        monotone=monotone,
        min_respondents=min_respondents,
        extra=LIKELIHOODS,
    )
    warnings = list(ans.warnings)
    lc, le = _likelihoods(ans.frame, calibration)
    x = _grid(ans.values, grid, warnings)
    trial = np.zeros(x.size)
    for start in range(0, len(lc), 2048):  # bounded memory: 2048 respondents at a time
        part = slice(start, start + 2048)
        trial += ans.weights[part] @ _purchase_probability(ans.values[part], lc[part], le[part], x)
    table = pd.DataFrame({"trial": trial / ans.weights.sum()}, index=pd.Index(x, name="price"))
    table["revenue"] = table.index * table["trial"]
    optimal = {
        "trial": _best(table, "trial", warnings, "every likelihood is 0"),
        "revenue": _best(table, "revenue", warnings, "every likelihood is 0"),
    }
    if unit_cost is not None:
        table["profit"] = (table.index - unit_cost) * table["trial"]
        optimal["profit"] = _best(
            table,
            "profit",
            warnings,
            f"the unit cost {unit_cost:g} is above every price with buyers",
        )
    settings = dict(
        grid=grid, unit_cost=unit_cost, weights=weights, monotone=monotone, calibration=calibration
    )
    _log(warnings)
    return NMSResult(table, optimal, unit_cost, ans.counts, warnings, settings)
