"""Go / no-go: is the cost-plus floor under the price customers accept?

Private to :mod:`workbench.pricing`, which re-exports :func:`price_verdict`,
:func:`verdict_table`, :class:`PriceVerdict` and :data:`VERDICTS`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import pandas as pd

VERDICTS = ("viable", "squeezed", "not viable")
RULES = ("range", "headroom")


def _check_share(name: str, value: float, *, below_one: bool) -> None:
    if not (math.isfinite(value) and value >= 0) or (below_one and value >= 1):
        limit = "between 0 and 1 (excluded)" if below_one else ">= 0"
        raise ValueError(f"{name} must be a share {limit}, e.g. 0.3 for 30%; got {value!r}")


def _require(frame: pd.DataFrame, name: str, columns: Sequence[str], hint: str) -> None:
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise ValueError(f"{name} has no column {', '.join(map(repr, absent))}; {hint}")


@dataclass(frozen=True)
class PriceVerdict:
    """The verdict of :func:`price_verdict`; ``to_dict()`` gives a table row."""

    verdict: str
    rule: str
    floor: float
    acceptable_low: float
    acceptable_high: float
    ceiling: float
    ceiling_source: str
    headroom: float
    headroom_pct: float
    recommended_price: float
    recommended_basis: str
    margin_over_floor: float
    unit_margin: float
    margin_pct: float
    message: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _recommend(floor, low, ceiling, target) -> tuple[float, str]:
    """The target clipped to [max(floor, low), ceiling], and which bound (if any) decided."""
    lower = max(floor, low)
    if lower > ceiling:  # the purchase-history ceiling is under the survey's low end
        return ceiling, "ceiling"
    if target is None or not math.isfinite(target):
        return lower, "floor" if floor >= low else "acceptable_low"
    if target > ceiling:
        return ceiling, "ceiling"
    if target < lower:
        return lower, "floor" if floor >= low else "acceptable_low"
    return float(target), "target"


def _classify(floor, low, ceiling, headroom, rule, squeeze_margin) -> str:
    if floor > ceiling:
        return "not viable"
    if low > ceiling:  # no price is both acceptable to the survey and under the history ceiling
        return "squeezed"
    if rule == "range":
        return "viable" if floor <= low else "squeezed"
    return "viable" if headroom >= squeeze_margin * ceiling else "squeezed"


def _message(verdict, rule, floor, low, ceiling, headroom, pct, squeeze_margin) -> str:
    room = f"headroom {headroom:,.2f} ({pct:.0%} of the ceiling)"
    if verdict == "not viable":
        cut = floor - ceiling
        return (
            f"floor {floor:,.2f} is above the ceiling {ceiling:,.2f} customers accept: "
            f"cut costs or margins by at least {cut:,.2f} ({cut / floor:.0%} of the floor), "
            "or drop the product"
        )
    if low > ceiling:
        return (
            f"the purchase-history ceiling {ceiling:,.2f} is under the survey's acceptable "
            f"low end {low:,.2f}: customers rarely pay what the survey calls credible; "
            f"{room}, check the positioning before launching"
        )
    if verdict == "squeezed" and rule == "range":
        return (
            f"floor {floor:,.2f} is inside the acceptable range {low:,.2f}–{ceiling:,.2f}: "
            f"only prices from the floor up are open; {room}"
        )
    if verdict == "squeezed":
        return (
            f"floor {floor:,.2f} is only {headroom:,.2f} ({pct:.0%}) under the ceiling "
            f"{ceiling:,.2f}, less than the {squeeze_margin:.0%} squeeze margin: little "
            "room for discounts or cost rises"
        )
    if rule == "range":
        return f"floor {floor:,.2f} is under the acceptable range {low:,.2f}–{ceiling:,.2f}; {room}"
    return f"floor {floor:,.2f} leaves {headroom:,.2f} ({pct:.0%}) under the ceiling {ceiling:,.2f}"


def _check_verdict_inputs(floor, low, high, rule, squeeze_margin) -> None:
    for name, value in (("floor", floor), ("acceptable_low", low), ("acceptable_high", high)):
        if value is None or not math.isfinite(value) or value < 0:
            raise ValueError(
                f"{name} must be a finite price >= 0, got {value!r}: a missing "
                "survey range or cost cannot be judged"
            )
    if low > high:
        raise ValueError(
            f"acceptable_low {low:g} is above acceptable_high {high:g}: pass the range ends in order"
        )
    if rule not in RULES:
        raise ValueError(
            f"rule={rule!r}: use 'range' (viable when the floor is under the acceptable "
            "range) or 'headroom' (viable when the floor leaves squeeze_margin under the ceiling)"
        )
    _check_share("squeeze_margin", squeeze_margin, below_one=True)


def price_verdict(
    floor: float,
    *,
    acceptable_low: float,
    acceptable_high: float,
    accepted_ceiling: float | None = None,
    target: float | None = None,
    unit_cost: float | None = None,
    rule: Literal["range", "headroom"] = "range",
    squeeze_margin: float = 0.1,
) -> PriceVerdict:
    """Is a cost-plus floor under the price customers accept?

    The ceiling is ``acceptable_high`` (e.g. the survey's PME), or the lower of it and
    ``accepted_ceiling`` (e.g. the 90th percentile of prices paid, :func:`accepted_prices`)
    when that is given. Headroom = ceiling - floor; headroom % = headroom / ceiling.

    - ``"not viable"``: floor > ceiling: cut costs or margins, or drop the product;
    - with ``rule="range"`` (the default): ``"viable"`` when the floor is at or under
      ``acceptable_low`` (every acceptable price covers the costs), ``"squeezed"`` when it
      is inside the acceptable range (only prices from the floor up are open);
    - with ``rule="headroom"``: ``"viable"`` when the headroom is at least
      ``squeeze_margin`` x ceiling, ``"squeezed"`` otherwise.

    When a purchase-history ceiling is under ``acceptable_low`` no price is both credible
    (survey) and within what customers pay (history): the verdict is at best "squeezed".

    The recommended price (not for "not viable") is ``target`` (e.g. the OPP, the IPP or
    an NMS optimum) clipped to [max(floor, acceptable_low), ceiling]; without a target,
    max(floor, acceptable_low). ``recommended_basis`` says which applied.

    Parameters
    ----------
    floor : float
        Minimum price from :func:`cost_plus_floor`.
    acceptable_low, acceptable_high : float
        The acceptable range (``PSMResult.acceptable_range``).
    accepted_ceiling, target, unit_cost : float, optional
        ``unit_cost`` adds the unit margin and margin % (on price) at the recommended price.
    rule : "range" or "headroom"
        How "viable" is told from "squeezed" (above).
    squeeze_margin : float
        ``rule="headroom"`` only: share of the ceiling below which the headroom is squeezed.

    Returns
    -------
    PriceVerdict
    """
    _check_verdict_inputs(floor, acceptable_low, acceptable_high, rule, squeeze_margin)
    ceiling, source = acceptable_high, "survey"
    if accepted_ceiling is not None and math.isfinite(accepted_ceiling):
        if accepted_ceiling < acceptable_high:
            ceiling, source = float(accepted_ceiling), "purchase history"
    headroom = ceiling - floor
    pct = headroom / ceiling if ceiling > 0 else math.nan
    verdict = _classify(floor, acceptable_low, ceiling, headroom, rule, squeeze_margin)
    if verdict == "not viable":
        price, basis = math.nan, "none"
    else:
        price, basis = _recommend(floor, acceptable_low, ceiling, target)
    unit_margin = price - unit_cost if unit_cost is not None else math.nan
    message = _message(verdict, rule, floor, acceptable_low, ceiling, headroom, pct, squeeze_margin)
    return PriceVerdict(
        verdict=verdict,
        rule=rule,
        floor=floor,
        acceptable_low=acceptable_low,
        acceptable_high=acceptable_high,
        ceiling=ceiling,
        ceiling_source=source,
        headroom=headroom,
        headroom_pct=pct,
        recommended_price=price,
        recommended_basis=basis,
        margin_over_floor=price - floor,
        unit_margin=unit_margin,
        margin_pct=unit_margin / price if price > 0 else math.nan,
        message=message,
    )


def verdict_table(
    floors: pd.DataFrame,
    ranges: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    target: str | None = None,
    rule: Literal["range", "headroom"] = "range",
    squeeze_margin: float = 0.1,
) -> pd.DataFrame:
    """:func:`price_verdict` for every product x group.

    Parameters
    ----------
    floors : DataFrame
        ``product_id``, ``floor`` and optionally ``unit_cost``; one row per product (e.g.
        :func:`product_floors`).
    ranges : DataFrame
        ``product_id``, ``range_low``, ``range_high``, the ``by`` columns and optionally
        ``accepted_ceiling`` and the ``target`` column: e.g. :func:`workbench.pricing.psm.psm_by_group`
        run with ``by=["product_id", "persona"]``.
    by : str or list of str, optional
        Group columns of ``ranges`` (e.g. ``"persona"``).
    target : str, optional
        Column of ``ranges`` holding the preferred price (e.g. ``"opp"`` or ``"ipp"``).
    rule, squeeze_margin : see :func:`price_verdict`.

    Returns
    -------
    DataFrame
        One row per product x group, with the :class:`PriceVerdict` fields (the range ends
        as ``range_low`` and ``range_high``). A product with no range (or a NaN one: a group
        without a result) gets verdict ``"no range"``; a range whose product has no floor
        gets ``"no floor"``; nothing is dropped.
    """
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    _require(floors, "floors", ["product_id", "floor"], "compute it with product_floors")
    needed = ["product_id", "range_low", "range_high", *keys, *([target] if target else [])]
    _require(ranges, "ranges", needed, "see psm_by_group")
    if floors["product_id"].duplicated().any():
        dup = floors.loc[floors["product_id"].duplicated(), "product_id"].iloc[0]
        raise ValueError(f"floors lists product {dup!r} more than once: one floor per product")
    _check_verdict_inputs(0.0, 0.0, 0.0, rule, squeeze_margin)
    cols = ["product_id", *keys, "range_low", "range_high"]
    cols += [c for c in ("accepted_ceiling", target) if c and c in ranges.columns]
    both = ranges[list(dict.fromkeys(cols))].merge(
        floors, on="product_id", how="outer", indicator=True
    )
    rows = [_verdict_row(r, target, rule, squeeze_margin) for r in both.to_dict("records")]
    out = pd.DataFrame(rows)
    # every verdict column, even when no row got a verdict (no floor, no range: all NaN)
    out = out.reindex(columns=[*out.columns, *(c for c in VERDICT_COLUMNS if c not in out)])
    return out.drop(columns="_merge").sort_values(["product_id", *keys], ignore_index=True)


#: Columns of a verdict (:meth:`PriceVerdict.to_dict` without the inputs echoed back).
VERDICT_COLUMNS = ("verdict", "rule", "ceiling", "ceiling_source", "headroom", "headroom_pct",
                   "recommended_price", "recommended_basis", "margin_over_floor", "unit_margin",
                   "margin_pct", "message")


def _verdict_row(row: dict, target: str | None, rule: str, squeeze_margin: float) -> dict:
    def num(name):
        value = row.get(name)
        return None if value is None or pd.isna(value) else float(value)

    if row["_merge"] == "right_only" or num("range_low") is None or num("range_high") is None:
        return {
            **row,
            "verdict": "no range",
            "message": "no acceptable range for this product "
            "and group (no survey answers, or too few: see psm_by_group's reason)",
        }
    if num("floor") is None:
        return {**row, "verdict": "no floor", "message": "no cost-plus floor for this product"}
    if num("range_low") > num("range_high"):
        return {
            **row,
            "verdict": "no range",
            "message": f"the acceptable range is inverted ({num('range_low'):g} > "
            f"{num('range_high'):g}): the answers overlap too much; look at the curves",
        }
    v = price_verdict(
        num("floor"),
        acceptable_low=num("range_low"),
        acceptable_high=num("range_high"),
        accepted_ceiling=num("accepted_ceiling"),
        target=num(target) if target else None,
        unit_cost=num("unit_cost"),
        rule=rule,
        squeeze_margin=squeeze_margin,
    ).to_dict()
    for k in ("floor", "acceptable_low", "acceptable_high"):
        v.pop(k)
    return {**row, **v}
