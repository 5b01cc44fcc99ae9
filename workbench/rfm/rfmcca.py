"""RFMCCA: category, channel and purchase affinities beside R, F and M; potential classes.

Private to :mod:`workbench.rfm`. Everything per customer is computed inside the engine (Ibis
on DuckDB); only tables of one row per customer (or per pair of categories) come back.

- :func:`customer_profile`: dominant category and channel (largest share of the customer's
  gross purchases, ties broken alphabetically), their share, diversity (``n_*`` distinct values
  bought and ``*_diversity``, the effective number exp(Shannon entropy) of the shares: 1 = a
  single one, 3 = as if spread evenly over three), the purchase rhythm (distinct purchase days,
  mean and coefficient of variation of the gaps between them) and, with rules, the category of
  highest lift the customer has not bought yet.
- :func:`association_rules`: rules X -> Y between categories with support, confidence, lift.
- :class:`PotentialRules`: the classes big / cyclical / new / inactive / occasional.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from workbench.rfm.core import add_by_customer

__all__ = ["customer_profile", "association_rules", "category_amounts", "PotentialRules", "POTENTIAL_CLASSES"]

POTENTIAL_CLASSES = ("new", "inactive", "big", "cyclical", "occasional", "prospect")


def _lines(orders, as_of, extra=()):
    """Purchase lines (amount > 0) up to `as_of`, as an Ibis table."""
    from workbench.rfm.core import _as_ibis, purchase_lines

    t = _as_ibis(orders, columns=("customer_id", "order_id", "order_date", "amount", *extra))
    return purchase_lines(t.filter(t.order_date.cast("date") <= pd.Timestamp(as_of).date()))


def _amounts_by(t, dim: str):
    """Purchase amounts per customer and `dim` (lines without a `dim` left out), to the cent: the
    dominant value must not depend on the engine's summation order when two values tie."""
    t = t.filter(t[dim].notnull())
    return t.group_by(["customer_id", dim]).aggregate(amount=t.amount.sum().round(2))


def category_amounts(orders, *, as_of):
    """Purchase amounts per customer and category up to `as_of` (an Ibis table): what the category
    profile, the affinities and customer-level association rules all start from. Computed once and
    kept by the engine (``.cache()``) it spares them a scan of the order lines each."""
    return _amounts_by(_lines(orders, as_of, extra=("category",)), "category")


def _share_profile(t, dim: str, per=None):
    import ibis

    per = _amounts_by(t, dim) if per is None else per
    whole = ibis.window(group_by="customer_id")
    ranked = ibis.window(group_by="customer_id", order_by=[ibis.desc("amount"), dim])
    per = per.mutate(p=per.amount / per.amount.sum().over(whole), rn=ibis.row_number().over(ranked))
    agg = per.group_by("customer_id").aggregate(
        **{f"dominant_{dim}": ibis.cases((per.rn == 0, per[dim]), else_=None).max(),
           f"dominant_{dim}_share": ibis.cases((per.rn == 0, per.p), else_=None).max(),
           f"n_{dim}": per.count(),
           "_entropy": -(per.p * per.p.ln()).sum()})
    return agg.mutate(**{f"{dim}_diversity": agg._entropy.exp()}).drop("_entropy")


def _rhythm(t):
    import ibis

    days = t.select(customer_id=t.customer_id, day=t.order_date.cast("date")).distinct()
    w = ibis.window(group_by="customer_id", order_by="day")
    days = days.mutate(gap=days.day.delta(days.day.lag().over(w), unit="day"))
    agg = days.group_by("customer_id").aggregate(purchase_days=days.count(), gap_mean=days.gap.mean(),
                                                 gap_std=days.gap.std(how="sample"))
    return agg.mutate(gap_cv=agg.gap_std / agg.gap_mean).drop("gap_std")


def customer_profile(orders, *, as_of, rules: pd.DataFrame | None = None, by_category=None) -> pd.DataFrame:
    """One row per purchaser: category and channel profile, purchase rhythm, suggested category.

    Parameters
    ----------
    orders
        Order lines (pandas or Ibis); ``category`` and ``channel`` are used when present.
    as_of
        Analysis date, inclusive.
    rules
        Output of :func:`association_rules` at customer level: adds ``affinity_category`` (the
        not-yet-bought category of highest lift from one the customer buys, lift > 1) and
        ``affinity_lift``.
    by_category
        :func:`category_amounts` of the same orders and `as_of`, when already computed (cached).
    """
    dims = [d for d in ("category", "channel") if d in orders.columns]
    t = _lines(orders, as_of, extra=dims)
    per = {"category": by_category} if by_category is not None and "category" in dims else {}
    # one query per part, joined here on one row per customer: joined in the engine, the four
    # parts' hash tables and windows were alive at once (+400 MB on the 11.2M-line demo), slower
    parts = [_rhythm(t), *(_share_profile(t, dim, per.get(dim)) for dim in dims)]
    if rules is not None and "category" in dims and len(rules):
        parts.append(_affinity(t, rules, per.get("category")))
    df = None
    for part in parts:  # left joins on one row per customer, column by column (no copy of df)
        part = part.to_pandas()
        part["customer_id"] = part["customer_id"].astype("str")
        if df is None:
            df = part
        else:
            add_by_customer(df, part)
    for col in ("purchase_days", *(f"n_{d}" for d in dims)):
        df[col] = df[col].astype("Int64")
    return df.sort_values("customer_id").reset_index(drop=True)


