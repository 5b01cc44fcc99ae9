"""CRM Workbench: turn the data a company holds in its CRM into decisions.

``import workbench as wb`` is all a notebook needs: ``wb.load`` and ``wb.CRMData`` here, and
every module by name on first use (``wb.quality``, ``wb.rfm``, ``wb.plotting.rfm``...).
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .contract import CONTRACT
    from .dataset import CRMData, load

__all__ = ["CONTRACT", "CRMData", "load"]
_LAZY = {"CONTRACT": "contract", "CRMData": "dataset", "load": "dataset"}


def __getattr__(name: str):
    # submodules load on first use (``wb.rfm``), so importing the package costs nothing
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    try:
        return importlib.import_module(f".{name}", __name__)
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
