"""Show tables whole in notebooks and reports, without touching global pandas options."""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["full", "escape_markdown"]

#: Markdown's inline punctuation (links, images, emphasis, code, tables, strikethrough); block
#: markers (#, -, 1.) only act at the start of a line, and the text is always put after one.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]()!|~$])")


def escape_markdown(value) -> str:
    """`value` as literal text inside Markdown: no link, image, emphasis, heading or HTML.

    Backslash-escapes Markdown's punctuation, writes ``<``, ``>`` and ``&`` as entities and joins
    lines, so a product named ``![x](https://tracker/p.gif)`` or ``<img src=...>`` shows as
    those characters and loads nothing.
    """
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("://", "\\://")  # no bare autolink


class _FullTable:
    def __init__(self, frame: pd.DataFrame, max_rows: int):
        self.frame, self.max_rows = frame, max_rows

    def _repr_html_(self) -> str:
        shown = self.frame.head(self.max_rows)
        note = "" if len(self.frame) <= self.max_rows else (
            f"<p>first {self.max_rows} of {len(self.frame)} rows</p>")
        return shown.to_html(escape=True, na_rep="", max_rows=None, max_cols=None) + note

    def __repr__(self) -> str:
        with pd.option_context("display.max_rows", self.max_rows, "display.max_columns", None):
            return repr(self.frame)


def full(frame: pd.DataFrame, *, max_rows: int = 500) -> _FullTable:
    """Display every row of `frame` (up to `max_rows`), values escaped, empty cells blank."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"full() shows a DataFrame, not {type(frame).__name__}")
    return _FullTable(frame, max_rows)
