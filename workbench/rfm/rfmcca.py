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

__all__ = ["customer_profile", "association_rules", "PotentialRules", "POTENTIAL_CLASSES"]

POTENTIAL_CLASSES = ("new", "inactive", "big", "cyclical", "occasional", "prospect")


def _lines(orders, as_of, extra=()):
    """Purchase lines (amount > 0) up to `as_of`, as an Ibis table."""
    from workbench.rfm.core import _as_ibis, purchase_lines

    t = _as_ibis(orders, columns=("customer_id", "order_id", "order_date", "amount", *extra))
    return purchase_lines(t.filter(t.order_date.cast("date") <= pd.Timestamp(as_of).date()))


def _profile_sql(dims: list[str], rules: pd.DataFrame | None) -> str:
    """One query over the purchase lines (relation ``lines``): rhythm, shares, affinity.

    The lines are scanned once: ``GROUPING SETS`` sums the amounts per customer and day, per
    customer and category, per customer and channel in the same pass, and everything else
    works on those per-customer rows.
    """
    sets = ["(customer_id, day)"] + [f"(customer_id, {d})" for d in dims]
    cols = ["day", *dims]
    gid = {c: sum(1 << (len(cols) - 1 - j) for j, other in enumerate(cols) if other != c) for c in cols}
    ctes = [
        f"l AS (SELECT customer_id, CAST(order_date AS DATE) AS day{''.join(', ' + d for d in dims)}, amount "
        "FROM lines)",
        f"g AS (SELECT customer_id, {', '.join(cols)}, sum(amount) AS amount, GROUPING({', '.join(cols)}) AS gid "
        f"FROM l GROUP BY GROUPING SETS ({', '.join(sets)}))",
        "days AS (SELECT customer_id, date_diff('day', lag(day) OVER (PARTITION BY customer_id ORDER BY day), "
        f"day) AS gap FROM g WHERE gid = {gid['day']})",
        "rhythm AS (SELECT customer_id, count(*) AS purchase_days, avg(gap) AS gap_mean, "
        "stddev_samp(gap) / avg(gap) AS gap_cv FROM days GROUP BY customer_id)",
    ]
    select, joins = ["r.customer_id", "r.purchase_days", "r.gap_mean", "r.gap_cv"], []
    for d in dims:
        ctes.append(
            f"s_{d} AS (SELECT customer_id, {d}, amount / sum(amount) OVER (PARTITION BY customer_id) AS p, "
            f"row_number() OVER (PARTITION BY customer_id ORDER BY amount DESC, {d} ASC) - 1 AS rn "
            f"FROM g WHERE gid = {gid[d]} AND {d} IS NOT NULL)")
        ctes.append(
            f"p_{d} AS (SELECT customer_id, max(CASE WHEN rn = 0 THEN {d} END) AS dominant_{d}, "
            f"max(CASE WHEN rn = 0 THEN p END) AS dominant_{d}_share, count(*) AS n_{d}, "
            f"exp(-sum(p * ln(p))) AS {d}_diversity FROM s_{d} GROUP BY customer_id)")
        select += [f"p_{d}.dominant_{d}", f"p_{d}.dominant_{d}_share", f"p_{d}.n_{d}", f"p_{d}.{d}_diversity"]
        joins.append(f"LEFT JOIN p_{d} ON r.customer_id = p_{d}.customer_id")
    if rules is not None:
        ctes += _affinity_sql(rules, gid["category"])
        select += ["a.affinity_category", "a.affinity_lift"]
        joins.append("LEFT JOIN affinity a ON r.customer_id = a.customer_id")
    return (f"WITH {', '.join(ctes)} SELECT {', '.join(select)} FROM rhythm r {' '.join(joins)} "
            "ORDER BY r.customer_id")


def _affinity_sql(rules: pd.DataFrame, gid: int) -> list[str]:
    """The not-yet-bought category of highest lift (> 1) from a category the customer buys."""
    r = rules.loc[rules["lift"] > 1, ["antecedent", "consequent", "lift"]]
    values = ", ".join(f"({_text(a)}, {_text(c)}, CAST({float(x)!r} AS DOUBLE))"
                       for a, c, x in r.itertuples(index=False))
    if not values:
        values = "(NULL, NULL, NULL)"
    return [
        f"rules AS (SELECT * FROM (VALUES {values}) v(antecedent, consequent, lift) WHERE lift IS NOT NULL)",
        f"bought AS (SELECT customer_id, category FROM g WHERE gid = {gid} AND category IS NOT NULL)",
        "cand AS (SELECT b.customer_id, rules.consequent, rules.lift FROM bought b "
        "JOIN rules ON b.category = rules.antecedent "
        "ANTI JOIN bought h ON b.customer_id = h.customer_id AND rules.consequent = h.category)",
        "affinity AS (SELECT customer_id, consequent AS affinity_category, lift AS affinity_lift FROM "
        "(SELECT *, row_number() OVER (PARTITION BY customer_id ORDER BY lift DESC, consequent ASC) AS rn "
        "FROM cand) WHERE rn = 1)",
    ]


