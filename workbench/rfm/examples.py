"""Worked example of the scoring grid (notebook 02): the CRM articles' B2B grid and two contacts.

The articles' grid (:data:`workbench.rfm.ARTICLE_GRID`) gives each criterion value bands worth
points and a weight; the weighted points add up to a total that thresholds turn into a letter
grade. Their worked example: a contact with EUR 150,000 of revenue is in the EUR 100,000-200,000
band, worth 3 points; revenue weighs 4, so 12 points; with a network score of 7 (2 points x 2)
and the newsletter (2 x 1) the total is 18, grade B. At EUR 250,000 (4 x 4 = 16), a network
score of 12 (3 x 2 = 6) and the newsletter (2), the total reaches 24: grade A, "VIP".
"""

from __future__ import annotations

import pandas as pd

from workbench.rfm.grid import ScoringGrid
from workbench.rfm.presets import ARTICLE_GRID

__all__ = ["article_grid", "article_contacts", "article_example"]


def article_grid() -> ScoringGrid:
    """The articles' grid: revenue (weight 4), network (2), newsletter (1); A from 24 points."""
    return ScoringGrid.from_dict(ARTICLE_GRID, source="ARTICLE_GRID")


def article_contacts() -> pd.DataFrame:
    """The articles' two contacts: their revenue with us, network score and newsletter."""
    return pd.DataFrame({"contact": ["contact 1", "contact 2"], "monetary": [150_000, 250_000],
                         "network_score": [7, 12], "newsletter_subscribed": [True, True]})


def article_example() -> pd.DataFrame:
    """The two contacts scored by the articles' grid: weighted points per criterion, total, grade."""
    return article_grid().apply(article_contacts())
