"""The Van Westendorp meter itself: one survey in, price points and acceptable range out.

Private to :mod:`workbench.pricing.psm`, which documents the method and re-exports
:func:`price_sensitivity_meter` and :class:`PSMResult`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from workbench.pricing.psm.answers import MIN_RESPONDENTS, _log, _prepare
from workbench.pricing.psm.curves import (
    RANGE_DEFINITIONS,
    _curves,
    _definitions,
    _grid,
    _pick,
    _round,
    curve_crossings,
)

POINT_LABELS = {
    "pmc": "point of marginal cheapness",
    "pme": "point of marginal expensiveness",
    "opp": "optimal price point",
    "ipp": "indifference price point",
    "highest_acceptable": "highest acceptable price",
    "compromise": "compromise (indifference) price",
    "ideal": "ideal price",
    "lowest_acceptable": "lowest price that guarantees quality",
    "range_low": "acceptable range: low end",
    "range_high": "acceptable range: high end",
}

#: English point names of the "japanese" definitions and the Japanese terms they translate.
JAPANESE_NAMES = {
    "highest_acceptable": "最高価格",
    "compromise": "妥協価格",
    "ideal": "理想価格",
    "lowest_acceptable": "最低品質保証価格",
}


@dataclass
class PSMResult:
    """What :func:`price_sensitivity_meter` found.

    Attributes
    ----------
    curves : DataFrame
        The share curves on the grid (see :func:`psm_curves`).
    points : dict
        Point name -> price (rounded as asked; NaN when missing and ``on_missing="nan"``).
    pairs : dict
        Point name -> the two curves whose crossing defines it (``range_low``/``range_high``
        included).
    acceptable_range : (float, float)
        Low and high ends of the acceptable price range, per ``range_definition``.
    crossings : DataFrame
        Every crossing and touch found for every pair, with ``point`` and ``chosen``.
    counts : dict
        respondents, missing (excluded for a missing answer), non_monotone (flagged),
        excluded (non-monotone, dropped), repaired, used.
    warnings : list of str
    settings : dict
        The options used, for reports and manifests.
    """

    curves: pd.DataFrame
    points: dict[str, float]
    pairs: dict[str, tuple[str, str]]
    acceptable_range: tuple[float, float]
    crossings: pd.DataFrame
    counts: dict[str, int]
    warnings: list[str] = field(default_factory=list)
    settings: dict[str, object] = field(default_factory=dict)

    def prices(self) -> dict[str, float]:
        """Points and range ends: ``{**points, "range_low": ..., "range_high": ...}``."""
        low, high = self.acceptable_range
        return {**self.points, "range_low": low, "range_high": high}

    def to_frame(self) -> pd.DataFrame:
        """One row per point and range end: label, Japanese term, price, its two curves, and
        how the crossing was found: ``kind`` (cross or tie), ``share`` (height of the curves
        there) and the grid interval ``low``-``high`` around it (NaN when none was found)."""
        prices = self.prices()
        chosen = self.crossings[self.crossings["chosen"]].drop_duplicates("point")
        found = chosen.set_index("point")[["kind", "share", "low", "high"]]
        rows = [
            {
                "point": name,
                "label": POINT_LABELS.get(name, name),
                "japanese": JAPANESE_NAMES.get(name, ""),
                "price": prices[name],
                "first": pair[0],
                "second": pair[1],
            }
            for name, pair in self.pairs.items()
        ]
        return pd.DataFrame(rows).set_index("point").join(found)

    def summary(self) -> pd.Series:
        """Points, range ends and counts as one flat row (used by :func:`psm_by_group`)."""
        return pd.Series({**self.prices(), **self.counts})

    def __repr__(self) -> str:
        pts = ", ".join(f"{k}={v:g}" for k, v in self.points.items())
        low, high = self.acceptable_range
        return (
            f"PSMResult({pts}; range {low:g}–{high:g}; {self.counts['used']} of "
            f"{self.counts['respondents']} respondents; {len(self.warnings)} warning(s))"
        )

    def _repr_html_(self) -> str:
        """The points table, then who was used and every warning (escaped)."""
        c = self.counts
        used = (
            f"{c['used']} of {c['respondents']} respondents used ({c['missing']} with a missing "
            f"answer, {c['excluded']} excluded and {c['repaired']} repaired as non-monotone, "
            f"{c['non_monotone']} non-monotone in all)"
        )
        notes = "".join(f"<li>{html.escape(w)}</li>" for w in self.warnings)
        settings = ", ".join(f"{k} {v!r}" for k, v in self.settings.items())
        from workbench.display import table

        return (
            table(self.to_frame())._repr_html_()
            + f"<p>{html.escape(used)}</p><p>Settings: {html.escape(settings)}</p>"
            + (f"<p>Warnings:</p><ul>{notes}</ul>" if notes else "")
        )


def _check_choices(**chosen) -> None:
    allowed = {
        "range_definition": tuple(RANGE_DEFINITIONS),
        "crossing": ("first", "last", "error"),
        "on_missing": ("raise", "nan"),
        "rounding": (None, "up", "down", "nearest"),
    }
    for arg, value in chosen.items():
        if value not in allowed[arg]:
            raise ValueError(f"{arg}={value!r}: use one of {', '.join(map(repr, allowed[arg]))}")


def price_sensitivity_meter(
    survey: pd.DataFrame,
    *,
    grid: str | float | Sequence[float] = "observed",
    interpolation: Literal["linear", "none"] = "linear",
    crossing: Literal["first", "last", "error"] = "first",
    definitions: str | Mapping[str, tuple[str, str]] = "classic",
    range_definition: Literal["original", "narrower"] = "original",
    monotone: Literal["flag", "exclude", "repair"] = "flag",
    weights: str | None = None,
    rounding: Literal["up", "down", "nearest"] | None = None,
    rounding_unit: float = 1.0,
    cheap_rule: Literal[">=", ">"] = ">=",
    ties: Literal["count", "half"] = "count",
    on_missing: Literal["raise", "nan"] = "raise",
    min_respondents: int = MIN_RESPONDENTS,
) -> PSMResult:
    """Van Westendorp price points and acceptable range of a price survey.

    Parameters
    ----------
    survey : DataFrame
        ``price_survey`` rows (one product). Rows with a missing answer are excluded and
        counted; negative or non-numeric prices raise.
    grid, cheap_rule, ties : see :func:`psm_curves`.
    interpolation : "linear" or "none"
        How a crossing between two grid prices is placed (see module doc).
    crossing : "first", "last" or "error"
        Which crossing to use when two curves cross more than once (all are reported in
        ``crossings`` anyway).
    definitions : "classic", "japanese" or mapping
        ``"classic"``: pmc = too_cheap x not_cheap, pme = too_expensive x not_expensive,
        opp = too_cheap x too_expensive, ipp = cheap x expensive. ``"japanese"``:
        highest_acceptable = too_expensive x cheap, compromise = expensive x cheap,
        ideal = too_expensive x too_cheap, lowest_acceptable = expensive x too_cheap
        (:data:`JAPANESE_NAMES` gives the Japanese terms). Or ``{name: (curve, curve)}``.
    range_definition : "original" or "narrower"
        ``"original"`` (Van Westendorp): pmc to pme. ``"narrower"`` (used by several research
        firms): too_cheap x expensive to too_expensive x cheap.
    monotone : "flag", "exclude" or "repair"
        Respondents whose answers break ``too_cheap <= cheap <= expensive <= too_expensive``
        (equal answers allowed) are always counted and warned about; ``"flag"`` keeps them,
        ``"exclude"`` drops them, ``"repair"`` sorts their four answers. If all of them are
        out of order, anything but ``"repair"`` raises.
    weights : str, optional
        Column of survey weights.
    rounding, rounding_unit : how points and range ends are rounded (None: not rounded),
        e.g. ``rounding="up"`` to the yen. ``crossings`` keeps the unrounded prices.
    on_missing : "raise" or "nan"
        Two curves that never cross raise a ValueError naming them and the grid, or give
        NaN and a warning.
    min_respondents : int
        Fewer usable respondents raise :class:`TooFewRespondentsError`.

    Returns
    -------
    PSMResult
    """
    pairs = _definitions(definitions)
    _check_choices(
        range_definition=range_definition,
        crossing=crossing,
        on_missing=on_missing,
        rounding=rounding,
    )
    ans = _prepare(survey, weights=weights, monotone=monotone, min_respondents=min_respondents)
    warnings = list(ans.warnings)
    grid_ = _grid(ans.values, grid, warnings)
    curves = _curves(ans.values, ans.weights, grid_, cheap_rule, ties)
    low_pair, high_pair = RANGE_DEFINITIONS[range_definition]
    pairs = {**pairs, "range_low": low_pair, "range_high": high_pair}
    prices, crossings = _all_crossings(
        curves,
        pairs,
        interpolation=interpolation,
        crossing=crossing,
        on_missing=on_missing,
        warnings=warnings,
    )
    rounded = {k: _round(v, rounding, rounding_unit) for k, v in prices.items()}
    low, high = rounded.pop("range_low"), rounded.pop("range_high")
    if low > high:
        warnings.append(
            f"the acceptable range is inverted ({low:g} > {high:g}): the survey "
            "answers overlap too much for a range; look at the curves"
        )
    settings = dict(
        grid=grid,
        interpolation=interpolation,
        crossing=crossing,
        definitions=definitions,
        range_definition=range_definition,
        monotone=monotone,
        weights=weights,
        rounding=rounding,
        rounding_unit=rounding_unit,
        cheap_rule=cheap_rule,
        ties=ties,
        on_missing=on_missing,
    )
    _log(warnings)
    return PSMResult(curves, rounded, pairs, (low, high), crossings, ans.counts, warnings, settings)


def _all_crossings(curves, pairs, *, interpolation, crossing, on_missing, warnings):
    """The chosen (unrounded) price of every point, and every crossing found."""
    prices, tables = {}, []
    for name, (first, second) in pairs.items():
        events = curve_crossings(curves, first, second, interpolation=interpolation)
        prices[name] = _pick(
            name,
            (first, second),
            events,
            curves,
            crossing=crossing,
            on_missing=on_missing,
            warnings=warnings,
        )
        chosen = events["price"] == prices[name]
        tables.append(events.assign(point=name, chosen=chosen))
    found = [t for t in tables if len(t)]
    return prices, pd.concat(found or tables[:1], ignore_index=True)
