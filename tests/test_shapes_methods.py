"""Method-level regressions of the crashes real export shapes caused (issue 11), on demo shapes.

One test per crash: each runs the method the notebook calls on the shape that broke it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.health.clv import BetaGeoFitter, ConvergenceError, LifetimeValue
from workbench.health.clv import likelihoods as lk
from workbench.notices import ResultWarning

AS_OF = "2025-12-31"


def shape(name, customers=300):
    return wb.load(f"demo:{name}", as_of=AS_OF, demo_customers=customers)


# --------------------------------------------------------------------------- RFM dates


def test_span_plan_on_two_years_keeps_every_date_inside_the_data():
    """Two years of data: the comparison and history dates fall after the first order."""
    crm = shape("two_years")
    plan = wb.rfm.span_plan(crm.table("orders"), as_of=AS_OF)
    assert plan.span_months == 24 and plan.compare_months == 12
    assert plan.history[0] >= plan.first_order and len(plan.history) == 5
    history = wb.rfm.score_history(crm, dates=plan.history)
    migration = wb.rfm.migration_matrix(history, start=plan.history[0], end=plan.history[-1])
    assert migration.to_numpy().sum() > 0
    assert any("derived from the span" in s for s in plan.sentences)


def test_span_plan_on_three_months_shortens_and_warns_of_a_thin_window():
    crm = shape("three_months")
    with pytest.warns(ResultWarning, match="Thin comparison window: the scoring of 2025-11-30 sees only"):
        plan = wb.rfm.span_plan(crm["orders"], as_of=AS_OF)
    assert plan.compare_months == 1 and [d.month for d in plan.history] == [11, 12]


def test_span_plan_drops_a_comparison_date_before_the_first_order():
    crm = shape("three_months")
    plan = wb.rfm.span_plan(crm["orders"], as_of=AS_OF, compare_months=12)
    assert plan.compare_months == 0 and plan.previous_as_of is None
    assert any("is before the first order" in s and "lower compare_months" in s for s in plan.sentences)


def test_no_purchase_yet_advice_names_the_earlier_dates_not_only_as_of():
    crm = shape("two_years")
    with pytest.raises(wb.rfm.NoPurchaseYet, match="earlier dates of a comparison or a history"):
        wb.rfm.score(crm, as_of="2023-06-30")


# --------------------------------------------------------------------------- customer health


def test_calibration_end_defaults_from_the_span():
    assert wb.clv.default_calibration_end(shape("two_years")["orders"], as_of=AS_OF) == pd.Timestamp("2025-06-30")
    assert wb.clv.default_calibration_end(shape("three_months")["orders"], as_of=AS_OF) == pd.Timestamp("2025-11-30")
    with pytest.raises(ValueError, match="no order dated on or before"):
        wb.clv.default_calibration_end(shape("two_years")["orders"], as_of="2020-01-01")


def test_a_fit_at_its_bounds_is_kept_and_labelled_unreliable_when_asked():
    frequency, recency, T = [0] * 50, [0.0] * 50, np.linspace(1, 30, 50)
    with pytest.raises(ConvergenceError):
        BetaGeoFitter().fit(frequency, recency, T)
    fitted = BetaGeoFitter(unreliable="keep").fit(frequency, recency, T)
    assert not fitted.reliable_ and any("flat likelihood" in p or "edge" in p for p in fitted.problems_)


def test_intervals_spanning_orders_of_magnitude_make_a_fit_unreliable():
    problems = lk.fit_problems(["a", "b"], np.array([2e-5, 1.0]), np.array([6.0, 0.1]))
    assert len(problems) == 1 and problems[0].startswith("a = 2e-05 has a 95 % interval")
    assert "orders of magnitude wide" in problems[0]


def test_degenerate_bgnbd_fit_warns_and_says_what_to_try():
    """transactions_only: a ~ 4e3, b ~ 7e4 with intervals four orders of magnitude wide."""
    orders = shape("transactions_only", customers=400)["orders"]
    with pytest.warns(ResultWarning, match="The bg/nbd fit is unreliable: .* try pareto/nbd"):
        lv = LifetimeValue(model="bg/nbd").fit(orders, calibration_end="2025-06-30")
    assert not lv.reliable_
    assert not lv.parameters().query("model == 'bg/nbd'")["reliable"].any()
    scores = lv.score(orders, as_of=AS_OF)
    assert scores.attrs["unreliable"] == lv.problems_


def test_gamma_gamma_without_money_leaves_values_empty_and_says_so():
    orders = shape("no_amounts")["orders"]
    with pytest.warns(ResultWarning, match="spend model .* is skipped .* map orders.amount"):
        lv = LifetimeValue(model="pareto/nbd").fit(orders, calibration_end="2025-06-30")
    assert lv.spend_ is None
    scores = lv.score(orders, as_of=AS_OF)
    assert scores["expected_purchases"].notna().all() and scores["clv"].isna().all()
    assert lv.parameters()["model"].tolist().count("gamma-gamma") == 0


# --------------------------------------------------------------------------- personas


def test_persona_features_without_list_price_skip_the_discount():
    """products_without_prices: products.list_price was required by the discount feature."""
    features = wb.personas.persona_features(shape("products_without_prices"), as_of=AS_OF)
    skipped = dict(features.skipped.itertuples(index=False, name=None)) if hasattr(
        features.skipped, "itertuples") else dict(features.skipped)
    assert "discount_pct" in skipped and "list_price" in skipped["discount_pct"]


def test_drilldown_columns_default_to_what_the_source_holds():
    features = wb.personas.persona_features(shape("transactions_only"), as_of=AS_OF,
                                            features="behaviour")
    usable, said = wb.personas.drilldown_columns(features, "")
    assert usable == [] and "Drill-down by nothing" in said[0]
    usable, said = wb.personas.drilldown_columns(features, "country, ")
    assert usable == [] and said[0].startswith("Skipped: drill-down by country needs")
    full = wb.personas.persona_features(shape("two_years"), as_of=AS_OF, features="behaviour")
    assert wb.personas.drilldown_columns(full, "")[0] == ["country", "age_band", "gender", "sector", "kind"]


def test_health_segment_table_counts_customers_with_returns_only():
    """Regression: customers who only returned goods vanished from the segment table."""
    crm = shape("two_years", customers=200)
    orders = crm["orders"].copy()
    buyer = orders["customer_id"].iloc[0]
    returns_only = orders[orders["customer_id"] == buyer].assign(
        customer_id="RETURNS-ONLY", amount=lambda d: -d["amount"].abs(),
        line_id=lambda d: "X" + d["line_id"], order_id=lambda d: "X" + d["order_id"])
    orders = pd.concat([orders, returns_only], ignore_index=True)
    lv = LifetimeValue(model="pareto/nbd").fit(orders, calibration_end="2025-06-30")
    health = wb.health.assess(crm, lv, as_of=AS_OF)
    segments = pd.Series("gold", index=[*health.scores.index, "RETURNS-ONLY"])
    with pytest.warns(ResultWarning, match=r"1 customer\(s\) of the segments have no purchase day"):
        table = wb.health.health_table(health.scores, health.capital, health.risk, segments=segments)
    out = wb.health.clv_by_segment(table).set_index("segment")
    assert out.loc["gold", "not_scored"] == 1
    assert out.loc["gold", "customers"] + out.loc["gold", "not_scored"] == len(segments)


def test_extra_customer_columns_become_demographic_features(tmp_path):
    """Deliver 6: income and children at home (mapped as extra columns) can be clustered on."""
    company = wb.demo.generate(customers=120, shape="transactions_only")
    customers = company.tables["customers"].copy()
    rng = np.random.default_rng(0)
    customers["income"] = rng.integers(15_000, 90_000, len(customers))
    customers["children"] = rng.choice(["none", "one", "several"], len(customers))
    customers["note"] = [f"free text {i}" for i in range(len(customers))]
    customers.to_csv(tmp_path / "customers.csv", index=False)
    company.tables["orders"].to_csv(tmp_path / "orders.csv", index=False)
    (tmp_path / "mapping.yml").write_text(
        "tables:\n  customers:\n    file: customers.csv\n"
        "    extra: {income: float, children: string, note: string}\n"
        "  orders:\n    file: orders.csv\n", encoding="utf-8")
    crm = wb.load(tmp_path, mapping=tmp_path / "mapping.yml", as_of=AS_OF)
    features = wb.personas.persona_features(crm, as_of=AS_OF, features="demographics,behaviour")
    assert {"income", "children"} <= set(features.features)
    assert "note" not in features.table
    assert "too many for a feature" in dict(features.skipped.itertuples(index=False, name=None))["note"]
    model = wb.personas.PersonaModel(n_personas=3, n_bootstrap=2, seed=1).fit(features)
    assert model.n_personas_ == 3


def test_transaction_only_exports_get_behavioural_personas():
    crm = shape("transactions_only")
    features = wb.personas.persona_features(crm, as_of=AS_OF)
    assert features.features and set(features.features) <= {
        "recency_days", "tenure_days", "basket", "orders_per_year", "monetary"}
    model = wb.personas.PersonaModel(k_range=(2, 4), n_bootstrap=2, seed=1).fit(features)
    assert 2 <= model.n_personas_ <= 4


def test_rfm_on_purchase_dates_only_counts_lines_and_warns_about_money():
    """no_amounts: every amount 0 raised NoPurchaseYet; now R and F stand, M is flagged."""
    crm = shape("no_amounts")
    with pytest.warns(ResultWarning, match="Every amount is 0 .* map orders.amount"):
        result = wb.rfm.score(crm, as_of=AS_OF)
    assert result.counts["purchasers"] == crm["orders"]["customer_id"].nunique()
    assert result.table["frequency"].max() > 1 and (result.table["monetary"] == 0).all()


def test_figures_built_on_an_unreliable_fit_are_labelled_so():
    import matplotlib

    matplotlib.use("Agg")
    from workbench.plotting.health import plot_p_alive_matrix

    fitted = BetaGeoFitter(unreliable="keep").fit([0] * 50, [0.0] * 50, np.linspace(1, 30, 50))
    matrix = wb.clv.p_alive_matrix(fitted, T=30.0, max_frequency=3, recency_steps=4)
    assert matrix.attrs["unreliable"] == fitted.problems_
    assert "UNRELIABLE FIT" in plot_p_alive_matrix(matrix).get_title()


def test_orders_without_category_persona_features_and_a_clear_category_affinity_error():
    """orders_without_category: features required orders.category (_personas_uses); the
    features now skip the category group, and category_affinity says what to map."""
    crm = shape("orders_without_category")
    features = wb.personas.persona_features(crm, as_of=AS_OF)
    assert features.n_customers > 0 and not [f for f in features.features if "categor" in f]
    labels = pd.Series(0, index=features.table.index, name="persona")
    with pytest.raises(ValueError, match="orders has no category column: map one"):
        wb.personas.category_affinity(crm, labels, as_of=AS_OF)


# --------------------------------------------------------------------------- pricing


def test_pricing_without_unit_costs_gives_no_floor_instead_of_a_key_error():
    """survey_only_no_costs: the verdict columns raised KeyError without products.unit_cost."""
    crm = shape("survey_only_no_costs")
    survey = crm["price_survey"].assign(segment="all")
    costs = wb.pricing.concept_costs(crm, survey)
    assert costs["unit_cost"].isna().all() and set(costs["cost_source"]) == {"none"}
    floors = wb.pricing.product_floors(costs, own_margin=0.3, distribution_margin=0.25)
    ranges = wb.psm.psm_by_group(survey, by=["product_id", "segment"])
    verdicts = wb.pricing.verdict_table(floors, ranges, by="segment", target="ipp")
    assert len(verdicts) and verdicts["floor"].isna().all()
    assert (verdicts["message"] == "no cost-plus floor for this product").all()


def test_purchase_history_prices_without_amounts_count_lines_missing_a_price():
    """no_amounts: _price_lines raised 'orders need unit_price, or amount and quantity'."""
    orders = shape("no_amounts")["orders"]
    accepted = wb.pricing.accepted_prices(orders, by="category")
    assert accepted["lines"].sum() == 0 and accepted["missing_price_ignored"].sum() == len(orders)
    assert wb.pricing.paid_prices(orders, by="category").empty
