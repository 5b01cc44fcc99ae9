"""Write result tables where the CRM (or a spreadsheet) can pick them up, safely.

Every CSV the project writes goes through :func:`write_csv`:

- **No formula leaves in an export** (OWASP's CSV-injection rule): a text cell that starts with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'`` so that a
  spreadsheet shows it as text instead of running it (``=HYPERLINK(...)`` becomes
  ``'=HYPERLINK(...)``). Numbers, dates and yes/no columns are untouched, and so is a text cell
  that is a plain number (``-12.5``). ``neutralise=False`` writes the cells as they are (for a
  program that reads the file back, never for a file opened in a spreadsheet).
- **No cell split into rows**: records end with CRLF (RFC 4180), so a text cell holding a line
  break is quoted, and the text after the break cannot start a row of its own.
- **No half-written file**: each file is written under a temporary name beside its target and
  renamed when complete (:func:`atomic_path`), so a killed run or a full disk leaves the previous
  file, or none, never a truncated one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from pathlib import Path

import pandas as pd

__all__ = ["write_tables", "write_csv", "neutralise_formulas", "atomic_path", "FORMULA_PREFIXES"]

log = logging.getLogger(__name__)

#: A text cell starting with one of these is read as a formula by spreadsheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def _neutral(value):
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells cannot be read as spreadsheet formulas (see the module).

    Column names are text cells too and are neutralised the same way.
    """
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(object)
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            out[col] = s.map(_neutral, na_action="ignore")
    out.columns = [_neutral(c) for c in out.columns]
    return out


@contextlib.contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside `path`; rename it to `path` when the block ends without error.

    On any error (disk full, read-only folder, interrupted run) the temporary file is removed and
    the error raised again: `path` is either the complete new file or what it was before.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name[:200]}.{os.getpid()}.part")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_csv(frame: pd.DataFrame, path: str | Path, *, neutralise: bool = True, bom: bool = True,
              **options) -> Path:
    """Write `frame` to `path` as CSV, formulas neutralised and atomically (see the module).

    `bom` writes UTF-8 with a byte-order mark (so that a spreadsheet shows accents right);
    other `options` go to :meth:`pandas.DataFrame.to_csv` (``date_format``, ``float_format``...).
    """
    path = Path(path)
    out = neutralise_formulas(frame) if neutralise else frame
    with atomic_path(path) as tmp:
        # CRLF ends records (RFC 4180), so a cell holding a bare CR or LF is quoted: unquoted, a
        # spreadsheet would start a new row there, and "\r=1+1" would become a formula
        out.to_csv(tmp, index=False, encoding="utf-8-sig" if bom else "utf-8",
                   lineterminator="\r\n", **options)
    return path


def write_tables(output_dir: str | Path, *, prefix: str = "", neutralise: bool = True,
                 **tables: pd.DataFrame) -> list[Path]:
    """Write each table as ``<prefix><name>.csv`` in `output_dir` (created if needed).

    UTF-8 with a byte-order mark, formulas neutralised unless ``neutralise=False``, each file
    written under a temporary name and renamed when complete. Returns the paths written, in the
    order given.
    """
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in tables.items():
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"table {name!r} is a {type(frame).__name__}, not a DataFrame")
        paths.append(write_csv(frame, out / f"{prefix}{name}.csv", neutralise=neutralise))
    log.info("wrote %s", ", ".join(p.name for p in paths))
    return paths
