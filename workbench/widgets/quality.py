"""Explore the data-quality views interactively."""

from __future__ import annotations

from workbench.data.dataset import CRMData
from workbench.widgets._refresh import Refresher, View

__all__ = ["explore_quality"]


def explore_quality(crm: CRMData):
    """Pick a table: see its column profile, its rejects by rule and the first rejected rows."""
    import ipywidgets as w

    from workbench.data.quality import reject_summary, table_profile

    picker = w.Dropdown(options=list(crm.tables), description="Table")
    shown = w.IntSlider(value=10, min=5, max=200, step=5, description="Rows shown",
                        continuous_update=False)

    def render() -> list:
        name = picker.value
        summary = reject_summary(crm)
        parts = [table_profile(crm, name), summary[summary["table"] == name]]
        if name in crm.rejected_rows:
            parts.append(crm.rejected_rows[name].head(shown.value))
        else:
            parts.append(f"{name}: no rejected row")
        return parts

    view = View()
    refresher = Refresher(render, view=view, controls=[picker, shown])
    refresher.watch(picker, shown)
    refresher.request()
    box = w.VBox([w.HBox([picker, shown]), view.box])
    box.view, box.refresher = view, refresher
    return box
