"""Explore personas interactively: features, algorithm and number of personas."""

from __future__ import annotations

from workbench.personas import ALGORITHMS, GROUPS, PersonaFeatures

__all__ = ["explore_personas"]


def explore_personas(features: PersonaFeatures, *, currency: str = "", seed: int = 42,
                     n_bootstrap: int = 5, k_range: tuple[int, int] = (2, 8)):
    """Choose the features (or groups), the algorithm and the number of personas; press
    *Find personas* to see the model choice, the cards, the sizes, the traits and the map.

    The stability check uses few resamples (`n_bootstrap`) to stay quick; the notebook's
    figures use the full setting.
    """
    import ipywidgets as w
    from IPython.display import Markdown, display

    from workbench import personas as P

    groups = [g for g in GROUPS if any(features.spec(d).group == g for d in features.descriptors)]
    options = [f"[{g}]" for g in groups] + features.descriptors
    picker = w.SelectMultiple(options=options, value=tuple(features.features), rows=12,
                              description="Features")
    algorithm = w.Dropdown(options=list(ALGORITHMS), value="kmeans", description="Algorithm")
    k = w.Dropdown(options=[("auto", 0)] + [(str(i), i) for i in range(k_range[0], k_range[1] + 1)],
                   value=0, description="Personas")
    run = w.Button(description="Find personas", button_style="primary")
    out = w.Output()
    state: dict = {}  # the last result: model, cards, or the error shown

    def refresh(*_):
        out.clear_output(wait=True)
        state.clear()
        with out:
            chosen = [v[1:-1] if v.startswith("[") else v for v in picker.value]
            try:
                f = features.select(chosen)
                model = P.PersonaModel(algorithm=algorithm.value, n_personas=k.value or None,
                                       k_range=k_range, n_bootstrap=n_bootstrap, seed=seed).fit(f)
            except ValueError as exc:
                state["error"] = str(exc)
                display(Markdown(f"**Cannot find personas:** {exc}"))
                return
            cards = P.persona_cards(f, model.labels_, currency=currency, stability=model.stability_)
            state.update(model=model, cards=cards)
            _show(f, model, cards)

    run.on_click(refresh)
    refresh()
    box = w.VBox([w.HBox([picker, w.VBox([algorithm, k, run])]), out])
    box.state = state
    return box


def _show(features: PersonaFeatures, model, cards) -> None:
    """The model choice, sizes, cards, trait heatmap and map of one fit."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    from workbench import personas as P
    from workbench.plotting import personas as plots

    names = cards.names()
    _, axs = plt.subplots(1, 2, figsize=(13, 4), layout="constrained")
    plots.plot_model_choice(model.choice_, ax=axs[0])
    plots.plot_sizes(cards.table(), ax=axs[1])
    plt.show()
    display(cards)
    plots.plot_trait_heatmap(P.trait_table(features, model.labels_, all_levels=True), names=names)
    plt.show()
    plots.plot_projection(model.projection_, names=names, explained=model.explained_variance_)
    plt.show()
