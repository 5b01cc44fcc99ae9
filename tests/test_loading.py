"""Loading: every file dialect, mappings, contract checks, rejects and reconciliation."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

import workbench as wb
from workbench.data.mapping import MappingError
from workbench.data.sources import SourceError
from workbench.data.validation import ContractError

CUSTOMERS = "customer_id,name,age\nC1,Ann,34\nC2,Bob,51\n"
ORDERS = ("order_id,customer_id,order_date,amount\n"
          "O1,C1,2024-01-05,10.5\nO2,C2,2024-02-01,20\nO3,C1,2024-03-01,-10.5\n")


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def folder(tmp_path):
    write(tmp_path / "customers.csv", CUSTOMERS)
    write(tmp_path / "orders.csv", ORDERS)
    return tmp_path


def test_folder_of_contract_named_csv_files(folder):
    crm = wb.load(folder, as_of="2025-12-31")
    assert list(crm.tables) == ["customers", "orders"]
    orders = crm["orders"]
    assert orders["amount"].tolist() == [10.5, 20.0, -10.5]
    assert orders["order_date"].dtype == "datetime64[ns]"
    assert crm["customers"]["age"].dtype == "Int64"
    assert crm.ok
    assert crm.quality.set_index("table").loc["orders", ["read", "accepted", "rejected"]].tolist() == [3, 3, 0]


@pytest.mark.parametrize(
    ("sep", "encoding", "bom"),
    [(",", "utf-8", False), (";", "utf-8", True), ("\t", "cp1252", False), ("|", "latin-1", False)],
)
def test_separators_and_encodings(tmp_path, sep, encoding, bom):
    text = f"customer_id{sep}name{sep}city\nC1{sep}Hélène{sep}Orléans\nC2{sep}Zoë{sep}Besançon\n"
    raw = text.encode(encoding)
    (tmp_path / "customers.csv").write_bytes((b"\xef\xbb\xbf" if bom else b"") + raw)
    crm = wb.load(tmp_path)
    customers = crm["customers"]
    assert customers.columns.tolist() == ["customer_id", "name", "city"]  # no BOM in the first name
    assert customers["name"].tolist() == ["Hélène", "Zoë"]
    assert customers["city"].tolist() == ["Orléans", "Besançon"]


def test_whitespace_separated_with_yyyymmdd_dates(tmp_path):
    write(tmp_path / "orders.txt",
          " customer_id  date number  amount\n 00001 19970101  1   11.77\n 00002 19970112  2   12.00\n")
    mapping = tmp_path / "m.yml"
    write(mapping, "source: {sep: whitespace}\ntables:\n  orders:\n    file: orders.txt\n"
          "    columns: {customer_id: customer_id, order_date: date, amount: amount}\n"
          "    derive: {order_id: row_number}\n")
    orders = wb.load(tmp_path, mapping=mapping)["orders"]
    assert orders["customer_id"].tolist() == ["00001", "00002"]  # zero padding kept
    assert orders["order_date"].tolist() == [pd.Timestamp("1997-01-01"), pd.Timestamp("1997-01-12")]
    assert orders["order_id"].tolist() == ["1", "2"]


def test_french_export_semicolon_decimal_comma_day_first(tmp_path):
    text = ("Client;Date;Montant\nA;05/01/2024;1 234,56\nB;31/12/2023;12,5\nC;01/02/2024;\u00a0987,00\n")
    write(tmp_path / "ventes.csv", text, "cp1252")
    mapping = write(tmp_path / "m.yml", """
source: {sep: ";"}
tables:
  orders:
    file: ventes.csv
    columns: {customer_id: Client, order_date: Date, amount: Montant}
    derive: {order_id: row_number}
