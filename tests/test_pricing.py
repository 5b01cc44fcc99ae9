"""Cost-plus floor, price verdicts and accepted prices: hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from workbench.pricing import accepted_prices, cost_plus_floor, price_verdict, verdict_table

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
    v = price_verdict(15, acceptable_low=12, acceptable_high=20, target=17, unit_cost=10)
    assert v.verdict == "viable"
    assert (v.headroom, v.headroom_pct) == (5, 0.25)
    assert (v.recommended_price, v.recommended_basis) == (17, "target")
    assert v.margin_over_floor == 2 and v.unit_margin == 7
    assert v.margin_pct == pytest.approx(7 / 17)


def test_squeezed_recommends_the_floor():
    # floor 19: headroom 1 = 5% of 20 < 10% -> squeezed; target 17 < floor -> floor
    v = price_verdict(19, acceptable_low=12, acceptable_high=20, target=17)
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
    v = price_verdict(15, acceptable_low=12, acceptable_high=20, accepted_ceiling=18, target=19)
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
        price_verdict(20, acceptable_low=12, acceptable_high=20, squeeze_margin=0).verdict
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
    table = verdict_table(floors, ranges, by="persona", target="opp")
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
    with pytest.raises(ValueError, match="unit_price, or amount and quantity"):
        accepted_prices(orders.drop(columns=["unit_price", "quantity"]))


def test_squeeze_is_measured_on_the_ceiling():
    # headroom 2 = exactly 10% of the ceiling 20 -> viable; 1.9 (9.5%) -> squeezed, although
    # it is more than 10% of the floor 18.1
    assert price_verdict(18, acceptable_low=12, acceptable_high=20).verdict == "viable"
    assert price_verdict(18.1, acceptable_low=12, acceptable_high=20).verdict == "squeezed"


def test_verdict_table_reads_psm_by_group():
    from workbench.psm import psm_by_group

    rows = [(1, 2, 4, 6), (2, 3, 5, 7), (1, 3, 4, 5), (2, 4, 6, 7)]  # the meter's tiny survey
    survey = pd.DataFrame(rows, columns=["too_cheap", "cheap", "expensive", "too_expensive"])
    survey = pd.concat([survey.assign(persona="a"), survey.iloc[:2].assign(persona="b")])
    survey = survey.assign(respondent_id=range(6), product_id="P")
    groups = psm_by_group(survey, by=["product_id", "persona"], min_respondents=4)
    floors = pd.DataFrame({"product_id": ["P"], "floor": [3.0]})
    table = verdict_table(floors, groups, by="persona", target="opp").set_index("persona")
    # range 2.667-5 (PMC-PME), OPP 3.5: headroom 2 = 40% of 5 -> viable at the OPP
    assert table.loc["a", ["verdict", "recommended_price"]].tolist() == ["viable", 3.5]
    assert table.loc["b", "verdict"] == "no range"
