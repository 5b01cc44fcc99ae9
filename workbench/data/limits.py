"""Limits on what a received file may cost: YAML size and aliases, Excel size once unpacked, paths.

Files travel between people (a consultant sends ``mapping.yml``, a colleague edits the segments
file), so every YAML file the project reads goes through :func:`load_yaml`, every workbook through
:func:`check_workbook`, and a mapping's ``file:`` through :func:`confine`. Each refusal is a clear
error naming the file, the limit and the fix, raised before the costly part starts.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

__all__ = ["LimitError", "load_yaml", "check_workbook", "confine", "MAX_YAML_BYTES",
           "MAX_YAML_NODES", "MAX_EXCEL_BYTES"]

#: A YAML file larger than this is refused (mappings, grids, schedules, rules are a few KB).
MAX_YAML_BYTES = 1_000_000
#: Values a YAML document may hold once its aliases (``*name``) are expanded.
MAX_YAML_NODES = 200_000
#: An Excel workbook whose parts add up to more than this once unpacked is refused.
MAX_EXCEL_BYTES = 300_000_000


class LimitError(ValueError):
    """A file over one of the limits above, or a path outside its folder."""


def load_yaml(path: str | Path, *, error: type[Exception] = LimitError, text: str | None = None):
    """The content of a YAML file, safely: size and expanded size bounded, no Python objects.

    `error` is the exception raised (with the file named) for a file over a limit or not valid
    YAML; `text` parses that text instead of reading `path` (which then only names it).
    """
    import yaml

    path = Path(path)
    try:
        if text is None:
            size = path.stat().st_size
            if size > MAX_YAML_BYTES:
                raise error(f"{path}: {size:,} bytes; a YAML file here is at most "
                            f"{MAX_YAML_BYTES:,} bytes (is it the right file?)")
            text = path.read_text(encoding="utf-8-sig")
        elif len(text) > MAX_YAML_BYTES:
            raise error(f"{path}: {len(text):,} characters; at most {MAX_YAML_BYTES:,} are accepted")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is not None:
            values = _expanded(node, {}, set())
            if values > MAX_YAML_NODES:
                raise error(f"{path}: its aliases (*name) expand to {values:,} values; at most "
                            f"{MAX_YAML_NODES:,} are accepted: write the values out instead")
        return yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506 - SafeLoader
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not a UTF-8 text file ({exc.reason} at byte {exc.start})") from None
    except yaml.YAMLError as exc:  # said without the file's text (it may not be a YAML file at all)
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        what = getattr(exc, "problem", None) or type(exc).__name__
        context = getattr(exc, "context", None)
        raise error(f"{path}: not valid YAML{at}: {what}{f' ({context})' if context else ''}") from None
    except RecursionError:
        raise error(f"{path}: nested too deeply to be a settings file") from None


def _expanded(node, memo: dict, open_: set) -> int:
    """Number of values `node` holds with every alias expanded (shared nodes counted each time)."""
    key = id(node)
    if key in memo:
        return memo[key]
    if key in open_:
        raise RecursionError  # an alias to its own parent: infinite once expanded
    open_.add(key)
    if isinstance(node.value, list):
        total = 1
        for item in node.value:
            for part in item if isinstance(item, tuple) else (item,):
                total += _expanded(part, memo, open_)
                if total > MAX_YAML_NODES:
                    break
    else:
        total = 1
    open_.discard(key)
    memo[key] = total
    return total


def check_workbook(path: str | Path, *, error: type[Exception] = LimitError) -> None:
    """Refuse an ``.xlsx``/``.xlsm`` workbook that would unpack to more than MAX_EXCEL_BYTES."""
    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return
    try:
        with zipfile.ZipFile(path) as book:
            unpacked = sum(max(info.file_size, 0) for info in book.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise error(f"{path.name}: not a readable Excel workbook ({type(exc).__name__})") from None
    if unpacked > MAX_EXCEL_BYTES:
        raise error(f"{path.name}: the workbook unpacks to {unpacked:,} bytes "
                    f"({path.stat().st_size:,} on disk); at most {MAX_EXCEL_BYTES:,} are read: "
                    "export the sheet as CSV instead")


def confine(file: str | Path, folder: str | Path, *, allow_outside: bool = False,
            error: type[Exception] = LimitError, where: str = "file") -> Path:
    """`folder / file`, refused when it leads outside `folder` (``..``, absolute path, symlink).

    ``allow_outside=True`` is the user's explicit permission to read elsewhere.
    """
    folder = Path(folder)
    if "\0" in str(file):
        raise error(f"{where}: {str(file)!r} holds a NUL character; name a file of the data folder")
    path = folder / file
    if allow_outside:
        return path
    root = folder.resolve()
    target = path.resolve()
    if target != root and root not in target.parents:
        raise error(f"{where}: {str(file)!r} leads outside the data folder {folder}; copy the file "
                    "into the data folder, or allow it explicitly (allow_outside=True, "
                    "--allow-outside)")
    return path
