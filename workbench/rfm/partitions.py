"""RFM scoring written out in customer partitions: the per-customer table is never whole in memory.

Private to :mod:`workbench.rfm`, which re-exports :func:`score_to_file`.

:func:`~workbench.rfm.score` builds one pandas row per customer, about 45 columns (334 MB for
1M customers, 3.3 GB for 10M). Here the engine computes what depends on every customer once
(the quantile cut points of R, F and M, the "big" revenue threshold, the association rules, the
partition bounds), then each range of customer ids is scored with those fixed and appended to
the file. Every customer gets exactly the row :func:`~workbench.rfm.score` gives (scores, grade,
segment, class, profile), in the same order (by ``customer_id``): the tests compare the two.
"""

from __future__ import annotations

import logging
import warnings
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from workbench.rfm.core import NoPurchaseYet, RFMScorer, _as_ibis, rfm_expr
from workbench.rfm.pipeline import (
    ALL_ZERO_WARNING,
    GRID_NOTE,
    _no_purchase_message,
    _source,
    export_frame,
    not_in_master_note,
    score,
)
from workbench.rfm.rfmcca import PotentialRules, association_rules

__all__ = ["score_to_file", "PartitionedRun"]

log = logging.getLogger(__name__)

@dataclass
class PartitionedRun:
    """What :func:`score_to_file` wrote and counted: the figures :class:`~workbench.rfm.RFMResult`
    gives, summed over the partitions (the table itself is in the file)."""

    path: Path
    as_of: pd.Timestamp
    partitions: int
    scorer: RFMScorer
    counts: dict = field(default_factory=dict)
    grades: pd.DataFrame | None = None
    segment_sizes: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


def score_to_file(source, path: str | Path, *, as_of, partitions: int, customers=None, grid=None,
                  segments=None, bins: int = 5, potential: PotentialRules | None = None,
                  rules_min_support: float = 0.01, neutralise: bool = True,
                  progress: bool = False) -> PartitionedRun:
    """Score every customer as of `as_of` into `path` (.csv or .parquet), `partitions` ranges of
    customer ids at a time.

    Same arguments and same rows as :func:`~workbench.rfm.score` followed by
    :func:`~workbench.rfm.export`; memory holds one partition's table at a time. The orders
    (and customers) must be engine tables (a :class:`~workbench.data.dataset.CRMData` gives
    them): each partition is a filtered scan of them, so the time grows with `partitions`.
    """
    import ibis
    from tqdm import tqdm

    from workbench.exports import atomic_path

    as_of, path = pd.Timestamp(as_of), Path(path)
    if not isinstance(partitions, int) or isinstance(partitions, bool) or partitions < 1:
        raise ValueError(f"partitions={partitions!r}: give a whole number, 1 or more")
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise ValueError(f"{path}: write to a .csv or a .parquet file")
    orders, customers = _source(source, customers)
    if not isinstance(orders, ibis.Table) or not (customers is None or isinstance(customers, ibis.Table)):
        raise TypeError("score_to_file scores engine tables: pass a CRMData or Ibis tables "
                        "(pandas frames fit in memory already: use rfm.score)")
    orders = _as_ibis(orders)
    for name, table in (("orders", orders), ("customers", customers)):
        if table is not None and not table.schema()["customer_id"].is_string():
            raise TypeError(f"{name}.customer_id is {table.schema()['customer_id']}, not text: ranges of ids and "
                            "the order of the rows follow text order, as wb.load gives them (cast it to string)")
    base = rfm_expr(orders, as_of=as_of)
    scorer, big_min, all_zero = _fit(base, bins=bins, potential=potential, orders=orders, as_of=as_of,
                                     source=source)
    potential = PotentialRules(**{**(potential or PotentialRules()).as_dict(), "big_min": big_min})
    bounds = _bounds(base, partitions)
    rules = (association_rules(orders, as_of=as_of, min_support=rules_min_support)
             if "category" in orders.columns else None)
    run = PartitionedRun(path=path, as_of=as_of, partitions=len(bounds) + 1, scorer=scorer)
    grades, sizes, notes, said = [], [], {}, {}
    path.parent.mkdir(parents=True, exist_ok=True)

    with ExitStack() as stack:
        tmp = stack.enter_context(atomic_path(path))
        writer = stack.enter_context(_Writer(tmp, csv=path.suffix.lower() == ".csv", neutralise=neutralise))
        for lo, hi in tqdm(list(zip([None, *bounds], [*bounds, None], strict=True)), desc="partitions",
                           unit="partition", disable=not progress):
            keep = _between(lo, hi, nulls=hi is None)
            with warnings.catch_warnings(record=True) as caught:  # the same in every partition: said once
                warnings.simplefilter("always")
                result = score(orders.filter(keep(orders.customer_id)),
                               customers=None if customers is None else customers.filter(keep(customers.customer_id)),
                               as_of=as_of, scorer=scorer, grid=grid, segments=segments, potential=potential,
                               rules=rules, rules_min_support=rules_min_support)
            # a range whose customers all net to 0 is not an export without amounts
            said |= {(str(w.message), w.category): None for w in caught
                     if all_zero or str(w.message) != ALL_ZERO_WARNING}
            writer.write(export_frame(result.table))
            for k, v in result.counts.items():
                run.counts[k] = run.counts.get(k, 0) + v
            grades.append(result.grade_summary())
            sizes.append(result.segment_report.sizes)
            part_master = result.counts.get("not_in_master", 0)  # its note: summed, below
            notes |= dict.fromkeys(n for n in result.notes if not part_master or n != not_in_master_note(part_master))
            log.info("partition %s..%s: %d customers", lo or "", hi or "", len(result.table))
            del result
    for message, category in said:
        warnings.warn(message, category, stacklevel=2)
    run.notes = list(notes)
    if run.counts.get("not_in_master"):  # where one pass says it: before the notes on grid criteria
        at = next((i for i, n in enumerate(run.notes) if n.startswith(GRID_NOTE)), len(run.notes))
        run.notes.insert(at, not_in_master_note(run.counts["not_in_master"]))
    run.grades, run.segment_sizes = _grades(grades, run.counts["customers"]), _sizes(sizes, run.counts["customers"])
    log.info("wrote %d customers to %s in %d partitions", run.counts["customers"], path, run.partitions)
    return run


