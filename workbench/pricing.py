"""From costs, survey ranges and purchase history to a price decision.

- :func:`cost_plus_floor`: the lowest price that covers the unit cost and the margins.
- :func:`price_verdict` / :func:`verdict_table`: is that floor under what customers accept?
- :func:`accepted_prices`: what customers have actually paid, per group, from ``orders``.

The survey side (Van Westendorp ranges, Newton-Miller-Smith optima) is :mod:`workbench.psm`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import pandas as pd

__all__ = [
    "VERDICTS",
    "PriceVerdict",
    "cost_plus_floor",
    "price_verdict",
    "verdict_table",
    "accepted_prices",
]

logger = logging.getLogger(__name__)

VERDICTS = ("viable", "squeezed", "not viable")


def _check_share(name: str, value: float, *, below_one: bool) -> None:
    if not (math.isfinite(value) and value >= 0) or (below_one and value >= 1):
        limit = "between 0 and 1 (excluded)" if below_one else ">= 0"
        raise ValueError(f"{name} must be a share {limit}, e.g. 0.3 for 30%; got {value!r}")


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
    for name, value in (("own_margin", own_margin), ("distribution_margin", distribution_margin)):
        _check_share(name, value, below_one=margin_basis == "price")
    cost = np.asarray(unit_cost, dtype=float)
    if not np.isfinite(cost).all() or (cost < 0).any():
        raise ValueError(
            "unit_cost must be finite and >= 0; "
            f"{np.size(cost) - np.sum(np.isfinite(cost) & (cost >= 0))} value(s) "
            "are missing, infinite or negative: fill in the product costs"
        )
    if margin_basis == "cost":
        factor = (1 + own_margin) * (1 + distribution_margin)
    else:
        factor = 1 / ((1 - own_margin) * (1 - distribution_margin))
    if isinstance(unit_cost, pd.Series):
        return unit_cost.astype(float) * factor
    floor = cost * factor
    return float(floor) if floor.ndim == 0 else floor


@dataclass(frozen=True)
class PriceVerdict:
    """The verdict of :func:`price_verdict`; ``to_dict()`` gives a table row."""

    verdict: str
    floor: float
    acceptable_low: float
    acceptable_high: float
    ceiling: float
    ceiling_source: str
    headroom: float
    headroom_pct: float
    recommended_price: float
    recommended_basis: str
    margin_over_floor: float
    unit_margin: float
    margin_pct: float
    message: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _recommend(floor, low, ceiling, target) -> tuple[float, str]:
    """The target clipped to [max(floor, low), ceiling], and which bound (if any) decided."""
    lower = max(floor, low)
    if target is None or not math.isfinite(target):
        return lower, "floor" if floor >= low else "acceptable_low"
    if target > ceiling:
        return ceiling, "ceiling"
    if target < lower:
        return lower, "floor" if floor >= low else "acceptable_low"
    return float(target), "target"


def _verdict_message(verdict, floor, ceiling, headroom, pct, squeeze_margin) -> str:
    if verdict == "not viable":
        cut = floor - ceiling
        return (
            f"floor {floor:,.2f} is above the ceiling {ceiling:,.2f} customers accept: "
            f"cut costs or margins by at least {cut:,.2f} ({cut / floor:.0%} of the floor), "
            "or drop the product"
        )
    if verdict == "squeezed":
        return (
            f"floor {floor:,.2f} is only {headroom:,.2f} ({pct:.0%}) under the ceiling "
            f"{ceiling:,.2f}, less than the {squeeze_margin:.0%} squeeze margin: little "
            "room for discounts or cost rises"
        )
    return f"floor {floor:,.2f} leaves {headroom:,.2f} ({pct:.0%}) under the ceiling {ceiling:,.2f}"


def price_verdict(
    floor: float,
    *,
    acceptable_low: float,
    acceptable_high: float,
    accepted_ceiling: float | None = None,
    target: float | None = None,
    unit_cost: float | None = None,
    squeeze_margin: float = 0.1,
) -> PriceVerdict:
    """Is a cost-plus floor under the price customers accept?

    The ceiling is ``acceptable_high`` (e.g. the survey's PME), or the lower of it and
    ``accepted_ceiling`` (e.g. the 90th percentile of prices paid, :func:`accepted_prices`)
    when that is given. Headroom = ceiling - floor; headroom % = headroom / ceiling.

    - ``"viable"``: floor <= ceiling and headroom >= ``squeeze_margin`` x ceiling;
    - ``"squeezed"``: floor <= ceiling but the headroom is smaller;
    - ``"not viable"``: floor > ceiling: cut costs or margins, or drop the product.

    The recommended price (not for "not viable") is ``target`` (e.g. the OPP, the ideal
    price or an NMS optimum) clipped to [max(floor, acceptable_low), ceiling]; without a
    target, max(floor, acceptable_low). ``recommended_basis`` says which applied.

    Parameters
    ----------
    floor : float
        Minimum price from :func:`cost_plus_floor`.
    acceptable_low, acceptable_high : float
        The acceptable range (``PSMResult.acceptable_range``).
    accepted_ceiling, target, unit_cost : float, optional
        ``unit_cost`` adds the unit margin and margin % (on price) at the recommended price.
    squeeze_margin : float
        Share of the ceiling below which the headroom counts as squeezed.

    Returns
    -------
    PriceVerdict
    """
    for name, value in (
        ("floor", floor),
        ("acceptable_low", acceptable_low),
        ("acceptable_high", acceptable_high),
    ):
        if value is None or not math.isfinite(value) or value < 0:
            raise ValueError(
                f"{name} must be a finite price >= 0, got {value!r}: a missing "
                "survey range or cost cannot be judged"
            )
    if acceptable_low > acceptable_high:
        raise ValueError(
            f"acceptable_low {acceptable_low:g} is above acceptable_high "
            f"{acceptable_high:g}: pass the range ends in order"
        )
    _check_share("squeeze_margin", squeeze_margin, below_one=True)
    ceiling, source = acceptable_high, "survey"
    if (
        accepted_ceiling is not None
        and math.isfinite(accepted_ceiling)
        and accepted_ceiling < acceptable_high
    ):
        ceiling, source = float(accepted_ceiling), "purchase history"
    headroom = ceiling - floor
    pct = headroom / ceiling if ceiling > 0 else math.nan
    if floor > ceiling:
        verdict, price, basis = "not viable", math.nan, "none"
    else:
        verdict = "viable" if headroom >= squeeze_margin * ceiling else "squeezed"
        price, basis = _recommend(floor, acceptable_low, ceiling, target)
    unit_margin = price - unit_cost if unit_cost is not None else math.nan
    return PriceVerdict(
        verdict=verdict,
        floor=floor,
        acceptable_low=acceptable_low,
        acceptable_high=acceptable_high,
        ceiling=ceiling,
        ceiling_source=source,
        headroom=headroom,
        headroom_pct=pct,
        recommended_price=price,
        recommended_basis=basis,
        margin_over_floor=price - floor,
        unit_margin=unit_margin,
        margin_pct=unit_margin / price if price > 0 else math.nan,
        message=_verdict_message(verdict, floor, ceiling, headroom, pct, squeeze_margin),
    )


def _require(frame: pd.DataFrame, name: str, columns: Sequence[str], hint: str) -> None:
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise ValueError(f"{name} has no column {', '.join(map(repr, absent))}; {hint}")


def verdict_table(
    floors: pd.DataFrame,
    ranges: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    target: str | None = None,
    squeeze_margin: float = 0.1,
) -> pd.DataFrame:
    """:func:`price_verdict` for every product x group.

    Parameters
    ----------
    floors : DataFrame
        ``product_id``, ``floor`` and optionally ``unit_cost``; one row per product.
    ranges : DataFrame
        ``product_id``, ``range_low``, ``range_high``, the ``by`` columns and optionally
        ``accepted_ceiling`` and the ``target`` column: e.g. :func:`workbench.psm.psm_by_group`
        run with ``by=["product_id", "persona"]``.
    by : str or list of str, optional
        Group columns of ``ranges`` (e.g. ``"persona"``).
    target : str, optional
        Column of ``ranges`` holding the preferred price (e.g. ``"opp"`` or ``"ideal"``).
    squeeze_margin : float
        See :func:`price_verdict`.

    Returns
    -------
    DataFrame
        One row per product x group, with the :class:`PriceVerdict` fields. A product with no
        range (or a NaN one: a group without a result) gets verdict ``"no range"``; a range
        whose product has no floor gets ``"no floor"``; nothing is dropped.
    """
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    _require(floors, "floors", ["product_id", "floor"], "compute it with cost_plus_floor")
    _require(
        ranges,
        "ranges",
        ["product_id", "range_low", "range_high", *keys, *([target] if target else [])],
        "see psm_by_group",
    )
    if floors["product_id"].duplicated().any():
        dup = floors.loc[floors["product_id"].duplicated(), "product_id"].iloc[0]
        raise ValueError(f"floors lists product {dup!r} more than once: one floor per product")
    cols = ["product_id", *keys, "range_low", "range_high"]
    cols += [c for c in ("accepted_ceiling", target) if c and c in ranges.columns]
    both = ranges[list(dict.fromkeys(cols))].merge(
        floors, on="product_id", how="outer", indicator=True
    )
    rows = [_verdict_row(row, target, squeeze_margin) for row in both.to_dict("records")]
    out = pd.DataFrame(rows)
    return out.drop(columns="_merge").sort_values(["product_id", *keys], ignore_index=True)


def _verdict_row(row: dict, target: str | None, squeeze_margin: float) -> dict:
    def num(name):
        value = row.get(name)
        return None if value is None or pd.isna(value) else float(value)

    if row["_merge"] == "right_only" or num("range_low") is None or num("range_high") is None:
        return {
            **row,
            "verdict": "no range",
            "message": "no acceptable range for this product "
            "and group (no survey answers, or too few: see psm_by_group's reason)",
        }
    if num("floor") is None:
        return {**row, "verdict": "no floor", "message": "no cost-plus floor for this product"}
    v = price_verdict(
        num("floor"),
        acceptable_low=num("range_low"),
        acceptable_high=num("range_high"),
        accepted_ceiling=num("accepted_ceiling"),
        target=num(target) if target else None,
        unit_cost=num("unit_cost"),
        squeeze_margin=squeeze_margin,
    ).to_dict()
    for k in ("floor", "acceptable_low", "acceptable_high"):
        v.pop(k)
    return {**row, **v}


def accepted_prices(
    orders: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = "category",
    percentile: float = 0.9,
) -> pd.DataFrame:
    """What customers have paid: unit prices and baskets per group, from order lines.

    Return lines (negative quantity or amount) and lines with a zero (or negative) or
    missing unit price are ignored and counted per group. The unit price is ``unit_price``,
    or ``amount / quantity`` when that column is absent. Each kept line counts once (not
    weighted by quantity). The basket is, per order (``order_id``, or customer and date when
    there is none), the sum of the kept lines' amounts in the group: for a customer-level
    group (a segment merged in by the caller) it is the order total.

    Parameters
    ----------
    orders : DataFrame
        ``orders`` rows.
    by : str, list of str or None
        Group columns, e.g. ``"category"``, ``"product_id"`` or a segment column merged in
        by the caller; None for one row overall.
    percentile : float
        The quantile used as the accepted ceiling (0.9: 90% paid this or less).

    Returns
    -------
    DataFrame
        One row per group: ``lines``, ``unit_price_median``, ``unit_price_mean``,
        ``unit_price_ceiling``, ``orders``, ``basket_median``, ``basket_mean``,
        ``basket_ceiling``, ``returns_ignored``, ``zero_price_ignored``,
        ``missing_price_ignored``; ``attrs["percentile"]`` records the quantile.
    """
    if not 0 < percentile <= 1:
        raise ValueError(
            f"percentile must be a share in (0, 1], e.g. 0.9 for the 90th; got {percentile!r}"
        )
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    _require(
        orders,
        "orders",
        keys,
        "merge the grouping column onto the orders first, e.g. "
        "orders.merge(customers[['customer_id', 'segment']], on='customer_id')",
    )
    lines = _price_lines(orders)
    lines["_all"] = "all"
    keys = keys or ["_all"]
    kept = lines[lines["_kept"]]
    counts = lines.groupby(keys, dropna=False)[["_return", "_zero", "_missing"]].sum()
    counts.columns = ["returns_ignored", "zero_price_ignored", "missing_price_ignored"]
    unit = kept.groupby(keys, dropna=False)["_unit"].agg(
        lines="size",
        unit_price_median="median",
        unit_price_mean="mean",
        unit_price_ceiling=lambda s: s.quantile(percentile),
    )
    baskets = kept.groupby([*keys, "_order"], dropna=False)["_amount"].sum()
    basket = baskets.groupby(level=list(range(len(keys))), dropna=False).agg(
        orders="size",
        basket_median="median",
        basket_mean="mean",
        basket_ceiling=lambda s: s.quantile(percentile),
    )
    out = unit.join(basket).join(counts, how="outer").reset_index()
    out[["lines", "orders"]] = out[["lines", "orders"]].fillna(0).astype(int)
    out = out.drop(columns="_all", errors="ignore")
    out.attrs["percentile"] = percentile
    ignored = counts.sum()
    logger.info(
        "accepted_prices: ignored %d return, %d zero-price and %d missing-price lines",
        *ignored.astype(int),
    )
    return out


def _price_lines(orders: pd.DataFrame) -> pd.DataFrame:
    """Order lines with _unit, _amount, _order and the _return/_zero/_missing/_kept flags."""
    has_qty = "quantity" in orders.columns
    if "unit_price" not in orders.columns and not (has_qty and "amount" in orders.columns):
        raise ValueError("orders need unit_price, or amount and quantity to derive it")
    lines = orders.copy()
    qty = pd.to_numeric(lines["quantity"], errors="coerce") if has_qty else None
    amount = pd.to_numeric(lines["amount"], errors="coerce") if "amount" in lines else None
    if "unit_price" in lines:
        unit = pd.to_numeric(lines["unit_price"], errors="coerce")
    else:
        unit = (amount / qty.where(qty != 0)).abs()
    if amount is None:
        amount = unit * (qty if qty is not None else 1)
    ret = (qty < 0 if qty is not None else False) | (amount < 0)
    lines["_unit"], lines["_amount"], lines["_return"] = unit, amount, ret.fillna(False)
    lines["_missing"] = ~lines["_return"] & unit.isna()
    lines["_zero"] = ~lines["_return"] & (unit <= 0)
    lines["_kept"] = ~(lines["_return"] | lines["_missing"] | lines["_zero"])
    if "order_id" in lines:
        lines["_order"] = lines["order_id"].astype(str)
    else:
        _require(lines, "orders", ["customer_id", "order_date"], "or give an order_id")
        lines["_order"] = lines["customer_id"].astype(str) + "|" + lines["order_date"].astype(str)
    return lines
