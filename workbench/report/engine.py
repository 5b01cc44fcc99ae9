"""papermill's nbclient engine, saving the running notebook every few seconds, not at every cell.

papermill writes the output notebook at the start and at the end of every cell (``nbformat``
validates it each time: about 30 ms a save on a report of 40 cells with figures, a second or two
per report). The report runner reads the notebook once, when it has run: the saves in between
only matter if the runner itself is killed mid-report. This engine keeps one save every
:data:`SAVE_EVERY_S` seconds while cells run and always the last one, which papermill makes
whatever happens (an error, a timeout, a dead kernel): the report then shows every output up to
the failure, as before. Private to :mod:`workbench.report`.
"""

from __future__ import annotations

from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

__all__ = ["ENGINE", "register"]

#: The name the runner passes to ``papermill.execute_notebook(engine_name=...)``.
ENGINE = "workbench"
#: Seconds between two saves while the notebook runs (papermill's own autosave interval).
SAVE_EVERY_S = 30.0


class _FewerSaves(NotebookExecutionManager):
    def save(self, **kwargs):
        running = self.end_time is None
        if running and (self.now() - self.last_save_time).total_seconds() < SAVE_EVERY_S:
            return
        super().save(**kwargs)


class _Engine(NBClientEngine):
    @classmethod
    def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
                         autosave_cell_every=30, **kwargs):
        # papermill's Engine.execute_notebook, with the manager above
        nb_man = _FewerSaves(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                             autosave_cell_every=autosave_cell_every)
        nb_man.notebook_start()
        try:
            cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
        finally:
            nb_man.cleanup_pbar()
            nb_man.notebook_complete()
        return nb_man.nb


def register() -> str:
    """Make the engine known to papermill (idempotent); returns its name."""
    papermill_engines.register(ENGINE, _Engine)
    return ENGINE
