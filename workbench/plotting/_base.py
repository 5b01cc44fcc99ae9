"""What every plotting module shares."""

from __future__ import annotations


def axes(ax=None, figsize=(9, 3.5)):
    """`ax`, or a new Axes of `figsize` in a constrained-layout figure."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax
