"""A mapping's recodings, constants, expressions and filter, run in the engine.

What :mod:`workbench.data.transform` does to a pandas frame (the reference), done to the engine's
relations: ``values`` recodes the raw text before it is parsed (the trimmed value looked up, as the
reference does), ``constants``, ``derive`` and the contract's derivable ``amount`` add typed columns
after parsing, and ``where`` keeps the matching rows (a row with an unreadable value is kept, to be
rejected: a filter never hides a problem). Expressions go through the one safe language
(:meth:`workbench.data.expressions.Expression.to_ibis`), compiled to SQL by Ibis; nothing else runs.

Before any of it runs on the table, the reference evaluates the same expressions on the first rows
in pandas, so a mapping that cannot work (text times a number, a ``where`` that is no condition)
fails with the reference's own message, and the engine's values on those rows are compared with
the reference's. What the two would compute differently declines to the reference path (the
loader says so in its log): division and remainder (the reference gives infinity where the
engine has no value), ``round``, ``strip``, ``lower`` and ``upper`` (rounding half to even,
Unicode spaces and case mappings), results whose conversion to the column's type the reference
does with its own text parser (a date computed from text, a number written as text), and any
value that differs on the first rows.
"""

from __future__ import annotations

import ast
import logging
from dataclasses import dataclass

import pandas as pd

from workbench.data.contract import Table
from workbench.data.engine import _INTS, _literal, quote
from workbench.data.engine_text import _SPACE
from workbench.data.expressions import ExpressionError, parse_expression
from workbench.data.mapping import TableMapping
from workbench.data.parsing import coerce_derived

__all__ = ["MappedColumns", "recode_source", "plan", "mapped_sql"]

log = logging.getLogger(__name__)

#: Sample on which the reference evaluates the expressions first (its errors, its values).
_SAMPLE = 1000


def recode_sql(column: str, kind: str, recode: dict[str, str]) -> str | None:
    """The recoded value of `column` as SQL: its trimmed text looked up in `recode`, else kept trimmed."""
    if kind in _INTS:
        text = f"CAST({quote(column)} AS VARCHAR)"
    elif kind == "VARCHAR":
        text = quote(column)
    else:
        return None
    trimmed = f"trim({text}, {_literal(_SPACE)})"
    cases = " ".join(f"WHEN {_literal(k)} THEN {_literal(v)}" for k, v in recode.items())
    return f"CASE WHEN {text} IS NULL THEN NULL ELSE CASE {trimmed} {cases} ELSE {trimmed} END END"


def recode_source(sql: str, targets: dict[str, tuple[str, str]], mapping: TableMapping | None):
    """(source SQL with the recoded columns replaced, targets with their new kinds), or None to decline."""
    if mapping is None or not mapping.values:
        return sql, targets
    replaced, targets = [], dict(targets)
    for name, recode in mapping.values.items():
        if name not in targets:
            continue
        src, kind = targets[name]
        if sum(s == src for s, _ in targets.values()) > 1:
            return None  # one file column feeding two contract columns, one of them recoded
        expr = recode_sql(src, kind, recode)
        if expr is None:
            log.info("recoding %s: a %s column is recoded in pandas", name, kind)
            return None
        replaced.append(f"{expr} AS {quote(src)}")
        targets[name] = (src, "VARCHAR")
    if not replaced:
        return sql, targets
    return f"SELECT * REPLACE ({', '.join(replaced)}) FROM ({sql})", targets


@dataclass
class MappedColumns:
    """Columns the mapping (or the contract's derivation) adds after parsing, and its filter."""

    constants: dict[str, object]
    derive: dict[str, str]
    derivable: list[str]
    where: str | None

    @property
    def added(self) -> list[str]:
        return [*self.constants, *self.derive, *self.derivable]

    def __bool__(self) -> bool:
        return bool(self.added or self.where)


#: Functions whose engine result differs from the reference's: rounding half to even on the decimal
#: value, Unicode spaces, and Unicode's full case mappings (ß -> SS).
_DECLINED_FUNCTIONS = ("round", "strip", "lower", "upper")


