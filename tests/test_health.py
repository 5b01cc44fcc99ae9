"""Tests of workbench.health, tolerance capital: hand-computed trajectories on a tiny CRM.

Risk and the action plan have their own files (test_health_risk.py, test_health_plan.py).
Fixture rules: start 50, threshold 20, near margin 10, population rhythm fixed at 10 days,
wear 10 points per rhythm after one rhythm of silence, so 1 point a day at rhythm 10.
Days are counted from 2024-01-01 (day 0); the analysis date is 2024-04-10 (day 100).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.health import (
    CapitalRules,
    capital_events,
    points_table,
    population_rhythm,
    tolerance_capital,
)

D0 = pd.Timestamp("2024-01-01")
AS_OF = D0 + pd.Timedelta(days=100)
RULES = CapitalRules(rhythm_days=10.0)


def day(n: int) -> pd.Timestamp:
    return D0 + pd.Timedelta(days=n)


@pytest.fixture(scope="module")
def tiny() -> dict[str, pd.DataFrame]:
    orders = pd.DataFrame([
        # A: a purchase every 10 days, then a severe complaint, resolved, unsatisfied, then silence
        ("o1", "A", day(0), 100.0), ("o2", "A", day(10), 40.0),
        # B: three purchases 30 days apart: the rhythm learns
        ("o3", "B", day(0), 10.0), ("o4", "B", day(30), 10.0), ("o5", "B", day(60), 10.0),
        # C: one purchase, no event
        ("o6", "C", day(80), 25.0),
        # D: a complaint as a prospect, first purchase later
        ("o7", "D", day(70), 30.0),
        # E: only a return (no purchase): no capital
        ("o8", "E", day(5), -12.0),
        # G: campaign contacts
        ("o9", "G", day(60), 55.0),
        # A line after the analysis date is not used
        ("o10", "B", day(120), 10.0),
    ], columns=["order_id", "customer_id", "order_date", "amount"])
    incidents = pd.DataFrame([
        ("i1", "A", day(14), "complaint", 4, day(19), 2.0),
        ("i2", "D", day(-12), "complaint", pd.NA, pd.NaT, np.nan),
    ], columns=["incident_id", "customer_id", "date", "kind", "severity", "resolved_date", "satisfaction"])
    incidents["severity"] = incidents["severity"].astype("Int64")
    contacts = pd.DataFrame([
        ("K1", "G", "target", True, day(64), False), ("K2", "G", "target", True, day(79), True),
        ("K3", "G", "control", False, pd.NaT, pd.NA), ("K4", "G", "target", True, day(95), False),
        ("K5", "G", "target", True, day(110), False),
    ], columns=["campaign_id", "customer_id", "group", "sent", "sent_at", "unsubscribed"])
    contacts["unsubscribed"] = contacts["unsubscribed"].astype("boolean")
    customers = pd.DataFrame({"customer_id": list("ABCDEFG")})  # F never bought: a prospect
    return {"orders": orders, "incidents": incidents, "campaign_contacts": contacts, "customers": customers}


@pytest.fixture(scope="module")
def cap(tiny):
    return tolerance_capital(tiny, as_of=AS_OF, rules=RULES)


def rows(cap, cid) -> list[tuple]:
    t = cap.customer(cid)
    return [(int((r.date - D0).days), r.event, round(r.points, 6), round(r.capital, 6)) for r in t.itertuples()]


def test_hand_computed_trajectory_with_complaint_and_floor(cap):
    # complaint -10 and severe -10 on day 14; resolved +5 and unsatisfied -10 on day 19 (its
    # resolution date); no 'unresolved' (resolved within 30 days); silence wears from day 24
    # (contact 14 + rhythm 10) at 1 point a day and stops at the floor 0
    assert rows(cap, "A") == [
        (0, "first_purchase", 50, 50), (10, "purchase", 5, 55), (14, "complaint", -10, 45),
        (14, "severe_complaint", -10, 35), (19, "complaint_resolved", 5, 40), (19, "unsatisfied", -10, 30),
        (24, "inactivity_starts", 0, 30), (100, "inactivity", -30, 0), (100, "as_of", 0, 0)]
    a = cap.customers.loc["A"]
    assert (a["capital"], a["status"], a["peak"], a["peak_date"]) == (0, "broken", 55, day(10))
    assert a["last_contact"] == day(14) and a["days_since_contact"] == 86


def test_rhythm_is_learned_purchase_by_purchase(cap):
    # prior 10 days, weight 2: after a 30-day gap (30 + 20) / 3 = 16.67; after two, (60 + 20) / 4 = 20
    assert rows(cap, "B") == [
        (0, "first_purchase", 50, 50), (10, "inactivity_starts", 0, 50), (30, "inactivity", -20, 30),
        (30, "purchase", 5, 35), (47, "inactivity_starts", 0, 35), (60, "inactivity", -8, 27),
        (60, "purchase", 5, 32), (80, "inactivity_starts", 0, 32), (100, "inactivity", -10, 22),
        (100, "as_of", 0, 22)]
    b = cap.customers.loc["B"]
    assert b["rhythm_days"] == pytest.approx(20.0)
    assert b["status"] == "near" and b["overdue"] == pytest.approx(40 / 20)


def test_one_purchase_no_event_wears_at_the_population_rhythm(cap):
    assert rows(cap, "C") == [(80, "first_purchase", 50, 50), (90, "inactivity_starts", 0, 50),
                              (100, "inactivity", -10, 40), (100, "as_of", 0, 40)]
    assert cap.customers.loc["C", "status"] == "ok"
    assert cap.customers.loc["C", "rhythm_days"] == 10.0


def test_events_before_the_first_purchase_are_listed_not_applied(cap):
    # the prospect's complaint (day -12) and its 'still open' event (day 18) come before day 70
    assert rows(cap, "D") == [(70, "first_purchase", 50, 50), (80, "inactivity_starts", 0, 50),
                              (100, "inactivity", -20, 30), (100, "as_of", 0, 30)]
    assert cap.customers.loc["D", "status"] == "near"  # at threshold + margin exactly: near
    ignored = cap.ignored
    assert sorted(zip(ignored["customer_id"], ignored["event"], strict=True)) == [
        ("D", "complaint"), ("D", "complaint_unresolved"), ("E", "return")]
    assert cap.counts["events_before_first_purchase"] == 3
    assert any("before the customer's first purchase" in n for n in cap.notes)


def test_campaign_contacts_over_contact_and_unsubscribe(cap):
    # contacts on days 64, 79 (unsubscribed), 95; the control row is no contact; day 110 is after as_of.
    # They are not contacts of the customer: the inactivity clock runs from day 60.
    assert rows(cap, "G") == [
        (60, "first_purchase", 50, 50), (70, "inactivity_starts", 0, 50), (79, "inactivity", -9, 41),
        (79, "unsubscribe", -5, 36), (95, "inactivity", -16, 20), (95, "over_contact", -5, 15),
        (100, "inactivity", -5, 10), (100, "as_of", 0, 10)]


def test_counts_statuses_prospects_and_what_was_left_out(cap, tiny):
    assert list(cap.customers.index) == ["A", "B", "C", "D", "G"]  # E only returned, F never bought
    assert cap.counts == {"customers": 5, "broken": 2, "near": 2, "ok": 1, "events_applied": 14,
                          "events_before_first_purchase": 3, "events_after_as_of": 2, "prospects": 2}
    events = capital_events(tiny, as_of=AS_OF, rules=RULES)
    assert events.attrs["after_as_of"] == {"orders": 1, "incidents": 0, "campaign_contacts": 1}
    assert len(events) == 14 + 3
    status = cap.status_counts().set_index("status")
    assert status["customers"].tolist() == [2, 2, 1]
    assert status.loc["near", "mean_capital"] == pytest.approx(26.0)


def test_no_look_ahead_capital_on_a_past_day_equals_the_trajectory(tiny, cap):
    then = tolerance_capital(tiny, as_of=day(45), rules=RULES)
    # B on day 45: 35 after the day-30 purchase, worn from day 46.67: not yet
    assert then.customers.loc["B", "capital"] == pytest.approx(35.0)
    # A on day 45: 30 worn from day 24 at 1 a day: 9, the value on the later line at that date
    assert then.customers.loc["A", "capital"] == pytest.approx(9.0)
    assert set(then.customers.index) == {"A", "B"}  # C, D and G had not bought yet
    assert then.counts["events_after_as_of"] == 5 + 4  # orders o5 o6 o7 o9 o10, the 4 contacts sent


def test_points_override_and_file(tiny, tmp_path):
    more = tolerance_capital(tiny, as_of=AS_OF, rules=RULES, points={"purchase": 10})
    assert more.customers.loc["B", "capital"] == pytest.approx(32.0)  # 50-20+10 = 40, -8 -> 32 +10 = 42, -10
    assert rows(more, "B")[3] == (30, "purchase", 10, 40)
    path = tmp_path / "points.csv"
    path.write_text("event,points,contact\nunsatisfied,-20,false\ncomplaint,-10,false\n", encoding="utf-8")
    table = points_table(path)
    assert table.loc["unsatisfied", "points"] == -20 and table.loc["unsatisfied", "source"] == "changed"
    assert not table.loc["complaint", "contact"] and table.loc["complaint", "source"] == "changed"
    assert table.loc["purchase", "source"] == "default"
    yml = tmp_path / "points.yml"
    yml.write_text("points:\n  praise: 20\n", encoding="utf-8")
    assert points_table(yml).loc["praise", "points"] == 20


def test_population_rhythm_is_the_median_mean_gap(tiny):
    events = capital_events(tiny, as_of=AS_OF)
    assert population_rhythm(events) == pytest.approx(20.0)  # A: 10 days, B: 30 days
    learned = tolerance_capital(events, as_of=AS_OF)
    assert learned.rhythm_days == pytest.approx(20.0)
    assert learned.customers.loc["C", "rhythm_days"] == pytest.approx(20.0)


@pytest.mark.parametrize(("points", "message"), [
    ({"complain": -5}, "unknown event.*'complain'.*the events are purchase"),
    ({"purchase": "a lot"}, "event 'purchase': points 'a lot' is not a number"),
    (pd.DataFrame({"name": ["x"]}), "give the columns 'event' and 'points'"),
    ("nowhere/points.csv", "no such file"),
])
def test_bad_points_tables_say_what_to_fix(points, message):
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        points_table(points)


def test_bad_rules_and_inputs_say_what_to_fix(tiny):
    with pytest.raises(ValueError, match="floor <= threshold < start <= ceiling.*threshold 60"):
        CapitalRules(threshold=60)
    with pytest.raises(ValueError, match="decay_per_rhythm=-1"):
        dataclasses.replace(RULES, decay_per_rhythm=-1)
    with pytest.raises(ValueError, match="needs an 'orders' table"):
        tolerance_capital({"incidents": tiny["incidents"]}, as_of=AS_OF)
    with pytest.raises(KeyError, match="'F' has no capital"):
        tolerance_capital(tiny, as_of=AS_OF, rules=RULES).customer("F")


def test_demo_company_capital_and_trajectories():
    crm = wb.load("demo", as_of="2025-12-31", seed=42)
    cap = tolerance_capital(crm, as_of="2025-12-31")
    assert cap.counts["customers"] == len(crm["customers"]) == 4000
    assert cap.counts["events_before_first_purchase"] == 0
    # every trajectory ends with the as_of row carrying the customer's capital
    last = cap.trajectory.groupby("customer_id").tail(1).set_index("customer_id")
    assert (last["event"] == "as_of").all()
    np.testing.assert_allclose(last["capital"].reindex(cap.customers.index), cap.customers["capital"])
    # points add up: start + sum of applied points = capital
    total = cap.trajectory.groupby("customer_id")["points"].sum()
    np.testing.assert_allclose(total.reindex(cap.customers.index), cap.customers["capital"], atol=1e-4)
    # customers with an unresolved complaint sit lower than the others
    unresolved = cap.trajectory.loc[cap.trajectory["event"] == "complaint_unresolved", "customer_id"].unique()
    inside = cap.customers.index.isin(unresolved)
    assert cap.customers.loc[inside, "capital"].mean() < cap.customers.loc[~inside, "capital"].mean() - 10
    watch = wb.health.near_threshold(cap)
    assert len(watch) == cap.counts["broken"] + cap.counts["near"]
    assert (watch["drop"] >= 0).all() and watch["drivers"].str.len().gt(0).all()


def test_segments_file_and_clv_by_segment(tmp_path):
    path = tmp_path / "segments.csv"
    path.write_text("customer_id;tier\nA;gold\nB;silver\nC;gold\n", encoding="utf-8")
    labels = wb.health.read_segments(path)
    assert labels.to_dict() == {"A": "gold", "B": "silver", "C": "gold"}
    table = pd.DataFrame({"clv": [100.0, 50.0, 30.0, 20.0], "expected_revenue": [110.0, 55.0, 33.0, 22.0],
                          "p_alive": [0.9, 0.5, 0.7, 0.1], "risk_score": [0.1, 0.6, 0.3, 0.9],
                          "risk_band": ["low", "high", "medium", "critical"]}, index=list("ABCD"))
    table["segment"] = labels.reindex(table.index).astype(object).fillna("(no segment)")
    out = wb.health.clv_by_segment(table).set_index("segment")
    assert out.loc["gold", ["customers", "clv_total", "clv_mean"]].tolist() == [2, 130.0, 65.0]
    assert out.loc["(no segment)", "customers"] == 1  # D is counted, not dropped
    assert out["clv_share_pct"].sum() == pytest.approx(100.0)
    assert out.loc["gold", "at_risk_pct"] == 0.0 and out.loc["silver", "at_risk_pct"] == 100.0
    dup = tmp_path / "dup.csv"
    dup.write_text("customer_id,segment\nA,x\nA,y\n", encoding="utf-8")
    with pytest.raises(ValueError, match="customer_id 'A' appears"):
        wb.health.read_segments(dup)
    with pytest.raises(ValueError, match="no segment column"):
        wb.health.clv_by_segment(table.drop(columns="segment"))
