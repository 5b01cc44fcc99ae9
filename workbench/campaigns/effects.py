"""Campaign ROI, part 3: incremental effects against control groups, per campaign, kind, segment.

Private to :mod:`workbench.campaigns`.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd

from workbench.campaigns.outcomes import CONTROL
from workbench.campaigns.stats import difference, pool

__all__ = ["METRICS", "BASIS_INCREMENTAL", "BASIS_ATTRIBUTED", "incrementality", "effects_by",
           "action_audit"]

log = logging.getLogger(__name__)

#: metric -> outcome column; conversion is a rate, revenue and margin are per contact.
METRICS = {"conversion": "converted", "revenue": "revenue", "margin": "margin"}
BASIS_INCREMENTAL = "incremental (vs control)"
BASIS_ATTRIBUTED = "attributed only: no control group"
_MIN_GROUP = 2


def _arm_cost(costs: pd.DataFrame | None, campaign_id: str, made: int, made_all: int) -> float:
    """Fixed cost shared by contacts made across arms, plus the cost per contact of this arm."""
    if costs is None:
        return math.nan
    row = costs.loc[costs["campaign_id"] == campaign_id]
    if row.empty:
        return math.nan
    row = row.iloc[0]
    share = made / made_all if made_all else 0.0
    return float(row["fixed_cost"] * share + row["cost_per_contact"] * made)


def incrementality(outcomes: pd.DataFrame, *, costs: pd.DataFrame | None = None,
                   confidence: float = 0.95, method: str = "welch", n_boot: int = 2000,
                   seed: int = 0, control: str = CONTROL) -> pd.DataFrame:
    """Each treated arm of each campaign against the campaign's control group.

    Per arm: contacts, and for conversion (rate), revenue and margin per contact the treated
    and control means, the lift (treated - control) with its interval and p-value (Welch t or
    bootstrap, see :func:`workbench.campaigns.difference`); the incremental margin of the
    arm = lift x treated contacts; cost = fixed cost (shared by contacts made) + cost per
    contact x contacts made; incremental ROI = (incremental margin - cost) / cost, with the
    interval of the margin carried through (cost is known).

    Campaigns without a control group get ``basis`` = "attributed only: no control group"
    and no incremental figure. Every row has the *attributed* figures (everything the treated
    contacts bought in the window, as if the campaign caused it all), labelled as such.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for cid, camp in outcomes.groupby("campaign_id", sort=True):
        ctrl = camp[camp["group"] == control]
        made_all = int(camp["contacted"].sum())
        for arm, treated in camp[camp["group"] != control].groupby("group", sort=True):
            made = int(treated["contacted"].sum())
            row = {"campaign_id": cid, "kind": treated["kind"].iat[0], "arm": arm,
                   "n_treated": len(treated), "n_control": len(ctrl), "contacts_made": made,
                   "cost": _arm_cost(costs, cid, made, made_all)}
            row |= _arm_effects(treated, ctrl, confidence, method, n_boot, rng)
            rows.append(row)
    return _finish_incrementality(pd.DataFrame(rows))


def _arm_effects(treated, ctrl, confidence, method, n_boot, rng) -> dict:
    row = {"basis": BASIS_INCREMENTAL if len(ctrl) >= _MIN_GROUP else BASIS_ATTRIBUTED}
    for metric, col in METRICS.items():
        row[f"{metric}_treated"] = float(treated[col].mean())
        row[f"{metric}_control"] = float(ctrl[col].mean()) if len(ctrl) else math.nan
        d = difference(treated[col], ctrl[col], confidence=confidence, method=method,
                       n_boot=n_boot, rng=rng)
        if row["basis"] == BASIS_ATTRIBUTED:
            d = dict.fromkeys(d, math.nan)
        row |= {f"{metric}_lift": d["diff"], f"{metric}_low": d["low"],
                f"{metric}_high": d["high"], f"{metric}_p": d["p_value"]}
    row["attributed_revenue"] = float(treated["revenue"].sum())
    row["attributed_margin"] = float(treated["margin"].sum())
    return row


def _finish_incrementality(out: pd.DataFrame) -> pd.DataFrame:
    if out.empty:
        return out
    n = out["n_treated"]
    cost = out["cost"].where(out["cost"] > 0)
    for suffix in ("", "_low", "_high"):
        src = "margin_lift" if suffix == "" else f"margin{suffix}"
        out[f"incr_margin{suffix}"] = out[src] * n
        out[f"roi{suffix}"] = (out[f"incr_margin{suffix}"] - cost) / cost
    out["attributed_roi"] = (out["attributed_margin"] - cost) / cost
    out["message"] = [_message(r) for r in out.itertuples()]
    return out


def _message(r) -> str:
    parts = []
    if r.basis == BASIS_ATTRIBUTED:
        why = "no control group" if r.n_control == 0 else f"only {r.n_control} control contact(s)"
        parts.append(f"{why}: the incremental effect cannot be measured; the figures shown are "
                     "attributed (all the treated bought in the window), not incremental")
    if not np.isfinite(r.cost) or r.cost <= 0:
        parts.append("no cost known: give the campaign's costs (or the cost parameters) for its ROI")
    return "; ".join(parts)


