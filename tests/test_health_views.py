"""Plots and widgets of customer health (workbench.plotting.health, workbench.widgets.health).

Each plot draws exactly the numbers of the table it is given; each widget recomputes from
its controls.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.plotting import health as hp


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def demo():
    crm = wb.load("demo", as_of="2025-12-31", seed=42)
    lv = wb.clv.LifetimeValue(model="bg/nbd").fit(crm["orders"], calibration_end="2025-06-30")
    health = wb.health.assess(crm, lv, as_of="2025-12-31",
                              segments=wb.health.rfm_segments(crm, as_of="2025-12-31"))
    return crm, lv, health


def test_capital_trajectories_draw_the_trajectory(demo):
    _, _, health = demo
    cap = health.capital
    ids = wb.health.near_threshold(cap).sort_values("event_points").index[:2]
    ax = hp.plot_capital_trajectories(cap.trajectory, customers=ids, threshold=20, near_margin=10)
    lines = [ln for ln in ax.get_lines() if ln.get_label() in ids]
    for line, cid in zip(lines, ids, strict=True):
        np.testing.assert_allclose(line.get_ydata(), cap.customer(cid)["capital"])
    assert any(ln.get_label().startswith("break threshold") for ln in ax.get_lines())
    with pytest.raises(ValueError, match="'nobody' has no trajectory"):
        hp.plot_capital_trajectories(cap.trajectory, customers=["nobody"])


def test_bars_are_the_table_values(demo):
    crm, lv, health = demo
    check = lv.holdout_check(crm["orders"], observation_end="2025-12-31")
    ax = hp.plot_holdout_check(check)
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights, [*check["actual"], *check["predicted"]])

    by_segment = wb.health.clv_by_segment(health.table)
    ax = hp.plot_clv_by_segment(by_segment)
    np.testing.assert_allclose(sorted(p.get_width() for p in ax.patches), sorted(by_segment["clv_total"]))
    assert by_segment["customers"].sum() == 4000  # every customer in a row
    assert by_segment["clv_total"].sum() == pytest.approx(health.table["clv"].sum())

    bands = pd.DataFrame({"band": ["low", "medium", "high", "critical"], "customers": [10, 20, 30, 40],
                          "churn_rate": [0.05, 0.2, 0.4, 0.8]})
    ax = hp.plot_risk_bands(bands)
    np.testing.assert_allclose([p.get_height() for p in ax.patches], [5, 20, 40, 80])

    plan = wb.health.action_plan(health.table, as_of="2025-12-31", customers=crm["customers"])
    ax = hp.plot_action_counts(plan.counts)
    rows = plan.counts[plan.counts["scenario"] != "total"].iloc[::-1]
    np.testing.assert_allclose([p.get_width() for p in ax.patches[:len(rows)]], rows["actions"])


def test_matrix_forecast_tracking_and_distribution(demo):
    crm, lv, health = demo
    m = wb.clv.p_alive_matrix(lv.transactions_, T=50.0, max_frequency=6, recency_steps=5)
    ax = hp.plot_p_alive_matrix(m)
    grid = m[m["frequency"] > 0].pivot(index="frequency", columns="time_since_last", values="p_alive")
    np.testing.assert_allclose(np.asarray(ax.collections[0].get_array()).ravel(), grid.to_numpy().ravel())

    fva = lv.forecast_vs_actual(crm["orders"], observation_end="2025-12-31")
    ax = hp.plot_forecast(fva)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), fva["expected_revenue"])
    np.testing.assert_allclose([p.get_height() for p in ax.patches[:len(fva)]], fva["actual_revenue"])
    fc = lv.forecast(crm["orders"], as_of="2025-12-31", months=3)
    ax = hp.plot_forecast(fc)
    np.testing.assert_allclose([p.get_height() for p in ax.patches], fc["expected_revenue"])

    track = wb.clv.expected_vs_actual_by_period(lv.transactions_, crm["orders"], calibration_end="2025-06-30",
                                                observation_end="2025-12-31")
    ax = hp.plot_tracking(track, calibration_end="2025-06-30")
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), track["actual_cumulative"])

    ax = hp.plot_capital_distribution(health.capital.customers, threshold=20, near_margin=10)
    assert sum(p.get_height() for p in ax.patches if p.get_height() > 0) >= 4000 - 1
    assert "1,456 broken" in ax.get_title()


def test_widgets_recompute_from_their_controls(demo):
    crm, lv, health = demo
    box = wb.widgets.health.explore_capital(crm, as_of="2025-12-31")
    grid, sliders = box.children[1], box.children[2]
    assert len(grid.children) == len(wb.health.DEFAULT_POINTS)
    threshold = sliders.children[1]
    threshold.value = 30
    box.children[3].click()  # recompute with the new threshold: no error
    assert len(box.view.images) == 1 and "broken" in box.view.html  # counts and chart shown

    value = wb.widgets.health.explore_value(lv, crm["orders"], as_of="2025-12-31")
    horizon, rate = value.children[0].children
    horizon.value, rate.value = 24, 0.05

    look = wb.widgets.health.explore_customer(health.capital, table=health.table)
    picker = look.children[0]
    assert picker.value == health.capital.customers["capital"].idxmin()
    picker.value = "nobody"
    picker.value = "C000004"
