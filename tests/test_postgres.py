"""A PostgreSQL database as a source: same results as the Parquet files it was loaded from.

A throwaway server (tests/pg_server.py) holds the demo company (300 customers); the Parquet
export of the same company is the reference.
"""

from __future__ import annotations

import json
from collections import Counter

import pandas as pd
import pytest

import workbench as wb
from workbench import demo, report
from workbench.cli import main
from workbench.data.postgres import mask_url
from workbench.data.sources import SourceError

AS_OF = "2025-12-31"
CUSTOMERS = 300


@pytest.fixture(scope="module")
def parquet(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_parquet")
    demo.write(out, customers=CUSTOMERS, seed=42, file_format="parquet")
    return out


@pytest.fixture(scope="module")
def pg(pg_server, parquet):
    """The server with the demo company in schema public, and its orders again in schema sales."""
    frames = {p.stem: pd.read_parquet(p) for p in sorted(parquet.glob("*.parquet")) if p.stem in wb.CONTRACT}
    pg_server.load_frames(frames)
    pg_server.load_frames({"order_lines": frames["orders"]}, schema="sales")
    return pg_server


@pytest.fixture
def password(monkeypatch, tmp_path):
    """The password through PGPASSWORD, as a user sets it (never in the URL)."""
    from pg_server import PASSWORD

    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-pgpass"))
    return PASSWORD


def _mapping(tmp_path, text: str):
    path = tmp_path / "m.yml"
    path.write_text(text)
    return path


def test_rfm_from_postgres_is_the_same_as_from_parquet(pg, parquet, password):
    expected = wb.rfm.score(wb.load(parquet, as_of=AS_OF), as_of=AS_OF)
    got = wb.rfm.score(wb.load(pg.url(), as_of=AS_OF), as_of=AS_OF)
    assert len(got.table) == CUSTOMERS
    pd.testing.assert_frame_equal(got.table, expected.table)
    pd.testing.assert_frame_equal(got.segment_report.sizes, expected.segment_report.sizes)


def test_quality_and_every_table_are_the_same_as_from_parquet(pg, parquet, password):
    crm, ref = wb.load(pg.url(), as_of=AS_OF).load_all(), wb.load(parquet, as_of=AS_OF).load_all()
    assert crm.available == ref.available
    columns = [c for c in crm.quality.columns if c != "file"]
    pd.testing.assert_frame_equal(crm.quality[columns], ref.quality[columns])
    assert crm.quality["read"].sum() > 5000
    assert crm.quality.loc[crm.quality["table"] == "orders", "file"].item() == f"{mask_url(pg.url())} orders"
    for name in crm.available:
        pd.testing.assert_frame_equal(crm[name], ref[name], obj=name)


def test_a_mapping_names_a_schema_table_or_a_query(pg, password, tmp_path):
    mapping = _mapping(tmp_path, "tables:\n  customers: {table: public.customers}\n"
                                 "  orders: {table: sales.order_lines}\n"
                                 "  products: {sql: 'SELECT * FROM products WHERE product_id IS NOT NULL'}\n")
    crm = wb.load(pg.url(), mapping=mapping, as_of=AS_OF)
    ref = wb.load(pg.url(), as_of=AS_OF)
    assert crm.available == ["customers", "products", "orders"]
    pd.testing.assert_frame_equal(crm["orders"], ref["orders"])
    assert crm.quality["file"].tolist()[1] == f"{mask_url(pg.url())} query for products"


def test_credentials_from_the_url_or_pgpass_and_never_shown(pg, tmp_path, monkeypatch):
    from pg_server import PASSWORD, USER

    monkeypatch.delenv("PGPASSWORD", raising=False)
    crm = wb.load(pg.url(password=PASSWORD), as_of=AS_OF)
    assert len(crm["customers"]) == CUSTOMERS
    assert PASSWORD not in repr(crm) and PASSWORD not in crm.quality.to_string()
    assert f"{USER}:***@127.0.0.1" in crm.source
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{pg.port}:*:{USER}:{PASSWORD}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    assert len(wb.load(pg.url(), as_of=AS_OF)["customers"]) == CUSTOMERS


def test_a_wrong_password_names_the_source_without_the_password(pg, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    monkeypatch.delenv("PGPASSWORD", raising=False)
    url = pg.url(password="wrong-secret")
    with pytest.raises(SourceError, match=r"workbench:\*\*\*@127.0.0.1.*refused the password") as info:
        wb.load(url, as_of=AS_OF)["orders"]
    assert "wrong-secret" not in str(info.value)
    out = tmp_path / "rfm.csv"
    assert main(["rfm", "--data", url, "--as-of", AS_OF, "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert "refused the password" in err and "wrong-secret" not in err
    assert not out.exists()


def test_an_unreachable_server_is_one_clear_message(password, capsys, tmp_path):
    from pg_server import _free_port

    url = f"postgresql://workbench@127.0.0.1:{_free_port()}/crm"
    with pytest.raises(SourceError, match="cannot be reached"):
        wb.load(url)
    assert main(["validate", url]) == 3
    assert "cannot be reached" in capsys.readouterr().err


def test_a_missing_table_or_column_is_named(pg, password, tmp_path, capsys):
    mapping = _mapping(tmp_path, "tables:\n  orders: {table: sales.no_such_table}\n")
    with pytest.raises(SourceError, match=r"sales.*no_such_table.*does not exist"):
        wb.load(pg.url(), mapping=mapping, as_of=AS_OF)["orders"]
    mapping = _mapping(tmp_path, "tables:\n  orders: {table: sales.order_lines, match_names: false, "
                                 "columns: {customer_id: client, order_id: order_id, line_id: line_id, "
                                 "order_date: order_date, amount: amount}}\n")
    with pytest.raises(wb.data.ContractError, match="client"):
        wb.load(pg.url(), mapping=mapping, as_of=AS_OF)["orders"]
    out = tmp_path / "rfm.parquet"
    assert main(["rfm", "--data", pg.url(), "--mapping", str(mapping), "--as-of", AS_OF, "--out", str(out)]) == 3
    assert "client" in capsys.readouterr().err and not out.exists()


def test_a_connection_lost_midway_keeps_nothing(pg, password, tmp_path, capsys):
    # the query ends its own session after half the lines: the stream breaks midway
    mapping = _mapping(tmp_path, "tables:\n  orders:\n    sql: >-\n      SELECT *, CASE WHEN n > 1500 THEN "
                                 "pg_terminate_backend(pg_backend_pid()) END AS stop FROM (SELECT *, "
                                 "row_number() OVER () AS n FROM sales.order_lines) s\n")
    crm = wb.load(pg.url(), mapping=mapping, as_of=AS_OF)
    with pytest.raises(SourceError, match="connection was lost"):
        crm["orders"]
    tables = crm.engine().con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
    assert not [t for (t,) in tables if t.startswith("__pg_")], "a half-read table was kept"
    out = tmp_path / "rfm.csv"
    assert main(["rfm", "--data", pg.url(), "--mapping", str(mapping), "--as-of", AS_OF, "--out", str(out)]) == 3
    assert "connection was lost" in capsys.readouterr().err and not out.exists()


def test_workbench_run_refuses_a_password_in_the_url(tmp_path, capsys):
    code = main(["run", "00_data_quality", "--out", str(tmp_path / "r"), "-p", "data",
                 "postgresql://ann:hunter2@db.example/crm"])
    assert code == 2
    err = capsys.readouterr().err
    assert "PGPASSWORD" in err and ".pgpass" in err and "hunter2" not in err
    assert not (tmp_path / "r").exists()


@pytest.mark.notebook
def test_notebooks_give_the_same_figures_from_postgres_and_parquet(pg, parquet, password, tmp_path):
    notebooks = report.resolve_notebooks(["00_data_quality", "02_rfm_scoring"], notebooks_dir="notebooks")
    runs = {}
    for label, data in (("pg", pg.url()), ("parquet", str(parquet))):
        runs[label] = report.run(notebooks, out_dir=tmp_path / label, parameters={"data": data},
                                 workers=2, progress=False)
        assert runs[label].ok, [r.error for r in runs[label].reports]
    for got, expected in zip(runs["pg"].reports, runs["parquet"].reports, strict=True):
        figures = {k: v for k, v in got.figures.items() if k != "source"}
        assert figures == {k: v for k, v in expected.figures.items() if k != "source"}, got.name
        assert got.figures.get("source", pg.url()) == pg.url()
        manifest = json.loads(got.html.with_name(f"{got.name}.manifest.json").read_text())
        assert manifest["parameters"]["data"] == pg.url()
        for path in got.html.parent.iterdir():
            if path.is_file():
                assert password not in path.read_text(encoding="utf-8", errors="replace"), path.name


def test_rfm_computed_inside_postgres_is_the_same_as_the_embedded_engine(pg, parquet, password, tmp_path):
    inside, embedded = tmp_path / "inside.parquet", tmp_path / "embedded.parquet"
    assert main(["rfm", "--data", pg.url(), "--engine", "postgres", "--as-of", AS_OF, "--out", str(inside)]) == 0
    assert main(["rfm", "--data", str(parquet), "--as-of", AS_OF, "--out", str(embedded)]) == 0
    got, expected = pd.read_parquet(inside), pd.read_parquet(embedded)
    assert len(got) == CUSTOMERS
    pd.testing.assert_frame_equal(got, expected)


def test_the_contract_is_checked_inside_postgres(pg, password):
    from workbench.data.backends import load_remote

    pg.execute("CREATE TABLE IF NOT EXISTS bad_orders AS SELECT * FROM sales.order_lines")
    # three negative prices, one order dated after as_of, one line of an unknown product, all on
    # lines that were good (the demo plants bad lines with ids LBAD... and a repeated line id)
    good = ("SELECT line_id FROM bad_orders WHERE line_id NOT LIKE 'LBAD%' GROUP BY line_id "
            "HAVING count(*) = 1 ORDER BY line_id")
    pg.execute("UPDATE bad_orders SET unit_price = -5 WHERE line_id IN "
               f"({good} LIMIT 3)")
    pg.execute("UPDATE bad_orders SET order_date = '2026-02-01' WHERE line_id IN "
               f"({good} DESC LIMIT 1)")
    pg.execute("UPDATE bad_orders SET product_id = 'NOPE' WHERE line_id IN "
               f"({good} DESC OFFSET 1 LIMIT 1)")
    mapping = {"tables": {"customers": {}, "products": {}, "orders": {"table": "bad_orders"}}}
    from workbench.data.mapping import parse_mapping

    inside = load_remote(pg.url(), engine="postgres", mapping=parse_mapping(mapping), as_of=AS_OF)
    embedded = wb.load(pg.url(), mapping=parse_mapping(mapping), as_of=AS_OF).load_all()
    assert inside.quality[["table", "read", "accepted", "rejected"]].to_dict("records") == \
        embedded.quality[["table", "read", "accepted", "rejected"]].to_dict("records")
    # the demo's own planted bad lines are rejected too: compare with the unchanged table
    clean = {"tables": {"customers": {}, "products": {}, "orders": {"table": "sales.order_lines"}}}
    before = load_remote(pg.url(), engine="postgres", mapping=parse_mapping(clean), as_of=AS_OF).checked["orders"]
    assert inside.checked["orders"].rejected == before.rejected + 5
    added = Counter(inside.checked["orders"].by_rule)
    added.subtract(before.by_rule)
    assert +added == {"range:unit_price>=0": 3, "after_as_of:order_date": 1, "reference:products": 1}


def test_a_wrong_password_inside_postgres_exits_3(pg, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    monkeypatch.delenv("PGPASSWORD", raising=False)
    out = tmp_path / "rfm.csv"
    code = main(["rfm", "--data", pg.url(password="nope-x"), "--engine", "postgres", "--as-of", AS_OF,
                 "--out", str(out)])
    assert code == 3 and not out.exists()
    err = capsys.readouterr().err
    assert "refused the password" in err and "nope-x" not in err


def test_a_mapping_that_filters_takes_the_pandas_path_with_the_same_rows(pg, password, tmp_path):
    # `where` is applied by the pandas path (the reference): the table is read whole, then filtered
    mapping = _mapping(tmp_path, "tables:\n  customers: {}\n  products: {}\n"
                                 "  orders: {table: sales.order_lines, where: amount > 0}\n")
    crm = wb.load(pg.url(), mapping=mapping, as_of=AS_OF)
    whole = wb.load(pg.url(), as_of=AS_OF)
    ref = whole["orders"]
    kept = ref[ref["amount"] > 0].reset_index(drop=True)
    pd.testing.assert_frame_equal(crm["orders"].reset_index(drop=True), kept, check_dtype=False)
    row = crm.loaded_quality.set_index("table").loc["orders"]
    ref_row = whole.loaded_quality.set_index("table").loc["orders"]
    # every line of the table is read (the demo's planted bad lines included, then rejected);
    # the lines `where` leaves out are counted as excluded, not as rejected
    assert row["read"] == ref_row["read"] > len(ref)
    assert row["excluded"] == len(ref) - len(kept)
    assert row["rejected"] == ref_row["rejected"]


def test_inside_postgres_an_unreachable_server_missing_table_or_column_exit_3(pg, password, tmp_path, capsys):
    from pg_server import _free_port

    out = tmp_path / "rfm.parquet"
    args = ["rfm", "--engine", "postgres", "--as-of", AS_OF, "--out", str(out)]
    assert main([*args, "--data", f"postgresql://workbench@127.0.0.1:{_free_port()}/crm"]) == 3
    assert "cannot be reached" in capsys.readouterr().err
    missing = _mapping(tmp_path, "tables:\n  orders: {table: sales.no_such_table}\n")
    assert main([*args, "--data", pg.url(), "--mapping", str(missing)]) == 3
    assert "no_such_table" in capsys.readouterr().err
    renamed = _mapping(tmp_path, "tables:\n  orders: {table: sales.order_lines, match_names: false, "
                                 "columns: {customer_id: client, order_id: order_id, line_id: line_id, "
                                 "order_date: order_date, amount: amount}}\n")
    assert main([*args, "--data", pg.url(), "--mapping", str(renamed)]) == 3
    assert "client" in capsys.readouterr().err
    assert not out.exists()


def test_inside_postgres_a_connection_lost_midway_writes_nothing(pg, password, tmp_path, capsys):
    # the server ends the session while it computes the checks: nothing comes back, nothing is written
    mapping = _mapping(tmp_path, "tables:\n  orders:\n    sql: >-\n      SELECT *, CASE WHEN n > 1500 THEN "
                                 "pg_terminate_backend(pg_backend_pid()) END AS stop FROM (SELECT *, "
                                 "row_number() OVER () AS n FROM sales.order_lines) s\n")
    out = tmp_path / "rfm.parquet"
    code = main(["rfm", "--data", pg.url(), "--engine", "postgres", "--mapping", str(mapping), "--as-of", AS_OF,
                 "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 3, err
    assert "connection was lost" in err and password not in err
    assert not out.exists()
