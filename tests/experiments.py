"""The solutions notebooks' experiment functions, for tests that assert what the notebooks claim.

A notebook's experiments are written in two kinds of code cells:

- cells that *define* things (imports, data, ``def run_*_experiment(...)``, settings such as
  ``DROPOUT_EXPERIMENT = dict(seeds=(0, 1, 2), epochs=30)``): no tag;
- cells that *run* them and plot (``res = run_dropout_experiment(**DROPOUT_EXPERIMENT)``):
  tagged ``experiment-run`` in the cell metadata.

:func:`notebook_namespace` executes every code cell of a solutions notebook except the check
cells (nbgrader test cells) and the ``experiment-run`` cells, in notebook order, so a test can
call the same function with the same settings the notebook uses and assert the sentence the
notebook states about its outcome.
"""

from __future__ import annotations

import os
from functools import cache

import nbformat
from helpers import assignment, course

from autograder.extract import to_python

RUN_TAG = "experiment-run"


def _skipped(cell) -> bool:
    meta = cell.get("metadata", {})
    nbg = meta.get("nbgrader", {})
    if nbg.get("grade") and not nbg.get("solution"):
        return True  # a check cell: grading is tested elsewhere
    return RUN_TAG in (meta.get("tags") or [])


@cache
def notebook_namespace(aid: str) -> dict:
    """Definitions of ``solutions/<aid>/<aid>.ipynb`` (setup, answers, experiment functions)."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    path = course().source_notebook(assignment(aid))
    nb = nbformat.read(str(path), as_version=4)
    ns: dict = {"__name__": "__main__"}
    cwd = os.getcwd()
    os.chdir(path.parent)  # as Jupyter runs it
    try:
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or _skipped(cell):
                continue
            exec(compile(to_python(cell.source), f"<{aid} cell {i}>", "exec"), ns)
    finally:
        os.chdir(cwd)
    return ns
