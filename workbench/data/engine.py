"""The contract checked inside DuckDB, for typed sources (Parquet, DuckDB databases, the demo).

The engine reads the source, casts each column to its contract type and evaluates every rule
of :mod:`workbench.data.rules` as SQL in one pass: unreadable values (infinite numbers,
fractional whole numbers, dates outside the representable range), empty required values,
ranges, allowed values, dates after ``as_of``, references to the accepted rows of a parent
table (an anti-join), duplicate keys (the first row in file order kept) and date order.
Only the rows with a problem leave the engine: their reasons are written by the same Python
functions as the pandas path (:func:`workbench.data.rules._reasons`), so the rejects read the
same. The accepted table stays in the engine as a view over the source minus the rejected rows.

Why hand-written SQL rather than ``pandera.ibis``: read in pandera 0.35
(``pandera/backends/ibis/base.py``, ``container.py``), a failed check's whole boolean output is
brought to pandas (``check_output.to_pandas()``: 11M values per check on the demo's orders),
the failing "index" is the position in that unordered result rather than a row of the file,
and the uniqueness check numbers duplicates with ``row_number()`` without an order, so which
of two equal keys is "the first" (kept) is arbitrary. The rejects need the file row of every
failure, the first occurrence kept, and our cascade of rejected parent keys. One query with one
flag per (column, rule) keeps the scan single, yields exactly the failing rows, and leaves the
rules in one place (:mod:`workbench.data.contract`), read here and by the pandera schema of the
pandas path alike.

:func:`check_in_engine` returns None for what it does not handle (mappings that unpivot or give
rows inline, expressions the engine would compute differently, see
:mod:`workbench.data.engine_mapping`, types it does not cast); the loader then takes the pandas
path, which stays the reference. A mapping's recodings, constants, expressions and filter run
in the engine (:mod:`workbench.data.engine_mapping`).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field

import pandas as pd

from workbench.data.contract import Table
from workbench.data.mapping import TableMapping
from workbench.data.transform import rename

__all__ = ["EngineSource", "EngineResult", "check_in_engine", "lookup_in_engine", "quote"]

log = logging.getLogger(__name__)

_INTS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
         "HUGEINT"}
_FLOATS = {"FLOAT", "DOUBLE"}
_TIMES = {"TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "DATE", "TIMESTAMP WITH TIME ZONE"}
# the nanosecond range pandas holds (pd.Timestamp.min / max), at DuckDB's microsecond precision
_TS_MIN, _TS_MAX = "1677-09-21 00:12:43.145225", "2262-04-11 23:47:16.854775"
_UNSUPPORTED_MAPPING = ("unpivot", "rows")


def quote(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _literal(value) -> str:
    return "'" + str(value).replace("'", "''") + "'"


@dataclass
class EngineSource:
    """How the engine reads one table: a SQL relation with a 1-based ``__row`` (file row order)."""

    file: str
    sql: str
    #: Rebuilds the pandas reading of the same rows (for the raw values of rejected rows).
    raw_dialect: dict = field(default_factory=dict)


@dataclass
class EngineResult:
    """What :class:`~workbench.data.validation.TableResult` holds, with the accepted rows in the engine."""

    table: str
    file: str
    view: str  # the accepted rows, without __row
    rows_view: str  # the accepted rows with their __row, for an ordered pull
    columns: list[str]
    rejects: pd.DataFrame
    rejected_rows: pd.DataFrame
    read: int
    n_rejected: int
    excluded: int = 0
    rejected_key_values: pd.Index = field(default_factory=lambda: pd.Index([]))
    notes: list[str] = field(default_factory=list)

    @property
    def n_accepted(self) -> int:
        return self.read - self.excluded - self.n_rejected


@dataclass
class Parent:
    """An accepted parent table as the engine sees it, for reference checks."""

    relation: str
    key: str
    rejected_keys: pd.Index
    #: Keep a value missing from the parent (a partial master); only a rejected parent row's key fails.
    keep_unknown: bool = False
    #: The rejected keys as an engine relation (for keep_unknown).
    rejected_relation: str | None = None


def _column_sql(name: str, src: str, kind: str, dtype: str, allowed) -> tuple[str, str | None] | None:
    """(typed expression, unreadable flag or None) for one column; None when the type is not handled."""
    c = quote(src)
    base = kind.split("(")[0]
    if dtype == "string":
        if kind == "VARCHAR":
            expr = f"NULLIF({c}, '')"
        elif base in _INTS:
            expr = f"CAST({c} AS VARCHAR)"
        else:
            return None
        if allowed:
            cases = " ".join(f"WHEN {_literal(a.lower())} THEN {_literal(a)}" for a in allowed)
            expr = f"CASE lower({expr}) {cases} ELSE {expr} END"
        return expr, None
    if dtype in ("float", "int"):
        if base in _FLOATS:
            x = f"CASE WHEN isnan({c}) THEN NULL ELSE CAST({c} AS DOUBLE) END"
        elif base in _INTS or base == "BOOLEAN":
            x = f"CAST({c} AS DOUBLE)"
        else:
            return None
        bad = f"isinf({x})"
        if dtype == "int":
            bad = f"({bad} OR ({x} % 1 <> 0))"
            return f"CASE WHEN NOT {bad} THEN CAST(round({x}) AS BIGINT) END", f"coalesce({bad}, false)"
        return f"CASE WHEN NOT {bad} THEN {x} END", f"coalesce({bad}, false)"
    if dtype in ("date", "datetime"):
        if kind not in _TIMES:
            return None
        ts = f"timezone('UTC', {c})" if kind == "TIMESTAMP WITH TIME ZONE" else f"CAST({c} AS TIMESTAMP)"
        ok = f"{ts} BETWEEN TIMESTAMP '{_TS_MIN}' AND TIMESTAMP '{_TS_MAX}'"
        value = ts if dtype == "datetime" else f"date_trunc('day', {ts})"
        return f"CASE WHEN {ok} THEN {value} END", f"({c} IS NOT NULL AND NOT coalesce({ok}, false))"
    if dtype == "bool":
        return (c, None) if kind == "BOOLEAN" else None
    return None


def _targets(con, source: EngineSource, table: Table, mapping: TableMapping | None):
    """(contract (and extra) column -> (source column, duckdb type), columns taken by name), or None
    when unsupported."""
    if mapping is not None and any(getattr(mapping, k) for k in _UNSUPPORTED_MAPPING):
        log.info("%s: the mapping unpivots it or gives its rows inline: checked in pandas", source.file)
        return None
    import duckdb

    try:
        described = con.execute(f"DESCRIBE SELECT * FROM ({source.sql})").fetchall()
    except duckdb.Error as exc:  # the pandas path says what is wrong with the file
        log.info("%s: not read by the engine (%s)", source.file, exc)
        return None
    types = {r[0]: r[1] for r in described if r[0] != "__row"}
    # the mapping's renames, worked out on one row that holds each column's own name
    probe = pd.DataFrame([list(types)], columns=list(types), dtype=object)
    names_only = dataclasses.replace(mapping, values={}) if mapping is not None else None
    renamed, matched = rename(probe, table, names_only, source.file)
    targets = {dst: (renamed.at[0, dst], types[renamed.at[0, dst]]) for dst in renamed.columns}
    return targets, matched


def check_in_engine(con, source: EngineSource, table: Table, *, mapping: TableMapping | None,
                    as_of: pd.Timestamp | None, parents: dict[str, Parent]) -> EngineResult | None:
    """Parse and check one table in the engine; None when it needs the pandas path."""
    from workbench.data import engine_mapping

    found = _targets(con, source, table, mapping)
    if found is None:
        return None
    targets, matched = found
    recoded = engine_mapping.recode_source(source.sql, targets, mapping)
    if recoded is None:
        return None
    typing_sql, targets = recoded
    added = engine_mapping.plan(table, mapping, set(targets))
    if added is None:
        return None
    if any(c not in targets and c not in added.added for c in table.required):
        return None  # the pandas path raises the same fatal error, with the columns found
    extras = mapping.extra if mapping else {}
    dtypes = {n: table.column(n).dtype if n in table.column_names else extras[n] for n in targets}
    typed, flags = ["r.__row"], []  # flags: (column, check, sql condition)
    text = _text_columns(con, typing_sql, source, table.name, mapping)
    # a text file: every column parsed from its text; a typed source: its text columns of numbers,
    # dates or yes/no (a database or Parquet export that stores everything as text)
    textual = set(targets) if text is not None else {
        n for n, (_, kind) in targets.items() if kind == "VARCHAR" and dtypes[n] != "string"}
    if text is None and textual:
        text = _text_columns(con, typing_sql, source, table.name, mapping, typed=True)
    if text is not None:
        text.prepare({n: (src, dtypes[n]) for n, (src, _) in targets.items() if n in textual})
    for name, (src, kind) in targets.items():
        column = table.column(name) if name in table.column_names else None
        dtype = dtypes[name]
        allowed = column.allowed if column else None
        sql = (text.column(name, src, dtype, allowed) if name in textual
               else _column_sql(name, src, kind, dtype, allowed))
        if sql is None:
            log.info("%s: column %s of type %s is checked in pandas", source.file, src, kind)
            return None
        typed.append(f"{sql[0]} AS {quote(name)}")
        if sql[1] is not None:
            typed.append(f"{sql[1]} AS {quote('__bad_' + name)}")
            flags.append((name, "unreadable", quote("__bad_" + name)))
    tag = table.name
    typed_name = quote("__typed_" + tag)
    parsed_name = quote("__parsed_" + tag) if added else typed_name
    # a text file's values are parsed once, into a table, not again by every query on the view
    kind = "VIEW" if text is None else "TABLE"
    for name in {typed_name, parsed_name}:
        con.execute(f"DROP VIEW IF EXISTS {name}")
        con.execute(f"DROP TABLE IF EXISTS {name}")
    # a view over a typed source carries each row as the file holds it (a struct, computed only for
    # the flagged rows that select it): the reasons need no second read of the file
    raw = kind == "VIEW" and typing_sql == source.sql and "__source_row" not in {
        r[0].lower() for r in con.execute(f"DESCRIBE SELECT * FROM ({source.sql})").fetchall()}
    relation = typing_sql if text is None else text.relation()
    if raw:  # (a row alias, not "r": a column of that name would be taken instead)
        relation = f"SELECT __source_row.*, __source_row AS __raw FROM ({relation}) __source_row"
    con.execute(f"CREATE TEMP {kind} {parsed_name} AS "
                f"SELECT {', '.join(typed)}{', r.__raw' if raw else ''} FROM ({relation}) r")
    excluded = 0
    if added:
        mapped = engine_mapping.mapped_sql(con, "__parsed_" + tag, table, added, [f"__bad_{n}" for n, _, _ in flags],
                                           mapping=mapping, file=source.file, dtypes=dtypes)
        if mapped is None:
            return None
        filtered = " WHERE __keep" if added.where else ""
        con.execute(f"CREATE TEMP VIEW {typed_name} AS SELECT * EXCLUDE (__keep) FROM ({mapped}){filtered}")
        targets = {**targets, **{c: (None, "DERIVED") for c in added.added}}
    names = [c for c in table.column_names if c in targets] + [c for c in targets if c not in table.column_names]
    flags += _rule_flags(table, names, targets, as_of, parents, derived=set(added.added))
    refs = _references(table, names, parents)
    joins = "".join(
        f" LEFT JOIN (SELECT DISTINCT {quote(p.key)} AS k FROM {p.relation}) {quote('__p_' + ref)} "
        f"ON t.{quote(col)} = {quote('__p_' + ref)}.k" for ref, (col, p) in refs.items())
    found_refs = "".join(f", {quote('__p_' + ref)}.k AS {quote('__ref_' + ref)}" for ref in refs)
    dup_select, dup_join = _duplicates(table, names, typed_name)
    extra = [quote("__ref_" + ref) for ref in refs] + (["__dup"] if dup_select else [])
    body = f"SELECT t.*{found_refs}{dup_select} FROM {typed_name} t{joins}{dup_join}"
    cols = ", ".join(f"coalesce({cond}, false) AS f{i}" for i, (_, _, cond) in enumerate(flags))
    where = " OR ".join(f"f{i}" for i in range(len(flags))) or "false"
    problems_table = quote("__problems_" + tag)
    # the flagged rows keep their typed values (and raw ones): the reasons are written from this table
    exclude = f" EXCLUDE ({', '.join(extra)})" if extra else ""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {problems_table} AS SELECT * FROM "
                f"(SELECT t.*{exclude}{', ' + cols if cols else ''} FROM ({body}) t) WHERE {where}")
    read = con.execute(f"SELECT count(*) FROM ({source.sql})").fetchall()[0][0]
    if added.where:
        excluded = read - con.execute(f"SELECT count(*) FROM {typed_name}").fetchall()[0][0]
    flags_only = ", ".join(f"f{i}" for i in range(len(flags)))
    flagged = con.execute(f"SELECT __row{', ' + flags_only if flags else ''} FROM {problems_table} "
                          "ORDER BY __row").df()
    rows_view, view = quote("__accepted_" + tag), quote(tag)
    # no rejected row (the usual case): the accepted rows are the typed rows, no anti-join to pay
    kept = f" WHERE __row NOT IN (SELECT __row FROM {problems_table})" if len(flagged) else ""
    con.execute(f"CREATE OR REPLACE VIEW {rows_view} AS SELECT __row, {', '.join(map(quote, names))} "
                f"FROM {typed_name}{kept}")
    con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT {', '.join(map(quote, names))} FROM {rows_view}")
    result = _explain(con, source, table, flagged, flags, targets, names, as_of, parents, read,
                      text.expected if text is not None else {}, mapping.values if mapping else {}, raw)
    result.view, result.rows_view, result.columns, result.excluded = view, rows_view, names, excluded
    if matched and mapping is not None:
        result.notes.append(f"{source.file}: {table.name} columns taken by their names: {', '.join(matched)}")
    result.notes.extend(source.raw_dialect.get("notes", []))
    log.info("%s: checked in the engine: read %d, rejected %d, excluded %d", source.file, read,
             result.n_rejected, excluded)
    return result


def _references(table: Table, names: list[str], parents: dict[str, Parent]) -> dict[str, tuple[str, Parent]]:
    return {r.table: (r.column, parents[r.table]) for r in table.references
            if r.column in names and r.table in parents}


def _duplicates(table: Table, names: list[str], typed: str) -> tuple[str, str]:
    """``__dup``: 1 for the first row (in file order) of each key, 2 for the later ones.

    What ``row_number() OVER (PARTITION BY key ORDER BY __row)`` says, without its cost: the
    window held every row with all its columns (11M order lines: seconds and gigabytes), while
    a grouping of the key alone finds the (usually no) repeated keys and their first row, and
    only the rows of those keys are marked. The grouping is of the keys' 64-bit hashes first
    (a quarter less memory than text keys: the peak of loading 11M order lines), then of the
    keys themselves among the rows whose hash repeats, so a collision marks nothing. NULL keys
    group together, as in the window.
    """
    key = [k for k in table.key if k in names]
    if not table.key or len(key) < len(table.key):
        return "", ""
    cols = ", ".join(quote(k) for k in key)
    on = " AND ".join(f"t.{quote(k)} IS NOT DISTINCT FROM __d.{quote(k)}" for k in key)
    repeated = f"(SELECT hash({cols}) AS h FROM {typed} GROUP BY h HAVING count(*) > 1)"
    join = (f" LEFT JOIN (SELECT {cols}, min(__row) AS __first FROM {typed} WHERE hash({cols}) IN {repeated} "
            f"GROUP BY {cols} HAVING count(*) > 1) __d ON {on}")
    return ", CASE WHEN t.__row > __d.__first THEN 2 ELSE 1 END AS __dup", join


def _rule_flags(table: Table, names, targets, as_of, parents, *, derived=frozenset()) -> list[tuple[str, str, str]]:
    """(column, check, condition) for every rule, named as the pandera schema names its checks.

    A `derived` column empty because one of its row's inputs was unreadable is not flagged again.
    """
    flags = []
    key = [k for k in table.key if k in names]
    if len(table.key) > 1 and len(key) == len(table.key):
        flags.append((key[0], "multiple_fields_uniqueness", "__dup > 1"))
    for a, b in table.date_order:
        if a in names and b in names:
            flags.append((b, f"order:{a}<{b}", f"{quote(b)} < {quote(a)}"))
    refs = _references(table, names, parents)
    for col in table.columns:
        if col.name not in names:
            continue
        c = quote(col.name)
        if not col.nullable:
            bad = (quote("__bad_" + col.name) if col.dtype not in ("string", "bool") or col.name in derived
                   else "false")
            flags.append((col.name, "not_nullable", f"{c} IS NULL AND NOT {bad}"))
        if col.min is not None or col.max is not None:
            parts = [f"{c} < {col.min!r}" if col.min is not None else None,
                     f"{c} > {col.max!r}" if col.max is not None else None]
            flags.append((col.name, "range", " OR ".join(p for p in parts if p)))
        if col.allowed:
            flags.append((col.name, "allowed", f"{c} NOT IN ({', '.join(map(_literal, col.allowed))})"))
        if col.not_after_as_of and as_of is not None:
            if col.dtype == "datetime":
                limit = as_of.normalize() + pd.Timedelta(days=1)
                flags.append((col.name, "after_as_of", f"{c} >= TIMESTAMP '{limit:%Y-%m-%d %H:%M:%S}'"))
            else:
                flags.append((col.name, "after_as_of", f"{c} > TIMESTAMP '{as_of:%Y-%m-%d %H:%M:%S.%f}'"))
        for ref, (ref_col, parent) in refs.items():
            if ref_col == col.name:
                rejected = (f" AND {c} IN (SELECT k FROM {parent.rejected_relation})"
                            if parent.keep_unknown else "")
                flags.append((col.name, f"reference:{ref}",
                               f"{c} IS NOT NULL AND {quote('__ref_' + ref)} IS NULL{rejected}"))
        if table.key == (col.name,):
            flags.append((col.name, "field_uniqueness", f"{c} IS NOT NULL AND __dup > 1"))
    return flags


def _text_columns(con, sql: str, source: EngineSource, tag: str, mapping: TableMapping | None, *,
                  typed: bool = False):
    """The SQL parser of a text file's columns (None for typed sources, unless `typed`: then for the
    text columns of a typed source, untrimmed as the reference reads typed sources)."""
    sep = source.raw_dialect.get("text")
    if sep is None and not typed:
        return None
    from workbench.data.engine_text import TextColumns
    from workbench.data.parsing import Dialect

    dialect = Dialect(decimal=mapping.decimal if mapping else None, decimal_hint="," if sep == ";" else None,
                      thousands=mapping.thousands if mapping else None,
                      date_format=mapping.date_format if mapping else None, trim=not typed)
    return TextColumns(con, sql, tag, dialect)


def _explain(con, source, table, flagged, flags, targets, names, as_of, parents, read, expected,
             recodes, raw) -> EngineResult:
    from workbench.data.engine_rejects import explain

    rejects, rejected_rows, n_rejected, dropped = explain(
        con, source, table, flagged, flags, targets, as_of,
        {name: p.rejected_keys for name, p in parents.items()}, expected, recodes, raw=raw)
    return EngineResult(table.name, source.file, "", "", names, rejects, rejected_rows, read, n_rejected,
                        rejected_key_values=dropped)


def lookup_in_engine(con, result: EngineResult, table: Table, lookups: dict[str, tuple[str, str, str]]) -> None:
    """Redefine the accepted views with columns taken from related tables: column -> (relation, by, key)."""
    names = [c for c in table.column_names if c in result.columns or c in lookups]
    names += [c for c in result.columns if c not in names]
    select, joins = ["a.__row"], []
    for i, (col, (relation, by, key)) in enumerate(lookups.items()):
        joins.append(f" LEFT JOIN (SELECT {quote(key)} AS k, {quote(col)} AS v FROM {relation}) l{i} "
                     f"ON a.{quote(by)} = l{i}.k")
    for col in names:
        if col in lookups:
            i = list(lookups).index(col)
            value = f"coalesce(a.{quote(col)}, l{i}.v)" if col in result.columns else f"l{i}.v"
            select.append(f"{value} AS {quote(col)}")
        else:
            select.append(f"a.{quote(col)}")
    looked = quote(f"__looked_{table.name}")
    con.execute(f"CREATE OR REPLACE VIEW {looked} AS SELECT {', '.join(select)} FROM {result.rows_view} a"
                + "".join(joins))
    con.execute(f"CREATE OR REPLACE VIEW {result.view} AS SELECT {', '.join(map(quote, names))} FROM {looked}")
    result.rows_view, result.columns = looked, names
