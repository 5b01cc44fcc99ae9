"""The score store: real snapshots, one per as_of, and migrations between them."""

from __future__ import annotations

import pandas as pd
import pytest

import workbench as wb
from workbench.rfm.store import ScoreStore

MONTH_ENDS = ["2025-10-31", "2025-11-30", "2025-12-31"]


@pytest.fixture(scope="module")
def crm():
    return wb.load("demo", as_of="2025-12-31", seed=11)


@pytest.fixture(scope="module")
def results(crm):
    scorer = wb.rfm.score(crm, as_of=MONTH_ENDS[-1]).scorer  # one scorer, as a schedule would reuse
    return {d: wb.rfm.score(crm, as_of=d, scorer=scorer) for d in MONTH_ENDS}


def test_three_month_ends_leave_three_snapshots_and_the_migration_is_the_direct_one(tmp_path, results):
    store = ScoreStore(tmp_path / "scores.duckdb")
    for d in MONTH_ENDS:
        store.append(results[d])
    runs = store.runs()
    assert [f"{d:%Y-%m-%d}" for d in runs["as_of"]] == MONTH_ENDS
    assert runs["customers"].tolist() == [len(results[d].table) for d in MONTH_ENDS]
    assert runs["grid_fingerprint"].nunique() == 1 and runs["grid_fingerprint"].iat[0].startswith("sha256:")

    history = store.history(last=2)
    assert sorted(history["as_of"].unique()) == [pd.Timestamp(d) for d in MONTH_ENDS[1:]]
    stored = wb.rfm.migration_matrix(history, start=MONTH_ENDS[1], end=MONTH_ENDS[2], by="grade")

    a, b = (results[d].table.set_index("customer_id")["grade"].astype(str) for d in MONTH_ENDS[1:])
    direct = pd.crosstab(a.reindex(b.index).fillna("Not yet a customer"), b)
    direct = direct.reindex(index=stored.index, columns=stored.columns, fill_value=0)
    pd.testing.assert_frame_equal(stored, direct, check_names=False, check_dtype=False)
    assert stored.to_numpy().sum() == len(b)

    dropped = wb.rfm.grade_changes(history, start=MONTH_ENDS[1], end=MONTH_ENDS[2])
    order = results[MONTH_ENDS[2]].grid.grade_order
    rank = {g: i for i, g in enumerate(order)}
    expected = {c for c in a.index.intersection(b.index) if rank[b[c]] > rank[a[c]]}
    assert set(dropped["customer_id"]) == expected and (dropped["steps"] < 0).all()


def test_rerunning_a_date_replaces_its_snapshot(tmp_path, results):
    store = ScoreStore(tmp_path / "scores.duckdb")
    first = results[MONTH_ENDS[0]]
    store.append(first)
    changed = type(first)(**{**first.__dict__, "table": first.table.head(10)})
    store.append(changed)
    history = store.history()
    assert len(store.runs()) == 1
    assert len(history) == 10 and history["customer_id"].is_unique


def test_history_of_a_store_never_written_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist yet"):
        ScoreStore(tmp_path / "none.duckdb").history()
    assert ScoreStore(tmp_path / "none.duckdb").runs().empty


def test_record_run_reads_back_the_drops_since_the_run_before(tmp_path, results):
    path = tmp_path / "s.duckdb"
    none = wb.rfm.record_run(results[MONTH_ENDS[0]], store="")
    assert "No score store" in none.sentence and none.drops.empty
    first = wb.rfm.record_run(results[MONTH_ENDS[0]], store=path)
    assert "first" in first.sentence and first.migration.empty
    wb.rfm.record_run(results[MONTH_ENDS[2]], store=path)
    middle = wb.rfm.record_run(results[MONTH_ENDS[1]], store=path)  # a backfill: compares with 10-31
    assert middle.previous == pd.Timestamp(MONTH_ENDS[0])
    direct = wb.rfm.grade_changes(ScoreStore(path).history(), start=MONTH_ENDS[0], end=MONTH_ENDS[1])
    assert middle.drops["customer_id"].tolist() == direct["customer_id"].tolist()
    assert f"{len(direct):,} customer(s) dropped" in middle.sentence
    assert list(middle.grades.index) == [pd.Timestamp(d) for d in MONTH_ENDS]


def test_a_rep_scope_keeps_its_own_snapshots(tmp_path, crm, results):
    rep = sorted(crm["customers"]["sales_rep"].dropna().unique())[0]
    mine = wb.rfm.for_sales_rep(results[MONTH_ENDS[2]], crm, sales_rep=rep)
    ids = set(crm["customers"].loc[crm["customers"]["sales_rep"] == rep, "customer_id"])
    assert set(mine.table["customer_id"]) == ids & set(results[MONTH_ENDS[2]].table["customer_id"])
    store = ScoreStore(tmp_path / "s.duckdb")
    store.append(results[MONTH_ENDS[2]])
    store.append(mine, scope=f"sales_rep={rep}")
    assert len(store.history()) == len(results[MONTH_ENDS[2]].table)
    assert len(store.history(scope=f"sales_rep={rep}")) == len(mine.table)
    with pytest.raises(ValueError, match="has no customer; the reps are"):
        wb.rfm.for_sales_rep(results[MONTH_ENDS[2]], crm, sales_rep="Nobody")


def test_the_next_plan_respects_the_cooldown_of_the_plan_kept_in_the_store(tmp_path):
    store = tmp_path / "s.duckdb"
    health = pd.DataFrame({"risk_band": ["high", "high"], "capital_status": ["broken", "broken"]},
                          index=pd.Index(["C1", "C2"], name="customer_id"))
    scenarios = [{"scenario": "win back", "trigger": "risk", "condition": "risk_band == 'high'", "action": "call",
                  "channel": "phone", "cooldown_days": 60}]
    first = wb.health.action_plan(health, as_of="2025-11-30", scenarios=scenarios)
    assert len(first.actions) == 2
    assert "2 action(s)" in wb.health.keep_plan(first, store=store)
    crm = wb.load("demo", as_of="2025-12-31", seed=11)
    history = wb.health.past_solicitations(crm, as_of="2025-12-31", store=store)
    kept = history[history["scenario"] == "win back"]
    assert sorted(kept["customer_id"]) == ["C1", "C2"]
    second = wb.health.action_plan(health, as_of="2025-12-31", scenarios=scenarios, history=history)
    assert second.actions.empty  # 31 days after the first plan, inside the 60-day cooldown
    assert set(second.skipped["why"]) == {"cooldown"}
    # the plan of a date is not its own history, and without a store nothing is kept
    assert wb.health.past_solicitations(crm, as_of="2025-11-30", store=store)["scenario"].ne("win back").all()
    assert "No store" in wb.health.keep_plan(first, store="")
