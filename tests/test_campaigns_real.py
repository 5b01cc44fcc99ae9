"""Campaign ROI on Kevin Hillstrom's e-mail test (2008): the published arm figures and Welch t."""

from __future__ import annotations

import pytest

import workbench as wb
from workbench import campaigns as C

MAPPING = "data/mappings/hillstrom.yml"
# arm -> customers, visit %, conversion %, spend per customer ($), as published
PUBLISHED = {"mens": (21307, 18.2757, 1.2531, 1.422617),
             "womens": (21387, 15.1400, 0.8837, 1.077202),
             "control": (21306, 10.6167, 0.5726, 0.652789)}


@pytest.fixture(scope="module")
def hillstrom(real_data):
    crm = wb.load(real_data / "hillstrom", mapping=MAPPING, as_of="2025-12-31")
    book = C.portfolio(crm)
    outcomes = C.contact_outcomes(book.contacts, book.orders, campaigns=book.campaigns,
                                  products=book.products, window_days=14, margin_rate=0.4)
    return book, outcomes


def test_published_arm_figures(hillstrom):
    _, outcomes = hillstrom
    arms = C.arm_summary(outcomes).set_index("group")
    for arm, (n, visit, conversion, spend) in PUBLISHED.items():
        assert arms.loc[arm, "contacts"] == n
        assert round(100 * arms.loc[arm, "response_rate"], 4) == visit
        assert round(100 * arms.loc[arm, "conversion_rate"], 4) == conversion
        assert round(arms.loc[arm, "revenue_per_contact"], 6) == spend
    # per *buyer*, the arms rank the other way round: Womens first
    assert arms["revenue_per_buyer"].idxmax() == "womens"


def test_mens_against_no_email_welch_t(hillstrom):
    _, outcomes = hillstrom
    mens = outcomes.loc[outcomes["group"] == "mens", "revenue"]
    control = outcomes.loc[outcomes["group"] == "control", "revenue"]
    d = C.difference(mens, control)
    assert round(d["t"], 2) == 5.30
    assert d["p_value"] == pytest.approx(1.2e-7, rel=0.05)
    effects = C.incrementality(outcomes).set_index("arm")
    assert effects.loc["mens", "revenue_lift"] == pytest.approx(1.422617 - 0.652789, abs=1e-6)
    assert effects.loc["mens", "revenue_p"] == pytest.approx(d["p_value"])
    assert effects.loc["womens", "revenue_low"] > 0   # both e-mails raise spend
    assert (effects["basis"] == C.BASIS_INCREMENTAL).all()


def test_no_cost_in_the_file_gives_a_clear_message_and_an_assumption_gives_roi(hillstrom):
    book, outcomes = hillstrom
    costs = C.campaign_costs(book.campaigns, book.contacts)
    checks = C.campaign_checks(book.campaigns, book.contacts, costs=costs)
    assert list(checks["check"]) == ["costs missing"]
    assumed = C.campaign_costs(book.campaigns, book.contacts, fixed_cost=0.0, cost_per_contact=0.1)
    assert assumed["total_cost"].iat[0] == pytest.approx(0.1 * (21307 + 21387))
    effects = C.incrementality(outcomes, costs=assumed).set_index("arm")
    # Mens: 40 % margin on a 0.77 lift per customer, for 0.10 an e-mail: ROI = 0.3079 / 0.1 - 1
    assert effects.loc["mens", "roi"] == pytest.approx((1.422617 - 0.652789) * 0.4 / 0.1 - 1, abs=1e-4)


def test_uplift_model_ranks_womens_visits_above_random(hillstrom):
    book, outcomes = hillstrom
    features = ["recency", "history", "mens", "womens", "zip_code", "newbie", "channel"]
    scored = C.uplift_scores(outcomes, features=features, customers=book.customers, arm="womens",
                             outcome="responded", seed=0)
    curve = C.qini_curve(scored, outcome="responded")
    assert len(scored) == 21387 + 21306
    assert curve["incremental"].iat[-1] == pytest.approx(3238 - 2262 * 21387 / 21306)
    assert curve["qini_share"].iat[0] > 0.05


def test_response_rates_need_no_orders_and_split_by_the_mapped_segments(hillstrom):
    book, _ = hillstrom
    columns = C.segment_candidates(book.customers)
    assert {"history_segment", "zip_code", "channel", "mens", "womens", "newbie"} <= set(columns)
    contacts = C.response_contacts(book.contacts, campaigns=book.campaigns, customers=book.customers,
                                   columns=columns)
    arms = C.response_rates(contacts, "group").set_index("group")
    for arm, (n, visit, _, _) in PUBLISHED.items():
        assert arms.loc[arm, "recorded"] == n and arms.loc[arm, "not_recorded"] == 0
        assert round(100 * arms.loc[arm, "response_rate"], 4) == visit
        assert arms.loc[arm, "response_low"] < arms.loc[arm, "response_rate"] < arms.loc[arm, "response_high"]
    # Wilson at n = 21,307: about +/- 0.52 points around 18.28 %
    assert arms.loc["mens", "response_high"] - arms.loc["mens", "response_low"] == pytest.approx(0.0104, abs=3e-4)
    by_zip = C.response_rates(contacts, ["zip_code", "group"])
    assert by_zip["contacts"].sum() == 64_000 and set(by_zip["zip_code"]) == {"Rural", "Surburban", "Urban"}


def test_visit_lift_of_each_email_against_no_email(hillstrom):
    book, _ = hillstrom
    lift = C.response_lift(C.response_contacts(book.contacts)).set_index("arm")
    for arm in ("mens", "womens"):
        published = (PUBLISHED[arm][1] - PUBLISHED["control"][1]) / 100
        assert lift.loc[arm, "response_lift"] == pytest.approx(published, abs=1e-6)
        assert published - 0.01 < lift.loc[arm, "lift_low"] < published < lift.loc[arm, "lift_high"]
        assert lift.loc[arm, "lift_p"] < 1e-10
        assert lift.loc[arm, "basis"] == C.BASIS_INCREMENTAL
