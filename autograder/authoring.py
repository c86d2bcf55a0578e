"""Building nbgrader source notebooks with this course's cell conventions.

Conventions (what :mod:`autograder.extract` and ``autograder validate`` rely on):

- ``setup_*`` read-only code cells: imports, provided helpers, ``checks = Checks("<id>")``.
  They are taken from the trusted source notebook when grading, so they must not depend on
  anything a student writes.
- answer cell ``<exercise>``: a solution cell; the reference code sits between
  ``### BEGIN SOLUTION`` and ``### END SOLUTION`` so nbgrader replaces it with the stub.
- test cell ``test_<exercise>``: read-only, ``points`` = the exercise's points; it runs the
  public checks, and the hidden tests section runs every check and ends the cell with the score.
- written answer ``<id>`` (markdown, graded by hand): ``manual: true`` in course.yaml.
- anything else (explanations, experiments, plots) carries no nbgrader metadata and is
  never run by the grader.
"""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


def _meta(grade_id, *, grade=False, solution=False, locked=False, points=None):
    m = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if points is not None:
        m["points"] = points
    return {"nbgrader": m}


def markdown(text: str):
    return new_markdown_cell(text.strip("\n"))


def code(text: str):
    """A plain code cell (experiments, plots): not graded, never run by the grader."""
    return new_code_cell(text.strip("\n"))


def setup_cell(grade_id: str, source: str):
    if not grade_id.startswith("setup"):
        raise ValueError("setup cell ids start with 'setup'")
    return new_code_cell(source.strip("\n"), metadata=_meta(grade_id, locked=True))


def answer_cell(exercise: str, source: str):
    if "### BEGIN SOLUTION" not in source:
        raise ValueError(f"answer cell {exercise}: reference code must sit between ### BEGIN/END SOLUTION")
    return new_code_cell(source.strip("\n"), metadata=_meta(exercise, solution=True))


def test_cell(exercise: str, points: float, comment: str = ""):
    lines = []
    if comment:
        lines.append(f"# {comment}")
    lines += [
        f'checks.run("{exercise}")',
        "### BEGIN HIDDEN TESTS",
        f'checks.run("{exercise}", hidden=True)',
        "### END HIDDEN TESTS",
    ]
    return new_code_cell("\n".join(lines), metadata=_meta(f"test_{exercise}", grade=True, locked=True, points=points))


def written_cell(grade_id: str, points: float, model_answer: str):
    """A markdown answer graded by hand. In the source notebook it holds the model answer
    (for graders); nbgrader replaces the whole cell with "YOUR ANSWER HERE" on release."""
    return new_markdown_cell(
        model_answer.strip("\n"), metadata=_meta(grade_id, grade=True, solution=True, points=points)
    )


def build(cells, *, title: str = "") -> nbformat.NotebookNode:
    nb = new_notebook(cells=list(cells))
    used = set()
    for i, cell in enumerate(nb.cells):  # deterministic ids: rebuilding gives the same file
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        cid = (gid or f"cell-{i}")[:64]
        while cid in used:
            cid = f"{cid[:58]}-{i}"
        used.add(cid)
        cell["id"] = cid
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    if title:
        nb.metadata["title"] = title
    nbformat.validate(nb)
    return nb


def write(nb, path) -> None:
    """Write without outputs or execution counts (the repository's rule)."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.write(nb, str(path))
