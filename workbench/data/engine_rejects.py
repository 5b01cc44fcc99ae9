"""Reasons for the rows the engine flagged: only these rows come to pandas, worded as the pandas path words them."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from workbench.data.contract import DTYPES, Table
from workbench.data.engine import quote
from workbench.data.rules import PROBLEM_COLUMNS, _reasons, _rule, _show, format_rejects
from workbench.data.sources import RawTable
from workbench.data.transform import recode_text

__all__ = ["explain", "arrow_to_contract"]


def arrow_to_contract(arrow, dtypes: dict[str, str] | None = None) -> pd.DataFrame:
    """An Arrow result as pandas with the contract's dtypes (Int64, boolean, str, datetime64[ns])."""
    import pyarrow as pa

    mapper = {pa.int64(): pd.Int64Dtype(), pa.int32(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}.get
    out = arrow.to_pandas(types_mapper=mapper, date_as_object=False)
    for col in out.columns:
        kind = (dtypes or {}).get(col)
        if kind is not None:
            out[col] = out[col].astype(DTYPES[kind])
        elif pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].astype("datetime64[ns]")
    return out


def _raw_rows(con, source, rows: np.ndarray, problems: str | None) -> pd.DataFrame:
    """The flagged records as the pandas path reads them (index: record number - 1); from the
    `problems` table when it holds them (``__raw``), else read again from the source."""
    if "frame" in source.raw_dialect:
        return source.raw_dialect["frame"].iloc[rows - 1]
    if problems:
        raw = _as_read(con.sql(f"SELECT unnest(__raw) FROM {problems} ORDER BY __row"), source)
    else:
        con.register("__flagged_rows", pd.DataFrame({"__row": rows}))
        try:
            raw = _as_read(con.sql(f"SELECT * FROM ({source.sql}) WHERE __row IN (SELECT __row FROM "
                                   "__flagged_rows) ORDER BY __row"), source)
        finally:
            con.unregister("__flagged_rows")
    raw.index = raw.pop("__row").to_numpy() - 1
    return raw


def _as_read(query, source) -> pd.DataFrame:
    """Rows as sources.read_raw reads them: a database through DuckDB's own pandas, a file through
    Arrow; a Parquet file's nullable integer and yes/no columns with the dtypes its pandas metadata
    gives them (Int64, boolean), as ``pd.read_parquet`` reads them."""
    if "attach" in source.raw_dialect:
        return query.df()
    out = query.to_arrow_table().to_pandas()
    path = source.raw_dialect.get("parquet")
    if path is not None:
        import json

        import pyarrow.parquet as pq

        metadata = pq.read_schema(path).metadata or {}
        columns = json.loads(metadata[b"pandas"]).get("columns", []) if b"pandas" in metadata else []
        for c in columns:
            kind, name = str(c.get("numpy_type")), c.get("field_name")
            if name in out and (kind == "boolean" or kind.startswith(("Int", "UInt"))):
                out[name] = out[name].astype(kind)
    return out


def _typed_rows(con, table: Table, dtypes: dict[str, str]) -> pd.DataFrame:
    """The typed values of the flagged rows, which the problems table keeps."""
    problems = f'"__problems_{table.name}"'
    columns = [r[0] for r in con.execute(f"DESCRIBE {problems}").fetchall()
               if r[0] != "__raw" and not re.fullmatch(r"f[0-9]+", r[0])]
    arrow = con.sql(f"SELECT {', '.join(map(quote, columns))} FROM {problems} ORDER BY __row").to_arrow_table()
    typed = arrow_to_contract(arrow, dtypes)
    typed.index = typed.pop("__row").to_numpy()
    return typed


