"""The demo company's catalogue: products, their prices and costs, and what each persona buys.

Private to :mod:`workbench.demo`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from workbench.demo.draws import cdf
from workbench.demo.personas import NAMES, PERSONAS
from workbench.demo.survey import CONCEPTS
from workbench.demo.tables import frame

if TYPE_CHECKING:
    from workbench.demo.world import World

#: (name, category, list price); unit costs are drawn at 35-65 % of the price.
PRODUCTS = (
    ("USB-C cable", "electronics", 12),
    ("Phone case", "electronics", 15),
    ("Power bank", "electronics", 25),
    ("Wireless earbuds", "electronics", 39),
    ("Bluetooth speaker", "electronics", 59),
    ("Smartwatch", "electronics", 149),
    ("Organic T-shirt", "fashion", 15),
    ("Cap", "fashion", 19),
    ("Hoodie", "fashion", 39),
    ("Jeans", "fashion", 49),
    ("Sneakers", "fashion", 79),
    ("Storage boxes", "household", 19),
    ("Bath towels", "household", 25),
    ("Bed linen set", "household", 59),
    ("Cookware set", "household", 89),
    ("Vacuum cleaner", "household", 169),
    ("Olive oil 1 L", "food", 12),
    ("Chocolate box", "food", 14),
    ("Coffee beans 1 kg", "food", 18),
    ("Tea selection", "food", 22),
    ("Gourmet hamper", "food", 59),
    ("Plush toy", "kids", 15),
    ("Children's books set", "kids", 25),
    ("Board game", "kids", 32),
    ("Building blocks", "kids", 39),
    ("Kick scooter", "kids", 69),
    ("Fine wine case", "premium", 150),
    ("Crystal glasses set", "premium", 165),
    ("Cashmere scarf", "premium", 185),
    ("Champagne case", "premium", 240),
    ("Designer lamp", "premium", 320),
    ("Office supplies kit", "office", 22),
    ("Printer paper box", "office", 32),
    ("LED desk lamp", "office", 45),
    ("Toner cartridge", "office", 79),
    ("Ergonomic chair", "office", 289),
    ("Plant pots set", "garden", 24),
    ("Garden hose", "garden", 35),
    ("Tool kit", "garden", 59),
    ("Cordless drill", "garden", 99),
    ("Barbecue", "garden", 199),
)
CATEGORIES = tuple(dict.fromkeys(c for _, c, _ in PRODUCTS))
UNIT_COST_SHARE = (0.35, 0.65)  # range of the uniform draw of unit cost / list price


def catalogue(w: World) -> dict[str, Any]:
    """The ``products`` table and the arrays the chunks draw from, by :class:`World` attribute.

    Unit costs come from the world's own stream. A persona picks a category by its
    ``categories`` mix, then a product within it with weight ``price ** -elasticity``;
    ``unit_revenue`` and ``unit_margin`` are the persona's mean unit price (after its mean
    discount) and margin.
    """
    names, cats, price = zip(*PRODUCTS, strict=True)
    price = np.array(price, float)
    cost = np.round(price * w.rng.uniform(*UNIT_COST_SHARE, len(price)), 2)
    cat = np.array([CATEGORIES.index(c) for c in cats])
    weights = []
    for name, el in zip(NAMES, w.elasticity, strict=True):
        cat_w = np.array([PERSONAS[name]["categories"].get(c, 0.0) for c in CATEGORIES])
        within = price**-el
        within /= np.bincount(cat, within)[cat]
        weights.append(cat_w[cat] * within)
    prod_p = np.array(weights) / np.sum(weights, axis=1, keepdims=True)
    mean_price = prod_p @ price * (1 - w.disc.mean(axis=1))
    ids = [f"P{i:03d}" for i in range(1, len(names) + 1)]
    concepts = list(CONCEPTS.items())
    products = frame(
        "products",
        {
            "product_id": ids + [k for k, _ in concepts],
            "name": list(names) + [c["name"] for _, c in concepts],
            "category": list(cats) + [c["category"] for _, c in concepts],
            "unit_cost": np.concatenate([cost, [c["unit_cost"] for _, c in concepts]]),
            "list_price": np.concatenate([price, np.full(len(concepts), np.nan)]),
        },
    )
    return dict(
        price=price,
        prod_cdf=cdf(prod_p),
        unit_revenue=mean_price,
        unit_margin=mean_price - prod_p @ cost,
        products=products,
        product_ids=pa.array(ids),
        product_cats=pa.array(cats),
    )
