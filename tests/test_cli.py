"""The workbench command: validate prints the summary and uses documented exit codes."""

from __future__ import annotations

import json

import pandas as pd

from workbench.cli import main


def test_validate_prints_reconciliation_and_writes_rejects(tmp_path, capsys):
    (tmp_path / "orders.csv").write_text("order_id,customer_id,order_date,amount\nO1,C1,2024-01-01,x\nO2,C1,2024-01-02,3\n")
    rejects = tmp_path / "rejects.csv"
    assert main(["validate", str(tmp_path), "--rejects", str(rejects)]) == 0
    out = capsys.readouterr().out
    assert "orders.csv line 2: amount 'x' is not a number" in out
    assert rejects.read_text().count("\n") == 2
    assert main(["validate", str(tmp_path), "--strict"]) == 1


def test_fatal_data_problem_exits_3_with_the_reason(tmp_path, capsys):
    (tmp_path / "orders.csv").write_text("order_id,customer_id\nO1,C1\n")
    assert main(["validate", str(tmp_path)]) == 3
    assert "required columns 'order_date', 'amount' of table orders are missing" in capsys.readouterr().err


def test_bad_mapping_exits_2(tmp_path, capsys):
    (tmp_path / "m.yml").write_text("tables:\n  orders:\n    fil: x.csv\n")
    assert main(["validate", str(tmp_path), "--mapping", str(tmp_path / "m.yml")]) == 2
    assert "unknown key 'fil'" in capsys.readouterr().err


def test_unknown_subcommand_exits_2():
    assert main(["frobnicate"]) == 2


def test_demo_data_writes_every_table_and_the_truth(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo-data", "--out", str(out), "--customers", "300", "--seed", "3"]) == 0
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted([f"{t}.csv" for t in ("customers", "orders", "products", "campaigns",
                                                     "campaign_contacts", "incidents", "price_survey",
                                                     "interactions")]
                             + ["customers_truth.csv", "truth.json"])
    assert "300 customers, seed 3" in capsys.readouterr().out
    # the written company loads through the contract; the rows it plants are rejected, so --strict fails
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    assert main(["validate", str(out), "--as-of", "2025-12-31"]) == 0
    assert main(["validate", str(out), "--as-of", "2025-12-31", "--strict", "--rejects",
                 str(tmp_path / "rejects.csv")]) == 1
    rejects = pd.read_csv(tmp_path / "rejects.csv", encoding="utf-8-sig")
    assert len(rejects) == len(truth["rejected"]) == 14
    assert sorted(zip(rejects["table"], rejects["rule"], strict=True)) == sorted(
        (r["table"], r["rule"]) for r in truth["rejected"])


def test_run_rejects_an_unknown_parameter_before_running(tmp_path, capsys):
    code = main(["run", "00_data_quality", "-p", "as_off", "2025-01-01", "--out", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert "as_off" in err and "as_of" in err  # names the typo and the parameter meant
    assert not any(tmp_path.iterdir())  # nothing ran


def test_run_executes_a_notebook_with_parameters(tmp_path, capsys):
    code = main(["run", "00_data_quality", "-p", "data", "data/examples/fr_export",
                 "-p", "mapping", "data/examples/fr_export/mapping.yml", "--out", str(tmp_path)])
    assert code == 0, capsys.readouterr().err
    assert (tmp_path / "00_data_quality.html").exists() and (tmp_path / "index.html").exists()


def test_run_with_a_relative_out_folder_as_make_reports_does(tmp_path, monkeypatch, root):
    # `make reports` passes a relative --out; notebooks run in their own folder
    (tmp_path / "notebooks").mkdir()
    for name in ("00_data_quality.ipynb",):
        (tmp_path / "notebooks" / name).write_bytes((root / "notebooks" / name).read_bytes())
    data = tmp_path / "data"
    data.mkdir()
    (data / "orders.csv").write_text("order_id,customer_id,order_date,amount\nO1,C1,2024-01-01,x\nO2,C1,2024-01-02,3\n")
    monkeypatch.chdir(tmp_path)
    code = main(["run", "--all", "--out", "reports/demo", "-p", "data", "data"])
    assert code == 0
    out = tmp_path / "reports" / "demo"
    assert (out / "index.html").exists() and (out / "00_data_quality.html").exists()
    manifest = json.loads((out / "00_data_quality.manifest.json").read_text())
    assert (out / "00_data_quality" / "rejects.csv").exists()  # the notebook's export
    assert "00_data_quality/rejects.csv" in json.dumps(manifest)
