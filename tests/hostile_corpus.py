"""A corpus of malformed and hostile inputs, built on the fly (nothing large is committed).

``python tests/hostile_corpus.py OUT`` writes every case into ``OUT/<case>/`` and prints what
each should give; ``tests/test_hostile_corpus.py`` runs them all through the command line.

Each case is a folder of files, a ``workbench`` command line (``{d}`` stands for the case's
folder), the exit code it must give and a fragment its message must hold. Whatever the case,
no traceback, nothing run (a payload would create ``{d}/PWNED``), no formula in a CSV written,
and no content of a file outside the data folder in any message.
"""

from __future__ import annotations

import io
import json
import struct
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

OK, FAILED, USAGE, DATA = 0, 1, 2, 3
MARK = "{d}/PWNED"
CUSTOMERS = "customer_id,name,age\nC1,Ann,34\nC2,Bob,51\nC3,Cy,40\n"
ORDERS = ("order_id,customer_id,order_date,amount\nO1,C1,2024-01-05,10.5\nO2,C2,2024-02-01,20\n"
          "O3,C3,2024-03-01,7\nO4,C1,2024-04-01,12\n")
SECRET = "root:x:0:0:TOP-SECRET-LINE"
BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8))


@dataclass
class Case:
    name: str
    files: dict[str, str | bytes]
    argv: list[str]
    code: int | tuple[int, ...]
    message: str = ""  # a fragment of stdout + stderr
    exports: list[str] = field(default_factory=list)  # CSV files written, checked for formulas
    secret: str = SECRET  # text that must never appear in a message
    #: Another branch's part of issue 14 (engine: "no silent corruption"): expected to fail here.
    owner: str = ""


def _validate(mapping: bool = True, *extra: str) -> list[str]:
    return ["validate", "{d}", *(["--mapping", "{d}/m.yml"] if mapping else []), "--as-of", "2024-12-31",
            *extra]


def _rfm(mapping: bool = True, *extra: str) -> list[str]:
    return ["rfm", "--data", "{d}", *(["--mapping", "{d}/m.yml"] if mapping else []), "--as-of",
            "2024-12-31", "--out", "{d}/out/rfm.csv", "--bins", "2", *extra]


def _mapping(orders: str) -> str:
    return "tables:\n  customers:\n    file: customers.csv\n  orders:\n    file: orders.csv\n" + orders


def _expression_cases() -> list[Case]:
    payloads = {
        "import_system": "__import__('os').system('touch {d}/PWNED')",
        "class_globals": "amount.__class__.__init__.__globals__['os'].system('touch {d}/PWNED')",
        "subclasses": "().__class__.__bases__[0].__subclasses__()",
        "open_write": "open('{d}/PWNED', 'w').write('x')",
        "exec": "exec(\"open('{d}/PWNED','w')\")",
        "eval": "eval('1')",
        "getattr": "getattr(amount, '__class__')",
        "lambda": "(lambda: open('{d}/PWNED', 'w'))()",
        "comprehension": "[open('{d}/PWNED', 'w') for x in [1]]",
        "fstring": "f\"{{open('{d}/PWNED', 'w')}}\"",
        "subscript": "amount[0]",
        "power_bomb": "2 ** 10 ** 10",
        "string_bomb": "'x' * 1000000000",
        "column_repeat": "customer_id * 1000000000",
        "walrus": "(x := 1)",
        "matmul": "amount @ amount",
        "deep_nesting": "(" * 150 + "amount" + ")" * 150,
        "too_long": " + ".join(["amount"] * 500),
        "attribute_method": "amount.sum()",
        "dunder_name": "__builtins__",
        "big_int": "amount * 100000000000000000000000",
        "ternary": "amount if amount else 0",
        "starred": "abs(*[amount])",
        "keyword": "round(amount, ndigits=2)",
    }
    cases = []
    for i, (name, text) in enumerate(payloads.items()):
        key = "where" if i % 2 else "derive.amount"
        body = (f"    where: {json.dumps(text)}\n" if key == "where"
                else f"    derive:\n      amount: {json.dumps(text)}\n")
        fragment = "no column '__builtins__'" if name == "dunder_name" else f"tables.orders.{key}"
        cases.append(Case(f"expr_{name}", {"customers.csv": CUSTOMERS, "orders.csv": ORDERS,
                                           "m.yml": _mapping(body)}, _validate(), USAGE, fragment))
    cases.append(Case("expr_where_not_boolean", {"customers.csv": CUSTOMERS, "orders.csv": ORDERS,
                                                 "m.yml": _mapping("    where: amount + 1\n")},
                      _validate(), USAGE, "not a true/false expression"))
    grid = Path(__file__).parents[1].joinpath("data", "grids", "default_grid.yml").read_text()
    evil = grid.replace('"r_score >= 4 and f_score >= 4 and m_score >= 4"',
                        "\"__import__('os').system('touch {d}/PWNED')\"")
    cases.append(Case("segment_rule_code", {"customers.csv": CUSTOMERS, "orders.csv": ORDERS,
                                            "grid.yml": evil},
                      [*_rfm(False), "--grid", "{d}/grid.yml"], USAGE, "segment 'Champions'"))
    return cases


