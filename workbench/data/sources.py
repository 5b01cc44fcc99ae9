"""Read CRM exports as they come: CSV dialects, Excel, Parquet, DuckDB databases.

Text files are read with every value as a string, so that the contract's parser (not
pandas' guesses) decides what a number or a date is, and so that a rejected value can be
shown exactly as the file holds it. Parquet and DuckDB keep their own types.
"""

from __future__ import annotations

import gzip
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.data.contract import TABLE_ORDER
from workbench.data.limits import check_workbook

__all__ = ["RawTable", "SourceError", "TEXT_SUFFIXES", "find_table_files", "read_raw"]

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
TABLE_SUFFIXES = (*TEXT_SUFFIXES, *EXCEL_SUFFIXES, ".parquet", ".pq")
DUCKDB_SUFFIXES = (".duckdb", ".ddb", ".db")
WHITESPACE = "whitespace"


class SourceError(ValueError):
    """A source cannot be read at all (fatal): the message names the file and the fix."""


@dataclass
class RawTable:
    """A table as read, before mapping and parsing.

    ``frame`` holds strings for text and Excel files; ``first_line`` is the file line of
    the first data record (so record ``i`` (0-based) sits at line ``first_line + i``),
    or None for sources without lines (Parquet, DuckDB).
    """

    frame: pd.DataFrame
    file: str
    first_line: int | None
    dialect: dict = field(default_factory=dict)
    typed: bool = False
    #: The file line of each record, when blank lines were skipped (else first_line + i).
    lines: np.ndarray | None = None
    #: Blank lines (or rows of empty cells) left out: they hold no record.
    blank: int = 0
    #: Problems of the reading itself (short and long rows...): record (1-based), column, value, rule, reason.
    problems: pd.DataFrame | None = None
    #: What a person should know about the reading (an encoding guessed...), shown with the reconciliation.
    notes: list[str] = field(default_factory=list)

    def line_of(self, records: np.ndarray) -> np.ndarray | None:
        """File line of each record number (1-based), or None for sources without lines."""
        if self.first_line is None:
            return None
        if self.lines is not None:
            return self.lines[np.asarray(records) - 1]
        return np.asarray(records) - 1 + self.first_line


def inner_suffix(path: Path) -> str:
    """The format a file holds: ``orders.csv.gz`` holds CSV (``.csv``), ``orders.csv`` too."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        return suffixes[-2] if len(suffixes) > 1 else ""
    return path.suffix.lower()


def table_stem(path: Path) -> str:
    """The table a file is named after: ``orders.csv.gz`` and ``orders.csv`` hold ``orders``."""
    name = path.name[:-3] if path.name.lower().endswith(".gz") else path.name
    return Path(name).stem.lower()


def _open_text(path: Path, encoding: str):
    """A text file, or the text inside a gzip-compressed one, opened for reading."""
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding=encoding, newline="")
    return path.open(encoding=encoding, newline="")


def find_table_files(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """Map contract table names to files named after them in `folder`.

    Returns ``(found, ignored)``: files that match no table are listed, never silently skipped.
    """
    found: dict[str, Path] = {}
    ignored: list[str] = []
    for path in sorted(folder.iterdir()):
        if path.is_dir() or path.name.startswith(".") or inner_suffix(path) not in TABLE_SUFFIXES:
            if path.is_file() and not path.name.startswith("."):
                ignored.append(path.name)
            continue
        name = table_stem(path)
        if name in TABLE_ORDER:
            if name in found:
                raise SourceError(
                    f"{folder}: two files for table {name!r}: {found[name].name} and {path.name}; "
                    "keep one, or name the file to use in a mapping"
                )
            found[name] = path
        else:
            ignored.append(path.name)
    return found, ignored


def read_raw(
    path: str | Path,
    *,
    sep: str | None = None,
    encoding: str | None = None,
    header: bool = True,
    names: list[str] | None = None,
    skiprows: int = 0,
    sheet: str | int | None = None,
    table: str | None = None,
) -> RawTable:
    """Read one table from a file.

    Parameters
    ----------
    path
        A ``.csv``/``.txt``/``.tsv``, Excel, Parquet or DuckDB file.
    sep
        Field separator; ``None`` sniffs it from the first line among ``;`` ``,`` tab and
        ``|``, falling back to runs of whitespace. ``"whitespace"`` forces the latter.
    encoding
        ``None`` detects it (:mod:`workbench.data.text_scan`): a byte-order mark (UTF-8, -16,
        -32), else UTF-8, else cp1252 with a note; a file mixing UTF-8 and other bytes is refused.
    header, names, skiprows
        Whether the first (non-skipped) line names the columns; names to use otherwise.
    sheet
        Excel sheet (name or index); the first sheet by default.
    table
        Table name inside a DuckDB database file.
    """
    path = Path(path)
    if not path.exists():
        raise SourceError(f"{path}: file not found")
    suffix = inner_suffix(path)
    if path.name.lower().endswith(".gz") and suffix not in TEXT_SUFFIXES:
        raise SourceError(f"{path.name}: a compressed file must hold CSV or text (.csv.gz, .txt.gz); "
                          "decompress it, or export it as CSV")
    if path.name.lower().endswith(".gz"):
        try:
            with gzip.open(path) as fh:
                fh.read(1)
        except (OSError, EOFError) as exc:
            raise SourceError(f"{path.name}: not a readable gzip file ({exc})") from None
    if suffix in (".parquet", ".pq"):
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for corrupt files
            raise SourceError(f"{path.name}: not a readable Parquet file ({exc})") from exc
        return RawTable(frame, path.name, None, {"format": "parquet"}, typed=True)
    if suffix in DUCKDB_SUFFIXES:
        return _read_duckdb(path, table)
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path, sheet=sheet, header=header, names=names, skiprows=skiprows)
    if suffix in TEXT_SUFFIXES or suffix == "":
        from workbench.data.text import read_text

        return read_text(path, sep=sep, encoding=encoding, header=header, names=names, skiprows=skiprows)
    raise SourceError(
        f"{path.name}: unsupported file type {suffix!r}; use CSV/TXT, Excel, Parquet or DuckDB"
    )


def _drop_unnamed_empty(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns pandas names "Unnamed: N" (a trailing separator in the header) that hold nothing."""
    frame.columns = [str(c).strip() for c in frame.columns]
    empty = [c for c in frame.columns if c.startswith("Unnamed: ") and frame[c].isna().all()]
    return frame.drop(columns=empty)


