"""Every notebook x every demo shape runs headless with default parameters, and never fails.

Both lists are read from the code (:data:`workbench.demo.SHAPES`, the notebooks of
``notebooks/``), so a new shape or notebook is in the matrix without a line here. A pair the
notebook can serve ends ``ok`` or ``warnings``, with the sentence that replaces each section it
skipped; a pair it cannot serve at all (pricing without a survey, campaign ROI without campaign
data...) stops cleanly in its load cell with one sentence (status ``warnings``, never
``failed``). The cases whose results should not be trusted end with ``warnings`` and the warning
in the report's banner. One runner call per notebook runs its shapes on their default size, a
few hundred customers. A pair is not run when it is proven to be the same run as a pair that is
(:data:`SAME_RUN`): the shape holds every table the kept run consulted unchanged (107 runs cover
the 140 pairs; every pair's expectations are checked on the run that stands for it).
"""

from __future__ import annotations

import hashlib
import html
import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from workbench import demo, report
from workbench.data.contract import TABLE_ORDER
from workbench.data.loader import CONSULTED_LOG

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


#: notebook -> {shape it is not run on: the shape whose run stands for it}. Not assumed: every
#: kept run logs the tables it consulted (:data:`workbench.data.loader.CONSULTED_LOG`), and
#: test_a_pair_not_run_is_proven_the_same_run proves the shape holds those tables unchanged. A
#: method notebook's load cell also shows the reconciliation of every table ("counted"): that
#: view differs between the two shapes, and 00_data_quality, run on every shape, covers it.
_BASE = ("contacts_without_responded", "contacts_without_funnel", "contacts_without_dates",
         "survey_swapped", "no_interactions")
SAME_RUN = {
    "01_persona_discovery": {**{s: "no_control_groups" for s in _BASE},
                             **{s: "campaign_aggregates" for s in ("survey_only", "survey_only_no_costs")}},
    "02_rfm_scoring": {**{s: "no_control_groups" for s in _BASE},
                       **{s: "response_only" for s in ("campaign_aggregates", "survey_only",
                                                       "survey_only_no_costs")}},
    "03_price_acceptability": {**{s: "no_control_groups" for s in _BASE if s != "survey_swapped"},
                               **{s: "response_only" for s in ("campaign_aggregates", "transactions_only")}},
    "04_campaign_roi": {"no_interactions": "survey_swapped",
                        **{s: "transactions_only" for s in ("survey_only", "survey_only_no_costs")}},
    "05_customer_health": {"no_interactions": "survey_swapped",
                           **{s: "response_only" for s in ("campaign_aggregates", "survey_only",
                                                           "survey_only_no_costs")}},
    # 06 reads campaign_contacts (the proof caught it): only its clean stops stand for each other
    "06_customer_journeys": {**{s: "response_only" for s in ("campaign_aggregates", "survey_only",
                                                             "survey_only_no_costs", "transactions_only",
                                                             "no_interactions")}},
}


def _kept(shape: str, notebook: str) -> str:
    """The shape whose run of `notebook` stands for `shape` (itself when it is run)."""
    return SAME_RUN.get(notebook, {}).get(shape, shape)


