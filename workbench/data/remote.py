"""The contract checked where the data lives (PostgreSQL, Spark), through Ibis.

``--engine postgres`` and ``--engine spark`` leave the order lines where they are: each table
becomes an Ibis expression on that backend, cast to the contract's types, every rule of
:mod:`workbench.data.contract` a boolean flag (unreadable whole numbers, empty required values,
ranges, allowed values, dates after ``as_of``, references to the parent's accepted rows,
duplicate keys, date order), the accepted rows those with no flag. Only counts come back: one
aggregate per table (read, rejected, rejected per rule). RFM then runs on the accepted
expression (:func:`workbench.rfm.score` takes Ibis tables), so a backend computes it all.

What the embedded engine (:mod:`workbench.data.engine`) adds and this does not: the rejected
rows themselves with their reasons (ask ``workbench validate`` on the default engine for them),
and mappings that derive, recode, filter or unpivot (renames only here). Without a row order in
a database or a cluster, which of two rows with the same key is kept is the backend's choice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pandas as pd

from workbench.data.contract import CONTRACT, TABLE_ORDER, Table
from workbench.data.mapping import Mapping, MappingError, TableMapping
from workbench.data.transform import ContractError, rename

__all__ = ["RemoteTable", "check_remote", "check_tables"]

log = logging.getLogger(__name__)

_RENAME_ONLY = ("derive", "values", "constants", "where", "unpivot", "rows", "lookup")
_IBIS_TYPES = {"string": "string", "int": "int64", "float": "float64", "bool": "boolean",
               "date": "timestamp", "datetime": "timestamp"}


@dataclass
class RemoteTable:
    """One table checked on its backend: the accepted rows (an expression) and the counts."""

    name: str
    file: str
    accepted: object  # ibis.Table
    read: int
    rejected: int
    by_rule: dict[str, int] = field(default_factory=dict)
    #: The parent's rejected keys, for a child's reference check (an expression on the same backend).
    rejected_keys: object = None


def _columns(t, table: Table, spec: TableMapping | None, label: str) -> dict[str, str]:
    """Contract column -> source column, by the mapping's renames (and the contract's own names)."""
    if spec is not None:
        used = [k for k in _RENAME_ONLY if getattr(spec, k)]
        if used:
            raise MappingError(f"{spec.origin or label}: {', '.join(used)} need the default engine; a database "
                               "or cluster engine applies column renames only (columns:)")
    probe = pd.DataFrame([list(t.columns)], columns=list(t.columns), dtype=object)
    renamed, _ = rename(probe, table, spec, label)
    targets = {dst: renamed.at[0, dst] for dst in renamed.columns if dst in table.column_names}
    missing = [c for c in table.required if c not in targets]
    if missing:
        raise ContractError(f"{label}: required column(s) {', '.join(missing)} not found; columns: "
                            f"{', '.join(t.columns)}. Map them in the mapping file (columns:)")
    return targets


def _typed(t, table: Table, targets: dict[str, str]):
    """(typed table, flags of values that cannot take their type)."""
    import ibis

    values, bad = {}, {}
    schema = t.schema()
    for name, src in targets.items():
        column = table.column(name)
        x = t[src]
        kind = schema[src]
        if column.dtype == "string":
            x = x.cast("string").nullif("")
            if column.allowed:
                low = x.lower()
                x = ibis.cases(*((low == a.lower(), a) for a in column.allowed), else_=x)
        elif column.dtype in ("int", "float"):
            if kind.is_floating():
                x = ibis.cases((x.isnan(), ibis.null("float64")), else_=x.cast("float64"))
                if column.dtype == "int":
                    bad[name] = (x.notnull() & (x != x.round())).fill_null(False)
                    x = ibis.cases((bad[name], ibis.null("float64")), else_=x).round().cast("int64")
            else:
                x = x.cast(_IBIS_TYPES[column.dtype])
        elif column.dtype == "date":
            x = x.cast("timestamp").truncate("D")
        else:
            x = x.cast(_IBIS_TYPES[column.dtype])
        values[name] = x
    return t.select(**values), bad


def check_remote(t, table: Table, *, label: str, mapping: TableMapping | None = None,
                 as_of: pd.Timestamp | None = None, parents: dict[str, RemoteTable] | None = None,
                 keep_unknown: frozenset[str] = frozenset()) -> RemoteTable:
    """Check `t` (an Ibis table on any backend) against `table`; counts computed there, rows left there."""
    import ibis

    targets = _columns(t, table, mapping, label)
    typed, bad = _typed(t, table, targets)
    flags: dict[str, object] = {f"unreadable:{k}": v for k, v in bad.items()}
    for col in table.columns:
        if col.name not in typed.columns:
            continue
        c = typed[col.name]
        if not col.nullable:
            flags[f"not_nullable:{col.name}"] = c.isnull()
        if col.min is not None:
            flags[f"range:{col.name}>={col.min}"] = c < col.min
        if col.max is not None:
            flags[f"range:{col.name}<={col.max}"] = c > col.max
        if col.allowed:
            flags[f"allowed:{col.name}"] = c.notin(list(col.allowed))
        if col.not_after_as_of and as_of is not None:
            limit = as_of.normalize() + pd.Timedelta(days=1) if col.dtype == "datetime" else as_of
            flags[f"after_as_of:{col.name}"] = (c >= limit) if col.dtype == "datetime" else (c > limit)
    for ref in table.references:
        parent = (parents or {}).get(ref.table)
        if parent is None or ref.column not in typed.columns:
            continue
        c = typed[ref.column]
        if ref.table in keep_unknown:  # a partial master: only a rejected parent row's key fails
            flags[f"reference:{ref.table}"] = c.isin(parent.rejected_keys)
        else:
            # not NOT IN (the parent's accepted keys are never null): Spark runs NOT IN as a nested loop
            flags[f"reference:{ref.table}"] = c.notnull() & ~c.isin(parent.accepted[ref.key])
    for a, b in table.date_order:
        if a in typed.columns and b in typed.columns:
            flags[f"order:{a}<{b}"] = typed[b] < typed[a]
    key = [k for k in table.key if k in typed.columns]
    if key and len(key) == len(table.key):
        first = ibis.row_number().over(group_by=[typed[k] for k in key], order_by=[typed[k] for k in key])
        flags["unique:" + ",".join(key)] = first > 0
    named = {f"__f{i}": f.fill_null(False) for i, f in enumerate(flags.values())}
    flagged = typed.mutate(**named)
    if _backend_name(t) == "pyspark":
        # computed once, held by the session: the counts, the accepted rows, a child's reference
        # check and every RFM pass read it (otherwise each would re-read the Parquet and redo the
        # checks of this table and of its parents)
        flagged = flagged.cache()
    any_flag = ibis.or_(*(flagged[n] for n in named)) if named else ibis.literal(False)
    # ifelse, not cast: PostgreSQL casts no boolean to a number
    counts = flagged.aggregate(__read=flagged.count(), __rejected=any_flag.ifelse(1, 0).sum(),
                               **{n: flagged[n].ifelse(1, 0).sum() for n in named}).to_pandas().iloc[0]
    accepted = flagged.filter(~any_flag).select(*typed.columns)
    by_rule = {rule: int(counts[n] or 0) for rule, n in zip(flags, named, strict=True) if counts[n]}
    rejected_keys = None
    if len(table.key) == 1 and table.key[0] in typed.columns:
        k = table.key[0]
        rejected_keys = flagged.filter(any_flag).select(k).distinct()[k]
    result = RemoteTable(table.name, label, accepted, int(counts["__read"]), int(counts["__rejected"] or 0),
                         by_rule, rejected_keys)
    log.info("%s: checked on the backend: read %d, rejected %d", label, result.read, result.rejected)
    return result


def _backend_name(t) -> str:
    try:
        return t._find_backend().name
    except Exception:  # an expression without a backend (a memtable)
        return ""


def check_tables(tables: dict[str, tuple[object, str]], *, mapping: Mapping | None, as_of,
                 unknown_customers: str = "keep") -> dict[str, RemoteTable]:
    """Check several tables of one backend, parents first: name -> (Ibis table, label)."""
    done: dict[str, RemoteTable] = {}
    for name in (n for n in TABLE_ORDER if n in tables):
        t, label = tables[name]
        keep = frozenset({"customers"} if name == "orders" and unknown_customers == "keep" else ())
        done[name] = check_remote(t, CONTRACT[name], label=label, as_of=as_of, parents=done, keep_unknown=keep,
                                  mapping=mapping.for_table(name) if mapping else None)
    return done


def quality(results: dict[str, RemoteTable]) -> pd.DataFrame:
    """read = accepted + rejected per table, as :attr:`CRMData.quality` has it (no exclusions here)."""
    rows = [[r.name, r.file, r.read, 0, r.read - r.rejected, r.rejected, len(r.accepted.columns)]
            for r in results.values()]
    return pd.DataFrame(rows, columns=["table", "file", "read", "excluded", "accepted", "rejected", "columns"])
