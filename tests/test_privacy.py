"""Pseudonymised loads: keyed-hash customer ids everywhere, no names, e-mails, phones, addresses."""

from __future__ import annotations

import pandas as pd
import pytest

import workbench as wb
from workbench import cli
from workbench.data.privacy import KEY_VARIABLE, personal_columns, pseudonym

CUSTOMERS = ("id,name,email,phone,street,city,age\nC1,Ann Lee,ann@x.org,+33 1 23,1 rue A,Paris,34\n"
             "C2,Bob Roe,bob@x.org,+33 4 56,2 rue B,Lyon,151\nC3,Cy Doe,cy@x.org,+33 7 89,3 rue C,Nice,40\n")
ORDERS = "order_id,customer_id,order_date,amount\nO1,C1,2024-01-05,10\nO2,C3,2024-02-01,20\nO3,C2,2024-03-01,5\n"
MAPPING = ("tables:\n  customers:\n    file: customers.csv\n    columns: {customer_id: id}\n"
           "    extra: {email: string, phone: string, street: string}\n  orders:\n    file: orders.csv\n")


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_VARIABLE, "test-key")
    (tmp_path / "customers.csv").write_text(CUSTOMERS)
    (tmp_path / "orders.csv").write_text(ORDERS)
    (tmp_path / "m.yml").write_text(MAPPING)
    return tmp_path


def test_ids_are_keyed_hashes_that_still_join_and_personal_columns_go(folder):
    plain = wb.load(folder, mapping=folder / "m.yml", as_of="2024-12-31")
    crm = wb.load(folder, mapping=folder / "m.yml", as_of="2024-12-31", pseudonymise=True)
    customers = crm["customers"]
    assert {"name", "email", "phone", "street"}.isdisjoint(customers.columns)
    assert {"city", "age"} <= set(customers.columns)
    assert customers["customer_id"].str.fullmatch(r"p_[0-9a-f]{16}").all()
    assert set(crm["orders"]["customer_id"]) <= set(customers["customer_id"])  # joins still work
    assert len(crm["customers"]) == len(plain["customers"])
    assert crm.quality.equals(plain.quality)  # nothing lost
    assert any("pseudonymised" in n for n in crm.notes)
    assert crm.table("orders").count().execute() == 2  # the engine sees the pseudonymised tables
    # same key, same pseudonym; another key, another one
    assert pseudonym(pd.Series(["C1"]), key=b"test-key")[0] == \
        customers["customer_id"][plain["customers"]["customer_id"].eq("C1").to_numpy()].iloc[0]
    assert pseudonym(pd.Series(["C1"]), key=b"other")[0] != pseudonym(pd.Series(["C1"]), key=b"test-key")[0]


def test_rejects_and_rejected_rows_carry_no_personal_data(folder, tmp_path):
    crm = wb.load(folder, mapping=folder / "m.yml", as_of="2024-12-31", pseudonymise=True)
    assert not crm.ok
    text = "".join(p.read_text(encoding="utf-8-sig")
                   for p in wb.quality.write_rejects(crm, tmp_path / "out", full_rows=True))
    for secret in ("C2", "Bob", "bob@x.org", "+33 4 56", "2 rue B"):
        assert secret not in text, secret
    assert "151" in text  # the value to fix is still there


def test_personal_column_names():
    assert personal_columns(["name", "E-mail", "Phone Number", "zip", "consent_email", "consent_phone",
                             "city", "first name", "address_line_1", "channel"]) == \
        ["name", "E-mail", "Phone Number", "zip", "first name", "address_line_1"]


def test_cli_rfm_export_pseudonymised(folder, capsys):
    out = folder / "rfm.csv"
    code = cli.main(["rfm", "--data", str(folder), "--mapping", str(folder / "m.yml"), "--as-of",
                     "2024-12-31", "--out", str(out), "--bins", "2", "--pseudonymise"])
    assert code == 0, capsys.readouterr().err
    ids = pd.read_csv(out, dtype=str)["customer_id"]
    assert ids.str.startswith("p_").all() and not ids.isin(["C1", "C2", "C3"]).any()


def test_the_manifest_records_pseudonymisation(tmp_path):
    from workbench.report.plan import Job
    from workbench.report.record import _manifest

    job = Job("r", tmp_path / "r.ipynb", tmp_path, {"pseudonymise": True}, {"pseudonymise": True, "seed": 1},
              {}, False, None, None)
    assert _manifest(job, "ok", None, started="t", duration=1.0, exports=[])["pseudonymised"] is True
    job = Job("r", tmp_path / "r.ipynb", tmp_path, {}, {"seed": 1}, {}, False, None, None)
    assert _manifest(job, "ok", None, started="t", duration=1.0, exports=[])["pseudonymised"] is False
