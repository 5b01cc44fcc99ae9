"""CRM Workbench: turn the data a company holds in its CRM into decisions.

``import workbench as wb`` is all a notebook needs: ``wb.load`` and ``wb.CRMData`` here, and
every module by name on first use (``wb.quality``, ``wb.rfm``, ``wb.plotting.rfm``...).
"""

from typing import TYPE_CHECKING

from ._lazy import lazy_getattr

if TYPE_CHECKING:
    from .contract import CONTRACT
    from .dataset import CRMData, load

__all__ = ["CONTRACT", "CRMData", "load"]
_LAZY = {"CONTRACT": "contract", "CRMData": "dataset", "load": "dataset"}


__getattr__ = lazy_getattr(__name__, _LAZY)
