"""Exercise solutions (cells tagged ``solution``) are left out of a run unless it asks for them."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from workbench import report
from workbench.cli import main

SENTINEL = "the-solution-sentinel"


@pytest.fixture
def lesson(tmp_path) -> Path:
    """A notebook with a parameters cell, an exercise and its solution."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Lesson\n\nA question?"),
        nbformat.v4.new_code_cell('n: int = 2  # a count\noutput_dir: str = "."  # exports',
                                  metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("answer = n * 21\nanswer"),
        nbformat.v4.new_markdown_cell("**Exercise 1.** What is `answer` times two?"),
        nbformat.v4.new_code_cell(f"# {SENTINEL}\nanswer * 2", metadata={"tags": ["solution"]}),
    ]
    folder = tmp_path / "nbs"
    folder.mkdir()
    nbformat.write(nb, folder / "lesson.ipynb")
    return folder / "lesson.ipynb"


def _executed(out: Path) -> dict:
    return json.loads((out / "lesson.ipynb").read_text(encoding="utf-8"))


def _outputs(nb: dict) -> str:
    return json.dumps([c.get("outputs", []) for c in nb["cells"]])


def test_solutions_are_absent_by_default(lesson, tmp_path):
    result = report.run([lesson], out_dir=tmp_path / "out", workers=1, progress=False, show_code=True)
    assert result.ok, result.reports[0].error
    nb = _executed(tmp_path / "out")
    assert not any("solution" in c["metadata"].get("tags", []) for c in nb["cells"])
    assert SENTINEL not in (tmp_path / "out" / "lesson.html").read_text(encoding="utf-8")
    assert '"84"' not in _outputs(nb)
    assert len(nb["cells"]) == 4 + 1  # the four cells left, and papermill's injected parameters


def test_solutions_run_and_show_with_the_flag(lesson, tmp_path):
    result = report.run([lesson], out_dir=tmp_path / "out", workers=1, progress=False, show_code=True,
                        solutions=True)
    assert result.ok, result.reports[0].error
    nb = _executed(tmp_path / "out")
    solution = next(c for c in nb["cells"] if "solution" in c["metadata"].get("tags", []))
    assert "".join(solution["outputs"][0]["data"]["text/plain"]) == "84"
    assert SENTINEL in (tmp_path / "out" / "lesson.html").read_text(encoding="utf-8")


def test_schedule_key_solutions(lesson, tmp_path):
    schedule = tmp_path / "teach.yml"
    schedule.write_text(f"notebooks: [lesson]\nnotebooks_dir: {lesson.parent}\nout: {tmp_path / 'out'}\n"
                        "workers: 1\nsolutions: true\n", encoding="utf-8")
    result = report.run_schedule(schedule, progress=False)
    assert result.ok
    assert '"84"' in _outputs(_executed(tmp_path / "out"))
    # a command-line choice overrides the file
    report.run_schedule(schedule, progress=False, solutions=False, out_dir=tmp_path / "plain")
    assert '"84"' not in _outputs(_executed(tmp_path / "plain"))


def test_schedule_rejects_a_solutions_value_that_is_not_yes_or_no(lesson, tmp_path):
    schedule = tmp_path / "bad.yml"
    schedule.write_text("notebooks: [lesson]\nsolutions: 1\n", encoding="utf-8")
    with pytest.raises(report.RunConfigError, match="solutions"):
        report.run_schedule(schedule, progress=False)


@pytest.mark.parametrize("flag, shown", [([], False), (["--solutions"], True)])
def test_cli_solutions_flag(lesson, tmp_path, flag, shown):
    out = tmp_path / "out"
    code = main(["run", "lesson", "--notebooks-dir", str(lesson.parent), "--out", str(out),
                 "--workers", "1", *flag])
    assert code == 0
    assert ('"84"' in _outputs(_executed(out))) is shown


def test_every_notebook_has_exercises_with_hidden_solutions():
    for path in sorted(Path("notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        solutions = [c for c in nb["cells"] if "solution" in c["metadata"].get("tags", [])]
        assert 2 <= len(solutions) <= 3, f"{path.name}: {len(solutions)} solution cells"
        assert all(c["cell_type"] == "code" for c in solutions)
        text = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
        assert "## Exercises" in text and "**Exercise 1.**" in text, path.name
