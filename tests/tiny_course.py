"""A tiny course (one assignment, two exercises) that proves the engine without the real notebooks."""

from __future__ import annotations

import textwrap
from pathlib import Path

from autograder import authoring as A

COURSE_YAML = """\
course: {id: tiny, title: Tiny course, language: ko}
grading:
  time_limit_s: 60
  setup_timeout_s: 20
  call_timeout_s: 3
  memory_limit_mb: 2048
  seed: 1
  tolerances:
    float64: {rtol: 1.0e-10, atol: 1.0e-12}
    float32: {rtol: 1.0e-5, atol: 1.0e-6}
assignments:
  - id: 00_tiny
    title: Tiny
    notebook: 00_tiny/00_tiny.ipynb
    due: 2026-12-01T23:59:00+09:00
    exercises:
      - {id: scale, points: 3}
      - {id: sample_coin, points: 2}
      - {id: written_why, points: 1, manual: true}
"""

SCALE = '''
def scale(x, a):
    """Return a * x for an array x (float64)."""
    ### BEGIN SOLUTION
    return a * np.asarray(x, dtype=np.float64)
    ### END SOLUTION
'''

COIN = '''
def sample_coin(n, p, rng):
    """n independent draws, 1 with probability p (int64 array of shape (n,))."""
    ### BEGIN SOLUTION
    return (rng.random(n) < p).astype(np.int64)
    ### END SOLUTION
'''

PUBLIC = '''
import numpy as np

from autograder import expect, stats
from autograder.checks import check, probe


@probe
def scale_small(ns, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((4, 3))
    return {"y": ns.scale(x, 2.5)}


@check("scale", points=2)
def test_scale_matches_reference(student, reference, seed):
    """a * x on a small matrix."""
    expect.allclose(student(scale_small, seed=seed)["y"], reference(scale_small, seed=seed)["y"], name="y")


@probe
def coin_draws(ns, seed, p):
    rng = np.random.default_rng(seed)
    return {"draws": ns.sample_coin(20000, p, rng)}


@check("sample_coin", points=1)
def test_coin_rate_is_p(student, seed):
    """The fraction of ones is p (exact binomial bound)."""
    d = expect.shape(student(coin_draws, seed=seed, p=0.3)["draws"], (20000,), name="draws")
    stats.proportion(d.sum(), d.size, 0.3, name="1의 비율")
'''

HIDDEN = '''
import numpy as np

from autograder import expect
from autograder.checks import check, probe


@probe
def scale_int_input(ns):
    return {"y": ns.scale([1, 2, 3], 0.5)}


@check("scale", points=1)
def test_scale_of_integer_list_is_float(student, reference):
    """Integer input still gives float64 output."""
    expect.allclose(student(scale_int_input)["y"], reference(scale_int_input)["y"], name="y")


@probe
def coin_values(ns, seed):
    rng = np.random.default_rng(seed)
    return {"draws": ns.sample_coin(1000, 0.7, rng)}


@check("sample_coin", points=1)
def test_coin_values_are_zero_or_one(student, seed):
    """Only 0 and 1 appear."""
    d = expect.shape(student(coin_values, seed=seed)["draws"], (1000,), name="draws")
    expect.true(bool(np.isin(d, [0, 1]).all()), "0과 1만 나와야 합니다.")
'''


def source_cells():
    return [
        A.markdown("# Tiny"),
        A.setup_cell(
            "setup_imports", 'import numpy as np\nfrom autograder.notebook import Checks\nchecks = Checks("00_tiny")'
        ),
        A.answer_cell("scale", SCALE),
        A.test_cell("scale", 3),
        A.answer_cell("sample_coin", COIN),
        A.test_cell("sample_coin", 2),
        A.written_cell("written_why", 1, "Because."),
        A.code("print('experiment: never run by the grader')\nraise SystemExit('experiments are skipped')"),
    ]


def write_course(root: Path) -> Path:
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / "course.yaml").write_text(COURSE_YAML)
    (root / "solutions" / "00_tiny").mkdir(parents=True, exist_ok=True)
    A.write(A.build(source_cells()), root / "solutions" / "00_tiny" / "00_tiny.ipynb")
    (root / "checks" / "00_tiny").mkdir(parents=True, exist_ok=True)
    (root / "checks" / "00_tiny" / "public.py").write_text(PUBLIC)
    (root / "checks" / "00_tiny" / "hidden.py").write_text(HIDDEN)
    return root


def submission(root: Path, name: str, answers: dict[str, str]) -> Path:
    """A student's notebook: the source with answer cells replaced (a missing key keeps the stub)."""
    import nbformat

    nb = nbformat.read(str(Path(root) / "solutions" / "00_tiny" / "00_tiny.ipynb"), as_version=4)
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = textwrap.dedent(answers[gid])
        elif cell.get("metadata", {}).get("nbgrader", {}).get("solution") and cell.cell_type == "code":
            cell.source = cell.source.split("### BEGIN SOLUTION")[0] + "raise NotImplementedError()\n"
    out = Path(root) / "subs" / name / "00_tiny" / "00_tiny.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(out))
    return out
