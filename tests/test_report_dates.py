"""Relative dates of scheduled runs, resolved once per run (table-driven)."""

from __future__ import annotations

import datetime as dt

import pytest

from workbench.report.dates import is_date_parameter, resolve_date, resolve_dates

D = dt.date


@pytest.mark.parametrize(("today", "phrase", "expected"), [
    (D(2026, 3, 15), "today", D(2026, 3, 15)),
    (D(2026, 3, 1), "yesterday", D(2026, 2, 28)),
    (D(2024, 3, 1), "yesterday", D(2024, 2, 29)),            # leap year
    (D(2026, 1, 1), "yesterday", D(2025, 12, 31)),           # year end
    (D(2026, 3, 15), "end of last month", D(2026, 2, 28)),
    (D(2024, 3, 15), "end of last month", D(2024, 2, 29)),   # leap February
    (D(2026, 1, 10), "end of last month", D(2025, 12, 31)),  # across the year end
    (D(2026, 3, 31), "end of last month", D(2026, 2, 28)),   # on a month end itself
    (D(2026, 1, 1), "End  of LAST month", D(2025, 12, 31)),  # case and spaces
    (D(2026, 2, 15), "end of last quarter", D(2025, 12, 31)),
    (D(2026, 5, 15), "end of last quarter", D(2026, 3, 31)),
    (D(2026, 7, 1), "end of last quarter", D(2026, 6, 30)),
    (D(2026, 12, 31), "end of last quarter", D(2026, 9, 30)),
    (D(2026, 3, 15), "end of last year", D(2025, 12, 31)),
    (D(2026, 3, 18), "end of last week", D(2026, 3, 15)),    # a Wednesday -> the Sunday before
    (D(2026, 3, 16), "end of last week", D(2026, 3, 15)),    # a Monday
    (D(2026, 3, 15), "start of this month", D(2026, 3, 1)),
    (D(2026, 5, 15), "start of this quarter", D(2026, 4, 1)),
    (D(2026, 5, 15), "start of this year", D(2026, 1, 1)),
    (D(2026, 3, 18), "start of this week", D(2026, 3, 16)),
    (D(2026, 3, 15), "start of last month", D(2026, 2, 1)),
    (D(2026, 1, 15), "start of last quarter", D(2025, 10, 1)),
    (D(2024, 2, 10), "end of this month", D(2024, 2, 29)),
    (D(2026, 11, 3), "end of this quarter", D(2026, 12, 31)),
    (D(2026, 11, 3), "end of this year", D(2026, 12, 31)),
    (D(2026, 3, 31), "1 month ago", D(2026, 2, 28)),         # clipped to the month's end
    (D(2024, 3, 31), "1 month ago", D(2024, 2, 29)),
    (D(2024, 2, 29), "1 year ago", D(2023, 2, 28)),
    (D(2026, 1, 31), "13 months ago", D(2024, 12, 31)),
    (D(2026, 3, 1), "2 weeks ago", D(2026, 2, 15)),
    (D(2026, 3, 1), "1 day ago", D(2026, 2, 28)),
    (D(2026, 3, 1), "2025-06-30", D(2025, 6, 30)),
])
def test_relative_dates(today, phrase, expected):
    assert resolve_date(phrase, today=today) == expected


@pytest.mark.parametrize("phrase", ["last month", "end of next month", "tomorrow", "2025-02-30",
                                    "-1 days ago", "end of last decade", ""])
def test_anything_else_is_an_error_that_shows_the_grammar(phrase):
    with pytest.raises(ValueError, match="not a date"):
        resolve_date(phrase, today=D(2026, 3, 1))


def test_only_date_parameters_are_resolved_and_the_record_says_what_changed():
    params = {"as_of": "end of last month", "calibration_end": "2025-06-30", "campaign": "today",
              "compare_dates": ["end of last month", "end of last quarter"], "seed": 3,
              "capital_start": "50", "history_end": 7.5}
    out, record = resolve_dates(params, today=D(2026, 5, 15))
    assert out == {"as_of": "2026-04-30", "calibration_end": "2025-06-30", "campaign": "today",
                   "compare_dates": ["2026-04-30", "2026-03-31"], "seed": 3,
                   "capital_start": "50", "history_end": 7.5}
    assert record == {"as_of": {"given": "end of last month", "date": "2026-04-30"},
                      "compare_dates": {"given": "end of last month, end of last quarter",
                                        "date": "2026-04-30, 2026-03-31"}}
    assert is_date_parameter("history_start") and not is_date_parameter("as_of_label")
    with pytest.raises(ValueError, match="parameter 'as_of'"):
        resolve_dates({"as_of": "someday"}, today=D(2026, 5, 15))
