"""Worked example of persona reading (notebook 01): the CRM article's five-customer table.

The article starts persona work from a plain customer table, before any clustering: five
customers, where they live, their gender and age, how often they buy, what they spend per
purchase and in all. Read as the article reads it, the table already says who most customers
are (three in five live in France) and how groups differ (the two Belgian customers spend
about four times as much per purchase but buy four times less often). The same functions read
a whole customer base in the notebook.
"""

from __future__ import annotations

import pandas as pd

from workbench.personas.cards import describe_base
from workbench.personas.drill import drilldown, drilldown_findings
from workbench.personas.features import PersonaFeatures

__all__ = ["five_customers", "five_customer_features", "five_customer_reading"]


def five_customers() -> pd.DataFrame:
    """The article's five customers: country, gender, age, purchases per year, basket, revenue."""
    return pd.DataFrame({
        "customer_id": ["C1", "C2", "C3", "C4", "C5"],
        "country": ["France", "France", "France", "Belgium", "Belgium"],
        "gender": ["F", "F", "M", "M", "F"],
        "age": [34, 41, 29, 52, 47],
        "orders_per_year": [6.0, 4.0, 8.0, 1.0, 2.0],
        "basket": [40.0, 55.0, 25.0, 180.0, 150.0],
        "monetary": [480.0, 440.0, 400.0, 360.0, 600.0],
    })


def five_customer_features() -> PersonaFeatures:
    """The five customers as persona descriptors (every column but the id is a descriptor)."""
    return PersonaFeatures.from_frame(five_customers())


def five_customer_reading(*, by: str = "country", currency: str = "EUR") -> dict:
    """The article's reading of the table.

    Returns
    -------
    dict with ``base`` (sentences on what most customers share), ``table`` (customers, shares
    of customers and revenue and averages per value of `by`) and ``findings`` (sentences on
    how each group differs from the others).
    """
    features = five_customer_features()
    return {"base": describe_base(features, currency=currency),
            "table": drilldown(features, by=by),
            "findings": drilldown_findings(features, by=by, currency=currency)}
