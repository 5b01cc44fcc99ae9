"""Parsing raw export values into contract types: hand-written values, exact results and bad masks."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from workbench.data.contract import CONTRACT
from workbench.data.parsing import Dialect, parse_column

AMOUNT = CONTRACT["orders"].column("amount")
AGE = CONTRACT["customers"].column("age")
ORDER_DATE = CONTRACT["orders"].column("order_date")
SENT_AT = CONTRACT["campaign_contacts"].column("sent_at")
NEWSLETTER = CONTRACT["customers"].column("newsletter_subscribed")
CUSTOMER_ID = CONTRACT["orders"].column("customer_id")
KIND = CONTRACT["customers"].column("kind")
NAN = np.nan


def parse(values, column=AMOUNT, *, dtype="str", **dialect):
    return parse_column(pd.Series(values, dtype=dtype), column, Dialect(**dialect))


def check(result, values, bad):
    expected = pd.Series(values, dtype=result.values.dtype)
    pd.testing.assert_series_equal(result.values, expected, check_names=False)
    assert result.bad.dtype == bool
    assert result.bad.tolist() == bad


def reason(result, value, name="amount"):
    """The message validation builds for a rejected value."""
    return f"{name} {value!r} is not {result.expected}"


# ---------------------------------------------------------------------- numbers: the reviewer's cases


def test_decimal_point_value_under_a_mapping_decimal_comma_is_rejected_not_multiplied():
    r = parse(["12.50", "1234.5", "12,50"], decimal=",")
    check(r, [NAN, NAN, 12.5], [True, True, False])
    assert (
        reason(r, "12.50")
        == "amount '12.50' is not a number with a decimal comma (as the mapping says)"
    )
    assert r.chosen_format == ","


def test_decimal_point_value_in_a_semicolon_file_is_read_as_written():
    # the file's hint only settles ties: here only the decimal point reads the values
    check(parse(["12.50"], decimal_hint=","), [12.5], [False])
    check(parse(["1234.5"], decimal_hint=","), [1234.5], [False])
    check(parse(["1234.5"]), [1234.5], [False])


def test_comma_and_point_one_each_tie_the_hint_decides_and_the_other_is_flagged():
    r = parse(["12,50", "-12.5"])
    check(r, [NAN, -12.5], [True, False])
    assert r.expected == "a number (decimal point)"
    r = parse(["12,50", "-12.5"], decimal_hint=",")
    check(r, [12.5, NAN], [False, True])
    assert r.expected == "a number (decimal comma)"


def test_thousands_point_and_decimal_comma_in_one_column():
    r = parse(["1.234", "12,50"])
    check(r, [1234.0, 12.5], [False, False])
    assert r.chosen_format == ","


def test_truly_ambiguous_column_follows_the_hint_and_warns(caplog):
    with caplog.at_level(logging.WARNING, logger="workbench.data.parsing"):
        check(parse(["1,234", "2,500"]), [1234.0, 2500.0], [False, False])
    assert "amount" in caplog.text and "'1,234'" in caplog.text and "decimal point" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="workbench.data.parsing"):
        check(parse(["1,234", "2,500"], decimal_hint=","), [1.234, 2.5], [False, False])
    assert "amount" in caplog.text and "read with a decimal comma" in caplog.text


def test_integers_only_tie_without_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="workbench.data.parsing"):
        check(parse(["12", "-3", "+4"], decimal_hint=","), [12.0, -3.0, 4.0], [False] * 3)
    assert caplog.text == ""


@pytest.mark.parametrize(
    "value", ["inf", "-inf", "nan", "NaN", "1e5", "1E-3", "0x10", "abc", "1_000"]
)
def test_not_numbers(value):
    r = parse([value, "1"])
    check(r, [NAN, 1.0], [True, False])
    assert reason(r, "abc") == "amount 'abc' is not a number"


def test_infinite_typed_values_and_overflowing_text_are_flagged():
    check(parse([1.5, np.inf, NAN], dtype="float64"), [1.5, NAN, NAN], [False, True, False])
    check(parse(["1" * 400, "2"]), [NAN, 2.0], [True, False])


# ---------------------------------------------------------------------- numbers: the rules


def test_french_export_numbers():
    values = ["1 234,56", "12,5", "\u00a0987,00", "1\u202f234,56", "-0,5", "1.234.567,89", "7"]
    check(
        parse(values, decimal=","),
        [1234.56, 12.5, 987.0, 1234.56, -0.5, 1234567.89, 7.0],
        [False] * 7,
    )
    check(parse(values), [1234.56, 12.5, 987.0, 1234.56, -0.5, 1234567.89, 7.0], [False] * 7)


def test_thousands_separators_stand_only_before_groups_of_three_digits():
    r = parse(["1.23,4", "12.34,5", "1.2345,6", "1.234,5"], decimal=",")
    check(r, [NAN, NAN, NAN, 1234.5], [True, True, True, False])
    r = parse(["1,23.4", "1,2345", "1,234,567.8", "1234567.8"], decimal=".")
    check(r, [NAN, NAN, 1234567.8, 1234567.8], [True, True, False, False])


def test_swiss_apostrophes_and_currency_signs():
    values = ["1'234.50", "1’234.50", "$1,234.56", "£3", "¥100", "USD 5", "12.00 GBP", "CHF 2"]
    check(parse(values), [1234.5, 1234.5, 1234.56, 3.0, 100.0, 5.0, 12.0, 2.0], [False] * 8)
    values = ["€ 12,50", "12,50 EUR", "-€ 3,00", "€-3,00"]
    check(parse(values), [12.5, 12.5, -3.0, -3.0], [False] * 4)


def test_trailing_minus_and_parentheses_are_negatives():
    values = ["12,50-", "(12,50)", "(1.234,50 €)", "-12,50-", "(-1)", "((1))", "-", "()"]
    check(
        parse(values, decimal=","),
        [-12.5, -12.5, -1234.5, NAN, NAN, NAN, NAN, NAN],
        [False, False, False, True, True, True, True, True],
    )


def test_blank_values_are_missing_currency_alone_is_not_a_number():
    check(
        parse(["", "  ", "\u00a0", None, "€", "12"]),
        [NAN, NAN, NAN, NAN, NAN, 12.0],
        [False, False, False, False, True, False],
    )


def test_explicit_thousands_separator():
    # a thousands point implies a decimal comma, as strictly as the mapping's decimal
    r = parse(["1.234", "12,5", "12.5"], thousands=".")
    check(r, [1234.0, 12.5, NAN], [False, False, True])
    assert r.expected == "a number with a decimal comma (as the mapping says)"
    check(parse(["1,234", "12.5"], thousands=","), [1234.0, 12.5], [False, False])
    check(parse(["1_234,5", "2_000"], thousands="_"), [1234.5, 2000.0], [False, False])
    check(parse(["1 234,5"], thousands=" ", decimal=","), [1234.5], [False])


def test_whole_number_columns():
    r = parse(["34", "1.000", "12,5", ""], AGE, decimal=",")
    check(r, [34, 1000, None, None], [False, False, True, False])
    assert r.expected == "a whole number"
    check(parse(["34", "12.0"], AGE), [34, 12], [False, False])
    r = parse(["30", "abc"], AGE, decimal_hint=",")
    check(r, [30, None], [False, True])
    assert reason(r, "abc", "age") == "age 'abc' is not a whole number"


def test_the_convention_is_named_only_when_it_is_why_a_value_was_rejected():
    assert parse(["abc", "12,5"], decimal=",").expected == "a number"
    assert parse(["abc", "12,5"]).expected == "a number"
    r = parse(["abc", "12.5"], decimal=",")
    assert (
        reason(r, "abc")
        == "amount 'abc' is not a number with a decimal comma (as the mapping says)"
    )
    r = parse(["1.5", "2.5", "3,25"], decimal_hint=",")
    check(r, [1.5, 2.5, NAN], [False, False, True])
    assert reason(r, "3,25") == "amount '3,25' is not a number (decimal point)"


def test_typed_number_columns_are_taken_as_they_are():
    check(parse([12.5, NAN, -3.0], dtype="float64", decimal=","), [12.5, NAN, -3.0], [False] * 3)
    check(parse([34, None], AGE, dtype="Int64"), [34, None], [False, False])


def test_number_cells_of_an_excel_column_are_not_read_again_as_text():
    values = [
        12.5,
        "12,50",
        3,
        np.int64(4),
        Decimal("2.25"),
        None,
        NAN,
        True,
        "abc",
        dt.datetime(2024, 1, 1),
        "  ",
    ]
    r = parse(values, dtype=object, decimal=",")
    check(
        r,
        [12.5, 12.5, 3.0, 4.0, 2.25, NAN, NAN, NAN, NAN, NAN, NAN],
        [False] * 7 + [True, True, True, False],
    )
    # the convention is guessed from the text cells only
    check(parse([1234.5, "1.234", "2,5"], dtype=object), [1234.5, 1234.0, 2.5], [False] * 3)


def test_dialect_rejects_nonsense():
    with pytest.raises(ValueError, match="decimal must be ',' or '.'"):
        Dialect(decimal=";")
    with pytest.raises(ValueError, match="decimal_hint must be"):
        Dialect(decimal_hint="comma")
    with pytest.raises(ValueError, match="thousands and decimal separators are both ','"):
        Dialect(decimal=",", thousands=",")


# ---------------------------------------------------------------------- dates


def test_iso_dates_and_the_existing_message():
    r = parse(["2024-01-05", "2024-13-45", "2024-1-5", None, " 2024-02-01 "], ORDER_DATE)
    check(
        r,
        ["2024-01-05", None, "2024-01-05", None, "2024-02-01"],
        [False, True, False, False, False],
    )
    assert r.chosen_format == "ISO8601"
    assert (
        reason(r, "2024-13-45", "order_date")
        == "order_date '2024-13-45' is not a date (YYYY-MM-DD)"
    )


def test_time_zones_are_converted_to_utc_naive_values_kept():
    values = [
        "2024-01-05T10:00:00Z",
        "2024-01-05T10:00:00+02:00",
        "2024-01-05T23:30:00-02:00",
        "2024-01-05 10:00",
        "2024-01-05T10:00:00.5+05:30",
    ]
    check(
        parse(values, SENT_AT),
        [
            "2024-01-05 10:00",
            "2024-01-05 08:00",
            "2024-01-06 01:30",
            "2024-01-05 10:00",
            "2024-01-05 04:30:00.5",
        ],
        [False] * 5,
    )
    check(
        parse(values, ORDER_DATE),
        ["2024-01-05", "2024-01-05", "2024-01-06", "2024-01-05", "2024-01-05"],
        [False] * 5,
    )


def test_typed_aware_timestamps_are_converted_to_utc():
    raw = pd.Series(pd.to_datetime(["2024-01-01 23:30", None])).dt.tz_localize("America/New_York")
    check(parse_column(raw, SENT_AT), ["2024-01-02 04:30", None], [False, False])
    check(parse_column(raw, ORDER_DATE), ["2024-01-02", None], [False, False])


def test_two_digit_years_only_when_the_mapping_names_them():
    r = parse(["12/03/55", "05/01/2024"], ORDER_DATE)
    check(r, [None, "2024-01-05"], [True, False])
    assert r.expected == "a date (dd/mm/yyyy, or YYYY-MM-DD)"
    r = parse(["12/03/55"], ORDER_DATE, date_format="%d/%m/%y")
    check(r, ["2055-03-12"], [False])
    assert r.expected == "a date (dd/mm/yy, or YYYY-MM-DD)"


def test_date_columns_accept_a_date_and_time_and_keep_the_day():
    values = [
        "05/01/2024 00:00",
        "05/01/2024 14:30:00",
        "06/01/2024",
        "2024-01-07 00:00:00",
        "08/01/2024 23:59:59.5",
    ]
    r = parse(values, ORDER_DATE)
    check(r, ["2024-01-05", "2024-01-05", "2024-01-06", "2024-01-07", "2024-01-08"], [False] * 5)
    assert r.chosen_format == "%d/%m/%Y"
    check(
        parse(["2024-01-05 00:00:00", "2024-01-06T12:00"], ORDER_DATE),
        ["2024-01-05", "2024-01-06"],
        [False, False],
    )


def test_datetime_columns_in_day_first_text():
    r = parse(["05/01/2024 14:30:00", "06/01/2024 08:00:00", "07/01/2024"], SENT_AT)
    check(r, ["2024-01-05 14:30", "2024-01-06 08:00", "2024-01-07"], [False] * 3)
    assert r.expected == "a date and time (dd/mm/yyyy HH:MM:SS, or YYYY-MM-DD)"


def test_explicit_format_also_reads_iso_but_no_other_day_month_order():
    values = [
        "05/01/2024",
        "2024-01-07",
        "01.05.2024",
        "20240105",
        "2024",
        "2024-01",
        "05/01/2024 10:00",
    ]
    r = parse(values, ORDER_DATE, date_format="%d/%m/%Y")
    check(
        r,
        ["2024-01-05", "2024-01-07", None, None, None, None, "2024-01-05"],
        [False, False, True, True, True, True, False],
    )
    assert (
        reason(r, "01.05.2024", "order_date")
        == "order_date '01.05.2024' is not a date (dd/mm/yyyy, or YYYY-MM-DD)"
    )


def test_explicit_format_with_a_time():
    r = parse(["202401051030", "2024-01-06T08:00"], SENT_AT, date_format="%Y%m%d%H%M")
    check(r, ["2024-01-05 10:30", "2024-01-06 08:00"], [False, False])
    assert r.expected == "a date and time (yyyymmddHHMM, or YYYY-MM-DD)"


def test_a_year_or_a_year_month_alone_is_not_a_date_unless_the_format_says_so():
    check(
        parse(["2024", "2024-01", "2024-01-05"], ORDER_DATE),
        [None, None, "2024-01-05"],
        [True, True, False],
    )
    check(
        parse(["2024", "2023"], ORDER_DATE, date_format="%Y"),
        ["2024-01-01", "2023-01-01"],
        [False] * 2,
    )
    check(parse(["2024-03"], ORDER_DATE, date_format="%Y-%m"), ["2024-03-01"], [False])


def test_other_automatic_formats():
    r = parse(["19970101", "19970112"], ORDER_DATE)  # CDNOW
    check(r, ["1997-01-01", "1997-01-12"], [False, False])
    assert (r.chosen_format, r.expected) == ("%Y%m%d", "a date (yyyymmdd, or YYYY-MM-DD)")
    check(
        parse(["05.01.2024", "31.12.2023"], ORDER_DATE), ["2024-01-05", "2023-12-31"], [False] * 2
    )
    check(
        parse(["05-01-2024", "31-12-2023"], ORDER_DATE), ["2024-01-05", "2023-12-31"], [False] * 2
    )
    check(
        parse(["2024/01/05", "2023/12/31"], ORDER_DATE), ["2024-01-05", "2023-12-31"], [False] * 2
    )
    check(parse(["31/02/2024", "29/02/2024"], ORDER_DATE), [None, "2024-02-29"], [True, False])


def test_dates_outside_the_nanosecond_range_are_flagged_not_fatal():
    check(
        parse(["9999-12-31", "0001-01-01", "2024-01-05"], ORDER_DATE),
        [None, None, "2024-01-05"],
        [True, True, False],
    )
    typed = pd.Series(["9999-12-31", "2024-01-05"]).astype("datetime64[us]")
    check(parse_column(typed, ORDER_DATE), [None, "2024-01-05"], [True, False])


def test_date_cells_of_an_excel_column_are_taken_as_they_are():
    paris = pd.Timestamp("2024-01-06 10:00", tz="Europe/Paris")
    values = [
        dt.datetime(2024, 1, 5, 13, 0),
        paris,
        "07/01/2024",
        dt.date(2024, 1, 8),
        np.datetime64("2024-01-09T06:00"),
        None,
        "",
        dt.datetime(1, 1, 1),
        20240110,
        "junk",
    ]
    r = parse(values, ORDER_DATE, dtype=object)
    check(
        r,
        [
            "2024-01-05",
            "2024-01-06",
            "2024-01-07",
            "2024-01-08",
            "2024-01-09",
            None,
            None,
            None,
            None,
            None,
        ],
        [False] * 7 + [True, True, True],
    )
    r = parse(values[:5], SENT_AT, dtype=object)
    check(
        r,
        ["2024-01-05 13:00", "2024-01-06 09:00", "2024-01-07", "2024-01-08", "2024-01-09 06:00"],
        [False] * 5,
    )


# ---------------------------------------------------------------------- yes/no and text


def test_bool_cells_and_text():
    values = [True, False, np.True_, "oui", "Non", 1, 0.0, None, "peut-être"]
    check(
        parse(values, NEWSLETTER, dtype=object),
        [True, False, True, True, False, True, False, None, None],
        [False] * 8 + [True],
    )
    check(parse(["x", "", "vrai", "FAUX"], NEWSLETTER), [True, None, True, False], [False] * 4)


def test_text_cells_whole_numbers_lose_their_decimals():
    values = [12.0, 12.5, "C1", 7, None, "  C2 ", Decimal("3.0"), True]
    check(
        parse(values, CUSTOMER_ID, dtype=object),
        ["12", "12.5", "C1", "7", None, "C2", "3", "True"],
        [False] * 8,
    )
    check(parse([12.0, 12.5, NAN], CUSTOMER_ID, dtype="float64"), ["12", "12.5", None], [False] * 3)
    check(parse(["Person", "COMPANY", "other"], KIND), ["person", "company", "other"], [False] * 3)
