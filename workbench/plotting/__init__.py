"""Plots: ``plot_*(table, *, ax=None) -> Axes``, one submodule per method.

The only package that imports matplotlib / seaborn. Each function draws a table that a
compute function returned; it computes nothing itself. Submodules: ``quality``, and one
per method (``rfm``, ``personas``, ``pricing``, ``campaigns``, ``health``).
"""


def __getattr__(name: str):
    # submodules load on first use (``wb.plotting.rfm``), so importing the package costs nothing
    import importlib

    try:
        return importlib.import_module(f".{name}", __name__)
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
