"""Per-customer descriptors for persona discovery, aggregated inside the engine.

Private to :mod:`workbench.personas`. :func:`build_features` turns a loaded CRM into one row
per customer (demographics, behaviour, category and channel mix, service, profile);
:class:`PersonaFeatures` holds that table, says which columns are used for clustering and
what was excluded or skipped, and why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from workbench.data.contract import CONTRACT
from workbench.data.dataset import CRMData
from workbench.rfm import purchase_lines, rfm_table

log = logging.getLogger(__name__)

GROUPS = ("demographics", "behaviour", "categories", "channels", "service", "profile", "value")
#: Groups used for clustering unless ``features=`` says otherwise.
DEFAULT_GROUPS = ("demographics", "behaviour", "categories", "channels", "service")
CATEGORY, CHANNEL = "category=", "channel="
MIN_EXPOSURE_DAYS = 30  # rates per year are computed over at least this many days


@dataclass(frozen=True)
class Spec:
    """What a descriptor is: its group, kind, how cards word it, whether it is log-scaled."""

    group: str
    kind: str  # "numeric" or "categorical"
    phrase: str
    log: bool = False


CATALOGUE: dict[str, Spec] = {
    "age": Spec("demographics", "numeric", "age"),
    "gender": Spec("demographics", "categorical", "gender"),
    "kind": Spec("demographics", "categorical", "kind"),
    "country": Spec("demographics", "categorical", "live"),
    "sector": Spec("demographics", "categorical", "sector"),
    "orders_per_year": Spec("behaviour", "numeric", "rate", log=True),
    "basket": Spec("behaviour", "numeric", "basket", log=True),
    "recency_days": Spec("behaviour", "numeric", "recency", log=True),
    "tenure_days": Spec("behaviour", "numeric", "tenure"),
    "discount_pct": Spec("behaviour", "numeric", "discount"),
    "incidents_per_year": Spec("service", "numeric", "incidents", log=True),
    "complaints_per_year": Spec("service", "numeric", "complaints", log=True),
    "city": Spec("profile", "categorical", "live"),
    "acquisition_channel": Spec("profile", "categorical", "acquired"),
    "newsletter_subscribed": Spec("profile", "numeric", "newsletter"),
    "monetary": Spec("value", "numeric", "revenue", log=True),
}


def spec_of(name: str, values: pd.Series | None = None) -> Spec:
    """The spec of a descriptor, inferring one for columns the catalogue does not know."""
    if name in CATALOGUE:
        return CATALOGUE[name]
    if name.startswith(CATEGORY):
        return Spec("categories", "numeric", "spend_share")
    if name.startswith(CHANNEL):
        return Spec("channels", "numeric", "order_share")
    numeric = values is not None and (pd.api.types.is_numeric_dtype(values)
                                      or pd.api.types.is_bool_dtype(values))
    return Spec("other", "numeric" if numeric else "categorical", "generic")


@dataclass
class PersonaFeatures:
    """One row per customer: every descriptor, and which of them the clustering uses.

    Attributes
    ----------
    table
        ``customer_id`` and one column per descriptor. Cards describe personas with all of
        them; only ``features`` are clustered on.
    features
        The descriptors used for clustering.
    excluded
        Customers left out of the analysis, counted by reason.
    skipped
        Descriptors that could not be computed from this source, with the reason.
    notes
        How the descriptors were computed (smoothing, exposure...), in plain words.
    """

    table: pd.DataFrame
    features: list[str]
    excluded: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["reason", "customers"]))
    skipped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["feature", "reason"]))
    notes: list[str] = field(default_factory=list)
    mix_prior: float = 0.0
    mix_base: dict = field(default_factory=dict)
    mix_counts: pd.DataFrame | None = None

    def shrunk(self, name: str) -> pd.Series:
        """A category or channel share shrunk toward the base mix by `mix_prior` lines / orders.

        The table keeps each customer's observed shares (what cards describe); clustering uses
        shrunk ones, so that a customer with one order is not "100 % garden".
        """
        x = self.table[name].astype("float64")
        kind = "category" if name.startswith(CATEGORY) else "channel" if name.startswith(CHANNEL) else None
        if kind is None or not self.mix_prior or self.mix_counts is None or name not in self.mix_base:
            return x
        n = self.table["customer_id"].map(self.mix_counts[kind]).fillna(0).astype("float64")
        return (x * n + self.mix_prior * self.mix_base[name]) / (n + self.mix_prior)

    def __post_init__(self) -> None:
        if "customer_id" not in self.table:
            raise ValueError("the feature table needs a customer_id column (one row per customer)")
        ids = self.table["customer_id"]
        if ids.isna().any():
            raise ValueError(f"{int(ids.isna().sum())} row(s) of the feature table have no customer_id")
        dup = ids[ids.duplicated()]
        if len(dup):
            raise ValueError(f"customer_id must be unique in the feature table; repeated: "
                             f"{', '.join(map(str, dup.unique()[:5]))}")
        self.features = list(dict.fromkeys(self.features))
        unknown = [f for f in self.features if f not in self.table or f == "customer_id"]
        why = dict(zip(self.skipped["feature"], self.skipped["reason"], strict=True))
        for f in unknown:
            if f in why:
                raise ValueError(f"feature {f!r} cannot be used: {why[f]}; leave it out of features=")
        if unknown:
            raise ValueError(f"unknown feature(s) {', '.join(unknown)}; available: "
                             f"{', '.join(self.descriptors)} (or the groups {', '.join(GROUPS)})")
        empty = [f for f in self.features if self.table[f].isna().all()]
        if empty:
            raise ValueError(f"feature(s) {', '.join(empty)} have no value for any of the "
                             f"{len(self.table)} customers: leave them out of features= or fill them")
        if not self.features:
            raise ValueError("no feature to cluster on: name at least one (see .descriptors)")

    @property
    def descriptors(self) -> list[str]:
        """Every descriptor column (the features and the ones only used to describe)."""
        return [c for c in self.table.columns if c != "customer_id"]

    @property
    def n_customers(self) -> int:
        return len(self.table)

    def spec(self, name: str) -> Spec:
        return spec_of(name, self.table[name])

    def select(self, features) -> PersonaFeatures:
        """The same descriptors with another set of features (names or group names)."""
        return replace(self, features=resolve(self.table, features, self.descriptors))

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, features=None) -> PersonaFeatures:
        """Features from any customer table: ``customer_id`` and one column per descriptor.

        Columns named as in the catalogue (``age``, ``country``, ``orders_per_year``,
        ``basket``, ``monetary``...) are worded on the cards; others are described generically.
        """
        table = frame.copy()
        if "customer_id" in table:
            table["customer_id"] = table["customer_id"].astype("str")
        descriptors = [c for c in table.columns if c != "customer_id"]
        chosen = descriptors if features is None else resolve(table, features, descriptors)
        return cls(table=table, features=chosen)

    def summary(self) -> pd.DataFrame:
        """One line per descriptor: group, kind, used for clustering, filled share, typical value."""
        rows = []
        for name in self.descriptors:
            s, spec = self.table[name], self.spec(name)
            if spec.phrase in ("spend_share", "order_share", "newsletter"):
                typical = f"average {100 * s.astype('float64').mean():.0f} %"
            elif spec.kind == "numeric":
                typical = f"median {_num(s.astype('float64').median())}"
            else:
                top = s.astype("object").value_counts(normalize=True)
                typical = f"{top.index[0]} ({100 * top.iloc[0]:.0f} %)" if len(top) else ""
            rows.append({"feature": name, "group": spec.group, "kind": spec.kind,
                         "clustered": name in self.features,
                         "filled_pct": round(100 * s.notna().mean(), 1),
                         "distinct": int(s.nunique()), "typical": typical})
        return pd.DataFrame(rows)


def _num(x: float) -> str:
    return "" if pd.isna(x) else f"{x:,.4g}"


def resolve(table: pd.DataFrame, features, descriptors: list[str]) -> list[str]:
    """Feature names from names and group names; None means the default groups."""
    if features is None or features == "default":
        wanted = [d for d in descriptors if spec_of(d, table[d]).group in DEFAULT_GROUPS + ("other",)]
        return [d for d in wanted if table[d].notna().any()]
    if isinstance(features, str):
        features = [f.strip() for f in features.split(",") if f.strip()]
    out = []
    for item in features:
        if item in GROUPS:  # the customers' extra columns ("other") count as demographics
            out += [d for d in descriptors if table[d].notna().any() and (
                spec_of(d, table[d]).group == item
                or (item == "demographics" and spec_of(d, table[d]).group == "other"))]
        else:
            out.append(item)
    return out


def build_features(crm: CRMData, *, as_of, features=None, mix_prior: float = 2.0) -> PersonaFeatures:
    """Descriptors of every customer of `crm` with a purchase up to `as_of`."""
    as_of = pd.Timestamp(as_of)
    if mix_prior < 0:
        raise ValueError(f"mix_prior must be >= 0 (pseudo-lines toward the base mix), not {mix_prior}")
    skipped: list[tuple[str, str]] = []
    notes: list[str] = []
    parts: list[pd.DataFrame] = []
    if "customers" not in crm and "orders" not in crm:
        crm.require("customers", "orders", purpose="persona discovery")
    mix: dict = {"base": {}, "counts": {}}
    if "orders" in crm:
        parts += _behaviour(crm, as_of, mix, skipped, notes)
    else:
        skipped += [(g, "no orders table") for g in ("behaviour", "categories", "channels")]
    table, excluded = _population(crm, parts)
    table = table.merge(_demographics(crm, as_of, skipped), on="customer_id", how="left")
    if "incidents" not in crm:
        skipped.append(("service", "no incidents table"))
    elif "orders" not in crm:
        skipped.append(("service", "incident rates need the orders table (time as a customer)"))
    else:
        table = _service_rates(table.merge(_service(crm, as_of), on="customer_id", how="left"))
    table, dropped = _drop_empty(table)
    skipped += dropped
    table = table.sort_values("customer_id", kind="stable").reset_index(drop=True)
    chosen = resolve(table, features, [c for c in table.columns if c != "customer_id"])
    counts = pd.DataFrame(mix["counts"]) if mix["counts"] else None
    if counts is not None:
        notes.append(f"for clustering only, shares are shrunk toward the whole base's mix by "
                     f"{mix_prior:g} lines (categories) or orders (channels); cards show the observed shares")
    return PersonaFeatures(table=table, features=chosen,
                           excluded=pd.DataFrame(excluded, columns=["reason", "customers"]),
                           skipped=pd.DataFrame(skipped, columns=["feature", "reason"]), notes=notes,
                           mix_prior=mix_prior, mix_base=mix["base"], mix_counts=counts)


def _population(crm: CRMData, parts: list[pd.DataFrame]):
    """Buyers up to as_of (customers without a purchase are counted, not silently dropped)."""
    excluded = []
    if parts:
        table = parts[0]
        for p in parts[1:]:
            table = table.merge(p, on="customer_id", how="left")
        buyers = table["frequency"] > 0
        if (~buyers).any():
            excluded.append(("order lines but no purchase (only returns or free lines) up to as_of",
                             int((~buyers).sum())))
        table = table[buyers].drop(columns="frequency")
        if "customers" in crm:
            ids = crm["customers"]["customer_id"].astype("str")
            missing = int((~ids.isin(set(parts[0]["customer_id"]))).sum())
            if missing:
                excluded.append(("no order line up to as_of", missing))
    else:
        table = crm["customers"][["customer_id"]].astype({"customer_id": "str"})
    return table.reset_index(drop=True), excluded


def _behaviour(crm: CRMData, as_of, mix: dict, skipped, notes) -> list[pd.DataFrame]:
    t = crm.table("orders")
    t = t.filter(t.order_date.cast("date") <= as_of.date())
    rfm = rfm_table(t, as_of=as_of)
    rfm["customer_id"] = rfm["customer_id"].astype("str")
    pos = purchase_lines(t)
    gross = pos.group_by("customer_id").aggregate(gross=pos.amount.sum(), lines=pos.count(),
                                                  first_day=pos.order_date.min()).to_pandas()
    out = rfm[["customer_id", "frequency", "monetary", "recency_days", "tenure_days"]].merge(
        gross.astype({"customer_id": "str"}), on="customer_id", how="left")
    freq = out["frequency"].astype("float64")
    out["basket"] = out["gross"] / freq.where(freq > 0)
    days = pos.aggregate(lo=pos.order_date.min(), hi=pos.order_date.max()).to_pandas().iloc[0]
    timed = pd.notna(days["lo"]) and pd.Timestamp(days["lo"]) < pd.Timestamp(days["hi"])
    tenure = out["tenure_days"].astype("float64")
    if timed:
        out["orders_per_year"] = freq * 365.25 / np.maximum(tenure, MIN_EXPOSURE_DAYS)
        notes.append(f"orders_per_year = purchases / days since the first purchase (at least "
                     f"{MIN_EXPOSURE_DAYS}) x 365.25")
        out["recency_days"] = out["recency_days"].astype("float64")
        out["tenure_days"] = tenure
    else:
        out = out.drop(columns=["recency_days", "tenure_days"])
        day = "" if pd.isna(days["lo"]) else f" ({pd.Timestamp(days['lo']).date()})"
        skipped += [(f, f"every purchase is on the same date{day}: this source has no timing")
                    for f in ("orders_per_year", "recency_days", "tenure_days")]
    out["_exposure"] = np.maximum(tenure, MIN_EXPOSURE_DAYS) if timed else np.nan
    parts = [out.drop(columns=["gross", "lines", "first_day"])]
    disc = _discount(crm, pos, skipped)
    if disc is not None:
        parts.append(disc)
    for col, prefix, unit in (("category", CATEGORY, "spend"), ("channel", CHANNEL, "orders")):
        shares = _mix(pos, col, prefix, mix, skipped)
        if shares is not None:
            parts.append(shares)
            notes.append(f"{col} mix: share of each customer's {unit} in each {col}")
    return parts


def _discount(crm: CRMData, pos, skipped) -> pd.DataFrame | None:
    """Average discount off list price, over the lines whose product has a list price."""
    cols = set(pos.columns)
    if ("products" not in crm or "product_id" not in cols or "quantity" not in cols
            or "list_price" not in crm.table("products").columns):
        skipped.append(("discount_pct", "needs orders.product_id, orders.quantity and products.list_price"))
        return None
    p = crm.table("products")
    p = p.filter(p.list_price.notnull() & (p.list_price > 0))
    j = pos.join(p.select("product_id", "list_price"), "product_id")
    j = j.filter(j.quantity > 0)
    agg = j.group_by("customer_id").aggregate(listed=(j.list_price * j.quantity).sum(),
                                              paid=j.amount.sum()).to_pandas()
    if agg.empty:
        skipped.append(("discount_pct", "no order line of a product with a list price"))
        return None
    agg["discount_pct"] = (100 * (1 - agg["paid"] / agg["listed"])).clip(lower=-100, upper=100)
    return agg[["customer_id", "discount_pct"]].astype({"customer_id": "str"})


def _mix(pos, col: str, prefix: str, mix: dict, skipped) -> pd.DataFrame | None:
    """Share of spend (categories) or orders (channels); records the base mix and the counts
    (lines, orders) behind each customer's shares in `mix`, for the shrinkage of clustering."""
    if col not in pos.columns:
        skipped.append((f"{col} mix", f"orders has no {col} column"))
        return None
    level = pos[col].fill_null("not stated")
    if col == "category":
        agg = pos.group_by(["customer_id", level.name(col)]).aggregate(n=pos.amount.sum(), k=pos.count())
    else:
        agg = pos.group_by(["customer_id", level.name(col)]).aggregate(n=pos.order_id.nunique())
    m = agg.to_pandas()
    if m[col].nunique() < 2:
        skipped.append((f"{col} mix", f"every line has the same {col}"))
        return None
    m["n"] = m["n"].astype("float64")
    wide = m.pivot_table(index="customer_id", columns=col, values="n", aggfunc="sum", fill_value=0.0)
    total = wide.sum(axis=1)
    shares = wide.div(total, axis=0)
    shares.columns = [f"{prefix}{c}" for c in shares.columns]
    base = wide.sum() / total.sum()
    mix["base"].update({f"{prefix}{c}": float(v) for c, v in base.items()})
    n = m.groupby("customer_id")["k"].sum() if col == "category" else total
    mix["counts"][col] = n.rename(index=str).astype("float64")
    return shares.reset_index().astype({"customer_id": "str"})


