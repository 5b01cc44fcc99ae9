"""Column mappings: a small YAML file that maps an export's own layout onto the contract.

A mapping lets a real export load without editing it::

    source:                      # defaults for every table below
      sep: ";"                   # ; , tab | or whitespace (sniffed when absent)
      decimal: ","               # decimal comma
      encoding: cp1252           # sniffed when absent (UTF-8 with or without BOM, cp1252, latin-1)
      date_format: "%d/%m/%Y"    # strftime format; guessed per column when absent
    tables:
      orders:
        file: ventes.csv         # relative to the data folder
        columns:                 # contract name: column in the file
          customer_id: N° client
          order_date: Date
          quantity: Qté
          unit_price: Prix unitaire
        derive:                  # contract name: expression over contract names and row_number
          amount: quantity * unit_price
          order_id: row_number
        values:                  # recodings of raw values, before parsing
          channel: {Magasin: store, Internet: web}
        constants: {payment_method: card}
        where: amount != 0       # keep only matching rows; the others are counted as excluded
        extra: {loyalty_card: string}   # non-contract columns to keep, with their type
        unpivot: {columns: [Fresh, Milk], names_to: category, values_to: amount}
        rows: [...]              # inline rows instead of a file (e.g. one campaign)
        lookup: {category: products}   # a column from a table this one refers to (by product_id),
                                       # joined in the engine; fills the column where it is empty

A PostgreSQL source (``postgresql://user@host/db``) names tables instead of files::

    tables:
      orders: {table: sales.order_lines, columns: {customer_id: client}}
      customers: {sql: "SELECT * FROM crm.clients WHERE NOT test_account"}

Every key is checked: a typo is an error naming the mapping file and the key.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from workbench.data.contract import CONTRACT, DTYPES, TABLE_ORDER
from workbench.data.expressions import ExpressionError, parse_expression
from workbench.data.limits import load_yaml

__all__ = ["MappingError", "TableMapping", "Mapping", "load_mapping"]

_SOURCE_KEYS = {"sep", "decimal", "thousands", "encoding", "date_format", "header", "skiprows", "names",
                "sheet", "file"}
_TABLE_KEYS = _SOURCE_KEYS | {"columns", "derive", "values", "constants", "where", "extra",
                              "unpivot", "rows", "table", "sql", "match_names", "lookup"}
_UNPIVOT_KEYS = {"columns", "names_to", "values_to"}


class MappingError(ValueError):
    """The mapping file itself is wrong: the message names the file, the key and the fix."""


@dataclass
class TableMapping:
    table: str
    file: str | None = None
    sep: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    encoding: str | None = None
    date_format: str | None = None
    header: bool = True
    skiprows: int = 0
    sheet: str | int | None = None
    names: list[str] | None = None
    db_table: str | None = None
    #: A query whose result is the table (database sources: PostgreSQL).
    sql: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    derive: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    constants: dict[str, object] = field(default_factory=dict)
    where: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    unpivot: dict | None = None
    rows: list[dict] | None = None
    #: Also take file columns already named after contract columns (ignoring case and spaces).
    match_names: bool = True
    #: Column -> related table it is taken from, through this table's reference to it.
    lookup: dict[str, str] = field(default_factory=dict)
    #: Where the mapping comes from (``m.yml: tables.orders``), for messages.
    origin: str = ""


@dataclass
class Mapping:
    path: Path | None
    tables: dict[str, TableMapping]

    def for_table(self, name: str) -> TableMapping | None:
        return self.tables.get(name)


def _suggest(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_keys(given: dict, allowed: set, where: str) -> None:
    for key in given:
        if key not in allowed:
            raise MappingError(
                f"{where}: unknown key {key!r}{_suggest(str(key), allowed)}; "
                f"allowed keys: {', '.join(sorted(allowed))}"
            )


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file (see the module docstring for its layout)."""
    path = Path(path)
    if not path.exists():
        raise MappingError(f"{path}: mapping file not found")
    if not path.is_file():
        raise MappingError(f"{path}: not a file; give the mapping's .yml file")
    doc = load_yaml(path, error=MappingError) or {}
    return parse_mapping(doc, origin=str(path), path=path)


def parse_mapping(doc: dict, *, origin: str = "mapping", path: Path | None = None) -> Mapping:
    """Build a :class:`Mapping` from an already-parsed YAML document."""
    if not isinstance(doc, dict):
        raise MappingError(f"{origin}: expected a mapping with 'source' and 'tables' keys")
    _check_keys(doc, {"source", "tables", "description"}, origin)
    defaults = doc.get("source") or {}
    _check_keys(defaults, _SOURCE_KEYS, f"{origin}: source")
    tables = doc.get("tables") or {}
    if not isinstance(tables, dict) or not tables:
        raise MappingError(f"{origin}: 'tables' must map contract table names to their layout")
    out = {}
    for name, spec in tables.items():
        if name not in CONTRACT:
            raise MappingError(
                f"{origin}: {name!r} is not a contract table{_suggest(name, CONTRACT)}; "
                f"tables: {', '.join(TABLE_ORDER)}"
            )
        spec = {**defaults, **(spec or {})}
        _check_keys(spec, _TABLE_KEYS, f"{origin}: tables.{name}")
        out[name] = _table_mapping(name, spec, origin)
    return Mapping(path, out)


def _flag(value, where: str) -> bool:
    if not isinstance(value, bool):
        raise MappingError(f"{where}: expected true or false, got {value!r}")
    return value


