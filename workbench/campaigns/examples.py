"""Worked example of incrementality (notebook 04): two campaigns, each with a control group.

Two campaigns of 10 contacted customers and 5 held out (not contacted) each:

- an **e-mailing** (fixed cost EUR 10, EUR 1 per contact: EUR 20): 4 of the 10 contacted
  bought (EUR 20 of margin each), 1 of the 5 held out did. Margin per contact 8 against 4: the
  e-mailing brought 4 x 10 = EUR 40 of margin that would not have come anyway; incremental ROI
  (40 - 20) / 20 = 1.0. Crediting it with everything the contacted bought (EUR 80) would
  give an ROI of 3.0.
- a **mailing** (fixed EUR 20, EUR 2 per contact: EUR 40): 3 of the 10 contacted bought
  (EUR 30 each), 2 of the 5 held out did. Margin per contact 9 against 12: the held-out
  customers did better, the incremental margin is -3 x 10 = EUR -30 and the ROI
  (-30 - 40) / 40 = -1.75, while the attributed ROI, (90 - 40) / 40 = 1.25, says it pays.

The lesson: the control group turns "who bought after the campaign" into "what the campaign
caused", and can reverse the ranking of two campaigns.
"""

from __future__ import annotations

import pandas as pd

from workbench.campaigns.effects import incrementality
from workbench.campaigns.outcomes import CONTROL

__all__ = ["two_campaign_outcomes", "two_campaign_costs", "two_campaign_example"]

#: campaign -> (kind, margin per buyer, buyers among 10 contacted, buyers among 5 held out)
_CAMPAIGNS = {"E1": ("emailing", 20.0, 4, 1), "M1": ("mailing", 30.0, 3, 2)}


def two_campaign_outcomes() -> pd.DataFrame:
    """One row per contacted or held-out customer of the two campaigns, with what they did."""
    rows = []
    for cid, (kind, margin, buyers, control_buyers) in _CAMPAIGNS.items():
        for group, size, bought in (("target", 10, buyers), (CONTROL, 5, control_buyers)):
            for i in range(size):
                converted = i < bought
                rows.append({"campaign_id": cid, "kind": kind, "customer_id": f"{cid}-{group}-{i + 1}",
                             "group": group, "contacted": group != CONTROL, "converted": converted,
                             "revenue": 2.5 * margin if converted else 0.0,
                             "margin": margin if converted else 0.0})
    return pd.DataFrame(rows)


def two_campaign_costs() -> pd.DataFrame:
    """What each campaign cost: fixed cost, cost per contact made, total for 10 contacts."""
    return pd.DataFrame({"campaign_id": ["E1", "M1"], "fixed_cost": [10.0, 20.0],
                         "cost_per_contact": [1.0, 2.0], "total_cost": [20.0, 40.0]})


def two_campaign_example() -> pd.DataFrame:
    """Per campaign: conversion and margin per contact, target against control, incremental and
    attributed margin and ROI."""
    out = incrementality(two_campaign_outcomes(), costs=two_campaign_costs())
    return out[["campaign_id", "kind", "n_treated", "n_control", "cost", "conversion_treated",
                "conversion_control", "margin_treated", "margin_control", "margin_lift",
                "incr_margin", "roi", "attributed_margin", "attributed_roi"]]