def explain(con, source, table: Table, flagged: pd.DataFrame, flags, targets, as_of, rejected_keys,
            expected_by: dict[str, str] | None = None, recodes: dict[str, dict[str, str]] | None = None, *,
            raw: bool = False):
    """(rejects, rejected raw rows, rejected records, rejected key values) for the flagged rows.

    A problem's value is the file's value (recoded, when the mapping recodes it), or for a column the
    mapping adds (constants, derive), the computed value.
    """
    rows = flagged["__row"].to_numpy()
    dtypes = {n: (table.column(n).dtype if n in table.column_names else None) for n in targets}
    empty_raw = pd.DataFrame(columns=[c for c in _raw_columns(con, source)])
    if not len(rows):
        return (format_rejects(pd.DataFrame(columns=PROBLEM_COLUMNS), pd.Series(dtype="int64"), None,
                               table.name), empty_raw, 0, pd.Index([]))
    raw = _raw_rows(con, source, rows, f'"__problems_{table.name}"' if raw else None)
    typed = _typed_rows(con, table, {k: v for k, v in dtypes.items() if v})
    parsed, ruled = [], []
    for i, (column, check, _) in enumerate(flags):
        hit = flagged.loc[flagged[f"f{i}"], "__row"].to_numpy()
        if not len(hit):
            continue
        if targets[column][0] is None:  # added by the mapping: the value computed
            src = typed.loc[hit, column].map(_show)
        else:
            src = raw.loc[hit - 1, targets[column][0]]
            if column in (recodes or {}):
                src = recode_text(src, recodes[column])
        if check == "unreadable":
            expected = (expected_by or {}).get(column) or _expected(dtypes[column])
            parsed.append(pd.DataFrame({"__idx": hit, "column": column, "value": src.astype("str").to_numpy(),
                                        "rule": "unreadable value",
                                        "reason": [f"{column} {v!r} is not {expected}" for v in src]}))
        else:
            ruled.append((i, check, column, hit, src))
    rules = _rule_problems(ruled, typed, table, as_of, rejected_keys)
    problems = pd.concat([*parsed, rules], ignore_index=True)
    record = pd.Series(rows, index=rows)
    fake = RawTable(raw, source.file, source.raw_dialect.get("first_line"), typed=True)
    rejects = format_rejects(problems, record, fake, table.name)
    bad = np.unique(problems["__idx"].to_numpy().astype("int64"))
    rejected_rows = raw.loc[bad - 1].copy()
    reasons = rejects.groupby("row")["reason"].agg("; ".join)
    rejected_rows.insert(0, "row", bad)
    rejected_rows["reasons"] = rejected_rows["row"].map(reasons).to_numpy()
    return rejects, rejected_rows, len(bad), _dropped_keys(con, table, typed, bad)


def _rule_problems(ruled, typed, table, as_of, rejected_keys) -> pd.DataFrame:
    """Rule problems in the order pandera reports them: per check, first column of a row only."""
    by_check: dict[str, list] = {}
    for _, check, column, hit, src in ruled:
        by_check.setdefault(check, []).append((column, hit, src))
    out = []
    for check, parts in by_check.items():
        frame = pd.concat([pd.DataFrame({"index": hit, "column": column, "failure_case": typed.loc[hit, column]
                                         .astype(object).to_numpy(), "raw": src.to_numpy(dtype=object)})
                           for column, hit, src in parts], ignore_index=True)
        frame = frame.drop_duplicates("index")
        raw = pd.Series(frame["raw"].to_numpy(dtype=object))
        out.append(pd.DataFrame({
            "__idx": frame["index"].to_numpy(), "column": frame["column"].to_numpy(),
            "value": raw.astype("str").where(raw.notna(), "").to_numpy(),
            "rule": _rule(check),
            "reason": _reasons(check, frame, typed, table, as_of, rejected_keys),
        }))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=PROBLEM_COLUMNS)


def _expected(dtype: str) -> str:
    return {"int": "a whole number", "float": "a number", "date": "a date",
            "datetime": "a date and time"}.get(dtype, "text")


def _dropped_keys(con, table: Table, typed: pd.DataFrame, bad: np.ndarray) -> pd.Index:
    """Keys of rejected rows that no accepted row has: what a child table's reference must not find.
    Not worked out for a table no other refers to (order lines): nothing would read them."""
    from workbench.data.contract import CONTRACT

    key = table.key[0] if len(table.key) == 1 and table.key[0] in typed else None
    referenced = any(r.table == table.name for t in CONTRACT.values() for r in t.references)
    if key is None or not referenced:
        return pd.Index([])
    values = typed.loc[bad, key].dropna().unique()
    if not len(values):
        return pd.Index([])
    con.register("__dropped", pd.DataFrame({"k": pd.array(values, dtype="str")}))
    try:
        kept = con.execute(f'SELECT k FROM __dropped WHERE k NOT IN (SELECT "{key}" FROM "{table.name}" '
                           f'WHERE "{key}" IS NOT NULL)').fetchall()
    finally:
        con.unregister("__dropped")
    return pd.Index([r[0] for r in kept])


def _raw_columns(con, source) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM ({source.sql})").fetchall() if r[0] != "__row"]