def _yaml_cases() -> list[Case]:
    base = {"customers.csv": CUSTOMERS, "orders.csv": ORDERS}
    return [
        Case("yaml_alias_bomb", {**base, "m.yml": _mapping("    values:\n      channel: {x: y}\n") + BOMB},
             _validate(), USAGE, "expand to"),
        Case("yaml_huge", {**base, "m.yml": "# " + "x" * 1_100_000 + "\n" + _mapping("")}, _validate(),
             USAGE, "at most 1,000,000 bytes"),
        Case("yaml_recursive", {**base, "m.yml": "tables: &t\n  orders: *t\n"}, _validate(), USAGE, "m.yml"),
        Case("yaml_python_tag", {**base, "m.yml": "tables: !!python/object/apply:os.system ['touch {d}/PWNED']\n"},
             _validate(), USAGE, "not valid YAML"),
        Case("yaml_binary", {**base, "m.yml": b"\xff\xfe\x00\x01garbage"}, _validate(), USAGE, "m.yml"),
        Case("yaml_list", {**base, "m.yml": "- a\n- b\n"}, _validate(), USAGE, "expected a mapping"),
        Case("yaml_unknown_key", {**base, "m.yml": _mapping("    fiel: x.csv\n")}, _validate(), USAGE,
             "unknown key 'fiel'"),
        Case("yaml_sep_list", {**base, "m.yml": _mapping("    sep: [';']\n")}, _validate(), USAGE, "sep"),
        Case("yaml_mapping_is_folder", {**base, "m.yml/x": "x"}, _validate(), USAGE, "m.yml"),
        Case("grid_alias_bomb", {**base, "grid.yml": BOMB}, [*_rfm(False), "--grid", "{d}/grid.yml"], USAGE,
             "expand to"),
        Case("parameters_alias_bomb", {"p.yml": BOMB}, ["run", "00_data_quality", "--parameters", "{d}/p.yml",
                                                        "--out", "{d}/out"], USAGE, "expand to"),
        Case("schedule_alias_bomb", {"s.yml": BOMB}, ["run", "--schedule", "{d}/s.yml", "--out", "{d}/out"],
             USAGE, "expand to"),
    ]


