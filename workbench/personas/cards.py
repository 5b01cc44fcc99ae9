"""Persona cards: traits ranked by effect size, plain sentences, short names, contrasts.

Private to :mod:`workbench.personas`. Effect sizes compare a persona with the whole base:
Cohen's d for numbers (on the log scale for skewed ones, after winsorising at 1-99 %) and
Cohen's h for the share of a categorical level; both read 0.2 small, 0.5 medium, 0.8 large.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from workbench.display import escape_markdown
from workbench.personas import text as T
from workbench.personas.features import PersonaFeatures

TRAIT_COLUMNS = ["persona", "feature", "level", "phrase", "value", "base", "effect", "sentence", "tag"]
NOT_STATED = "not stated"
TYPICAL_BY_MEDIAN = ("rate", "recency")  # skewed rates read better as a typical (median) value


def align_labels(features: PersonaFeatures, labels) -> pd.Series:
    """Labels in the order of ``features.table``; every customer must have one."""
    labels = pd.Series(labels)
    labels.index = labels.index.astype("str")
    ids = features.table["customer_id"]
    out = labels.reindex(ids)
    if out.isna().any():
        missing = ids[out.isna().to_numpy()]
        raise ValueError(f"{len(missing)} customer(s) of the features have no persona label "
                         f"(e.g. {', '.join(missing.head(3))}): label every customer, indexed by customer_id")
    return pd.Series(out.astype("str").to_numpy(), index=features.table.index, name="persona")


def trait_table(features: PersonaFeatures, labels, *, currency: str = "",
                all_levels: bool = False) -> pd.DataFrame:
    """Every persona against the whole base on every descriptor, strongest effects first.

    For a categorical descriptor, the level the persona has most more of than the base
    (``all_levels=False``, what cards show) or every level (for a heatmap).
    """
    lab = align_labels(features, labels)
    rows = []
    for name in features.descriptors:
        spec = features.spec(name)
        if spec.kind == "numeric":
            rows += _numeric_traits(name, spec.phrase, spec.log, features.table[name], lab, currency)
        else:
            rows += _categorical_traits(name, spec.phrase, features.table[name], lab, all_levels)
    out = pd.DataFrame(rows, columns=TRAIT_COLUMNS)
    out["_abs"] = out["effect"].abs()
    out = out.sort_values(["persona", "_abs"], ascending=[True, False], kind="stable")
    return out.drop(columns="_abs").reset_index(drop=True)


def _numeric_traits(name, phrase, log_scale, s, lab, currency):
    x = pd.to_numeric(s, errors="coerce").astype("float64")
    if x.notna().sum() < 3:
        return []
    z = np.log1p(x) if log_scale and x.min() >= 0 else x
    lo, hi = z.quantile([0.01, 0.99])
    z = z.clip(lo, hi)
    raw = x.clip(*x.quantile([0.01, 0.99]))
    sd = z.std()
    if not sd > 0:
        return []
    typical = (lambda v: v.median()) if phrase in TYPICAL_BY_MEDIAN else (lambda v: v.mean())
    base = typical(raw)
    base_rng = tuple(x.quantile([0.1, 0.9])) if phrase == "age" else None
    rows = []
    for p, idx in lab.groupby(lab, sort=True).groups.items():
        xp = x.loc[idx]
        if xp.notna().sum() < max(3, 0.2 * len(xp)):
            continue
        d = (z.loc[idx].mean() - z.mean()) / sd
        value = typical(raw.loc[idx])
        rng = tuple(xp.quantile([0.1, 0.9])) if phrase == "age" else None
        sentence = T.numeric_sentence(phrase, name, value, base, currency, rng, base_rng)
        tag = T.name_tag(phrase, name, None, d, xp.median())
        rows.append([p, name, None, phrase, value, base, d, sentence, tag])
    return rows


def _categorical_traits(name, phrase, s, lab, all_levels):
    v = s.astype("object").where(s.notna(), NOT_STATED).astype(str)
    base = v.value_counts(normalize=True)
    levels = [lv for lv in base.index if lv != NOT_STATED]
    if len(base) < 2 or not levels:
        return []
    rows = []
    for p, idx in lab.groupby(lab, sort=True).groups.items():
        if s.loc[idx].notna().mean() < 0.2:
            continue  # mostly not stated for this persona (e.g. the gender of companies)
        share = v.loc[idx].value_counts(normalize=True).reindex(levels, fill_value=0.0)
        h = pd.Series({lv: T.cohen_h(share[lv], base[lv]) for lv in levels})
        # what the persona has more of: "100 % are companies", not "0 % are persons"
        shown = levels if all_levels else [h.idxmax()] if h.max() > 0 else []
        for lv in shown:
            sentence = T.categorical_sentence(phrase, name, lv, share[lv], base[lv])
            tag = T.name_tag(phrase, name, lv, h[lv], np.nan)
            rows.append([p, name, lv, phrase, share[lv], base[lv], h[lv], sentence, tag])
    return rows


@dataclass
class PersonaCard:
    """What a marketer needs to know about one persona."""

    id: str
    name: str
    customers: int
    share_pct: float
    revenue_share_pct: float | None
    revenue_per_customer: float | None
    traits: list[dict] = field(default_factory=list)
    contrasts: list[str] = field(default_factory=list)
    stability: dict | None = None

    @property
    def sentences(self) -> list[str]:
        return [t["sentence"] for t in self.traits]

    def summary(self) -> str:
        """One line: size, value and the three strongest traits."""
        rev = "" if self.revenue_share_pct is None else f", {self.revenue_share_pct:.0f} % of revenue"
        return (f"{_customers(self.customers)} ({self.share_pct:.0f} %){rev}: "
                + "; ".join(self.sentences[:3]) + ".")

    def to_dict(self) -> dict:
        return asdict(self)

    def to_markdown(self) -> str:
        """The card as Markdown; every text from the data is escaped (no link, image or HTML)."""
        md = escape_markdown
        head = f"### {md(self.id)} · {md(self.name)}\n\n**{_customers(self.customers)} ({self.share_pct:.0f} %)"
        if self.revenue_share_pct is not None:
            head += f", {self.revenue_share_pct:.0f} % of revenue"
        head += "**"
        if self.stability:
            head += (f" · stability: {md(self.stability['verdict'])} (bootstrap Jaccard "
                     f"{self.stability['jaccard']:.2f}, ARI {self.stability['ari']:.2f})")
        # sentences and contrasts escape the data they quote when they are worded (text.py)
        lines = [head, ""] + [f"- {s}" for s in self.sentences]
        if self.contrasts:
            lines += ["", "*In contrast with the base:* " + "; ".join(self.contrasts) + "."]
        return "\n".join(lines)


class PersonaCards(list):
    """The cards of every persona; shows as Markdown in a notebook."""

    def names(self) -> dict[str, str]:
        """Persona id -> short name."""
        return {c.id: c.name for c in self}

    def table(self) -> pd.DataFrame:
        """One row per persona: id, name, size, value, stability and its one-line summary."""
        return pd.DataFrame([{
            "persona": c.id, "name": c.name, "customers": c.customers, "share_pct": c.share_pct,
            "revenue_share_pct": c.revenue_share_pct, "revenue_per_customer": c.revenue_per_customer,
            "stability": None if c.stability is None else c.stability["verdict"],
            "top_traits": "; ".join(c.sentences[:3])} for c in self])

    def to_markdown(self, title: str = "Personas") -> str:
        return f"## {escape_markdown(title)}\n\n" + "\n\n".join(c.to_markdown() for c in self) + "\n"

    def to_json(self) -> str:
        return json.dumps([c.to_dict() for c in self], indent=2, ensure_ascii=False, default=_plain)

    def _repr_markdown_(self) -> str:
        return "\n\n".join(c.to_markdown() for c in self)


def _customers(n: int) -> str:
    return f"{n:,} customer{'s' if n != 1 else ''}"


def _plain(x):
    if isinstance(x, np.generic):
        return x.item()
    raise TypeError(f"{type(x).__name__} is not JSON serialisable")


def build_cards(features: PersonaFeatures, labels, *, traits: pd.DataFrame, max_traits: int,
                min_effect: float, stability: pd.DataFrame | None) -> PersonaCards:
    lab = align_labels(features, labels)
    money = features.table["monetary"] if "monetary" in features.table else None
    total = None if money is None else float(money.sum())
    cards, taken = PersonaCards(), set()
    for p, idx in lab.groupby(lab, sort=True).groups.items():
        mine = traits[traits["persona"] == p]
        shown = mine[mine["effect"].abs() >= min_effect].head(max_traits)
        if len(shown) < min(3, len(mine)):
            shown = mine.head(3)
        name = T.short_name([(r.phrase, r.tag) for r in mine.itertuples() if isinstance(r.tag, str)])
        name = name if name not in taken else f"{name} ({p})"
        taken.add(name)
        share = 100 * len(idx) / len(lab)
        rev = None if not total else round(100 * float(money.loc[idx].sum()) / total, 1)
        card = PersonaCard(
            id=p, name=name, customers=len(idx), share_pct=round(share, 1), revenue_share_pct=rev,
            revenue_per_customer=None if money is None else round(float(money.loc[idx].mean()), 2),
            traits=[{"feature": r.feature, "level": r.level, "effect": round(float(r.effect), 3),
                     "sentence": r.sentence} for r in shown.itertuples()],
            contrasts=_contrasts(mine, share, rev),
            stability=None if stability is None or p not in stability.index
            else {k: (round(float(v), 3) if isinstance(v, float) else v)
                  for k, v in stability.loc[p].items()})
        cards.append(card)
    return cards


def _contrasts(mine: pd.DataFrame, share: float, rev: float | None) -> list[str]:
    effect = mine.set_index("feature")["effect"]
    out = []
    text = T.contrast(float(effect.get("basket", np.nan)), float(effect.get("orders_per_year", np.nan)))
    if text:
        out.append(text)
    if rev is not None and share > 0:
        if rev >= 1.2 * share:
            out.append(f"bring {rev:.0f} % of revenue with {share:.0f} % of customers")
        elif rev <= share / 1.2:
            out.append(f"are {share:.0f} % of customers but bring only {rev:.0f} % of revenue")
    return out


def describe_base(features: PersonaFeatures, *, currency: str = "") -> list[str]:
    """What most customers have in common, as the article reads its table."""
    t, out = features.table, []
    for name in features.descriptors:
        spec = features.spec(name)
        if spec.kind != "categorical":
            continue
        share = t[name].dropna().astype(str).value_counts(normalize=True) * t[name].notna().mean()
        if len(share) and share.iloc[0] >= 0.5:
            out.append(T.categorical_sentence(spec.phrase, name, share.index[0], share.iloc[0], None))
    if "age" in t and t["age"].notna().any():
        bands = T.age_band(t["age"]).value_counts(normalize=True)
        if bands.iloc[0] >= 0.5:
            out.append(f"{T.pct(bands.iloc[0])} are aged {bands.index[0]}")
        else:
            lo, hi = t["age"].quantile([0.1, 0.9])
            out.append(f"80 % are aged {lo:.0f}–{hi:.0f}")
    if "orders_per_year" in t:
        out.append(f"buy {T.rate(t['orders_per_year'].median())} (median)")
    if "basket" in t:
        out.append(T.numeric_sentence("basket", "basket", t["basket"].mean(), None, currency))
    for prefix, phrase in (("category=", "spend_share"), ("channel=", "order_share")):
        cols = [c for c in t.columns if c.startswith(prefix)]
        if cols:
            top = t[cols].mean().idxmax()
            out.append(T.numeric_sentence(phrase, top, t[top].mean(), None, currency))
    return out