""")
    orders = wb.load(tmp_path, mapping=mapping)["orders"]
    assert orders["amount"].tolist() == [1234.56, 12.5, 987.0]
    assert orders["order_date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-05", "2023-12-31", "2024-02-01"]


def test_shipped_french_example_loads_without_edits():
    crm = wb.load("data/examples/fr_export", mapping="data/examples/fr_export/mapping.yml",
                  as_of="2025-12-31")
    assert crm.ok
    assert crm["orders"]["amount"].sum() == pytest.approx(25 + 53.4 + 12.5 + 49382.4 + 26.7 + 2450 - 12.5 + 30864)
    assert crm["customers"]["kind"].value_counts().to_dict() == {"person": 3, "company": 2}
    assert crm["customers"].loc[0, "name"] == "Élodie Lefèvre"
    assert crm["customers"]["newsletter_subscribed"].tolist() == [True, False, True, True, False]


def test_excel_parquet_and_duckdb_sources(tmp_path):
    frame = pd.DataFrame({"customer_id": ["C1", "C2"], "age": [30, 40]})
    xl = tmp_path / "xl"
    xl.mkdir()
    frame.to_excel(xl / "customers.xlsx", index=False)
    pq = tmp_path / "pq"
    pq.mkdir()
    frame.to_parquet(pq / "customers.parquet")
    db = tmp_path / "crm.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create table customers as select * from frame")
        con.execute("create table notes as select 1 as x")
    for source in (xl, pq, db):
        crm = wb.load(source)
        assert crm["customers"]["customer_id"].tolist() == ["C1", "C2"], source
        assert crm["customers"]["age"].tolist() == [30, 40], source
    assert any("notes" in n for n in wb.load(db).notes)


def test_row_level_problems_are_rejected_with_file_line_column_value(folder):
    write(folder / "customers.csv", CUSTOMERS + "C3,Cy,150\nC1,Dup,20\n")
    write(folder / "orders.csv", ORDERS + "O4,C9,2024-01-01,5\nO5,C2,2024-13-45,5\nO6,C2,2026-01-02,abc\n")
    crm = wb.load(folder, as_of="2025-12-31", unknown_customers="reject")
    r = crm.rejects
    by_reason = {(x.file, x.line, x.column): x.reason for x in r.itertuples()}
    assert by_reason[("customers.csv", 4, "age")] == "age 150 is outside the allowed range (0–120)"
    assert by_reason[("customers.csv", 5, "customer_id")].startswith("duplicate key customer_id = C1")
    assert by_reason[("orders.csv", 5, "customer_id")] == "customer_id 'C9' is not in customers"
    assert by_reason[("orders.csv", 6, "order_date")] == "order_date '2024-13-45' is not a date (YYYY-MM-DD)"
    assert by_reason[("orders.csv", 7, "amount")] == "amount 'abc' is not a number"
    assert by_reason[("orders.csv", 7, "order_date")] == \
        "order_date 2026-01-02 is after the analysis date as_of 2025-12-31"
    q = crm.quality.set_index("table")
    assert q.loc["customers", ["read", "accepted", "rejected"]].tolist() == [4, 2, 2]
    assert q.loc["orders", ["read", "accepted", "rejected"]].tolist() == [6, 3, 3]
    assert crm.rejected_rows["orders"]["row"].tolist() == [4, 5, 6]
    assert "abc" in crm.rejected_rows["orders"].iloc[2].tolist()  # raw values kept to fix


def test_orders_of_a_rejected_customer_say_so(folder):
    write(folder / "customers.csv", "customer_id,name,age\nC1,Ann,34\nC2,Bob,-3\n")
    crm = wb.load(folder)
    reasons = crm.rejects.loc[crm.rejects["table"] == "orders", "reason"].tolist()
    assert reasons == ["customer_id 'C2' refers to a customers row that was rejected (see its reason)"]


def test_missing_required_column_is_fatal_and_names_file_and_fix(folder):
    write(folder / "orders.csv", "order_id,customer_id,amount\nO1,C1,3\n")
    with pytest.raises(ContractError, match=r"orders.csv: required column 'order_date' of table orders "
                                            r"is missing; columns found: order_id, customer_id, amount"):
        wb.load(folder).load_all()  # a table is read when first used


def test_unreadable_and_missing_sources_are_fatal(tmp_path):
    with pytest.raises(SourceError, match="no such file or folder"):
        wb.load(tmp_path / "nope")
    (tmp_path / "orders.parquet").write_bytes(b"not parquet")
    with pytest.raises(SourceError, match="orders.parquet: not a readable Parquet file"):
        wb.load(tmp_path).load_all()
    empty = tmp_path / "e"
    empty.mkdir()
    write(empty / "readme.txt", "hello")
    with pytest.raises(SourceError, match="no file named after a contract table"):
        wb.load(empty)


def test_unknown_files_are_reported_not_silently_skipped(folder):
    write(folder / "ventes_2023.csv", "a,b\n1,2\n")
    assert wb.load(folder).notes == ["files that match no contract table, not loaded: ventes_2023.csv"]


def test_amount_derived_from_quantity_and_unit_price(tmp_path):
    write(tmp_path / "orders.csv", "order_id,customer_id,order_date,quantity,unit_price\n"
          "O1,C1,2024-01-01,3,2.5\nO1,C1,2024-01-01,-1,2.5\n")
    assert wb.load(tmp_path)["orders"]["amount"].tolist() == [7.5, -2.5]


def test_mapping_typos_are_errors_naming_file_and_key(tmp_path):
    bad = write(tmp_path / "m.yml", "tables:\n  orders:\n    file: o.csv\n    colums: {}\n")
    with pytest.raises(MappingError, match=r"m.yml: tables.orders: unknown key 'colums' \(did you mean 'columns'\?\)"):
        wb.load(tmp_path, mapping=bad)
    bad = write(tmp_path / "m.yml", "tables:\n  order:\n    file: o.csv\n")
    with pytest.raises(MappingError, match=r"'order' is not a contract table \(did you mean 'orders'\?\)"):
        wb.load(tmp_path, mapping=bad)
    bad = write(tmp_path / "m.yml", "tables:\n  orders:\n    file: o.csv\n    columns: {amout: x}\n")
    with pytest.raises(MappingError, match=r"'amout' is not a column of orders \(did you mean 'amount'\?\)"):
        wb.load(tmp_path, mapping=bad)


def test_mapping_naming_a_column_the_file_lacks(folder):
    m = write(folder / "m.yml", "tables:\n  orders:\n    file: orders.csv\n"
              "    columns: {order_id: order_id, customer_id: client, order_date: order_date, amount: amount}\n")
    with pytest.raises(ContractError, match=r"from column 'client', which the file does not have"):
        wb.load(folder, mapping=m).load_all()


def test_mapping_recode_constant_where_extra_unpivot(tmp_path):
    write(tmp_path / "wide.csv", "Id,Channel,Fresh,Milk,bought\n1,1,10,20,1\n2,2,30,,0\n")
    m = write(tmp_path / "m.yml", """
