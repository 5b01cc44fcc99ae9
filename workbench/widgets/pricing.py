"""Explore price acceptability interactively: costs, margins, grid, definitions, persona."""

from __future__ import annotations

import math

import pandas as pd

from workbench.widgets._refresh import Refresher, View

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
    """The verdicts of `product`, the groups that have a meter, the group drawn and its meter.

    A group without enough usable respondents for `product` gives way to all respondents."""
    from workbench.pricing import psm

    verdicts, ranges = pricing_scenario(
        survey, products, product=product, by=by, target=target, **settings, **fixed
    )
    usable = sorted(ranges.loc[ranges["status"] == "ok", by].astype(str).unique())
    group = group if group in usable else ALL
    chosen = survey[survey["product_id"] == product]
    if group != ALL:
        chosen = chosen[chosen[by].astype(str) == group]
    options = {k: settings[k] for k in ("range_definition", "ties")}
    grid = settings["grid_step"] or "observed"
    meter = psm.price_sensitivity_meter(chosen, grid=grid, **options, **fixed)
    return verdicts, usable, group, meter


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
    ``defaults`` set the controls' starting values (``product``, ``own_margin``...). Only
    groups with at least ``min_respondents`` usable answers for the product are offered for
    the chart; a choice that gives no result clears the view and says why.
    """
    import ipywidgets as w

    from workbench.plotting._base import new_figure
    from workbench.plotting.pricing import plot_floor_vs_range, plot_psm

    surveyed = sorted(survey["product_id"].dropna().astype(str).unique())
    if not surveyed:
        raise ValueError("the price survey names no product_id: nothing to explore")
    groups = sorted(survey[by].dropna().astype(str).unique())
    c = _controls(products, surveyed, groups, defaults)
    fixed = dict(monotone=monotone, weights=weights, min_respondents=min_respondents)
    view = View()

    def render() -> list:
        product, group = c["product"].value, c["group"].value
        settings = {k: c[k].value for k in _SETTINGS}
        verdicts, usable, drawn, result = _compute(
            survey, products, product, group, settings, by=by, target=target, fixed=fixed
        )
        parts = [verdicts.set_index(by)[_SHOWN].round(2)]
        if list(c["group"].options) != [ALL, *usable]:  # set quietly: no second refresh
            c["group"].options = [ALL, *usable]
        if c["group"].value != drawn:
            c["group"].value = drawn
        if drawn != group:
            parts.append(f"{group}: fewer than {min_respondents} usable respondents for {product}; "
                         f"the chart shows all respondents")
        rows = max(verdicts[by].nunique(), 1)
        floor = new_figure((9, 0.45 * rows + 1.3), detached=True)
        plot_floor_vs_range(verdicts, by=by, axes=[floor.add_subplot()])
        meter = new_figure((9, 4.2), detached=True)
        plot_psm(result, title=f"{product}: {drawn}", ax=meter.add_subplot())
        return [*parts, floor, meter]

    def product_changed(change) -> None:
        with refresher.quiet():  # the product's own cost, then one refresh
            c["unit_cost"].value = _cost(products, change["new"])
        refresher.request()

    refresher = Refresher(render, view=view, controls=c.values())
    c["product"].observe(product_changed, names="value")
    refresher.watch(*(control for name, control in c.items() if name != "product"))
    refresher.request()
    layout = [
        ["product", "group", "unit_cost"],
        ["own_margin", "distribution_margin", "margin_basis"],
        ["grid_step", "range_definition", "ties", "rule"],
    ]
    box = w.VBox([*(w.HBox([c[k] for k in row]) for row in layout), view.status, view.parts])
    box.view, box.refresher = view, refresher
    return box
