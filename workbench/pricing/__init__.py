"""From costs, survey ranges and purchase history to a price decision.

"Unit cost + my margin + the distributor's margin = selling price" only gives the **minimum**
price. Whether a product can sell depends on what customers accept; this module sets one
against the other:

- :func:`cost_plus_floor`, :func:`product_floors`: the lowest price that covers the unit
  cost and the margins (margins per product or category);
- :func:`accepted_prices`, :func:`paid_prices`, :func:`paid_vs_list`: what customers have
  actually paid (and how far under the list price), per group and category, from ``orders``;
  :func:`history_vs_survey` sets it against the survey range;
- :func:`price_verdict`, :func:`verdict_table`: is the floor under what customers accept?
  viable, squeezed, or not viable (cut costs or drop the product);
- :func:`customer_segments`: each customer's persona or segment (a segments file, personas
  discovered with :mod:`workbench.personas`, or a documented fallback);
  :func:`attach_segments`, :func:`segment_coverage`: put it on the survey and the orders,
  counting those without one; :func:`prepare_survey`, :func:`prepare_orders`,
  :func:`concept_costs`: the inputs from whatever tables a source holds (only
  ``price_survey`` is required).

The survey side (Van Westendorp ranges, Newton-Miller-Smith optima) is :mod:`workbench.pricing.psm`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from workbench.pricing import examples  # the notebook's worked example: ten Van Westendorp answers
from workbench.pricing.history import (
    POSITIONS,
    accepted_prices,
    history_vs_survey,
    paid_prices,
    paid_vs_list,
)
from workbench.pricing.inputs import UNNAMED_PRODUCT, concept_costs, prepare_orders, prepare_survey
from workbench.pricing.segments import (
    NO_SEGMENT,
    CustomerSegments,
    attach_segments,
    customer_segments,
    segment_coverage,
)
from workbench.pricing.verdict import (
    RULES,
    VERDICTS,
    PriceVerdict,
    _check_share,
    _require,
    price_verdict,
    verdict_table,
)

__all__ = [
    "examples",
    "VERDICTS",
    "RULES",
    "POSITIONS",
    "NO_SEGMENT",
    "UNNAMED_PRODUCT",
    "PriceVerdict",
    "cost_plus_floor",
    "product_floors",
    "price_verdict",
    "verdict_table",
    "accepted_prices",
    "paid_prices",
    "paid_vs_list",
    "history_vs_survey",
    "CustomerSegments",
    "customer_segments",
    "attach_segments",
    "segment_coverage",
    "prepare_survey",
    "prepare_orders",
    "concept_costs",
    "write_tables",
]

logger = logging.getLogger(__name__)

Margin = float | Mapping[str, float]


def cost_plus_floor(
    unit_cost,
    *,
    own_margin: float,
    distribution_margin: float = 0.0,
    margin_basis: Literal["cost", "price"] = "cost",
):
    """Minimum selling price that covers the unit cost, our margin and the distributor's.

    Parameters
    ----------
    unit_cost : float, array or Series
        Cost of one unit (>= 0). A Series keeps its index.
    own_margin, distribution_margin : float
        Shares, e.g. 0.3 for 30%. The distributor's margin is taken on top of our price.
    margin_basis : "cost" or "price"
        ``"cost"`` (mark-up on what each one pays):
        ``floor = unit_cost * (1 + own_margin) * (1 + distribution_margin)``.
        ``"price"`` (margin as a share of each one's selling price):
        ``floor = unit_cost / ((1 - own_margin) * (1 - distribution_margin))``;
        margins must then be below 1.

    Returns
    -------
    float, array or Series
        The floor price, in the shape of ``unit_cost``.
    """
    if margin_basis not in ("cost", "price"):
        raise ValueError(
            f"margin_basis={margin_basis!r}: use 'cost' (mark-up on cost) or "
            "'price' (share of the selling price)"
        )
    own, dist = np.asarray(own_margin, float), np.asarray(distribution_margin, float)
    for name, value in (("own_margin", own), ("distribution_margin", dist)):
        for v in np.atleast_1d(value):
            _check_share(name, float(v), below_one=margin_basis == "price")
    cost = np.asarray(unit_cost, dtype=float)
    if not np.isfinite(cost).all() or (cost < 0).any():
        raise ValueError(
            "unit_cost must be finite and >= 0; "
            f"{np.size(cost) - np.sum(np.isfinite(cost) & (cost >= 0))} value(s) "
            "are missing, infinite or negative: fill in the product costs"
        )
    if margin_basis == "cost":
        factor = (1 + own) * (1 + dist)
    else:
        factor = 1 / ((1 - own) * (1 - dist))
    if isinstance(unit_cost, pd.Series):
        return unit_cost.astype(float) * factor
    floor = cost * factor
    return float(floor) if floor.ndim == 0 else floor


def _per_product(margin: Margin, name: str, products: pd.DataFrame) -> pd.Series:
    """A margin per product row: one number, or a mapping by product_id, category or '*'."""
    if not isinstance(margin, Mapping):
        return pd.Series(float(margin), index=products.index)
    ids = products["product_id"].astype("str")
    cats = products["category"].astype("str") if "category" in products else ids.map(lambda _: "")
    unknown = sorted(set(map(str, margin)) - set(ids) - set(cats) - {"*"})
    if unknown:
        raise ValueError(
            f"{name}: {', '.join(map(repr, unknown))} is neither a product_id nor a category "
            "of the products; fix the key (or use '*' for every other product)"
        )
    values = {str(k): float(v) for k, v in margin.items()}
    out = ids.map(values).fillna(cats.map(values)).fillna(values.get("*", np.nan))
    uncovered = ids[out.isna()]
    if len(uncovered):
        raise ValueError(
            f"{name} gives no margin for {len(uncovered)} product(s) (e.g. {uncovered.iloc[0]!r}): "
            "add their product_id or category, or a '*' key for every other product"
        )
    return out.astype(float)


def product_floors(
    products: pd.DataFrame,
    *,
    own_margin: Margin,
    distribution_margin: Margin = 0.0,
    margin_basis: Literal["cost", "price"] = "cost",
    unit_costs: Mapping[str, float] | None = None,
    product_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The cost-plus floor of each product (:func:`cost_plus_floor`), with its inputs.

    Parameters
    ----------
    products : DataFrame
        The ``products`` table: ``product_id``, ``unit_cost``, optionally ``name`` and
        ``category``.
    own_margin, distribution_margin : float or mapping
        One share for every product, or ``{product_id or category: share}``; a product's id
        wins over its category; ``"*"`` covers the others.
    margin_basis : see :func:`cost_plus_floor`.
    unit_costs : mapping, optional
        ``{product_id: cost}`` replacing the table's cost (a cost-cutting scenario).
    product_ids : list, optional
        Only these products (e.g. the surveyed ones).

    Returns
    -------
    DataFrame
        ``product_id``, ``name``, ``category``, ``unit_cost``, ``own_margin``,
        ``distribution_margin``, ``floor``, ``shelf_cost`` and ``note``. ``shelf_cost`` is the
        shelf price at which we earn nothing (the cost grossed up by the distributor's
        margin): the cost to give :func:`workbench.pricing.psm.newton_miller_smith` so that its
        profit optimum is ours, net of the distributor. A product without a unit cost is
        kept with a NaN floor and a note (:func:`verdict_table` then says "no floor").
    """
    _require(products, "products", ["product_id", "unit_cost"], "load the products table")
    table = products.copy()
    table["product_id"] = table["product_id"].astype("str")
    if product_ids is not None:
        wanted = [str(p) for p in product_ids]
        absent = sorted(set(wanted) - set(table["product_id"]))
        if absent:
            raise ValueError(f"product(s) {', '.join(absent)} are not in the products table")
        table = table[table["product_id"].isin(wanted)]
    cost = pd.to_numeric(table["unit_cost"], errors="coerce").astype(float)
    if unit_costs:
        absent = sorted(set(map(str, unit_costs)) - set(table["product_id"]))
        if absent:
            raise ValueError(f"unit_costs: product(s) {', '.join(absent)} are not analysed")
        cost = (
            table["product_id"].map({str(k): float(v) for k, v in unit_costs.items()}).fillna(cost)
        )
    out = pd.DataFrame({"product_id": table["product_id"]})
    for col in ("name", "category"):
        out[col] = table[col] if col in table else pd.NA
    out["unit_cost"] = cost
    out["own_margin"] = _per_product(own_margin, "own_margin", table)
    out["distribution_margin"] = _per_product(distribution_margin, "distribution_margin", table)
    ok = cost.notna() & (cost >= 0)
    out["floor"] = np.nan
    out.loc[ok, "floor"] = cost_plus_floor(
        cost[ok].to_numpy(),
        own_margin=out.loc[ok, "own_margin"].to_numpy(),
        distribution_margin=out.loc[ok, "distribution_margin"].to_numpy(),
        margin_basis=margin_basis,
    )
    out["shelf_cost"] = np.nan
    out.loc[ok, "shelf_cost"] = cost_plus_floor(
        cost[ok].to_numpy(),
        own_margin=0.0,
        distribution_margin=out.loc[ok, "distribution_margin"].to_numpy(),
        margin_basis=margin_basis,
    )
    out["note"] = np.where(
        ok, "", "no unit_cost (missing or negative): map products.unit_cost, or give it in unit_costs"
    )
    if (~ok).any():
        logger.warning("%d product(s) without a unit cost have no floor", int((~ok).sum()))
    return out.reset_index(drop=True)


def write_tables(output_dir, **tables: pd.DataFrame) -> list:
    """Write each table as ``price_<name>.csv`` in `output_dir` (created if needed)."""
    from workbench.exports import write_tables as _write

    return _write(output_dir, prefix="price_", **tables)
