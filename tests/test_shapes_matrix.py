"""Every notebook x every demo shape runs headless with default parameters, and never fails.

Both lists are read from the code (:data:`workbench.demo.SHAPES`, the notebooks of
``notebooks/``), so a new shape or notebook is in the matrix without a line here. A pair the
notebook can serve ends ``ok`` or ``warnings``, with the sentence that replaces each section it
skipped; a pair it cannot serve at all (pricing without a survey, campaign ROI without campaign
data...) stops cleanly in its load cell with one sentence (status ``warnings``, never
``failed``). The cases whose results should not be trusted end with ``warnings`` and the warning
in the report's banner. One runner call (one parallel pool) runs the whole matrix on the
shapes' default size, a few hundred customers.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import nbformat
import pytest

from workbench import demo, report

pytestmark = pytest.mark.notebook

NOTEBOOKS = [p.stem for p in report.resolve_notebooks(None, notebooks_dir="notebooks")]
PAIRS = [(shape, notebook) for shape in demo.SHAPES for notebook in NOTEBOOKS]
STOP = "This notebook cannot serve this source: "

#: (shape, notebook) -> what the notebook says it lacks when it cannot serve the shape at all
STOPS = {
    **{(shape, nb): "needs the table orders" for shape in ("response_only", "campaign_aggregates",
                                                         "survey_only", "survey_only_no_costs")
       for nb in ("02_rfm_scoring", "05_customer_health")},
    **{(shape, "01_persona_discovery"): "needs the table customers or orders"
       for shape in ("campaign_aggregates", "survey_only", "survey_only_no_costs")},
    **{(shape, "03_price_acceptability"): "needs the table price_survey"
       for shape in ("response_only", "campaign_aggregates", "transactions_only")},
    **{(shape, "04_campaign_roi"): "needs the table campaign_contacts or campaign_stats"
       for shape in ("survey_only", "survey_only_no_costs", "transactions_only")},
    **{(shape, "06_customer_journeys"): "needs the table interactions"
       for shape in ("response_only", "campaign_aggregates", "survey_only", "survey_only_no_costs",
                     "transactions_only", "no_interactions")},
}

#: (shape, notebook) -> sentences its report must hold (the ones replacing skipped sections)
SAYS = {
    ("orders_without_category", "01_persona_discovery"): [
        "Skipped: Category affinity needs orders.category", "Skipped: Product fit needs orders.category"],
    ("transactions_only", "01_persona_discovery"): ["Drill-down by nothing"],
    ("transactions_only", "02_rfm_scoring"): ["Comparison 12 months before as_of (derived from the span"],
    ("transactions_only", "05_customer_health"): ["Calibration period: up to 2025-06-30"],
    ("three_months", "02_rfm_scoring"): ["Comparison 1 months before as_of",
                                         "Score history: 2 dates 1 month(s) apart"],
    ("three_months", "05_customer_health"): ["Calibration period: up to 2025-11-30"],
    ("no_amounts", "02_rfm_scoring"): ["Skipped: Revenue concentration (Pareto curve) needs order amounts"],
    ("survey_only_no_costs", "03_price_acceptability"): ["no unit_cost"],
    ("no_amounts", "03_price_acceptability"): ["Skipped: Prices paid needs a price per order line"],
    ("survey_swapped", "03_price_acceptability"): ["Skipped: The price sensitivity meter of"],
    ("no_control_groups", "04_campaign_roi"): ["No campaign has a control group",
                                               "attributed only: no control group"],
    ("contacts_without_responded", "04_campaign_roi"): ["Response rates need campaign_contacts.responded"],
    ("contacts_without_funnel", "04_campaign_roi"): ["No funnel step between sent and converted is recorded"],
    ("response_only", "04_campaign_roi"): ["This section needs an orders table",
                                           "response rate by sector and group"],
    ("campaign_aggregates", "04_campaign_roi"): ["This section needs campaign_contacts"],
}

#: (shape, notebook) -> files its output_dir must hold
EXPORTS = {
    ("no_control_groups", "04_campaign_roi"): ["campaign_incrementality.csv", "campaign_allocation.csv"],
    ("contacts_without_responded", "04_campaign_roi"): ["campaign_incrementality.csv"],
    ("contacts_without_funnel", "04_campaign_roi"): ["campaign_funnel.csv", "campaign_response_rates.csv"],
    ("response_only", "04_campaign_roi"): ["campaign_response_rates.csv",
                                           "campaign_response_rates_by_kind.csv"],
    ("campaign_aggregates", "04_campaign_roi"): ["campaign_stats_results.csv"],
    ("no_amounts", "03_price_acceptability"): ["price_ranges.csv", "price_paid.csv", "price_verdicts.csv"],
}

#: (shape, notebook) -> text the warnings banner must hold
WARNED = {
    ("transactions_only", "05_customer_health"): "fit is unreliable",
    ("three_months", "02_rfm_scoring"): "Thin comparison window",
    ("survey_swapped", "03_price_acceptability"): "the columns look swapped or mislabelled",
    ("no_amounts", "05_customer_health"): "the spend model (Gamma-Gamma) is skipped",
    ("response_only", "03_price_acceptability"): "cannot serve this source",
}


def test_the_expectations_name_known_shapes_and_notebooks():
    for table in (STOPS, SAYS, EXPORTS, WARNED):
        assert set(table) <= set(PAIRS), set(table) - set(PAIRS)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Every pair in one runner call: the pool keeps both workers busy to the end."""
    out = tmp_path_factory.mktemp("shapes")
    run = report.run(NOTEBOOKS, out_dir=out, workers=2, progress=False, notebooks_dir="notebooks",
                     grid={"data": [f"demo:{shape}" for shape in demo.SHAPES]})
    return run, {(r.parameters["data"].removeprefix("demo:"), r.notebook.stem): r for r in run.reports}


