"""Turn raw export values into contract types, remembering every value that would not parse.

Numbers
    Currency signs (€ $ £ ¥, EUR USD GBP CHF) and spaces (ordinary, non-breaking, narrow
    no-break, and apostrophes: Swiss thousands separators) are removed first. A value is then a
    number with a *decimal comma* iff it reads ``[+-]?(\\d{1,3}(\\.\\d{3})+|\\d+)(,\\d+)?`` and
    with a *decimal point* iff it reads ``[+-]?(\\d{1,3}(,\\d{3})+|\\d+)(\\.\\d+)?``: a thousands
    separator stands only before groups of exactly three digits. Negatives may also be written
    with a trailing minus (``12,50-``, SAP) or in parentheses (``(12,50)``, accounting).
    ``inf``, ``nan`` and exponents (``1e5``) are not numbers. The convention is the mapping's
    ``decimal`` when it names one (a value written the other way is then rejected), otherwise
    the one under which more values of the column read; on a tie the source's hint (a ``;``
    separated file suggests a decimal comma) or else the decimal point wins, with a warning
    when values such as ``1,234`` mean different numbers under the two conventions.
Dates
    ISO ``YYYY-MM-DD``, ``dd/mm/yyyy`` (day first: European exports), ``dd.mm.yyyy``,
    ``dd-mm-yyyy``, ``YYYYMMDD`` and ``YYYY/MM/DD``, each optionally followed by a time
    (``HH:MM``, ``HH:MM:SS``); date columns keep the day. The format is chosen per column as
    the one that reads the most values, unless the mapping names one. ISO values are accepted
    in every column (they are unambiguous); other day/month orders are not. Two-digit years
    are read only when the mapping names such a format (``%d/%m/%y``), and a year or a
    year-month alone is not a date unless the mapping's format says so. Timestamps with a time
    zone are converted to UTC (and the zone dropped); values without one are kept as they are.
Yes/no
    1/0, true/false, yes/no, y/n, oui/non, vrai/faux, x/empty.

Columns of Python objects (Excel read as it is) may hold typed cells: numbers, dates and
booleans are taken as they are in columns of that type, and only text cells follow the rules
above; in text columns a whole number is written without decimals (``12``, not ``12.0``).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from workbench.data.contract import DTYPES, Column

__all__ = ["Dialect", "ParseResult", "parse_column", "DATE_FORMATS"]

log = logging.getLogger(__name__)

#: Date formats tried per column, in order of preference; each also reads a following time.
DATE_FORMATS = ("ISO8601", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y%m%d", "%Y/%m/%d")
_TIMES = (" %H:%M:%S", " %H:%M", " %H:%M:%S.%f")
_TRUE = {"1", "true", "t", "yes", "y", "oui", "o", "vrai", "x", "1.0"}
_FALSE = {"0", "false", "f", "no", "n", "non", "faux", "0.0"}
# Patterns avoid \s, \d and \u escapes so that pandas runs them in pyarrow (RE2), not per value.
_BLANKS = " \t\u00a0\u2007\u202f"
_NOISE = f"[{_BLANKS}'’€$£¥]|EUR|USD|GBP|CHF"
_NUMBER = {
    ",": r"[+-]?(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]+)?",
    ".": r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?",
}
_POINT_NAME = {",": "decimal comma", ".": "decimal point"}
_ISO_SHAPE = "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[T ].*)?"


@dataclass(frozen=True)
class Dialect:
    """How a source writes numbers and dates.

    ``decimal`` is the mapping's word (strict); ``None`` means: guess per column, and on a tie
    follow ``decimal_hint`` (what the file suggests, e.g. ``","`` for a ``;`` separator), else ``.``.
    """

    decimal: str | None = None
    thousands: str | None = None
    date_format: str | None = None
    #: Strip spaces around text values: exports pad them; typed sources (Parquet, DuckDB) keep theirs.
    trim: bool = True
    decimal_hint: str | None = None

    def __post_init__(self) -> None:
        for name in ("decimal", "decimal_hint"):
            if getattr(self, name) not in (None, ",", "."):
                raise ValueError(f"{name} must be ',' or '.', not {getattr(self, name)!r}")
        if self.thousands is not None and self.thousands == self.decimal:
            raise ValueError(f"thousands and decimal separators are both {self.decimal!r}")


@dataclass
class ParseResult:
    values: pd.Series
    bad: pd.Series  # bool mask: non-empty raw value that did not parse
    expected: str  # what a good value looks like, for messages
    #: The date format, or the decimal separator of a number column, that was used.
    chosen_format: str | None = None


def parse_column(raw: pd.Series, column: Column, dialect: Dialect = Dialect()) -> ParseResult:
    """Parse `raw` to the contract dtype of `column`; unparseable values become missing and are flagged."""
    kind = column.dtype
    if kind == "string":
        return _parse_string(raw, column, trim=dialect.trim)
    if kind in ("float", "int"):
        return _parse_number(raw, column, dialect=dialect)
    if kind in ("date", "datetime"):
        return _parse_date(raw, datetime=kind == "datetime", dialect=dialect)
    if kind == "bool":
        return _parse_bool(raw)
    raise ValueError(f"unknown dtype {kind!r}")


# ---------------------------------------------------------------------- cells and text


def _cell_text(value) -> str:
    """One non-text cell as text: a whole number without its decimals (ids), anything else str()."""
    if (
        isinstance(value, (float, np.floating, Decimal))
        and np.isfinite(float(value))
        and value == int(value)
    ):
        return str(int(value))
    return str(value)


def _split_cells(raw: pd.Series, typed) -> tuple[pd.Series, pd.Series]:
    """An object column as (its cells for which `typed(cell)` holds, object; the others as text)."""
    cells = raw.to_numpy(dtype=object)
    present = raw.notna().to_numpy()
    # 1: typed cell, 0: text, 2: other cell, written as text
    kind = np.fromiter(
        (1 if typed(v) else 0 if isinstance(v, str) else 2 for v in cells), np.int8, len(cells)
    )
    kind[~present] = 1  # missing: left to the typed side, where it stays missing
    other = np.flatnonzero(kind == 2)
    text = cells.copy()
    text[kind == 1] = None
    text[other] = [_cell_text(v) for v in cells[other]]
    return (
        pd.Series(np.where(kind == 1, cells, None), index=raw.index, dtype=object),
        pd.Series(text, index=raw.index, dtype=object).astype("str"),
    )


def _as_text(raw: pd.Series) -> pd.Series:
    """Text of every cell, missing where the cell is; floats that are whole lose their ``.0``."""
    if raw.dtype == object:
        return _split_cells(raw, lambda v: False)[1]
    if pd.api.types.is_float_dtype(raw):
        whole = raw.notna() & np.isfinite(raw) & (raw % 1 == 0) & (raw.abs() < 2**53)
        text = raw.astype("str").where(raw.notna())
        return text.mask(whole, raw.where(whole).astype("Int64").astype("str"))
    out = raw.astype("str") if raw.dtype != "str" else raw
    return out.where(raw.notna())


def _parse_string(raw: pd.Series, column: Column, *, trim: bool = True) -> ParseResult:
    text = _as_text(raw)
    if trim:
        text = text.str.strip()
    text = text.where(text != "")
    if column.allowed:
        canon = {v.lower(): v for v in column.allowed}
        lowered = text.str.lower()
        text = text.where(~lowered.isin(canon), lowered.map(canon))
    return ParseResult(text.astype(DTYPES["string"]), pd.Series(False, index=raw.index), "text")


# ---------------------------------------------------------------------- numbers


def _is_number_cell(value) -> bool:
    return isinstance(value, (int, float, Decimal, np.number)) and not isinstance(value, bool)


def _parse_number(raw: pd.Series, column: Column, *, dialect: Dialect) -> ParseResult:
    integer = column.dtype == "int"
    expected = "a whole number" if integer else "a number"
    decimal = None
    if pd.api.types.is_bool_dtype(raw) or pd.api.types.is_numeric_dtype(raw):
        values = pd.to_numeric(raw, errors="coerce").astype("float64")
        bad = pd.Series(False, index=raw.index)
    else:
        cells, text = (
            _split_cells(raw, _is_number_cell) if raw.dtype == object else (None, _as_text(raw))
        )
        values, bad, decimal, expected = _read_numbers(text, column, dialect, expected)
        if cells is not None:
            values = values.fillna(pd.to_numeric(cells, errors="coerce").astype("float64"))
    infinite = values.notna() & ~np.isfinite(values)  # also a 400-digit text, read as inf
    bad, values = bad | infinite, values.where(~infinite)
    if integer:
        # a fraction, or a whole number beyond 64 bits (a 20-digit "age"), is not a whole number
        fractional = values.notna() & ((values % 1 != 0) | (values.abs() >= 2.0**63))
        bad = bad | fractional
        values = values.where(~fractional).round().astype("Int64")
    return ParseResult(values, bad, expected, decimal)


def _read_numbers(text: pd.Series, column: Column, dialect: Dialect, expected: str):
    """(values, bad, decimal, expected) for a column of text numbers; see the module docstring."""
    raw_text = text
    text = text.str.replace(_NOISE, "", regex=True)
    if dialect.thousands and dialect.thousands not in ".," + _BLANKS + "'":
        text = text.str.replace(dialect.thousands, "", regex=False)
    blank = text == ""
    bad = pd.Series(False, index=text.index)
    if blank.any():  # a value of spaces only is empty; one of currency signs only is not a number
        bad[blank] = ~raw_text[blank].str.fullmatch(f"[{_BLANKS}]*", na=False)
        text = text.where(~blank)
    text = _signs(text)
    strict = strict_decimal(dialect)
    ok = {d: text.str.fullmatch(_NUMBER[d], na=False) for d in ([strict] if strict else _NUMBER)}
    n_comma, n_point = (int(ok[d].sum()) if d in ok else 0 for d in ",.")
    decimal = choose_decimal(strict=strict, n_comma=n_comma, n_point=n_point, hint=dialect.decimal_hint)
    if not strict and n_comma == n_point:
        both = text[ok[","] & ok["."]]
        ambiguous = both[both.str.contains("[.,]", regex=True)]
        if len(ambiguous):
            warn_ambiguous(column.name, ambiguous.iloc[0], decimal)
    good = ok[decimal]
    number = text.where(good).str.replace("," if decimal == "." else ".", "", regex=False)
    if decimal == ",":
        number = number.str.replace(",", ".", regex=False)
    bad = bad | (text.notna() & ~good)
    # name the convention when it is why a value was rejected
    other = "." if decimal == "," else ","
    if text[bad].str.fullmatch(_NUMBER[other], na=False).any():
        expected += (
            f" with a {_POINT_NAME[decimal]} (as the mapping says)"
            if strict
            else f" ({_POINT_NAME[decimal]})"
        )
    return number.astype("float64"), bad.astype(bool), decimal, expected


def _signs(text: pd.Series) -> pd.Series:
    """``(12,50)`` and ``12,50-`` become ``-12,50``; other values are left as they are."""
    paren = text.str.startswith("(", na=False) & text.str.endswith(")", na=False)
    if paren.any():
        text = text.mask(paren, "-" + text.str.slice(1, -1))
    trailing = text.str.endswith("-", na=False)
    if trailing.any():
        trailing = trailing & ~text.str.match("[+-]", na=False)
        text = text.mask(trailing, "-" + text.str.slice(0, -1))
    return text


def strict_decimal(dialect: Dialect) -> str | None:
    """The decimal mark the mapping imposes (given, or implied by the thousands separator), if any."""
    return dialect.decimal or {".": ",", ",": "."}.get(dialect.thousands or "")


def choose_decimal(*, strict: str | None, n_comma: int, n_point: int, hint: str | None) -> str:
    """The column's decimal mark: the mapping's, else the convention more values read under, else the hint."""
    if strict:
        return strict
    if n_comma != n_point:
        return "," if n_comma > n_point else "."
    return hint or "."


def warn_ambiguous(name: str, example: str, decimal: str) -> None:
    """Values read under both conventions, with a separator, mean different numbers under each."""
    log.warning(
        "%s: values such as %r are numbers with a decimal comma and with a decimal point, "
        "of different amounts; read with a %s. Set `decimal` in the mapping if that is wrong.",
        name, example, _POINT_NAME[decimal],
    )


# ---------------------------------------------------------------------- dates


def _is_date_cell(value) -> bool:
    return isinstance(value, (dt.date, np.datetime64))


def _naive_utc(values: pd.Series) -> pd.Series:
    """Aware timestamps converted to UTC, zone dropped; naive ones unchanged; always ns.

    Days outside the nanosecond range (about 1677 to 2262; e.g. a 9999-12-31 "no end" marker)
    become missing, so that they are flagged rather than crash the load.
    """
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    if values.dtype != "datetime64[ns]" and (
        values.min() < pd.Timestamp.min or values.max() > pd.Timestamp.max
    ):
        values = values.where((values >= pd.Timestamp.min) & (values <= pd.Timestamp.max))
    return values.astype("datetime64[ns]")


def _parse_date(raw: pd.Series, *, datetime: bool, dialect: Dialect) -> ParseResult:
    kind = "a date and time" if datetime else "a date"
    if pd.api.types.is_datetime64_any_dtype(raw):
        values = _naive_utc(raw)
        return ParseResult(
            values if datetime else values.dt.normalize(), raw.notna() & values.isna(), kind
        )
    cells, text = _split_cells(raw, _is_date_cell) if raw.dtype == object else (None, _as_text(raw))
    text = text.str.strip()
    text = text.where(text != "")
    present = text.notna()
    sample = text[present]
    formats, expected, chosen = date_plan(sample.iloc[:: max(1, len(sample) // 2000)].head(2000),
                                          datetime=datetime, dialect=dialect)
    values = read_dates(text, formats)
    if cells is not None:
        values = values.fillna(_naive_utc(pd.to_datetime(cells, utc=True, errors="coerce")))
        present = present | cells.notna()
    return ParseResult(
        values if datetime else values.dt.normalize(),
        present & values.isna(),
        expected,
        chosen,
    )


def date_plan(sample: pd.Series, *, datetime: bool, dialect: Dialect) -> tuple[list[str], str, str]:
    """(formats to try in order, what a good value looks like, the chosen format) for a column.

    `sample`: up to 2000 of the column's non-empty stripped values, every n-th in file order.
    """
    kind = "a date and time" if datetime else "a date"
    if dialect.date_format:
        chosen = dialect.date_format
        formats = _rank(sample, _variants(chosen))
    else:
        chosen, formats = _choose_date_format(sample)
    label = _label(formats[0] if datetime else chosen)
    if chosen != "ISO8601":  # unambiguous, so read in every column
        formats.append("ISO8601")
        label += ", or YYYY-MM-DD"
    return formats, f"{kind} ({label})", chosen


def read_dates(text: pd.Series, formats: list[str]) -> pd.Series:
    """Stripped text values as naive UTC timestamps (ns), each read by the first format that reads it."""
    return _read_dates(text, formats)[0]


def _variants(fmt: str) -> list[str]:
    """A format and the same followed by a time, unless it is ISO or names a time itself."""
    if fmt == "ISO8601" or "%H" in fmt:
        return [fmt]
    return [fmt, *(fmt + t for t in _TIMES)]


def _rank(sample: pd.Series, formats: list[str]) -> list[str]:
    """`formats` by how many values of `sample` each reads, most first (ties keep their order)."""
    hits = _read_dates(sample, formats)[1]
    return sorted(formats, key=lambda f: -hits[f])


def _choose_date_format(sample: pd.Series) -> tuple[str, list[str]]:
    """The automatic format that reads the most of `sample`, and its variants, best first."""
    best, best_ok = DATE_FORMATS[0], -1
    for fmt in DATE_FORMATS:
        values, hits = _read_dates(sample, _variants(fmt))
        ok = int(values.notna().sum())
        if ok > best_ok:
            best, best_ok, ranked = fmt, ok, sorted(hits, key=lambda f: -hits[f])
        if ok == len(sample):
            break
    return best, ranked


def _read_dates(text: pd.Series, formats: list[str]) -> tuple[pd.Series, dict[str, int]]:
    """Read `text` with each format in turn, each on the values the previous ones left."""
    values = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    hits = dict.fromkeys(formats, 0)
    todo = text.notna()
    for fmt in formats:
        if not todo.any():
            break
        got = _to_datetime(text if todo.all() else text[todo], fmt)
        hits[fmt] = int(got.notna().sum())
        values = values.fillna(got)
        todo = todo & values.isna()
    return values, hits


def _to_datetime(text: pd.Series, fmt: str) -> pd.Series:
    if fmt == "ISO8601":  # not a year or a year-month alone, nor YYYYMMDD (a format of its own)
        text = text.where(text.str.fullmatch(_ISO_SHAPE, na=False))
        return _naive_utc(pd.to_datetime(text, format=fmt, errors="coerce", utc=True))
    if fmt == "%Y%m%d" or fmt.startswith("%Y%m%d "):  # 8 digits: 2024-01-05 is not Y/m/d digits
        text = text.where(text.str.fullmatch("[0-9]{8}(?: .*)?", na=False))
    return _naive_utc(pd.to_datetime(text, format=fmt, errors="coerce"))


def _label(fmt: str) -> str:
    if fmt == "ISO8601":
        return "YYYY-MM-DD"
    return (
        fmt.replace("%d", "dd")
        .replace("%m", "mm")
        .replace("%Y", "yyyy")
        .replace("%y", "yy")
        .replace("%H", "HH")
        .replace("%M", "MM")
        .replace("%S", "SS")
        .replace(".%f", "")
    )


# ---------------------------------------------------------------------- yes/no


def _parse_bool(raw: pd.Series) -> ParseResult:
    if pd.api.types.is_bool_dtype(raw):
        return ParseResult(raw.astype("boolean"), pd.Series(False, index=raw.index), "yes/no")
    cells = None
    if raw.dtype == object:
        cells, text = _split_cells(raw, lambda v: isinstance(v, (bool, np.bool_)))
    else:
        text = _as_text(raw)
    text = text.str.strip().str.lower()
    text = text.where(text != "")
    values = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    values[text.isin(_TRUE).to_numpy()] = True
    values[text.isin(_FALSE).to_numpy()] = False
    if cells is not None:
        values = values.fillna(cells.astype("boolean"))
    bad = text.notna() & values.isna()
    return ParseResult(values, bad.astype(bool), "yes/no (1/0, true/false, oui/non)")


def coerce_derived(values, column: Column, index: pd.Index) -> pd.Series:
    """Cast a value computed by a mapping expression (or a constant) to the contract dtype."""
    series = values if isinstance(values, pd.Series) else pd.Series(values, index=index)
    if column.dtype == "string":
        return _as_text(series).astype(DTYPES["string"])
    if column.dtype == "bool":
        return series.astype("boolean")
    if column.dtype in ("float", "int"):
        out = pd.to_numeric(series, errors="coerce")
        return out.round().astype("Int64") if column.dtype == "int" else out.astype("float64")
    parsed = parse_column(series.astype("str").where(series.notna()), column)
    return parsed.values


def empty_like(column: Column, index: pd.Index) -> pd.Series:
    return pd.Series(np.nan if column.dtype == "float" else pd.NA, index=index).astype(
        DTYPES[column.dtype]
    )
