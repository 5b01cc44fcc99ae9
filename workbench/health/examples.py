"""Worked example of the tolerance capital (notebook 05): one customer's ledger.

One customer, the default points and levels (start 50, break threshold 20) and a population
rhythm of 30 days (``prior_weight=0``: the customer's own rhythm once they have bought twice;
they buy every 30 days, so it stays 30):

======== ================================= ======== =======
date     event                             points   capital
======== ================================= ======== =======
01-01    first purchase                    start    50
01-31    purchase                          +5       55
03-02    purchase                          +5       60
03-12    complaint (severity 2)            -10      50
03-22    complaint resolved                +5       55
04-11    no contact for 30 days (1 rhythm) 0        55
05-11    30 days of inactivity             -10      45
======== ================================= ======== =======

Inactivity wears the capital down once a whole rhythm (30 days) has passed since the last
contact (the complaint of 12 March; a resolution is not a contact): 10 points per rhythm, day
by day, so 30 days cost 10 points. At 45 the customer is above the break threshold (20) and
the "near" band (20-30): status ``ok``.
"""

from __future__ import annotations

import pandas as pd

from workbench.health.capital import CapitalResult, tolerance_capital
from workbench.health.points import CapitalRules

__all__ = ["LEDGER_AS_OF", "ledger_tables", "ledger_rules", "ledger_example"]

#: The analysis date of the ledger.
LEDGER_AS_OF = "2025-05-11"


def ledger_tables() -> dict[str, pd.DataFrame]:
    """The customer's orders (three purchase days) and incidents (one complaint, resolved)."""
    orders = pd.DataFrame({"order_id": ["O1", "O2", "O3"], "customer_id": "C1",
                           "order_date": pd.to_datetime(["2025-01-01", "2025-01-31", "2025-03-02"]),
                           "amount": [60.0, 45.0, 52.0]})
    incidents = pd.DataFrame({"incident_id": ["I1"], "customer_id": ["C1"],
                              "date": pd.to_datetime(["2025-03-12"]), "kind": ["complaint"],
                              "severity": [2], "resolved_date": pd.to_datetime(["2025-03-22"])})
    return {"orders": orders, "incidents": incidents}


def ledger_rules() -> CapitalRules:
    """Default levels and points, with a fixed population rhythm of 30 days and no shrinkage."""
    return CapitalRules(rhythm_days=30.0, prior_weight=0.0)


def ledger_example(*, as_of: str | pd.Timestamp = LEDGER_AS_OF) -> CapitalResult:
    """The customer's tolerance capital at `as_of`; ``.customer("C1")`` is the ledger."""
    return tolerance_capital(ledger_tables(), as_of=as_of, rules=ledger_rules())
