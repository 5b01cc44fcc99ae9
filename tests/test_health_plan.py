"""Tests of workbench.health, action plan: scenarios, cooldowns, consent, export, replay."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.health import (
    EXPORT_COLUMNS,
    Scenarios,
    action_plan,
    contact_history,
    cooldown_violations,
)

AS_OF = pd.Timestamp("2025-12-31")


@pytest.fixture(scope="module")
def health() -> pd.DataFrame:
    rows = {
        # days_since_complaint, capital_status, intervals, purchases, days_first, risk_band, days_since_purchase, clv_pct
        "c1": (5, "near", 0.5, 4, 300, "medium", 20, 0.5),       # complaint -> follow-up (also rescue)
        "c2": (np.nan, "near", 0.8, 5, 400, "medium", 30, 0.4),  # rescue; no phone consent -> email
        "c3": (np.nan, "ok", 0.2, 1, 10, "low", 10, 0.3),        # welcome, but a campaign 10 days ago
        "c4": (np.nan, "broken", 3.0, 6, 700, "high", 200, 0.6),  # win-back, but one 60 days ago
        "c5": (np.nan, "ok", 0.3, 2, 100, "low", 15, 0.9),       # high potential, no consent at all
        "c6": (np.nan, "ok", 0.4, 8, 500, "low", 25, 0.7),       # nothing to do
        "c7": (np.nan, "broken", 4.0, 3, 600, "critical", 300, 0.2),  # win-back; campaign 40 days ago
    }
    cols = ["days_since_complaint", "capital_status", "intervals_since_purchase", "purchases",
            "days_since_first_purchase", "risk_band", "days_since_purchase", "clv_percentile"]
    t = pd.DataFrame.from_dict(rows, orient="index", columns=cols)
    t.index.name = "customer_id"
    t = t.assign(risk_score=0.5, capital=25.0, p_alive=0.8, clv=100.0, why="numbers")
    return t


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return pd.DataFrame({"customer_id": ["c3", "c4", "c7", "c1"],
                         "date": pd.to_datetime(["2025-12-21", "2025-11-01", "2025-11-21", "2026-01-05"]),
                         "scenario": ["campaign", "win_back", "campaign", "campaign"]})


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    return pd.DataFrame({"customer_id": ["c1", "c2", "c3", "c4", "c5", "c6", "c7"],
                         "consent_email": [True, True, True, True, False, True, True],
                         "consent_phone": [True, False, False, False, False, True, False],
                         "consent_mail": [False, False, True, True, pd.NA, False, False]}).astype(
        {"consent_mail": "boolean"})


@pytest.fixture(scope="module")
def plan(health, history, customers):
    return action_plan(health, as_of=AS_OF, history=history, customers=customers, min_gap_days=30)


def test_one_action_per_customer_by_priority_consent_and_cooldown(plan):
    got = plan.actions[["customer_id", "scenario", "channel"]].values.tolist()
    assert got == [["c1", "complaint_follow_up", "phone"], ["c2", "rescue", "email"],
                   ["c7", "win_back", "email"]]
    assert (plan.actions["date"] == AS_OF).all()
    assert plan.actions["reason"].iloc[0] == "a complaint in the last 30 days: numbers"
    assert plan.notes == ["1 history row(s) dated after 2025-12-31 ignored"]


def test_every_matched_customer_left_out_is_listed_with_the_reason(plan):
    s = plan.skipped.set_index("customer_id")
    assert s.loc["c1", ["scenario", "why", "detail"]].tolist() == ["rescue", "another scenario first",
                                                                    "complaint_follow_up"]
    assert s.loc["c3", ["scenario", "why"]].tolist() == ["welcome", "recent solicitation"]
    assert s.loc["c3", "next_allowed"] == pd.Timestamp("2026-01-20")  # campaign 12-21 + 30 days
    assert s.loc["c4", ["scenario", "why"]].tolist() == ["win_back", "cooldown"]
    assert s.loc["c4", "next_allowed"] == pd.Timestamp("2026-03-01")  # win-back 11-01 + 120 days
    assert s.loc["c5", ["scenario", "why", "detail"]].tolist() == [
        "high_potential", "no consented channel", "no consent for phone, email"]
    assert len(s) == 4 and "c6" not in s.index


def test_counts_per_scenario(plan):
    c = plan.counts.set_index("scenario")
    assert c["matched"].to_dict() == {"complaint_follow_up": 1, "rescue": 2, "welcome": 1, "win_back": 2,
                                      "high_potential": 1, "total": 6}
    assert c["actions"].to_dict() == {"complaint_follow_up": 1, "rescue": 1, "welcome": 0, "win_back": 1,
                                      "high_potential": 0, "total": 3}
    assert c.loc["total", ["another scenario first", "recent solicitation", "cooldown",
                           "no consented channel"]].tolist() == [1, 1, 1, 1]


def test_export_is_a_csv_for_the_crm(plan, tmp_path):
    path = plan.export(tmp_path / "out" / "next_actions.csv")
    back = pd.read_csv(path, dtype=str)
    assert list(back.columns) == EXPORT_COLUMNS
    assert back["date"].tolist() == ["2025-12-31"] * 3 and back["customer_id"].tolist() == ["c1", "c2", "c7"]
    with pytest.raises(ValueError, match=r"\.csv"):
        plan.export(tmp_path / "plan.xlsx")


def test_without_consent_columns_nothing_is_blocked_and_it_says_so(health):
    plan = action_plan(health, as_of=AS_OF)
    assert "no customers table: consent not checked" in plan.notes
    assert plan.actions["customer_id"].tolist() == ["c1", "c2", "c3", "c4", "c7", "c5"]
    assert plan.actions.set_index("customer_id").loc["c5", "channel"] == "phone"


def test_cooldown_violations_finds_what_breaks_the_rules():
    actions = pd.DataFrame({"customer_id": ["x", "x", "y", "y", "z"],
                            "date": pd.to_datetime(["2025-01-01", "2025-01-20", "2025-01-01", "2025-03-15",
                                                    "2025-02-01"]),
                            "scenario": ["rescue", "welcome", "rescue", "rescue", "welcome"]})
    history = pd.DataFrame({"customer_id": ["z"], "date": pd.to_datetime(["2025-01-10"]),
                            "scenario": ["campaign"]})
    v = cooldown_violations(actions, min_gap_days=30, history=history)
    got = sorted(zip(v["customer_id"], v["rule"], v["days"], strict=True))
    # x: 19 days apart; y: rescue again after 73 days (< 90); z: 22 days after a campaign
    assert got == [("x", "gap", 19), ("y", "cooldown", 73), ("z", "gap", 22)]


@pytest.mark.parametrize(("rows", "message"), [
    ([{"scenario": "a", "condition": "capital < 1", "action": "x", "channel": "email"}],
     "scenario 1 \\(a\\): missing cooldown_days"),
    ([{"scenario": "a", "condition": "capital < 1", "action": "x", "channel": "email", "cooldown_days": 5,
       "colour": "red"}], "unknown key\\(s\\) colour"),
    ([{"scenario": "a", "condition": "capital < 1", "action": "x", "channel": "email", "cooldown_days": -5}],
     "cooldown_days -5 must be a number of days >= 0"),
    ([{"scenario": "a", "condition": "x", "action": "x", "channel": "email", "cooldown_days": 1}] * 2,
     "scenario names must be unique"),
])
def test_bad_scenarios_say_what_to_fix(rows, message):
    with pytest.raises(ValueError, match=message):
        Scenarios(rows)


def test_bad_conditions_name_the_scenario_and_the_columns(health):
    with pytest.raises(ValueError, match="scenario 'a': condition: 'capitl < 3': no column 'capitl' "
                                         r"\(did you mean 'capital'\?\); the columns are days_since_complaint"):
        Scenarios([{"scenario": "a", "condition": "capitl < 3", "action": "x", "channel": "email",
                    "cooldown_days": 1}]).matches(health)
    with pytest.raises(ValueError, match="is not a true/false expression"):
        Scenarios([{"scenario": "a", "condition": "capital + 1", "action": "x", "channel": "email",
                    "cooldown_days": 1}]).matches(health)


def test_scenarios_from_yaml(tmp_path, health):
    path = tmp_path / "scenarios.yml"
    path.write_text("scenarios:\n  - scenario: vip\n    trigger: big\n    condition: clv_percentile >= 0.9\n"
                    "    action: call\n    channel: phone\n    cooldown_days: 10\n", encoding="utf-8")
    plan = action_plan(health, as_of=AS_OF, scenarios=str(path))
    assert plan.actions[["customer_id", "scenario"]].values.tolist() == [["c5", "vip"]]


# --------------------------------------------------------------------------- demo company, over time


@pytest.fixture(scope="module")
def demo():
    crm = wb.load("demo", as_of="2025-12-31", seed=42)
    lv = wb.clv.LifetimeValue(model="bg/nbd").fit(crm["orders"], calibration_end="2025-06-30")
    return crm, lv


def _gaps_ok(actions: pd.DataFrame, contacts: pd.DataFrame, min_gap: int, cooldowns: dict) -> None:
    """Independent check: sorted solicitations of each customer, campaign contacts included."""
    a = actions.reset_index(drop=True).assign(date=pd.to_datetime(actions["date"]).to_numpy(), kind="action")
    c = contacts.assign(kind="campaign")
    cols = ["customer_id", "date", "scenario", "kind"]
    both = pd.concat([a[cols], c[cols]], ignore_index=True)
    both = both.sort_values(["customer_id", "date"])
    gap = both.groupby("customer_id")["date"].diff().dt.days
    assert not ((both["kind"] == "action") & (gap < min_gap)).any()
    same = a.sort_values("date").groupby(["customer_id", "scenario"])["date"].diff().dt.days
    assert (same.dropna() >= a.loc[same.dropna().index, "scenario"].astype(object).map(cooldowns).astype(float)).all()


def test_exported_plans_respect_cooldowns_run_after_run(demo, tmp_path):
    """Three monthly runs, each reading the earlier exports back as its history, as a CRM would."""
    crm, lv = demo
    cooldowns = {r["scenario"]: r["cooldown_days"] for r in Scenarios().rows}
    exports = []
    for day in ("2025-10-31", "2025-11-30", "2025-12-31"):
        health = wb.health.assess(crm, lv, as_of=day)
        earlier = [pd.read_csv(p, parse_dates=["date"], dtype={"customer_id": str}) for p in exports]
        history = pd.concat([contact_history(crm, as_of=day), *earlier], ignore_index=True)
        plan = action_plan(health.table, as_of=day, history=history, customers=crm["customers"])
        exports.append(plan.export(tmp_path / f"next_actions_{day}.csv"))
    every = pd.concat([pd.read_csv(p, parse_dates=["date"], dtype={"customer_id": str}) for p in exports],
                      ignore_index=True)
    assert len(every) > 1000 and every["date"].nunique() == 3
    _gaps_ok(every, contact_history(crm, as_of="2025-12-31"), 30, cooldowns)
    assert cooldown_violations(every, history=contact_history(crm, as_of="2025-12-31")).empty
    # some customers were matched again but held back by a cooldown or a recent solicitation
    assert plan.counts.set_index("scenario").loc["total", ["cooldown", "recent solicitation"]].sum() > 100


def test_replay_over_the_holdout(demo):
    crm, lv = demo
    actions, counts = wb.health.replay_plan(crm, lv, start="2025-06-30", end="2025-12-31")
    assert sorted(counts["date"].unique()) == list(pd.date_range("2025-07-31", "2025-12-31", freq="ME"))
    assert len(actions) == counts.loc[counts["scenario"] == "total", "actions"].sum()
    history = contact_history(crm, as_of="2025-12-31")
    assert cooldown_violations(actions, history=history).empty
    cooldowns = {r["scenario"]: r["cooldown_days"] for r in Scenarios().rows}
    _gaps_ok(actions, history, 30, cooldowns)
    # welcome goes to each new customer once: never twice to the same person
    welcome = actions[actions["scenario"] == "welcome"]
    assert welcome["customer_id"].is_unique and len(welcome) > 200
