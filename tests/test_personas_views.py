"""Plots and widget of persona discovery (workbench.plotting.personas, workbench.widgets.personas).

Each plot draws exactly the numbers of the table it is given; the widget refits from its controls.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import workbench as wb  # noqa: E402
from workbench.plotting import personas as pp  # noqa: E402

AS_OF = "2025-12-31"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def small():
    crm = wb.load("demo", as_of=AS_OF, seed=42, demo_customers=600)
    features = wb.personas.persona_features(crm, as_of=AS_OF)
    model = wb.personas.PersonaModel(n_bootstrap=3, k_range=(2, 6)).fit(features)
    cards = wb.personas.persona_cards(features, model.labels_, stability=model.stability_)
    return crm, features, model, cards


def test_model_choice_and_stability_plots(small):
    _, _, model, cards = small
    ax = pp.plot_model_choice(model.choice_)
    line = ax.get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), model.choice_["silhouette"])
    chosen = [ln for ln in ax.get_lines() if ln.get_label().startswith("chosen")]
    assert chosen[0].get_xdata()[0] == model.n_personas_
    ax = pp.plot_stability(model.stability_, names=cards.names())
    np.testing.assert_allclose([p.get_width() for p in ax.patches], model.stability_["jaccard"])
    assert ax.get_yticklabels()[0].get_text() == f"P1 · {cards[0].name}"


def test_sizes_heatmap_projection(small):
    _, features, model, cards = small
    table = cards.table()
    ax = pp.plot_sizes(table)
    widths = [p.get_width() for p in ax.patches]
    assert widths == list(table["share_pct"]) + list(table["revenue_share_pct"])
    traits = wb.personas.trait_table(features, model.labels_, all_levels=True)
    ax = pp.plot_trait_heatmap(traits, names=cards.names(), top=10)
    assert len(ax.get_yticklabels()) == 10 and len(ax.get_xticklabels()) == model.n_personas_
    strongest = traits.loc[traits["effect"].abs().idxmax()]
    assert f"{strongest['effect']:.1f}" in [t.get_text() for t in ax.texts]
    ax = pp.plot_projection(model.projection_, names=cards.names(), explained=model.explained_variance_)
    assert sum(len(c.get_offsets()) for c in ax.collections) == features.n_customers
    assert "% of variance" in ax.get_xlabel()


def test_uses_and_drilldown_plots(small):
    crm, features, model, cards = small
    affinity = wb.personas.category_affinity(crm, model.labels_, as_of=AS_OF)
    ax = pp.plot_category_affinity(affinity, names=cards.names())
    cell = affinity.iloc[0]
    assert f"{cell['index']:.0f}" in [t.get_text() for t in ax.texts]
    fit = wb.personas.product_fit(crm, model.labels_, as_of=AS_OF, category="premium", price=150,
                                  names=cards.names())
    ax = pp.plot_product_fit(fit)
    assert [p.get_width() for p in ax.patches] == list(fit["fit_index"].iloc[:-1])
    incidents = wb.personas.incident_profile(crm, model.labels_, as_of=AS_OF)
    ax = pp.plot_incidents(incidents, names=cards.names())
    assert len(ax.get_yticklabels()) == incidents["persona"].nunique()
    table = wb.personas.drilldown(features, by="country")
    ax = pp.plot_drilldown(table, value="mean_basket")
    assert [p.get_width() for p in ax.patches][: len(table)] == list(table["customers_pct"])
    with pytest.raises(ValueError, match="'mean_age2' is not a column of the drill-down"):
        pp.plot_drilldown(table, value="mean_age2")


def test_widget_refits_from_its_controls(small):
    _, features, model, _ = small
    box = wb.widgets.personas.explore_personas(features, k_range=(2, 6), n_bootstrap=2)
    picker, (algorithm, k, run) = box.children[0].children[0], box.children[0].children[1].children
    assert box.state["model"].n_personas_ == model.n_personas_
    k.value = 3
    algorithm.value = "agglomerative"
    picker.value = ("[categories]", "[channels]")
    run.click()
    assert box.state["model"].n_personas_ == 3 and box.state["model"].algorithm == "agglomerative"
    assert all(f.startswith(("category=", "channel=")) for f in box.state["model"].feature_names_)
    assert len(box.state["cards"]) == 3
    picker.value = ()
    run.click()  # nothing to cluster on: the widget says why instead of failing
    assert box.state == {"error": "no feature to cluster on: name at least one (see .descriptors)"}
