"""The refresh machinery every explorer shares.

Why it is built this way (all of it was seen in a real JupyterLab 4.6 with kernel subshells on,
its default):

- **No pyplot, no Output capture.** A refresh builds its charts as ``Figure`` objects
  (:func:`workbench.plotting._base.new_figure`, never registered with pyplot, so the inline
  backend's ``flush_figures`` running on another thread cannot draw or close them half-built)
  and shows them as PNG bytes in ``ipywidgets.Image`` widgets; tables and notes go into
  ``ipywidgets.HTML`` widgets. Replacing a widget's value is one state message: nothing
  depends on which thread or which parent message the kernel is handling.
- **Serialised, last value wins, nothing dropped.** Widget callbacks may run on several
  threads at once. :meth:`Refresher.request` counts requests; one thread computes at a time
  and computes again while newer requests arrived, reading the controls' *current* values, so
  the view always ends on the last values set. A result overtaken by a newer request is not
  shown (it would contradict the controls).
- **Working state.** While a refresh runs the status line says "working..." and the controls
  are disabled; they come back when the last request is served.
- **One refresh per user action.** Controls an explorer sets itself (a product's cost, a
  segment list) are set inside :meth:`Refresher.quiet`, so their observers do not refresh again.
- **Errors clear the view.** A ``ValueError`` (a choice that gives no result) empties the
  tables and charts and shows the reason; nothing stale stays on screen.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable, Iterable
from contextlib import contextmanager

import pandas as pd

from workbench.plotting._base import png

log = logging.getLogger(__name__)

WORKING = "working..."


class Note(str):
    """A line of trusted HTML in an explorer's view (plain ``str`` parts are escaped)."""


class Png(bytes):
    """A chart already rendered to PNG bytes."""


def _rendered(part):
    """A figure as PNG bytes (rendered before the view is locked), anything else as is."""
    from matplotlib.figure import Figure

    return Png(png(part)) if isinstance(part, Figure) else part


def text(value: str) -> str:
    """`value` escaped, in a paragraph."""
    return f"<p>{html.escape(str(value))}</p>"


def _html(part) -> str:
    if isinstance(part, Note):
        return str(part)
    if isinstance(part, pd.DataFrame | pd.Series):
        frame = part.to_frame() if isinstance(part, pd.Series) else part
        return (
            "<div class='jp-RenderedHTMLCommon' style='overflow-x:auto'>"
            + frame.to_html(escape=True, na_rep="", max_rows=200)
            + "</div>"
        )
    return text(part)


class View:
    """The output of an explorer: a status line, then tables, notes and charts.

    :meth:`show` takes a list of parts: a DataFrame (a table), a ``matplotlib.figure.Figure``
    (a chart, shown as a PNG) or its :class:`Png` bytes, a :class:`Note` (trusted HTML) or any
    other value (escaped text). Widgets are reused in place when the kind of a part does not change.
    """

    def __init__(self) -> None:
        import ipywidgets as w

        self.status = w.HTML(layout=w.Layout(min_height="1.6em"))
        self.parts = w.VBox()
        self.box = w.VBox([self.status, self.parts])

    @property
    def images(self) -> list[bytes]:
        """The PNG bytes of the charts shown, in order (tests read them)."""
        import ipywidgets as w

        return [c.value for c in self.parts.children if isinstance(c, w.Image)]

    @property
    def html(self) -> str:
        """The HTML of the tables and notes shown (tests read it)."""
        import ipywidgets as w

        return "\n".join(c.value for c in self.parts.children if isinstance(c, w.HTML))

    def say(self, message: str, *, error: bool = False) -> None:
        colour = "#b00" if error else "#555"
        self.status.value = (
            f"<span style='color:{colour}'>{html.escape(message)}</span>" if message else ""
        )

    def show(self, parts: Iterable) -> None:
        import ipywidgets as w

        old, new = list(self.parts.children), []
        for i, part in enumerate(map(_rendered, parts)):
            kind = w.Image if isinstance(part, Png) else w.HTML
            value = bytes(part) if isinstance(part, Png) else _html(part)
            widget = old[i] if i < len(old) and type(old[i]) is kind else None
            if widget is None:
                widget = (w.Image(format="png", layout=w.Layout(max_width="100%"))
                          if kind is w.Image else w.HTML())
            widget.value = value
            new.append(widget)
        self.parts.children = new
        for widget in old:
            if widget not in new:
                widget.close()

    def clear(self, reason: str) -> None:
        """Nothing shown but the reason (a choice that gives no result)."""
        self.show([])
        self.say(reason, error=True)


class Refresher:
    """Runs an explorer's refresh one at a time, always ending on the controls' last values.

    Parameters
    ----------
    render : callable
        Reads the controls and returns the parts to show (see :meth:`View.show`). A
        ``ValueError`` clears the view and shows its message.
    view : View
    controls : iterable of widgets
        Disabled while a refresh runs.
    """

    def __init__(self, render: Callable[[], list], *, view: View, controls: Iterable) -> None:
        self.render, self.view, self.controls = render, view, list(controls)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._wanted = self._served = 0
        self._running = False
        self.runs = 0  # renders computed (tests count them)

    @contextmanager
    def quiet(self):
        """Changes made to controls inside this block (on this thread) request no refresh."""
        self._local.depth = getattr(self._local, "depth", 0) + 1
        try:
            yield
        finally:
            self._local.depth -= 1

    def watch(self, *controls, names: str = "value") -> None:
        """Refresh when any of `controls` changes."""
        for control in controls:
            control.observe(self.request, names=names)

    def request(self, *_) -> None:
        """Ask for a refresh with the controls' current values.

        If a refresh runs on another thread, it will run once more after its current pass;
        otherwise this thread runs it, as many passes as requests keep arriving.
        """
        if getattr(self._local, "depth", 0):
            return
        with self._lock:
            self._wanted += 1
            if self._running:
                return
            self._running = True
            self._working(True)
        idle = False
        try:
            while not idle:
                idle = self._serve_one()
        finally:
            if not idle:  # an unexpected error in showing: never stay "working"
                with self._lock:
                    self._running = False
                    self._working(False)

    def _serve_one(self) -> bool:
        """One pass with the current values; True when no request is left (and now idle)."""
        with self._lock:
            if self._served == self._wanted:
                self._running = False
                self._working(False)
                return True
            ticket = self._wanted
        parts, failure = self._one_pass()
        with self._lock:
            self._served = ticket
            if ticket == self._wanted:  # else overtaken: not shown, computed again
                if failure is None:
                    self.view.show(parts)
                else:
                    self.view.clear(failure)
        return False

    def _one_pass(self):
        self.runs += 1
        try:
            with self.quiet():
                return [_rendered(part) for part in self.render()], None
        except ValueError as exc:
            return None, f"No result for these choices: {exc}"
        except Exception as exc:  # shown, logged, never left half-drawn
            log.exception("explorer refresh failed")
            return None, f"The refresh failed ({type(exc).__name__}: {exc}); see the log"

    def _working(self, on: bool) -> None:
        for control in self.controls:
            control.disabled = on
        if on:
            self.view.say(WORKING)
        elif self.view.status.value.endswith(f">{WORKING}</span>"):
            self.view.say("")
