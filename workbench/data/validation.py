"""Check one table against the contract: parse, apply the mapping, run the rules, split rejects.

The rules themselves (missing values, ranges, allowed values, unique keys, dates after the
analysis date, date order, references to other tables) are a pandera schema built from
:mod:`workbench.data.contract`, so the contract exists as code and can be reused on its own
(:func:`contract_schema`). Nothing is dropped silently: every record is accepted, rejected
with its reasons, or excluded by an explicit ``where`` of the mapping, and the three counts
add up to what was read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench.data.contract import Column, Table
from workbench.data.mapping import TableMapping
from workbench.data.parsing import Dialect, parse_column
from workbench.data.rules import (
    PROBLEM_COLUMNS,
    REJECT_COLUMNS,
    contract_schema,
    format_rejects,
    rule_problems,
)
from workbench.data.sources import RawTable
from workbench.data.transform import (
    ContractError,
    apply_constants_and_derive,
    rename,
    unpivot,
    where_mask,
)

__all__ = ["ContractError", "TableResult", "contract_schema", "check_table", "REJECT_COLUMNS"]

log = logging.getLogger(__name__)


@dataclass
class TableResult:
    table: str
    file: str
    accepted: pd.DataFrame
    rejects: pd.DataFrame  # one line per problem, REJECT_COLUMNS
    rejected_rows: pd.DataFrame  # the raw records that were rejected, with a `reasons` column
    read: int
    excluded: int
    #: Rejected records (after an unpivot, several records may come from one file row).
    n_rejected: int
    #: Key values of rejected rows (single-column keys), to explain cascaded rejects.
    rejected_key_values: pd.Index = field(default_factory=lambda: pd.Index([]))
    notes: list[str] = field(default_factory=list)


def check_table(
    raw: RawTable,
    table: Table,
    *,
    mapping: TableMapping | None = None,
    as_of: pd.Timestamp | None = None,
    parents: dict[str, pd.Index] | None = None,
    rejected_keys: dict[str, pd.Index] | None = None,
    keep_unknown: set[str] = frozenset(),
) -> TableResult:
    """Map, parse and check one raw table. Raises :class:`ContractError` on fatal problems."""
    frame = raw.frame.copy()
    frame.index = pd.RangeIndex(len(frame))
    frame["__row"] = np.arange(1, len(frame) + 1)
    if mapping is not None and mapping.unpivot:
        frame = unpivot(frame, mapping, raw.file)
    source, matched = rename(frame, table, mapping, raw.file)
    typed, problems = _parse(source, table, mapping, _dialect(raw, mapping))
    rows = frame["__row"]
    problems = _read_problems(raw, rows, problems)
    typed = apply_constants_and_derive(typed, table, mapping, raw.file, rows)
    _require_columns(typed, table, raw)
    read = len(typed)
    # a row with an unreadable value is rejected, never excluded: a where cannot hide a problem
    keep = where_mask(typed, mapping, raw.file, rows) | typed.index.isin(problems["__idx"])
    typed = typed[keep]
    rules = rule_problems(typed[[c for c in table.column_names if c in typed]], table, as_of,
                           parents, rejected_keys, keep_unknown)
    problems = _merge_problems(problems, rules, source)
    result = _split(raw, table, typed, problems, rows, read=read, excluded=int((~keep).sum()))
    if matched and mapping is not None:
        result.notes.append(f"{raw.file}: {table.name} columns taken by their names: {', '.join(matched)}")
    result.notes.extend(raw.notes)
    if raw.blank:
        result.notes.append(f"{raw.file}: {raw.blank} blank line(s) hold no record and were skipped")
    return result


def _read_problems(raw: RawTable, rows: pd.Series, problems: pd.DataFrame) -> pd.DataFrame:
    """Problems of the reading (short and long rows...) on every record of their file row."""
    if raw.problems is None or raw.problems.empty:
        return problems
    at = pd.DataFrame({"__idx": rows.index, "record": rows.to_numpy()})
    found = raw.problems.merge(at, on="record")[PROBLEM_COLUMNS]
    return pd.concat([problems, found], ignore_index=True) if len(problems) else found


def _dialect(raw: RawTable, mapping: TableMapping | None) -> Dialect:
    return Dialect(
        decimal=mapping.decimal if mapping else None,
        # a ;-separated export usually writes decimal commas: a tie-breaker, never an order
        decimal_hint="," if raw.dialect.get("sep") == ";" else None,
        thousands=mapping.thousands if mapping else None,
        date_format=mapping.date_format if mapping else None,
        trim=not raw.typed,
    )


def _require_columns(typed: pd.DataFrame, table: Table, raw: RawTable) -> None:
    missing = [c for c in table.required if c not in typed]
    if missing:
        raise ContractError(
            f"{raw.file}: required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(m) for m in missing)} of table {table.name} "
            f"{'are' if len(missing) > 1 else 'is'} missing; columns found: "
            f"{', '.join(map(str, raw.frame.columns))}. Map "
            f"{'them' if len(missing) > 1 else 'it'} in a mapping file (columns: or derive:)."
        )


def _merge_problems(parsed: pd.DataFrame, rules: pd.DataFrame, source: pd.DataFrame) -> pd.DataFrame:
    """Parse and rule problems together; rule problems show the value as the file holds it."""
    # a value that did not parse is also empty: say it once, as unreadable
    unreadable = pd.MultiIndex.from_frame(parsed[["__idx", "column"]])
    echo = (rules["rule"] == "empty") & pd.MultiIndex.from_frame(rules[["__idx", "column"]]).isin(unreadable)
    # a derived column (amount = quantity * unit_price) is empty because an input was unreadable
    echo |= (rules["rule"] == "empty") & ~rules["column"].isin(source.columns) & \
        rules["__idx"].isin(parsed["__idx"])
    rules = rules[~echo].copy()
    for column, idx in rules.groupby("column")["__idx"]:
        if column in source:
            raw = source.loc[idx.to_numpy(), column]
            rules.loc[idx.index, "value"] = raw.astype("str").where(raw.notna(), "").to_numpy()
    return pd.concat([parsed, rules], ignore_index=True)


def _split(raw, table, typed, problems, rows, *, read: int, excluded: int) -> TableResult:
    """Accepted rows, one reject line per problem, and the raw rejected records to fix."""
    bad_idx = pd.Index(problems["__idx"].unique())
    rows = rows.loc[typed.index]
    rejects = format_rejects(problems, rows, raw, table.name)
    accepted = typed.drop(index=bad_idx)
    ordered = [c for c in table.column_names if c in accepted] + [
        c for c in accepted if c not in table.column_names and c != "__row"]
    accepted = accepted[ordered].reset_index(drop=True)
    records = rows.loc[bad_idx].to_numpy()
    rejected_rows = raw.frame.iloc[records - 1].copy() if len(bad_idx) else raw.frame.iloc[0:0].copy()
    if len(bad_idx):
        reasons = rejects.groupby("row")["reason"].agg("; ".join)
        rejected_rows.insert(0, "row", records)
        rejected_rows["reasons"] = rejected_rows["row"].map(reasons).to_numpy()
        rejected_rows = rejected_rows.drop_duplicates("row").sort_values("row", kind="stable")
    key = table.key[0] if len(table.key) == 1 and table.key[0] in typed else None
    dropped = pd.Index(typed.loc[bad_idx, key].dropna().unique()) if key and len(bad_idx) else pd.Index([])
    if excluded:
        log.info("%s: %d of %d records excluded by the mapping's where", raw.file, excluded, read)
    return TableResult(table.name, raw.file, accepted, rejects, rejected_rows, read, excluded,
                       n_rejected=len(bad_idx), rejected_key_values=dropped)


def _parse(source: pd.DataFrame, table: Table, mapping: TableMapping | None, dialect: Dialect):
    typed = pd.DataFrame(index=source.index)
    problems = []
    extras = mapping.extra if mapping else {}
    for name in source.columns:
        column = table.column(name) if name in table.column_names else Column(
            name, extras[name], "extra column")
        result = parse_column(source[name], column, dialect)
        typed[name] = result.values
        if result.bad.any():
            idx = source.index[result.bad.to_numpy()]
            problems.append(pd.DataFrame({
                "__idx": idx, "column": name,
                "value": source.loc[idx, name].astype("str").to_numpy(),
                "rule": "unreadable value",
                "reason": [f"{name} {v!r} is not {result.expected}" for v in source.loc[idx, name]],
            }))
    if not problems:
        return typed, pd.DataFrame(columns=PROBLEM_COLUMNS)
    return typed, pd.concat(problems, ignore_index=True)
