"""Load a CRM source into validated tables, with the rejects and the reconciliation beside them.

``load`` is the one entry point every notebook uses::

    crm = wb.load("demo", as_of="2025-12-31")                    # the planted-truth demo company
    crm = wb.load("exports/", mapping="exports/mapping.yml")      # a folder of CSV / Excel / Parquet
    crm = wb.load("crm.duckdb")                                   # a DuckDB database file
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from workbench.data.contract import CONTRACT, TABLE_ORDER
from workbench.data.limits import confine
from workbench.data.mapping import Mapping, MappingError, TableMapping, load_mapping
from workbench.data.sources import (
    DUCKDB_SUFFIXES,
    RawTable,
    SourceError,
    duckdb_tables,
    find_table_files,
    read_raw,
)
from workbench.data.validation import REJECT_COLUMNS, ContractError, TableResult, check_table

__all__ = ["CRMData", "load", "DEMO"]

log = logging.getLogger(__name__)

#: The value of ``data`` that asks for the built-in planted-truth demo company.
DEMO = "demo"
QUALITY_COLUMNS = ["table", "file", "read", "excluded", "accepted", "rejected", "columns"]


@dataclass
class CRMData:
    """Validated CRM tables, plus what was rejected and how the counts reconcile.

    Attributes
    ----------
    tables
        Accepted rows of each loaded contract table, canonical names and dtypes.
    rejects
        One line per problem: table, file, row (record number in the file), line (line in
        the file, for text and Excel), column, value (as the file holds it), reason.
    rejected_rows
        Per table, the raw records that were rejected, with a ``reasons`` column: fix and reload.
    quality
        Per table: read = accepted + rejected + excluded (by an explicit mapping ``where``).
    """

    tables: dict[str, pd.DataFrame]
    rejects: pd.DataFrame
    rejected_rows: dict[str, pd.DataFrame]
    quality: pd.DataFrame
    source: str
    as_of: pd.Timestamp | None = None
    notes: list[str] = field(default_factory=list)
    truth: dict | None = None
    customers_truth: pd.DataFrame | None = None
    _engine: object = field(default=None, repr=False)

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self.tables:
            self.require(name)
        return self.tables[name]

    def __contains__(self, name: str) -> bool:
        return name in self.tables

    def require(self, *names: str, purpose: str = "this analysis") -> None:
        """Raise a clear error if a table that `purpose` needs was not loaded."""
        missing = [n for n in names if n not in self.tables]
        if missing:
            loaded = ", ".join(self.tables) or "none"
            raise ContractError(
                f"{purpose} needs the table{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)}, which {self.source} does not provide (loaded: {loaded}). "
                "Add the file, or map it in the mapping file."
            )

    @property
    def ok(self) -> bool:
        """True when no row was rejected."""
        return self.rejects.empty

    def engine(self):
        """An Ibis connection (embedded DuckDB) holding the accepted tables, created once."""
        if self._engine is None:
            import ibis

            con = ibis.duckdb.connect()
            for name, frame in self.tables.items():
                con.create_view(name, ibis.memtable(frame), overwrite=True)
            self._engine = con
        return self._engine

    def table(self, name: str):
        """The accepted `name` table as an Ibis expression, computed inside the engine."""
        self.require(name)
        return self.engine().table(name)


def load(
    data: str | Path,
    *,
    mapping: str | Path | Mapping | None = None,
    as_of: str | pd.Timestamp | None = None,
    tables: list[str] | None = None,
    seed: int = 42,
    demo_customers: int | None = None,
    allow_outside: bool = False,
    pseudonymise: bool = False,
) -> CRMData:
    """Load and validate a CRM source.

    Parameters
    ----------
    data
        ``"demo"`` for the planted-truth demo company, ``"demo:NAME"`` for one of its
        degraded shapes (``workbench.demo.SHAPES``, a few hundred customers); a folder of files named after the
        contract tables (``customers.csv``, ``orders.parquet``...) or laid out by a mapping;
        a single file with a mapping; or a DuckDB database file.
    mapping
        A mapping file (see :mod:`workbench.data.mapping`) or an empty string / None.
    as_of
        Analysis date: dates after it are impossible and rejected. None skips that check.
    tables
        Load only these tables (default: all that the source has).
    seed, demo_customers
        For ``data="demo"`` only: the generator's seed and size.
    allow_outside
        Let a mapping's ``file:`` read outside the data folder (``..``, an absolute path, a
        symbolic link elsewhere): refused by default, since mappings travel between people.
    pseudonymise
        Replace customer ids by keyed hashes and drop names, e-mails, phones and addresses
        (:mod:`workbench.data.privacy`), in the tables, the rejects and the rejected rows.
    """
    crm = _load(data, mapping=mapping, as_of=as_of, tables=tables, seed=seed,
                demo_customers=demo_customers, allow_outside=allow_outside)
    if pseudonymise:
        from workbench.data.privacy import pseudonymise as _pseudonymise

        crm = _pseudonymise(crm)
    return crm


def _load(data, *, mapping, as_of, tables, seed, demo_customers, allow_outside) -> CRMData:
    as_of = pd.Timestamp(as_of) if as_of not in (None, "") else None
    if str(data) == DEMO or str(data).startswith(DEMO + ":"):
        shape = str(data).partition(":")[2] or None
        return _load_demo(as_of=as_of, seed=seed, customers=demo_customers, tables=tables,
                          shape=shape)
    path = Path(data)
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder (give a folder of exports, a file, "
                          f"a DuckDB database, or 'demo')")
    if mapping not in (None, ""):
        mapping = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    else:
        mapping = None
    raws, notes = _discover(path, mapping, tables, allow_outside=allow_outside)
    return _validate(raws, mapping=mapping, as_of=as_of, source=str(path), notes=notes)


def _discover(path: Path, mapping: Mapping | None, only: list[str] | None, *, allow_outside: bool = False):
    """The raw tables of a source, by contract name, and notes about what was ignored."""
    notes: list[str] = []
    raws: dict[str, RawTable] = {}
    folder = path if path.is_dir() else path.parent
    if mapping is not None:
        for name, spec in mapping.tables.items():
            if only and name not in only:
                continue
            raws[name] = _read_mapped(path, folder, spec, allow_outside=allow_outside)
        if path.is_dir():
            used = {spec.file for spec in mapping.tables.values() if spec.file}
            unused = [f.name for f in find_table_files(path)[0].values() if f.name not in used]
            if unused:
                notes.append(f"files named after contract tables that the mapping does not use, "
                             f"not loaded: {', '.join(unused)}")
        return raws, notes
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
                raws[name] = read_raw(file)
        return raws, notes
    if path.suffix.lower() in DUCKDB_SUFFIXES:
        present = duckdb_tables(path)
        for name in present:
            if name in CONTRACT and (not only or name in only):
                raws[name] = read_raw(path, table=name)
        other = [t for t in present if t not in CONTRACT]
        if other:
            notes.append(f"database tables that match no contract table, not loaded: {', '.join(other)}")
        if not raws:
            raise SourceError(f"{path.name}: no table named after a contract table ({', '.join(TABLE_ORDER)})")
        return raws, notes
    name = path.stem.lower()
    if name not in CONTRACT:
        raise SourceError(
            f"{path.name}: a single file needs a mapping that says which table it holds "
            f"(or name it after a contract table: {', '.join(TABLE_ORDER)})"
        )
    raws[name] = read_raw(path)
    return raws, notes


def _read_mapped(path: Path, folder: Path, spec: TableMapping, *, allow_outside: bool = False) -> RawTable:
    if spec.rows is not None:
        frame = pd.DataFrame([{k: (None if v is None else str(v)) for k, v in r.items()} for r in spec.rows])
        return RawTable(frame.astype("str").where(frame.notna()), "mapping (inline rows)", None, {})
    if path.is_file() and path.suffix.lower() in DUCKDB_SUFFIXES:
        return read_raw(path, table=spec.db_table or spec.table)
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
    return read_raw(file, sep=spec.sep, encoding=spec.encoding, header=spec.header,
                    names=spec.names, skiprows=spec.skiprows, sheet=spec.sheet, table=spec.db_table)


def _validate(raws: dict[str, RawTable], *, mapping, as_of, source, notes, truth=None,
              customers_truth=None) -> CRMData:
    results: dict[str, TableResult] = {}
    parents: dict[str, pd.Index] = {}
    rejected_keys: dict[str, pd.Index] = {}
    for name in TABLE_ORDER:
        if name not in raws:
            continue
        spec = mapping.for_table(name) if mapping else None
        result = check_table(raws[name], CONTRACT[name], mapping=spec, as_of=as_of,
                             parents=parents, rejected_keys=rejected_keys)
        results[name] = result
        key = CONTRACT[name].key
        if len(key) == 1 and key[0] in result.accepted:
            parents[name] = pd.Index(result.accepted[key[0]].dropna().unique())
            rejected_keys[name] = result.rejected_key_values.difference(parents[name])
        log.info("%s: read %d, accepted %d, rejected %d, excluded %d", name, result.read,
                 len(result.accepted), result.n_rejected, result.excluded)
    notes = notes + [n for r in results.values() for n in r.notes]
    quality = pd.DataFrame(
        [[r.table, r.file, r.read, r.excluded, len(r.accepted), r.n_rejected, len(r.accepted.columns)]
         for r in results.values()],
        columns=QUALITY_COLUMNS,
    )
    rejects = [r.rejects for r in results.values() if not r.rejects.empty]
    return CRMData(
        tables={n: r.accepted for n, r in results.items()},
        rejects=pd.concat(rejects, ignore_index=True) if rejects else pd.DataFrame(columns=REJECT_COLUMNS),
        rejected_rows={n: r.rejected_rows for n, r in results.items() if r.n_rejected},
        quality=quality, source=source, as_of=as_of, notes=notes,
        truth=truth, customers_truth=customers_truth,
    )


def _load_demo(*, as_of, seed, customers, tables, shape=None) -> CRMData:
    from workbench import demo

    if shape is not None and shape not in demo.SHAPES:
        raise SourceError(f"demo:{shape}: no such demo shape; give one of "
                          f"{', '.join('demo:' + s for s in demo.SHAPES)}")
    options = {"seed": seed, "shape": shape}
    if customers:
        options["customers"] = customers
    company = demo.generate(**options)
    raws = {name: RawTable(frame, f"demo:{name}", None, {"format": "demo"}, typed=True)
            for name, frame in company.tables.items()
            if frame is not None and (not tables or name in tables) and name in CONTRACT}
    source = f"demo company (seed {seed})" + (f", shape {shape}" if shape else "")
    notes = [f"demo:{shape}: table {name} ({len(frame)} rows) is not in the contract and is left out"
             for name, frame in company.tables.items() if name not in CONTRACT and frame is not None]
    return _validate(raws, mapping=None, as_of=as_of, source=source,
                     notes=notes, truth=company.truth, customers_truth=company.customers_truth)
