"""Interactive explorers: ``explore_*(...) -> ipywidgets widget``, one submodule per method.

They wrap pure functions and work in JupyterLab; static HTML reports leave them out and
show tables instead.
"""

from workbench._lazy import lazy_getattr

__getattr__ = lazy_getattr(__name__)
