"""Explore RFM scoring interactively: grid bands and weights, grade thresholds, date, segment."""

from __future__ import annotations

import html

import pandas as pd

from workbench.widgets._refresh import Note, Refresher, View

__all__ = ["explore_scoring"]


def _grid_controls(spec: dict):
    """One weight box and one points box per band for each criterion; one box per grade."""
    import ipywidgets as w

    criteria, rows = {}, []
    for name, c in spec["criteria"].items():
        weight = w.BoundedFloatText(value=c.get("weight", 1), min=0, max=100, step=0.5,
                                    description="weight", layout=w.Layout(width="150px"))
        bands = []
        for b in c["bands"]:
            label = f"= {b['value']}" if "value" in b else \
                f"[{b.get('min', '-inf')}, {b.get('max', 'inf')})"
            bands.append(w.BoundedFloatText(value=b["points"], min=-100, max=100, step=1, description=label,
                                            style={"description_width": "initial"},
                                            layout=w.Layout(width="170px")))
        criteria[name] = (weight, bands)
        rows.append(w.HBox([w.Label(c.get("label") or name, layout=w.Layout(width="230px")), weight, *bands]))
    grades = [w.FloatText(value=g["min"], description=f"{g['grade']} from", layout=w.Layout(width="150px"))
              for g in spec["grades"]]
    return criteria, grades, w.VBox([w.HTML("<b>Grid: points per band and weight</b>"), *rows,
                                     w.HTML("<b>Grade thresholds (total points)</b>"), w.HBox(grades)])


def _grid_from_controls(spec: dict, criteria: dict, grades: list) -> dict:
    new = {"criteria": {}, "grades": []}
    for name, c in spec["criteria"].items():
        weight, bands = criteria[name]
        new["criteria"][name] = {**c, "weight": weight.value,
                                 "bands": [{**b, "points": box.value} for b, box in zip(c["bands"], bands,
                                                                                        strict=True)]}
    new["grades"] = [{**g, "min": box.value} for g, box in zip(spec["grades"], grades, strict=True)]
    return new


def explore_scoring(source, *, as_of, grid=None, segments=None, dates=None, customers=None, result=None):
    """Change the grid's points and weights, the grade thresholds, the date; pick a segment.

    Tables and the grade chart update at once. `source` is what :func:`workbench.rfm.score`
    takes; `dates` are the as-of dates offered (default: `as_of` and the four quarter ends before).
    `result`, the :class:`~workbench.rfm.RFMResult` of `as_of` when already computed, is reused
    (the grid and segment rules then default to its own); other dates are scored with its scorer.
    """
    return _ScoringExplorer(source, as_of=pd.Timestamp(as_of), grid=grid, segments=segments, dates=dates,
                            customers=customers, result=result).box


class _ScoringExplorer:
    """The controls, a cache of scored dates, and the view the controls refresh."""

    def __init__(self, source, *, as_of, grid, segments, dates, customers, result) -> None:
        import ipywidgets as w

        from workbench import rfm

        if result is not None:
            grid, segments = grid or result.grid, segments or result.segments
        self.source, self.grid, self.segments, self.customers = source, grid, segments, customers
        self.scorer = result.scorer if result is not None else None
        self.spec = rfm.ScoringGrid.coerce(grid).to_dict()
        dates = dates or [as_of, *pd.date_range(end=as_of - pd.offsets.QuarterEnd(1), periods=4, freq="QE")[::-1]]
        self.cache = {as_of: result} if result is not None else {}
        self.criteria, self.grades, grid_box = _grid_controls(self.spec)
        self.date = w.Dropdown(options=[(f"{pd.Timestamp(d):%Y-%m-%d}", pd.Timestamp(d)) for d in dates],
                               value=as_of, description="as of")
        self.picker = w.Dropdown(description="segment")
        self.view = View()
        self.message, self.out = self.view.status, self.view.parts
        boxes = [self.date, self.picker, *self.grades,
                 *(x for weight, bands in self.criteria.values() for x in (weight, *bands))]
        self.refresher = Refresher(self.update, view=self.view, controls=boxes)
        self.refresher.watch(*boxes)
        self.refresher.request()
        self.box = w.VBox([w.HBox([self.date, self.picker]), grid_box, self.view.box])
        self.box.view, self.box.refresher = self.view, self.refresher

    def refresh(self, *_) -> None:
        self.refresher.request()

    def scored(self):
        from workbench import rfm

        if self.date.value not in self.cache:
            self.cache[self.date.value] = rfm.score(
                self.source, as_of=self.date.value, customers=self.customers, grid=self.grid,
                segments=self.segments, rfmcca=False, scorer=self.scorer)
        return self.cache[self.date.value]

    def update(self) -> list:
        """The parts to show for the controls' values (runs inside the refresher, quietly)."""
        from workbench import rfm

        try:
            g = rfm.ScoringGrid.from_dict(_grid_from_controls(self.spec, self.criteria, self.grades),
                                          source="widget")
        except rfm.GridError as exc:
            raise ValueError(str(exc)) from exc
        result = self.scored()
        table = g.apply(result.table)
        names = [s for s in table["segment"].cat.categories if (table["segment"] == s).any()]
        if list(self.picker.options) != names:  # set quietly: no second refresh
            keep = self.picker.value if self.picker.value in names else names[0]
            self.picker.options = names
            self.picker.value = keep
        return self.show(table, g, result)

    def show(self, table: pd.DataFrame, g, result) -> list:
        from workbench import rfm
        from workbench.plotting._base import new_figure
        from workbench.plotting.rfm import plot_grades

        summary = rfm.RFMResult(table=table, as_of=self.date.value, scorer=result.scorer, grid=g,
                                segments=result.segments, potential=None,
                                segment_report=result.segment_report).grade_summary()
        fig = new_figure((7, 3.2), detached=True)
        plot_grades(summary, ax=fig.add_subplot())
        chosen = table[table["segment"] == self.picker.value]
        return [
            summary, fig, rfm.segment_kpis(table),
            Note(f"<b>{html.escape(str(self.picker.value))}</b>: {len(chosen):,} customers, by grade"),
            chosen.groupby("grade", observed=True).size().rename("customers").to_frame().T,
            chosen.sort_values("points", ascending=False)[
                ["customer_id", "recency_days", "frequency", "monetary", "rfm_code", "points", "grade"]
            ].head(15),
        ]