def _affinity(t, rules: pd.DataFrame, by_category=None):
    """Per customer, the consequent of the applicable rule of highest lift (ties: consequent A-Z).

    One flag per category the rules name (did the customer buy it?), then the rules tried in
    that order as one CASE: a group-by of the lines, with no (customer, rule) candidate rows
    joined, anti-joined and ranked in a window (that held a gigabyte on the 11.2M-line demo).
    """
    import ibis

    r = rules.loc[rules["lift"] > 1, ["antecedent", "consequent", "lift"]]
    r = r.sort_values(["lift", "consequent"], ascending=[False, True], kind="stable")
    if r.empty:
        return t.select("customer_id").distinct().mutate(
            affinity_category=ibis.null("string"), affinity_lift=ibis.null("float64"))
    names = list(dict.fromkeys([*r["antecedent"], *r["consequent"]]))
    has = {c: f"_has_{i}" for i, c in enumerate(names)}
    # whether a customer bought a category: from the lines, or from their amounts per category
    lines = t.filter(t.category.notnull()) if by_category is None else by_category
    flags = lines.group_by("customer_id").aggregate(
        **{has[c]: (lines.category == c).any() for c in names})
    applies = [flags[has[a]] & ~flags[has[c]] for a, c in zip(r["antecedent"], r["consequent"], strict=True)]
    category = ibis.cases(*zip(applies, [ibis.literal(c) for c in r["consequent"]], strict=True), else_=None)
    lift = ibis.cases(*zip(applies, [ibis.literal(float(x)) for x in r["lift"]], strict=True), else_=None)
    return flags.select("customer_id", affinity_category=category, affinity_lift=lift)


