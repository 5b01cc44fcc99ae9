"""Grids drawn from the data: one report per value of a column, read when the run starts.

A schedule's grid key either lists its values or names a column::

    grid:
      sales_rep: {from: customers.sales_rep, min_customers: 20, other: "Other reps"}

The values present in the source on the run's ``as_of`` give one report each (a rep who left
gives none; a new one gets a report without editing the file). With ``min_customers``, values
held by fewer customers are not reported alone: they are listed in the run record, and with
``other`` they share one report under that label, whose parameter value is their names joined
by ``"; "`` (methods that take such a parameter, e.g. ``campaigns.portfolio(sales_rep=...)``,
read it as several values).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workbench.report.results import RunConfigError

log = logging.getLogger(__name__)

__all__ = ["GridFromData", "expand_grid", "SEPARATOR"]

SEPARATOR = "; "
_KEYS = {"from", "min_customers", "other"}


@dataclass
class GridFromData:
    """The values a grid key drew from the data, with what was left out and why."""

    name: str
    column: str
    values: list[str]
    counts: dict[str, int]
    below_min: list[str] = field(default_factory=list)
    other: str | None = None
    labels: dict[str, str] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        """What goes into ``run.json``: the column, every value found, with their customers."""
        return {"from": self.column, "values": list(self.labels.get(v, v) for v in self.values),
                "customers": self.counts, "below_min_customers": self.below_min,
                "other": self.other}


def _spec(name: str, spec: Mapping) -> tuple[str, str, int, str | None]:
    unknown = set(spec) - _KEYS
    if unknown:
        raise RunConfigError(f"grid.{name}: unknown key(s) {', '.join(sorted(unknown))}; "
                             f"allowed: {', '.join(sorted(_KEYS))}")
    source = spec.get("from")
    if not isinstance(source, str) or source.count(".") != 1:
        raise RunConfigError(f"grid.{name}: 'from' must name a column as table.column "
                             f"(e.g. customers.sales_rep), got {source!r}")
    minimum = spec.get("min_customers", 1)
    if not isinstance(minimum, int) or isinstance(minimum, bool) or minimum < 1:
        raise RunConfigError(f"grid.{name}: min_customers must be a whole number >= 1, got {minimum!r}")
    other = spec.get("other")
    if other is not None and (not isinstance(other, str) or not other.strip()):
        raise RunConfigError(f"grid.{name}: 'other' must be a label, got {other!r}")
    table, column = source.split(".")
    return table, column, minimum, other


def _counts(crm, table: str, column: str, name: str) -> dict[str, int]:
    """Customers (or rows, for a table without customer_id) per value of the column."""
    if table not in crm.tables:
        raise RunConfigError(f"grid.{name}: the source has no table {table!r} "
                             f"(it has {', '.join(sorted(crm.tables)) or 'none'})")
    frame = crm[table]
    if column not in frame:
        raise RunConfigError(f"grid.{name}: {table} has no column {column!r}; map it, or list "
                             f"the values by hand")
    values = frame[column].astype("string").str.strip()
    if "customer_id" in frame:
        counts = frame.assign(_v=values).dropna(subset=["_v"]).groupby("_v")["customer_id"].nunique()
    else:
        counts = values.dropna().value_counts()
    return {str(k): int(v) for k, v in counts.items() if str(k)}


def expand_grid(grid: Mapping[str, Any], parameters: Mapping[str, Any]) -> tuple[dict, dict]:
    """Replace the grid keys that name a column by the values found in the source.

    Parameters
    ----------
    grid : mapping
        The run's grid: lists of values, or ``{from: table.column, ...}`` specs.
    parameters : mapping
        The run's parameters, dates resolved: ``data``, ``mapping``, ``as_of`` and ``seed``
        say which source to read.

    Returns
    -------
    (grid, drawn)
        The grid with lists only, and ``{name: GridFromData}`` for the keys drawn from data
        (their ``labels`` name the reports of ``other`` buckets).
    """
    specs = {k: v for k, v in grid.items() if isinstance(v, Mapping)}
    if not specs:
        return dict(grid), {}
    from workbench.data.dataset import load

    crm = load(parameters.get("data", "demo"), mapping=parameters.get("mapping") or None,
               as_of=parameters.get("as_of") or None, seed=parameters.get("seed", 42))
    out, drawn = dict(grid), {}
    for name, spec in specs.items():
        table, column, minimum, other = _spec(name, spec)
        counts = _counts(crm, table, column, name)
        kept = sorted(v for v, n in counts.items() if n >= minimum)
        small = sorted(v for v, n in counts.items() if n < minimum)
        values, labels = list(kept), {}
        if other and small:
            bucket = SEPARATOR.join(small)
            values.append(bucket)
            labels[bucket] = other
        if not values:
            raise RunConfigError(f"grid.{name}: no value of {table}.{column} has "
                                 f"{minimum} customer(s) or more; nothing to report")
        if small:
            log.info("grid.%s: %d value(s) under %d customers %s: %s", name, len(small), minimum,
                     f"share the report {other!r}" if other else "are not reported",
                     ", ".join(small))
        out[name] = values
        drawn[name] = GridFromData(name, f"{table}.{column}", values, counts, small, other, labels)
    return out, drawn