def _declined(text: str) -> str | None:
    """Why the engine would compute expression `text` differently from the reference (None: it would not)."""
    try:
        tree = parse_expression(text).tree
    except ExpressionError:
        return "it is not a valid expression"  # the reference raises it, with where it comes from
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div | ast.Mod):
            return "division and remainder are computed in pandas"
        if isinstance(node, ast.Call) and node.func.id in _DECLINED_FUNCTIONS:
            return f"{node.func.id}() is computed in pandas"
    return None


def plan(table: Table, mapping: TableMapping | None, parsed: set[str]) -> MappedColumns | None:
    """What the mapping adds to the parsed columns; None when the engine would compute it differently."""
    constants = dict(mapping.constants) if mapping else {}
    derive = dict(mapping.derive) if mapping else {}
    if any(c not in table.column_names for c in [*constants, *derive]):
        return None  # the reference says what is wrong
    where = mapping.where if mapping and mapping.where else None
    for key, text in [*((f"derive.{c}", t) for c, t in derive.items()), *([("where", where)] if where else [])]:
        why = _declined(text)
        if why is not None:
            log.info("%s: %s", key, why)
            return None
    have = parsed | set(constants) | set(derive)
    derivable = [c for c in table.derivable if c not in have and {"quantity", "unit_price"} <= have]
    return MappedColumns(constants, derive, derivable, where)


def _reference(con, sample: str, table: Table, mapping: TableMapping | None, file: str,
               dtypes: dict[str, str]) -> tuple[pd.DataFrame, pd.Series]:
    """The reference's constants, expressions and filter on the `sample` rows: its errors
    (MappingError...) raised here as it raises them, else (the typed rows with what it adds, its filter)."""
    from workbench.data.engine_rejects import arrow_to_contract
    from workbench.data.transform import apply_constants_and_derive, where_mask

    sample_frame = arrow_to_contract(con.sql(f"SELECT * FROM {quote(sample)} ORDER BY __row").to_arrow_table(), dtypes)
    rows = sample_frame.pop("__row").astype("int64")
    sample_frame = sample_frame[[c for c in sample_frame.columns if not c.startswith("__bad_") and c != "__raw"]]
    typed = apply_constants_and_derive(sample_frame, table, mapping, file, rows)
    return typed, where_mask(typed, mapping, file, rows)


def _round_even():
    import ibis

    @ibis.udf.scalar.builtin(name="round_even")
    def round_even(x: float, n: int) -> float:  # noqa: ARG001 - DuckDB's own function
        ...

    return round_even


def _coerce(value, dtype: str):
    """The reference's coerce_derived for a value of the engine's type; None when it would differ."""
    kind = value.type()
    if dtype == "string":
        if kind.is_string():
            return value
        if kind.is_integer():
            return value.cast("string")
        return None
    if dtype == "float" and (kind.is_numeric() or kind.is_boolean()):
        return value.cast("float64")
    if dtype == "int":
        if kind.is_integer() or kind.is_boolean():
            return value.cast("int64")
        if kind.is_numeric():  # the reference rounds half to even
            return _round_even()(value.cast("float64"), 0).cast("int64")
        return None
    if dtype == "bool" and kind.is_boolean():
        return value
    return None  # dates: the reference parses the text of the value


def _constant(value, column):
    """A mapping constant as the reference makes it (coerce_derived), as an Ibis literal."""
    import ibis

    dtype = column.dtype
    typed = coerce_derived(pd.Series([value], dtype=object), column, pd.RangeIndex(1)).iloc[0]
    ibis_type = {"string": "string", "float": "float64", "int": "int64", "bool": "boolean",
                 "date": "timestamp", "datetime": "timestamp"}[dtype]
    if pd.isna(typed):
        return ibis.null().cast(ibis_type)
    if dtype in ("date", "datetime"):
        return ibis.literal(pd.Timestamp(typed).to_pydatetime()).cast("timestamp")
    if dtype == "float":
        return ibis.literal(float(typed), type="float64")
    if dtype == "int":
        return ibis.literal(int(typed), type="int64")
    if dtype == "bool":
        return ibis.literal(bool(typed))
    return ibis.literal(str(typed), type="string")


