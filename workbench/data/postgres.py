"""A PostgreSQL database as a source: ``postgresql://user@host:port/db``.

Credentials come from the URL, the standard ``PG*`` environment variables (``PGPASSWORD``...)
or ``~/.pgpass``, all read by libpq itself; a password is never shown: every message, note,
report and manifest names the source by :attr:`PgSource.label` (``user:***@host`` when the URL
holds a password).

Tables are read with ``COPY (SELECT ...) TO STDOUT`` (one statement, streamed: nothing is held
whole in Python) and parsed by Arrow's CSV reader in blocks, each block inserted into the
embedded DuckDB. DuckDB's own ``postgres`` extension would do the same, but it is downloaded on
first use, which an offline machine cannot do; the COPY stream needs only psycopg. Rows are
numbered in the order the server sends them (``__row``): for a table, its physical order; for a
``sql:`` mapping, the query's ``ORDER BY``.

A failure (wrong password, unreachable host, missing table, a connection lost midway) raises
:class:`~workbench.data.sources.SourceError` naming the source without its password; a table
half-read is dropped, never used.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from workbench.data.sources import SourceError

__all__ = ["PgSource", "is_postgres", "parse_url", "relation_sql"]

log = logging.getLogger(__name__)

SCHEMES = ("postgresql://", "postgres://")
_BLOCK = 8 << 20  # bytes of CSV Arrow parses at a time (~100k order lines)
# PostgreSQL types read as whole numbers / as floating point numbers (others: see _select)
_INTS = {"int2", "int4", "int8", "oid"}
_FLOATS = {"float4", "float8", "numeric", "money"}


def is_postgres(data) -> bool:
    """True for a ``postgresql://`` (or ``postgres://``) URL."""
    return isinstance(data, str) and data.lower().startswith(SCHEMES)


@dataclass(frozen=True)
class PgSource:
    """Where the database is; `url` may hold a password, `label` never does."""

    url: str
    label: str
    has_password: bool

    def connect(self):
        """A psycopg connection; a clear :class:`SourceError` (no password in it) when it fails."""
        import psycopg

        try:
            con = psycopg.connect(self.url, connect_timeout=10, application_name="workbench")
        except psycopg.Error as exc:
            raise SourceError(self.explain(exc)) from None
        con.execute("SET TIME ZONE 'UTC'")
        return con

    def explain(self, exc: Exception) -> str:
        """One sentence: what went wrong with this source and what to do, without the password."""
        text = self.scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
        low = text.lower()
        if "password authentication failed" in low or "no password supplied" in low:
            return (f"{self.label}: the server refused the password of this user ({text}); set PGPASSWORD "
                    "or a line in ~/.pgpass (host:port:database:user:password)")
        if any(s in low for s in ("connection refused", "could not translate host", "timeout expired",
                                  "no route to host", "name or service not known", "network is unreachable")):
            return f"{self.label}: the database server cannot be reached ({text}); check host, port and that it runs"
        if "does not exist" in low and "database" in low:
            return f"{self.label}: {text}; check the database name at the end of the URL"
        if any(s in low for s in ("terminating connection", "server closed the connection", "connection is lost",
                                  "consuming input failed", "connection is closed", "eof detected")):
            return f"{self.label}: the connection was lost while reading ({text}); nothing was kept, run again"
        return f"{self.label}: {text}"

    def scrub(self, text: str) -> str:
        """`text` with the URL's password (if any) replaced by ***."""
        password = urlsplit(self.url).password
        return text.replace(unquote(password), "***") if password else text


def parse_url(url: str) -> PgSource:
    """Check a PostgreSQL URL and build its password-free label."""
    parts = urlsplit(url)
    if not parts.hostname and not parts.path.strip("/"):
        raise SourceError(f"{mask_url(url)}: give at least a host or a database, e.g. postgresql://user@host/db")
    return PgSource(url, mask_url(url), parts.password is not None)


def mask_url(url: str) -> str:
    """``postgresql://user:***@host:port/db``: the URL with its password (if any) masked, no query."""
    parts = urlsplit(url)
    user = unquote(parts.username) if parts.username else ""
    if parts.password is not None:
        user += ":***"
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return f"{parts.scheme}://{user + '@' if user else ''}{host}{parts.path}"


_IDENT = re.compile(r'^("(?:[^"]|"")+"|[^."]+)(?:\.("(?:[^"]|"")+"|[^."]+))?$')


def relation_sql(*, table: str | None = None, sql: str | None = None) -> str:
    """The SQL a mapping entry names: ``schema.name`` (each part quoted) or a query of its own."""
    if sql is not None:
        return f"({sql.strip().rstrip(';')})"
    match = _IDENT.match(table or "")
    if not match:
        raise SourceError(f"table {table!r}: write it as name or schema.name")
    parts = [p for p in match.groups() if p]
    return ".".join(p if p.startswith('"') else '"' + p.replace('"', '""') + '"' for p in parts)


def list_tables(source: PgSource, schema: str = "public") -> list[str]:
    """Tables and views of `schema`."""
    with source.connect() as con:
        rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                           "ORDER BY table_name", (schema,)).fetchall()
    return [r[0] for r in rows]


