"""Tests of workbench.health, churn risk: hand-computed components, planted lapses, CDNOW holdout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.health import (
    CapitalRules,
    RiskRules,
    churn_risk,
    evaluate_risk,
    no_purchase_between,
    tolerance_capital,
)

# --------------------------------------------------------------------------- by hand


class _FixedModel:
    """A stand-in for LifetimeValue: P(no purchase) given per customer."""

    def __init__(self, p):
        self.p = p

    def probability_no_purchase(self, scores, *, days):
        return pd.Series(self.p, index=scores.index, name="p_no_purchase")


@pytest.fixture(scope="module")
def small():
    orders = pd.DataFrame({
        "order_id": ["1", "2", "3", "4", "5", "6"],
        "customer_id": ["A", "A", "B", "B", "C", "C"],
        "order_date": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-01", "2024-03-01",
                                      "2024-03-31", "2024-04-05"]),
        "amount": [10.0, 10.0, 10.0, 10.0, 10.0, -10.0]})
    as_of = pd.Timestamp("2024-04-10")
    cap = tolerance_capital({"orders": orders}, as_of=as_of, rules=CapitalRules(rhythm_days=10.0))
    scores = pd.DataFrame({"frequency": [1, 1, 0], "T": [14.3, 14.3, 1.4], "p_alive": [0.9, 0.6, 1.0],
                           "last_purchase": pd.to_datetime(["2024-01-11", "2024-03-01", "2024-03-31"])},
                          index=pd.Index(["A", "B", "C"], name="customer_id"))
    scores.attrs["as_of"] = as_of
    return orders, cap, scores


def test_risk_components_score_and_bands_by_hand(small):
    _, cap, scores = small
    risk = churn_risk(scores, cap, model=_FixedModel([0.2, 0.5, 0.1]))
    # A: capital 0 (broken); rhythm 10; 90 days since purchase = 9 intervals
    # B: capital 0 (broken); rhythm (60 + 20) / 3 = 26.67; 40 days = 1.5 intervals
    # C: capital 50 - 2 (return) - wear 0 = 48; rhythm 10; 10 days = 1 interval
    assert risk["capital"].tolist() == pytest.approx([0.0, 0.0, 48.0])
    assert risk["risk_capital"].tolist() == pytest.approx([1.0, 1.0, 2 / 30])
    assert risk["intervals_since_purchase"].tolist() == pytest.approx([9.0, 1.5, 1.0])
    expected_recency = [1 - 2 ** -4.5, 1 - 2 ** -0.75, 1 - 2 ** -0.5]
    assert risk["risk_recency"].tolist() == pytest.approx(expected_recency)
    expected = [(0.2 + 1 + expected_recency[0]) / 3, (0.5 + 1 + expected_recency[1]) / 3,
                (0.1 + 2 / 30 + expected_recency[2]) / 3]
    assert risk["risk_score"].tolist() == pytest.approx(expected)
    # A 0.71 -> high; B 0.65 -> high; C 0.154 -> low
    assert risk["risk_band"].astype(str).tolist() == ["high", "high", "low"]
    weighted = churn_risk(scores, cap, model=_FixedModel([0.2, 0.5, 0.1]),
                          rules=RiskRules(weight_model=2, weight_capital=0, weight_recency=0, cuts=(0.1, 0.3, 0.9)))
    assert weighted["risk_score"].tolist() == pytest.approx([0.2, 0.5, 0.1])
    # a broken capital lifts A (0.2: medium) to 'high'; a score on a cut takes the band above it
    assert weighted["risk_band"].astype(str).tolist() == ["high", "high", "medium"]


def test_risk_needs_the_same_date_and_sane_rules(small):
    _, cap, scores = small
    other = scores.copy()
    other.attrs["as_of"] = pd.Timestamp("2024-04-11")
    with pytest.raises(ValueError, match="scores are as of 2024-04-11 but the capital as of 2024-04-10"):
        churn_risk(other, cap, model=_FixedModel(0.1))
    with pytest.raises(ValueError, match="three increasing values"):
        RiskRules(cuts=(0.5, 0.25, 0.75))
    with pytest.raises(ValueError, match="at least one > 0"):
        RiskRules(weight_model=0, weight_capital=0, weight_recency=0)


def test_evaluate_risk_by_hand():
    risk = pd.DataFrame({"risk_score": [0.9, 0.8, 0.3, 0.1, 0.5],
                         "risk_band": pd.Categorical(["critical", "critical", "medium", "low", "high"],
                                                     categories=["low", "medium", "high", "critical"])},
                        index=list("abcde"))
    outcome = pd.Series([True, False, True, False], index=list("abcd"))
    ev = evaluate_risk(risk, outcome, top_share=0.25, scores=("risk_score",))
    m = ev.metrics.loc["risk_score"]
    # pairs (churner, stayer): a>b, a>d, c<b, c>d: 3 of 4
    assert m["auc"] == pytest.approx(0.75)
    assert (m["precision_top"], m["base_rate"], m["lift_top"]) == (1.0, 0.5, 2.0)  # top 1 of 4 is 'a'
    assert ev.counts == {"evaluated": 4, "scored_without_outcome": 1, "outcome_without_score": 0}
    assert ev.bands.set_index("band")["churners"].tolist() == [0, 1, 0, 1]


def test_risk_evaluation_when_everybody_came_back_warns_and_leaves_the_auc_empty():
    """Regression: every customer repurchased in the holdout, the AUC crashed (issue 11)."""
    from workbench.notices import ResultWarning

    risk = pd.DataFrame({"risk_score": [0.9, 0.8, 0.3],
                         "risk_band": pd.Categorical(["critical", "high", "low"],
                                                     categories=["low", "medium", "high", "critical"])},
                        index=list("abc"))
    with pytest.warns(ResultWarning, match="none churned, so the AUC is undefined"):
        ev = evaluate_risk(risk, pd.Series([False, False, False], index=list("abc")),
                           scores=("risk_score",))
    m = ev.metrics.loc["risk_score"]
    assert np.isnan(m["auc"]) and m["base_rate"] == 0 and np.isnan(m["lift_top"])
    assert ev.counts["evaluated"] == 3


def test_no_purchase_between_by_hand(small):
    orders = small[0]
    out = no_purchase_between(orders, after="2024-01-31", until="2024-04-10")
    # A and B had bought by 01-31; B bought again on 03-01; C bought later and is not in it
    assert out.to_dict() == {"A": True, "B": False}
    with pytest.raises(ValueError, match="must be after"):
        no_purchase_between(orders, after="2024-02-01", until="2024-01-01")


# --------------------------------------------------------------------------- planted truth


@pytest.fixture(scope="module")
def demo():
    crm = wb.load("demo", as_of="2025-12-31", seed=42)
    cal = "2025-06-30"
    lv = wb.clv.LifetimeValue(model="bg/nbd").fit(crm["orders"], calibration_end=cal)
    cap = tolerance_capital(crm, as_of=cal)
    risk = churn_risk(lv.score(crm["orders"], as_of=cal), cap, model=lv)
    truth = crm.customers_truth.set_index("customer_id")  # for the test only: methods never read it
    lapsed = truth["lapse_date"] <= pd.Timestamp(cal)
    return crm, risk, lapsed, truth


def test_planted_lapses_are_detected(demo):
    _, risk, lapsed, _ = demo
    ev = evaluate_risk(risk, lapsed)
    assert ev.counts == {"evaluated": 3541, "scored_without_outcome": 0, "outcome_without_score": 459}
    m = ev.metrics
    assert m.loc["risk_score", "base_rate"] == pytest.approx(1006 / 3541)
    assert m.loc["risk_score", "auc"] >= 0.85  # 0.884
    assert m.loc["risk_score", "precision_top"] >= 0.85  # 0.868: 308 of the 355 riskiest had lapsed
    assert m.loc["risk_score", "auc"] == pytest.approx(0.884, abs=0.01)
    rates = ev.bands["churn_rate"].to_numpy()
    assert (np.diff(rates) > 0).all() and rates[0] < 0.05 and rates[-1] > 0.7


def test_the_capital_adds_what_incidents_say(demo):
    """On lapses caused by incidents, the combined score beats every single component."""
    _, risk, lapsed, truth = demo
    incident = truth["lapse_cause"] == "incident"
    outcome = lapsed[~lapsed | (lapsed & incident)]
    m = evaluate_risk(risk, outcome).metrics["auc"]
    assert m["risk_score"] > max(m["risk_model"], m["risk_capital"], m["risk_recency"]) + 0.02  # 0.914
    assert m["risk_score"] >= 0.9


# --------------------------------------------------------------------------- CDNOW holdout


@pytest.mark.realdata
def test_cdnow_holdout_period(real_data):
    crm = wb.load(real_data / "cdnow", mapping="data/mappings/cdnow_sample.yml")
    cal, obs = "1997-09-30", "1998-06-30"
    lv = wb.clv.LifetimeValue(model="bg/nbd").fit(crm["orders"], calibration_end=cal)
    cap = tolerance_capital(crm, as_of=cal)
    assert cap.counts["events_after_as_of"] == 1959  # the holdout lines, not used
    assert cap.rhythm_days == pytest.approx(48.6667, abs=1e-3)
    risk = churn_risk(lv.score(crm["orders"], as_of=cal), cap, model=lv, rules=RiskRules(window_days=273))
    outcome = no_purchase_between(crm["orders"], after=cal, until=obs)
    assert outcome.sum() == 1673 and len(outcome) == 2357  # 71 % made no purchase in the 39 weeks
    ev = evaluate_risk(risk, outcome)
    m = ev.metrics
    assert m.loc["risk_score", "auc"] == pytest.approx(0.7542, abs=0.002)
    assert m.loc["risk_score", "precision_top"] == pytest.approx(193 / 236)
    assert m.loc["risk_model", "auc"] == pytest.approx(0.7569, abs=0.002)
    bands = ev.bands.set_index("band")
    assert bands["customers"].tolist() == [145, 272, 254, 1686]
    assert (np.diff(bands["churn_rate"]) > 0).all()
