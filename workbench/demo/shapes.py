"""Degraded variants of the demo company: the shapes real exports have.

Private to :mod:`workbench.demo`. A shape takes the contract tables of a generated company
and returns them as a real export of that shape would hold them: a column missing, a table
missing, a shorter history, a master covering part of the buyers... Each shape is a small pure
function over the tables (inputs never mutated) and a one-line description; :data:`SHAPES`
lists them by name, the name that ``workbench demo-data --shape NAME`` and
``wb.load("demo:NAME")`` take.

Shapes are test data: they default to :data:`SHAPE_CUSTOMERS` customers so that every notebook
runs on every shape in seconds; ask for more with ``--customers`` or ``demo_customers``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.demo.tables import frame

__all__ = ["SHAPES", "SHAPE_CUSTOMERS", "Shape", "apply_shape", "shape_names"]

#: Default size of a shape: a few hundred customers, enough for every method, fast for tests.
SHAPE_CUSTOMERS = 400

Tables = dict[str, pd.DataFrame | None]

_FUNNEL = ("sent", "delivered", "opened", "clicked", "bounced", "undeliverable",
           "unsubscribed", "attended", "sent_at", "opened_at", "clicked_at")
_CONTACT_DATES = ("sent_at", "opened_at", "clicked_at", "responded_at")
_DEMOGRAPHICS = ("kind", "name", "gender", "birth_date", "age", "country", "city", "sector")
_DATES = {"orders": "order_date", "incidents": "date", "campaign_contacts": "sent_at"}


@dataclass(frozen=True)
class Shape:
    """A named degraded variant: what it changes, and which tables its export holds."""

    name: str
    description: str
    change: Callable[[Tables, pd.Timestamp], Tables]


def _drop_columns(table: str, columns: tuple[str, ...]) -> Callable[[Tables, pd.Timestamp], Tables]:
    def change(tables: Tables, as_of: pd.Timestamp) -> Tables:
        frame = tables[table]
        return tables | {table: frame.drop(columns=[c for c in columns if c in frame])}

    return change


def _only(*names: str) -> Callable[[Tables, pd.Timestamp], Tables]:
    def change(tables: Tables, as_of: pd.Timestamp) -> Tables:
        return {name: (frame if name in names else None) for name, frame in tables.items()}

    return change


def _without(*names: str) -> Callable[[Tables, pd.Timestamp], Tables]:
    def change(tables: Tables, as_of: pd.Timestamp) -> Tables:
        return {name: (None if name in names else frame) for name, frame in tables.items()}

    return change


def _history(months: int) -> Callable[[Tables, pd.Timestamp], Tables]:
    """Keep what happened in the last `months` months; contacts and campaigns follow."""

    def change(tables: Tables, as_of: pd.Timestamp) -> Tables:
        first = as_of - pd.DateOffset(months=months) + pd.Timedelta(days=1)
        out = dict(tables)
        for name, column in _DATES.items():
            frame = tables[name]
            out[name] = frame[frame[column].isna() | (frame[column] >= first)].reset_index(drop=True)
        campaigns = tables["campaigns"]
        out["campaigns"] = campaigns[campaigns["end_date"] >= first].reset_index(drop=True)
        contacts = out["campaign_contacts"]
        keep = contacts["campaign_id"].isin(out["campaigns"]["campaign_id"])
        out["campaign_contacts"] = contacts[keep].reset_index(drop=True)
        return out

    return change


def _no_control_groups(tables: Tables, as_of: pd.Timestamp) -> Tables:
    contacts = tables["campaign_contacts"]
    return tables | {"campaign_contacts": contacts[contacts["group"] != "control"].reset_index(drop=True)}


def _response_only(tables: Tables, as_of: pd.Timestamp) -> Tables:
    out = _only("customers", "campaigns", "campaign_contacts")(tables, as_of)
    contacts = out["campaign_contacts"]
    keep = ["campaign_id", "customer_id", "group", "responded", "responded_at"]
    return out | {"campaign_contacts": contacts[keep].copy()}


def _third_of_buyers(tables: Tables, as_of: pd.Timestamp) -> Tables:
    customers = tables["customers"]
    return tables | {"customers": customers.iloc[::3].reset_index(drop=True)}


def _everyone_repurchases(tables: Tables, as_of: pd.Timestamp) -> Tables:
    """Every buyer orders once more in the last 90 days: their last line, dated anew."""
    orders = tables["orders"]
    last = orders.sort_values(["customer_id", "order_date"]).groupby("customer_id").tail(1).copy()
    rng = np.random.default_rng(0)
    days = rng.integers(0, 90, len(last))
    last["order_date"] = as_of.normalize() - pd.to_timedelta(days, unit="D")
    number = np.arange(1, len(last) + 1)
    last["order_id"] = [f"R{n:07d}" for n in number]
    last["line_id"] = [f"RL{n:07d}" for n in number]
    return tables | {"orders": pd.concat([orders, last], ignore_index=True)}


def _no_amounts(tables: Tables, as_of: pd.Timestamp) -> Tables:
    """Purchase dates only: what ``constants: {amount: 0}`` makes of an export without amounts."""
    orders = tables["orders"].drop(columns=["quantity", "unit_price"])
    return tables | {"orders": orders.assign(amount=0.0)}


def _swapped_survey(tables: Tables, as_of: pd.Timestamp) -> Tables:
    survey = tables["price_survey"]
    swapped = survey.rename(columns={"cheap": "expensive", "expensive": "cheap"})
    return tables | {"price_survey": swapped[list(survey.columns)]}


def _survey_only(costs: bool) -> Callable[[Tables, pd.Timestamp], Tables]:
    def change(tables: Tables, as_of: pd.Timestamp) -> Tables:
        out = _only("products", "price_survey")(tables, as_of)
        survey = out["price_survey"].drop(columns=["customer_id"])
        products = out["products"] if costs else out["products"].drop(columns=["unit_cost"])
        return out | {"price_survey": survey, "products": products}

    return change


def _transactions_only(tables: Tables, as_of: pd.Timestamp) -> Tables:
    out = _only("customers", "orders")(tables, as_of)
    orders = out["orders"][["order_id", "line_id", "customer_id", "order_date", "amount"]]
    return out | {"orders": orders.copy(), "customers": out["customers"][["customer_id"]].copy()}


def _campaign_aggregates(tables: Tables, as_of: pd.Timestamp) -> Tables:
    """Per-campaign spend, impressions, clicks, conversions, revenue; no customer rows.

    The aggregates go in the contract's ``campaign_stats`` table (one row per campaign), beside
    the ``campaigns`` table they refer to.
    """
    contacts = tables["campaign_contacts"]
    targets = contacts[contacts["group"] == "target"]
    campaigns = tables["campaigns"].set_index("campaign_id")
    grouped = targets.groupby("campaign_id")
    sums = pd.DataFrame({
        "impressions": grouped["delivered"].sum().astype("int64"),
        "clicks": grouped["clicked"].sum().astype("int64"),
        "conversions": grouped["responded"].sum().astype("int64"),
        "contacts": grouped.size(),
    })
    orders = tables["orders"][["customer_id", "order_date", "amount"]]
    window = targets[["campaign_id", "customer_id", "sent_at"]].merge(orders, on="customer_id")
    delay = (window["order_date"] - window["sent_at"].dt.normalize()).dt.days
    revenue = window[(delay >= 1) & (delay <= 30)].groupby("campaign_id")["amount"].sum()
    spend = campaigns["fixed_cost"].reindex(sums.index).fillna(0) + (
        campaigns["cost_per_contact"].reindex(sums.index).fillna(0) * sums["contacts"]
    )
    aggregates = sums.drop(columns="contacts").assign(
        spend=spend.round(2), revenue=revenue.reindex(sums.index).fillna(0).round(2),
        conversions=sums["conversions"].astype("float64"),
    )
    stats = aggregates.reset_index().merge(
        campaigns[["name", "kind", "channel"]].reset_index(), on="campaign_id", how="left")
    out = _only("campaigns")(tables, as_of)
    return out | {"campaign_stats": frame("campaign_stats", stats.to_dict("list"))}


def _shapes() -> dict[str, Shape]:
    specs = [
        ("no_control_groups", "campaign contacts without any control group (targets only)",
         _no_control_groups),
        ("contacts_without_responded", "campaign contacts without the responded column",
         _drop_columns("campaign_contacts", ("responded", "responded_at"))),
        ("contacts_without_funnel", "campaign contacts without funnel steps (sent, opened, clicked...)",
         _drop_columns("campaign_contacts", _FUNNEL)),
        ("contacts_without_dates", "campaign contacts without any timestamp",
         _drop_columns("campaign_contacts", _CONTACT_DATES)),
        ("response_only", "campaigns with outcomes (responded) and no orders, no products",
         _response_only),
        ("campaign_aggregates", "campaign-level aggregates only (spend, impressions, clicks, "
         "conversions, revenue per campaign), no customer rows", _campaign_aggregates),
        ("orders_without_category", "orders without category",
         _drop_columns("orders", ("category",))),
        ("products_without_prices", "products without list price nor unit cost",
         _drop_columns("products", ("list_price", "unit_cost"))),
        ("no_products", "no products table (every other table kept)", _without("products")),
        ("partial_customer_master", "a customer master covering a third of the buyers",
         _third_of_buyers),
        ("customers_without_demographics", "customers without kind, name, gender, age, "
         "birth date, country, city, sector", _drop_columns("customers", _DEMOGRAPHICS)),
        ("transactions_only", "customer ids and order lines (id, date, amount) only",
         _transactions_only),
        ("two_years", "two years of history", _history(24)),
        ("three_months", "three months of history", _history(3)),
        ("everyone_repurchases", "every buyer orders again in the last 90 days",
         _everyone_repurchases),
        ("no_amounts", "purchase dates only: every amount is 0", _no_amounts),
        ("survey_swapped", "price survey whose middle columns (cheap, expensive) are swapped",
         _swapped_survey),
        ("survey_only", "price survey and products only (no customers, no orders)",
         _survey_only(costs=True)),
        ("survey_only_no_costs", "price survey and products without unit costs only",
         _survey_only(costs=False)),
        ("no_interactions", "no interactions table (no web visits, clicks, calls...)",
         _without("interactions")),
    ]
    return {name: Shape(name, text, change) for name, text, change in specs}


#: Every shape, by name.
SHAPES: dict[str, Shape] = _shapes()


def shape_names() -> list[str]:
    """The names of the shapes, in the order they are listed."""
    return list(SHAPES)


def apply_shape(tables: Tables, shape: str, *, as_of: str | pd.Timestamp) -> Tables:
    """The tables of a company as an export of shape `shape` holds them (absent tables dropped).

    Raises
    ------
    ValueError
        If `shape` is not a known shape (the message lists them).
    """
    if shape not in SHAPES:
        raise ValueError(f"unknown demo shape {shape!r}; shapes: {', '.join(SHAPES)}")
    changed = SHAPES[shape].change(dict(tables), pd.Timestamp(as_of))
    return {name: frame for name, frame in changed.items() if frame is not None}