def _build(t, table: Table, columns: MappedColumns, bad: list[str]):
    """`t` with the added columns, their ``__bad_`` flags, ``__where`` and ``__keep``; None when the
    engine would convert a result differently, or cannot type an expression the reference evaluates
    (text compared with a number, year() of text...)."""
    import ibis

    def any_bad(t):  # any unreadable input of the row (the columns stay through every mutate)
        out = ibis.literal(False)
        for b in bad:
            out = out | t[b]
        return out

    try:
        for col, value in columns.constants.items():
            t = t.mutate(**{col: _constant(value, table.column(col))})
        for col, text in columns.derive.items():
            value = parse_expression(text).to_ibis(t, names={"row_number": t["__row"]})
            coerced = _coerce(value, table.column(col).dtype)
            if coerced is None:
                log.info("derive.%s: a %s result for a %s column is converted in pandas", col, value.type(),
                         table.column(col).dtype)
                return None
            t = t.mutate(**{col: coerced})
        for col in columns.derivable:  # numpy's round(x, 2): x * 100 rounded half to even, / 100
            product = t["quantity"].cast("float64") * t["unit_price"].cast("float64")
            t = t.mutate(**{col: _round_even()(product * 100.0, 0) / 100.0})
        t = t.mutate(**{f"__bad_{c}": any_bad(t) for c in columns.added})
        where = ibis.literal(True)
        if columns.where is not None:
            where = parse_expression(columns.where).to_ibis(t, names={"row_number": t["__row"]})
            if not where.type().is_boolean():
                return None
            where = where.fill_null(False)
        t = t.mutate(__where=where)
        return t.mutate(__keep=t["__where"] | any_bad(t))
    except (ibis.common.exceptions.IbisError, AttributeError, TypeError, ValueError) as exc:
        log.info("the mapping's expressions are evaluated in pandas: %s", str(exc).splitlines()[0][:200])
        return None


def _disagree(engine: pd.DataFrame, typed: pd.DataFrame, where: pd.Series, columns: MappedColumns) -> str | None:
    """The first added column (or the filter) whose engine values differ from the reference's on the sample."""
    pairs = [(c, engine[c], typed[c]) for c in columns.added]
    if columns.where is not None:
        pairs.append(("where", engine["__where"], where))
    for name, got, want in pairs:
        got, want = got.reset_index(drop=True).astype(object), want.reset_index(drop=True).astype(object)
        same = (got == want).fillna(False).astype(bool) | (got.isna() & want.isna())
        if not same.all():
            return name
    return None


def mapped_sql(con, relation: str, table: Table, columns: MappedColumns, bad: list[str], *,
               mapping: TableMapping | None, file: str, dtypes: dict[str, str]) -> str | None:
    """SELECT of `relation` with the added columns, ``__bad_`` of each (any unreadable input) and
    ``__keep`` (the filter); None when the engine would compute something differently from the
    reference. The reference first runs on the first rows (raising its own errors), then the
    engine's values on the same rows are compared with its."""
    import ibis

    from workbench.data.engine_rejects import arrow_to_contract

    sample = f"__sample_{relation}"  # the first rows, taken once for both
    con.execute(f"CREATE OR REPLACE TEMP TABLE {quote(sample)} AS SELECT * FROM {quote(relation)} ORDER BY __row "
                f"LIMIT {_SAMPLE}")
    try:
        reference = _reference(con, sample, table, mapping, file, dtypes)
        backend = ibis.duckdb.from_connection(con)
        whole = _build(backend.table(relation), table, columns, bad)
        on_sample = _build(backend.table(sample), table, columns, bad) if whole is not None else None
        if on_sample is None:
            return None
        added = {c: table.column(c).dtype for c in columns.added}
        engine = arrow_to_contract(on_sample.select(*columns.added, "__where", "__row").order_by("__row")
                                   .to_pyarrow(), {**dtypes, **added})
    finally:
        con.execute(f"DROP TABLE IF EXISTS {quote(sample)}")
    differs = _disagree(engine, *reference, columns)
    if differs is not None:
        log.info("%s: the engine's values differ from the reference's on the first rows: computed in pandas",
                 differs)
        return None
    return ibis.to_sql(whole.drop("__where"), dialect="duckdb")
