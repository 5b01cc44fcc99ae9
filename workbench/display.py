"""Tables for people: formatted values, no meaningless row numbers, long tables cut with a note.

One helper for reports and interactive use, without touching global pandas options:

- :func:`format_value` writes one value as a reader expects it: ``9.1 %``, ``€1,752,772`` (``en``)
  or ``1 752 772 €`` (``fr``), counts with separators, 1-2 significant decimals, missing as "–";
- :func:`table` wraps a DataFrame (or Series) in an object that displays it so: the row index only
  when it means something (a named or non-default index), at most ``max_rows`` rows with a note,
  and the whole table written as CSV into ``exports`` when it was cut;
- :func:`for_people` makes every DataFrame and Series a notebook displays go through :func:`table`
  (it registers an HTML formatter in the running IPython kernel; nothing happens at import).

Column kinds are read from the column names (the contract's canonical names): ``*_pct`` and
``*share*`` are percentages, ``*rate*``/``*conversion*`` fractions shown as percentages, money
columns (``revenue``, ``monetary``, ``amount``, ``cost``, ``margin``, ``clv``, ``spend``,
``price``, ``basket``, ``budget``...) carry the currency, integers are counts.
"""

from __future__ import annotations

import html
import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

__all__ = ["full", "escape_markdown", "table", "figures", "figure_label", "figure_text",
           "format_value", "for_people", "column_kind", "settings", "MISSING"]

log = logging.getLogger(__name__)

#: What a missing value shows.
MISSING = "–"

#: Markdown's inline punctuation (links, images, emphasis, code, tables, strikethrough); block
#: markers (#, -, 1.) only act at the start of a line, and the text is always put after one.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]()!|~$])")

#: Thousands separator, decimal mark, and whether the currency sign goes after the amount.
_LOCALES = {"en": (",", ".", False), "fr": ("\u202f", ",", True), "de": (".", ",", True)}

_PERCENT = re.compile(r"(_pct$|^pct_|percent|share)")
_FRACTION = re.compile(r"(rate$|_rate_|^rate|conversion|probability|^p_|_prob)")
_NOT_MONEY = re.compile(r"(rate|ratio|_pct|share|per_|roas|roi|benefit_cost|count|customers|days)")
_MONEY = re.compile(r"(revenue|monetary|amount|cost|margin|clv|spend|price|basket|budget|_value|"
                    r"^cpa|_cpa|sales|floor|ceiling|gain|profit|ipp|opp|pmc|pme)")


def escape_markdown(value) -> str:
    """`value` as literal text inside Markdown: no link, image, emphasis, heading or HTML.

    Backslash-escapes Markdown's punctuation, writes ``<``, ``>`` and ``&`` as entities and joins
    lines, so a product named ``![x](https://tracker/p.gif)`` or ``<img src=...>`` shows as
    those characters and loads nothing.
    """
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("://", "\\://")  # no bare autolink


@dataclass
class _Settings:
    locale: str = "en"
    currency: str = "€"
    exports: Path | None = None
    max_rows: int = 25
    written: int = 0


#: What :func:`for_people` set for this kernel (read by :func:`table` when no option is given).
settings = _Settings()


def _check_locale(locale: str) -> str:
    if locale not in _LOCALES:
        raise ValueError(f"locale {locale!r} is not known: use one of {', '.join(_LOCALES)}")
    return locale


def column_kind(name, values: pd.Series | None = None) -> str:
    """``percent``, ``fraction``, ``money``, ``count``, ``number``, ``date`` or ``text`` of a column."""
    key = str(name).lower()
    if values is not None:
        if pd.api.types.is_bool_dtype(values) or not (
                pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values)):
            return "date" if pd.api.types.is_datetime64_any_dtype(values) else "text"
        if pd.api.types.is_datetime64_any_dtype(values):
            return "date"
    if _PERCENT.search(key):
        if values is not None and "share" in key and not key.endswith("_pct"):
            finite = pd.to_numeric(values, errors="coerce").dropna()
            return "fraction" if len(finite) and finite.abs().max() <= 1 else "percent"
        return "percent"
    if _FRACTION.search(key):
        finite = pd.to_numeric(values, errors="coerce").dropna() if values is not None else None
        if finite is None or (len(finite) and finite.abs().max() <= 1):
            return "fraction"
    if _MONEY.search(key) and not _NOT_MONEY.search(key):
        return "money"
    if values is not None and pd.api.types.is_integer_dtype(values):
        return "count"
    return "number"


