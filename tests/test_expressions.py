"""The one safe expression language: what it accepts, what it refuses, pandas and Ibis agree."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

import workbench as wb
from workbench.data.expressions import MAX_LENGTH, ExpressionError, parse_expression
from workbench.data.mapping import MappingError, load_mapping


@pytest.fixture
def frame():
    return pd.DataFrame({"q": pd.array([1, 2, None, 4], "Int64"), "p": [1.5, 2.0, 3.0, -1.0],
                         "g": ["control", "x", None, "y"],
                         "d": pd.to_datetime(["2024-01-01", "2025-02-01", None, "2025-03-01"])})


@pytest.mark.parametrize(("text", "expected"), [
    ("q * p", [1.5, 4.0, None, -4.0]),
    ("g != 'control'", [False, True, False, True]),  # a missing value matches no comparison
    ("q >= 2 and p > 0", [False, True, False, False]),
    ("q > 3 or g == 'x'", [False, True, False, True]),
    ("not q > 1", [True, False, True, False]),
    ("1 <= q <= 2", [True, True, False, False]),
    ("g in ['x', 'y']", [False, True, False, True]),
    ("g not in ('x',)", [True, False, False, True]),
    ("lower(upper(g)) == 'x'", [False, True, False, False]),
    ("round(p * 1.234, 1)", [1.9, 2.5, 3.7, -1.2]),
    ("abs(p) == 1", [False, False, False, True]),
    ("year(d) == 2025 and month(d) >= 2", [False, True, False, True]),
    ("missing(g) or present(q) and q % 2 == 0", [False, True, True, True]),
    ("-p + 1", [-0.5, -1.0, -2.0, 2.0]),
    ("p / 2", [0.75, 1.0, 1.5, -0.5]),
])
def test_pandas_values(frame, text, expected):
    value = parse_expression(text).evaluate(frame)
    assert [None if pd.isna(v) else v for v in value.tolist()] == pytest.approx(expected) \
        if isinstance(expected[0], float) else value.tolist() == expected


@pytest.mark.parametrize("text", ["q * p", "g != 'control'", "q >= 2 and p > 0", "not q > 1",
                                  "1 <= q <= 2", "g in ['x', 'y']", "g not in ('x',)",
                                  "lower(g) == 'x'", "round(p * 1.234, 1)", "year(d) == 2025",
                                  "missing(g) or q % 2 == 0", "-p + 1", "True"])
def test_ibis_agrees_with_pandas(frame, text):
    table = ibis.memtable(frame.assign(_i=range(len(frame))))
    expr = parse_expression(text)
    engine = (table.select("_i", v=expr.to_ibis(table)).order_by("_i").execute()["v"])
    local = expr.evaluate(frame)
    local = local if isinstance(local, pd.Series) else pd.Series([local] * len(frame))
    assert [None if pd.isna(v) else v for v in engine] == [None if pd.isna(v) else v for v in local]


@pytest.mark.parametrize(("text", "token"), [
    ("__import__('os').system('id')", "__import__('os').system"),
    ("q.__class__.__init__.__globals__", "q.__class__"),
    ("open('/etc/passwd')", "'open' is not one of the functions"),
    ("(lambda: 1)()", "lambda"),
    ("q[0]", "q[0]"),
    ("2 ** 1000000", "'**'"),
    ("q if p else g", "q if p else g"),
    ("f'{q}'", "f'{q}'"),
    ("[x for x in q]", "for x in q"),
    ("g * 1000000000", "text only joins with +"),
    ("'a' * 10", "text only joins with +"),
    ("[1, 2]", "lists only follow in"),
    ("g in q", "must be a list of values"),
    ("q and p", "'q' is not true/false"),
    ("10000000000000000000000", "not an accepted literal"),
    ("round(p, q)", "whole number of decimals"),
    ("abs(p, key=1)", "takes 1 plain argument"),
    ("a := 1", "not a valid expression"),
    ("q is None", "'is' is not allowed"),
    ("x > 1", "no column 'x'"),
    ("1 / 0", "ZeroDivisionError"),
])
def test_refused_with_file_key_and_token(frame, text, token):
    with pytest.raises(ExpressionError, match="m.yml: tables.orders.where") as err:
        parse_expression(text, where="m.yml: tables.orders.where").evaluate(frame)
    assert token in str(err.value)


def test_size_caps():
    with pytest.raises(ExpressionError, match=f"at most {MAX_LENGTH}"):
        parse_expression("q + " * 1000 + "1")
    with pytest.raises(ExpressionError, match="not a valid expression|nested too deeply"):
        parse_expression("(" * 300 + "1" + ")" * 300)


def test_mask_refuses_a_value():
    with pytest.raises(ExpressionError, match="not a true/false expression"):
        parse_expression("p + 1").mask(pd.DataFrame({"p": [1.0]}))


def test_a_hostile_mapping_runs_nothing_and_names_file_and_key(tmp_path):
    marker = tmp_path / "pwned"
    (tmp_path / "orders.csv").write_text("order_id,customer_id,order_date,amount\nO1,C1,2024-01-05,10\n")
    mapping = tmp_path / "m.yml"
    mapping.write_text(
        "tables:\n  orders:\n    file: orders.csv\n    derive:\n      amount: \"amount.__class__.__init__"
        f".__globals__['os'].system('touch {marker}')\"\n")
    with pytest.raises(MappingError, match=r"m\.yml: tables\.orders\.derive\.amount: .*is not one of the functions"):
        load_mapping(mapping)
    mapping.write_text(f"tables:\n  orders:\n    file: orders.csv\n    where: \"open('{marker}', 'w')\"\n")
    with pytest.raises(MappingError, match=r"tables\.orders\.where: .*'open' is not one of the functions"):
        wb.load(tmp_path, mapping=mapping)
    assert not marker.exists()


def test_mapping_where_and_derive_still_work(tmp_path):
    (tmp_path / "orders.csv").write_text("id,customer_id,order_date,qty,price,grp\n"
                                         "1,C1,2024-01-05,2,1.5,a\n2,C2,2024-01-06,1,3,control\n")
    mapping = tmp_path / "m.yml"
    mapping.write_text("tables:\n  orders:\n    file: orders.csv\n"
                       "    columns: {order_id: id, quantity: qty, unit_price: price}\n"
                       "    extra: {grp: string}\n"
                       "    derive: {amount: quantity * unit_price}\n    where: grp != 'control'\n")
    orders = wb.load(tmp_path, mapping=mapping)["orders"]
    assert orders["amount"].tolist() == [3.0]


def test_a_scenario_unless_runs_nothing(tmp_path):
    import numpy as np

    from workbench.health.scenarios import Scenarios

    marker = tmp_path / "pwned"
    rows = [{"scenario": "a", "condition": "True", "action": "x", "channel": "email", "cooldown_days": 1},
            {"scenario": "b", "condition": "True", "action": "y", "channel": "email", "cooldown_days": 1,
             "after": "a", "unless": f"open('{marker}', 'w')"}]
    health = pd.DataFrame({"purchases": [1, 2]})
    with pytest.raises(ValueError, match="scenario 'b': unless: .*'open' is not one of the functions"):
        Scenarios(rows).stops(health, "b", np.zeros(2, bool))
    assert not marker.exists()
    rows[1]["unless"] = "purchased or purchases >= 2"
    assert Scenarios(rows).stops(health, "b", np.array([True, False])).tolist() == [True, True]
