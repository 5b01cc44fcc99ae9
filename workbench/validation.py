"""Check one table against the contract: parse, apply the mapping, run the rules, split rejects.

The rules themselves (missing values, ranges, allowed values, unique keys, dates after the
analysis date, date order, references to other tables) are a pandera schema built from
:mod:`workbench.contract`, so the contract exists as code and can be reused on its own
(:func:`contract_schema`). Nothing is dropped silently: every record is accepted, rejected
with its reasons, or excluded by an explicit ``where`` of the mapping, and the three counts
add up to what was read.
"""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pa

from .contract import CONTRACT, DTYPES, Column, Table
from .mapping import MappingError, TableMapping
from .parsing import Dialect, coerce_derived, parse_column
from .sources import RawTable

__all__ = ["ContractError", "TableResult", "contract_schema", "check_table", "REJECT_COLUMNS"]

log = logging.getLogger(__name__)

REJECT_COLUMNS = ["table", "file", "row", "line", "column", "value", "rule", "reason"]
_PROBLEM_COLUMNS = ["__idx", "column", "value", "rule", "reason"]
#: The kind of problem behind each check name, for counting rejects by rule.
_RULES = {"not_nullable": "empty", "range": "out of range", "allowed": "not an allowed value",
          "after_as_of": "after as_of", "field_uniqueness": "duplicate key",
          "multiple_fields_uniqueness": "duplicate key"}


class ContractError(ValueError):
    """A fatal problem with a table (a required column missing...): nothing of it can be used."""


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


def _normalise(name: str) -> str:
    return str(name).strip().lower().replace(" ", "_").replace("-", "_")


def contract_schema(
    table: Table | str,
    *,
    columns: list[str] | None = None,
    as_of: pd.Timestamp | None = None,
    parents: dict[str, pd.Index] | None = None,
) -> pa.DataFrameSchema:
    """The pandera schema of a contract table (restricted to `columns` when given).

    Checks are named after the rule they enforce (``not_nullable``, ``range``, ``allowed``,
    ``after_as_of``, ``reference:<table>``, ``order:<earlier><<later>``, key uniqueness).
    """
    table = CONTRACT[table] if isinstance(table, str) else table
    present = set(columns) if columns is not None else set(table.column_names)
    cols = {}
    for col in table.columns:
        if col.name not in present:
            continue
        checks = []
        if col.min is not None or col.max is not None:
            lo = -np.inf if col.min is None else col.min
            hi = np.inf if col.max is None else col.max
            checks.append(pa.Check(lambda s, lo=lo, hi=hi: s.between(lo, hi), name="range"))
        if col.allowed:
            checks.append(pa.Check(lambda s, a=list(col.allowed): _isin(s, a), name="allowed"))
        if col.not_after_as_of and as_of is not None:
            # as_of is a day: a timestamp during that day is not after it
            limit = as_of.normalize() + pd.Timedelta(days=1) if col.dtype == "datetime" else as_of
            strict = col.dtype == "datetime"
            checks.append(pa.Check(lambda s, lim=limit, lt=strict: s < lim if lt else s <= lim,
                                   name="after_as_of"))
        for ref in table.references:
            if ref.column == col.name and parents and ref.table in parents:
                keys = parents[ref.table]
                checks.append(pa.Check(lambda s, k=keys: _isin(s, k), name=f"reference:{ref.table}"))
        if table.key == (col.name,):
            # pandera's own `unique=` goes through Series.is_unique, 3x slower on Arrow strings
            checks.append(pa.Check(_first_occurrence, name="field_uniqueness", ignore_na=False))
        cols[col.name] = pa.Column(DTYPES[col.dtype], checks=checks, nullable=col.nullable,
                                   required=False, coerce=False)
    frame_checks = [
        pa.Check(lambda df, a=a, b=b: ~(df[b] < df[a]), name=f"order:{a}<{b}")
        for a, b in table.date_order if a in present and b in present
    ]
    key = [k for k in table.key if k in present] if len(table.key) > 1 else None
    if key is not None and len(key) < len(table.key):
        key = None
    return pa.DataFrameSchema(cols, checks=frame_checks, unique=key,
                              report_duplicates="exclude_first", name=table.name)


def _first_occurrence(series: pd.Series) -> pd.Series:
    """False for a repeat of an earlier value (the first one is kept); empty values pass."""
    return ~series.duplicated(keep="first") | series.isna()


