"""Submodules that load on first use, so importing a package costs nothing."""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_getattr(package: str, names: dict[str, str] | None = None) -> Callable[[str], object]:
    """A module ``__getattr__`` for `package`: ``pkg.sub`` imports ``pkg.sub`` when first used.

    `names` maps attributes re-exported by the package to the submodule defining them.
    """
    names = names or {}

    def __getattr__(name: str):
        if name in names:
            return getattr(importlib.import_module(f".{names[name]}", package), name)
        try:
            return importlib.import_module(f".{name}", package)
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.{name}":
                raise
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None

    return __getattr__
