"""Project promises: dependencies in step, notebooks clean, contract documented, README commands."""

from __future__ import annotations

import ast
import json
import re
import tomllib

import yaml

from workbench.data import contract


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _requirements(root) -> list[str]:
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    return [*project["dependencies"], *project["optional-dependencies"]["dev"]]


def _lock(root) -> dict[str, str]:
    lines = (root / "requirements.lock").read_text().splitlines()
    pins = [ln for ln in lines if ln.strip() and not ln.startswith("#")]
    assert all("==" in ln for ln in pins), "requirements.lock pins exact versions only (make lock)"
    return {_name(ln): ln.split("==", 1)[1].strip() for ln in pins}


def test_the_lock_pins_every_dependency_within_pyproject_ranges(root):
    from packaging.requirements import Requirement

    lock = _lock(root)
    for text in _requirements(root):
        req = Requirement(text)
        name = _name(req.name)
        assert name in lock, f"{name} is in pyproject.toml but not in requirements.lock: run make lock"
        assert req.specifier.contains(lock[name], prereleases=True), \
            f"requirements.lock has {name}=={lock[name]}, outside pyproject's {req.specifier}: run make lock"


def test_setup_installs_from_the_lock_and_conda_uses_it_too(root):
    makefile = (root / "Makefile").read_text()
    assert re.search(r"pip install .*--constraint \$\(LOCK\) -e", makefile)
    assert "LOCK := requirements.lock" in makefile
    env = yaml.safe_load((root / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "--constraint requirements.lock" in pip and "-e .[dev]" in pip


def _notebooks(root):
    return sorted((root / "notebooks").glob("*.ipynb"))


def test_committed_notebooks_have_no_outputs(root):
    assert _notebooks(root), "no notebooks found"
    for path in _notebooks(root):
        nb = json.loads(path.read_text())
        how = "open them with `make lab`, whose jupyter_server_config.py saves them without outputs"
        assert "widgets" not in nb["metadata"], f"{path.name}: saved widget state in its metadata; {how}"
        for cell in nb["cells"]:
            where = f"{path.name}, cell {cell.get('id', '?')}"
            assert "execution" not in cell.get("metadata", {}), f"{where}: execution timings; {how}"
            if cell["cell_type"] == "code":
                assert not cell["outputs"], f"{where}: has outputs; {how}"
                assert cell["execution_count"] is None, f"{where}: has an execution count; {how}"


def test_notebooks_open_with_a_title_and_a_literal_parameters_cell_and_define_nothing(root):
    for path in _notebooks(root):
        cells = json.loads(path.read_text())["cells"]
        assert cells[0]["cell_type"] == "markdown" and "".join(cells[0]["source"]).startswith("# "), path.name
        params = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(params) == 1, f"{path.name}: needs exactly one cell tagged 'parameters'"
        tree = ast.parse("".join(params[0]["source"]))
        for node in tree.body:
            assert isinstance(node, ast.AnnAssign), f"{path.name}: parameters must be `name: type = literal`"
            ast.literal_eval(node.value)  # raises if not a literal
        for cell in cells:
            if cell["cell_type"] == "code":
                for node in ast.walk(ast.parse("".join(cell["source"]))):
                    assert not isinstance(node, ast.FunctionDef | ast.ClassDef | ast.Lambda), \
                        f"{path.name}: notebooks call workbench; they define nothing"
                assert "sys.path" not in "".join(cell["source"]), path.name


def test_widget_cells_are_tagged_so_headless_runs_skip_them(root):
    for path in _notebooks(root):
        for cell in json.loads(path.read_text())["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "code" and "wb.widgets." in source:
                assert "widget" in cell.get("metadata", {}).get("tags", []), \
                    f"{path.name}: tag the cell calling wb.widgets 'widget' (reports cannot run widgets)"


def test_papermill_reads_every_parameter_with_its_help(root):
    from papermill.translators import PythonTranslator

    for path in _notebooks(root):
        cell = next(c for c in json.loads(path.read_text())["cells"]
                    if "parameters" in c.get("metadata", {}).get("tags", []))
        lines = [ln for ln in "".join(cell["source"]).splitlines() if ln.strip()]
        parsed = PythonTranslator.inspect({"source": "".join(cell["source"])})
        assert [p.name for p in parsed] == [ln.split(":")[0] for ln in lines], \
            f"{path.name}: papermill cannot parse a parameter line (avoid '=' in comments)"
        assert all(p.help for p in parsed), f"{path.name}: every parameter needs a '# meaning' comment"


def test_data_readme_documents_the_contract_as_code_says(root):
    text = (root / "data" / "README.md").read_text()
    assert contract.markdown() in text, "data/README.md is out of step: regenerate it from contract.markdown()"


def test_ci_runs_the_readme_test_command(root):
    readme = (root / "README.md").read_text()
    ci = (root / ".ci" / "run").read_text()
    assert "make test" in ci.split("\n")[-2] or "make test" in ci
    assert re.search(r"^make test\b", readme, re.M)
    assert re.search(r"^make reports\b", readme, re.M)


# -- the house: one package per concept ------------------------------------------------------

METHODS = ("rfm", "personas", "pricing", "campaigns", "health", "journeys")
PACKAGES = ("data", "demo", "report", *METHODS)


def _imports(path):
    """Names of the modules a file imports (the package uses absolute imports only)."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert not node.level or path.name == "__init__.py" or path.parent.name in (
                "plotting", "widgets"), f"{path}: use absolute imports (workbench.x.y)"
            yield node.module or ""


def test_the_package_shows_one_folder_per_concept_and_no_prefixed_modules(root):
    top = root / "workbench"
    for name in PACKAGES:
        assert (top / name / "__init__.py").is_file(), f"workbench/{name}/ should be a package"
    prefixed = [p.name for p in top.glob("_*_*.py") if not p.name.startswith("__")]
    assert not prefixed, f"concept prefixes at the top of workbench/: {prefixed}; move them into a package"
    assert not [p.name for p in top.glob("*.py") if p.stem in PACKAGES], "a facade module beside its package"


def test_imports_flow_one_way(root):
    for path in (root / "workbench" / "data").rglob("*.py"):
        for name in _imports(path):
            assert not any(name.startswith(f"workbench.{m}") for m in (*METHODS, "report")), \
                f"{path.name} imports {name}: data/ comes first and imports no method"
    for method in METHODS:
        for path in (root / "workbench" / method).rglob("*.py"):
            for name in _imports(path):
                assert not name.startswith(("workbench.report", "workbench.widgets")), \
                    f"{method}/{path.name} imports {name}: data flows one way (method -> plot -> report)"
    for path in (root / "workbench" / "report").rglob("*.py"):
        for name in _imports(path):
            assert not any(name.startswith(f"workbench.{m}") for m in METHODS), \
                f"report/{path.name} imports {name}: the runner runs notebooks, it knows no method"


def test_only_plotting_and_widgets_import_matplotlib(root):
    for path in (root / "workbench").rglob("*.py"):
        if path.parent.name in ("plotting", "widgets"):
            continue
        for name in _imports(path):
            assert not name.startswith(("matplotlib", "seaborn", "ipywidgets")), \
                f"{path.relative_to(root)} imports {name}: drawing lives in plotting/ and widgets/"


def test_the_short_names_notebooks_use_still_work():
    import workbench as wb

    assert wb.quality.__name__ == "workbench.data.quality"
    assert wb.contract.__name__ == "workbench.data.contract"
    assert wb.psm.__name__ == "workbench.pricing.psm"
    assert wb.clv.__name__ == "workbench.health.clv"
    assert callable(wb.load) and wb.rfm.score and wb.plotting.rfm.plot_grades
