"""Schedule files of the report runner: a YAML mapping of run options, checked before a run.

Private to :mod:`workbench.report` (see :func:`workbench.report.run_schedule`).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from workbench.report.params import read_yaml_mapping
from workbench.report.results import RunConfigError

_KEYS = {
    "notebooks": (list, str),
    "parameters": dict,
    "grid": dict,
    "workers": int,
    "show_code": bool,
    "timeout": (int, float, type(None)),
    "out": str,
    "notebooks_dir": str,
    "dated": bool,
    "notebook_parameters": dict,
    "pdf": bool,
    "solutions": bool,
}


def load_schedule(path: Path) -> dict[str, Any]:
    """The schedule's mapping, its keys and value types checked (RunConfigError naming both)."""
    content = read_yaml_mapping(path)
    for key, value in content.items():
        if key not in _KEYS:
            close = difflib.get_close_matches(key, _KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise RunConfigError(f"{path}: unknown key {key!r}{hint}; allowed: {', '.join(_KEYS)}")
        expected = _KEYS[key]
        if not isinstance(value, expected) or (isinstance(value, bool) and expected is int):
            want = " or ".join(
                t.__name__ for t in (expected if isinstance(expected, tuple) else (expected,))
            )
            raise RunConfigError(
                f"{path}: key {key!r} must be {want}, got {type(value).__name__} {value!r}"
            )
    for stem, extra in content.get("notebook_parameters", {}).items():
        if not isinstance(extra, dict):
            raise RunConfigError(f"{path}: notebook_parameters.{stem} must map parameter names "
                                 "to values")
    notebooks = content.get("notebooks", "all")
    if isinstance(notebooks, list) and not all(isinstance(n, str) for n in notebooks):
        raise RunConfigError(f"{path}: key 'notebooks' must list notebook names")
    if content.get("workers", 1) < 1:
        raise RunConfigError(f"{path}: key 'workers' must be at least 1")
    for section in ("parameters", "grid"):
        for name, values in content.get(section, {}).items():
            if not str(name).isidentifier():
                raise RunConfigError(f"{path}: {section}.{name} is not a parameter name")
            if section == "grid" and isinstance(values, dict):
                if "from" not in values:
                    raise RunConfigError(f"{path}: grid.{name} must list values or name a column "
                                         "as {from: table.column}")
            elif section == "grid" and (not isinstance(values, list) or not values):
                raise RunConfigError(f"{path}: grid.{name} must be a non-empty list of values, "
                                     "or {from: table.column} to read them from the data")
    return content
