"""Van Westendorp price survey of the demo company: two product concepts, sampled customers.

Private to :mod:`workbench.demo`. Answers are ``Normal(mean, cv * mean)`` per question,
persona and concept, correlated through a shared respondent factor and rounded to the
concept's price step; a few rows have two answers swapped (non-monotone).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from workbench.demo.draws import BLOCK, Streams
from workbench.demo.tables import frame, identifiers, take

if TYPE_CHECKING:
    from workbench.demo.world import World

QUESTIONS = ("too_cheap", "cheap", "expensive", "too_expensive")
#: concept -> name, category, unit cost, price step, persona -> means of the four answers
CONCEPTS: dict[str, dict] = {
    "NEW-PREMIUM": dict(
        name="Concept: connected espresso machine",
        category="household",
        unit_cost=100.0,
        step=5.0,
        means=dict(
            young_digital=(95, 140, 210, 280),
            family_store=(80, 120, 180, 240),
            senior_premium=(150, 220, 330, 440),
            business_buyers=(150, 225, 330, 440),
            bargain_hunters=(55, 80, 120, 160),
        ),
    ),
    "NEW-BASIC": dict(
        name="Concept: manual coffee grinder",
        category="household",
        unit_cost=12.0,
        step=0.5,
        means=dict(
            young_digital=(18, 28, 42, 58),
            family_store=(14, 22, 34, 46),
            senior_premium=(20, 32, 48, 64),
            business_buyers=(22, 34, 50, 68),
            bargain_hunters=(10, 16, 25, 34),
        ),
    ),
}
SURVEY = dict(cv=0.15, rho=0.9, non_monotone_share=0.02, likelihood_concentration=8.0)


def survey_answers(w: World, st: Streams, c: dict) -> dict[str, np.ndarray]:
    """Van Westendorp answers of the sampled customers, one row per concept."""
    r = np.flatnonzero(c["u"][:, 18] < w.survey_rate[c["persona"]])
    cust, concept = np.repeat(r, 2), np.tile([0, 1], len(r))
    p, rb = c["persona"][cust], np.repeat(r, 2) // BLOCK
    z = st.draw(rb, "standard_normal", cols=5)
    x = st.draw(rb, "random")
    k, lk = SURVEY["likelihood_concentration"], w.likelihood[p]
    likes = [st.draw(rb, "beta", lk[:, q] * k, (1 - lk[:, q]) * k) for q in (0, 1)]
    rho = SURVEY["rho"]
    eps = rho * z[:, :1] + np.sqrt(1 - rho**2) * z[:, 1:]
    step = w.survey_step[concept][:, None]
    val = w.survey_means[concept, p] * (1 + SURVEY["cv"] * eps)
    val = np.maximum(step, np.round(val / step) * step)
    swap = x < SURVEY["non_monotone_share"]
    val[swap] = val[swap][:, [0, 2, 1, 3]]
    return dict(
        cust=cust,
        concept=concept,
        persona=p,
        val=val,
        swap=swap,
        like=np.round(np.stack(likes, 1), 1),
        non_monotone=~np.all(np.diff(val, axis=1) > 0, axis=1),
    )


def survey_table(w: World, lo: int, ids: pa.Array, s: dict) -> pd.DataFrame:
    """The ``price_survey`` rows of a chunk whose first customer is number ``lo + 1``.

    ``weight`` makes the respondents represent the customers (personas answer at different
    rates).
    """
    base = float(np.dot(w.persona_cdf[0] - np.r_[0, w.persona_cdf[0, :-1]], w.survey_rate))
    return frame(
        "price_survey",
        dict(
            respondent_id=identifiers("R", lo + 1 + s["cust"], w.width),
            customer_id=ids.take(s["cust"]),
            product_id=take(list(CONCEPTS), s["concept"]),
            category=take([c["category"] for c in CONCEPTS.values()], s["concept"]),
            **{q: s["val"][:, k] for k, q in enumerate(QUESTIONS)},
            likelihood_cheap=s["like"][:, 0],
            likelihood_expensive=s["like"][:, 1],
            weight=np.round(base / w.survey_rate[s["persona"]], 6),
        ),
    )
