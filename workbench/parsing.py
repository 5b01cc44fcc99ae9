"""Turn raw export values into contract types, remembering every value that would not parse.

Numbers accept a decimal comma, thousands separators (space, non-breaking space, apostrophe,
or the other of ``.``/``,``) and a currency sign. Dates accept ISO ``YYYY-MM-DD``,
``dd/mm/yyyy`` (day first: European exports), ``dd.mm.yyyy`` and ``YYYYMMDD``; the format is
chosen per column as the one that reads the most values, unless the mapping names one.
Yes/no values accept 1/0, true/false, yes/no, y/n, oui/non, vrai/faux, x/empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .contract import DTYPES, Column

__all__ = ["Dialect", "ParseResult", "parse_column", "DATE_FORMATS"]

DATE_FORMATS = ("ISO8601", "%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y", "%d-%m-%Y", "%Y%m%d", "%Y/%m/%d")
DATETIME_FORMATS = ("ISO8601", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", *DATE_FORMATS)
_TRUE = {"1", "true", "t", "yes", "y", "oui", "o", "vrai", "x", "1.0"}
_FALSE = {"0", "false", "f", "no", "n", "non", "faux", "0.0"}
_CURRENCY = re.compile(r"[€$£¥]|EUR|USD|GBP")
_SPACES = re.compile(r"[\s\u00a0\u202f']")


@dataclass(frozen=True)
class Dialect:
    """How a source writes numbers and dates. ``decimal=None`` means: guess per column."""

    decimal: str | None = None
    thousands: str | None = None
    date_format: str | None = None
    #: Strip spaces around text values: exports pad them; typed sources (Parquet, DuckDB) keep theirs.
    trim: bool = True


@dataclass
class ParseResult:
    values: pd.Series
    bad: pd.Series  # bool mask: non-empty raw value that did not parse
    expected: str  # what a good value looks like, for messages
    chosen_format: str | None = None


def parse_column(raw: pd.Series, column: Column, dialect: Dialect = Dialect()) -> ParseResult:
    """Parse `raw` to the contract dtype of `column`; unparseable values become missing and are flagged."""
    kind = column.dtype
    if kind == "string":
        return _parse_string(raw, column, trim=dialect.trim)
    if kind in ("float", "int"):
        return _parse_number(raw, integer=kind == "int", dialect=dialect)
    if kind in ("date", "datetime"):
        return _parse_date(raw, datetime=kind == "datetime", dialect=dialect)
    if kind == "bool":
        return _parse_bool(raw)
    raise ValueError(f"unknown dtype {kind!r}")


def _present(raw: pd.Series) -> pd.Series:
    return raw.notna()


def _as_text(raw: pd.Series) -> pd.Series:
    out = raw.astype("str") if raw.dtype != "str" else raw
    return out.where(raw.notna())


def _parse_string(raw: pd.Series, column: Column, *, trim: bool = True) -> ParseResult:
    if pd.api.types.is_float_dtype(raw) and raw.dropna().mod(1).eq(0).all():
        raw = raw.astype("Int64")  # ids that a typed source stored as floats: 12.0 -> "12"
    text = _as_text(raw)
    if trim:
        text = text.str.strip()
    text = text.where(text != "")
    if column.allowed:
        canon = {v.lower(): v for v in column.allowed}
        lowered = text.str.lower()
        text = text.where(~lowered.isin(canon), lowered.map(canon))
    return ParseResult(text.astype(DTYPES["string"]), pd.Series(False, index=raw.index), "text")


def _guess_decimal(text: pd.Series) -> str:
    sample = text.dropna().head(5000)
    has_comma = sample.str.contains(r"\d,\d", regex=True).any()
    has_dot = sample.str.contains(r"\d\.\d", regex=True).any()
    if has_comma and not has_dot:
        return ","
    if has_comma and has_dot:
        # "1.234,56" (European) versus "1,234.56": the separator that comes last is the decimal one
        last = sample[sample.str.contains(r"[.,]")].str.extract(r"([.,])[^.,]*$")[0]
        return "," if (last == ",").mean() > 0.5 else "."
    return "."


def _parse_number(raw: pd.Series, *, integer: bool, dialect: Dialect) -> ParseResult:
    expected = "a whole number" if integer else "a number"
    if pd.api.types.is_bool_dtype(raw) or pd.api.types.is_numeric_dtype(raw):
        values = pd.to_numeric(raw, errors="coerce").astype("float64")
        bad = pd.Series(False, index=raw.index)
    else:
        text = _as_text(raw)
        text = text.str.replace(_CURRENCY, "", regex=True).str.replace(_SPACES, "", regex=True)
        text = text.where(text != "")
        decimal = dialect.decimal or _guess_decimal(text)
        thousands = dialect.thousands or ("." if decimal == "," else ",")
        if thousands in ".,":
            text = text.str.replace(thousands, "", regex=False)
        if decimal != ".":
            text = text.str.replace(decimal, ".", regex=False)
        values = pd.to_numeric(text, errors="coerce").astype("float64")
        bad = text.notna() & values.isna()
    if integer:
        fractional = values.notna() & (values % 1 != 0)
        bad = bad | fractional
        values = values.where(~fractional).round().astype("Int64")
    return ParseResult(values, bad, expected)


def _parse_date(raw: pd.Series, *, datetime: bool, dialect: Dialect) -> ParseResult:
    expected = "a date and time" if datetime else "a date"
    if pd.api.types.is_datetime64_any_dtype(raw):
        values = raw.dt.tz_localize(None) if getattr(raw.dt, "tz", None) is not None else raw
        values = values.astype("datetime64[ns]")
        return ParseResult(values if datetime else values.dt.normalize(),
                           pd.Series(False, index=raw.index), expected)
    text = _as_text(raw).str.strip()
    text = text.where(text != "")
    present = text.notna()
    formats = [dialect.date_format] if dialect.date_format else list(
        DATETIME_FORMATS if datetime else DATE_FORMATS)
    best, best_fmt, best_ok = None, None, -1
    sample = text[present].head(2000)
    for fmt in formats:
        ok = _to_datetime(sample, fmt).notna().sum()
        if ok > best_ok:
            best_fmt, best_ok = fmt, ok
        if ok == len(sample):
            break
    best = _to_datetime(text, best_fmt)
    if not datetime:
        best = best.dt.normalize()
    bad = present & best.isna()
    label = "YYYY-MM-DD" if best_fmt == "ISO8601" else _human_format(best_fmt)
    return ParseResult(best.astype("datetime64[ns]"), bad, f"{expected} ({label})", best_fmt)


def _to_datetime(text: pd.Series, fmt: str) -> pd.Series:
    if fmt == "%Y%m%d":  # only 8-digit values, so that 2024-01-05 is not read as Y/m/d digits
        text = text.where(text.str.fullmatch(r"\d{8}", na=False))
    return pd.to_datetime(text, format=fmt, errors="coerce")


def _human_format(fmt: str) -> str:
    return (fmt.replace("%d", "dd").replace("%m", "mm").replace("%Y", "yyyy")
            .replace("%y", "yy").replace("%H", "HH").replace("%M", "MM").replace("%S", "SS"))


def _parse_bool(raw: pd.Series) -> ParseResult:
    if pd.api.types.is_bool_dtype(raw):
        return ParseResult(raw.astype("boolean"), pd.Series(False, index=raw.index), "yes/no")
    text = _as_text(raw).str.strip().str.lower()
    text = text.where(text != "")
    values = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    values[text.isin(_TRUE).to_numpy()] = True
    values[text.isin(_FALSE).to_numpy()] = False
    bad = text.notna() & values.isna()
    return ParseResult(values, bad.astype(bool), "yes/no (1/0, true/false, oui/non)")


def coerce_derived(values, column: Column, index: pd.Index) -> pd.Series:
    """Cast a value computed by a mapping expression (or a constant) to the contract dtype."""
    series = values if isinstance(values, pd.Series) else pd.Series(values, index=index)
    if column.dtype == "string":
        if pd.api.types.is_float_dtype(series) and series.dropna().mod(1).eq(0).all():
            series = series.astype("Int64")
        return series.astype("str").where(series.notna()).astype(DTYPES["string"])
    if column.dtype == "bool":
        return series.astype("boolean")
    if column.dtype in ("float", "int"):
        out = pd.to_numeric(series, errors="coerce")
        return out.round().astype("Int64") if column.dtype == "int" else out.astype("float64")
    parsed = parse_column(series.astype("str").where(series.notna()), column)
    return parsed.values


def empty_like(column: Column, index: pd.Index) -> pd.Series:
    return pd.Series(np.nan if column.dtype == "float" else pd.NA, index=index).astype(
        DTYPES[column.dtype])