def _fit(base, *, bins, potential, orders, as_of, source) -> tuple[RFMScorer, float, bool]:
    """The scorer (cut points), the big-revenue threshold and whether every net amount is 0,
    from every customer's R, F, M."""
    import pyarrow as pa

    arrow = base.select("recency_days", "frequency", "monetary").to_pyarrow()
    rfm = arrow.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype(), pa.int32(): pd.Int64Dtype()}.get,
                          self_destruct=True)
    del arrow
    rfm["monetary"] = rfm["monetary"].astype("float64")
    if not int((rfm["frequency"].fillna(0) > 0).sum()):
        raise NoPurchaseYet(_no_purchase_message(orders, as_of, source))
    rfm.attrs["as_of"] = as_of
    scorer = RFMScorer(bins=bins).fit(rfm)
    return scorer, (potential or PotentialRules()).big_threshold(rfm), not rfm["monetary"].fillna(0).any()


def _bounds(base, partitions: int) -> list[str]:
    """Customer ids splitting the purchasers into `partitions` ranges of about equal size.

    Each bound is a purchaser's id and the first range holds the smallest one, so every range
    has a purchaser: scoring a range without one would be refused, and a range whose lines were
    all 0 would read as "purchase dates only" on its own (a purchaser has a positive amount
    unless every amount of the source is 0). With few purchasers, fewer ranges than asked.
    """
    if partitions == 1:
        return []
    ids = base.filter(base.frequency > 0).customer_id
    first = ids.min().to_pyarrow().as_py()
    cuts = ids.quantile([i / partitions for i in range(1, partitions)]).to_pyarrow().as_py()
    return sorted({c for c in cuts if c is not None and c > first})


def _between(lo: str | None, hi: str | None, *, nulls: bool):
    """A filter for ids from `lo` (included) to `hi` (excluded); `nulls`: missing ids too (the
    last range: one pass sorts them last)."""
    def keep(column):
        cond = None
        if lo is not None:
            cond = column >= lo
        if hi is not None:
            cond = column < hi if cond is None else cond & (column < hi)
        if cond is None:
            return True
        return cond | column.isnull() if nulls else cond

    return keep


def _grades(parts: list[pd.DataFrame], customers: int) -> pd.DataFrame:
    whole = pd.concat(parts).groupby(["grade", "label"], sort=False, observed=True)[["customers", "revenue"]].sum()
    whole = whole.reset_index()
    whole["customers_pct"] = (100 * whole["customers"] / max(customers, 1)).round(1)  # of every customer
    return whole[["grade", "label", "customers", "customers_pct", "revenue"]]


def _sizes(parts: list[pd.DataFrame], customers: int) -> pd.DataFrame:
    # every partition lists every segment, in precedence order; prospects and unassigned have no rule
    whole = pd.concat(parts).groupby("segment", sort=False)[["customers", "rule_matched"]].sum(min_count=1)
    whole = whole.reset_index()
    whole["share_pct"] = (100 * whole["customers"] / max(customers, 1)).round(2)
    return whole


class _Writer:
    """Appends export frames to one CSV (formulas neutralised, header once) or Parquet file."""

    def __init__(self, tmp: Path, *, csv: bool, neutralise: bool) -> None:
        self.tmp, self.csv, self.neutralise = tmp, csv, neutralise
        self._fh = self._pq = self._schema = None

    def __enter__(self) -> _Writer:
        return self

    def write(self, frame: pd.DataFrame) -> None:
        if self.csv:  # as rfm.export writes it: UTF-8 without BOM, CRLF, dates as YYYY-MM-DD
            from workbench.exports import neutralise_formulas

            first = self._fh is None
            if first:
                self._fh = self.tmp.open("w", encoding="utf-8", newline="")
            out = neutralise_formulas(frame) if self.neutralise else frame
            out.to_csv(self._fh, index=False, header=first, lineterminator="\r\n", date_format="%Y-%m-%d")
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self._pq is None:  # a text column empty in the first range is still text
            self._schema = pa.schema([f.with_type(pa.string()) if pa.types.is_null(f.type) else f
                                      for f in table.schema], metadata=table.schema.metadata)
            self._pq = pq.ParquetWriter(self.tmp, self._schema)
        self._pq.write_table(table.cast(self._schema))

    def __exit__(self, *exc) -> None:
        if self._fh is not None:
            self._fh.close()
        if self._pq is not None:
            self._pq.close()
