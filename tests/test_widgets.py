"""Widgets build from a loaded source and react to their controls."""

from __future__ import annotations

import ipywidgets as w

import workbench as wb


def test_quality_explorer_lists_tables_and_refreshes(tmp_path):
    (tmp_path / "orders.csv").write_text("order_id,customer_id,order_date,amount\nO1,C1,2024-01-01,x\nO2,C1,2024-01-02,3\n")
    (tmp_path / "customers.csv").write_text("customer_id\nC1\n")
    crm = wb.load(tmp_path)
    box = wb.widgets.quality.explore_quality(crm)
    controls, output = box.children
    picker, rows = controls.children
    assert isinstance(picker, w.Dropdown) and list(picker.options) == ["customers", "orders"]
    assert isinstance(output, w.Output)
    picker.value = "orders"  # the refresh callback runs without error
    rows.value = 50
    assert picker.value == "orders"
