"""Scheduled runs as users run them: grids read from the data, dated folders, cron lines."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import nbformat
import pytest

from workbench import report
from workbench.cli import EXIT_OK, EXIT_USAGE, main

ROOT = Path(__file__).resolve().parents[1]


def _customers(folder: Path, reps: dict[str, int]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows, i = ["customer_id,sales_rep"], 0
    for rep, n in reps.items():
        for _ in range(n):
            i += 1
            rows.append(f"C{i},{rep}")
    (folder / "customers.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def _notebook(folder: Path) -> Path:
    """A tiny report taking a rep and an analysis date, publishing both."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        'sales_rep: str = ""  # a rep\nas_of: str = "2025-12-31"  # analysis date\n'
        'data: str = "demo"  # data source\noutput_dir: str = "."  # exports')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Rep\n\n*Whose?*"), params,
                nbformat.v4.new_code_cell("import workbench.report\n"
                                          "workbench.report.publish(sales_rep=sales_rep, as_of=as_of)")]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "rep.ipynb"
    nbformat.write(nb, path)
    return path


def _schedule(tmp_path: Path, data: Path, **grid) -> Path:
    nb = _notebook(tmp_path / "nbs")
    spec = {"notebooks": [nb.stem], "notebooks_dir": str(nb.parent), "out": str(tmp_path / "out"),
            "dated": True, "workers": 1,
            "parameters": {"data": str(data), "as_of": "end of last month"},
            "grid": {"sales_rep": {"from": "customers.sales_rep", **grid}}}
    path = tmp_path / "monthly.yml"
    path.write_text(json.dumps(spec), encoding="utf-8")  # JSON is YAML
    return path


@pytest.mark.notebook
def test_a_grid_from_the_data_follows_the_reps_from_run_to_run(tmp_path):
    data = _customers(tmp_path / "data", {"Ann": 3, "Bob": 2, "Cy": 1, "Di": 1})
    schedule = _schedule(tmp_path, data, min_customers=2, other="Other reps")
    first = report.run_schedule(schedule, today="2026-02-10", progress=False)
    assert first.ok and first.out_dir.name == "2026-01-31"  # as_of: end of last month
    names = sorted(r.name for r in first.reports)
    assert names == ["rep__sales_rep-Ann", "rep__sales_rep-Bob", "rep__sales_rep-Other_reps"]
    figures = {r.name: r.figures for r in first.reports}
    assert figures["rep__sales_rep-Other_reps"]["sales_rep"] == "Cy; Di"
    assert {f["as_of"] for f in figures.values()} == {"2026-01-31"}
    record = json.loads((first.out_dir / "run.json").read_text())
    assert record["today"] == "2026-02-10"
    assert record["dates"]["as_of"] == {"given": "end of last month", "date": "2026-01-31"}
    drawn = record["grid_from_data"]["sales_rep"]
    assert drawn["customers"] == {"Ann": 3, "Bob": 2, "Cy": 1, "Di": 1}
    assert drawn["below_min_customers"] == ["Cy", "Di"] and drawn["other"] == "Other reps"

    _customers(data, {"Ann": 4, "Eve": 2})  # Bob left, Eve joined
    second = report.run_schedule(schedule, today="2026-03-02", progress=False)
    assert sorted(r.name for r in second.reports) == ["rep__sales_rep-Ann", "rep__sales_rep-Eve"]
    base = tmp_path / "out"
    assert os.readlink(base / "latest") == "2026-02-28"
    history = json.loads((base / "history.json").read_text())
    assert [h["date"] for h in history] == ["2026-02-28", "2026-01-31"]
    assert "2026-01-31/index.html" in (base / "index.html").read_text()

    again = report.run_schedule(schedule, today="2026-03-20", progress=False)  # same as_of
    assert again.out_dir == second.out_dir
    assert len(json.loads((base / "history.json").read_text())) == 2  # replaced, not added


