"""Campaign ROI, part 7: reallocate the contact budget across action kinds x segments.

Private to :mod:`workbench.campaigns`.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from workbench.campaigns.effects import effects_by
from workbench.campaigns.outcomes import CONTROL

__all__ = ["ASSUMPTIONS", "allocation_cells", "allocate_budget", "allocation_summary"]

log = logging.getLogger(__name__)

ASSUMPTIONS = """\
- Diminishing returns: in each cell (action kind x segment), n contacts bring an expected
  incremental margin V(n) = a * S * (1 - exp(-n / S)). S is the cell's audience: the
  segment's customers today (with consent for the kind's channel when the source records
  it) times the number of campaigns of that kind. a is set so that V passes through today's
  contacts and measured margin per contact. The first contacts are worth about a each, the
  next ones less and less; a cell never gets more contacts than its audience.
- Measured margin per contact: each cell's lift against its control groups, shrunk towards
  its kind's average by its precision (random effects, DerSimonian-Laird), so that a small
  cell's lucky estimate does not take the budget.
- Only variable costs move: each campaign keeps its fixed cost (the calendar of actions is
  unchanged); the budget is the variable spend (cost per contact x contacts).
- A contact is bought only while its expected marginal incremental margin is at least its
  cost: part of the budget may stay unspent, rather than be spent at a loss.
- Cells without a controlled measure, or without a cost per contact, keep today's contacts
  ("kept"): the data cannot say whether to move them.
"""

_CONSENT = {"email": "consent_email", "online": "consent_email", "post": "consent_mail",
            "phone": "consent_phone"}
OPTIMISED = "optimised"
KEPT_NO_MEASURE = "kept: no measure"
KEPT_NO_COST = "kept: no cost"


def allocation_cells(outcomes: pd.DataFrame, *, by: str, costs: pd.DataFrame,
                     audience: pd.DataFrame, confidence: float = 0.95,
                     control: str = CONTROL) -> pd.DataFrame:
    """Cells (kind x segment `by`) with today's contacts, measured margin, cost and audience.

    Parameters
    ----------
    outcomes : DataFrame
        :func:`workbench.campaigns.add_segments` output (has the `by` column).
    costs : DataFrame
        :func:`workbench.campaigns.campaign_costs` (cost per contact and channel per kind).
    audience : DataFrame
        :func:`workbench.campaigns.current_segments`: one row per customer today.
    """
    for name, frame in (("outcomes", outcomes), ("audience", audience)):
        if by not in frame:
            raise ValueError(f"segment {by!r} is not a column of {name} (columns: "
                             f"{', '.join(map(str, frame.columns))}); add it with add_segments / "
                             "current_segments, or pick another segment")
    has_ctrl = outcomes.groupby("campaign_id")["group"].transform(lambda g: (g == control).sum() >= 2)
    eff = effects_by(outcomes[has_ctrl], ["kind", by], confidence=confidence, control=control)
    made = outcomes[outcomes["contacted"]]
    today = made.groupby(["kind", by]).agg(n_today=("customer_id", "size")).reset_index()
    measured = ["kind", by, "margin_lift", "margin_se", "margin_low", "margin_high"]
    if eff.empty:  # no campaign with a control group: every cell keeps today's contacts
        eff = pd.DataFrame({c: pd.Series(dtype=today[c].dtype if c in today else "float64")
                            for c in measured})
    cells = today.merge(eff[measured], on=["kind", by], how="left")
    cells = cells.rename(columns={by: "segment"})
    per_kind = _kind_costs(costs)
    cells = cells.merge(per_kind, on="kind", how="left")
    sizes = _audience(audience, by, per_kind)
    cells = cells.merge(sizes, on=["kind", "segment"], how="left")
    cells["audience"] = np.maximum(cells["audience"].fillna(0), cells["n_today"])
    cells["margin_shrunk"] = _shrink(cells)
    cells["status"] = np.select(
        [cells["margin_shrunk"].isna(), ~(cells["cost_per_contact"] > 0)],
        [KEPT_NO_MEASURE, KEPT_NO_COST], OPTIMISED)
    cells.insert(1, "segment_by", by)
    return cells


def _kind_costs(costs: pd.DataFrame) -> pd.DataFrame:
    c = costs.assign(spend=costs["cost_per_contact"] * costs["contacts_made"])
    g = c.groupby("kind")
    made = g["contacts_made"].sum()
    out = pd.DataFrame({"cost_per_contact": g["spend"].sum(min_count=1) / made.where(made > 0),
                        "campaigns": g["campaign_id"].nunique()})
    out["channel"] = g["channel"].agg(lambda s: s.mode().iat[0] if s.notna().any() else "") \
        if "channel" in costs else ""
    return out.reset_index()


def _audience(audience: pd.DataFrame, by: str, per_kind: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for k in per_kind.itertuples():
        consent = _CONSENT.get(str(k.channel))
        who = audience
        if consent and consent in audience:
            who = audience[audience[consent].fillna(False).astype(bool)]
        n = who.groupby(by).size() * k.campaigns
        rows.append(pd.DataFrame({"kind": k.kind, "segment": n.index, "audience": n.to_numpy()}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["kind", "segment", "audience"])


def _shrink(cells: pd.DataFrame) -> pd.Series:
    """Random-effects (DerSimonian-Laird) shrinkage of each cell's lift towards its kind's mean."""
    out = pd.Series(np.nan, index=cells.index)
    for _, k in cells.groupby("kind"):
        ok = k["margin_lift"].notna() & (k["margin_se"] > 0)
        m, v = k.loc[ok, "margin_lift"], k.loc[ok, "margin_se"] ** 2
        if len(m) < 2:
            out[m.index] = m
            continue
        w = 1 / v
        mu_fixed = np.dot(w, m) / w.sum()
        q = np.dot(w, (m - mu_fixed) ** 2)
        tau2 = max(0.0, (q - (len(m) - 1)) / (w.sum() - (w**2).sum() / w.sum()))
        wr = 1 / (v + tau2)
        mu = np.dot(wr, m) / wr.sum()
        out[m.index] = m if tau2 == math.inf else (m / v + mu / tau2) / (1 / v + 1 / tau2) \
            if tau2 > 0 else mu
    return out


def _curve(cells: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Initial marginal margin a and audience S of each cell, so that V(n_today) = today's margin."""
    n0 = cells["n_today"].to_numpy(float)
    s = cells["audience"].to_numpy(float)
    m = cells["margin_shrunk"].to_numpy(float)
    return m * n0 / (s * -np.expm1(-n0 / s)), s