def _isin(series: pd.Series, values) -> pd.Series:
    """``series.isin(values)`` through Arrow's hash kernel: 10x faster than pandas' on strings."""
    import pyarrow
    import pyarrow.compute as pc

    array = pyarrow.array(series, from_pandas=True)
    value_set = pyarrow.array(list(values) if not isinstance(values, pd.Index) else values,
                              from_pandas=True)
    if value_set.type != array.type:
        value_set = value_set.cast(array.type)
    mask = pc.is_in(array, value_set=value_set).to_numpy(zero_copy_only=False)
    return pd.Series(mask, index=series.index)


def check_table(
    raw: RawTable,
    table: Table,
    *,
    mapping: TableMapping | None = None,
    as_of: pd.Timestamp | None = None,
    parents: dict[str, pd.Index] | None = None,
    rejected_keys: dict[str, pd.Index] | None = None,
) -> TableResult:
    """Map, parse and check one raw table. Raises :class:`ContractError` on fatal problems."""
    frame = raw.frame.copy()
    frame.index = pd.RangeIndex(len(frame))
    frame["__row"] = np.arange(1, len(frame) + 1)
    if mapping is not None and mapping.unpivot:
        frame = _unpivot(frame, mapping, raw.file)
    source, matched = _rename(frame, table, mapping, raw.file)
    typed, problems = _parse(source, table, mapping, _dialect(raw, mapping))
    rows = frame["__row"]
    typed = _apply_constants_and_derive(typed, table, mapping, raw.file, rows)
    _require_columns(typed, table, raw)
    read = len(typed)
    # a row with an unreadable value is rejected, never excluded: a where cannot hide a problem
    keep = _where(typed, mapping, raw.file, rows) | typed.index.isin(problems["__idx"])
    typed = typed[keep]
    rules = _rule_problems(typed[[c for c in table.column_names if c in typed]], table, as_of,
                           parents, rejected_keys)
    problems = _merge_problems(problems, rules, source)
    result = _split(raw, table, typed, problems, rows, read=read, excluded=int((~keep).sum()))
    if matched and mapping is not None:
        result.notes.append(f"{raw.file}: {table.name} columns taken by their names: {', '.join(matched)}")
    if raw.blank:
        result.notes.append(f"{raw.file}: {raw.blank} blank line(s) hold no record and were skipped")
    return result


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
    rejects = _format_rejects(problems, rows, raw, table.name)
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


def _unpivot(frame: pd.DataFrame, mapping: TableMapping, file: str) -> pd.DataFrame:
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


def _rename(frame: pd.DataFrame, table: Table, mapping: TableMapping | None,
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
        if col in out:  # recodings match the trimmed text: "Homme " is recoded as "Homme"
            text = out[col].astype("str").str.strip().where(out[col].notna())
            out[col] = text.map(lambda v, r=recode: r.get(v, v))
    return out, matched


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
        return typed, pd.DataFrame(columns=_PROBLEM_COLUMNS)
    return typed, pd.concat(problems, ignore_index=True)


def _evaluate(expression: str, typed: pd.DataFrame, rows: pd.Series, where: str):
    env = {c: typed[c] for c in typed.columns}
    env["row_number"] = rows
    try:
        return pd.eval(expression, local_dict=env, engine="python")
    except Exception as exc:
        raise MappingError(f"{where}: cannot evaluate {expression!r}: {exc}") from exc


def _apply_constants_and_derive(typed, table, mapping, file, rows: pd.Series):
    """Mapping constants and expressions; `rows` is each record's number in the source file."""
    if mapping is not None:
        for col, value in mapping.constants.items():
            typed[col] = coerce_derived(pd.Series([value] * len(typed), index=typed.index, dtype=object),
                                        table.column(col), typed.index)
        if mapping.derive:
            for col, expr in mapping.derive.items():
                value = _evaluate(expr, typed, rows, f"{file}: derive {col}")
                typed[col] = coerce_derived(value, table.column(col), typed.index)
    for col, expr in table.derivable.items():
        if col not in typed and {"quantity", "unit_price"} <= set(typed):
            typed[col] = (typed["quantity"] * typed["unit_price"]).round(2)
            log.info("%s: %s derived as %s", file, col, expr)
    return typed


def _where(typed: pd.DataFrame, mapping: TableMapping | None, file: str, rows: pd.Series) -> pd.Series:
    if mapping is None or not mapping.where:
        return pd.Series(True, index=typed.index)
    keep = _evaluate(mapping.where, typed, rows, f"{file}: where")
    return pd.Series(keep, index=typed.index).fillna(False).astype(bool)


def _rule_problems(frame: pd.DataFrame, table: Table, as_of, parents, rejected_keys) -> pd.DataFrame:
    schema = contract_schema(table, columns=list(frame.columns), as_of=as_of, parents=parents)
    try:
        schema.validate(frame, lazy=True)
        return pd.DataFrame(columns=_PROBLEM_COLUMNS)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
    cases = cases[cases["index"].notna()]
    out = []
    for check, group in cases.groupby("check", sort=False):
        if str(check).startswith("order:"):  # a frame-wide check: the problem is the later date
            group = group[group["column"] == str(check).split("<")[1]]
        group = group.drop_duplicates("index")
        out.append(pd.DataFrame({
            "__idx": group["index"].astype(int).to_numpy(),
            "column": group["column"].to_numpy(),
            "value": [_show(v) for v in group["failure_case"]],
            "rule": _rule(str(check)),
            "reason": _reasons(str(check), group, frame, table, as_of, rejected_keys),
        }))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=_PROBLEM_COLUMNS)


