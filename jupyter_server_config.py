"""Jupyter server settings of this project: notebooks in `notebooks/` are saved without outputs.

The notebooks are committed without outputs (reports hold them); JupyterLab's autosave would
otherwise write every table, chart and widget state of an interactive session back into
`notebooks/`. A pre-save hook strips them from the file on disk, whatever the browser shows:
code cells lose their outputs and execution counts, the notebook its saved widget state, and
cells their execution timings. Notebooks saved elsewhere are untouched.

`make setup` links this file into `.venv/etc/jupyter/`, where every Jupyter server of the
project's environment reads it (`make lab`, or `.venv/bin/jupyter lab notebooks/`); elsewhere,
start JupyterLab with `jupyter lab --config=jupyter_server_config.py notebooks/`.
"""

from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"


def strip_outputs(model, path, contents_manager, **kwargs):
    """Pre-save hook: a notebook under `notebooks/` is written without outputs."""
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    where = (Path(contents_manager.root_dir) / path).resolve()
    if NOTEBOOKS not in where.parents:
        return
    notebook = model["content"]
    notebook.get("metadata", {}).pop("widgets", None)
    for cell in notebook.get("cells", []):
        cell.get("metadata", {}).pop("execution", None)
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None


c = get_config()  # noqa: F821 (defined by Jupyter when it reads this file)
c.FileContentsManager.pre_save_hook = strip_outputs
