"""Drill-down tables by attribute (country, age band, gender, persona) and what they say.

Private to :mod:`workbench.personas`. Tables show averages, as the article does; the findings
compare each group with the rest on medians, so that one very large buyer does not make a
whole group look rich.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.personas import text as T
from workbench.personas.cards import align_labels
from workbench.personas.features import PersonaFeatures

AVERAGED = ("age", "orders_per_year", "basket", "monetary", "discount_pct", "incidents_per_year")
SMALL_GROUP = 10


def _grouping(features: PersonaFeatures, by: str, labels) -> pd.Series:
    t = features.table
    if by == "persona":
        if labels is None:
            raise ValueError("by='persona' needs labels= (for example model.labels_)")
        return align_labels(features, labels)
    if by == "age_band":
        if "age" not in t:
            raise ValueError("by='age_band' needs an age column in the features")
        return T.age_band(t["age"]).astype("object").where(t["age"].notna(), "not stated")
    if by not in t:
        raise ValueError(f"cannot drill down by {by!r}: no such descriptor; use 'persona', "
                         f"'age_band' or one of {', '.join(features.descriptors)}")
    return t[by].astype("object").where(t[by].notna(), "not stated").astype(str)


def drilldown(features: PersonaFeatures, *, by: str, labels=None, persona: str | None = None) -> pd.DataFrame:
    """Customers, share of customers and of revenue, and averages, per value of `by`."""
    group = _grouping(features, by, labels)
    t = features.table
    if persona is not None:
        lab = align_labels(features, labels) if labels is not None else None
        if lab is None or persona not in set(lab):
            raise ValueError(f"persona {persona!r} not found in labels")
        keep = (lab == persona).to_numpy()
        t, group = t[keep], group[keep]
    cols = [c for c in AVERAGED if c in t]
    agg = t[cols].groupby(group.to_numpy(), sort=False, observed=True).mean()
    out = pd.DataFrame({"customers": group.value_counts(sort=False)})
    out = out[out["customers"] > 0]
    out["customers_pct"] = (100 * out["customers"] / out["customers"].sum()).round(1)
    if "monetary" in t:
        rev = t["monetary"].groupby(group.to_numpy(), observed=True).sum()
        out["revenue_pct"] = (100 * rev / rev.sum()).round(1)
    out = out.join(agg.add_prefix("mean_"))
    order = (list(T.AGE_LABELS) + ["not stated"]) if by == "age_band" else None
    out = out.reindex([g for g in order if g in out.index]) if order else out.sort_values(
        "customers", ascending=False, kind="stable")
    out.index.name = by
    return out.reset_index()


def drilldown_findings(features: PersonaFeatures, *, by: str, labels=None, names: dict | None = None,
                       currency: str = "", ratio: float = 1.2) -> list[str]:
    """Sentences on how each group differs from the others (medians), as the article reads.

    - "Buyers from Hong Kong spend more (9,000 per customer against 575 for the others) even
      though they are a smaller share (20 % of customers, 77 % of revenue)";
    - "Buyers aged 46–55 spend more per purchase (500 against 133) but buy less often ...".
    Groups of fewer than 10 customers are flagged: a hint, not a finding.
    """
    if ratio <= 1:
        raise ValueError(f"ratio must be above 1 (e.g. 1.2 for 20 % more), not {ratio}")
    group = _grouping(features, by, labels).astype(str)
    t = features.table
    out = []
    for g in group.value_counts().index:
        mine = (group == g).to_numpy()
        if mine.all() or g == "not stated":
            continue
        text = _spend_finding(t, mine, ratio, currency) + _basket_rate_finding(t, mine, ratio, currency)
        if text:
            n = int(mine.sum())
            small = f" (only {n} customer{'s' if n > 1 else ''}: a hint, not a finding)" if n < SMALL_GROUP else ""
            out += [f"{T.who(by, g, names)} {s}{small}." for s in text]
    return out


def _median(s: pd.Series) -> float:
    return float(s.median()) if s.notna().any() else np.nan


def _spend_finding(t: pd.DataFrame, mine: np.ndarray, ratio: float, currency: str) -> list[str]:
    if "monetary" not in t:
        return []
    g, rest = _median(t.loc[mine, "monetary"]), _median(t.loc[~mine, "monetary"])
    if not (g > 0 and rest > 0):
        return []
    share_c = mine.mean()
    share_r = t.loc[mine, "monetary"].sum() / t["monetary"].sum()
    versus = f"({T.money(g, currency)} per customer against {T.money(rest, currency)} for the others)"
    if g >= ratio * rest:
        tail = (f" even though they are a smaller share ({T.pct(share_c)} of customers, "
                f"{T.pct(share_r)} of revenue)") if share_c < 0.5 and share_r >= ratio * share_c else ""
        return [f"spend more {versus}{tail}"]
    if g * ratio <= rest:
        return [f"spend less {versus}"]
    return []


def _basket_rate_finding(t: pd.DataFrame, mine: np.ndarray, ratio: float, currency: str) -> list[str]:
    if "basket" not in t or "orders_per_year" not in t:
        return []
    b, b0 = _median(t.loc[mine, "basket"]), _median(t.loc[~mine, "basket"])
    r, r0 = _median(t.loc[mine, "orders_per_year"]), _median(t.loc[~mine, "orders_per_year"])
    if not all(v > 0 for v in (b, b0, r, r0)):
        return []
    basket = f"({T.money(b, currency)} against {T.money(b0, currency)})"
    often = f"({T.rate(r)} against {T.rate(r0)})"
    if b >= ratio * b0 and r * ratio <= r0:
        return [f"spend more per purchase {basket} but buy less often {often}"]
    if b * ratio <= b0 and r >= ratio * r0:
        return [f"buy more often {often} but spend less per purchase {basket}"]
    return []


def compare_with(features: PersonaFeatures, labels, *, by: str) -> tuple[pd.DataFrame, float]:
    """Personas against an existing grouping (a sector, an old segmentation).

    Returns the persona x group counts and the adjusted Rand index (1 = the same partition,
    0 = no more agreement than chance). Customers with no value of `by` are left out of the
    index and counted in a ``not stated`` column.
    """
    from sklearn.metrics import adjusted_rand_score

    lab = align_labels(features, labels)
    group = _grouping(features, by, None).astype(str)
    table = pd.crosstab(lab.rename("persona"), group.rename(by))
    known = (group != "not stated").to_numpy()
    if known.sum() < 2:
        raise ValueError(f"{by} is stated for fewer than 2 customers: nothing to compare with")
    return table, float(adjusted_rand_score(group[known], lab[known]))


#: Drill-down descriptors tried, in order, when none is named: those the source holds are used.
DEFAULT_DRILLDOWN = ("country", "age_band", "gender", "sector", "kind")


def drilldown_columns(features: PersonaFeatures, by: str = "") -> tuple[list[str], list[str]]:
    """The descriptors to drill down by, and the sentences saying what was chosen or left out.

    `by` is a comma-separated list; ``""`` takes :data:`DEFAULT_DRILLDOWN` where the source has
    them (``age_band`` needs ``age``). Named descriptors the source lacks are left out with a
    sentence, never an error: a drill-down is a view, the notebook goes on.
    """
    held = set(features.table.columns) | ({"age_band"} if "age" in features.table else set())
    wanted = [b.strip() for b in by.split(",") if b.strip()] or list(DEFAULT_DRILLDOWN)
    usable = [b for b in wanted if b in held]
    missing = [b for b in wanted if b not in held]
    said = []
    if not by.strip():
        said.append(f"Drill-down by {', '.join(usable) or 'nothing'}: the descriptors among "
                    f"{', '.join(DEFAULT_DRILLDOWN)} that this source holds (parameter drilldown_by).")
    if missing:
        said.append(f"Skipped: drill-down by {', '.join(missing)} needs customer column(s) this "
                    "source does not hold; map them in the customers table (age for age_band).")
    return usable, said
