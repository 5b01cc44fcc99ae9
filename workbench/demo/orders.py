"""Orders of the demo company: seasonal baseline purchases, induced orders, lines and returns.

Private to :mod:`workbench.demo`. Baseline orders follow a thinned Poisson process whose daily
intensity is ``rate / 365.25 * month[d] * weekday[d]``, from the first purchase to the lapse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from workbench.demo.draws import BLOCK, Streams, days_between, pick
from workbench.demo.tables import frame, identifiers, take

if TYPE_CHECKING:
    from workbench.demo.world import World

CHANNELS = ("web", "app", "store", "phone", "sales_rep")
PAYMENTS = ("card", "paypal", "cash", "cheque", "transfer", "invoice")
DELIVERIES = ("home", "pickup_point", "click_and_collect", "freight")
MONTHS = (0.85, 0.85, 0.95, 1.0, 1.0, 0.95, 0.85, 0.6, 1.0, 1.05, 1.3, 1.6)
WEEKDAYS = (0.9, 0.95, 1.0, 1.05, 1.15, 1.35, 0.6)  # Monday first
RETURN_SHARE = 0.031  # probability that a sale line is returned (never induced or free lines)
FREE_SHARE = 0.002  # probability that a line of a non-induced order is a free sample
RETURN_DELAY_DAYS = (2, 20)  # a return comes this many days after the order (inclusive)


def season_profiles() -> tuple[list[float], list[float]]:
    """Month (Jan-Dec, day-weighted mean 1) and weekday (Mon-Sun, mean 1) multipliers."""
    days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    months = np.array(MONTHS) / (np.dot(MONTHS, days) / days.sum())
    weekdays = np.array(WEEKDAYS) / np.mean(WEEKDAYS)
    return [round(float(m), 6) for m in months], [round(float(w), 6) for w in weekdays]


def order_heads(w: World, st: Streams, c: dict, blk: np.ndarray, induced: np.ndarray):
    """Orders (customer, day, source) sorted by customer and day: the first purchase, the
    thinned seasonal Poisson process up to the lapse, and campaign-induced orders."""
    n = len(blk)
    span = np.minimum(c["lapse"], w.days - 1) - c["first"] + 1
    count = st.draw(blk, "poisson", c["rate"] / 365.25 * w.smax * span)
    cand = np.repeat(np.arange(n), count)
    v = st.draw(cand // BLOCK, "random", cols=2)
    day = c["first"][cand] + np.floor(v[:, 0] * span[cand]).astype("int64")
    keep = v[:, 1] * w.smax < w.season[day]
    cust = np.concatenate([np.arange(n), cand[keep], induced[:, 0]])
    day = np.concatenate([c["first"], day[keep], induced[:, 1]])
    src = np.concatenate([np.zeros(n), np.ones(keep.sum()), 2 + induced[:, 2]]).astype("int64")
    order = np.lexsort((src, day, cust))
    return cust[order], day[order], src[order]


def order_lines(w: World, st: Streams, c: dict, cust, day, src) -> dict[str, np.ndarray]:
    """Order lines (products, quantities, prices), free samples and later return lines."""
    ob, p = cust // BLOCK, c["persona"][cust]
    v = st.draw(ob, "random", cols=4)
    o = np.repeat(np.arange(len(cust)), 1 + st.draw(ob, "poisson", w.lines[p]))
    prod = pick(w.prod_cdf, p[o], st.draw(cust[o] // BLOCK, "random"))
    qty = 1.0 + st.draw(cust[o] // BLOCK, "poisson", c["mu_q"][cust[o]])
    key, inverse = np.unique(o * len(w.price) + prod, return_inverse=True)  # one line per product
    o, prod, qty = key // len(w.price), key % len(w.price), np.bincount(inverse, qty)
    x = st.draw(cust[o] // BLOCK, "random", cols=4)
    disc = w.disc[p, 0] + v[:, 3] * (w.disc[p, 1] - w.disc[p, 0])  # one discount per order
    induced = src[o] >= 2
    free = (x[:, 0] < FREE_SHARE) & ~induced
    price = np.where(free, 0.0, np.round(w.price[prod] * (1 - disc[o]), 2))
    sales = dict(order=o, day=day[o], prod=prod, price=price, qty=qty)
    line = _with_returns(w, c, cust, sales, x, returnable=~induced & ~free)
    line["head"] = dict(
        channel=pick(w.channel_cdf, p, v[:, 0]),
        payment=pick(w.payment_cdf, p, v[:, 1]),
        delivery=pick(w.delivery_cdf, p, v[:, 2]),
    )
    return line


def _with_returns(w: World, c: dict, cust, sales: dict, x, *, returnable) -> dict:
    """Sale lines and their return lines (negative quantity, dated before the lapse), sorted by
    customer, day and order, returns after the sales of the same order and day."""
    o, qty = sales["order"], sales["qty"]
    ret_day = sales["day"] + days_between(x[:, 2], *RETURN_DELAY_DAYS)
    last = np.minimum(c["lapse"][cust[o]], w.days - 1)
    r = np.flatnonzero((x[:, 1] < RETURN_SHARE) & returnable & (ret_day <= last))
    line = dict(
        order=np.concatenate([o, o[r]]),
        day=np.concatenate([sales["day"], ret_day[r]]),
        prod=np.concatenate([sales["prod"], sales["prod"][r]]),
        price=np.concatenate([sales["price"], sales["price"][r]]),
        qty=np.concatenate([qty, -(1 + np.floor(x[r, 3] * qty[r]))]),
        is_return=np.concatenate([np.zeros(len(o), bool), np.ones(len(r), bool)]),
    )
    line["cust"] = cust[line["order"]]
    pos = np.arange(len(line["order"]))
    sort = np.lexsort((pos, line["is_return"], line["order"], line["day"], line["cust"]))
    return {k: a[sort] for k, a in line.items()}


def order_table(w: World, ids: pa.Array, heads, line: dict) -> pd.DataFrame:
    """The ``orders`` rows of a chunk, one per line, numbered after the previous chunks'."""
    cust, _, _ = heads
    order_no = w.number("order", len(cust))[line["order"]]
    line_no = w.number("line", len(line["order"]))
    h, o = line["head"], line["order"]
    store = h["channel"] == CHANNELS.index("store")
    cash = h["payment"] == PAYMENTS.index("cash")
    payment = np.where(cash & ~store, PAYMENTS.index("card"), h["payment"])
    delivery = np.where(store, len(DELIVERIES), h["delivery"])
    return frame(
        "orders",
        dict(
            order_id=identifiers("O", order_no, 7),
            line_id=identifiers("L", line_no, 8),
            customer_id=ids.take(line["cust"]),
            order_date=w.dates(line["day"]),
            amount=np.round(line["qty"] * line["price"], 2),
            quantity=line["qty"],
            unit_price=line["price"],
            product_id=take(w.product_ids, line["prod"]),
            category=take(w.product_cats, line["prod"]),
            channel=take(CHANNELS, h["channel"][o]),
            payment_method=take(PAYMENTS, payment[o]),
            delivery_mode=take((*DELIVERIES, "store"), delivery[o]),
        ),
    )
