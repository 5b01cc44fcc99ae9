"""The price customers accept, read from what they have paid (``orders``).

Private to :mod:`workbench.pricing`, which re-exports :func:`accepted_prices`,
:func:`paid_prices` and :func:`history_vs_survey`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from workbench.pricing.verdict import _require

logger = logging.getLogger(__name__)

POSITIONS = ("under the range", "inside the range", "above the range")


def _keys(by) -> list[str]:
    return [] if by is None else [by] if isinstance(by, str) else list(by)


def _grouped_lines(orders: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    _require(
        orders,
        "orders",
        keys,
        "merge the grouping column onto the orders first, e.g. with "
        "workbench.pricing.attach_segments(orders, segments)",
    )
    return _price_lines(orders)


def paid_prices(
    orders: pd.DataFrame, *, by: str | Sequence[str] | None = "category"
) -> pd.DataFrame:
    """The order lines that tell a price customers accepted, one row each.

    Returns, free samples (zero price) and lines without a price are left out, as in
    :func:`accepted_prices` (which counts them). Columns: the ``by`` columns,
    ``customer_id`` (when present), ``unit_price``, ``quantity`` (when present), ``amount``.
    """
    keys = _keys(by)
    lines = _grouped_lines(orders, keys)
    kept = lines[lines["_kept"]]
    extra = [c for c in ("customer_id", "product_id") if c in kept and c not in keys]
    out = kept[[*keys, *extra]].copy()
    out["unit_price"] = kept["_unit"].astype(float)
    if "quantity" in kept:
        out["quantity"] = pd.to_numeric(kept["quantity"], errors="coerce")
    out["amount"] = kept["_amount"].astype(float)
    return out.reset_index(drop=True)


def accepted_prices(
    orders: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = "category",
    percentile: float = 0.9,
) -> pd.DataFrame:
    """What customers have paid: unit prices and baskets per group, from order lines.

    Return lines (negative quantity or amount) and lines with a zero (or negative) or
    missing unit price are ignored and counted per group. The unit price is ``unit_price``,
    or ``amount / quantity`` when that column is absent; orders with neither (amounts
    without quantities, or purchase dates only) have no line with a price. Each kept line counts once (not
    weighted by quantity). The basket is, per order (``order_id``, or customer and date when
    there is none), the sum of the kept lines' amounts in the group: for a customer-level
    group (a segment merged in by the caller) it is the order total.

    Parameters
    ----------
    orders : DataFrame
        ``orders`` rows.
    by : str, list of str or None
        Group columns, e.g. ``"category"``, ``"product_id"`` or ``["segment", "category"]``
        (a segment merged in with :func:`attach_segments`); None for one row overall.
    percentile : float
        The quantile used as the accepted ceiling (0.9: 90% paid this or less).

    Returns
    -------
    DataFrame
        One row per group: ``lines``, ``customers`` (when orders have ``customer_id``),
        ``unit_price_median``, ``unit_price_mean``, ``unit_price_ceiling``,
        ``unit_price_max`` (the most anyone paid), ``orders``, ``basket_median``,
        ``basket_mean``, ``basket_ceiling``, ``returns_ignored``, ``zero_price_ignored``,
        ``missing_price_ignored``; ``attrs["percentile"]`` records the quantile.
    """
    if not 0 < percentile <= 1:
        raise ValueError(
            f"percentile must be a share in (0, 1], e.g. 0.9 for the 90th; got {percentile!r}"
        )
    keys = _keys(by)
    lines = _grouped_lines(orders, keys)
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
        unit_price_max="max",
    )
    if "customer_id" in kept:
        unit.insert(1, "customers", kept.groupby(keys, dropna=False)["customer_id"].nunique())
    baskets = kept.groupby([*keys, "_order"], dropna=False)["_amount"].sum()
    basket = baskets.groupby(level=list(range(len(keys))), dropna=False).agg(
        orders="size",
        basket_median="median",
        basket_mean="mean",
        basket_ceiling=lambda s: s.quantile(percentile),
    )
    out = unit.join(basket).join(counts, how="outer").reset_index()
    ints = [c for c in ("lines", "customers", "orders") if c in out]
    out[ints] = out[ints].fillna(0).astype(int)
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
    lines = orders.copy()
    qty = pd.to_numeric(lines["quantity"], errors="coerce") if has_qty else None
    amount = pd.to_numeric(lines["amount"], errors="coerce") if "amount" in lines else None
    if "unit_price" in lines:
        unit = pd.to_numeric(lines["unit_price"], errors="coerce")
    elif qty is not None and amount is not None:
        unit = (amount / qty.where(qty != 0)).abs()
    else:  # amounts without quantities (or dates only): no line tells a unit price
        logger.info("orders hold no unit_price, nor amount and quantity: no line has a price")
        unit = pd.Series(np.nan, index=lines.index, dtype="float64")
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


def history_vs_survey(
    ranges: pd.DataFrame,
    accepted: pd.DataFrame,
    *,
    products: pd.DataFrame,
    by: str = "segment",
) -> pd.DataFrame:
    """Set what each group has paid in a product's category against its survey range.

    Parameters
    ----------
    ranges : DataFrame
        ``product_id``, ``by``, ``range_low``, ``range_high`` (e.g. :func:`psm_by_group`
        with ``by=["product_id", by]``); other columns are kept.
    accepted : DataFrame
        :func:`accepted_prices` with ``by=[by, "category"]``.
    products : DataFrame
        ``product_id`` and ``category``: which category a surveyed product belongs to.
    by : str
        The group column shared by ``ranges`` and ``accepted``.

    Returns
    -------
    DataFrame
        One row per surveyed product x group: the range columns, ``category``, the history
        columns of that group and category, ``accepted_ceiling`` (= ``unit_price_ceiling``,
        the column :func:`verdict_table` reads) and ``history_vs_range``: where the history
        ceiling stands against the survey range (``"under the range"``, ``"inside the
        range"``, ``"above the range"``), ``"no history"`` when the group has bought nothing
        in the category, ``"no survey range"`` when the group has no range.
    """
    _require(ranges, "ranges", ["product_id", by, "range_low", "range_high"], "see psm_by_group")
    _require(accepted, "accepted", [by, "category", "unit_price_ceiling"], "see accepted_prices")
    _require(products, "products", ["product_id", "category"], "load the products table")
    cats = products[["product_id", "category"]].drop_duplicates("product_id")
    left = ranges.drop(columns="category", errors="ignore").merge(cats, on="product_id", how="left")
    unknown = left.loc[left["category"].isna(), "product_id"].unique()
    if len(unknown):
        logger.warning(
            "history_vs_survey: product(s) %s have no category in products: no history "
            "to compare with",
            ", ".join(map(str, unknown)),
        )
    history = accepted.drop(columns=["product_id"], errors="ignore")
    out = left.merge(history, on=[by, "category"], how="left")
    out["accepted_ceiling"] = out["unit_price_ceiling"]
    out["history_vs_range"] = _position(out)
    out.attrs["percentile"] = accepted.attrs.get("percentile")
    return out


def _position(t: pd.DataFrame) -> np.ndarray:
    ceiling, low, high = t["unit_price_ceiling"], t["range_low"], t["range_high"]
    return np.select(
        [low.isna() | high.isna(), ceiling.isna(), ceiling < low, ceiling > high],
        ["no survey range", "no history", POSITIONS[0], POSITIONS[2]],
        POSITIONS[1],
    )


def paid_vs_list(
    orders: pd.DataFrame,
    products: pd.DataFrame | None,
    *,
    by: str | Sequence[str] | None = "category",
) -> pd.DataFrame:
    """How far under the list price each group buys: the discount they are used to.

    Kept lines (see :func:`paid_prices`) of products with a list price > 0; the discount of a
    line is ``1 - unit_price / list_price`` (negative when paid above the list price).

    Returns
    -------
    DataFrame
        One row per group: ``lines``, ``mean_discount``, ``median_discount``,
        ``min_discount`` (the best price paid relative to the list), ``max_discount``,
        ``share_at_list`` (lines paid at the list price or more) and ``no_list_price``
        (kept lines whose product has no list price, left out of the figures; all of them
        when ``products`` is None or has no ``list_price``).
    """
    keys = _keys(by)
    lines = paid_prices(orders, by=[*keys, *([] if "product_id" in keys else ["product_id"])])
    if products is not None and {"product_id", "list_price"} <= set(products.columns):
        lists = products[["product_id", "list_price"]].drop_duplicates("product_id")
        lines = lines.merge(lists, on="product_id", how="left")
    else:
        logger.warning("paid_vs_list: no list prices (products.list_price): nothing to compare")
        lines["list_price"] = np.nan
    listed = lines["list_price"] > 0
    lines["discount"] = 1 - lines["unit_price"] / lines["list_price"].where(listed)
    lines["_all"] = "all"
    keys = keys or ["_all"]
    out = (
        lines[listed]
        .groupby(keys, dropna=False)["discount"]
        .agg(
            lines="size",
            mean_discount="mean",
            median_discount="median",
            min_discount="min",
            max_discount="max",
            share_at_list=lambda d: float((d <= 1e-9).mean()),
        )
    )
    missing = (~listed).groupby([lines[k] for k in keys], dropna=False).sum()
    out = out.join(missing.rename("no_list_price"), how="outer").reset_index()
    out[["lines", "no_list_price"]] = out[["lines", "no_list_price"]].fillna(0).astype(int)
    return out.drop(columns="_all", errors="ignore")