def _contacts(a, s, c, lam) -> np.ndarray:
    """Contacts where the marginal margin a * exp(-n / S) falls to lam x cost, within [0, S]."""
    with np.errstate(divide="ignore", invalid="ignore"):
        n = s * np.log(a / (lam * c))
    return np.where(a > lam * c, np.minimum(n, s), 0.0)


def allocate_budget(cells: pd.DataFrame, *, budget: float | None = None) -> pd.DataFrame:
    """The contacts per cell that maximise expected incremental margin for a variable budget.

    Cells whose status is not "optimised" keep today's contacts and spend; the rest of
    `budget` (default: today's variable spend of every cell) is shared so that the last
    euro in every funded cell brings the same marginal margin, never less than one euro
    (see :data:`ASSUMPTIONS`). Adds n_after, spend_today, spend_after, margin_today,
    margin_after (expected incremental margin) and the changes.
    """
    out = cells.copy()
    c = out["cost_per_contact"].to_numpy(float)
    out["spend_today"] = out["n_today"] * np.nan_to_num(c)
    opt = (out["status"] == OPTIMISED).to_numpy()
    frozen = float(out.loc[~opt, "spend_today"].sum())
    budget = float(out["spend_today"].sum()) if budget is None else float(budget)
    if not np.isfinite(budget) or budget < frozen:
        raise ValueError(f"budget {budget:,.2f} is below the {frozen:,.2f} spent today on cells that "
                         "keep their contacts (no controlled measure or no cost); give at least that")
    a, s = _curve(out)
    a, s, c_opt = a[opt], s[opt], c[opt]
    n = np.zeros(len(a))
    if len(a):
        def spend(lam):
            return float(np.dot(c_opt, _contacts(a, s, c_opt, lam))) - (budget - frozen)

        lam = 1.0 if spend(1.0) <= 0 else brentq(spend, 1.0, float(np.max(a / c_opt)), xtol=1e-10)
        n = _contacts(a, s, c_opt, lam)
    out["n_after"] = out["n_today"].astype(float)
    out.loc[opt, "n_after"] = n
    out["spend_after"] = out["n_after"] * np.nan_to_num(c)
    m = out["margin_shrunk"].fillna(out["margin_lift"]).to_numpy(float)
    out["margin_today"] = out["n_today"] * m
    out["margin_after"] = out["margin_today"]
    a_all, s_all = _curve(out)
    out.loc[opt, "margin_after"] = (a_all * s_all * -np.expm1(-out["n_after"] / s_all))[opt]
    out["spend_change"] = out["spend_after"] - out["spend_today"]
    out["contacts_change"] = out["n_after"] - out["n_today"]
    out.attrs["budget"], out.attrs["unspent"] = budget, budget - float(out["spend_after"].sum())
    return out


def allocation_summary(allocation: pd.DataFrame) -> pd.DataFrame:
    """Per action kind: spend, contacts and expected incremental margin before and after.

    Spend is variable spend; ``spend_share_*`` are shares of each total; a last row
    ``(unspent)`` holds the budget left because no further contact pays for itself.
    """
    g = allocation.groupby("kind")
    out = g[["spend_today", "spend_after", "n_today", "n_after", "margin_today", "margin_after"]].sum()
    out["net_today"] = out["margin_today"] - out["spend_today"]
    out["net_after"] = out["margin_after"] - out["spend_after"]
    budget = allocation.attrs.get("budget", float(out["spend_today"].sum()))
    unspent = allocation.attrs.get("unspent", budget - float(out["spend_after"].sum()))
    out.loc["(unspent)"] = 0.0
    out.loc["(unspent)", "spend_after"] = unspent
    out["spend_share_today"] = out["spend_today"] / out["spend_today"].sum()
    out["spend_share_after"] = out["spend_after"] / max(budget, 1e-12)
    out["spend_change"] = out["spend_after"] - out["spend_today"]
    return out.reset_index()
