"""The workbench command: validate prints the summary and uses documented exit codes."""

from __future__ import annotations

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
