"""Explore personas interactively: features, algorithm and number of personas."""

from __future__ import annotations

from workbench.personas import ALGORITHMS, GROUPS, PersonaFeatures
from workbench.widgets._refresh import Refresher, View

__all__ = ["explore_personas"]


def explore_personas(features: PersonaFeatures, *, currency: str = "", seed: int = 42,
                     n_bootstrap: int = 5, k_range: tuple[int, int] = (2, 8)):
    """Choose the features (or groups), the algorithm and the number of personas; press
    *Find personas* to see the model choice, the cards, the sizes, the traits and the map.
    While a fit runs (seconds on a large base) the controls are disabled and "working..." shows.

    The stability check uses few resamples (`n_bootstrap`) to stay quick; the notebook's
    figures use the full setting.
    """
    import ipywidgets as w

    from workbench import personas as P

    groups = [g for g in GROUPS if any(features.spec(d).group == g for d in features.descriptors)]
    options = [f"[{g}]" for g in groups] + features.descriptors
    picker = w.SelectMultiple(options=options, value=tuple(features.features), rows=12,
                              description="Features")
    algorithm = w.Dropdown(options=list(ALGORITHMS), value="kmeans", description="Algorithm")
    k = w.Dropdown(options=[("auto", 0)] + [(str(i), i) for i in range(k_range[0], k_range[1] + 1)],
                   value=0, description="Personas")
    run = w.Button(description="Find personas", button_style="primary")
    state: dict = {}  # the last result: model, cards, or the error shown

    def render() -> list:
        state.clear()
        chosen = [v[1:-1] if v.startswith("[") else v for v in picker.value]
        try:
            f = features.select(chosen)
            model = P.PersonaModel(algorithm=algorithm.value, n_personas=k.value or None,
                                   k_range=k_range, n_bootstrap=n_bootstrap, seed=seed).fit(f)
        except ValueError as exc:
            state["error"] = str(exc)
            raise ValueError(f"cannot find personas: {exc}") from exc
        cards = P.persona_cards(f, model.labels_, currency=currency, stability=model.stability_)
        state.update(model=model, cards=cards)
        return _parts(f, model, cards)

    view = View()
    refresher = Refresher(render, view=view, controls=[picker, algorithm, k, run])
    run.on_click(refresher.request)
    refresher.request()
    box = w.VBox([w.HBox([picker, w.VBox([algorithm, k, run])]), view.box])
    box.state, box.view, box.refresher = state, view, refresher
    return box


def _parts(features: PersonaFeatures, model, cards) -> list:
    """The model choice and sizes, the cards, the trait heatmap and the map of one fit."""
    from workbench import personas as P
    from workbench.plotting import personas as plots
    from workbench.plotting._base import new_figure

    names = cards.names()
    choice = new_figure((13, 4), detached=True)
    left, right = choice.subplots(1, 2)
    plots.plot_model_choice(model.choice_, ax=left)
    plots.plot_sizes(cards.table(), ax=right)
    traits = P.trait_table(features, model.labels_, all_levels=True)
    heat = new_figure((2.2 + 1.6 * len(names), 1.2 + 0.38 * 18), detached=True)  # its top 18 traits
    plots.plot_trait_heatmap(traits, names=names, ax=heat.add_subplot())
    cloud = new_figure((8, 6), detached=True)
    plots.plot_projection(model.projection_, names=names, explained=model.explained_variance_,
                          ax=cloud.add_subplot())
    return [choice, cards.table(), heat, cloud]
