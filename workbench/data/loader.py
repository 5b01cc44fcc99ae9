"""Each table read and checked once, when first asked for, after its parents: the state behind CRMData."""

from __future__ import annotations

import json
import logging
import os

import pandas as pd

from workbench.data.contract import CONTRACT, DTYPES, TABLE_ORDER
from workbench.data.discover import Pending
from workbench.data.engine import EngineResult, Parent, check_in_engine, lookup_in_engine, quote
from workbench.data.engine_rejects import arrow_to_contract
from workbench.data.validation import REJECT_COLUMNS, TableResult, check_table

__all__ = ["Loader", "QUALITY_COLUMNS", "CONSULTED_LOG"]

log = logging.getLogger(__name__)

QUALITY_COLUMNS = ["table", "file", "read", "excluded", "accepted", "rejected", "columns", "not_in_master"]

#: Environment variable naming a folder: when set, every table an analysis consults is also
#: appended there (``<pid>.jsonl``: source, table, how), so that a test can show which tables a
#: notebook run depended on (tests/test_shapes_matrix.py proves pairs equal by it).
CONSULTED_LOG = "WORKBENCH_CONSULTED_LOG"


class Loader:
    """The pending tables of a source, the checked ones, and the engine that holds them."""

    def __init__(self, pending: dict[str, Pending], *, mapping=None, as_of=None, engine: bool = True,
                 memory_limit: str | None = None, unknown_customers: str = "keep") -> None:
        if unknown_customers not in ("keep", "reject"):
            raise ValueError(f"unknown_customers={unknown_customers!r}: use 'keep' (rows of customers "
                             "missing from a partial customer master are kept) or 'reject'")
        self.pending, self.mapping, self.as_of, self.use_engine = pending, mapping, as_of, engine
        self.unknown_customers = unknown_customers
        #: Per customer-keyed table: (customers not in the customer master, their rows), kept by
        #: unknown_customers="keep".
        self.not_in_master: dict[str, tuple[int, int]] = {}
        self.memory_limit = memory_limit
        self.results: dict[str, TableResult | EngineResult] = {}
        self.rejected_keys: dict[str, pd.Index] = {}
        self._frames: dict[str, pd.DataFrame] = {}
        self._published: set[str] = set()
        self._ibis = None
        self._given: tuple | None = None
        #: What the analysis consulted, by table: "read" (its rows: the table and, through the
        #: reference checks, its parents), "asked" (whether the source holds it); "*" stands for
        #: every table. The quality views (reconciliation, rejects, notes) count every table
        #: without the analysis using them: they are noted apart, as "counted".
        self.consulted: dict[str, str] = {}
        self.source = ""
        self._counting = False

    @classmethod
    def given(cls, tables: dict[str, pd.DataFrame], rejects, rejected_rows, quality) -> Loader:
        """Tables already checked (tests, or a caller that built them): nothing left to load."""
        loader = cls({})
        loader._frames = dict(tables)
        loader._given = (rejects, rejected_rows, quality)
        return loader

    # ------------------------------------------------------------------ what there is

    @property
    def available(self) -> list[str]:
        return [n for n in TABLE_ORDER if n in self.pending or n in self._frames] + [
            n for n in self._frames if n not in TABLE_ORDER]

    @property
    def loaded(self) -> list[str]:
        if self._given is not None:
            return self.available
        return [n for n in TABLE_ORDER if n in self.results]

    def all(self) -> list[str]:
        """Every table read and checked (for the quality views: counted, not consulted)."""
        self.consult("*", "counted")
        counting, self._counting = self._counting, True
        try:
            for name in self.available:
                self.ensure(name)
        finally:
            self._counting = counting
        return self.loaded

    def consult(self, name: str, how: str) -> None:
        """Note that the analysis consulted `name` ("read", "asked" or "counted"); a table read
        notes its parents read too (its accepted rows depend on theirs)."""
        if self._counting or self.consulted.get(name) in (how, "read"):
            return
        self.consulted[name] = how
        if folder := os.environ.get(CONSULTED_LOG):
            line = json.dumps({"source": self.source, "table": name, "how": how})
            with open(os.path.join(folder, f"{os.getpid()}.jsonl"), "a", encoding="utf-8") as log:
                log.write(line + "\n")
        if how == "read" and name in CONTRACT:
            for ref in CONTRACT[name].references:
                if ref.table != name:
                    self.consult(ref.table, "read")

    def put(self, name: str, frame: pd.DataFrame) -> None:
        """Hold `frame` as the accepted `name` table (replacing what the source had)."""
        self.forget(name)
        self._frames[name] = frame

    def forget(self, name: str) -> None:
        """Leave `name` out, as if the source had no such table."""
        for held in (self.pending, self.results, self._frames):
            held.pop(name, None)
        self._published.discard(name)
        if self._ibis is not None:
            self._ibis.con.execute(f"DROP VIEW IF EXISTS {quote(name)}")

    def notes(self) -> list[str]:
        return [n for name in self.loaded if name in self.results for n in self.results[name].notes]

    # ------------------------------------------------------------------ checking

    def ensure(self, name: str) -> None:
        """Read and check `name` (and first the tables it refers to) unless done already."""
        self.consult(name, "read")
        if name in self.results or name in self._frames or self._given is not None:
            return
        for ref in CONTRACT[name].references:
            if ref.table in self.pending and ref.table != name:
                self.ensure(ref.table)
        pending = self.pending[name]
        spec = self.mapping.for_table(name) if self.mapping else None
        result = None
        keep = self._keep_unknown(name)
        if self.use_engine and pending.engine is not None and self._attach(pending):
            con = self._duckdb()
            parents = {r.table: self._parent(r.table, keep=r.table in keep)
                       for r in CONTRACT[name].references if r.table in self.results}
            result = check_in_engine(con, pending.engine, CONTRACT[name], mapping=spec, as_of=self.as_of,
                                     parents={k: v for k, v in parents.items() if v is not None})
            if result is not None:
                self._published.add(name)
                self.rejected_keys[name] = result.rejected_key_values
            if result is None and "csv" in pending.engine.raw_dialect:
                log.info("%s: read by DuckDB, but parsed in pandas (see the lines above for why)",
                         pending.engine.file)
            if "csv" in pending.engine.raw_dialect:  # parsed into its typed table (or declined): not needed
                con.execute(f"DROP TABLE IF EXISTS {quote('__csv_' + name)}")
        if result is None:
            result = self._check_pandas(name, pending, spec, keep)
        self.results[name] = result
        if spec is not None and spec.lookup:
            self._lookup(name, result, spec.lookup)
        if keep:
            self._count_not_in_master(name, result)
        log.info("%s: read %d, accepted %d, rejected %d, excluded %d", name, result.read,
                 _n_accepted(result), result.n_rejected, result.excluded)

    def _lookup(self, name: str, result, lookups: dict[str, str]) -> None:
        """Columns taken from a related table (``lookup:`` of the mapping), filling empty values."""
        refs = {r.table: r for r in CONTRACT[name].references}
        done = {}
        for col, other in lookups.items():
            if other not in self.results:
                result.notes.append(f"{result.file}: lookup of {col} from {other} skipped: the source has no "
                                    f"{other} table")
                continue
            done[col] = (other, refs[other].column, refs[other].key)
        if not done:
            return
        if isinstance(result, EngineResult):
            for other, _, _ in done.values():
                self._publish(other)
            lookup_in_engine(self._duckdb(), result, CONTRACT[name], {c: (quote(o), r, k) for c, (o, r, k) in done.items()})
        else:
            accepted = result.accepted
            for col, (other, ref_col, key) in done.items():
                parent = self.frame(other)[[key, col]].rename(columns={key: "__key", col: "__value"})
                value = accepted[[ref_col]].merge(parent, left_on=ref_col, right_on="__key", how="left")["__value"]
                value.index = accepted.index
                accepted[col] = accepted[col].fillna(value) if col in accepted else value
            order = [c for c in CONTRACT[name].column_names if c in accepted]
            result.accepted = accepted[order + [c for c in accepted if c not in order]]
        for col, (other, ref_col, _) in done.items():
            result.notes.append(f"{result.file}: {col} taken from {other} by {ref_col} where it is empty")

    def _keep_unknown(self, name: str) -> set[str]:
        """Parents whose missing keys are kept: customers, for every customer-keyed table (orders,
        contacts, incidents, survey answers, interactions), unless told to reject them."""
        refers = any(r.table == "customers" for r in CONTRACT[name].references)
        if refers and self.unknown_customers == "keep" and "customers" in self.results:
            return {"customers"}
        return set()

    def _count_not_in_master(self, name: str, result) -> None:
        if isinstance(result, TableResult):
            ids = result.accepted["customer_id"]
            unknown = ids[~ids.isin(self._keys("customers"))]
            counts = (int(unknown.nunique()), len(unknown))
        else:
            self._publish("customers")
            counts = self._duckdb().execute(
                f'SELECT count(DISTINCT customer_id), count(*) FROM {result.view} WHERE customer_id NOT IN '
                '(SELECT customer_id FROM "customers" WHERE customer_id IS NOT NULL)').fetchall()[0]
        self.not_in_master[name] = counts
        if counts[0]:
            result.notes.append(
                f"{result.file}: {counts[1]:,} {name} rows of {counts[0]:,} customers not in the customer "
                "master were kept (not in master); load with unknown_customers='reject' to reject them")

    def _check_pandas(self, name: str, pending: Pending, spec, keep: set[str] = frozenset()) -> TableResult:
        refs = [r.table for r in CONTRACT[name].references if r.table in self.results]
        parents = {t: self._keys(t) for t in refs}
        parents = {t: k for t, k in parents.items() if k is not None}
        result = check_table(pending.read(), CONTRACT[name], mapping=spec, as_of=self.as_of,
                             parents=parents, rejected_keys=self.rejected_keys, keep_unknown=keep)
        key = CONTRACT[name].key
        if len(key) == 1 and key[0] in result.accepted:
            accepted = pd.Index(result.accepted[key[0]].dropna().unique())
            self.rejected_keys[name] = result.rejected_key_values.difference(accepted)
        return result

    def _keys(self, name: str) -> pd.Index | None:
        """Accepted key values of a checked table, for a pandas-path child's reference check."""
        key = CONTRACT[name].key
        result = self.results[name]
        if len(key) != 1:
            return None
        if isinstance(result, TableResult):
            return pd.Index(result.accepted[key[0]].dropna().unique()) if key[0] in result.accepted else None
        if key[0] not in result.columns:
            return None
        rows = self._duckdb().execute(f"SELECT DISTINCT {quote(key[0])} FROM {result.view} "
                                      f"WHERE {quote(key[0])} IS NOT NULL").fetchall()
        return pd.Index([r[0] for r in rows], dtype="str")

    def _parent(self, name: str, *, keep: bool = False) -> Parent | None:
        """A checked table as a reference target inside the engine."""
        key = CONTRACT[name].key
        result = self.results[name]
        columns = result.columns if isinstance(result, EngineResult) else list(result.accepted.columns)
        if len(key) != 1 or key[0] not in columns:
            return None
        self._publish(name)
        rejected = self.rejected_keys.get(name, pd.Index([]))
        relation = quote(f"__rejected_{name}")
        self._duckdb().register(f"__rejected_{name}", pd.DataFrame({"k": pd.array(rejected, dtype="str")}))
        return Parent(quote(name), key[0], rejected, keep_unknown=keep, rejected_relation=relation)

    # ------------------------------------------------------------------ results

    def frame(self, name: str) -> pd.DataFrame:
        self.consult(name, "read")
        if name in self._frames:
            return self._frames[name]
        self.ensure(name)
        result = self.results[name]
        if isinstance(result, TableResult):
            return result.accepted
        dtypes = {c: DTYPES[_dtype(name, c, self.mapping)] for c in result.columns}
        arrow = self._duckdb().sql(f"SELECT * EXCLUDE (__row) FROM {result.rows_view} ORDER BY __row").to_arrow_table()
        frame = arrow_to_contract(arrow)
        self._frames[name] = frame.astype(dtypes)
        return self._frames[name]

    def rejects(self, names: list[str]) -> pd.DataFrame:
        if self._given is not None:
            return self._given[0] if self._given[0] is not None else pd.DataFrame(columns=REJECT_COLUMNS)
        parts = [self.results[n].rejects for n in names if not self.results[n].rejects.empty]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=REJECT_COLUMNS)

    def rejected_rows(self, names: list[str]) -> dict[str, pd.DataFrame]:
        if self._given is not None:
            return self._given[1]
        return {n: self.results[n].rejected_rows for n in names if self.results[n].n_rejected}

    def quality(self, names: list[str]) -> pd.DataFrame:
        if self._given is not None:
            return self._given[2] if self._given[2] is not None else pd.DataFrame(columns=QUALITY_COLUMNS)
        rows = []
        for n in names:
            r = self.results[n]
            n_columns = len(r.columns) if isinstance(r, EngineResult) else len(r.accepted.columns)
            rows.append([r.table, r.file, r.read, r.excluded, _n_accepted(r), r.n_rejected, n_columns,
                         self.not_in_master.get(n, (0, 0))[0]])
        return pd.DataFrame(rows, columns=QUALITY_COLUMNS)

    # ------------------------------------------------------------------ the engine

    def ibis(self):
        """The Ibis DuckDB backend every checked table lives in (created once)."""
        if self._ibis is None:
            import ibis

            self._ibis = ibis.duckdb.connect()
            if self.memory_limit:
                self._ibis.con.execute(f"SET memory_limit = '{self.memory_limit}'")
            if self._given is not None:
                for name in self._frames:
                    self._publish(name)
        return self._ibis

    def _duckdb(self):
        return self.ibis().con

    def ibis_table(self, name: str):
        self.ensure(name)
        self._publish(name)
        return self.ibis().table(name)

    def _publish(self, name: str) -> None:
        """Make a pandas-path table visible to the engine under its own name."""
        if name in self._published:
            return
        import ibis

        frame = self._frames[name] if name in self._frames else self.results[name].accepted
        self.ibis().create_view(name, ibis.memtable(frame), overwrite=True)
        self._published.add(name)

    def _attach(self, pending: Pending) -> bool:
        """Make the source of `pending` readable by the engine; False when the engine declines it."""
        dialect = pending.engine.raw_dialect
        con = self._duckdb()
        if "csv" in dialect:
            from workbench.data.engine_text import materialise

            path, options = dialect["csv"]
            read = materialise(con, quote(f"__csv_{pending.name}"), path, **options)
            if read is None:
                return False
            pending.engine.sql, dialect["text"], dialect["first_line"], dialect["notes"] = read
            return True
        if "frame" in dialect:
            import numpy as np
            import pyarrow as pa

            frame = dialect["frame"]
            arrow = pa.Table.from_pandas(frame, preserve_index=False)
            arrow = arrow.append_column("__row", pa.array(np.arange(1, len(frame) + 1, dtype="int64")))
            con.register(f"__frame_{pending.name}", arrow)
        if "stream" in dialect:  # a database table, read into the engine once
            present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
            if f"__pg_{pending.name}" not in present:
                dialect["stream"](con)
        if "attach" in dialect:
            attached = {r[0] for r in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}
            if "__src_db" not in attached:
                path = str(dialect["attach"].resolve()).replace("'", "''")
                con.execute(f"ATTACH '{path}' AS __src_db (READ_ONLY)")
        return True


def _n_accepted(result) -> int:
    return result.n_accepted if isinstance(result, EngineResult) else len(result.accepted)


def _dtype(table: str, column: str, mapping) -> str:
    contract = CONTRACT[table]
    if column in contract.column_names:
        return contract.column(column).dtype
    return mapping.for_table(table).extra[column]
