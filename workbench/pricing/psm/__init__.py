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

Answers are usually given at round prices (every 5 euros, say). Counting an answer equal to
``p`` fully moves the "cheap" curves up and the "expensive" curves left by up to half a price
step. ``ties="half"`` counts a respondent whose answer equals ``p`` for one half on every curve
(the mid-distribution function): for answers rounded to a step it removes that bias (on the
demo company it halves the error on the points of marginal cheapness; see the tests).

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

A tie is common for the optimal price point: when nobody finds a middle price too cheap or
too expensive, both curves are 0 over an interval and the OPP is its middle. ``crossings``
keeps the interval (``low``, ``high``) so that a report can say how loosely it is pinned.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Literal

import pandas as pd

from workbench.pricing.psm.answers import (
    ANSWERS,
    LIKELIHOODS,
    MIN_RESPONDENTS,
    TooFewRespondentsError,
    _log,
    _numeric,
    _prepare,
)
from workbench.pricing.psm.curves import (
    CURVES,
    DEFINITIONS,
    RANGE_DEFINITIONS,
    _curves,
    _definitions,
    _grid,
    curve_crossings,
)
from workbench.pricing.psm.meter import (
    JAPANESE_NAMES,
    POINT_LABELS,
    PSMResult,
    price_sensitivity_meter,
)
from workbench.pricing.psm.nms import (
    NMSResult,
    newton_miller_smith,
    nms_by_group,
    nms_group_results,
)

__all__ = [
    "ANSWERS",
    "CURVES",
    "LIKELIHOODS",
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
    "psm_group_results",
    "psm_by_group",
    "psm_sensitivity",
    "VARIANTS",
    "survey_overview",
    "newton_miller_smith",
    "nms_by_group",
    "nms_group_results",
]

logger = logging.getLogger(__name__)

_COUNTS = ["respondents", "used", "missing", "non_monotone", "excluded", "repaired"]


