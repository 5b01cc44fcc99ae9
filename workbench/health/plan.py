"""The action plan: scenarios evaluated on today's health table, with cooldowns and consent.

Private to :mod:`workbench.health`. Nobody is over-solicited: a customer gets at most one
action per plan, none while another solicitation (a campaign contact or an earlier action)
is less than ``min_gap_days`` old, and never the same scenario inside its ``cooldown_days``.
Every matched customer who gets no action is listed in ``skipped`` with the reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.health import sequences
from workbench.health.scenarios import CONSENT_COLUMNS, Scenarios

__all__ = ["ActionPlan", "action_plan", "contact_history", "cooldown_violations", "HISTORY_COLUMNS",
           "EXPORT_COLUMNS"]

logger = logging.getLogger(__name__)

HISTORY_COLUMNS = ["customer_id", "date", "scenario", "ref"]
EXPORT_COLUMNS = ["customer_id", "date", "scenario", "action", "channel", "reason", "risk_band",
                  "risk_score", "capital", "capital_status", "p_alive", "clv"]


@dataclass
class ActionPlan:
    """Next action per customer, what was held back and why, and counts per scenario.

    Attributes
    ----------
    actions : DataFrame
        One row per customer to contact: :data:`EXPORT_COLUMNS`.
    skipped : DataFrame
        One row per (customer, matched scenario) not acted on: ``customer_id``, ``scenario``,
        ``why`` (``cooldown``, ``recent solicitation``, ``no consented channel``, ``another
        scenario first``, and for sequence steps ``waiting in its sequence``, ``sequence stopped
        (unless)``), ``detail`` and ``next_allowed`` (date, for the waits).
    counts : DataFrame
        Per scenario: matched, actions and each reason for skipping.
    """

    actions: pd.DataFrame
    skipped: pd.DataFrame
    counts: pd.DataFrame
    as_of: pd.Timestamp
    scenarios: Scenarios
    min_gap_days: int
    notes: list[str] = field(default_factory=list)
    #: Per customer and declared sequence: last step, next step, when due, status (or None).
    positions: pd.DataFrame | None = None

    def history(self) -> pd.DataFrame:
        """The actions as solicitation history rows, to pass to the next plan."""
        return self.actions.assign(ref=self.actions["action"])[HISTORY_COLUMNS]

    def export(self, path: str | Path, *, neutralise: bool = True) -> Path:
        """Write the actions as CSV (UTF-8, dates ``YYYY-MM-DD``) for the CRM; returns the path.

        Text a spreadsheet would read as a formula is neutralised unless ``neutralise=False``
        (:mod:`workbench.exports`); the file is written whole or not at all.
        """
        from workbench.exports import write_csv

        path = Path(path)
        if path.suffix.lower() != ".csv":
            raise ValueError(f"{path}: the action plan is exported as a .csv file")
        path.parent.mkdir(parents=True, exist_ok=True)
        write_csv(self.actions, path, neutralise=neutralise, bom=False, date_format="%Y-%m-%d",
                  float_format="%.4g")
        logger.info("wrote %d actions to %s", len(self.actions), path)
        return path


def contact_history(source, *, as_of) -> pd.DataFrame:
    """Campaign contacts up to ``as_of`` as solicitation history (scenario ``campaign``).

    Control-group rows and contacts not sent are not solicitations and are left out.
    """
    from workbench.health.events import _tables

    tables = _tables(source, orders=False)
    if "campaign_contacts" not in tables:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    c = tables["campaign_contacts"]
    when = pd.to_datetime(c["sent_at"]) if "sent_at" in c else pd.Series(pd.NaT, index=c.index)
    if "campaigns" in tables and "start_date" in tables["campaigns"]:
        when = when.fillna(c["campaign_id"].map(tables["campaigns"].set_index("campaign_id")["start_date"]))
    sent = c["sent"].astype("boolean").fillna(True).astype(bool) if "sent" in c else True
    keep = (c["group"].astype(str).str.lower() != "control") & sent & when.notna() & \
        (when.dt.normalize() <= pd.Timestamp(as_of))
    return pd.DataFrame({"customer_id": c.loc[keep, "customer_id"].astype(str),
                         "date": when[keep].dt.normalize(), "scenario": "campaign",
                         "ref": c.loc[keep, "campaign_id"].astype(str)}).reset_index(drop=True)


def action_plan(health: pd.DataFrame, *, as_of, scenarios=None, history: pd.DataFrame | None = None,
                customers: pd.DataFrame | None = None, min_gap_days: int = 30) -> ActionPlan:
    """Evaluate the scenarios on the health table and pick each customer's next action.

    Parameters
    ----------
    health : DataFrame
        :func:`health_table` output, indexed by customer_id (the columns conditions read).
    as_of : date-like
        Date of the plan: the actions are dated this day.
    scenarios : Scenarios, list, DataFrame, YAML / CSV path, or None (the defaults)
    history : DataFrame
        Past solicitations (``customer_id``, ``date``, ``scenario``): campaign contacts
        (:func:`contact_history`) and earlier plans (:meth:`ActionPlan.history`). Rows after
        ``as_of`` are ignored (counted in the notes).
    customers : DataFrame
        The customers table, for consent (``consent_email``, ``consent_phone``,
        ``consent_mail``): a channel needs its consent to be true. Without the table or the
        column, consent is not checked (said in the notes).
    min_gap_days : int
        Days that must separate two solicitations of the same customer, whatever they are.
    """
    as_of = pd.Timestamp(as_of).normalize()
    scen = Scenarios.coerce(scenarios)
    if min_gap_days < 0:
        raise ValueError(f"min_gap_days={min_gap_days!r}: a number of days >= 0")
    notes: list[str] = []
    hist = _history(history, as_of, notes)
    match = scen.matches(health)
    last_any = hist.groupby("customer_id")["date"].max().reindex(health.index)
    gap_until = last_any + pd.Timedelta(days=min_gap_days)
    free = ~(gap_until > as_of).to_numpy()
    consent = _consent(customers, health.index, notes)
    taken = np.zeros(len(health), bool)
    chosen = np.full(len(health), None, dtype=object)
    channel = np.full(len(health), None, dtype=object)
    skipped = []
    for r in scen.rows:
        m = match[r["scenario"]].to_numpy()
        if r["after"]:  # a sequence step: only in its turn, after its delay, unless stopped
            ready, waiting_until, stopped = sequences.gate(scen, r["scenario"], hist, health, as_of)
            for why, mask, until in (("waiting in its sequence", m & ~ready & waiting_until.notna().to_numpy(),
                                      waiting_until),
                                     ("sequence stopped (unless)", m & stopped, None)):
                if mask.any():
                    skipped.append(_skip(health.index, mask, r["scenario"], why, until, chosen,
                                         r["channel"]))
            m = m & ready
        last_s = hist[hist["scenario"] == r["scenario"]].groupby("customer_id")["date"].max()
        cool_until = (last_s + pd.Timedelta(days=r["cooldown_days"])).reindex(health.index)
        cool = (cool_until > as_of).to_numpy()
        ch = _channel(r["channel"], consent, len(health))
        no_ch = np.array([c is None for c in ch], dtype=bool)
        reasons = [("another scenario first", m & taken, None),
                   ("recent solicitation", m & ~taken & ~free, gap_until),
                   ("cooldown", m & ~taken & free & cool, cool_until),
                   ("no consented channel", m & ~taken & free & ~cool & no_ch, None)]
        for why, mask, until in reasons:
            if mask.any():
                skipped.append(_skip(health.index, mask, r["scenario"], why, until, chosen, r["channel"]))
        go = m & ~taken & free & ~cool & ~no_ch
        chosen[go], channel[go], taken = r["scenario"], ch[go], taken | go
    actions = _actions(health, scen, chosen, channel, as_of)
    skipped = pd.concat(skipped, ignore_index=True) if skipped else pd.DataFrame(
        columns=["customer_id", "scenario", "why", "detail", "next_allowed"])
    counts = _counts(scen, match, actions, skipped)
    where = sequences.positions(scen, hist, actions, health, as_of) if scen.sequences() else None
    return ActionPlan(actions=actions, skipped=skipped, counts=counts, as_of=as_of, scenarios=scen,
                      min_gap_days=int(min_gap_days), notes=notes, positions=where)


def _history(history, as_of, notes) -> pd.DataFrame:
    if history is None or len(history) == 0:
        return pd.DataFrame({"customer_id": pd.Series(dtype=str), "date": pd.Series(dtype="datetime64[ns]"),
                             "scenario": pd.Series(dtype=str)})
    missing = [c for c in ("customer_id", "date", "scenario") if c not in history.columns]
    if missing:
        raise ValueError(f"history lacks {', '.join(missing)}: give customer_id, date and scenario "
                         "(contact_history(crm, ...) or ActionPlan.history())")
    h = history.assign(customer_id=history["customer_id"].astype(str),
                       date=pd.to_datetime(history["date"]).dt.normalize())
    later = h["date"] > as_of
    if later.any():
        notes.append(f"{int(later.sum())} history row(s) dated after {as_of:%Y-%m-%d} ignored")
    return h[~later]


def _consent(customers, index, notes) -> dict[str, np.ndarray]:
    """Per channel with a consent column: True where the customer consents (missing = no)."""
    out = {}
    if customers is None:
        notes.append("no customers table: consent not checked")
        return out
    c = customers.assign(customer_id=customers["customer_id"].astype(str)).drop_duplicates(
        "customer_id").set_index("customer_id").reindex(index)
    for ch, col in CONSENT_COLUMNS.items():
        if col in c:
            out[ch] = c[col].astype("boolean").fillna(False).to_numpy(bool)
        elif ch != "mail":
            notes.append(f"no {col} column: consent for {ch} not checked")
    return out


def _channel(channels: str, consent: dict, n: int) -> np.ndarray:
    """First channel of ``a|b|c`` each customer consents to (None if none)."""
    out = np.full(n, None, dtype=object)
    for ch in reversed(channels.split("|")):
        ok = consent.get(ch, np.ones(n, bool))
        out = np.where(ok, ch, out)
    return out


def _skip(index, mask, scenario, why, until, chosen, channels) -> pd.DataFrame:
    detail = {"another scenario first": chosen[mask],
              "no consented channel": f"no consent for {channels.replace('|', ', ')}"}.get(why, "")
    return pd.DataFrame({"customer_id": index[mask], "scenario": scenario, "why": why,
                         "detail": detail,
                         "next_allowed": until[mask].to_numpy() if until is not None else pd.NaT})


def _actions(health, scen: Scenarios, chosen, channel, as_of) -> pd.DataFrame:
    rows = pd.Series(chosen, index=health.index).dropna()
    spec = scen.table().set_index("scenario")
    h = health.loc[rows.index]
    out = pd.DataFrame({"customer_id": rows.index, "date": as_of, "scenario": rows.to_numpy(),
                        "action": spec.loc[rows, "action"].to_numpy(),
                        "channel": pd.Series(channel, index=health.index).loc[rows.index].to_numpy(),
                        "reason": (spec.loc[rows, "trigger"].to_numpy() + ": "
                                   + h.get("why", pd.Series("", index=h.index)).astype(str).to_numpy())})
    for col in EXPORT_COLUMNS[6:]:
        out[col] = h[col].to_numpy() if col in h else np.nan
    prio = out["scenario"].map({s: i for i, s in enumerate(scen.names)})
    return out.assign(_p=prio).sort_values(["_p", "customer_id"]).drop(columns="_p").reset_index(drop=True)


def _counts(scen: Scenarios, match: pd.DataFrame, actions: pd.DataFrame, skipped: pd.DataFrame) -> pd.DataFrame:
    why = pd.crosstab(skipped["scenario"], skipped["why"]) if len(skipped) else pd.DataFrame()
    cols = ["another scenario first", "recent solicitation", "cooldown", "no consented channel"]
    out = pd.DataFrame({"matched": match.sum().astype(int),
                        "actions": actions["scenario"].value_counts().reindex(scen.names, fill_value=0)},
                       index=pd.Index(scen.names, name="scenario"))
    for c in cols:
        out[c] = why[c].reindex(scen.names, fill_value=0).astype(int) if c in why else 0
    out.loc["total"] = [int((match.any(axis=1)).sum()), len(actions),
                        *[int(out[c].sum()) for c in cols]]
    return out.reset_index()


def cooldown_violations(actions: pd.DataFrame, *, scenarios=None, min_gap_days: int = 30,
                        history: pd.DataFrame | None = None) -> pd.DataFrame:
    """Pairs of solicitations of the same customer that break the plan's rules (should be none).

    Checks every action against the customer's previous solicitation (an action or a
    ``history`` row): less than ``min_gap_days`` apart is a ``gap`` violation; the same
    scenario within its ``cooldown_days`` is a ``cooldown`` violation.

    Returns one row per violation: customer_id, scenario, date, previous_scenario,
    previous_date, days, rule.
    """
    scen = Scenarios.coerce(scenarios)
    cooldown = {r["scenario"]: r["cooldown_days"] for r in scen.rows}
    acts = actions.assign(action_row=True)[["customer_id", "date", "scenario", "action_row"]]
    parts = [acts] if history is None or len(history) == 0 else [
        acts, history.assign(action_row=False)[["customer_id", "date", "scenario", "action_row"]]]
    s = pd.concat(parts, ignore_index=True)
    s = s.assign(customer_id=s["customer_id"].astype(str), date=pd.to_datetime(s["date"]).dt.normalize())
    s = s.sort_values(["customer_id", "date"], kind="stable").reset_index(drop=True)
    prev = s.groupby("customer_id")[["date", "scenario"]].shift()
    days = (s["date"] - prev["date"]).dt.days
    gap = s["action_row"] & days.notna() & (days < min_gap_days)
    same = s[s["action_row"]].copy()
    same["previous_date"] = same.groupby(["customer_id", "scenario"])["date"].shift()
    same_days = (same["date"] - same["previous_date"]).dt.days
    cool = same[same_days < same["scenario"].astype(object).map(cooldown).astype(float).fillna(0)]
    out = pd.concat([
        pd.DataFrame({"customer_id": s.loc[gap, "customer_id"], "scenario": s.loc[gap, "scenario"],
                      "date": s.loc[gap, "date"], "previous_scenario": prev.loc[gap, "scenario"],
                      "previous_date": prev.loc[gap, "date"], "days": days[gap], "rule": "gap"}),
        pd.DataFrame({"customer_id": cool["customer_id"], "scenario": cool["scenario"], "date": cool["date"],
                      "previous_scenario": cool["scenario"], "previous_date": cool["previous_date"],
                      "days": same_days[cool.index], "rule": "cooldown"})], ignore_index=True)
    return out
