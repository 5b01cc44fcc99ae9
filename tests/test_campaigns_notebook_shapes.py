"""The Campaign ROI notebook completes on shapes of campaign data the demo shapes do not make.

The demo shapes (no control group, no responded column, no funnel steps, response-only,
campaign-level aggregates, no campaign data at all) run in tests/test_shapes_matrix.py. Here the
small demo company is written to files, then degraded further (no order in any contact's
window, no date on contacts nor campaigns, an ads-platform export, a small sales rep's
portfolio); each run must end without failure, say in one sentence what a skipped section
needs, and write the tables it computed.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path

import pandas as pd
import pytest

from workbench import demo, report

pytestmark = pytest.mark.notebook

NOTEBOOK = ["04_campaign_roi"]


def _edit(folder: Path, table: str, change) -> None:
    path = folder / f"{table}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    change(frame).to_csv(path, index=False)


def _no_dates(folder: Path) -> None:
    _edit(folder, "campaign_contacts",
          lambda d: d.drop(columns=["sent_at", "opened_at", "clicked_at", "responded_at"]))
    _edit(folder, "campaigns", lambda d: d.drop(columns=["start_date", "end_date"]))


#: shape -> (how to make it from the demo files, sentences the report must show, exports it must write)
SHAPES = {
    "no-window-orders": (lambda f: _edit(f, "orders", lambda d: d[d["order_date"] < "2023-02-01"]),
                         ["No contact bought in the 30 days after its contact day"],
                         ["campaign_funnel.csv", "campaign_audit.csv"]),
    "no-dates": (_no_dates,
                 ["This section needs a date for each contact", "contacts without date"],
                 ["campaign_costs.csv", "campaign_response_rates.csv"]),
}


@pytest.fixture(scope="module")
def shape_runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("demo")
    demo.write(base / "full", customers=300, seed=42)
    folders = []
    for name, (make, _, _) in SHAPES.items():
        folder = base / name
        shutil.copytree(base / "full", folder, ignore=shutil.ignore_patterns("*truth*"))
        make(folder)
        folders.append(str(folder))
    run = report.run(NOTEBOOK, out_dir=tmp_path_factory.mktemp("reports"), grid={"data": folders},
                     workers=2, progress=False)
    return {Path(r.parameters["data"]).name: r for r in run.reports}


def _text(result) -> str:
    return html.unescape(result.html.read_text(encoding="utf-8"))


@pytest.mark.parametrize("shape", list(SHAPES))
def test_campaign_notebook_completes_and_says_what_it_skipped(shape_runs, shape):
    result = shape_runs[shape]
    assert result.status in ("ok", "warnings"), f"{shape}: {result.error}"
    text = _text(result)
    for sentence in SHAPES[shape][1]:
        assert sentence in text, f"{shape}: the report does not say {sentence!r}"
    out = Path(result.parameters["output_dir"])
    for name in SHAPES[shape][2]:
        assert (out / name).is_file(), f"{shape}: {name} not exported"


def test_campaign_notebook_on_an_ads_platform_export(tmp_path):
    run = report.run(NOTEBOOK, out_dir=tmp_path, workers=1, progress=False,
                     parameters={"data": "data/examples/ads_export",
                                 "mapping": "data/examples/ads_export/mapping.yml"})
    result = run.reports[0]
    assert result.status in ("ok", "warnings"), result.error
    assert "This section needs campaign_contacts" in _text(result)
    stats = pd.read_csv(Path(result.parameters["output_dir"]) / "campaign_stats_results.csv")
    assert len(stats) == 3 and stats["cost_per_acquisition"].notna().sum() == 2
    assert result.figures["stats_cost_per_acquisition"] == pytest.approx(
        stats["spend"].sum() / stats["conversions"].sum(), abs=0.01)


def test_campaign_notebook_on_a_sales_rep_portfolio_without_control_groups(tmp_path):
    folder = demo.write(tmp_path / "small", customers=150, seed=42)
    run = report.run(NOTEBOOK, out_dir=tmp_path / "reports", workers=1, progress=False,
                     parameters={"data": str(folder), "sales_rep": "David Leroy"})
    result = run.reports[0]
    assert result.status in ("ok", "warnings"), result.error  # crashed: merge with None, then xerr < 0
    text = _text(result)
    assert "portfolio: David Leroy" in text and "No campaign has a control group" in text
    assert result.figures["campaigns_with_control"] == 0
    assert result.figures["campaigns_with_control_in_source"] > 0
