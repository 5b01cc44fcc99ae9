"""Notebooks write each export as soon as it exists: a late failure keeps what was made before it.

Each notebook is made to fail in a late cell by a bad parameter (a target column the survey
results lack, a scenario file that does not exist); the report is ``failed``, and the tables
computed before the failing cell are in its ``output_dir``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench import report

pytestmark = pytest.mark.notebook

#: notebook -> (parameters making a late cell fail, files written before it, what the error says)
LATE = {
    "03_price_acceptability": ({"target": "no_such_point"}, ["price_ranges.csv", "price_paid.csv"],
                               "no_such_point"),
    "05_customer_health": ({"scenarios_file": "no_such_scenarios.yml"},
                           ["health_clv_scores.csv", "health_customers.csv"], "no_such_scenarios.yml"),
    "06_customer_journeys": ({"scenarios_file": "no_such_scenarios.yml"},
                             ["journeys_paths.csv", "journeys_channel_credit.csv"], "no_such_scenarios.yml"),
}


@pytest.fixture(scope="module")
def failed(tmp_path_factory):
    run = report.run(list(LATE), out_dir=tmp_path_factory.mktemp("late"), workers=2, progress=False,
                     notebooks_dir="notebooks", parameters={"data": "demo:two_years"},
                     notebook_parameters={name: params for name, (params, _, _) in LATE.items()})
    return {r.notebook.stem: r for r in run.reports}


@pytest.mark.parametrize("notebook", list(LATE))
def test_a_late_failure_keeps_the_exports_made_before_it(failed, notebook):
    result = failed[notebook]
    _, files, error = LATE[notebook]
    assert result.status == "failed" and error in result.error
    out = Path(result.parameters["output_dir"])
    for name in files:
        assert (out / name).is_file(), f"{notebook}: {name} was not written before the failure"
