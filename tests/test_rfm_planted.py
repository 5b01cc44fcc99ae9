"""RFM scoring recovers what the demo company planted: lapsed customers, seasonality, affinities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench import rfm

AS_OF = pd.Timestamp("2025-12-31")


@pytest.fixture(scope="module")
def crm():
    return wb.load("demo", as_of=AS_OF, seed=42)


@pytest.fixture(scope="module")
def result(crm):
    return rfm.score(crm, as_of=AS_OF)


@pytest.fixture(scope="module")
def lapsed(crm, result):
    """Planted: customers whose last possible purchase day is 180+ days before as_of."""
    truth = crm.customers_truth.set_index("customer_id")
    return (truth["lapse_date"] <= AS_OF - pd.Timedelta(days=180)).reindex(result.table["customer_id"]).to_numpy()


def _recall_precision(flag, lapsed):
    hit = (flag & lapsed).sum()
    return hit / lapsed.sum(), hit / flag.sum()


def test_planted_lapsed_customers_land_in_inactive_or_at_risk(result, lapsed):
    t = result.table
    flag = (t["segment"].isin(rfm.INACTIVE_SEGMENTS) | (t["potential_class"] == "inactive")).to_numpy()
    recall, precision = _recall_precision(flag, lapsed)
    assert lapsed.sum() == 1012  # 25.3 % of the 4,000 customers
    assert recall >= 0.98 and precision >= 0.6  # measured: 0.996 and 0.606
    recall_cls, precision_cls = _recall_precision((t["potential_class"] == "inactive").to_numpy(), lapsed)
    assert recall_cls >= 0.85 and precision_cls >= 0.65  # measured: 0.887 and 0.681
    # no planted-lapsed customer is a champion
    assert not (lapsed & (t["segment"] == "Champions").to_numpy()).any()


def test_default_run_scores_everyone_and_loses_no_one(crm, result):
    t = result.table
    assert len(t) == len(crm["customers"]) == 4000
    assert result.counts["purchasers"] == 3999 and result.counts["no_purchase"] == 1
    assert result.segment_report.unassigned == 0
    assert result.segment_report.sizes["customers"].sum() == 4000
    assert t["grade"].notna().all() and set(t["grade"]) == {"A", "B", "C", "D"}
    assert result.grid_coverage["skipped"].sum() == 0  # the demo has every default criterion
    # quintile cut points put a fifth of purchasers in each monetary score
    shares = t["m_score"].value_counts(normalize=True)
    assert np.allclose(shares.to_numpy(), 0.2, atol=0.005)


def test_planted_seasonality_is_recovered(crm):
    cells = rfm.seasonality(crm.table("orders"), as_of=AS_OF)
    month = rfm.seasonality_index(cells, by="month", measure="orders")["All"].to_numpy()
    weekday = rfm.seasonality_index(cells, by="weekday", measure="orders")["All"].to_numpy()
    planted = crm.truth["seasonality"]
    assert np.corrcoef(month, planted["month_multipliers"])[0, 1] > 0.95  # measured 0.981
    assert month.argmax() == 11 and month.argmin() == 7  # December peak, August trough
    assert np.abs(weekday - planted["weekday_multipliers"]).max() < 0.06  # measured 0.031
    assert cells["days"].sum() == (AS_OF - pd.Timestamp("2023-01-01")).days + 1


def test_association_rules_equal_an_independent_pandas_computation(crm, result):
    o = crm["orders"]
    o = o[(o["amount"] > 0) & o["category"].notna()]
    baskets = o.groupby("customer_id")["category"].agg(set)
    n = len(baskets)
    office = baskets.map(lambda s: "office" in s)
    premium = baskets.map(lambda s: "premium" in s)
    rule = result.rules.set_index(["antecedent", "consequent"]).loc[("premium", "office")]
    assert rule["support"] == pytest.approx((office & premium).sum() / n)
    assert rule["confidence"] == pytest.approx((office & premium).sum() / premium.sum())
    assert rule["lift"] == pytest.approx(rule["confidence"] / (office.sum() / n))
    assert result.rules["lift"].iloc[0] > 2  # business buyers mix office and premium


def test_planted_personas_show_in_dominant_category_and_channel(crm, result):
    t = result.table.merge(crm.customers_truth[["customer_id", "persona"]], on="customer_id")
    top = t.groupby("persona")["dominant_category"].agg(lambda s: s.mode().iloc[0])
    assert top["business_buyers"] == "office" and top["senior_premium"] == "premium"
    channel = t.groupby("persona")["dominant_channel"].agg(lambda s: s.mode().iloc[0])
    assert channel["business_buyers"] == "sales_rep" and channel["family_store"] == "store"


def test_segment_kpis_and_concentration_by_hand(result):
    t = result.table
    k = rfm.segment_kpis(t).set_index("segment")
    champions = t[t["segment"] == "Champions"]
    assert k.loc["Champions", "customers"] == len(champions)
    basket = champions["monetary"].sum() / champions["frequency"].sum()
    assert k.loc["Champions", "avg_basket"] == pytest.approx(basket)
    assert k.loc["Champions", "avg_basket_low"] < basket < k.loc["Champions", "avg_basket_high"]
    assert k["revenue_share_pct"].sum() == pytest.approx(100)
    c = rfm.concentration(t)
    m = np.sort(t.loc[t["frequency"] > 0, "monetary"].to_numpy())[::-1]
    assert c["top_customers"] == 800
    assert c["top_revenue_share_pct"] == pytest.approx(100 * m[:800].sum() / m.sum(), abs=0.01)
    curve = rfm.pareto_curve(t)
    assert curve["revenue_share_pct"].iloc[-1] == pytest.approx(100)


def test_kpis_against_the_previous_period(crm, result):
    before = rfm.score(crm, as_of="2024-12-31", scorer=result.scorer, rfmcca=False)
    k = rfm.segment_kpis(result.table, previous=before.table).set_index("segment")
    prev = (before.table["segment"] == "Champions").sum()
    assert k.loc["Champions", "customers_prev"] == prev
    assert k.loc["Champions", "customers_change"] == k.loc["Champions", "customers"] - prev


def test_score_history_migration_and_grade_drops(crm, result):
    dates = pd.date_range(end=AS_OF, periods=4, freq="QE")
    h = rfm.score_history(crm, dates=dates, scorer=result.scorer)
    assert sorted(h["as_of"].unique()) == list(dates)
    end = h[h["as_of"] == AS_OF].set_index("customer_id")
    assert end["grade"].equals(result.table.set_index("customer_id")["grade"])  # same scorer, same grid
    m = rfm.migration_matrix(h, start=dates[0], end=dates[-1])
    assert m.to_numpy().sum() == (h["as_of"] == AS_OF).sum()
    start_n = (h["as_of"] == dates[0]).sum()
    assert m.drop(index="Not yet a customer").to_numpy().sum() == start_n
    drops = rfm.grade_changes(h, start=dates[0], end=dates[-1])
    assert (drops["steps"] < 0).all() and len(drops) > 100
    # a customer who stopped buying loses recency points, so the grade drop shows up
    lapsed = crm.customers_truth.set_index("customer_id")["lapse_date"]
    dropped_lapsed = lapsed.reindex(drops["customer_id"]).between(dates[0] - pd.Timedelta(days=400), AS_OF)
    assert dropped_lapsed.mean() > 0.3
