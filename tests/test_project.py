"""Project promises: dependencies in step, notebooks clean, contract documented, README commands."""

from __future__ import annotations

import ast
import json
import re
import tomllib

import yaml

from workbench.data import contract

# conda-forge names of the packages whose PyPI name differs
CONDA_TO_PYPI = {"python-duckdb": "duckdb", "ibis-framework-core": "ibis-framework"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!\[ ]", requirement, maxsplit=1)[0].lower()


def test_environment_yml_declares_the_same_dependencies_as_pyproject(root):
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    pip = {_name(r) for r in project["dependencies"]} | {_name(r) for r in project["optional-dependencies"]["dev"]}
    env = yaml.safe_load((root / "environment.yml").read_text())
    conda = {CONDA_TO_PYPI.get(_name(d), _name(d)) for d in env["dependencies"] if isinstance(d, str)}
    conda -= {"python", "pip", "tinycss2"}  # tinycss2 is pip's bleach[css] extra
    assert conda == pip


def _version_spec(requirement: str) -> str:
    return re.sub(r"^[A-Za-z0-9_.-]+(\[[^\]]*\])?", "", requirement)


def test_environment_yml_pins_match_pyproject(root):
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    pins = {_name(r): _version_spec(r) for r in project["dependencies"]}
    env = yaml.safe_load((root / "environment.yml").read_text())
    for dep in env["dependencies"]:
        if isinstance(dep, str) and _name(dep) not in ("python", "pip"):
            name = CONDA_TO_PYPI.get(_name(dep), _name(dep))
            if name in pins and name != "bleach":
                assert _version_spec(dep) == pins[name], f"{name}: {dep} vs pyproject {pins[name]}"


def _notebooks(root):
    return sorted((root / "notebooks").glob("*.ipynb"))


def test_committed_notebooks_have_no_outputs(root):
    assert _notebooks(root), "no notebooks found"
    for path in _notebooks(root):
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert not cell["outputs"], f"{path.name}: a cell has outputs"
                assert cell["execution_count"] is None, f"{path.name}: a cell has an execution count"


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

METHODS = ("rfm", "personas", "pricing", "campaigns", "health")
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