def _columns(con, source: PgSource, relation: str) -> list[tuple[str, str]]:
    """(name, type name) of each column of `relation`, or a SourceError naming what is missing."""
    import psycopg

    try:
        cur = con.execute(f"SELECT * FROM {relation} AS q LIMIT 0")
    except psycopg.Error as exc:
        raise SourceError(f"{source.label}: {relation} cannot be read: {source.explain(exc).split(': ', 1)[1]}"
                          ) from None
    names = {r[0]: r[1] for r in con.execute("SELECT oid, typname FROM pg_type WHERE oid = ANY(%s)",
                                             ([d.type_code for d in cur.description],)).fetchall()}
    return [(d.name, names.get(d.type_code, "text")) for d in cur.description]


def _select(columns: list[tuple[str, str]]) -> tuple[list[str], dict]:
    """The COPY query's column list and the Arrow type of each column."""
    import pyarrow as pa

    select, types = [], {}
    for name, kind in columns:
        q = "q." + '"' + name.replace('"', '""') + '"'
        if kind in _INTS:
            expr, arrow = f"{q}::int8", pa.int64()
        elif kind in _FLOATS:
            expr, arrow = f"{q}::float8", pa.float64()
        elif kind == "bool":
            expr, arrow = q, pa.bool_()
        elif kind == "date":
            expr, arrow = q, pa.date32()
        elif kind in ("timestamp", "timestamptz"):
            # timestamptz: read as UTC wall time (the session is in UTC)
            expr = f"({q} AT TIME ZONE 'UTC')" if kind == "timestamptz" else q
            arrow = pa.timestamp("us")
        else:
            expr, arrow = f"{q}::text", pa.string()
        select.append(expr)
        types[name] = arrow
    return select, types


class _CopyStream(io.RawIOBase):
    """The bytes of a psycopg COPY, as a file Arrow's CSV reader can read."""

    def __init__(self, copy) -> None:
        self._copy, self._left = copy, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._left:
            chunk = self._copy.read()
            if not chunk:
                return 0
            self._left = bytes(chunk)
        n = min(len(buffer), len(self._left))
        buffer[:n], self._left = self._left[:n], self._left[n:]
        return n


def copy_into_duckdb(source: PgSource, relation: str, duck, target: str) -> int:
    """Stream `relation` into the DuckDB table `target` with a 1-based ``__row``; returns its rows.

    On any failure the half-written table is dropped and a :class:`SourceError` raised.
    """
    import psycopg

    try:
        with source.connect() as con:
            columns = _columns(con, source, relation)
            select, types = _select(columns)
            query = f"COPY (SELECT {', '.join(select) or 'NULL'} FROM {relation} AS q) TO STDOUT (FORMAT csv)"
            with con.cursor().copy(query) as copy:
                n = _insert_batches(_CopyStream(copy), duck, target, types)
    except (psycopg.Error, OSError) as exc:
        duck.execute(f'DROP TABLE IF EXISTS "{target}"')
        raise SourceError(f"{source.explain(exc)} (table {relation})") from None
    except Exception as exc:  # an Arrow parse error: a value the type map did not foresee
        duck.execute(f'DROP TABLE IF EXISTS "{target}"')
        if "pyarrow" in type(exc).__module__:
            raise SourceError(f"{source.label}: {relation} could not be read ({source.scrub(str(exc))})") from None
        raise
    log.info("%s: %s read into the engine (%d rows)", source.label, relation, n)
    return n


def _insert_batches(stream, duck, target: str, types: dict) -> int:
    import pyarrow as pa
    from pyarrow import csv

    names = list(types)
    reader = csv.open_csv(
        io.BufferedReader(stream, buffer_size=1 << 20),
        read_options=csv.ReadOptions(column_names=names, block_size=_BLOCK),
        convert_options=csv.ConvertOptions(column_types=types, null_values=[""], strings_can_be_null=True,
                                           quoted_strings_can_be_null=False, true_values=["t"],
                                           false_values=["f"]),
    )
    schema = pa.schema([*(pa.field(n, types[n]) for n in names), pa.field("__row", pa.int64())])
    n = 0
    duck.register("__pg_empty", schema.empty_table())
    duck.execute(f'CREATE OR REPLACE TEMP TABLE "{target}" AS SELECT * FROM __pg_empty')
    duck.unregister("__pg_empty")
    for batch in reader:
        rows = pa.array(range(n + 1, n + 1 + batch.num_rows), type=pa.int64())
        block = pa.Table.from_batches([batch]).append_column("__row", rows)
        duck.register("__pg_block", block)
        duck.execute(f'INSERT INTO "{target}" SELECT * FROM __pg_block')
        duck.unregister("__pg_block")
        n += batch.num_rows
    return n


def read_frame(source: PgSource, relation: str):
    """`relation` as a pandas DataFrame (the pandas path, for mappings the engine does not apply)."""
    import duckdb

    duck = duckdb.connect()
    try:
        copy_into_duckdb(source, relation, duck, "__pg_read")
        return duck.sql('SELECT * EXCLUDE (__row) FROM "__pg_read" ORDER BY __row').df()
    finally:
        duck.close()
