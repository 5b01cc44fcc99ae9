"""Where a computation runs: the embedded DuckDB (default), PostgreSQL itself, or a Spark session.

:func:`load_remote` opens a source on PostgreSQL (``--engine postgres``: a ``postgresql://``
URL, computed in the database) or Spark (``--engine spark``: a folder of Parquet files, the
demo company, read by a Spark session: local, or a cluster's ``spark://``, ``yarn`` or
``k8s://`` master), checks the contract there (:mod:`workbench.data.remote`) and gives the
accepted tables as Ibis expressions on that backend.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from workbench.data.contract import CONTRACT, TABLE_ORDER
from workbench.data.mapping import Mapping, load_mapping
from workbench.data.remote import RemoteTable, check_tables, quality
from workbench.data.sources import SourceError

__all__ = ["ENGINES", "RemoteSource", "backend_errors", "load_remote", "spark_session"]

log = logging.getLogger(__name__)

#: ``--engine`` values: where the tables are checked and RFM computed.
ENGINES = ("duckdb", "postgres", "spark")


@dataclass
class RemoteSource:
    """A source checked on its backend: accepted tables (Ibis), the reconciliation, the backend."""

    source: str
    engine: str
    checked: dict[str, RemoteTable]
    backend: object
    notes: list[str] = field(default_factory=list)
    #: Words a backend error without secrets (PostgreSQL: the URL's password masked).
    explain: Callable[[Exception], str] | None = None

    def table(self, name: str):
        if name not in self.checked:
            raise SourceError(f"{self.source}: no {name} table (tables: {', '.join(self.checked) or 'none'})")
        return self.checked[name].accepted

    @property
    def quality(self) -> pd.DataFrame:
        return quality(self.checked)

    def __contains__(self, name: str) -> bool:
        return name in self.checked


def load_remote(data: str, *, engine: str, mapping=None, as_of=None, tables: list[str] | None = None,
                seed: int = 42, spark_master: str | None = None, unknown_customers: str = "keep") -> RemoteSource:
    """Open `data` on `engine` (``"postgres"`` or ``"spark"``) and check the `tables` asked for there."""
    if engine not in ENGINES[1:]:
        raise ValueError(f"engine {engine!r}: give one of {', '.join(ENGINES[1:])} (duckdb is wb.load)")
    as_of = pd.Timestamp(as_of) if as_of not in (None, "") else None
    mapping = load_mapping(mapping) if mapping not in (None, "") and not isinstance(mapping, Mapping) else (
        mapping or None)
    opener = _open_postgres if engine == "postgres" else _open_spark
    backend, found, label, explain = opener(str(data), mapping, tables, seed=seed, master=spark_master)
    source = RemoteSource(label, engine, {}, backend, explain=explain)
    with backend_errors(source):
        source.checked = check_tables(found, mapping=mapping, as_of=as_of, unknown_customers=unknown_customers)
    return source


def _wanted(names, mapping: Mapping | None, only) -> list[str]:
    present = list(mapping.tables) if mapping is not None else [n for n in names if n in CONTRACT]
    return [n for n in TABLE_ORDER if n in present and (not only or n in only)]


def _open_postgres(data: str, mapping: Mapping | None, only, **_):
    import ibis
    import psycopg

    from workbench.data.postgres import is_postgres, parse_url

    if not is_postgres(data):
        raise SourceError(f"{data}: --engine postgres computes in a PostgreSQL database; give its "
                          "postgresql://user@host/db URL")
    source = parse_url(data)
    try:
        con = ibis.connect(data)
        present = con.list_tables()
    except psycopg.Error as exc:
        raise SourceError(source.explain(exc)) from None
    found = {}
    for name in _wanted(present, mapping, only):
        spec = mapping.for_table(name) if mapping else None
        try:
            if spec is not None and spec.sql:
                t, what = con.sql(spec.sql), f"query for {name}"
            else:
                schema, _, table = (spec.db_table if spec and spec.db_table else name).rpartition(".")
                t, what = con.table(table, database=schema or None), f"{schema + '.' if schema else ''}{table}"
        except Exception as exc:  # ibis raises its own types around psycopg's for a missing table
            raise SourceError(f"{source.label}: {name} cannot be read ({source.scrub(str(exc).splitlines()[0])})"
                              ) from None
        found[name] = (t, f"{source.label} {what}")
    if not found:
        raise SourceError(f"{source.label}: no table named after a contract table ({', '.join(TABLE_ORDER)})")
    return con, found, source.label, source.explain


def spark_session(master: str | None = None):
    """A Spark session: ``local[N]`` (N = this machine's cores) by default, or the cluster `master` names.

    On a local session the shuffles get 2 partitions per core (Spark's default of 200 makes
    hundreds of tiny tasks on one machine) and the driver, which is also the executor, 4 GB
    (Spark's 1 GB spills the cached order lines to disk). On a cluster (``spark://host:7077``,
    ``yarn``, ``k8s://...``) both are left to its ``spark-defaults.conf``. Results come back to
    pandas through Arrow, not row by row.
    """
    import os

    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SourceError("--engine spark needs PySpark: pip install 'crm-workbench[spark]' "
                          "(`make spark-setup` puts it in .venv-spark/) and Java 17") from None
    cores = os.cpu_count() or 2
    master = master or f"local[{cores}]"
    builder = SparkSession.builder.appName("workbench").master(master)
    settings = {"spark.sql.session.timeZone": "UTC", "spark.ui.enabled": "false",
                "spark.ui.showConsoleProgress": "false", "spark.sql.execution.arrow.pyspark.enabled": "true",
                "spark.sql.adaptive.enabled": "true"}
    if master.startswith("local"):
        settings.update({"spark.sql.shuffle.partitions": str(2 * cores), "spark.driver.memory": "4g"})
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")  # Spark's own WARN lines would drown the command's output
    return session


def write_parquet_for_spark(frames: dict[str, pd.DataFrame], folder: Path) -> Path:
    """Tables as Parquet files Spark reads: timestamps in microseconds (Spark refuses nanoseconds)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False, coerce_timestamps="us",
                         allow_truncated_timestamps=True)
    return folder


def _demo_parquet(*, seed: int, shape: str | None) -> Path:
    from workbench import demo

    company = demo.generate(seed=seed, shape=shape)
    frames = {n: f for n, f in company.tables.items() if f is not None and n in CONTRACT}
    return write_parquet_for_spark(frames, Path(tempfile.mkdtemp(prefix="workbench-spark-demo-")))


def _open_spark(data: str, mapping: Mapping | None, only, *, seed: int = 42, master: str | None = None, **_):
    import ibis

    if data == "demo" or data.startswith("demo:"):
        data = str(_demo_parquet(seed=seed, shape=data.partition(":")[2] or None))
    remote = "://" in data  # hdfs://, s3a://...: a folder every node sees, not listed from here
    if not remote and not Path(data).is_dir():
        raise SourceError(f"{data}: --engine spark reads a folder of Parquet files (on a cluster: a path "
                          "every node sees, hdfs:// or s3a://), or 'demo'")
    con = ibis.pyspark.connect(spark_session(master))
    base = data.rstrip("/")
    if mapping is not None:
        files = {n: f"{base}/{s.file}" for n, s in mapping.tables.items() if s.file}
    elif remote:
        files = {n: f"{base}/{n}.parquet" for n in TABLE_ORDER}
    else:
        files = {p.stem: str(p) for p in sorted(Path(data).glob("*.parquet"))}
    found = {}
    for name in _wanted(files, mapping, only):
        try:
            found[name] = (con.read_parquet(files[name], table_name=f"workbench_{name}"), Path(files[name]).name)
        except Exception as exc:  # pyspark's AnalysisException: a type Spark cannot read, a missing file
            first = str(exc).strip().splitlines()[0]
            if remote and mapping is None and "PATH_NOT_FOUND" in first:
                continue  # that table is not in the folder
            hint = (" (write timestamps in microseconds: pandas to_parquet(coerce_timestamps='us'))"
                    if "NANOS" in first else "")
            raise SourceError(f"{files[name]}: Spark cannot read it: {first}{hint}") from None
    if not found:
        raise SourceError(f"{data}: no Parquet file named after a contract table ({', '.join(TABLE_ORDER)})")
    return con, found, str(data), None



class backend_errors:
    """A context manager: a backend's failure during a computation becomes one SourceError naming the source."""

    def __init__(self, source: RemoteSource) -> None:
        self.source = source

    def __enter__(self) -> backend_errors:
        return self

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is None or not (type(exc).__module__ or "").startswith(("psycopg", "pyspark", "py4j")):
            return False
        if self.source.explain is not None:
            raise SourceError(self.source.explain(exc)) from None
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceError(f"{self.source.source} ({self.source.engine}): the computation failed: {text}") from None
