"""Every notebook runs top to bottom as a student or instructor would run it (nbclient, a real kernel).

- the solution notebook: no error, every test cell's value is the exercise's full score;
- the released notebook (stubs in place): no uncaught error either; check cells report 0 and
  experiments say what is missing instead of crashing.

Wall time is printed; the target is <= 60 s on 2 idle cores (benchmarks/bench_notebooks.py measures
it). The limit asserted here is looser so that a loaded CI machine does not fail the build.
"""

from __future__ import annotations

import time

import nbformat
import pytest
from helpers import course
from nbclient import NotebookClient

AIDS = [a.id for a in course().model.assignments]
LOOSE_LIMIT_S = 180


def execute(path):
    nb = nbformat.read(str(path), as_version=4)
    t0 = time.monotonic()
    NotebookClient(
        nb, timeout=LOOSE_LIMIT_S, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    return nb, time.monotonic() - t0


def cell_scores(nb):
    out = {}
    for c in nb.cells:
        meta = c.metadata.get("nbgrader", {})
        if c.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            results = [o for o in c.outputs if o.output_type == "execute_result"]
            out[meta["grade_id"][5:]] = (float(results[-1].data["text/plain"]) if results else None, meta["points"])
    return out


@pytest.mark.parametrize("aid", [pytest.param(a, marks=pytest.mark.xdist_group(f"nb-{a}")) for a in AIDS])
def test_solution_notebook_runs_and_earns_every_point(aid):
    tree = course()
    nb, seconds = execute(tree.source_notebook(tree.model.assignment(aid)))
    print(f"{aid}: solutions notebook ran in {seconds:.1f} s")
    assert seconds < LOOSE_LIMIT_S
    scores = cell_scores(nb)
    assert scores and all(got == pts for got, pts in scores.values()), scores


@pytest.mark.parametrize("aid", [pytest.param(a, marks=pytest.mark.xdist_group(f"nb-{a}")) for a in AIDS])
def test_released_notebook_runs_to_the_end_with_stubs(aid):
    tree = course()
    nb, seconds = execute(tree.release_notebook(tree.model.assignment(aid)))
    print(f"{aid}: released notebook ran in {seconds:.1f} s")
    scores = cell_scores(nb)
    assert scores and all(got == 0 for got, _ in scores.values()), scores
