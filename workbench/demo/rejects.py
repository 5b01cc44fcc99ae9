"""Rows the demo company plants for the loader to reject: two of each kind of problem.

Private to :mod:`workbench.demo`. Real exports always hold a few bad rows; the data-quality
lesson (notebook 00) needs some to show. Each planted row breaks exactly one rule of the
contract and is *added* to the company (a copy of one of its first rows with one value
spoiled, under a new key), so the accepted tables, and every planted truth computed from them,
are the same as without them. The rows depend on the first rows of the first chunk and on
``as_of`` only, so :func:`workbench.demo.generate` and :func:`workbench.demo.write` plant the
same ones. Typed tables cannot hold an unreadable value: that kind is shown by the lesson's
worked example (:mod:`workbench.data.examples`) instead.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["planted_rejects", "REJECT_KINDS"]

#: The kinds of problem planted (as the loader's ``rule`` names them), two rows each.
REJECT_KINDS = ("empty", "out of range", "not an allowed value", "after as_of", "duplicate key",
                "unknown reference", "dates out of order")


def _copy(frame: pd.DataFrame, i: int, **values) -> pd.DataFrame:
    row = frame.iloc[[i]].copy()
    for column, value in values.items():
        row[column] = pd.Series([value], index=row.index).astype(frame[column].dtype)
    return row


def planted_rejects(tables: dict[str, pd.DataFrame], *, as_of) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The rows to add to each table, and their list (``table, key, column, rule, why``).

    `tables` needs ``customers``, ``orders``, ``incidents`` and ``campaign_contacts`` (their
    first rows are copied); a table absent or empty plants nothing.
    """
    later = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=15)
    rows: dict[str, list[pd.DataFrame]] = {}
    listing: list[dict] = []

    def plant(table, frame, key, column, rule, why):
        rows.setdefault(table, []).append(frame)
        listing.append({"table": table, "key": key, "column": column, "rule": rule, "why": why})

    orders, customers = tables.get("orders"), tables.get("customers")
    if orders is not None and len(orders) >= 2:
        for n in (1, 2):
            bad = f"LBAD{n:04d}"
            plant("orders", _copy(orders, 0, line_id=f"{bad}E", customer_id=None), f"{bad}E",
                  "customer_id", "empty", "an order line without its customer")
            plant("orders", _copy(orders, 0, line_id=f"{bad}A", order_date=later + pd.Timedelta(days=n)),
                  f"{bad}A", "order_date", "after as_of", "an order dated after the export")
            plant("orders", _copy(orders, n - 1), str(orders["line_id"].iat[n - 1]), "line_id",
                  "duplicate key", "an order line exported twice")
        plant("orders", _copy(orders, 0, line_id="LBAD0001R", unit_price=-abs(float(orders["unit_price"].iat[0]))),
              "LBAD0001R", "unit_price", "out of range", "a negative unit price")
        plant("orders", _copy(orders, 0, line_id="LBAD0001P", product_id="P-UNKNOWN"), "LBAD0001P",
              "product_id", "unknown reference", "a product the catalogue does not hold")
    if customers is not None and len(customers):
        for n in (1, 2):
            cid = f"CBAD{n:03d}"
            first = customers["first_contact_date"].iat[0]
            plant("customers", _copy(customers, 0, customer_id=f"{cid}G", gender="Z"), f"{cid}G",
                  "gender", "not an allowed value", "a gender code outside F, M, X")
            plant("customers", _copy(customers, 0, customer_id=f"{cid}D",
                                     signature_date=first - pd.Timedelta(days=30 * n)),
                  f"{cid}D", "signature_date", "dates out of order", "signed before the first contact")
    incidents = tables.get("incidents")
    if incidents is not None and len(incidents):
        plant("incidents", _copy(incidents, 0, incident_id="IBAD0001", severity=9), "IBAD0001",
              "severity", "out of range", "a severity above 5")
    contacts = tables.get("campaign_contacts")
    if contacts is not None and len(contacts):
        plant("campaign_contacts", _copy(contacts, 0, campaign_id="CAMP-UNKNOWN"),
              f"CAMP-UNKNOWN, {contacts['customer_id'].iat[0]}", "campaign_id", "unknown reference",
              "a contact of a campaign the campaigns table does not hold")
    added = {name: pd.concat(parts, ignore_index=True) for name, parts in rows.items()}
    return added, pd.DataFrame(listing, columns=["table", "key", "column", "rule", "why"])