def _digits(value: float) -> int:
    """Decimals giving 2 significant digits under 10, 1 under 100, none above."""
    size = abs(value)
    if size == 0 or size >= 100:
        return 0
    if size >= 10:
        return 1
    if size >= 1:
        return 2
    return min(6, 1 - math.floor(math.log10(size)))


def _number(value: float, decimals: int, locale: str) -> str:
    thousands, mark, _ = _LOCALES[locale]
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", mark).replace("\0", thousands)


def format_value(value, *, kind: str = "number", locale: str | None = None,
                 currency: str | None = None) -> str:
    """One value as a reader expects it.

    Parameters
    ----------
    value : object
        Number, text, date or missing (``None``, NaN, NaT, ``pd.NA``: shown as "–").
    kind : str
        ``percent`` (already in %), ``fraction`` (0-1, shown in %), ``money``, ``count``,
        ``number``, ``date`` or ``text``.
    locale : str, optional
        ``en``, ``fr`` or ``de``; default: the one :func:`for_people` set (``en``).
    currency : str, optional
        Currency sign of money; default: the one :func:`for_people` set (``€``).
    """
    locale = _check_locale(locale or settings.locale)
    currency = settings.currency if currency is None else currency
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value)
                         and pd.isna(value)):
        return MISSING
    if isinstance(value, bool) or hasattr(value, "item") and isinstance(value.item(), bool):
        return "yes" if bool(value) else "no"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else value.strftime(
            "%Y-%m-%d %H:%M")
    if not isinstance(value, int | float) and not hasattr(value, "dtype"):
        return str(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return MISSING if math.isnan(number) else ("∞" if number > 0 else "-∞")
    if kind in ("percent", "fraction"):
        pct = number * 100 if kind == "fraction" else number
        decimals = 1 if abs(pct) < 100 else 0
        return f"{_number(pct, decimals, locale)} %"
    if kind == "money":
        text = _number(abs(number), 0 if abs(number) >= 100 else 2, locale)
        sign = "-" if number < 0 and text.strip("0.,\u202f") else ""
        return f"{sign}{text}\u00a0{currency}" if _LOCALES[locale][2] else f"{sign}{currency}{text}"
    if kind == "count" or (number.is_integer() and abs(number) >= 1000):
        return _number(number, 0, locale)
    if number.is_integer():
        return _number(number, 0, locale)
    return _number(number, _digits(number), locale)


def _meaningful_index(frame: pd.DataFrame) -> bool:
    index = frame.index
    if isinstance(index, pd.RangeIndex) or (index.name is None and pd.api.types.is_integer_dtype(index)
                                            and not isinstance(index, pd.MultiIndex)):
        return False
    return True


def _formatted(frame: pd.DataFrame, locale: str, currency: str) -> pd.DataFrame:
    if _meaningful_index(frame):
        names = [n if n is not None else "" for n in frame.index.names]
        frame = frame.reset_index(names=[n or f"level_{i}" if len(names) > 1 else (n or "")
                                         for i, n in enumerate(names)])
    else:
        frame = frame.reset_index(drop=True)
    columns = [" / ".join(map(str, c)) if isinstance(c, tuple) else str(c) for c in frame.columns]
    out = {}
    for i, name in enumerate(columns):
        values = frame.iloc[:, i]
        kind = column_kind(name, values)
        out[i] = [format_value(v, kind=kind, locale=locale, currency=currency) for v in values]
    shown = pd.DataFrame(out)
    shown.columns = columns
    return shown


class Table:
    """A table as people read it; :meth:`_repr_html_` for notebooks, :meth:`to_frame` for tests."""

    def __init__(self, frame: pd.DataFrame, *, locale: str, currency: str, max_rows: int,
                 exports: Path | None, name: str | None):
        self.frame, self.locale, self.currency = frame, locale, currency
        self.max_rows, self.exports, self.name = max_rows, exports, name

    def to_frame(self) -> pd.DataFrame:
        """The shown rows, every value as the text displayed."""
        return _formatted(self.frame.head(self.max_rows), self.locale, self.currency)

    def _note(self) -> str:
        total = len(self.frame)
        if total <= self.max_rows:
            return ""
        count = format_value(total, kind="count", locale=self.locale)
        note = f"First {self.max_rows} of {count} rows"
        if self.exports is not None:
            settings.written += 1
            stem = self.name or f"table_{settings.written:02d}"
            path = Path(self.exports) / "tables" / f"{stem}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            self.frame.to_csv(path, index=_meaningful_index(self.frame))
            note += f"; the full table is in the exports: tables/{path.name}"
        return f'<p class="crm-table-note"><em>{html.escape(note)}.</em></p>'

    def _repr_html_(self) -> str:
        shown = self.to_frame()
        numeric = [i for i, c in enumerate(self.frame.reset_index(drop=True).columns)
                   if pd.api.types.is_numeric_dtype(self.frame[c])
                   and not pd.api.types.is_bool_dtype(self.frame[c])]
        offset = len(shown.columns) - len(self.frame.columns)
        head = "".join(f"<th>{html.escape(c)}</th>" for c in shown.columns)
        rows = []
        for row in shown.itertuples(index=False):
            cells = "".join(
                f'<td style="text-align: right">{html.escape(v)}</td>' if i - offset in numeric
                else f'<td style="text-align: left">{html.escape(v)}</td>' for i, v in enumerate(row))
            rows.append(f"<tr>{cells}</tr>")
        return (f'<table class="dataframe crm-table"><thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(rows)}</tbody></table>{self._note()}")

    def __repr__(self) -> str:
        return self.to_frame().to_string(index=False)


def table(frame: pd.DataFrame | pd.Series, *, locale: str | None = None,
          currency: str | None = None, max_rows: int | None = None,
          exports: str | Path | None = None, name: str | None = None) -> Table:
    """`frame` formatted for people (see the module); options default to :func:`for_people`'s.

    Parameters
    ----------
    frame : DataFrame or Series
        Never modified.
    max_rows : int, optional
        Rows shown; a longer table says so and is written whole to ``exports/tables/<name>.csv``.
    name : str, optional
        File stem of that CSV (default ``table_NN``).
    """
    if isinstance(frame, pd.Series):
        frame = frame.to_frame(name=frame.name if frame.name is not None else "value")
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"table() shows a DataFrame or Series, not {type(frame).__name__}")
    exports = settings.exports if exports is None else Path(exports)
    return Table(frame, locale=_check_locale(locale or settings.locale),
                 currency=settings.currency if currency is None else currency,
                 max_rows=max_rows or settings.max_rows, exports=exports, name=name)


def figure_label(key) -> str:
    """``response_rate`` as a reader reads it: ``Response rate``."""
    text = re.sub(r"(?<=\d)pct(?=_|$)", " %", str(key)).replace("_", " ").replace(" pct", " %").strip()
    return text[:1].upper() + text[1:]


def figure_text(key, value, *, locale: str | None = None, currency: str | None = None) -> str:
    """One named figure as the tables write it: its kind read from its name (``*_rate`` a
    percentage, ``revenue`` money, an integer a count...); lists and mappings as they print."""
    if isinstance(value, list | tuple | dict):
        return ", ".join(map(str, value.items() if isinstance(value, dict) else value)) or MISSING
    if isinstance(value, int | float) and not isinstance(value, bool):
        kind = column_kind(key, pd.Series([value]))
        return format_value(value, kind=kind, locale=locale, currency=currency)
    return format_value(value, locale=locale, currency=currency)


def figures(mapping, *, locale: str | None = None, currency: str | None = None) -> Table:
    """A mapping of named figures (``{"purchasers": 3999, "gini": 0.693}``) as a two-column
    table for people, each value written by the kind its name says (:func:`figure_text`)."""
    rows = [(figure_label(k), figure_text(k, v, locale=locale, currency=currency))
            for k, v in dict(mapping).items()]
    return table(pd.DataFrame(rows, columns=["Figure", "Value"]), locale=locale, currency=currency)


def full(frame: pd.DataFrame, *, max_rows: int = 500) -> Table:
    """Display every row of `frame` (up to `max_rows`), formatted as :func:`table` does."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"full() shows a DataFrame, not {type(frame).__name__}")
    return table(frame, max_rows=max_rows)


def for_people(*, locale: str = "en", currency: str = "€", exports: str | Path | None = None,
               max_rows: int = 25) -> None:
    """Show every DataFrame and Series of this notebook through :func:`table`.

    Sets the defaults of :func:`table` and :func:`format_value` and, in an IPython kernel,
    registers them as the HTML display of pandas objects (plain-text display is unchanged).

    Parameters
    ----------
    locale : str
        ``en`` (``€1,752,772``), ``fr`` (``1 752 772 €``) or ``de`` (``1.752.772 €``).
    currency : str
        Currency sign of money columns.
    exports : str or Path, optional
        Folder where a table cut to ``max_rows`` is written whole (``tables/table_NN.csv``).
    """
    settings.locale, settings.currency = _check_locale(locale), currency
    settings.exports = Path(exports) if exports else None
    settings.max_rows = max_rows
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["text/html"]
    formatter.for_type(pd.DataFrame, lambda f: table(f)._repr_html_())
    formatter.for_type(pd.Series, lambda s: table(s)._repr_html_())
