"""Explore price acceptability interactively: costs, margins, grid, definitions, persona."""

from __future__ import annotations

import html
import math

import pandas as pd

__all__ = ["explore_pricing", "pricing_scenario"]

_SHOWN = [
    "verdict",
    "floor",
    "range_low",
    "range_high",
    "ceiling",
    "headroom_pct",
    "recommended_price",
    "unit_margin",
    "margin_pct",
    "message",
]


def pricing_scenario(
    survey: pd.DataFrame,
    products: pd.DataFrame,
    *,
    product: str,
    by: str = "segment",
    unit_cost: float | None = None,
    own_margin: float = 0.3,
    distribution_margin: float = 0.0,
    margin_basis: str = "cost",
    grid_step: float = 0.0,
    target: str = "ipp",
    rule: str = "range",
    **psm_options,
):
    """The verdicts of one product per group under one set of choices (what the widget shows).

    ``grid_step`` 0 means the observed answers; ``unit_cost`` None keeps the products
    table's cost; ``psm_options`` go to :func:`workbench.pricing.psm.psm_by_group`.

    Returns
    -------
    (DataFrame, DataFrame)
        The verdict table (:func:`workbench.pricing.verdict_table`) and the group ranges.
    """
    from workbench import pricing
    from workbench.pricing import psm

    one = survey[survey["product_id"] == product]
    if one.empty:
        raise ValueError(f"nobody was surveyed about product {product!r}")
    costs = None if unit_cost is None or not math.isfinite(unit_cost) else {product: unit_cost}
    floors = pricing.product_floors(
        products,
        own_margin=own_margin,
        distribution_margin=distribution_margin,
        margin_basis=margin_basis,
        unit_costs=costs,
        product_ids=[product],
    )
    grid = grid_step if grid_step and grid_step > 0 else "observed"
    ranges = psm.psm_by_group(one, by=["product_id", by], grid=grid, **psm_options)
    verdicts = pricing.verdict_table(floors, ranges, by=by, target=target, rule=rule)
    return verdicts, ranges


_SETTINGS = (
    "unit_cost",
    "own_margin",
    "distribution_margin",
    "margin_basis",
    "grid_step",
    "range_definition",
    "ties",
    "rule",
)


def _controls(products: pd.DataFrame, surveyed: list[str], groups: list[str], defaults: dict):
    import ipywidgets as w

    d = {
        "own_margin": 0.3,
        "distribution_margin": 0.0,
        "margin_basis": "cost",
        "grid_step": 0.0,
        "range_definition": "original",
        "ties": "count",
        "rule": "range",
        **defaults,
    }
    first = d.get("product") or surveyed[0]
    wide = {"style": {"description_width": "initial"}}

    def slider(name, label):
        return w.FloatSlider(value=d[name], min=0, max=1.5, step=0.01, description=label, **wide)

    def toggle(name, options, label):
        return w.ToggleButtons(options=options, value=d[name], description=label, **wide)

    return {
        "product": w.Dropdown(options=surveyed, value=first, description="product"),
        "group": w.Dropdown(options=[ALL, *groups], description="chart for", **wide),
        "unit_cost": w.FloatText(value=_cost(products, first), description="unit cost", **wide),
        "own_margin": slider("own_margin", "own margin"),
        "distribution_margin": slider("distribution_margin", "distribution margin"),
        "margin_basis": toggle("margin_basis", ["cost", "price"], "margin on"),
        "grid_step": w.FloatText(
            value=d["grid_step"], description="grid step (0: answers)", **wide
        ),
        "range_definition": toggle("range_definition", ["original", "narrower"], "range"),
        "ties": toggle("ties", ["count", "half"], "answers at p count"),
        "rule": toggle("rule", ["range", "headroom"], "verdict rule"),
    }


ALL = "(all respondents)"


def _cost(products: pd.DataFrame, product: str) -> float:
    row = products.loc[products["product_id"].astype(str) == product, "unit_cost"]
    return float(row.iloc[0]) if len(row) and pd.notna(row.iloc[0]) else math.nan


def _compute(survey, products, product: str, group: str, settings: dict, *, by, target, fixed):
    """The verdicts of `product` and the meter of the chosen `group` (the widget's content)."""
    from workbench.pricing import psm

    verdicts, _ = pricing_scenario(
        survey, products, product=product, by=by, target=target, **settings, **fixed
    )
    chosen = survey[survey["product_id"] == product]
    if group != ALL:
        chosen = chosen[chosen[by].astype(str) == group]
    options = {k: settings[k] for k in ("range_definition", "ties")}
    grid = settings["grid_step"] or "observed"
    return verdicts, psm.price_sensitivity_meter(chosen, grid=grid, **options, **fixed)


def explore_pricing(
    survey: pd.DataFrame,
    products: pd.DataFrame,
    *,
    by: str = "segment",
    target: str = "ipp",
    monotone: str = "exclude",
    weights: str | None = None,
    min_respondents: int = 30,
    **defaults,
):
    """Change a product's cost, the margins, the grid step, the range definition, the counting
    of answers and the verdict rule; pick the group whose price sensitivity chart is drawn.

    The verdict table per group, the floor-versus-range chart and the Van Westendorp chart
    update at once. ``survey`` carries the ``by`` column (:func:`attach_segments`);
    ``defaults`` set the controls' starting values (``product``, ``own_margin``...).
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt
    from IPython.display import display

    from workbench.plotting.pricing import plot_floor_vs_range, plot_psm

    surveyed = sorted(survey["product_id"].dropna().astype(str).unique())
    if not surveyed:
        raise ValueError("the price survey names no product_id: nothing to explore")
    groups = sorted(survey[by].dropna().astype(str).unique())
    c = _controls(products, surveyed, groups, defaults)
    fixed = dict(monotone=monotone, weights=weights, min_respondents=min_respondents)
    out, message = w.Output(), w.HTML()

    def refresh(*_):
        out.clear_output(wait=True)
        product, group = c["product"].value, c["group"].value
        try:
            settings = {k: c[k].value for k in _SETTINGS}
            verdicts, result = _compute(
                survey, products, product, group, settings, by=by, target=target, fixed=fixed
            )
        except ValueError as exc:
            message.value = f"<span style='color:#b00'>{html.escape(str(exc))}</span>"
            return
        message.value = ""
        with out:
            display(verdicts.set_index(by)[_SHOWN].round(2))
            plot_floor_vs_range(verdicts, by=by)
            plot_psm(result, title=f"{product}: {group}")
            plt.show()

    c["product"].observe(
        lambda ch: setattr(c["unit_cost"], "value", _cost(products, ch["new"])), names="value"
    )
    for control in c.values():
        control.observe(refresh, names="value")
    refresh()
    layout = [
        ["product", "group", "unit_cost"],
        ["own_margin", "distribution_margin", "margin_basis"],
        ["grid_step", "range_definition", "ties", "rule"],
    ]
    return w.VBox([*(w.HBox([c[k] for k in row]) for row in layout), message, out])
