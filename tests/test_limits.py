"""Received files cost bounded time and memory, and a mapping reads only inside the data folder."""

from __future__ import annotations

import pandas as pd
import pytest

import workbench as wb
from workbench.data import limits
from workbench.data.limits import LimitError, load_yaml
from workbench.data.mapping import MappingError, load_mapping
from workbench.data.sources import SourceError

ORDERS = "order_id,customer_id,order_date,amount\nO1,C1,2024-01-05,10\n"
BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8))


def test_a_yaml_alias_bomb_is_refused_before_it_expands(tmp_path):
    path = tmp_path / "m.yml"
    path.write_text("tables:\n  orders:\n    file: orders.csv\n    values:\n      channel: {x: y}\n" +
                    "\n".join("      " + line for line in ("", *BOMB.splitlines())).replace("      \n", ""))
    bomb = tmp_path / "bomb.yml"
    bomb.write_text(BOMB)
    with pytest.raises(LimitError, match=r"bomb\.yml: its aliases \(\*name\) expand to"):
        load_yaml(bomb)
    with pytest.raises(MappingError, match="expand to"):
        load_mapping(bomb)


def test_yaml_size_recursion_and_encoding_caps(tmp_path, monkeypatch):
    big = tmp_path / "big.yml"
    big.write_text("a: " + "x" * (limits.MAX_YAML_BYTES + 1))
    with pytest.raises(LimitError, match="at most 1,000,000 bytes"):
        load_yaml(big)
    loop = tmp_path / "loop.yml"
    loop.write_text("a: &a [*a]\n")
    with pytest.raises(LimitError, match="nested too deeply"):
        load_yaml(loop)
    binary = tmp_path / "bin.yml"
    binary.write_bytes(b"a: \xff\xfe\n")
    with pytest.raises(LimitError, match="not a UTF-8 text file"):
        load_yaml(binary)
    ok = tmp_path / "ok.yml"
    ok.write_text("a: &x [1, 2]\nb: *x\n")
    assert load_yaml(ok) == {"a": [1, 2], "b": [1, 2]}


@pytest.mark.parametrize("reader", ["grid", "segments", "scenarios", "parameters"])
def test_every_settings_file_goes_through_the_caps(tmp_path, reader):
    bomb = tmp_path / "bomb.yml"
    bomb.write_text(BOMB)
    call = {"grid": lambda: wb.rfm.ScoringGrid.from_yaml(bomb),
            "segments": lambda: wb.rfm.SegmentRules.coerce(str(bomb)),
            "scenarios": lambda: wb.health.Scenarios.coerce(str(bomb)),
            "parameters": lambda: wb.report.load_parameters_file(bomb)}[reader]
    with pytest.raises(ValueError, match="expand to"):
        call()


def test_an_excel_workbook_too_large_once_unpacked_is_refused(tmp_path, monkeypatch):
    pd.DataFrame({"customer_id": ["C1"], "age": [30]}).to_excel(tmp_path / "customers.xlsx", index=False)
    assert len(wb.load(tmp_path)["customers"]) == 1
    monkeypatch.setattr(limits, "MAX_EXCEL_BYTES", 1000)
    with pytest.raises(SourceError, match=r"customers\.xlsx: the workbook unpacks to .* export the sheet as CSV"):
        wb.load(tmp_path).load_all()  # a table is read when first used
    (tmp_path / "customers.xlsx").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(SourceError, match="not a readable Excel workbook"):
        wb.load(tmp_path).load_all()


@pytest.mark.parametrize("file", ["../outside/orders.csv", "{outside}/orders.csv", "link.csv",
                                  "sub/../../outside/orders.csv"])
def test_a_mapping_reads_only_inside_the_data_folder(tmp_path, file):
    data, outside = tmp_path / "data", tmp_path / "outside"
    data.mkdir()
    outside.mkdir()
    (outside / "orders.csv").write_text("root:x:0:0:secret first line\n" + ORDERS)
    (data / "sub").mkdir()
    (data / "link.csv").symlink_to(outside / "orders.csv")
    mapping = data / "m.yml"
    mapping.write_text(f"tables:\n  orders:\n    file: {file.format(outside=outside)}\n    skiprows: 1\n")
    with pytest.raises(MappingError, match="leads outside the data folder") as err:
        wb.load(data, mapping=mapping)
    assert "secret" not in str(err.value)
    crm = wb.load(data, mapping=mapping, allow_outside=True)
    assert crm["orders"]["order_id"].tolist() == ["O1"]


def test_a_folder_named_as_file_is_a_clear_error(tmp_path):
    (tmp_path / "sub").mkdir()
    mapping = tmp_path / "m.yml"
    mapping.write_text("tables:\n  orders:\n    file: sub\n")
    with pytest.raises(MappingError, match="'sub' is a folder"):
        wb.load(tmp_path, mapping=mapping)


def test_a_yaml_error_does_not_quote_the_file(tmp_path):
    path = tmp_path / "shadow"
    path.write_text("root:$6$secret-hash:19000:0:99999:7:::\n  bad: [indent\n")
    with pytest.raises(LimitError, match=r"shadow: not valid YAML at line \d+, column \d+") as err:
        load_yaml(path)
    assert "secret-hash" not in str(err.value)
