"""CSV and text files read in pandas, every value as text: the reference reader.

The engine reads the same files with DuckDB (:mod:`workbench.data.engine_text`); files it
does not take (other encodings than UTF-8, runs of whitespace as separator, ragged rows,
duplicated or blank header names, blank lines, quoted fields spanning lines) are read here.

What a file does wrong costs the rows that do it, not the file: a row with fewer values than
the header has, or more, and a row whose two columns of the same header name disagree, are
rejected with their reason (``RawTable.problems``). Line numbers stay exact when a quoted
field spans lines. Only an empty file or an unusable header is fatal.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.data.sources import (
    WHITESPACE,
    RawTable,
    SourceError,
    _drop_blank,
    _drop_unnamed_empty,
    _open_text,
)
from workbench.data.text_scan import scan_text

__all__ = ["read_text", "sniff_sep", "header_names"]

log = logging.getLogger(__name__)

_EXTRA = "__extra_{}"
_RAW_PROBLEMS = ["record", "column", "value", "rule", "reason"]


def sniff_sep(first_line: str) -> str:
    counts = {s: first_line.count(s) for s in (";", "\t", "|", ",")}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else WHITESPACE


def header_names(line: str, sep: str) -> list[str]:
    """The column names of a header line, stripped; a blank one is named ``Unnamed: i`` (as pandas does)."""
    if sep == WHITESPACE:
        fields = line.split()
    else:
        fields = next(csv.reader(io.StringIO(line), delimiter=sep, quotechar='"', skipinitialspace=True), [])
    return [f.strip() or f"Unnamed: {i}" for i, f in enumerate(fields)]


def first_lines(path: Path, encoding: str, n: int) -> list[str]:
    with _open_text(path, encoding) as fh:
        return [fh.readline() for _ in range(n)]


def read_text(path: Path, *, sep, encoding, header, names, skiprows) -> RawTable:
    try:
        scan = scan_text(path, encoding=encoding, error=SourceError)
        lines = first_lines(path, scan.encoding, skiprows + 1)
    except LookupError:
        raise SourceError(f"{path.name}: unknown encoding {encoding!r} (try utf-8, cp1252 or latin-1)") from None
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path.name}: not readable as {encoding or 'its byte-order mark says'} "
                          f"({exc.reason} at byte {exc.start}); remove the encoding from the mapping to "
                          "detect it, or name the right one") from None
    if scan.note:
        log.warning("%s", scan.note)
    first = lines[-1]
    if not first.strip():
        raise SourceError(f"{path.name}: the file is empty (no header line at line {skiprows + 1})")
    sep = sep or sniff_sep(first)
    columns = list(names) if names else (header_names(first, sep) if header else None)
    if columns is None:  # no header and no names: as many columns as the first line has
        columns = [str(i) for i in range(len(header_names(first, sep)))]
    skip = skiprows + (1 if header else 0)
    starts, widths = _shape(path, scan.encoding, sep, skip)
    frame, problems = _read_frame(path, scan.encoding, sep, columns, skip, widths)
    first_line = skiprows + (2 if header else 1)
    record_lines = None
    if starts is not None and len(starts) == len(frame):
        record_lines = None if scan.lines == skip + len(frame) else starts
    elif starts is not None:
        log.info("%s: %d records but %d read by line; line numbers may be off", path.name, len(frame), len(starts))
    frame, problems = _duplicated(frame, columns, problems, path.name)
    kept = _drop_unnamed_empty(frame)
    frame, kept_lines, blank = _drop_blank(kept, first_line, record_lines)
    if blank and len(problems):  # records were renumbered: follow them
        index = np.flatnonzero(~kept.isna().all(axis=1).to_numpy())
        renumber = pd.Series(np.arange(1, len(index) + 1), index=index + 1)
        problems = problems[problems["record"].isin(renumber.index)]
        problems["record"] = renumber.loc[problems["record"]].to_numpy()
    dialect = {"format": "text", "sep": sep, "encoding": scan.encoding}
    raw = RawTable(frame, path.name, first_line, dialect, lines=kept_lines, blank=blank)
    raw.problems = problems.reset_index(drop=True)
    raw.notes = [scan.note] if scan.note else []
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if twice:
        raw.notes.append(f"{path.name}: {', '.join(map(repr, twice))} appear(s) twice in the header; the "
                         "first column is read, a row where the other disagrees is rejected")
    return raw


def _read_frame(path, encoding, sep, columns, skip, widths) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Records as text with one spare column per extra value; short and long rows as problems."""
    n_extra = max(1, int(widths.max()) - len(columns)) if widths is not None and len(widths) else 1
    for _ in range(6):
        names = [*_unique(columns), *(_EXTRA.format(i) for i in range(n_extra))]
        kwargs = dict(dtype=str, keep_default_na=False, encoding=encoding, skiprows=skip, header=None,
                      names=names, index_col=False, skip_blank_lines=False, skipinitialspace=True)
        if sep == WHITESPACE:
            kwargs["sep"] = r"\s+"
        else:
            kwargs.update(sep=sep, quotechar='"', quoting=csv.QUOTE_MINIMAL)
        try:
            frame = pd.read_csv(path, **kwargs)
            break
        except pd.errors.ParserError as exc:
            saw = re.search(r"saw (\d+)", str(exc))
            if not saw:
                raise SourceError(f"{path.name}: cannot be read as a {sep!r}-separated file: {exc}") from None
            n_extra = int(saw.group(1)) - len(columns)
        except ValueError as exc:
            raise SourceError(f"{path.name}: cannot be read as a {sep!r}-separated file: {exc}") from None
        except UnicodeDecodeError as exc:
            raise SourceError(f"{path.name}: not readable as {encoding} ({exc.reason}); name the encoding "
                              "in the mapping (utf-8, cp1252, latin-1...)") from None
    else:
        raise SourceError(f"{path.name}: rows of very different lengths; check the separator ({sep!r})")
    extra = [c for c in frame.columns if c.startswith("__extra_")]
    frame = frame.where(frame != "")
    blank = frame.isna().all(axis=1).to_numpy()
    long = frame[extra].notna().any(axis=1).to_numpy()
    short = np.zeros(len(frame), bool)
    if widths is not None and len(widths) == len(frame):
        short = (widths < len(columns)) & (widths > 0) & ~blank
    problems = [_row_problems(frame, long, columns, extra, "long row", widths),
                _row_problems(frame, short, columns, extra, "short row", widths)]
    frame = frame.drop(columns=extra)
    return frame, pd.concat([p for p in problems if len(p)] or [pd.DataFrame(columns=_RAW_PROBLEMS)],
                            ignore_index=True)