def psm_curves(
    survey: pd.DataFrame,
    *,
    grid: str | float | Sequence[float] = "observed",
    weights: str | None = None,
    cheap_rule: Literal[">=", ">"] = ">=",
    ties: Literal["count", "half"] = "count",
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
    ties : "count" or "half"
        ``"half"``: an answer equal to ``p`` counts one half on every curve (module doc).
    monotone : "flag", "exclude" or "repair"
        What to do with respondents whose answers are out of order.

    Returns
    -------
    DataFrame
        Index ``price``; columns :data:`CURVES`, shares between 0 and 1.
    """
    ans = _prepare(survey, weights=weights, monotone=monotone, min_respondents=1)
    grid_ = _grid(ans.values, grid, ans.warnings)
    curves = _curves(ans.values, ans.weights, grid_, cheap_rule, ties)
    _log(ans.warnings)
    return curves


def _each_group(
    survey: pd.DataFrame, keys: list[str], min_respondents: int, options: dict
) -> Iterator[tuple[dict, int, PSMResult | Exception]]:
    """(group values, rows, result or the ValueError explaining why there is none) per group."""
    absent = [k for k in keys if k not in survey.columns]
    if absent:
        raise ValueError(
            f"by: price_survey has no column {', '.join(map(repr, absent))}; "
            "merge the grouping column onto the survey first"
        )
    _numeric(survey, ANSWERS)  # a missing answer column is an error for all groups at once
    for key, group in survey.groupby(keys, dropna=False, sort=True):
        values = dict(zip(keys, key, strict=True))
        try:
            result = price_sensitivity_meter(group, min_respondents=min_respondents, **options)
        except ValueError as exc:  # TooFewRespondentsError included
            yield values, len(group), exc
        else:
            yield values, len(group), result


def _group_label(values: dict) -> str | tuple:
    parts = tuple("(missing)" if pd.isna(v) else v for v in values.values())
    return parts[0] if len(parts) == 1 else parts


def psm_group_results(
    survey: pd.DataFrame,
    *,
    by: str | Sequence[str] = "persona",
    min_respondents: int = MIN_RESPONDENTS,
    **options,
) -> dict[object, PSMResult]:
    """:func:`price_sensitivity_meter` per group, as results (with their curves) to plot.

    Groups without a result are left out here and logged: :func:`psm_by_group` lists every
    group with its status and reason. Keys are the group value (a tuple for several
    ``by`` columns; a missing value reads ``"(missing)"``).
    """
    keys = [by] if isinstance(by, str) else list(by)
    out = {}
    for values, rows, result in _each_group(survey, keys, min_respondents, options):
        if isinstance(result, Exception):
            logger.warning("group %s (%d rows): no result: %s", values, rows, result)
        else:
            out[_group_label(values)] = result
    return out


def psm_by_group(
    survey: pd.DataFrame,
    *,
    by: str | Sequence[str] = "persona",
    min_respondents: int = MIN_RESPONDENTS,
    total: str | None = None,
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
    total : str, optional
        Also one row over all respondents (of each value of the other ``by`` columns, e.g.
        each product), with this label in the last ``by`` column, e.g. ``"(all)"``.
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
    names = list(_definitions(options.get("definitions", "classic")))
    groups = list(_each_group(survey, keys, min_respondents, options))
    if total is not None:
        whole = survey.assign(**{keys[-1]: total})
        groups += list(_each_group(whole, keys, min_respondents, options))
    rows = []
    for values, n, result in groups:
        row = dict(values)
        if isinstance(result, TooFewRespondentsError):
            row.update(status="too few respondents", respondents=n, reason=str(result))
        elif isinstance(result, Exception):
            row.update(status="no result", respondents=n, reason=str(result))
        else:
            row.update(status="ok", **result.summary(), reason="; ".join(result.warnings))
        rows.append(row)
    columns = [*keys, "status", *names, "range_low", "range_high", *_COUNTS, "reason"]
    out = pd.DataFrame(rows).reindex(columns=columns)
    out[_COUNTS] = out[_COUNTS].astype("Int64")
    if total is not None and len(keys) > 1:
        out = out.sort_values(keys[:-1], kind="stable", ignore_index=True)
    return out


#: The documented choices of the meter, each changed alone (see :func:`psm_sensitivity`).
VARIANTS: dict[str, dict] = {
    "ties counted half": {"ties": "half"},
    "cheap counted strictly (>)": {"cheap_rule": ">"},
    "no interpolation": {"interpolation": "none"},
    "narrower range": {"range_definition": "narrower"},
    "non-monotone repaired": {"monotone": "repair"},
    "non-monotone kept": {"monotone": "flag"},
    "unweighted": {"weights": None},
}


def psm_sensitivity(
    survey: pd.DataFrame, *, variants: Mapping[str, Mapping] | None = None, **options
) -> pd.DataFrame:
    """How much the points move when one documented choice of the meter changes.

    Runs :func:`price_sensitivity_meter` with ``options`` (row ``"as set"``), then once per
    variant with that variant's options changed (default: :data:`VARIANTS`; a variant that
    would change nothing, such as "unweighted" without weights, is left out).

    Returns
    -------
    DataFrame
        One row per variant: the points, ``range_low``, ``range_high``, ``used``
        respondents and ``reason`` (the error when a variant gives no result). The columns
        are the same whether or not any variant gave a result.
    """
    variants = dict(VARIANTS if variants is None else variants)
    rows = {"as set": {}}
    for name, change in variants.items():
        if any(options.get(k, _DEFAULTS.get(k)) != v for k, v in change.items()):
            rows[name] = dict(change)
    out = []
    for name, change in rows.items():
        try:
            res = price_sensitivity_meter(survey, **{**options, **change})
        except ValueError as exc:
            out.append({"variant": name, "reason": str(exc)})
        else:
            out.append({"variant": name, **res.prices(), "used": res.counts["used"], "reason": ""})
    points = list(_definitions(options.get("definitions", "classic")))
    columns = ["variant", *points, "range_low", "range_high", "used", "reason"]
    table = pd.DataFrame(out).reindex(columns=columns).set_index("variant")
    return table.astype({"used": "Int64"})


_DEFAULTS = {
    "ties": "count",
    "cheap_rule": ">=",
    "interpolation": "linear",
    "range_definition": "original",
    "monotone": "flag",
    "weights": None,
}


def survey_overview(survey: pd.DataFrame) -> pd.DataFrame:
    """What the survey holds, per product: respondents, complete and ordered answers,
    purchase likelihoods, weights and customer ids (to link answers to segments).

    Rows without a ``product_id`` are counted under ``"(unnamed product)"``.
    """
    _numeric(survey, ANSWERS)
    product = survey["product_id"] if "product_id" in survey else pd.Series(pd.NA, survey.index)
    frame = survey.assign(_product=product.fillna("(unnamed product)").astype(str))
    rows = []
    for name, group in frame.groupby("_product", sort=True):
        values = group[list(ANSWERS)].apply(pd.to_numeric, errors="coerce")
        complete = values.notna().all(axis=1)
        decreasing = (values.diff(axis=1).iloc[:, 1:] < 0).any(axis=1) & complete
        has = {c: c in group and group[c].notna().any() for c in (*LIKELIHOODS, "weight")}
        rows.append(
            {
                "product_id": name,
                "respondents": len(group),
                "complete": int(complete.sum()),
                "non_monotone": int(decreasing.sum()),
                "with_customer_id": int(group["customer_id"].notna().sum())
                if "customer_id" in group
                else 0,
                "likelihoods": all(has[c] for c in LIKELIHOODS),
                "weights": has["weight"],
                "answers_from": float(values.min().min()),
                "answers_to": float(values.max().max()),
            }
        )
    out = pd.DataFrame(rows)
    return out.sort_values(
        ["respondents", "product_id"], ascending=[False, True], ignore_index=True
    )
