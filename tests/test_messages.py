"""Messages as a student reads them (issue 14, point 5): the right cell named, plain numbers."""

from __future__ import annotations

import nbformat
import numpy as np
import pytest
from helpers import assignment, course, grade

from autograder.pipeline import grade_paths
from autograder.verdict import answer_definitions, describe_student_error, plain_numbers, run_checks

AID = "02_normalization"


def _message(results, check_id):
    return next(c for r in results for c in (r.checks if hasattr(r, "checks") else [r]) if c.id == check_id).message


def test_missing_function_names_the_cell_where_it_belongs(tmp_path):
    """batchnorm_forward's cell deleted: batchnorm_backward's checks call it, and the message says to
    define it in cell 'batchnorm_forward' (it used to say cell 'batchnorm_backward')."""
    nb = nbformat.read(str(course().source_notebook(assignment(AID))), as_version=4)
    nb.cells = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") != "batchnorm_forward"]
    path = tmp_path / AID / f"{AID}.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, str(path))
    (res,) = grade_paths(course(), [path], visibilities=("public",))
    msg = _message([res], "bn_backward_dx_matches_reference")
    assert "`batchnorm_forward`" in msg and "답안 셀 'batchnorm_forward'" in msg, msg
    assert "'batchnorm_backward'에서 정의" not in msg, msg


@pytest.mark.xdist_group(AID)
def test_another_exercises_stub_is_reported_as_not_implemented_not_as_the_students_line():
    """Blank notebook: the backward check runs batchnorm_forward's stub first. The message says that
    exercise is not implemented yet; it used to point at the stub's line ("위치: 셀 'batchnorm_forward' 25번째 줄")."""
    res = grade(AID, blank=True)
    msg = _message([res], "bn_backward_dx_matches_reference")
    assert "'batchnorm_forward'을(를) 아직 구현하지 않았습니다" in msg, msg
    assert "위치" not in msg and "번째 줄" not in msg, msg
    own = _message([res], "bn_train_output_matches_reference")  # its own stub: still "not implemented yet"
    assert "'batchnorm_forward': 아직 구현하지 않았습니다" in own, own


@pytest.mark.xdist_group("01_initialization")
def test_numpy_scalars_read_as_plain_numbers():
    """compute_fans returning numpy integers in the wrong order: the message shows (100, 300), not
    (np.int64(100), np.int64(300))."""
    swapped = """
def compute_fans(shape):
    shape = tuple(shape)
    if len(shape) < 2:
        raise ValueError("need 2 dims")
    rf = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return np.int64(shape[0] * rf), np.int64(shape[1] * rf)
"""
    res = grade("01_initialization", {"compute_fans": swapped}, visibilities=("public",))
    msg = _message([res], "linear_weight_is_out_in")
    assert "(300, 100)" in msg and "(100, 300)" in msg and "np." not in msg, msg


def test_plain_numbers_and_the_helpers_messages():
    assert (
        plain_numbers("(np.int64(300), np.int64(100)); np.float64(1e-05), np.True_, np.float32(-0.5)")
        == "(300, 100); 1e-05, True, -0.5"
    )
    assert plain_numbers("x = np.array([1, 2])") == "x = np.array([1, 2])"  # not a scalar repr: left alone
    assert plain_numbers("return np.float64(a) / b") == "return np.float64(a) / b"  # student code in a traceback
    assert repr(np.int64(3)) == "np.int64(3)"  # why the helper exists (numpy >= 2)
    home = {"batchnorm_forward": "batchnorm_forward"}
    msg = describe_student_error({"type": "NameError", "missing": "batchnorm_forward"}, "batchnorm_backward", home)
    assert "답안 셀 'batchnorm_forward'" in msg
    stub = {
        "type": "NotImplementedError",
        "message": "",
        "traceback": "...",
        "line": {"cell": "batchnorm_forward", "lineno": 25, "text": "raise NotImplementedError()"},
    }
    assert "25" not in describe_student_error(stub, "batchnorm_backward", home)
    assert "25번째 줄" in describe_student_error(stub, "batchnorm_forward", home)  # own stub: location kept


def test_answer_definitions_come_from_the_trusted_notebook():
    home = answer_definitions(assignment(AID), nbformat.read(str(course().release_notebook(assignment(AID))), 4))
    assert home["batchnorm_forward"] == "batchnorm_forward" and home["batchnorm_backward"] == "batchnorm_backward"
    home3 = answer_definitions(
        assignment("03_dropout"), nbformat.read(str(course().release_notebook(assignment("03_dropout"))), 4)
    )
    assert home3["weight_scaling_predict"] == "weight_scaling_rule"


def test_every_message_goes_through_plain_numbers():
    import types

    from autograder.checks import _checks_in_module
    from autograder.expect import fail

    def test_shows_a_tuple():
        fail(f"got {(np.int64(1), np.float64(2.5))}")

    test_shows_a_tuple.__check__ = {"exercise": "ex", "points": 1.0, "requires": ""}
    specs = _checks_in_module(types.SimpleNamespace(test_shows_a_tuple=test_shows_a_tuple), "public")
    (r,) = run_checks(specs, "a", student=None, reference=None)
    assert r.message == "got (1, 2.5)"
