"""Worked example of the price sensitivity meter (notebook 03): ten answers to Van Westendorp.

Ten respondents answered the four questions (at what price is the product so cheap that you
would doubt its quality, cheap, expensive, too expensive) at round prices. The curves are the
shares of respondents whose answer puts each price in each class, and the price points are
where pairs of curves cross; with ten answers every share is a multiple of 10 % and every
crossing can be checked by hand (see ``tests/test_examples.py``):

- optimal price point (too cheap x too expensive): both are 0 % at EUR 20, so EUR 20;
- point of marginal cheapness (too cheap x not cheap): 60 % against 0 % at EUR 10, 10 % against
  30 % at EUR 15, so 10 + 5 x 0.6 / 0.8 = EUR 13.75;
- point of marginal expensiveness (too expensive x not expensive): 0 % against 50 % at EUR 20,
  20 % against 10 % at EUR 25, so 20 + 5 x 0.5 / 0.6 = EUR 24.17;
- indifference price point (cheap x expensive): 70 % against 10 % at EUR 15, 20 % against
  50 % at EUR 20, so 15 + 5 x 0.6 / 0.9 = EUR 18.33.
"""

from __future__ import annotations

import pandas as pd

from workbench.pricing.psm import PSMResult, price_sensitivity_meter, psm_curves

__all__ = ["ten_answers", "ten_answer_curves", "ten_answer_meter"]

_ANSWERS = [  # too_cheap, cheap, expensive, too_expensive (EUR)
    (5, 10, 20, 30), (5, 10, 20, 25), (10, 15, 25, 30), (10, 15, 25, 35), (10, 15, 20, 30),
    (5, 10, 15, 25), (15, 20, 30, 40), (10, 20, 25, 35), (5, 15, 25, 30), (10, 15, 20, 30),
]


def ten_answers() -> pd.DataFrame:
    """The ten respondents' answers, as ``price_survey`` rows of one product."""
    out = pd.DataFrame(_ANSWERS, columns=["too_cheap", "cheap", "expensive", "too_expensive"],
                       dtype="float64")
    out.insert(0, "respondent_id", [f"R{i}" for i in range(1, 11)])
    out.insert(1, "product_id", "P1")
    return out


def ten_answer_curves() -> pd.DataFrame:
    """The six share curves of the ten answers at every price they named."""
    return psm_curves(ten_answers())


def ten_answer_meter() -> PSMResult:
    """Price points and acceptable range of the ten answers (classic definitions, linear crossings)."""
    return price_sensitivity_meter(ten_answers())