def _demographics(crm: CRMData, as_of, skipped) -> pd.DataFrame:
    if "customers" not in crm:
        skipped.append(("demographics", "no customers table"))
        return pd.DataFrame({"customer_id": pd.Series(dtype="str")})
    c = crm["customers"]
    out = pd.DataFrame({"customer_id": c["customer_id"].astype("str")})
    age = c["age"].astype("float64") if "age" in c else pd.Series(np.nan, index=c.index)
    if "birth_date" in c:
        years = (as_of - pd.to_datetime(c["birth_date"])).dt.days / 365.25
        age = age.fillna(np.floor(years))
    out["age"] = age.to_numpy()
    for col in ("gender", "kind", "country", "sector", "city", "acquisition_channel"):
        if col in c:
            out[col] = c[col].astype("object").where(c[col].notna(), None).to_numpy()
    if "newsletter_subscribed" in c:
        out["newsletter_subscribed"] = c["newsletter_subscribed"].astype("Float64").astype("float64").to_numpy()
    return _extra_columns(c, out, skipped)


#: A categorical extra column with more distinct values than this is no feature (an id, a name).
MAX_EXTRA_LEVELS = 20


def _extra_columns(c: pd.DataFrame, out: pd.DataFrame, skipped) -> pd.DataFrame:
    """Customer columns the source adds to the contract (a mapping's ``extra:``), as descriptors.

    Numeric and yes/no columns are numeric descriptors; text columns with at most
    :data:`MAX_EXTRA_LEVELS` values are categorical ones; others are skipped with a reason.
    They belong to the ``demographics`` group (see :func:`resolve`).
    """
    known = {col.name for col in CONTRACT["customers"].columns}
    for col in (x for x in c.columns if x not in known and x not in out):
        values = c[col]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            out[col] = values.astype("Float64").astype("float64").to_numpy()
        elif values.nunique() <= MAX_EXTRA_LEVELS:
            out[col] = values.astype("object").where(values.notna(), None).to_numpy()
        else:
            skipped.append((col, f"{values.nunique()} distinct values: too many for a feature "
                                 f"(at most {MAX_EXTRA_LEVELS})"))
    return out


def _service(crm: CRMData, as_of) -> pd.DataFrame:
    t = crm.table("incidents")
    t = t.filter(t.date.cast("date") <= as_of.date())
    agg = t.group_by("customer_id").aggregate(incidents_per_year=t.count(),
                                              complaints_per_year=(t.kind == "complaint").sum())
    return agg.to_pandas().astype({"customer_id": "str"})


def _service_rates(table: pd.DataFrame) -> pd.DataFrame:
    """Counts of incidents turned into rates per year of being a customer."""
    exposure = table["_exposure"]
    for col in ("incidents_per_year", "complaints_per_year"):
        table[col] = table[col].fillna(0).astype("float64") * 365.25 / exposure
    return table


def _drop_empty(table: pd.DataFrame):
    """Drop helper columns and descriptors no customer has, saying so."""
    table = table.drop(columns=[c for c in table.columns if c.startswith("_")])
    dropped = []
    for col in list(table.columns):
        if col != "customer_id" and table[col].isna().all():
            dropped.append((col, "empty for every customer in this source"))
            table = table.drop(columns=col)
    return table, dropped
