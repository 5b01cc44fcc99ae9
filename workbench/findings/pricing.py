"""What the price-acceptability report says: the acceptable range of the product in focus, the
floor our costs set, and where a product cannot be sold at a price customers accept."""

from __future__ import annotations

import pandas as pd

from workbench.findings._text import Findings, Writer, plural


def pricing(*, verdicts: pd.DataFrame, focus: str, focus_range: tuple[float, float] | None = None,
            focus_floor: float | None = None, respondents: int | None = None,
            locale: str = "en", currency: str = "€") -> list[str]:
    """Sentences of the price-acceptability report.

    Parameters
    ----------
    verdicts : DataFrame
        ``pricing.verdict_table``: product_id, segment, verdict (viable, squeezed, not viable),
        one row per product and segment (``(all respondents)`` included).
    focus : str
        The product shown in detail; `focus_range` its acceptable range (low, high) and
        `focus_floor` its price floor (cost and margins).
    """
    w = Writer(locale=locale, currency=currency)
    judged = verdicts[verdicts["segment"] != "(all respondents)"]
    products = verdicts["product_id"].nunique()
    who = f" from {w.count(respondents)} respondents" if respondents is not None else ""
    out = [f"{w.count(products)} {plural(products, 'product')} surveyed{who}; "
           f"{w.count(len(judged))} product × segment pairs judged."]
    if focus_range is not None:
        floor = f"; our floor (cost and margins) is {w.money(focus_floor)}" if focus_floor is not None else ""
        out.append(f"{focus}: customers accept prices from {w.money(focus_range[0])} to "
                   f"{w.money(focus_range[1])}{floor}.")
    counts = judged["verdict"].value_counts()
    out.append(f"Verdicts: {w.count(counts.get('viable', 0))} viable, {w.count(counts.get('squeezed', 0))} "
               f"squeezed (the floor sits inside the range), {w.count(counts.get('not viable', 0))} not viable.")
    lost = judged[judged["verdict"] == "not viable"]
    if len(lost):
        pairs = "; ".join(f"{r.product_id} for {r.segment}" for r in lost.head(4).itertuples())
        more = f" and {len(lost) - 4} more" if len(lost) > 4 else ""
        out.append(f"Not viable (our floor is above what these customers accept): {pairs}{more}.")
    else:
        out.append("Every product can be priced above its floor for every segment.")
    return Findings(out, {"Viable": (counts.get("viable", 0), "count"),
                          "Squeezed": (counts.get("squeezed", 0), "count"),
                          "Not viable": (counts.get("not viable", 0), "count")})
