"""One sales rep's customers out of a scoring run, graded on the company's scale."""

from __future__ import annotations

import dataclasses

from workbench.rfm.pipeline import RFMResult

__all__ = ["for_sales_rep", "REP_SEPARATOR"]

#: Several reps in one value (the ``other`` bucket of a schedule's grid): ``"Ann; Bob"``.
REP_SEPARATOR = ";"


def for_sales_rep(result: RFMResult, crm, *, sales_rep: str) -> RFMResult:
    """`result` restricted to the customers of `sales_rep` (``""``: unchanged).

    Scores, cut points, grid and segments stay those learned on every customer, so that a
    grade means the same in every rep's report. Several reps may be given separated by ``;``.

    Raises
    ------
    ValueError
        When the source has no ``customers.sales_rep``, or a rep has no customer (listing them).
    """
    if not sales_rep.strip():
        return result
    customers = crm["customers"] if "customers" in crm else None
    if customers is None or "sales_rep" not in customers:
        raise ValueError(f"sales_rep={sales_rep!r}: {crm.source} has no customers.sales_rep "
                         "column; map the rep column, or leave sales_rep empty")
    reps = [r.strip() for r in sales_rep.split(REP_SEPARATOR) if r.strip()]
    known = set(customers["sales_rep"].dropna().astype(str))
    unknown = [r for r in reps if r not in known]
    if unknown:
        raise ValueError(f"sales_rep {', '.join(map(repr, unknown))} has no customer; the reps "
                         f"are: {', '.join(sorted(known)) or 'none'}")
    ids = set(customers.loc[customers["sales_rep"].astype(str).isin(reps), "customer_id"].astype(str))
    table = result.table[result.table["customer_id"].astype(str).isin(ids)].reset_index(drop=True)
    counts = {**result.counts, "customers": len(table),
              "purchasers": int((table["status"] == "customer").sum()),
              "prospects": int((table["status"] == "prospect").sum())}
    note = (f"restricted to the {len(table):,} customers of {'; '.join(reps)} out of "
            f"{len(result.table):,}; scores and grades are learned on every customer")
    return dataclasses.replace(result, table=table, counts=counts, notes=[*result.notes, note])
