"""Parameters of the report runner: read, anchored, declared by notebooks, converted.

Private to :mod:`workbench.report` (see its parameter rule). A notebook's declarations are read
from its ``parameters`` cell with :mod:`ast`; values (often CLI strings or YAML scalars) are
converted to the declared type.
"""

from __future__ import annotations

import ast
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.report.results import OUTPUT_PATH_PARAMETERS, PATH_PARAMETERS, RunConfigError

_TRUE, _FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}
_KINDS = ("int", "float", "bool", "str", "list", "dict")


@dataclass(frozen=True)
class Declared:
    """What a notebook's ``parameters`` cell declares about one name."""

    type: str | None  # int, float, bool, str, list, dict, or None when unknown
    nullable: bool
    default: Any


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """Top-level mapping of a YAML file (empty file: ``{}``); RunConfigError otherwise."""
    from workbench.data.limits import load_yaml

    try:
        content = load_yaml(path, error=RunConfigError)
    except OSError as exc:
        raise RunConfigError(f"{path}: cannot read YAML: {exc.strerror or exc}") from None
    if content is None:
        return {}
    if not isinstance(content, dict) or not all(isinstance(k, str) for k in content):
        raise RunConfigError(f"{path}: expected a mapping of names to values at the top level")
    return content


def anchor_paths(params: dict[str, Any], base: Path) -> dict[str, Any]:
    """Make relative ``data``/``mapping`` paths (or lists of) that exist under ``base`` absolute,
    and relative output paths (``score_store``) absolute whether or not they exist yet."""

    def anchor(value: Any) -> Any:
        if isinstance(value, list | tuple):
            return [anchor(v) for v in value]
        if isinstance(value, str) and value and not Path(value).is_absolute():
            if (base / value).exists():
                return str((base / value).resolve())
        return value

    def anchor_output(value: Any) -> Any:
        if isinstance(value, str) and value and not Path(value).is_absolute():
            return str((base / value).resolve())
        return value

    return {k: anchor(v) if k in PATH_PARAMETERS else anchor_output(v)
            if k in OUTPUT_PATH_PARAMETERS else v for k, v in params.items()}


def _annotation_type(node: ast.expr | None) -> tuple[str | None, bool]:
    if node is None:
        return None, False
    if isinstance(node, ast.Constant) and isinstance(node.value, str):  # "int" as a string
        try:
            return _annotation_type(ast.parse(node.value, mode="eval").body)
        except SyntaxError:
            return None, False
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):  # X | None
        sides = [s for s in (node.left, node.right) if not _is_none(s)]
        kind = _annotation_type(sides[0])[0] if len(sides) == 1 else None
        return kind, len(sides) == 1
    if isinstance(node, ast.Subscript) and getattr(node.value, "id", "") == "Optional":
        return _annotation_type(node.slice)[0], True
    if isinstance(node, ast.Subscript):  # list[str], dict[str, int]
        node = node.value
    name = getattr(node, "id", None)
    return (name if name in _KINDS else None), False


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def declared_parameters(notebook: Path) -> dict[str, Declared]:
    """Names, types and defaults of the ``parameters``-tagged cell, read with :mod:`ast`.

    papermill's ``inspect_notebook`` is not used: its regex silently drops annotated names
    whose annotation holds ``|`` (``as_of: str | None = None``), the form ruff's UP rules write.
    """
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    cell = next((c for c in nb.cells if "parameters" in c.metadata.get("tags", [])), None)
    if cell is None:
        return {}
    source = "\n".join(
        line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))
    )
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise RunConfigError(f"{notebook}: parameters cell is not valid Python: {exc}") from exc
    declared: dict[str, Declared] = {}
    for stmt in tree.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [getattr(stmt, "target", None)]
        for target in targets:
            if not isinstance(target, ast.Name) or getattr(stmt, "value", None) is None:
                continue
            try:
                default, literal = ast.literal_eval(stmt.value), True
            except (ValueError, TypeError, SyntaxError, RecursionError):
                default, literal = f"<{ast.get_source_segment(source, stmt.value)}>", False
            kind, nullable = _annotation_type(getattr(stmt, "annotation", None))
            if kind is None and literal and type(default).__name__ in _KINDS:
                kind = type(default).__name__
            declared[target.id] = Declared(kind, nullable or default is None, default)
    return declared


def coerce(value: Any, decl: Declared) -> Any:
    """Convert ``value`` (often a CLI string) to the declared type; ValueError if impossible."""
    try:
        return _convert(value, decl)
    except (ValueError, TypeError) as exc:
        expected = decl.type + (" or None" if decl.nullable else "")
        raise ValueError(f"cannot convert {value!r} to the declared type {expected}") from exc


def _convert(value: Any, decl: Declared) -> Any:
    kind = decl.type
    if value is None or (decl.nullable and isinstance(value, str) and value in ("None", "null")):
        if decl.nullable or kind is None:
            return None
        raise ValueError("None")
    if kind is None:
        return value
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
    elif kind in ("int", "float") and not isinstance(value, bool):
        if isinstance(value, str):
            value = value.strip()
            return int(value) if kind == "int" else float(value)
        if isinstance(value, int | float):
            if kind == "float":
                return float(value)
            if float(value).is_integer():
                return int(value)
    elif kind == "str":
        if isinstance(value, str):
            return value
        if isinstance(value, dt.date | int | float) and not isinstance(value, bool):
            return value.isoformat() if isinstance(value, dt.date) else str(value)
    else:  # list, dict
        from workbench.data.limits import load_yaml

        parsed = load_yaml("value", text=value, error=ValueError) if isinstance(value, str) else value
        if isinstance(parsed, list if kind == "list" else dict):
            return parsed
    raise ValueError(value)
