"""The RFM table and quantile scores (private to :mod:`workbench.rfm`, which documents the semantics)."""

from __future__ import annotations

import logging
from typing import Self

import numpy as np
import pandas as pd

__all__ = ["rfm_table", "rfm_expr", "RFM_COLUMNS", "RFMInputError", "RFMScorer"]

log = logging.getLogger(__name__)

#: ``status`` values: at least one purchase; only returns or zero lines; no order line yet.
STATUSES = ["customer", "no purchase", "prospect"]
RFM_COLUMNS = ["customer_id", "recency_days", "frequency", "monetary", "first_purchase",
               "last_purchase", "tenure_days", "lines"]
_NEEDED = ("customer_id", "order_id", "order_date", "amount")


class RFMInputError(ValueError):
    """Input that RFM scoring cannot use: no orders, no purchase by `as_of`, too few customers."""


class NoPurchaseYet(RFMInputError):
    """Nobody had bought anything by `as_of` (or no order line was accepted at all)."""


def _as_ibis(orders, columns=_NEEDED):
    import ibis

    if isinstance(orders, ibis.Table):
        missing = [c for c in _NEEDED if c not in orders.columns]
        if missing:
            raise RFMInputError(f"orders lacks the column(s) {', '.join(missing)} that RFM needs; "
                                "map them in the mapping file")
        return orders
    if isinstance(orders, pd.DataFrame):
        missing = sorted(set(_NEEDED) - set(orders.columns))
        if missing:
            raise RFMInputError(f"orders lacks the column(s) {', '.join(missing)} that RFM needs; "
                                "map them in the mapping file")
        return ibis.memtable(orders[[c for c in columns if c in orders.columns]])
    raise TypeError(f"orders must be a pandas DataFrame or an Ibis table, not {type(orders).__name__}")


def _is_purchase(t):
    """A purchase is a line with a positive amount; in an export without amounts (purchase dates
    only: every amount 0) every line is one, so that recency and frequency still stand."""
    # a scalar subquery, not a window over the whole table (which held every line in memory)
    dates_only = t.amount.abs().max().as_scalar() == 0
    return (t.amount > 0) | ((t.amount == 0) & dates_only)


def purchase_lines(t):
    """The purchase lines of an Ibis orders table (see :func:`rfm_expr` for what a purchase is)."""
    return t.mutate(_bought=_is_purchase(t)).filter(lambda x: x._bought).drop("_bought")


def rfm_expr(orders, *, as_of: str | pd.Timestamp):
    """The RFM aggregation as an Ibis expression (not yet executed)."""
    import ibis

    as_of = pd.Timestamp(as_of)
    t = _as_ibis(orders)
    t = t.filter(t.order_date.cast("date") <= as_of.date())
    t = t.mutate(_bought=_is_purchase(t))
    bought = t._bought
    purchase_date = ibis.cases((bought, t.order_date.cast("date")), else_=None)
    purchase_order = ibis.cases((bought, t.order_id), else_=None)
    agg = t.group_by("customer_id").aggregate(
        frequency=purchase_order.nunique(),
        # to the cent: float sums depend on the order the engine adds the lines in (DuckDB's
        # threads, Spark's partitions), and a last-bit difference moves a customer on a quantile edge
        monetary=t.amount.sum().round(2),
        first_purchase=purchase_date.min(),
        last_purchase=purchase_date.max(),
        lines=t.count(),
    )
    as_of_date = ibis.literal(as_of.date())
    return agg.mutate(
        recency_days=as_of_date.delta(agg.last_purchase, unit="day"),
        tenure_days=as_of_date.delta(agg.first_purchase, unit="day"),
    ).select(*RFM_COLUMNS)


def rfm_table(orders, *, as_of: str | pd.Timestamp, customers=None) -> pd.DataFrame:
    """One row per customer: recency, frequency, monetary, tenure and status as of `as_of`.

    Parameters
    ----------
    orders
        Order lines with canonical columns (pandas DataFrame), or an Ibis table (for
        example ``ibis.read_parquet(...)`` or ``crm.table("orders")``).
    as_of
        Analysis date, inclusive.
    customers
        Optional customers table (pandas or Ibis): its customers with no order line yet are
        added as prospects; those first contacted after `as_of` are left out (logged, and
        counted in ``out.attrs["not_yet_known"]``). Buyers missing from it (a partial customer
        master, whose orders the contract keeps) stay, flagged ``in_master`` False.

    Returns
    -------
    DataFrame
        :data:`RFM_COLUMNS` plus ``status`` (and ``in_master`` when `customers` is given), sorted
        by ``customer_id``; ``attrs["as_of"]`` is set.
    """
    as_of = pd.Timestamp(as_of)
    arrow = rfm_expr(orders, as_of=as_of).order_by("customer_id").to_pyarrow()
    out = _to_pandas(arrow)
    del arrow
    not_yet = 0
    if customers is not None:
        out, not_yet, known = _add_prospects(out, customers, as_of)
        out = out.sort_values("customer_id", kind="stable").reset_index(drop=True)
    code = np.where(out["frequency"].to_numpy(int, na_value=0) > 0, 0,
                    np.where(out["lines"].to_numpy(int, na_value=0) > 0, 1, 2))
    out["status"] = pd.Categorical.from_codes(code, categories=STATUSES)
    if customers is not None:
        out["in_master"] = _is_in(out["customer_id"], known)
    out.attrs.update(as_of=as_of, not_yet_known=not_yet)
    return out


