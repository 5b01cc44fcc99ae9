"""Every notebook x every shape it can serve runs headless with default parameters: ok or warnings.

One runner call per shape (its parallel pool runs the shape's notebooks side by side), on the
shapes' default size (a few hundred customers). Each shape checks the sentence that replaces
each section it cannot serve, and the cases whose results should not be trusted end with
status ``warnings`` and the warning in the report's banner.
"""

from __future__ import annotations

import json

import pytest

from workbench import report

pytestmark = pytest.mark.notebook

#: shape -> {notebook: sentences its report must hold}
MATRIX = {
    "orders_without_category": {
        "01_persona_discovery": ["Skipped: Category affinity needs orders.category",
                                 "Skipped: Product fit needs orders.category"],
        "02_rfm_scoring": [],
    },
    "transactions_only": {
        "00_data_quality": [],
        "01_persona_discovery": ["Drill-down by nothing"],
        "02_rfm_scoring": ["Comparison 12 months before as_of (derived from the span"],
        "05_customer_health": ["Calibration period: up to 2025-06-30"],
    },
    "three_months": {
        "02_rfm_scoring": ["Comparison 1 months before as_of", "Score history: 2 dates 1 month(s) apart"],
        "05_customer_health": ["Calibration period: up to 2025-11-30"],
    },
    "everyone_repurchases": {"05_customer_health": []},
    "no_amounts": {"02_rfm_scoring": ["Skipped: Revenue concentration (Pareto curve) needs order amounts"],
                   "05_customer_health": []},
    "products_without_prices": {"01_persona_discovery": [], "03_price_acceptability": []},
    "survey_only": {"00_data_quality": [], "03_price_acceptability": []},
    "survey_only_no_costs": {"03_price_acceptability": ["no unit_cost"]},
    "survey_swapped": {"03_price_acceptability": ["Skipped: The price sensitivity meter of"]},
    "response_only": {"03_price_acceptability": ["This notebook cannot serve this source: price "
                                                 "acceptability needs a price survey"],
                      "04_campaign_roi": []},
    # Campaign ROI (04) works on every campaign shape since the campaigns branch; three kinds here
    "no_control_groups": {"04_campaign_roi": []},
    "campaign_aggregates": {"00_data_quality": [], "04_campaign_roi": []},
}

#: (shape, notebook) -> text the warnings banner must hold
WARNED = {
    ("transactions_only", "05_customer_health"): "fit is unreliable",
    ("three_months", "02_rfm_scoring"): "Thin comparison window",
    ("survey_swapped", "03_price_acceptability"): "the columns look swapped or mislabelled",
    ("no_amounts", "05_customer_health"): "the spend model (Gamma-Gamma) is skipped",
    ("response_only", "03_price_acceptability"): "cannot serve this source",
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("shapes")
    return {shape: report.run(list(notebooks), out_dir=out / shape, workers=2, progress=False,
                              parameters={"data": f"demo:{shape}"}, notebooks_dir="notebooks")
            for shape, notebooks in MATRIX.items()}


@pytest.mark.parametrize("shape, notebook", [(s, n) for s, nbs in MATRIX.items() for n in nbs])
def test_notebook_finishes_on_shape(runs, shape, notebook):
    result = next(r for r in runs[shape].reports if r.name == notebook)
    assert result.status in ("ok", "warnings"), f"{notebook} on {shape}: {result.error}"
    page = result.html.read_text(encoding="utf-8")
    for sentence in MATRIX[shape][notebook]:
        assert sentence in page, f"{notebook} on {shape}: the report does not say {sentence!r}"
    summary = json.loads(result.html.with_name(f"{notebook}.summary.json").read_text())
    assert summary["status"] == result.status and summary["warnings"] == result.warnings
    assert runs[shape].exit_code == report.EXIT_OK


@pytest.mark.parametrize("shape, notebook", list(WARNED))
def test_untrustworthy_results_end_with_warnings_in_the_banner(runs, shape, notebook):
    result = next(r for r in runs[shape].reports if r.name == notebook)
    assert result.status == "warnings", f"{notebook} on {shape}: {result.status} {result.error}"
    text = WARNED[(shape, notebook)]
    assert any(text in w for w in result.warnings)
    page = result.html.read_text(encoding="utf-8")
    banner = page[page.index("Status: warnings"):][:4000]
    assert text in banner
    index = runs[shape].index.read_text(encoding="utf-8")
    assert 'class="warnings"' in index and text in index
