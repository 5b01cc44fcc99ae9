"""Cost-plus floor, price verdicts and accepted prices: hand-computed cases."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.pricing import (
    NO_SEGMENT,
    accepted_prices,
    attach_segments,
    cost_plus_floor,
    history_vs_survey,
    paid_prices,
    paid_vs_list,
    price_verdict,
    product_floors,
    segment_coverage,
    verdict_table,
)
from workbench.pricing.psm import psm_by_group

# --- cost-plus floor ------------------------------------------------------------------------


def test_cost_plus_floor_on_cost():
    # mark-ups: 10 x 1.25 x 1.20 = 15
    assert cost_plus_floor(10, own_margin=0.25, distribution_margin=0.2) == pytest.approx(15)
    assert cost_plus_floor(10, own_margin=0.25) == pytest.approx(12.5)


def test_cost_plus_floor_on_price():
    # shares of each selling price: 10 / (0.8 x 0.5) = 25. Check: the shop sells at 25 and
    # keeps 50% -> we get 12.5, of which our 20% margin is 2.5 -> cost 10.
    floor = cost_plus_floor(10, own_margin=0.2, distribution_margin=0.5, margin_basis="price")
    assert floor == pytest.approx(25)


def test_cost_plus_floor_vectorised_keeps_index():
    floors = cost_plus_floor(pd.Series([2.0, 4.0], index=["A", "B"]), own_margin=0.5)
    assert floors.to_dict() == {"A": 3.0, "B": 6.0}
    assert cost_plus_floor(np.array([2.0, 4.0]), own_margin=0.5).tolist() == [3.0, 6.0]


def test_cost_plus_floor_errors():
    with pytest.raises(ValueError, match=r"own_margin must be a share between 0 and 1"):
        cost_plus_floor(10, own_margin=1.0, margin_basis="price")
    with pytest.raises(ValueError, match=r"distribution_margin must be a share >= 0"):
        cost_plus_floor(10, own_margin=0.2, distribution_margin=-0.1)
    with pytest.raises(ValueError, match=r"unit_cost must be finite and >= 0; 1 value"):
        cost_plus_floor([10, -1], own_margin=0.2)
    with pytest.raises(ValueError, match=r"margin_basis='sales'"):
        cost_plus_floor(10, own_margin=0.2, margin_basis="sales")


# --- verdict --------------------------------------------------------------------------------


def test_viable_recommends_the_target():
    # ceiling 20, floor 15: headroom 5 = 25% of 20 >= 10% -> viable; target 17 in [15, 20]
    v = price_verdict(
        15, acceptable_low=12, acceptable_high=20, target=17, unit_cost=10, rule="headroom"
    )
    assert v.verdict == "viable"
    assert (v.headroom, v.headroom_pct) == (5, 0.25)
    assert (v.recommended_price, v.recommended_basis) == (17, "target")
    assert v.margin_over_floor == 2 and v.unit_margin == 7
    assert v.margin_pct == pytest.approx(7 / 17)


def test_squeezed_recommends_the_floor():
    # floor 19: headroom 1 = 5% of 20 < 10% -> squeezed; target 17 < floor -> floor
    v = price_verdict(19, acceptable_low=12, acceptable_high=20, target=17, rule="headroom")
    assert v.verdict == "squeezed" and v.headroom_pct == pytest.approx(0.05)
    assert (v.recommended_price, v.recommended_basis) == (19, "floor")
    assert "less than the 10% squeeze margin" in v.message
    assert math.isnan(v.unit_margin)


def test_not_viable_says_what_to_cut():
    v = price_verdict(25, acceptable_low=12, acceptable_high=20)
    assert v.verdict == "not viable" and v.headroom == -5
    assert math.isnan(v.recommended_price) and v.recommended_basis == "none"
    assert "cut costs or margins by at least 5.00 (20% of the floor), or drop" in v.message


def test_purchase_history_lowers_the_ceiling():
    # ceiling = min(20, 18) = 18: headroom 3 = 16.7% -> viable; target 19 clipped to 18
    v = price_verdict(
        15, acceptable_low=12, acceptable_high=20, accepted_ceiling=18, target=19, rule="headroom"
    )
    assert (v.ceiling, v.ceiling_source) == (18, "purchase history")
    assert v.headroom_pct == pytest.approx(3 / 18) and v.verdict == "viable"
    assert (v.recommended_price, v.recommended_basis) == (18, "ceiling")
    higher = price_verdict(15, acceptable_low=12, acceptable_high=20, accepted_ceiling=30)
    assert higher.ceiling == 20 and higher.ceiling_source == "survey"


def test_floor_below_the_range_recommends_its_low_end():
    v = price_verdict(8, acceptable_low=12, acceptable_high=20)
    assert (v.recommended_price, v.recommended_basis) == (12, "acceptable_low")
    assert v.margin_over_floor == 4


def test_squeeze_margin_zero_and_bad_inputs():
    assert (
        price_verdict(
            20, acceptable_low=12, acceptable_high=20, squeeze_margin=0, rule="headroom"
        ).verdict
        == "viable"
    )
    with pytest.raises(ValueError, match="acceptable_high must be a finite price"):
        price_verdict(10, acceptable_low=12, acceptable_high=float("nan"))
    with pytest.raises(ValueError, match="acceptable_low 20 is above acceptable_high 12"):
        price_verdict(10, acceptable_low=20, acceptable_high=12)


def test_verdict_table_per_product_and_group():
    floors = pd.DataFrame(
        {
            "product_id": ["A", "B", "C"],
            "floor": [15.0, 19.0, 30.0],
            "unit_cost": [10.0, 12.0, 20.0],
        }
    )
    ranges = pd.DataFrame(
        {
            "product_id": ["A", "A", "B", "D"],
            "persona": ["x", "y", "x", "x"],
            "range_low": [12, 13, 12, 5],
            "range_high": [20, np.nan, 20, 9],
            "opp": [17, np.nan, 16, 7],
        }
    )
    table = verdict_table(floors, ranges, by="persona", target="opp", rule="headroom")
    got = table[["product_id", "persona", "verdict", "recommended_price"]].astype(object)
    assert got.fillna("-").values.tolist() == [
        ["A", "x", "viable", 17.0],
        ["A", "y", "no range", "-"],  # the group had no result (NaN range)
        ["B", "x", "squeezed", 19.0],
        ["C", "-", "no range", "-"],  # a product nobody was surveyed about
        ["D", "x", "no floor", "-"],  # a surveyed product without a cost
    ]
    assert table.loc[0, "margin_pct"] == pytest.approx(7 / 17)
    with pytest.raises(ValueError, match="floors lists product 'A' more than once"):
        verdict_table(pd.concat([floors, floors]), ranges, by="persona")
    with pytest.raises(ValueError, match="ranges has no column 'segment'"):
        verdict_table(floors, ranges, by="segment")


# --- accepted prices ------------------------------------------------------------------------


@pytest.fixture
def orders() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": ["o1", "o1", "o2", "o3", "o4", "o5", "o5"],
            "customer_id": ["c1", "c1", "c2", "c2", "c3", "c4", "c4"],
            "order_date": pd.to_datetime(["2024-01-05"] * 7),
            "category": ["x", "x", "x", "x", "x", "y", "y"],
            "quantity": [1, 2, 1, -1, 1, 1, 1],
            "unit_price": [10.0, 20.0, 30.0, 10.0, 0.0, 50.0, np.nan],
            "amount": [10.0, 40.0, 30.0, -10.0, 0.0, 50.0, 5.0],
        }
    )


def test_accepted_prices_by_hand(orders):
    before = orders.copy()
    table = accepted_prices(orders, by="category").set_index("category")
    x = table.loc["x"]
    # kept unit prices 10, 20, 30: median 20, 90th percentile 20 + 0.8 x 10 = 28
    assert (x["lines"], x["unit_price_median"], x["unit_price_ceiling"]) == (3, 20, 28)
    # baskets o1 = 10 + 40 = 50, o2 = 30: mean 40, 90th percentile 30 + 0.9 x 20 = 48
    assert (x["orders"], x["basket_mean"], x["basket_ceiling"]) == (2, 40, pytest.approx(48))
    assert (x["returns_ignored"], x["zero_price_ignored"], x["missing_price_ignored"]) == (1, 1, 0)
    y = table.loc["y"]
    assert (y["lines"], y["basket_median"], y["missing_price_ignored"]) == (1, 50, 1)
    assert table.attrs["percentile"] == 0.9
    pd.testing.assert_frame_equal(orders, before)


def test_accepted_prices_overall_and_derived_unit_price(orders):
    overall = accepted_prices(orders, by=None, percentile=0.5)
    assert len(overall) == 1 and overall.loc[0, "lines"] == 4
    assert overall.loc[0, "unit_price_ceiling"] == 25  # median of 10, 20, 30, 50
    derived = accepted_prices(orders.drop(columns="unit_price"), by="category")
    # amount / quantity: o5's second line (5 / 1) is now a price, 0 stays a zero price
    assert derived.set_index("category").loc["y", "lines"] == 2


def test_accepted_prices_errors(orders):
    with pytest.raises(ValueError, match="no column 'segment'; merge the grouping column"):
        accepted_prices(orders, by="segment")
    with pytest.raises(ValueError, match="percentile must be a share"):
        accepted_prices(orders, percentile=90)


@pytest.mark.parametrize("drop, amount", [(["unit_price", "quantity"], None),
                                          (["unit_price", "quantity"], 0.0)])
def test_orders_without_a_unit_price_count_every_line_as_missing_a_price(orders, drop, amount):
    # shape no_amounts (amount 0, no quantity) crashed _price_lines: 'orders need unit_price'
    lines = orders.drop(columns=drop)
    lines = lines if amount is None else lines.assign(amount=amount)
    table = accepted_prices(lines, by="category")
    assert table["lines"].sum() == 0 and table["orders"].sum() == 0
    kept = len(lines) - table["returns_ignored"].sum()
    assert table["missing_price_ignored"].sum() == kept > 0
    assert paid_prices(lines, by="category").empty


def test_squeeze_is_measured_on_the_ceiling():
    # headroom 2 = exactly 10% of the ceiling 20 -> viable; 1.9 (9.5%) -> squeezed, although
    # it is more than 10% of the floor 18.1
    head = dict(acceptable_low=12, acceptable_high=20, rule="headroom")
    assert price_verdict(18, **head).verdict == "viable"
    assert price_verdict(18.1, **head).verdict == "squeezed"


def test_verdict_table_reads_psm_by_group():
    rows = [(1, 2, 4, 6), (2, 3, 5, 7), (1, 3, 4, 5), (2, 4, 6, 7)]  # the meter's tiny survey
    survey = pd.DataFrame(rows, columns=["too_cheap", "cheap", "expensive", "too_expensive"])
    survey = pd.concat([survey.assign(persona="a"), survey.iloc[:2].assign(persona="b")])
    survey = survey.assign(respondent_id=range(6), product_id="P")
    groups = psm_by_group(survey, by=["product_id", "persona"], min_respondents=4)
    floors = pd.DataFrame({"product_id": ["P"], "floor": [3.0]})
    table = verdict_table(floors, groups, by="persona", target="opp").set_index("persona")
    # range 2.667-5 (PMC-PME): floor 3 inside it -> squeezed; OPP 3.5 is in [3, 5]
    assert table.loc["a", ["verdict", "recommended_price"]].tolist() == ["squeezed", 3.5]
    assert table.loc["b", "verdict"] == "no range"
    table = verdict_table(floors, groups, by="persona", target="opp", rule="headroom")
    # headroom 2 = 40% of 5 -> viable at the OPP
    assert table.loc[0, ["verdict", "recommended_price"]].tolist() == ["viable", 3.5]


# --- the range rule (default) -------------------------------------------------------------


def test_range_rule_by_hand():
    # acceptable range 12-20: floor 10 under it -> viable, the whole range is open
    v = price_verdict(10, acceptable_low=12, acceptable_high=20, target=15, unit_cost=8)
    assert (v.verdict, v.rule, v.recommended_price, v.unit_margin) == ("viable", "range", 15, 7)
    assert (
        "under the acceptable range 12.00–20.00; headroom 10.00 (50% of the ceiling)" in v.message
    )
    # floor 12 is the low end itself: still viable; 12.5 inside the range -> squeezed
    assert price_verdict(12, acceptable_low=12, acceptable_high=20).verdict == "viable"
    v = price_verdict(12.5, acceptable_low=12, acceptable_high=20, target=11)
    assert (v.verdict, v.recommended_price, v.recommended_basis) == ("squeezed", 12.5, "floor")
    assert "inside the acceptable range 12.00–20.00: only prices from the floor up" in v.message
    # a big headroom does not make a floor inside the range viable under this rule
    assert price_verdict(13, acceptable_low=12, acceptable_high=100).verdict == "squeezed"
    assert price_verdict(20.01, acceptable_low=12, acceptable_high=20).verdict == "not viable"
    with pytest.raises(ValueError, match="rule='margin': use 'range'"):
        price_verdict(10, acceptable_low=12, acceptable_high=20, rule="margin")


def test_history_ceiling_under_the_survey_range():
    # customers pay at most 10 in the category, the survey calls 12-20 credible: no price is
    # both, so the verdict cannot be better than squeezed, and the price is the ceiling
    v = price_verdict(8, acceptable_low=12, acceptable_high=20, accepted_ceiling=10)
    assert (v.verdict, v.ceiling, v.ceiling_source) == ("squeezed", 10, "purchase history")
    assert (v.recommended_price, v.recommended_basis) == (10, "ceiling")
    assert "under the survey's acceptable low end 12.00" in v.message
    assert price_verdict(
        11, acceptable_low=12, acceptable_high=20, accepted_ceiling=10
    ).verdict == ("not viable")


def test_verdict_table_inverted_range_is_no_range():
    floors = pd.DataFrame({"product_id": ["A"], "floor": [5.0]})
    ranges = pd.DataFrame({"product_id": ["A"], "range_low": [9.0], "range_high": [7.0]})
    row = verdict_table(floors, ranges).iloc[0]
    assert row["verdict"] == "no range" and "inverted (9 > 7)" in row["message"]


# --- floors per product or category ----------------------------------------------------------


@pytest.fixture
def products() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "product_id": ["A", "B", "C", "D"],
            "name": ["a", "b", "c", "d"],
            "category": ["x", "x", "y", "y"],
            "unit_cost": [10.0, 20.0, 40.0, np.nan],
            "list_price": [20.0, 0.0, 80.0, 50.0],
        }
    )


def test_product_floors_margins_by_product_category_and_default(products):
    floors = product_floors(
        products,
        own_margin={"A": 0.5, "x": 0.2, "*": 0.1},
        distribution_margin=0.25,
    ).set_index("product_id")
    # A: its own 50% wins over its category's 20%: 10 x 1.5 x 1.25 = 18.75
    # B: category x, 20%: 20 x 1.2 x 1.25 = 30; C: default 10%: 40 x 1.1 x 1.25 = 55
    assert floors["floor"].iloc[:3].tolist() == pytest.approx([18.75, 30, 55])
    assert floors["own_margin"].iloc[:3].tolist() == [0.5, 0.2, 0.1]
    # the shelf price at which we earn nothing: the cost plus the distributor's 25%
    assert floors.loc["C", "shelf_cost"] == pytest.approx(50)
    # D has no cost: kept, with no floor and a note saying what to fix
    assert math.isnan(floors.loc["D", "floor"]) and "no unit_cost" in floors.loc["D", "note"]


def test_product_floors_scenarios_and_errors(products):
    cut = product_floors(products, own_margin=0.3, unit_costs={"C": 30}, product_ids=["C"])
    assert cut[["product_id", "unit_cost", "floor"]].values.tolist() == [["C", 30.0, 39.0]]
    on_price = product_floors(
        products.iloc[:1], own_margin=0.2, distribution_margin=0.5, margin_basis="price"
    )
    assert on_price.loc[0, "floor"] == pytest.approx(25)  # 10 / (0.8 x 0.5)
    with pytest.raises(ValueError, match="'z' is neither a product_id nor a category"):
        product_floors(products, own_margin={"z": 0.3})
    with pytest.raises(ValueError, match=r"no margin for 2 product\(s\) \(e.g. 'C'\).*'\*'"):
        product_floors(products, own_margin={"x": 0.3})
    with pytest.raises(ValueError, match="product\\(s\\) Z are not in the products table"):
        product_floors(products, own_margin=0.3, product_ids=["Z"])
    with pytest.raises(ValueError, match="unit_costs: product\\(s\\) A are not analysed"):
        product_floors(products, own_margin=0.3, unit_costs={"A": 1}, product_ids=["C"])


# --- segments -------------------------------------------------------------------------------


def test_attach_segments_keeps_and_counts_customers_without_one(orders):
    segments = pd.DataFrame({"customer_id": ["c1", "c2", "c9"], "persona": ["P", "Q", "Q"]})
    labelled = attach_segments(orders, segments, name="persona")
    assert labelled["persona"].tolist() == ["P", "P", "Q", "Q", NO_SEGMENT, NO_SEGMENT, NO_SEGMENT]
    assert len(labelled) == len(orders) and "persona" not in orders  # copy, nothing dropped
    cover = segment_coverage({"orders": labelled}, name="persona").iloc[0]
    assert (cover["rows"], cover["rows_without_segment"], cover["customers_without_segment"]) == (
        7,
        3,
        2,
    )
    assert cover["segments"] == 2
    by_label = accepted_prices(labelled, by="persona").set_index("persona")
    assert by_label.loc["P", "lines"] == 2 and by_label.loc[NO_SEGMENT, "lines"] == 1


def test_attach_segments_errors(orders):
    with pytest.raises(ValueError, match="more than once"):
        attach_segments(orders, pd.DataFrame({"customer_id": ["c1", "c1"], "s": ["a", "b"]}))
    with pytest.raises(ValueError, match="2 label columns.*say which with label="):
        attach_segments(orders, pd.DataFrame({"customer_id": ["c1"], "a": [1], "b": [2]}))
    with pytest.raises(ValueError, match="no customer_id"):
        attach_segments(orders.drop(columns="customer_id"), pd.Series({"c1": "a"}))
    with pytest.raises(ValueError, match="already has a 'category' column"):
        attach_segments(orders, pd.Series({"c1": "a"}), name="category")


# --- purchase history -----------------------------------------------------------------------


def test_paid_prices_and_the_most_paid(orders):
    lines = paid_prices(orders, by="category")
    # the kept lines: 10, 20, 30 in x and 50 in y (return, free and unpriced lines left out)
    assert lines["unit_price"].tolist() == [10, 20, 30, 50]
    assert list(lines.columns) == ["category", "customer_id", "unit_price", "quantity", "amount"]
    table = accepted_prices(orders, by="category").set_index("category")
    assert table.loc["x", "unit_price_max"] == 30 and table.loc["x", "customers"] == 2


def test_paid_vs_list_by_hand(orders, products):
    lines = orders.assign(product_id=["A", "A", "C", "C", "A", "B", "A"])
    # kept lines: A at 10 and 20 (list 20: discounts 0.5, 0), C at 30 (list 80: 0.625);
    # B at 50 has list price 0: counted as no_list_price
    table = paid_vs_list(lines, products, by="category").set_index("category")
    x = table.loc["x"]
    assert (x["lines"], x["mean_discount"], x["min_discount"], x["max_discount"]) == pytest.approx(
        (3, (0.5 + 0 + 0.625) / 3, 0, 0.625)
    )
    assert x["share_at_list"] == pytest.approx(1 / 3)
    assert (table.loc["y", "lines"], table.loc["y", "no_list_price"]) == (0, 1)


def test_history_vs_survey_positions(products):
    ranges = pd.DataFrame(
        {
            "product_id": ["A", "A", "C", "C"],
            "segment": ["P", "Q", "P", "R"],
            "range_low": [12.0, 12.0, 60.0, np.nan],
            "range_high": [20.0, 20.0, 90.0, np.nan],
        }
    )
    accepted = pd.DataFrame(
        {
            "segment": ["P", "Q", "P"],
            "category": ["x", "x", "y"],
            "unit_price_ceiling": [11.0, 25.0, 70.0],
        }
    )
    out = history_vs_survey(ranges, accepted, products=products, by="segment")
    assert out["category"].tolist() == ["x", "x", "y", "y"]
    assert out["history_vs_range"].tolist() == [
        "under the range",
        "above the range",
        "inside the range",
        "no survey range",
    ]
    assert out["accepted_ceiling"].tolist()[:3] == [11, 25, 70]
    no_history = history_vs_survey(ranges.iloc[:1], accepted.iloc[1:], products=products)
    assert no_history.loc[0, "history_vs_range"] == "no history"


# --- planted truth: the demo company --------------------------------------------------------


@pytest.fixture(scope="module")
def demo():
    crm = wb.load("demo", as_of="2025-12-31", seed=42)
    personas = crm.customers_truth[["customer_id", "persona"]]  # tests may read the truth
    survey = attach_segments(crm["price_survey"], personas, label="persona", name="persona")
    return crm, survey, crm.truth["pricing"]


@pytest.fixture(scope="module")
def demo_floors(demo):
    crm, _, truth = demo
    concepts = list(truth["concepts"])
    return product_floors(crm["products"], **truth["cost_plus"], product_ids=concepts)


def test_demo_floors_are_the_planted_ones(demo, demo_floors):
    _, _, truth = demo
    floors = demo_floors.set_index("product_id")["floor"]
    # 100 x 1.30 x 1.25 = 162.5 and 12 x 1.30 x 1.25 = 19.5
    assert floors.to_dict() == {"NEW-PREMIUM": 162.5, "NEW-BASIC": 19.5}
    assert {p: c["floor"] for p, c in truth["concepts"].items()} == floors.to_dict()


@pytest.mark.parametrize("ties", ["count", "half"])
def test_demo_verdicts_match_the_planted_ones(demo, demo_floors, ties):
    _, survey, truth = demo
    ranges = psm_by_group(survey, by=["product_id", "persona"], monotone="exclude", ties=ties)
    table = verdict_table(demo_floors, ranges, by="persona", target="ipp")
    got = table.set_index(["product_id", "persona"])["verdict"].to_dict()
    planted = {
        (pid, persona): cell["verdict"]
        for pid, concept in truth["concepts"].items()
        for persona, cell in concept["by_persona"].items()
    }
    assert got == planted
    assert got["NEW-PREMIUM", "bargain_hunters"] == "not viable"
    assert sorted(got.values()).count("viable") == 5 and sorted(got.values()).count("squeezed") == 4
    premium = table.set_index(["product_id", "persona"]).loc["NEW-PREMIUM"]
    assert "cut costs or margins by at least" in premium.loc["bargain_hunters", "message"]


def test_demo_whole_base_is_squeezed_and_cost_cut_rescues_bargain_hunters(demo, demo_floors):
    crm, survey, truth = demo
    ranges = psm_by_group(survey, by="product_id", monotone="exclude", weights="weight")
    table = verdict_table(demo_floors, ranges).set_index("product_id")
    for pid, concept in truth["concepts"].items():
        assert table.loc[pid, "verdict"] == concept["all"]["verdict"] == "squeezed"
    # cutting the espresso machine's cost from 100 to 70: floor 70 x 1.625 = 113.75, under
    # the bargain hunters' PME (planted 137.1): no longer "not viable"
    cheaper = product_floors(
        crm["products"],
        **truth["cost_plus"],
        unit_costs={"NEW-PREMIUM": 70},
        product_ids=["NEW-PREMIUM"],
    )
    ranges = psm_by_group(survey, by=["product_id", "persona"], monotone="exclude")
    rescued = verdict_table(cheaper, ranges, by="persona").set_index(["product_id", "persona"])
    assert cheaper.loc[0, "floor"] == pytest.approx(113.75)
    assert rescued.loc[("NEW-PREMIUM", "bargain_hunters"), "verdict"] == "squeezed"
    # the grinder was not analysed here: its rows say so instead of disappearing
    assert (rescued.loc["NEW-BASIC", "verdict"] == "no floor").all()


def test_demo_purchase_history_recovers_the_planted_discounts(demo):
    crm, _, truth = demo
    personas = crm.customers_truth[["customer_id", "persona"]]
    orders = attach_segments(crm["orders"], personas, label="persona", name="persona")
    table = paid_vs_list(orders, crm["products"], by="persona").set_index("persona")
    assert table["lines"].sum() == 43_604
    for persona, spec in crm.truth["personas"].items():
        low, high = spec["discount_range"]
        row = table.loc[persona]
        # the best and worst prices anyone paid are the planted discount bounds, to the cent
        assert row["min_discount"] == pytest.approx(low, abs=0.001), persona
        assert row["max_discount"] == pytest.approx(high, abs=0.001), persona
    planted = crm.customers_truth.groupby("persona")["mean_discount"].first()
    assert (table["mean_discount"] - planted).abs().max() < 0.002


# --- inputs from whatever tables a source holds ---------------------------------------------


@pytest.fixture(scope="module")
def survey_only(tmp_path_factory):
    """A source with a price survey and nothing else: no customers, orders or products."""
    folder = tmp_path_factory.mktemp("survey_only")
    rows = ["respondent_id,too_cheap,cheap,expensive,too_expensive"]
    rows += [f"r{i},{tc},{c},{e},{te}" for i, (tc, c, e, te) in enumerate(TINY_ROWS * 2)]
    (folder / "price_survey.csv").write_text("\n".join(rows) + "\n")
    return wb.load(folder)


TINY_ROWS = [(1, 2, 4, 6), (2, 3, 5, 7), (1, 3, 4, 5), (2, 4, 6, 7)]


def test_survey_only_source_falls_back_and_keeps_everything(survey_only):
    segments = wb.pricing.customer_segments(survey_only, as_of="2025-12-31")
    assert segments.method == "none" and len(segments.labels) == 0
    assert "persona discovery could not run" in segments.notes[0]
    assert "customers, orders" in segments.notes[0]  # names the missing tables
    survey = wb.pricing.prepare_survey(survey_only["price_survey"], segments)
    assert (survey["product_id"] == wb.pricing.UNNAMED_PRODUCT).all()
    assert (survey["segment"] == NO_SEGMENT).all() and len(survey) == 8
    orders = wb.pricing.prepare_orders(survey_only, segments)
    assert orders.empty and "segment" in orders
    assert accepted_prices(orders, by=["segment", "category"]).empty
    costs = wb.pricing.concept_costs(survey_only, survey, unit_costs="(unnamed product): 2")
    assert costs[["unit_cost", "cost_source"]].values.tolist() == [[2.0, "parameter"]]
    floors = product_floors(costs, own_margin=0.5)
    ranges = psm_by_group(survey, by=["product_id", "segment"], min_respondents=4)
    verdict = verdict_table(floors, ranges, by="segment").iloc[0]
    # range 8/3 - 5, floor 2 x 1.5 = 3: inside the range -> squeezed
    assert (verdict["floor"], verdict["verdict"]) == (3.0, "squeezed")


def test_concept_costs_from_products_and_parameter(demo):
    crm, survey, _ = demo
    costs = wb.pricing.concept_costs(crm, survey, unit_costs="NEW-BASIC: 9.5").set_index(
        "product_id"
    )
    assert costs.loc["NEW-PREMIUM", ["unit_cost", "cost_source"]].tolist() == [100.0, "products"]
    assert costs.loc["NEW-BASIC", ["unit_cost", "cost_source"]].tolist() == [9.5, "parameter"]
    assert costs.loc["NEW-BASIC", "category"] == "household"
    with pytest.raises(ValueError, match="names product\\(s\\) P001 that nobody was surveyed"):
        wb.pricing.concept_costs(crm, survey, unit_costs={"P001": 3})
    with pytest.raises(ValueError, match="'NEW-BASIC 9' is not 'product_id: cost'"):
        wb.pricing.concept_costs(crm, survey, unit_costs="NEW-BASIC 9")


def test_prepare_orders_fills_category_from_products(demo):
    crm, _, _ = demo
    labels = crm.customers_truth[["customer_id", "persona"]]
    no_category = {**crm.tables, "orders": crm["orders"].assign(category=pd.NA)}
    orders = wb.pricing.prepare_orders(replace(crm, tables=no_category), labels)
    assert orders["category"].notna().all() and orders["segment"].nunique() == 5
    assert len(orders) == len(crm["orders"])


def test_customer_segments_from_a_file_and_the_fallbacks(demo, tmp_path):
    crm, _, _ = demo
    path = tmp_path / "segments.csv"
    crm.customers_truth[["customer_id", "persona"]].to_csv(path, index=False)
    from_file = wb.pricing.customer_segments(crm, segments=str(path))
    assert from_file.method == "file" and len(from_file.labels) == 4000
    assert from_file.summary().set_index("segment").loc["bargain_hunters", "customers"] == 1012
    assert "Segments:</b> segments file" in from_file._repr_html_()
    kind = wb.pricing.customer_segments(crm, as_of="2025-12-31", discover=False)
    assert kind.method == "kind" and set(kind.labels["segment"]) == {"person", "company"}
    spend = wb.pricing.customer_segments(
        replace(crm, tables={"orders": crm["orders"]}),
        as_of="2025-12-31",
        discover=False,
    )
    counts = spend.summary().set_index("segment")["customers"]
    assert spend.method == "spend band" and counts.to_dict() == {
        "low spend": 1334,
        "mid spend": 1333,
        "high spend": 1333,
    }


def test_write_tables(tmp_path):
    paths = wb.pricing.write_tables(tmp_path / "out", verdicts=pd.DataFrame({"a": [1]}))
    assert [p.name for p in paths] == ["price_verdicts.csv"]
    assert paths[0].read_text(encoding="utf-8-sig") == "a\n1\n"
    assert paths[0].read_bytes().startswith(b"\xef\xbb\xbf")  # a BOM, for spreadsheets


# --- plots and the explorer -----------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_results(demo, demo_floors):
    _, survey, _ = demo
    one = survey[survey["product_id"] == "NEW-PREMIUM"]
    results = wb.psm.psm_group_results(one, by="persona", monotone="exclude")
    ranges = psm_by_group(survey, by=["product_id", "persona"], monotone="exclude")
    verdicts = verdict_table(demo_floors, ranges, by="persona", target="ipp")
    return one, results, ranges, verdicts


def test_psm_chart_marks_every_point_where_its_curves_cross(demo_results):
    import matplotlib.pyplot as plt

    _, results, _, _ = demo_results
    res = results["bargain_hunters"]
    ax = wb.plotting.pricing.plot_psm(res)
    labels = [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert labels == ["too cheap", "not cheap", "not expensive", "too expensive"]
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == sorted(f"{k.upper()} {v:,.4g}" for k, v in res.points.items())
    # each marker sits on both curves of its point (PMC: too cheap = not cheap there)
    raw = res.crossings[res.crossings["chosen"]].set_index("point")["price"]
    markers = {
        round(m.get_xdata()[0], 6): m.get_ydata()[0]
        for m in ax.get_lines()
        if m.get_marker() == "o"
    }
    x = res.curves.index.to_numpy(float)
    pmc = markers[round(raw["pmc"], 6)]
    assert pmc == pytest.approx(100 * np.interp(raw["pmc"], x, res.curves["not_cheap"]))
    plt.close("all")


def test_group_floor_history_and_nms_charts(demo, demo_results):
    import matplotlib.pyplot as plt

    crm, _, _ = demo
    one, results, ranges, verdicts = demo_results
    axes = wb.plotting.pricing.plot_psm_groups(results)
    titles = [a.get_title() for a in axes.ravel() if a.axison]
    assert len(titles) == 5 and titles[0].startswith("bargain_hunters (n=")
    axes = wb.plotting.pricing.plot_floor_vs_range(verdicts, by="persona")
    assert [a.get_title().split(":")[0] for a in axes.ravel()] == ["NEW-BASIC", "NEW-PREMIUM"]
    notes = [t.get_text() for t in axes.ravel()[1].texts]
    assert "not viable" in notes and "floor 162.5" in notes
    labels = wb.pricing.attach_segments(
        crm["orders"],
        crm.customers_truth[["customer_id", "persona"]],
        label="persona",
        name="persona",
    )
    lines = paid_prices(labels, by=["persona", "category"])
    ax = wb.plotting.pricing.plot_accepted_prices(
        lines,
        by="persona",
        category="household",
        ranges=ranges[ranges["product_id"] == "NEW-PREMIUM"],
        floor=162.5,
    )
    assert ax.get_xscale() == "log" and len(ax.get_yticklabels()) == 5
    assert wb.plotting.pricing.plot_nms(None).texts[0].get_text().startswith("No Newton-Miller")
    nms = wb.psm.newton_miller_smith(one, unit_cost=125.0)
    ax = wb.plotting.pricing.plot_nms(nms)
    assert [t.get_text().split(":")[0] for t in ax.texts] == [
        "best trial",
        "best revenue",
        "best profit",
    ]
    plt.close("all")


def test_pricing_scenario_and_explorer(demo):
    import matplotlib

    matplotlib.use("Agg")
    crm, survey, _ = demo
    verdicts, ranges = wb.widgets.pricing.pricing_scenario(
        survey,
        crm["products"],
        product="NEW-PREMIUM",
        by="persona",
        unit_cost=70.0,
        own_margin=0.3,
        distribution_margin=0.25,
        monotone="exclude",
    )
    v = verdicts.set_index("persona")["verdict"]
    assert verdicts["floor"].iloc[0] == pytest.approx(113.75)
    assert v["bargain_hunters"] == "squeezed" and v["young_digital"] == "viable"
    box = wb.widgets.pricing.explore_pricing(survey, crm["products"], by="persona")
    first, second, third, message, _ = box.children
    product, group, cost = first.children
    assert list(product.options) == ["NEW-BASIC", "NEW-PREMIUM"] and cost.value == 12.0
    product.value = "NEW-PREMIUM"
    assert cost.value == 100.0 and message.value == ""  # the cost follows the product
    own, _, basis = second.children
    own.value, basis.value = 1.0, "price"  # a 100 % margin on price is impossible
    assert "own_margin must be a share between 0 and 1" in message.value
    own.value = 0.3
    assert message.value == ""


def test_verdict_table_without_any_unit_cost_keeps_every_column():
    """Regression (issue 11): no product had a unit cost, and the verdict columns were missing."""
    floors = wb.pricing.product_floors(
        pd.DataFrame({"product_id": ["A", "B"], "unit_cost": [np.nan, np.nan]}), own_margin=0.3)
    ranges = pd.DataFrame({"product_id": ["A", "B"], "segment": ["x", "x"],
                           "range_low": [10.0, 20.0], "range_high": [15.0, 30.0]})
    verdicts = wb.pricing.verdict_table(floors, ranges, by="segment", target=None)
    assert verdicts["verdict"].tolist() == ["no floor", "no floor"]
    for col in ("ceiling", "headroom_pct", "recommended_price", "unit_margin", "margin_pct"):
        assert col in verdicts and verdicts[col].isna().all()
