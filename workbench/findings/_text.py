"""Figures inside sentences, written as the report's tables write them."""

from __future__ import annotations

from workbench.display import format_value


class Writer:
    """Formats money, percentages and counts for one locale and currency."""

    def __init__(self, *, locale: str, currency: str):
        self.locale, self.currency = locale, currency

    def money(self, value) -> str:
        return format_value(value, kind="money", locale=self.locale, currency=self.currency)

    def pct(self, value) -> str:
        """`value` already in percent (47.2 -> "47.2 %")."""
        return format_value(value, kind="percent", locale=self.locale)

    def fraction(self, value) -> str:
        """`value` a share (0.472 -> "47.2 %")."""
        return format_value(value, kind="fraction", locale=self.locale)

    def share(self, part, whole) -> str:
        """`part` of `whole` in percent, never rounded to "100.0 %" or "0.0 %" when it is not
        all or nothing (14 rejects in 93,812 rows are not "100.0 %" accepted)."""
        if not whole:
            return self.fraction(None)
        if 0 < part < whole and part / whole >= 0.9995:  # would be written 100.0 %
            return "over " + self.fraction(0.999)
        if 0 < part < whole and part / whole < 0.0005:  # would be written 0.0 %
            return "under " + self.fraction(0.001)
        return self.fraction(part / whole)

    def count(self, value) -> str:
        return format_value(value, kind="count", locale=self.locale)

    def number(self, value) -> str:
        return format_value(value, kind="number", locale=self.locale)


def plural(n: int, word: str, words: str | None = None) -> str:
    return word if n == 1 else (words or word + "s")


class Findings(list):
    """Sentences, plus the report's two or three headline figures for the run's index.

    ``headlines`` maps a label to ``{"value": number, "kind": kind}`` (a kind of
    :func:`workbench.display.format_value`: count, money, percent, fraction, number).
    """

    def __init__(self, sentences, headlines: dict | None = None):
        super().__init__(sentences)
        self.headlines = {label: {"value": _plain(value), "kind": kind}
                          for label, (value, kind) in (headlines or {}).items()}


def _plain(value):
    """A headline value as JSON holds it: a float or int, or None when missing."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number != number:  # NaN
        return None
    return int(number) if number.is_integer() and abs(number) < 2**53 else round(number, 6)
