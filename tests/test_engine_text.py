"""CSV and text files parsed in the engine give what the pandas path (the reference) gives.

Every loading test of ``test_loading.py`` and ``test_loading_dialects.py`` runs again here, with
``wb.load`` loading its source through both paths (``engine=False``: pandas; the default: DuckDB
reads the text files, SQL parses them) and asserting identical reconciliation, rejects, rejected
rows, accepted tables and notes, or the same error; the test then goes on with the engine's
result. Deliberate differences: none in these outcomes. The engine declines some files (other
encodings, ragged rows, blank lines, quoted line breaks, duplicated header names) and leaves
them to the pandas path, which is then compared with itself: ``test_engine_reads_*`` below say
which fixtures it does take.
"""

from __future__ import annotations

import logging

import pytest
from test_engine import assert_same_load as assert_same
from test_loading import *  # noqa: F403  (their tests run again here, through both paths)
from test_loading_dialects import *  # noqa: F403

import workbench as wb
from workbench.data import dataset

_load = dataset.load


def _outcome(crm):
    try:
        crm.load_all()
    except Exception as exc:  # noqa: BLE001 (the same error is expected of both paths)
        return f"{type(exc).__name__}: {exc}"
    return None




def _both(data, *args, **options):
    if "engine" in options:  # the test chose its path
        return _load(data, *args, **options)
    try:
        old = _load(data, *args, **{**options, "engine": False})
    except Exception as exc:  # noqa: BLE001
        with pytest.raises(type(exc)) as new_exc:
            _load(data, *args, **options)
        assert str(new_exc.value) == str(exc)
        raise
    new = _load(data, *args, **options)
    old_error, new_error = _outcome(old), _outcome(new)
    assert new_error == old_error
    if old_error is None:
        assert_same(old, new)
    return _load(data, *args, **options)


@pytest.fixture(autouse=True)
def _through_both_paths(monkeypatch):
    monkeypatch.setattr(wb, "load", _both)
    monkeypatch.setattr(dataset, "load", _both)


def _engine_took(caplog, file: str) -> bool:
    return any(f"{file}: read by DuckDB" in r.getMessage() for r in caplog.records)


def test_engine_reads_plain_csv_and_parses_every_rule(tmp_path, caplog):
    (tmp_path / "customers.csv").write_text(
        "customer_id;kind;age;network_score;newsletter_subscribed;first_contact_date\n"
        "C1;Person;34;1,5;oui;05/01/2024\nC2; company ;(12);1.234,5;x;2024-02-30\n"
        "C3;robot;40-;€ 3,25;maybe;31/12/2023\nC1;person;1e5;abc;no;\nC5;person;12345678901234567890;;;\n")
    (tmp_path / "orders.csv").write_text(
        "order_id,line_id,customer_id,order_date,amount\nO1,L1,C1,2024-01-05,10.5\n"
        'O2,L2,C2,2024-02-01T10:00:00+02:00,"1,234"\nO3,L3,C9,2026-03-01,7\nO4,L4,C3,05/03/2024,$12\n'
        "O5,L5,C1,2024-01-06,(3.5)\n")
    with caplog.at_level(logging.INFO):
        crm = wb.load(tmp_path, as_of="2024-12-31").load_all()
    assert _engine_took(caplog, "customers.csv") and _engine_took(caplog, "orders.csv")
    assert type(crm._loader.results["orders"]).__name__ == "EngineResult"
    reasons = set(crm.rejects["reason"])
    assert "age '12345678901234567890' is not a whole number" in reasons
    assert "order_date '05/03/2024' is not a date (YYYY-MM-DD)" in reasons
    assert crm["orders"]["amount"].tolist() == [10.5, -3.5]
    assert crm.rejects.set_index("row").loc[4, "line"].iloc[0] == 5


@pytest.mark.parametrize("content, why", [
    ("customer_id,name\nC1,Ann\n\nC2,Bob\n", "blank lines"),
    ('customer_id,name\nC1,"Ann\nSmith"\n', "quoted line breaks"),
    ("customer_id,name\nC1,Ann,x\n", "CSV Error on Line: 2"),
    ("customer_id,name,name\nC1,Ann,Ann\n", "duplicated or blank header names"),
])
def test_engine_declines_what_the_reference_reader_does_better(tmp_path, caplog, content, why):
    (tmp_path / "customers.csv").write_text(content)
    with caplog.at_level(logging.INFO):
        wb.load(tmp_path, as_of="2024-12-31").load_all()
    assert not _engine_took(caplog, "customers.csv")
    assert any("read and parsed in pandas, not in the engine" in r.getMessage() and why in r.getMessage()
               for r in caplog.records)


def test_engine_reads_a_cp1252_export_with_a_mapping_that_recodes_derives_and_filters(tmp_path, caplog):
    (tmp_path / "ventes.csv").write_bytes(
        "N° client;Date;Qté;Prix unitaire;Canal\nA1;05/01/2024;2;1 234,50 €;Magasin \nA2;31/12/2023;1;12,5;Internet\n"
        "A3;01/02/2024;0;987,00;Magasin\nA4;01/13/2024;1;3,00;Téléphone\n".encode("cp1252"))
    (tmp_path / "m.yml").write_text(
        "source: {sep: ';'}\ntables:\n  orders:\n    file: ventes.csv\n    columns: {customer_id: N° client, "
        "order_date: Date, quantity: Qté, unit_price: Prix unitaire, channel: Canal}\n"
        "    values: {channel: {Magasin: store, Internet: web}}\n    derive: {order_id: row_number, "
        "line_id: \"customer_id + '-' + order_id\"}\n    where: quantity != 0\n", encoding="utf-8")
    with caplog.at_level(logging.INFO):
        crm = wb.load(tmp_path, mapping=tmp_path / "m.yml", as_of="2024-12-31").load_all()
    assert _engine_took(caplog, "ventes.csv")
    assert type(crm._loader.results["orders"]).__name__ == "EngineResult"
    orders = crm["orders"]
    assert orders["channel"].tolist() == ["store", "web"] and orders["amount"].tolist() == [2469.0, 12.5]
    assert orders["line_id"].tolist() == ["A1-1", "A2-2"]
    q = crm.quality.set_index("table").loc["orders"]
    assert (q["read"], q["accepted"], q["rejected"], q["excluded"]) == (4, 2, 1, 1)
    assert any("read as cp1252" in n for n in crm.notes)
