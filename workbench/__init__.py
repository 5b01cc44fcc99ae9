"""CRM Workbench: turn the data a company holds in its CRM into decisions."""

from .contract import CONTRACT
from . import contract, plotting, quality, widgets
from .dataset import CRMData, load

__all__ = ["CONTRACT", "CRMData", "contract", "load", "plotting", "quality", "widgets"]
