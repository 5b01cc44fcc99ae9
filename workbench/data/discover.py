"""Which tables a source holds and how to read each one, without reading any of them yet.

:func:`discover` returns, per contract table, a :class:`Pending` table: a reader for the pandas
path (the reference), and when the source is typed (Parquet, a DuckDB database, the demo's
frames) the SQL the engine reads it with. Nothing is read until :class:`~workbench.data.dataset.CRMData`
asks for the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from workbench.data.contract import CONTRACT, TABLE_ORDER
from workbench.data.engine import EngineSource, quote
from workbench.data.limits import confine
from workbench.data.mapping import Mapping, MappingError, TableMapping
from workbench.data.sources import (
    DUCKDB_SUFFIXES,
    TEXT_SUFFIXES,
    RawTable,
    SourceError,
    duckdb_tables,
    find_table_files,
    inner_suffix,
    read_raw,
    table_stem,
)

__all__ = ["Pending", "discover", "pending_frame"]


@dataclass
class Pending:
    """A table of the source, not read yet."""

    name: str
    read: Callable[[], RawTable]
    #: How the engine reads it (typed sources only); None: the pandas path reads it.
    engine: EngineSource | None = None


def _literal_path(path: Path) -> str:
    return "'" + str(path.resolve()).replace("'", "''") + "'"


def _parquet_source(path: Path) -> EngineSource:
    return EngineSource(path.name, "SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS __row "
                                   f"FROM read_parquet({_literal_path(path)}, file_row_number = true)",
                        {"parquet": path})


def _duckdb_source(path: Path, table: str) -> EngineSource:
    return EngineSource(f"{path.name}:{table}",
                        f"SELECT *, row_number() OVER () AS __row FROM __src_db.main.{quote(table)}",
                        {"attach": path})


def _pending_file(name: str, file: Path, **options) -> Pending:
    engine = None
    suffix = file.suffix.lower()
    if suffix in (".parquet", ".pq") and file.exists() and not options.get("names"):
        engine = _parquet_source(file)
    elif suffix in DUCKDB_SUFFIXES and options.get("table"):
        engine = _duckdb_source(file, options["table"])
    elif inner_suffix(file) in TEXT_SUFFIXES and file.is_file():
        # read by DuckDB when first used (engine_text.materialise), unless it declines the file
        engine = EngineSource(file.name, "", {"csv": (file, options)})
    return Pending(name, partial(read_raw, file, **options), engine)


def pending_frame(name: str, frame: pd.DataFrame, label: str) -> Pending:
    """A table already in memory (the demo company), typed."""
    raw = RawTable(frame, label, None, {"format": "demo"}, typed=True)
    return Pending(name, lambda: raw, EngineSource(label, f"SELECT * FROM {quote('__frame_' + name)}",
                                                   {"frame": frame}))


def _postgres_source(source, name: str, relation: str, what: str) -> Pending:
    from workbench.data.postgres import copy_into_duckdb, read_frame

    label = f"{source.label} {what}"
    target = f"__pg_{name}"

    def read() -> RawTable:
        return RawTable(read_frame(source, relation), label, None, {"format": "postgres"}, typed=True)

    def stream(con) -> None:
        copy_into_duckdb(source, relation, con, target)

    return Pending(name, read, EngineSource(label, f"SELECT * FROM {quote(target)}", {"stream": stream}))


def discover_postgres(url: str, mapping: Mapping | None, only: list[str] | None) -> tuple[dict[str, Pending], list[str]]:
    """The tables of a PostgreSQL database: those the mapping names (``table:`` or ``sql:``), else the
    tables and views of schema ``public`` named after contract tables."""
    from workbench.data.postgres import list_tables, parse_url, relation_sql

    source = parse_url(url)
    found: dict[str, Pending] = {}
    notes: list[str] = []
    if mapping is not None:
        for name, spec in mapping.tables.items():
            if only and name not in only:
                continue
            if spec.file is not None or spec.rows is not None:
                raise MappingError(f"{spec.origin or name}: a database source reads tables: give table: "
                                   "(schema.name) or sql: (a query), not file: or rows:")
            relation = relation_sql(table=spec.db_table or name, sql=spec.sql)
            what = "query for " + name if spec.sql else relation.replace('"', "")
            found[name] = _postgres_source(source, name, relation, what)
        return _ordered(found), notes
    present = list_tables(source)
    for name in present:
        if name in CONTRACT and (not only or name in only):
            found[name] = _postgres_source(source, name, relation_sql(table=name), name)
    other = [t for t in present if t not in CONTRACT]
    if other:
        notes.append(f"database tables that match no contract table, not loaded: {', '.join(other)}")
    if not found:
        raise SourceError(f"{source.label}: no table of schema public is named after a contract table "
                          f"({', '.join(TABLE_ORDER)}); name them so, or map them (table: schema.name)")
    return _ordered(found), notes


def discover(path: Path, mapping: Mapping | None, only: list[str] | None, *,
             allow_outside: bool = False) -> tuple[dict[str, Pending], list[str]]:
    """The tables of a source, by contract name, and notes about what was ignored."""
    notes: list[str] = []
    found: dict[str, Pending] = {}
    folder = path if path.is_dir() else path.parent
    if mapping is not None:
        for name, spec in mapping.tables.items():
            if not only or name in only:
                found[name] = _mapped(path, folder, spec, allow_outside=allow_outside)
        if path.is_dir():
            used = {spec.file for spec in mapping.tables.values() if spec.file}
            unused = [f.name for f in find_table_files(path)[0].values() if f.name not in used]
            if unused:
                notes.append(f"files named after contract tables that the mapping does not use, "
                             f"not loaded: {', '.join(unused)}")
        return _ordered(found), notes
    if path.is_dir():
        files, ignored = find_table_files(path)
        if ignored:
            notes.append(f"files that match no contract table, not loaded: {', '.join(ignored)}")
        if not files:
            raise SourceError(
                f"{path}: no file named after a contract table ({', '.join(TABLE_ORDER)}); "
                "name the files so, or give a mapping file"
            )
        for name, file in files.items():
            if not only or name in only:
                found[name] = _pending_file(name, file)
        return _ordered(found), notes
    if path.suffix.lower() in DUCKDB_SUFFIXES:
        present = duckdb_tables(path)
        for name in present:
            if name in CONTRACT and (not only or name in only):
                found[name] = _pending_file(name, path, table=name)
        other = [t for t in present if t not in CONTRACT]
        if other:
            notes.append(f"database tables that match no contract table, not loaded: {', '.join(other)}")
        if not found:
            raise SourceError(f"{path.name}: no table named after a contract table ({', '.join(TABLE_ORDER)})")
        return _ordered(found), notes
    name = table_stem(path)
    if name not in CONTRACT:
        raise SourceError(
            f"{path.name}: a single file needs a mapping that says which table it holds "
            f"(or name it after a contract table: {', '.join(TABLE_ORDER)})"
        )
    found[name] = _pending_file(name, path)
    return found, notes


def _ordered(found: dict[str, Pending]) -> dict[str, Pending]:
    return {n: found[n] for n in TABLE_ORDER if n in found}


def _mapped(path: Path, folder: Path, spec: TableMapping, *, allow_outside: bool = False) -> Pending:
    if spec.rows is not None:
        def inline() -> RawTable:
            frame = pd.DataFrame([{k: (None if v is None else str(v)) for k, v in r.items()} for r in spec.rows])
            return RawTable(frame.astype("str").where(frame.notna()), "mapping (inline rows)", None, {})
        return Pending(spec.table, inline)
    if path.is_file() and path.suffix.lower() in DUCKDB_SUFFIXES:
        return _pending_file(spec.table, path, table=spec.db_table or spec.table)
    if spec.file is None:
        if path.is_file():
            file = path
        else:
            raise MappingError(f"mapping for {spec.table}: say which file holds it (file:)")
    else:
        file = confine(spec.file, folder, allow_outside=allow_outside, error=MappingError,
                       where=f"{spec.origin or 'mapping for ' + spec.table}.file")
        if file.is_dir():
            raise MappingError(f"mapping for {spec.table}: file {spec.file!r} is a folder; name a file in it")
    return _pending_file(spec.table, file, sep=spec.sep, encoding=spec.encoding, header=spec.header,
                         names=spec.names, skiprows=spec.skiprows, sheet=spec.sheet, table=spec.db_table)
