"""Real-world export shapes found in a try-out: each loads right, or fails with a clear message."""

from __future__ import annotations

import pandas as pd
import pytest

import workbench as wb
from workbench.cli import main
from workbench.data.mapping import MappingError
from workbench.data.sources import SourceError


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_trailing_separator_on_data_lines_does_not_shift_columns(tmp_path):
    write(tmp_path / "customers.csv", "customer_id;name;city\r\nC1;Elodie;Lyon;\r\nC2;Noel;Paris;\r\n")
    customers = wb.load(tmp_path)["customers"]
    assert customers[["customer_id", "name", "city"]].values.tolist() == [["C1", "Elodie", "Lyon"], ["C2", "Noel", "Paris"]]


def test_blank_lines_keep_line_numbers_exact_and_are_reported(tmp_path):
    write(tmp_path / "customers.csv", "customer_id;age\nC1;30\n\nC2;abc\n;\n")
    crm = wb.load(tmp_path)
    assert crm.rejects[["line", "reason"]].values.tolist() == [[4, "age 'abc' is not a whole number"]]
    assert "customers.csv: 2 blank line(s) hold no record and were skipped" in crm.notes
    assert crm.quality.set_index("table").loc["customers", ["read", "accepted", "rejected"]].tolist() == [2, 1, 1]


def test_partial_mapping_still_takes_columns_named_after_the_contract(tmp_path):
    write(tmp_path / "clients.csv", "N° Client;name;City;age\nC1;Ann;Lyon;40\n")
    m = write(tmp_path / "m.yml", "tables:\n  customers:\n    file: clients.csv\n    columns: {customer_id: n° client}\n")
    crm = wb.load(tmp_path, mapping=m)
    assert crm["customers"].iloc[0][["customer_id", "name", "city", "age"]].tolist() == ["C1", "Ann", "Lyon", 40]
    assert "customers columns taken by their names: name, age, city" in crm.notes[0]


def test_mapping_column_not_found_suggests_the_close_one(tmp_path):
    write(tmp_path / "clients.csv", "N° Client;Nom\nC1;Ann\n")
    m = write(tmp_path / "m.yml", "tables:\n  customers:\n    file: clients.csv\n    columns: {customer_id: No client}\n")
    with pytest.raises(wb.data.validation.ContractError, match=r"'No client', which the file does not have \(did you mean 'N° Client'\?\)"):
        wb.load(tmp_path, mapping=m).load_all()  # a table is read when first used


def test_where_never_hides_an_unreadable_row(tmp_path):
    write(tmp_path / "orders.csv", "order_id;customer_id;order_date;quantity;unit_price\n"
          "O1;C1;01/01/2024;1;10\nO2;C1;01/01/2024;0;10\nO3;C1;01/01/2024;1;dix\n")
    m = write(tmp_path / "m.yml", "tables:\n  orders:\n    file: orders.csv\n    where: quantity != 0 and unit_price > 0\n")
    crm = wb.load(tmp_path, mapping=m)
    q = crm.quality.set_index("table").loc["orders"]
    assert (q["read"], q["accepted"], q["excluded"], q["rejected"]) == (3, 1, 1, 1)
    assert crm.rejects["reason"].str.startswith("unit_price 'dix' is not").tolist() == [True]


def test_cascaded_reject_reason_with_a_renamed_key(tmp_path):
    write(tmp_path / "clients.csv", "N° client;age\nC1;200\nC2;30\n")
    write(tmp_path / "orders.csv", "order_id,customer_id,order_date,amount\nO1,C1,2024-01-01,5\n")
    m = write(tmp_path / "m.yml", "tables:\n  customers:\n    file: clients.csv\n    columns: {customer_id: N° client}\n"
              "  orders:\n    file: orders.csv\n")
    crm = wb.load(tmp_path, mapping=m)
    assert crm.rejects.loc[crm.rejects["table"] == "orders", "reason"].tolist() == [
        "customer_id 'C1' refers to a customers row that was rejected (see its reason)"]


def test_recoding_matches_trimmed_values(tmp_path):
    write(tmp_path / "clients.csv", "id;civ\nC1;Homme \nC2; Femme\n")
    m = write(tmp_path / "m.yml", "tables:\n  customers:\n    file: clients.csv\n    columns: {customer_id: id, gender: civ}\n"
              "    values: {gender: {Homme: M, Femme: F}}\n")
    assert wb.load(tmp_path, mapping=m)["customers"]["gender"].tolist() == ["M", "F"]


def test_date_order_reject_names_the_later_column_and_the_file_value(tmp_path):
    write(tmp_path / "customers.csv", "customer_id,first_contact_date,signature_date\nC4,05/03/2024,01/03/2024\n")
    r = wb.load(tmp_path).rejects.iloc[0]
    assert (r["column"], r["value"], r["rule"]) == ("signature_date", "01/03/2024", "dates out of order")
    assert r["reason"] == "signature_date 2024-03-01 is before first_contact_date 2024-03-05"


def test_a_timestamp_on_the_as_of_day_is_not_after_it(tmp_path):
    write(tmp_path / "campaign_contacts.csv", "campaign_id,customer_id,group,sent_at\n"
          "K1,C1,target,2025-12-31 10:00:00\nK1,C2,target,2026-01-01 00:00:00\n")
    crm = wb.load(tmp_path, as_of="2025-12-31")
    assert crm["campaign_contacts"]["customer_id"].tolist() == ["C1"]
    assert crm.rejects["reason"].tolist() == ["sent_at 2026-01-01 is after the analysis date as_of 2025-12-31"]


