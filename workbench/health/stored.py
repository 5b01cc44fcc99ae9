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

__all__ = ["past_solicitations", "keep_plan", "sequence_positions"]


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


def sequence_positions(source, *, as_of, scenarios, store: str | Path = "") -> tuple[pd.DataFrame, str]:
    """Where each customer stands in each declared sequence, from the plans kept in `store`.

    Without the health table at hand, a step's ``unless`` is not checked here: a step shown
    ``due`` may still be stopped by the next plan (which checks it). Returns the positions and
    a sentence saying what they are based on.
    """
    from workbench.health import sequences
    from workbench.health.scenarios import Scenarios

    scen = Scenarios.coerce(scenarios or None)
    if not scen.sequences():
        return pd.DataFrame(), ("No sequence is declared in the scenario table: add steps with "
                                "after:, delay_days: and unless: (see data/scenarios/sequences.yml).")
    history = past_solicitations(source, as_of=as_of, store=store)
    if not str(store).strip():
        return pd.DataFrame(), ("No score_store is set: the plans that started the sequences are "
                                "not kept, so no position can be shown; set score_store to the "
                                "file the action plan (05) keeps its actions in.")
    empty = pd.DataFrame(index=pd.Index([], name="customer_id"))
    actions = pd.DataFrame(columns=["customer_id", "date", "scenario"])
    out = sequences.positions(scen, history.assign(date=pd.to_datetime(history["date"])), actions,
                              empty, pd.Timestamp(as_of))
    counts = out.groupby(["sequence", "status"]).size().to_dict() if len(out) else {}
    return out, (f"{len(out):,} customer(s) in {len(scen.sequences())} sequence(s) as of "
                 f"{pd.Timestamp(as_of):%Y-%m-%d}, from the plans kept in {Path(store).name}: "
                 + (", ".join(f"{s} {k}: {n}" for (s, k), n in counts.items()) or "none yet") + ".")
