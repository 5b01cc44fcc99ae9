"""CRM Workbench: turn the data a company holds in its CRM into decisions.

``import workbench as wb`` is all a notebook needs: ``wb.load`` and ``wb.CRMData`` here, and
every package by name on first use (``wb.rfm``, ``wb.personas``, ``wb.pricing``,
``wb.campaigns``, ``wb.health``, ``wb.report``, ``wb.plotting.rfm``...). Four short names
reach modules that live inside a package: ``wb.quality`` and ``wb.contract`` (in
``workbench.data``), ``wb.psm`` (in ``workbench.pricing``) and ``wb.clv`` (in
``workbench.health``).
"""

from typing import TYPE_CHECKING

from ._lazy import lazy_getattr

if TYPE_CHECKING:
    from .data.contract import CONTRACT
    from .data.dataset import CRMData, load

__all__ = ["CONTRACT", "CRMData", "load"]

__getattr__ = lazy_getattr(
    __name__,
    {"CONTRACT": "data.contract", "CRMData": "data.dataset", "load": "data.dataset"},
    modules={"quality": "data.quality", "contract": "data.contract", "psm": "pricing.psm",
             "clv": "health.clv"},
)
