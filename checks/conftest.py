"""Run check files with pytest itself: ``pytest checks/<id>/public.py [checks/<id>/hidden.py] [--notebook NB]``.

Each ``@check`` is a pytest test; its fixtures ``student``, ``reference`` and ``seed`` come from
here. Without ``--notebook`` the reference solution is checked against itself (every check must
pass); with it, that notebook's answers are. The student's code runs in the same sandboxed worker
as in ``autograder grade``. Useful while writing a check: ``-k``, ``-x``, ``--pdb`` all work.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_addoption(parser):
    parser.addoption(
        "--notebook", default=None, help="notebook whose answers are checked (default: the reference solution)"
    )


def pytest_collection_modifyitems(items):
    for item in items:
        meta = getattr(getattr(item, "function", None), "__check__", None)
        if meta:
            item.add_marker(pytest.mark.exercise(meta["exercise"]))
            item.add_marker(pytest.mark.points(meta["points"]))


def pytest_configure(config):
    config.addinivalue_line("markers", "exercise(id): the exercise a check belongs to")
    config.addinivalue_line("markers", "points(n): what a check is worth")


@pytest.fixture(scope="module")
def _grading(request):
    from autograder.context import load
    from autograder.extract import reference_program, student_program
    from autograder.load import load_notebook
    from autograder.reference import ReferenceSession, default_cache_dir
    from autograder.run import Limits, ProcessSession

    tree = load(Path(request.module.__file__).resolve().parents[2])  # course.yaml's settings (tolerances) in force
    aid = Path(request.module.__file__).parent.name
    a = tree.model.assignment(aid)
    source = load_notebook(tree.source_notebook(a))
    nb_path = request.config.getoption("--notebook")
    program = student_program(a, source, load_notebook(nb_path)) if nb_path else reference_program(a, source)
    session = ProcessSession(Limits.from_course(tree.model.grading))
    session.add(program, aid)
    ref = ReferenceSession(reference_program(a, source), cache_dir=default_cache_dir(tree.root))
    yield tree, aid, session, ref
    session.close()
    ref.close()


@pytest.fixture
def student(_grading):
    _, aid, session, _ = _grading
    return lambda probe, **kw: session.call(aid, probe, kw)


@pytest.fixture
def reference(_grading):
    ref = _grading[3]
    return lambda probe, **kw: ref.call(probe, kw)


@pytest.fixture
def seed(request, _grading):
    from autograder.checks import check_seed

    tree, aid = _grading[0], _grading[1]
    name = request.function.__name__
    return check_seed(tree.model.grading.seed, aid, name.removeprefix("test_"))
