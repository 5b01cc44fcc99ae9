"""The planted-truth demo company: a coherent CRM whose answers are known.

A fictional French retailer / wholesaler with five personas, seasonality, lapses made
likelier by incidents, campaigns with randomised control groups and planted uplift, and a
Van Westendorp price survey. :func:`generate` returns the contract tables with the planted
truth; :func:`write` streams the same data to CSV or Parquet in bounded memory.

Random draws about a customer come from the stream of that customer's block of
100 consecutive customers (a child of ``np.random.SeedSequence(seed)``), so the data
depend on ``(customers, seed, start, as_of)`` only, never on the chunk size.

The generator is private modules, one per concept: ``personas`` (who the customers
are), ``customers``, ``orders``, ``catalogue``, ``incidents``,
``campaigns``, ``survey`` (planted parameters and the rows they give),
``world`` (what the chunks share, one chunk's pipeline), ``draws`` and
``tables`` (draws and columns), ``truth`` (the truth as JSON), ``shapes`` (degraded
variants: the shapes real exports have, named, for tests and demonstrations).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd
import pyarrow as pa

from workbench.data.contract import CONTRACT, DTYPES
from workbench.demo.rejects import REJECT_KINDS, planted_rejects
from workbench.demo.shapes import SHAPE_CUSTOMERS, SHAPES, apply_shape, shape_names
from workbench.demo.tables import TRUTH_COLUMNS as _TRUTH_COLUMNS
from workbench.demo.world import World, chunk_size, chunks

__all__ = ["DemoCompany", "REJECT_KINDS", "SHAPES", "SHAPE_CUSTOMERS", "generate", "shape_names", "write"]

log = logging.getLogger(__name__)

_CHUNK_TABLES = ("customers", "orders", "campaign_contacts", "incidents", "price_survey",
                 "interactions")


@dataclass
class DemoCompany:
    """A generated demo company.

    Attributes
    ----------
    tables : dict of DataFrame
        The contract tables, with canonical columns and dtypes.
    truth : dict
        JSON-serialisable planted truth (see ``truth["definitions"]``), worked out when first
        read: its analytic answers need SciPy, which a report that never reads them does not
        import (about 1 s of every report's start).
    customers_truth : DataFrame
        One row per customer: persona, first purchase, lapse date and cause, planted rate,
        basket and margin.
    rejected : DataFrame
        The rows planted for the loader to reject (two of each kind in :data:`REJECT_KINDS`):
        ``table``, ``key``, ``column``, ``rule``, ``why``; also in ``truth["rejected"]``. Empty
        for a shape (shapes are clean exports of one layout).
    rejected_rows : dict of DataFrame
        Those rows, per table. `tables` holds the clean company; the files :func:`write`
        writes and the source ``wb.load("demo")`` reads hold both (:meth:`exported`).
    """

    tables: dict[str, pd.DataFrame]
    truth_of: Callable[[], dict] = field(repr=False, compare=False)
    customers_truth: pd.DataFrame
    rejected: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["table", "key", "column", "rule", "why"]))
    rejected_rows: dict[str, pd.DataFrame] = field(default_factory=dict)

    @cached_property
    def truth(self) -> dict:
        return self.truth_of()

    def exported(self) -> dict[str, pd.DataFrame]:
        """The tables as the company's export holds them: `tables` and the planted bad rows."""
        return {name: frame if name not in self.rejected_rows
                else pd.concat([frame, self.rejected_rows[name]], ignore_index=True)
                for name, frame in self.tables.items()}


def generate(
    *,
    customers: int | None = None,
    seed: int = 42,
    start: str = "2023-01-01",
    as_of: str = "2025-12-31",
    shape: str | None = None,
) -> DemoCompany:
    """Generate the demo company in memory.

    Parameters
    ----------
    customers : int, optional
        Number of customers; default 4000, or :data:`SHAPE_CUSTOMERS` for a shape.
    seed : int
        Seed of every random draw; the same seed gives the same company.
    start, as_of : str
        First and last day of the history (inclusive); nothing is dated after `as_of`.
    shape : str, optional
        A degraded variant (see :data:`SHAPES`): the tables as an export of that shape holds
        them; tables the shape lacks are left out. The truth stays the full company's, with
        ``truth["shape"]`` naming the shape.

    Returns
    -------
    DemoCompany
        Same data as :func:`write` with the same arguments.

    Raises
    ------
    ValueError
        If `shape` is not a known shape.
    """
    if shape is not None and shape not in SHAPES:
        raise ValueError(f"unknown demo shape {shape!r}; shapes: {', '.join(SHAPES)}")
    if customers is None:
        customers = 4000 if shape is None else SHAPE_CUSTOMERS
    world = World(customers, seed, start, as_of)
    parts = list(chunks(world, 100_000))
    tables = {name: world.global_tables.get(name) for name in CONTRACT}
    for name in _CHUNK_TABLES:
        tables[name] = pd.concat([p[name] for p in parts], ignore_index=True)
    truth_rows = pd.concat([p["customers_truth"] for p in parts], ignore_index=True)
    if shape is not None:
        tables = apply_shape(tables, shape, as_of=as_of)
        return DemoCompany(tables=tables, truth_of=lambda: world.truth() | {"shape": shape},
                           customers_truth=truth_rows)
    added, rejected = planted_rejects(parts[0] | world.global_tables, as_of=as_of)
    return DemoCompany(tables=tables, truth_of=lambda: world.truth() | {"rejected": rejected.to_dict("records")},
                       customers_truth=truth_rows, rejected=rejected, rejected_rows=added)


def write(
    out_dir: str | Path,
    *,
    customers: int | None = None,
    seed: int = 42,
    file_format: str = "csv",
    chunk_customers: int = 100_000,
    start: str = "2023-01-01",
    as_of: str = "2025-12-31",
    progress: bool = False,
    shape: str | None = None,
) -> Path:
    """Write the demo company to `out_dir`, chunk by chunk, in bounded memory.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write ``<table>.<ext>``, ``customers_truth.<ext>`` and ``truth.json`` into.
    customers, seed, start, as_of
        As in :func:`generate`, which returns the same data.
    file_format : {"csv", "parquet"}
        File format of the tables.
    chunk_customers : int
        Customers generated and written at a time (rounded up to a multiple of 100).
    progress : bool
        Show a progress bar over the chunks.
    shape : str, optional
        Write a degraded variant (see :data:`SHAPES` and :func:`generate`): only the tables
        its export holds. Shapes are test data, generated in memory (not chunk by chunk).

    Returns
    -------
    Path
        The output folder.
    """
    if file_format not in ("csv", "parquet"):
        raise ValueError(f"file_format must be 'csv' or 'parquet', not {file_format!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if shape is not None:
        return _write_shape(out, shape, customers=customers, seed=seed, file_format=file_format,
                            start=start, as_of=as_of)
    customers = 4000 if customers is None else customers
    world = World(customers, seed, start, as_of)
    sink = _Sink(out, file_format)
    for name, frame in world.global_tables.items():
        sink.append(name, frame)
    parts = chunks(world, chunk_customers)
    if progress:
        from tqdm.auto import tqdm

        parts = tqdm(parts, total=-(-customers // chunk_size(chunk_customers)), unit="chunk")
    first = None
    for part in parts:
        first = part if first is None else first
        for name, frame in part.items():
            sink.append(name, frame)
    added, rejected = planted_rejects((first or {}) | world.global_tables, as_of=as_of)
    for name, rows in added.items():  # the rows the loader should reject, as in generate()
        sink.append(name, rows)
    sink.close()
    truth = world.truth() | {"rejected": rejected.to_dict("records")}
    (out / "truth.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False), encoding="utf-8")
    log.info("wrote demo company (%d customers, seed %d) to %s", customers, seed, out)
    return out


def _write_shape(out: Path, shape: str, *, customers, seed, file_format, start, as_of) -> Path:
    company = generate(customers=customers, seed=seed, start=start, as_of=as_of, shape=shape)
    sink = _Sink(out, file_format)
    for name, frame in company.tables.items():
        sink.append(name, frame)
    sink.append("customers_truth", company.customers_truth)
    sink.close()
    (out / "truth.json").write_text(
        json.dumps(company.truth, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    log.info("wrote demo shape %s (seed %d) to %s", shape, seed, out)
    return out


class _Sink:
    """Append frames to one file per table (Parquet row groups or CSV without repeated header)."""

    def __init__(self, out: Path, file_format: str) -> None:
        self.out, self.format, self.writers = out, file_format, {}

    def append(self, name: str, frame: pd.DataFrame) -> None:
        path = self.out / f"{name}.{self.format}"
        if self.format == "csv":
            frame.to_csv(
                path,
                mode="a" if name in self.writers else "w",
                header=name not in self.writers,
                index=False,
            )
            self.writers[name] = None
            return
        import pyarrow.parquet as pq

        if name not in self.writers:
            self.writers[name] = pq.ParquetWriter(path, _arrow_schema(name, frame))
        writer = self.writers[name]
        writer.write_table(pa.Table.from_pandas(frame, schema=writer.schema, preserve_index=False))

    def close(self) -> None:
        for writer in self.writers.values():
            if writer is not None:
                writer.close()


def _arrow_schema(name: str, frame: pd.DataFrame):
    """Explicit Arrow schema, so that a chunk with an all-empty column keeps the same types."""
    types = {
        "str": pa.large_string(),
        "Int64": pa.int64(),
        "float64": pa.float64(),
        "boolean": pa.bool_(),
        "datetime64[ns]": pa.timestamp("ns"),
    }
    if name not in CONTRACT and name != "customers_truth":  # a shape's table the contract lacks
        return pa.Schema.from_pandas(frame, preserve_index=False)
    dtypes = (
        _TRUTH_COLUMNS
        if name == "customers_truth"
        else {c.name: DTYPES[c.dtype] for c in CONTRACT[name].columns}
    )
    schema = pa.schema([(col, types[dtypes[col]]) for col in frame.columns])
    return schema.with_metadata(pa.Schema.from_pandas(frame, preserve_index=False).metadata)