def _whole(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MappingError(f"{where}: expected a whole number of lines (0, 1, 2...), got {value!r}")
    return value


def _check_shapes(spec: dict, where: str) -> None:
    """Each key holds the kind of value it takes: a typo'd shape is an error, not a traceback."""
    for key in ("values",):
        for col, recode in (spec.get(key) or {}).items():
            if not isinstance(recode, dict):
                raise MappingError(f"{where}.{key}.{col}: expected 'raw value: new value' entries, "
                                   f"e.g. {{Homme: M, Femme: F}}; got {recode!r}")
    for key in ("names",):
        if spec.get(key) is not None and not isinstance(spec[key], list):
            raise MappingError(f"{where}.{key}: expected a list of column names, got {spec[key]!r}")
    rows = spec.get("rows")
    if rows is not None and (not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows)):
        raise MappingError(f"{where}.rows: expected a list of rows, each 'column: value' entries")
    for key in ("where", "file", "table", "sql", "encoding", "date_format", "decimal", "thousands", "sep", "sheet"):
        if key == "sheet" and isinstance(spec.get(key), int) and not isinstance(spec[key], bool):
            continue
        if spec.get(key) is not None and not isinstance(spec[key], str):
            raise MappingError(f"{where}.{key}: expected text, got {spec[key]!r}")
    derive = spec.get("derive")
    expressions = {f"derive.{k}": v for k, v in derive.items()} if isinstance(derive, dict) else {}
    if spec.get("where") is not None:
        expressions["where"] = spec["where"]
    for key, text in expressions.items():  # checked here, before any file is read
        try:
            parse_expression(text, where=f"{where}.{key}")
        except ExpressionError as exc:
            raise MappingError(str(exc)) from None
    if spec.get("decimal") not in (None, ",", "."):
        raise MappingError(f"{where}.decimal: expected ',' or '.', got {spec['decimal']!r}")


def _table_mapping(name: str, spec: dict, origin: str) -> TableMapping:
    where = f"{origin}: tables.{name}"
    contract = CONTRACT[name]
    known = set(contract.column_names)
    _check_shapes(spec, where)
    for section in ("columns", "derive", "values", "constants"):
        entries = spec.get(section) or {}
        if not isinstance(entries, dict):
            raise MappingError(f"{where}.{section}: expected 'contract_name: value' entries")
        for col in entries:
            if col not in known:
                raise MappingError(
                    f"{where}.{section}: {col!r} is not a column of {name}{_suggest(col, known)}; "
                    f"columns: {', '.join(contract.column_names)}"
                )
    extra = {str(k): str(v) for k, v in (spec.get("extra") or {}).items()}
    for col, kind in extra.items():
        if kind not in DTYPES:
            raise MappingError(f"{where}.extra.{col}: type {kind!r} is not one of {', '.join(DTYPES)}")
        if col in known:
            raise MappingError(f"{where}.extra.{col}: already a contract column; map it under columns")
    unpivot = spec.get("unpivot")
    if unpivot is not None:
        _check_keys(unpivot, _UNPIVOT_KEYS, f"{where}.unpivot")
        missing = _UNPIVOT_KEYS - set(unpivot)
        if missing:
            raise MappingError(f"{where}.unpivot: missing {', '.join(sorted(missing))}")
    if spec.get("sql") is not None and spec.get("table") is not None:
        raise MappingError(f"{where}: give table: or sql:, not both")
    if spec.get("file") is None and spec.get("rows") is None and spec.get("table") is None:
        spec.setdefault("file", None)
    sep = spec.get("sep")
    if sep in ("tab", "\\t"):
        sep = "\t"
    return TableMapping(
        table=name,
        file=spec.get("file"),
        sep=sep,
        decimal=spec.get("decimal"),
        thousands=spec.get("thousands"),
        encoding=spec.get("encoding"),
        date_format=spec.get("date_format"),
        header=_flag(spec.get("header", True), f"{where}.header"),
        skiprows=_whole(spec.get("skiprows", 0), f"{where}.skiprows"),
        sheet=spec.get("sheet"),
        names=spec.get("names"),
        db_table=spec.get("table"),
        sql=spec.get("sql"),
        columns={k: str(v) for k, v in (spec.get("columns") or {}).items()},
        derive={k: str(v) for k, v in (spec.get("derive") or {}).items()},
        values={k: {str(a): str(b) for a, b in (v or {}).items()}
                for k, v in (spec.get("values") or {}).items()},
        constants=dict(spec.get("constants") or {}),
        where=spec.get("where"),
        extra=extra,
        unpivot=unpivot,
        rows=spec.get("rows"),
        match_names=_flag(spec.get("match_names", True), f"{where}.match_names"),
        lookup=_lookup(name, spec.get("lookup") or {}, where),
        origin=where,
    )


def _lookup(name: str, entries, where: str) -> dict[str, str]:
    """``column: table`` entries, each through a reference of `name` to `table`, of a column both have."""
    if not isinstance(entries, dict):
        raise MappingError(f"{where}.lookup: expected 'column: table' entries, e.g. {{category: products}}")
    contract = CONTRACT[name]
    related = {r.table: r for r in contract.references}
    out = {}
    for col, other in entries.items():
        if other not in related:
            raise MappingError(f"{where}.lookup.{col}: {name} refers to no table {other!r}; it refers to "
                               f"{', '.join(related) or 'no table'}")
        if col not in contract.column_names or col not in CONTRACT[other].column_names:
            raise MappingError(f"{where}.lookup.{col}: {col!r} must be a column of both {name} and {other}")
        if col == related[other].column:
            raise MappingError(f"{where}.lookup.{col}: {col!r} is the key {name} joins {other} by")
        out[str(col)] = str(other)
    return out