tables:
  customers:
    file: wide.csv
    columns: {sector: Channel}
    values: {sector: {"1": Horeca, "2": Retail}}
    derive: {customer_id: row_number}
    constants: {kind: company}
  orders:
    file: wide.csv
    unpivot: {columns: [Fresh, Milk], names_to: category, values_to: amount}
    derive: {customer_id: row_number, order_id: row_number}
    constants: {order_date: "2014-12-31"}
    extra: {bought: int}
    where: bought == 1
""")
    crm = wb.load(tmp_path, mapping=m)
    assert crm["customers"][["customer_id", "sector", "kind"]].values.tolist() == [
        ["1", "Horeca", "company"], ["2", "Retail", "company"]]
    orders = crm["orders"]
    assert orders[["customer_id", "category", "amount"]].values.tolist() == [["1", "Fresh", 10.0], ["1", "Milk", 20.0]]
    q = crm.quality.set_index("table").loc["orders"]
    assert (q["read"], q["excluded"], q["accepted"], q["rejected"]) == (4, 2, 2, 0)


def test_reconciliation_always_balances(folder):
    write(folder / "orders.csv", ORDERS + "O4,C9,2024-01-01,5\n")
    recon = wb.quality.reconciliation(wb.load(folder))
    assert recon["balanced"].all()
    assert (recon["read"] == recon["accepted"] + recon["rejected"] + recon["excluded"]).all()


def test_require_names_the_missing_table(folder):
    crm = wb.load(folder)
    with pytest.raises(ContractError, match="RFM needs the table campaigns, which .* does not provide"):
        crm.require("orders", "campaigns", purpose="RFM")


def test_as_of_none_skips_future_check_and_strings_are_stripped(tmp_path):
    write(tmp_path / "customers.csv", "customer_id,gender,kind\n C1 ,f,PERSON\n")
    crm = wb.load(tmp_path)
    assert crm["customers"].iloc[0].tolist() == ["C1", "person", "F"]  # allowed values normalised


def test_gzip_compressed_csv_reads_as_its_inner_format(tmp_path):
    import gzip

    (tmp_path / "customers.csv.gz").write_bytes(gzip.compress("customer_id;name\nC1;Hélène\nC2;Zoë\n".encode("cp1252")))
    (tmp_path / "orders.csv.gz").write_bytes(gzip.compress(ORDERS.encode()))
    crm = wb.load(tmp_path, as_of="2025-12-31")
    assert crm["customers"]["name"].tolist() == ["Hélène", "Zoë"]  # encoding detected inside the archive
    assert crm["orders"]["amount"].tolist() == [10.5, 20.0, -10.5]
    assert crm.quality["file"].tolist() == ["customers.csv.gz", "orders.csv.gz"]
    (tmp_path / "orders.csv.gz").write_bytes(b"not gzip at all")
    with pytest.raises(SourceError, match="orders.csv.gz: not a readable gzip file"):
        wb.load(tmp_path).load_all()
    (tmp_path / "orders.csv.gz").unlink()
    (tmp_path / "orders.parquet.gz").write_bytes(gzip.compress(b"x"))
    with pytest.raises(SourceError, match="a compressed file must hold CSV or text"):
        wb.load(tmp_path).load_all()


def test_orders_of_customers_missing_from_a_partial_master_are_kept_and_counted(folder):
    write(folder / "customers.csv", CUSTOMERS + "C5,Eve,-4\n")
    write(folder / "orders.csv", ORDERS + "O4,C9,2024-01-01,5\nO5,C8,2024-01-02,6\nO6,C9,2024-01-03,7\n"
          "O7,C5,2024-01-04,8\n")
    crm = wb.load(folder, as_of="2025-12-31")
    q = crm.quality.set_index("table")
    assert q.loc["orders", ["read", "accepted", "rejected", "not_in_master"]].tolist() == [7, 6, 1, 2]
    assert q.loc["customers", "not_in_master"] == 0
    assert wb.quality.reconciliation(crm)["balanced"].all()
    # a customer row that was rejected still rejects its orders: only absent customers are kept
    assert crm.rejects.loc[crm.rejects["table"] == "orders", "reason"].tolist() == [
        "customer_id 'C5' refers to a customers row that was rejected (see its reason)"]
    assert any("3 orders rows of 2 customers not in the customer master were kept" in n for n in crm.notes)
    strict = wb.load(folder, as_of="2025-12-31", unknown_customers="reject")
    assert strict.quality.set_index("table").loc["orders", ["accepted", "rejected", "not_in_master"]].tolist() \
        == [3, 4, 0]
    with pytest.raises(ValueError, match="unknown_customers='drop'"):
        wb.load(folder, unknown_customers="drop")


def test_every_customer_keyed_table_keeps_the_rows_of_customers_not_in_a_partial_master():
    # shape partial_customer_master rejected 65-68 % of the contacts, incidents, survey answers
    # and interactions, while the orders of the same customers were kept as "not in master"
    full = wb.load("demo", demo_customers=150, seed=3, as_of="2025-12-31")
    crm = wb.load("demo:partial_customer_master", demo_customers=150, seed=3, as_of="2025-12-31")
    master = set(crm["customers"]["customer_id"])
    q = crm.quality.set_index("table")
    for table in ("orders", "campaign_contacts", "incidents", "interactions"):
        outside = ~crm[table]["customer_id"].isin(master)
        assert len(crm[table]) == len(full[table]) and outside.any(), table
        assert q.loc[table, "rejected"] == 0, table
        assert q.loc[table, "not_in_master"] == crm[table].loc[outside, "customer_id"].nunique(), table
        assert any(f"{table} rows of" in n and "not in the customer master were kept" in n
                   for n in crm.notes), table
    assert wb.quality.reconciliation(crm)["balanced"].all()
    strict = wb.load("demo:partial_customer_master", demo_customers=150, seed=3, as_of="2025-12-31",
                     unknown_customers="reject")
    rejected = strict.quality.set_index("table")["rejected"]
    assert (rejected[["orders", "campaign_contacts", "incidents", "interactions"]] > 0).all()


def test_buyers_missing_from_a_partial_master_are_scored_as_not_in_master(tmp_path):
    crm = wb.load("demo:partial_customer_master", demo_customers=150, seed=3, as_of="2025-12-31")
    res = wb.rfm.score(crm, as_of="2025-12-31")
    master = set(crm["customers"]["customer_id"])
    buyers = set(crm["orders"]["customer_id"])
    t = res.table.set_index("customer_id")
    assert set(t.index) == master | buyers  # the master's prospects and every buyer: nobody dropped
    outside = sorted(buyers - master)
    assert outside and sorted(t.index[~t["in_master"]]) == outside
    assert res.counts["not_in_master"] == len(outside) == crm.quality.set_index("table").loc["orders", "not_in_master"]
    assert any(f"{len(outside):,} customers with orders are not in the customer master" in n for n in res.notes)
    exported = pd.read_csv(wb.rfm.export(res, tmp_path / "rfm.csv"))
    assert exported.loc[~exported["in_master"], "customer_id"].astype(str).sort_values().tolist() == outside
