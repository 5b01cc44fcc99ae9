"""Dates relative to a run: ``today``, ``end of last month``, ``3 months ago``...

A scheduled run resolves every relative date once, when it starts, against one ``today`` (the
run's date, or ``--today`` to replay a past run), and records both the phrase and the date; a
notebook only ever sees a ``YYYY-MM-DD`` date.

Grammar (case and extra spaces ignored)::

    YYYY-MM-DD                          the date itself
    today | yesterday
    (start|end) of (last|this) (week|month|quarter|year)
                                        e.g. on 2026-03-15: end of last month 2026-02-28,
                                        start of this quarter 2026-01-01
    N (day|week|month|year)[s] ago              months and years keep the day of month,
                                                clipped to the month's end (03-31 -> 02-28)

Weeks run Monday to Sunday (ISO 8601). Only these parameters are read as dates: ``as_of``
and names ending in ``_date``, ``_dates``, ``_start`` or ``_end`` (see :func:`is_date_parameter`).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["RELATIVE_DATE_HELP", "resolve_date", "resolve_dates", "is_date_parameter"]

RELATIVE_DATE_HELP = (
    "a date YYYY-MM-DD, 'today', 'yesterday', "
    "'start|end of last|this week|month|quarter|year' or 'N days|weeks|months|years ago'"
)

_DATE_NAME = re.compile(r"^as_of$|_(date|dates|start|end)$")
_AGO = re.compile(r"^(\d{1,4}) (day|week|month|year)s? ago$")
_EDGE = re.compile(r"^(start|end) of (last|this) (week|month|quarter|year)$")


def is_date_parameter(name: str) -> bool:
    """True for parameters read as dates: ``as_of`` and ``*_date(s)``, ``*_start``, ``*_end``."""
    return bool(_DATE_NAME.search(name))


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _shift_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _period_start(day: dt.date, unit: str) -> dt.date:
    if unit == "week":
        return day - dt.timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return dt.date(day.year, 1, 1)


def _period_end(day: dt.date, unit: str) -> dt.date:
    start = _period_start(day, unit)
    if unit == "week":
        return start + dt.timedelta(days=6)
    months = {"month": 1, "quarter": 3, "year": 12}[unit]
    last = _shift_months(start, months - 1)
    return _month_end(last.year, last.month)


def resolve_date(text: str, *, today: dt.date) -> dt.date:
    """The date a phrase of the grammar (module documentation) means on `today`.

    Raises
    ------
    ValueError
        Naming the phrase and the grammar, for anything else.
    """
    phrase = " ".join(str(text).lower().split())
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", phrase):
        try:
            return dt.date.fromisoformat(phrase)
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a date of the calendar ({exc})") from None
    if phrase == "today":
        return today
    if phrase == "yesterday":
        return today - dt.timedelta(days=1)
    if m := _AGO.match(phrase):
        n, unit = int(m[1]), m[2]
        if unit in ("day", "week"):
            return today - dt.timedelta(days=n * (7 if unit == "week" else 1))
        return _shift_months(today, -n * (12 if unit == "year" else 1))
    if m := _EDGE.match(phrase):
        edge, which, unit = m.groups()
        day = _period_start(today, unit) - dt.timedelta(days=1) if which == "last" else today
        return _period_start(day, unit) if edge == "start" else _period_end(day, unit)
    raise ValueError(f"{text!r} is not a date: use {RELATIVE_DATE_HELP}")


def resolve_dates(
    parameters: Mapping[str, Any], *, today: dt.date
) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """Resolve the date parameters of `parameters` (lists too, e.g. a grid of dates).

    Returns the parameters with ``YYYY-MM-DD`` text in place of each phrase, and a record
    ``{name: {"given": phrase, "date": "YYYY-MM-DD"}}`` of what changed, for the run record.
    """
    out, record = dict(parameters), {}
    for name, value in parameters.items():
        if not is_date_parameter(name) or value is None:
            continue
        if isinstance(value, list | tuple):
            out[name] = [_one(name, v, today) for v in value]
        elif isinstance(value, dt.date):
            out[name] = value.isoformat()
        else:
            out[name] = _one(name, value, today)
        if out[name] != value:
            record[name] = {"given": _text(value), "date": _text(out[name])}
    return out, record


def _one(name: str, value: Any, today: dt.date) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str) or not re.search(r"[A-Za-z]", value):
        return value  # a number (capital_start: 50) or a date already: the notebook checks it
    try:
        return resolve_date(str(value), today=today).isoformat()
    except ValueError as exc:
        raise ValueError(f"parameter {name!r}: {exc}") from None


def _text(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
