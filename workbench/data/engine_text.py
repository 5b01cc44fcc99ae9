"""CSV and text files read by DuckDB into one table, and parsed by the contract's rules in SQL.

:func:`materialise` reads the file once, with ``read_csv`` (every value as text, the dialect the
reference reader's sniffing decides: separator, quote, encoding, header) into one temporary
table, each value as the reference reader gives it (spaces after a separator skipped, empty
as missing), and the row number its ``rowid`` keeps; a file in another encoding (cp1252,
latin-1, UTF-16...) is first copied as UTF-8 to a temporary file, deleted once read. It
declines (returns None, with a log line) what the reference reader (:mod:`workbench.data.text`)
does better: bytes that do not decode, runs of whitespace as separator, duplicated or blank
header names, ragged rows (DuckDB's strict reading fails on them), blank lines and quoted fields
spanning lines (records and lines no longer match one to one, so line numbers need the
reference reader's count).

:class:`TextColumns` writes the parsing rules of :mod:`workbench.data.parsing` as SQL:
numbers (currency signs and spaces removed, strict decimal comma or point with grouping,
trailing minus, parentheses, the convention chosen per column by counts with the same
tie-break and ambiguity warning), yes/no words, trimmed text and allowed values. Dates are
read by the reference parser itself, once per distinct value (a column of 11M order dates
holds a few thousand), choosing the format on the same sample, and joined back in the
engine: formats such as ``ISO8601`` with offsets or day-first variants then read exactly as
in pandas, which hand-written ``strptime`` patterns would only approximate.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from workbench.data.parsing import (
    _BLANKS,
    _FALSE,
    _NOISE,
    _NUMBER,
    _POINT_NAME,
    _TRUE,
    Dialect,
    choose_decimal,
    date_plan,
    read_dates,
    strict_decimal,
    warn_ambiguous,
)
from workbench.data.sources import WHITESPACE
from workbench.data.text import first_lines, header_names, sniff_sep
from workbench.data.text_scan import scan_text

__all__ = ["TextColumns", "materialise"]

log = logging.getLogger(__name__)

#: What Python's str.strip() strips (the reference trims so).
_SPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
          "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


_MAX_COLUMNS = 200


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _strip(expr: str) -> str:
    # trim(x, characters) is slow with this many characters: only values with a space at an end pay it
    return (f"NULLIF(CASE WHEN regexp_matches({expr}, '^[{_SPACE}]|[{_SPACE}]$') THEN trim({expr}, {_lit(_SPACE)}) "
            f"ELSE {expr} END, '')")


def materialise(con, relation: str, path: Path, *, sep=None, encoding=None, header=True, names=None,
                skiprows=0, **_) -> tuple[str, str, int, list[str]] | None:
    """Read `path` into the temp table `relation`: (its SQL with ``__row``, separator, line of the first
    record, notes), or None to decline. A file in another encoding is read from a UTF-8 copy."""
    import duckdb

    from workbench.data.sources import SourceError

    try:
        scan = scan_text(path, encoding=encoding, error=SourceError)
        first = first_lines(path, scan.encoding, skiprows + 1)[-1]
    except (SourceError, LookupError, UnicodeDecodeError, OSError):
        return _decline(path, "its encoding needs the reference reader's message")
    if not first.strip():
        return _decline(path, "no header line")
    sep = sep or sniff_sep(first)
    columns = list(names) if names else header_names(first, sep) if header else None
    if sep == WHITESPACE or not columns:
        return _decline(path, "whitespace-separated")
    if len(columns) > _MAX_COLUMNS:  # a contract table has a few dozen: binding thousands takes DuckDB long
        return _decline(path, f"{len(columns)} columns")
    if len(set(columns)) < len(columns) or any(c.startswith("Unnamed: ") for c in columns):
        return _decline(path, "duplicated or blank header names")
    select = ", ".join(f"NULLIF(ltrim({_q(f'c{i}')}, ' '), '') AS {_q(c)}" for i, c in enumerate(columns))
    spec = "{" + ", ".join(f"{_lit(f'c{i}')}: 'VARCHAR'" for i in range(len(columns))) + "}"
    skip = skiprows + (1 if header else 0)
    utf8 = scan.encoding in ("utf-8-sig", "utf-8", "utf8")
    copy = path if utf8 else _utf8_copy(path, scan.encoding)
    if copy is None:
        return _decline(path, f"not readable as {scan.encoding}")
    read = (f"read_csv({_lit(str(copy.resolve()))}, delim={_lit(sep)}, quote='\"', escape='\"', "
            f"header=false, skip={skip}, columns={spec}, auto_detect=false, strict_mode=true, "
            "null_padding=false, encoding='utf-8')")
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {relation} AS SELECT {select} FROM {read}")
    except duckdb.Error as exc:
        return _decline(path, str(exc).splitlines()[0])
    finally:
        if not utf8:
            copy.unlink(missing_ok=True)
    n = con.execute(f"SELECT count(*) FROM {relation}").fetchall()[0][0]
    if scan.lines != skip + n:
        con.execute(f"DROP TABLE {relation}")
        return _decline(path, f"{scan.lines} lines for {n} records (blank lines or quoted line breaks)")
    log.info("%s: read by DuckDB into one table (%d records, separator %r, %s)", path.name, n, sep, scan.encoding)
    if scan.note:
        log.warning("%s", scan.note)
    return f"SELECT *, rowid + 1 AS __row FROM {relation}", sep, skip + 1, [scan.note] if scan.note else []


def _utf8_copy(path: Path, encoding: str) -> Path | None:
    """The text of `path` (cp1252, latin-1, UTF-16...) as a temporary UTF-8 file DuckDB reads; None
    when it does not decode (the reference reader then says where)."""
    import shutil
    import tempfile

    from workbench.data.sources import _open_text

    handle, name = tempfile.mkstemp(prefix="workbench-", suffix=".csv")
    copy = Path(name)
    try:
        with _open_text(path, encoding) as src, open(handle, "w", encoding="utf-8", newline="") as dst:
            shutil.copyfileobj(src, dst, 1 << 22)
    except (UnicodeError, LookupError):
        copy.unlink(missing_ok=True)
        return None
    except BaseException:
        copy.unlink(missing_ok=True)
        raise
    return copy


def _decline(path: Path, why: str) -> None:
    log.info("%s: read and parsed in pandas, not in the engine: %s", path.name, why)
    return None


class TextColumns:
    """The SQL that parses each text column of a relation to its contract type."""

    def __init__(self, con, source_sql: str, tag: str, dialect: Dialect) -> None:
        self.con, self.source_sql, self.tag, self.dialect = con, source_sql, tag, dialect
        self.layers: list[str] = []  # extra select items on the source: parsed helpers
        self.joins: list[str] = []
        self.expected: dict[str, str] = {}
        self.stats: dict[str, tuple] = {}

    def relation(self) -> str:
        """The source with the helper columns the column expressions use."""
        extra = "".join(f", {x}" for x in self.layers)
        return f"SELECT r.*{extra} FROM ({self.source_sql}) r{''.join(self.joins)}"

    def _wrap(self, *layers: str) -> None:
        """Add helper columns, computed once per row, that the next ones (and the typed columns) read."""
        self.layers.extend(layers)
        self.source_sql, self.layers, self.joins = self.relation(), [], []

    def column(self, name: str, src: str, dtype: str, allowed) -> tuple[str, str | None] | None:
        c = f"r.{_q(src)}"
        if dtype == "string":
            expr = _strip(c)
            if allowed:
                cases = " ".join(f"WHEN {_lit(a.lower())} THEN {_lit(a)}" for a in allowed)
                expr = f"CASE lower({expr}) {cases} ELSE {expr} END"
            return expr, None
        if dtype == "bool":
            w = _q(f"__bool_{name}")
            self._wrap(f"lower({_strip(c)}) AS {w}")
            value = (f"CASE WHEN r.{w} IN ({', '.join(map(_lit, sorted(_TRUE)))}) THEN true "
                     f"WHEN r.{w} IN ({', '.join(map(_lit, sorted(_FALSE)))}) THEN false END")
            self.expected[name] = "yes/no (1/0, true/false, oui/non)"
            return value, f"(r.{w} IS NOT NULL AND ({value}) IS NULL)"
        if dtype in ("float", "int"):
            return self._number(name, c, dtype == "int")
        if dtype in ("date", "datetime"):
            return self._date(name, c, dtype == "datetime")
        return None

    def prepare(self, columns: dict[str, tuple[str, str]]) -> None:
        """Helper columns of every number column, and one scan counting how each convention reads them."""
        numbers = {n: f"r.{_q(src)}" for n, (src, dtype) in columns.items() if dtype in ("float", "int")}
        if not numbers:
            return
        d = self.dialect
        text = {}
        for name, c in numbers.items():
            text[name] = f"regexp_replace({c}, {_lit(_NOISE)}, '', 'g')"
            if d.thousands and d.thousands not in ".," + _BLANKS + "'":
                text[name] = f"replace({text[name]}, {_lit(d.thousands)}, '')"
        self._wrap(*(x for name, c in numbers.items() for x in (
            f"NULLIF({text[name]}, '') AS {_q('__clean_' + name)}",
            f"coalesce({text[name]} = '' AND NOT regexp_full_match({c}, '[{_BLANKS}]*'), false) AS "
            f"{_q('__blank_' + name)}")))
        # signs normalised: (12,50) and 12,50- are -12,50
        x = {n: f"r.{_q('__clean_' + n)}" for n in numbers}
        self._wrap(*(f"CASE WHEN starts_with({x[n]}, '(') AND ends_with({x[n]}, ')') THEN '-' || substr({x[n]}, 2, "
                     f"length({x[n]}) - 2) ELSE {x[n]} END AS {_q('__paren_' + n)}" for n in numbers))
        p = {n: f"r.{_q('__paren_' + n)}" for n in numbers}
        self._wrap(*(f"CASE WHEN ends_with({p[n]}, '-') AND NOT regexp_matches({p[n]}, '^[+-]') THEN '-' || "
                     f"substr({p[n]}, 1, length({p[n]}) - 1) ELSE {p[n]} END AS {_q('__num_' + n)}" for n in numbers))
        self._wrap(*(f"regexp_full_match(r.{_q('__num_' + n)}, {_lit(_NUMBER[k])}) AS {_q(f'__ok{k}{n}')}"
                     for n in numbers for k in ",."))
        parts = []
        for n in numbers:
            s, okc, okp = (f"r.{_q(f'__{k}{n}')}" for k in ("num_", "ok,", "ok."))
            parts.append(f"count(*) FILTER ({okc}), count(*) FILTER ({okp}), arg_min({s}, __row) FILTER "
                         f"({okc} AND {okp} AND regexp_matches({s}, '[.,]')), count(*) FILTER (NOT {okc} AND "
                         f"{okp}), count(*) FILTER (NOT {okp} AND {okc})")
        row = self.con.execute(f"SELECT {', '.join(parts)} FROM ({self.relation()}) r").fetchall()[0]
        self.stats = {n: row[5 * i:5 * i + 5] for i, n in enumerate(numbers)}

    def _number(self, name: str, c: str, integer: bool):
        d = self.dialect
        s = f"r.{_q('__num_' + name)}"
        ok = {k: f"r.{_q(f'__ok{k}{name}')}" for k in ",."}
        strict = strict_decimal(d)
        n_c, n_p, example, bad_c, bad_p = self.stats[name]
        decimal = choose_decimal(strict=strict, n_comma=n_c, n_point=n_p, hint=d.decimal_hint)
        if not strict and n_c == n_p and example is not None:
            warn_ambiguous(name, example, decimal)
        expected = "a whole number" if integer else "a number"
        if (bad_c if decimal == "," else bad_p):
            expected += (f" with a {_POINT_NAME[decimal]} (as the mapping says)" if strict
                         else f" ({_POINT_NAME[decimal]})")
        self.expected[name] = expected
        digits = f"replace({s}, '.', '')" if decimal == "," else f"replace({s}, ',', '')"
        if decimal == ",":
            digits = f"replace({digits}, ',', '.')"
        self._wrap(f"CASE WHEN {ok[decimal]} THEN TRY_CAST({digits} AS DOUBLE) END AS {_q('__val_' + name)}")
        v = f"r.{_q('__val_' + name)}"
        bad = f"(r.{_q('__blank_' + name)} OR ({s} IS NOT NULL AND ({v} IS NULL OR isinf({v}))))"
        if integer:
            bad = f"({bad} OR {v} % 1 <> 0 OR abs({v}) >= 9223372036854775808.0)"
            return f"CASE WHEN NOT {bad} THEN CAST(round({v}) AS BIGINT) END", f"coalesce({bad}, false)"
        return f"CASE WHEN NOT {bad} THEN {v} END", f"coalesce({bad}, false)"

    def _date(self, name: str, c: str, datetime: bool):
        v = _q(f"__dv_{name}")
        self._wrap(f"{_strip(c)} AS {v}")
        rel = self.relation()
        n = self.con.execute(f"SELECT count({v}) FROM ({rel})").fetchall()[0][0]
        step = max(1, n // 2000)
        # every step-th non-empty value in file order, as the reference samples; without empty
        # values (the usual case) those are rows 1, 1 + step... and no sort over the file is needed
        full = n == self.con.execute(f"SELECT count(*) FROM ({rel})").fetchall()[0][0]
        numbered = (f"SELECT {v} AS v, __row AS rn FROM ({rel}) WHERE __row <= {2000 * step}" if full else
                    f"SELECT {v} AS v, row_number() OVER (ORDER BY __row) AS rn FROM ({rel}) WHERE {v} IS NOT NULL")
        sample = self.con.execute(
            f"SELECT v FROM ({numbered}) WHERE (rn - 1) % {step} = 0 ORDER BY rn LIMIT 2000").fetchall()
        formats, self.expected[name], _ = date_plan(pd.Series([r[0] for r in sample], dtype="str"),
                                                    datetime=datetime, dialect=self.dialect)
        values = pd.Series([r[0] for r in self.con.execute(
            f"SELECT DISTINCT {v} FROM ({rel}) WHERE {v} IS NOT NULL").fetchall()], dtype="str")
        parsed = read_dates(values, formats)
        if not datetime:
            parsed = parsed.dt.normalize()
        table = _q(f"__dates_{self.tag}_{name}")
        self.con.register("__dates_frame", pd.DataFrame({"v": values.astype(object), "ts": parsed}))
        try:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM __dates_frame")
        finally:
            self.con.unregister("__dates_frame")
        alias = _q(f"__d_{name}")
        self._wrap()
        self.joins = [f" LEFT JOIN {table} {alias} ON r.{v} = {alias}.v"]
        self._wrap(f"{alias}.ts AS {_q('__date_' + name)}")
        ts = _q(f"__date_{name}")
        return f"r.{ts}", f"(r.{v} IS NOT NULL AND r.{ts} IS NULL)"
