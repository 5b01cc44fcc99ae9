"""Exports: no formula leaves in a CSV, numbers untouched, files written whole or not at all."""

from __future__ import annotations

import pandas as pd
import pytest

import workbench as wb
from workbench.exports import atomic_path, neutralise_formulas, write_csv, write_tables

HOSTILE = ["=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\tx", "\rx",
           "Ann", "-12.5", "+33", None]


def test_text_cells_that_spreadsheets_run_are_neutralised_numbers_untouched():
    frame = pd.DataFrame({"name": HOSTILE, "amount": [-1.5] * len(HOSTILE),
                          "seg": pd.Categorical(["=1+1"] * len(HOSTILE)), "=bad": range(len(HOSTILE))})
    out = neutralise_formulas(frame)
    assert [None if pd.isna(v) else v for v in out["name"]] == ["'=HYPERLINK(\"http://x\",\"y\")", "'+cmd|' /C calc'!A0", "'-2+3",
                                    "'@SUM(A1:A9)", "'\tx", "'\rx", "Ann", "-12.5", "+33", None]
    assert out["amount"].tolist() == [-1.5] * len(HOSTILE)
    assert set(out["seg"]) == {"'=1+1"}
    assert list(out.columns) == ["name", "amount", "seg", "'=bad"]
    assert frame["name"][0].startswith("=")  # the input is not changed


def test_write_tables_neutralises_unless_asked_not_to(tmp_path):
    frame = pd.DataFrame({"name": ["=1+1", "Bob"]})
    (path,) = write_tables(tmp_path, x=frame)
    assert path.read_text(encoding="utf-8-sig").splitlines() == ["name", "'=1+1", "Bob"]
    (path,) = write_tables(tmp_path, x=frame, neutralise=False)
    assert path.read_text(encoding="utf-8-sig").splitlines() == ["name", "=1+1", "Bob"]


def test_a_failed_write_leaves_the_previous_file_and_no_partial(tmp_path, monkeypatch):
    path = write_csv(pd.DataFrame({"a": [1]}), tmp_path / "t.csv")
    before = path.read_bytes()

    def disk_full(self, target, *args, **kwargs):
        with open(target, "w") as fh:
            fh.write("a\n1")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_csv(pd.DataFrame({"a": range(1000)}), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_atomic_path_renames_only_when_complete(tmp_path):
    target = tmp_path / "r.html"
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert not list(tmp_path.iterdir())
    with atomic_path(target) as tmp:
        tmp.write_text("whole")
    assert target.read_text() == "whole" and len(list(tmp_path.iterdir())) == 1


def test_rfm_export_and_rejects_carry_no_formula(tmp_path):
    (tmp_path / "customers.csv").write_text(
        "customer_id,name,email,age\n=HYPERLINK(1),Ann,a@x.org,30\nC2,@SUM(1),b@x.org,150\n"
        "C3,Cy,c@x.org,40\n")
    (tmp_path / "orders.csv").write_text(
        "order_id,customer_id,order_date,amount\nO1,=HYPERLINK(1),2024-01-05,10\nO2,C3,2024-02-01,-5\n"
        "O3,C3,2024-03-01,20\n")
    crm = wb.load(tmp_path, as_of="2024-12-31")
    out = tmp_path / "out"
    paths = wb.quality.write_rejects(crm, out)
    rejected = pd.read_csv(out / "rejected_customers.csv", encoding="utf-8-sig", dtype=str)
    assert rejected.columns.tolist() == ["row", "customer_id", "age", "reasons"]  # no name nor e-mail
    full = wb.quality.write_rejects(crm, tmp_path / "full", full_rows=True)
    assert "email" in pd.read_csv(full[1], encoding="utf-8-sig").columns
    result = wb.rfm.score(crm, as_of="2024-12-31", bins=2)
    paths.append(wb.rfm.export(result, out / "rfm.csv"))
    for path in paths:
        for line in path.read_text(encoding="utf-8-sig").splitlines():
            for cell in line.split(","):
                assert not cell.strip('"').startswith(("=", "+", "@")), (path.name, line)
    assert "'=HYPERLINK(1)" in (out / "rfm.csv").read_text()


def test_cli_export_on_a_full_disk_is_exit_4_and_leaves_no_file(tmp_path, monkeypatch, capsys):
    import os

    from workbench import cli

    def full(src, dst, *args, **kwargs):
        raise OSError(28, "No space left on device", str(dst))

    monkeypatch.setattr(os, "replace", full)
    out = tmp_path / "out" / "rfm.csv"
    code = cli.main(["rfm", "--data", "demo", "--as-of", "2025-12-31", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == cli.EXIT_OS and "No space left on device" in err and "rfm.csv" in err
    assert list(out.parent.iterdir()) == []
