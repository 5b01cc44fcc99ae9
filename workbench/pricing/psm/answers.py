"""Reading a ``price_survey`` for the price sensitivity meter: checks, weights, order of answers.

Private to :mod:`workbench.pricing.psm`. :func:`_prepare` turns survey rows into the usable answers,
counting (never silently dropping) the rows it leaves out and saying why.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.notices import warn

logger = logging.getLogger(__name__)

ANSWERS = ("too_cheap", "cheap", "expensive", "too_expensive")
LIKELIHOODS = ("likelihood_cheap", "likelihood_expensive")

#: Default minimum of usable respondents; practice asks for 30 or more per group.
MIN_RESPONDENTS = 5


class TooFewRespondentsError(ValueError):
    """Fewer usable respondents than the analysis needs."""


@dataclass
class _Answers:
    values: np.ndarray  # (n, 4) answers in ANSWERS order, usable rows only
    weights: np.ndarray
    frame: pd.DataFrame  # the usable rows of the survey
    counts: dict[str, int]
    warnings: list[str]


def _ids(frame: pd.DataFrame, mask, limit: int = 3) -> str:
    """The respondent ids (or row labels) under `mask`: the first `limit`, then a count."""
    ids = frame["respondent_id"] if "respondent_id" in frame else frame.index.to_series()
    sel = [str(v) for v in ids[np.asarray(mask)]]
    more = f" and {len(sel) - limit} more" if len(sel) > limit and limit > 1 else ""
    return ", ".join(sel[:limit]) + more


def _numeric(survey: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    missing = [c for c in columns if c not in survey.columns]
    if missing:
        raise ValueError(
            f"price_survey is missing column(s) {', '.join(map(repr, missing))}; needed: "
            f"{', '.join(columns)}. Map the survey's columns onto these contract names when "
            "loading (see workbench.data.contract)."
        )
    num = survey[list(columns)].apply(pd.to_numeric, errors="coerce").astype(float)
    for c in columns:
        bad = num[c].isna() & survey[c].notna()
        if bad.any():
            value = survey.loc[bad, c].iloc[0]
            raise ValueError(
                f"price_survey column {c!r}: {bad.sum()} value(s) are not numbers "
                f"(e.g. {value!r} for respondent {_ids(survey, bad, 1)}); fix them"
            )
        inf = np.isinf(num[c])
        if inf.any():
            raise ValueError(
                f"price_survey column {c!r} has infinite values "
                f"(respondent {_ids(survey, inf)}); fix or drop those rows"
            )
    return num


def _check_prices(num: pd.DataFrame, survey: pd.DataFrame) -> None:
    for c in ANSWERS:
        neg = num[c] < 0
        if neg.any():
            raise ValueError(
                f"price_survey column {c!r} has {neg.sum()} negative price(s) (respondent "
                f"{_ids(survey, neg)}: {num.loc[neg, c].iloc[0]:g}); prices must be >= 0: "
                "fix the source or drop those rows"
            )


def _weights(survey: pd.DataFrame, weights: str | None) -> np.ndarray:
    if weights is None:
        return np.ones(len(survey))
    if weights not in survey.columns:
        raise ValueError(
            f"weights={weights!r}: price_survey has no such column; "
            "pass weights=None for an unweighted analysis"
        )
    w = pd.to_numeric(survey[weights], errors="coerce").to_numpy(float)
    if np.isnan(w).any():
        raise ValueError(
            f"weight column {weights!r} has {np.isnan(w).sum()} missing or "
            "non-numeric value(s); fill them (1 = unweighted) or drop those rows"
        )
    if (w < 0).any() or np.isinf(w).any():
        raise ValueError(
            f"weight column {weights!r} must hold finite values >= 0 "
            f"(respondent {_ids(survey, (w < 0) | np.isinf(w))})"
        )
    return w


def _order_problem(frame: pd.DataFrame, values: np.ndarray, bad: np.ndarray) -> str:
    row = values[np.flatnonzero(bad)[0]]
    k = int(np.flatnonzero(np.diff(row) < 0)[0])
    return f"e.g. respondent {_ids(frame, bad, 1)}: {ANSWERS[k]} {row[k]:g} > {ANSWERS[k + 1]} {row[k + 1]:g}"


#: Above this share of non-monotone respondents the survey's columns look swapped.
SWAPPED_SHARE = 0.5


def _monotone(frame, values, w, monotone, counts, warnings):
    """Flag, exclude or repair respondents whose answers are not in increasing order."""
    if monotone not in ("flag", "exclude", "repair"):
        raise ValueError(f"monotone={monotone!r}: use 'flag', 'exclude' or 'repair'")
    bad = np.any(np.diff(values, axis=1) < 0, axis=1)
    counts["non_monotone"] = int(bad.sum())
    if not bad.any():
        return frame, values, w
    what = (
        f"{bad.sum()} of {len(bad)} respondents gave non-monotone answers (the order "
        f"too_cheap <= cheap <= expensive <= too_expensive fails; "
        f"{_order_problem(frame, values, bad)})"
    )
    if bad.mean() > SWAPPED_SHARE and not bad.all():
        warn(f"Price survey: {bad.mean():.0%} of respondents ({what}): the columns look swapped "
             "or mislabelled; check the survey mapping (which column is cheap, which expensive) "
             "before trusting the price range and the verdict built on the others.")
    if bad.all() and monotone != "repair":
        raise ValueError(
            f"all {what}: the columns are probably swapped or mislabelled in the "
            "source mapping; fix the mapping, or pass monotone='repair' to sort "
            "each respondent's answers"
        )
    if monotone == "repair":
        counts["repaired"] = int(bad.sum())
        warnings.append(f"{what}; repaired by sorting each one's four answers")
        return frame, np.sort(values, axis=1), w
    if monotone == "exclude":
        counts["excluded"] = int(bad.sum())
        warnings.append(f"{what}; excluded")
        return frame[~bad], values[~bad], w[~bad]
    warnings.append(
        f"{what}; kept (monotone='flag'): pass monotone='exclude' to drop them "
        "or 'repair' to sort their answers"
    )
    return frame, values, w


def _prepare(survey, *, weights, monotone, min_respondents, extra=()) -> _Answers:
    if not isinstance(survey, pd.DataFrame):
        raise TypeError(f"price_survey must be a pandas DataFrame, not {type(survey).__name__}")
    num = _numeric(survey, ANSWERS + tuple(extra))
    _check_prices(num, survey)
    w = _weights(survey, weights)
    counts = {
        "respondents": len(survey),
        "missing": 0,
        "non_monotone": 0,
        "excluded": 0,
        "repaired": 0,
        "used": 0,
    }
    warnings: list[str] = []
    missing = num.isna().any(axis=1).to_numpy()
    if missing.any():
        counts["missing"] = int(missing.sum())
        warnings.append(
            f"{missing.sum()} respondent(s) with a missing answer were excluded "
            f"({_ids(survey, missing)})"
        )
    frame, num, w = survey[~missing], num[~missing], w[~missing]
    values = num[list(ANSWERS)].to_numpy(float)
    if len(values):
        frame, values, w = _monotone(frame, values, w, monotone, counts, warnings)
    counts["used"] = len(values)
    if len(values) < min_respondents:
        raise TooFewRespondentsError(
            f"too few respondents: {len(values)} usable of {len(survey)} "
            f"({counts['missing']} with a missing answer, {counts['excluded']} excluded as "
            f"non-monotone); at least {min_respondents} are needed (min_respondents)"
        )
    if w.sum() <= 0:
        raise ValueError("the usable respondents' weights sum to 0; check the weight column")
    return _Answers(values, w, frame, counts, warnings)


def _log(warnings: list[str]) -> None:
    for message in warnings:
        logger.info(message)
