"""Plots: ``plot_*(table, *, ax=None) -> Axes``, one submodule per method.

The only package that imports matplotlib / seaborn. Each function draws a table that a
compute function returned; it computes nothing itself. Submodules: ``quality``, and one
per method (``rfm``, ``personas``, ``pricing``, ``campaigns``, ``health``).
"""

from workbench._lazy import lazy_getattr

__getattr__ = lazy_getattr(__name__)
