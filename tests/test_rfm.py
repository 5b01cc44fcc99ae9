"""RFM scoring on tiny hand-computed fixtures: table semantics, quantile scores, grid, segments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench import rfm

AS_OF = "2024-12-31"


@pytest.fixture(scope="module")
def orders() -> pd.DataFrame:
    rows = [  # customer, order, date, amount
        ("A", "O1", "2024-12-01", 100.0), ("A", "O1", "2024-12-01", 50.0),   # one order, two lines
        ("A", "O2", "2024-12-01", 30.0),                                     # second order, same day
        ("A", "O3", "2024-06-01", 200.0), ("A", "O3", "2024-06-10", -80.0),  # partly returned
        ("B", "O4", "2024-11-01", 0.0),                                      # a free sample only
        ("C", "O5", "2024-01-01", 40.0), ("C", "O6", "2025-02-01", 500.0),   # O6 after as_of
        ("D", "O7", "2024-12-31", -20.0), ("D", "O8", "2023-12-31", 60.0),   # a return with its own id
    ]
    df = pd.DataFrame(rows, columns=["customer_id", "order_id", "order_date", "amount"])
    df["order_date"] = pd.to_datetime(df["order_date"])
    df["category"] = ["food", "kids", "food", "garden", "garden", "food", "food", "kids", "kids", "kids"]
    return df


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    return pd.DataFrame({"customer_id": ["A", "B", "C", "D", "E", "F"],
                         "first_contact_date": pd.to_datetime(["2023-01-01"] * 5 + ["2025-03-01"]),
                         "network_score": [7.0, 0.0, 2.0, np.nan, 0.5, 1.0],
                         "newsletter_subscribed": pd.array([True, False, True, None, False, True], "boolean")})


@pytest.fixture(scope="module")
def table(orders, customers) -> pd.DataFrame:
    return rfm.rfm_table(orders, as_of=AS_OF, customers=customers).set_index("customer_id")


def test_rfm_table_semantics_by_hand(table):
    a = table.loc["A"]
    assert (a["frequency"], a["monetary"], a["recency_days"], a["tenure_days"], a["lines"]) == (3, 300.0, 30, 213, 5)
    c = table.loc["C"]  # the order after as_of is ignored; 2024 is a leap year
    assert (c["frequency"], c["monetary"], c["recency_days"]) == (1, 40.0, 365)
    d = table.loc["D"]  # a return does not refresh recency but lowers monetary
    assert (d["frequency"], d["monetary"], d["recency_days"], d["last_purchase"]) == \
        (1, 40.0, 366, pd.Timestamp("2023-12-31"))
    assert table["status"].to_dict() == {"A": "customer", "B": "no purchase", "C": "customer",
                                         "D": "customer", "E": "prospect"}
    assert pd.isna(table.loc["B", "recency_days"]) and table.loc["E", "monetary"] == 0


def test_customers_first_contacted_after_as_of_are_left_out_and_counted(orders, customers):
    out = rfm.rfm_table(orders, as_of=AS_OF, customers=customers)
    assert "F" not in set(out["customer_id"]) and out.attrs["not_yet_known"] == 1


def test_quantile_scores_binning_and_ties_by_hand():
    t = pd.DataFrame({"customer_id": list("abcdefghij"),
                      "frequency": [1, 1, 1, 1, 1, 1, 2, 3, 4, 10],
                      "recency_days": [5, 10, 20, 30, 40, 50, 60, 70, 80, 90],
                      "monetary": [10.0, 20, 30, 40, 50, 60, 70, 80, 90, 100]})
    scorer = rfm.RFMScorer(bins=5).fit(t)
    # inverted-CDF quantiles at 0.2, 0.4, 0.6, 0.8 of 10 values: the 2nd, 4th, 6th and 8th values
    assert scorer.cut_points_["f_score"].tolist() == [1, 1, 1, 3]
    assert scorer.cut_points_["r_score"].tolist() == [10, 30, 50, 70]
    s = scorer.transform(t)
    # six tied customers share score 1; 2 and 3 are above three cut points -> 4; above all four -> 5
    assert s["f_score"].tolist() == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
    # recency is reversed; a value equal to a cut point takes the lower bin (the better score)
    assert s["r_score"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert s["m_score"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert s["rfm_code"].iloc[0] == "511" and s["rfm_sum"].iloc[-1] == 11
    assert scorer.cut_table().query("dimension == 'frequency' and score == 2")["range"].item().startswith("(empty")


def test_monetary_and_dominant_category_do_not_depend_on_the_order_lines_are_added_in():
    # 0.1 + 0.2 + 0.3 != 0.3 + 0.2 + 0.1 in floats: DuckDB's threads and Spark's partitions add a
    # customer's lines in any order, and a last-bit difference moved customers on a quantile edge
    # (or a tie between two categories) when the same data ran on another engine
    amounts = {"up": [0.1, 0.2, 0.3], "down": [0.3, 0.2, 0.1]}
    lines = pd.DataFrame([(c, f"{c}{i}", "2024-12-01", a, cat) for c, values in amounts.items()
                          for i, a in enumerate(values) for cat in ("food", "toys")],
                         columns=["customer_id", "order_id", "order_date", "amount", "category"])
    lines["order_date"] = pd.to_datetime(lines["order_date"])
    t = rfm.rfm_table(lines, as_of=AS_OF).set_index("customer_id")
    assert t.loc["up", "monetary"] == t.loc["down", "monetary"] == 1.2
    profile = rfm.customer_profile(lines, as_of=AS_OF).set_index("customer_id")
    assert profile["dominant_category"].tolist() == ["food", "food"]  # a tie, broken alphabetically


def test_scorer_reused_on_another_table_keeps_cut_points_and_leaves_non_buyers_unscored(table):
    fit = pd.DataFrame({"customer_id": list("abcde"), "frequency": [1, 2, 3, 4, 5],
                        "recency_days": [10, 20, 30, 40, 50], "monetary": [10.0, 20, 30, 40, 50]})
    scorer = rfm.RFMScorer(bins=5).fit(fit)
    s = scorer.transform(table.reset_index()).set_index("customer_id")
    assert s.loc["A", ["r_score", "f_score", "m_score"]].tolist() == [3, 3, 5]
    assert s.loc[["B", "E"], "r_score"].isna().all()
    with pytest.raises(rfm.RFMInputError, match="at least 5"):
        rfm.RFMScorer(bins=5).fit(fit.head(3))


def test_article_worked_example_revenue_band_3_points_times_weight_4():
    grid = rfm.ScoringGrid.from_dict(rfm.ARTICLE_GRID)
    contacts = pd.DataFrame({"monetary": [150_000.0, 250_000.0, 20_000.0],
                             "network_score": [7.0, 12.0, 0.0],
                             "newsletter_subscribed": [True, True, False]})
    scored = grid.apply(contacts)
    assert scored["points_revenue"].tolist() == [12.0, 16.0, 4.0]  # 3 x 4 = 12
    assert scored["points"].tolist() == [18.0, 24.0, 4.0]
    assert scored["grade"].tolist() == ["B", "A", "D"]
    assert scored["grade_label"].iloc[1] == "VIP"


def test_grid_bands_edges_missing_values_and_coverage(table, customers):
    table = table.reset_index().merge(customers, on="customer_id")
    grid = rfm.ScoringGrid.from_dict({
        "criteria": {"m": {"column": "monetary", "weight": 2, "bands": [
            {"min": 0, "max": 100, "points": 1}, {"min": 100, "max": 300, "points": 2}]},
            "net": {"column": "network_score", "weight": 1, "missing_points": -1,
                    "bands": [{"min": 1, "points": 3}]}},
        "grades": [{"grade": "A", "min": 6}, {"grade": "B", "min": 0}]})
    s = grid.apply(table).set_index("customer_id")
    # A: 300 is the exclusive max of the last band -> outside -> 0; network 7 -> 3
    assert s.loc["A", ["points_m", "points_net", "points"]].tolist() == [0.0, 3.0, 3.0]
    assert s.loc["C", "points"] == 2 * 1 + 3 and s.loc["D", "points_net"] == -1
    assert s.loc["B", "grade"] == "B" and s["points"].max() < 6
    cov = grid.coverage(table).set_index("criterion")
    assert cov.loc["m", "outside_bands"] == 1 and cov.loc["net", "missing"] == 1
    assert cov.loc["net", "outside_bands"] == 2  # B (0) and E (0.5) are below every band


@pytest.mark.parametrize("spec, message", [
    ({"criteria": {"m": {"column": "monetary", "bands": [{"min": 0, "max": 200, "points": 1},
                                                         {"min": 100, "max": 300, "points": 2}]}},
      "grades": [{"grade": "A", "min": 0}]}, "overlap"),
    ({"criteria": {"m": {"bands": [{"min": 0, "points": 1}]}},
      "grades": [{"grade": "B", "min": 0}, {"grade": "A", "min": 10}]}, "decreasing thresholds"),
    ({"criteria": {"m": {"bands": [{"min": 0, "points": 1}], "wieght": 2}},
      "grades": [{"grade": "A", "min": 0}]}, "unknown key.*wieght"),
    ({"criteria": {"m": {"bands": [{"min": 5, "max": 5, "points": 1}]}},
      "grades": [{"grade": "A", "min": 0}]}, "must be below max"),
    ({"criteria": {"m": {"bands": [{"value": True, "points": 1}, {"value": True, "points": 2}]}},
      "grades": [{"grade": "A", "min": 0}]}, "several bands"),
])
def test_bad_grids_get_clear_errors(spec, message):
    with pytest.raises(rfm.GridError, match=message):
        rfm.ScoringGrid.from_dict(spec)


def test_grid_on_a_missing_column_says_which_and_how_to_fix():
    grid = rfm.ScoringGrid.from_dict(rfm.ARTICLE_GRID)
    with pytest.raises(rfm.GridError, match=r"network \(column 'network_score'\).*required: false"):
        grid.apply(pd.DataFrame({"monetary": [1.0], "newsletter_subscribed": [True]}))


def test_default_grid_file_and_dict_agree(tmp_path):
    from_file = rfm.ScoringGrid.from_yaml(rfm.DEFAULT_GRID_FILE)
    assert from_file.to_dict() == rfm.ScoringGrid.from_dict(rfm.DEFAULT_GRID).to_dict()
    written = rfm.write_default_grid(tmp_path / "grid.yml")
    assert rfm.ScoringGrid.from_yaml(written).table().equals(from_file.table())
    assert from_file.max_points() == 3 * 4 + 2 * 4 + 3 * 4 + 4 + 2 + 2


def _scored(r, f, m, tenure=400):
    return pd.DataFrame({"r_score": r, "f_score": f, "m_score": m, "frequency": [1] * len(r),
                         "tenure_days": [tenure] * len(r)})


def test_segments_precedence_overlaps_and_unassigned_are_reported():
    rules = rfm.SegmentRules([{"name": "Top", "rule": "r_score >= 4 and f_score >= 4"},
                              {"name": "Recent", "rule": "r_score >= 4"},
                              {"name": "Old", "rule": "r_score == 1"}])
    t = _scored([5, 4, 5, 1, 2, 3], [5, 4, 1, 2, 2, 3], [1, 1, 1, 1, 1, 1])
    seg, report = rules.assign(t)
    assert seg.astype(str).tolist() == ["Top", "Top", "Recent", "Old", rfm.UNASSIGNED, rfm.UNASSIGNED]
    assert report.unassigned == 2
    overlaps = report.overlaps.set_index("segment")
    assert overlaps.loc["Top", "also_matched"] == "Recent" and overlaps.loc["Top", "customers"] == 2
    # r_score 2 or 3 with any f and m: 2 x 5 x 5 combinations no rule covers, 2 customers in them
    assert len(report.uncovered) == 50 and report.uncovered["customers"].sum() == 2


def test_default_segments_cover_every_score_combination():
    t = _scored(*[list(x) for x in zip(*[(r, f, m) for r in range(1, 6) for f in range(1, 6)
                                         for m in range(1, 6)], strict=True)])
    seg, report = rfm.SegmentRules().assign(t)
    assert report.unassigned == 0 and report.uncovered.empty
    assert (seg == "Champions").sum() == 8 and (seg == "Hibernating").sum() == 10


def test_segment_rule_naming_an_unknown_column_is_a_clear_error():
    rules = rfm.SegmentRules([{"name": "X", "rule": "r_scor >= 4"}])
    with pytest.raises(rfm.GridError, match="segment 'X'.*r_scor"):
        rules.assign(_scored([1], [1], [1]))


def test_score_pipeline_on_the_tiny_fixture(orders, customers):
    res = rfm.score(orders, as_of=AS_OF, customers=customers, grid=rfm.ARTICLE_GRID, bins=2,
                    segments=[{"name": "Recent", "rule": "recency_days <= 31"}, {"name": "Other", "rule": "True"}])
    t = res.table.set_index("customer_id")
    assert res.counts == {"customers": 5, "purchasers": 3, "prospects": 1, "no_purchase": 1,
                          "not_yet_known": 1, "lines_after_as_of": 1, "not_in_master": 0}
    assert t["in_master"].all()
    assert t.loc["A", "segment"] == "Recent" and t.loc["C", "segment"] == "Other"
    assert t.loc["E", "segment"] == rfm.PROSPECT and t.loc["E", "potential_class"] == "prospect"
    assert t.loc["A", "dominant_category"] == "garden"  # 200 of garden, 130 of food, 50 of kids
    assert t.loc["A", "n_category"] == 3 and t.loc["A", "purchase_days"] == 2
    assert t.loc["A", "points"] == 1 * 4 + 2 * 2 + 2 * 1  # revenue < 50k, network 7, newsletter


def test_as_of_before_every_order_is_a_clear_error(orders):
    with pytest.raises(rfm.RFMInputError, match="first order line is dated 2023-12-31"):
        rfm.score(orders, as_of="2020-01-01")


def test_no_orders_table_is_a_clear_error():
    crm = wb.load("demo", as_of="2025-12-31", tables=["customers"], demo_customers=200)
    with pytest.raises(ValueError, match="RFM scoring needs the table orders"):
        rfm.score(crm, as_of="2025-12-31")


def test_association_rules_by_hand(orders):
    r = rfm.association_rules(orders, as_of=AS_OF, min_support=0).set_index(["antecedent", "consequent"])
    # customer baskets up to as_of: A {food, kids, garden}, C {food}, D {kids}; 3 baskets
    row = r.loc[("garden", "food")]
    assert (row["baskets"], round(row["support"], 4), row["confidence"], row["lift"]) == (1, 0.3333, 1.0, 1.5)
    assert round(r.loc[("food", "garden"), "confidence"], 4) == 0.5
    by_order = rfm.association_rules(orders, as_of=AS_OF, level="order", min_support=0)
    # order baskets: O1 {food, kids}, O2 {food}, O3 {garden}, O5 {food}, O8 {kids}
    kf = by_order.set_index(["antecedent", "consequent"]).loc[("kids", "food")]
    assert (kf["support"], kf["confidence"], round(kf["lift"], 4)) == (0.2, 0.5, 0.8333)
    assert len(by_order) == 2


def test_export_round_trip(tmp_path, orders, customers):
    res = rfm.score(orders, as_of=AS_OF, customers=customers, grid=rfm.ARTICLE_GRID, bins=2)
    for suffix in (".csv", ".parquet"):
        path = rfm.export(res, tmp_path / f"scores{suffix}")
        back = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
        assert len(back) == 5 and {"r_score", "points", "grade", "segment", "potential_class"} <= set(back)
        assert back.set_index("customer_id").loc["A", "monetary"] == 300.0
    with pytest.raises(ValueError, match="csv or a .parquet"):
        rfm.export(res, tmp_path / "scores.xlsx")


def test_history_dates_are_quarter_steps_ending_at_as_of():
    import workbench as wb

    dates = wb.rfm.history_dates("2025-12-31", periods=4)
    assert [d.strftime("%Y-%m-%d") for d in dates] == ["2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31"]
    with pytest.raises(ValueError, match="periods=0"):
        wb.rfm.history_dates("2025-12-31", periods=0)
