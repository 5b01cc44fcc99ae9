"""jupyter_server_config.py: notebooks in notebooks/ are saved without outputs, others untouched."""

from __future__ import annotations

import json
import runpy

import nbformat
from traitlets.config import Config


def _hook(root):
    config = Config()
    runpy.run_path(str(root / "jupyter_server_config.py"), init_globals={"get_config": lambda: config})
    return config.FileContentsManager.pre_save_hook


def _session_notebook():
    """A notebook as JupyterLab saves it after a session: outputs, counts, widget state, timings."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {"m1": {}}}}
    cell = nbformat.v4.new_code_cell("wb.widgets.rfm.explore_scoring(crm, as_of=as_of)", execution_count=7)
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/plain": "VBox()"})]
    cell.metadata["execution"] = {"iopub.status.idle": "2026-01-01T00:00:00Z"}
    cell.metadata["tags"] = ["widget"]
    nb.cells = [nbformat.v4.new_markdown_cell("# 02 · RFM"), cell]
    return nb


def test_saving_in_notebooks_writes_no_output(tmp_path, root):
    from jupyter_server.services.contents.filemanager import FileContentsManager

    hook = _hook(root)
    hook.__globals__["NOTEBOOKS"] = tmp_path / "notebooks"  # the project's folder, here in tmp_path
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "elsewhere").mkdir()
    manager = FileContentsManager(root_dir=str(tmp_path))
    manager.pre_save_hook = hook  # as the server sets it from jupyter_server_config.py
    for path in ("notebooks/02.ipynb", "elsewhere/mine.ipynb"):
        manager.save({"type": "notebook", "format": "json", "content": _session_notebook()}, path)

    saved = json.loads((tmp_path / "notebooks" / "02.ipynb").read_text())
    code = saved["cells"][1]
    assert code["outputs"] == [] and code["execution_count"] is None
    assert "widgets" not in saved["metadata"] and "execution" not in code["metadata"]
    assert code["metadata"]["tags"] == ["widget"] and "".join(code["source"]).startswith("wb.widgets.rfm")
    kept = json.loads((tmp_path / "elsewhere" / "mine.ipynb").read_text())
    assert kept["cells"][1]["outputs"] and kept["metadata"]["widgets"]  # not the project's notebooks
