"""The explorers without a kernel: serialised refreshes, the last value wins, no blank chart.

The refresh machinery (workbench/widgets/_refresh.py) is tested with real ipywidgets controls
changed from two threads, as JupyterLab's kernel subshells do; each explorer is built on the
demo company, one control is changed and its chart must change and not be blank.
"""

from __future__ import annotations

import io
import threading

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from PIL import Image

import workbench as wb
from workbench.plotting import _base
from workbench.widgets._refresh import WORKING, Refresher, View

AS_OF = "2025-12-31"


def ink(png: bytes) -> int:
    """Pixels of a PNG that are not (near) white."""
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)
    return int((rgb.min(axis=2) < 240).sum())


def assert_drawn(png: bytes) -> None:
    """A chart, not a blank or nearly blank image."""
    width, height = Image.open(io.BytesIO(png)).size
    assert ink(png) > 0.02 * width * height, "the chart is (nearly) blank"


@pytest.fixture(autouse=True)
def _no_pyplot_figures():
    plt.close("all")
    yield
    # explorers never register a figure with pyplot: inline's flush_figures could not grab it
    assert plt.get_fignums() == [], "an explorer left a pyplot figure"


# -- the machinery ---------------------------------------------------------------------------


class Gate:
    """A render that records the value it read and can hold its first pass until released."""

    def __init__(self, control):
        self.control, self.seen = control, []
        self.entered, self.release = threading.Event(), threading.Event()

    def __call__(self):
        value = self.control.value
        self.seen.append(value)
        if len(self.seen) == 1:
            self.entered.set()
            assert self.release.wait(10), "the test never released the first pass"
        if value < 0:
            raise ValueError(f"{value} is below zero")
        return [pd.DataFrame({"value": [value]})]


def _explorer(start: int = 0):
    slider = w.IntSlider(value=start, min=-5, max=50)
    gate, view = Gate(slider), View()
    refresher = Refresher(gate, view=view, controls=[slider])
    refresher.watch(slider)
    return slider, gate, view, refresher


def test_changes_during_a_refresh_are_served_once_with_the_last_value():
    slider, gate, view, refresher = _explorer()
    shown = []
    view.show = lambda parts, show=view.show: (shown.append(parts[0]["value"].iloc[0]), show(parts))
    first = threading.Thread(target=setattr, args=(slider, "value", 1))  # a callback on one subshell
    first.start()
    assert gate.entered.wait(10)
    # while it computes: working state, controls disabled
    assert view.status.value.endswith(f">{WORKING}</span>") and slider.disabled
    slider.value = 2  # two changes on another thread, 0.15 s apart in a browser
    slider.value = 3
    assert gate.seen == [1]  # not computed concurrently: queued on the running refresh
    gate.release.set()
    first.join(10)
    assert gate.seen == [1, 3]  # 2 was overtaken by 3 before it was computed: one pass serves both
    assert shown == [3]  # the pass with 1, overtaken, was never shown
    assert "<td>3</td>" in view.html and refresher.runs == 2
    assert not slider.disabled and view.status.value == ""


def test_requests_racing_from_two_threads_end_on_the_controls_last_value():
    slider, gate, view, refresher = _explorer()
    gate.release.set()
    for value in range(1, 25):  # a request may arrive just as a pass ends: it must not be lost
        other = threading.Thread(target=setattr, args=(slider, "value", value))
        other.start()
        slider.value = value + 25
        other.join(10)
    assert f"<td>{slider.value}</td>" in view.html  # whichever thread set it last
    assert not slider.disabled and view.status.value == ""
    assert refresher.runs <= 48  # overtaken passes are coalesced, never more than the requests


def test_a_choice_without_result_clears_the_view_and_says_why():
    slider, gate, view, _ = _explorer()
    gate.release.set()
    slider.value = 4
    assert "<td>4</td>" in view.html
    slider.value = -2
    assert view.parts.children == () and "-2 is below zero" in view.status.value  # nothing stale
    slider.value = 5
    assert "<td>5</td>" in view.html and view.status.value == ""
    assert not slider.disabled


def test_changes_made_quietly_request_nothing():
    slider, gate, view, refresher = _explorer()
    gate.release.set()
    with refresher.quiet():
        slider.value = 7
    assert refresher.runs == 0 and gate.seen == []
    slider.value = 8
    assert refresher.runs == 1 and gate.seen == [8]


