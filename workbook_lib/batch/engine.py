"""The papermill engine the runs use: papermill's own (nbclient), saving the executed notebook at most every few
seconds while it runs instead of at every cell's start and end (about 60 writes of a growing notebook per report,
a quarter of a second: bench/startup.py), and always when the run ends, failed or timed out included."""

from __future__ import annotations

from typing import Any

from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

ENGINE = "workbook"
SAVE_EVERY_S = 5.0  # a long cell's outputs are still saved while it runs (papermill's autosave)


class _SavingLess(NotebookExecutionManager):
    def save(self, **kwargs: Any) -> None:
        if self.end_time is not None or (self.now() - self.last_save_time).total_seconds() >= SAVE_EVERY_S:
            super().save(**kwargs)


class WorkbookEngine(NBClientEngine):
    @classmethod
    def execute_notebook(cls, nb: Any, kernel_name: str, output_path: str | None = None, progress_bar: bool = True,
                         log_output: bool = False, autosave_cell_every: int = 30, **kwargs: Any) -> Any:
        """papermill's Engine.execute_notebook with the manager above."""
        nb_man = _SavingLess(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                             autosave_cell_every=autosave_cell_every)
        nb_man.notebook_start()
        try:
            cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
        finally:
            nb_man.cleanup_pbar()
            nb_man.notebook_complete()  # sets end_time: this save always writes
        return nb_man.nb


papermill_engines.register(ENGINE, WorkbookEngine)