def _to_pandas(arrow) -> pd.DataFrame:
    """The engine's Arrow result as pandas, converted once: ids as text, counts as Int64, dates."""
    import pyarrow as pa

    mapper = {pa.int64(): pd.Int64Dtype(), pa.int32(): pd.Int64Dtype()}.get
    # self_destruct frees each Arrow column once converted: the result is not held twice
    out = arrow.to_pandas(types_mapper=mapper, date_as_object=False, self_destruct=True, split_blocks=True)
    out["customer_id"] = out["customer_id"].astype("str")
    out["monetary"] = out["monetary"].astype("float64")
    for col in ("first_purchase", "last_purchase"):
        out[col] = out[col].astype("datetime64[ns]")
    return out


def _add_prospects(rfm: pd.DataFrame, customers, as_of: pd.Timestamp) -> tuple[pd.DataFrame, int, pd.Series]:
    """`rfm` with the customers who have no order line yet as prospects; how many are not yet
    known at `as_of`; and every customer id of the master."""
    import ibis

    cols = [c for c in ("customer_id", "first_contact_date") if c in customers.columns]
    known = customers.select(*cols).to_pandas() if isinstance(customers, ibis.Table) else customers[cols]
    not_yet = pd.Series(False, index=known.index)
    if "first_contact_date" in known:
        not_yet = pd.to_datetime(known["first_contact_date"]) > as_of
    ids = known.loc[~not_yet, "customer_id"].astype("str")
    new = ids[~_is_in(ids, rfm["customer_id"])].unique()
    if not_yet.any():
        log.info("%d customers first contacted after %s are left out", int(not_yet.sum()), as_of.date())
    if len(new):
        prospects = pd.DataFrame({"customer_id": pd.array(new, dtype="str"),
                                  "frequency": pd.array(np.zeros(len(new), "int64"), dtype="Int64"),
                                  "lines": pd.array(np.zeros(len(new), "int64"), dtype="Int64"),
                                  "monetary": 0.0})
        rfm = pd.concat([rfm, prospects], ignore_index=True)[RFM_COLUMNS]
    return rfm, int(not_yet.sum()), known["customer_id"].astype("str")


