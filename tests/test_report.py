"""Tests for workbench.report: parameters, execution, rendering, escaping, index, schedules.

Notebook executions are slow (a kernel start each), so three module-scoped runs execute five
notebooks in all and the other tests read their results; everything else runs no kernel.
"""

from __future__ import annotations

import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from workbench import report
from workbench.report import execute, plan, record
from workbench.report import params as report_params

FIXTURES = Path(__file__).parent / "notebooks"
SCRIPT_PAYLOAD = "<script>alert(1)</script>"
IMG_PAYLOAD = "<img src=x onerror=alert(1)>"


class _Tags(HTMLParser):
    """Every tag's attributes and every <script>'s text, as a browser would parse them."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.attrs: list[tuple[str, str, str | None]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.attrs += [(tag, name, value) for name, value in attrs]
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def _stdout(ipynb: Path) -> str:
    nb = nbformat.read(ipynb, as_version=4)
    return "".join(
        o.get("text", "")
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("name") == "stdout"
    )


def _json(path: Path) -> dict:
    return json.loads(path.read_text())


def _notebook(path: Path, parameters_source: str) -> Path:
    cell = nbformat.v4.new_code_cell(parameters_source)
    cell.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=[cell])
    nbformat.write(nb, path)
    return path


# --------------------------------------------------------------------------- runs (slow)


@pytest.fixture(scope="module")
def main_run(tmp_path_factory) -> report.RunResult:
    """ok + fails, with ``-p n 5`` as the CLI would pass it (a string)."""
    out = tmp_path_factory.mktemp("main") / "run"
    params = report.parse_parameter_pairs([("n", "5")])
    return report.run(
        ["ok", "fails"],
        notebooks_dir=FIXTURES,
        out_dir=out,
        parameters=params,
        workers=1,
        progress=False,
    )


@pytest.fixture(scope="module")
def grid_run(tmp_path_factory) -> report.RunResult:
    """A schedule: ok over two labels that slugify alike, two worker processes, code shown."""
    folder = tmp_path_factory.mktemp("grid")
    schedule = folder / "grid.yml"
    schedule.write_text(
        f"notebooks: [ok]\nnotebooks_dir: {json.dumps(str(FIXTURES))}\n"
        "parameters: {n: 3}\n"
        'grid:\n  label: ["Alice Martin", "Alice/Martin"]\n'
        "workers: 2\nshow_code: true\n"
    )
    return report.run_schedule(schedule, out_dir=folder / "run", progress=False)


@pytest.fixture(scope="module")
def evil_run(tmp_path_factory) -> report.RunResult:
    out = tmp_path_factory.mktemp("evil") / "run"
    return report.run(
        ["evil"], notebooks_dir=FIXTURES, out_dir=out, parameters={"label": IMG_PAYLOAD}
    )


def _by_name(result: report.RunResult) -> dict[str, report.ReportResult]:
    return {r.name: r for r in result.reports}


@pytest.mark.notebook
def test_cli_string_is_converted_to_the_declared_int(main_run):
    ok = _by_name(main_run)["ok"]
    assert "n=5 label='x'" in _stdout(main_run.out_dir / "ok.ipynb")  # 5, not '5'
    assert ok.parameters["n"] == 5 and isinstance(ok.parameters["n"], int)


@pytest.mark.notebook
def test_kernel_is_the_runners_python(main_run):
    # the executed notebook names no folder of the machine: the environment is "(python)/"
    runner = Path(sys.executable).relative_to(sys.prefix).as_posix()
    assert f"python=(python)/{runner}\n" in _stdout(main_run.out_dir / "ok.ipynb")


@pytest.mark.notebook
def test_report_files_summary_and_manifest(main_run):
    out = main_run.out_dir
    for suffix in (".html", ".ipynb", ".summary.json", ".manifest.json"):
        assert (out / f"ok{suffix}").is_file(), suffix
    summary = _json(out / "ok.summary.json")
    assert summary["status"] == "ok" and summary["error"] is None
    assert summary["figures"] == {"n": 5, "doubled": 10, "label": "x"}
    manifest = _json(out / "ok.manifest.json")
    assert manifest["parameters"]["n"] == 5
    assert manifest["parameters"]["label"] == "x"  # a default, merged in
    assert manifest["parameters"]["output_dir"] == "ok"  # relative to the run folder
    assert manifest["data_fingerprint"] == "literal:demo"
    assert manifest["seed"] is None and manifest["status"] == "ok"
    assert manifest["duration_s"] > 0
    assert set(manifest["versions"]) >= {"python", "pandas", "numpy", "papermill", "nbconvert"}
    assert manifest["versions"]["pandas"] == pd.__version__
    assert manifest["exports"] == ["ok/export.csv"]
    assert (out / "ok" / "export.csv").read_text() == "n\n5\n"


@pytest.mark.notebook
def test_shared_names_go_only_to_notebooks_that_declare_them(main_run):
    # fails declares no output_dir: the runner sets it for ok only, and fails still runs.
    params = _by_name(main_run)["fails"].parameters
    assert params == {"n": 5, "data": "demo"}
    assert not (main_run.out_dir / "fails").exists()


@pytest.mark.notebook
def test_failed_notebook_still_gets_a_report_marked_failed(main_run):
    failed = _by_name(main_run)["fails"]
    assert failed.status == "failed" and failed.error == "ValueError: planted failure"
    assert not main_run.ok and main_run.exit_code == report.EXIT_FAILED_REPORTS
    page = failed.html.read_text()
    assert "FAILED: ValueError: planted failure" in page
    assert "before the failure" in page and "never printed" not in page
    assert _json(main_run.out_dir / "fails.summary.json") == {
        "report": "fails",
        "status": "failed",
        "error": {"name": "ValueError", "message": "planted failure"},
        "warnings": [],
        "findings": [],
        "headlines": {},
        "figures": {},
    }
    assert _json(main_run.out_dir / "fails.manifest.json")["status"] == "failed"


@pytest.mark.notebook
def test_index_links_every_report_with_its_status(main_run):
    page = main_run.index.read_text()
    tags = _Tags(page)
    assert {v for t, a, v in tags.attrs if t == "a" and a == "href"} == {"ok.html", "fails.html"}
    rows = dict(re.findall(r'<a href="(\w+)\.html">.*?<td class="(\w+)">', page))
    assert rows == {"ok": "ok", "fails": "failed"}
    listed = _json(main_run.out_dir / "run.json")
    assert listed["ok"] is False
    assert [(r["name"], r["status"]) for r in listed["reports"]] == [
        ("ok", "ok"),
        ("fails", "failed"),
    ]


@pytest.mark.notebook
def test_code_hidden_by_default_shown_on_request(main_run, grid_run):
    assert "the-code-sentinel" not in (main_run.out_dir / "ok.html").read_text()
    assert "the-code-sentinel" in grid_run.reports[0].html.read_text()


@pytest.mark.notebook
def test_parameters_are_stated_in_the_report(main_run):
    page = (main_run.out_dir / "ok.html").read_text()
    assert "<td><code>n</code></td><td><code>5</code></td><td>given</td>" in page
    assert "<td><code>label</code></td><td><code>x</code></td><td>default</td>" in page


@pytest.mark.notebook
def test_grid_makes_one_report_per_value_with_distinct_names(grid_run):
    assert grid_run.ok
    names = [r.name for r in grid_run.reports]
    assert names == ["ok__label-Alice_Martin", "ok__label-Alice_Martin-2"]
    labels = [
        _json(r.html.with_suffix(".summary.json"))["figures"]["label"] for r in grid_run.reports
    ]
    assert labels == ["Alice Martin", "Alice/Martin"]
    assert all(r.parameters["n"] == 3 for r in grid_run.reports)
    assert len({r.html for r in grid_run.reports}) == 2 and all(
        r.html.is_file() for r in grid_run.reports
    )


@pytest.mark.notebook
def test_hostile_data_is_shown_as_text_never_run(evil_run):
    page = evil_run.reports[0].html.read_text()
    tags = _Tags(page)
    assert [a for a in tags.attrs if a[1].lower().startswith("on")] == []
    assert [s for s in tags.scripts if "alert" in s] == []
    assert [a for a in tags.attrs if a[2] and "javascript:" in a[2].lower()] == []
    # Shown as text (DataFrame, HTML, Markdown, print and the header's parameter), not lost.
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4
    assert "&lt;img src=x onerror=alert(2)&gt;" not in page  # sanity: payload is alert(1)
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    # ...while the pandas table, the markdown and the PNG survive sanitising.
    assert re.search(r'<table[^>]*class="dataframe"', page) and "<th>customer</th>" in page
    assert "<strong>markdown output</strong>" in page and "<b>html output</b>" in page
    assert "data:image/png;base64," in page
    assert "&lt;th&gt;" not in page  # nbconvert's stock sanitizer would escape the header row
    index = evil_run.index.read_text()
    assert IMG_PAYLOAD not in index and "&lt;img src=x onerror=alert(1)&gt;" in index
    figures = _json(evil_run.out_dir / "evil.summary.json")["figures"]
    assert figures == {"top_customer": IMG_PAYLOAD}  # data kept intact in JSON


# --------------------------------------------------------------------------- usage errors (fast)


def test_unknown_parameter_fails_before_anything_runs(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(report.RunConfigError) as err:
        report.run(["ok"], notebooks_dir=FIXTURES, out_dir=out, parameters={"lable": "y"})
    message = str(err.value)
    assert "'lable'" in message and "notebook ok" in message
    assert "did you mean 'label'" in message.lower() and "data, label, n, output_dir" in message
    assert not out.exists()


def test_non_shared_parameter_must_be_declared_by_every_notebook(tmp_path):
    with pytest.raises(
        report.RunConfigError, match=r"notebook fails .* no parameter 'label'"
    ) as err:
        report.run(
            ["ok", "fails"], notebooks_dir=FIXTURES, out_dir=tmp_path, parameters={"label": "y"}
        )
    assert "notebook ok" not in str(err.value)


def test_shared_parameter_declared_nowhere_is_an_error(tmp_path):
    with pytest.raises(report.RunConfigError, match="no parameter 'seed'"):
        report.run(["ok"], notebooks_dir=FIXTURES, out_dir=tmp_path, parameters={"seed": "1"})


def test_output_dir_is_reserved(tmp_path):
    with pytest.raises(report.RunConfigError, match="output_dir"):
        report.run(["ok"], notebooks_dir=FIXTURES, out_dir=tmp_path, parameters={"output_dir": "x"})


def test_unconvertible_value_names_notebook_parameter_and_type(tmp_path):
    with pytest.raises(
        report.RunConfigError, match=r"ok, parameter 'n': cannot convert 'five' to .*int"
    ):
        report.run(["ok"], notebooks_dir=FIXTURES, out_dir=tmp_path, parameters={"n": "five"})


def test_declared_types_include_union_annotations_papermill_misses(tmp_path):
    nb = _notebook(
        tmp_path / "p.ipynb",
        "as_of: str | None = None  # date\nratio = 0.5\nflag: bool = False\nitems: list = [1]\n"
        "when = len('abc')",
    )
    declared = report_params.declared_parameters(nb)
    assert set(declared) == {"as_of", "ratio", "flag", "items", "when"}
    assert (declared["as_of"].type, declared["as_of"].nullable) == ("str", True)
    assert report_params.coerce("None", declared["as_of"]) is None
    assert report_params.coerce("2025-12-31", declared["as_of"]) == "2025-12-31"
    assert report_params.coerce("2", declared["ratio"]) == 2.0
    assert report_params.coerce("yes", declared["flag"]) is True
    assert report_params.coerce("[1, 2]", declared["items"]) == [1, 2]
    assert declared["when"].default == "<len('abc')>"
    with pytest.raises(ValueError, match="bool"):
        report_params.coerce("maybe", declared["flag"])


def test_schedule_unknown_key_is_named(tmp_path):
    schedule = tmp_path / "s.yml"
    schedule.write_text("notebooks: [ok]\nworker: 2\n")
    with pytest.raises(report.RunConfigError) as err:
        report.run_schedule(schedule, notebooks_dir=FIXTURES, out_dir=tmp_path / "run")
    assert str(schedule) in str(err.value) and "'worker'" in str(err.value)
    assert "did you mean 'workers'" in str(err.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("workers: two\n", "key 'workers' must be int"),
        ("grid: {label: a}\n", "grid.label must be a non-empty list"),
        ("show_code: 1\n", "key 'show_code' must be bool"),
        ("- a\n", "expected a mapping"),
    ],
)
def test_schedule_types_are_validated(tmp_path, text, expected):
    schedule = tmp_path / "s.yml"
    schedule.write_text(text)
    with pytest.raises(report.RunConfigError, match=re.escape(expected)):
        report.run_schedule(schedule, notebooks_dir=FIXTURES, out_dir=tmp_path / "run")


def test_parameter_pairs_reject_duplicates_and_bad_names():
    assert report.parse_parameter_pairs([("n", "5"), ("label", "a b")]) == {
        "n": "5",
        "label": "a b",
    }
    with pytest.raises(report.RunConfigError, match="given twice"):
        report.parse_parameter_pairs([("n", "5"), ("n", "6")])
    with pytest.raises(report.RunConfigError, match="not a parameter name"):
        report.parse_parameter_pairs([("a-b", "1")])


def test_parameters_file_anchors_existing_data_paths_to_the_file(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "orders.csv").write_text("x\n")
    path = tmp_path / "p.yml"
    path.write_text("data: sub/orders.csv\nmapping: demo\nas_of: 2025-12-31\nn: 3\n")
    params = report.load_parameters_file(path)
    assert params["data"] == str((tmp_path / "sub" / "orders.csv").resolve())
    assert params["mapping"] == "demo" and params["n"] == 3
    decl = report_params.Declared("str", False, "")
    assert report_params.coerce(params["as_of"], decl) == "2025-12-31"  # YAML date back to text


def test_resolve_notebooks(tmp_path):
    for name in ("01_b", "00_a", "10_c"):
        _notebook(tmp_path / f"{name}.ipynb", "x = 1")
    assert [p.stem for p in report.resolve_notebooks(None, notebooks_dir=tmp_path)] == [
        "00_a",
        "01_b",
        "10_c",
    ]
    assert report.resolve_notebooks(["all"], notebooks_dir=tmp_path)[0].stem == "00_a"
    picked = report.resolve_notebooks(["01_b.ipynb", "00_a", "01_b"], notebooks_dir=tmp_path)
    assert [p.stem for p in picked] == ["01_b", "00_a"]
    with pytest.raises(report.RunConfigError, match="did you mean 01_b"):
        report.resolve_notebooks(["01_bb"], notebooks_dir=tmp_path)


def test_fingerprint_follows_content_and_names(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "a.csv").write_text("1\n")
    first = report.fingerprint(str(folder))
    assert first.startswith("sha256:") and report.fingerprint(str(folder)) == first
    (folder / ".hidden").write_text("ignored")
    assert report.fingerprint(str(folder)) == first
    (folder / "a.csv").rename(folder / "b.csv")
    assert report.fingerprint(str(folder)) != first
    (folder / "b.csv").write_text("2\n")
    assert report.fingerprint(str(folder / "b.csv")) != report.fingerprint(str(folder))
    assert report.fingerprint("demo") == "literal:demo"
    assert (
        report.fingerprint("postgresql://ann:s3cret@db/crm")
        == "literal:postgresql://ann:***@db/crm"
    )


def test_publish_converts_values_and_escapes_its_table():
    bundle = record.summary_bundle(
        {
            "count": np.int64(3),
            "rate": np.float64(0.25),
            "day": pd.Timestamp("2025-12-31"),
            "missing": float("nan"),
            "nat": pd.NaT,
            "name": "<b>|x",
        }  # fmt: skip
    )
    assert bundle[report.SUMMARY_MIMETYPE] == {
        "count": 3,
        "rate": 0.25,
        "day": "2025-12-31T00:00:00",
        "missing": None,
        "nat": None,
        "name": "<b>|x",
    }
    json.dumps(bundle, allow_nan=False)
    assert "| Name | &lt;b&gt;\\|x |" in bundle["text/markdown"]
    # the table is written for people, as every other table of a report
    assert "| Rate | 25.0 % |" in bundle["text/markdown"] and "| Missing | – |" in bundle["text/markdown"]
    with pytest.raises(TypeError, match="frame is a DataFrame"):
        record.summary_bundle({"frame": pd.DataFrame({"a": [1]})})
    assert report.publish(n=1) is None  # outside a kernel: logged, nothing displayed


def test_report_names_are_safe_and_unique():
    taken: set[str] = set()
    names = [
        plan.report_name("04_roi", {"rep": "Alice Martin"}, taken),
        plan.report_name("04_roi", {"rep": "Alice/Martin"}, taken),
        plan.report_name("04_roi", {"rep": "../../etc"}, taken),
    ]
    assert names == ["04_roi__rep-Alice_Martin", "04_roi__rep-Alice_Martin-2", "04_roi__rep-etc"]


def _shadow_python3_kernel(tmp_path, monkeypatch) -> str:
    """Install a user-level ``python3`` kernel spec that runs another interpreter."""
    other = "/opt/other/bin/python"
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [other, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return other


def test_default_kernel_is_this_python_even_when_a_spec_shadows_it(tmp_path, monkeypatch):
    from jupyter_client.kernelspec import KernelSpecManager

    other = _shadow_python3_kernel(tmp_path, monkeypatch)
    assert KernelSpecManager().get_kernel_spec("python3").argv[0] == other  # the trap is set
    options = execute.kernel_options(None)
    manager = options["kernel_manager_class"](kernel_name=options["kernel_name"])
    assert manager.kernel_spec.argv[0] == sys.executable


def test_named_kernel_is_checked_before_running(tmp_path, monkeypatch, caplog):
    other = _shadow_python3_kernel(tmp_path, monkeypatch)
    with caplog.at_level("WARNING", logger="workbench.report"):
        execute.check_kernel("python3")
    assert other in caplog.text and sys.executable in caplog.text
    with pytest.raises(report.RunConfigError, match="no Jupyter kernel named 'nope'"):
        report.run(["ok"], notebooks_dir=FIXTURES, out_dir=tmp_path / "run", kernel_name="nope")
    assert not (tmp_path / "run").exists()


def test_a_runner_failure_in_one_report_fails_that_report_only(tmp_path, monkeypatch):

    real_record = execute.record

    def broken_record(job, *args, **kwargs):
        if job.name == "ok":
            raise ValueError("planted recording failure")
        return real_record(job, *args, **kwargs)

    monkeypatch.setattr(execute, "record", broken_record)
    notebooks = report.resolve_notebooks(["ok", "fails"], notebooks_dir="tests/notebooks")
    result = report.run(notebooks, out_dir=tmp_path, workers=1, progress=False)
    by_name = {r.name: r for r in result.reports}
    assert by_name["ok"].status == "failed"
    assert "planted recording failure" in by_name["ok"].error
    assert "planted recording failure" in by_name["ok"].html.read_text()
    assert by_name["fails"].status == "failed" and "planted failure" in by_name["fails"].error
    assert result.index.exists() and result.exit_code == 1


def test_pool_starts_the_longest_report_first(tmp_path):
    # first run: the notebook with more code cells first; later runs: the last recorded durations
    def job(name: str, code_cells: int) -> plan.Job:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")] * code_cells)
        nbformat.write(nb, tmp_path / f"{name}.ipynb")
        return plan.Job(name=name, notebook=tmp_path / f"{name}.ipynb", out_dir=tmp_path, given={},
                        parameters={}, fingerprints={}, show_code=False, timeout=None, kernel_name=None)

    jobs = [job("a", 2), job("b", 9), job("c", 2), job("d", 5)]
    assert [j.name for j in execute.longest_first(jobs)] == ["b", "d", "a", "c"]
    durations = {"a": 3.0, "b": 1.0, "c": 40.0, "d": 2.0}
    (tmp_path / "run.json").write_text(json.dumps(
        {"reports": [{"name": n, "duration_s": s} for n, s in durations.items()]}))
    assert [j.name for j in execute.longest_first(jobs)] == ["c", "a", "d", "b"]
    (tmp_path / "run.json").write_text("{not json")
    assert [j.name for j in execute.longest_first(jobs)] == ["b", "d", "a", "c"]


@pytest.mark.notebook
def test_the_engine_saves_once_at_the_end_and_keeps_outputs_up_to_a_timeout(tmp_path, monkeypatch):
    import papermill as pm

    from workbench.report import engine

    writes = []
    real = engine.NotebookExecutionManager.save
    monkeypatch.setattr(engine.NotebookExecutionManager, "save", lambda self, **kw: (writes.append(1), real(self, **kw)))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"print('cell {i}')") for i in range(6)]
                                  + [nbformat.v4.new_code_cell("import time; time.sleep(30)")])
    src, out = tmp_path / "in.ipynb", tmp_path / "out.ipynb"
    nbformat.write(nb, src)
    with pytest.raises(Exception, match="(?i)timed out|timeout"):
        pm.execute_notebook(src, out, engine_name=engine.register(), execution_timeout=2, progress_bar=False,
                            **execute.kernel_options(None))
    assert len(writes) == 1  # papermill alone writes at each cell's start and end: 15 times here
    ran = nbformat.read(out, as_version=4)
    assert [c.outputs[0]["text"] for c in ran.cells[:6]] == [f"cell {i}\n" for i in range(6)]


def test_the_runner_and_its_workers_validate_notebooks_without_building_iri_grammars(tmp_path):
    # jsonschema imports rfc3987_syntax (35 Lark parsers, 1-2 s) for formats no notebook uses
    import subprocess

    code = ("import sys\n"
            "from workbench.report import execute\n"
            "execute._worker_start()\n"
            "import nbformat, papermill\n"
            "nb = nbformat.read('notebooks/02_rfm_scoring.ipynb', as_version=4)\n"
            "nbformat.validate(nb)\n"
            "bad = nbformat.from_dict({'cells': [{'cell_type': 'code'}], 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5})\n"
            "try:\n"
            "    nbformat.validate(bad)\n"
            "except nbformat.ValidationError:\n"
            "    print('invalid refused')\n"
            "print('rfc3987_syntax' in sys.modules and sys.modules['rfc3987_syntax'] is not None)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).parents[1])
    assert done.stdout.split() == ["invalid", "refused", "False"], done.stderr
