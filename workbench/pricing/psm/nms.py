"""Newton-Miller-Smith extension of the price sensitivity meter: trial, revenue and profit.

Private to :mod:`workbench.pricing.psm`, which re-exports :func:`newton_miller_smith` and
:class:`NMSResult`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from workbench.pricing.psm.answers import LIKELIHOODS, MIN_RESPONDENTS, _ids, _log, _prepare, logger
from workbench.pricing.psm.curves import _grid


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
    _check_options(survey, monotone, unit_cost)
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
    table = _trial_table(ans, lc, le, x, unit_cost)
    optimal = {
        "trial": _best(table, "trial", warnings, "every likelihood is 0"),
        "revenue": _best(table, "revenue", warnings, "every likelihood is 0"),
    }
    if unit_cost is not None:
        why = f"the unit cost {unit_cost:g} is above every price with buyers"
        optimal["profit"] = _best(table, "profit", warnings, why)
    settings = dict(
        grid=grid, unit_cost=unit_cost, weights=weights, monotone=monotone, calibration=calibration
    )
    _log(warnings)
    return NMSResult(table, optimal, unit_cost, ans.counts, warnings, settings)


def _check_options(survey: pd.DataFrame, monotone: str, unit_cost: float | None) -> None:
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


def _trial_table(ans, lc, le, x, unit_cost) -> pd.DataFrame:
    """Trial, revenue (and profit) per grid price, 2048 respondents at a time (bounded memory)."""
    trial = np.zeros(x.size)
    for start in range(0, len(lc), 2048):
        part = slice(start, start + 2048)
        trial += ans.weights[part] @ _purchase_probability(ans.values[part], lc[part], le[part], x)
    table = pd.DataFrame({"trial": trial / ans.weights.sum()}, index=pd.Index(x, name="price"))
    table["revenue"] = table.index * table["trial"]
    if unit_cost is not None:
        table["profit"] = (table.index - unit_cost) * table["trial"]
    return table


def _group_cost(group: pd.DataFrame, unit_cost, key) -> float | None:
    if unit_cost is None or not isinstance(unit_cost, str):
        return unit_cost
    costs = pd.to_numeric(group[unit_cost], errors="coerce").dropna().unique()
    if len(costs) != 1:
        raise ValueError(
            f"group {key}: column {unit_cost!r} holds {len(costs)} different unit costs "
            f"({', '.join(f'{c:g}' for c in costs[:3]) or 'none'}); group by product_id too"
        )
    return float(costs[0])


def nms_by_group(
    survey: pd.DataFrame,
    *,
    by: str | Sequence[str] = "product_id",
    unit_cost: float | str | None = None,
    min_respondents: int = MIN_RESPONDENTS,
    **options,
) -> pd.DataFrame:
    """:func:`newton_miller_smith` for each group of respondents, one row per group.

    Parameters
    ----------
    survey : DataFrame
        ``price_survey`` rows with the likelihoods and the ``by`` column(s).
    by : str or list of str
        Grouping column(s), e.g. ``["product_id", "persona"]``.
    unit_cost : float, str or None
        One cost for every group, or the name of a survey column holding each row's
        product cost (merged from ``products``; it must be constant within a group).
    **options
        Passed on to :func:`newton_miller_smith` (grid, weights, monotone, calibration).

    Returns
    -------
    DataFrame
        The ``by`` columns, ``status`` (``"ok"`` or ``"no result"``), ``unit_cost``,
        ``trial_price`` / ``trial``, ``revenue_price`` / ``revenue`` (per respondent),
        ``profit_price`` / ``profit`` (with a cost), ``respondents``, ``used``, ``reason``.
    """
    keys = [by] if isinstance(by, str) else list(by)
    absent = [
        k
        for k in [*keys, *([unit_cost] if isinstance(unit_cost, str) else [])]
        if k not in survey.columns
    ]
    if absent:
        raise ValueError(
            f"price_survey has no column {', '.join(map(repr, absent))}; merge it onto the "
            "survey first (e.g. the products' unit_cost by product_id)"
        )
    rows = []
    for key, group in survey.groupby(keys, dropna=False, sort=True):
        row = dict(zip(keys, key, strict=True))
        try:
            cost = _group_cost(group, unit_cost, key)
            res = newton_miller_smith(
                group, unit_cost=cost, min_respondents=min_respondents, **options
            )
        except ValueError as exc:
            row.update(status="no result", respondents=len(group), reason=str(exc))
        else:
            row.update(status="ok", unit_cost=cost, **_optima(res), reason="; ".join(res.warnings))
            row.update(respondents=res.counts["respondents"], used=res.counts["used"])
        rows.append(row)
    columns = [
        *keys,
        "status",
        "unit_cost",
        "trial_price",
        "trial",
        "revenue_price",
        "revenue",
        "profit_price",
        "profit",
        "respondents",
        "used",
        "reason",
    ]
    out = pd.DataFrame(rows).reindex(columns=columns)
    out[["respondents", "used"]] = out[["respondents", "used"]].astype("Int64")
    return out


def _optima(res: NMSResult) -> dict[str, float]:
    out = {}
    for objective, price in res.optimal.items():
        out[f"{objective}_price"] = price
        out[objective] = res.table.loc[price, objective] if math.isfinite(price) else math.nan
    return out


def nms_group_results(
    survey: pd.DataFrame,
    *,
    by: str | Sequence[str] = "product_id",
    unit_cost: float | str | None = None,
    min_respondents: int = MIN_RESPONDENTS,
    **options,
) -> dict[object, NMSResult]:
    """:func:`newton_miller_smith` per group, as results (with their curves) to plot.

    Groups without a result (no likelihoods, too few respondents...) are left out and logged;
    :func:`nms_by_group` lists every group with its status and reason.
    """
    keys = [by] if isinstance(by, str) else list(by)
    out = {}
    for key, group in survey.groupby(keys, dropna=False, sort=True):
        label = key[0] if len(keys) == 1 else key
        try:
            cost = _group_cost(group, unit_cost, key)
            out[label] = newton_miller_smith(
                group, unit_cost=cost, min_respondents=min_respondents, **options
            )
        except ValueError as exc:
            logger.warning("group %s: no Newton-Miller-Smith result: %s", label, exc)
    return out