def _path_cases() -> list[Case]:
    base = {"customers.csv": CUSTOMERS, "orders.csv": ORDERS}
    secret = {"../outside/orders.csv": f"{SECRET}\n{ORDERS}"}
    one = "tables:\n  orders:\n    file: {file}\n"
    return [
        Case("path_dotdot", {**base, **secret, "m.yml": one.format(file="../outside/orders.csv")},
             _validate(), USAGE, "leads outside the data folder"),
        Case("path_absolute", {**base, **secret, "m.yml": one.format(file="{d}/../outside/orders.csv")},
             _validate(), USAGE, "leads outside the data folder"),
        Case("path_etc_passwd", {**base, "m.yml": one.format(file="../../../../../../etc/passwd")},
             _validate(), USAGE, "leads outside the data folder", secret="root:"),
        Case("path_folder", {**base, "sub/x.csv": ORDERS, "m.yml": one.format(file="sub")}, _validate(),
             USAGE, "is a folder"),
        Case("path_missing", {**base, "m.yml": one.format(file="nope.csv")}, _validate(), DATA,
             "file not found"),
        Case("path_null_byte", {**base, "m.yml": one.format(file='"a\\0b.csv"')}, _validate(), (USAGE, DATA),
             "m.yml"),
        Case("path_long_name", {**base, "m.yml": one.format(file="x" * 300 + ".csv")}, _validate(),
             (USAGE, DATA, 4), ""),
    ]