def _rules_sql(key: str, item: str) -> str:
    """Pairs of items bought in the same basket, with the baskets of each item and of all (one query)."""
    i = '"' + item.replace('"', '""') + '"'
    return (f"WITH b AS MATERIALIZED (SELECT DISTINCT {key} AS basket, {i} AS item FROM lines WHERE {i} IS NOT NULL), "
            "items AS (SELECT item, count(*) AS n FROM b GROUP BY item), "
            "pairs AS (SELECT x.item AS antecedent, y.item AS consequent, count(*) AS baskets FROM b x "
            "JOIN b y ON x.basket = y.basket AND x.item <> y.item GROUP BY x.item, y.item) "
            "SELECT p.antecedent, p.consequent, p.baskets, ia.n AS n_antecedent, ic.n AS n_consequent, "
            "(SELECT count(DISTINCT basket) FROM b) AS n_baskets FROM pairs p "
            "JOIN items ia ON p.antecedent = ia.item JOIN items ic ON p.consequent = ic.item")


def _run(lines, sql: str) -> pd.DataFrame:
    """Run `sql`, which reads the relation ``lines``, on the engine that holds the Ibis table `lines`."""
    import uuid

    import ibis

    backend = ibis.get_backend(lines)
    name = f"__rfmcca_lines_{uuid.uuid4().hex}"
    backend.create_view(name, lines)  # registers pandas input with the engine, reads nothing yet
    try:
        arrow = backend.con.sql(f"WITH lines AS (SELECT * FROM {name}), {sql.removeprefix('WITH ')}").to_arrow_table()
    finally:
        backend.drop_view(name)
    return arrow.to_pandas()


def _text(value) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def customer_profile(orders, *, as_of, rules: pd.DataFrame | None = None) -> pd.DataFrame:
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
    """
    dims = [d for d in ("category", "channel") if d in orders.columns]
    t = _lines(orders, as_of, extra=dims)
    with_rules = rules if rules is not None and "category" in dims and len(rules) else None
    df = _run(t, _profile_sql(dims, with_rules))
    df["customer_id"] = df["customer_id"].astype("str")
    for col in ("purchase_days", *(f"n_{d}" for d in dims)):
        df[col] = df[col].astype("Int64")
    return df.sort_values("customer_id").reset_index(drop=True)


def association_rules(orders, *, as_of, item: str = "category", level: str = "customer",
                      min_support: float = 0.01, min_confidence: float = 0.0) -> pd.DataFrame:
    """Rules X -> Y between single items (categories by default), computed in the engine.

    A basket is a customer (``level="customer"``: everything bought up to `as_of`) or an order
    (``level="order"``). For baskets B: ``support = |X and Y| / |B|``, ``confidence = |X and Y| /
    |X|``, ``lift = confidence / (|Y| / |B|)`` (above 1: buying X makes Y likelier).

    Returns one row per rule with support >= `min_support` and confidence >= `min_confidence`,
    highest lift first: antecedent, consequent, baskets (with both), antecedent_support,
    consequent_support, support, confidence, lift.
    """
    if level not in ("customer", "order"):
        raise ValueError(f"level={level!r}: use 'customer' (what a customer ever bought) or 'order'")
    if item not in orders.columns:
        raise ValueError(f"orders has no {item!r} column: association rules need one "
                         "(map it in the mapping file)")
    t = _lines(orders, as_of, extra=(item,))
    key = "customer_id" if level == "customer" else "order_id"
    pairs = _run(t, _rules_sql(key, item))
    n = int(pairs["n_baskets"].iloc[0]) if len(pairs) else 0
    cols = ["antecedent", "consequent", "baskets", "antecedent_support", "consequent_support",
            "support", "confidence", "lift"]
    if pairs.empty or n == 0:
        return pd.DataFrame(columns=cols)
    pairs["antecedent_support"] = pairs["n_antecedent"].to_numpy() / n
    pairs["consequent_support"] = pairs["n_consequent"].to_numpy() / n
    pairs["support"] = pairs["baskets"] / n
    pairs["confidence"] = pairs["baskets"] / pairs["n_antecedent"].to_numpy()
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

    def __post_init__(self) -> None:
        if not 0 < self.big_quantile < 1:
            raise ValueError(f"big_quantile={self.big_quantile}: use a share between 0 and 1, such as 0.8")
        for name in ("new_days", "inactive_days", "inactive_gap_multiple", "cyclical_max_cv"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}={getattr(self, name)} must not be negative")

    def big_threshold(self, table: pd.DataFrame) -> float:
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
        return asdict(self)