def _drop_blank(frame: pd.DataFrame, first_line: int, lines: np.ndarray | None = None):
    """Leave out blank records, keeping each remaining record's file line."""
    blank = frame.isna().all(axis=1).to_numpy()
    if not blank.any():
        return frame, lines, 0
    lines = np.arange(first_line, first_line + len(frame)) if lines is None else lines
    return frame[~blank].reset_index(drop=True), lines[~blank], int(blank.sum())


def _read_excel(path, *, sheet, header, names, skiprows) -> RawTable:
    check_workbook(path, error=SourceError)  # a zip bomb is refused before it is unpacked
    try:
        book = pd.ExcelFile(path)
    except Exception as exc:  # openpyxl / xlrd raise several types for a file that is no workbook
        raise SourceError(f"{path.name}: not a readable Excel file ({exc})") from exc
    with book:
        if sheet is not None and sheet not in book.sheet_names and not isinstance(sheet, int):
            raise SourceError(f"{path.name}: no sheet {sheet!r}; its sheets: {', '.join(book.sheet_names)}")
        try:
            # object, not str: numeric and date cells keep their Excel types (see parsing.py)
            frame = pd.read_excel(book, sheet_name=0 if sheet is None else sheet, dtype=object,
                                  header=0 if header else None, names=names, skiprows=skiprows,
                                  keep_default_na=False, na_values=[""])
        except Exception as exc:
            raise SourceError(f"{path.name}: sheet {sheet or 0!r} cannot be read ({exc})") from exc
    first_line = skiprows + (2 if header else 1)
    frame, lines, blank = _drop_blank(_drop_unnamed_empty(frame), first_line)
    return RawTable(frame, path.name, first_line, {"format": "excel", "sheet": sheet or 0},
                    lines=lines, blank=blank)


def _read_duckdb(path: Path, table: str | None) -> RawTable:
    if table is None:
        raise SourceError(f"{path.name}: name the table to read from this DuckDB database")
    con = _connect_duckdb(path)
    try:
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        if table not in tables:
            raise SourceError(
                f"{path.name}: no table {table!r} in the database (tables: {', '.join(sorted(tables)) or 'none'})"
            )
        frame = con.execute(f'select * from "{table}"').df()
    finally:
        con.close()
    return RawTable(frame, f"{path.name}:{table}", None, {"format": "duckdb"}, typed=True)


def _connect_duckdb(path: Path):
    import duckdb

    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise SourceError(f"{Path(path).name}: not a readable DuckDB database ({exc})") from None


def duckdb_tables(path: str | Path) -> list[str]:
    """Names of the tables of a DuckDB database file."""
    con = _connect_duckdb(Path(path))
    try:
        return sorted(r[0] for r in con.execute("select table_name from information_schema.tables").fetchall())
    finally:
        con.close()