def _page(result) -> str:
    return html.unescape(result.html.read_text(encoding="utf-8"))


def _last_cell_run(result) -> str:
    nb = nbformat.read(result.html.with_suffix(".ipynb"), as_version=4)
    ran = [c for c in nb.cells if c.cell_type == "code" and c.get("execution_count")]
    return ran[-1].source


@pytest.mark.parametrize("shape, notebook", PAIRS)
def test_notebook_finishes_or_stops_cleanly_on_shape(runs, shape, notebook):
    result = runs[1][(shape, notebook)]
    assert result.status in ("ok", "warnings"), f"{notebook} on {shape}: {result.error}"
    summary = json.loads(result.html.with_name(f"{result.name}.summary.json").read_text())
    assert summary["status"] == result.status and summary["warnings"] == result.warnings
    stops = [w for w in result.warnings if w.startswith(STOP)]
    if (shape, notebook) in STOPS:
        assert len(stops) == 1 and STOPS[(shape, notebook)] in stops[0], result.warnings
        assert "wb.load(" in _last_cell_run(result), "the notebook did not stop in its load cell"
        assert stops[0] in _page(result)
    else:
        assert not stops, f"{notebook} refused {shape}, which it can serve: {stops}"
    page = _page(result)
    for sentence in SAYS.get((shape, notebook), []):
        assert sentence in page, f"{notebook} on {shape}: the report does not say {sentence!r}"
    out = Path(result.parameters["output_dir"])
    for name in EXPORTS.get((shape, notebook), []):
        assert (out / name).is_file(), f"{notebook} on {shape}: {name} not exported"


@pytest.mark.parametrize("shape, notebook", list(WARNED))
def test_untrustworthy_results_end_with_warnings_in_the_banner(runs, shape, notebook):
    run, results = runs
    result = results[(shape, notebook)]
    assert result.status == "warnings", f"{notebook} on {shape}: {result.status} {result.error}"
    text = WARNED[(shape, notebook)]
    assert any(text in w for w in result.warnings)
    page = result.html.read_text(encoding="utf-8")
    banner = page[page.index("Status: warnings"):][:4000]
    assert text in banner
    index = run.index.read_text(encoding="utf-8")
    assert 'class="warnings"' in index and text in index


def test_response_only_publishes_its_response_rate(runs):
    figures = runs[1][("response_only", "04_campaign_roi")].figures
    assert figures["tables_used"] == "campaigns, campaign_contacts"
    assert 0 < figures["response_rate"] < 1 and "incremental_margin" not in figures
