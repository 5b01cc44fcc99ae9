"""Explore the data-quality views interactively."""

from __future__ import annotations

from workbench.data.dataset import CRMData

__all__ = ["explore_quality"]


def explore_quality(crm: CRMData):
    """Pick a table: see its column profile, its rejects by rule and the first rejected rows."""
    import ipywidgets as w
    from IPython.display import display

    from workbench.data.quality import reject_summary, table_profile

    picker = w.Dropdown(options=list(crm.tables), description="Table")
    shown = w.IntSlider(value=10, min=5, max=200, step=5, description="Rows shown")
    out = w.Output()

    def refresh(*_):
        out.clear_output(wait=True)
        with out:
            name = picker.value
            display(table_profile(crm, name))
            summary = reject_summary(crm)
            display(summary[summary["table"] == name])
            if name in crm.rejected_rows:
                display(crm.rejected_rows[name].head(shown.value))

    picker.observe(refresh, names="value")
    shown.observe(refresh, names="value")
    refresh()
    return w.VBox([w.HBox([picker, shown]), out])
