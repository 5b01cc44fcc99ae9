"""Campaign ROI on the shapes real exports have: each crash seen on them, at the method level.

The degraded inputs are built from the small demo company by dropping columns, rows or
tables: no control group, no order in any window, no ``responded``, no funnel steps, no
dates, no orders (response-only), campaign-level results only, no campaign data at all.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench import campaigns as C

AS_OF = "2025-12-31"
STEPS = ["delivered", "opened", "clicked", "bounced", "undeliverable", "unsubscribed", "attended",
         "opened_at", "clicked_at"]


@pytest.fixture(scope="module")
def crm():
    return wb.load("demo", as_of=AS_OF, seed=42, demo_customers=300)


def _with(crm, **tables):
    """A copy of `crm` whose tables are replaced (None drops the table)."""
    new = {k: v for k, v in crm.tables.items() if k not in tables or tables[k] is not None}
    new |= {k: v for k, v in tables.items() if v is not None}
    return dataclasses.replace(crm, tables=new)


def _outcomes(book, contacts=None, orders=None):
    return C.contact_outcomes(book.contacts if contacts is None else contacts,
                              book.orders if orders is None else orders, campaigns=book.campaigns,
                              products=book.products, margin_rate=0.4)


def _cells(book, outcomes):
    segmented = C.add_segments(outcomes, customers=book.customers)
    costs = C.campaign_costs(book.campaigns, book.contacts)
    audience = C.current_segments(book.customers, book.orders, as_of=AS_OF,
                                  edges=C.sales_band_edges(outcomes["pre_sales_6m"]))
    return C.allocation_cells(segmented, by=C.SALES_BAND, costs=costs, audience=audience), costs


def test_no_control_group_gives_attributed_results_and_a_kept_allocation(crm):
    contacts = crm["campaign_contacts"]
    book = C.portfolio(_with(crm, campaign_contacts=contacts[contacts["group"] != "control"]))
    outcomes = _outcomes(book)
    cells, costs = _cells(book, outcomes)  # crashed: merge with None
    assert len(cells) and (cells["status"] == "kept: no measure").all()
    allocation = C.allocate_budget(cells)
    assert allocation["n_after"].tolist() == allocation["n_today"].astype(float).tolist()
    effects = C.incrementality(outcomes, costs=costs)
    assert (effects["basis"] == C.BASIS_ATTRIBUTED).all()
    assert effects["margin_lift"].isna().all() and effects["roi"].isna().all()
    assert effects["attributed_revenue"].sum() == pytest.approx(outcomes["revenue"].sum())
    assert "No campaign has a control group" in C.coverage(_with(crm, campaign_contacts=book.contacts)).needs("control")


def test_a_small_sales_rep_portfolio_allocates_without_crashing():
    tiny = wb.load("demo", as_of=AS_OF, seed=42, demo_customers=150)
    book = C.portfolio(tiny, sales_rep="David Leroy")  # 18 customers: no cell is measurable
    outcomes = _outcomes(book)
    cells, _ = _cells(book, outcomes)  # crashed: merge with None
    assert len(cells) and (cells["status"] == "kept: no measure").all()
    allocation = C.allocate_budget(cells)
    assert allocation["spend_after"].sum() == pytest.approx(allocation["spend_today"].sum())
    assert C.coverage(tiny).ready("control")  # the whole base has control groups...
    assert "No campaign has a control group" in C.coverage(tiny, book=book).needs("control")  # ...not his


def test_no_order_in_any_window_gives_zeros_not_an_arrow_error(crm):
    book = C.portfolio(crm)
    early = book.orders[book.orders["order_date"] < "2023-02-01"]  # before every campaign
    with pytest.warns(UserWarning, match="No contact bought in the 30 days"):
        outcomes = _outcomes(book, orders=early)  # crashed: empty Arrow result in _window_sums
    assert len(outcomes) == len(book.contacts)
    assert (outcomes["orders"] == 0).all() and (outcomes["revenue"] == 0).all()
    assert not outcomes["converted"].any()
    assert outcomes["pre_sales_6m"].sum() > 0  # the sales before the contacts are still there
    assert outcomes["orders"].dtype == "int64" and outcomes["margin"].dtype == "float64"
    assert "No contact bought in the 30 days" in C.window_note(outcomes, window_days=30)
    assert C.window_note(_outcomes(book), window_days=30) == ""
    nothing = _outcomes(book, orders=book.orders.iloc[:0])
    assert (nothing[["orders", "revenue", "pre_sales_6m"]] == 0).all().all()


def test_contacts_without_responded_keep_a_response_rate_column(crm):
    contacts = crm["campaign_contacts"].drop(columns=["responded", "responded_at"])
    book = C.portfolio(_with(crm, campaign_contacts=contacts))
    groups = C.arm_summary(_outcomes(book))
    assert groups["response_rate"].isna().all()  # the notebook selects it: NaN, never 0
    with pytest.raises(ValueError, match="map the outcome of each contact"):
        C.response_contacts(book.contacts)
    scope = C.coverage(_with(crm, campaign_contacts=contacts))
    assert scope.needs("responses").startswith("Response rates need campaign_contacts.responded")
    assert scope.ready("outcomes")


def test_contacts_without_funnel_steps_give_sent_and_converted(crm):
    contacts = crm["campaign_contacts"].drop(columns=STEPS)
    book = C.portfolio(_with(crm, campaign_contacts=contacts))
    outcomes = _outcomes(book)
    table = C.funnel(outcomes, campaigns=book.campaigns)
    assert table["delivered"].isna().all() and table["open_rate"].isna().all()
    focus = table.sort_values("sent")["campaign_id"].iat[-1]
    assert C.funnel_stages(table, focus)["stage"].tolist() == ["sent", "converted"]
    assert "No funnel step" in C.coverage(_with(crm, campaign_contacts=contacts)).needs("steps")


def test_contacts_without_dates_still_give_response_rates(crm):
    contacts = crm["campaign_contacts"].drop(columns=["sent_at", "opened_at", "clicked_at", "responded_at"])
    campaigns = crm["campaigns"].drop(columns=["start_date", "end_date"])
    degraded = _with(crm, campaign_contacts=contacts, campaigns=campaigns)
    book = C.portfolio(degraded)
    with pytest.warns(UserWarning, match=f"{len(contacts):,} of {len(contacts):,} contacts have no date"):
        outcomes = _outcomes(book)
    assert outcomes.empty
    checks = C.campaign_checks(book.campaigns, book.contacts)
    assert set(checks.loc[checks["check"] == "contacts without date", "campaign_id"]) == \
        set(contacts["campaign_id"])
    scope = C.coverage(degraded)
    assert scope.needs("outcomes").startswith("This section needs a date for each contact")
    assert scope.ready("responses")
    rates = C.response_rates(C.response_contacts(book.contacts, campaigns=book.campaigns),
                             ["campaign_id", "group"])
    assert rates["responded"].sum() == int(contacts["responded"].fillna(False).sum())


def test_response_only_data_gives_rates_by_campaign_and_segment(crm):
    degraded = _with(crm, orders=None, products=None)
    scope = C.coverage(degraded)
    assert scope.ready("responses") and not scope.ready("outcomes")
    assert "needs an orders table" in scope.needs("outcomes")
    book = C.portfolio(degraded)  # no orders table: refused before
    assert book.orders.empty
    contacts = C.response_contacts(book.contacts, campaigns=book.campaigns, customers=book.customers)
    by_campaign = C.response_rates(contacts, ["campaign_id", "group"])
    raw = crm["campaign_contacts"]
    one = raw[(raw["campaign_id"] == "CMP01") & (raw["group"] == "target")]
    row = by_campaign[(by_campaign["campaign_id"] == "CMP01") & (by_campaign["group"] == "target")].iloc[0]
    assert row["recorded"] == one["responded"].notna().sum()
    assert row["not_recorded"] == one["responded"].isna().sum()
    assert row["response_rate"] == pytest.approx(one["responded"].fillna(False).sum() / row["recorded"])
    assert row["response_low"] <= row["response_rate"] <= row["response_high"]
    by_sector = C.response_rates(contacts, ["sector", "group"])
    assert by_sector["contacts"].sum() == len(raw)  # every contact counted, unknown sector too
    assert by_sector.loc[by_sector["group"] == "control", "recorded"].sum() == 0  # not asked


def test_wilson_interval_by_hand():
    low, high = C.wilson_interval([0, 5, 3], [10, 10, 0])
    assert low[0] == 0 and high[0] == pytest.approx(0.2775, abs=1e-4)
    assert (low[1], high[1]) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert np.isnan(low[2]) and np.isnan(high[2])
    for n in (1, 2, 3, 7, 13, 29, 199):  # the interval always holds the rate (plots draw rate - low)
        k = np.arange(n + 1)
        low, high = C.wilson_interval(k, np.full(n + 1, n))
        assert (low <= k / n).all() and (high >= k / n).all()


STATS = pd.DataFrame({
    "campaign_id": ["A", "A", "B", "C"], "ad_id": ["a1", "a2", "b1", "c1"],
    "spend": [60.0, 40.0, 50.0, 10.0], "impressions": [1000, 1000, 500, 200],
    "clicks": [30, 20, 10, 4], "conversions": [4.0, 1.0, np.nan, np.nan],
    "revenue": [300.0, 100.0, np.nan, np.nan]})


def test_campaign_stats_give_cpa_roi_and_funnel_by_hand():
    out = C.campaign_results(STATS, margin_rate=0.5).set_index("campaign_id")
    a = out.loc["A"]
    assert (a["ads"], a["spend"], a["clicks"], a["conversions"]) == (2, 100.0, 50, 5.0)
    assert a["click_through_rate"] == pytest.approx(0.025)
    assert a["conversion_rate"] == pytest.approx(0.1)
    assert a["cost_per_acquisition"] == pytest.approx(20.0)
    assert a["roas"] == pytest.approx(4.0)
    assert a["roi"] == pytest.approx((400 * 0.5 - 100) / 100)
    assert out.loc["B", "conversions"] != out.loc["B", "conversions"]  # not reported: NaN, not 0
    assert np.isnan(out.loc["B", "cost_per_acquisition"]) and np.isnan(out.loc["B", "roi"])
    assert (out["basis"] == C.BASIS_PLATFORM).all()
    assert np.isnan(C.campaign_results(STATS).loc[0, "roi"])  # no margin rate: no ROI
    stages = C.stats_funnel(out.reset_index(), "A")
    assert stages["stage"].tolist() == ["impressions", "clicks", "conversions"]
    assert stages["share_of_previous"].tolist()[1:] == pytest.approx([0.025, 0.1])


def test_the_ads_platform_example_loads_into_campaign_stats():
    crm = wb.load("data/examples/ads_export", mapping="data/examples/ads_export/mapping.yml", as_of=AS_OF)
    assert crm.rejects.empty and list(crm.tables) == ["campaign_stats"]
    stats = crm["campaign_stats"]
    assert len(stats) == 25 and stats["campaign_id"].nunique() == 3
    scope = C.coverage(crm)
    assert scope.ready("stats") and scope.needs("contacts").startswith("This section needs campaign_contacts")
    raw = pd.read_csv("data/examples/ads_export/ads_platform_export.csv")
    results = C.campaign_results(stats, margin_rate=0.4)
    assert results["spend"].sum() == pytest.approx(raw["Amount spent (EUR)"].sum())
    assert results["conversions"].sum() == raw["Purchases"].sum()


def test_campaign_stats_reject_an_unknown_campaign_when_campaigns_are_loaded(tmp_path):
    (tmp_path / "campaigns.csv").write_text("campaign_id,name\nA,alpha\n", encoding="utf-8")
    (tmp_path / "campaign_stats.csv").write_text(
        "campaign_id,spend,impressions,clicks\nA,10,100,5\nZ,3,40,1\n", encoding="utf-8")
    crm = wb.load(tmp_path, as_of=AS_OF)
    assert crm["campaign_stats"]["campaign_id"].tolist() == ["A"]
    assert crm.rejects["value"].tolist() == ["Z"]


def test_no_campaign_data_says_so_and_every_section_steps_aside(crm):
    scope = C.coverage(_with(crm, campaigns=None, campaign_contacts=None))
    assert not scope.ready("campaigns")
    assert scope.needs("campaigns").startswith("This source holds no campaign data")
    assert all(scope.needs(s).startswith("Skipped: this source holds no campaign data")
               for s in C.SECTIONS if s != "campaigns")
    with pytest.raises(ValueError, match="unknown section"):
        scope.needs("funel")


def test_segment_candidates_are_short_text_columns_without_consents():
    customers = pd.DataFrame({
        "customer_id": list("abcdef"), "kind": ["person"] * 3 + ["company"] * 3,
        "gender": list("FMFMXF"), "zip": ["u", "r", "u", "s", "r", "u"], "name": list("ABCDEF"),
        "one": ["x"] * 6, "vip": pd.array([True, False, True, None, False, True], dtype="boolean"),
        "consent_email": pd.array([True, False] * 3, dtype="boolean"), "spend": [1.0, 2, 3, 4, 5, 6]})
    assert C.segment_candidates(customers, max_levels=4) == ["gender", "zip", "vip"]
    assert C.segment_candidates(None) == []


def test_response_lift_matches_newcombes_published_interval():
    # Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 against 48/80
    contacts = pd.DataFrame({
        "campaign_id": ["X"] * 150 + ["Y"] * 3, "customer_id": range(153),
        "group": ["target"] * 70 + ["control"] * 80 + ["target", "target", "control"],
        "responded": pd.array([True] * 56 + [False] * 14 + [True] * 48 + [False] * 32
                              + [True, False, None], dtype="boolean")})
    out = C.response_lift(contacts).set_index("campaign_id")
    x = out.loc["X"]
    assert x["response_lift"] == pytest.approx(0.2)
    assert (x["lift_low"], x["lift_high"]) == pytest.approx((0.0524, 0.3339), abs=1e-4)
    assert x["lift_p"] == pytest.approx(0.0080, abs=1e-4) and x["basis"] == C.BASIS_INCREMENTAL
    y = out.loc["Y"]  # its control's response is not recorded: rates only, no lift
    assert y["basis"] == C.BASIS_NO_CONTROL_RESPONSE and np.isnan(y["response_lift"])
    assert y["rate_treated"] == 0.5
