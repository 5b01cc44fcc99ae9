"""Campaign ROI on a tiny hand-computed fixture: funnel, lifts, ROI, attribution, costs, errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from workbench import campaigns as C
from workbench.data.dataset import CRMData

T = pd.Timestamp

# Customers A-D are contacted by C1 (e-mail, 2024-01-10), E-F held out. C2 (mailing,
# 2024-01-20) reaches A and B with no control group. C3 has no contact, C4 no cost.
CAMPAIGNS = pd.DataFrame({
    "campaign_id": ["C1", "C2", "C3", "C4"], "name": ["mail 1", "cat 2", "web 3", "free 4"],
    "kind": ["emailing", "mailing", "webinar", "emailing"], "channel": ["email", "post", "online", "email"],
    "start_date": [T("2024-01-10"), T("2024-01-20"), T("2024-02-01"), T("2024-03-01")],
    "fixed_cost": [100.0, 50.0, 10.0, np.nan], "cost_per_contact": [0.5, 2.0, 1.0, np.nan]})


def _contacts() -> pd.DataFrame:
    na = pd.NA
    rows = [  # campaign, customer, group, sent, delivered, bounced, opened, clicked, unsubscribed
        ("C1", "A", "target", True, True, False, True, True, False),
        ("C1", "B", "target", True, True, False, True, False, True),
        ("C1", "C", "target", True, True, False, False, False, False),
        ("C1", "D", "target", True, False, True, False, False, False),
        ("C1", "E", "control", False, na, na, na, na, na),
        ("C1", "F", "control", False, na, na, na, na, na),
        ("C2", "A", "target", True, True, na, na, na, na),
        ("C2", "B", "target", True, True, na, na, na, na),
        ("C4", "G", "target", True, True, False, False, False, False),
        ("C4", "H", "control", False, na, na, na, na, na),
    ]
    cols = ["campaign_id", "customer_id", "group", "sent", "delivered", "bounced", "opened",
            "clicked", "unsubscribed"]
    out = pd.DataFrame(rows, columns=cols)
    out[cols[3:]] = out[cols[3:]].astype("boolean")
    sent = {"C1": T("2024-01-10 09:00"), "C2": T("2024-01-20 08:00"), "C4": T("2024-03-01 10:00")}
    out["sent_at"] = [sent[c] if s else pd.NaT for c, s in zip(out["campaign_id"], out["sent"], strict=True)]
    return out


ORDERS = pd.DataFrame([  # id, customer, date, amount, quantity, product
    ("o1", "A", T("2024-01-12"), 100.0, 2.0, "P1"),   # C1 window: margin 100 - 2 x 20 = 60
    ("o2", "B", T("2024-01-10"), 50.0, 1.0, "P1"),    # on C1's contact day: left out
    ("o3", "B", T("2024-01-25"), 60.0, 1.0, None),    # C1 and C2 windows; no product: rate 0.5
    ("o4", "C", T("2024-02-20"), 70.0, 1.0, "P1"),    # 41 days after C1: outside the window
    ("o5", "E", T("2024-01-15"), 40.0, 1.0, "P1"),    # control: margin 20
    ("o6", "D", T("2024-01-20"), -30.0, -1.0, "P1"),  # a return: margin -30 + 20 = -10
    ("o7", "A", T("2023-12-01"), 80.0, 1.0, "P1"),    # before: six-month sales of A
    ("o8", "C", T("2023-08-01"), 20.0, 1.0, "P1"),    # before: six-month sales of C
], columns=["order_id", "customer_id", "order_date", "amount", "quantity", "product_id"])
PRODUCTS = pd.DataFrame({"product_id": ["P1"], "unit_cost": [20.0]})
CUSTOMERS = pd.DataFrame({"customer_id": list("ABCDEFGH"),
                          "sales_rep": ["Ann", "Ann", "Ann", "Bob", "Ann", "Bob", "Bob", "Bob"],
                          "sector": ["retail", "retail", None, None, None, None, None, None]})


@pytest.fixture(scope="module")
def outcomes() -> pd.DataFrame:
    return C.contact_outcomes(_contacts(), ORDERS, campaigns=CAMPAIGNS, products=PRODUCTS,
                              window_days=30, margin_rate=0.5)


@pytest.fixture(scope="module")
def costs() -> pd.DataFrame:
    return C.campaign_costs(CAMPAIGNS, _contacts())


def _row(frame, **where):
    mask = np.ones(len(frame), bool)
    for k, v in where.items():
        mask &= (frame[k] == v).to_numpy()
    assert mask.sum() == 1, where
    return frame[mask].iloc[0]


# --- outcomes and margin --------------------------------------------------------------------


def test_outcomes_window_margin_and_pre_sales(outcomes):
    got = outcomes.set_index(["campaign_id", "customer_id"])
    # C1: A 100 (o1), B 60 (o3; o2 on the contact day is out), C 0 (o4 too late), D -30 (return)
    assert got.loc["C1", "revenue"].to_dict() == {"A": 100, "B": 60, "C": 0, "D": -30, "E": 40, "F": 0}
    assert got.loc["C1", "margin"].to_dict() == {"A": 60, "B": 30, "C": 0, "D": -10, "E": 20, "F": 0}
    assert got.loc["C1", "converted"].to_dict() == {"A": True, "B": True, "C": False, "D": False,
                                                    "E": True, "F": False}
    # six months before the contact day: A 80 (o7), C 20 (o8); before C2, B has o2 (50)
    assert got.loc["C1", "pre_sales_6m"].to_dict() == {"A": 80, "B": 0, "C": 20, "D": 0, "E": 0, "F": 0}
    assert got.loc["C2", "pre_sales_6m"].to_dict() == {"A": 180, "B": 50}
    # hold-outs are dated by the campaign's start; contacts made are the sent targets only
    assert got.loc[("C1", "E"), "contact_date"] == T("2024-01-10")
    assert got.loc["C1", "contacted"].sum() == 4


def test_margin_basis_states_the_assumed_rate():
    basis = C.margin_basis(ORDERS, products=PRODUCTS, margin_rate=0.5).set_index("margin_basis")
    assert basis.loc["unit cost of the product", "lines"] == 7
    assert basis.loc["assumed margin rate 50%", "lines"] == 1
    assert basis.loc["assumed margin rate 50%", "margin"] == 30


def test_missing_unit_costs_need_a_margin_rate():
    with pytest.raises(ValueError, match=r"1 of 8 order lines have no unit cost.*give margin_rate"):
        C.line_margins(ORDERS, products=PRODUCTS)


# --- funnel ---------------------------------------------------------------------------------


def test_funnel_rates_state_their_denominators(outcomes, costs):
    f = C.funnel(outcomes, campaigns=CAMPAIGNS, costs=costs)
    c1 = _row(f, campaign_id="C1")
    assert (c1.sent, c1.delivered, c1.bounced, c1.opened, c1.clicked, c1.unsubscribed) == (4, 3, 1, 2, 1, 1)
    assert c1.delivery_rate == 3 / 4 and c1.bounce_rate == 1 / 4
    assert c1.open_rate == 2 / 3            # opened / delivered
    assert c1.click_through_rate == 1 / 2   # clicked / opened
    assert c1.click_rate == 1 / 3           # clicked / delivered
    assert c1.unsubscribe_rate == 1 / 3     # unsubscribed / delivered
    assert c1.conversion_rate == 2 / 4      # converted / sent
    assert c1.cost == 102 and c1.cost_per_conversion == 51
    c2 = _row(f, campaign_id="C2")
    assert pd.isna(c2.opened) and math.isnan(c2.open_rate)  # not tracked for a mailing
    c3 = _row(f, campaign_id="C3")
    assert c3.arm == "(no contact)" and c3.sent == 0 and math.isnan(c3.conversion_rate)
    defs = C.rate_definitions().set_index("rate")
    assert tuple(defs.loc["click_through_rate", ["numerator", "denominator"]]) == ("clicked", "opened")


def test_funnel_stages_give_each_share_of_the_previous(outcomes):
    stages = C.funnel_stages(C.funnel(outcomes), "C1").set_index("stage")
    assert stages["count"].to_dict() == {"sent": 4, "delivered": 3, "opened": 2, "clicked": 1,
                                         "converted": 2}
    assert stages.loc["opened", "share_of_previous"] == 2 / 3
    assert stages.loc["opened", "denominator"] == "delivered"
    with pytest.raises(ValueError, match=r"campaign 'C9' is not in the funnel table"):
        C.funnel_stages(C.funnel(outcomes), "C9")


def test_arm_summary_per_contact_and_per_buyer(outcomes):
    s = C.arm_summary(outcomes)
    t, c = _row(s, campaign_id="C1", group="target"), _row(s, campaign_id="C1", group="control")
    assert (t.revenue_per_contact, c.revenue_per_contact) == (32.5, 20.0)
    assert (t.revenue_per_buyer, c.revenue_per_buyer) == (80.0, 40.0)
    assert (t.conversion_rate, c.conversion_rate) == (0.5, 0.5)


# --- incrementality -------------------------------------------------------------------------


def test_lifts_welch_and_roi_by_hand(outcomes, costs):
    inc = C.incrementality(outcomes, costs=costs)
    c1 = _row(inc, campaign_id="C1")
    assert c1.basis == C.BASIS_INCREMENTAL
    assert c1.conversion_lift == 0
    assert c1.revenue_lift == pytest.approx(12.5)   # 32.5 - 20
    assert c1.margin_lift == pytest.approx(10.0)    # (60 + 30 + 0 - 10) / 4 - (20 + 0) / 2
    # Welch by hand: treated revenue var 10275 / 3 = 3425, / 4 = 856.25; control 800 / 2 = 400
    d = C.difference([100, 60, 0, -30], [40, 0])
    assert d["se"] ** 2 == pytest.approx(1256.25)
    assert d["df"] == pytest.approx(1256.25**2 / (856.25**2 / 3 + 400**2 / 1))
    assert c1.revenue_p == pytest.approx(d["p_value"])
    # incremental ROI = (10 x 4 - (100 + 0.5 x 4)) / 102
    assert c1.incr_margin == pytest.approx(40.0)
    assert c1.cost == 102
    assert c1.roi == pytest.approx((40 - 102) / 102)
    assert c1.roi_low == pytest.approx((4 * c1.margin_low - 102) / 102)
    assert c1.attributed_roi == pytest.approx((80 - 102) / 102)


def test_no_control_group_gives_attributed_figures_only(outcomes, costs):
    c2 = _row(C.incrementality(outcomes, costs=costs), campaign_id="C2")
    assert c2.basis == C.BASIS_ATTRIBUTED
    assert math.isnan(c2.margin_lift) and math.isnan(c2.roi)
    assert c2.attributed_revenue == 60 and c2.attributed_margin == 30   # B's o3 (A's o1 is earlier)
    assert c2.attributed_roi == pytest.approx((30 - 54) / 54)           # cost 50 + 2 x 2
    assert "no control group" in c2.message and "not incremental" in c2.message


def test_missing_costs_give_no_roi(outcomes, costs):
    c4 = _row(C.incrementality(outcomes, costs=costs), campaign_id="C4")
    assert math.isnan(c4.cost) and math.isnan(c4.roi)
    assert "no cost known" in c4.message
    assumed = C.campaign_costs(CAMPAIGNS, _contacts(), fixed_cost=5.0, cost_per_contact=1.0)
    c4 = _row(assumed, campaign_id="C4")
    assert c4.total_cost == 6 and c4.cost_source == "assumed (parameters)"
    assert _row(assumed, campaign_id="C1").total_cost == 102   # the table's costs come first


def test_bootstrap_interval_is_close_to_welch():
    rng = np.random.default_rng(3)
    t, c = rng.normal(1.0, 2.0, 400), rng.normal(0.0, 2.0, 400)
    w = C.difference(t, c)
    b = C.difference(t, c, method="bootstrap", n_boot=4000, rng=np.random.default_rng(1))
    assert b["diff"] == w["diff"]
    assert b["low"] == pytest.approx(w["low"], abs=0.05) and b["high"] == pytest.approx(w["high"], abs=0.05)
    assert b["p_value"] == pytest.approx(1 / 4000)   # no resample crosses 0: the floor
    assert all(math.isnan(v) for v in C.difference([1.0], [0.0, 1.0]).values())
    with pytest.raises(ValueError, match=r"method must be one of welch, bootstrap"):
        C.difference(t, c, method="z")
    with pytest.raises(ValueError, match=r"confidence must be a level between 0.5 and 1"):
        C.difference(t, c, confidence=95)


def test_pooled_effect_weights_by_treated_contacts():
    parts = pd.DataFrame({"diff": [1.0, 4.0], "se": [1.0, 2.0], "n": [300, 100]})
    p = C.pool(parts)
    assert p["diff"] == pytest.approx((300 * 1 + 100 * 4) / 400)
    assert p["se"] == pytest.approx(math.sqrt(300**2 * 1 + 100**2 * 4) / 400)


# --- checks, portfolio ----------------------------------------------------------------------


def test_checks_name_every_unmeasurable_campaign(costs):
    checks = C.campaign_checks(CAMPAIGNS, _contacts(), costs=costs)
    found = set(zip(checks["campaign_id"], checks["check"], strict=True))
    assert {("C2", "no control group"), ("C3", "no contacts"), ("C4", "costs missing")} <= found
    assert ("C1", "small control group") in found
    msg = checks.set_index(["campaign_id", "check"]).loc[("C2", "no control group"), "message"]
    assert "attributed" in msg and "Hold out" in msg


def _crm() -> CRMData:
    tables = {"customers": CUSTOMERS, "campaigns": CAMPAIGNS, "campaign_contacts": _contacts(),
              "orders": ORDERS, "products": PRODUCTS}
    return CRMData(tables=tables, rejects=pd.DataFrame(), rejected_rows={}, quality=pd.DataFrame(),
                   source="fixture")


def test_sales_rep_portfolio_shares_fixed_costs():
    book = C.portfolio(_crm(), sales_rep="Ann")
    assert set(book.contacts["customer_id"]) == {"A", "B", "C", "E"}
    scope = book.scope.set_index("table")
    assert scope.loc["campaign_contacts", "kept"] + scope.loc["campaign_contacts", "other_reps"] == 10
    costs = C.campaign_costs(book.campaigns, book.contacts)
    c1 = _row(costs, campaign_id="C1")
    assert c1.fixed_cost == 75 and c1.total_cost == 75 + 0.5 * 3   # 3 of C1's 4 contacts made
    with pytest.raises(ValueError, match=r"sales_rep='Zoe' is not a rep of any customer; the reps are: 'Ann', 'Bob'"):
        C.portfolio(_crm(), sales_rep="Zoe")


def test_bad_window_and_cost_parameters():
    with pytest.raises(ValueError, match=r"window_days must be a whole number of days >= 1"):
        C.contact_outcomes(_contacts(), ORDERS, campaigns=CAMPAIGNS, window_days=0, margin_rate=0.4)
    with pytest.raises(ValueError, match=r"cost_per_contact must be a cost >= 0"):
        C.campaign_costs(CAMPAIGNS, _contacts(), cost_per_contact=-1.0)


# --- attribution ----------------------------------------------------------------------------


def test_attribution_models_share_a_two_touch_purchase(outcomes):
    lines = C.line_margins(ORDERS, products=PRODUCTS, margin_rate=0.5)
    att = C.attribution(outcomes, lines, window_days=30, half_life_days=5)
    rev = att.pivot_table(index="campaign_id", columns="model", values="revenue")
    conv = att.pivot_table(index="campaign_id", columns="model", values="conversions")
    # o1 (100) touched by C1 only; o3 (60) by C1 15 days and C2 5 days before it
    assert rev.loc["C1"].to_dict() == pytest.approx(
        {"last_touch": 100, "first_touch": 160, "linear": 130, "time_decay": 100 + 60 * 0.2})
    assert rev.loc["C2"].to_dict() == pytest.approx(
        {"last_touch": 60, "first_touch": 0, "linear": 30, "time_decay": 60 * 0.8})
    assert conv.sum().to_dict() == pytest.approx(dict.fromkeys(C.MODELS, 2.0))   # credits add up
    summary = C.attribution_summary(outcomes, lines, window_days=30).set_index("touches")
    assert summary["purchases"].to_dict() == {"0": 5, "1": 1, "2": 1, "3+": 0}
    with pytest.raises(ValueError, match=r"unknown attribution model\(s\) 'u_shaped'"):
        C.attribution(outcomes, lines, models=["u_shaped"])


# --- segments and allocation ----------------------------------------------------------------


def test_segments_keep_unknown_labels(outcomes):
    labels = pd.DataFrame({"customer_id": ["A", "B"], "segment": ["champions", "at risk"]})
    seg = C.add_segments(outcomes, customers=CUSTOMERS, segments=labels, edges=[50, 100])
    c1 = seg[seg["campaign_id"] == "C1"].set_index("customer_id")
    assert c1["segment"].to_dict() == {"A": "champions", "B": "at risk", "C": C.NO_LABEL,
                                       "D": C.NO_LABEL, "E": C.NO_LABEL, "F": C.NO_LABEL}
    assert c1["sector"]["A"] == "retail" and c1["sector"]["C"] == C.NO_LABEL
    assert c1[C.SALES_BAND].to_dict() == {"A": "2 mid (50-100)", "B": "0 none", "C": "1 low (<= 50)",
                                          "D": "0 none", "E": "0 none", "F": "0 none"}
    with pytest.raises(ValueError, match=r"segment column\(s\) history not in customers"):
        C.add_segments(outcomes, customers=CUSTOMERS, columns=["history"])


def _cells(**over) -> pd.DataFrame:
    cells = pd.DataFrame({"kind": ["emailing", "mailing", "webinar"], "segment": ["all"] * 3,
                          "n_today": [100.0, 100.0, 10.0], "audience": [1000.0, 1000.0, 50.0],
                          "margin_lift": [2.0, 1.0, np.nan], "margin_shrunk": [2.0, 1.0, np.nan],
                          "cost_per_contact": [0.5, 0.5, 3.0],
                          "status": ["optimised", "optimised", "kept: no measure"]})
    return cells.assign(**over)


def test_allocation_equalises_marginal_margin_per_euro():
    alloc = C.allocate_budget(_cells(), budget=630.0).set_index("kind")
    assert alloc["spend_after"].sum() == pytest.approx(630.0)
    assert alloc.loc["webinar", "n_after"] == 10   # no measure: kept as today (30 of the budget)
    # a = m n0 / (S (1 - exp(-n0 / S))); the marginal margin a exp(-n / S) per euro is equal
    opt = alloc.loc[["emailing", "mailing"]]
    a = opt["margin_shrunk"] * opt["n_today"] / (opt["audience"] * -np.expm1(-opt["n_today"] / opt["audience"]))
    per_euro = a * np.exp(-opt["n_after"] / opt["audience"]) / opt["cost_per_contact"]
    assert per_euro["emailing"] == pytest.approx(per_euro["mailing"])
    assert per_euro["emailing"] > 1
    assert alloc.loc["emailing", "margin_today"] == 200   # today's point is on the curve
    assert alloc.loc["emailing", "n_after"] > alloc.loc["mailing", "n_after"] > 0
    # a smaller budget goes to the better cell first: mailing gets nothing
    small = C.allocate_budget(_cells(), budget=300.0).set_index("kind")
    assert small.loc["emailing", "n_after"] == pytest.approx(540) and small.loc["mailing", "n_after"] == 0


def test_allocation_leaves_unprofitable_budget_unspent():
    alloc = C.allocate_budget(_cells(), budget=10_000.0)
    opt = alloc[alloc["status"] == "optimised"]
    a = opt["margin_shrunk"] * opt["n_today"] / (opt["audience"] * -np.expm1(-opt["n_today"] / opt["audience"]))
    # marginal margin falls to the cost (1 euro per euro) or the cell reaches its audience
    marginal = a * np.exp(-opt["n_after"] / opt["audience"])
    assert all(np.isclose(marginal, opt["cost_per_contact"]) | np.isclose(opt["n_after"], opt["audience"]))
    summary = C.allocation_summary(alloc).set_index("kind")
    assert summary.loc["(unspent)", "spend_after"] == pytest.approx(10_000 - alloc["spend_after"].sum())
    assert summary.loc["(unspent)", "spend_after"] > 0
    with pytest.raises(ValueError, match=r"budget 10.00 is below the 30.00 spent today on cells that keep"):
        C.allocate_budget(_cells(), budget=10.0)


# --- plots and explorer ---------------------------------------------------------------------


def test_plots_draw_the_tables(outcomes, costs):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from workbench.plotting import campaigns as P

    f = C.funnel(outcomes, campaigns=CAMPAIGNS, costs=costs)
    inc = C.incrementality(outcomes, costs=costs)
    ax = P.plot_funnel(C.funnel_stages(f, "C1"))
    assert [t.get_text().split(":")[0] for t in ax.texts] == ["sent", "delivered", "opened", "clicked",
                                                             "converted"]
    ax = P.plot_lifts(inc, metric="margin")
    assert "no control group: not measurable" in [t.get_text() for t in ax.texts]   # C2
    assert len(ax.get_yticklabels()) == len(inc)
    ax = P.plot_roi_by_kind(C.action_audit(outcomes, costs=costs))
    assert ax.get_title().startswith("Benefit / cost")
    lines = C.line_margins(ORDERS, products=PRODUCTS, margin_rate=0.5)
    ax = P.plot_attribution(C.attribution(outcomes, lines))
    assert len(ax.patches) == 4 * 3   # four models x campaigns C1, C2, C4
    alloc = C.allocate_budget(_cells(), budget=630.0)
    ax = P.plot_allocation(C.allocation_summary(alloc))
    assert {t.get_text() for t in ax.get_yticklabels()} == {"emailing", "mailing", "webinar", "(unspent)"}
    assert P.plot_qini(None).texts[0].get_text() == "No uplift model: no Qini curve"
    P.plot_funnel_rates(f)
    P.plot_segment_effects(C.effects_by(C.add_segments(outcomes, edges=[50, 100]), ["kind", C.SALES_BAND]),
                           by=C.SALES_BAND)
    with pytest.raises(ValueError, match=r"metric must be one of conversion, revenue, margin"):
        P.plot_lifts(inc, metric="roi")
    plt.close("all")


def test_explorer_recomputes_on_every_control():
    import matplotlib

    matplotlib.use("Agg")
    from workbench.widgets.campaigns import explore_campaigns

    box = explore_campaigns(C.portfolio(_crm()), margin_rate=0.5, as_of="2024-12-31")
    picker, window = box.children[0].children
    fixed, per = box.children[2].children
    assert (fixed.value, per.value) == (100.0, 0.5)   # C1's costs
    for campaign in ("C2", "C3", "C4"):
        picker.value = campaign   # no control, no contact, no cost: all shown without error
    assert (fixed.value, per.value) == (0.0, 0.0)     # C4 has no cost: entered as 0
    window.value = 10
    box.children[3].value = 500.0
    shown = box.view.html   # the tables shown, as HTML
    assert "<th>C4</th>" in shown or ">C4<" in shown
    assert "last_touch" in shown and "spend_share_after" in shown