def _zip_with_declared_size(size: int) -> bytes:
    """A valid workbook-shaped zip whose sheet declares `size` bytes once unpacked."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    data = bytearray(buffer.getvalue())
    start = 0
    while (i := data.find(b"PK\x01\x02", start)) >= 0:  # central directory: uncompressed size
        struct.pack_into("<I", data, i + 24, size)
        start = i + 4
    return bytes(data)


def _excel_cases() -> list[Case]:
    return [
        Case("xlsx_zip_bomb", {"customers.xlsx": _zip_with_declared_size(900_000_000)}, _validate(False),
             DATA, "unpacks to"),
        Case("xlsx_not_a_zip", {"customers.xlsx": b"PK\x03\x04 truncated"}, _validate(False), DATA,
             "not a readable Excel workbook"),
        Case("xlsx_empty_zip", {"customers.xlsx": _zip_with_declared_size(12)}, _validate(False), DATA,
             "customers.xlsx"),
        Case("xlsx_text_inside", {"customers.xlsx": CUSTOMERS}, _validate(False), DATA, "customers.xlsx"),
    ]


FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "=1+1\n=2+2"]


def _formula_cases() -> list[Case]:
    cases = []
    for i, payload in enumerate(FORMULAS):
        quoted = '"' + payload.replace('"', '""') + '"'
        customers = f"customer_id,name,age\n{quoted},{quoted},30\nC2,Bob,151\nC3,Cy,40\n"
        orders = (f"order_id,customer_id,order_date,amount\nO1,{quoted},2024-01-05,10\nO2,C3,2024-02-01,5\n"
                  f"O3,C2,2024-03-01,abc\nO4,C3,2024-03-02,{quoted}\n")
        files = {"customers.csv": customers, "orders.csv": orders}
        cases.append(Case(f"formula_rfm_{i}", files, _rfm(False), OK, "customers scored",
                          exports=["out/rfm.csv"]))
        cases.append(Case(f"formula_rejects_{i}", files, _validate(False, "--rejects", "{d}/rejects.csv"),
                          OK, "rejects written", exports=["rejects.csv"]))
    return cases


def _text_cases() -> list[Case]:
    """Odd text files: each loads or is refused with a message (reading is branch engine's)."""
    return [
        Case("csv_empty", {"customers.csv": ""}, _validate(False), DATA, "customers.csv"),
        Case("csv_header_only", {"customers.csv": "customer_id,name\n"}, _validate(False), OK, ""),
        Case("csv_nul_bytes", {"customers.csv": b"customer_id,name\nC1,A\x00nn\n"}, _validate(False), (OK, DATA),
             ""),
        Case("csv_binary", {"customers.csv": bytes(range(256)) * 20}, _validate(False), (OK, DATA), ""),
        Case("csv_unclosed_quote", {"customers.csv": 'customer_id,name\nC1,"Ann\nC2,Bob\n'}, _validate(False),
             (OK, DATA), ""),
        Case("csv_huge_field", {"customers.csv": "customer_id,name\nC1," + "x" * 2_000_000 + "\n"},
             _validate(False), OK, ""),
        Case("csv_many_columns", {"customers.csv": "customer_id," + ",".join(f"c{i}" for i in range(5000))
                                  + "\nC1," + ",".join("1" for _ in range(5000)) + "\n"}, _validate(False), OK, ""),
        Case("csv_twenty_digit_age", {"customers.csv": "customer_id,age\nC1,34\nC2,12345678901234567890\n"},
             _validate(False), OK, "line 3: age '12345678901234567890' is not a whole number"),
        Case("csv_formula_header", {"customers.csv": "customer_id,=cmd+x\nC1,1\n"}, _validate(False), OK, ""),
    ]


def _encoding_cases() -> list[Case]:
    """Encodings and shapes that used to corrupt silently: each is read right, rejected or refused, and says so."""
    named = "customer_id,name\nC1,Customér\nC2,Zoë\n"
    return [
        Case("csv_utf16_bom", {"customers.csv": named.encode("utf-16")}, _validate(False), OK, "accepted_pct"),
        Case("csv_utf16_be_bom", {"customers.csv": b"\xfe\xff" + named.encode("utf-16-be")}, _validate(False), OK,
             "100.0"),
        Case("csv_utf32_bom", {"customers.csv": named.encode("utf-32")}, _validate(False), OK, "100.0"),
        Case("csv_utf8_bom", {"customers.csv": named.encode("utf-8-sig")}, _validate(False), OK, "100.0"),
        Case("csv_mostly_utf8_one_bad_byte", {"customers.csv": named.encode() + b"C3,Bad\xe9\n"},
             _validate(False), DATA, "byte 44 (line 4) is not valid UTF-8"),
        Case("csv_cp1252_noted", {"customers.csv": named.encode("cp1252")}, _validate(False), OK,
             "not UTF-8 (byte 26, line 2): read as cp1252"),
        Case("csv_duplicated_header", {"customers.csv": "customer_id,age,age\nC1,34,35\nC2,51,51\n"},
             _validate(False), OK, "line 2: column 'age' appears twice in the header, with '34' and '35'"),
        Case("csv_short_row", {"customers.csv": "customer_id,name,age\nC1,Ann,34\nC2,Bob\n"}, _validate(False), OK,
             "line 3: the row has 2 value(s) where the header has 3 columns: age missing"),
        Case("csv_long_row", {"customers.csv": "customer_id,name,age\nC1,Ann,34,x\nC2,Bob,3\n"}, _validate(False),
             OK, "line 2: the row has more values than the header's 3 columns; without a column: 'x'"),
        Case("csv_multiline_quoted_lines", {"customers.csv": 'customer_id,name,age\nC1,"Ann\nSmith",34\n'
                                            "C2,Bob,-4\n"}, _validate(False), OK, "line 4: age -4 is outside"),
        Case("csv_blank_header", {"customers.csv": "\n\ncustomer_id\nC1\n"}, _validate(False), DATA,
             "customers.csv"),
        Case("csv_float_overflow", {"customers.csv": "customer_id,network_score\nC1," + "9" * 400 + "\n"},
             _validate(False), OK, "network_score '999"),
    ]


def cases() -> list[Case]:
    return [*_expression_cases(), *_yaml_cases(), *_path_cases(), *_excel_cases(), *_formula_cases(),
            *_text_cases(), *_encoding_cases()]


def build(case: Case, folder: Path) -> list[str]:
    """Write `case` into `folder` (its data folder is ``folder / 'data'``); returns its argv."""
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    for name, content in case.files.items():
        path = (data / name)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.replace("{d}", str(data)).encode()
        path.write_bytes(content)
    return [a.replace("{d}", str(data)) for a in case.argv]


if __name__ == "__main__":
    out = Path(sys.argv[1])
    for case in cases():
        argv = build(case, out / case.name)
        sys.stdout.write(f"{case.name}: workbench {' '.join(argv)} -> exit {case.code} "
                         f"{case.message!r}\n")
