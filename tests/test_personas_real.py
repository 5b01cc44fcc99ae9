"""Persona discovery on real data: UCI Wholesale customers (Cardoso 2014), 440 clients of a
Portuguese distributor, Channel 1 Horeca (298) / 2 Retail (142)."""

from __future__ import annotations

import pandas as pd
import pytest

import workbench as wb
from workbench.personas import (
    PersonaModel,
    category_affinity,
    compare_with,
    persona_cards,
    persona_features,
    trait_table,
)

AS_OF = "2014-12-31"


@pytest.fixture(scope="module")
def wholesale(real_data):
    crm = wb.load(real_data / "wholesale_customers", mapping="data/mappings/wholesale_customers.yml",
                  as_of=AS_OF)
    # cluster on what the clients buy; the channel (customers.sector) only describes
    features = persona_features(crm, as_of=AS_OF, features="behaviour,categories")
    model = PersonaModel().fit(features)
    cards = persona_cards(features, model.labels_, stability=model.stability_)
    return crm, features, model, cards


def test_what_this_source_can_and_cannot_give(wholesale):
    _, features, _, _ = wholesale
    assert features.n_customers == 440 and features.excluded.empty
    assert features.features == ["basket", "category=Delicassen", "category=Detergents_Paper",
                                 "category=Fresh", "category=Frozen", "category=Grocery", "category=Milk"]
    skipped = dict(zip(features.skipped["feature"], features.skipped["reason"], strict=True))
    assert skipped["orders_per_year"].startswith("every purchase is on the same date (2014-12-31)")
    assert "no channel column" in skipped["channel mix"]
    with pytest.raises(ValueError, match="'orders_per_year' cannot be used: every purchase is on the same date"):
        features.select(["orders_per_year"])
    with pytest.raises(ValueError, match="'age' cannot be used: empty for every customer"):
        features.select(["age", "basket"])
    # spend per family as the file holds it: client 1 spent 12,669 on Fresh of 34,112 in total
    first = features.table.set_index("customer_id").loc["1"]
    assert first["monetary"] == 34112 and first["category=Fresh"] == pytest.approx(12669 / 34112)


def test_personas_separate_horeca_from_retail(wholesale):
    _, features, model, _ = wholesale
    assert model.n_personas_ == 2  # highest silhouette, 0.331
    crossed, ari = compare_with(features, model.labels_, by="sector")
    # k-means on log spend and spend shares: 238 of 298 Horeca in one persona, 117 of 142
    # Retail in the other
    assert crossed.loc["P1"].to_dict() == {"Horeca": 238, "Retail": 25}
    assert crossed.loc["P2"].to_dict() == {"Horeca": 60, "Retail": 117}
    assert ari == pytest.approx(0.372, abs=0.001)
    assert model.stability_["verdict"].eq("stable").all()


def test_cards_surface_grocery_detergents_against_fresh_frozen(wholesale):
    crm, features, model, cards = wholesale
    traits = trait_table(features, model.labels_).set_index(["persona", "feature"])["effect"]
    retail = next(c for c in cards if "Retail" in c.to_markdown())
    horeca = next(c for c in cards if "Horeca" in c.to_markdown())
    assert retail.id != horeca.id
    for family in ("Grocery", "Detergents_Paper"):
        assert traits[(retail.id, f"category={family}")] > 0.5 > traits[(horeca.id, f"category={family}")]
    for family in ("Fresh", "Frozen"):
        assert traits[(horeca.id, f"category={family}")] > 0 > traits[(retail.id, f"category={family}")]
    assert "Grocery" in retail.name and "Detergents Paper" in retail.name
    assert "Fresh" in horeca.name
    assert "Grocery is 36 % of their spend (base 23 %)" in retail.sentences
    assert "Detergents Paper is 14 % of their spend (base 7 %)" in retail.sentences
    assert "Fresh is 53 % of their spend (base 37 %)" in horeca.sentences
    assert "Frozen is 14 % of their spend (base 10 %)" in horeca.sentences
    affinity = category_affinity(crm, model.labels_, as_of=AS_OF).set_index(["persona", "category"])
    assert affinity.loc[(retail.id, "Detergents_Paper"), "index"] > 150
    assert affinity.loc[(horeca.id, "Frozen"), "index"] > 100


def test_other_algorithms_on_wholesale(wholesale):
    _, features, _, _ = wholesale
    ward = PersonaModel(algorithm="agglomerative", n_bootstrap=0).fit(features)
    _, ari = compare_with(features, ward.labels_, by="sector")
    assert ward.n_personas_ == 3 and ari == pytest.approx(0.380, abs=0.001)
    labels = pd.Series(ward.labels_)
    assert labels.value_counts().tolist() == [242, 150, 48]
