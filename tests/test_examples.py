"""The notebooks' worked examples: every figure the lessons quote, computed by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.campaigns import examples as campaigns_ex
from workbench.data import examples as quality_ex
from workbench.health import examples as health_ex
from workbench.personas import examples as personas_ex
from workbench.pricing import examples as pricing_ex
from workbench.rfm import examples as rfm_ex


def test_data_quality_every_planted_line_is_rejected_for_its_rule():
    result = quality_ex.checked_order_lines()
    assert result["reconciliation"].iloc[0][["read", "accepted", "rejected", "excluded"]].tolist() \
        == [9, 3, 6, 0]
    assert result["accepted"]["line_id"].tolist() == ["L1", "L2", "L8"]
    rejects = result["rejects"]
    assert dict(zip(rejects["line"].astype(int), rejects["rule"], strict=True)) == quality_ex.PLANTED
    by_line = rejects.set_index(rejects["line"].astype(int))
    assert by_line.loc[4, "column"] == "amount" and by_line.loc[4, "value"] == "12,5O"
    assert by_line.loc[9, "reason"] == "customer_id 'C999' is not in customers"
    assert (rejects["file"] == "orders.csv").all()


def test_data_quality_a_later_as_of_accepts_the_future_line():
    result = quality_ex.checked_order_lines(as_of="2026-12-31")
    assert "L4" in result["accepted"]["line_id"].tolist()
    assert 5 not in result["rejects"]["line"].astype(int).tolist()


def test_personas_five_customer_table_read_as_the_article_does():
    reading = personas_ex.five_customer_reading(by="country")
    table = reading["table"].set_index("country")
    # France: C1-C3, revenue 480 + 440 + 400 = 1320 of 2280; Belgium: C4, C5, 360 + 600 = 960
    assert table.loc["France", "customers"] == 3 and table.loc["Belgium", "customers"] == 2
    assert table.loc["France", "customers_pct"] == 60.0
    assert table.loc["France", "revenue_pct"] == pytest.approx(57.9)
    assert table.loc["Belgium", "revenue_pct"] == pytest.approx(42.1)
    assert table.loc["France", "mean_basket"] == pytest.approx((40 + 55 + 25) / 3)
    assert table.loc["Belgium", "mean_basket"] == pytest.approx((180 + 150) / 2)
    assert table.loc["France", "mean_orders_per_year"] == pytest.approx(6.0)
    assert table.loc["Belgium", "mean_orders_per_year"] == pytest.approx(1.5)
    assert "60 % live in France" in reading["base"]
    belgium = next(s for s in reading["findings"] if s.startswith("Buyers from Belgium"))
    assert "spend more per purchase" in belgium and "buy less often" in belgium


def test_rfm_article_grid_gives_the_articles_points_and_grades():
    scored = rfm_ex.article_example()
    # 150,000 -> band 100-200k, 3 points x 4; network 7 -> 2 x 2; newsletter 2 x 1
    assert scored["points_revenue"].tolist() == [12, 16]
    assert scored["points_network"].tolist() == [4, 6]
    assert scored["points_newsletter"].tolist() == [2, 2]
    assert scored["points"].tolist() == [18, 24]
    assert scored["grade"].tolist() == ["B", "A"]
    assert scored["grade_label"].tolist() == ["Key contact", "VIP"]


def test_pricing_ten_answers_curves_and_points_by_hand():
    curves = pricing_ex.ten_answer_curves()
    # at EUR 15: too cheap >= 15: R7 only; cheap >= 15: 7 of 10; expensive <= 15: R6 only
    assert curves.loc[15.0, ["too_cheap", "cheap", "expensive", "too_expensive"]].tolist() \
        == pytest.approx([0.1, 0.7, 0.1, 0.0])
    assert curves.loc[25.0, "too_expensive"] == pytest.approx(0.2)
    meter = pricing_ex.ten_answer_meter().prices()
    assert meter["opp"] == pytest.approx(20.0)
    assert meter["pmc"] == pytest.approx(10 + 5 * 0.6 / 0.8)   # 13.75
    assert meter["pme"] == pytest.approx(20 + 5 * 0.5 / 0.6)   # 24.17
    assert meter["ipp"] == pytest.approx(15 + 5 * 0.6 / 0.9)   # 18.33


def test_campaigns_two_campaign_control_group_example():
    out = campaigns_ex.two_campaign_example().set_index("campaign_id")
    # e-mailing: margin per contact 4 x 20 / 10 = 8 against 1 x 20 / 5 = 4
    assert out.loc["E1", ["margin_treated", "margin_control", "margin_lift"]].tolist() == [8, 4, 4]
    assert out.loc["E1", "incr_margin"] == pytest.approx(40)
    assert out.loc["E1", "cost"] == pytest.approx(10 + 1 * 10)
    assert out.loc["E1", "roi"] == pytest.approx((40 - 20) / 20)
    assert out.loc["E1", "attributed_roi"] == pytest.approx((80 - 20) / 20)
    # mailing: 3 x 30 / 10 = 9 against 2 x 30 / 5 = 12: the control group did better
    assert out.loc["M1", "margin_lift"] == pytest.approx(-3)
    assert out.loc["M1", "cost"] == pytest.approx(20 + 2 * 10)
    assert out.loc["M1", "roi"] == pytest.approx((-30 - 40) / 40)
    assert out.loc["M1", "attributed_roi"] == pytest.approx((90 - 40) / 40)
    assert out.loc["M1", "conversion_control"] == pytest.approx(0.4)


def test_health_ledger_of_one_customer():
    result = health_ex.ledger_example()
    ledger = result.customer("C1")
    steps = ledger[["event", "points", "capital"]]
    assert steps["event"].tolist() == ["first_purchase", "purchase", "purchase", "complaint",
                                       "complaint_resolved", "inactivity_starts", "inactivity",
                                       "as_of"]
    assert steps["capital"].tolist() == pytest.approx([50, 55, 60, 50, 55, 55, 45, 45])
    assert ledger.loc[ledger["event"] == "inactivity_starts", "date"].iat[0] == pd.Timestamp("2025-04-11")
    customer = result.customers.loc["C1"]
    assert customer["capital"] == pytest.approx(45) and customer["status"] == "ok"
    assert customer["last_contact"] == pd.Timestamp("2025-03-12")


def test_health_ledger_breaks_after_long_silence():
    # from 2025-04-11, 10 points per 30 days: 55 -> 20 (the threshold) after 105 days
    result = health_ex.ledger_example(as_of="2025-07-25")
    assert result.customers.loc["C1", "capital"] == pytest.approx(20)
    assert result.customers.loc["C1", "status"] == "broken"
