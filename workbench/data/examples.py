"""Worked example of the data-quality lesson (notebook 00): nine order lines, six planted problems.

Each planted line breaks one rule of the contract, so the lesson can show every kind of reject
on a table small enough to check by eye: an unreadable amount, a date after the analysis date,
an empty customer, a negative unit price, a repeated line id and a customer the customer master
does not hold. The lines are checked by the same code that loads a real export
(:func:`workbench.data.validation.check_table`), as text, the way a CSV file is read.
"""

from __future__ import annotations

import pandas as pd

from workbench.data.contract import CONTRACT
from workbench.data.sources import RawTable
from workbench.data.validation import check_table

__all__ = ["EXAMPLE_AS_OF", "EXAMPLE_CUSTOMERS", "PLANTED", "order_lines", "checked_order_lines"]

#: The analysis date of the example.
EXAMPLE_AS_OF = "2025-12-31"
#: The customers the example's customer master holds.
EXAMPLE_CUSTOMERS = ("C001", "C002", "C003")

_COLUMNS = ["order_id", "line_id", "customer_id", "order_date", "amount", "unit_price"]
_LINES = [
    ("O1", "L1", "C001", "2025-03-02", "40.00", "20.00"),
    ("O1", "L2", "C001", "2025-03-02", "15.00", "15.00"),
    ("O2", "L3", "C002", "2025-04-11", "12,5O", "12.50"),   # letter O, decimal comma
    ("O3", "L4", "C002", "2026-03-01", "30.00", "30.00"),   # after the analysis date
    ("O4", "L5", "", "2025-05-20", "25.00", "25.00"),       # no customer
    ("O5", "L6", "C003", "2025-06-01", "-8.00", "-4.00"),   # negative unit price
    ("O6", "L1", "C003", "2025-06-15", "10.00", "10.00"),   # line id L1 again
    ("O7", "L7", "C999", "2025-07-01", "60.00", "60.00"),   # customer not in the master
    ("O8", "L8", "C003", "2025-08-09", "22.00", "11.00"),
]

#: The problem planted in each rejected line (file line -> rule), as the checks name them.
PLANTED: dict[int, str] = {
    4: "unreadable value",
    5: "after as_of",
    6: "empty",
    7: "out of range",
    8: "duplicate key",
    9: "unknown reference",
}


def order_lines() -> pd.DataFrame:
    """The example's order lines as a CSV export holds them: text, one line per row."""
    return pd.DataFrame(_LINES, columns=_COLUMNS, dtype=object)


def checked_order_lines(*, as_of: str | pd.Timestamp = EXAMPLE_AS_OF) -> dict[str, pd.DataFrame]:
    """The example's order lines checked against the contract.

    Returns
    -------
    dict with ``accepted`` (the typed lines that passed), ``rejects`` (one line per problem:
    file, line, column, value, rule, reason) and ``reconciliation`` (read = accepted +
    rejected + excluded, as one row).
    """
    raw = RawTable(frame=order_lines(), file="orders.csv", first_line=2)
    result = check_table(raw, CONTRACT["orders"], as_of=pd.Timestamp(as_of),
                         parents={"customers": pd.Index(EXAMPLE_CUSTOMERS)})
    reconciliation = pd.DataFrame([{"table": "orders", "read": result.read,
                                    "accepted": len(result.accepted),
                                    "rejected": result.n_rejected, "excluded": result.excluded}])
    return {"accepted": result.accepted.reset_index(drop=True),
            "rejects": result.rejects.reset_index(drop=True),
            "reconciliation": reconciliation}