def test_grid_from_data_errors_name_the_key(tmp_path):
    data = _customers(tmp_path / "data", {"Ann": 1})
    for grid, message in [({"min_customers": 5}, "no value of customers.sales_rep has 5"),
                          ({"colour": 1}, "unknown key"),
                          ({"from": "customers.region"}, "customers has no column 'region'")]:
        spec = {"from": "customers.sales_rep", **grid}
        with pytest.raises(report.RunConfigError, match=message):
            report.run(_notebook(tmp_path / "nbs"), out_dir=tmp_path / "o", progress=False,
                       parameters={"data": str(data)}, grid={"sales_rep": spec})


def test_a_bad_relative_date_stops_the_run_before_anything_runs(tmp_path):
    with pytest.raises(report.RunConfigError, match="'end of lst month' is not a date"):
        report.run(_notebook(tmp_path / "nbs"), out_dir=tmp_path / "o", progress=False,
                   parameters={"as_of": "end of lst month"})
    assert not (tmp_path / "o").exists()


def test_schedule_prints_a_cron_line_and_a_systemd_timer(tmp_path, capsys):
    schedule = ROOT / "schedules" / "monthly_per_sales_rep.yml"
    assert main(["schedule", str(schedule), "--cron", "0 6 1 * *"]) == EXIT_OK
    line = capsys.readouterr().out.strip()
    assert line.startswith("0 6 1 * * cd ")
    assert f"workbench run --schedule {schedule}" in line and ">> " in line
    assert line.endswith(f"# crm-workbench-monthly_per_sales_rep: {schedule}")
    assert main(["schedule", str(schedule), "--cron", "30 5 * * 1-5", "--systemd"]) == EXIT_OK
    assert "OnCalendar=Mon..Fri *-*-* 05:30:00" in capsys.readouterr().out
    assert main(["schedule", str(schedule), "--cron", "0 6 32 * *"]) == EXIT_USAGE
    assert "day of month '32' is outside 1-31" in capsys.readouterr().err


def test_schedule_install_replaces_its_own_crontab_line(tmp_path, monkeypatch, capsys):
    table = tmp_path / "crontab.txt"
    table.write_text("15 3 * * * backup.sh\n")
    fake = tmp_path / "bin" / "crontab"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\nif [ "$1" = "-l" ]; then cat {table}; else cat > {table}; fi\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.chdir(tmp_path)
    schedule = ROOT / "schedules" / "monthly_per_sales_rep.yml"
    for when in ("0 6 1 * *", "0 7 1 * *"):
        assert main(["schedule", str(schedule), "--cron", when, "--install"]) == EXIT_OK
    lines = table.read_text().splitlines()
    assert lines[0] == "15 3 * * * backup.sh" and len(lines) == 2
    assert lines[1].startswith("0 7 1 * * ")


@pytest.mark.parametrize(("cron", "calendar"), [
    ("0 6 1 * *", "*-*-01 06:00:00"), ("*/15 * * * *", "*-*-* *:00/15:00"),
    ("0 0 1 1,7 *", "*-01,07-01 00:00:00"), ("@monthly", "*-*-01 00:00:00"),
    ("0 8 * * 0", "Sun *-*-* 08:00:00")])
def test_cron_to_on_calendar(cron, calendar):
    from workbench.report.cron import on_calendar

    assert on_calendar(cron) == calendar


@pytest.mark.notebook
def test_two_monthly_runs_of_the_rfm_report_show_the_grades_from_the_store(tmp_path):
    store = tmp_path / "scores.duckdb"
    for today in ("2025-12-05", "2026-01-05"):
        result = report.run(["02_rfm_scoring"], out_dir=tmp_path / today, progress=False,
                            notebooks_dir=ROOT / "notebooks", today=today,
                            parameters={"as_of": "end of last month", "score_store": str(store)})
        assert result.ok, [r.error for r in result.reports]
    page = (tmp_path / "2026-01-05" / "02_rfm_scoring.html").read_text(encoding="utf-8")
    assert "dropped at least one grade since the last run (2025-11-30)" in page
    assert "2 run(s) in scores.duckdb (all)" in page
    figures = result.reports[0].figures
    assert figures["runs_in_store"] == 2 and figures["dropped_grade_since_last_run"] > 0
