"""Campaign ROI recovers the demo company's planted campaign effects and best action kind."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench import campaigns as C


@pytest.fixture(scope="module")
def demo():
    crm = wb.load("demo", as_of="2025-12-31", seed=42)
    book = C.portfolio(crm)
    costs = C.campaign_costs(book.campaigns, book.contacts)
    window = crm.truth["campaigns"]["attribution_window_days"]
    outcomes = C.contact_outcomes(book.contacts, book.orders, campaigns=book.campaigns,
                                  products=book.products, window_days=window)
    return crm, book, costs, outcomes


@pytest.fixture(scope="module")
def effects(demo):
    _, _, costs, outcomes = demo
    return C.incrementality(outcomes, costs=costs).set_index("campaign_id")


def test_groups_and_costs_match_the_plan(demo, effects):
    crm, _, costs, _ = demo
    truth = crm.truth["campaigns"]["by_campaign"]
    for cid, t in truth.items():
        assert effects.loc[cid, "n_treated"] == t["n_target"]
        assert effects.loc[cid, "n_control"] == t["n_control"]
        assert costs.set_index("campaign_id").loc[cid, "total_cost"] == pytest.approx(t["total_cost"])


@pytest.mark.parametrize(("metric", "key"), [
    ("conversion", "incremental_conversion"),
    ("revenue", "incremental_revenue_per_contact"),
    ("margin", "incremental_margin_per_contact"),
])
def test_planted_effects_lie_in_their_95pct_intervals(effects, demo, metric, key):
    crm = demo[0]
    truth = crm.truth["campaigns"]["by_campaign"]
    controlled = [cid for cid, t in truth.items() if t["has_control"]]
    inside = [effects.loc[c, f"{metric}_low"] <= truth[c][key] <= effects.loc[c, f"{metric}_high"]
              for c in controlled]
    assert len(controlled) == 14
    assert np.mean(inside) >= 0.9, f"{metric}: {sum(inside)} of {len(inside)} planted effects covered"


def test_campaigns_without_control_are_labelled_attributed(effects, demo):
    crm = demo[0]
    no_control = crm.truth["campaigns"]["no_control_campaigns"]
    assert sorted(effects.index[effects["basis"] == C.BASIS_ATTRIBUTED]) == sorted(no_control)
    assert effects.loc[no_control, "roi"].isna().all()
    assert effects.loc[no_control, "attributed_roi"].notna().all()


def test_audit_ranks_the_planted_best_kind_first(demo):
    crm, _, costs, outcomes = demo
    audit = C.action_audit(outcomes, costs=costs).set_index("kind")
    best = crm.truth["campaigns"]["best_action_kind"]
    assert best == "emailing"
    assert audit["benefit_cost"].idxmax() == best
    assert audit["benefit_cost_variable"].idxmax() == best
    assert audit.loc[best, "margin_low"] > 0   # its pooled margin lift is proven
    assert audit.loc["trade_show", "basis"] == C.BASIS_ATTRIBUTED   # its one show had no control
    assert audit.loc[best, "cost_per_contact"] == pytest.approx(crm.truth["campaigns"]["cost_per_contact"][best])


def test_reallocation_favours_the_planted_best_kind(demo):
    crm, book, costs, outcomes = demo
    best = crm.truth["campaigns"]["best_action_kind"]
    seg = C.add_segments(outcomes, customers=book.customers)
    now = C.current_segments(book.customers, book.orders, as_of="2025-12-31",
                             edges=C.sales_band_edges(outcomes["pre_sales_6m"]))
    cells = C.allocation_cells(seg, by=C.SALES_BAND, costs=costs, audience=now)
    alloc = C.allocate_budget(cells)
    summary = C.allocation_summary(alloc).set_index("kind").drop("(unspent)")
    growth = summary["n_after"] / summary["n_today"]
    assert growth.idxmax() == best
    assert summary.loc[best, "spend_share_after"] > summary.loc[best, "spend_share_today"]
    assert summary["margin_after"].sum() > summary["margin_today"].sum()
    assert alloc["spend_after"].sum() <= alloc.attrs["budget"] + 1e-6
    assert (alloc["n_after"] <= alloc["audience"] + 1e-9).all()


def test_sales_rep_portfolios_add_up(demo):
    crm, book, costs, _ = demo
    reps = sorted(crm["customers"]["sales_rep"].unique())
    totals, contacts = 0.0, 0
    for rep in reps:
        mine = C.portfolio(crm, sales_rep=rep)
        assert set(mine.customers["sales_rep"]) == {rep}
        totals += C.campaign_costs(mine.campaigns, mine.contacts)["total_cost"].sum()
        contacts += len(mine.contacts)
    assert contacts == len(book.contacts)
    assert totals == pytest.approx(costs["total_cost"].sum())


def test_funnel_counts_match_the_contacts(demo):
    _, book, costs, outcomes = demo
    f = C.funnel(outcomes, campaigns=book.campaigns, costs=costs).set_index("campaign_id")
    targets = book.contacts[book.contacts["group"] != C.CONTROL]
    delivered = targets.groupby("campaign_id")["delivered"].sum()
    assert (f["delivered"].astype(int) == delivered.reindex(f.index)).all()
    emails = f[f["kind"] == "emailing"]
    assert emails["open_rate"].between(0.3, 0.45).all()   # planted opens: 20-45 % of delivered
    assert pd.isna(f.loc[f["kind"] == "mailing", "open_rate"]).all()
