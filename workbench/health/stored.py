"""The action plan across runs: past plans read from the score store, this plan kept in it.

A plan re-run every month must not contact a customer again inside a scenario's cooldown
because last month's plan did; the campaign contacts table holds only what was sent through
campaigns. With a store (:class:`workbench.rfm.ScoreStore`, the file the RFM report keeps its
grades in), each plan's actions are kept, and the next plan counts them as solicitations.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from workbench.health.plan import ActionPlan, contact_history
from workbench.rfm.store import ScoreStore

__all__ = ["past_solicitations", "keep_plan"]


def past_solicitations(source, *, as_of, store: str | Path = "") -> pd.DataFrame:
    """Campaign contacts up to `as_of` and, with a `store`, the actions of earlier plans."""
    contacts = contact_history(source, as_of=as_of)
    if not str(store).strip():
        return contacts
    earlier = ScoreStore(store).actions_before(as_of)
    return pd.concat([contacts, earlier], ignore_index=True) if len(earlier) else contacts


def keep_plan(plan: ActionPlan, *, store: str | Path = "") -> str:
    """Keep the plan's actions in `store` (``""``: not kept); a sentence saying what happened."""
    if not str(store).strip():
        return ("No store is set (parameter score_store): the next plan will not know this "
                "plan's actions, only the campaign contacts.")
    n = ScoreStore(store).append_actions(plan.history(), as_of=plan.as_of)
    return (f"{n:,} action(s) of the plan of {plan.as_of:%Y-%m-%d} kept in {Path(store).name}: "
            "the next plans count them in their cooldowns.")
