"""Submodules that load on first use, so importing a package costs nothing."""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_getattr(
    package: str, names: dict[str, str] | None = None, *, modules: dict[str, str] | None = None
) -> Callable[[str], object]:
    """A module ``__getattr__`` for `package`: ``pkg.sub`` imports ``pkg.sub`` when first used.

    `names` maps attributes re-exported by the package to the submodule defining them;
    `modules` maps short names to submodules deeper in the package (``wb.psm`` is
    ``workbench.pricing.psm``), so that the names notebooks use stay short.
    """
    names = names or {}
    modules = modules or {}

    def __getattr__(name: str):
        if name in names:
            return getattr(importlib.import_module(f".{names[name]}", package), name)
        if name in modules:
            return importlib.import_module(f".{modules[name]}", package)
        try:
            return importlib.import_module(f".{name}", package)
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.{name}":
                raise
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None

    return __getattr__
