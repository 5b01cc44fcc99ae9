"""What every plotting module shares: figures built as objects, shown once they are finished.

In a Jupyter kernel, matplotlib-inline's ``flush_figures`` runs after every message the kernel
handles, widget messages included, and draws then closes *every* figure pyplot knows. With
JupyterLab's widget messages on kernel subshells (its default) that happens on another thread,
in the middle of a figure being drawn: half-drawn or blank charts. So in a kernel the charts
are built as :class:`matplotlib.figure.Figure` objects pyplot never sees, and a plot called
without ``ax`` displays its figure itself once it is finished (:func:`shows_figure`).
Outside a kernel (scripts, tests), a plot without ``ax`` draws on a pyplot figure as before,
so ``plt.savefig`` and ``plt.show`` keep working. In a kernel, to change a chart before it is
shown, pass your own ``ax`` (``fig = new_figure(); plot_x(t, ax=fig.add_subplot())``) and
display ``fig`` yourself.
"""

from __future__ import annotations

import functools
import io

import numpy as np


def in_kernel() -> bool:
    """True inside a Jupyter kernel (a notebook or a papermill run)."""
    import sys

    if "IPython" not in sys.modules:
        return False
    from IPython import get_ipython

    return getattr(get_ipython(), "kernel", None) is not None


def new_figure(figsize=(9, 3.5), *, detached: bool | None = None, **kwargs):
    """A constrained-layout figure: a detached ``Figure`` in a kernel (or when `detached`),
    a pyplot one elsewhere. The explorers always ask for a detached one."""
    if detached or (detached is None and in_kernel()):
        from matplotlib.figure import Figure

        return Figure(figsize=figsize, layout="constrained", **kwargs)
    import matplotlib.pyplot as plt

    return plt.figure(figsize=figsize, layout="constrained", **kwargs)


def empty(ax, text: str):
    """`ax` holding only `text` (what is missing to draw the chart), axes hidden."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, wrap=True)
    ax.set_axis_off()
    return ax


def axes(ax=None, figsize=(9, 3.5)):
    """`ax`, or a new Axes of `figsize` in a figure of its own (:func:`new_figure`)."""
    if ax is None:
        ax = new_figure(figsize).add_subplot()
    return ax


def subplots(nrows: int = 1, ncols: int = 1, *, figsize=(9, 3.5), **kwargs):
    """A grid of Axes in a figure of its own (:func:`new_figure`), as ``plt.subplots`` gives."""
    return new_figure(figsize).subplots(nrows, ncols, **kwargs)


def png(fig, *, dpi: float = 80) -> bytes:
    """The figure as PNG bytes, on a white background."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()


def figure_of(drawn):
    """The figure of what a plot returned: an Axes or an array of Axes."""
    first = np.asarray(drawn, dtype=object).ravel()[0] if not hasattr(drawn, "figure") else drawn
    return first.figure


def shows_figure(plot):
    """Decorate a ``plot_*(..., ax=None)`` function: when it drew its own figure in a kernel,
    display that figure once the drawing is done (a notebook cell then shows it in place)."""

    @functools.wraps(plot)
    def drawn(*args, **kwargs):
        own = kwargs.get("ax") is None and kwargs.get("axes") is None
        result = plot(*args, **kwargs)
        if own and in_kernel():
            from IPython.display import Image, display

            display(Image(data=png(figure_of(result), dpi=100), format="png"))
        return result

    return drawn
