"""Customer health: tolerance capital, churn risk and the action plan they trigger.

Builds on :mod:`workbench.health.clv` (lifetime value, P(alive)). The pieces, in the order a
notebook uses them::

    lv = wb.clv.LifetimeValue(model="bg/nbd").fit(crm["orders"], calibration_end=calibration_end)
    scores = lv.score(crm["orders"], as_of=as_of, horizon_months=12, discount_rate=0.10)
    capital = wb.health.tolerance_capital(crm, as_of=as_of, points=points_file)
    risk = wb.health.churn_risk(scores, capital, model=lv)
    table = wb.health.health_table(scores, capital, risk, segments=segments)
    plan = wb.health.action_plan(table, as_of=as_of, history=wb.health.contact_history(crm, as_of=as_of),
                                 customers=crm["customers"])
    plan.export(f"{output_dir}/next_actions.csv")

**Tolerance capital** (after Henri Kaufman): from the first purchase a customer grants an
average level of trust (``CapitalRules.start``); good and bad experiences add or take points
by a points table (:data:`DEFAULT_POINTS`, a parameter); a long absence of contact,
measured against the customer's own purchase rhythm, wears it down; at the break threshold
the customer is about to leave. See :func:`tolerance_capital` for the exact mechanics.

**Churn risk** combines the model's P(alive) (as the probability of no purchase in the
coming months), the capital and the recency relative to the rhythm (:func:`churn_risk`);
:func:`evaluate_risk` measures it against an outcome (planted lapses, or no purchase in a
holdout period: :func:`no_purchase_between`).

**Action plan**: a scenario table (:data:`DEFAULT_SCENARIOS`: trigger, condition, action,
channel, cooldown) evaluated on the health table; one next action per customer, nobody
solicited twice inside ``min_gap_days`` nor the same scenario inside its cooldown, consent
respected; every matched customer left out is listed with the reason.

Nothing here reads a demo company's planted truth: tests compare with it.
"""

from __future__ import annotations

from workbench.health import (
    examples,  # the notebook's worked example: one customer's tolerance-capital ledger
)
from workbench.health.capital import (
    TRAJECTORY_COLUMNS,
    CapitalResult,
    population_rhythm,
    tolerance_capital,
)
from workbench.health.events import EVENT_COLUMNS, capital_events
from workbench.health.plan import (
    EXPORT_COLUMNS,
    HISTORY_COLUMNS,
    ActionPlan,
    action_plan,
    contact_history,
    cooldown_violations,
)
from workbench.health.points import DEFAULT_POINTS, EVENT_ORDER, CapitalRules, points_table
from workbench.health.risk import (
    BANDS,
    RiskEvaluation,
    RiskRules,
    churn_risk,
    evaluate_risk,
    no_purchase_between,
)
from workbench.health.scenarios import CONSENT_COLUMNS, DEFAULT_SCENARIOS, Scenarios
from workbench.health.sequences import sequence_violations
from workbench.health.stored import keep_plan, past_solicitations, sequence_positions
from workbench.health.table import (
    Health,
    assess,
    capital_drivers,
    clv_by_segment,
    health_table,
    near_threshold,
    read_segments,
    replay_plan,
    rfm_segments,
)

__all__ = [
    "examples",
    "CapitalRules", "DEFAULT_POINTS", "EVENT_ORDER", "points_table",
    "capital_events", "EVENT_COLUMNS",
    "tolerance_capital", "CapitalResult", "population_rhythm", "TRAJECTORY_COLUMNS",
    "near_threshold", "capital_drivers",
    "RiskRules", "BANDS", "churn_risk", "evaluate_risk", "RiskEvaluation", "no_purchase_between",
    "health_table", "Health", "assess",
    "Scenarios", "DEFAULT_SCENARIOS", "CONSENT_COLUMNS",
    "action_plan", "ActionPlan", "contact_history", "cooldown_violations", "replay_plan", "HISTORY_COLUMNS", "EXPORT_COLUMNS",
    "past_solicitations", "keep_plan", "sequence_violations", "sequence_positions",
    "read_segments", "rfm_segments", "clv_by_segment",
]
