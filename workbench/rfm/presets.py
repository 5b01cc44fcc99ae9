"""Ready-made scoring grids (private to :mod:`workbench.rfm`, which re-exports them)."""

from __future__ import annotations

__all__ = ["ARTICLE_GRID", "DEFAULT_GRID"]

#: The worked example of the CRM scoring articles: revenue between EUR 100,000 and 200,000
#: earns 3 points, revenue weighs 4, so 12 points; a total of 24 or more is grade A, "VIP".
ARTICLE_GRID: dict = {
    "description": "Worked example of the CRM articles (B2B contacts).",
    "criteria": {
        "revenue": {"column": "monetary", "label": "Revenue with the contact (EUR)", "weight": 4,
                    "bands": [{"max": 50_000, "points": 1}, {"min": 50_000, "max": 100_000, "points": 2},
                              {"min": 100_000, "max": 200_000, "points": 3},
                              {"min": 200_000, "points": 4}]},
        "network": {"column": "network_score", "label": "Network / influence of the contact", "weight": 2,
                    "bands": [{"max": 1, "points": 0}, {"min": 1, "max": 5, "points": 1},
                              {"min": 5, "max": 10, "points": 2}, {"min": 10, "points": 3}]},
        "newsletter": {"column": "newsletter_subscribed", "label": "Subscribed to the newsletter",
                       "weight": 1, "bands": [{"value": True, "points": 2}, {"value": False, "points": 0}]},
    },
    "grades": [{"grade": "A", "label": "VIP", "min": 24}, {"grade": "B", "label": "Key contact", "min": 16},
               {"grade": "C", "label": "Regular", "min": 8}, {"grade": "D", "label": "Small", "min": 0}],
}

#: The default grid (the same as data/grids/default_grid.yml): quantile scores plus attributes.
DEFAULT_GRID: dict = {
    "description": "Default grid: quantile R, F, M scores plus network, newsletter and tenure.",
    "criteria": {
        "recency": {"column": "r_score", "label": "Recency score (5 = most recent)", "weight": 3,
                    "bands": [{"value": s, "points": s - 1} for s in range(1, 6)]},
        "frequency": {"column": "f_score", "label": "Frequency score (5 = most orders)", "weight": 2,
                      "bands": [{"value": s, "points": s - 1} for s in range(1, 6)]},
        "monetary": {"column": "m_score", "label": "Monetary score (5 = highest revenue)", "weight": 3,
                     "bands": [{"value": s, "points": s - 1} for s in range(1, 6)]},
        "network": {"column": "network_score", "label": "Network / influence score", "weight": 1,
                    "required": False, "bands": [{"max": 1, "points": 0}, {"min": 1, "max": 5, "points": 2},
                                                 {"min": 5, "points": 4}]},
        "newsletter": {"column": "newsletter_subscribed", "label": "Newsletter subscriber", "weight": 1,
                       "required": False,
                       "bands": [{"value": True, "points": 2}, {"value": False, "points": 0}]},
        "tenure": {"column": "tenure_days", "label": "Days since the first purchase", "weight": 1,
                   "bands": [{"max": 365, "points": 0}, {"min": 365, "max": 730, "points": 1},
                             {"min": 730, "points": 2}]},
    },
    "grades": [{"grade": "A", "label": "VIP", "min": 30}, {"grade": "B", "label": "Loyal", "min": 20},
               {"grade": "C", "label": "Regular", "min": 10}, {"grade": "D", "label": "Occasional", "min": 0}],
}