def _row_problems(frame, mask, columns, extra, rule, widths) -> pd.DataFrame:
    rows = np.flatnonzero(mask)
    if not len(rows):
        return pd.DataFrame(columns=_RAW_PROBLEMS)
    out = []
    for i in rows:
        if rule == "long row":
            values = [v for v in frame.iloc[i][extra] if isinstance(v, str) and v != ""]
            out.append([i + 1, columns[-1], values[0], rule,
                        f"the row has more values than the header's {len(columns)} columns; without a column: "
                        f"{', '.join(repr(v) for v in values[:3])}"])
        else:
            n = int(widths[i])
            out.append([i + 1, columns[n], "", rule, f"the row has {n} value(s) where the header has "
                        f"{len(columns)} columns: {', '.join(columns[n:][:3])} missing"])
    return pd.DataFrame(out, columns=_RAW_PROBLEMS)


def _unique(columns: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for c in columns:
        seen[c] = seen.get(c, 0) + 1
        out.append(c if seen[c] == 1 else f"{c} ({seen[c]})")
    return out


def _duplicated(frame, columns, problems, file) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A name twice in the header: the first column is read; a row where the other disagrees is rejected."""
    unique = _unique(columns)
    extra = []
    for name, copy in zip(columns, unique, strict=True):
        if copy == name:
            continue
        a, b = frame[name], frame[copy]
        differ = (b.notna() & a.notna() & (a.str.strip() != b.str.strip())).to_numpy()
        for i in np.flatnonzero(differ):
            extra.append([i + 1, name, b.iloc[i], "duplicated column",
                          f"column {name!r} appears twice in the header, with {a.iloc[i]!r} and {b.iloc[i]!r} "
                          "on this row"])
        frame[name] = a.fillna(b)
        frame = frame.drop(columns=copy)
    if extra:
        problems = pd.concat([problems, pd.DataFrame(extra, columns=_RAW_PROBLEMS)], ignore_index=True)
    return frame, problems


def _shape(path, encoding, sep, skip) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The first line and the number of values of every record, as Python's csv module reads them."""
    if sep == WHITESPACE:
        with _open_text(path, encoding) as fh:
            widths = [len(line.split()) for line in fh][skip:]
        return None, np.asarray(widths, dtype="int64")
    starts, widths, line = [], [], 0
    try:
        with _open_text(path, encoding) as fh:
            reader = csv.reader(fh, delimiter=sep, quotechar='"', skipinitialspace=True)
            for row in reader:
                starts.append(line + 1)
                widths.append(len(row))
                line = reader.line_num
    except csv.Error as exc:  # a NUL byte, a quote left open: pandas decides, line numbers may be off
        log.info("%s: %s", path.name, exc)
        return None, None
    return np.asarray(starts[skip:], dtype="int64"), np.asarray(widths[skip:], dtype="int64")