def association_rules(orders, *, as_of, item: str = "category", level: str = "customer",
                      min_support: float = 0.01, min_confidence: float = 0.0, by_category=None) -> pd.DataFrame:
    """Rules X -> Y between single items (categories by default), computed in the engine.

    A basket is a customer (``level="customer"``: everything bought up to `as_of`) or an order
    (``level="order"``). For baskets B: ``support = |X and Y| / |B|``, ``confidence = |X and Y| /
    |X|``, ``lift = confidence / (|Y| / |B|)`` (above 1: buying X makes Y likelier).

    Returns one row per rule with support >= `min_support` and confidence >= `min_confidence`,
    highest lift first: antecedent, consequent, baskets (with both), antecedent_support,
    consequent_support, support, confidence, lift. `by_category`: :func:`category_amounts` of the
    same orders and `as_of`, already computed: its (customer, category) pairs are the baskets of
    customer-level rules between categories.
    """
    if level not in ("customer", "order"):
        raise ValueError(f"level={level!r}: use 'customer' (what a customer ever bought) or 'order'")
    if item not in orders.columns:
        raise ValueError(f"orders has no {item!r} column: association rules need one "
                         "(map it in the mapping file)")
    if by_category is not None and item == "category" and level == "customer":
        b = by_category.select(basket=by_category.customer_id, item=by_category.category)
    else:
        t = _lines(orders, as_of, extra=(item,))
        key = "customer_id" if level == "customer" else "order_id"
        b = t.filter(t[item].notnull()).select(basket=t[key], item=t[item]).distinct()
    n = int(b.basket.nunique().to_pyarrow().as_py())
    items = b.group_by("item").aggregate(n=b.count()).to_pandas().set_index("item")["n"]
    b2 = b.view()
    pairs = b.join(b2, b.basket == b2.basket).filter(b.item != b2.item)
    pairs = pairs.group_by(antecedent=b.item, consequent=b2.item).aggregate(baskets=pairs.count()).to_pandas()
    cols = ["antecedent", "consequent", "baskets", "antecedent_support", "consequent_support",
            "support", "confidence", "lift"]
    if pairs.empty or n == 0:
        return pd.DataFrame(columns=cols)
    pairs["antecedent_support"] = pairs["antecedent"].map(items).to_numpy() / n
    pairs["consequent_support"] = pairs["consequent"].map(items).to_numpy() / n
    pairs["support"] = pairs["baskets"] / n
    pairs["confidence"] = pairs["baskets"] / pairs["antecedent"].map(items).to_numpy()
    pairs["lift"] = pairs["confidence"] / pairs["consequent_support"]
    keep = (pairs["support"] >= min_support) & (pairs["confidence"] >= min_confidence)
    out = pairs.loc[keep, cols].sort_values(["lift", "antecedent", "consequent"],
                                            ascending=[False, True, True])
    out.attrs["baskets"] = n
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class PotentialRules:
    """Potential classes, tried in this order (the first that holds wins):

    1. ``new``: first purchase at most `new_days` days before as_of;
    2. ``inactive``: no purchase for more than `inactive_days` days and, for customers with a
       rhythm (2+ purchase days), for more than `inactive_gap_multiple` times their mean gap;
    3. ``big``: net revenue at or above the `big_quantile` quantile of this table's purchasers;
    4. ``cyclical``: at least `cyclical_min_purchase_days` purchase days with regular gaps
       (coefficient of variation of the gaps at most `cyclical_max_cv`);
    5. ``occasional``: every other purchaser; ``prospect``: no purchase yet.
    """

    new_days: int = 90
    inactive_days: int = 180
    inactive_gap_multiple: float = 3.0
    big_quantile: float = 0.8
    cyclical_min_purchase_days: int = 4
    cyclical_max_cv: float = 0.5
    #: Net revenue from which a purchaser is ``big``, when fixed beforehand (scoring in customer
    #: partitions fixes it from every purchaser); None: the `big_quantile` of the table classified.
    big_min: float | None = None

    def __post_init__(self) -> None:
        if not 0 < self.big_quantile < 1:
            raise ValueError(f"big_quantile={self.big_quantile}: use a share between 0 and 1, such as 0.8")
        if self.big_min is not None and not np.isfinite(self.big_min):
            raise ValueError(f"big_min={self.big_min}: give a net revenue, or None for the big_quantile")
        for name in ("new_days", "inactive_days", "inactive_gap_multiple", "cyclical_max_cv"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}={getattr(self, name)} must not be negative")

    def big_threshold(self, table: pd.DataFrame) -> float:
        if self.big_min is not None:
            return float(self.big_min)
        buyers = table.loc[table["frequency"].fillna(0) > 0, "monetary"]
        return float(np.quantile(buyers, self.big_quantile)) if len(buyers) else np.inf

    def classify(self, table: pd.DataFrame) -> pd.Series:
        """The class of each row of a table that has R, F, M, tenure and the rhythm columns."""
        need = {"frequency", "recency_days", "tenure_days", "monetary", "purchase_days", "gap_mean", "gap_cv"}
        missing = sorted(need - set(table))
        if missing:
            raise ValueError(f"potential classes need {', '.join(missing)}: run customer_profile "
                             "(rfm.score does) and join it to the RFM table")
        f = lambda c: table[c].to_numpy("float64", na_value=np.nan)  # noqa: E731
        rec, gap = f("recency_days"), f("gap_mean")
        limit = np.fmax(self.inactive_days, np.where(f("purchase_days") >= 2, self.inactive_gap_multiple * gap,
                                                     np.nan))
        conditions = [
            f("tenure_days") <= self.new_days,
            rec > limit,
            f("monetary") >= self.big_threshold(table),
            (f("purchase_days") >= self.cyclical_min_purchase_days) & (f("gap_cv") <= self.cyclical_max_cv),
        ]
        cls = np.select(conditions, list(POTENTIAL_CLASSES[:4]), default="occasional")
        cls = np.where(np.nan_to_num(f("frequency")) > 0, cls, "prospect")
        return pd.Series(pd.Categorical(cls, categories=POTENTIAL_CLASSES), index=table.index,
                         name="potential_class")

    def table(self, scored: pd.DataFrame | None = None) -> pd.DataFrame:
        """The rules as text, with their thresholds (and customers per class when given a table)."""
        big = f"{self.big_threshold(scored):,.2f}" if scored is not None else f"the {self.big_quantile:.0%} quantile"
        rules = [
            ("new", f"first purchase at most {self.new_days} days before as_of"),
            ("inactive", f"no purchase for more than {self.inactive_days} days and more than "
                         f"{self.inactive_gap_multiple:g} x the customer's mean gap between purchase days"),
            ("big", f"net revenue >= {big} (the {self.big_quantile:.0%} quantile of purchasers)"),
            ("cyclical", f"at least {self.cyclical_min_purchase_days} purchase days, gaps with a coefficient "
                         f"of variation <= {self.cyclical_max_cv:g} (a regular rhythm)"),
            ("occasional", "every other purchaser"),
            ("prospect", "no purchase yet"),
        ]
        out = pd.DataFrame(rules, columns=["potential_class", "rule"])
        out.insert(0, "order", range(1, len(out) + 1))
        if scored is not None and "potential_class" in scored:
            out["customers"] = out["potential_class"].map(scored["potential_class"].value_counts()).fillna(0)
            out["customers"] = out["customers"].astype("int64")
        return out

    def as_dict(self) -> dict:
        """The settings (``big_min`` only when fixed)."""
        out = asdict(self)
        if out["big_min"] is None:
            del out["big_min"]
        return out
