"""Interactive explorers: ``explore_*(...) -> ipywidgets widget``, one submodule per method.

They wrap pure functions and work in JupyterLab; static HTML reports leave them out and
show tables instead.
"""


def __getattr__(name: str):
    # submodules load on first use (``wb.widgets.rfm``), so importing the package costs nothing
    import importlib

    try:
        return importlib.import_module(f".{name}", __name__)
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
