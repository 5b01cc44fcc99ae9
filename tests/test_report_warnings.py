"""The third report status, ``warnings``: collected from the notebook, in the banner, the index,
``summary.json`` and ``run.json``; exit code 0. A notebook that cannot serve its source stops
cleanly (:func:`workbench.report.stop`) with status ``warnings``, not ``failed``."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from workbench import report
from workbench.report import record

FIXTURES = Path(__file__).parent / "notebooks"
FIT = "The planted fit is unreliable: a = 2e-05; try another model."
THIN = "Thin comparison window: 9 days of data before the earlier date."


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> report.RunResult:
    out = tmp_path_factory.mktemp("warned") / "run"
    return report.run(["ok", "warns", "stops"], notebooks_dir=FIXTURES, out_dir=out, workers=1,
                      progress=False, parameters={"n": "3"})


@pytest.mark.notebook
def test_warnings_from_report_warn_and_from_methods_make_the_status(run):
    warned = next(r for r in run.reports if r.name == "warns")
    assert warned.status == "warnings" and warned.error is None
    assert warned.warnings == [FIT, THIN]
    summary = json.loads((run.out_dir / "warns.summary.json").read_text())
    assert summary["status"] == "warnings" and summary["warnings"] == [FIT, THIN]
    assert summary["figures"] == {"n": 3}
    assert json.loads((run.out_dir / "warns.manifest.json").read_text())["warnings"] == [FIT, THIN]


@pytest.mark.notebook
def test_the_banner_lists_every_warning_at_the_top(run):
    page = (run.out_dir / "warns.html").read_text(encoding="utf-8")
    banner = page.index("Status: warnings (2)")
    end = page.index("</ul>", banner)
    assert banner < page.index(FIT) < end and banner < page.index(THIN) < end  # in the banner
    assert page.count(FIT) == 2  # and where it was raised, under its cell


@pytest.mark.notebook
def test_a_notebook_that_cannot_serve_its_source_stops_cleanly(run):
    stopped = next(r for r in run.reports if r.name == "stops")
    assert stopped.status == "warnings" and stopped.error is None
    assert stopped.warnings == ["This notebook cannot serve this source: this planted source has "
                                "no survey; map one."]
    nb = nbformat.read(run.out_dir / "stops.ipynb", as_version=4)
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]  # no traceback
    assert not any("never reached" in str(o) for o in outputs)


@pytest.mark.notebook
def test_index_and_run_json_stay_coherent_and_the_exit_code_is_zero(run):
    assert [r.status for r in run.reports] == ["ok", "warnings", "warnings"]
    assert run.ok and run.exit_code == report.EXIT_OK
    listed = json.loads((run.out_dir / "run.json").read_text())
    assert listed["ok"] is True
    assert listed["statuses"] == {"ok": 1, "warnings": 2, "failed": 0}
    index = run.index.read_text(encoding="utf-8")
    assert "0 failed, 2 with warnings" in index and '<td class="warnings">warnings</td>' in index
    assert THIN in index


def test_collect_warnings_reads_bundles_and_result_warning_lines_once_each():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")])
    nb.cells[0].outputs = [
        nbformat.v4.new_output("display_data", data=record.warnings_bundle("one\n two")),
        nbformat.v4.new_output("stream", name="stderr",
                               text="/x/y.py:3: ResultWarning: three\n  warn(...)\n"
                                    "/x/y.py:3: UserWarning: not ours\n"
                                    "/v/workbench/campaigns/outcomes.py:250: UserWarning: four\n"),
        nbformat.v4.new_output("display_data", data=record.warnings_bundle("one two")),
    ]
    assert record.collect_warnings(nb) == ["one two", "three", "four"]
    # the same warning per group (a swapped survey per persona) is shown once, with the count
    nb.cells[0].outputs.append(nbformat.v4.new_output("stream", name="stderr", text="".join(
        f"/x/y.py:3: ResultWarning: Price survey: {p}% of respondents ({n} of 40): look swapped\n"
        for p, n in ((98, 39), (95, 38), (90, 36)))))
    assert record.collect_warnings(nb) == ["one two", "three", "four", "Price survey: 98% of respondents (39 of 40): "
                                           "look swapped (and 2 more warnings like this one, on other groups or "
                                           "subsets of the data: see the cells below)"]
    assert record.status_of(None, []) == "ok" and record.status_of(None, ["w"]) == "warnings"
    assert record.status_of({"name": "E", "message": "m"}, ["w"]) == "failed"


def test_require_lets_a_source_with_the_tables_through_and_stops_one_without():
    crm = {"customers", "orders", "campaign_stats"}  # what `name in crm` sees
    report.require(crm, "orders", ("campaign_contacts", "campaign_stats"), purpose="campaign ROI")
    with pytest.raises(report.NotServed) as stopped:
        report.require(crm, "price_survey", purpose="Price acceptability")
    assert str(stopped.value) == ("Price acceptability needs the table price_survey, which this source "
                                  "does not hold; add the file, or map it in the mapping file.")
    with pytest.raises(report.NotServed, match="needs the tables interactions, campaign_contacts or "
                                               "campaigns, which"):
        report.require(crm, "orders", "interactions", ("campaign_contacts", "campaigns"), purpose="x")


def test_require_on_a_loaded_source_names_what_it_lacks():
    import workbench as wb

    crm = wb.load("demo:survey_only", demo_customers=60, seed=1)
    report.require(crm, "price_survey", purpose="price acceptability")
    with pytest.raises(report.NotServed, match="^RFM scoring needs the table orders, which"):
        report.require(crm, "orders", purpose="RFM scoring")


@pytest.mark.parametrize("ename, level, said", [("NotServed", "INFO", "stopped cleanly: no survey"),
                                                ("KeyError", "WARNING", "failed: KeyError: no survey")])
def test_a_clean_stop_is_logged_as_a_stop_and_a_failure_as_a_failure(monkeypatch, caplog, tmp_path,
                                                                      ename, level, said):
    import logging

    import papermill

    from workbench.report import execute
    from workbench.report.plan import Job

    class CellError(Exception):
        def __init__(self):
            super().__init__("no survey")
            self.ename, self.evalue = ename, "no survey"

    def raises(*args, **kwargs):
        raise CellError

    monkeypatch.setattr(papermill, "execute_notebook", raises)
    job = Job(name="stops", notebook=FIXTURES / "stops.ipynb", out_dir=tmp_path, given={}, parameters={},
              fingerprints={}, show_code=False, timeout=None, kernel_name=None)
    with caplog.at_level(logging.INFO, logger="workbench.report.execute"):
        assert execute._papermill(job, tmp_path / "stops.ipynb") == {"name": ename, "message": "no survey"}
    [logged] = [r for r in caplog.records if r.name == "workbench.report.execute"]
    assert logged.levelname == level and said in logged.getMessage()
