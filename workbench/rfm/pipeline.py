"""The whole RFM scoring run: table, scores, attributes, RFMCCA, points, grades, segments, export.

Private to :mod:`workbench.rfm`, which re-exports :func:`score`, :class:`RFMResult`, :func:`export`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from workbench.notices import warn
from workbench.rfm.core import NoPurchaseYet, RFMScorer, _as_ibis, add_by_customer, rfm_table
from workbench.rfm.grid import ScoringGrid
from workbench.rfm.rfmcca import (
    PotentialRules,
    association_rules,
    category_amounts,
    customer_profile,
)
from workbench.rfm.segments import SegmentReport, SegmentRules

__all__ = ["score", "RFMResult", "export", "EXPORT_COLUMNS"]

log = logging.getLogger(__name__)

#: Columns of the per-customer export, in order (those the run produced).
EXPORT_COLUMNS = ["customer_id", "as_of", "status", "recency_days", "frequency", "monetary",
                  "tenure_days", "r_score", "f_score", "m_score", "rfm_code", "points", "grade",
                  "grade_label", "segment", "potential_class", "dominant_category", "dominant_channel",
                  "n_category", "n_channel", "affinity_category", "in_master"]


@dataclass
class RFMResult:
    """A scoring run: the per-customer table, the settings it used and what it reports.

    Attributes
    ----------
    table
        One row per customer: R, F, M, tenure, status, scores, customer attributes, RFMCCA
        profile, ``points_<criterion>``, ``points``, ``grade``, ``segment``, ``potential_class``.
    counts
        Customers scored, purchasers, prospects, customers not yet known at `as_of`, order
        lines after `as_of` (ignored); with a customers table, the buyers it lacks
        (``not_in_master``: scored all the same, ``in_master`` False in the table).
    """

    table: pd.DataFrame
    as_of: pd.Timestamp
    scorer: RFMScorer
    grid: ScoringGrid
    segments: SegmentRules
    potential: PotentialRules | None
    segment_report: SegmentReport
    rules: pd.DataFrame | None = None
    counts: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def grid_coverage(self) -> pd.DataFrame:
        """Per grid criterion: customers scored in a band, outside every band, missing, skipped."""
        return self.grid.coverage(self.table)

    def parameters(self) -> pd.DataFrame:
        """The settings of the run, as a table for the report."""
        rows = [("as_of", f"{self.as_of:%Y-%m-%d}"), ("score bins", self.scorer.bins),
                ("scorer fitted on", f"{self.scorer.n_fitted_:,} purchasers as of "
                 f"{pd.Timestamp(self.scorer.fitted_as_of_):%Y-%m-%d}" if self.scorer.fitted_as_of_ is not None
                 else f"{self.scorer.n_fitted_:,} purchasers"),
                ("grid", f"{self.grid.source} ({len(self.grid.criteria)} criteria, max {self.grid.max_points():g} "
                 "points)"),
                ("grades", ", ".join(f"{g.grade} >= {g.min:g}" for g in self.grid.grades)),
                ("segments", f"{self.segments.source}: {', '.join(self.segments.names)}")]
        if self.potential is not None:
            rows += [(f"potential: {k}", v) for k, v in self.potential.as_dict().items()]
        return pd.DataFrame(rows, columns=["parameter", "value"]).astype({"value": "str"})

    def grade_summary(self) -> pd.DataFrame:
        """Customers and net revenue per grade, best first."""
        g = self.table.groupby("grade", observed=True).agg(customers=("customer_id", "size"),
                                                          revenue=("monetary", "sum"))
        g = g.reindex(self.grid.grade_order, fill_value=0)
        g["customers_pct"] = (100 * g["customers"] / max(len(self.table), 1)).round(1)
        labels = {x.grade: x.label for x in self.grid.grades}
        return g.reset_index().assign(label=lambda d: d["grade"].map(labels))[
            ["grade", "label", "customers", "customers_pct", "revenue"]]


def _source(source, customers):
    """Orders (Ibis or pandas) and customers from a CRMData, an Ibis table or a DataFrame."""
    from workbench.data.dataset import CRMData

    if isinstance(source, CRMData):
        source.require("orders", purpose="RFM scoring")
        if customers is None and "customers" in source:
            customers = source.table("customers")  # stays in the engine: only needed columns come out
        return source.table("orders"), customers
    return source, customers


def _attributes(customers) -> pd.DataFrame | None:
    """Numeric and yes/no columns of the customers table, to use as grid criteria or in rules."""
    if customers is None:
        return None
    import ibis

    if isinstance(customers, ibis.Table):
        schema = customers.schema()
        keep = [c for c in customers.columns if c != "customer_id" and (
            schema[c].is_numeric() or schema[c].is_boolean())]
        frame = customers.select("customer_id", *keep).to_pandas()
        for c in keep:  # the dtypes crm["customers"] has: Int64 counts, nullable yes/no
            if schema[c].is_integer():
                frame[c] = frame[c].astype("Int64")
            elif schema[c].is_boolean():
                frame[c] = frame[c].astype("boolean")
    else:
        frame = customers
        keep = [c for c in frame.columns if c != "customer_id" and (
            pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]))]
    out = frame[["customer_id", *keep]].copy()
    out["customer_id"] = out["customer_id"].astype("str")
    return out.drop_duplicates("customer_id")


def score(source, *, as_of: str | pd.Timestamp, customers=None, scorer: RFMScorer | None = None,
          bins: int = 5, grid=None, segments=None, potential: PotentialRules | None = None,
          rfmcca: bool = True, rules_min_support: float = 0.01, rules: pd.DataFrame | None = None) -> RFMResult:
    """Score every customer as of `as_of`: RFM, quantile scores, points, grade, segment, class.

    Parameters
    ----------
    source
        A :class:`~workbench.data.dataset.CRMData` (its orders and, when loaded, customers), or order
        lines as a pandas DataFrame or an Ibis table (``ibis.read_parquet(...)``).
    as_of
        Analysis date, inclusive.
    customers
        Customers table, when `source` is not a CRMData: adds prospects and attributes.
    scorer
        A fitted :class:`RFMScorer` to reuse (scores comparable with the period it learned);
        None fits a new one with `bins` on this date.
    grid, segments
        A :class:`ScoringGrid` / dict / YAML path (None: the default grid), and
        :class:`SegmentRules` / list / YAML path with a ``segments:`` list (None: the defaults,
        or the grid file's ``segments:`` when it has them).
    potential
        :class:`PotentialRules` (None: the defaults).
    rfmcca
        Add the category / channel profile, purchase rhythm, association rules and potential
        classes (a second pass over the order lines).
    rules
        Association rules already computed (:func:`association_rules` on these orders or a
        larger set that holds them); None computes them here when the orders have a category.
    """
    as_of = pd.Timestamp(as_of)
    orders, customers = _source(source, customers)
    grid = ScoringGrid.coerce(grid)
    scorer_bins = scorer.bins if scorer is not None else bins
    if segments is None and grid.source.endswith((".yml", ".yaml")):
        segments = grid.source
    segments = SegmentRules.coerce(segments, bins=scorer_bins)
    rfm = rfm_table(orders, as_of=as_of, customers=customers)
    bought = int((rfm["frequency"] > 0).sum())
    if bought == 0:
        raise NoPurchaseYet(_no_purchase_message(orders, as_of, source))
    if not rfm["monetary"].fillna(0).any():
        warn(ALL_ZERO_WARNING)
    if scorer is None:
        scorer = RFMScorer(bins=bins).fit(rfm)
    table = rfm.copy(deep=False)  # the columns shared (added to, never changed), not rfm's attrs
    table.attrs = {}
    scorer._assign(table)
    attributes = _attributes(customers)
    if attributes is not None:
        add_by_customer(table, attributes)
    notes: list[str] = []
    if rfmcca:
        table, rules, potential, notes = _add_rfmcca(table, orders, as_of, potential, rules_min_support, rules)
    else:
        rules = None
    grid.apply(table, copy=False)
    table["segment"], report = segments.assign(table)
    table.insert(1, "as_of", as_of)
    counts = {"customers": len(table), "purchasers": bought,
              "prospects": int((table["status"] == "prospect").sum()),
              "no_purchase": int((table["status"] == "no purchase").sum()),
              "not_yet_known": int(rfm.attrs.get("not_yet_known", 0)),
              "lines_after_as_of": _lines_after(orders, as_of)}
    if "in_master" in table:
        counts["not_in_master"] = int((~table["in_master"]).sum())
        if counts["not_in_master"]:
            notes.append(not_in_master_note(counts["not_in_master"]))
    for c in grid.criteria:
        if c.column not in table:
            notes.append(f"{GRID_NOTE}{c.name!r} skipped: no column {c.column!r} in this data")
    return RFMResult(table=table, as_of=as_of, scorer=scorer, grid=grid, segments=segments,
                     potential=potential if rfmcca else None, segment_report=report, rules=rules, counts=counts, notes=notes)


#: Warned when every customer's net amount is 0 (an export of purchase dates only).
ALL_ZERO_WARNING = ("Every amount is 0 (purchase dates only): each order line counts as a purchase, and the M "
                    "score, grades built on money and revenue figures say nothing; map orders.amount to get them.")


#: How the notes on grid criteria start; they come after the not-in-master note.
GRID_NOTE = "grid criterion "


def not_in_master_note(n: int) -> str:
    return (f"{n:,} customers with orders are not in the customer master: scored all the same, 'not in "
            "master' (in_master False) in the table and the export; their customer attributes are missing")


def _add_rfmcca(table, orders, as_of, potential, min_support, rules=None):
    potential = potential or PotentialRules()
    notes = []
    by_category = None
    if "category" in orders.columns and not isinstance(orders, pd.DataFrame):
        # one scan of the lines for the rules, the category profile and the affinities
        by_category = category_amounts(orders, as_of=as_of).cache()
    try:
        if "category" not in orders.columns:
            rules = None
            notes.append("orders have no category: no category profile nor association rules")
        elif rules is None:
            rules = association_rules(orders, as_of=as_of, min_support=min_support, by_category=by_category)
        if "channel" not in orders.columns:
            notes.append("orders have no channel: no channel profile")
        profile = customer_profile(orders, as_of=as_of, rules=rules, by_category=by_category)
    finally:
        if by_category is not None:
            by_category.release()
    add_by_customer(table, profile)
    table["potential_class"] = potential.classify(table)
    return table, rules, potential, notes


def _no_purchase_message(orders, as_of: pd.Timestamp, source=None) -> str:
    from workbench.data.dataset import CRMData

    t = _as_ibis(orders)
    first = t.order_date.min().to_pyarrow().as_py()
    if first is None:
        why = ""
        if isinstance(source, CRMData) and not source.rejects.empty:
            r = source.rejects[source.rejects["table"] == "orders"]
            if len(r):
                top = r["reason"].str.replace(r"\d{4}-\d{2}-\d{2}", "DATE", regex=True).value_counts()
                why = (f": all {r['row'].nunique():,} order lines were rejected at loading (most often: "
                       f"{top.index[0]}). With as_of {as_of:%Y-%m-%d}, check that the date is not "
                       "before the orders")
        return f"the orders table has no accepted line{why}; there is nothing to score"
    return (f"no purchase on or before {as_of:%Y-%m-%d}: the first order line is dated "
            f"{pd.Timestamp(first):%Y-%m-%d}. Score on a date on or after it (as_of, or the earlier "
            "dates of a comparison or a history: wb.rfm.span_plan derives them from the data).")


def _lines_after(orders, as_of: pd.Timestamp) -> int:
    t = _as_ibis(orders)
    return int(t.filter(t.order_date.cast("date") > as_of.date()).count().to_pyarrow().as_py())


def export_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The columns of the export (:data:`EXPORT_COLUMNS` present), segments and classes as text."""
    out = table[[c for c in EXPORT_COLUMNS if c in table]]  # copy-on-write: table is left as it is
    for col in ("segment", "potential_class"):
        if col in out:
            out[col] = out[col].astype("str")
    return out


def export(result: RFMResult | pd.DataFrame, path: str | Path, *, neutralise: bool = True) -> Path:
    """Write the per-customer table (:data:`EXPORT_COLUMNS` present) to CSV or Parquet.

    The format follows the suffix: ``.csv`` (UTF-8, ``.`` decimals, text that a spreadsheet would
    read as a formula neutralised unless ``neutralise=False``: :mod:`workbench.exports`) or
    ``.parquet``. Written under a temporary name and renamed when complete.
    """
    from workbench.exports import atomic_path, write_csv

    table = result.table if isinstance(result, RFMResult) else result
    path = Path(path)
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise ValueError(f"{path}: write to a .csv or a .parquet file")
    out = export_frame(table)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        write_csv(out, path, neutralise=neutralise, bom=False, date_format="%Y-%m-%d")
    else:
        with atomic_path(path) as tmp:
            write_parquet(out, tmp)
    log.info("wrote %d customers to %s", len(out), path)
    return path


def write_parquet(frame: pd.DataFrame, path: Path, *, rows: int = 250_000) -> None:
    """`frame` to Parquet in slices of `rows`: Arrow holds a copy of one slice at a time, not of the
    whole table. A text column empty in the first slice is still text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    try:
        for start in range(0, max(len(frame), 1), rows):
            table = pa.Table.from_pandas(frame.iloc[start:start + rows], preserve_index=False)
            if writer is None:
                schema = pa.schema([f.with_type(pa.string()) if pa.types.is_null(f.type) else f
                                    for f in table.schema], metadata=table.schema.metadata)
                writer = pq.ParquetWriter(path, schema)
            writer.write_table(table.cast(schema))
    finally:
        if writer is not None:
            writer.close()