def _rule(check: str) -> str:
    if check.startswith("reference:"):
        return "unknown reference"
    if check.startswith("order:"):
        return "dates out of order"
    return _RULES.get(check, check)


def _show(value) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else str(value)
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _reasons(check: str, group: pd.DataFrame, frame: pd.DataFrame, table: Table, as_of,
             rejected_keys=None) -> list[str]:
    cols, vals = group["column"].astype(str).tolist(), [_show(v) for v in group["failure_case"]]
    idx = group["index"].astype(int).to_numpy()
    if check == "not_nullable":
        return [f"{c} is empty" for c in cols]
    if check == "range":
        out = []
        for c, v in zip(cols, vals, strict=True):
            col = table.column(c)
            lo = "" if col.min is None else f"{col.min:g}"
            hi = "" if col.max is None else f"{col.max:g}"
            bound = f"{lo}–{hi}" if lo and hi else (f"at least {lo}" if lo else f"at most {hi}")
            out.append(f"{c} {v} is outside the allowed range ({bound})")
        return out
    if check == "allowed":
        return [f"{c} {v!r} is not one of {', '.join(table.column(c).allowed)}"
                for c, v in zip(cols, vals, strict=True)]
    if check == "after_as_of":
        return [f"{c} {v} is after the analysis date as_of {as_of:%Y-%m-%d}"
                for c, v in zip(cols, vals, strict=True)]
    if check.startswith("reference:"):
        parent = check.split(":", 1)[1]
        dropped = (rejected_keys or {}).get(parent, pd.Index([]))
        return [f"{c} {v!r} refers to a {parent} row that was rejected (see its reason)"
                if v in dropped else f"{c} {v!r} is not in {parent}"
                for c, v in zip(cols, vals, strict=True)]
    if check.startswith("order:"):
        a, b = check.split(":", 1)[1].split("<")
        return [f"{b} {_show(frame.at[i, b])} is before {a} {_show(frame.at[i, a])}" for i in idx]
    if check in ("field_uniqueness", "multiple_fields_uniqueness"):
        key = [c for c in table.key if c in frame]
        return [f"duplicate key {', '.join(key)} = {', '.join(_show(frame.at[i, k]) for k in key)}"
                " (an earlier row has it)" for i in idx]
    return [f"{c} {v!r} fails {check}" for c, v in zip(cols, vals, strict=True)]


def _format_rejects(problems: pd.DataFrame, rows: pd.Series, raw: RawTable, table: str) -> pd.DataFrame:
    if problems.empty:
        return pd.DataFrame(columns=REJECT_COLUMNS)
    problems = problems.drop_duplicates(["__idx", "reason"])
    record = rows.loc[problems["__idx"].to_numpy()].to_numpy()
    line = raw.line_of(record) if raw.first_line is not None else np.full(len(record), np.nan)
    out = pd.DataFrame({
        "table": table, "file": raw.file, "row": record,
        "line": pd.array(line, dtype="Int64") if raw.first_line is not None else pd.array(
            [pd.NA] * len(record), dtype="Int64"),
        "column": problems["column"].to_numpy(), "value": problems["value"].to_numpy(),
        "rule": problems["rule"].to_numpy(), "reason": problems["reason"].to_numpy(),
    })
    return out.sort_values(["row", "column"], kind="stable").reset_index(drop=True)