def test_an_unexpected_error_is_shown_and_the_controls_come_back():
    slider = w.IntSlider()
    view = View()
    refresher = Refresher(lambda: [1 / 0], view=view, controls=[slider])
    refresher.request()
    assert "ZeroDivisionError" in view.status.value and not slider.disabled


def test_view_reuses_its_widgets_and_escapes_text():
    view = View()
    fig = _base.new_figure((3, 2), detached=True)
    fig.add_subplot().plot([0, 1], [0, 1])
    view.show(["<script>x</script>", fig])
    text, image = view.parts.children
    assert "&lt;script&gt;" in text.value and isinstance(image, w.Image)
    view.show(["again", fig])
    assert view.parts.children[1] is image  # the same Image widget, its value replaced
    assert_drawn(view.images[0])


# -- plots in a kernel -----------------------------------------------------------------------


def test_a_plot_without_ax_in_a_kernel_builds_a_detached_figure_and_shows_it_once_done(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(_base, "in_kernel", lambda: True)
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    summary = pd.DataFrame({"grade": ["A", "B"], "label": ["best", "rest"], "customers_pct": [30.0, 70.0],
                            "revenue": [700.0, 300.0]})
    ax = wb.plotting.rfm.plot_grades(summary)
    assert plt.get_fignums() == []  # pyplot never saw it
    assert len(shown) == 1 and shown[0].format == "png"
    assert_drawn(shown[0].data)
    assert ax.get_title() == "Customers and revenue by grade"
    wb.plotting.rfm.plot_grades(summary, ax=_base.new_figure(detached=True).add_subplot())
    assert len(shown) == 1  # given an Axes, the caller shows it


def test_every_plot_shows_its_own_figure_once_drawn():
    import importlib
    import pkgutil

    import workbench.plotting

    plots = {}
    for info in pkgutil.iter_modules(workbench.plotting.__path__):
        if not info.name.startswith("_"):
            module = importlib.import_module(f"workbench.plotting.{info.name}")
            plots.update({f"{info.name}.{n}": getattr(module, n) for n in module.__all__})
    assert len(plots) > 40
    bare = [name for name, plot in plots.items() if getattr(plot, "__wrapped__", None) is None]
    assert not bare, f"decorate with @shows_figure, or a notebook in a kernel shows nothing: {bare}"


def test_a_plot_without_ax_outside_a_kernel_still_draws_on_pyplot():
    summary = pd.DataFrame({"grade": ["A"], "label": ["best"], "customers_pct": [100.0], "revenue": [1.0]})
    ax = wb.plotting.rfm.plot_grades(summary)
    assert plt.get_fignums() == [ax.figure.number]  # plt.savefig / plt.show work in scripts
    plt.close("all")


# -- each explorer ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def crm():
    return wb.load("demo", as_of=AS_OF, seed=42, demo_customers=600)


def test_quality_explorer_lists_tables_and_refreshes(tmp_path):
    (tmp_path / "orders.csv").write_text("order_id,customer_id,order_date,amount\nO1,C1,2024-01-01,x\nO2,C1,2024-01-02,3\n")
    (tmp_path / "customers.csv").write_text("customer_id\nC1\n")
    box = wb.widgets.quality.explore_quality(wb.load(tmp_path))
    picker, rows = box.children[0].children
    assert isinstance(picker, w.Dropdown) and list(picker.options) == ["customers", "orders"]
    assert "customers: no rejected row" in box.view.html
    picker.value = "orders"
    assert "<td>x</td>" in box.view.html  # the rejected row is shown, with its bad amount
    rows.value = 50
    assert box.refresher.runs == 3


def test_rfm_explorer_redraws_the_grade_chart_at_the_first_change(crm):
    box = wb.widgets.rfm.explore_scoring(crm, as_of=AS_OF)
    view = box.view
    before, table = view.images[0], view.html
    assert_drawn(before)
    grades = box.children[1].children[-1].children  # the grade threshold boxes
    runs = box.refresher.runs
    grades[0].value = 1000  # nobody reaches grade A any more: the first change redraws
    assert box.refresher.runs == runs + 1  # one refresh, although the segment list was reset
    assert view.images[0] != before and view.html != table
    assert_drawn(view.images[0])


def test_pricing_explorer_offers_only_groups_with_a_meter(crm):
    survey = wb.pricing.attach_segments(crm["price_survey"], crm.customers_truth[["customer_id", "persona"]],
                                        label="persona", name="persona")
    box = wb.widgets.pricing.explore_pricing(survey, crm["products"], by="persona", min_respondents=30)
    (product, group, _), (own, _, _) = box.children[0].children, box.children[1].children
    counts = survey.groupby(["product_id", "persona"]).size()
    offered = list(group.options)[1:]
    assert offered and all(counts[(product.value, g)] >= 30 for g in offered)
    too_few = [g for g in survey["persona"].unique() if counts.get((product.value, g), 0) < 30]
    assert not set(too_few) & set(offered)  # a group with too few respondents is not offered
    floor, meter = box.view.images
    assert_drawn(floor) and assert_drawn(meter)
    runs = box.refresher.runs
    group.value = offered[0]
    assert box.refresher.runs == runs + 1 and box.view.images[1] != meter  # its own meter
    assert_drawn(box.view.images[1])
    product.value = [p for p in product.options if p != product.value][0]
    assert box.refresher.runs == runs + 2  # the cost follows the product in the same refresh
    own.value = 0.6
    assert "0.6" not in box.view.status.value and len(box.view.images) == 2


def test_campaign_explorer_refreshes_once_per_campaign_change(crm):
    box = wb.widgets.campaigns.explore_campaigns(wb.campaigns.portfolio(crm), as_of=AS_OF)
    picker, _ = box.children[0].children
    runs, funnel = box.refresher.runs, box.view.images[0]
    assert_drawn(funnel)
    other = picker.options[1]
    picker.value = other  # its costs fill two boxes, then one refresh
    assert box.refresher.runs == runs + 1
    assert box.view.images[0] != funnel and other in box.view.html
    for png in box.view.images:
        assert_drawn(png)


def test_health_threshold_cannot_reach_the_start_level(crm):
    box = wb.widgets.health.explore_capital(crm, as_of=AS_OF)
    start, threshold, _ = box.children[2].children
    assert threshold.max == start.value - 1
    start.value = 25
    assert threshold.max == 24 and threshold.value <= 24  # clamped below the new start
    threshold.value = 99
    assert threshold.value == 24
    before = box.view.images[0]
    box.children[1].children[0].value = 25.0  # purchase points, from 5
    box.children[3].click()  # Recompute: a result, not an error
    assert box.view.status.value == "" and box.view.images[0] != before
    assert "start 25, threshold 24" in box.view.html and "points changed: purchase 25" in box.view.html
    assert_drawn(box.view.images[0])


def test_customer_explorer_draws_each_customer_and_clears_for_an_unknown_one(crm):
    capital = wb.health.tolerance_capital(crm, as_of=AS_OF)
    box = wb.widgets.health.explore_customer(capital)
    picker = box.children[0]
    first = box.view.images[0]
    assert_drawn(first)
    picker.value = "nobody"
    assert box.view.images == [] and "nobody&#x27;: no such customer" in box.view.status.value
    picker.value = capital.customers.index[-1]
    assert box.view.images[0] != first and capital.customers.index[-1] in box.view.html
    assert_drawn(box.view.images[0])


def test_value_explorer_recomputes_on_each_slider(crm):
    lv = wb.clv.LifetimeValue(model="bg/nbd").fit(crm["orders"], calibration_end=AS_OF)
    box = wb.widgets.health.explore_value(lv, crm["orders"], as_of=AS_OF)
    horizon, _ = box.children[0].children
    before = box.view.html
    horizon.value = 36
    assert box.view.html != before and box.refresher.runs == 2
    assert "customers over 36 months at 10% a year" in box.view.html


def test_persona_explorer_disables_its_button_while_fitting_and_draws_every_chart(crm):
    features = wb.personas.persona_features(crm, as_of=AS_OF)
    box = wb.widgets.personas.explore_personas(features, k_range=(2, 5), n_bootstrap=2)
    _, (_, k, run) = box.children[0].children[0], box.children[0].children[1].children
    states = []
    box.refresher.render = (lambda render=box.refresher.render:
                            states.append((run.disabled, box.view.status.value)) or render())
    k.value = 3
    run.click()
    assert states == [(True, f"<span style='color:#555'>{WORKING}</span>")]
    assert not run.disabled and box.state["model"].n_personas_ == 3
    assert len(box.view.images) == 3
    for png in box.view.images:
        assert_drawn(png)
