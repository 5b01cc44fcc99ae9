"""Journeys: paths to purchase, conversion intervals, Markov removal effects (planted and by hand)."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

import workbench as wb
from workbench.demo.journeys import PATHS
from workbench.journeys import removal_effects

AS_OF = "2025-12-31"


def _moves(weights: dict) -> pd.DataFrame:
    """Moves of a Markov chain from paths weighted by (journeys, purchases)."""
    rows = []
    for path, (n, bought) in weights.items():
        steps = path.split(" > ")
        rows += [("(start)", steps[0], n), *((a, b, n) for a, b in zip(steps, steps[1:], strict=False))]
        rows += [(steps[-1], "(conversion)", bought), (steps[-1], "(null)", n - bought)]
    return pd.DataFrame(rows, columns=["from", "to", "n"])


def test_removal_effects_of_a_three_path_example_by_hand():
    # A > B bought, A did not, B bought. P(conv) = 2/3 * 1/2 + 1/3 = 2/3.
    # Without A: 1/3 (effect 1/2); without B: 0 (effect 1). Shares 1/3 and 2/3.
    effects = removal_effects(_moves({"A > B": (1, 1), "A": (1, 0), "B": (1, 1)}))
    effects = effects.set_index("channel")
    assert effects.attrs["p_conversion"] == pytest.approx(2 / 3)
    assert effects.loc["A", "removal_effect"] == pytest.approx(0.5)
    assert effects.loc["B", "removal_effect"] == pytest.approx(1.0)
    assert effects["share"].to_dict() == pytest.approx({"B": 2 / 3, "A": 1 / 3})


def _crm_from(interactions: pd.DataFrame, orders: pd.DataFrame):
    class Tiny:  # the two engine tables a journey needs, as CRMData serves them
        def __contains__(self, name):
            return name in ("interactions", "orders")

        def table(self, name):
            return ibis.memtable({"interactions": interactions, "orders": orders}[name])

    return Tiny()


def test_journeys_end_at_a_purchase_a_silence_or_stay_open_by_hand():
    ts = pd.to_datetime
    touches = pd.DataFrame({
        "customer_id": ["a", "a", "a", "a", "b", "b"],
        "timestamp": ts(["2025-01-01 10:00", "2025-01-03 09:00", "2025-03-01 08:00",
                         "2025-12-20 12:00", "2025-06-01 09:00", "2025-06-01 11:00"]),
        "channel": ["web", "email", "call_centre", "web", "social", "web"]})
    orders = pd.DataFrame({"customer_id": ["a", "b", "b"], "order_id": ["o1", "o2", "o3"],
                           "order_date": ts(["2025-01-03", "2025-06-01", "2025-09-01"]),
                           "amount": [10.0, 5.0, 7.0]})
    jr = wb.journeys.analyse(_crm_from(touches, orders), as_of=AS_OF, session_gap_days=30)
    got = jr.table[["customer_id", "path", "converted", "open"]].values.tolist()
    assert got == [
        ["a", "web > email", True, False],        # the e-mail on the purchase day comes before it
        ["a", "call_centre", False, False],       # then silence for more than 30 days
        ["a", "web", False, True],                # 11 days before as_of: still open
        ["b", "social > web", True, False],
        ["b", "(no recorded touch)", True, False],  # a purchase with no touch before it
    ]
    paths = jr.top_paths()
    assert paths.attrs == {"concluded": 3, "open": 1, "purchases_without_touch": 1, "paths": 3,
                           "confidence": 0.95}
    credit = jr.attribution().set_index(["model", "channel"])["conversions"]
    assert credit["first_touch"].to_dict() == {"web": 1.0, "social": 1.0, "email": 0.0}
    assert credit[("last_touch", "email")] == 1.0 and credit[("linear", "social")] == 0.5


@pytest.fixture(scope="module")
def demo():
    crm = wb.load("demo", as_of=AS_OF, seed=42)
    return crm, wb.journeys.analyse(crm, as_of=AS_OF)


def test_planted_paths_come_back_with_their_counts_and_rates(demo):
    crm, jr = demo
    truth = crm.truth["journeys"]["paths"]
    top = jr.top_paths(top=20).set_index("path")
    assert set(top.index) == set(PATHS)
    for path, t in truth.items():
        row = top.loc[path]
        assert (row["journeys"], row["purchases"]) == (t["journeys"], t["purchases"]), path
        assert row["conversion_low"] <= t["rate_in_data"] <= row["conversion_high"]
        # the planted rate, which the data approach, lies within the interval or close to it
        assert abs(row["conversion"] - t["conversion"]) < 0.06, path
    assert top.attrs["purchases_without_touch"] == crm.truth["journeys"]["purchases_without_journey"]


def test_markov_removal_effects_recover_the_planted_contributions(demo):
    _, jr = demo
    credit = jr.attribution()
    markov = credit[credit["model"] == "markov"].set_index("channel")["share"]
    planted = removal_effects(_moves({p: (v["share"], v["share"] * v["conversion"])
                                      for p, v in PATHS.items()})).set_index("channel")["share"]
    assert list(markov.sort_values(ascending=False).index) == list(planted.index)  # rank exact
    assert (markov - planted).abs().max() < 0.02
    # first touch never credits the store (always last) and last touch never credits social
    first = credit[credit["model"] == "first_touch"].set_index("channel")["conversions"]
    assert first.get("store", 0) == 0


def test_without_interactions_the_journeys_say_what_to_map():
    crm = wb.load("demo", as_of=AS_OF, seed=42)
    crm.tables.pop("interactions")
    jr = wb.journeys.analyse(crm, as_of=AS_OF)
    assert not jr.available and "needs an interactions table" in jr.sentence()
    assert jr.top_paths().empty and jr.attribution().empty and jr.per_customer().empty


@pytest.mark.parametrize(("mapping", "expected"), [
    ("web_analytics", [("C1", "web > email", True, False), ("C2", "social > web", True, False),
                       ("C3", "email", False, False)]),  # 30 days of silence by as_of: ended
    ("call_centre", [("C1", "(no recorded touch)", True, False), ("C2", "call_centre", True, False),
                     ("C3", "call_centre", False, True), ("C4", "call_centre", False, True)]),
])
def test_a_web_analytics_export_and_a_call_log_load_as_interactions(root, mapping, expected):
    folder = root / "data" / "examples" / "journeys"
    crm = wb.load(str(folder), mapping=str(folder / f"{mapping}.yml"), as_of=AS_OF)
    assert crm.ok
    jr = wb.journeys.analyse(crm, as_of=AS_OF)
    got = [tuple(r) for r in jr.table[["customer_id", "path", "converted", "open"]].itertuples(index=False)]
    assert got == expected
