"""Data-quality views of a loaded source: reconciliation, rejects by rule, profiles, volumes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from workbench.data.contract import CONTRACT
from workbench.data.dataset import CRMData

__all__ = ["reconciliation", "reject_summary", "table_profile", "profiles", "volumes_over_time",
           "summary_text", "write_rejects"]


def reconciliation(crm: CRMData) -> pd.DataFrame:
    """Per table: read, excluded by the mapping, accepted, rejected, and whether they add up."""
    q = crm.quality.copy()
    q["balanced"] = q["read"] == q["accepted"] + q["rejected"] + q["excluded"]
    q["accepted_pct"] = (100 * q["accepted"] / q["read"].where(q["read"] > 0)).round(2)
    return q


def reject_summary(crm: CRMData) -> pd.DataFrame:
    """Problems counted by table, column and rule, with one example each, most frequent first."""
    r = crm.rejects
    if r.empty:
        return pd.DataFrame(columns=["table", "column", "rule", "problems", "rows", "example"])
    grouped = r.groupby(["table", "column", "rule"], sort=False)
    out = grouped.agg(problems=("reason", "size"), rows=("row", "nunique"), example=("reason", "first"))
    return out.reset_index().sort_values("problems", ascending=False, kind="stable").reset_index(drop=True)


def table_profile(crm: CRMData, name: str) -> pd.DataFrame:
    """One line per column of an accepted table: type, filled share, distinct values, range."""
    frame = crm[name]
    contract = CONTRACT[name]
    rows = []
    for col in frame.columns:
        s = frame[col]
        numeric_or_date = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s) \
            or pd.api.types.is_datetime64_any_dtype(s)
        rows.append({
            "column": col,
            "contract": "yes" if col in contract.column_names else "extra",
            "dtype": str(s.dtype),
            "filled_pct": round(100 * s.notna().mean(), 1) if len(s) else 0.0,
            "distinct": int(s.nunique()),
            "min": s.min() if numeric_or_date and s.notna().any() else None,
            "max": s.max() if numeric_or_date and s.notna().any() else None,
        })
    return pd.DataFrame(rows)


def profiles(crm: CRMData) -> pd.DataFrame:
    """:func:`table_profile` of every loaded table, stacked, with a ``table`` column first."""
    parts = [table_profile(crm, name).assign(table=name) for name in crm.tables]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return out[["table", *[c for c in out.columns if c != "table"]]] if parts else out


def write_rejects(crm: CRMData, output_dir: str | Path, *, full_rows: bool = False,
                  neutralise: bool = True) -> list[Path]:
    """Write ``rejects.csv`` (one line per problem) and ``rejected_<table>.csv`` (rows to fix).

    A rejected-rows file keeps only what fixing needs: the record number, the reasons, and the
    file's columns that hold the table's key or a rejected value (a name, an e-mail or a phone
    number that was not the problem stays out of it); ``full_rows=True`` keeps the whole raw
    rows. Text a spreadsheet would read as a formula is neutralised unless ``neutralise=False``
    (:mod:`workbench.exports`). Returns the paths written; nothing is written when no row was
    rejected.
    """
    from workbench.exports import write_tables

    if crm.rejects.empty:
        return []
    raw = {f"rejected_{name}": rows if full_rows else _fix_columns(rows, crm.rejects, name)
           for name, rows in crm.rejected_rows.items()}
    return write_tables(output_dir, neutralise=neutralise, rejects=crm.rejects, **raw)


def _norm(name) -> str:
    return str(name).strip().lower().replace(" ", "_").replace("-", "_")


def _fix_columns(rows: pd.DataFrame, rejects: pd.DataFrame, table: str) -> pd.DataFrame:
    """`rows` reduced to the record number, the key, the columns with a rejected value, reasons."""

    mine = rejects[rejects["table"] == table]
    wanted = {_norm(c) for c in (*(CONTRACT[table].key if table in CONTRACT else ()), *mine["column"])}
    data = [c for c in rows.columns if c not in ("row", "reasons")]
    keep = {c for c in data if _norm(c) in wanted}
    bad = set(zip(mine["row"], mine["value"].astype(str), strict=True))
    for c in set(data) - keep:
        if any((r, str(v)) in bad for r, v in zip(rows["row"], rows[c], strict=True) if pd.notna(v)):
            keep.add(c)
    return rows[["row", *[c for c in data if c in keep], "reasons"]]


_DATED = {"orders": "order_date", "incidents": "date", "campaign_contacts": "sent_at"}
_UNITS = {"month": "M", "week": "W", "quarter": "Q"}


def volumes_over_time(crm: CRMData, *, freq: str = "month") -> pd.DataFrame:
    """Per period: order lines, orders, net revenue, buying customers, new buyers, contacts, incidents.

    Computed inside the engine (Ibis on DuckDB). `freq` is ``"month"``, ``"week"`` or ``"quarter"``.
    """
    if freq not in _UNITS:
        raise ValueError(f"freq must be 'month', 'week' or 'quarter', not {freq!r}")
    unit = _UNITS[freq]
    parts = []
    if "orders" in crm:
        t = crm.table("orders")
        m = t.mutate(period=t.order_date.truncate(unit))
        lines = m.group_by("period").aggregate(
            order_lines=m.count(), orders=m.order_id.nunique(), revenue=m.amount.sum(),
            buyers=m.customer_id.nunique())
        first = t.group_by("customer_id").aggregate(first=t.order_date.min())
        new = first.group_by(period=first["first"].truncate(unit)).aggregate(new_buyers=first.count())
        parts += [lines.to_pandas().set_index("period"), new.to_pandas().set_index("period")]
    for name, label in (("campaign_contacts", "contacts"), ("incidents", "incidents")):
        if name in crm and _DATED[name] in crm[name]:
            t = crm.table(name)
            t = t.filter(t[_DATED[name]].notnull())
            agg = t.group_by(period=t[_DATED[name]].truncate(unit)).aggregate(**{label: t.count()})
            parts.append(agg.to_pandas().set_index("period"))
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, axis=1).sort_index()
    out.index = pd.to_datetime(out.index)
    out.index.name = "period"
    counts = [c for c in out.columns if c != "revenue"]
    out[counts] = out[counts].fillna(0).astype("int64")
    return out


def summary_text(crm: CRMData, *, max_rejects: int = 20) -> str:
    """A plain-text data-quality summary, as ``workbench validate`` prints it."""
    lines = [f"source: {crm.source}"]
    if crm.as_of is not None:
        lines.append(f"as_of: {crm.as_of:%Y-%m-%d}")
    lines.append(reconciliation(crm).drop(columns=["columns"]).to_string(index=False))
    for note in crm.notes:
        lines.append(f"note: {note}")
    if crm.rejects.empty:
        lines.append("no rejected rows")
    else:
        lines.append(f"\n{len(crm.rejects)} problems in {sum(crm.quality['rejected'])} rejected rows:")
        lines.append(reject_summary(crm).to_string(index=False))
        shown = crm.rejects.head(max_rejects)
        lines.append("\nfirst problems:")
        for r in shown.itertuples():
            where = f"line {r.line}" if pd.notna(r.line) else f"row {r.row}"
            lines.append(f"  {r.file} {where}: {r.reason}")
    return "\n".join(lines)
