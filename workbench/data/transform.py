"""Apply a mapping to a raw table: unpivot, rename, recode, derive, filter."""

from __future__ import annotations

import difflib
import logging

import pandas as pd

from workbench.data.contract import Table
from workbench.data.expressions import ExpressionError, parse_expression
from workbench.data.mapping import MappingError, TableMapping
from workbench.data.parsing import coerce_derived

log = logging.getLogger(__name__)


class ContractError(ValueError):
    """A fatal problem with a table (a required column missing...): nothing of it can be used."""




def _normalise(name: str) -> str:
    return str(name).strip().lower().replace(" ", "_").replace("-", "_")


def unpivot(frame: pd.DataFrame, mapping: TableMapping, file: str) -> pd.DataFrame:
    spec = mapping.unpivot
    missing = [c for c in spec["columns"] if c not in frame]
    if missing:
        raise MappingError(f"{file}: unpivot columns not in the file: {', '.join(missing)}")
    ids = [c for c in frame.columns if c not in spec["columns"]]
    long = frame.melt(id_vars=ids, value_vars=spec["columns"], var_name=spec["names_to"],
                      value_name=spec["values_to"])
    long = long.sort_values("__row", kind="stable").reset_index(drop=True)
    return long


def _find_column(name: str, available: list[str]) -> str | None:
    """`name` among the file's columns: exactly, else ignoring case, spaces and underscores."""
    if name in available:
        return name
    by_norm = {_normalise(c): c for c in available}
    return by_norm.get(_normalise(name))


def rename(frame: pd.DataFrame, table: Table, mapping: TableMapping | None,
            file: str) -> tuple[pd.DataFrame, list[str]]:
    """Bring the columns to contract (and declared extra) names, still as raw values.

    Columns the mapping names come first; then, unless the mapping says ``match_names: false``,
    file columns already named after a contract column (ignoring case and spaces) are taken
    too. Returns the frame and the contract columns so taken by name.
    """
    spec = mapping or TableMapping(table.name)
    available = [c for c in frame.columns if c != "__row"]
    out = pd.DataFrame(index=frame.index)
    for contract_name, source_name in spec.columns.items():
        found = _find_column(source_name, available)
        if found is None:
            close = difflib.get_close_matches(source_name, available, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ContractError(
                f"{file}: the mapping takes {table.name}.{contract_name} from column "
                f"{source_name!r}, which the file does not have{hint}; columns found: "
                f"{', '.join(available)}"
            )
        out[contract_name] = frame[found]
    unpivot = spec.unpivot or {}
    for name in (unpivot.get("names_to"), unpivot.get("values_to")):
        if name in table.column_names and name not in out:
            out[name] = frame[name]
    taken = set(out) | set(spec.derive) | set(spec.constants)
    used = {_normalise(c) for c in (*spec.columns.values(), *spec.extra, *unpivot.get("columns", []))}
    matched = []
    if spec.match_names:
        by_norm = {_normalise(c): c for c in available if _normalise(c) not in used}
        for col in table.column_names:
            if col not in taken and _normalise(col) in by_norm:
                out[col] = frame[by_norm[_normalise(col)]]
                matched.append(col)
    for extra in spec.extra:
        found = _find_column(extra, available)
        if found is None:
            raise ContractError(f"{file}: extra column {extra!r} not in the file; columns found: "
                                f"{', '.join(available)}")
        out[extra] = frame[found]
    for col, recode in spec.values.items():
        if col in out:
            out[col] = recode_text(out[col], recode)
    return out, matched


def recode_text(values: pd.Series, recode: dict[str, str]) -> pd.Series:
    """Recoded raw values: the trimmed text looked up ("Homme " is recoded as "Homme"), else kept trimmed."""
    text = values.astype("str").str.strip().where(values.notna())
    return text.map(lambda v: recode.get(v, v))


def _evaluate(expression: str, typed: pd.DataFrame, rows: pd.Series, where: str):
    """`expression` in the safe language (:mod:`workbench.data.expressions`): nothing else runs."""
    try:
        return parse_expression(expression, where=where).evaluate(typed, names={"row_number": rows})
    except ExpressionError as exc:
        raise MappingError(str(exc)) from None


def _where(mapping: TableMapping, key: str, file: str) -> str:
    """``m.yml: tables.orders.where (orders.csv)``: the mapping file and key, and the data file."""
    return f"{mapping.origin}.{key} ({file})" if mapping.origin else f"{file}: {key}"


def apply_constants_and_derive(typed, table, mapping, file, rows: pd.Series):
    """Mapping constants and expressions; `rows` is each record's number in the source file."""
    if mapping is not None:
        for col, value in mapping.constants.items():
            typed[col] = coerce_derived(pd.Series([value] * len(typed), index=typed.index, dtype=object),
                                        table.column(col), typed.index)
        if mapping.derive:
            for col, expr in mapping.derive.items():
                value = _evaluate(expr, typed, rows, _where(mapping, f"derive.{col}", file))
                typed[col] = coerce_derived(value, table.column(col), typed.index)
    for col, expr in table.derivable.items():
        if col not in typed and {"quantity", "unit_price"} <= set(typed):
            typed[col] = (typed["quantity"] * typed["unit_price"]).round(2)
            log.info("%s: %s derived as %s", file, col, expr)
    return typed


def where_mask(typed: pd.DataFrame, mapping: TableMapping | None, file: str, rows: pd.Series) -> pd.Series:
    if mapping is None or not mapping.where:
        return pd.Series(True, index=typed.index)
    keep = _evaluate(mapping.where, typed, rows, _where(mapping, "where", file))
    if isinstance(keep, bool):
        return pd.Series(keep, index=typed.index)
    if not isinstance(keep, pd.Series) or not pd.api.types.is_bool_dtype(keep.dtype):
        raise MappingError(f"{file}: where {mapping.where!r} is not a true/false expression: "
                           "compare a value, e.g. amount != 0")
    return keep.fillna(False).astype(bool)
