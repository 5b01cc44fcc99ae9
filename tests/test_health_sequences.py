"""Scenarios that chain: welcome -> follow-up -> win-back, in order, after their delays."""

from __future__ import annotations

import pandas as pd
import pytest

import workbench as wb

SEQUENCE = [
    {"scenario": "welcome", "trigger": "first purchase", "condition": "purchases == 1",
     "action": "welcome e-mail", "channel": "email", "cooldown_days": 365},
    {"scenario": "follow_up", "trigger": "a week after the welcome", "condition": "True",
     "action": "how was it? e-mail", "channel": "email", "cooldown_days": 0,
     "after": "welcome", "delay_days": 7, "unless": "purchased"},
    {"scenario": "second_offer", "trigger": "a month after the follow-up", "condition": "True",
     "action": "offer for a second purchase", "channel": "email", "cooldown_days": 0,
     "after": "follow_up", "delay_days": 30, "unless": "purchased"},
]


def _health(days_since_purchase: dict[str, float], purchases: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame({"purchases": purchases, "days_since_purchase": days_since_purchase}).rename_axis(
        "customer_id")


def _plan(day: str, health, history, **kw):
    return wb.health.action_plan(health, as_of=day, scenarios=SEQUENCE, history=history,
                                 min_gap_days=0, **kw)


def test_a_sequence_fires_in_order_after_its_delays_and_stops_on_a_purchase():
    history = pd.DataFrame(columns=["customer_id", "date", "scenario", "ref"])
    h = _health({"A": 1, "B": 1}, {"A": 1, "B": 1})
    p1 = _plan("2025-01-01", h, history)
    assert sorted(p1.actions["scenario"]) == ["welcome", "welcome"]
    history = pd.concat([history, p1.history()], ignore_index=True)

    h = _health({"A": 4, "B": 1}, {"A": 1, "B": 2})  # B bought again on 2025-01-03
    p2 = _plan("2025-01-04", h, history)  # 3 days after: the follow-up waits
    waits = p2.skipped[p2.skipped["why"] == "waiting in its sequence"]
    assert set(waits["customer_id"]) == {"A"}
    assert waits["next_allowed"].iat[0] == pd.Timestamp("2025-01-08")
    assert set(p2.skipped.loc[p2.skipped["why"] == "sequence stopped (unless)", "customer_id"]) == {"B"}
    pos = p2.positions.set_index("customer_id")
    assert pos.loc["A", ["last_step", "next_step", "status"]].tolist() == ["welcome", "follow_up", "waiting"]
    assert pos.loc["B", "status"] == "stopped"

    h = _health({"A": 9, "B": 3}, {"A": 1, "B": 2})
    p3 = _plan("2025-01-09", h, history)
    assert p3.actions[["customer_id", "scenario"]].values.tolist() == [["A", "follow_up"]]
    history = pd.concat([history, p3.history()], ignore_index=True)
    p4 = _plan("2025-01-20", _health({"A": 20, "B": 14}, {"A": 1, "B": 2}), history)
    assert p4.actions.empty  # follow-up fired once; the offer waits 30 days
    p5 = _plan("2025-02-10", _health({"A": 41, "B": 35}, {"A": 1, "B": 2}), history)
    assert p5.actions[["customer_id", "scenario"]].values.tolist() == [["A", "second_offer"]]
    done = p5.positions.set_index("customer_id").loc["A", "status"]
    assert done == "done"
    all_actions = pd.concat([p1.actions, p3.actions, p5.actions])
    assert wb.health.sequence_violations(all_actions, scenarios=SEQUENCE).empty


def test_sequence_violations_are_found_in_a_bad_replay():
    actions = pd.DataFrame({
        "customer_id": ["A", "A", "B", "C", "C", "C"],
        "date": pd.to_datetime(["2025-01-01", "2025-01-03", "2025-01-05", "2025-01-01",
                                "2025-01-10", "2025-01-20"]),
        "scenario": ["welcome", "follow_up", "follow_up", "welcome", "follow_up", "follow_up"]})
    v = wb.health.sequence_violations(actions, scenarios=SEQUENCE)
    got = sorted(zip(v["customer_id"], v["rule"], strict=True))
    assert got == [("A", "before its delay"), ("B", "without the step before"),
                   ("C", "twice for one step before")]


@pytest.mark.parametrize(("change", "message"), [
    ({"after": "nobody"}, "names no scenario"),
    ({"after": "", "delay_days": 3}, "delay_days needs 'after'"),
    ({"delay_days": -1}, "must be a number of days >= 0"),
])
def test_bad_chains_are_refused_with_the_scenario_named(change, message):
    rows = [dict(SEQUENCE[0]), {**SEQUENCE[1], **change}]
    with pytest.raises(ValueError, match=message):
        wb.health.Scenarios(rows)


def test_a_loop_of_after_is_refused():
    rows = [{**SEQUENCE[1], "scenario": "a", "after": "b"}, {**SEQUENCE[1], "scenario": "b", "after": "a"}]
    with pytest.raises(ValueError, match="loops"):
        wb.health.Scenarios(rows)


def test_a_replay_over_the_holdout_keeps_every_sequence_in_order(root):
    crm = wb.load("demo", as_of="2025-12-31", seed=42)
    lv = wb.clv.LifetimeValue(model="bg/nbd").fit(crm["orders"], calibration_end="2025-06-30")
    scenarios = root / "data" / "scenarios" / "sequences.yml"
    actions, counts = wb.health.replay_plan(crm, lv, start="2025-06-30", end="2025-12-31",
                                            scenarios=str(scenarios))
    fired = actions["scenario"].value_counts()
    assert fired.get("welcome_follow_up", 0) > 20 and fired.get("second_purchase_offer", 0) > 0
    history = wb.health.contact_history(crm, as_of="2025-12-31")
    assert wb.health.sequence_violations(actions, scenarios=str(scenarios), history=history).empty
    assert wb.health.cooldown_violations(actions, scenarios=str(scenarios), history=history).empty
    follow = actions[actions["scenario"] == "welcome_follow_up"].merge(
        actions[actions["scenario"] == "welcome"], on="customer_id", suffixes=("", "_welcome"))
    assert ((follow["date"] - follow["date_welcome"]).dt.days >= 14).all()


def test_positions_in_sequences_are_read_back_from_the_store(tmp_path):
    store = tmp_path / "s.duckdb"
    h = _health({"A": 1, "B": 1}, {"A": 1, "B": 1})
    wb.health.keep_plan(_plan("2025-01-01", h, None), store=store)
    crm = wb.load("demo", as_of="2025-12-31", seed=42)
    where, sentence = wb.health.sequence_positions(crm, as_of="2025-01-05", scenarios=SEQUENCE, store=store)
    assert where.set_index("customer_id").loc[["A", "B"], "status"].tolist() == ["waiting", "waiting"]
    assert "2 customer(s) in 1 sequence(s)" in sentence
    _, none = wb.health.sequence_positions(crm, as_of="2025-01-05", scenarios=SEQUENCE)
    assert "No score_store" in none


def test_positions_and_contact_history_need_no_orders(tmp_path):
    # a source with campaign contacts and no orders (response_only) crashed: "the tolerance
    # capital needs the table orders"
    store = tmp_path / "s.duckdb"
    wb.health.keep_plan(_plan("2025-01-01", _health({"A": 1}, {"A": 1}), None), store=store)
    crm = wb.load("demo:response_only", demo_customers=80, seed=1, as_of="2025-12-31")
    assert "orders" not in crm
    history = wb.health.contact_history(crm, as_of="2025-12-31")
    assert len(history) > 0 and set(history["scenario"]) == {"campaign"}
    where, sentence = wb.health.sequence_positions(crm, as_of="2025-01-05", scenarios=SEQUENCE, store=store)
    assert where.set_index("customer_id").loc["A", "status"] == "waiting"
    assert "1 customer(s) in 1 sequence(s)" in sentence
    with pytest.raises(Exception, match="the tolerance capital needs the table orders"):
        wb.health.capital_events(crm, as_of="2025-12-31")
