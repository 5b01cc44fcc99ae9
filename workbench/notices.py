"""What a method says about its own result: warnings a report collects, sentences for skipped work.

Every method may find that its result should not be trusted as it stands (a fit at its bounds, a
survey whose columns look swapped, a comparison window with a few days of data, customers left
out). It says so with :func:`warn`, a :class:`ResultWarning` through Python's ``warnings``
module, so that the method stays free of any report machinery: in a notebook the warning shows
under the cell, and the report runner (:mod:`workbench.report`) collects every one into the
report's status ``warnings``, its banner, ``summary.json`` and the run's index.

A notebook section that needs data the source lacks calls :func:`skipped`, which builds the one
sentence that replaces the section: what it needs and what to map.
"""

from __future__ import annotations

import warnings

__all__ = ["ResultWarning", "warn", "skipped", "RESULT_WARNING_PREFIX"]

#: How a collected warning starts in a notebook's stderr (``warnings.formatwarning``'s format).
RESULT_WARNING_PREFIX = "ResultWarning: "


class ResultWarning(UserWarning):
    """A result that should not be trusted as it stands; the message says why and what to try."""


def warn(message: str, *, stacklevel: int = 2) -> None:
    """Issue a :class:`ResultWarning` (one line: newlines are replaced by spaces)."""
    warnings.warn(" ".join(message.split()), ResultWarning, stacklevel=stacklevel + 1)


def skipped(section: str, *, needs: str, mapping: str = "") -> str:
    """The sentence replacing a section that cannot run: ``Skipped: <section> needs <needs>...``.

    Parameters
    ----------
    section : str
        What the section would have shown, e.g. ``"Category affinity"``.
    needs : str
        What it needs, e.g. ``"orders.category"``.
    mapping : str
        What to map to provide it, e.g. ``"map a category column of your orders export"``.
    """
    text = f"Skipped: {section} needs {needs}, which this source does not hold."
    return f"{text} To get it, {mapping}." if mapping else text
