"""How persona traits are worded: numbers, rates, sentences and short names.

Private to :mod:`workbench.personas`. Every function here is pure and works on plain
values, so the wording can be tested by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from workbench.display import escape_markdown as _md

AGE_EDGES = (0, 20, 26, 36, 46, 56, 66, 200)
AGE_LABELS = ("under 20", "20–25", "26–35", "36–45", "46–55", "56–65", "66 and over")
GENDER_WORDS = {"F": "women", "M": "men", "X": "gender X"}
KIND_WORDS = {"company": "companies", "person": "persons"}
ADJECTIVE_PHRASES = ("age", "kind", "rate", "basket", "revenue", "discount", "incidents", "complaints")


def age_band(age: pd.Series) -> pd.Series:
    """Age bands as marketers use them (20–25, 26–35...), as an ordered categorical."""
    return pd.cut(pd.to_numeric(age, errors="coerce"), AGE_EDGES, right=False, labels=AGE_LABELS)


def money(x: float, currency: str = "") -> str:
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{currency}{x:,.0f}" if abs(x) >= 10 else f"{currency}{x:,.2f}"


def pct(share: float) -> str:
    return f"{100 * share:.0f} %"


def rate(per_year: float) -> str:
    """'about once a month', 'about 5 times a year'... for a number of purchases per year."""
    if per_year is None or not np.isfinite(per_year):
        return "n/a"
    per_month = per_year / 12
    if per_month >= 1.5:
        n = round(per_month)
        return "about twice a month" if n == 2 else f"about {n} times a month"
    if per_month >= 0.75:
        return "about once a month"
    if per_year >= 1.5:
        n = round(per_year)
        return "about twice a year" if n == 2 else f"about {n} times a year"
    if per_year >= 0.75:
        return "about once a year"
    return "less than once a year"


def level_word(phrase: str, level: str) -> str:
    """A category level in words; a level from the data is escaped for Markdown (sentences are
    shown as Markdown: a product named ``![x](https://...)`` must not become an image)."""
    if phrase == "gender":
        return GENDER_WORDS.get(level, f"gender {_md(level)}")
    if phrase == "kind":
        return KIND_WORDS.get(level, _md(level))
    return _md(level)


def categorical_sentence(phrase: str, feature: str, level: str, share: float, base: float | None) -> str:
    """'72 % live in the USA (base 40 %)' and the like."""
    word = level_word(phrase, level)
    body = {"gender": f"are {word}", "kind": f"are {word}", "live": f"live in {word}",
            "sector": f"are in the {word} sector", "acquired": f"came through {word}"}.get(
        phrase, f"have {_md(feature)} {word}")
    tail = "" if base is None else f" (base {pct(base)})"
    return f"{pct(share)} {body}{tail}"


def numeric_sentence(phrase: str, feature: str, value: float, base: float | None,
                     currency: str = "", age_range: tuple | None = None,
                     base_range: tuple | None = None) -> str:
    """A plain sentence for a numeric trait of a group, with the whole base in brackets.

    Ages are given as the range of the middle 80 % (10th to 90th percentile).
    """
    def b(text: str) -> str:
        return "" if base is None else f" (base {text})"

    label = _md(feature.split("=", 1)[-1].replace("_", " "))
    if phrase == "age" and age_range is not None:
        lo, hi = age_range
        tail = "" if base_range is None else f" (base {base_range[0]:.0f}–{base_range[1]:.0f})"
        return f"80 % are aged {lo:.0f}–{hi:.0f}{tail}"
    words = {
        "age": lambda v: f"average age {v:.0f}",
        "rate": lambda v: f"buy {rate(v)}",
        "basket": lambda v: f"average basket {money(v, currency)}",
        "revenue": lambda v: f"spend {money(v, currency)} in total on average",
        "recency": lambda v: f"typically last bought {v:.0f} days before the analysis date",
        "tenure": lambda v: f"customers for {v / 365.25:.1f} years on average",
        "discount": lambda v: f"get {v:.0f} % off list price on average",
        "incidents": lambda v: f"{v:.2f} service incidents a year",
        "complaints": lambda v: f"{v:.2f} complaints a year",
        "newsletter": lambda v: f"{pct(v)} subscribe to the newsletter",
        "spend_share": lambda v: f"{label} is {pct(v)} of their spend",
        "order_share": lambda v: f"{pct(v)} of their orders go through {label}",
    }
    base_words = {
        "age": lambda v: f"{v:.0f}", "rate": rate, "basket": lambda v: money(v, currency),
        "revenue": lambda v: money(v, currency), "recency": lambda v: f"{v:.0f} days",
        "tenure": lambda v: f"{v / 365.25:.1f}", "discount": lambda v: f"{v:.0f} %",
        "incidents": lambda v: f"{v:.2f}", "complaints": lambda v: f"{v:.2f}",
        "newsletter": pct, "spend_share": pct, "order_share": pct,
    }
    if phrase in words:
        return words[phrase](value) + b(base_words[phrase](base) if base is not None else "")
    return f"{_md(feature)}: average {value:,.3g}" + b(f"{base:,.3g}" if base is not None else "")


def name_tag(phrase: str, feature: str, level: str | None, effect: float, median: float) -> str | None:
    """A word for a persona's short name from one of its traits, or None."""
    strong = abs(effect) >= 0.5
    if effect < 0.3 and phrase not in ADJECTIVE_PHRASES:
        return None
    if phrase == "age":
        if not strong:
            return None
        return "Young" if median <= 35 else "Senior" if median >= 55 else "Middle-aged"
    if phrase == "kind":
        return "Business" if level == "company" and effect > 0 else None
    pairs = {"rate": ("Frequent", "Occasional"), "basket": ("Big-basket", "Small-basket"),
             "revenue": ("High-value", "Low-value"), "discount": ("Discount-seeking", "Full-price"),
             "incidents": ("High-service", None), "complaints": ("Complaining", None)}
    if phrase in pairs:
        return (pairs[phrase][0] if effect > 0 else pairs[phrase][1]) if strong else None
    if effect <= 0:
        return None
    if phrase in ("spend_share", "order_share"):
        return feature.split("=", 1)[1].replace("_", " ")
    if level is not None and phrase != "gender":
        return str(level).replace("_", " ")
    return None


def short_name(tags: list[tuple[str, str]], *, max_words: int = 3) -> str:
    """'Young · electronics · web' from (phrase, tag) of the strongest traits, strongest first.

    The `max_words` strongest tags are kept, then put in reading order: who they are and how
    they buy (adjectives), what they buy, and where (channels).
    """
    kept: list[tuple[str, str]] = []
    for phrase, tag in tags:
        if tag and tag.lower() not in (k.lower() for _, k in kept):
            kept.append((phrase, tag))
        if len(kept) == max_words:
            break
    if not kept:
        return "Average customers"
    rank = {p: 0 for p in ADJECTIVE_PHRASES} | {"order_share": 2}
    words = [t for _, t in sorted(kept, key=lambda pt: rank.get(pt[0], 1))]
    words[0] = words[0][:1].upper() + words[0][1:]
    return " · ".join(words)


def contrast(basket_d: float, rate_d: float, *, threshold: float = 0.3) -> str | None:
    """The article's kind of contrast between spend per purchase and purchase frequency."""
    if not (np.isfinite(basket_d) and np.isfinite(rate_d)):
        return None
    hi_b, lo_b = basket_d >= threshold, basket_d <= -threshold
    hi_r, lo_r = rate_d >= threshold, rate_d <= -threshold
    if hi_b and lo_r:
        return "spend more per purchase but buy less often than the average customer"
    if lo_b and hi_r:
        return "buy more often but spend less per purchase than the average customer"
    if hi_b and hi_r:
        return "buy more often and spend more per purchase than the average customer"
    if lo_b and lo_r:
        return "buy less often and spend less per purchase than the average customer"
    return None


def cohen_h(p1: float, p0: float) -> float:
    """Effect size of a difference between two proportions (0.2 small, 0.5 medium, 0.8 large)."""
    return 2 * math.asin(math.sqrt(min(max(p1, 0), 1))) - 2 * math.asin(math.sqrt(min(max(p0, 0), 1)))


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def who(by: str, group: str, names: dict | None = None) -> str:
    """How a drill-down group is named in a sentence (data escaped for Markdown)."""
    if by == "persona":
        return f"{_md(group)} ({_md(names[group])})" if names and group in names else _md(group)
    group = _md(group)
    if by == "gender":
        return _first_upper(GENDER_WORDS.get(group, f"customers of gender {group}"))
    if by == "kind":
        return _first_upper(KIND_WORDS.get(group, group))
    return {"country": f"Buyers from {group}", "city": f"Buyers in {group}",
            "age_band": f"Buyers aged {group}", "sector": f"Buyers in the {group} sector"}.get(
        by, f"Customers with {_md(by)} {group}")