def test_table_files_a_mapping_leaves_out_are_reported(tmp_path):
    write(tmp_path / "customers.csv", "customer_id\nC1\n")
    write(tmp_path / "ventes.csv", "order_id,customer_id,order_date,amount\nO1,C999,2024-01-01,5\n")
    m = write(tmp_path / "m.yml", "tables:\n  orders:\n    file: ventes.csv\n")
    crm = wb.load(tmp_path, mapping=m)
    assert "files named after contract tables that the mapping does not use, not loaded: customers.csv" in crm.notes


@pytest.mark.parametrize(("yaml_text", "message"), [
    ("tables:\n  customers:\n    file: c.csv\n    values: {gender: F}\n", "expected 'raw value: new value' entries"),
    ("tables:\n  customers:\n    file: c.csv\n    skiprows: one\n", "expected a whole number of lines"),
    ("tables:\n  customers:\n    file: c.csv\n    header: yes please\n", "expected true or false"),
    ("tables:\n  customers:\n    file: c.csv\n    decimal: ';'\n", "expected ',' or '.'"),
])
def test_mis_shaped_mapping_values_are_clear_errors(tmp_path, yaml_text, message):
    write(tmp_path / "c.csv", "customer_id\nC1\n")
    with pytest.raises(MappingError, match=message):
        wb.load(tmp_path, mapping=write(tmp_path / "m.yml", yaml_text))


def test_wrong_or_unknown_encoding_is_a_clear_error(tmp_path):
    write(tmp_path / "c.csv", "customer_id;name\nC1;Hélène\n", "cp1252")
    for enc, message in (("cp1525", "unknown encoding 'cp1525'"), ("utf-8", "not readable as utf-8")):
        m = write(tmp_path / "m.yml", f"tables:\n  customers:\n    file: c.csv\n    encoding: {enc}\n")
        with pytest.raises(SourceError, match=message):
            wb.load(tmp_path, mapping=m).load_all()


def test_a_file_that_is_not_a_duckdb_database(tmp_path):
    write(tmp_path / "crm.duckdb", "not a database at all" * 100)
    with pytest.raises(SourceError, match="crm.duckdb: not a readable DuckDB database"):
        wb.load(tmp_path / "crm.duckdb")


def test_excel_keeps_numeric_and_date_cells_even_with_a_decimal_comma_mapping(tmp_path):
    frame = pd.DataFrame({"N° commande": ["V1", "V2"], "client": ["C1", "C2"],
                          "Date": pd.to_datetime(["2024-01-05", "2024-02-29"]), "Montant": [12.5, 1234.56]})
    frame.to_excel(tmp_path / "ventes.xlsx", index=False)
    m = write(tmp_path / "m.yml", 'source: {decimal: ",", date_format: "%d/%m/%Y"}\ntables:\n  orders:\n'
              "    file: ventes.xlsx\n    columns: {order_id: N° commande, customer_id: client, order_date: Date, amount: Montant}\n")
    orders = wb.load(tmp_path, mapping=m)["orders"]
    assert orders["amount"].tolist() == [12.5, 1234.56]
    assert orders["order_date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-05", "2024-02-29"]


def test_excel_wrong_sheet_lists_the_sheets(tmp_path):
    with pd.ExcelWriter(tmp_path / "book.xlsx") as xl:
        pd.DataFrame({"customer_id": ["C1"]}).to_excel(xl, sheet_name="Clients", index=False)
        pd.DataFrame({"x": [1]}).to_excel(xl, sheet_name="Notes", index=False)
    m = write(tmp_path / "m.yml", "tables:\n  customers:\n    file: book.xlsx\n    sheet: Customers\n")
    with pytest.raises(SourceError, match="no sheet 'Customers'; its sheets: Clients, Notes"):
        wb.load(tmp_path, mapping=m).load_all()


def test_cli_bad_as_of_and_unwritable_rejects_path_are_usage_errors(tmp_path, capsys):
    (tmp_path / "orders.csv").write_text("order_id,customer_id,order_date,amount\nO1,C1,2024-01-01,x\n")
    assert main(["validate", str(tmp_path), "--as-of", "2025-13-01"]) == 2
    assert "--as-of '2025-13-01' is not a date" in capsys.readouterr().err
    assert main(["validate", str(tmp_path), "--rejects", str(tmp_path / "no" / "such" / "r.csv")]) == 2
    assert "cannot write the rejects" in capsys.readouterr().err


def test_semicolon_file_with_dot_decimals_is_not_multiplied(tmp_path):
    write(tmp_path / "orders.csv", "order_id;customer_id;order_date;amount\nO1;C1;2024-01-01;12.50\nO2;C1;2024-01-02;1234.5\n")
    assert wb.load(tmp_path)["orders"]["amount"].tolist() == [12.5, 1234.5]


def test_semicolon_file_with_decimal_commas_still_reads_them(tmp_path):
    write(tmp_path / "orders.csv", "order_id;customer_id;order_date;amount\nO1;C1;2024-01-01;12,50\nO2;C1;2024-01-02;1.234,5\n")
    assert wb.load(tmp_path)["orders"]["amount"].tolist() == [12.5, 1234.5]
