"""Load a CRM source into validated tables, with the rejects and the reconciliation beside them.

``load`` is the one entry point every notebook uses::

    crm = wb.load("demo", as_of="2025-12-31")                    # the planted-truth demo company
    crm = wb.load("exports/", mapping="exports/mapping.yml")      # a folder of CSV / Excel / Parquet
    crm = wb.load("crm.duckdb")                                   # a DuckDB database file
    crm = wb.load("postgresql://analyst@db.example/crm", mapping="crm.yml")   # a PostgreSQL database

``load`` reads nothing yet: each table is read and checked the first time something asks for
it (``crm["orders"]``, ``crm.table("orders")``), after the tables it refers to (its parents,
for the reference checks), so RFM scoring reads orders, customers and products only. The
views over every table (``crm.quality``, ``crm.rejects``, ``crm.ok``) load the rest then.
Parquet, DuckDB, PostgreSQL, the demo and text files (CSV, any encoding) are read and checked
inside the engine (:mod:`workbench.data.engine`), with a mapping's recodings, constants,
expressions and filter (:mod:`workbench.data.engine_mapping`). Excel sheets, mappings that
unpivot or give rows inline, text files the engine cannot number line by line (blank lines,
quoted line breaks, ragged rows, whitespace separators) and the few expressions the engine
would compute differently take the pandas path (:mod:`workbench.data.validation`), the
reference both are tested against; a log line says which and why.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from workbench.data.contract import CONTRACT, TABLE_ORDER
from workbench.data.discover import Pending, discover, discover_postgres, pending_frame
from workbench.data.loader import Loader
from workbench.data.mapping import Mapping, load_mapping
from workbench.data.postgres import is_postgres, mask_url
from workbench.data.sources import SourceError
from workbench.data.validation import ContractError

__all__ = ["CRMData", "load", "DEMO"]

log = logging.getLogger(__name__)

#: The value of ``data`` that asks for the built-in planted-truth demo company.
DEMO = "demo"


class _Tables(MutableMapping):
    """``crm.tables``: the source's tables by name; a table is loaded when its value is asked for.

    Setting a table replaces it by the frame given; deleting (or popping) one leaves the source
    without it, as if it had no such table (to try a method on less data).
    """

    def __init__(self, crm: CRMData) -> None:
        self._crm = crm

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._crm:
            raise KeyError(name)
        return self._crm[name]

    def __setitem__(self, name: str, frame: pd.DataFrame) -> None:
        self._crm._loader.put(name, frame)

    def __delitem__(self, name: str) -> None:
        if name not in self._crm.available:
            raise KeyError(name)
        self._crm._loader.forget(name)

    def __iter__(self):
        return iter(self._crm.available)

    def __len__(self) -> int:
        return len(self._crm.available)


@dataclass(eq=False, repr=False)
class CRMData:
    """Validated CRM tables, plus what was rejected and how the counts reconcile.

    Attributes
    ----------
    tables
        Accepted rows of each contract table of the source (pandas, canonical names and dtypes),
        loaded when first asked for.
    rejects
        One line per problem: table, file, row (record number in the file), line (line in
        the file, for text and Excel), column, value (as the file holds it), reason.
    rejected_rows
        Per table, the raw records that were rejected, with a ``reasons`` column: fix and reload.
    quality
        Per table: read = accepted + rejected + excluded (by an explicit mapping ``where``).
    """

    # A dataclass, so that ``dataclasses.replace(crm, tables={...})`` gives a CRMData holding those
    # tables (with the rejects and reconciliation of the source); the fields behind properties
    # are set through them (see the end of the module).
    tables: dict[str, pd.DataFrame] | None = None
    rejects: pd.DataFrame | None = None
    rejected_rows: dict | None = None
    quality: pd.DataFrame | None = None
    source: str = ""
    as_of: pd.Timestamp | None = None
    notes: list[str] | None = None
    customers_truth: pd.DataFrame | None = None
    loader: Loader | None = None
    #: Accepted for ``dataclasses.replace(crm, _engine=None)`` (privacy); the engine lives in the loader.
    _engine: object = None
    #: A demo source's planted truth, worked out when first read (see :attr:`truth`).
    _truth_of: object = None

    @cached_property
    def truth(self) -> dict | None:
        """The planted truth of a demo source (see :func:`workbench.demo.generate`); None otherwise."""
        return None if self._truth_of is None else self._truth_of()

    def __post_init__(self) -> None:
        given = self._given_tables
        if self.loader is None or (given is not None and not isinstance(given, _Tables)):
            self.loader = Loader.given(dict(given or {}), self._given[0], self._given[1] or {}, self._given[2])
        self._loader = self.loader
        self._loader.source = self.source
        notes = self._notes_given or []
        self._notes = [n for n in notes if n not in self._loader.notes()]

    @property
    def available(self) -> list[str]:
        """Names of the contract tables the source holds (loaded or not yet)."""
        self._loader.consult("*", "asked")
        return self._loader.available

    @property
    def loaded(self) -> list[str]:
        """Names of the tables read and checked so far."""
        self._loader.consult("*", "asked")
        return self._loader.loaded

    def _get_tables(self) -> _Tables:
        return _Tables(self)

    def _set_tables(self, value) -> None:
        self._given_tables = value

    def _get_notes(self) -> list[str]:
        self._loader.consult("*", "counted")
        return self._notes + self._loader.notes()

    def _set_notes(self, value) -> None:
        self._notes_given = list(value or [])

    def __getitem__(self, name: str) -> pd.DataFrame:
        self.require(name)
        return self._loader.frame(name)

    def __contains__(self, name: str) -> bool:
        self._loader.consult(name, "asked")
        return name in self._loader.available

    def __repr__(self) -> str:
        return f"CRMData(source={self.source!r}, tables={self._loader.available}, loaded={self._loader.loaded})"

    def require(self, *names: str, purpose: str = "this analysis") -> None:
        """Raise a clear error if a table that `purpose` needs is not in the source."""
        missing = [n for n in names if n not in self]
        if missing:
            loaded = ", ".join(self.available) or "none"
            raise ContractError(
                f"{purpose} needs the table{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)}, which {self.source} does not provide (loaded: {loaded}). "
                "Add the file, or map it in the mapping file."
            )

    def load_all(self) -> CRMData:
        """Read and check every table of the source now (fatal problems raise here); returns self."""
        self._loader.all()
        return self

    def _get_rejects(self) -> pd.DataFrame:
        """Every problem of every table (loads the tables not read yet)."""
        return self._loader.rejects(self._loader.all())

    def _get_rejected_rows(self) -> dict[str, pd.DataFrame]:
        return self._loader.rejected_rows(self._loader.all())

    def _get_quality(self) -> pd.DataFrame:
        """The reconciliation of every table (loads the tables not read yet)."""
        return self._loader.quality(self._loader.all())

    def _set_given(self, index: int, value) -> None:
        given = list(getattr(self, "_given", (None, None, None)))
        given[index] = value
        self._given = tuple(given)

    @property
    def loaded_quality(self) -> pd.DataFrame:
        """The reconciliation of the tables read so far (reads nothing more)."""
        self._loader.consult("*", "counted")
        return self._loader.quality(self.loaded)

    @property
    def ok(self) -> bool:
        """True when no row of any table was rejected."""
        return self.rejects.empty

    def engine(self):
        """An Ibis connection (embedded DuckDB) holding the accepted tables, created once."""
        self._loader.consult("*", "read")  # any table can be queried through it
        return self._loader.ibis()

    def table(self, name: str):
        """The accepted `name` table as an Ibis expression, computed inside the engine."""
        self.require(name)
        return self._loader.ibis_table(name)


CRMData.tables = property(CRMData._get_tables, CRMData._set_tables,
                          doc="The source's tables by name, each loaded when its value is asked for.")
CRMData.notes = property(CRMData._get_notes, CRMData._set_notes)
CRMData.rejects = property(CRMData._get_rejects, lambda self, v: self._set_given(0, v),
                           doc=CRMData._get_rejects.__doc__)
CRMData.rejected_rows = property(CRMData._get_rejected_rows, lambda self, v: self._set_given(1, v))
CRMData.quality = property(CRMData._get_quality, lambda self, v: self._set_given(2, v),
                           doc=CRMData._get_quality.__doc__)


def load(
    data: str | Path,
    *,
    mapping: str | Path | Mapping | None = None,
    as_of: str | pd.Timestamp | None = None,
    tables: list[str] | None = None,
    seed: int = 42,
    demo_customers: int | None = None,
    engine: bool = True,
    memory_limit: str | None = None,
    unknown_customers: str = "keep",
    allow_outside: bool = False,
    pseudonymise: bool = False,
    **options,
) -> CRMData:
    """Load and validate a CRM source (each table when first used).

    Parameters
    ----------
    data
        ``"demo"`` for the planted-truth demo company, ``"demo:NAME"`` for one of its
        degraded shapes (``workbench.demo.SHAPES``, a few hundred customers); a folder of files named after the
        contract tables (``customers.csv``, ``orders.parquet``, ``orders.csv.gz``...) or laid
        out by a mapping; a single file with a mapping; a DuckDB database file; or a PostgreSQL
        database, ``postgresql://user@host:port/db`` (:mod:`workbench.data.postgres`): its tables
        named after contract tables, or those the mapping names (``table: schema.name``,
        ``sql: SELECT ...``); the password from PGPASSWORD or ~/.pgpass, never shown.
    mapping
        A mapping file (see :mod:`workbench.data.mapping`) or an empty string / None.
    as_of
        Analysis date: dates after it are impossible and rejected. None skips that check.
    tables
        Load only these tables (default: all that the source has, each when first used).
    seed, demo_customers
        For ``data="demo"`` only: the generator's seed and size.
    engine
        Check typed sources inside DuckDB (default). False takes the pandas path for every
        table: the reference the engine's checks are tested against.
    memory_limit
        DuckDB's ``memory_limit`` (``"2GB"``): beyond it the engine spills to disk.
    unknown_customers
        ``"keep"`` (default): rows of every customer-keyed table (orders, campaign contacts,
        incidents, survey answers, interactions) whose customer is missing from a partial
        customer master are accepted, and counted per table in ``quality["not_in_master"]``
        (customers) with a note; ``"reject"``: they are rejected ("is not in customers"). A
        customer row that was itself rejected still rejects the rows that refer to it.
    allow_outside
        Let a mapping's ``file:`` read outside the data folder (``..``, an absolute path, a
        symbolic link elsewhere): refused by default, since mappings travel between people.
    pseudonymise
        Replace customer ids by keyed hashes and drop names, e-mails, phones and addresses
        (:mod:`workbench.data.privacy`), in the tables, the rejects and the rejected rows
        (this reads every table).
    options
        Options of the demo company's generator (``data="demo"`` only).
    """
    crm = _load(data, mapping=mapping, as_of=as_of, tables=tables, seed=seed, demo_customers=demo_customers,
                engine=engine, memory_limit=memory_limit, unknown_customers=unknown_customers,
                allow_outside=allow_outside, **options)
    if pseudonymise:
        from workbench.data.privacy import pseudonymise as _pseudonymise

        crm = _pseudonymise(crm)
    return crm


def _load(data, *, mapping, as_of, tables, seed, demo_customers, engine, memory_limit, unknown_customers,
          allow_outside, **options) -> CRMData:
    as_of = pd.Timestamp(as_of) if as_of not in (None, "") else None
    if str(data) == DEMO or str(data).startswith(DEMO + ":"):
        options.setdefault("shape", str(data).partition(":")[2] or None)
        return _load_demo(as_of=as_of, seed=seed, customers=demo_customers, tables=tables, engine=engine,
                          memory_limit=memory_limit, unknown_customers=unknown_customers, **options)
    if options:
        raise TypeError(f"load() got options only the demo company takes: {', '.join(options)}")
    if mapping not in (None, ""):
        mapping = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    else:
        mapping = None
    if is_postgres(data):
        pending, notes = discover_postgres(str(data), mapping, tables)
        loader = Loader(pending, mapping=mapping, as_of=as_of, engine=engine, memory_limit=memory_limit,
                        unknown_customers=unknown_customers)
        return CRMData(source=mask_url(str(data)), as_of=as_of, notes=notes, loader=loader)
    path = Path(data)
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder (give a folder of exports, a file, "
                          f"a DuckDB database, a postgresql:// URL, or 'demo')")
    pending, notes = discover(path, mapping, tables, allow_outside=allow_outside)
    loader = Loader(pending, mapping=mapping, as_of=as_of, engine=engine, memory_limit=memory_limit,
                    unknown_customers=unknown_customers)
    return CRMData(source=str(path), as_of=as_of, notes=notes, loader=loader)


def _load_demo(*, as_of, seed, customers, tables, engine, memory_limit, unknown_customers, shape=None,
               **options) -> CRMData:
    from workbench import demo

    if shape is not None and shape not in demo.SHAPES:
        raise SourceError(f"demo:{shape}: no such demo shape; give one of "
                          f"{', '.join('demo:' + s for s in demo.SHAPES)}")
    options = {"seed": seed, "shape": shape, **options}
    if customers:
        options["customers"] = customers
    company = demo.generate(**options)
    exported = company.exported()  # with the rows it plants for the checks to reject
    label = "demo:{}"
    pending: dict[str, Pending] = {  # a table the demo does not generate (None) is not in the source
        name: pending_frame(name, exported[name], label.format(name))
        for name in TABLE_ORDER if exported.get(name) is not None and (not tables or name in tables)}
    notes = [f"demo:{shape}: table {name} ({len(frame)} rows) is not in the contract and is left out"
             for name, frame in company.tables.items() if name not in CONTRACT and frame is not None]
    loader = Loader(pending, mapping=None, as_of=as_of, engine=engine, memory_limit=memory_limit,
                    unknown_customers=unknown_customers)
    source = f"demo company (seed {seed})" + (f", shape {shape}" if shape else "")
    return CRMData(source=source, as_of=as_of, loader=loader, notes=notes,
                   _truth_of=company.truth_of, customers_truth=company.customers_truth)
