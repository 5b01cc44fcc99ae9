"""Campaign ROI: funnels, incremental effects against control groups, attribution, budget.

The method, step by step (each step a function; the notebook ``04_campaign_roi`` calls them
in this order):

0. :func:`coverage`: what the source holds (contacts, dates, responses, funnel steps,
   control groups, orders, campaign-level results); each section that cannot run says in
   one sentence what it needs and what to map (:meth:`Coverage.needs`).
1. :func:`portfolio` picks the tables (one sales rep's customers, or all);
   :func:`campaign_costs` says what each campaign cost (fixed + per contact made) and where
   each figure comes from; :func:`campaign_checks` lists what cannot be measured and why.
2. :func:`contact_outcomes`: one row per contact (and per held-out customer) with what they
   bought in the attribution window after the contact day, revenue and margin
   (:func:`line_margins`: unit costs, else a stated margin rate), and their sales in the
   six months before (a pre-treatment covariate). Computed inside the engine (DuckDB).
3. :func:`funnel` / :func:`funnel_stages`: sent -> delivered -> opened -> clicked ->
   converted with bounces, undeliverable and unsubscribes; every rate names its
   denominator (:data:`RATES`). :func:`arm_summary`: what each group did.
4. :func:`incrementality`: each arm against the control group (the only honest measure
   when several campaigns run at once): lifts of conversion, revenue and margin per
   contact with Welch or bootstrap intervals and p-values, incremental ROI
   = (incremental margin - cost) / cost with its interval. No control group: attributed
   figures only, labelled so.
5. :func:`attribution`: last touch, first touch, linear, time decay, for purchases touched
   by several campaigns; :func:`attribution_summary` says how many were.
6. :func:`add_segments` / :func:`effects_by`: lifts per persona, RFM segment, sector, sales
   band; :func:`action_audit`: cost and benefit per kind of action.
7. :func:`allocation_cells` / :func:`allocate_budget` / :func:`allocation_summary`: the
   budget across kinds x segments that maximises expected incremental margin, under the
   stated :data:`ASSUMPTIONS`.
Response rates (:func:`response_contacts` / :func:`response_rates`, Wilson intervals by
:func:`wilson_interval`) need only ``campaign_contacts.responded``: no orders, no dates.
Campaign-level results (the ``campaign_stats`` table of an ads platform: spend, impressions,
clicks, conversions, revenue) give :func:`campaign_results` (cost per acquisition, ROAS,
attributed ROI) and :func:`stats_funnel`; they are attributed by the platform, never
incremental.

8. :func:`uplift_scores` / :func:`qini_curve` (optional): a per-contact uplift model,
   checked out of sample by its Qini curve.

Outcomes are measured by *intention to treat*: a contact counts in its group whether or
not the message arrived; randomisation makes the groups comparable, delivery does not.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from workbench.campaigns import (
    examples,  # the notebook's worked example: two campaigns with control groups
)
from workbench.campaigns.aggregates import (
    BASIS_PLATFORM,
    STATS_STAGES,
    campaign_results,
    stats_funnel,
)
from workbench.campaigns.allocation import (
    ASSUMPTIONS,
    allocate_budget,
    allocation_cells,
    allocation_summary,
)
from workbench.campaigns.attribution import MODELS, attribution, attribution_summary
from workbench.campaigns.coverage import SECTIONS, Coverage, coverage
from workbench.campaigns.effects import (
    BASIS_ATTRIBUTED,
    BASIS_INCREMENTAL,
    METRICS,
    action_audit,
    effects_by,
    incrementality,
)
from workbench.campaigns.funnel import (
    FUNNEL_STAGES,
    RATES,
    arm_summary,
    funnel,
    funnel_stages,
    rate_definitions,
)
from workbench.campaigns.outcomes import (
    CONTROL,
    FLAGS,
    Portfolio,
    campaign_costs,
    contact_outcomes,
    line_margins,
    margin_basis,
    portfolio,
    window_note,
)
from workbench.campaigns.responses import (
    BASIS_NO_CONTROL_RESPONSE,
    response_contacts,
    response_lift,
    response_rates,
    segment_candidates,
    wilson_interval,
)
from workbench.campaigns.segments import (
    NO_LABEL,
    SALES_BAND,
    add_segments,
    current_segments,
    sales_band_edges,
    sales_bands,
)
from workbench.campaigns.stats import METHODS, difference, pool
from workbench.campaigns.uplift import MIN_UPLIFT_GROUP, qini_curve, uplift_needs, uplift_scores

__all__ = [
    "examples",
    "ASSUMPTIONS", "BASIS_ATTRIBUTED", "BASIS_INCREMENTAL", "CONTROL", "FLAGS", "FUNNEL_STAGES",
    "METHODS", "METRICS", "MODELS", "NO_LABEL", "RATES", "SALES_BAND", "SMALL_CONTROL",
    "Portfolio", "portfolio", "campaign_costs", "campaign_checks", "contact_outcomes",
    "line_margins", "margin_basis", "funnel", "funnel_stages", "rate_definitions", "arm_summary",
    "difference", "pool", "incrementality", "effects_by", "action_audit", "attribution",
    "attribution_summary", "sales_band_edges", "sales_bands", "add_segments",
    "current_segments", "allocation_cells", "allocate_budget", "allocation_summary",
    "uplift_scores", "qini_curve", "write_tables", "SECTIONS", "Coverage", "coverage",
    "response_contacts", "response_rates", "wilson_interval", "BASIS_PLATFORM", "STATS_STAGES",
    "campaign_results", "stats_funnel", "MIN_UPLIFT_GROUP", "uplift_needs",
    "window_note", "segment_candidates", "response_lift", "BASIS_NO_CONTROL_RESPONSE",
]

log = logging.getLogger(__name__)

#: Below this many control contacts, a campaign's intervals are flagged as wide.
SMALL_CONTROL = 100


def campaign_checks(campaigns: pd.DataFrame, contacts: pd.DataFrame, *,
                    costs: pd.DataFrame | None = None, control: str = CONTROL) -> pd.DataFrame:
    """What cannot be measured, campaign by campaign, and what to do about it.

    One row per problem: campaign_id, check, message. Checks: no contact at all; no
    contact made (only held-out or unsent); no control group (figures are attributed, not
    incremental); a small control group (wide intervals); contacts without a date (left
    out of the outcomes); costs missing (no ROI) or assumed from parameters.
    """
    rows = []
    groups = contacts.groupby("campaign_id")["group"]
    n_control = groups.agg(lambda g: int((g == control).sum()))
    n_all = groups.size()
    undated = _undated(contacts, campaigns)
    source = costs.set_index("campaign_id")["cost_source"] if costs is not None else pd.Series(dtype=str)
    made = costs.set_index("campaign_id")["contacts_made"] if costs is not None else None
    for cid in campaigns["campaign_id"]:
        for check, message in _campaign_problems(cid, n_all.get(cid, 0), n_control.get(cid, 0),
                                                 undated.get(cid, 0), source.get(cid),
                                                 None if made is None else made.get(cid)):
            rows.append({"campaign_id": cid, "check": check, "message": message})
    return pd.DataFrame(rows, columns=["campaign_id", "check", "message"])


def _undated(contacts: pd.DataFrame, campaigns: pd.DataFrame) -> pd.Series:
    has_start = campaigns.set_index("campaign_id")["start_date"].notna() if "start_date" in campaigns \
        else pd.Series(dtype=bool)
    own = contacts["sent_at"].notna() if "sent_at" in contacts else pd.Series(False, index=contacts.index)
    any_sent = own.groupby(contacts["campaign_id"]).transform("any")
    dated = own | contacts["campaign_id"].map(has_start).eq(True) | any_sent
    return (~dated).groupby(contacts["campaign_id"]).sum()


def _campaign_problems(cid, n, n_control, undated, cost_source, made):
    if n == 0:
        yield ("no contacts", f"{cid} has no row in campaign_contacts: nothing to measure; export "
               "its contact list (and its hold-out group) to measure it")
        return
    if made == 0:
        yield ("no contact made", f"{cid}: none of its {n} contacts was made (all held out or not "
               "sent): it cost only its fixed cost and cannot have had an effect")
    if n_control == 0:
        yield ("no control group", f"{cid} has no control group: its effect cannot be measured. Its "
               "revenue and ROI are attributed (everything its contacts bought in the window, as if "
               "the campaign caused it all), not incremental. Hold out a random 10-20 % next time.")
    elif n_control < SMALL_CONTROL:
        yield ("small control group", f"{cid}: only {n_control} control contacts; its intervals "
               f"are wide (hold out at least {SMALL_CONTROL} to measure a lift)")
    if undated:
        yield ("contacts without date", f"{cid}: {undated} contacts have no sent_at and the campaign "
               "no start_date: left out of the outcomes; give the campaign a start_date")
    if cost_source == "missing" or (cost_source and "missing" in cost_source):
        yield ("costs missing", f"{cid}: no fixed_cost or cost_per_contact in the campaigns table "
               "and no assumption given: its cost and ROI are not computed; fill in the campaigns "
               "table or give the cost parameters")
    elif cost_source and "assumed" in cost_source:
        yield ("costs assumed", f"{cid}: costs taken from the parameters ({cost_source}), not "
               "from the campaigns table")


def write_tables(output_dir: str | Path, **tables: pd.DataFrame) -> list[Path]:
    """Write each table as ``campaign_<name>.csv`` in `output_dir` (created if needed)."""
    from workbench.exports import write_tables as _write

    return _write(output_dir, prefix="campaign_", **tables)