def test_the_expectations_name_known_shapes_and_notebooks():
    for table in (STOPS, SAYS, EXPORTS, WARNED):
        assert set(table) <= set(PAIRS), set(table) - set(PAIRS)
    for notebook, same in SAME_RUN.items():
        assert notebook in NOTEBOOKS and set(same) | set(same.values()) <= set(demo.SHAPES)
        assert not set(same) & set(same.values()), "a shape standing for another is run itself"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Every kept pair, one runner call per notebook (so that its consulted-tables log is its
    own); returns the runs by notebook, the results by pair, and what each run consulted."""
    out, logs = tmp_path_factory.mktemp("shapes"), tmp_path_factory.mktemp("consulted")
    by_notebook, results, consulted = {}, {}, {}
    for notebook in NOTEBOOKS:
        shapes = [s for s in demo.SHAPES if s not in SAME_RUN.get(notebook, {})]
        log = logs / notebook
        log.mkdir()
        with pytest.MonkeyPatch.context() as patch:  # inherited by the workers and their kernels
            patch.setenv(CONSULTED_LOG, str(log))
            run = report.run([notebook], out_dir=out / notebook, workers=2, progress=False,
                             notebooks_dir="notebooks", grid={"data": [f"demo:{s}" for s in shapes]})
        by_notebook[notebook] = run
        results |= {(r.parameters["data"].removeprefix("demo:"), notebook): r for r in run.reports}
        for line in (entry for f in log.glob("*.jsonl") for entry in f.read_text().splitlines()):
            entry = json.loads(line)
            seen = consulted.setdefault((entry["source"].rpartition("shape ")[2], notebook), {})
            if seen.get(entry["table"]) != "read":
                seen[entry["table"]] = entry["how"]
    return by_notebook, results, consulted


def _digests(shape: str) -> dict[str, str]:
    """A content hash of every table the demo source of `shape` holds (what wb.load reads)."""
    tables = demo.generate(shape=shape).exported()
    return {name: hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()
                                 + repr(list(frame.dtypes.items())).encode()).hexdigest()
            for name, frame in tables.items() if frame is not None and name in TABLE_ORDER}


def _page(result) -> str:
    return html.unescape(result.html.read_text(encoding="utf-8"))


def _last_cell_run(result) -> str:
    nb = nbformat.read(result.html.with_suffix(".ipynb"), as_version=4)
    ran = [c for c in nb.cells if c.cell_type == "code" and c.get("execution_count")]
    return ran[-1].source


@pytest.mark.parametrize("shape, notebook", PAIRS)
def test_notebook_finishes_or_stops_cleanly_on_shape(runs, shape, notebook):
    result = runs[1][(_kept(shape, notebook), notebook)]  # the same run, when proven so
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
    by_notebook, results, _ = runs
    run, result = by_notebook[notebook], results[(_kept(shape, notebook), notebook)]
    assert result.status == "warnings", f"{notebook} on {shape}: {result.status} {result.error}"
    text = WARNED[(shape, notebook)]
    assert any(text in w for w in result.warnings)
    if shape == "survey_swapped":  # found in every group the notebook reads: one warning, with the count
        assert sum(text in w for w in result.warnings) == 1, result.warnings
    page = result.html.read_text(encoding="utf-8")
    banner = page[page.index("Status: warnings"):][:4000]
    assert text in banner
    index = run.index.read_text(encoding="utf-8")
    assert 'class="warnings"' in index and text in index


def test_response_only_publishes_its_response_rate(runs):
    figures = runs[1][(_kept("response_only", "04_campaign_roi"), "04_campaign_roi")].figures
    assert figures["tables_used"] == "campaigns, campaign_contacts"
    assert 0 < figures["response_rate"] < 1 and "incremental_margin" not in figures


@pytest.mark.parametrize("shape, notebook", [(s, nb) for nb, same in SAME_RUN.items() for s in same])
def test_a_pair_not_run_is_proven_the_same_run(runs, shape, notebook):
    """Every table the kept run read holds the same rows in both shapes, and every table it
    asked about is present in both or absent from both: the run on `shape` would be that run."""
    kept = _kept(shape, notebook)
    consulted = runs[2].get((kept, notebook))
    assert consulted, f"{notebook} on {kept} logged no consulted table"
    ours, theirs = _digests(shape), _digests(kept)
    for table, how in consulted.items():
        names = TABLE_ORDER if table == "*" else [table]
        for name in names:
            if how == "read":
                assert ours.get(name) == theirs.get(name), f"{notebook} read {name}: {shape} differs from {kept}"
            elif how == "asked":
                assert (name in ours) == (name in theirs), f"{notebook} asked for {name}: {shape} vs {kept}"