def _is_in(values: pd.Series, among: pd.Series) -> np.ndarray:
    """``values.isin(among)`` for text, through Arrow's hash set (pandas' Arrow strings loop in Python)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    left = pa.array(values.to_numpy(object) if values.dtype == object else values, from_pandas=True)
    right = pa.array(among.to_numpy(object) if among.dtype == object else among, from_pandas=True)
    return pc.is_in(left, value_set=right.cast(left.type)).to_numpy(zero_copy_only=False)


class RFMScorer:
    """Quantile scores 1..`bins` for recency, frequency and monetary, learned once, reused later.

    Binning: :meth:`fit` takes the purchasers (``frequency > 0``) of a table and learns, per
    dimension, the ``bins - 1`` cut points at the quantiles ``1/bins, 2/bins, ...`` (inverted
    CDF: every cut point is an observed value). A value's score is ``1 +`` the number of cut
    points strictly below it (bins are ``(lo, hi]``: a value equal to a cut point takes the lower
    bin); recency is reversed (5 = most recent).

    Ties: equal values always get the same score. When ties make cut points coincide (many
    customers with one purchase), the scores in between stay empty rather than splitting equal
    customers arbitrarily, so a score keeps its meaning: 5 = above the 80th percentile of the
    fitted period. :meth:`transform` applies the learned cut points to any table, so scores of
    two periods are comparable. Customers with no purchase get no score (missing).
    """

    DIMENSIONS = {"r_score": "recency_days", "f_score": "frequency", "m_score": "monetary"}

    def __init__(self, *, bins: int = 5) -> None:
        self.bins = bins

    def fit(self, rfm: pd.DataFrame) -> Self:
        if not isinstance(self.bins, int) or not 2 <= self.bins <= 10:
            raise ValueError(f"bins={self.bins!r}: use a whole number from 2 to 10 (5 gives quintiles)")
        bought = _bought(rfm)
        if bought.sum() < self.bins:
            raise RFMInputError(f"only {int(bought.sum())} customer(s) have bought by this date; quantile "
                                f"scores in {self.bins} bins need at least {self.bins}")
        q = np.arange(1, self.bins) / self.bins
        values = {s: rfm[c].to_numpy("float64", na_value=np.nan)[bought] for s, c in self.DIMENSIONS.items()}
        self.cut_points_ = {s: np.quantile(x, q, method="inverted_cdf") for s, x in values.items()}
        self.n_fitted_ = int(bought.sum())
        self.fitted_as_of_ = rfm.attrs.get("as_of")
        self.bin_shares_ = {s: pd.Series(np.bincount(self._score(s, x), minlength=self.bins + 1)[1:] / len(x),
                                         index=range(1, self.bins + 1)) for s, x in values.items()}
        return self

    def _score(self, s: str, x: np.ndarray) -> np.ndarray:
        below = np.searchsorted(self.cut_points_[s], x, side="left")
        return self.bins - below if s == "r_score" else 1 + below

    def transform(self, rfm: pd.DataFrame) -> pd.DataFrame:
        """`rfm` with ``r_score``, ``f_score``, ``m_score`` (Int64), ``rfm_code`` ("545") and ``rfm_sum``.

        ``rfm_code`` joins the three scores as text (a categorical of the bins³ combinations;
        with 10 bins, 10 is written as a single "10" and codes are no longer three characters).
        """
        out = rfm.copy()
        self._assign(out)
        return out

    def _assign(self, out: pd.DataFrame) -> None:
        """Add the score columns to `out` in place (the pipeline's own table: no copy)."""
        if not hasattr(self, "cut_points_"):
            raise RuntimeError("this RFMScorer is not fitted yet: call fit(rfm) first")
        bought = _bought(out)
        scores = {}
        for s, col in self.DIMENSIONS.items():
            x = out[col].to_numpy("float64", na_value=np.nan)
            scores[s] = np.where(bought, self._score(s, x), 0)
            out[s] = pd.arrays.IntegerArray(scores[s].astype("int64"), ~bought)
        b = self.bins
        combos = [f"{r}{f}{m}" for r in range(1, b + 1) for f in range(1, b + 1) for m in range(1, b + 1)]
        code = np.where(bought, (scores["r_score"] - 1) * b * b + (scores["f_score"] - 1) * b
                        + scores["m_score"] - 1, -1)
        out["rfm_code"] = pd.Categorical.from_codes(code, categories=combos)
        total = scores["r_score"] + scores["f_score"] + scores["m_score"]
        out["rfm_sum"] = pd.arrays.IntegerArray(total.astype("int64"), ~bought)

    def fit_transform(self, rfm: pd.DataFrame) -> pd.DataFrame:
        return self.fit(rfm).transform(rfm)

    def cut_table(self) -> pd.DataFrame:
        """One line per dimension and score: the value range it covers, and its share when fitted."""
        rows = []
        for s, col in self.DIMENSIONS.items():
            cuts = self.cut_points_[s]
            for k in range(self.bins):
                lo = -np.inf if k == 0 else cuts[k - 1]
                hi = np.inf if k == self.bins - 1 else cuts[k]
                score = self.bins - k if s == "r_score" else k + 1
                rows.append({"dimension": col, "score": score, "above": lo, "up_to": hi,
                             "range": _range_text(lo, hi),
                             "fitted_share_pct": round(100 * float(self.bin_shares_[s][score]), 1)})
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        fitted = f", fitted on {self.n_fitted_} purchasers" if hasattr(self, "n_fitted_") else ""
        return f"RFMScorer(bins={self.bins}{fitted})"


def _bought(rfm: pd.DataFrame) -> np.ndarray:
    """Purchasers: frequency > 0 and a recency (the rows that get scores)."""
    missing = [c for c in RFMScorer.DIMENSIONS.values() if c not in rfm]
    if missing:
        raise RFMInputError(f"the table lacks {', '.join(missing)}: score the output of rfm_table")
    return (rfm["frequency"].to_numpy("float64", na_value=0) > 0) & rfm["recency_days"].notna().to_numpy()


def _range_text(lo: float, hi: float) -> str:
    if lo == hi:
        return "(empty: tied cut points)"
    if np.isinf(lo):
        return f"<= {hi:,.2f}".replace(".00", "")
    if np.isinf(hi):
        return f"> {lo:,.2f}".replace(".00", "")
    return f"> {lo:,.2f} and <= {hi:,.2f}".replace(".00", "")


def add_by_customer(table: pd.DataFrame, other: pd.DataFrame) -> None:
    """Add `other`'s columns to `table` in place, matched on ``customer_id`` (a left join).

    Both hold one row per customer (a group-by, or drop_duplicates), so each column is taken
    by position: what ``merge`` gives, without a copy of every column of the wide table. The
    positions are found by Arrow on the ids as they are held (a pandas index of 1M text ids made
    a Python string of each, the peak of the memory of scoring 1M customers).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    probe = pa.array(table["customer_id"], from_pandas=True)
    keys = pa.array(other["customer_id"], from_pandas=True)
    if keys.type == probe.type:
        at = pc.fill_null(pc.index_in(probe, value_set=keys), -1).to_numpy(zero_copy_only=False).astype("intp")
    else:  # ids of two types match nothing, as in a merge
        at = pd.Index(other["customer_id"]).get_indexer(table["customer_id"])
    for col in other.columns.drop("customer_id"):
        table[col] = other[col].array.take(at, allow_fill=True)