def effects_by(outcomes: pd.DataFrame, by: str | list[str], *, confidence: float = 0.95,
               method: str = "welch", n_boot: int = 2000, seed: int = 0,
               control: str = CONTROL, min_contacts: int = _MIN_GROUP) -> pd.DataFrame:
    """Incremental effects pooled over campaigns, per value of `by` (kind, segment, ...).

    Within each campaign, every treated arm together is compared with the control group
    *inside the cell* (randomisation holds within any pre-treatment segment); the per-campaign
    lifts are averaged with weights = treated contacts (see
    :func:`workbench.campaigns.pool`). A campaign counts in a cell only with at least
    `min_contacts` treated and control contacts there; the others are counted in
    ``campaigns_skipped``, their contacts in ``treated_skipped``.
    """
    keys = [by] if isinstance(by, str) else list(by)
    rng = np.random.default_rng(seed)
    rows = []
    for cell, frame in outcomes.groupby(keys, sort=True, dropna=False, observed=True):
        cell = cell if isinstance(cell, tuple) else (cell,)
        row = dict(zip(keys, cell, strict=True))
        parts, skipped, skipped_n = {m: [] for m in METRICS}, 0, 0
        for _, camp in frame.groupby("campaign_id", sort=True):
            t, c = camp[camp["group"] != control], camp[camp["group"] == control]
            if len(t) < min_contacts or len(c) < min_contacts:
                skipped, skipped_n = skipped + 1, skipped_n + len(t)
                continue
            for metric, col in METRICS.items():
                d = difference(t[col], c[col], confidence=confidence, method=method,
                               n_boot=n_boot, rng=rng)
                parts[metric].append({"diff": d["diff"], "se": d["se"], "n": len(t)})
        row |= {"campaigns": len(parts["margin"]), "campaigns_skipped": skipped,
                "n_treated": sum(p["n"] for p in parts["margin"]), "treated_skipped": skipped_n,
                "n_control": int((frame["group"] == control).sum())}
        for metric in METRICS:
            d = pool(pd.DataFrame(parts[metric], columns=["diff", "se", "n"]), confidence=confidence)
            row |= {f"{metric}_lift": d["diff"], f"{metric}_low": d["low"],
                    f"{metric}_high": d["high"], f"{metric}_p": d["p_value"],
                    f"{metric}_se": d["se"]}
        rows.append(row)
    return pd.DataFrame(rows)


def action_audit(outcomes: pd.DataFrame, *, costs: pd.DataFrame, confidence: float = 0.95,
                 method: str = "welch", n_boot: int = 2000, seed: int = 0,
                 control: str = CONTROL) -> pd.DataFrame:
    """Contact-point audit: per kind of action, what a contact costs and what it brings.

    Per kind: campaigns and contacts made; variable cost per contact (weighted by contacts)
    and full cost per contact (fixed costs included); incremental revenue and margin per
    treated contact pooled over the kind's controlled campaigns (with intervals); benefit /
    cost = incremental margin per contact / full cost per contact, and the same over the
    variable cost only (what one more contact in an existing campaign returns); net margin
    per contact = incremental margin - full cost. Kinds with no controlled campaign show
    attributed figures only (``basis`` says so).
    """
    controlled = outcomes.groupby("campaign_id")["group"].agg(lambda g: (g == control).sum() >= _MIN_GROUP)
    eff = effects_by(outcomes[outcomes["campaign_id"].map(controlled)], "kind", confidence=confidence,
                     method=method, n_boot=n_boot, seed=seed, control=control)
    cost_rows = []
    for kind, k in costs.groupby("kind", sort=True):
        ctrl = k[k["campaign_id"].map(controlled).eq(True)]
        ref = ctrl if len(ctrl) else k
        made = ref["contacts_made"].sum()
        treated = outcomes[outcomes["campaign_id"].isin(k["campaign_id"]) & outcomes["treated"]]
        cost_rows.append({
            "kind": kind, "campaigns": len(k), "campaigns_with_control": len(ctrl),
            "contacts_made": int(k["contacts_made"].sum()),
            "cost_per_contact": _ratio((ref["cost_per_contact"] * ref["contacts_made"]).sum(), made),
            "full_cost_per_contact": _ratio(ref["total_cost"].sum(), made),
            "total_cost": float(k["total_cost"].sum(min_count=1)),
            "attributed_revenue_per_contact": _ratio(treated["revenue"].sum(), len(treated)),
            "attributed_margin_per_contact": _ratio(treated["margin"].sum(), len(treated))})
    out = pd.DataFrame(cost_rows)
    keep = ["kind", "n_treated", *[f"{m}_{s}" for m in ("revenue", "margin")
                                   for s in ("lift", "low", "high", "p", "se")]]
    out = out.merge(eff[keep] if len(eff) else pd.DataFrame(columns=keep), on="kind", how="left")
    out["basis"] = np.where(out["campaigns_with_control"] > 0, BASIS_INCREMENTAL, BASIS_ATTRIBUTED)
    for name, denom in (("benefit_cost", "full_cost_per_contact"),
                        ("benefit_cost_variable", "cost_per_contact")):
        d = out[denom].where(out[denom] > 0)
        for s in ("", "_low", "_high"):
            out[f"{name}{s}"] = out["margin_lift" if s == "" else f"margin{s}"] / d
    out["net_margin_per_contact"] = out["margin_lift"] - out["full_cost_per_contact"]
    return out.sort_values("benefit_cost", ascending=False, na_position="last").reset_index(drop=True)


def _ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b and np.isfinite(a) else math.nan
