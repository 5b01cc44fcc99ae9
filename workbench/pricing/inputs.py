"""The inputs of a price-acceptability analysis, from whatever tables a source holds.

Private to :mod:`workbench.pricing`. Only ``price_survey`` is required: without ``products``
the costs come from a parameter (or the verdict says "no floor"), without ``orders`` the
purchase-history part is empty and says so. Nothing is dropped: rows without a product or a
segment are labelled and counted.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import pandas as pd

from workbench.pricing.segments import NO_SEGMENT, CustomerSegments, attach_segments

logger = logging.getLogger(__name__)

UNNAMED_PRODUCT = "(unnamed product)"
_ORDER_COLUMNS = [
    "order_id",
    "customer_id",
    "order_date",
    "amount",
    "quantity",
    "unit_price",
    "product_id",
    "category",
]


def _segment_labels(segments) -> pd.DataFrame | None:
    if segments is None:
        return None
    labels = segments.labels if isinstance(segments, CustomerSegments) else segments
    return None if len(labels) == 0 else labels


def _with_segments(frame: pd.DataFrame, segments, name: str, what: str) -> pd.DataFrame:
    labels = _segment_labels(segments)
    if labels is None or "customer_id" not in frame or frame["customer_id"].isna().all():
        if labels is not None:
            logger.warning("%s has no customer ids: every row is %r", what, NO_SEGMENT)
        return frame.assign(**{name: NO_SEGMENT})
    return attach_segments(frame, labels, name=name)


def prepare_survey(survey: pd.DataFrame, segments=None, *, name: str = "segment") -> pd.DataFrame:
    """The ``price_survey`` rows ready for per-product, per-segment analysis.

    A missing ``product_id`` (the column or a value) becomes :data:`UNNAMED_PRODUCT` (one
    survey about one product); each row gets its respondent's segment in column `name`
    (:func:`attach_segments`; :data:`NO_SEGMENT` when the survey has no customer ids or no
    segments are given). The input is not modified.
    """
    out = survey.copy()
    if "product_id" not in out:
        out["product_id"] = UNNAMED_PRODUCT
    unnamed = out["product_id"].isna()
    if unnamed.any():
        logger.warning("%d survey row(s) name no product: %r", int(unnamed.sum()), UNNAMED_PRODUCT)
        out["product_id"] = out["product_id"].fillna(UNNAMED_PRODUCT)
    return _with_segments(out, segments, name, "price_survey")


def prepare_orders(crm, segments=None, *, name: str = "segment") -> pd.DataFrame:
    """The ``orders`` lines with each customer's segment, and the product's category where the
    line has none (from ``products``). An empty frame with the contract's columns when the
    source has no orders: the purchase-history tables and charts are then empty."""
    if "orders" not in crm.tables:
        logger.warning("no orders table: the prices customers paid cannot be shown")
        return pd.DataFrame(columns=[*_ORDER_COLUMNS, name])
    orders = crm["orders"]
    products = crm.tables.get("products")
    if products is not None and "product_id" in orders and "category" in products:
        cats = products.set_index("product_id")["category"]
        from_products = orders["product_id"].map(cats)
        orders = orders.assign(
            category=orders["category"].fillna(from_products)
            if "category" in orders
            else from_products
        )
    return _with_segments(orders, segments, name, "orders")


def _parse_costs(unit_costs) -> dict[str, float]:
    if isinstance(unit_costs, Mapping):
        return {str(k): float(v) for k, v in unit_costs.items()}
    out = {}
    for part in filter(None, (p.strip() for p in str(unit_costs or "").split(","))):
        key, sep, value = part.rpartition(":")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not key.strip():
            raise ValueError(
                f"unit_costs: {part!r} is not 'product_id: cost'; write e.g. "
                "'NEW-PREMIUM: 95, NEW-BASIC: 11.5'"
            ) from None
    return out


def concept_costs(crm, survey: pd.DataFrame, *, unit_costs: str | Mapping = "") -> pd.DataFrame:
    """The surveyed products with their unit cost: from ``products`` when the source has it,
    replaced by ``unit_costs`` (``"ID: cost, ID: cost"`` or a mapping) where given. A surveyed
    product with no known cost keeps a NaN cost (its verdict will be "no floor")."""
    surveyed = pd.Index(survey["product_id"].dropna().astype(str).unique(), name="product_id")
    costs = _parse_costs(unit_costs)
    unknown = sorted(set(costs) - set(surveyed))
    if unknown:
        raise ValueError(
            f"unit_costs names product(s) {', '.join(unknown)} that nobody was surveyed about "
            f"(surveyed: {', '.join(surveyed)})"
        )
    table = pd.DataFrame({"product_id": surveyed})
    products = crm.tables.get("products")
    if products is not None:
        keep = [
            c
            for c in ("product_id", "name", "category", "unit_cost", "list_price")
            if c in products
        ]
        table = table.merge(
            products[keep].astype({"product_id": "str"}), on="product_id", how="left"
        )
    for col in ("name", "category", "unit_cost", "list_price"):
        if col not in table:
            table[col] = float("nan") if col in ("unit_cost", "list_price") else pd.NA
    table["unit_cost"] = table["product_id"].map(costs).fillna(table["unit_cost"]).astype(float)
    table["cost_source"] = [
        "parameter" if p in costs else "products" if pd.notna(c) else "none"
        for p, c in zip(table["product_id"], table["unit_cost"], strict=True)
    ]
    return table
