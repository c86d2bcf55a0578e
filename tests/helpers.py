"""Shared test helpers: grade variants of the real notebooks through the real pipeline."""

from __future__ import annotations

import importlib
import tempfile
import textwrap
from functools import lru_cache
from pathlib import Path

import nbformat

from autograder.course import load_course
from autograder.extract import index_cells, reference_program
from autograder.load import load_notebook
from autograder.pipeline import Entry, grade_entries

ROOT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def course():
    return load_course(ROOT)


def assignment(aid):
    a = course().model.assignment(aid)
    assert a is not None, aid
    return a


def variants(aid):
    """The tests/variants module of an assignment (``a03_dropout`` for ``03_dropout``)."""
    return importlib.import_module(f"variants.a{aid}")


def make_submission(aid: str, replacements: dict[str, str] | None = None, *, blank: bool = False, dest=None) -> Path:
    """The solution notebook as a student would submit it: answer cells replaced by
    ``replacements`` (exercise -> cell source); with ``blank``, every other answer cell is the stub."""
    tree = course()
    a = assignment(aid)
    nb = nbformat.read(str(tree.source_notebook(a)), as_version=4)
    answer_ids = {e.id for e in a.auto_exercises}
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in (replacements or {}):
            cell.source = textwrap.dedent(replacements[gid]).strip("\n")
        elif blank and gid in answer_ids:
            cell.source = stub(cell.source)
    dest = Path(dest or tempfile.mkdtemp(prefix="sub-")) / aid / f"{aid}.ipynb"
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(dest))
    return dest


def stub(source: str) -> str:
    """What nbgrader's release leaves of a solution region."""
    out, skipping = [], False
    for line in source.splitlines():
        if line.strip() == "### BEGIN SOLUTION":
            indent = line[: len(line) - len(line.lstrip())]
            out += [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError()"]
            skipping = True
        elif line.strip() == "### END SOLUTION":
            skipping = False
        elif not skipping:
            out.append(line)
    return "\n".join(out)


def grade(aid: str, replacements: dict[str, str] | None = None, *, blank: bool = False, seed: int | None = None,
          visibilities=("public", "hidden")):
    """Grade a variant of the reference solution with the real, sandboxed pipeline."""
    path = make_submission(aid, replacements, blank=blank)
    (res,) = grade_entries(course(), [Entry(assignment(aid), path)], seed=seed, visibilities=visibilities)
    return res


def reference_namespace(aid: str) -> dict:
    """Run the source notebook's setup and solution cells here and return its namespace,
    for tests that compare the reference solution with torch."""
    tree = course()
    a = assignment(aid)
    prog = reference_program(a, load_notebook(tree.source_notebook(a)))
    ns: dict = {"__name__": "__main__"}
    for cell in prog.cells:
        exec(compile(cell.source, f"<{cell.kind}:{cell.id}>", "exec"), ns)
    return ns


def answer_source(aid: str, exercise: str) -> str:
    tree = course()
    nb = load_notebook(tree.source_notebook(assignment(aid)))
    return index_cells(nb).by_id[exercise].source
